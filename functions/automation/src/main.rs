use igny8_ai::JobQueue;
use igny8_automation::runner::Runner;
use igny8_automation::schedules::Schedules;
use igny8_automation_api::AutomationState;
use igny8_store::Store;
use igny8_tenancy::Tenancy;

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let store = Store::from_config(&config);
    let runner = Runner {
        store: store.clone(),
        ai: JobQueue::from_env(&config, "AI_QUEUE_URL")?,
        publish: JobQueue::from_env(&config, "PUBLISH_QUEUE_URL")?,
    };
    let state = AutomationState {
        tenancy: Tenancy::load(store, &config).await?,
        schedules: Schedules::from_env(&config)?,
        runner,
    };
    lambda_http::run(igny8_automation_api::app(state)).await
}
