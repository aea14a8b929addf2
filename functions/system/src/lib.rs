//! `/api/v1/system/`: health, the account's AI prompts (with built-in defaults), author
//! profiles, strategies, AI settings and the API keys of AI providers
//! (`docs/product.md §4` system).

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
use axum::routing::{get, post};
use igny8_http::{HttpService, Success};
use igny8_outbound::OutboundPolicy;
use igny8_store::{AuthorProfile, Store, Strategy};
use igny8_tenancy::{SecretBox, Tenancy};
use serde_json::{Value, json};

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

    /// For the function's `main`: token keys (`JWT_SECRET`), the secrets key
    /// (`SECRETS_KEY`) and the outbound policy (`ALLOW_PRIVATE_URLS`) from the environment.
    pub fn from_env(store: Store) -> Result<Self, String> {
        Ok(Self::new(Tenancy::from_env(store)?, Arc::new(SecretBox::from_env()?), OutboundPolicy::from_env()))
    }
}

impl FromRef<SystemState> for Tenancy {
    fn from_ref(state: &SystemState) -> Self {
        state.tenancy.clone()
    }
}

pub fn routes(state: SystemState) -> Router {
    let s = "/api/v1/system";
    let integration = format!("{s}/settings/integrations");
    Router::new()
        .route(&format!("{s}/status"), get(status))
        .route(&format!("{s}/jobs"), get(jobs::list))
        .route(&format!("{s}/jobs/{{id}}"), get(jobs::read))
        .route(&format!("{s}/settings/task_progress/{{id}}"), get(jobs::read))
        .route(&format!("{s}/prompts"), get(prompts::list))
        .route(&format!("{s}/prompts/{{function}}"), get(prompts::read).put(prompts::update).patch(prompts::update))
        .route(&format!("{s}/prompts/{{function}}/reset_to_default"), post(prompts::reset))
        .merge(guidance::routes::<AuthorProfile>(&format!("{s}/author-profiles")))
        .merge(guidance::routes::<Strategy>(&format!("{s}/strategies")))
        .route(&format!("{s}/settings"), get(settings::read).put(settings::update).patch(settings::update))
        .route(
            &format!("{integration}/{{provider}}"),
            get(integrations::read).put(integrations::update).patch(integrations::update).delete(integrations::remove),
        )
        .route(&format!("{integration}/openai/test_openai"), post(integrations::test_openai))
        .route(&format!("{integration}/openai/models"), get(integrations::openai_models))
        .route(&format!("{integration}/runware/test_runware"), post(integrations::test_runware))
        .route(&format!("{s}/settings/test_openai"), post(integrations::test_openai))
        .route(&format!("{s}/settings/test_runware"), post(integrations::test_runware))
        .with_state(state)
}

pub fn app(state: SystemState) -> HttpService {
    igny8_http::into_service(routes(state))
}

/// No authentication. Always 200: the body says whether the store answered, so a
/// monitor can tell "function up, store down" from "function down".
async fn status(State(state): State<SystemState>) -> Success<Value> {
    let started = Instant::now();
    let store_check = state.tenancy.store.ping().await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(e) = &store_check {
        tracing::warn!(error = %e, "store unreachable");
    }
    let reachable = store_check.is_ok();
    Success::ok(json!({
        "status": if reachable { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "store": {"reachable": reachable, "latency_ms": (latency_ms * 10.0).round() / 10.0},
    }))
}
