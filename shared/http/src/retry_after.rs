//! `Retry-After` as the services we call send it (AI providers, WordPress): the wait it
//! asks for, in delay-seconds (integer or, leniently, decimal) or as an HTTP date; a date
//! in the past means now. None when absent or unreadable.

use std::time::Duration;

use http::HeaderMap;
use http::header::RETRY_AFTER;

pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        // Negative, NaN and infinite values are refused here rather than read as "now".
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}
