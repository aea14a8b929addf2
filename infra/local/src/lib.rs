//! The local stack: the same handler code that runs in Lambda, served from one process.
//!
//! - [`resources`]: creates the table, queues and bucket on the emulator.
//! - [`gateway`]: every HTTP function's routes under one port, as API Gateway would
//!   route `/api/v1/<area>/...` to each function.
//! - [`queue`]: the AI job queue delivered to the AI worker, the publish queue to the
//!   publisher and the automation queue to the runner, as Lambda's SQS event source
//!   mappings would.
//! - [`contract`]: the API document, from every HTTP function's routes.
//! - [`firing`]: fires the emulator's schedules (it keeps them but never fires them), as
//!   EventBridge Scheduler would.

pub mod contract;
pub mod firing;
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
    /// The automation queue (rule firings, finished jobs of runs).
    pub automation: JobQueue,
    pub schedules: igny8_automation::schedules::Schedules,
    pub outbound: OutboundPolicy,
}

/// Every HTTP function's routes in one service (the integration function's Function
/// URL paths included: locally they are served under the same port).
pub fn gateway(stack: Stack) -> HttpService {
    let runner = stack.runner();
    let Stack { store, tokens, media, secrets, jobs, publish, automation, schedules, outbound } = stack;
    let tenancy = Tenancy { store, tokens };
    let integration = IntegrationState::new(tenancy.clone(), secrets.clone(), publish.clone(), outbound);
    let automation_api = igny8_automation_api::AutomationState { tenancy: tenancy.clone(), schedules, runner };
    let planner = PlannerState { tenancy: tenancy.clone(), jobs: jobs.clone(), automation: Some(automation) };
    let routes = igny8_auth::routes(tenancy.clone())
        .merge(igny8_planner::routes(planner))
        .merge(igny8_automation_api::routes(automation_api))
        .merge(igny8_billing::routes(tenancy.clone()))
        .merge(igny8_writer::routes(WriterState { tenancy: tenancy.clone(), media, jobs, publish }))
        .merge(igny8_integration::routes(integration))
        .merge(igny8_system::routes(SystemState::new(tenancy, secrets, outbound)));
    igny8_http::into_service(routes)
}

/// The publisher over the same store, bucket and keys as the gateway.
pub fn publisher(stack: &Stack, policy: RetryPolicy, retry: igny8_publisher::Retry) -> Publisher {
    Publisher::new(stack.store.clone(), stack.media.clone(), stack.secrets.clone(), stack.outbound, policy)
        .with_retry(retry)
        .with_automation(stack.automation.clone())
}

impl Stack {
    /// The automation runner over the stack's store and queues.
    pub fn runner(&self) -> igny8_automation::runner::Runner {
        igny8_automation::runner::Runner {
            store: self.store.clone(),
            ai: self.jobs.clone(),
            publish: self.publish.clone(),
        }
    }

    /// The automation queue's worker, as its Lambda runs it.
    pub fn automation_worker(&self, retry: Retry) -> igny8_automation_runner::AutomationWorker {
        igny8_automation_runner::AutomationWorker { runner: self.runner(), retry: Some(retry) }
    }
}

/// The AI worker over the stack's store, bucket and keys; failed messages are offered
/// again after `retry.after`, finished jobs of automation runs reported to the runner.
pub fn worker(stack: &Stack, policy: CallPolicy, retry: Retry) -> Worker {
    let providers = Providers::new(igny8_outbound::client(stack.outbound), stack.secrets.clone(), policy);
    let engine =
        Engine::new(stack.store.clone(), stack.media.clone(), providers).with_automation(stack.automation.clone());
    Worker::new(engine).with_retry(retry)
}

/// SDK configuration from the environment. Against an emulator (`AWS_ENDPOINT_URL`
/// set) a region and dummy credentials are filled in when none are given, so a fresh
/// machine needs no AWS setup.
pub async fn sdk_config() -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(igny8_store::timeouts())
        .http_client(igny8_store::http_client());
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
