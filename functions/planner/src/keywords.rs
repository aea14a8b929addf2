//! Keywords: CRUD, filtered and ordered lists, and bulk operations.

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::validate::collapse_spaces;
use igny8_http::{
    ApiError, ApiResult, FieldErrors, JsonBody, ListResponse, PageParams, QueryParams, Success, matches_search,
    not_blank, nullable,
};
use igny8_store::ClusterId;
use igny8_store::KeywordId;
use igny8_store::{
    Intent, Keyword, KeywordChange, KeywordFacts, KeywordOutcome, KeywordStatus, MAX_KEYWORDS_PER_SECTOR, Plan, Store,
    now,
};
use igny8_store::{SectorId, SiteId};
use igny8_tenancy::{Access, ScopedList, Tenancy, Tenant, by_text};

use crate::keyword_pages::{self, CursorQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeywordFilter {
    /// A site the caller can see.
    #[param(required = true, value_type = String)]
    pub site_id: Option<SiteId>,
    /// One sector of the site; all of them unless given.
    pub sector_id: Option<SectorId>,
    /// Part of the keyword, in any case.
    pub search: Option<String>,
    pub status: Option<KeywordStatus>,
    pub cluster_id: Option<ClusterId>,
    pub intent: Option<Intent>,
    pub difficulty_min: Option<u8>,
    pub difficulty_max: Option<u8>,
    pub volume_min: Option<u64>,
    pub volume_max: Option<u64>,
    /// `keyword`, `volume`, `difficulty` or `created_at`, with a leading `-` for
    /// descending; `-created_at` unless given.
    pub ordering: Option<String>,
}

impl ScopedList for KeywordFilter {
    type Item = Keyword;
    const ORDERINGS: &'static [&'static str] = &["keyword", "volume", "difficulty", "created_at"];
    const DEFAULT_ORDERING: &'static str = "-created_at";

    igny8_tenancy::scope_fields!();

    fn keeps(&self, k: &Keyword) -> bool {
        self.keeps_facts(k)
    }

    fn compare(a: &Keyword, b: &Keyword, field: &str) -> std::cmp::Ordering {
        Self::compare_facts(a, b, field)
    }
}

impl KeywordFilter {
    /// Whether the filter keeps `k`, a keyword or its summary.
    pub fn keeps_facts(&self, k: &impl KeywordFacts) -> bool {
        matches_search(k.text(), self.search.as_deref())
            && self.status.is_none_or(|s| k.status() == s)
            && self.intent.is_none_or(|i| k.intent() == i)
            && self.cluster_id.as_ref().is_none_or(|c| k.cluster_id() == Some(c))
            && self.difficulty_min.is_none_or(|min| k.difficulty() >= min)
            && self.difficulty_max.is_none_or(|max| k.difficulty() <= max)
            && self.volume_min.is_none_or(|min| k.volume() >= min)
            && self.volume_max.is_none_or(|max| k.volume() <= max)
    }

    /// `a` against `b` by `field` (one of `ORDERINGS`), ascending.
    pub fn compare_facts<K: KeywordFacts>(a: &K, b: &K, field: &str) -> std::cmp::Ordering {
        match field {
            "keyword" => by_text(a.text(), b.text()),
            "volume" => a.volume().cmp(&b.volume()),
            "difficulty" => a.difficulty().cmp(&b.difficulty()),
            // Creation order: ids begin with their creation time, and keywords made in
            // one request share `created_at`. The index of a sector is in this order.
            _ => a.id().cmp(b.id()),
        }
    }
}

/// The fields of one keyword as given by a client (JSON or a CSV row).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
pub struct KeywordFields {
    #[validate(length(min = 1, max = 255), custom(function = "keyword_text"))]
    #[schema(min_length = 1, max_length = 255)]
    pub keyword: String,
    #[serde(default)]
    #[validate(range(max = 1_000_000_000))]
    #[schema(maximum = 1_000_000_000)]
    pub volume: u64,
    #[serde(default)]
    #[validate(range(max = 100))]
    #[schema(maximum = 100)]
    pub difficulty: u8,
    #[serde(default)]
    pub intent: Intent,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateKeywordInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    site_id: SiteId,
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    sector_id: SectorId,
    // The fields of `KeywordFields`, repeated rather than flattened: serde's flatten
    // loses the field names that type errors are reported under.
    /// Unique in the sector, ignoring case and spacing.
    #[validate(length(min = 1, max = 255), custom(function = "keyword_text"))]
    #[schema(min_length = 1, max_length = 255)]
    keyword: String,
    #[serde(default)]
    #[validate(range(max = 1_000_000_000))]
    #[schema(maximum = 1_000_000_000)]
    volume: u64,
    #[serde(default)]
    #[validate(range(max = 100))]
    #[schema(maximum = 100)]
    difficulty: u8,
    #[serde(default)]
    intent: Intent,
    #[serde(default)]
    status: KeywordStatus,
    /// A cluster of the same sector.
    cluster_id: Option<ClusterId>,
}

/// The fields to change; those left out keep their value.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateKeywordInput {
    #[validate(length(min = 1, max = 255), custom(function = "keyword_text"))]
    #[schema(min_length = 1, max_length = 255)]
    keyword: Option<String>,
    #[validate(range(max = 1_000_000_000))]
    #[schema(maximum = 1_000_000_000)]
    volume: Option<u64>,
    #[validate(range(max = 100))]
    #[schema(maximum = 100)]
    difficulty: Option<u8>,
    intent: Option<Intent>,
    status: Option<KeywordStatus>,
    /// A cluster of the keyword's sector; null takes the keyword out of its cluster.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    cluster_id: Option<Option<ClusterId>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BulkCreateKeywordsInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    site_id: SiteId,
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    sector_id: SectorId,
    /// Each item is checked on its own: a bad one is reported by its index, the others
    /// are created.
    #[validate(length(min = 1, max = 1000))]
    #[schema(value_type = Vec<KeywordFields>, min_items = 1, max_items = 1000)]
    keywords: Vec<Value>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct KeywordIdsInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<KeywordId>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct KeywordStatusInput {
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<KeywordId>,
    status: KeywordStatus,
}

/// The keyword that was deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordDeleted {
    pub id: KeywordId,
    /// False when a change to its cluster at the same time kept it from being deleted.
    pub deleted: bool,
}

/// What a bulk create did with each item.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsCreated {
    pub created: Vec<Keyword>,
    /// Items the sector already had, or that repeat an earlier item.
    pub duplicates: Vec<KeywordDuplicate>,
    /// Items that are not valid keywords.
    pub errors: Vec<KeywordItemErrors>,
}

/// An item of a bulk create that was a duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordDuplicate {
    /// From 0.
    pub index: usize,
    pub keyword: String,
}

/// An item of a bulk create that was not valid.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordItemErrors {
    /// From 0.
    pub index: usize,
    /// Field name → messages.
    #[schema(value_type = BTreeMap<String, Vec<String>>)]
    pub errors: FieldErrors,
}

/// How many keywords were deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsDeleted {
    pub deleted: usize,
}

/// How many keywords were changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeywordsUpdated {
    pub updated: usize,
}

/// Keyword text: not blank, and short enough in bytes to be part of its guard's key.
fn keyword_text(value: &str) -> Result<(), validator::ValidationError> {
    not_blank(value)?;
    igny8_http::validate::short_in_bytes(value)
}

/// A new keyword of the sector from client fields.
pub fn new_keyword(
    tenant: &Tenant,
    site_id: &SiteId,
    sector_id: &SectorId,
    fields: KeywordFields,
    stamp: &str,
) -> Keyword {
    Keyword {
        id: KeywordId::generate(),
        account_id: tenant.account_id().to_owned(),
        site_id: site_id.to_owned(),
        sector_id: sector_id.to_owned(),
        keyword: collapse_spaces(&fields.keyword),
        volume: fields.volume,
        difficulty: fields.difficulty,
        intent: fields.intent,
        status: KeywordStatus::Active,
        cluster_id: None,
        revision: 0,
        created_at: stamp.to_owned(),
        updated_at: stamp.to_owned(),
    }
}

fn duplicate() -> ApiError {
    let mut err = ApiError::conflict("DUPLICATE_KEYWORD", "This sector already has that keyword.");
    err.errors.insert("keyword".into(), vec!["This sector already has that keyword.".into()]);
    err
}

fn stale() -> ApiError {
    ApiError::conflict("CONFLICT", "The keyword was changed by another request at the same time; reload and try again.")
}

/// What a create beyond the plan's keyword limit answers (403 `PLAN_LIMIT`).
pub fn plan_limit(plan: &Plan) -> ApiError {
    Tenant::plan_limit(plan, plan.max_keywords, "keywords")
}

/// `plan_limit` as a field error of one item of a bulk create or import.
pub fn plan_limit_errors(plan: &Plan) -> FieldErrors {
    FieldErrors::from([("keyword".to_owned(), vec![plan_limit(plan).message])])
}

/// What a create in a sector that holds `MAX_KEYWORDS_PER_SECTOR` answers (400
/// `SECTOR_FULL`, on `keyword`).
pub fn sector_full() -> ApiError {
    let message = format!("A sector holds at most {MAX_KEYWORDS_PER_SECTOR} keywords; use another sector.");
    let mut error = ApiError::bad_request("SECTOR_FULL", message.clone());
    error.errors.insert("keyword".into(), vec![message]);
    error
}

/// The reason a create of a bulk or import was refused for room, as its field errors.
pub fn no_room_errors(outcome: &KeywordOutcome, index: usize, plan: &Plan) -> FieldErrors {
    if outcome.sector_full.contains(&index) { sector_full().errors } else { plan_limit_errors(plan) }
}

/// Applies one change, turning what the store reports into the API's answer.
async fn apply_one(store: &Store, plan: &Plan, change: KeywordChange) -> ApiResult<()> {
    let outcome = store.apply_keyword_changes(&[change], plan.max_keywords).await?;
    if !outcome.plan_limited.is_empty() {
        return Err(plan_limit(plan));
    }
    if !outcome.sector_full.is_empty() {
        return Err(sector_full());
    }
    if !outcome.duplicates.is_empty() {
        return Err(duplicate());
    }
    if !outcome.stale.is_empty() {
        return Err(stale());
    }
    if !outcome.missing_cluster.is_empty() {
        return Err(ApiError::field("cluster_id", "The cluster no longer exists."));
    }
    if !outcome.missing_sector.is_empty() {
        return Err(ApiError::not_found("Sector"));
    }
    Ok(())
}

/// Reads `ids`, applies `mutate` to each (None deletes), and retries keywords that were
/// changed meanwhile with fresh reads. The number of keywords changed.
pub async fn change_keywords(
    state: &Tenancy,
    tenant: &Tenant,
    ids: &[KeywordId],
    mutate: impl Fn(&Keyword) -> Option<Keyword>,
) -> ApiResult<KeywordOutcome> {
    let mut pending: Vec<KeywordId> = ids.to_vec();
    let mut total = KeywordOutcome::default();
    for _ in 0..3 {
        let current: Vec<Keyword> = state.find_all_scoped(tenant, &pending, "Keyword").await?;
        let changes: Vec<KeywordChange> =
            current.iter().map(|k| KeywordChange { before: Some(k.clone()), after: mutate(k) }).collect();
        // Changes and deletes create nothing: no limit applies.
        let outcome = state.store.apply_keyword_changes(&changes, u32::MAX).await?;
        total.applied.extend(outcome.applied.iter().copied());
        total.duplicates.extend(outcome.duplicates);
        total.missing_cluster.extend(outcome.missing_cluster);
        if outcome.stale.is_empty() {
            return Ok(total);
        }
        pending = outcome.stale.iter().map(|&i| current[i].id.clone()).collect();
    }
    Err(stale())
}

#[utoipa::path(get, path = "/api/v1/planner/keywords", tag = "planner", params(PageQuery, KeywordFilter, CursorQuery),
    responses((status = 200, description = "The site's keywords (or the sector's) that pass the filters, in the requested order. Pages without search or ranges, with at most one of status, intent and cluster, in creation, volume or difficulty order are read from an index: pages past the 40th through the `cursor` of the `next` and `previous` links.", body = Page<Keyword>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<KeywordFilter>,
    QueryParams(cursor): QueryParams<CursorQuery>,
    uri: Uri,
) -> ApiResult<ListResponse<Keyword>> {
    tenant.require(Access::Read)?;
    page.check()?;
    if let Some(indexed) = keyword_pages::indexed_page(&state, &tenant, &filter, &cursor, &page, &uri).await? {
        return Ok(indexed);
    }
    keyword_pages::summarised_page(&state, &tenant, &filter, &page, &uri).await
}

#[utoipa::path(get, path = "/api/v1/planner/keywords/{id}", tag = "planner",
    params(("id" = String, Path, description = "The keyword's id.")),
    responses((status = 200, description = "The keyword.", body = Envelope<Keyword>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<KeywordId>,
) -> ApiResult<Success<Keyword>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(state.find_scoped(&tenant, &id, "Keyword").await?))
}

#[utoipa::path(post, path = "/api/v1/planner/keywords", tag = "planner", request_body = CreateKeywordInput,
    responses(
        (status = 201, description = "The keyword, created.", body = Envelope<Keyword>),
        (status = 409, description = "`DUPLICATE_KEYWORD`: the sector already has this keyword.", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateKeywordInput>,
) -> ApiResult<Success<Keyword>> {
    tenant.require(Access::Write)?;
    let (site, sector) = state.resolve_sector(&tenant, &input.site_id, &input.sector_id).await?;
    let fields = KeywordFields {
        keyword: input.keyword,
        volume: input.volume,
        difficulty: input.difficulty,
        intent: input.intent,
    };
    let mut keyword = new_keyword(&tenant, &site.id, &sector.id, fields, &now());
    keyword.status = input.status;
    if let Some(cluster_id) = &input.cluster_id {
        keyword.cluster_id = Some(state.cluster_in_sector(&tenant, cluster_id, &sector.id).await?.id);
    }
    apply_one(&state.store, tenant.plan()?, KeywordChange { before: None, after: Some(keyword.clone()) }).await?;
    Ok(Success::created(keyword))
}

#[utoipa::path(method(put, patch), path = "/api/v1/planner/keywords/{id}", tag = "planner",
    params(("id" = String, Path, description = "The keyword's id.")), request_body = UpdateKeywordInput,
    responses(
        (status = 200, description = "The keyword, changed.", body = Envelope<Keyword>),
        (status = 409, description = "`DUPLICATE_KEYWORD`: the sector already has the new text; `CONFLICT`: another request changed the keyword at the same time.", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<KeywordId>,
    JsonBody(input): JsonBody<UpdateKeywordInput>,
) -> ApiResult<Success<Keyword>> {
    tenant.require(Access::Write)?;
    let before: Keyword = state.find_scoped(&tenant, &id, "Keyword").await?;
    let mut after = before.clone();
    if let Some(text) = input.keyword {
        after.keyword = collapse_spaces(&text);
    }
    after.volume = input.volume.unwrap_or(after.volume);
    after.difficulty = input.difficulty.unwrap_or(after.difficulty);
    after.intent = input.intent.unwrap_or(after.intent);
    after.status = input.status.unwrap_or(after.status);
    if let Some(cluster) = input.cluster_id {
        after.cluster_id = match cluster {
            Some(cluster_id) => Some(state.cluster_in_sector(&tenant, &cluster_id, &before.sector_id).await?.id),
            None => None,
        };
    }
    after.updated_at = now();
    let change = KeywordChange { before: Some(before.clone()), after: Some(after.clone()) };
    apply_one(&state.store, tenant.plan()?, change).await?;
    after.revision = before.revision + 1;
    Ok(Success::ok(after))
}

#[utoipa::path(delete, path = "/api/v1/planner/keywords/{id}", tag = "planner",
    params(("id" = String, Path, description = "The keyword's id.")),
    responses((status = 200, description = "The keyword is deleted; its cluster's count and volume drop.", body = Envelope<KeywordDeleted>)))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<KeywordId>,
) -> ApiResult<Success<KeywordDeleted>> {
    tenant.require(Access::Write)?;
    let outcome = change_keywords(&state, &tenant, std::slice::from_ref(&id), |_| None).await?;
    let deleted = outcome.applied.len() == 1;
    Ok(Success::ok(KeywordDeleted { id, deleted }))
}

#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_create", tag = "planner", request_body = BulkCreateKeywordsInput,
    responses(
        (status = 201, description = "At least one keyword was created; duplicates and invalid items are listed.", body = Envelope<KeywordsCreated>),
        (status = 200, description = "No keyword was created: every item was a duplicate or invalid.", body = Envelope<KeywordsCreated>),
    ))]
pub async fn bulk_create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<BulkCreateKeywordsInput>,
) -> ApiResult<Success<KeywordsCreated>> {
    tenant.require(Access::Write)?;
    let (site, sector) = state.resolve_sector(&tenant, &input.site_id, &input.sector_id).await?;
    let stamp = now();
    let mut errors = Vec::new();
    let mut candidates = Vec::new();
    for (index, raw) in input.keywords.into_iter().enumerate() {
        let parsed = serde_json::to_vec(&raw)
            .map_err(ApiError::internal)
            .and_then(|bytes| igny8_http::parse_json::<KeywordFields>(&bytes))
            .and_then(|fields| {
                fields.validate().map_err(|e| ApiError::validation(igny8_http::validation_messages(&e)))?;
                Ok(fields)
            });
        match parsed {
            Ok(fields) => candidates.push((index, new_keyword(&tenant, &site.id, &sector.id, fields, &stamp))),
            Err(error) => errors.push(KeywordItemErrors { index, errors: error.errors }),
        }
    }
    let changes: Vec<KeywordChange> =
        candidates.iter().map(|(_, k)| KeywordChange { before: None, after: Some(k.clone()) }).collect();
    let plan = tenant.plan()?;
    let outcome = state.store.apply_keyword_changes(&changes, plan.max_keywords).await?;
    if outcome.applied.is_empty() && !outcome.plan_limited.is_empty() {
        return Err(plan_limit(plan));
    }
    if outcome.applied.is_empty() && !outcome.sector_full.is_empty() {
        return Err(sector_full());
    }
    let no_room = outcome.plan_limited.iter().chain(&outcome.sector_full);
    errors.extend(
        no_room.map(|&i| KeywordItemErrors { index: candidates[i].0, errors: no_room_errors(&outcome, i, plan) }),
    );
    errors.sort_by_key(|e| e.index);
    let created: Vec<Keyword> = outcome.applied.iter().map(|&i| candidates[i].1.clone()).collect();
    let duplicates: Vec<KeywordDuplicate> = outcome
        .duplicates
        .iter()
        .map(|&i| KeywordDuplicate { index: candidates[i].0, keyword: candidates[i].1.keyword.clone() })
        .collect();
    let status = if created.is_empty() { Success::ok } else { Success::created };
    Ok(status(KeywordsCreated { created, duplicates, errors }))
}

#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_delete", tag = "planner", request_body = KeywordIdsInput,
    responses((status = 200, description = "The keywords are deleted.", body = Envelope<KeywordsDeleted>)))]
pub async fn bulk_delete(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<KeywordIdsInput>,
) -> ApiResult<Success<KeywordsDeleted>> {
    tenant.require(Access::Write)?;
    let outcome = change_keywords(&state, &tenant, &input.ids, |_| None).await?;
    Ok(Success::ok(KeywordsDeleted { deleted: outcome.applied.len() }))
}

#[utoipa::path(post, path = "/api/v1/planner/keywords/bulk_update_status", tag = "planner", request_body = KeywordStatusInput,
    responses((status = 200, description = "The keywords have the new status.", body = Envelope<KeywordsUpdated>)))]
pub async fn bulk_update_status(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<KeywordStatusInput>,
) -> ApiResult<Success<KeywordsUpdated>> {
    tenant.require(Access::Write)?;
    let stamp = now();
    let outcome = change_keywords(&state, &tenant, &input.ids, |k| {
        let mut after = k.clone();
        after.status = input.status;
        after.updated_at = stamp.clone();
        Some(after)
    })
    .await?;
    Ok(Success::ok(KeywordsUpdated { updated: outcome.applied.len() }))
}
