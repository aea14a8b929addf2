//! What the bridge plugin calls, authenticated by the site's API key
//! (`docs/wordpress-bridge.md`). A key acts for its one site: content of any other
//! site — of this account or another — answers 404, as if it did not exist.

use igny8_store::ContentId;
use igny8_store::SiteId;
use igny8_store::SyncLogId;
use igny8_store::WpIntegrationId;
use std::time::Instant;

use axum::extract::State;
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, JsonBody, Success};
use igny8_store::{
    BridgeInfo, Content, ContentStatus, Role, SyncKind, SyncLog, Taxonomy, WpIntegration, WpMode, WpTerm, now,
};
use igny8_tenancy::{SiteScope, Tenant};
use igny8_wordpress::records::{apply_post_state, save_structure, write_logs};
use igny8_wordpress::signature;
use igny8_wordpress::structure::PostState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};
use validator::Validate;

use crate::IntegrationState;
use crate::integrations::site_url;

/// The site a bridge call acts for: the API key's. People (JWTs) get 403.
fn key_site(tenant: &Tenant) -> ApiResult<&SiteId> {
    match (&tenant.sites, tenant.role) {
        (SiteScope::Only(sites), Role::SystemBot) if sites.len() == 1 => {
            sites.iter().next().ok_or_else(|| ApiError::forbidden("This key acts for no site."))
        }
        _ => Err(ApiError::forbidden("Only the WordPress bridge plugin, with the site's API key, calls this.")),
    }
}

async fn integration_of(state: &IntegrationState, tenant: &Tenant, site_id: &SiteId) -> ApiResult<WpIntegration> {
    state
        .tenancy
        .store
        .wp_integration_of_site(tenant.account_id(), site_id)
        .await?
        .ok_or_else(|| ApiError::conflict("NOT_CONNECTED", "Press Connect in the plugin's settings first."))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BridgeConnectInput {
    #[validate(length(min = 1, max = 500))]
    site_url: String,
    /// What WordPress's `get_rest_url()` answers (whether pretty permalinks work).
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

/// What the plugin keeps after connecting.
#[derive(Debug, Serialize, ToSchema)]
pub struct BridgeConnected {
    /// The secret our requests to the plugin are signed with; shown this once.
    signing_secret: String,
    site_id: SiteId,
    integration_id: WpIntegrationId,
    /// `bridge`, or `rest` when the site's integration was made in rest mode.
    mode: WpMode,
}

/// Makes (or updates) the site's integration from the plugin's side and hands the plugin
/// a new signing secret; connecting again rotates it. An integration in rest mode keeps
/// its mode (the plugin then only reports changes back).
#[utoipa::path(post, path = "/api/v1/integration/bridge/connect", tag = "integration", security(("api_key" = [])),
    description = "Called by the WordPress bridge plugin with its site's API key (`X-IGNY8-API-Key`); a person's token answers 403.",
    request_body = BridgeConnectInput,
    responses((status = 200, description = "The site's integration is connected; the plugin keeps the signing secret.", body = Envelope<BridgeConnected>)))]
pub async fn connect(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<BridgeConnectInput>,
) -> ApiResult<Success<BridgeConnected>> {
    let site_id = key_site(&tenant)?.clone();
    let store = &state.tenancy.store;
    let url = site_url(&state, "site_url", &input.site_url)?;
    let stamp = now();
    let existing = store.wp_integration_of_site(tenant.account_id(), &site_id).await?;
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
    store.put_wp_integration(&integration).await?;
    tracing::info!(%site_id, integration_id = %integration.id, "bridge plugin connected");
    Ok(Success::ok(BridgeConnected {
        signing_secret: secret,
        site_id,
        integration_id: integration.id,
        mode: integration.mode,
    }))
}

/// The plugin's description of its site, kept as given.
#[derive(Debug, Deserialize, Validate)]
pub struct BridgeSiteDescription {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
}

/// Any object with a `post_types` list: `terms.category` and `terms.post_tag` are
/// mirrored into the site's terms, the rest is kept as given (nothing else is checked).
impl PartialSchema for BridgeSiteDescription {
    fn schema() -> RefOr<Schema> {
        let terms = || ArrayBuilder::new().items(WpTerm::schema());
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .description(Some(
                "The plugin's `GET /igny8/v1/site` answer: the site's post types, taxonomies and terms, kept as given.",
            ))
            .property(
                "post_types",
                ArrayBuilder::new().items(Value::schema()).description(Some("The site's post types.")),
            )
            .required("post_types")
            .property("taxonomies", ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some("The site's taxonomies.")))
            .property(
                "terms",
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some(
                        "Categories and tags, mirrored into the site's terms; a list that does not read as terms is left out.",
                    ))
                    .property("category", terms())
                    .property("post_tag", terms())
                    .additional_properties(Some(AdditionalProperties::FreeForm(true))),
            )
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

impl ToSchema for BridgeSiteDescription {}

#[derive(Debug, Serialize, ToSchema)]
pub struct BridgeStructureSaved {
    site_id: SiteId,
    /// Always true.
    saved: bool,
}

/// The plugin's description of its site (the same shape as its `GET /igny8/v1/site`).
#[utoipa::path(post, path = "/api/v1/integration/bridge/structure", tag = "integration", security(("api_key" = [])),
    description = "Called by the WordPress bridge plugin with its site's API key (`X-IGNY8-API-Key`); a person's token answers 403.",
    request_body = BridgeSiteDescription,
    responses(
        (status = 200, description = "The structure is saved as the site's.", body = Envelope<BridgeStructureSaved>),
        (status = 409, description = "The plugin has not connected yet (`NOT_CONNECTED`).", body = ErrorEnvelope),
    ))]
pub async fn structure(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(description): JsonBody<BridgeSiteDescription>,
) -> ApiResult<Success<BridgeStructureSaved>> {
    let site_id = key_site(&tenant)?.clone();
    let site = Value::Object(description.fields);
    if !site.is_object() || !site["post_types"].is_array() {
        return Err(ApiError::field("post_types", "A list of post types is required."));
    }
    let integration = integration_of(&state, &tenant, &site_id).await?;
    save_structure(&state.tenancy.store, &integration, &site).await?;
    Ok(Success::ok(BridgeStructureSaved { site_id, saved: true }))
}

/// The WordPress taxonomies the plugin pushes.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BridgeTaxonomy {
    Category,
    PostTag,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BridgeTaxonomyInput {
    taxonomy: BridgeTaxonomy,
    /// At most 5000.
    #[validate(length(max = 5000))]
    terms: Vec<WpTerm>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BridgeTermsMirrored {
    /// Terms new to us.
    created: usize,
    /// Known terms renamed, re-slugged or newly matched to their WordPress id.
    updated: usize,
}

/// Categories or tags pushed by the plugin, mirrored into the site's taxonomy terms.
#[utoipa::path(post, path = "/api/v1/integration/bridge/taxonomies", tag = "integration", security(("api_key" = [])),
    description = "Called by the WordPress bridge plugin with its site's API key (`X-IGNY8-API-Key`); a person's token answers 403. Terms deleted in WordPress are kept.",
    request_body = BridgeTaxonomyInput,
    responses(
        (status = 200, description = "The terms are mirrored into the site's taxonomy terms.", body = Envelope<BridgeTermsMirrored>),
        (status = 409, description = "The plugin has not connected yet (`NOT_CONNECTED`).", body = ErrorEnvelope),
    ))]
pub async fn taxonomies(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<BridgeTaxonomyInput>,
) -> ApiResult<Success<BridgeTermsMirrored>> {
    let site_id = key_site(&tenant)?.clone();
    let taxonomy = match input.taxonomy {
        BridgeTaxonomy::Category => Taxonomy::Category,
        BridgeTaxonomy::PostTag => Taxonomy::PostTag,
    };
    integration_of(&state, &tenant, &site_id).await?;
    let (created, updated) =
        state.tenancy.store.mirror_wp_terms(tenant.account_id(), &site_id, taxonomy, &input.terms).await?;
    Ok(Success::ok(BridgeTermsMirrored { created, updated }))
}

/// What happened to the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum WordPressWebhookEvent {
    #[serde(rename = "post_status_changed")]
    StatusChanged,
    #[serde(rename = "post_updated")]
    Updated,
    #[serde(rename = "post_deleted")]
    Deleted,
}

impl WordPressWebhookEvent {
    fn name(self) -> &'static str {
        match self {
            WordPressWebhookEvent::StatusChanged => "post_status_changed",
            WordPressWebhookEvent::Updated => "post_updated",
            WordPressWebhookEvent::Deleted => "post_deleted",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct WordPressWebhookInput {
    event: WordPressWebhookEvent,
    /// The post's `_igny8_content_id`.
    #[validate(length(min = 1, max = 64))]
    content_id: ContentId,
    post_id: u64,
    #[serde(default)]
    #[validate(length(max = 2000))]
    url: String,
    /// WordPress's status of the post (`publish`, `draft`, `pending`, `future`, `private`, `trash`).
    #[serde(default)]
    #[validate(length(max = 20))]
    status: String,
    /// When WordPress changed the post; news older than what is known is not applied.
    #[serde(default)]
    modified_gmt: String,
}

/// Our content after the webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct WordPressWebhookResult {
    content_id: ContentId,
    /// Our status of the content now.
    status: ContentStatus,
    /// The content's WordPress post id; null when it has none (never published, or its post deleted).
    external_id: Option<String>,
    external_url: Option<String>,
    /// False when the post was not this content's post, or the news was older than what
    /// is known of it: nothing changed.
    applied: bool,
}

/// A post of ours changed in WordPress: published, unpublished, trashed, edited or
/// deleted. Our content follows.
#[utoipa::path(post, path = "/api/v1/integration/webhooks/wordpress", tag = "integration", security(("api_key" = [])),
    description = "Called by the WordPress bridge plugin with its site's API key (`X-IGNY8-API-Key`); a person's token answers 403. Content of another site answers 404.",
    request_body = WordPressWebhookInput,
    responses((status = 200, description = "The event is recorded; `applied` says whether our content followed it.", body = Envelope<WordPressWebhookResult>)))]
pub async fn webhook(
    State(state): State<IntegrationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<WordPressWebhookInput>,
) -> ApiResult<Success<WordPressWebhookResult>> {
    let started = Instant::now();
    let site_id = key_site(&tenant)?.clone();
    let store = &state.tenancy.store;
    let content = match store.find::<Content>(tenant.account_id(), &input.content_id).await? {
        Some(content) if content.site_id == site_id => content,
        _ => return Err(ApiError::not_found("Content")),
    };
    let post_state = match input.event {
        WordPressWebhookEvent::Deleted => PostState::Deleted,
        WordPressWebhookEvent::StatusChanged | WordPressWebhookEvent::Updated => PostState::Present {
            post_id: input.post_id,
            url: input.url.clone(),
            status: input.status.clone(),
            modified_gmt: input.modified_gmt.clone(),
        },
    };
    // A post we do not know as this content's (published again since) changes nothing,
    // and news older than what we know of the post (a retry from the plugin's outbox
    // arriving after newer news) is not applied over it.
    let publication = store.publication(tenant.account_id(), &content.id).await?;
    let stale = publication.as_ref().is_some_and(|p| p.is_stale(&input.modified_gmt));
    let known = content.external_id.as_deref() == Some(input.post_id.to_string().as_str()) && !stale;
    if known {
        apply_post_state(store, &content, &post_state).await?;
    }
    let log = SyncLog {
        id: SyncLogId::generate(),
        account_id: content.account_id.clone(),
        site_id: site_id.clone(),
        sector_id: None,
        log_type: SyncKind::Webhook,
        action: format!("{} ({})", input.event.name(), if input.status.is_empty() { "-" } else { &input.status }),
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
    let fresh = store.find::<Content>(tenant.account_id(), &content.id).await?;
    let current = fresh.as_ref().unwrap_or(&content);
    Ok(Success::ok(WordPressWebhookResult {
        content_id: current.id.clone(),
        status: current.status,
        external_id: current.external_id.clone(),
        external_url: current.external_url.clone(),
        applied: known,
    }))
}
