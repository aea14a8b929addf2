use serde::{Deserialize, Serialize};

use crate::model::scoped::scoped;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Taxonomy {
    Category,
    PostTag,
    Cluster,
}

/// A content taxonomy term of a site (mirrored with WordPress categories and tags).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaxonomyTerm {
    pub id: String,
    pub account_id: String,
    pub site_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_id: Option<String>,
    pub taxonomy: Taxonomy,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The term's id in WordPress, once synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(TaxonomyTerm, "taxonomy_term", "TERM", site_wide);
