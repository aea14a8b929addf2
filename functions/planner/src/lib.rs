//! `/api/v1/planner/`: keywords (CRUD, bulk operations, CSV import and export),
//! clusters (whose keyword count and volume are derived), and content ideas that become
//! writer tasks (`docs/product.md §4` planner), and the AI jobs that cluster keywords and
//! turn clusters into ideas.

mod ai_jobs;
mod clusters;
pub mod csv_io;
mod ideas;
pub mod keywords;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use igny8_ai::JobQueue;
use igny8_http::HttpService;
use igny8_tenancy::Tenancy;

/// CSV files may be larger than JSON bodies: 10 000 rows are about 400 KB.
const CSV_BODY_LIMIT_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct PlannerState {
    pub tenancy: Tenancy,
    pub jobs: JobQueue,
    /// The automation queue, told of imports (rules triggered by `keywords_imported`).
    pub automation: Option<JobQueue>,
}

impl PlannerState {
    /// Tells automation that keywords were imported into a sector. A lost message only
    /// means the rule runs at its next firing or by hand; the import stands.
    pub async fn keywords_imported(&self, account_id: &str, site_id: &str, sector_id: &str) {
        let Some(queue) = &self.automation else { return };
        let message = serde_json::json!({
            "account_id": account_id, "site_id": site_id, "sector_id": sector_id, "event": "keywords_imported",
            "imported_at": igny8_store::now(),
        });
        if let Err(e) = queue.send(&message).await {
            tracing::warn!(error = %e, "automation was not told of the import");
        }
    }
}

impl FromRef<PlannerState> for Tenancy {
    fn from_ref(state: &PlannerState) -> Self {
        state.tenancy.clone()
    }
}

pub fn routes(state: PlannerState) -> Router {
    let p = "/api/v1/planner";
    Router::new()
        .route(&format!("{p}/keywords/auto_cluster"), post(ai_jobs::auto_cluster))
        .route(&format!("{p}/clusters/generate_ideas"), post(ai_jobs::generate_ideas))
        .route(&format!("{p}/clusters/auto_generate_ideas"), post(ai_jobs::generate_ideas))
        .route(&format!("{p}/keywords"), get(keywords::list).post(keywords::create))
        .route(&format!("{p}/keywords/bulk_create"), post(keywords::bulk_create))
        .route(&format!("{p}/keywords/bulk_delete"), post(keywords::bulk_delete))
        .route(&format!("{p}/keywords/bulk_update_status"), post(keywords::bulk_update_status))
        .route(
            &format!("{p}/keywords/import_csv"),
            post(csv_io::import).layer(DefaultBodyLimit::max(CSV_BODY_LIMIT_BYTES)),
        )
        .route(&format!("{p}/keywords/export_csv"), get(csv_io::export))
        .route(
            &format!("{p}/keywords/{{id}}"),
            get(keywords::read).put(keywords::update).patch(keywords::update).delete(keywords::remove),
        )
        .route(&format!("{p}/clusters"), get(clusters::list).post(clusters::create))
        .route(
            &format!("{p}/clusters/{{id}}"),
            get(clusters::read).put(clusters::update).patch(clusters::update).delete(clusters::remove),
        )
        .route(&format!("{p}/clusters/{{id}}/keywords"), post(clusters::assign_keywords))
        .route(&format!("{p}/ideas"), get(ideas::list).post(ideas::create))
        .route(&format!("{p}/ideas/queue_to_writer"), post(ideas::queue_to_writer))
        .route(
            &format!("{p}/ideas/{{id}}"),
            get(ideas::read).put(ideas::update).patch(ideas::update).delete(ideas::remove),
        )
        .with_state(state)
}

pub fn app(state: PlannerState) -> HttpService {
    igny8_http::into_service(routes(state))
}
