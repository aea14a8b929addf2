//! The AI worker: SQS messages (`{account_id, job_id}`) → the engine. A job that
//! finished, or that another attempt holds, is acknowledged: the engine makes every
//! delivery after the first a no-op. Failures worth retrying (the store) are reported
//! per message (`igny8_queue::handle_batch`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use igny8_ai::{Engine, EngineError, JobMessage};
pub use igny8_queue::{RETRY_AFTER, Retry};

#[derive(Clone)]
pub struct Worker {
    engine: Engine,
    retry: Option<Retry>,
}

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
        self.handle_until(event, None).await
    }

    /// Handles the event within an invocation that must end by `deadline` (Lambda's,
    /// less a margin): a job that cannot finish in time is handed back and its message
    /// reported failed, so the next invocation goes on with it.
    pub async fn handle_until(&self, event: SqsEvent, deadline: Option<tokio::time::Instant>) -> SqsBatchResponse {
        igny8_queue::handle_batch(event, self.retry.as_ref(), |message| self.process(message, deadline)).await
    }

    async fn process(&self, message: JobMessage, deadline: Option<tokio::time::Instant>) -> Result<(), String> {
        match self.engine.run_until(&message.account_id, &message.job_id, deadline).await {
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
