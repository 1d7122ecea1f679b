//! SWR list queries: the `key::value|key::value` filter syntax, offset/limit paging with the
//! `Content-Range` it reports, and sort order. The filter wins over separate parameters.

use super::SwrStoreError;

/// The `filter` parameter as pairs, checked against the keys one operation allows.
pub fn parse_filter(
    filter: Option<&str>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, SwrStoreError> {
    let Some(filter) = filter else { return Ok(Vec::new()) };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in filter.split('|') {
        let Some((key, value)) = part.split_once("::") else {
            return Err(SwrStoreError::InvalidParameter(format!(
                "filter part `{part}` is not of the form key::value"
            )));
        };
        if !allowed.contains(&key) {
            return Err(SwrStoreError::InvalidParameter(format!(
                "unknown filter key `{key}`; allowed: {}",
                allowed.join(", ")
            )));
        }
        if pairs.iter().any(|(k, _)| k == key) {
            return Err(SwrStoreError::InvalidParameter(format!(
                "filter key `{key}` appears twice"
            )));
        }
        pairs.push((key.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

/// The value of `key`: from the filter when it names the key, else the separate parameter.
pub fn pick<'a>(
    pairs: &'a [(String, String)],
    key: &str,
    separate: Option<&'a str>,
) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).or(separate)
}

/// Which part of a sorted list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    pub const DEFAULT_LIMIT: usize = 100;
    pub const MAX_LIMIT: usize = 1000;

    /// Reads `offset` and `limit` as the decimal strings the SDK sends.
    pub fn parse(offset: Option<&str>, limit: Option<&str>) -> Result<Self, SwrStoreError> {
        let offset = match offset {
            None => 0,
            Some(v) => decimal(v).ok_or_else(|| {
                SwrStoreError::InvalidParameter(format!("offset `{v}` is not 0 or more"))
            })?,
        };
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(v) => {
                decimal(v).filter(|n| (1..=Self::MAX_LIMIT).contains(n)).ok_or_else(|| {
                    SwrStoreError::InvalidParameter(format!("limit `{v}` is not 1 to 1000"))
                })?
            }
        };
        Ok(Self { offset, limit })
    }

    /// This page of `items` and the `Content-Range` value `{offset}-{count}/{total}`.
    pub fn apply<T>(&self, items: Vec<T>) -> (Vec<T>, String) {
        let total = items.len();
        let page: Vec<T> = items.into_iter().skip(self.offset).take(self.limit).collect();
        let range = format!("{}-{}/{}", self.offset, page.len(), total);
        (page, range)
    }
}

fn decimal(v: &str) -> Option<usize> {
    if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// Sort direction; `desc` unless told otherwise.
pub fn descending(order: Option<&str>) -> Result<bool, SwrStoreError> {
    match order {
        None | Some("desc") => Ok(true),
        Some("asc") => Ok(false),
        Some(other) => {
            Err(SwrStoreError::InvalidParameter(format!("order `{other}` is neither asc nor desc")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_refuse_what_they_should() {
        let pairs =
            parse_filter(Some("limit::10|offset::0|order::asc"), &["limit", "offset", "order"])
                .expect("valid");
        assert_eq!(pick(&pairs, "limit", Some("99")), Some("10"));
        assert_eq!(pick(&pairs, "tag", Some("v1")), Some("v1"), "keys the filter lacks");
        assert_eq!(pick(&[], "tag", Some("v1")), Some("v1"));
        for bad in ["limit=10", "limit::1|nope::2", "limit::1|limit::2", ""] {
            assert!(parse_filter(Some(bad), &["limit"]).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_report_their_range() {
        let page = Page::parse(Some("1"), Some("2")).expect("valid");
        assert_eq!(page.apply(vec![1, 2, 3, 4]), (vec![2, 3], "1-2/4".to_owned()));
        assert_eq!(Page::parse(None, None).expect("defaults").apply(vec![1]).1, "0-1/1");
        assert_eq!(Page::parse(Some("9"), None).expect("valid").apply(vec![1]).1, "9-0/1");
        for (offset, limit) in
            [(Some("-1"), None), (None, Some("0")), (None, Some("1001")), (Some("x"), None)]
        {
            assert!(Page::parse(offset, limit).is_err(), "{offset:?} {limit:?}");
        }
    }
}
