//! Sectors: the topic areas of a site (at most five active per site).

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank, nullable};
use igny8_store::Conflict;
use igny8_store::SectorId;
use igny8_store::SiteId;
use igny8_store::{MAX_ACTIVE_SECTORS, Sector, SectorChanges, Site, StoreError, industry_sector, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::sites::find_site;
use crate::views::{self, SectorView};
use igny8_http::Deleted;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SectorFilter {
    /// The site whose sectors to list.
    #[param(required = true)]
    site_id: Option<SiteId>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateSectorInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    site_id: SiteId,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// A suggested sector of the site's industry (`GET /api/v1/auth/industries`).
    industry_sector_id: Option<String>,
    /// True unless given.
    #[serde(default = "yes")]
    #[schema(default = true)]
    is_active: bool,
}

fn yes() -> bool {
    true
}

/// The fields to change; absent ones stay as they are, null clears.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateSectorInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    industry_sector_id: Option<Option<String>>,
    is_active: Option<bool>,
}

/// An industry sector must exist, and belong to the site's industry when it has one.
fn check_industry_sector(site: &Site, id: &str) -> ApiResult<()> {
    match industry_sector(id) {
        None => Err(ApiError::field("industry_sector_id", "Unknown industry sector.")),
        Some((industry, _)) if site.industry_id.as_deref().is_some_and(|own| own != industry.id) => {
            Err(ApiError::field("industry_sector_id", "This sector belongs to another industry than the site's."))
        }
        Some(_) => Ok(()),
    }
}

fn sector_limit() -> ApiError {
    let message = format!("A site can have at most {MAX_ACTIVE_SECTORS} active sectors.");
    let mut err = ApiError::bad_request("SECTOR_LIMIT", message.clone());
    err.errors.insert("is_active".into(), vec![message]);
    err
}

fn name_taken() -> ApiError {
    let mut err = ApiError::conflict("SECTOR_NAME_TAKEN", "This site already has a sector with that name.");
    err.errors.insert("name".into(), vec!["This site already has a sector with that name.".into()]);
    err
}

fn stale() -> ApiError {
    ApiError::conflict("CONFLICT", "The sector was changed by another request at the same time; reload and try again.")
}

/// The sector, if it is in the caller's account and on a site the caller may see.
async fn find_sector(state: &Tenancy, tenant: &Tenant, id: &SectorId) -> ApiResult<Sector> {
    let sector = state.store.sector(tenant.account_id(), id).await?;
    match sector {
        Some(sector) if tenant.sees_site(&sector.site_id) => Ok(sector),
        _ => Err(ApiError::not_found("Sector")),
    }
}

#[utoipa::path(get, path = "/api/v1/auth/sectors", tag = "auth", params(PageQuery, SectorFilter),
    responses((status = 200, description = "The site's sectors, oldest first.", body = Page<SectorView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<SectorFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<SectorView>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let site_id = filter.site_id.ok_or_else(|| ApiError::field("site_id", "This parameter is required."))?;
    let site = find_site(&state, &tenant, &site_id).await?;
    let sectors = state.store.sectors(tenant.account_id(), &site.id).await?;
    Ok(ListResponse::paginate(sectors.iter().map(views::sector).collect(), &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/auth/sectors/{id}", tag = "auth",
    params(("id" = String, Path, description = "The sector's id.")),
    responses((status = 200, description = "The sector.", body = Envelope<SectorView>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SectorId>,
) -> ApiResult<Success<SectorView>> {
    tenant.require(Access::SiteRead)?;
    Ok(Success::ok(views::sector(&find_sector(&state, &tenant, &id).await?)))
}

#[utoipa::path(post, path = "/api/v1/auth/sectors", tag = "auth", request_body = CreateSectorInput,
    responses(
        (status = 201, description = "The new sector.", body = Envelope<SectorView>),
        (status = 400, description = "Invalid input (`errors` names the fields), or `SECTOR_LIMIT`: a site has at most 5 active sectors.", body = ErrorEnvelope),
        (status = 409, description = "`SECTOR_NAME_TAKEN`: the site already has a sector with that name.", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateSectorInput>,
) -> ApiResult<Success<SectorView>> {
    tenant.require(Access::Admin)?;
    let site = find_site(&state, &tenant, &input.site_id).await?;
    if let Some(id) = &input.industry_sector_id {
        check_industry_sector(&site, id)?;
    }
    let timestamp = now();
    let sector = Sector {
        id: SectorId::generate(),
        account_id: tenant.account_id().to_owned(),
        site_id: site.id,
        name: input.name.trim().to_owned(),
        industry_sector_id: input.industry_sector_id,
        is_active: input.is_active,
        keywords_count: 0,
        keywords_by: Default::default(),
        deleting: false,
        created_at: timestamp.clone(),
        updated_at: timestamp,
    };
    match state.store.create_sector(&sector).await {
        Ok(()) => Ok(Success::created(views::sector(&sector))),
        Err(StoreError::Condition(Conflict::SectorLimit)) => Err(sector_limit()),
        Err(StoreError::Condition(Conflict::SectorNameTaken)) => Err(name_taken()),
        Err(StoreError::Condition(Conflict::SiteMissing)) => Err(ApiError::not_found("Site")),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/auth/sectors/{id}", tag = "auth",
    params(("id" = String, Path, description = "The sector's id.")), request_body = UpdateSectorInput,
    responses(
        (status = 200, description = "The changed sector.", body = Envelope<SectorView>),
        (status = 400, description = "Invalid input (`errors` names the fields), or `SECTOR_LIMIT`: a site has at most 5 active sectors.", body = ErrorEnvelope),
        (status = 409, description = "`SECTOR_NAME_TAKEN`: the site already has a sector with that name; or `CONFLICT`: another request changed the sector meanwhile.", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SectorId>,
    JsonBody(input): JsonBody<UpdateSectorInput>,
) -> ApiResult<Success<SectorView>> {
    tenant.require(Access::Admin)?;
    let current = find_sector(&state, &tenant, &id).await?;
    if let Some(Some(industry_sector_id)) = &input.industry_sector_id {
        let site = find_site(&state, &tenant, &current.site_id).await?;
        check_industry_sector(&site, industry_sector_id)?;
    }
    let changes = SectorChanges {
        name: input.name.map(|n| n.trim().to_owned()),
        industry_sector_id: input.industry_sector_id,
        is_active: input.is_active,
    };
    match state.store.update_sector(&current, changes).await {
        Ok(sector) => Ok(Success::ok(views::sector(&sector))),
        Err(StoreError::Condition(Conflict::SectorLimit)) => Err(sector_limit()),
        Err(StoreError::Condition(Conflict::SectorNameTaken)) => Err(name_taken()),
        Err(StoreError::Condition(_)) => Err(stale()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/api/v1/auth/sectors/{id}", tag = "auth",
    params(("id" = String, Path, description = "The sector's id.")),
    responses(
        (status = 200, description = "The sector is deleted.", body = Envelope<Deleted>),
        (status = 409, description = "`SECTOR_NOT_EMPTY`: the sector still holds content; or `CONFLICT`: another request changed the sector meanwhile.", body = ErrorEnvelope),
    ))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<SectorId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Admin)?;
    let current = find_sector(&state, &tenant, &id).await?;
    match state.store.delete_sector(&current).await {
        Ok(()) => Ok(Success::ok(Deleted::of(current.id))),
        Err(StoreError::Condition(Conflict::SectorNotEmpty)) => Err(ApiError::conflict(
            "SECTOR_NOT_EMPTY",
            "This sector still holds keywords, clusters, ideas, tasks, content, images or terms; delete or move them first.",
        )),
        Err(StoreError::Condition(_)) => Err(stale()),
        Err(e) => Err(e.into()),
    }
}
