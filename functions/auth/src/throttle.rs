//! Throttling of sign-ins and registrations (`docs/product.md §3`: 429 with `Retry-After`).
//!
//! Sign-in attempts are counted — before the password is checked, atomically — per email
//! and address together, per address, and per email, in 15-minute windows (the window
//! before counts too); a successful sign-in takes its attempt back, so what remains are
//! failures. The first few cost nothing; after that each failure doubles the wait before
//! the next attempt (1 s, 2 s, 4 s … at most 15 minutes) — a growing delay, not a
//! lockout, and keyed on the pair first, so an attacker elsewhere does not slow the user
//! down. The wait applies to right and wrong passwords alike (else the answer would tell
//! which is right). Registrations are limited per client address per hour.

use axum::extract::FromRequestParts;
use chrono::Utc;
use http::request::Parts;
use igny8_http::ApiResult;
use igny8_store::{Attempts, Store};
use igny8_tenancy::throttle::too_many;

const LOGIN_WINDOW_SECS: i64 = 15 * 60;
const FREE_FAILURES_PER_PAIR: u32 = 5;
const FREE_FAILURES_PER_ADDRESS: u32 = 20;
const FREE_FAILURES_PER_EMAIL: u32 = 50;
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

/// The counters a sign-in is held to: the email from this address (the strict one, so an
/// attacker elsewhere cannot slow the user down), the address, and the email from
/// anywhere (a looser cap on guessing spread over many addresses).
fn buckets(email: &str, address: &str) -> [(&'static str, String, u32); 3] {
    let email = email.trim().to_lowercase();
    [
        ("signin-pair", format!("{email}|{address}"), FREE_FAILURES_PER_PAIR),
        ("signin-ip", address.to_owned(), FREE_FAILURES_PER_ADDRESS),
        ("signin-email", email, FREE_FAILURES_PER_EMAIL),
    ]
}

/// Counts a sign-in attempt before the password is checked: 429 while a counter must
/// still wait after earlier failures, or when attempts made at the same moment would
/// together pass the free ones (each is counted atomically, so a burst cannot all read
/// the same low count). A successful sign-in takes its attempt back ([`signed_in`]).
pub async fn begin_sign_in(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    for (scope, subject, free) in buckets(email, address) {
        let current = store.attempts(scope, &subject, LOGIN_WINDOW_SECS, now).await?;
        let before = store.attempts(scope, &subject, LOGIN_WINDOW_SECS, now - LOGIN_WINDOW_SECS).await?;
        let recent = Attempts { count: current.count + before.count, last_at: current.last_at.max(before.last_at) };
        let ready_at = recent.last_at + delay(recent, free);
        if now < ready_at {
            return Err(too_many(ready_at - now, "failed sign-ins"));
        }
        let counted = store.count_attempt(scope, &subject, LOGIN_WINDOW_SECS, now).await?;
        let raced = counted.count > current.count + 1;
        let total = Attempts { count: counted.count + before.count, last_at: now };
        if raced && total.count > free {
            return Err(too_many(delay(total, free), "sign-in attempts at once"));
        }
    }
    Ok(())
}

/// After a sign-in that succeeded: the pair starts afresh (whoever is there knows the
/// password), the address and the email take this attempt back.
pub async fn signed_in(store: &Store, email: &str, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    for (scope, subject, _) in buckets(email, address) {
        let done = if scope == "signin-pair" {
            store.reset_attempts(scope, &subject, LOGIN_WINDOW_SECS, now).await
        } else {
            store.uncount_attempt(scope, &subject, LOGIN_WINDOW_SECS, now).await
        };
        done?;
    }
    Ok(())
}

/// Counts a registration from the address; 429 past the hourly limit.
pub async fn registration(store: &Store, address: &str) -> ApiResult<()> {
    let now = Utc::now().timestamp();
    let attempts = store.count_attempt("register-ip", address, REGISTRATION_WINDOW_SECS, now).await?;
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
