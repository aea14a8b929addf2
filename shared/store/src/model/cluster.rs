use crate::ids::{AccountId, ClusterId, SectorId, SiteId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::keys;
use crate::model::keyword::{Keyword, KeywordChange};
use crate::model::scoped::{Scoped, scoped};
use crate::table::{AttributeValue, Item, ListIndex, Store, StoreError, StoreResult, Tx, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    #[default]
    Active,
    Inactive,
}

/// A topic group of keywords in one sector. `keywords_count` and `volume` are derived:
/// only keyword changes move them (see `Store::apply_keyword_changes`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cluster {
    pub id: ClusterId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub status: ClusterStatus,
    pub keywords_count: i64,
    pub volume: i64,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Cluster, crate::ClusterId, "cluster", "CLUSTER", counted as "clusters_count");

impl Store {
    /// The keywords of a cluster, oldest first (from the cluster's list: only them).
    pub async fn cluster_keywords(&self, cluster: &Cluster) -> StoreResult<Vec<Keyword>> {
        let partition = keys::cluster_keywords(&cluster.account_id, &cluster.id);
        self.query_list_in(ListIndex::Cluster, &partition, None).await
    }

    /// Deletes a cluster; its keywords stay, unassigned. Keywords are released first
    /// (counters follow), then the cluster goes once it counts none — a keyword assigned
    /// meanwhile is released on the next round.
    pub async fn delete_cluster(&self, cluster: &Cluster) -> StoreResult<usize> {
        let mut released = 0;
        for _ in 0..5 {
            let stamp = now();
            let changes: Vec<KeywordChange> = self
                .cluster_keywords(cluster)
                .await?
                .into_iter()
                .map(|before| {
                    let mut after = before.clone();
                    after.cluster_id = None;
                    after.updated_at = stamp.clone();
                    KeywordChange { before: Some(before), after: Some(after) }
                })
                .collect();
            // Releasing creates nothing: no limit applies.
            released += self.apply_keyword_changes(&changes, u32::MAX).await?.applied.len();
            let mut tx = Tx::new();
            let empty = Item::from([(":zero".to_owned(), AttributeValue::N("0".into()))]);
            tx.delete_where(self.table(), cluster.key(), "keywords_count = :zero", empty, Conflict::NotEmpty);
            tx.count_in_account(self.table(), &cluster.account_id, "clusters_count", -1, None)?;
            match self.commit(tx).await {
                Ok(()) => return Ok(released),
                Err(StoreError::Condition(_)) => {
                    if self.find::<Cluster>(&cluster.account_id, &cluster.id).await?.is_none() {
                        return Ok(released);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Condition(Conflict::Busy))
    }
}
