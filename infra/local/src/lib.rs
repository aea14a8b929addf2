//! The local stack: the same handler code that runs in Lambda, served from one process.
//!
//! - [`resources`]: creates the table, queues and bucket on the emulator.
//! - [`gateway`]: every HTTP function's routes under one port, as API Gateway would
//!   route `/api/v1/<area>/...` to each function.
//! - [`queue`]: the AI job queue delivered to the AI worker and the publish queue to
//!   the publisher, as Lambda's SQS event source mappings would.

pub mod queue;
pub mod resources;

use std::sync::Arc;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use igny8_ai::JobQueue;
use igny8_ai::provider::CallPolicy;
use igny8_ai::{Engine, Providers};
use igny8_ai_worker::{Retry, Worker};
use igny8_http::HttpService;
use igny8_integration::IntegrationState;
use igny8_planner::PlannerState;
use igny8_publisher::Publisher;
use igny8_store::Store;
use igny8_system::SystemState;
use igny8_tenancy::{SecretBox, Tenancy, Tokens};
use igny8_wordpress::{OutboundPolicy, RetryPolicy};
use igny8_writer::{Media, WriterState};

/// What the local stack runs on: the store, bucket, keys and queues.
#[derive(Clone)]
pub struct Stack {
    pub store: Store,
    pub tokens: Arc<Tokens>,
    pub media: Media,
    pub secrets: Arc<SecretBox>,
    /// The AI job queue.
    pub jobs: JobQueue,
    /// The publish queue (publish and sync jobs).
    pub publish: JobQueue,
    pub outbound: OutboundPolicy,
}

/// Every HTTP function's routes in one service (the integration function's Function
/// URL paths included: locally they are served under the same port).
pub fn gateway(stack: Stack) -> HttpService {
    let Stack { store, tokens, media, secrets, jobs, publish, outbound } = stack;
    let tenancy = Tenancy { store, tokens };
    let integration = IntegrationState::new(tenancy.clone(), secrets.clone(), publish.clone(), outbound);
    let routes = igny8_auth::routes(tenancy.clone())
        .merge(igny8_planner::routes(PlannerState { tenancy: tenancy.clone(), jobs: jobs.clone() }))
        .merge(igny8_billing::routes(tenancy.clone()))
        .merge(igny8_writer::routes(WriterState { tenancy: tenancy.clone(), media, jobs, publish }))
        .merge(igny8_integration::routes(integration))
        .merge(igny8_system::routes(SystemState::new(tenancy, secrets)));
    igny8_http::into_service(routes)
}

/// The publisher over the same store, bucket and keys as the gateway.
pub fn publisher(stack: &Stack, policy: RetryPolicy, retry: igny8_publisher::Retry) -> Publisher {
    Publisher::new(stack.store.clone(), stack.media.clone(), stack.secrets.clone(), stack.outbound, policy)
        .with_retry(retry)
}

/// The AI worker over the same store, bucket and keys as the gateway; failed messages
/// are offered again after `retry.after`.
pub fn worker(store: Store, media: Media, secrets: Arc<SecretBox>, policy: CallPolicy, retry: Retry) -> Worker {
    Worker::new(Engine::new(store, media, Providers::new(reqwest::Client::new(), secrets, policy))).with_retry(retry)
}

/// SDK configuration from the environment. Against an emulator (`AWS_ENDPOINT_URL`
/// set) a region and dummy credentials are filled in when none are given, so a fresh
/// machine needs no AWS setup.
pub async fn sdk_config() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "local-emulator",
            ));
        }
    }
    loader.load().await
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: HttpService,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
