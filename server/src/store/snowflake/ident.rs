//! Snowflake identifiers as Snowflake resolves them, and the `like` pattern.
//!
//! An unquoted identifier (`[A-Za-z_][A-Za-z0-9_$]*`) is case-insensitive and stored upper-cased;
//! a double-quoted one keeps its case, with `""` standing for one quote, so `"ABC"` and `abc`
//! name the same object. Both forms are at most 255 characters long.

use super::{Result, SnowflakeError};

/// The longest identifier Snowflake accepts.
pub const MAX_LEN: usize = 255;

/// An identifier after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The stored name: upper-cased when unquoted, as written (quotes removed) when quoted.
    pub name: String,
    /// Whether it was written in double quotes.
    pub quoted: bool,
}

/// Resolves an identifier as written by a client (already percent-decoded).
pub fn resolve(raw: &str) -> Result<Ident> {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        if raw.len() >= 2 && !inner.is_empty() && valid_quoted(inner) {
            let name = inner.replace("\"\"", "\"");
            if name.chars().count() <= MAX_LEN {
                return Ok(Ident { name, quoted: true });
            }
        }
    } else if is_unquoted(raw) && raw.chars().count() <= MAX_LEN {
        return Ok(Ident { name: raw.to_ascii_uppercase(), quoted: false });
    }
    Err(SnowflakeError::InvalidIdentifier(raw.to_owned()))
}

/// How a stored name is shown: bare when it is a valid upper-case unquoted identifier,
/// double-quoted (quotes doubled) otherwise.
pub fn display(name: &str) -> String {
    if is_unquoted(name) && name.to_ascii_uppercase() == name {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Whether a stored name could be written without quotes.
pub fn needs_quotes(name: &str) -> bool {
    display(name).starts_with('"')
}

/// SQL `LIKE` over the whole name, case-insensitively: `%` any run, `_` one character, and a
/// backslash escapes `%`, `_` or itself. An empty pattern matches nothing.
pub fn like(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            '%' => Token::Any,
            '_' => Token::One,
            c => Token::Char(c),
        });
    }
    let name: Vec<char> = name.chars().collect();
    matches(&tokens, &name)
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Any,
    One,
    Char(char),
}

/// Dynamic programming over (tokens, characters): no backtracking blow-up on `%%%%`.
fn matches(tokens: &[Token], name: &[char]) -> bool {
    let mut row = vec![false; name.len() + 1];
    row[0] = true;
    for t in tokens {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = match t {
                Token::Any => row[j] || (j > 0 && next[j - 1]),
                Token::One => j > 0 && row[j - 1],
                Token::Char(c) => j > 0 && row[j - 1] && same(*c, name[j - 1]),
            };
        }
        row = next;
    }
    row[name.len()]
}

fn same(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

fn is_unquoted(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Inside quotes every `"` must be doubled.
fn valid_quoted(inner: &str) -> bool {
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' && chars.next() != Some('"') {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_resolve_as_snowflake_does() {
        let ok = |raw: &str, name: &str, quoted: bool| {
            assert_eq!(resolve(raw), Ok(Ident { name: name.into(), quoted }), "{raw}");
        };
        ok("repo1", "REPO1", false);
        ok("_a$b", "_A$B", false);
        ok("\"My Repo\"", "My Repo", true);
        ok("\"REPO\"", "REPO", true);
        ok("\"a\"\"b\"", "a\"b", true);
        for bad in ["", "1abc", "my-repo", "x y", "\"\"", "\"a\"b\"", "\"", &"a".repeat(256)] {
            assert!(resolve(bad).is_err(), "{bad}");
        }
        assert_eq!(display("REPO1"), "REPO1");
        assert_eq!(display("My Repo"), "\"My Repo\"");
        assert_eq!(display("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn like_is_a_whole_name_case_insensitive_sql_pattern() {
        for (pattern, name, expected) in [
            ("TEst_Ir_%", "TEST_IR_1", true),
            ("TEst_Ir_3%", "TEST_IR_1", false),
            ("rep%", "REPO1", true),
            ("%po%", "REPO1", true),
            ("repo", "REPO1", false),
            ("repo_", "REPO1", true),
            ("repo\\_", "REPO1", false),
            ("a\\%", "A%", true),
            ("%", "", true),
            ("", "REPO", false),
            ("%%%%%%%%%%%%%%%%%%%%b", &"a".repeat(200), false),
        ] {
            assert_eq!(like(pattern, name), expected, "{pattern} ~ {name}");
        }
    }
}
