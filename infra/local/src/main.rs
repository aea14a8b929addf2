//! `igny8-local [serve|bootstrap]`
//!
//! `bootstrap` creates the table, queues and bucket on the emulator and exits.
//! `serve` (the default) does the same, then serves every HTTP function on
//! `http://127.0.0.1:$PORT/api/v1/...` (PORT defaults to 8000).

use std::sync::Arc;

use igny8_local::resources::{ResourceNames, create_all};
use igny8_local::{gateway, sdk_config, serve};
use igny8_store::Store;
use igny8_tenancy::Tokens;

/// Used only when JWT_SECRET is unset, and only by this local binary.
const LOCAL_DEV_SECRET: &str = "local-development-secret-not-for-production-use";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".to_owned());
    let config = sdk_config().await;
    let names = ResourceNames::from_env();
    create_all(&config, &names).await?;
    tracing::info!(table = %names.table, bucket = %names.bucket, "resources ready");
    if command == "bootstrap" {
        return Ok(());
    }
    if command != "serve" {
        return Err(format!("unknown command {command:?}; use serve or bootstrap").into());
    }

    let tokens = match Tokens::from_env() {
        Ok(tokens) => tokens,
        Err(_) => {
            tracing::warn!("JWT_SECRET not set: using the local development secret");
            Tokens::new(
                LOCAL_DEV_SECRET.as_bytes(),
                igny8_tenancy::tokens::DEFAULT_ACCESS_TTL_SECS,
                igny8_tenancy::tokens::DEFAULT_REFRESH_TTL_SECS,
            )
        }
    };
    let store = Store::new(aws_sdk_dynamodb::Client::new(&config), names.table.clone());
    let media = igny8_writer::Media::new(igny8_writer::s3_client(&config), names.bucket.clone());
    let app = gateway(store, Arc::new(tokens), media);
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("serving http://127.0.0.1:{port}/api/v1/");
    serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
