//! A site's WordPress connection and what publishing leaves behind:
//!
//! - [`WpIntegration`]: one per site (its id is derived from the site's, so "the site's
//!   integration" is one read and a second one cannot be created), with the sealed
//!   application password or bridge signing secret and the publish defaults.
//! - [`Publication`]: per content item, the WordPress post and the media uploaded for
//!   its images, written after every step so a retried publish picks up where the last
//!   one stopped instead of creating anything twice.
//! - [`SyncLog`]: every call made to WordPress while publishing, syncing or testing, and
//!   every webhook received; kept 90 days.

use crate::Conflict;
use crate::ids::{AccountId, ContentId, ImageId, JobId, SectorId, SiteId, SyncLogId, TermId, WpIntegrationId};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys;
use crate::model::scoped::{Scoped, scoped};
use crate::model::taxonomy::{Taxonomy, TaxonomyTerm};
use crate::table::{Record, Store, StoreError, StoreResult, Tx, Update, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WpMode {
    /// WordPress core REST with an application password.
    Rest,
    /// Our plugin's routes, signed with the secret exchanged at connect.
    Bridge,
}

/// How the site's REST API is addressed: `/wp-json/<route>` (pretty permalinks) or
/// `/?rest_route=<route>` (plain permalinks, or a server without rewrites).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestStyle {
    #[default]
    Pretty,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublishStatus {
    #[default]
    Draft,
    Publish,
    Future,
}

/// Which category a published post goes into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryRule {
    /// The content's own category terms (and its cluster's name, per `clusters_as`).
    #[default]
    PerCluster,
    /// Always `fixed_category`.
    Fixed,
}

/// What a cluster becomes on the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClustersAs {
    #[default]
    Categories,
    Tags,
}

/// What the bridge plugin told us when it connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct BridgeInfo {
    #[serde(default)]
    pub plugin_version: String,
    #[serde(default)]
    pub wp_version: String,
    #[serde(default)]
    pub connected_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WpIntegration {
    pub id: WpIntegrationId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    /// Always `None`: an integration belongs to the whole site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_id: Option<SectorId>,
    pub site_url: String,
    pub mode: WpMode,
    #[serde(default)]
    pub rest_style: RestStyle,
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_password_sealed: Option<String>,
    #[serde(default)]
    pub app_password_masked: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret_sealed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<BridgeInfo>,
    #[serde(default)]
    pub default_status: PublishStatus,
    /// The WordPress user id posts are published as (None: the credentials' user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_author: Option<u64>,
    #[serde(default)]
    pub category_rule: CategoryRule,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_category: Option<String>,
    #[serde(default)]
    pub clusters_as: ClustersAs,
    /// Post types and taxonomies as WordPress last described them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(WpIntegration, crate::WpIntegrationId, "wp_integration", "WPINTEGRATION", site_wide);

impl WpIntegration {
    /// The id of a site's integration: one per site, found without a list.
    pub fn id_for_site(site_id: &SiteId) -> WpIntegrationId {
        format!("wp_{site_id}").into()
    }

    /// A new integration with the default publish settings (drafts, categories per
    /// cluster) and no credentials yet.
    pub fn new(account_id: &AccountId, site_id: &SiteId, site_url: String, mode: WpMode) -> Self {
        let stamp = now();
        Self {
            id: Self::id_for_site(site_id),
            account_id: account_id.to_owned(),
            site_id: site_id.to_owned(),
            sector_id: None,
            site_url,
            mode,
            rest_style: RestStyle::Pretty,
            username: String::new(),
            app_password_sealed: None,
            app_password_masked: String::new(),
            signing_secret_sealed: None,
            bridge: None,
            default_status: PublishStatus::Draft,
            default_author: None,
            category_rule: CategoryRule::PerCluster,
            fixed_category: None,
            clusters_as: ClustersAs::Categories,
            structure: None,
            structure_updated_at: None,
            last_sync_at: None,
            created_at: stamp.clone(),
            updated_at: stamp,
        }
    }
}

/// One uploaded image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MediaRef {
    pub id: u64,
    pub url: String,
}

/// Where a content item is on WordPress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Publication {
    pub account_id: AccountId,
    pub content_id: ContentId,
    pub site_id: SiteId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_url: Option<String>,
    /// WordPress's status of the post (`publish`, `draft`, `future`, `trash` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_status: Option<String>,
    /// Our image id → its media item.
    #[serde(default)]
    pub media: BTreeMap<ImageId, MediaRef>,
    /// When WordPress last changed the post, as the newest news of it said: older news
    /// (a webhook retried from the plugin's outbox) is not applied over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_modified_gmt: Option<String>,
    pub updated_at: String,
}

impl Publication {
    /// Whether news of the post as of `modified_gmt` is older than what is known.
    pub fn is_stale(&self, modified_gmt: &str) -> bool {
        !modified_gmt.is_empty() && self.wp_modified_gmt.as_deref().is_some_and(|known| modified_gmt < known)
    }
}

impl Publication {
    pub fn new(account_id: &AccountId, site_id: &SiteId, content_id: &ContentId) -> Self {
        Self {
            account_id: account_id.to_owned(),
            content_id: content_id.to_owned(),
            site_id: site_id.to_owned(),
            post_id: None,
            post_url: None,
            wp_status: None,
            media: BTreeMap::new(),
            wp_modified_gmt: None,
            updated_at: now(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    Publish,
    Sync,
    Test,
    Structure,
    Webhook,
}

/// One call to WordPress (or one webhook from it).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SyncLog {
    pub id: SyncLogId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_id: Option<SectorId>,
    /// Stored and shown as `type` (every item's `kind` attribute names its item type).
    #[serde(rename = "type")]
    pub log_type: SyncKind,
    /// What was done, e.g. `create post`, `upload media`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<ContentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    pub method: String,
    /// The REST route (or our own path for webhooks), without query.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: String,
}

scoped!(SyncLog, crate::SyncLogId, "sync_log", "SYNCLOG", site_wide);

/// Sync logs are kept this long (the table's TTL removes them).
pub const SYNC_LOG_DAYS: i64 = 90;

impl Store {
    /// The site's WordPress integration, if it has one.
    pub async fn wp_integration_of_site(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
    ) -> StoreResult<Option<WpIntegration>> {
        self.find(account_id, &WpIntegration::id_for_site(site_id)).await
    }

    /// Replaces the integration whatever was there (its fields are set as a whole by
    /// the handlers, which read it first).
    pub async fn put_wp_integration(&self, integration: &WpIntegration) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.replace(self.table(), integration.record()?);
        self.commit(tx).await
    }

    /// Remembers how the site's REST API answers, touching nothing else of the
    /// integration (a connect may have rotated its secret meanwhile).
    pub async fn set_wp_rest_style(&self, integration: &WpIntegration, style: RestStyle) -> StoreResult<()> {
        let update = Update::new(integration.key()).set("rest_style", style)?;
        self.update::<WpIntegration>(update, Conflict::Missing).await.map(|_| ())
    }

    pub async fn publication(
        &self,
        account_id: &AccountId,
        content_id: &ContentId,
    ) -> StoreResult<Option<Publication>> {
        let key = keys::publication(account_id, content_id);
        if !key.fits() {
            return Ok(None);
        }
        self.get(key).await
    }

    pub async fn put_publication(&self, publication: &Publication) -> StoreResult<()> {
        let key = keys::publication(&publication.account_id, &publication.content_id);
        let mut tx = Tx::new();
        tx.replace(self.table(), Record::new(key, "publication", publication)?);
        self.commit(tx).await
    }

    /// Writes log entries (best effort is the caller's choice: an error is returned).
    pub async fn add_sync_logs(&self, logs: &[SyncLog]) -> StoreResult<()> {
        let expires = chrono::Utc::now().timestamp() + SYNC_LOG_DAYS * 86_400;
        for chunk in logs.chunks(100) {
            let mut tx = Tx::new();
            for log in chunk {
                tx.create(self.table(), log.record()?.expires_at(expires), Conflict::Exists);
            }
            self.commit(tx).await?;
        }
        Ok(())
    }
}

/// A WordPress category or tag as WordPress (or the bridge plugin) describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WpTerm {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub slug: String,
}

impl Store {
    /// Mirrors a site's WordPress terms of one taxonomy into its site-wide taxonomy
    /// terms: matched by WordPress id, else by name (case ignored); renamed ones are
    /// updated, new ones created. Terms deleted in WordPress are kept (content may use
    /// them; publishing makes them again). Returns (created, updated).
    pub async fn mirror_wp_terms(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        taxonomy: Taxonomy,
        terms: &[WpTerm],
    ) -> StoreResult<(usize, usize)> {
        let existing: Vec<TaxonomyTerm> = self.list_scope(account_id, site_id, None).await?;
        let mine: Vec<&TaxonomyTerm> =
            existing.iter().filter(|t| t.taxonomy == taxonomy && t.sector_id.is_none()).collect();
        let (mut created, mut updated) = (0, 0);
        for term in terms {
            let name = decode_entities(&term.name);
            let matched = mine.iter().find(|t| t.external_id == Some(term.id)).or_else(|| {
                mine.iter().find(|t| t.external_id.is_none() && t.name.trim().eq_ignore_ascii_case(name.trim()))
            });
            match matched {
                Some(t) if t.name == name && t.slug == term.slug && t.external_id == Some(term.id) => {}
                Some(t) => {
                    let patch = crate::TermPatch {
                        name: Some(name.clone()),
                        slug: Some(term.slug.clone()),
                        external_id: Some(Some(term.id)),
                        ..Default::default()
                    };
                    match self.patch(*t, patch).await {
                        Ok(_) => updated += 1,
                        Err(StoreError::Condition(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                None => {
                    let stamp = now();
                    let new = TaxonomyTerm {
                        id: TermId::generate(),
                        account_id: account_id.to_owned(),
                        site_id: site_id.to_owned(),
                        sector_id: None,
                        taxonomy,
                        name,
                        slug: term.slug.clone(),
                        description: String::new(),
                        parent_id: None,
                        external_id: Some(term.id),
                        created_at: stamp.clone(),
                        updated_at: stamp,
                    };
                    self.create(&new).await?;
                    created += 1;
                }
            }
        }
        Ok((created, updated))
    }
}

/// WordPress answers term names HTML-escaped.
fn decode_entities(text: &str) -> String {
    text.replace("&amp;", "&").replace("&#039;", "'").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">")
}
