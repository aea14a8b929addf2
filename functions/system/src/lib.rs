//! `/api/v1/system/`: health. (Settings, prompts and job progress join with the AI
//! pipeline.)

use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use igny8_http::{HttpService, Success};
use igny8_store::Store;
use serde_json::{Value, json};

pub fn routes(store: Store) -> Router {
    Router::new().route("/api/v1/system/status", get(status)).with_state(store)
}

pub fn app(store: Store) -> HttpService {
    igny8_http::into_service(routes(store))
}

/// No authentication. Always 200: the body says whether the store answered, so a
/// monitor can tell "function up, store down" from "function down".
async fn status(State(store): State<Store>) -> Success<Value> {
    let started = Instant::now();
    let store_check = store.ping().await;
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
