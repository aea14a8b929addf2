//! The job queues (AI jobs, publish jobs): a message carries only ids
//! (`{account_id, job_id}`); everything else is read from the job item.
//!
//! On the worker side, [`handle_batch`] runs each message of an SQS event and reports a
//! message failed (ReportBatchItemFailures) only when trying again can help — the store
//! was unreachable, or the message is unreadable (so after the queue's maximum of
//! receives it rests in the dead-letter queue, where someone can look at it).
//!
//! A failed message would come back only after the queue's visibility timeout (90
//! minutes: six times the worker's timeout, so a running job is never handed out
//! twice). With [`Retry`] the worker makes it visible again after a short delay
//! instead: the job was handed back, so the next delivery can take it at once.

use igny8_store::{AccountId, JobId};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use serde::{Deserialize, Serialize};

/// What goes on a queue: only ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    pub account_id: AccountId,
    pub job_id: JobId,
}

/// A job queue, for sending.
#[derive(Clone)]
pub struct JobQueue {
    sqs: aws_sdk_sqs::Client,
    url: Arc<str>,
}

impl JobQueue {
    pub fn new(sqs: aws_sdk_sqs::Client, url: impl Into<Arc<str>>) -> Self {
        Self { sqs, url: url.into() }
    }

    /// Client from the SDK configuration, queue URL from the variable `var`
    /// (`AI_QUEUE_URL`, `PUBLISH_QUEUE_URL`).
    pub fn from_env(config: &aws_config::SdkConfig, var: &str) -> Result<Self, String> {
        let url = std::env::var(var).map_err(|_| format!("{var} is not set"))?;
        Ok(Self::new(aws_sdk_sqs::Client::new(config), url))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn send(&self, message: &impl Serialize) -> Result<(), String> {
        let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.sqs
            .send_message()
            .queue_url(&*self.url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("SQS send: {e:?}"))
    }
}

/// Where failed messages are made visible again, and after how long.
#[derive(Clone)]
pub struct Retry {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub after: Duration,
}

/// How soon a failed message is offered again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Runs every message of `event` through `process`; the messages it failed are reported
/// for SQS to deliver again (and made visible again after `retry.after`).
pub async fn handle_batch<M, F, Fut>(event: SqsEvent, retry: Option<&Retry>, process: F) -> SqsBatchResponse
where
    M: serde::de::DeserializeOwned,
    F: Fn(M) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let body = record.body.as_deref().unwrap_or_default();
        let outcome = match serde_json::from_str::<M>(body) {
            // Boxed: a worker's whole job is behind this future, and inline it nests past
            // the compiler's layout depth.
            Ok(message) => Box::pin(process(message)).await,
            Err(e) => Err(format!("unreadable message: {e}")),
        };
        if let Err(reason) = outcome {
            match record.message_id.as_deref() {
                Some(id) if !id.is_empty() => {
                    tracing::warn!(message_id = id, reason, "message failed; it will be delivered again");
                    retry_soon(retry, &record).await;
                    response.add_failure(id);
                }
                // An empty identifier would fail the whole batch (docs/architecture.md §8).
                _ => tracing::error!(reason, "message without id failed; it cannot be retried"),
            }
        }
    }
    response
}

async fn retry_soon(retry: Option<&Retry>, record: &SqsMessage) {
    let (Some(retry), Some(receipt)) = (retry, record.receipt_handle.as_deref()) else {
        return;
    };
    let changed = retry
        .sqs
        .change_message_visibility()
        .queue_url(&retry.queue_url)
        .receipt_handle(receipt)
        .visibility_timeout(retry.after.as_secs() as i32)
        .send()
        .await;
    if let Err(e) = changed {
        // It still comes back, after the queue's own visibility timeout.
        tracing::warn!(error = ?e, "could not shorten a failed message's visibility");
    }
}
