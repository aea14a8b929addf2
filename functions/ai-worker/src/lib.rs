//! The AI worker: SQS messages (`{account_id, job_id}`) → the engine.
//!
//! A message is reported failed (ReportBatchItemFailures) only when trying again can
//! help — the store was unreachable, or the message is unreadable (so after five
//! receives it rests in the dead-letter queue, where someone can look at it). A job
//! that finished, or that another attempt holds, is acknowledged: the engine makes
//! every delivery after the first a no-op.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use igny8_ai::{Engine, EngineError, JobMessage};

#[derive(Clone)]
pub struct Worker {
    engine: Engine,
}

impl Worker {
    pub fn new(engine: Engine) -> Self {
        Self { engine }
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
                        response.add_failure(id);
                    }
                    // An empty identifier would fail the whole batch (DESIGN §8).
                    _ => tracing::error!(reason, "message without id failed; it cannot be retried"),
                }
            }
        }
        response
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
