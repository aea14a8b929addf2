//! What a site is made of — post types, taxonomies, categories and tags — and where a
//! post we published stands now. Read from the bridge plugin when the integration uses
//! it, from core REST otherwise; both answer the same shapes.

use igny8_store::ContentId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Body, WpClient, WpError};
use crate::publish::Via;

/// Terms read per taxonomy at most (10 pages of 100).
const MAX_TERM_PAGES: u32 = 10;

/// `{post_types: [...], taxonomies: [...], terms: {category: [...], post_tag: [...]}, ...}`
/// (the plugin's `GET /igny8/v1/site` answer, or the same built from core REST).
pub async fn read(client: &WpClient, via: Via) -> Result<Value, WpError> {
    if via == Via::Bridge {
        return Ok(client.call("read structure", Method::GET, "/igny8/v1/site", &[], Body::Empty).await?.body);
    }
    let types = client.call("read post types", Method::GET, "/wp/v2/types", &[], Body::Empty).await?.body;
    let taxonomies = client.call("read taxonomies", Method::GET, "/wp/v2/taxonomies", &[], Body::Empty).await?.body;
    let post_types: Vec<Value> = types
        .as_object()
        .map(|all| {
            all.values()
                .filter(|t| t["rest_base"].as_str().is_some_and(|b| !b.is_empty()))
                .filter(|t| !matches!(t["slug"].as_str(), Some("attachment" | "wp_block" | "wp_template" | "wp_template_part" | "wp_navigation" | "nav_menu_item")))
                .map(|t| json!({"name": t["slug"], "label": t["name"], "rest_base": t["rest_base"], "hierarchical": t["hierarchical"]}))
                .collect()
        })
        .unwrap_or_default();
    let taxonomy_list: Vec<Value> = taxonomies
        .as_object()
        .map(|all| {
            all.values()
                .filter(|t| !matches!(t["slug"].as_str(), Some("nav_menu" | "wp_theme" | "wp_template_part_area")))
                .map(|t| json!({"name": t["slug"], "label": t["name"], "rest_base": t["rest_base"], "object_types": t["types"], "hierarchical": t["hierarchical"]}))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "post_types": post_types,
        "taxonomies": taxonomy_list,
        "terms": {
            "category": terms(client, "categories").await?,
            "post_tag": terms(client, "tags").await?,
        },
    }))
}

/// Every term of a taxonomy as `{id, name, slug, parent}`.
async fn terms(client: &WpClient, rest_base: &str) -> Result<Vec<Value>, WpError> {
    let route = format!("/wp/v2/{rest_base}");
    let mut all = Vec::new();
    for page in 1..=MAX_TERM_PAGES {
        let query = [("per_page", "100".to_owned()), ("page", page.to_string()), ("hide_empty", "false".to_owned())];
        let answer = client.call("read terms", Method::GET, &route, &query, Body::Empty).await?;
        let batch = answer.body.as_array().cloned().unwrap_or_default();
        let last = batch.len() < 100;
        all.extend(
            batch
                .into_iter()
                .map(|t| json!({"id": t["id"], "name": t["name"], "slug": t["slug"], "parent": t["parent"]})),
        );
        if last {
            break;
        }
    }
    Ok(all)
}

/// Where a published post stands.
#[derive(Debug, Clone, PartialEq)]
pub enum PostState {
    Present { post_id: u64, url: String, status: String, modified_gmt: String },
    Deleted,
}

/// Reads one post we published (by its id over core REST, by our content id through
/// the plugin).
pub async fn post_state(
    client: &WpClient,
    via: Via,
    post_id: u64,
    content_id: &ContentId,
) -> Result<PostState, WpError> {
    let (route, query) = match via {
        Via::CoreRest => (format!("/wp/v2/posts/{post_id}"), vec![("context", "edit".to_owned())]),
        Via::Bridge => (format!("/igny8/v1/posts/by-content/{content_id}"), vec![]),
    };
    match client.call("read post", Method::GET, &route, &query, Body::Empty).await {
        Ok(answer) => {
            let body = answer.body;
            Ok(PostState::Present {
                post_id: body["id"].as_u64().or_else(|| body["post_id"].as_u64()).unwrap_or(post_id),
                url: body["link"].as_str().or_else(|| body["url"].as_str()).unwrap_or_default().to_owned(),
                status: body["status"].as_str().unwrap_or_default().to_owned(),
                modified_gmt: body["modified_gmt"].as_str().unwrap_or_default().to_owned(),
            })
        }
        // Only WordPress's own "no such post" (core REST or the plugin): a 404 page from a
        // proxy or a route missing must not unlink published content.
        Err(WpError::Status { status: 404 | 410, ref code, .. })
            if matches!(code.as_str(), "rest_post_invalid_id" | "igny8_not_found") =>
        {
            Ok(PostState::Deleted)
        }
        Err(e) => Err(e),
    }
}
