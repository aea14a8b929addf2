//! Helpers for list endpoints that filter and sort a scope in memory: the `ordering`
//! parameter and text search.

use std::cmp::Ordering as CmpOrdering;

use crate::error::ApiError;

/// `ordering=volume` or `ordering=-volume` (descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    pub field: &'static str,
    pub descending: bool,
}

impl Ordering {
    /// Parses `value` against the fields a list can be ordered by.
    pub fn parse(value: Option<&str>, allowed: &[&'static str], default: &str) -> Result<Self, ApiError> {
        let raw = value.map(str::trim).filter(|v| !v.is_empty()).unwrap_or(default);
        let (name, descending) = match raw.strip_prefix('-') {
            Some(name) => (name, true),
            None => (raw, false),
        };
        match allowed.iter().find(|field| **field == name) {
            Some(field) => Ok(Self { field, descending }),
            None => Err(ApiError::field(
                "ordering",
                format!("Unknown ordering {raw:?}; use one of {} (prefix - for descending).", allowed.join(", ")),
            )),
        }
    }

    /// Sorts `items` by this ordering: `compare` gives the ascending order of two items
    /// for a field name, `tiebreak` a unique key (the id) that makes the order total, so
    /// pages never overlap or skip.
    pub fn sort<T>(
        &self,
        items: &mut [T],
        compare: impl Fn(&T, &T, &str) -> CmpOrdering,
        tiebreak: impl Fn(&T) -> &str,
    ) {
        items.sort_by(|a, b| self.apply(compare(a, b, self.field).then_with(|| tiebreak(a).cmp(tiebreak(b)))));
    }

    /// Applies the direction to an ascending comparison.
    pub fn apply(&self, ascending: CmpOrdering) -> CmpOrdering {
        if self.descending { ascending.reverse() } else { ascending }
    }
}

/// Case-insensitive substring match; an empty or absent needle matches everything.
pub fn matches_search(haystack: &str, needle: Option<&str>) -> bool {
    match needle.map(str::trim).filter(|n| !n.is_empty()) {
        None => true,
        Some(needle) => haystack.to_lowercase().contains(&needle.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_accepts_known_fields_in_both_directions() {
        let o = Ordering::parse(Some("-volume"), &["keyword", "volume"], "keyword").unwrap();
        assert_eq!((o.field, o.descending), ("volume", true));
        assert_eq!(Ordering::parse(None, &["keyword"], "keyword").unwrap().field, "keyword");
        assert!(Ordering::parse(Some("password"), &["keyword"], "keyword").is_err());
        assert_eq!(o.apply(CmpOrdering::Less), CmpOrdering::Greater);
    }

    #[test]
    fn search_ignores_case() {
        assert!(matches_search("Best Running Shoes", Some("running")));
        assert!(!matches_search("Best Running Shoes", Some("boots")));
        assert!(matches_search("x", Some("  ")));
    }
}
