use crate::ids::{AccountId, SectorId, SiteId, TermId};
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
    pub id: TermId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_id: Option<SectorId>,
    pub taxonomy: Taxonomy,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<TermId>,
    /// The term's id in WordPress, once synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(TaxonomyTerm, crate::TermId, "taxonomy_term", "TERM", site_wide);
