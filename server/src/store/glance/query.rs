//! The query of `GET /v2/images` as Glance reads it from the decoded query pairs: the page size
//! and marker, the filters, and the sort keys, each refused in Glance's words when it breaks a
//! rule ([`QueryError`]). [`super::list`] runs the parsed query.

use time::{OffsetDateTime, PrimitiveDateTime, format_description::well_known::Rfc3339};

use super::{MemberStatus, Visibility};

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 1000;
/// What a query rule answers.
type Parsed<T> = std::result::Result<T, QueryError>;

const SORT_KEYS: [&str; 8] =
    ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"];

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub limit: usize,
    pub marker: Option<String>,
    pub(super) visibility: Option<VisibilityFilter>,
    pub(super) member_status: Option<MemberStatus>,
    pub(super) hidden: bool,
    pub(super) tags: Vec<String>,
    pub(super) filters: Vec<Filter>,
    pub(super) sort: Vec<(SortKey, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VisibilityFilter {
    One(Visibility),
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortKey {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    Name,
    Id,
    Status,
    ContainerFormat,
    DiskFormat,
    Owner,
    Checksum,
    OsHashValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Number {
    Size,
    VirtualSize,
    MinRam,
    MinDisk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    Eq,
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeOp {
    Gt,
    Gte,
    Eq,
    Neq,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Filter {
    /// Exact match on one of the values (`in:` gives several).
    Text(Text, Vec<String>),
    Number(Number, Bound, i64),
    Protected(bool),
    Time {
        updated: bool,
        op: TimeOp,
        at: OffsetDateTime,
    },
    Property(String, String),
}

/// Why a list request's query is refused: each of Glance's query rules, in its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("limit param must be an integer")]
    LimitNotInteger,
    #[error("limit param must be positive")]
    LimitNegative,
    #[error("Invalid status: {0}")]
    MemberStatus(String),
    #[error("Invalid visibility value: {0}")]
    Visibility(String),
    /// `os_hidden` or `protected` other than `true` or `false`.
    #[error("Invalid value '{value}' for '{key}' filter. Valid values are 'true' or 'false'.")]
    NotBoolean { key: &'static str, value: String },
    #[error("The \"changes-since\" filter is no longer available on v2.")]
    ChangesSince,
    #[error("Bad \"{0}\" query filter format. Use ISO 8601 DateTime notation.")]
    TimeFormat(String),
    #[error("Unable to filter on a unknown operator.")]
    TimeOperator,
    #[error("Invalid value '{value}' for '{key}': it must be an integer.")]
    NotInteger { key: String, value: String },
    #[error("Unable to filter on a range with a non-numeric value.")]
    RangeNotNumeric,
    /// `_min` or `_max` on an attribute without an order.
    #[error("Unable to filter on the range key '{0}'.")]
    RangeKey(String),
    #[error("Invalid sort key: {0}. It must be one of the following: {keys}.", keys = SORT_KEYS.join(", "))]
    SortKey(String),
    #[error("Invalid sort direction: {0}")]
    SortDir(String),
    /// `sort` with `sort_key` or `sort_dir`.
    #[error("Old and new sorting syntax cannot be combined")]
    SortSyntaxes,
    #[error("Number of sort dirs does not match the number of sort keys")]
    SortDirCount,
    #[error("Unable to filter by unknown operator '{0}'.")]
    Operator(String),
    #[error("Invalid filter value. The quote is not closed.")]
    QuoteNotClosed,
    #[error("Invalid filter value. There is no comma after closing quotation mark.")]
    NoCommaAfterQuote,
    #[error("Invalid filter value. There is no comma before opening quotation mark.")]
    NoCommaBeforeQuote,
}

impl ListQuery {
    /// Parses the decoded query pairs in order. A repeated key other than `tag`, `sort_key` and
    /// `sort_dir` keeps its last value.
    pub fn parse(pairs: &[(String, String)]) -> Parsed<Self> {
        let last = |key: &str| pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let all = |key: &str| -> Vec<&str> {
            pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
        };
        let limit = match last("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.trim().parse::<i64>() {
                Err(_) => return Err(QueryError::LimitNotInteger),
                Ok(n) if n < 0 => return Err(QueryError::LimitNegative),
                Ok(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
            },
        };
        let marker = last("marker").map(str::to_owned);
        let member_status = match last("member_status").unwrap_or("accepted") {
            "accepted" => Some(MemberStatus::Accepted),
            "pending" => Some(MemberStatus::Pending),
            "rejected" => Some(MemberStatus::Rejected),
            "all" => None,
            other => return Err(QueryError::MemberStatus(other.to_owned())),
        };
        let sort = parse_sort(last("sort"), &all("sort_key"), &all("sort_dir"))?;
        let tags = all("tag").into_iter().map(str::to_owned).collect();

        let mut visibility = None;
        let mut hidden = false;
        let mut filters = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in pairs {
            let key = key.as_str();
            if matches!(
                key,
                "limit" | "marker" | "member_status" | "tag" | "sort" | "sort_key" | "sort_dir"
            ) || seen.contains(&key)
            {
                continue;
            }
            seen.push(key);
            let value = last(key).unwrap_or_default();
            match key {
                "visibility" => {
                    visibility = Some(match value {
                        "all" => VisibilityFilter::All,
                        v => VisibilityFilter::One(
                            Visibility::parse(v)
                                .ok_or_else(|| QueryError::Visibility(v.to_owned()))?,
                        ),
                    });
                }
                "os_hidden" => {
                    hidden = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            let value = value.to_owned();
                            return Err(QueryError::NotBoolean { key: "os_hidden", value });
                        }
                    }
                }
                "protected" => filters.push(Filter::Protected(match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        let value = value.to_owned();
                        return Err(QueryError::NotBoolean { key: "protected", value });
                    }
                })),
                "changes-since" => {
                    return Err(QueryError::ChangesSince);
                }
                "created_at" | "updated_at" => {
                    let (op, at) = parse_time(key, value)?;
                    filters.push(Filter::Time { updated: key == "updated_at", op, at });
                }
                "name" | "id" | "status" | "container_format" | "disk_format" => {
                    let attr = match key {
                        "name" => Text::Name,
                        "id" => Text::Id,
                        "status" => Text::Status,
                        "container_format" => Text::ContainerFormat,
                        _ => Text::DiskFormat,
                    };
                    filters.push(Filter::Text(attr, parse_in(value)?));
                }
                "owner" | "checksum" | "os_hash_value" => {
                    let attr = match key {
                        "owner" => Text::Owner,
                        "checksum" => Text::Checksum,
                        _ => Text::OsHashValue,
                    };
                    filters.push(Filter::Text(attr, vec![value.to_owned()]));
                }
                _ => match number_filter(key) {
                    Some((attr, bound)) => {
                        let n = value.trim().parse::<i64>().map_err(|_| match bound {
                            Bound::Eq => QueryError::NotInteger {
                                key: key.to_owned(),
                                value: value.to_owned(),
                            },
                            _ => QueryError::RangeNotNumeric,
                        })?;
                        filters.push(Filter::Number(attr, bound, n));
                    }
                    None if key.ends_with("_min") || key.ends_with("_max") => {
                        return Err(QueryError::RangeKey(key.to_owned()));
                    }
                    None => filters.push(Filter::Property(key.to_owned(), value.to_owned())),
                },
            }
        }
        Ok(Self { limit, marker, visibility, member_status, hidden, tags, filters, sort })
    }
}

fn number_filter(key: &str) -> Option<(Number, Bound)> {
    let (base, bound) = if let Some(b) = key.strip_suffix("_min") {
        (b, Bound::Min)
    } else if let Some(b) = key.strip_suffix("_max") {
        (b, Bound::Max)
    } else {
        (key, Bound::Eq)
    };
    let attr = match base {
        "size" => Number::Size,
        "virtual_size" => Number::VirtualSize,
        "min_ram" => Number::MinRam,
        "min_disk" => Number::MinDisk,
        _ => return None,
    };
    Some((attr, bound))
}

fn parse_sort(sort: Option<&str>, keys: &[&str], dirs: &[&str]) -> Parsed<Vec<(SortKey, bool)>> {
    let key = |k: &str| -> Parsed<SortKey> {
        Ok(match k {
            "name" => SortKey::Name,
            "status" => SortKey::Status,
            "container_format" => SortKey::ContainerFormat,
            "disk_format" => SortKey::DiskFormat,
            "size" => SortKey::Size,
            "id" => SortKey::Id,
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            _ => return Err(QueryError::SortKey(k.to_owned())),
        })
    };
    let dir = |d: &str| -> Parsed<bool> {
        match d {
            "asc" => Ok(true),
            "desc" => Ok(false),
            _ => Err(QueryError::SortDir(d.to_owned())),
        }
    };
    let (mut out, given): (Vec<(SortKey, bool)>, Vec<bool>) = match sort {
        Some(_) if !keys.is_empty() || !dirs.is_empty() => {
            return Err(QueryError::SortSyntaxes);
        }
        Some(s) => {
            let mut out = Vec::new();
            let mut given = Vec::new();
            for item in s.split(',') {
                let (k, d) = match item.split_once(':') {
                    Some((k, d)) => (k.trim(), dir(d.trim())?),
                    None => (item.trim(), false),
                };
                out.push((key(k)?, d));
                given.push(d);
            }
            (out, given)
        }
        None => {
            if dirs.len() > 1 && dirs.len() != keys.len() {
                return Err(QueryError::SortDirCount);
            }
            let dirs = dirs.iter().map(|d| dir(d)).collect::<Parsed<Vec<bool>>>()?;
            let mut out = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                let d = match dirs.len() {
                    0 => false,
                    1 => dirs[0],
                    _ => dirs[i],
                };
                out.push((key(k)?, d));
            }
            (out, dirs)
        }
    };
    let tie = if given.len() == 1 { given[0] } else { false };
    for k in [SortKey::CreatedAt, SortKey::Id] {
        if !out.iter().any(|(x, _)| *x == k) {
            out.push((k, tie));
        }
    }
    Ok(out)
}

/// `in:a,"b,c"` → [a, "b,c"]; `eq:x` → [x]; a plain value → itself; any other operator → 400.
fn parse_in(value: &str) -> Parsed<Vec<String>> {
    let Some((op, rest)) = value.split_once(':') else { return Ok(vec![value.to_owned()]) };
    match op {
        "eq" => Ok(vec![rest.to_owned()]),
        "in" => split_quoted(rest),
        _ => Err(QueryError::Operator(op.to_owned())),
    }
}

fn split_quoted(list: &str) -> Parsed<Vec<String>> {
    let chars: Vec<char> = list.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let mut item = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(QueryError::QuoteNotClosed),
                    Some('\\') if chars.get(i + 1) == Some(&'"') => {
                        item.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        item.push(*c);
                        i += 1;
                    }
                }
            }
            if !matches!(chars.get(i), None | Some(',')) {
                return Err(QueryError::NoCommaAfterQuote);
            }
        } else {
            while let Some(c) = chars.get(i) {
                if *c == ',' {
                    break;
                }
                if *c == '"' {
                    return Err(QueryError::NoCommaBeforeQuote);
                }
                item.push(*c);
                i += 1;
            }
        }
        out.push(item);
        if chars.get(i) == Some(&',') {
            i += 1;
        } else {
            return Ok(out);
        }
    }
}

fn parse_time(key: &str, value: &str) -> Parsed<(TimeOp, OffsetDateTime)> {
    let malformed = || QueryError::TimeFormat(key.to_owned());
    if let Some(at) = parse_timestamp(value) {
        return Ok((TimeOp::Eq, at));
    }
    let (op, rest) = value.split_once(':').ok_or_else(malformed)?;
    let op = match op {
        "gt" => TimeOp::Gt,
        "gte" => TimeOp::Gte,
        "eq" => TimeOp::Eq,
        "neq" => TimeOp::Neq,
        "lt" => TimeOp::Lt,
        "lte" => TimeOp::Lte,
        _ => return Err(QueryError::TimeOperator),
    };
    Ok((op, parse_timestamp(rest).ok_or_else(malformed)?))
}

/// ISO 8601 as oslo's `parse_isotime` reads it: with or without a zone (UTC when absent),
/// fractional seconds, or a bare date.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    use time::macros::format_description;
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.to_offset(time::UtcOffset::UTC));
    }
    let naive = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    if let Some(t) = naive.iter().find_map(|f| PrimitiveDateTime::parse(s, f).ok()) {
        return Some(t.assume_utc());
    }
    time::Date::parse(s, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}
