//! `/api/v1/system/`: health, the account's AI prompts (with built-in defaults), author
//! profiles, strategies, AI settings and the API keys of AI providers
//! (`docs/product.md §4` system).

mod contract;
mod guidance;
mod integrations;
mod jobs;
mod profiles;
mod prompts;
mod settings;
mod strategies;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRef, State};
use igny8_http::openapi::Envelope;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService, Success};
use igny8_outbound::OutboundPolicy;
use igny8_store::{AuthorProfile, Store, Strategy};
use igny8_tenancy::{SecretBox, Tenancy};
use serde::Serialize;
use utoipa::openapi::OpenApi;

/// What the system function's handlers share.
#[derive(Clone)]
pub struct SystemState {
    pub tenancy: Tenancy,
    /// Seals and opens the providers' API keys.
    pub secrets: Arc<SecretBox>,
    /// For testing provider keys and listing models: the customer's base URL, so guarded.
    pub http: reqwest::Client,
    pub outbound: OutboundPolicy,
}

impl SystemState {
    pub fn new(tenancy: Tenancy, secrets: Arc<SecretBox>, outbound: OutboundPolicy) -> Self {
        Self { tenancy, secrets, http: igny8_outbound::client(outbound), outbound }
    }

    /// For the function's `main`: token keys and the secrets key (`igny8_tenancy::startup`)
    /// and the outbound policy (`ALLOW_PRIVATE_URLS`).
    pub async fn load(store: Store, config: &aws_config::SdkConfig) -> Result<Self, String> {
        let tenancy = Tenancy::load(store, config).await?;
        Ok(Self::new(tenancy, Arc::new(SecretBox::load(config).await?), OutboundPolicy::from_env()))
    }
}

impl FromRef<SystemState> for Tenancy {
    fn from_ref(state: &SystemState) -> Self {
        state.tenancy.clone()
    }
}

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<SystemState> {
    ApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(contract::schema))
        .routes(routes!(contract::page))
        .routes(routes!(contract::start_js))
        .routes(routes!(contract::swagger_js))
        .routes(routes!(contract::swagger_css))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::read))
        .routes(routes!(jobs::task_progress))
        .routes(routes!(prompts::list))
        .routes(routes!(prompts::read, prompts::update))
        .routes(routes!(prompts::reset))
        .merge(guidance::routes::<AuthorProfile>())
        .merge(guidance::routes::<Strategy>())
        .routes(routes!(settings::read, settings::update))
        .routes(routes!(integrations::read, integrations::update, integrations::remove))
        .routes(routes!(integrations::test_openai))
        .routes(routes!(integrations::openai_models))
        .routes(routes!(integrations::test_runware))
        .routes(routes!(integrations::test_openai_settings))
        .routes(routes!(integrations::test_runware_settings))
}

pub fn routes(state: SystemState) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: SystemState) -> HttpService {
    igny8_http::into_service(routes(state))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// `ok`, or `degraded` when the store did not answer.
    status: &'static str,
    version: &'static str,
    store: StoreStatus,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreStatus {
    reachable: bool,
    latency_ms: f64,
}

/// No authentication. Always 200: the body says whether the store answered, so a
/// monitor can tell "function up, store down" from "function down".
#[utoipa::path(get, path = "/api/v1/system/status", tag = "system", security(()),
    responses((status = 200, description = "Whether the function and its store answer.", body = Envelope<StatusView>)))]
async fn status(State(state): State<SystemState>) -> Success<StatusView> {
    let started = Instant::now();
    let store_check = state.tenancy.store.ping().await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(e) = &store_check {
        tracing::warn!(error = %e, "store unreachable");
    }
    let reachable = store_check.is_ok();
    Success::ok(StatusView {
        status: if reachable { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        store: StoreStatus { reachable, latency_ms: (latency_ms * 10.0).round() / 10.0 },
    })
}
