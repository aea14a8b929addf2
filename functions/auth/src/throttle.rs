//! Throttling of sign-ins and registrations (SPEC §3: 429 with `Retry-After`).
//!
//! Failed sign-ins are counted per email and per client address in 15-minute windows.
//! The first few cost nothing; after that each failure doubles the wait before the next
//! attempt (1 s, 2 s, 4 s … at most 15 minutes) — a growing delay, not a lockout, so an
//! attacker cannot lock a user out for good, and a guesser gets a handful of tries an
//! hour. The wait applies to right and wrong passwords alike (else the answer would tell
//! which is right). Registrations are limited per client address per hour.

use axum::extract::FromRequestParts;
use chrono::Utc;
use http::request::Parts;
use igny8_http::{ApiError, ApiResult};
use igny8_store::{Attempts, Store};
use igny8_tenancy::throttle::too_many;

const LOGIN_WINDOW_SECS: i64 = 15 * 60;
const FREE_FAILURES_PER_EMAIL: u32 = 5;
const FREE_FAILURES_PER_ADDRESS: u32 = 20;
const MAX_DELAY_SECS: i64 = 15 * 60;
const REGISTRATION_WINDOW_SECS: i64 = 60 * 60;
pub const REGISTRATIONS_PER_ADDRESS: u32 = 30;

/// The caller's address: API Gateway's source IP in Lambda, else the first
/// `X-Forwarded-For` entry, else `local` (the local gateway).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        let from_gateway = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
            _ => None,
        };
        let forwarded = || {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_owned())
        };
        Ok(ClientAddress(from_gateway.or_else(forwarded).filter(|a| !a.is_empty()).unwrap_or_else(|| "local".into())))
    }
}

/// Seconds to wait after `attempts` failures, `free` of which cost nothing.
fn delay(attempts: Attempts, free: u32) -> i64 {
    if attempts.count < free {
        return 0;
    }
    let doublings = (attempts.count - free).min(20);
    (1i64 << doublings).min(MAX_DELAY_SECS)
}

/// 429 while the email or the address must still wait after earlier failures.
pub async fn check_sign_in(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    let email = email.trim().to_lowercase();
    let by_email = recent(store, "signin-email", &email, now).await?;
    let by_address = recent(store, "signin-ip", address, now).await?;
    let ready_at = [(by_email, FREE_FAILURES_PER_EMAIL), (by_address, FREE_FAILURES_PER_ADDRESS)]
        .into_iter()
        .map(|(attempts, free)| attempts.last_at + delay(attempts, free))
        .max()
        .unwrap_or(0);
    if now < ready_at { Err(too_many(ready_at - now, "failed sign-ins")) } else { Ok(()) }
}

/// Failures of this window and the one before: a new window does not wipe the slate
/// (a guesser timing attempts to the window's edge gains nothing).
async fn recent(store: &Store, scope: &str, subject: &str, now: i64) -> ApiResult<Attempts> {
    let current = store.attempts(scope, subject, LOGIN_WINDOW_SECS, now).await.map_err(ApiError::internal)?;
    let before =
        store.attempts(scope, subject, LOGIN_WINDOW_SECS, now - LOGIN_WINDOW_SECS).await.map_err(ApiError::internal)?;
    Ok(Attempts { count: current.count + before.count, last_at: current.last_at.max(before.last_at) })
}

/// Counts a failed sign-in for the email and the address.
pub async fn failed_sign_in(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    let email = email.trim().to_lowercase();
    store.count_attempt("signin-email", &email, LOGIN_WINDOW_SECS, now).await.map_err(ApiError::internal)?;
    store.count_attempt("signin-ip", address, LOGIN_WINDOW_SECS, now).await.map_err(ApiError::internal)?;
    Ok(())
}

/// Counts a registration from the address; 429 past the hourly limit.
pub async fn registration(store: &Store, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    let attempts =
        store.count_attempt("register-ip", address, REGISTRATION_WINDOW_SECS, now).await.map_err(ApiError::internal)?;
    if attempts.count > REGISTRATIONS_PER_ADDRESS {
        let window_end = now - now.rem_euclid(REGISTRATION_WINDOW_SECS) + REGISTRATION_WINDOW_SECS;
        return Err(too_many(window_end - now, "registrations from this address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_and_is_capped() {
        let after = |count| delay(Attempts { count, last_at: 0 }, 5);
        assert_eq!((after(0), after(4), after(5), after(6), after(9)), (0, 0, 1, 2, 16));
        assert_eq!(after(40), MAX_DELAY_SECS);
    }
}
