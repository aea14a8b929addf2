//! Validation rules the `validator` crate lacks, shared by every function's inputs.

use validator::ValidationError;

/// Rejects strings that are empty once trimmed.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        let mut error = ValidationError::new("blank");
        error.message = Some("This field may not be blank.".into());
        return Err(error);
    }
    Ok(())
}

/// A bare host name such as `example.com` (a scheme and path are accepted and dropped by
/// [`normalise_domain`]).
pub fn domain(value: &str) -> Result<(), ValidationError> {
    if normalise_domain(value).is_some() {
        return Ok(());
    }
    let mut error = ValidationError::new("domain");
    error.message = Some("Enter a domain such as example.com.".into());
    Err(error)
}

/// `https://Example.com/blog/` → `example.com`; `None` unless it is a plausible host.
pub fn normalise_domain(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    let host = without_scheme.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host).to_owned();
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    (host.contains('.') && host.len() <= 253 && labels_ok).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(normalise_domain("https://Example.com/blog/").as_deref(), Some("example.com"));
        assert_eq!(normalise_domain("shop.example.co.uk").as_deref(), Some("shop.example.co.uk"));
        assert!(normalise_domain("localhost").is_none());
        assert!(normalise_domain("exa mple.com").is_none());
        assert!(normalise_domain("-bad.com").is_none());
        assert!(not_blank("  ").is_err() && not_blank(" a ").is_ok());
    }
}

/// For PATCH fields that can be cleared: absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(v))`. Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// `"  best   running\tshoes "` → `"best running shoes"` (case kept).
pub fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each phrase with its spaces collapsed; empty ones dropped.
pub fn clean_phrases(phrases: Vec<String>) -> Vec<String> {
    phrases.iter().map(|p| collapse_spaces(p)).filter(|p| !p.is_empty()).collect()
}

/// `"10 Best Shoes (2026)!"` → `"10-best-shoes-2026"`: lower-case ASCII letters, digits
/// and single hyphens, as WordPress slugs are.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(200).collect()
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn text_helpers() {
        assert_eq!(collapse_spaces("  Best   Running\tShoes "), "Best Running Shoes");
        assert_eq!(clean_phrases(vec![" a  b ".into(), "  ".into()]), vec!["a b".to_owned()]);
        assert_eq!(slugify("10 Best Shoes (2026)!"), "10-best-shoes-2026");
        assert_eq!(slugify("  --Hello,   World--  "), "hello-world");
    }
}

/// Most characters of one phrase in a list (keywords of a task, secondary keywords …).
pub const MAX_PHRASE_CHARS: usize = 255;

/// Every phrase of a list is at most `MAX_PHRASE_CHARS` long.
pub fn phrases(values: &[String]) -> Result<(), ValidationError> {
    if values.iter().all(|v| v.chars().count() <= MAX_PHRASE_CHARS) {
        return Ok(());
    }
    let mut error = ValidationError::new("phrase_length");
    error.message = Some(format!("Each entry must be at most {MAX_PHRASE_CHARS} characters long.").into());
    Err(error)
}

/// At most 255 bytes once encoded: keyword texts become part of a key.
pub fn short_in_bytes(value: &str) -> Result<(), ValidationError> {
    if value.len() <= 255 {
        return Ok(());
    }
    let mut error = ValidationError::new("length");
    error.message = Some("Too long (at most 255 bytes; some characters take several).".into());
    Err(error)
}

/// Only http(s): such URLs end up in `<img src>` and links on the customer's site.
pub fn web_url(value: &str) -> Result<(), ValidationError> {
    if value.starts_with("https://") || value.starts_with("http://") {
        return Ok(());
    }
    let mut error = ValidationError::new("url");
    error.message = Some("Use an http or https URL.".into());
    Err(error)
}
