use crate::ids::{AccountId, ClusterId, ContentId, IdeaId, SectorId, SiteId, TaskId};
use serde::{Deserialize, Serialize};

use crate::Conflict;
use crate::model::idea::{ContentStructure, ContentType, Idea, IdeaStatus};
use crate::model::scoped::{Scoped, scoped, scoped_key};
use crate::table::{Store, StoreError, StoreResult, Tx, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    #[default]
    Queued,
    InProgress,
    Completed,
    Failed,
}

/// A writer task: what to write (title, brief, keywords, type and structure), usually made
/// from an idea of a cluster.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    pub id: TaskId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<ClusterId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idea_id: Option<IdeaId>,
    pub content_type: ContentType,
    pub content_structure: ContentStructure,
    /// Target length of the article.
    pub word_count: u32,
    pub status: TaskStatus,
    /// The article written for this task, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<ContentId>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Task, crate::TaskId, "task", "TASK");

impl Task {
    /// The writer task an idea becomes when it is queued (`Store::queue_idea`).
    pub fn from_idea(idea: &Idea) -> Self {
        let stamp = crate::table::now();
        Task {
            id: TaskId::generate(),
            account_id: idea.account_id.clone(),
            site_id: idea.site_id.clone(),
            sector_id: idea.sector_id.clone(),
            title: idea.title.clone(),
            description: idea.description.clone(),
            keywords: idea.target_keywords.clone(),
            cluster_id: idea.cluster_id.clone(),
            idea_id: Some(idea.id.clone()),
            content_type: idea.content_type,
            content_structure: idea.content_structure,
            word_count: idea.estimated_word_count,
            status: TaskStatus::Queued,
            content_id: None,
            created_at: stamp.clone(),
            updated_at: stamp,
        }
    }
}

impl Store {
    /// Deletes tasks; an idea a task was made from loses its link (and goes back to
    /// `approved`), so it can be queued again.
    pub async fn delete_tasks(&self, tasks: &[Task]) -> StoreResult<()> {
        for chunk in tasks.chunks(50) {
            match self.commit(delete_tx(self.table(), chunk, true)?).await {
                Ok(()) => {}
                // Some idea is gone or points elsewhere: unlink one task at a time.
                Err(StoreError::Condition(Conflict::IdeaMoved)) => {
                    for task in chunk {
                        match self.commit(delete_tx(self.table(), std::slice::from_ref(task), true)?).await {
                            Err(StoreError::Condition(Conflict::IdeaMoved)) => {
                                self.commit(delete_tx(self.table(), std::slice::from_ref(task), false)?).await?
                            }
                            other => other?,
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn delete_tx(table: &str, tasks: &[Task], unlink_ideas: bool) -> StoreResult<Tx> {
    let mut tx = Tx::new();
    for task in tasks {
        tx.delete_if_present(table, task.key());
        if let (true, Some(idea_id)) = (unlink_ideas, &task.idea_id) {
            let unlink = Update::new(scoped_key::<Idea>(&task.account_id, idea_id))
                .remove("task_id")
                .set("status", IdeaStatus::Approved)?
                .when("task_id = :task")
                .value(":task", &task.id)?;
            tx.update(table, unlink, Conflict::IdeaMoved);
        }
    }
    Ok(tx)
}
