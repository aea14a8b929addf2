//! The whole API document, put together from every HTTP function's part. The test
//! suite keeps `docs/openapi.json` (which the system function serves) equal to it;
//! `UPDATE_OPENAPI=1 cargo nextest run -E 'test(openapi)'` writes it anew
//! (`docs/api-contract.md`).

use utoipa::openapi::OpenApi;
use utoipa::openapi::tag::TagBuilder;

const DESCRIPTION: &str = "IGNY8's HTTP API: keywords, clusters, ideas, writer tasks, AI-written content and \
images, publishing to WordPress, automation and credits. Every answer is an envelope: `success`, then `data` \
(or `count`, `next`, `previous` and `results` for lists, or `error`, `error_code` and `errors`), `request_id` \
and `timestamp`. Paths may end with or without `/`.";

const TAGS: &[(&str, &str)] = &[
    ("auth", "Sessions, the account, users, sites, sectors and site API keys."),
    ("planner", "Keywords, clusters and content ideas, and the AI jobs that make them."),
    ("writer", "Writer tasks, content and its versions, images, taxonomy terms, publishing."),
    ("integration", "WordPress connections, site structure, sync, and the bridge plugin's calls."),
    ("automation", "Rules that run the pipeline on a schedule or on import, and their runs."),
    ("billing", "Credits, prices, transactions and usage."),
    ("system", "Health, jobs, prompts, AI settings, provider keys, author profiles, strategies, this document."),
];

/// The document the system function serves at `/api/v1/schema`; an error when two
/// functions describe different schemas under one name.
pub fn openapi_document() -> Result<OpenApi, String> {
    let parts = [
        igny8_auth::openapi(),
        igny8_planner::openapi(),
        igny8_writer::openapi(),
        igny8_integration::openapi(),
        igny8_automation_api::openapi(),
        igny8_billing::openapi(),
        igny8_system::openapi(),
    ];
    let mut api = igny8_http::openapi::document("IGNY8 API", env!("CARGO_PKG_VERSION"), DESCRIPTION, parts)?;
    api.tags = Some(
        TAGS.iter().map(|(name, about)| TagBuilder::new().name(*name).description(Some(*about)).build()).collect(),
    );
    Ok(api)
}
