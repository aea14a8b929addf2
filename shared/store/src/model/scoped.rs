//! Objects that belong to a site (and usually one of its sectors): keywords, clusters,
//! ideas, tasks, content, images, taxonomy terms. They share one storage shape:
//!
//! - `PK = ACCOUNT#<account>`, `SK = <PREFIX>#<id>`: read and changed by id within the
//!   caller's account only;
//! - `GSI1PK = ACCOUNT#<account>#SITE#<site>#<PREFIX>`, `GSI1SK = <sector or ->#<id>`: a
//!   site's objects of one kind with one Query, a sector's with `begins_with` on GSI1SK,
//!   in creation order (ids are time-sortable).

use crate::Conflict;
use serde::Serialize;
use serde::de::DeserializeOwned;

use std::borrow::Borrow;

use crate::ids::{AccountId, SectorId, SiteId};
use crate::keys;
use crate::table::{Key, Record, Store, StoreError, StoreResult, Tx};

/// Implements [`Scoped`] for a struct with `id`, `account_id`, `site_id` and
/// `sector_id: String` fields (`sector_id: Option<String>` with `site_wide`).
macro_rules! scoped {
    ($type:ty, $id:ty, $kind:literal, $prefix:literal) => {
        scoped!(@impl $type, $id, $kind, $prefix, None, self => Some(&self.sector_id));
    };
    ($type:ty, $id:ty, $kind:literal, $prefix:literal, counted as $counter:literal) => {
        scoped!(@impl $type, $id, $kind, $prefix, Some($counter), self => Some(&self.sector_id));
    };
    ($type:ty, $id:ty, $kind:literal, $prefix:literal, site_wide) => {
        scoped!(@impl $type, $id, $kind, $prefix, None, self => self.sector_id.as_ref());
    };
    (@impl $type:ty, $id:ty, $kind:literal, $prefix:literal, $counter:expr, $this:ident => $sector:expr) => {
        impl $crate::model::scoped::Scoped for $type {
            type Id = $id;
            const KIND: &'static str = $kind;
            const PREFIX: &'static str = $prefix;
            const ACCOUNT_COUNT: Option<&'static str> = $counter;
            fn id(&self) -> &$id {
                &self.id
            }
            fn account_id(&self) -> &$crate::AccountId {
                &self.account_id
            }
            fn site_id(&self) -> &$crate::SiteId {
                &self.site_id
            }
            fn sector_id(&$this) -> Option<&$crate::SectorId> {
                $sector
            }
            fn new_id() -> $id {
                <$id>::generate()
            }
        }
    };
}
pub(crate) use scoped;

/// GSI1SK segment for objects that belong to the site, not to one sector.
pub const NO_SECTOR: &str = "-";

pub trait Scoped: Serialize + DeserializeOwned + Send + Sync {
    /// The type of this kind's ids (`KeywordId` for keywords …).
    type Id: Borrow<str> + Clone + Ord + std::fmt::Display + std::fmt::Debug + Send + Sync;
    /// `kind` attribute, e.g. `keyword`.
    const KIND: &'static str;
    /// Sort-key prefix, e.g. `KEYWORD`.
    const PREFIX: &'static str;
    /// The account's count of this kind, if the plan limits it (e.g. `clusters_count`);
    /// `create` and `remove` move it. (Keywords keep theirs in `apply_keyword_changes`.)
    const ACCOUNT_COUNT: Option<&'static str> = None;
    fn id(&self) -> &Self::Id;
    fn account_id(&self) -> &AccountId;
    fn site_id(&self) -> &SiteId;
    fn sector_id(&self) -> Option<&SectorId>;
    /// A fresh id for a new object of this kind.
    fn new_id() -> Self::Id;

    fn key(&self) -> Key {
        scoped_key::<Self>(self.account_id(), self.id())
    }

    fn record(&self) -> StoreResult<Record> {
        let sort = format!("{}#{}", self.sector_id().map_or(NO_SECTOR, |s| s.as_str()), self.id().borrow());
        Ok(Record::new(self.key(), Self::KIND, self)?
            .in_list(scope_list::<Self>(self.account_id(), self.site_id()), sort))
    }
}

/// Sort-key prefixes of every kind of object that lives in a sector: a sector is deleted
/// only when it holds none of them.
pub const SECTOR_CONTENTS: &[&str] = &["KEYWORD", "CLUSTER", "IDEA", "TASK", "CONTENT", "IMAGE", "TERM"];

impl Tx {
    /// Asserts the sector exists and is not being deleted (see `Store::delete_sector`),
    /// so nothing is created in a sector that is going away.
    pub fn check_sector_open(&mut self, table: &str, account_id: &AccountId, sector_id: &SectorId) {
        self.check(
            table,
            keys::sector(account_id, sector_id),
            "attribute_exists(PK) AND attribute_not_exists(deleting)",
            Default::default(),
            Conflict::SectorMissing,
        );
    }
}

pub fn scoped_key<T: Scoped>(account_id: &AccountId, id: &T::Id) -> Key {
    keys::object(account_id, T::PREFIX, id.borrow())
}

pub(crate) fn scope_list<T: Scoped>(account_id: &AccountId, site_id: &SiteId) -> String {
    format!("ACCOUNT#{account_id}#SITE#{site_id}#{}", T::PREFIX)
}

impl Store {
    pub async fn find<T: Scoped>(&self, account_id: &AccountId, id: &T::Id) -> StoreResult<Option<T>> {
        self.get(scoped_key::<T>(account_id, id)).await
    }

    /// Several objects by id (missing ids are skipped), in no particular order.
    pub async fn find_many<T: Scoped>(&self, account_id: &AccountId, ids: &[T::Id]) -> StoreResult<Vec<T>> {
        let mut unique: Vec<&T::Id> = ids.iter().collect();
        unique.sort();
        unique.dedup();
        let mut found = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(100) {
            let keys = chunk.iter().map(|id| scoped_key::<T>(account_id, id)).collect();
            for item in self.get_batch(keys).await? {
                found.push(crate::table::decode(item)?);
            }
        }
        Ok(found)
    }

    /// A site's objects of one kind, or one sector's; oldest first.
    pub async fn list_scope<T: Scoped>(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        sector_id: Option<&SectorId>,
    ) -> StoreResult<Vec<T>> {
        self.list_scope_where(account_id, site_id, sector_id, |_| true).await
    }

    /// Those of [`Store::list_scope`]'s objects that `keep` keeps, holding no others.
    pub async fn list_scope_where<T: Scoped>(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        sector_id: Option<&SectorId>,
        keep: impl FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>> {
        let partition = scope_list::<T>(account_id, site_id);
        let prefix = sector_id.map(|sector| format!("{sector}#"));
        self.query_list_where(crate::ListIndex::Scope, &partition, prefix.as_deref(), keep).await
    }

    /// Stores a new object; fails with `Condition("exists")` if its id is taken, and
    /// with `Condition("sector_missing")` if its sector is gone or being deleted.
    pub async fn create<T: Scoped>(&self, object: &T) -> StoreResult<()> {
        self.create_within(object, None).await
    }

    /// `create`, failing with `Condition(PlanLimit)` when the account already has `max`
    /// objects of this kind (kinds with an `ACCOUNT_COUNT`).
    pub async fn create_within<T: Scoped>(&self, object: &T, max: Option<u32>) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.create(self.table(), object.record()?, Conflict::Exists);
        if let Some(counter) = T::ACCOUNT_COUNT {
            tx.count_in_account(self.table(), object.account_id(), counter, 1, max)?;
        }
        if let Some(sector_id) = object.sector_id() {
            tx.check_sector_open(self.table(), object.account_id(), sector_id);
        }
        self.commit(tx).await
    }

    /// Whether the site holds any object of kind `prefix` (in `sector`, or site-wide
    /// objects when `sector` is `NO_SECTOR`; any at all when `None`). One small Query.
    pub async fn scope_has_any(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        prefix: &str,
        sector: Option<&str>,
    ) -> StoreResult<bool> {
        let partition = format!("ACCOUNT#{account_id}#SITE#{site_id}#{prefix}");
        let sort_prefix = sector.map(|s| format!("{s}#"));
        self.list_exists(&partition, sort_prefix.as_deref()).await
    }

    /// Deletes an object; `Condition("missing")` if it was not there.
    pub async fn remove<T: Scoped>(&self, account_id: &AccountId, id: &T::Id) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.delete(self.table(), scoped_key::<T>(account_id, id), Conflict::Missing);
        if let Some(counter) = T::ACCOUNT_COUNT {
            tx.count_in_account(self.table(), account_id, counter, -1, None)?;
        }
        match self.commit(tx).await {
            Err(StoreError::Condition(_)) => Err(StoreError::Condition(Conflict::Missing)),
            other => other,
        }
    }
}
