//! A site's WordPress integration (admin and up): one per site, the application
//! password sealed and shown masked, publish defaults; its checklist, structure and
//! sync job. Another account's integration, or one of a site the caller cannot see,
//! answers 404.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use igny8_ai::jobs::{self, JobRequest};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank, nullable};
use igny8_store::{
    CategoryRule, ClustersAs, PublishStatus, RestStyle, StoreError, SyncKind, WpIntegration, WpMode, now,
};
use igny8_tenancy::secrets::mask;
use igny8_tenancy::{Access, Tenant};
use igny8_wordpress::records::{save_structure, write_logs};
use igny8_wordpress::{Credentials, LogContext, Via, WpClient, check, structure};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use crate::IntegrationState;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    #[validate(length(min = 1, max = 64))]
    site_id: String,
    #[serde(default)]
    platform: Option<String>,
    #[validate(length(min = 1, max = 500))]
    site_url: String,
    mode: Option<WpMode>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    username: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    app_password: Option<String>,
    #[serde(flatten)]
    #[validate(nested)]
    defaults: DefaultsInput,
}

/// Publish defaults, on create and update alike.
#[derive(Debug, Default, Deserialize, Validate)]
pub struct DefaultsInput {
    default_status: Option<PublishStatus>,
    #[serde(default, deserialize_with = "nullable")]
    default_author: Option<Option<u64>>,
    category_rule: Option<CategoryRule>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 200))]
    fixed_category: Option<Option<String>>,
    clusters_as: Option<ClustersAs>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    #[validate(length(min = 1, max = 500))]
    site_url: Option<String>,
    mode: Option<WpMode>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    username: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    app_password: Option<String>,
    #[serde(flatten)]
    #[validate(nested)]
    defaults: DefaultsInput,
}

/// The API's view: never the password or secret, sealed or not.
fn view(i: &WpIntegration) -> Value {
    json!({
        "id": i.id,
        "site_id": i.site_id,
        "platform": "wordpress",
        "site_url": i.site_url,
        "mode": i.mode,
        "rest_style": i.rest_style,
        "username": i.username,
        "app_password_masked": (!i.app_password_masked.is_empty()).then_some(&i.app_password_masked),
        "has_app_password": i.app_password_sealed.is_some(),
        "bridge": {
            "connected": i.signing_secret_sealed.is_some(),
            "plugin_version": i.bridge.as_ref().map(|b| &b.plugin_version),
            "wp_version": i.bridge.as_ref().map(|b| &b.wp_version),
            "connected_at": i.bridge.as_ref().map(|b| &b.connected_at),
        },
        "default_status": i.default_status,
        "default_author": i.default_author,
        "category_rule": i.category_rule,
        "fixed_category": i.fixed_category,
        "clusters_as": i.clusters_as,
        "structure_updated_at": i.structure_updated_at,
        "last_sync_at": i.last_sync_at,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    })
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

fn apply_defaults(integration: &mut WpIntegration, defaults: DefaultsInput) -> ApiResult<()> {
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

pub async fn create(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateInput>,
) -> ApiResult<(StatusCode, Success<Value>)> {
    tenant.require(Access::Admin)?;
    if input.platform.as_deref().is_some_and(|p| p != "wordpress") {
        return Err(ApiError::field("platform", "Only wordpress is supported."));
    }
    let store = &state.tenancy.store;
    tenant.require_site(&input.site_id)?;
    if store.site(tenant.account_id(), &input.site_id).await.map_err(ApiError::internal)?.is_none() {
        return Err(ApiError::field("site_id", "No such site."));
    }
    let mut integration = WpIntegration::new(
        tenant.account_id(),
        &input.site_id,
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
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// The integration by id, if the caller may manage it; 404 otherwise.
pub(crate) async fn find(state: &IntegrationState, tenant: &Tenant, id: &str) -> ApiResult<WpIntegration> {
    tenant.require(Access::Admin)?;
    state.tenancy.find_scoped::<WpIntegration>(tenant, id, "Integration").await
}

pub async fn read(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    Ok(Success::ok(view(&find(&state, &tenant, &id).await?)))
}

#[derive(Debug, Deserialize)]
pub struct ListFilter {
    site_id: Option<String>,
}

/// The account's integrations on sites the caller sees (one per site, so few).
pub async fn list(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ListFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::Admin)?;
    page.check()?;
    let store = &state.tenancy.store;
    let sites = store.sites(tenant.account_id()).await.map_err(ApiError::internal)?;
    let ids: Vec<String> = sites
        .iter()
        .filter(|s| tenant.sees_site(&s.id) && filter.site_id.as_deref().is_none_or(|f| f == s.id))
        .map(|s| WpIntegration::id_for_site(&s.id))
        .collect();
    let mut found: Vec<WpIntegration> = store.find_many(tenant.account_id(), &ids).await.map_err(ApiError::internal)?;
    found.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(ListResponse::paginate(found.iter().map(view).collect(), &page, &uri))
}

/// Changes what is given. A new site URL in rest mode needs the password again: the
/// stored one must not follow the URL to another server.
pub async fn update(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<UpdateInput>,
) -> ApiResult<Success<Value>> {
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
    state.tenancy.store.put_wp_integration(&integration).await.map_err(ApiError::internal)?;
    Ok(Success::ok(view(&integration)))
}

pub async fn remove(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    let integration = find(&state, &tenant, &id).await?;
    let store = &state.tenancy.store;
    store.remove::<WpIntegration>(tenant.account_id(), &integration.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Integration"),
        e => ApiError::internal(e),
    })?;
    Ok(Success::ok(json!({"id": integration.id, "deleted": true})))
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

/// The diagnostic checklist: `{ok, checks: [{id, ok, message, fix}]}`. A failing site is
/// an answer, not an error of this request. How the REST API answered is remembered.
pub async fn test_connection(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    let mut integration = find(&state, &tenant, &id).await?;
    let (client, _) = client(&state, &integration);
    let (checks, findings) = check::run(&client, integration.mode).await;
    log_attempts(&state, &integration, SyncKind::Test, &client).await;
    if let Some(style) = findings.rest_style
        && style != integration.rest_style
    {
        integration.rest_style = style;
        state.tenancy.store.set_wp_rest_style(&integration, style).await.map_err(ApiError::internal)?;
    }
    let ok = checks.iter().all(|c| c.ok);
    Ok(Success::ok(json!({
        "ok": ok,
        "checks": checks,
        "rest_style": integration.rest_style,
        "redirect_to": findings.redirect_to,
    })))
}

/// Reads post types, taxonomies and terms from WordPress now.
pub async fn update_structure(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    let integration = find(&state, &tenant, &id).await?;
    let (client, via) = igny8_wordpress::client_for(&state.http, &state.secrets, &integration, state.policy)
        .map_err(|reason| ApiError::conflict("NOT_CONNECTED", reason))?;
    let read = structure::read(&client, via).await;
    log_attempts(&state, &integration, SyncKind::Structure, &client).await;
    let site = read.map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "WORDPRESS_ERROR", e.reason()))?;
    let store = &state.tenancy.store;
    save_structure(store, &integration, &site).await.map_err(ApiError::internal)?;
    let saved =
        store.wp_integration_of_site(tenant.account_id(), &integration.site_id).await.map_err(ApiError::internal)?;
    Ok(Success::ok(content_types_of(saved.as_ref().unwrap_or(&integration))))
}

fn content_types_of(integration: &WpIntegration) -> Value {
    let structure = integration.structure.clone().unwrap_or(Value::Null);
    json!({
        "post_types": structure.get("post_types").cloned().unwrap_or(json!([])),
        "taxonomies": structure.get("taxonomies").cloned().unwrap_or(json!([])),
        "updated_at": integration.structure_updated_at,
    })
}

/// The post types and taxonomies WordPress last described.
pub async fn content_types(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    Ok(Success::ok(content_types_of(&find(&state, &tenant, &id).await?)))
}

/// Queues a sync job: 202 with the job.
pub async fn sync(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Success<Value>)> {
    let integration = find(&state, &tenant, &id).await?;
    let request = JobRequest {
        function: "wordpress_sync",
        site_id: integration.site_id.clone(),
        ids: vec![],
        options: json!({}),
        estimated_credits: 0,
    };
    jobs::accept(&state.tenancy.store, &state.jobs, &tenant, request).await
}
