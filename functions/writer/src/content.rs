//! Content: articles with sanitised HTML and a version kept for every update.
//!
//! HTML above `INLINE_HTML_LIMIT` bytes is stored in the media bucket, one object per
//! version (never overwritten, so every version stays readable); reads fetch it back, so
//! clients never see the difference.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, matches_search, not_blank,
    nullable,
};
use igny8_store::{Content, ContentStatus, StoreError, Task, TaxonomyTerm, new_id, now};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use igny8_http::validate::slugify;

use crate::{Media, WriterState};
use igny8_media::html::sanitise;
use igny8_media::place_html;

#[derive(Debug, Deserialize)]
pub struct ContentFilter {
    site_id: Option<String>,
    sector_id: Option<String>,
    search: Option<String>,
    status: Option<ContentStatus>,
    task_id: Option<String>,
    ordering: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct CreateContentInput {
    #[validate(length(min = 1))]
    site_id: String,
    #[validate(length(min = 1))]
    sector_id: String,
    task_id: Option<String>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    title: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    #[validate(length(max = 255))]
    meta_title: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    meta_description: String,
    #[validate(length(max = 255), custom(function = "valid_slug"))]
    slug: Option<String>,
    #[serde(default)]
    #[validate(length(max = 255))]
    primary_keyword: String,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    secondary_keywords: Vec<String>,
    #[serde(default)]
    status: ContentStatus,
    #[serde(default)]
    #[validate(length(max = 100))]
    taxonomy_term_ids: Vec<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct UpdateContentInput {
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    title: Option<String>,
    html: Option<String>,
    #[validate(length(max = 255))]
    meta_title: Option<String>,
    #[validate(length(max = 1000))]
    meta_description: Option<String>,
    #[validate(length(max = 255), custom(function = "valid_slug"))]
    slug: Option<String>,
    #[validate(length(max = 255))]
    primary_keyword: Option<String>,
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    secondary_keywords: Option<Vec<String>>,
    status: Option<ContentStatus>,
    #[validate(length(max = 100))]
    taxonomy_term_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 100))]
    external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000), custom(function = "igny8_http::validate::web_url"))]
    external_url: Option<Option<String>>,
}

impl UpdateContentInput {
    /// What the WordPress bridge (a site API key) may change: status and the post it
    /// became.
    fn only_workflow(&self) -> bool {
        self.title.is_none()
            && self.html.is_none()
            && self.meta_title.is_none()
            && self.meta_description.is_none()
            && self.slug.is_none()
            && self.primary_keyword.is_none()
            && self.secondary_keywords.is_none()
            && self.taxonomy_term_ids.is_none()
    }
}

fn valid_slug(value: &str) -> Result<(), validator::ValidationError> {
    if value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("slug");
    error.message = Some("Use lower-case letters, digits and hyphens.".into());
    Err(error)
}

/// Taxonomy terms given for content: each must be the caller's (else 404) and of the
/// content's site (else 400).
async fn check_terms(state: &WriterState, tenant: &Tenant, ids: &[String], site_id: &str) -> ApiResult<Vec<String>> {
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(unique);
    }
    let terms: Vec<TaxonomyTerm> = state.tenancy.find_all_scoped(tenant, &unique, "Taxonomy term").await?;
    if terms.iter().any(|t| t.site_id != site_id) {
        return Err(ApiError::field("taxonomy_term_ids", "Terms must belong to the content's site."));
    }
    Ok(ids.iter().fold(Vec::new(), |mut kept, id| {
        if !kept.contains(id) {
            kept.push(id.clone());
        }
        kept
    }))
}

/// A content item as the API shows it: with its HTML, wherever it is stored.
async fn full_view(media: &Media, content: &Content) -> ApiResult<Value> {
    let html = match &content.html_s3_key {
        Some(key) => media.get_text(key).await.map_err(ApiError::internal)?,
        None => content.html.clone(),
    };
    let mut view = summary_view(content);
    view["html"] = Value::String(html);
    Ok(view)
}

/// A content item in a list: everything but the body.
fn summary_view(content: &Content) -> Value {
    let mut view = serde_json::to_value(content).unwrap_or_default();
    if let Some(fields) = view.as_object_mut() {
        fields.remove("html");
        fields.remove("html_s3_key");
    }
    view
}

pub async fn list(
    State(state): State<WriterState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ContentFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let ordering = Ordering::parse(
        filter.ordering.as_deref(),
        &["title", "word_count", "created_at", "updated_at"],
        "-created_at",
    )?;
    let all: Vec<Content> =
        state.tenancy.list_in_scope(&tenant, filter.site_id.as_deref(), filter.sector_id.as_deref()).await?;
    let mut items: Vec<Content> = all
        .into_iter()
        .filter(|c| {
            matches_search(&c.title, filter.search.as_deref())
                && filter.status.is_none_or(|s| c.status == s)
                && filter.task_id.as_deref().is_none_or(|t| c.task_id.as_deref() == Some(t))
        })
        .collect();
    ordering.sort(
        &mut items,
        |a, b, field| match field {
            "title" => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
            "word_count" => a.word_count.cmp(&b.word_count),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => a.created_at.cmp(&b.created_at),
        },
        |x| x.id.as_str(),
    );
    Ok(ListResponse::paginate(items.iter().map(summary_view).collect(), &page, &uri))
}

pub async fn read(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::SiteRead)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    Ok(Success::ok(full_view(&state.media, &content).await?))
}

pub async fn create(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateContentInput>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let (site, sector) = state.tenancy.resolve_sector(&tenant, &input.site_id, &input.sector_id).await?;
    if let Some(task_id) = &input.task_id {
        let task: Task = state.tenancy.find_scoped(&tenant, task_id, "Task").await?;
        if task.sector_id != sector.id {
            return Err(ApiError::field("task_id", "The task belongs to another sector."));
        }
    }
    let taxonomy_term_ids = check_terms(&state, &tenant, &input.taxonomy_term_ids, &site.id).await?;
    let stamp = now();
    let mut content = Content {
        id: new_id("cnt"),
        account_id: tenant.account_id().to_owned(),
        site_id: site.id,
        sector_id: sector.id,
        task_id: input.task_id,
        slug: input.slug.unwrap_or_else(|| slugify(&input.title)),
        title: input.title.trim().to_owned(),
        html: String::new(),
        html_s3_key: None,
        meta_title: input.meta_title,
        meta_description: input.meta_description,
        primary_keyword: input.primary_keyword,
        secondary_keywords: input.secondary_keywords,
        word_count: 0,
        status: input.status,
        taxonomy_term_ids,
        external_id: None,
        external_url: None,
        version: 1,
        version_seq: None,
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    place_html(&state.media, &mut content, sanitise(&input.html)).await.map_err(ApiError::internal)?;
    if let Err(e) = state.store().create(&content).await {
        state.media.delete_quietly(content.html_s3_key.clone()).await;
        return Err(igny8_tenancy::create_failed(e));
    }
    Ok(Success::created(full_view(&state.media, &content).await?))
}

pub async fn update(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<UpdateContentInput>,
) -> ApiResult<Success<Value>> {
    let input_was_workflow = input.only_workflow();
    tenant.require(if input_was_workflow { Access::WorkflowStatus } else { Access::Write })?;
    let current: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let mut next = current.clone();
    next.version = current.version + 1;
    next.updated_at = now();
    if let Some(v) = input.title {
        next.title = v.trim().to_owned();
    }
    if let Some(v) = input.meta_title {
        next.meta_title = v;
    }
    if let Some(v) = input.meta_description {
        next.meta_description = v;
    }
    if let Some(v) = input.slug {
        next.slug = v;
    }
    if let Some(v) = input.primary_keyword {
        next.primary_keyword = v;
    }
    if let Some(v) = input.secondary_keywords {
        next.secondary_keywords = v;
    }
    if let Some(v) = input.status {
        next.status = v;
    }
    if let Some(v) = input.taxonomy_term_ids {
        next.taxonomy_term_ids = check_terms(&state, &tenant, &v, &current.site_id).await?;
    }
    if let Some(v) = input.external_id {
        next.external_id = v;
    }
    if let Some(v) = input.external_url {
        next.external_url = v;
    }
    if let Some(html) = input.html {
        place_html(&state.media, &mut next, sanitise(&html)).await.map_err(ApiError::internal)?;
    }
    // A change of status (or of where it was published) is not a new text: no version.
    match state.store().save_content(&current, &next, !input_was_workflow).await {
        Ok(dropped) => {
            // The version that made room may point at an article body no one else uses.
            let unused = dropped
                .and_then(|d| d.html_s3_key)
                .filter(|key| Some(key) != next.html_s3_key.as_ref() && Some(key) != current.html_s3_key.as_ref());
            state.media.delete_quietly(unused).await;
            let saved = state.tenancy.find_scoped::<Content>(&tenant, &id, "Content").await?;
            Ok(Success::ok(full_view(&state.media, &saved).await?))
        }
        Err(StoreError::Condition(_)) => Err(ApiError::conflict(
            "CONFLICT",
            "The content was changed by another request at the same time; reload and try again.",
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

pub async fn remove(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let versions = state.store().delete_content(&content).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Content"),
        e => ApiError::internal(e),
    })?;
    let mut objects: Vec<String> = versions.iter().chain([&content]).filter_map(|c| c.html_s3_key.clone()).collect();
    objects.sort();
    objects.dedup();
    state.media.delete_quietly(objects).await;
    Ok(Success::ok(json!({"id": content.id, "deleted": true})))
}

/// Former versions of the article (changes of its text, not of its status; the newest
/// `CONTENT_VERSIONS_KEPT`), newest first, without their HTML: `versions/{seq}/` has it.
pub async fn versions(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
    QueryParams(page): QueryParams<PageParams>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let versions =
        state.store().content_versions(tenant.account_id(), &content.id).await.map_err(ApiError::internal)?;
    let results: Vec<Value> = versions
        .iter()
        .map(|(seq, version)| {
            let mut view = summary_view(version);
            view["seq"] = json!(seq);
            view
        })
        .collect();
    Ok(ListResponse::paginate(results, &page, &uri))
}

/// One former version, with its HTML.
pub async fn version(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path((id, seq)): Path<(String, u32)>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::SiteRead)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let version = state
        .store()
        .content_version(tenant.account_id(), &content.id, seq)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("Version"))?;
    let mut view = full_view(&state.media, &version).await?;
    view["seq"] = json!(seq);
    Ok(Success::ok(view))
}

impl WriterState {
    fn store(&self) -> &igny8_store::Store {
        &self.tenancy.store
    }
}
