use igny8_store::Store;
use igny8_tenancy::Tenancy;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let tenancy = Tenancy::from_env(Store::from_env().await)?;
    lambda_http::run(igny8_billing::app(tenancy)).await
}
