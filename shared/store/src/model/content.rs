//! Articles and their version history. Every update keeps the previous state as a
//! version item; the HTML body itself may live in S3 when it is too big for an item
//! (the writer function decides and fills `html_s3_key`).

use crate::Conflict;
use crate::ids::{AccountId, ContentId, SectorId, SiteId, TaskId, TermId};
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::model::scoped::{Scoped, scoped};
use crate::table::{AttributeValue, Item, Record, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    #[default]
    Draft,
    Review,
    /// Set to appear on WordPress at a future date.
    Scheduled,
    Published,
}

impl ContentStatus {
    /// Ours for a WordPress post status: published, scheduled, or (draft, pending,
    /// private, trash) not out there.
    pub fn from_wordpress(status: &str) -> Self {
        match status {
            "publish" => ContentStatus::Published,
            "future" => ContentStatus::Scheduled,
            _ => ContentStatus::Draft,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Content {
    pub id: ContentId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    pub title: String,
    /// The sanitised article, when it is stored in the item.
    #[serde(default)]
    pub html: String,
    /// Where the article is when it was too big for the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_s3_key: Option<String>,
    #[serde(default)]
    pub meta_title: String,
    #[serde(default)]
    pub meta_description: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub primary_keyword: String,
    #[serde(default)]
    pub secondary_keywords: Vec<String>,
    pub word_count: u32,
    pub status: ContentStatus,
    #[serde(default)]
    pub taxonomy_term_ids: Vec<TermId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    /// 1 for the first save; each update adds one (the condition of concurrent saves).
    pub version: u32,
    /// The sequence number of the newest kept version (versions are kept for changes of
    /// the article, not of its status). None on content saved before it was kept: its
    /// versions were numbered by `version`, so the last is `version - 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_seq: Option<u32>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Content, crate::ContentId, "content", "CONTENT");

/// A former state of a content item: the content as it was, under its version number.
pub type ContentVersion = Content;

/// Versions kept per content item; older ones are removed as new ones are kept.
pub const CONTENT_VERSIONS_KEPT: u32 = 20;

impl Content {
    /// The sequence number of the newest kept version (0: none).
    pub fn last_version_seq(&self) -> u32 {
        self.version_seq.unwrap_or(self.version.saturating_sub(1))
    }
}

impl Store {
    /// Replaces `current` by `next` — only if the stored content is still at
    /// `current.version` (else `Condition("stale")`). With `keep_version`, `current` is
    /// kept as a version and the oldest beyond [`CONTENT_VERSIONS_KEPT`] goes; returns
    /// the version that went, for the caller to clean up what it points to (S3).
    pub async fn save_content(
        &self,
        current: &Content,
        next: &Content,
        keep_version: bool,
    ) -> StoreResult<Option<ContentVersion>> {
        let table = self.table();
        let mut next = next.clone();
        let mut tx = Tx::new();
        let mut dropped = None;
        if keep_version {
            let seq = current.last_version_seq() + 1;
            next.version_seq = Some(seq);
            let old =
                Record::new(keys::content_version(&current.account_id, &current.id, seq), "content_version", current)?;
            tx.create(table, old, Conflict::Stale);
            if seq > CONTENT_VERSIONS_KEPT {
                let oldest = seq - CONTENT_VERSIONS_KEPT;
                let gone = keys::content_version(&current.account_id, &current.id, oldest);
                dropped = self.get::<ContentVersion>(gone.clone()).await?;
                // A body is shared by consecutive versions (an edit of the title keeps
                // it); keys are never reused, so the next kept version tells whether any
                // kept version still needs it.
                if let Some(version) = &mut dropped
                    && version.html_s3_key.is_some()
                {
                    let next_kept = self
                        .get::<ContentVersion>(keys::content_version(&current.account_id, &current.id, oldest + 1))
                        .await?;
                    if next_kept.is_some_and(|v| v.html_s3_key == version.html_s3_key) {
                        version.html_s3_key = None;
                    }
                }
                tx.delete_if_present(table, gone);
            }
        } else {
            next.version_seq = Some(current.last_version_seq());
        }
        let values = Item::from([(":v".to_owned(), AttributeValue::N(current.version.to_string()))]);
        tx.replace_if(table, next.record()?, "version = :v", values, Conflict::Stale);
        self.commit(tx).await?;
        Ok(dropped)
    }

    /// One kept version by its sequence number.
    pub async fn content_version(
        &self,
        account_id: &AccountId,
        content_id: &ContentId,
        seq: u32,
    ) -> StoreResult<Option<ContentVersion>> {
        let key = keys::content_version(account_id, content_id, seq);
        if !key.fits() {
            return Ok(None);
        }
        self.get(key).await
    }

    /// Former versions of a content item (at most [`CONTENT_VERSIONS_KEPT`]), newest
    /// first, each with its sequence number.
    pub async fn content_versions(
        &self,
        account_id: &AccountId,
        content_id: &ContentId,
    ) -> StoreResult<Vec<(u32, ContentVersion)>> {
        let prefix = format!("CONTENTVERSION#{content_id}#");
        let items = self.query_prefix_items(&keys::account_pk(account_id), &prefix).await?;
        let mut versions = Vec::with_capacity(items.len());
        for item in items {
            let seq = item
                .get("SK")
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| sk.rsplit('#').next())
                .and_then(|n| n.parse().ok());
            versions.push((seq.unwrap_or(0), crate::table::decode(item)?));
        }
        versions.reverse();
        Ok(versions)
    }

    /// Deletes a content item, then its versions (which are unreachable once it is gone).
    /// The versions, for the caller to clean up what they point to (S3 objects).
    pub async fn delete_content(&self, content: &Content) -> StoreResult<Vec<ContentVersion>> {
        let mut tx = Tx::new();
        tx.delete(self.table(), content.key(), Conflict::Missing);
        self.commit(tx).await?;
        let versions = self.content_versions(&content.account_id, &content.id).await?;
        for chunk in versions.chunks(100) {
            let mut tx = Tx::new();
            for (seq, version) in chunk {
                tx.delete_if_present(self.table(), keys::content_version(&version.account_id, &version.id, *seq));
            }
            match self.commit(tx).await {
                Ok(()) | Err(StoreError::Condition(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(versions.into_iter().map(|(_, v)| v).collect())
    }
}
