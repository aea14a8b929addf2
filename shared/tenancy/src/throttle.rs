//! Rates per account on expensive work (job submissions, imports): a fixed window
//! counter per account (`igny8_store` attempt counters); past the limit, 429 with
//! `Retry-After` until the window ends.

use http::StatusCode;
use igny8_http::{ApiError, ApiResult};
use igny8_store::Store;

use crate::Tenant;

/// A 429 `THROTTLED` asking to wait `wait` seconds.
pub fn too_many(wait: i64, what: &str) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "THROTTLED",
        format!("Too many {what}; try again in {wait} seconds."),
    );
    error.retry_after_secs = Some(wait.max(1) as u64);
    error
}

/// Counts one `what` for the caller's account; 429 past `per_minute` in the minute.
pub async fn per_account(store: &Store, tenant: &Tenant, what: &str, per_minute: u32) -> ApiResult<()> {
    const WINDOW: i64 = 60;
    let now = chrono::Utc::now().timestamp();
    let attempts = store.count_attempt(what, tenant.account_id(), WINDOW, now).await?;
    if attempts.count > per_minute {
        let wait = WINDOW - now.rem_euclid(WINDOW);
        return Err(too_many(wait, &format!("{what} for this account (at most {per_minute} a minute)")));
    }
    Ok(())
}
