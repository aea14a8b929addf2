//! Writer tasks. A site API key may read its site's tasks and change their status (the
//! WordPress bridge reports progress); everything else needs an editor or more.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::validate::clean_phrases;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search, not_blank, nullable,
};
use igny8_store::TaskId;
use igny8_store::{ClusterId, SectorId, SiteId};
use igny8_store::{ContentStructure, ContentType, StoreError, Task, TaskPatch, TaskStatus};
use igny8_tenancy::{Access, Placement, ScopedCreate, ScopedList, Tenancy, Tenant, by_text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use igny8_http::Deleted;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    site_id: Option<SiteId>,
    sector_id: Option<SectorId>,
    /// Words in the title.
    search: Option<String>,
    status: Option<TaskStatus>,
    cluster_id: Option<ClusterId>,
    content_type: Option<ContentType>,
    content_structure: Option<ContentStructure>,
    /// `title`, `word_count`, `created_at` or `updated_at`, with `-` before it for
    /// descending; `-created_at` unless given.
    ordering: Option<String>,
}

impl ScopedList for TaskFilter {
    type Item = Task;
    const ORDERINGS: &'static [&'static str] = &["title", "word_count", "created_at", "updated_at"];
    const DEFAULT_ORDERING: &'static str = "-created_at";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, t: &Task) -> bool {
        matches_search(&t.title, self.search.as_deref())
            && self.status.is_none_or(|s| t.status == s)
            && self.content_type.is_none_or(|c| t.content_type == c)
            && self.content_structure.is_none_or(|c| t.content_structure == c)
            && self.cluster_id.as_deref().is_none_or(|c| t.cluster_id.as_deref() == Some(c))
    }

    fn compare(a: &Task, b: &Task, field: &str) -> std::cmp::Ordering {
        match field {
            "title" => by_text(&a.title, &b.title),
            "word_count" => a.word_count.cmp(&b.word_count),
            "updated_at" => a.updated_at.cmp(&b.updated_at),
            _ => a.created_at.cmp(&b.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateTaskInput {
    #[validate(length(min = 1))]
    site_id: SiteId,
    #[validate(length(min = 1))]
    sector_id: SectorId,
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    title: String,
    #[serde(default)]
    #[validate(length(max = 10000))]
    description: String,
    #[serde(default)]
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    keywords: Vec<String>,
    cluster_id: Option<ClusterId>,
    #[serde(default)]
    content_type: ContentType,
    #[serde(default)]
    content_structure: ContentStructure,
    /// Target length of the article; 1500 unless given.
    #[validate(range(min = 100, max = 20000))]
    #[schema(minimum = 100, maximum = 20000)]
    word_count: Option<u32>,
    #[serde(default)]
    status: TaskStatus,
}

/// The fields to change. A site API key may change `status` alone.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateTaskInput {
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    title: Option<String>,
    #[validate(length(max = 10000))]
    description: Option<String>,
    #[validate(length(max = 50), custom(function = "igny8_http::validate::phrases"))]
    keywords: Option<Vec<String>>,
    /// Null unlinks the cluster.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    cluster_id: Option<Option<ClusterId>>,
    content_type: Option<ContentType>,
    content_structure: Option<ContentStructure>,
    #[validate(range(min = 100, max = 20000))]
    #[schema(minimum = 100, maximum = 20000)]
    word_count: Option<u32>,
    status: Option<TaskStatus>,
}

impl UpdateTaskInput {
    fn only_status(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.keywords.is_none()
            && self.cluster_id.is_none()
            && self.content_type.is_none()
            && self.content_structure.is_none()
            && self.word_count.is_none()
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct IdsInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<TaskId>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BulkUpdateInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<TaskId>,
    status: TaskStatus,
}

/// How many tasks were deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksDeleted {
    deleted: usize,
}

/// How many tasks were changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksUpdated {
    updated: usize,
}

const DEFAULT_WORD_COUNT: u32 = 1_500;

#[utoipa::path(get, path = "/api/v1/writer/tasks", tag = "writer", params(PageQuery, TaskFilter),
    responses((status = 200, description = "The tasks the caller may see, newest first unless ordered otherwise.", body = Page<Task>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<TaskFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Task>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let tasks = state.select(&tenant, &filter).await?;
    Ok(ListResponse::paginate(tasks, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/writer/tasks/{id}", tag = "writer",
    params(("id" = String, Path, description = "The task's id.")),
    responses((status = 200, description = "The task.", body = Envelope<Task>)))]
pub async fn read(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<TaskId>) -> ApiResult<Success<Task>> {
    tenant.require(Access::SiteRead)?;
    Ok(Success::ok(state.find_scoped(&tenant, &id, "Task").await?))
}

#[utoipa::path(post, path = "/api/v1/writer/tasks", tag = "writer", request_body = CreateTaskInput,
    responses((status = 201, description = "The task, created.", body = Envelope<Task>)))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateTaskInput>,
) -> ApiResult<Success<Task>> {
    Ok(Success::created(state.create_scoped(&(), &tenant, input).await?))
}

impl ScopedCreate for CreateTaskInput {
    type Item = Task;
    type Context = ();

    igny8_tenancy::placement_fields!();

    async fn build(self, _: &(), tenancy: &Tenancy, tenant: &Tenant, at: Placement<TaskId>) -> ApiResult<Task> {
        let sector_id = at.sector_id()?;
        let cluster_id = tenancy.cluster_if_given(tenant, self.cluster_id.as_ref(), &sector_id).await?;
        Ok(Task {
            id: at.id,
            account_id: at.account_id,
            site_id: at.site.id,
            sector_id,
            title: self.title.trim().to_owned(),
            description: self.description,
            keywords: clean_phrases(self.keywords),
            cluster_id,
            idea_id: None,
            content_type: self.content_type,
            content_structure: self.content_structure,
            word_count: self.word_count.unwrap_or(DEFAULT_WORD_COUNT),
            status: self.status,
            content_id: None,
            created_at: at.stamp.clone(),
            updated_at: at.stamp,
        })
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/writer/tasks/{id}", tag = "writer",
    params(("id" = String, Path, description = "The task's id.")), request_body = UpdateTaskInput,
    responses((status = 200, description = "The task as changed.", body = Envelope<Task>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<TaskId>,
    JsonBody(input): JsonBody<UpdateTaskInput>,
) -> ApiResult<Success<Task>> {
    let needed = if input.only_status() { Access::WorkflowStatus } else { Access::Write };
    tenant.require(needed)?;
    let task: Task = state.find_scoped(&tenant, &id, "Task").await?;
    let cluster_id = match input.cluster_id {
        Some(Some(cluster_id)) => Some(Some(state.cluster_in_sector(&tenant, &cluster_id, &task.sector_id).await?.id)),
        other => other,
    };
    let patch = TaskPatch {
        title: input.title.map(|v| v.trim().to_owned()),
        description: input.description,
        keywords: input.keywords.map(clean_phrases),
        content_type: input.content_type,
        content_structure: input.content_structure,
        word_count: input.word_count,
        status: input.status,
        cluster_id,
    };
    let updated = state.store.patch(&task, patch).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Task"),
        e => e.into(),
    })?;
    Ok(Success::ok(updated))
}

#[utoipa::path(delete, path = "/api/v1/writer/tasks/{id}", tag = "writer",
    params(("id" = String, Path, description = "The task's id.")),
    responses((status = 200, description = "The task is deleted; an idea it was made from can be queued again.", body = Envelope<Deleted>)))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<TaskId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Write)?;
    let task: Task = state.find_scoped(&tenant, &id, "Task").await?;
    state.store.delete_tasks(std::slice::from_ref(&task)).await?;
    Ok(Success::ok(Deleted::of(task.id)))
}

#[utoipa::path(post, path = "/api/v1/writer/tasks/bulk_delete", tag = "writer", request_body = IdsInput,
    responses((status = 200, description = "The tasks are deleted.", body = Envelope<TasksDeleted>)))]
pub async fn bulk_delete(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<IdsInput>,
) -> ApiResult<Success<TasksDeleted>> {
    tenant.require(Access::Write)?;
    let tasks: Vec<Task> = state.find_all_scoped(&tenant, &input.ids, "Task").await?;
    state.store.delete_tasks(&tasks).await?;
    Ok(Success::ok(TasksDeleted { deleted: tasks.len() }))
}

#[utoipa::path(post, path = "/api/v1/writer/tasks/bulk_update", tag = "writer", request_body = BulkUpdateInput,
    responses((status = 200, description = "Every task has the status now.", body = Envelope<TasksUpdated>)))]
pub async fn bulk_update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<BulkUpdateInput>,
) -> ApiResult<Success<TasksUpdated>> {
    tenant.require(Access::Write)?;
    let tasks: Vec<Task> = state.find_all_scoped(&tenant, &input.ids, "Task").await?;
    let patch = TaskPatch { status: Some(input.status), ..Default::default() };
    state.store.patch_many(&tasks, patch).await.map_err(|e| match e {
        StoreError::Condition(_) => {
            ApiError::conflict("CONFLICT", "A task was deleted meanwhile; nothing in that batch was changed.")
        }
        e => e.into(),
    })?;
    Ok(Success::ok(TasksUpdated { updated: tasks.len() }))
}
