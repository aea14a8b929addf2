//! Sites (admin and up manage; everyone reads the sites they can see), the site API key
//! for the WordPress bridge, and which editors and viewers may see a site.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::validate::normalise_domain;
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank, nullable};
use igny8_store::Conflict;
use igny8_store::{Role, Site, SiteChanges, SiteStatus, StoreError, now, plan};
use igny8_store::{SiteId, UserId};
use igny8_tenancy::{Access, Tenancy, Tenant, api_key};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::views::{self, SiteView, UserView};
use igny8_http::Deleted;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateSiteInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// A domain such as `example.com` (a URL is reduced to its host).
    #[validate(custom(function = "igny8_http::validate::domain"))]
    domain: Option<String>,
    /// An id from `GET /api/v1/auth/industries`.
    industry_id: Option<String>,
}

/// The fields to change; absent ones stay as they are, null clears.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateSiteInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    industry_id: Option<Option<String>>,
    /// `active` or `inactive`: suspension is set and lifted by support only.
    status: Option<SiteStatus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct GrantInput {
    /// An editor or viewer of the account.
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    user_id: UserId,
}

/// A new site API key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    site_id: SiteId,
    /// Send as `x-igny8-api-key`; only its hash is kept.
    api_key: String,
    api_key_prefix: String,
}

fn check_industry(industry_id: Option<&str>) -> ApiResult<()> {
    match industry_id {
        Some(id) if igny8_store::industry(id).is_none() => Err(ApiError::field("industry_id", "Unknown industry.")),
        _ => Ok(()),
    }
}

/// The site, if it exists in the caller's account and the caller may see it; else 404.
pub(crate) async fn find_site(state: &Tenancy, tenant: &Tenant, id: &SiteId) -> ApiResult<Site> {
    tenant.require_site(id)?;
    state.store.site(tenant.account_id(), id).await?.ok_or_else(|| ApiError::not_found("Site"))
}

#[utoipa::path(get, path = "/api/v1/auth/sites", tag = "auth", params(PageQuery),
    responses((status = 200, description = "The sites the caller may see, oldest first.", body = Page<SiteView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    uri: Uri,
) -> ApiResult<ListResponse<SiteView>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let sites = state.store.sites(tenant.account_id()).await?;
    let visible = sites.iter().filter(|s| tenant.sees_site(&s.id)).map(views::site).collect();
    Ok(ListResponse::paginate(visible, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/auth/sites/{id}", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")),
    responses((status = 200, description = "The site.", body = Envelope<SiteView>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
) -> ApiResult<Success<SiteView>> {
    tenant.require(Access::SiteRead)?;
    Ok(Success::ok(views::site(&find_site(&state, &tenant, &id).await?)))
}

#[utoipa::path(post, path = "/api/v1/auth/sites", tag = "auth", request_body = CreateSiteInput,
    responses((status = 201, description = "The new site.", body = Envelope<SiteView>)))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateSiteInput>,
) -> ApiResult<Success<SiteView>> {
    tenant.require(Access::Admin)?;
    check_industry(input.industry_id.as_deref())?;
    let limits = plan(&tenant.account.plan_id).ok_or_else(|| ApiError::internal("account has an unknown plan"))?;
    let timestamp = now();
    let site = Site {
        id: SiteId::generate(),
        account_id: tenant.account_id().to_owned(),
        name: input.name.trim().to_owned(),
        domain: input.domain.as_deref().and_then(normalise_domain),
        industry_id: input.industry_id,
        status: SiteStatus::Active,
        sectors_count: 0,
        active_sectors: 0,
        api_key_prefix: None,
        api_key_hash: None,
        api_key_created_at: None,
        created_at: timestamp.clone(),
        updated_at: timestamp,
    };
    match state.store.create_site(&site, limits.max_sites).await {
        Ok(()) => Ok(Success::created(views::site(&site))),
        Err(StoreError::Condition(Conflict::PlanLimit)) => Err(Tenant::plan_limit(limits, limits.max_sites, "sites")),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/auth/sites/{id}", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")), request_body = UpdateSiteInput,
    responses((status = 200, description = "The changed site.", body = Envelope<SiteView>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
    JsonBody(input): JsonBody<UpdateSiteInput>,
) -> ApiResult<Success<SiteView>> {
    tenant.require(Access::Admin)?;
    let current = find_site(&state, &tenant, &id).await?;
    if current.status == SiteStatus::Suspended && input.status.is_some() {
        return Err(ApiError::forbidden("This site was suspended by support; only support can change its status."));
    }
    let domain = match input.domain {
        Some(Some(raw)) => Some(Some(
            normalise_domain(&raw).ok_or_else(|| ApiError::field("domain", "Enter a domain such as example.com."))?,
        )),
        other => other,
    };
    if let Some(Some(industry_id)) = &input.industry_id {
        check_industry(Some(industry_id))?;
    }
    if input.status == Some(SiteStatus::Suspended) {
        return Err(ApiError::field("status", "Sites can be set active or inactive; suspension is done by support."));
    }
    let changes = SiteChanges {
        name: input.name.map(|n| n.trim().to_owned()),
        domain,
        industry_id: input.industry_id,
        status: input.status,
    };
    let site = state.store.update_site(tenant.account_id(), &id, changes).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Site"),
        e => e.into(),
    })?;
    Ok(Success::ok(views::site(&site)))
}

#[utoipa::path(delete, path = "/api/v1/auth/sites/{id}", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")),
    responses(
        (status = 200, description = "The site and its API key are deleted and its place on the plan is free.", body = Envelope<Deleted>),
        (status = 409, description = "The site still holds sectors (`SITE_HAS_SECTORS`) or taxonomy terms (`SITE_NOT_EMPTY`).", body = ErrorEnvelope),
    ))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &id).await?;
    match state.store.delete_site(&site).await {
        Ok(()) => Ok(Success::ok(Deleted::of(site.id))),
        Err(StoreError::Condition(Conflict::SiteHasSectors)) => Err(ApiError::conflict(
            "SITE_HAS_SECTORS",
            "Delete this site's sectors first; a site is deleted only when it holds nothing.",
        )),
        Err(StoreError::Condition(Conflict::SiteNotEmpty)) => Err(ApiError::conflict(
            "SITE_NOT_EMPTY",
            "Delete this site's taxonomy terms first; a site is deleted only when it holds nothing.",
        )),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/sites/{id}/api-key", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")),
    responses(
        (status = 201, description = "A new API key for the site's WordPress bridge; any previous key has stopped working.", body = Envelope<ApiKeyView>),
        (status = 409, description = "`CONFLICT`: another request rotated the key at the same time.", body = ErrorEnvelope),
    ))]
pub async fn rotate_api_key(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
) -> ApiResult<Success<ApiKeyView>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &id).await?;
    let key = api_key::generate();
    match state.store.rotate_api_key(&site, &key.hash, &key.display_prefix).await {
        Ok(()) => Ok(Success::created(ApiKeyView {
            site_id: site.id,
            api_key: key.plain,
            api_key_prefix: key.display_prefix,
        })
        .with_message("Copy this key now: it is shown only once. Any previous key has stopped working.")),
        Err(StoreError::Condition(Conflict::Stale)) => {
            Err(ApiError::conflict("CONFLICT", "The key was rotated by another request at the same time; try again."))
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/api/v1/auth/sites/{id}/access", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")),
    responses((status = 200, description = "The editors and viewers granted this site (owners and admins see every site).", body = Envelope<Vec<UserView>>)))]
pub async fn access_list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
) -> ApiResult<Success<Vec<UserView>>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &id).await?;
    let users = state.store.users(tenant.account_id()).await?;
    let granted: Vec<_> = users.iter().filter(|u| u.site_grants.contains_key(&site.id)).map(views::user).collect();
    Ok(Success::ok(granted))
}

#[utoipa::path(post, path = "/api/v1/auth/sites/{id}/access", tag = "auth",
    params(("id" = String, Path, description = "The site's id.")), request_body = GrantInput,
    responses((status = 200, description = "The user, now granted the site.", body = Envelope<UserView>)))]
pub async fn grant_access(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SiteId>,
    JsonBody(input): JsonBody<GrantInput>,
) -> ApiResult<Success<UserView>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &id).await?;
    let user =
        state.store.user(tenant.account_id(), &input.user_id).await?.ok_or_else(|| ApiError::not_found("User"))?;
    if !matches!(user.role, Role::Editor | Role::Viewer) {
        return Err(ApiError::field(
            "user_id",
            "Owners and admins already see every site; grants are for editors and viewers.",
        ));
    }
    let user = state.store.grant_site(tenant.account_id(), &user.id, &site.id).await.map_err(|e| match e {
        StoreError::Condition(Conflict::SiteMissing) => ApiError::not_found("Site"),
        StoreError::Condition(_) => ApiError::not_found("User"),
        e => e.into(),
    })?;
    Ok(Success::ok(views::user(&user)))
}

#[utoipa::path(delete, path = "/api/v1/auth/sites/{id}/access/{user_id}", tag = "auth",
    params(
        ("id" = String, Path, description = "The site's id."),
        ("user_id" = String, Path, description = "The user's id."),
    ),
    responses((status = 200, description = "The user, no longer granted the site.", body = Envelope<UserView>)))]
pub async fn revoke_access(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path((id, user_id)): Path<(SiteId, UserId)>,
) -> ApiResult<Success<UserView>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &id).await?;
    let user = state.store.revoke_site(tenant.account_id(), &user_id, &site.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("User"),
        e => e.into(),
    })?;
    Ok(Success::ok(views::user(&user)))
}
