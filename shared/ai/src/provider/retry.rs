//! Timeouts, retries and the meaning of HTTP answers, shared by the network providers.
//!
//! Every attempt has its own timeout; 429, 5xx, timeouts and transport errors are tried
//! again with exponential backoff and jitter, and a `Retry-After` from the provider
//! replaces the computed wait. No wait is longer than `CallPolicy::max_backoff`, so a
//! provider asking for an hour cannot park a Lambda invocation.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{CallPolicy, ProviderError};

/// Runs `attempt` until it succeeds, fails with an error that is not retryable, or the
/// retries of `policy` are used up; then answers the last error.
pub async fn with_retries<T, F, Fut>(policy: &CallPolicy, mut attempt: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let CallPolicy { timeout, retries, backoff, max_backoff } = *policy;
    // backon's jitter adds up to one more delay on top of the computed one, which can pass
    // max_delay; `wait_before_retry` caps the final figure.
    let schedule = ExponentialBuilder::default()
        .with_min_delay(backoff)
        .with_max_delay(max_backoff)
        .with_factor(2.0)
        .with_max_times(retries as usize)
        .with_jitter();
    let timed = || {
        let call = attempt();
        async move {
            tokio::time::timeout(timeout, call).await.unwrap_or_else(|_elapsed| Err(ProviderError::Timeout(timeout)))
        }
    };
    timed
        .retry(schedule)
        .when(ProviderError::is_retryable)
        // `next` is None once the retries are used up: keep it None, whatever the error says.
        .adjust(move |error, next| next.map(|wait| wait_before_retry(error, wait, max_backoff)))
        .notify(|error, wait| tracing::warn!(%error, ?wait, "provider call failed, trying again"))
        .await
}

fn wait_before_retry(error: &ProviderError, backoff: Duration, max_backoff: Duration) -> Duration {
    let wait = match error {
        ProviderError::RateLimited { retry_after: Some(after) } => *after,
        _ => backoff,
    };
    wait.min(max_backoff)
}

pub use igny8_http::retry_after;

/// What a non-2xx answer means: 429 is rate limiting, 5xx a provider fault (both retried),
/// anything else a refusal of this request, which trying again would not change.
pub fn error_for_status(status: u16, headers: &HeaderMap, body: &str) -> ProviderError {
    match status {
        429 => ProviderError::RateLimited { retry_after: retry_after(headers) },
        500..=599 => ProviderError::Server { status, message: error_message(body) },
        _ => ProviderError::Refused { status, message: error_message(body) },
    }
}

/// The provider's own words from an error body: OpenAI's `{"error":{"message":..}}`,
/// Runware's `{"errors":[{"message":..}]}` or a bare `{"error":".."}`. Any other body is
/// not repeated: the base URL is the customer's, and echoing what answered there would
/// let it read whatever a private address serves.
pub(crate) fn error_message(body: &str) -> String {
    let json = serde_json::from_str::<Value>(body).ok();
    let said = json.as_ref().and_then(|v| {
        v.pointer("/error/message").or_else(|| v.pointer("/errors/0/message")).or_else(|| v.get("error"))
    });
    if let Some(message) = said.and_then(Value::as_str).map(str::trim).filter(|m| !m.is_empty()) {
        // OpenAI names the offending parameter in `param`; keep it where the message
        // does not say it (the client adapts to such refusals by the name).
        return match json.as_ref().and_then(|v| v.pointer("/error/param")).and_then(Value::as_str) {
            Some(param) if !message.contains(param) => format!("{message} (parameter {param})"),
            _ => message.to_string(),
        };
    }
    let body = body.trim();
    if body.is_empty() {
        "the provider gave no reason".to_string()
    } else {
        format!("the answer is not the provider's error format ({} bytes, not shown)", body.len())
    }
}

/// Largest answer read from a provider: a generated image in base64 is a few MB.
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Sends one request and reads the answer up to [`MAX_ANSWER_BYTES`]: the body of a 2xx,
/// else the error its status means.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<String, ProviderError> {
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ProviderError::Malformed(format!("the answer is larger than {MAX_ANSWER_BYTES} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    let body = String::from_utf8_lossy(&bytes).into_owned();
    if status.is_success() { Ok(body) } else { Err(error_for_status(status.as_u16(), &headers, &body)) }
}

/// A request that got no answer, with its causes (refused, reset, DNS, the address guard).
fn transport(error: reqwest::Error) -> ProviderError {
    ProviderError::Transport(igny8_outbound::describe(&error))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use reqwest::header::{HeaderValue, RETRY_AFTER};
    use tokio::time::Instant;

    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(&headers("0")), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&headers("1.5")), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")), Some(Duration::ZERO));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).format("%a, %d %b %Y %H:%M:%S GMT");
        let wait = retry_after(&headers(&soon.to_string())).unwrap();
        assert!(wait > Duration::from_secs(27) && wait <= Duration::from_secs(30), "{wait:?}");
        for bad in ["-1", "soon", "NaN", "inf", ""] {
            assert_eq!(retry_after(&headers(bad)), None, "{bad:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn statuses_map_to_errors_with_the_providers_message() {
        assert_eq!(
            error_for_status(429, &headers("3"), "slow down"),
            ProviderError::RateLimited { retry_after: Some(Duration::from_secs(3)) }
        );
        assert_eq!(error_for_status(429, &HeaderMap::new(), ""), ProviderError::RateLimited { retry_after: None });
        let openai = r#"{"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error"}}"#;
        assert_eq!(
            error_for_status(404, &HeaderMap::new(), openai),
            ProviderError::Refused { status: 404, message: "The model `gpt-9` does not exist".into() }
        );
        assert_eq!(
            error_for_status(503, &HeaderMap::new(), r#"{"error":{"message":"overloaded"}}"#),
            ProviderError::Server { status: 503, message: "overloaded".into() }
        );
        let runware = r#"{"errors":[{"code":"invalidApiKey","message":"Invalid API key"}]}"#;
        assert_eq!(
            error_for_status(401, &HeaderMap::new(), runware),
            ProviderError::Refused { status: 401, message: "Invalid API key".into() }
        );
        let html = format!("<html>{}</html>", "é".repeat(300));
        let ProviderError::Server { status: 502, message } = error_for_status(502, &HeaderMap::new(), &html) else {
            panic!("502 is a server error");
        };
        assert!(!message.contains("<html>") && message.contains("not shown"), "never echoed: {message}");
        assert_eq!(
            error_for_status(400, &HeaderMap::new(), "  "),
            ProviderError::Refused { status: 400, message: "the provider gave no reason".into() }
        );
    }

    fn policy(retries: u32) -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_secs(10),
            retries,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        }
    }

    /// Runs `with_retries` over a scripted list of outcomes, recording when each attempt
    /// started (on tokio's paused clock, so waits are exact and cost no real time).
    async fn run(
        policy: CallPolicy,
        script: Vec<Result<u32, ProviderError>>,
    ) -> (Result<u32, ProviderError>, Vec<Duration>) {
        let start = Instant::now();
        let starts = Mutex::new(Vec::new());
        let script = Mutex::new(script.into_iter());
        let result = with_retries(&policy, || {
            starts.lock().unwrap().push(start.elapsed());
            let next = script.lock().unwrap().next().expect("more attempts than scripted");
            async move { next }
        })
        .await;
        (result, starts.into_inner().unwrap())
    }

    fn server() -> ProviderError {
        ProviderError::Server { status: 500, message: "boom".into() }
    }

    #[tokio::test(start_paused = true)]
    async fn not_retryable_errors_are_answered_at_once() {
        let refused = ProviderError::Refused { status: 400, message: "bad".into() };
        let (result, starts) = run(policy(3), vec![Err(refused.clone())]).await;
        assert_eq!((result, starts.len()), (Err(refused), 1));
        let (result, starts) = run(policy(3), vec![Ok(7)]).await;
        assert_eq!((result, starts.len()), (Ok(7), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_with_jitter_and_is_capped() {
        let (result, starts) =
            run(policy(4), vec![Err(server()), Err(server()), Err(server()), Err(server()), Err(server())]).await;
        assert_eq!(result, Err(server()));
        assert_eq!(starts.len(), 5);
        let waits: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        let ms = Duration::from_millis;
        for (wait, (low, high)) in waits.iter().zip([(100, 200), (200, 400), (400, 800), (800, 1000)]) {
            assert!(*wait >= ms(low) && *wait <= ms(high), "{waits:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_replaces_the_backoff_but_not_the_cap() {
        let limited = |secs| Err(ProviderError::RateLimited { retry_after: Some(Duration::from_millis(secs)) });
        let (result, starts) = run(policy(3), vec![limited(50), limited(3_600_000), Ok(1)]).await;
        assert_eq!(result, Ok(1));
        assert_eq!(starts, [Duration::ZERO, Duration::from_millis(50), Duration::from_millis(1050)]);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_retries_means_one_attempt() {
        let (result, starts) = run(policy(0), vec![Err(server())]).await;
        assert_eq!((result, starts.len()), (Err(server()), 1));
    }

    #[tokio::test(start_paused = true)]
    async fn each_attempt_has_its_own_timeout() {
        let policy = CallPolicy { timeout: Duration::from_secs(2), ..policy(2) };
        let start = Instant::now();
        let calls = Mutex::new(0);
        let result: Result<(), _> = with_retries(&policy, || {
            *calls.lock().unwrap() += 1;
            std::future::pending()
        })
        .await;
        assert_eq!(result, Err(ProviderError::Timeout(Duration::from_secs(2))));
        assert_eq!(*calls.lock().unwrap(), 3);
        assert!(start.elapsed() >= Duration::from_secs(6) && start.elapsed() < Duration::from_secs(7));
    }
}
