use igny8_store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let store = Store::from_env().await;
    lambda_http::run(igny8_system::app(store)).await
}
