use igny8_store::Store;
use igny8_system::SystemState;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let state = SystemState::from_env(Store::from_env().await)?;
    lambda_http::run(igny8_system::app(state)).await
}
