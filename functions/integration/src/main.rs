use igny8_integration::IntegrationState;
use igny8_store::Store;

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let state = IntegrationState::load(Store::from_config(&config), &config).await?;
    lambda_http::run(igny8_integration::app(state)).await
}
