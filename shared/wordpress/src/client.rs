//! One client for a customer's WordPress REST API, in either publishing mode: HTTP
//! Basic with an application password (core REST), or requests signed with the
//! bridge plugin's secret (`docs/wordpress-bridge.md`).
//!
//! Every attempt — retries included — is recorded as an [`Attempt`] for the sync log.
//! Timeouts, transport errors, 429 and 5xx are tried again with exponential backoff and
//! jitter (a `Retry-After` replaces the computed wait); 401, 403 and other 4xx fail at
//! once. Answers are read up to a bound, and redirects are reported, never followed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use igny8_http::retry_after;
use igny8_store::RestStyle;
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, Url};
use serde_json::Value;

use crate::signature;
use igny8_outbound::refused_reason;

/// Largest answer read from WordPress (a page of posts with content is well below).
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Timeouts and retries of calls to WordPress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Per attempt (uploads included).
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// First backoff, doubled each retry (with jitter) unless `Retry-After` says otherwise.
    pub backoff: Duration,
    /// No single wait is longer.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
        }
    }
}

/// How requests authenticate.
#[derive(Clone)]
pub enum Credentials {
    Anonymous,
    AppPassword { username: String, password: String },
    Signed { secret: String },
}

/// Without secrets: clients end up in logs through the structs that hold them.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::AppPassword { username, .. } => write!(f, "AppPassword({username})"),
            Credentials::Signed { .. } => f.write_str("Signed"),
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WpError {
    #[error("{0}")]
    Blocked(String),
    #[error("WordPress could not be reached: {0}")]
    Unreachable(String),
    #[error("WordPress did not answer within {0:?}")]
    Timeout(Duration),
    #[error("WordPress answered {status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
        /// The id WordPress names in the error's data (`term_exists` carries `term_id`).
        existing_id: Option<u64>,
    },
    #[error("WordPress redirected ({status}) to {location}; use that address as the site URL")]
    Redirected { status: u16, location: String },
    #[error("WordPress's answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("WordPress's answer is not what was expected: {0}")]
    BadAnswer(String),
}

impl WpError {
    /// Whether trying again may help: the site was down, slow or overloaded.
    pub fn is_retryable(&self) -> bool {
        match self {
            WpError::Unreachable(_) | WpError::Timeout(_) => true,
            WpError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            WpError::Status { status, .. } | WpError::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// WordPress's error code (`rest_cannot_create` …), if it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            WpError::Status { code, .. } if !code.is_empty() => Some(code),
            _ => None,
        }
    }

    /// What a user should read: what happened and what to do about it.
    pub fn reason(&self) -> String {
        match self {
            WpError::Status { status: 401, message, .. } => format!(
                "WordPress refused the credentials (401: {message}). Check the username and application password \
                 (or connect the bridge plugin again)."
            ),
            WpError::Status { status: 403, message, .. } => format!(
                "The WordPress user may not do this (403: {message}). Give the user a role that can publish posts, \
                 upload files and manage categories (Editor or Administrator)."
            ),
            WpError::Status { status: 404, code, message, .. } if code == "rest_no_route" => format!(
                "WordPress does not offer this route (404: {message}). Is the REST API enabled, and for the bridge \
                 mode the IGNY8 Bridge plugin active?"
            ),
            other => other.to_string(),
        }
    }
}

/// One request as sent, for the sync log.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub action: String,
    pub method: String,
    pub route: String,
    pub status: Option<u16>,
    pub duration: Duration,
    pub error: Option<String>,
}

/// A 2xx answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// What a request carries.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    /// Raw bytes (a media upload) with their content type and extra headers.
    Bytes {
        bytes: Arc<Vec<u8>>,
        content_type: String,
        headers: Vec<(String, String)>,
    },
}

#[derive(Clone)]
pub struct WpClient {
    http: reqwest::Client,
    /// The site's address without a trailing slash.
    site_url: String,
    style: RestStyle,
    credentials: Credentials,
    policy: RetryPolicy,
    attempts: Arc<Mutex<Vec<Attempt>>>,
}

impl std::fmt::Debug for WpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WpClient").field("site_url", &self.site_url).field("credentials", &self.credentials).finish()
    }
}

impl WpClient {
    pub fn new(
        http: reqwest::Client,
        site_url: &str,
        style: RestStyle,
        credentials: Credentials,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            site_url: site_url.trim_end_matches('/').to_owned(),
            style,
            credentials,
            policy,
            attempts: Arc::default(),
        }
    }

    /// The same client making one attempt per call (for writes that are not idempotent:
    /// the caller looks for what a failed attempt may have made before trying again).
    pub fn single_attempt(&self) -> Self {
        Self { policy: RetryPolicy { retries: 0, ..self.policy }, ..self.clone() }
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// The same site with other credentials or style; attempts are recorded together.
    pub fn with(&self, style: RestStyle, credentials: Credentials) -> Self {
        Self { style, credentials, ..self.clone() }
    }

    pub fn site_url(&self) -> &str {
        &self.site_url
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn style(&self) -> RestStyle {
        self.style
    }

    /// Every attempt since the last call, oldest first.
    pub fn take_attempts(&self) -> Vec<Attempt> {
        std::mem::take(&mut *self.attempts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The URL of a REST route (`/wp/v2/posts`) with a query.
    pub fn route_url(&self, route: &str, query: &[(&str, String)]) -> Result<Url, WpError> {
        let text = match self.style {
            RestStyle::Pretty => format!("{}/wp-json{route}", self.site_url),
            RestStyle::Plain => format!("{}/", self.site_url),
        };
        let mut url = Url::parse(&text).map_err(|e| WpError::Blocked(format!("The site URL is not valid: {e}")))?;
        {
            let mut pairs = url.query_pairs_mut();
            if self.style == RestStyle::Plain {
                pairs.append_pair("rest_route", route);
            }
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        Ok(url)
    }

    /// Calls a REST route, with retries. `action` names the call in the sync log.
    pub async fn call(
        &self,
        action: &str,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Answer, WpError> {
        let url = self.route_url(route, query)?;
        self.send_with_retries(action, method, url, route, body).await
    }

    /// GETs any URL of the site (not a REST route), without credentials and retries.
    pub async fn get_page(&self, action: &str, url: &str) -> Result<(u16, HeaderMap, String), WpError> {
        let url = Url::parse(url).map_err(|e| WpError::Blocked(format!("The address is not valid: {e}")))?;
        let started = Instant::now();
        let result = self.raw(Method::GET, url.clone(), &Body::Empty, Auth::None).await;
        let (status, error) = match &result {
            Ok((status, _, _)) => (Some(*status), None),
            Err(e) => (e.status(), Some(e.to_string())),
        };
        self.record(action, &Method::GET, url.path(), status, started.elapsed(), error);
        result.map(|(status, headers, bytes)| (status, headers, String::from_utf8_lossy(&bytes).into_owned()))
    }

    async fn send_with_retries(
        &self,
        action: &str,
        method: Method,
        url: Url,
        route: &str,
        body: Body,
    ) -> Result<Answer, WpError> {
        let RetryPolicy { timeout, retries, backoff, max_backoff } = self.policy;
        let schedule = ExponentialBuilder::default()
            .with_min_delay(backoff)
            .with_max_delay(max_backoff)
            .with_factor(2.0)
            .with_max_times(retries as usize)
            .with_jitter();
        let attempt = || {
            let (method, url, body) = (method.clone(), url.clone(), body.clone());
            async move {
                let started = Instant::now();
                let sent = tokio::time::timeout(timeout, self.once(method.clone(), url, route, &body)).await;
                let result = sent.unwrap_or(Err(WpError::Timeout(timeout)));
                let (status, error) = match &result {
                    Ok(answer) => (Some(answer.status), None),
                    Err(e) => (e.status(), Some(e.reason())),
                };
                self.record(action, &method, route, status, started.elapsed(), error);
                result
            }
        };
        attempt
            .retry(schedule)
            .when(WpError::is_retryable)
            .adjust(move |error, next| {
                next.map(|wait| match error {
                    WpError::Status { retry_after: Some(after), .. } => (*after).min(max_backoff),
                    _ => wait.min(max_backoff),
                })
            })
            .notify(|error, wait| tracing::warn!(%error, ?wait, action, "WordPress call failed, trying again"))
            .await
    }

    fn record(
        &self,
        action: &str,
        method: &Method,
        route: &str,
        status: Option<u16>,
        duration: Duration,
        error: Option<String>,
    ) {
        let attempt = Attempt {
            action: action.to_owned(),
            method: method.to_string(),
            route: route.to_owned(),
            status,
            duration,
            error,
        };
        self.attempts.lock().unwrap_or_else(|p| p.into_inner()).push(attempt);
    }

    /// One request to a REST route: a 2xx answer's JSON, or the error it means.
    async fn once(&self, method: Method, url: Url, route: &str, body: &Body) -> Result<Answer, WpError> {
        let auth = match &self.credentials {
            Credentials::Anonymous => Auth::None,
            Credentials::AppPassword { username, password } => Auth::Basic(username, password),
            Credentials::Signed { secret } => {
                let timestamp = chrono::Utc::now().timestamp();
                let signature = signature::sign(secret, method.as_str(), route, timestamp, &body.signed_bytes());
                Auth::Signed { timestamp, signature }
            }
        };
        let (status, headers, bytes) = self.raw(method, url, body, auth).await?;
        if (300..400).contains(&status) {
            let location = headers.get(LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("").to_owned();
            return Err(WpError::Redirected { status, location });
        }
        if !(200..300).contains(&status) {
            return Err(error_for_status(status, &headers, &bytes));
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| WpError::BadAnswer(format!("not JSON ({e})")))?
        };
        Ok(Answer { status, headers, body })
    }

    /// Sends one request and reads the answer up to the bound.
    async fn raw(
        &self,
        method: Method,
        url: Url,
        body: &Body,
        auth: Auth<'_>,
    ) -> Result<(u16, HeaderMap, Vec<u8>), WpError> {
        let mut request = self.http.request(method, url).header("accept", "application/json");
        request = match auth {
            Auth::None => request,
            Auth::Basic(username, password) => request.basic_auth(username, Some(password)),
            Auth::Signed { timestamp, signature } => request
                .header(signature::TIMESTAMP_HEADER, timestamp.to_string())
                .header(signature::SIGNATURE_HEADER, signature),
        };
        request = match body {
            Body::Empty => request,
            // Sent as the bytes that were signed.
            Body::Json(_) => request.header("content-type", "application/json").body(body.signed_bytes()),
            Body::Bytes { bytes, content_type, headers } => {
                let mut r = request.header("content-type", content_type).body(bytes.as_ref().clone());
                for (name, value) in headers {
                    r = r.header(name.as_str(), value.as_str());
                }
                r
            }
        };
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(WpError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, headers, bytes))
    }
}

/// How one request authenticates.
enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Signed { timestamp: i64, signature: String },
}

impl Body {
    /// The bytes sent (and signed).
    fn signed_bytes(&self) -> Vec<u8> {
        match self {
            Body::Empty => Vec::new(),
            Body::Json(value) => serde_json::to_vec(value).unwrap_or_default(),
            Body::Bytes { bytes, .. } => bytes.as_ref().clone(),
        }
    }
}

/// A request that got no answer: refused by the address guard, timed out, or not reached.
fn transport(error: reqwest::Error) -> WpError {
    if let Some(reason) = refused_reason(&error) {
        return WpError::Blocked(format!("{reason}."));
    }
    if error.is_timeout() {
        return WpError::Timeout(Duration::ZERO);
    }
    WpError::Unreachable(igny8_outbound::describe(&error))
}

/// WordPress's error body is `{code, message, data: {status}}`. Any other body (a proxy's
/// HTML page) is not repeated: the site URL is the customer's, and echoing what answered
/// there would let it read whatever a private address serves.
fn error_for_status(status: u16, headers: &HeaderMap, bytes: &[u8]) -> WpError {
    let json: Option<Value> = serde_json::from_slice(bytes).ok();
    let code = json.as_ref().and_then(|v| v["code"].as_str()).unwrap_or("").to_owned();
    let message = json.as_ref().and_then(|v| v["message"].as_str()).map(strip_tags).unwrap_or_else(|| {
        if bytes.is_empty() {
            String::new()
        } else {
            format!("an answer that is not WordPress's ({} bytes, not shown)", bytes.len())
        }
    });
    let message = if message.is_empty() { "no reason given".to_owned() } else { message };
    let existing_id = json.as_ref().and_then(|v| v.pointer("/data/term_id")).and_then(Value::as_u64);
    WpError::Status { status, code, message, retry_after: retry_after(headers), existing_id }
}

/// WordPress puts `<strong>Error:</strong>` into some messages.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use reqwest::header::RETRY_AFTER;

    use super::*;

    fn client(style: RestStyle) -> WpClient {
        WpClient::new(
            reqwest::Client::new(),
            "https://blog.example.com/",
            style,
            Credentials::Anonymous,
            RetryPolicy::default(),
        )
    }

    #[test]
    fn routes_follow_the_sites_permalink_style() {
        let q = [("slug", "a b".to_owned())];
        let pretty = client(RestStyle::Pretty).route_url("/wp/v2/posts", &q).unwrap();
        assert_eq!(pretty.as_str(), "https://blog.example.com/wp-json/wp/v2/posts?slug=a+b");
        let plain = client(RestStyle::Plain).route_url("/wp/v2/posts", &q).unwrap();
        assert_eq!(plain.as_str(), "https://blog.example.com/?rest_route=%2Fwp%2Fv2%2Fposts&slug=a+b");
        let bare = client(RestStyle::Pretty).route_url("/", &[]).unwrap();
        assert_eq!(bare.as_str(), "https://blog.example.com/wp-json/");
    }

    #[test]
    fn statuses_are_classified() {
        let none = HeaderMap::new();
        let e =
            error_for_status(401, &none, br#"{"code":"incorrect_password","message":"<strong>Error:</strong> bad"}"#);
        assert!(!e.is_retryable());
        assert_eq!(e.code(), Some("incorrect_password"));
        assert!(e.reason().contains("application password"), "{}", e.reason());
        assert!(!e.reason().contains("<strong>"));
        assert!(error_for_status(503, &none, b"<html>down</html>").is_retryable());
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        let limited = error_for_status(429, &headers, b"");
        assert!(limited.is_retryable());
        assert!(matches!(limited, WpError::Status { retry_after: Some(d), .. } if d == Duration::from_secs(7)));
        assert!(!error_for_status(400, &none, b"{}").is_retryable());
    }
}
