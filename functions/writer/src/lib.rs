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
use axum::routing::{get, post};
use igny8_ai::JobQueue;
use igny8_http::HttpService;
pub use igny8_media::{Media, s3_client};
use igny8_tenancy::Tenancy;

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

pub fn routes(state: WriterState) -> Router {
    let w = "/api/v1/writer";
    let content_limit = DefaultBodyLimit::max(CONTENT_BODY_LIMIT_BYTES);
    Router::new()
        .route(&format!("{w}/tasks/generate_content"), post(ai_jobs::generate_content))
        .route(&format!("{w}/tasks/auto_generate_content"), post(ai_jobs::generate_content))
        .route(&format!("{w}/content/generate_image_prompts"), post(ai_jobs::generate_image_prompts))
        .route(&format!("{w}/images/generate_images"), post(ai_jobs::generate_images))
        .route(&format!("{w}/content/bulk_publish"), post(publish::bulk_publish))
        .route(&format!("{w}/content/{{id}}/publish"), post(publish::publish_one))
        .route(&format!("{w}/tasks"), get(tasks::list).post(tasks::create))
        .route(&format!("{w}/tasks/bulk_delete"), post(tasks::bulk_delete))
        .route(&format!("{w}/tasks/bulk_update"), post(tasks::bulk_update))
        .route(
            &format!("{w}/tasks/{{id}}"),
            get(tasks::read).put(tasks::update).patch(tasks::update).delete(tasks::remove),
        )
        .route(&format!("{w}/content"), get(content::list).post(content::create).layer(content_limit))
        .route(
            &format!("{w}/content/{{id}}"),
            get(content::read).put(content::update).patch(content::update).delete(content::remove).layer(content_limit),
        )
        .route(&format!("{w}/content/{{id}}/versions"), get(content::versions))
        .route(&format!("{w}/content/{{id}}/versions/{{seq}}"), get(content::version))
        .route(&format!("{w}/images"), get(images::list).post(images::create))
        .route(
            &format!("{w}/images/{{id}}"),
            get(images::read).put(images::update).patch(images::update).delete(images::remove),
        )
        .route(
            &format!("{w}/images/{{id}}/upload"),
            post(images::upload).layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT_BYTES)),
        )
        .route(&format!("{w}/taxonomies"), get(taxonomies::list).post(taxonomies::create))
        .route(
            &format!("{w}/taxonomies/{{id}}"),
            get(taxonomies::read).put(taxonomies::update).patch(taxonomies::update).delete(taxonomies::remove),
        )
        .with_state(state)
}

pub fn app(state: WriterState) -> HttpService {
    igny8_http::into_service(routes(state))
}
