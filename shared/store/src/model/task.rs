use serde::{Deserialize, Serialize};

use crate::model::idea::{ContentStructure, ContentType};
use crate::model::scoped::scoped;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    pub sector_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idea_id: Option<String>,
    pub content_type: ContentType,
    pub content_structure: ContentStructure,
    /// Target length of the article.
    pub word_count: u32,
    pub status: TaskStatus,
    /// The article written for this task, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Task, "task", "TASK");
