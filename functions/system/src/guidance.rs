//! Handlers shared by the account's AI guidance — author profiles and strategies: list
//! (search by name, order by name or creation), read, create, change field by field,
//! delete. Any member reads; admins and owners change.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::get;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, matches_search,
};
use igny8_store::{GUIDANCE_MISSING, Guidance, StoreError, new_id, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use validator::Validate;

use crate::SystemState;

/// What the API needs to know of one kind of guidance.
pub trait GuidanceApi: Guidance + Serialize + 'static {
    /// For messages, e.g. `Author profile`.
    const WHAT: &'static str;
    /// Prefix of new ids, e.g. `aut`.
    const ID_PREFIX: &'static str;
    type Create: DeserializeOwned + Validate + Send + 'static;
    type Update: DeserializeOwned + Validate + Send + 'static;

    fn build(id: String, account_id: String, stamp: String, input: Self::Create) -> Self;
    /// The fields an update sets (those it names), trimmed as stored.
    fn changes(input: Self::Update) -> Vec<(&'static str, String)>;
    fn name(&self) -> &str;
    fn created_at(&self) -> &str;
}

#[derive(Debug, serde::Deserialize)]
pub struct GuidanceFilter {
    search: Option<String>,
    ordering: Option<String>,
}

/// `path` (list, create) and `path/{id}` (read, change, delete) for guidance `T`.
pub fn routes<T: GuidanceApi>(path: &str) -> Router<SystemState> {
    Router::new()
        .route(path, get(list::<T>).post(create::<T>))
        .route(&format!("{path}/{{id}}"), get(read::<T>).put(update::<T>).patch(update::<T>).delete(remove::<T>))
}

fn missing<T: GuidanceApi>(e: StoreError) -> ApiError {
    match e {
        StoreError::Condition(GUIDANCE_MISSING) => ApiError::not_found(T::WHAT),
        e => ApiError::internal(e),
    }
}

pub async fn list<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<GuidanceFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<T>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let ordering = Ordering::parse(filter.ordering.as_deref(), &["name", "created_at"], "created_at")?;
    let all: Vec<T> = state.store.guidances(tenant.account_id()).await.map_err(ApiError::internal)?;
    let mut found: Vec<T> = all.into_iter().filter(|g| matches_search(g.name(), filter.search.as_deref())).collect();
    ordering.sort(
        &mut found,
        |a, b, field| match field {
            "name" => a.name().to_lowercase().cmp(&b.name().to_lowercase()),
            _ => a.created_at().cmp(b.created_at()),
        },
        |g| g.id(),
    );
    Ok(ListResponse::paginate(found, &page, &uri))
}

pub async fn read<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<T>> {
    tenant.require(Access::Read)?;
    let found: Option<T> = state.store.guidance(tenant.account_id(), &id).await.map_err(ApiError::internal)?;
    Ok(Success::ok(found.ok_or_else(|| ApiError::not_found(T::WHAT))?))
}

pub async fn create<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<T::Create>,
) -> ApiResult<Success<T>> {
    tenant.require(Access::Admin)?;
    let guidance = T::build(new_id(T::ID_PREFIX), tenant.account_id().to_owned(), now(), input);
    state.store.create_guidance(&guidance).await.map_err(ApiError::internal)?;
    Ok(Success::created(guidance))
}

pub async fn update<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<T::Update>,
) -> ApiResult<Success<T>> {
    tenant.require(Access::Admin)?;
    let changed = state.store.update_guidance(tenant.account_id(), &id, T::changes(input)).await;
    Ok(Success::ok(changed.map_err(missing::<T>)?))
}

pub async fn remove<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Admin)?;
    state.store.delete_guidance::<T>(tenant.account_id(), &id).await.map_err(missing::<T>)?;
    Ok(Success::ok(json!({"id": id, "deleted": true})))
}
