//! A site's WordPress integration (admin and up): one per site, the application
//! password sealed and shown masked, publish defaults; its checklist, structure and
//! sync job. Another account's integration, or one of a site the caller cannot see,
//! answers 404.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use igny8_ai::jobs::{self, JobRequest, JobView};
use igny8_http::Deleted;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank, nullable};
use igny8_store::JobFunction;
use igny8_store::SiteId;
use igny8_store::WpIntegrationId;
use igny8_store::{
    CategoryRule, ClustersAs, PublishStatus, RestStyle, StoreError, SyncKind, WpIntegration, WpMode, now,
};
use igny8_tenancy::secrets::mask;
use igny8_tenancy::{Access, Tenant};
use igny8_wordpress::check::Check;
use igny8_wordpress::records::{save_structure, write_logs};
use igny8_wordpress::{Credentials, LogContext, Via, WpClient, check, structure};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use crate::IntegrationState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegrationInput {
    #[validate(length(min = 1, max = 64))]
    site_id: SiteId,
    /// `wordpress`, the only platform.
    #[serde(default)]
    platform: Option<String>,
    #[validate(length(min = 1, max = 500))]
    site_url: String,
    /// `rest` unless given.
    mode: Option<WpMode>,
    /// Required in rest mode.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    username: Option<String>,
    /// A WordPress application password; required in rest mode.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    app_password: Option<String>,
    #[serde(flatten)]
    #[validate(nested)]
    defaults: PublishDefaultsInput,
}

/// Publish defaults, on create and update alike.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct PublishDefaultsInput {
    /// `draft` or `publish` (posts are scheduled one by one).
    default_status: Option<PublishStatus>,
    /// The WordPress user id posts are published as; null: the credentials' user.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u64>)]
    default_author: Option<Option<u64>>,
    category_rule: Option<CategoryRule>,
    /// Required when `category_rule` is `fixed`; null clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>)]
    fixed_category: Option<Option<String>>,
    clusters_as: Option<ClustersAs>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIntegrationInput {
    /// A new address in rest mode needs `app_password` again.
    #[validate(length(min = 1, max = 500))]
    site_url: Option<String>,
    mode: Option<WpMode>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    username: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    app_password: Option<String>,
    #[serde(flatten)]
    #[validate(nested)]
    defaults: PublishDefaultsInput,
}

/// The only platform there is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum IntegrationPlatform {
    #[serde(rename = "wordpress")]
    WordPress,
}

/// What the bridge plugin said when it connected.
#[derive(Debug, Serialize, ToSchema)]
pub struct BridgeConnection {
    /// Whether the plugin holds a signing secret from a connect (a new site URL drops it).
    connected: bool,
    /// Null until the plugin has connected (also below).
    plugin_version: Option<String>,
    wp_version: Option<String>,
    connected_at: Option<String>,
}

/// A site's WordPress integration: never the password or secret, sealed or not.
#[derive(Debug, Serialize, ToSchema)]
pub struct WpIntegrationView {
    id: WpIntegrationId,
    site_id: SiteId,
    platform: IntegrationPlatform,
    site_url: String,
    mode: WpMode,
    rest_style: RestStyle,
    /// Empty when none was given.
    username: String,
    /// The application password masked (at most its last four characters shown); null when there is none.
    app_password_masked: Option<String>,
    has_app_password: bool,
    bridge: BridgeConnection,
    default_status: PublishStatus,
    /// The WordPress user id posts are published as; null: the credentials' user.
    default_author: Option<u64>,
    category_rule: CategoryRule,
    fixed_category: Option<String>,
    clusters_as: ClustersAs,
    structure_updated_at: Option<String>,
    last_sync_at: Option<String>,
    created_at: String,
    updated_at: String,
}

fn view(i: &WpIntegration) -> WpIntegrationView {
    WpIntegrationView {
        id: i.id.clone(),
        site_id: i.site_id.clone(),
        platform: IntegrationPlatform::WordPress,
        site_url: i.site_url.clone(),
        mode: i.mode,
        rest_style: i.rest_style,
        username: i.username.clone(),
        app_password_masked: (!i.app_password_masked.is_empty()).then(|| i.app_password_masked.clone()),
        has_app_password: i.app_password_sealed.is_some(),
        bridge: BridgeConnection {
            connected: i.signing_secret_sealed.is_some(),
            plugin_version: i.bridge.as_ref().map(|b| b.plugin_version.clone()),
            wp_version: i.bridge.as_ref().map(|b| b.wp_version.clone()),
            connected_at: i.bridge.as_ref().map(|b| b.connected_at.clone()),
        },
        default_status: i.default_status,
        default_author: i.default_author,
        category_rule: i.category_rule,
        fixed_category: i.fixed_category.clone(),
        clusters_as: i.clusters_as,
        structure_updated_at: i.structure_updated_at.clone(),
        last_sync_at: i.last_sync_at.clone(),
        created_at: i.created_at.clone(),
        updated_at: i.updated_at.clone(),
    }
}

/// A WordPress address: http(s), a host, no credentials, query or fragment, and one
/// the outbound guard lets us call. Trailing slashes are dropped.
pub(crate) fn site_url(state: &IntegrationState, field: &str, value: &str) -> ApiResult<String> {
    let trimmed = value.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|_| ApiError::field(field, "Enter the site's address, such as https://blog.example.com."))?;
    if url.query().is_some() || url.fragment().is_some() || url.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::field(field, "Enter the site's address without a query or fragment."));
    }
    state.outbound.check_url(&url).map_err(|reason| ApiError::field(field, reason))?;
    Ok(trimmed.to_owned())
}

fn apply_defaults(integration: &mut WpIntegration, defaults: PublishDefaultsInput) -> ApiResult<()> {
    if let Some(status) = defaults.default_status {
        integration.default_status = status;
    }
    if let Some(author) = defaults.default_author {
        integration.default_author = author;
    }
    if let Some(rule) = defaults.category_rule {
        integration.category_rule = rule;
    }
    if let Some(category) = defaults.fixed_category {
        integration.fixed_category = category.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    }
    if let Some(clusters_as) = defaults.clusters_as {
        integration.clusters_as = clusters_as;
    }
    if integration.category_rule == CategoryRule::Fixed && integration.fixed_category.is_none() {
        return Err(ApiError::field("fixed_category", "Name the category every post goes into."));
    }
    if integration.default_status == PublishStatus::Future {
        return Err(ApiError::field(
            "default_status",
            "Posts are scheduled one by one, with a date; use draft or publish.",
        ));
    }
    Ok(())
}

/// Rest mode needs a username and an application password.
fn check_rest_credentials(integration: &WpIntegration) -> ApiResult<()> {
    if integration.mode != WpMode::Rest {
        return Ok(());
    }
    let mut error = None;
    if integration.username.is_empty() {
        error = Some(ApiError::field("username", "The WordPress username is required in rest mode."));
    }
    if integration.app_password_sealed.is_none() {
        let mut e = error.unwrap_or_else(|| ApiError::field("app_password", "This field is required."));
        e.errors.insert("app_password".into(), vec!["An application password is required in rest mode.".into()]);
        error = Some(e);
    }
    error.map_or(Ok(()), Err)
}

#[utoipa::path(post, path = "/api/v1/integration/integrations", tag = "integration", request_body = CreateIntegrationInput,
    responses(
        (status = 201, description = "The site's new integration.", body = Envelope<WpIntegrationView>),
        (status = 409, description = "The site has an integration already (`INTEGRATION_EXISTS`).", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateIntegrationInput>,
) -> ApiResult<(StatusCode, Success<WpIntegrationView>)> {
    tenant.require(Access::Admin)?;
    if input.platform.as_deref().is_some_and(|p| p != "wordpress") {
        return Err(ApiError::field("platform", "Only wordpress is supported."));
    }
    let store = &state.tenancy.store;
    let site_id = input.site_id.clone();
    tenant.require_site(&site_id)?;
    if store.site(tenant.account_id(), &site_id).await?.is_none() {
        return Err(ApiError::field("site_id", "No such site."));
    }
    let mut integration = WpIntegration::new(
        tenant.account_id(),
        &site_id,
        site_url(&state, "site_url", &input.site_url)?,
        input.mode.unwrap_or(WpMode::Rest),
    );
    integration.username = input.username.map(|u| u.trim().to_owned()).unwrap_or_default();
    integration.app_password_sealed = input.app_password.as_deref().map(|p| state.secrets.seal(p.trim()));
    integration.app_password_masked = input.app_password.as_deref().map(|p| mask(p.trim())).unwrap_or_default();
    apply_defaults(&mut integration, input.defaults)?;
    check_rest_credentials(&integration)?;
    match store.create(&integration).await {
        Ok(()) => Ok((StatusCode::CREATED, Success::created(view(&integration)))),
        Err(StoreError::Condition(_)) => Err(ApiError::conflict(
            "INTEGRATION_EXISTS",
            "This site has a WordPress integration already; change or delete that one.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The integration by id, if the caller may manage it; 404 otherwise.
pub(crate) async fn find(state: &IntegrationState, tenant: &Tenant, id: &WpIntegrationId) -> ApiResult<WpIntegration> {
    tenant.require(Access::Admin)?;
    state.tenancy.find_scoped::<WpIntegration>(tenant, id, "Integration").await
}

#[utoipa::path(get, path = "/api/v1/integration/integrations/{id}", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The integration.", body = Envelope<WpIntegrationView>)))]
pub async fn read(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<Success<WpIntegrationView>> {
    Ok(Success::ok(view(&find(&state, &tenant, &id).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// Only this site's integration.
    site_id: Option<SiteId>,
}

/// The account's integrations on sites the caller sees (one per site, so few).
#[utoipa::path(get, path = "/api/v1/integration/integrations", tag = "integration", params(PageQuery, ListFilter),
    responses((status = 200, description = "The integrations, oldest first.", body = Page<WpIntegrationView>)))]
pub async fn list(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ListFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<WpIntegrationView>> {
    tenant.require(Access::Admin)?;
    page.check()?;
    let store = &state.tenancy.store;
    let sites = store.sites(tenant.account_id()).await?;
    let ids: Vec<WpIntegrationId> = sites
        .iter()
        .filter(|s| tenant.sees_site(&s.id) && filter.site_id.as_ref().is_none_or(|f| *f == s.id))
        .map(|s| WpIntegration::id_for_site(&s.id))
        .collect();
    let mut found: Vec<WpIntegration> = store.find_many(tenant.account_id(), &ids).await?;
    found.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(ListResponse::paginate(found.iter().map(view).collect(), &page, &uri))
}

/// Changes what is given. A new site URL in rest mode needs the password again: the
/// stored one must not follow the URL to another server.
#[utoipa::path(method(put, patch), path = "/api/v1/integration/integrations/{id}", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")), request_body = UpdateIntegrationInput,
    responses((status = 200, description = "The integration as changed.", body = Envelope<WpIntegrationView>)))]
pub async fn update(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
    JsonBody(input): JsonBody<UpdateIntegrationInput>,
) -> ApiResult<Success<WpIntegrationView>> {
    let mut integration = find(&state, &tenant, &id).await?;
    if let Some(url) = &input.site_url {
        let url = site_url(&state, "site_url", url)?;
        if url != integration.site_url {
            if input.app_password.is_none() && integration.app_password_sealed.is_some() {
                return Err(ApiError::field(
                    "app_password",
                    "Give the application password again when the site URL changes.",
                ));
            }
            // The plugin connects again from the new address.
            integration.signing_secret_sealed = None;
            integration.rest_style = RestStyle::Pretty;
            integration.site_url = url;
        }
    }
    if let Some(mode) = input.mode {
        integration.mode = mode;
    }
    if let Some(username) = input.username {
        integration.username = username.trim().to_owned();
    }
    if let Some(password) = input.app_password {
        integration.app_password_sealed = Some(state.secrets.seal(password.trim()));
        integration.app_password_masked = mask(password.trim());
    }
    apply_defaults(&mut integration, input.defaults)?;
    check_rest_credentials(&integration)?;
    integration.updated_at = now();
    state.tenancy.store.put_wp_integration(&integration).await?;
    Ok(Success::ok(view(&integration)))
}

#[utoipa::path(delete, path = "/api/v1/integration/integrations/{id}", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The integration is deleted.", body = Envelope<Deleted>)))]
pub async fn remove(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<Success<Deleted>> {
    let integration = find(&state, &tenant, &id).await?;
    let store = &state.tenancy.store;
    store.remove::<WpIntegration>(tenant.account_id(), &integration.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Integration"),
        e => e.into(),
    })?;
    Ok(Success::ok(Deleted::of(integration.id)))
}

/// A client for the integration; without usable credentials an anonymous one (the
/// checklist then says what is missing).
fn client(state: &IntegrationState, integration: &WpIntegration) -> (WpClient, Via) {
    match igny8_wordpress::client_for(&state.http, &state.secrets, integration, state.policy) {
        Ok(ready) => ready,
        Err(_) => {
            let via = if integration.mode == WpMode::Bridge { Via::Bridge } else { Via::CoreRest };
            let anonymous = WpClient::new(
                state.http.clone(),
                &integration.site_url,
                integration.rest_style,
                Credentials::Anonymous,
                state.policy,
            );
            (anonymous, via)
        }
    }
}

async fn log_attempts(state: &IntegrationState, integration: &WpIntegration, kind: SyncKind, client: &WpClient) {
    let context = LogContext { integration, kind, content_id: None, job_id: None };
    write_logs(&state.tenancy.store, igny8_wordpress::logs(&context, client.take_attempts())).await;
}

/// The connection checklist's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionChecklist {
    /// Whether every check passed.
    ok: bool,
    checks: Vec<Check>,
    /// How the site's REST API is addressed, as now remembered.
    rest_style: RestStyle,
    /// Where the site redirects to; null when it does not.
    redirect_to: Option<String>,
}

/// The diagnostic checklist: `{ok, checks: [{id, ok, message, fix}]}`. A failing site is
/// an answer, not an error of this request. How the REST API answered is remembered.
#[utoipa::path(post, path = "/api/v1/integration/integrations/{id}/test-connection", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The checklist; a failing site is an answer here (`ok: false`), not an error.", body = Envelope<ConnectionChecklist>)))]
pub async fn test_connection(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<Success<ConnectionChecklist>> {
    let mut integration = find(&state, &tenant, &id).await?;
    let (client, _) = client(&state, &integration);
    let (checks, findings) = check::run(&client, integration.mode).await;
    log_attempts(&state, &integration, SyncKind::Test, &client).await;
    if let Some(style) = findings.rest_style
        && style != integration.rest_style
    {
        integration.rest_style = style;
        state.tenancy.store.set_wp_rest_style(&integration, style).await?;
    }
    let ok = checks.iter().all(|c| c.ok);
    Ok(Success::ok(ConnectionChecklist {
        ok,
        checks,
        rest_style: integration.rest_style,
        redirect_to: findings.redirect_to,
    }))
}

/// Reads post types, taxonomies and terms from WordPress now.
#[utoipa::path(post, path = "/api/v1/integration/integrations/{id}/update-structure", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses(
        (status = 200, description = "The post types and taxonomies WordPress described just now.", body = Envelope<WpContentTypes>),
        (status = 409, description = "The integration has no usable credentials yet (`NOT_CONNECTED`).", body = ErrorEnvelope),
        (status = 502, description = "WordPress could not be read (`WORDPRESS_ERROR`).", body = ErrorEnvelope),
    ))]
pub async fn update_structure(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<Success<WpContentTypes>> {
    let integration = find(&state, &tenant, &id).await?;
    let (client, via) = igny8_wordpress::client_for(&state.http, &state.secrets, &integration, state.policy)
        .map_err(|reason| ApiError::conflict("NOT_CONNECTED", reason))?;
    let read = structure::read(&client, via).await;
    log_attempts(&state, &integration, SyncKind::Structure, &client).await;
    let site = read.map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "WORDPRESS_ERROR", e.reason()))?;
    let store = &state.tenancy.store;
    save_structure(store, &integration, &site).await?;
    let saved = store.wp_integration_of_site(tenant.account_id(), &integration.site_id).await?;
    Ok(Success::ok(content_types_of(saved.as_ref().unwrap_or(&integration))))
}

/// What WordPress (core REST, or the bridge plugin) last said the site is made of. The
/// plugin's description is kept as it sent it, so the items' shape is WordPress's.
#[derive(Debug, Serialize, ToSchema)]
pub struct WpContentTypes {
    /// Usually a list of `{name, label, rest_base, hierarchical}`; `[]` before the first read.
    #[schema(value_type = Value)]
    post_types: Value,
    /// Usually a list of `{name, label, rest_base, object_types, hierarchical}`; `[]` before the first read.
    #[schema(value_type = Value)]
    taxonomies: Value,
    /// When the structure was last read; null before the first read.
    updated_at: Option<String>,
}

fn content_types_of(integration: &WpIntegration) -> WpContentTypes {
    let part = |name: &str| {
        integration.structure.as_ref().and_then(|s| s.get(name)).cloned().unwrap_or_else(|| Value::Array(vec![]))
    };
    WpContentTypes {
        post_types: part("post_types"),
        taxonomies: part("taxonomies"),
        updated_at: integration.structure_updated_at.clone(),
    }
}

/// The post types and taxonomies WordPress last described.
#[utoipa::path(get, path = "/api/v1/integration/integrations/{id}/content-types", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 200, description = "The post types and taxonomies WordPress last described.", body = Envelope<WpContentTypes>)))]
pub async fn content_types(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<Success<WpContentTypes>> {
    Ok(Success::ok(content_types_of(&find(&state, &tenant, &id).await?)))
}

/// Queues a sync job: 202 with the job.
#[utoipa::path(post, path = "/api/v1/integration/integrations/{id}/sync", tag = "integration",
    params(("id" = String, Path, description = "The integration's id.")),
    responses((status = 202, description = "The sync job, queued (`message`: \"Job queued.\").", body = Envelope<JobView>)))]
pub async fn sync(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<WpIntegrationId>,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    let integration = find(&state, &tenant, &id).await?;
    let request = JobRequest {
        function: JobFunction::WordpressSync,
        site_id: integration.site_id.clone(),
        ids: vec![],
        options: json!({}),
        estimated_credits: 0,
    };
    jobs::accept(&state.tenancy.store, &state.jobs, &tenant, request).await
}
