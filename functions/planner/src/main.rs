use std::sync::Arc;

use igny8_store::Store;
use igny8_tenancy::{Tenancy, Tokens};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    igny8_http::init_lambda_tracing();
    let tokens = Tokens::from_env()?;
    let store = Store::from_env().await;
    lambda_http::run(igny8_planner::app(Tenancy { store, tokens: Arc::new(tokens) })).await
}
