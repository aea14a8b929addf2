use crate::ids::{AccountId, ClusterId, IdeaId, SectorId, SiteId, TaskId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::model::scoped::{Scoped, scoped};
use crate::model::task::Task;
use crate::table::{Store, StoreResult, Tx, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    #[default]
    Draft,
    Approved,
    InProgress,
    Completed,
}

/// What kind of page a piece of content becomes in WordPress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    #[default]
    Post,
    Page,
    Product,
    Service,
    Category,
    Tag,
}

/// How an article is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentStructure {
    #[default]
    Article,
    Guide,
    HowTo,
    Listicle,
    Comparison,
    Review,
    News,
    CaseStudy,
    LandingPage,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Idea {
    pub id: IdeaId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub content_type: ContentType,
    pub content_structure: ContentStructure,
    #[serde(default)]
    pub target_keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    pub estimated_word_count: u32,
    pub status: IdeaStatus,
    /// The writer task made from this idea, once queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Idea, crate::IdeaId, "idea", "IDEA", counted as "ideas_count");

impl Store {
    /// Turns an idea into its writer task: creates the task and marks the idea
    /// `in_progress` with the task's id, in one transaction that holds only while the
    /// idea has no task — so queuing one idea twice (or concurrently) makes one task.
    /// `Condition("already_queued")` when it had one; `Condition("missing")` when gone.
    pub async fn queue_idea(&self, idea: &Idea, task: &Task) -> StoreResult<()> {
        let mut tx = Tx::new();
        let update = Update::new(idea.key())
            .set("status", IdeaStatus::InProgress)?
            .set("task_id", &task.id)?
            .set("updated_at", &task.created_at)?
            .when("attribute_not_exists(task_id)");
        tx.update(self.table(), update, Conflict::AlreadyQueued);
        tx.create(self.table(), task.record()?, Conflict::Exists);
        tx.check_sector_open(self.table(), &task.account_id, &task.sector_id);
        self.commit(tx).await
    }
}
