//! Content: articles with sanitised HTML and a version kept for every update.
//!
//! HTML above `INLINE_HTML_LIMIT` bytes is stored in the media bucket, one object per
//! version (never overwritten, so every version stays readable); reads fetch it back, so
//! clients never see the difference.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search, not_blank, nullable,
};
use igny8_store::ContentId;
use igny8_store::SiteId;
use igny8_store::TermId;
use igny8_store::{AccountId, SectorId, TaskId};
use igny8_store::{Content, ContentStatus, StoreError, Task, TaxonomyTerm, now};
use igny8_tenancy::{Access, Placement, ScopedCreate, ScopedList, Tenancy, Tenant, by_text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use igny8_http::validate::slugify;

use crate::{Media, WriterState};
use igny8_http::Deleted;
use igny8_media::html::sanitise;
use igny8_media::place_html;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentFilter {
    site_id: Option<SiteId>,
    sector_id: Option<SectorId>,
    /// Words in the title.
    search: Option<String>,
    status: Option<ContentStatus>,
    task_id: Option<TaskId>,
    /// `title`, `word_count`, `created_at` or `updated_at`, with `-` before it for
    /// descending; `-created_at` unless given.
    ordering: Option<String>,
}

impl ScopedList for ContentFilter {
    type Item = Content;
    const ORDERINGS: &'static [&'static str] = &["title", "word_count", "created_at", "updated_at"];
    const DEFAULT_ORDERING: &'static str = "-created_at";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, c: &Content) -> bool {
        matches_search(&c.title, self.search.as_deref())
            && self.status.is_none_or(|s| c.status == s)
            && self.task_id.as_deref().is_none_or(|t| c.task_id.as_deref() == Some(t))
    }

    fn compare(a: &Content, b: &Content, field: &str) -> std::cmp::Ordering {
        match field {
            "title" => by_text(&a.title, &b.title),
            "word_count" => a.word_count.cmp(&b.word_count),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => a.created_at.cmp(&b.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateContentInput {
    #[validate(length(min = 1))]
    site_id: SiteId,
    #[validate(length(min = 1))]
    sector_id: SectorId,
    task_id: Option<TaskId>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    title: String,
    /// The article; it is sanitised before it is stored.
    #[serde(default)]
    html: String,
    #[serde(default)]
    #[validate(length(max = 255))]
    meta_title: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    meta_description: String,
    /// Lower-case letters, digits and hyphens; made from the title unless given.
    #[validate(length(max = 255), custom(function = "valid_slug"))]
    #[schema(pattern = "^[a-z0-9-]*$")]
    slug: Option<String>,
    #[serde(default)]
    #[validate(length(max = 255))]
    primary_keyword: String,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    secondary_keywords: Vec<String>,
    #[serde(default)]
    status: ContentStatus,
    /// Terms of the content's site.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    taxonomy_term_ids: Vec<TermId>,
}

/// The fields to change. A site API key may change only `status`, `external_id` and
/// `external_url`; such a change keeps no version.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateContentInput {
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    title: Option<String>,
    /// The article; it is sanitised before it is stored.
    html: Option<String>,
    #[validate(length(max = 255))]
    meta_title: Option<String>,
    #[validate(length(max = 1000))]
    meta_description: Option<String>,
    /// Lower-case letters, digits and hyphens.
    #[validate(length(max = 255), custom(function = "valid_slug"))]
    #[schema(pattern = "^[a-z0-9-]*$")]
    slug: Option<String>,
    #[validate(length(max = 255))]
    primary_keyword: Option<String>,
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    secondary_keywords: Option<Vec<String>>,
    status: Option<ContentStatus>,
    /// Terms of the content's site.
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    taxonomy_term_ids: Option<Vec<TermId>>,
    /// The post's id in WordPress; null forgets it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 100))]
    #[schema(value_type = Option<String>)]
    external_id: Option<Option<String>>,
    /// The post's address; null forgets it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000), custom(function = "igny8_http::validate::web_url"))]
    #[schema(value_type = Option<String>)]
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
async fn check_terms(state: &WriterState, tenant: &Tenant, ids: &[TermId], site_id: &SiteId) -> ApiResult<Vec<TermId>> {
    let mut unique: Vec<TermId> = ids.to_vec();
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

/// An article without its HTML.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentSummary {
    id: ContentId,
    account_id: AccountId,
    site_id: SiteId,
    sector_id: SectorId,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    task_id: Option<TaskId>,
    title: String,
    meta_title: String,
    meta_description: String,
    slug: String,
    primary_keyword: String,
    secondary_keywords: Vec<String>,
    word_count: u32,
    status: ContentStatus,
    taxonomy_term_ids: Vec<TermId>,
    /// The post's id in WordPress, once published.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    external_id: Option<String>,
    /// The post's address, once published.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    external_url: Option<String>,
    /// 1 for the first save; each update adds one.
    version: u32,
    /// The number of the newest kept version.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    version_seq: Option<u32>,
    created_at: String,
    updated_at: String,
}

/// An article with its HTML.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentView {
    #[serde(flatten)]
    summary: ContentSummary,
    /// The sanitised article.
    html: String,
}

/// A former version of an article, without its HTML.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentVersionSummary {
    /// The version's number, for `versions/{seq}`.
    seq: u32,
    #[serde(flatten)]
    summary: ContentSummary,
}

/// A former version of an article, with its HTML.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentVersionView {
    seq: u32,
    #[serde(flatten)]
    content: ContentView,
}

/// A content item as the API shows it: with its HTML, wherever it is stored.
async fn full_view(media: &Media, content: &Content) -> ApiResult<ContentView> {
    let html = match &content.html_s3_key {
        Some(key) => media.get_text(key).await.map_err(crate::media_failed)?,
        None => content.html.clone(),
    };
    Ok(ContentView { summary: summary_view(content), html })
}

/// A content item in a list: everything but the body.
fn summary_view(content: &Content) -> ContentSummary {
    // Named in full so that a new field of `Content` is a decision here, not a leak.
    let Content {
        id,
        account_id,
        site_id,
        sector_id,
        task_id,
        title,
        html: _,
        html_s3_key: _,
        meta_title,
        meta_description,
        slug,
        primary_keyword,
        secondary_keywords,
        word_count,
        status,
        taxonomy_term_ids,
        external_id,
        external_url,
        version,
        version_seq,
        created_at,
        updated_at,
    } = content;
    ContentSummary {
        id: id.clone(),
        account_id: account_id.clone(),
        site_id: site_id.clone(),
        sector_id: sector_id.clone(),
        task_id: task_id.clone(),
        title: title.clone(),
        meta_title: meta_title.clone(),
        meta_description: meta_description.clone(),
        slug: slug.clone(),
        primary_keyword: primary_keyword.clone(),
        secondary_keywords: secondary_keywords.clone(),
        word_count: *word_count,
        status: *status,
        taxonomy_term_ids: taxonomy_term_ids.clone(),
        external_id: external_id.clone(),
        external_url: external_url.clone(),
        version: *version,
        version_seq: *version_seq,
        created_at: created_at.clone(),
        updated_at: updated_at.clone(),
    }
}

#[utoipa::path(get, path = "/api/v1/writer/content", tag = "writer", params(PageQuery, ContentFilter),
    responses((status = 200, description = "The content the caller may see, without HTML, newest first unless ordered otherwise.", body = Page<ContentSummary>)))]
pub async fn list(
    State(state): State<WriterState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ContentFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<ContentSummary>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let items = state.tenancy.select(&tenant, &filter).await?;
    Ok(ListResponse::paginate(items.iter().map(summary_view).collect(), &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/writer/content/{id}", tag = "writer",
    params(("id" = String, Path, description = "The content's id.")),
    responses((status = 200, description = "The content with its HTML.", body = Envelope<ContentView>)))]
pub async fn read(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<ContentId>,
) -> ApiResult<Success<ContentView>> {
    tenant.require(Access::SiteRead)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    Ok(Success::ok(full_view(&state.media, &content).await?))
}

#[utoipa::path(post, path = "/api/v1/writer/content", tag = "writer", request_body = CreateContentInput,
    responses((status = 201, description = "The content, created, with its sanitised HTML.", body = Envelope<ContentView>)))]
pub async fn create(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateContentInput>,
) -> ApiResult<Success<ContentView>> {
    let content = state.tenancy.create_scoped(&state, &tenant, input).await?;
    Ok(Success::created(full_view(&state.media, &content).await?))
}

impl ScopedCreate for CreateContentInput {
    type Item = Content;
    type Context = WriterState;

    igny8_tenancy::placement_fields!();

    /// Checks the task and terms, and places the sanitised HTML (in S3 when large).
    async fn build(
        self,
        state: &WriterState,
        tenancy: &Tenancy,
        tenant: &Tenant,
        at: Placement<ContentId>,
    ) -> ApiResult<Content> {
        let sector_id = at.sector_id()?;
        if let Some(task_id) = &self.task_id {
            let task: Task = tenancy.find_scoped(tenant, task_id, "Task").await?;
            if task.sector_id != sector_id {
                return Err(ApiError::field("task_id", "The task belongs to another sector."));
            }
        }
        let taxonomy_term_ids = check_terms(state, tenant, &self.taxonomy_term_ids, &at.site.id).await?;
        let mut content = Content {
            id: at.id,
            account_id: at.account_id,
            site_id: at.site.id,
            sector_id,
            task_id: self.task_id,
            slug: self.slug.unwrap_or_else(|| slugify(&self.title)),
            title: self.title.trim().to_owned(),
            html: String::new(),
            html_s3_key: None,
            meta_title: self.meta_title,
            meta_description: self.meta_description,
            primary_keyword: self.primary_keyword,
            secondary_keywords: self.secondary_keywords,
            word_count: 0,
            status: self.status,
            taxonomy_term_ids,
            external_id: None,
            external_url: None,
            version: 1,
            version_seq: None,
            created_at: at.stamp.clone(),
            updated_at: at.stamp,
        };
        place_html(&state.media, &mut content, sanitise(&self.html)).await.map_err(crate::media_failed)?;
        Ok(content)
    }

    /// The HTML placed in S3 for content the store then refused.
    async fn discard(state: &WriterState, content: &Content) {
        state.media.delete_quietly(content.html_s3_key.clone()).await;
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/writer/content/{id}", tag = "writer",
    params(("id" = String, Path, description = "The content's id.")), request_body = UpdateContentInput,
    responses((status = 200, description = "The content as changed, with its HTML (a change of its text keeps the former one as a version).", body = Envelope<ContentView>)))]
pub async fn update(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<ContentId>,
    JsonBody(input): JsonBody<UpdateContentInput>,
) -> ApiResult<Success<ContentView>> {
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
        place_html(&state.media, &mut next, sanitise(&html)).await.map_err(crate::media_failed)?;
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
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/api/v1/writer/content/{id}", tag = "writer",
    params(("id" = String, Path, description = "The content's id.")),
    responses((status = 200, description = "The content and its versions are deleted.", body = Envelope<Deleted>)))]
pub async fn remove(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<ContentId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Write)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let versions = state.store().delete_content(&content).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Content"),
        e => e.into(),
    })?;
    let mut objects: Vec<String> = versions.iter().chain([&content]).filter_map(|c| c.html_s3_key.clone()).collect();
    objects.sort();
    objects.dedup();
    state.media.delete_quietly(objects).await;
    Ok(Success::ok(Deleted::of(content.id)))
}

/// Former versions of the article (changes of its text, not of its status; the newest
/// `CONTENT_VERSIONS_KEPT`), newest first, without their HTML: `versions/{seq}/` has it.
#[utoipa::path(get, path = "/api/v1/writer/content/{id}/versions", tag = "writer",
    params(("id" = String, Path, description = "The content's id."), PageQuery),
    responses((status = 200, description = "The kept former versions, newest first, without HTML.", body = Page<ContentVersionSummary>)))]
pub async fn versions(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<ContentId>,
    QueryParams(page): QueryParams<PageParams>,
    uri: Uri,
) -> ApiResult<ListResponse<ContentVersionSummary>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let versions = state.store().content_versions(tenant.account_id(), &content.id).await?;
    let results: Vec<ContentVersionSummary> = versions
        .iter()
        .map(|(seq, version)| ContentVersionSummary { seq: *seq, summary: summary_view(version) })
        .collect();
    Ok(ListResponse::paginate(results, &page, &uri))
}

/// One former version, with its HTML.
#[utoipa::path(get, path = "/api/v1/writer/content/{id}/versions/{seq}", tag = "writer",
    params(
        ("id" = String, Path, description = "The content's id."),
        ("seq" = u32, Path, description = "The version's number."),
    ),
    responses((status = 200, description = "The former version with its HTML.", body = Envelope<ContentVersionView>)))]
pub async fn version(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path((id, seq)): Path<(ContentId, u32)>,
) -> ApiResult<Success<ContentVersionView>> {
    tenant.require(Access::SiteRead)?;
    let content: Content = state.tenancy.find_scoped(&tenant, &id, "Content").await?;
    let version = state
        .store()
        .content_version(tenant.account_id(), &content.id, seq)
        .await?
        .ok_or_else(|| ApiError::not_found("Version"))?;
    Ok(Success::ok(ContentVersionView { seq, content: full_view(&state.media, &version).await? }))
}

impl WriterState {
    fn store(&self) -> &igny8_store::Store {
        &self.tenancy.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(optional: bool) -> Content {
        let some = |v: &str| optional.then(|| v.to_owned());
        Content {
            id: "cnt_1".into(),
            account_id: "acc_1".into(),
            site_id: "site_1".into(),
            sector_id: "sec_1".into(),
            task_id: some("task_1").map(Into::into),
            title: "Running shoes".into(),
            html: "<p>Hi</p>".into(),
            html_s3_key: some("content/acc_1/cnt_1/v1.html"),
            meta_title: "Shoes".into(),
            meta_description: "All about shoes".into(),
            slug: "running-shoes".into(),
            primary_keyword: "running shoes".into(),
            secondary_keywords: vec!["trail shoes".into()],
            word_count: 1200,
            status: ContentStatus::Review,
            taxonomy_term_ids: vec!["term_1".into()],
            external_id: some("42"),
            external_url: some("https://example.com/running-shoes"),
            version: 3,
            version_seq: optional.then_some(2),
            created_at: "2026-03-01T10:00:00.000Z".into(),
            updated_at: "2026-03-02T10:00:00.000Z".into(),
        }
    }

    /// The stored content without its body, as the API showed it before it had a type.
    fn stored_without_body(content: &Content) -> serde_json::Value {
        let mut expected = serde_json::to_value(content).unwrap();
        let fields = expected.as_object_mut().unwrap();
        fields.remove("html");
        fields.remove("html_s3_key");
        expected
    }

    #[test]
    fn views_show_the_stored_fields_but_the_body_key() {
        for optional in [true, false] {
            let content = content(optional);
            let expected = stored_without_body(&content);
            assert_eq!(serde_json::to_value(summary_view(&content)).unwrap(), expected);

            let mut with_html = expected.clone();
            with_html["html"] = "<p>Hi</p>".into();
            let full = ContentView { summary: summary_view(&content), html: "<p>Hi</p>".into() };
            assert_eq!(serde_json::to_value(&full).unwrap(), with_html);

            let mut version = with_html.clone();
            version["seq"] = 7.into();
            assert_eq!(serde_json::to_value(ContentVersionView { seq: 7, content: full }).unwrap(), version);

            let mut listed = expected.clone();
            listed["seq"] = 7.into();
            let summary = ContentVersionSummary { seq: 7, summary: summary_view(&content) };
            assert_eq!(serde_json::to_value(summary).unwrap(), listed);
        }
    }
}
