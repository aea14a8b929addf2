//! The AI worker: SQS messages (`{account_id, job_id}`) → the engine.
//!
//! A message is reported failed (ReportBatchItemFailures) only when trying again can
//! help — the store was unreachable, or the message is unreadable (so after five
//! receives it rests in the dead-letter queue, where someone can look at it). A job
//! that finished, or that another attempt holds, is acknowledged: the engine makes
//! every delivery after the first a no-op.
//!
//! A failed message would come back only after the queue's visibility timeout (90
//! minutes: six times the worker's timeout, so a running job is never handed out
//! twice). With [`Retry`] the worker makes it visible again after a short delay
//! instead: the job was handed back, so the next delivery can take it at once.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use igny8_ai::{Engine, EngineError, JobMessage};

#[derive(Clone)]
pub struct Worker {
    engine: Engine,
    retry: Option<Retry>,
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

impl Worker {
    pub fn new(engine: Engine) -> Self {
        Self { engine, retry: None }
    }

    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in event.records {
            if let Err(reason) = self.process(&record).await {
                match record.message_id.as_deref() {
                    Some(id) if !id.is_empty() => {
                        tracing::warn!(message_id = id, reason, "message failed; it will be delivered again");
                        self.retry_soon(&record).await;
                        response.add_failure(id);
                    }
                    // An empty identifier would fail the whole batch (DESIGN §8).
                    _ => tracing::error!(reason, "message without id failed; it cannot be retried"),
                }
            }
        }
        response
    }

    async fn retry_soon(&self, record: &SqsMessage) {
        let (Some(retry), Some(receipt)) = (&self.retry, record.receipt_handle.as_deref()) else {
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

    async fn process(&self, record: &SqsMessage) -> Result<(), String> {
        let body = record.body.as_deref().unwrap_or_default();
        let message: JobMessage = serde_json::from_str(body).map_err(|e| format!("unreadable message: {e}"))?;
        match self.engine.run(&message.account_id, &message.job_id).await {
            Ok(outcome) => {
                tracing::info!(job_id = %message.job_id, ?outcome, "message done");
                Ok(())
            }
            // Another attempt owns the job now; it will finish it.
            Err(EngineError::LeaseLost) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}
