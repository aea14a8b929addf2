use igny8_ai::JobQueue;
use igny8_automation::runner::Runner;
use igny8_automation_runner::{AutomationWorker, RETRY_AFTER, Retry};
use igny8_store::Store;
use lambda_runtime::{LambdaEvent, service_fn};

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let runner = Runner {
        store: Store::from_config(&config),
        ai: JobQueue::from_env(&config, "AI_QUEUE_URL")?,
        publish: JobQueue::from_env(&config, "PUBLISH_QUEUE_URL")?,
    };
    let retry = Retry {
        sqs: aws_sdk_sqs::Client::new(&config),
        queue_url: std::env::var("AUTOMATION_QUEUE_URL").map_err(|_| "AUTOMATION_QUEUE_URL is not set")?,
        after: RETRY_AFTER,
    };
    let worker = AutomationWorker { runner, retry: Some(retry) };
    lambda_runtime::run(service_fn(|event: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
        let worker = worker.clone();
        async move { Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await) }
    }))
    .await
}
