use igny8_store::Store;
use igny8_tenancy::Tenancy;

// Lambda hands an execution environment one request at a time: no worker threads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let config = igny8_store::sdk_config().await;
    let tenancy = Tenancy::load(Store::from_config(&config), &config).await?;
    lambda_http::run(igny8_auth::app(tenancy)).await
}
