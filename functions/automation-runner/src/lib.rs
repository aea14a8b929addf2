//! The automation runner: SQS messages of the automation queue (rule firings from
//! EventBridge Scheduler, imports, finished jobs) → `igny8_automation::runner`. A store
//! failure reports the message failed, so SQS delivers it again; every other outcome is
//! recorded on the run itself.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use igny8_automation::runner::{AutomationMessage, Runner};
pub use igny8_queue::{RETRY_AFTER, Retry};

#[derive(Clone)]
pub struct AutomationWorker {
    pub runner: Runner,
    pub retry: Option<Retry>,
}

impl AutomationWorker {
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        igny8_queue::handle_batch(event, self.retry.as_ref(), |message: AutomationMessage| async move {
            self.runner.handle(message).await.map_err(|e| e.to_string())
        })
        .await
    }
}
