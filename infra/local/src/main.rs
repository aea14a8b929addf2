//! `igny8-local [serve|bootstrap]`
//!
//! `bootstrap` creates the table, queues and bucket on the emulator and exits.
//! `serve` (the default) does the same, then serves every HTTP function on
//! `http://127.0.0.1:$PORT/api/v1/...` (PORT defaults to 8000) and runs the AI worker
//! on the job queue and the publisher on the publish queue.

use std::sync::Arc;

use igny8_ai::JobQueue;
use igny8_ai::provider::CallPolicy;
use igny8_ai_worker::Retry;
use igny8_local::resources::{ResourceNames, create_all};
use igny8_local::{Stack, gateway, sdk_config, serve};
use igny8_store::Store;
use igny8_tenancy::{SecretBox, Tokens};
use igny8_wordpress::{OutboundPolicy, RetryPolicy};

/// Used only when JWT_SECRET is unset, and only by this local binary.
const LOCAL_DEV_SECRET: &str = "local-development-secret-not-for-production-use";
/// Locally a failed job message comes back after two seconds.
const LOCAL_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(2);
/// Used only when SECRETS_KEY is unset, and only by this local binary: what it seals is
/// readable by anyone with this source.
const LOCAL_DEV_SECRETS_KEY: [u8; 32] = *b"local-dev-secrets-key-NOT-SECRET";

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
    let secrets = if std::env::var_os("SECRETS_KEY").is_some() {
        SecretBox::from_env()?
    } else {
        tracing::warn!("SECRETS_KEY not set: using the local development key (stored API keys are not protected)");
        SecretBox::new(LOCAL_DEV_SECRETS_KEY)
    };
    let store = Store::new(aws_sdk_dynamodb::Client::new(&config), names.table.clone());
    let media = igny8_writer::Media::new(igny8_writer::s3_client(&config), names.bucket.clone());
    let secrets = Arc::new(secrets);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs.get_queue_url().queue_name(&names.ai_queue).send().await?.queue_url.unwrap_or_default();
    let publish_url = sqs.get_queue_url().queue_name(&names.publish_queue).send().await?.queue_url.unwrap_or_default();
    let stack = Stack {
        store: store.clone(),
        tokens: Arc::new(tokens),
        media: media.clone(),
        secrets: secrets.clone(),
        jobs: JobQueue::new(sqs.clone(), queue_url.clone()),
        publish: JobQueue::new(sqs.clone(), publish_url.clone()),
        outbound: OutboundPolicy::from_env(),
    };
    let retry = Retry { sqs: sqs.clone(), queue_url: queue_url.clone(), after: LOCAL_RETRY_AFTER };
    let worker = igny8_local::worker(store, media, secrets, CallPolicy::default(), retry);
    tokio::spawn(igny8_local::queue::poll_forever(sqs.clone(), queue_url, worker));
    let publish_retry =
        igny8_publisher::Retry { sqs: sqs.clone(), queue_url: publish_url.clone(), after: LOCAL_RETRY_AFTER };
    let publisher = igny8_local::publisher(&stack, RetryPolicy::default(), publish_retry);
    tokio::spawn(igny8_local::queue::poll_forever(sqs, publish_url, publisher));
    let app = gateway(stack);
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("serving http://127.0.0.1:{port}/api/v1/");
    serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
