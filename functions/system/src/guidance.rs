//! Handlers shared by the account's AI guidance — author profiles and strategies: list
//! (search by name, order by name or creation), read, create, change field by field,
//! delete. Any member reads; admins and owners change.

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::get;
use igny8_http::Deleted;
use igny8_http::openapi::{Envelope, Page, PageQuery, Routes};
use igny8_http::{
    ApiError, ApiResult, ApiRouter, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, matches_search,
};
use igny8_store::AccountId;
use igny8_store::{Conflict, Guidance, StoreError, new_id, now};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, Paths};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, RefOr, Required, ResponseBuilder, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use validator::Validate;

use crate::SystemState;

/// What the API needs to know of one kind of guidance.
pub trait GuidanceApi: Guidance + Serialize + ToSchema + 'static {
    /// For messages, e.g. `Author profile`.
    const WHAT: &'static str;
    /// Prefix of new ids, e.g. `aut`.
    const ID_PREFIX: &'static str;
    /// The plural for the document, e.g. `author profiles`.
    const WHAT_PLURAL: &'static str;
    /// Where the collection is served, e.g. `/api/v1/system/strategies`.
    const PATH: &'static str;
    type Create: DeserializeOwned + Validate + ToSchema + Send + 'static;
    type Update: DeserializeOwned + Validate + ToSchema + Send + 'static;

    fn build(id: String, account_id: AccountId, stamp: String, input: Self::Create) -> Self;
    /// The fields an update sets (those it names), trimmed as stored.
    fn changes(input: Self::Update) -> Vec<(&'static str, String)>;
    fn name(&self) -> &str;
    fn created_at(&self) -> &str;
}

#[derive(Debug, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuidanceFilter {
    /// Part of the name, any case.
    search: Option<String>,
    /// `name` or `created_at` (the default), `-` first for descending.
    ordering: Option<String>,
}

/// `T::PATH` (list, create) and `T::PATH/{id}` (read, change, delete) for guidance `T`,
/// with their descriptions. Written out here because the handlers are generic, which
/// `#[utoipa::path]` does not take.
pub fn routes<T: GuidanceApi>() -> ApiRouter<SystemState> {
    let collection = Routes {
        handlers: vec![(T::PATH.to_owned(), get(list::<T>).post(create::<T>))],
        describe: describe_collection::<T>,
    };
    let item = Routes {
        handlers: vec![(item_path::<T>(), get(read::<T>).put(update::<T>).patch(update::<T>).delete(remove::<T>))],
        describe: describe_item::<T>,
    };
    ApiRouter::new().routes(collection).routes(item)
}

fn item_path<T: GuidanceApi>() -> String {
    format!("{}/{{id}}", T::PATH)
}

/// List and create, and the schemas they name.
fn describe_collection<T: GuidanceApi>() -> (Vec<(String, RefOr<Schema>)>, Paths) {
    let mut schemas = Vec::new();
    <Envelope<T> as ToSchema>::schemas(&mut schemas);
    <Page<T> as ToSchema>::schemas(&mut schemas);
    <T::Create as ToSchema>::schemas(&mut schemas);
    <T::Update as ToSchema>::schemas(&mut schemas);
    schemas.push((<T as ToSchema>::name().into_owned(), T::schema()));
    schemas.push((T::Create::name().into_owned(), T::Create::schema()));
    schemas.push((T::Update::name().into_owned(), T::Update::schema()));

    let mut collection = Paths::new();
    let mut list_params = PageQuery::into_params(|| None);
    list_params.extend(GuidanceFilter::into_params(|| None));
    let list_op = operation(format!("The account's {}.", T::WHAT_PLURAL), "200", Page::<T>::schema())
        .parameters(Some(list_params));
    collection.add_path_operation(T::PATH, vec![HttpMethod::Get], list_op.build());
    let create_op = operation(format!("The new {} (admins).", T::WHAT.to_lowercase()), "201", Envelope::<T>::schema())
        .request_body(Some(body::<T::Create>()));
    collection.add_path_operation(T::PATH, vec![HttpMethod::Post], create_op.build());
    (schemas, collection)
}

/// Read, change and delete, and the schemas they name beyond the collection's.
fn describe_item<T: GuidanceApi>() -> (Vec<(String, RefOr<Schema>)>, Paths) {
    let item_path = item_path::<T>();
    let mut item = Paths::new();
    let read_op = with_id(operation(format!("The {}.", T::WHAT.to_lowercase()), "200", Envelope::<T>::schema()));
    item.add_path_operation(&item_path, vec![HttpMethod::Get], read_op.build());
    let update_op =
        with_id(operation(format!("The changed {} (admins).", T::WHAT.to_lowercase()), "200", Envelope::<T>::schema()))
            .request_body(Some(body::<T::Update>()));
    item.add_path_operation(&item_path, vec![HttpMethod::Put, HttpMethod::Patch], update_op.build());
    let remove_op = with_id(operation(
        format!("The {} is deleted (admins).", T::WHAT.to_lowercase()),
        "200",
        Envelope::<Deleted>::schema(),
    ));
    item.add_path_operation(&item_path, vec![HttpMethod::Delete], remove_op.build());
    let mut deleted = Vec::new();
    <Envelope<Deleted> as ToSchema>::schemas(&mut deleted);
    (deleted, item)
}

fn operation(description: String, status: &str, body: RefOr<Schema>) -> OperationBuilder {
    let content = ContentBuilder::new().schema(Some(body)).build();
    let response = ResponseBuilder::new().description(description).content("application/json", content).build();
    OperationBuilder::new().tag("system").response(status, response)
}

fn with_id(operation: OperationBuilder) -> OperationBuilder {
    operation.parameter(
        utoipa::openapi::path::ParameterBuilder::new()
            .name("id")
            .parameter_in(utoipa::openapi::path::ParameterIn::Path)
            .required(Required::True)
            .schema(Some(String::schema())),
    )
}

fn body<B: ToSchema>() -> utoipa::openapi::request_body::RequestBody {
    let content = ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name(B::name()))).build();
    RequestBodyBuilder::new().content("application/json", content).required(Some(Required::True)).build()
}

fn missing<T: GuidanceApi>(e: StoreError) -> ApiError {
    match e {
        StoreError::Condition(Conflict::GuidanceMissing) => ApiError::not_found(T::WHAT),
        e => e.into(),
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
    let all: Vec<T> = state.store.guidances(tenant.account_id()).await?;
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
    let found: Option<T> = state.store.guidance(tenant.account_id(), &id).await?;
    Ok(Success::ok(found.ok_or_else(|| ApiError::not_found(T::WHAT))?))
}

pub async fn create<T: GuidanceApi>(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<T::Create>,
) -> ApiResult<Success<T>> {
    tenant.require(Access::Admin)?;
    let guidance = T::build(new_id(T::ID_PREFIX), tenant.account_id().to_owned(), now(), input);
    state.store.create_guidance(&guidance).await?;
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
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Admin)?;
    state.store.delete_guidance::<T>(tenant.account_id(), &id).await.map_err(missing::<T>)?;
    Ok(Success::ok(Deleted::of(id)))
}
