//! SQS → workers, locally: what Lambda's event source mapping does in AWS. Messages are
//! received, handed to the worker as an SQS event, and deleted unless the worker
//! reported them failed; failed ones come back when the worker's `Retry` says, and
//! after the queue's maximum of receives move to the dead-letter queue.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use igny8_ai_worker::Worker;
use igny8_publisher::Publisher;
use serde_json::json;

/// A worker Lambda's handler: an SQS event in, the failed messages out.
pub trait SqsWorker: Clone + Send + Sync + 'static {
    fn handle(&self, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send;
}

impl SqsWorker for Worker {
    fn handle(&self, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send {
        Worker::handle(self, event)
    }
}

impl SqsWorker for igny8_automation_runner::AutomationWorker {
    fn handle(&self, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send {
        igny8_automation_runner::AutomationWorker::handle(self, event)
    }
}

impl SqsWorker for Publisher {
    fn handle(&self, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send {
        Publisher::handle(self, event)
    }
}

/// Receives one batch (up to 10 messages) and runs it through `worker`, each message
/// as its own event so jobs run side by side as separate Lambda invocations would.
/// Returns how many messages were received.
pub async fn deliver_batch<W: SqsWorker>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    worker: &W,
) -> Result<usize, String> {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .map_err(|e| format!("SQS receive: {e:?}"))?;
    let messages = received.messages.unwrap_or_default();
    let count = messages.len();
    let mut runs = Vec::new();
    for message in messages {
        let sqs = sqs.clone();
        let worker = worker.clone();
        let queue_url = queue_url.to_owned();
        runs.push(tokio::spawn(async move {
            let receipt = message.receipt_handle.clone().unwrap_or_default();
            let event = sqs_event(message.message_id.as_deref(), &receipt, message.body.as_deref());
            let response = worker.handle(event).await;
            // Failed messages stay: the worker has made them visible again soon (`Retry`).
            if !response.batch_item_failures.is_empty() {
                return;
            }
            let result = sqs.delete_message().queue_url(&queue_url).receipt_handle(&receipt).send().await;
            if let Err(e) = result {
                tracing::warn!(error = ?e, "could not delete a handled SQS message");
            }
        }));
    }
    for run in runs {
        run.await.map_err(|e| format!("worker task: {e}"))?;
    }
    Ok(count)
}

/// Polls the queue until the process ends.
pub async fn poll_forever<W: SqsWorker>(sqs: aws_sdk_sqs::Client, queue_url: String, worker: W) {
    loop {
        match deliver_batch(&sqs, &queue_url, &worker).await {
            Ok(0) => tokio::time::sleep(Duration::from_millis(300)).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "job queue poll failed");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// An SQS event as Lambda delivers it (built from JSON: the event types are
/// non-exhaustive).
pub fn sqs_event(message_id: Option<&str>, receipt: &str, body: Option<&str>) -> SqsEvent {
    let event = json!({
        "Records": [{
            "messageId": message_id,
            "receiptHandle": receipt,
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": null,
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:igny8-ai-jobs",
            "awsRegion": "us-east-1",
        }]
    });
    serde_json::from_value(event).unwrap_or_default()
}
