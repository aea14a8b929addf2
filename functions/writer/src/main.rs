use igny8_ai::JobQueue;
use igny8_store::Store;
use igny8_tenancy::Tenancy;
use igny8_writer::{Media, WriterState};

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let tenancy = Tenancy::load(Store::from_config(&config), &config).await?;
    let media = Media::from_env(&config)?;
    let jobs = JobQueue::from_env(&config, "AI_QUEUE_URL")?;
    let publish = JobQueue::from_env(&config, "PUBLISH_QUEUE_URL")?;
    lambda_http::run(igny8_writer::app(WriterState { tenancy, media, jobs, publish })).await
}
