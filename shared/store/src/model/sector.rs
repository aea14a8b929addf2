use crate::ids::{AccountId, SectorId, SiteId};
use serde::{Deserialize, Serialize};

use crate::AttributeValue;
use crate::Conflict;
use crate::keys;
use crate::model::keyword::{Intent, KeywordStatus};
use crate::table::{Item, Record, Store, StoreError, StoreResult, Tx, Update, now};

/// A site has at most this many active sectors (`docs/product.md §2`).
pub const MAX_ACTIVE_SECTORS: u32 = 5;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sector {
    pub id: SectorId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub name: String,
    pub industry_sector_id: Option<String>,
    pub is_active: bool,
    /// Kept true by the keyword transactions; at most `MAX_KEYWORDS_PER_SECTOR`.
    #[serde(default)]
    pub keywords_count: u32,
    /// Its keywords by status and by intent, kept true by the same transactions.
    #[serde(flatten)]
    pub keywords_by: KeywordTally,
    /// Set while the sector is being deleted: creates in it fail from then on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A sector's keywords by status and by intent: what a list page filtered by one of
/// them answers as its `count` (`keywords_<status>`, `keywords_<intent>` on the item).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct KeywordTally {
    pub keywords_active: u32,
    pub keywords_inactive: u32,
    pub keywords_used: u32,
    pub keywords_informational: u32,
    pub keywords_commercial: u32,
    pub keywords_transactional: u32,
    pub keywords_navigational: u32,
}

impl KeywordTally {
    pub fn with_status(&self, status: KeywordStatus) -> u32 {
        match status {
            KeywordStatus::Active => self.keywords_active,
            KeywordStatus::Inactive => self.keywords_inactive,
            KeywordStatus::Used => self.keywords_used,
        }
    }

    pub fn with_intent(&self, intent: Intent) -> u32 {
        match intent {
            Intent::Informational => self.keywords_informational,
            Intent::Commercial => self.keywords_commercial,
            Intent::Transactional => self.keywords_transactional,
            Intent::Navigational => self.keywords_navigational,
        }
    }
}

/// The most keywords one sector holds, whatever the plan. Pages no index serves
/// (search, ranges, text order, two filters) read the sector page by page and order
/// what they keep in memory, and clustering takes a sector's keywords in one job: this
/// bounds both (`docs/decisions.md`, list pages).
pub const MAX_KEYWORDS_PER_SECTOR: u32 = 100_000;

#[derive(Debug, Clone, Default)]
pub struct SectorChanges {
    pub name: Option<String>,
    pub industry_sector_id: Option<Option<String>>,
    pub is_active: Option<bool>,
}

impl Sector {
    fn record(&self) -> StoreResult<Record> {
        Ok(Record::new(keys::sector(&self.account_id, &self.id), "sector", self)?
            .in_list(keys::site_sectors(&self.account_id, &self.site_id), self.id.clone()))
    }

    fn name_guard(&self, name: &str) -> StoreResult<Record> {
        Record::new(
            keys::sector_name_guard(&self.account_id, &self.site_id, name),
            "guard",
            &serde_json::json!({"sector_id": self.id}),
        )
    }
}

fn active_counter(account_id: &AccountId, site_id: &SiteId, delta: i64) -> StoreResult<Update> {
    let update = Update::new(keys::site(account_id, site_id)).add("active_sectors", delta);
    if delta > 0 { update.when("active_sectors < :max").value(":max", MAX_ACTIVE_SECTORS) } else { Ok(update) }
}

impl Store {
    pub async fn sector(&self, account_id: &AccountId, sector_id: &SectorId) -> StoreResult<Option<Sector>> {
        self.get(keys::sector(account_id, sector_id)).await
    }

    /// The site's sectors, oldest first.
    pub async fn sectors(&self, account_id: &AccountId, site_id: &SiteId) -> StoreResult<Vec<Sector>> {
        self.query_list(&keys::site_sectors(account_id, site_id), None).await
    }

    /// Creates a sector. Fails with `site_missing`, `sector_limit` (an active sector
    /// beyond the fifth) or `sector_name_taken`.
    pub async fn create_sector(&self, sector: &Sector) -> StoreResult<()> {
        let table = self.table();
        let mut tx = Tx::new();
        let mut site = Update::new(keys::site(&sector.account_id, &sector.site_id)).add("sectors_count", 1);
        if sector.is_active {
            site = site.add("active_sectors", 1).when("active_sectors < :max").value(":max", MAX_ACTIVE_SECTORS)?;
        }
        tx.update(table, site, Conflict::SectorLimit);
        tx.create(table, sector.record()?, Conflict::SectorExists);
        tx.create(table, sector.name_guard(&sector.name)?, Conflict::SectorNameTaken);
        match self.commit(tx).await {
            // The site update carries both "exists" and "below limit"; tell them apart.
            Err(StoreError::Condition(Conflict::SectorLimit))
                if self.site(&sector.account_id, &sector.site_id).await?.is_none() =>
            {
                Err(StoreError::Condition(Conflict::SiteMissing))
            }
            other => other,
        }
    }

    /// Changes name, industry sector or activation, keeping the name guard and the
    /// site's active count in step. `current` is the sector as the caller read it; if it
    /// changed meanwhile this fails with `stale` and nothing is written.
    pub async fn update_sector(&self, current: &Sector, changes: SectorChanges) -> StoreResult<Sector> {
        let table = self.table();
        let mut tx = Tx::new();
        let mut update = Update::new(keys::sector(&current.account_id, &current.id))
            .set("updated_at", now())?
            .when("is_active = :was_active AND #name = :was_name AND attribute_not_exists(deleting)")
            .name("#name", "name")
            .value(":was_active", current.is_active)?
            .value(":was_name", &current.name)?;
        if let Some(name) = &changes.name {
            update = update.set("name", name)?;
            if keys::normalise(name) != keys::normalise(&current.name) {
                tx.delete_if_present(
                    table,
                    keys::sector_name_guard(&current.account_id, &current.site_id, &current.name),
                );
                tx.create(table, current.name_guard(name)?, Conflict::SectorNameTaken);
            }
        }
        if let Some(v) = &changes.industry_sector_id {
            update = update.set("industry_sector_id", v)?;
        }
        if let Some(active) = changes.is_active {
            update = update.set("is_active", active)?;
            if active != current.is_active {
                let delta = if active { 1 } else { -1 };
                tx.update(table, active_counter(&current.account_id, &current.site_id, delta)?, Conflict::SectorLimit);
            }
        }
        tx.update(table, update, Conflict::Stale);
        self.commit(tx).await?;
        self.sector(&current.account_id, &current.id).await?.ok_or(StoreError::Condition(Conflict::Stale))
    }

    /// Deletes an empty sector, its name guard, and its place in the site's counts.
    ///
    /// The sector is first marked `deleting` (creates in it check that mark and fail from
    /// then on), then checked for contents, then deleted; if it holds anything the mark
    /// is lifted and this fails with `Condition("sector_not_empty")`.
    pub async fn delete_sector(&self, current: &Sector) -> StoreResult<()> {
        let table = self.table();
        let key = keys::sector(&current.account_id, &current.id);
        let mark = Update::new(key.clone())
            .set("deleting", true)?
            .when("is_active = :was_active AND #name = :was_name")
            .name("#name", "name")
            .value(":was_active", current.is_active)?
            .value(":was_name", &current.name)?;
        self.update::<Sector>(mark, Conflict::Stale).await?;
        let unmark = || Update::new(key.clone()).remove("deleting");
        for prefix in crate::model::scoped::SECTOR_CONTENTS {
            match self.scope_has_any(&current.account_id, &current.site_id, prefix, Some(&current.id)).await {
                Ok(false) => {}
                Ok(true) => {
                    self.update::<Sector>(unmark(), Conflict::Stale).await?;
                    return Err(StoreError::Condition(Conflict::SectorNotEmpty));
                }
                Err(e) => {
                    // Never leave the sector closed to creates because a read failed.
                    let _ = self.update::<Sector>(unmark(), Conflict::Stale).await;
                    return Err(e);
                }
            }
        }
        let mut tx = Tx::new();
        // The mark stops creates and updates; the sector is still the one read.
        let marked = Item::from([
            (":yes".to_owned(), AttributeValue::Bool(true)),
            (":was_active".to_owned(), AttributeValue::Bool(current.is_active)),
        ]);
        tx.delete_where(table, key, "deleting = :yes AND is_active = :was_active", marked, Conflict::Stale);
        tx.delete_if_present(table, keys::sector_name_guard(&current.account_id, &current.site_id, &current.name));
        let mut site = Update::new(keys::site(&current.account_id, &current.site_id)).add("sectors_count", -1);
        if current.is_active {
            site = site.add("active_sectors", -1);
        }
        tx.update(table, site, Conflict::SiteMissing);
        self.commit(tx).await
    }
}
