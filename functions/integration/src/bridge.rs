//! What the bridge plugin calls, authenticated by the site's API key
//! (`docs/wordpress-bridge.md`). A key acts for its one site: content of any other
//! site — of this account or another — answers 404, as if it did not exist.

use std::time::Instant;

use axum::extract::State;
use igny8_http::{ApiError, ApiResult, JsonBody, Success};
use igny8_store::{BridgeInfo, Content, Role, SyncKind, SyncLog, Taxonomy, WpIntegration, WpMode, WpTerm, new_id, now};
use igny8_tenancy::{SiteScope, Tenant};
use igny8_wordpress::records::{apply_post_state, save_structure, write_logs};
use igny8_wordpress::signature;
use igny8_wordpress::structure::PostState;
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use crate::IntegrationState;
use crate::integrations::site_url;

/// The site a bridge call acts for: the API key's. People (JWTs) get 403.
fn key_site(tenant: &Tenant) -> ApiResult<&str> {
    match (&tenant.sites, tenant.role) {
        (SiteScope::Only(sites), Role::SystemBot) if sites.len() == 1 => {
            Ok(sites.iter().next().map(String::as_str).unwrap_or_default())
        }
        _ => Err(ApiError::forbidden("Only the WordPress bridge plugin, with the site's API key, calls this.")),
    }
}

async fn integration_of(state: &IntegrationState, tenant: &Tenant, site_id: &str) -> ApiResult<WpIntegration> {
    state
        .tenancy
        .store
        .wp_integration_of_site(tenant.account_id(), site_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::conflict("NOT_CONNECTED", "Press Connect in the plugin's settings first."))
}

#[derive(Debug, Deserialize, Validate)]
pub struct ConnectInput {
    #[validate(length(min = 1, max = 500))]
    site_url: String,
    #[validate(length(max = 1000))]
    #[serde(default)]
    rest_url: String,
    #[validate(length(max = 50))]
    #[serde(default)]
    plugin_version: String,
    #[validate(length(max = 50))]
    #[serde(default)]
    wp_version: String,
}

/// Makes (or updates) the site's integration from the plugin's side and hands the plugin
/// a new signing secret; connecting again rotates it. An integration in rest mode keeps
/// its mode (the plugin then only reports changes back).
pub async fn connect(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<ConnectInput>,
) -> ApiResult<Success<Value>> {
    let site_id = key_site(&tenant)?.to_owned();
    let store = &state.tenancy.store;
    let url = site_url(&state, "site_url", &input.site_url)?;
    let stamp = now();
    let existing = store.wp_integration_of_site(tenant.account_id(), &site_id).await.map_err(ApiError::internal)?;
    let mut integration =
        existing.unwrap_or_else(|| WpIntegration::new(tenant.account_id(), &site_id, url.clone(), WpMode::Bridge));
    if integration.mode == WpMode::Bridge {
        integration.site_url = url;
        integration.rest_style = if input.rest_url.contains("rest_route=") {
            igny8_store::RestStyle::Plain
        } else {
            igny8_store::RestStyle::Pretty
        };
    }
    let secret = signature::new_secret();
    integration.signing_secret_sealed = Some(state.secrets.seal(&secret));
    integration.bridge = Some(BridgeInfo {
        plugin_version: input.plugin_version,
        wp_version: input.wp_version,
        connected_at: stamp.clone(),
    });
    integration.updated_at = stamp;
    store.put_wp_integration(&integration).await.map_err(ApiError::internal)?;
    tracing::info!(site_id, integration_id = %integration.id, "bridge plugin connected");
    Ok(Success::ok(json!({
        "signing_secret": secret,
        "site_id": site_id,
        "integration_id": integration.id,
        "mode": integration.mode,
    })))
}

/// The plugin's description of its site, kept as given.
#[derive(Debug, Deserialize, Validate)]
pub struct SiteDescription {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
}

/// The plugin's description of its site (the same shape as its `GET /igny8/v1/site`).
pub async fn structure(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(description): JsonBody<SiteDescription>,
) -> ApiResult<Success<Value>> {
    let site_id = key_site(&tenant)?.to_owned();
    let site = Value::Object(description.fields);
    if !site.is_object() || !site["post_types"].is_array() {
        return Err(ApiError::field("post_types", "A list of post types is required."));
    }
    let integration = integration_of(&state, &tenant, &site_id).await?;
    save_structure(&state.tenancy.store, &integration, &site).await.map_err(ApiError::internal)?;
    Ok(Success::ok(json!({"site_id": site_id, "saved": true})))
}

#[derive(Debug, Deserialize, Validate)]
pub struct TaxonomyInput {
    taxonomy: String,
    #[validate(length(max = 5000))]
    terms: Vec<WpTerm>,
}

/// Categories or tags pushed by the plugin, mirrored into the site's taxonomy terms.
pub async fn taxonomies(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<TaxonomyInput>,
) -> ApiResult<Success<Value>> {
    let site_id = key_site(&tenant)?.to_owned();
    let taxonomy = match input.taxonomy.as_str() {
        "category" => Taxonomy::Category,
        "post_tag" => Taxonomy::PostTag,
        _ => return Err(ApiError::field("taxonomy", "Use category or post_tag.")),
    };
    integration_of(&state, &tenant, &site_id).await?;
    let (created, updated) = state
        .tenancy
        .store
        .mirror_wp_terms(tenant.account_id(), &site_id, taxonomy, &input.terms)
        .await
        .map_err(ApiError::internal)?;
    Ok(Success::ok(json!({"created": created, "updated": updated})))
}

#[derive(Debug, Deserialize, Validate)]
pub struct WebhookInput {
    event: String,
    #[validate(length(min = 1, max = 64))]
    content_id: String,
    post_id: u64,
    #[serde(default)]
    #[validate(length(max = 2000))]
    url: String,
    #[serde(default)]
    #[validate(length(max = 20))]
    status: String,
    #[serde(default)]
    modified_gmt: String,
}

/// A post of ours changed in WordPress: published, unpublished, trashed, edited or
/// deleted. Our content follows.
pub async fn webhook(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<WebhookInput>,
) -> ApiResult<Success<Value>> {
    let started = Instant::now();
    let site_id = key_site(&tenant)?.to_owned();
    let store = &state.tenancy.store;
    let content =
        match store.find::<Content>(tenant.account_id(), &input.content_id).await.map_err(ApiError::internal)? {
            Some(content) if content.site_id == site_id => content,
            _ => return Err(ApiError::not_found("Content")),
        };
    let post_state = match input.event.as_str() {
        "post_deleted" => PostState::Deleted,
        "post_status_changed" | "post_updated" => PostState::Present {
            post_id: input.post_id,
            url: input.url.clone(),
            status: input.status.clone(),
            modified_gmt: input.modified_gmt.clone(),
        },
        _ => return Err(ApiError::field("event", "Use post_status_changed, post_updated or post_deleted.")),
    };
    // A post we do not know as this content's (published again since) changes nothing,
    // and news older than what we know of the post (a retry from the plugin's outbox
    // arriving after newer news) is not applied over it.
    let publication = store.publication(tenant.account_id(), &content.id).await.map_err(ApiError::internal)?;
    let stale = publication.as_ref().is_some_and(|p| p.is_stale(&input.modified_gmt));
    let known = content.external_id.as_deref() == Some(input.post_id.to_string().as_str()) && !stale;
    if known {
        apply_post_state(store, &content, &post_state).await.map_err(ApiError::internal)?;
    }
    let log = SyncLog {
        id: new_id("log"),
        account_id: content.account_id.clone(),
        site_id: site_id.clone(),
        sector_id: None,
        log_type: SyncKind::Webhook,
        action: format!("{} ({})", input.event, if input.status.is_empty() { "-" } else { &input.status }),
        content_id: Some(content.id.clone()),
        job_id: None,
        method: "POST".into(),
        path: "/api/v1/integration/webhooks/wordpress/".into(),
        status_code: Some(200),
        duration_ms: started.elapsed().as_millis() as u64,
        ok: known,
        error: match (known, stale) {
            (true, _) => None,
            (false, true) => Some(format!("older than what is known of post {}; ignored", input.post_id)),
            (false, false) => Some(format!("post {} is not this content's post; ignored", input.post_id)),
        },
        created_at: now(),
    };
    write_logs(store, vec![log]).await;
    let fresh = store.find::<Content>(tenant.account_id(), &content.id).await.map_err(ApiError::internal)?;
    let current = fresh.as_ref().unwrap_or(&content);
    Ok(Success::ok(json!({
        "content_id": current.id,
        "status": current.status,
        "external_id": current.external_id,
        "external_url": current.external_url,
        "applied": known,
    })))
}
