//! `/api/v1/integration/` (`docs/product.md §4` integration, `docs/wordpress-bridge.md`):
//!
//! - for people (JWT, admin and up): a site's WordPress integration, its connection
//!   checklist, structure, sync jobs and sync logs ([`integrations`], [`logs`]);
//! - for the bridge plugin (the site's API key, through the Function URL in AWS):
//!   connect, structure and taxonomy pushes, post webhooks ([`bridge`]).

mod bridge;
mod integrations;
mod logs;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use igny8_ai::JobQueue;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
use igny8_store::Store;
use igny8_tenancy::{SecretBox, Tenancy};
use igny8_wordpress::{OutboundPolicy, RetryPolicy};
use utoipa::openapi::OpenApi;

/// Calls made while a request waits (checklist, structure) answer within API
/// Gateway's 30 s, retries included.
pub const REQUEST_POLICY: RetryPolicy = RetryPolicy {
    timeout: Duration::from_secs(8),
    retries: 1,
    backoff: Duration::from_millis(300),
    max_backoff: Duration::from_secs(1),
};

#[derive(Clone)]
pub struct IntegrationState {
    pub tenancy: Tenancy,
    pub secrets: Arc<SecretBox>,
    /// Sync jobs go to the publisher's queue.
    pub jobs: JobQueue,
    pub outbound: OutboundPolicy,
    pub http: reqwest::Client,
    pub policy: RetryPolicy,
}

impl IntegrationState {
    pub fn new(tenancy: Tenancy, secrets: Arc<SecretBox>, jobs: JobQueue, outbound: OutboundPolicy) -> Self {
        let http = igny8_wordpress::outbound::client(outbound);
        Self { tenancy, secrets, jobs, outbound, http, policy: REQUEST_POLICY }
    }

    /// For the function's `main`: keys (`igny8_tenancy::startup`), queue and outbound
    /// policy from the environment.
    pub async fn load(store: Store, config: &aws_config::SdkConfig) -> Result<Self, String> {
        let url = std::env::var("PUBLISH_QUEUE_URL").map_err(|_| "PUBLISH_QUEUE_URL is not set".to_owned())?;
        let jobs = JobQueue::new(aws_sdk_sqs::Client::new(config), url);
        let tenancy = Tenancy::load(store, config).await?;
        Ok(Self::new(tenancy, Arc::new(SecretBox::load(config).await?), jobs, OutboundPolicy::from_env()))
    }
}

impl FromRef<IntegrationState> for Tenancy {
    fn from_ref(state: &IntegrationState) -> Self {
        state.tenancy.clone()
    }
}

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<IntegrationState> {
    ApiRouter::new()
        .routes(routes!(integrations::list, integrations::create))
        .routes(routes!(integrations::read, integrations::update, integrations::remove))
        .routes(routes!(integrations::test_connection))
        .routes(routes!(integrations::update_structure))
        .routes(routes!(integrations::content_types))
        .routes(routes!(integrations::sync))
        .routes(routes!(logs::list))
        .routes(routes!(bridge::connect))
        .routes(routes!(bridge::structure))
        .routes(routes!(bridge::taxonomies))
        .routes(routes!(bridge::webhook))
}

pub fn routes(state: IntegrationState) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: IntegrationState) -> HttpService {
    igny8_http::into_service(routes(state))
}
