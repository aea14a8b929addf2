//! From a stored integration to a ready client, and from its attempts to sync logs.

use igny8_store::{ContentId, JobId, SyncLogId};
use igny8_store::{SyncKind, SyncLog, WpIntegration, WpMode, now};
use igny8_tenancy::SecretBox;

use crate::client::{Attempt, Credentials, RetryPolicy, WpClient};
use crate::publish::Via;

/// A client speaking for the integration: core REST with its application password, or
/// the bridge with its signing secret. Err: what the user must do (the secret is
/// missing or cannot be opened).
pub fn client_for(
    http: &reqwest::Client,
    secrets: &SecretBox,
    integration: &WpIntegration,
    policy: RetryPolicy,
) -> Result<(WpClient, Via), String> {
    let (sealed, via) = match integration.mode {
        WpMode::Rest => (integration.app_password_sealed.as_deref(), Via::CoreRest),
        WpMode::Bridge => (integration.signing_secret_sealed.as_deref(), Via::Bridge),
    };
    let missing = match integration.mode {
        WpMode::Rest => "No application password is stored; save one on the integration.",
        WpMode::Bridge => "The bridge plugin has not connected yet; press Connect in its settings in WordPress.",
    };
    let secret = secrets.open(sealed.ok_or(missing)?).map_err(|_| {
        "The stored credential cannot be read (the encryption key changed?); enter it again.".to_owned()
    })?;
    let credentials = match integration.mode {
        WpMode::Rest => Credentials::AppPassword { username: integration.username.clone(), password: secret },
        WpMode::Bridge => Credentials::Signed { secret },
    };
    Ok((WpClient::new(http.clone(), &integration.site_url, integration.rest_style, credentials, policy), via))
}

/// What the sync log keeps of a run of calls.
pub struct LogContext<'a> {
    pub integration: &'a WpIntegration,
    pub kind: SyncKind,
    pub content_id: Option<&'a ContentId>,
    pub job_id: Option<&'a JobId>,
}

/// One sync log entry per attempt.
pub fn logs(context: &LogContext<'_>, attempts: Vec<Attempt>) -> Vec<SyncLog> {
    attempts
        .into_iter()
        .map(|a| SyncLog {
            id: SyncLogId::generate(),
            account_id: context.integration.account_id.clone(),
            site_id: context.integration.site_id.clone(),
            sector_id: None,
            log_type: context.kind,
            action: a.action,
            content_id: context.content_id.cloned(),
            job_id: context.job_id.cloned(),
            method: a.method,
            path: a.route,
            status_code: a.status,
            duration_ms: a.duration.as_millis() as u64,
            ok: a.error.is_none(),
            error: a.error,
            created_at: now(),
        })
        .collect()
}
