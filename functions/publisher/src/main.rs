use std::sync::Arc;

use igny8_media::Media;
use igny8_publisher::{Publisher, Retry};
use igny8_store::Store;
use igny8_tenancy::SecretBox;
use igny8_wordpress::{OutboundPolicy, RetryPolicy};
use lambda_runtime::{LambdaEvent, service_fn};

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let store = Store::from_config(&config);
    let media = Media::from_env(&config)?;
    let secrets = Arc::new(SecretBox::load(&config).await?);
    let retry = Retry {
        sqs: aws_sdk_sqs::Client::new(&config),
        queue_url: std::env::var("PUBLISH_QUEUE_URL").map_err(|_| "PUBLISH_QUEUE_URL is not set")?,
        after: igny8_publisher::RETRY_AFTER,
    };
    let mut publisher =
        Publisher::new(store, media, secrets, OutboundPolicy::from_env(), RetryPolicy::default()).with_retry(retry);
    // Finished jobs of automation runs are reported there (optional: no automation, no reports).
    if let Ok(automation) = igny8_ai::JobQueue::from_env(&config, "AUTOMATION_QUEUE_URL") {
        publisher = publisher.with_automation(automation);
    }
    lambda_runtime::run(service_fn(|event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
        let publisher = publisher.clone();
        async move { Ok::<_, lambda_runtime::Error>(publisher.handle(event.payload).await) }
    }))
    .await
}
