//! The planner's AI actions: `keywords/auto_cluster` and `clusters/generate_ideas`.
//! Each validates its ids (another account's → 404), then hands over to
//! `igny8_ai::jobs::accept` (credits checked, job written and queued, 202).

use axum::extract::State;
use axum::http::StatusCode;
use igny8_ai::functions::{BUILTIN_METHOD, DEFAULT_IDEAS_PER_CLUSTER, MAX_AI_KEYWORDS};
use igny8_ai::jobs::{self, JobRequest, JobView, estimate};
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, JsonBody, Success};
use igny8_store::JobFunction;
use igny8_store::{Cluster, Keyword};
use igny8_store::{ClusterId, KeywordId};
use igny8_tenancy::{Access, Tenant};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use crate::PlannerState;

/// How keywords are clustered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClusterMethod {
    /// The account's text provider.
    #[default]
    Ai,
    /// The built-in algorithm.
    Builtin,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClusterInput {
    /// Keyword ids, all of one site. Up to 10 000: the built-in clustering handles that
    /// many in seconds.
    #[validate(length(min = 1, max = 10000))]
    #[schema(min_items = 1, max_items = 10000)]
    ids: Vec<KeywordId>,
    /// `ai` unless given.
    #[serde(default)]
    method: Option<ClusterMethod>,
}

#[utoipa::path(post, path = "/api/v1/planner/keywords/auto_cluster", tag = "planner", request_body = AutoClusterInput,
    responses(
        (status = 202, description = "The job is queued; it clusters the keywords not in a cluster yet.", body = Envelope<JobView>),
        (status = 402, description = "`INSUFFICIENT_CREDITS`: the balance cannot pay the job's estimate; nothing is queued.", body = ErrorEnvelope),
    ))]
pub async fn auto_cluster(
    State(state): State<PlannerState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<AutoClusterInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let method = input.method.unwrap_or_default();
    let keywords: Vec<Keyword> = state.tenancy.find_all_scoped(&tenant, &input.ids, "Keyword").await?;
    let site_id = jobs::one_site(keywords.iter().map(|k| &k.site_id))?;
    // Keywords in a cluster already stay there; the job clusters the others.
    let mut ids: Vec<String> = keywords.into_iter().filter(|k| k.cluster_id.is_none()).map(|k| k.id.into()).collect();
    ids.sort();
    if ids.is_empty() {
        return Err(ApiError::field("ids", "Every keyword given is in a cluster already."));
    }
    let store = &state.tenancy.store;
    if method == ClusterMethod::Ai && ids.len() > MAX_AI_KEYWORDS {
        let settings = store.ai_settings(tenant.account_id()).await?;
        if settings.text_provider != "offline" {
            let message =
                format!("An AI model clusters at most {MAX_AI_KEYWORDS} keywords a job; use method {BUILTIN_METHOD}.");
            return Err(ApiError::field("ids", message));
        }
    }
    let request = JobRequest {
        function: JobFunction::AutoCluster,
        site_id,
        ids,
        options: json!({ "method": method }),
        estimated_credits: estimate::auto_cluster(),
    };
    jobs::accept(store, &state.jobs, &tenant, request).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateIdeasInput {
    /// Cluster ids, all of one site.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    ids: Vec<ClusterId>,
    /// 3 unless given.
    #[validate(range(min = 1, max = 10))]
    #[schema(minimum = 1, maximum = 10)]
    ideas_per_cluster: Option<u64>,
    author_profile_id: Option<String>,
    strategy_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/planner/clusters/generate_ideas", tag = "planner", request_body = GenerateIdeasInput,
    responses(
        (status = 202, description = "The job is queued; it writes content ideas for each cluster.", body = Envelope<JobView>),
        (status = 402, description = "`INSUFFICIENT_CREDITS`: the balance cannot pay the job's estimate; nothing is queued.", body = ErrorEnvelope),
    ))]
pub async fn generate_ideas(
    State(state): State<PlannerState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<GenerateIdeasInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    tenant.require(Access::Write)?;
    let clusters: Vec<Cluster> = state.tenancy.find_all_scoped(&tenant, &input.ids, "Cluster").await?;
    let site_id = jobs::one_site(clusters.iter().map(|c| &c.site_id))?;
    let store = &state.tenancy.store;
    let mut options =
        jobs::guidance_options(store, &tenant, input.author_profile_id.as_deref(), input.strategy_id.as_deref())
            .await?;
    options.insert("ideas_per_cluster".into(), json!(input.ideas_per_cluster.unwrap_or(DEFAULT_IDEAS_PER_CLUSTER)));
    let mut ids: Vec<String> = clusters.into_iter().map(|c| c.id.into()).collect();
    ids.sort();
    let request = JobRequest {
        function: JobFunction::GenerateIdeas,
        site_id,
        estimated_credits: estimate::ideas(ids.len()),
        ids,
        options: Value::Object(options),
    };
    jobs::accept(store, &state.jobs, &tenant, request).await
}

/// `clusters/generate_ideas` under its other name.
#[utoipa::path(post, path = "/api/v1/planner/clusters/auto_generate_ideas", tag = "planner", request_body = GenerateIdeasInput,
    responses(
        (status = 202, description = "The job is queued; it writes content ideas for each cluster.", body = Envelope<JobView>),
        (status = 402, description = "`INSUFFICIENT_CREDITS`: the balance cannot pay the job's estimate; nothing is queued.", body = ErrorEnvelope),
    ))]
pub async fn auto_generate_ideas(
    state: State<PlannerState>,
    tenant: Tenant,
    input: JsonBody<GenerateIdeasInput>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    generate_ideas(state, tenant, input).await
}
