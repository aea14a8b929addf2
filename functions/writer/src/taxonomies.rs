//! Taxonomy terms (categories, tags, cluster terms) of a site.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, Page, PageQuery};
use igny8_http::validate::slugify;
use igny8_http::{
    ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search, not_blank, nullable,
};
use igny8_store::SectorId;
use igny8_store::{SiteId, TermId};
use igny8_store::{StoreError, Taxonomy, TaxonomyTerm, TermPatch};
use igny8_tenancy::{Access, Placement, ScopedCreate, ScopedList, Tenancy, Tenant, by_text};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use igny8_http::Deleted;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TermFilter {
    site_id: Option<SiteId>,
    sector_id: Option<SectorId>,
    taxonomy: Option<Taxonomy>,
    /// Words in the name.
    search: Option<String>,
    /// `name` or `created_at`, with `-` before it for descending; `name` unless given.
    ordering: Option<String>,
}

impl ScopedList for TermFilter {
    type Item = TaxonomyTerm;
    const ORDERINGS: &'static [&'static str] = &["name", "created_at"];
    const DEFAULT_ORDERING: &'static str = "name";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, t: &TaxonomyTerm) -> bool {
        self.taxonomy.is_none_or(|x| t.taxonomy == x) && matches_search(&t.name, self.search.as_deref())
    }

    fn compare(a: &TaxonomyTerm, b: &TaxonomyTerm, field: &str) -> std::cmp::Ordering {
        match field {
            "name" => by_text(&a.name, &b.name),
            _ => a.created_at.cmp(&b.created_at),
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateTermInput {
    #[validate(length(min = 1))]
    site_id: SiteId,
    sector_id: Option<SectorId>,
    taxonomy: Taxonomy,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: String,
    /// Made from the name unless given.
    #[validate(length(min = 1, max = 200))]
    slug: Option<String>,
    #[serde(default)]
    #[validate(length(max = 2000))]
    description: String,
    /// A term of the same site and taxonomy.
    parent_id: Option<TermId>,
    /// The term's id in WordPress.
    external_id: Option<u64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateTermInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    #[validate(length(min = 1, max = 200))]
    slug: Option<String>,
    #[validate(length(max = 2000))]
    description: Option<String>,
    /// Null makes the term a top-level one.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    parent_id: Option<Option<TermId>>,
    /// Null forgets the WordPress id.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    external_id: Option<Option<u64>>,
}

/// A parent must be a term of the same site and taxonomy.
async fn check_parent(
    state: &Tenancy,
    tenant: &Tenant,
    parent_id: &TermId,
    site_id: &SiteId,
    taxonomy: Taxonomy,
) -> ApiResult<TermId> {
    let parent: TaxonomyTerm = state.find_scoped(tenant, parent_id, "Parent term").await?;
    if parent.site_id != site_id || parent.taxonomy != taxonomy {
        return Err(ApiError::field("parent_id", "The parent must be a term of the same site and taxonomy."));
    }
    Ok(parent.id)
}

/// Deepest parent chain followed when looking for a cycle (WordPress hierarchies are shallow).
const MAX_TERM_DEPTH: usize = 50;

/// Refuses a parent whose own ancestors include the term (A → B → A).
async fn check_no_cycle(state: &Tenancy, tenant: &Tenant, term_id: &TermId, parent_id: &TermId) -> ApiResult<()> {
    let mut ancestor = Some(parent_id.clone());
    for _ in 0..MAX_TERM_DEPTH {
        let Some(id) = ancestor else { return Ok(()) };
        if id == term_id {
            return Err(ApiError::field("parent_id", "A term cannot be its own ancestor."));
        }
        ancestor = match state.store.find::<TaxonomyTerm>(tenant.account_id(), &id).await? {
            Some(term) => term.parent_id,
            None => None,
        };
    }
    Err(ApiError::field("parent_id", "The parent chain is too deep."))
}

#[utoipa::path(get, path = "/api/v1/writer/taxonomies", tag = "writer", params(PageQuery, TermFilter),
    responses((status = 200, description = "The taxonomy terms the caller may see, by name unless ordered otherwise.", body = Page<TaxonomyTerm>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<TermFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<TaxonomyTerm>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let terms = state.select(&tenant, &filter).await?;
    Ok(ListResponse::paginate(terms, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/writer/taxonomies/{id}", tag = "writer",
    params(("id" = String, Path, description = "The term's id.")),
    responses((status = 200, description = "The taxonomy term.", body = Envelope<TaxonomyTerm>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<TermId>,
) -> ApiResult<Success<TaxonomyTerm>> {
    tenant.require(Access::SiteRead)?;
    Ok(Success::ok(state.find_scoped(&tenant, &id, "Term").await?))
}

#[utoipa::path(post, path = "/api/v1/writer/taxonomies", tag = "writer", request_body = CreateTermInput,
    responses((status = 201, description = "The taxonomy term, created.", body = Envelope<TaxonomyTerm>)))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateTermInput>,
) -> ApiResult<Success<TaxonomyTerm>> {
    Ok(Success::created(state.create_scoped(&(), &tenant, input).await?))
}

impl ScopedCreate for CreateTermInput {
    type Item = TaxonomyTerm;
    type Context = ();

    igny8_tenancy::placement_fields!(optional_sector);

    async fn build(self, _: &(), tenancy: &Tenancy, tenant: &Tenant, at: Placement<TermId>) -> ApiResult<TaxonomyTerm> {
        let parent_id = match &self.parent_id {
            Some(id) => Some(check_parent(tenancy, tenant, id, &at.site.id, self.taxonomy).await?),
            None => None,
        };
        let slug = self.slug.map(|s| slugify(&s)).unwrap_or_else(|| slugify(&self.name));
        if slug.is_empty() {
            return Err(ApiError::field("slug", "The slug needs at least one letter or digit."));
        }
        Ok(TaxonomyTerm {
            id: at.id,
            account_id: at.account_id,
            site_id: at.site.id,
            sector_id: at.sector.map(|s| s.id),
            taxonomy: self.taxonomy,
            name: self.name.trim().to_owned(),
            slug,
            description: self.description,
            parent_id,
            external_id: self.external_id,
            created_at: at.stamp.clone(),
            updated_at: at.stamp,
        })
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/writer/taxonomies/{id}", tag = "writer",
    params(("id" = String, Path, description = "The term's id.")), request_body = UpdateTermInput,
    responses((status = 200, description = "The taxonomy term as changed.", body = Envelope<TaxonomyTerm>)))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<TermId>,
    JsonBody(input): JsonBody<UpdateTermInput>,
) -> ApiResult<Success<TaxonomyTerm>> {
    tenant.require(Access::Write)?;
    let term: TaxonomyTerm = state.find_scoped(&tenant, &id, "Term").await?;
    let slug = match input.slug {
        Some(v) => {
            let slug = slugify(&v);
            if slug.is_empty() {
                return Err(ApiError::field("slug", "The slug needs at least one letter or digit."));
            }
            Some(slug)
        }
        None => None,
    };
    let parent_id = match input.parent_id {
        Some(Some(parent_id)) if parent_id == term.id => {
            return Err(ApiError::field("parent_id", "A term cannot be its own parent."));
        }
        Some(Some(parent_id)) => {
            let parent = check_parent(&state, &tenant, &parent_id, &term.site_id, term.taxonomy).await?;
            check_no_cycle(&state, &tenant, &term.id, &parent).await?;
            Some(Some(parent))
        }
        other => other,
    };
    let patch = TermPatch {
        name: input.name.map(|v| v.trim().to_owned()),
        slug,
        description: input.description,
        parent_id,
        external_id: input.external_id,
    };
    let updated = state.store.patch(&term, patch).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Term"),
        e => e.into(),
    })?;
    Ok(Success::ok(updated))
}

#[utoipa::path(delete, path = "/api/v1/writer/taxonomies/{id}", tag = "writer",
    params(("id" = String, Path, description = "The term's id.")),
    responses((status = 200, description = "The taxonomy term is deleted.", body = Envelope<Deleted>)))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<TermId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Write)?;
    let term: TaxonomyTerm = state.find_scoped(&tenant, &id, "Term").await?;
    state.store.remove::<TaxonomyTerm>(tenant.account_id(), &term.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Term"),
        e => e.into(),
    })?;
    Ok(Success::ok(Deleted::of(term.id)))
}
