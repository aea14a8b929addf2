//! `igny8-local [serve|bootstrap]`
//!
//! `bootstrap` creates the table, queues and bucket on the emulator and exits.
//! `serve` (the default) does the same, then serves every HTTP function on
//! `http://127.0.0.1:$PORT/api/v1/...` (PORT defaults to 8000) and runs the AI worker
//! on the job queue, the publisher on the publish queue, the automation runner on the
//! automation queue, and fires the rules' schedules each minute.

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
    let url = |name: String| {
        let sqs = sqs.clone();
        async move { sqs.get_queue_url().queue_name(name).send().await.map(|r| r.queue_url.unwrap_or_default()) }
    };
    let queue_url = url(names.ai_queue.clone()).await?;
    let publish_url = url(names.publish_queue.clone()).await?;
    let automation_url = url(names.automation_queue.clone()).await?;
    let stack = Stack {
        store: store.clone(),
        tokens: Arc::new(tokens),
        media,
        secrets,
        jobs: JobQueue::new(sqs.clone(), queue_url.clone()),
        publish: JobQueue::new(sqs.clone(), publish_url.clone()),
        automation: JobQueue::new(sqs.clone(), automation_url.clone()),
        schedules: igny8_local::resources::schedules(&config, &names.schedule_group, &automation_url).await?,
        outbound: OutboundPolicy::from_env(),
    };
    let retry = |queue_url: &str| Retry { sqs: sqs.clone(), queue_url: queue_url.to_owned(), after: LOCAL_RETRY_AFTER };
    let worker = igny8_local::worker(&stack, CallPolicy::default(), retry(&queue_url));
    tokio::spawn(igny8_local::queue::poll_forever(sqs.clone(), queue_url.clone(), worker));
    let publisher = igny8_local::publisher(&stack, RetryPolicy::default(), retry(&publish_url));
    tokio::spawn(igny8_local::queue::poll_forever(sqs.clone(), publish_url.clone(), publisher));
    let runner = stack.automation_worker(retry(&automation_url));
    tokio::spawn(igny8_local::queue::poll_forever(sqs.clone(), automation_url, runner));
    tokio::spawn(igny8_local::firing::fire_forever(store, stack.schedules.clone(), stack.automation.clone()));
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
