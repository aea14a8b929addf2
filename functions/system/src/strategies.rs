//! Strategies: named guidelines (free text) the engine adds to prompts.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, matches_search, not_blank,
};
use igny8_store::{STRATEGY_MISSING, StoreError, Strategy, StrategyChanges, new_id, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

#[derive(Debug, Deserialize)]
pub struct StrategyFilter {
    search: Option<String>,
    ordering: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct CreateStrategyInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    description: String,
    #[serde(default)]
    #[validate(length(max = 10000))]
    guidelines: String,
}

#[derive(Debug, Deserialize, Validate)]
pub struct UpdateStrategyInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    #[validate(length(max = 2000))]
    description: Option<String>,
    #[validate(length(max = 10000))]
    guidelines: Option<String>,
}

fn missing(e: StoreError) -> ApiError {
    match e {
        StoreError::Condition(STRATEGY_MISSING) => ApiError::not_found("Strategy"),
        e => ApiError::internal(e),
    }
}

pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<StrategyFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Strategy>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let ordering = Ordering::parse(filter.ordering.as_deref(), &["name", "created_at"], "created_at")?;
    let all = state.store.strategies(tenant.account_id()).await.map_err(ApiError::internal)?;
    let mut strategies: Vec<Strategy> =
        all.into_iter().filter(|p| matches_search(&p.name, filter.search.as_deref())).collect();
    ordering.sort(
        &mut strategies,
        |a, b, field| match field {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            _ => a.created_at.cmp(&b.created_at),
        },
        |p| p.id.as_str(),
    );
    Ok(ListResponse::paginate(strategies, &page, &uri))
}

pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Strategy>> {
    tenant.require(Access::Read)?;
    let strategy = state.store.strategy(tenant.account_id(), &id).await.map_err(ApiError::internal)?;
    Ok(Success::ok(strategy.ok_or_else(|| ApiError::not_found("Strategy"))?))
}

pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateStrategyInput>,
) -> ApiResult<Success<Strategy>> {
    tenant.require(Access::Admin)?;
    let stamp = now();
    let strategy = Strategy {
        id: new_id("str"),
        account_id: tenant.account_id().to_owned(),
        name: input.name.trim().to_owned(),
        description: input.description,
        guidelines: input.guidelines,
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    state.store.create_strategy(&strategy).await.map_err(ApiError::internal)?;
    Ok(Success::created(strategy))
}

pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<UpdateStrategyInput>,
) -> ApiResult<Success<Strategy>> {
    tenant.require(Access::Admin)?;
    let changes = StrategyChanges {
        name: input.name.map(|v| v.trim().to_owned()),
        description: input.description,
        guidelines: input.guidelines,
    };
    let strategy = state.store.update_strategy(tenant.account_id(), &id, changes).await.map_err(missing)?;
    Ok(Success::ok(strategy))
}

pub async fn remove(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<String>) -> ApiResult<Success<Value>> {
    tenant.require(Access::Admin)?;
    state.store.delete_strategy(tenant.account_id(), &id).await.map_err(missing)?;
    Ok(Success::ok(json!({"id": id, "deleted": true})))
}
