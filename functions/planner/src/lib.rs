//! `/api/v1/planner/`: keywords (CRUD, bulk operations, CSV import and export),
//! clusters (whose keyword count and volume are derived), and content ideas that become
//! writer tasks (`docs/product.md §4` planner), and the AI jobs that cluster keywords and
//! turn clusters into ideas.

mod ai_jobs;
mod clusters;
pub mod csv_io;
mod ideas;
mod keyword_pages;
pub mod keywords;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use igny8_ai::JobQueue;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
use igny8_store::{AccountId, SectorId, SiteId};
use igny8_tenancy::Tenancy;
use utoipa::openapi::OpenApi;

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
    pub async fn keywords_imported(&self, account_id: &AccountId, site_id: &SiteId, sector_id: &SectorId) {
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

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<PlannerState> {
    // A CSV file may be larger than the default body limit allows.
    let import = ApiRouter::new().routes(routes!(csv_io::import)).layer(DefaultBodyLimit::max(CSV_BODY_LIMIT_BYTES));
    ApiRouter::new()
        .routes(routes!(ai_jobs::auto_cluster))
        .routes(routes!(ai_jobs::generate_ideas))
        .routes(routes!(ai_jobs::auto_generate_ideas))
        .routes(routes!(keywords::list, keywords::create))
        .routes(routes!(keywords::bulk_create))
        .routes(routes!(keywords::bulk_delete))
        .routes(routes!(keywords::bulk_update_status))
        .merge(import)
        .routes(routes!(csv_io::export))
        .routes(routes!(keywords::read, keywords::update, keywords::remove))
        .routes(routes!(clusters::list, clusters::create))
        .routes(routes!(clusters::read, clusters::update, clusters::remove))
        .routes(routes!(clusters::assign_keywords))
        .routes(routes!(ideas::list, ideas::create))
        .routes(routes!(ideas::queue_to_writer))
        .routes(routes!(ideas::read, ideas::update, ideas::remove))
}

pub fn routes(state: PlannerState) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: PlannerState) -> HttpService {
    igny8_http::into_service(routes(state))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn the_document_lists_every_route() {
        let document = super::openapi();
        let mut described = BTreeSet::new();
        for (path, item) in &document.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    described.insert(format!("{method} {}", path.trim_start_matches("/api/v1/planner/")));
                }
            }
        }
        let mut expected = BTreeSet::new();
        for (methods, path) in [
            ("GET POST", "keywords"),
            ("GET PUT PATCH DELETE", "keywords/{id}"),
            ("POST", "keywords/bulk_create"),
            ("POST", "keywords/bulk_delete"),
            ("POST", "keywords/bulk_update_status"),
            ("POST", "keywords/import_csv"),
            ("GET", "keywords/export_csv"),
            ("POST", "keywords/auto_cluster"),
            ("GET POST", "clusters"),
            ("GET PUT PATCH DELETE", "clusters/{id}"),
            ("POST", "clusters/{id}/keywords"),
            ("POST", "clusters/generate_ideas"),
            ("POST", "clusters/auto_generate_ideas"),
            ("GET POST", "ideas"),
            ("GET PUT PATCH DELETE", "ideas/{id}"),
            ("POST", "ideas/queue_to_writer"),
        ] {
            expected.extend(methods.split(' ').map(|method| format!("{method} {path}")));
        }
        assert_eq!(described, expected);
    }
}
