use crate::ids::{AccountId, SiteId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::keys;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::table::{Item, Record, Store, StoreResult, Tx, Update, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    Active,
    Inactive,
    Suspended,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Site {
    pub id: SiteId,
    pub account_id: AccountId,
    pub name: String,
    pub domain: Option<String>,
    pub industry_id: Option<String>,
    pub status: SiteStatus,
    /// All sectors of the site; a site is deleted only when this is 0.
    pub sectors_count: u32,
    /// Active sectors; never more than `MAX_ACTIVE_SECTORS`.
    pub active_sectors: u32,
    /// First characters of the current API key, to recognise it; the key itself is
    /// shown once and only its SHA-256 is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_created_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default)]
pub struct SiteChanges {
    pub name: Option<String>,
    pub domain: Option<Option<String>>,
    pub industry_id: Option<Option<String>>,
    pub status: Option<SiteStatus>,
}

/// Global lookup item: API key hash → site.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiKeyOwner {
    pub account_id: AccountId,
    pub site_id: SiteId,
}

impl Store {
    pub async fn site(&self, account_id: &AccountId, site_id: &SiteId) -> StoreResult<Option<Site>> {
        self.get(keys::site(account_id, site_id)).await
    }

    /// The account's sites, oldest first.
    pub async fn sites(&self, account_id: &AccountId) -> StoreResult<Vec<Site>> {
        self.query_prefix(&keys::account_pk(account_id), "SITE#").await
    }

    /// Creates a site if the account is below `max_sites` (else `Condition("plan_limit")`).
    pub async fn create_site(&self, site: &Site, max_sites: u32) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        let count = Update::new(keys::account(&site.account_id))
            .add("sites_count", 1)
            .when("sites_count < :max")
            .value(":max", max_sites)?;
        tx.update(table, count, Conflict::PlanLimit);
        tx.create(table, Record::new(keys::site(&site.account_id, &site.id), "site", site)?, Conflict::SiteExists);
        self.commit(tx).await
    }

    pub async fn update_site(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        changes: SiteChanges,
    ) -> StoreResult<Site> {
        let mut update = Update::new(keys::site(account_id, site_id)).set("updated_at", now())?;
        if let Some(v) = changes.name {
            update = update.set("name", v)?;
        }
        if let Some(v) = changes.domain {
            update = update.set("domain", v)?;
        }
        if let Some(v) = changes.industry_id {
            update = update.set("industry_id", v)?;
        }
        if let Some(v) = changes.status {
            // A suspension is lifted by support, never by a status change from the API.
            update = update
                .set("status", v)?
                .when("#current_status <> :suspended")
                .name("#current_status", "status")
                .value(":suspended", SiteStatus::Suspended)?;
        }
        self.update(update, Conflict::SiteMissing).await
    }

    /// Deletes a site that has no sectors left (else `Condition("site_has_sectors")`) and
    /// no site-wide taxonomy terms (else `Condition("site_not_empty")`),
    /// with its API key, and frees its place on the plan.
    pub async fn delete_site(&self, site: &Site) -> StoreResult<()> {
        // Site-wide objects (taxonomy terms without a sector) also keep a site alive.
        if self.scope_has_any(&site.account_id, &site.id, "TERM", Some(crate::NO_SECTOR)).await? {
            return Err(crate::StoreError::Condition(Conflict::SiteNotEmpty));
        }
        let table = self.table();
        let mut tx = Tx::new();
        let empty = Item::from([(":zero".to_owned(), AttributeValue::N("0".into()))]);
        tx.delete_where(
            table,
            keys::site(&site.account_id, &site.id),
            "sectors_count = :zero",
            empty,
            Conflict::SiteHasSectors,
        );
        if let Some(hash) = &site.api_key_hash {
            tx.delete_if_present(table, keys::api_key(hash));
        }
        tx.update(table, Update::new(keys::account(&site.account_id)).add("sites_count", -1), Conflict::AccountMissing);
        self.commit(tx).await
    }

    /// Replaces the site's API key. `previous_hash` is the hash the caller saw; if another
    /// rotation happened meanwhile this fails with `Condition("stale")` and nothing changes.
    pub async fn rotate_api_key(&self, site: &Site, key_hash: &str, key_prefix: &str) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        let mut update = Update::new(keys::site(&site.account_id, &site.id))
            .set("api_key_hash", key_hash)?
            .set("api_key_prefix", key_prefix)?
            .set("api_key_created_at", now())?;
        update = match &site.api_key_hash {
            Some(previous) => update.when("api_key_hash = :previous").value(":previous", previous)?,
            None => update.when("attribute_not_exists(api_key_hash)"),
        };
        tx.update(table, update, Conflict::Stale);
        if let Some(previous) = &site.api_key_hash {
            tx.delete_if_present(table, keys::api_key(previous));
        }
        let owner = ApiKeyOwner { account_id: site.account_id.clone(), site_id: site.id.clone() };
        tx.create(table, Record::new(keys::api_key(key_hash), "api_key", &owner)?, Conflict::KeyExists);
        self.commit(tx).await
    }

    /// Site and account in one round trip: what every API-key request needs.
    pub async fn site_and_account(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
    ) -> StoreResult<(Option<Site>, Option<crate::Account>)> {
        self.get_two(keys::site(account_id, site_id), keys::account(account_id)).await
    }

    pub async fn api_key_owner(&self, key_hash: &str) -> StoreResult<Option<ApiKeyOwner>> {
        self.get(keys::api_key(key_hash)).await
    }
}
