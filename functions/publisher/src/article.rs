//! What a content item becomes on WordPress: its HTML (from S3 when large), excerpt,
//! slug, SEO fields, categories and tags (its own terms, and its cluster as a category
//! or tag per the integration), and its images with their bytes — read only for images
//! not uploaded yet.

use std::sync::Arc;

use igny8_media::Media;
use igny8_store::{
    CategoryRule, Cluster, ClustersAs, Content, Image, ImageType, Publication, PublishStatus, Store, Task, Taxonomy,
    TaxonomyTerm, WpIntegration,
};
use igny8_wordpress::{Article, ArticleImage, Seo};
use serde_json::Value;

use crate::Failure;

pub(crate) async fn build(
    store: &Store,
    media: &Media,
    content: &Content,
    integration: &WpIntegration,
    options: &Value,
    publication: &Publication,
) -> Result<Article, Failure> {
    let account = &content.account_id;
    let html = match &content.html_s3_key {
        Some(key) => {
            media.get_text(key).await.map_err(|e| Failure::Item(format!("The article body cannot be read: {e}")))?
        }
        None => content.html.clone(),
    };
    let (mut categories, mut tags) = (Vec::new(), Vec::new());
    let terms: Vec<TaxonomyTerm> = store.find_many(account, &content.taxonomy_term_ids).await?;
    for term in terms {
        match term.taxonomy {
            Taxonomy::Category => categories.push(term.name),
            Taxonomy::PostTag => tags.push(term.name),
            Taxonomy::Cluster => match integration.clusters_as {
                ClustersAs::Categories => categories.push(term.name),
                ClustersAs::Tags => tags.push(term.name),
            },
        }
    }
    let task = match &content.task_id {
        Some(id) => store.find::<Task>(account, id).await?,
        None => None,
    };
    if let Some(cluster_id) = task.as_ref().and_then(|t| t.cluster_id.as_ref())
        && let Some(cluster) = store.find::<Cluster>(account, cluster_id).await?
    {
        match integration.clusters_as {
            ClustersAs::Categories => categories.push(cluster.name),
            ClustersAs::Tags => tags.push(cluster.name),
        }
    }
    if integration.category_rule == CategoryRule::Fixed {
        categories = integration.fixed_category.clone().into_iter().collect();
    }
    dedup(&mut categories);
    dedup(&mut tags);

    let status = match options["status"].as_str() {
        Some("publish") => PublishStatus::Publish,
        Some("future") => PublishStatus::Future,
        Some("draft") => PublishStatus::Draft,
        _ => integration.default_status,
    };
    let date_gmt = options["date_gmt"].as_str().map(str::to_owned);
    let seo = Seo {
        title: if content.meta_title.is_empty() { content.title.clone() } else { content.meta_title.clone() },
        description: content.meta_description.clone(),
        focus_keyword: content.primary_keyword.clone(),
    };
    Ok(Article {
        content_id: content.id.clone(),
        task_id: content.task_id.clone(),
        title: content.title.clone(),
        html,
        excerpt: content.meta_description.clone(),
        slug: content.slug.clone(),
        status,
        date_gmt,
        author: integration.default_author,
        categories,
        tags,
        seo,
        images: images(store, media, content, publication).await?,
    })
}

/// The content's images that have bytes in our bucket: featured first, then by position.
async fn images(
    store: &Store,
    media: &Media,
    content: &Content,
    publication: &Publication,
) -> Result<Vec<ArticleImage>, Failure> {
    let all: Vec<Image> = store.list_scope(&content.account_id, &content.site_id, Some(&content.sector_id)).await?;
    let mut mine: Vec<Image> =
        all.into_iter().filter(|i| i.content_id.as_ref() == Some(&content.id) && i.s3_key.is_some()).collect();
    mine.sort_by_key(|i| (i.image_type != ImageType::Featured, i.position));
    let mut images = Vec::with_capacity(mine.len());
    for image in mine {
        let bytes = match (&image.s3_key, publication.media.contains_key(&image.id)) {
            (Some(key), false) => Some(Arc::new(
                media
                    .get_bytes(key)
                    .await
                    .map_err(|e| Failure::Item(format!("Image {} cannot be read: {e}", image.id)))?,
            )),
            _ => None,
        };
        images.push(ArticleImage {
            featured: image.image_type == ImageType::Featured,
            position: image.position,
            content_type: image.content_type.clone().unwrap_or_else(|| "image/png".into()),
            alt: image.alt_text,
            caption: image.caption,
            id: image.id,
            bytes,
        });
    }
    Ok(images)
}

/// Keeps the first of names equal but for case.
fn dedup(names: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| !n.trim().is_empty() && seen.insert(n.trim().to_lowercase()));
}
