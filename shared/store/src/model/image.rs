use crate::ids::{AccountId, ContentId, ImageId, SectorId, SiteId};
use serde::{Deserialize, Serialize};

use crate::model::scoped::scoped;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageType {
    #[default]
    Featured,
    InArticle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    #[default]
    Pending,
    Generated,
    Failed,
}

/// An image of an article: its prompt and texts, and where its bytes are — in our
/// bucket (`s3_key`) or elsewhere (`url`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Image {
    pub id: ImageId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<ContentId>,
    pub image_type: ImageType,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub alt_text: String,
    #[serde(default)]
    pub caption: String,
    pub position: u32,
    pub status: ImageStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(Image, crate::ImageId, "image", "IMAGE");
