//! Author profiles: the voices the AI writes in (name, description, tone, language).

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, matches_search, not_blank,
};
use igny8_store::{AUTHOR_PROFILE_MISSING, AuthorProfile, AuthorProfileChanges, StoreError, new_id, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

#[derive(Debug, Deserialize)]
pub struct ProfileFilter {
    search: Option<String>,
    ordering: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct CreateProfileInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    description: String,
    #[serde(default)]
    #[validate(length(max = 200))]
    tone: String,
    #[serde(default)]
    #[validate(length(max = 50))]
    language: String,
}

#[derive(Debug, Deserialize, Validate)]
pub struct UpdateProfileInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    #[validate(length(max = 2000))]
    description: Option<String>,
    #[validate(length(max = 200))]
    tone: Option<String>,
    #[validate(length(max = 50))]
    language: Option<String>,
}

fn missing(e: StoreError) -> ApiError {
    match e {
        StoreError::Condition(AUTHOR_PROFILE_MISSING) => ApiError::not_found("Author profile"),
        e => ApiError::internal(e),
    }
}

pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ProfileFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<AuthorProfile>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let ordering = Ordering::parse(filter.ordering.as_deref(), &["name", "created_at"], "created_at")?;
    let all = state.store.author_profiles(tenant.account_id()).await.map_err(ApiError::internal)?;
    let mut profiles: Vec<AuthorProfile> =
        all.into_iter().filter(|p| matches_search(&p.name, filter.search.as_deref())).collect();
    ordering.sort(
        &mut profiles,
        |a, b, field| match field {
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            _ => a.created_at.cmp(&b.created_at),
        },
        |p| p.id.as_str(),
    );
    Ok(ListResponse::paginate(profiles, &page, &uri))
}

pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<AuthorProfile>> {
    tenant.require(Access::Read)?;
    let profile = state.store.author_profile(tenant.account_id(), &id).await.map_err(ApiError::internal)?;
    Ok(Success::ok(profile.ok_or_else(|| ApiError::not_found("Author profile"))?))
}

pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateProfileInput>,
) -> ApiResult<Success<AuthorProfile>> {
    tenant.require(Access::Admin)?;
    let stamp = now();
    let profile = AuthorProfile {
        id: new_id("aut"),
        account_id: tenant.account_id().to_owned(),
        name: input.name.trim().to_owned(),
        description: input.description,
        tone: input.tone.trim().to_owned(),
        language: input.language.trim().to_owned(),
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    state.store.create_author_profile(&profile).await.map_err(ApiError::internal)?;
    Ok(Success::created(profile))
}

pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<UpdateProfileInput>,
) -> ApiResult<Success<AuthorProfile>> {
    tenant.require(Access::Admin)?;
    let changes = AuthorProfileChanges {
        name: input.name.map(|v| v.trim().to_owned()),
        description: input.description,
        tone: input.tone.map(|v| v.trim().to_owned()),
        language: input.language.map(|v| v.trim().to_owned()),
    };
    let profile = state.store.update_author_profile(tenant.account_id(), &id, changes).await.map_err(missing)?;
    Ok(Success::ok(profile))
}

pub async fn remove(State(state): State<Tenancy>, tenant: Tenant, Path(id): Path<String>) -> ApiResult<Success<Value>> {
    tenant.require(Access::Admin)?;
    state.store.delete_author_profile(tenant.account_id(), &id).await.map_err(missing)?;
    Ok(Success::ok(json!({"id": id, "deleted": true})))
}
