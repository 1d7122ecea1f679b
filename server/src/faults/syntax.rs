//! The flag form of a rule (`--fault`), read by [`Rule`]'s `FromStr` and written back by its
//! `Display`.

use std::fmt;
use std::str::FromStr;

use super::rule::{FaultError, Latency, Rule, default_retry_after};

/// The flag form: `FAMILY:OPERATION[:SETTING,SETTING...]`, each of `*` for any, and settings
/// `latency=MS` or `latency=MIN..MAX` (milliseconds, an optional `ms` suffix), `429=P`, `500=P`,
/// `503=P`, `drop=P`, `async=P` (Snowflake only) and `retry-after=SECONDS` (default 1), with
/// probabilities P from 0 to 1 that add up to at most 1. For example
/// `glance:list_images:latency=50..200ms,503=0.1,429=0.05,drop=0.01` or `snowflake:*:async=0.5`.
impl FromStr for Rule {
    type Err = FaultError;

    fn from_str(text: &str) -> Result<Self, FaultError> {
        let mut parts = text.splitn(3, ':');
        let family = parts.next().unwrap_or_default().trim();
        let Some(operation) = parts.next().map(str::trim).filter(|o| !o.is_empty()) else {
            return Err(FaultError::Syntax(format!(
                "`{text}`: a rule is FAMILY:OPERATION[:SETTINGS], e.g. \
                 glance:list_images:503=0.1 or snowflake:*:async=0.5"
            )));
        };
        let mut rule = Rule::new(family, operation);
        let mut seen = Vec::new();
        for setting in parts.next().unwrap_or_default().split(',').map(str::trim) {
            if setting.is_empty() {
                continue;
            }
            let Some((key, value)) = setting.split_once('=') else {
                return Err(FaultError::Syntax(format!("`{setting}` is not KEY=VALUE")));
            };
            let (key, value) = (key.trim(), value.trim());
            if seen.contains(&key) {
                return Err(FaultError::Syntax(format!("`{key}` is given twice")));
            }
            seen.push(key);
            match key {
                "latency" => rule.latency_ms = Some(latency(value)?),
                "429" => rule.errors.too_many_requests = probability("429", value)?,
                "500" => rule.errors.internal = probability("500", value)?,
                "503" => rule.errors.unavailable = probability("503", value)?,
                "drop" => rule.drop = probability("drop", value)?,
                "async" => rule.asynchronous = probability("async", value)?,
                "retry-after" | "retry_after" => {
                    rule.retry_after = value.parse().map_err(|_| {
                        FaultError::Syntax(format!(
                            "retry-after: `{value}` is not a whole number of seconds"
                        ))
                    })?;
                }
                other => {
                    return Err(FaultError::Syntax(format!(
                        "unknown setting `{other}` (latency, 429, 500, 503, drop, async, \
                         retry-after)"
                    )));
                }
            }
        }
        rule.validate()?;
        Ok(rule)
    }
}

/// `50`, `50ms`, `50..200` or `50..200ms` (either side may carry `ms`).
fn latency(value: &str) -> Result<Latency, FaultError> {
    let ms = |v: &str| -> Result<u64, FaultError> {
        let v = v.trim();
        v.strip_suffix("ms").unwrap_or(v).trim().parse().map_err(|_| {
            FaultError::Latency(format!("`{value}` is not MS or MIN..MAX in milliseconds"))
        })
    };
    match value.split_once("..") {
        Some((min, max)) => Ok(Latency { min: ms(min)?, max: ms(max)? }),
        None => {
            let fixed = ms(value)?;
            Ok(Latency { min: fixed, max: fixed })
        }
    }
}

fn probability(key: &'static str, value: &str) -> Result<f64, FaultError> {
    let p: f64 = value.parse().map_err(|_| {
        FaultError::Syntax(format!("`{key}`: `{value}` is not a number from 0 to 1"))
    })?;
    if !(0.0..=1.0).contains(&p) {
        return Err(FaultError::Probability { key, value: p });
    }
    Ok(p)
}

/// The flag form again (what [`Rule::from_str`] reads back to the same rule).
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut settings = Vec::new();
        match self.latency_ms {
            Some(Latency { min, max }) if min == max => settings.push(format!("latency={min}ms")),
            Some(Latency { min, max }) => settings.push(format!("latency={min}..{max}ms")),
            None => {}
        }
        for (key, p) in self.probabilities() {
            if p > 0.0 {
                settings.push(format!("{key}={p}"));
            }
        }
        if self.retry_after != default_retry_after() {
            settings.push(format!("retry-after={}", self.retry_after));
        }
        write!(f, "{}:{}", self.family, self.operation)?;
        if !settings.is_empty() {
            write!(f, ":{}", settings.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Errors;

    fn rule(text: &str) -> Rule {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_flag_form_reads_every_setting() {
        let r = rule("glance:list_images:latency=50..200ms,503=0.1,429=0.05,drop=0.01");
        assert_eq!((r.family.as_str(), r.operation.as_str()), ("glance", "list_images"));
        assert_eq!(r.latency_ms, Some(Latency { min: 50, max: 200 }));
        assert_eq!(r.errors, Errors { too_many_requests: 0.05, internal: 0.0, unavailable: 0.1 });
        assert_eq!((r.drop, r.asynchronous, r.retry_after), (0.01, 0.0, 1));
        let r = rule("snowflake:*:async=0.5");
        assert_eq!((r.operation.as_str(), r.asynchronous), ("*", 0.5));
        let r = rule("*:*:latency=30,500=1,retry-after=7");
        assert_eq!((r.latency_ms, r.errors.internal), (Some(Latency { min: 30, max: 30 }), 1.0));
        assert_eq!(r.retry_after, 7);
        assert_eq!(rule("cce:show_image_cache"), Rule::new("cce", "show_image_cache"));
        assert_eq!(rule("swr:*:latency=5ms..9ms").latency_ms, Some(Latency { min: 5, max: 9 }));
    }

    #[test]
    fn the_flag_form_round_trips_through_display() {
        for text in [
            "glance:list_images:latency=50..200ms,429=0.05,503=0.1,drop=0.01",
            "snowflake:*:async=0.5",
            "*:*:latency=30ms,500=1,retry-after=7",
            "cce:show_image_cache",
        ] {
            assert_eq!(rule(text).to_string(), text);
            assert_eq!(rule(&rule(text).to_string()), rule(text));
        }
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let err = |text: &str| text.parse::<Rule>().expect_err(text).to_string();
        assert!(err("glance").contains("FAMILY:OPERATION"));
        assert!(err("nova:*").contains("`nova` is not a family"));
        let unknown = err("glance:list_imagez:503=1");
        assert!(unknown.contains("no operation `list_imagez`") && unknown.contains("list_images"));
        assert!(err("*:nothing").contains("no operation"));
        assert!(err("cce:*:503=1.5").contains("probability from 0 to 1"));
        assert!(err("cce:*:503=-0.1").contains("probability"));
        assert!(err("cce:*:503=NaN").contains("probability"));
        assert!(err("cce:*:503=lots").contains("not a number"));
        assert!(err("cce:*:503=0.6,429=0.6").contains("add up to"));
        assert!(err("cce:*:async=0.5").contains("snowflake"));
        assert!(err("*:*:async=0.5").contains("snowflake"));
        assert!(err("cce:*:latency=9..5").contains("minimum is larger"));
        assert!(err("cce:*:latency=fast").contains("milliseconds"));
        assert!(err("cce:*:latency=700000").contains("more than"));
        assert!(err("cce:*:404=0.5").contains("unknown setting `404`"));
        assert!(err("cce:*:503").contains("KEY=VALUE"));
        assert!(err("cce:*:503=0.1,503=0.2").contains("twice"));
        assert!(err("cce:*:retry-after=soon").contains("seconds"));
        // Operation ids are checked against the named family only.
        assert!(err("cce:list_images").contains("no operation"));
        assert!(rule("*:list_images").validate().is_ok());
    }
}
