//! `/api/v1/writer/`: writer tasks, content (sanitised HTML, version history, large
//! articles in S3), images (bytes in S3, served by signed URL) and taxonomy terms
//! (`docs/product.md §4` writer), and the AI jobs that write articles, image prompts and
//! images.

mod ai_jobs;
mod content;
mod images;
mod publish;
mod tasks;
mod taxonomies;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use igny8_ai::JobQueue;
use igny8_http::routes;
use igny8_http::{ApiRouter, HttpService};
pub use igny8_media::{Media, s3_client};
use igny8_tenancy::Tenancy;
use utoipa::openapi::OpenApi;

/// Largest image upload.
const IMAGE_BODY_LIMIT_BYTES: usize = 5 * 1024 * 1024;
/// Articles can be long; the HTML of one may be a few hundred kilobytes.
const CONTENT_BODY_LIMIT_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct WriterState {
    pub tenancy: Tenancy,
    pub media: Media,
    pub jobs: JobQueue,
    /// The publisher's queue (WordPress).
    pub publish: JobQueue,
}

impl FromRef<WriterState> for Tenancy {
    fn from_ref(state: &WriterState) -> Self {
        state.tenancy.clone()
    }
}

/// The function's routes, each with its description (`docs/api-contract.md`).
fn api() -> ApiRouter<WriterState> {
    // Article bodies and image bytes are larger than the default body limit allows.
    let content = ApiRouter::new()
        .routes(routes!(content::list, content::create))
        .routes(routes!(content::read, content::update, content::remove))
        .layer(DefaultBodyLimit::max(CONTENT_BODY_LIMIT_BYTES));
    let upload = ApiRouter::new().routes(routes!(images::upload)).layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT_BYTES));
    ApiRouter::new()
        .routes(routes!(ai_jobs::generate_content))
        .routes(routes!(ai_jobs::auto_generate_content))
        .routes(routes!(ai_jobs::generate_image_prompts))
        .routes(routes!(ai_jobs::generate_images))
        .routes(routes!(publish::bulk_publish))
        .routes(routes!(publish::publish_one))
        .routes(routes!(tasks::list, tasks::create))
        .routes(routes!(tasks::bulk_delete))
        .routes(routes!(tasks::bulk_update))
        .routes(routes!(tasks::read, tasks::update, tasks::remove))
        .merge(content)
        .routes(routes!(content::versions))
        .routes(routes!(content::version))
        .routes(routes!(images::list, images::create))
        .routes(routes!(images::read, images::update, images::remove))
        .merge(upload)
        .routes(routes!(taxonomies::list, taxonomies::create))
        .routes(routes!(taxonomies::read, taxonomies::update, taxonomies::remove))
}

pub fn routes(state: WriterState) -> Router {
    api().into_router(state)
}

/// This function's part of the API document.
pub fn openapi() -> OpenApi {
    api().into_openapi()
}

pub fn app(state: WriterState) -> HttpService {
    igny8_http::into_service(routes(state))
}

/// The API's answer when the media bucket fails: 503 with `Retry-After` when S3 is busy
/// (throttled, failing inside, not answering), else 500.
pub(crate) fn media_failed(error: igny8_media::MediaError) -> igny8_http::ApiError {
    match error {
        igny8_media::MediaError::Busy(detail) => {
            tracing::warn!(%detail, "the media bucket stayed busy through its retries");
            igny8_http::ApiError::unavailable("Storage is busy; try again in a moment.")
        }
        igny8_media::MediaError::Failed(detail) => igny8_http::ApiError::internal(detail),
    }
}
