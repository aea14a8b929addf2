//! Content ideas, and turning them into writer tasks.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::validate::clean_phrases;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search, not_blank, nullable,
};
use igny8_store::Conflict;
use igny8_store::{ClusterId, SectorId, SiteId};
use igny8_store::{ContentStructure, ContentType, Idea, IdeaPatch, IdeaStatus, Plan, StoreError, Task};
use igny8_store::{IdeaId, TaskId};
use igny8_tenancy::{Access, Placement, ScopedCreate, ScopedList, Tenancy, Tenant, by_text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

const DEFAULT_WORD_COUNT: u32 = 1_500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdeaFilter {
    /// A site the caller can see.
    #[param(required = true, value_type = String)]
    site_id: Option<SiteId>,
    /// One sector of the site; all of them unless given.
    sector_id: Option<SectorId>,
    /// Part of the title, in any case.
    search: Option<String>,
    status: Option<IdeaStatus>,
    cluster_id: Option<ClusterId>,
    content_type: Option<ContentType>,
    /// `title`, `estimated_word_count` or `created_at`, with a leading `-` for
    /// descending; `-created_at` unless given.
    ordering: Option<String>,
}

impl ScopedList for IdeaFilter {
    type Item = Idea;
    const ORDERINGS: &'static [&'static str] = &["title", "estimated_word_count", "created_at"];
    const DEFAULT_ORDERING: &'static str = "-created_at";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, i: &Idea) -> bool {
        matches_search(&i.title, self.search.as_deref())
            && self.status.is_none_or(|s| i.status == s)
            && self.content_type.is_none_or(|t| i.content_type == t)
            && self.cluster_id.as_deref().is_none_or(|c| i.cluster_id.as_deref() == Some(c))
    }

    fn compare(a: &Idea, b: &Idea, field: &str) -> std::cmp::Ordering {
        match field {
            "title" => by_text(&a.title, &b.title),
            "estimated_word_count" => a.estimated_word_count.cmp(&b.estimated_word_count),
            _ => a.created_at.cmp(&b.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateIdeaInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    site_id: SiteId,
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    sector_id: SectorId,
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 255)]
    title: String,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    description: String,
    #[serde(default)]
    content_type: ContentType,
    #[serde(default)]
    content_structure: ContentStructure,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    #[schema(max_items = 50)]
    target_keywords: Vec<String>,
    /// A cluster of the same sector.
    cluster_id: Option<ClusterId>,
    /// 1500 unless given.
    #[validate(range(min = 100, max = 20000))]
    #[schema(minimum = 100, maximum = 20000)]
    estimated_word_count: Option<u32>,
    /// `draft` or `approved`: an idea becomes `in_progress` when queued to the writer.
    #[serde(default)]
    status: IdeaStatus,
}

/// The fields to change; those left out keep their value.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateIdeaInput {
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 255)]
    title: Option<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    description: Option<String>,
    content_type: Option<ContentType>,
    content_structure: Option<ContentStructure>,
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    #[schema(max_items = 50)]
    target_keywords: Option<Vec<String>>,
    /// A cluster of the idea's sector; null takes the idea out of its cluster.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    cluster_id: Option<Option<ClusterId>>,
    #[validate(range(min = 100, max = 20000))]
    #[schema(minimum = 100, maximum = 20000)]
    estimated_word_count: Option<u32>,
    /// `draft` or `approved` for an idea not queued to the writer; `in_progress` or
    /// `completed` for one that is.
    status: Option<IdeaStatus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct IdeaIdsInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<IdeaId>,
}

/// The idea that was deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaDeleted {
    pub id: IdeaId,
    /// Always true.
    pub deleted: bool,
}

/// What queueing ideas to the writer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedToWriter {
    /// One new writer task per idea queued now.
    pub tasks: Vec<Task>,
    /// Ideas that had their task already.
    pub already_queued: Vec<AlreadyQueued>,
}

/// An idea that was queued to the writer before.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlreadyQueued {
    pub idea_id: IdeaId,
    /// Its writer task; null if that task was deleted meanwhile.
    pub task_id: Option<TaskId>,
}

#[utoipa::path(get, path = "/api/v1/planner/ideas", tag = "planner", params(PageQuery, IdeaFilter),
    responses((status = 200, description = "The site's ideas (or the sector's) that pass the filters, in the requested order.", body = Page<Idea>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<IdeaFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Idea>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let ideas = state.select(&tenant, &filter).await?;
    Ok(ListResponse::paginate(ideas, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/planner/ideas/{id}", tag = "planner",
    params(("id" = String, Path, description = "The idea's id.")),
    responses((status = 200, description = "The idea.", body = Envelope<Idea>)))]
pub async fn read(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<IdeaId>) -> ApiResult<Success<Idea>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(state.find_scoped(&tenant, &id, "Idea").await?))
}

#[utoipa::path(post, path = "/api/v1/planner/ideas", tag = "planner", request_body = CreateIdeaInput,
    responses((status = 201, description = "The idea, created.", body = Envelope<Idea>)))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateIdeaInput>,
) -> ApiResult<Success<Idea>> {
    Ok(Success::created(state.create_scoped(&(), &tenant, input).await?))
}

impl ScopedCreate for CreateIdeaInput {
    type Item = Idea;
    type Context = ();

    igny8_tenancy::placement_fields!();

    fn plan_limit(plan: &Plan) -> Option<(u32, &'static str)> {
        Some((plan.max_ideas, "ideas"))
    }

    async fn build(self, _: &(), tenancy: &Tenancy, tenant: &Tenant, at: Placement<IdeaId>) -> ApiResult<Idea> {
        let sector_id = at.sector_id()?;
        let cluster_id = tenancy.cluster_if_given(tenant, self.cluster_id.as_ref(), &sector_id).await?;
        if matches!(self.status, IdeaStatus::InProgress | IdeaStatus::Completed) {
            return Err(ApiError::field("status", "An idea becomes in_progress when queued to the writer."));
        }
        Ok(Idea {
            id: at.id,
            account_id: at.account_id,
            site_id: at.site.id,
            sector_id,
            title: self.title.trim().to_owned(),
            description: self.description,
            content_type: self.content_type,
            content_structure: self.content_structure,
            target_keywords: clean_phrases(self.target_keywords),
            cluster_id,
            estimated_word_count: self.estimated_word_count.unwrap_or(DEFAULT_WORD_COUNT),
            status: self.status,
            task_id: None,
            created_at: at.stamp.clone(),
            updated_at: at.stamp,
        })
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/planner/ideas/{id}", tag = "planner",
    params(("id" = String, Path, description = "The idea's id.")), request_body = UpdateIdeaInput,
    responses(
        (status = 200, description = "The idea, changed.", body = Envelope<Idea>),
        (status = 409, description = "`CONFLICT`: another request queued or deleted the idea at the same time.", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<IdeaId>,
    JsonBody(input): JsonBody<UpdateIdeaInput>,
) -> ApiResult<Success<Idea>> {
    tenant.require(Access::Write)?;
    let idea: Idea = state.find_scoped(&tenant, &id, "Idea").await?;
    let cluster_id = match input.cluster_id {
        Some(Some(cluster_id)) => Some(Some(state.cluster_in_sector(&tenant, &cluster_id, &idea.sector_id).await?.id)),
        other => other,
    };
    if let Some(status) = input.status {
        let queued = idea.task_id.is_some();
        let valid = match status {
            IdeaStatus::Draft | IdeaStatus::Approved => !queued,
            IdeaStatus::InProgress | IdeaStatus::Completed => queued,
        };
        if !valid {
            return Err(ApiError::field(
                "status",
                "in_progress and completed belong to queued ideas; draft and approved to the others.",
            ));
        }
    }
    let patch = IdeaPatch {
        title: input.title.map(|v| v.trim().to_owned()),
        description: input.description,
        content_type: input.content_type,
        content_structure: input.content_structure,
        target_keywords: input.target_keywords.map(clean_phrases),
        estimated_word_count: input.estimated_word_count,
        status: input.status,
        cluster_id,
    };
    // The store checks the status against the stored idea too: a concurrent
    // queue_to_writer may have linked it.
    let updated = state.store.patch_idea(&idea, patch).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::conflict(
            "CONFLICT",
            "The idea was queued or deleted by another request at the same time; reload it.",
        ),
        e => e.into(),
    })?;
    Ok(Success::ok(updated))
}

#[utoipa::path(delete, path = "/api/v1/planner/ideas/{id}", tag = "planner",
    params(("id" = String, Path, description = "The idea's id.")),
    responses((status = 200, description = "The idea is deleted; a writer task made from it stays.", body = Envelope<IdeaDeleted>)))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<IdeaId>,
) -> ApiResult<Success<IdeaDeleted>> {
    tenant.require(Access::Write)?;
    let idea: Idea = state.find_scoped(&tenant, &id, "Idea").await?;
    state.store.remove::<Idea>(tenant.account_id(), &idea.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Idea"),
        e => e.into(),
    })?;
    Ok(Success::ok(IdeaDeleted { id: idea.id, deleted: true }))
}

/// One writer task per idea (title, description, keywords, type, structure, cluster),
/// ideas marked `in_progress`. An idea that already has its task is reported, not
/// queued again.
#[utoipa::path(post, path = "/api/v1/planner/ideas/queue_to_writer", tag = "planner", request_body = IdeaIdsInput,
    responses(
        (status = 201, description = "At least one writer task was created.", body = Envelope<QueuedToWriter>),
        (status = 200, description = "Every idea had its task already: nothing was created.", body = Envelope<QueuedToWriter>),
    ))]
pub async fn queue_to_writer(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<IdeaIdsInput>,
) -> ApiResult<Success<QueuedToWriter>> {
    tenant.require(Access::Write)?;
    let ideas: Vec<Idea> = state.find_all_scoped(&tenant, &input.ids, "Idea").await?;
    let mut tasks = Vec::new();
    let mut already_queued = Vec::new();
    for idea in &ideas {
        if let Some(task_id) = &idea.task_id {
            already_queued.push(AlreadyQueued { idea_id: idea.id.clone(), task_id: Some(task_id.clone()) });
            continue;
        }
        let task = Task::from_idea(idea);
        match state.store.queue_idea(idea, &task).await {
            Ok(()) => tasks.push(task),
            Err(StoreError::Condition(Conflict::AlreadyQueued)) => {
                let current: Idea = state.find_scoped(&tenant, &idea.id, "Idea").await?;
                already_queued.push(AlreadyQueued { idea_id: idea.id.clone(), task_id: current.task_id });
            }
            Err(StoreError::Condition(_)) => return Err(ApiError::not_found("Idea")),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    let status = if tasks.is_empty() { Success::ok } else { Success::created };
    Ok(status(QueuedToWriter { tasks, already_queued }))
}
