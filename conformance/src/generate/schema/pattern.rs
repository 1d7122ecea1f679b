//! JSON Schema `pattern`s (ECMA-262 regexes, unanchored search) rewritten into regexes that
//! proptest's `string_regex` can generate from: outer anchors dropped (a full match of the rest
//! is always a valid instance), unbounded repetition capped, and the ECMA shorthands narrowed to
//! ASCII so that generated strings mean the same in every regex dialect.
//!
//! The rewrite only has to produce *some* matching strings: every generated value is checked
//! against the schema by `jsonschema` before it is sent, so a rewrite that is too narrow costs
//! variety, never correctness. Patterns with lookaround, backreferences, word boundaries or
//! inner anchors are not rewritten (`None`); the caller falls back to plain strings filtered
//! by the pattern.

/// `pattern` in a form `proptest::string::string_regex` accepts, with `*`, `+` and `{n,}`
/// repeating at most `cap` extra times (and, with `short`, `{n,m}` too); `None` when the
/// pattern uses a construct we do not rewrite.
pub(crate) fn for_generation(pattern: &str, cap: u32, short: bool) -> Option<String> {
    let mut body = pattern.strip_prefix('^').unwrap_or(pattern);
    if body.ends_with('$') && !escaped_at(body, body.len() - 1) {
        body = &body[..body.len() - 1];
    }
    let chars: Vec<char> = body.chars().collect();
    let mut out = String::with_capacity(body.len() + 16);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let next = *chars.get(i + 1)?;
                i += 2;
                match (next, in_class) {
                    ('d', false) => out.push_str("[0-9]"),
                    ('D', false) => out.push_str("[^0-9]"),
                    ('w', false) => out.push_str("[A-Za-z0-9_]"),
                    ('W', false) => out.push_str("[^A-Za-z0-9_]"),
                    ('s', false) => out.push_str(r"[ \t\n\x0B\x0C\r]"),
                    ('S', false) => out.push_str("[!-~]"),
                    ('d', true) => out.push_str("0-9"),
                    ('w', true) => out.push_str("A-Za-z0-9_"),
                    ('s', true) => out.push_str(r" \t\n\x0B\x0C\r"),
                    ('D' | 'W' | 'S', true) => return None,
                    ('b' | 'B', false) => return None,
                    ('1'..='9', _) | ('k', _) => return None,
                    ('u', _) => {
                        let hex: String = chars.get(i..i + 4)?.iter().collect();
                        if !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return None;
                        }
                        i += 4;
                        out.push_str(&format!("\\x{{{hex}}}"));
                    }
                    (other, _) => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is a literal in Rust's syntax but
                // an empty class in ECMA's; neither occurs in a sane pattern.
                if chars.get(i + 1) == Some(&']')
                    || (chars.get(i + 1) == Some(&'^') && chars.get(i + 2) == Some(&']'))
                {
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '[' if in_class => out.push_str(r"\["),
            _ if in_class => out.push(c),
            '.' => out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
            '^' | '$' => return None,
            '(' => {
                let rest: String = chars[i + 1..].iter().take(3).collect();
                if rest.starts_with("?=")
                    || rest.starts_with("?!")
                    || rest.starts_with("?<=")
                    || rest.starts_with("?<!")
                {
                    return None;
                }
                out.push('(');
            }
            '*' => {
                out.push_str(&format!("{{0,{cap}}}"));
                i += lazy_suffix(&chars, i + 1);
            }
            '+' => {
                out.push_str(&format!("{{1,{cap}}}"));
                i += lazy_suffix(&chars, i + 1);
            }
            '{' => {
                let close = chars[i..].iter().position(|&x| x == '}').map(|p| i + p)?;
                let inner: String = chars[i + 1..close].iter().collect();
                match inner.split_once(',') {
                    Some((lo, "")) => {
                        let lo: u32 = lo.trim().parse().ok()?;
                        out.push_str(&format!("{{{lo},{}}}", lo + cap));
                    }
                    Some((lo, hi)) => {
                        let (lo, hi): (u32, u32) =
                            (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
                        let hi = if short { hi.min(lo + cap) } else { hi };
                        out.push_str(&format!("{{{lo},{hi}}}"));
                    }
                    None => {
                        let n: u32 = inner.trim().parse().ok()?;
                        out.push_str(&format!("{{{n}}}"));
                    }
                }
                i = close + 1;
                i += lazy_suffix(&chars, i);
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    (!in_class).then_some(out)
}

/// 1 when a lazy-quantifier `?` follows (dropped: laziness does not change what matches).
fn lazy_suffix(chars: &[char], at: usize) -> usize {
    usize::from(chars.get(at) == Some(&'?'))
}

/// Whether the byte at `at` is preceded by an odd number of backslashes.
fn escaped_at(s: &str, at: usize) -> bool {
    s.as_bytes()[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_go_and_repetition_is_capped() {
        assert_eq!(
            for_generation("^[a-z](?:[a-z0-9-]{0,126}[a-z0-9])?$", 8, false).as_deref(),
            Some("[a-z](?:[a-z0-9-]{0,126}[a-z0-9])?")
        );
        assert_eq!(for_generation(r"^\S+$", 8, false).as_deref(), Some("[!-~]{1,8}"));
        assert_eq!(for_generation("^a*b{2,}$", 4, false).as_deref(), Some("a{0,4}b{2,6}"));
        assert_eq!(for_generation("^/", 8, false).as_deref(), Some("/"));
        assert_eq!(for_generation("^a{0,126}$", 8, true).as_deref(), Some("a{0,8}"));
        assert_eq!(for_generation(r"^a\$$", 8, false).as_deref(), Some(r"a\$"));
        assert_eq!(for_generation(r"^[\d.]+$", 2, false).as_deref(), Some("[0-9.]{1,2}"));
    }

    #[test]
    fn unsupported_constructs_are_refused() {
        for p in [r"^(?=a)b$", r"\bword", r"(a)\1", "a^b", r"[\S]"] {
            assert_eq!(for_generation(p, 8, false), None, "{p}");
        }
    }

    #[test]
    fn every_rewrite_of_our_specs_compiles() {
        for p in [
            r#"^("([^"]|""){1,255}"|[a-zA-Z_][a-zA-Z0-9_$]{0,254})$"#,
            "^((gt|gte|eq|neq|lt|lte):)?[0-9]{4}-[0-9]{2}-[0-9]{2}.*$",
            "^[a-z][a-z0-9]*(?:(?:[._]|__|-+)[a-z0-9]+)*$",
            "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$",
        ] {
            let rewritten = for_generation(p, 8, false).expect(p);
            assert!(proptest::string::string_regex(&rewritten).is_ok(), "{p} → {rewritten}");
        }
    }
}
