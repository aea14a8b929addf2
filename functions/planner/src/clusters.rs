//! Clusters. `keywords_count` and `volume` are never written here: keyword changes
//! move them (see `Store::apply_keyword_changes`).

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search, not_blank,
};
use igny8_store::ClusterId;
use igny8_store::KeywordId;
use igny8_store::{Cluster, ClusterPatch, ClusterStatus, Keyword, Plan, StoreError, now};
use igny8_store::{SectorId, SiteId};
use igny8_tenancy::{Access, Placement, ScopedCreate, ScopedList, Tenancy, Tenant, by_text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::keywords::change_keywords;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClusterFilter {
    /// A site the caller can see.
    #[param(required = true, value_type = String)]
    site_id: Option<SiteId>,
    /// One sector of the site; all of them unless given.
    sector_id: Option<SectorId>,
    /// Part of the name, in any case.
    search: Option<String>,
    status: Option<ClusterStatus>,
    /// `name`, `keywords_count`, `volume` or `created_at`, with a leading `-` for
    /// descending; `-created_at` unless given.
    ordering: Option<String>,
}

impl ScopedList for ClusterFilter {
    type Item = Cluster;
    const ORDERINGS: &'static [&'static str] = &["name", "keywords_count", "volume", "created_at"];
    const DEFAULT_ORDERING: &'static str = "-created_at";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, c: &Cluster) -> bool {
        matches_search(&c.name, self.search.as_deref()) && self.status.is_none_or(|s| c.status == s)
    }

    fn compare(a: &Cluster, b: &Cluster, field: &str) -> std::cmp::Ordering {
        match field {
            "name" => by_text(&a.name, &b.name),
            "keywords_count" => a.keywords_count.cmp(&b.keywords_count),
            "volume" => a.volume.cmp(&b.volume),
            _ => a.created_at.cmp(&b.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateClusterInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    site_id: SiteId,
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    sector_id: SectorId,
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    #[serde(default)]
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    description: String,
    #[serde(default)]
    status: ClusterStatus,
}

/// The fields to change; those left out keep their value.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateClusterInput {
    #[validate(length(min = 1, max = 255), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    description: Option<String>,
    status: Option<ClusterStatus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AssignKeywordsInput {
    /// Keywords of the cluster's sector.
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    keyword_ids: Vec<KeywordId>,
}

/// The cluster that was deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterDeleted {
    pub id: ClusterId,
    /// Always true.
    pub deleted: bool,
    /// How many keywords left the cluster (they are kept, without a cluster).
    pub keywords_released: usize,
}

/// What joining keywords to a cluster did.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsAssigned {
    /// How many keywords were moved.
    pub assigned: usize,
    /// The cluster with its new count and volume.
    pub cluster: Cluster,
}

#[utoipa::path(get, path = "/api/v1/planner/clusters", tag = "planner", params(PageQuery, ClusterFilter),
    responses((status = 200, description = "The site's clusters (or the sector's) that pass the filters, in the requested order.", body = Page<Cluster>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ClusterFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Cluster>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let clusters = state.select(&tenant, &filter).await?;
    Ok(ListResponse::paginate(clusters, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/planner/clusters/{id}", tag = "planner",
    params(("id" = String, Path, description = "The cluster's id.")),
    responses((status = 200, description = "The cluster.", body = Envelope<Cluster>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<ClusterId>,
) -> ApiResult<Success<Cluster>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(state.find_scoped(&tenant, &id, "Cluster").await?))
}

#[utoipa::path(post, path = "/api/v1/planner/clusters", tag = "planner", request_body = CreateClusterInput,
    responses((status = 201, description = "The cluster, created without keywords.", body = Envelope<Cluster>)))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateClusterInput>,
) -> ApiResult<Success<Cluster>> {
    Ok(Success::created(state.create_scoped(&(), &tenant, input).await?))
}

impl ScopedCreate for CreateClusterInput {
    type Item = Cluster;
    type Context = ();

    igny8_tenancy::placement_fields!();

    fn plan_limit(plan: &Plan) -> Option<(u32, &'static str)> {
        Some((plan.max_clusters, "clusters"))
    }

    async fn build(self, _: &(), _: &Tenancy, _: &Tenant, at: Placement<ClusterId>) -> ApiResult<Cluster> {
        Ok(Cluster {
            sector_id: at.sector_id()?,
            id: at.id,
            account_id: at.account_id,
            site_id: at.site.id,
            name: self.name.trim().to_owned(),
            description: self.description,
            status: self.status,
            keywords_count: 0,
            volume: 0,
            created_at: at.stamp.clone(),
            updated_at: at.stamp,
        })
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/planner/clusters/{id}", tag = "planner",
    params(("id" = String, Path, description = "The cluster's id.")), request_body = UpdateClusterInput,
    responses((status = 200, description = "The cluster, changed.", body = Envelope<Cluster>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<ClusterId>,
    JsonBody(input): JsonBody<UpdateClusterInput>,
) -> ApiResult<Success<Cluster>> {
    tenant.require(Access::Write)?;
    let cluster: Cluster = state.find_scoped(&tenant, &id, "Cluster").await?;
    let patch = ClusterPatch {
        name: input.name.map(|name| name.trim().to_owned()),
        description: input.description,
        status: input.status,
    };
    let updated = state.store.patch(&cluster, patch).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Cluster"),
        e => e.into(),
    })?;
    Ok(Success::ok(updated))
}

#[utoipa::path(delete, path = "/api/v1/planner/clusters/{id}", tag = "planner",
    params(("id" = String, Path, description = "The cluster's id.")),
    responses(
        (status = 200, description = "The cluster is deleted; its keywords stay, without a cluster.", body = Envelope<ClusterDeleted>),
        (status = 409, description = "`CONFLICT`: keywords kept joining the cluster while it was being deleted.", body = ErrorEnvelope),
    ))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<ClusterId>,
) -> ApiResult<Success<ClusterDeleted>> {
    tenant.require(Access::Write)?;
    let cluster: Cluster = state.find_scoped(&tenant, &id, "Cluster").await?;
    let released = state.store.delete_cluster(&cluster).await.map_err(|e| match e {
        StoreError::Condition(_) => {
            ApiError::conflict("CONFLICT", "Keywords kept joining the cluster while it was being deleted; try again.")
        }
        e => e.into(),
    })?;
    Ok(Success::ok(ClusterDeleted { id: cluster.id, deleted: true, keywords_released: released }))
}

/// Moves keywords of the cluster's sector into the cluster (from wherever they were).
#[utoipa::path(post, path = "/api/v1/planner/clusters/{id}/keywords", tag = "planner",
    params(("id" = String, Path, description = "The cluster's id.")), request_body = AssignKeywordsInput,
    responses((status = 200, description = "The keywords are in the cluster.", body = Envelope<KeywordsAssigned>)))]
pub async fn assign_keywords(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<ClusterId>,
    JsonBody(input): JsonBody<AssignKeywordsInput>,
) -> ApiResult<Success<KeywordsAssigned>> {
    tenant.require(Access::Write)?;
    let cluster: Cluster = state.find_scoped(&tenant, &id, "Cluster").await?;
    let keywords: Vec<Keyword> = state.find_all_scoped(&tenant, &input.keyword_ids, "Keyword").await?;
    let foreign: Vec<&KeywordId> =
        keywords.iter().filter(|k| k.sector_id != cluster.sector_id).map(|k| &k.id).collect();
    if !foreign.is_empty() {
        let mut error = ApiError::field("keyword_ids", "Keywords can join only a cluster of their own sector.");
        if let Some(messages) = error.errors.get_mut("keyword_ids") {
            messages.extend(foreign.iter().map(|id| format!("{id} is in another sector.")));
        }
        return Err(error);
    }
    let stamp = now();
    let outcome = change_keywords(&state, &tenant, &input.keyword_ids, |k| {
        let mut after = k.clone();
        after.cluster_id = Some(cluster.id.clone());
        after.updated_at = stamp.clone();
        Some(after)
    })
    .await?;
    if !outcome.missing_cluster.is_empty() {
        return Err(ApiError::not_found("Cluster"));
    }
    let cluster: Cluster = state.find_scoped(&tenant, &id, "Cluster").await?;
    Ok(Success::ok(KeywordsAssigned { assigned: outcome.applied.len(), cluster }))
}
