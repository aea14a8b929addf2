use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use igny8_ai::provider::CallPolicy;
use igny8_ai::{Engine, Providers};
use igny8_ai_worker::{RETRY_AFTER, Retry, Worker};
use igny8_media::Media;
use igny8_store::Store;
use igny8_tenancy::SecretBox;
use lambda_runtime::{LambdaEvent, service_fn};

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let store = Store::from_config(&config);
    let media = Media::from_env(&config)?;
    let secrets = Arc::new(SecretBox::load(&config).await?);
    // Provider base URLs are the customer's: the guarded client (`ALLOW_PRIVATE_URLS`).
    let http = igny8_outbound::client(igny8_outbound::OutboundPolicy::from_env());
    let providers = Providers::new(http, secrets, CallPolicy::default());
    let retry = Retry {
        sqs: aws_sdk_sqs::Client::new(&config),
        queue_url: std::env::var("AI_QUEUE_URL").map_err(|_| "AI_QUEUE_URL is not set")?,
        after: RETRY_AFTER,
    };
    let mut engine = Engine::new(store, media, providers);
    // Finished jobs of automation runs are reported there (optional: no automation, no reports).
    if let Ok(automation) = igny8_ai::JobQueue::from_env(&config, "AUTOMATION_QUEUE_URL") {
        engine = engine.with_automation(automation);
    }
    let worker = Worker::new(engine).with_retry(retry);
    lambda_runtime::run(service_fn(|event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
        let worker = worker.clone();
        // Lambda's deadline (epoch milliseconds) as an instant, less time to save and answer.
        let left = Duration::from_millis(event.context.deadline.saturating_sub(epoch_millis()));
        let deadline = tokio::time::Instant::now() + left.saturating_sub(igny8_ai::engine::DEADLINE_MARGIN);
        async move { Ok::<_, lambda_runtime::Error>(worker.handle_until(event.payload, Some(deadline)).await) }
    }))
    .await
}

fn epoch_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
