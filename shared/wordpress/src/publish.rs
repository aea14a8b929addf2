//! Publishing one article: images into the media library, categories and tags found or
//! made, the post created or updated, SEO fields and our ids on it.
//!
//! Idempotent step by step. The [`Publication`] remembers the post and every media item
//! and is saved (through [`Progress`]) right after each is made, so a publish that
//! died part-way resumes: nothing is uploaded or created twice. A publish that created
//! the post but died before saving its id finds it again — through the plugin by our
//! content id (bridge mode), or by slug among posts of any status, checked against our
//! content id in its meta (core REST).

use igny8_store::ImageId;
use igny8_store::{ContentId, TaskId};
use std::sync::Arc;

use igny8_store::{MediaRef, Publication, PublishStatus};
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Body, WpClient, WpError};

/// The post's SEO fields, written to Yoast's or Rank Math's meta keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seo {
    pub title: String,
    pub description: String,
    pub focus_keyword: String,
}

/// An image of the article; `bytes` is None when it was uploaded before.
#[derive(Debug, Clone)]
pub struct ArticleImage {
    pub id: ImageId,
    pub featured: bool,
    pub position: u32,
    pub content_type: String,
    pub alt: String,
    pub caption: String,
    pub bytes: Option<Arc<Vec<u8>>>,
}

impl ArticleImage {
    /// `igny8-<image id>.<ext>`: WordPress makes the media slug from it, which is how a
    /// lost upload is found again over core REST.
    pub fn filename(&self) -> String {
        let ext = match self.content_type.as_str() {
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            "image/gif" => "gif",
            _ => "png",
        };
        format!("igny8-{}.{ext}", self.id.to_lowercase())
    }

    fn slug(&self) -> String {
        format!("igny8-{}", self.id.to_lowercase())
    }
}

/// Everything a post is made from.
#[derive(Debug, Clone)]
pub struct Article {
    pub content_id: ContentId,
    pub task_id: Option<TaskId>,
    pub title: String,
    pub html: String,
    pub excerpt: String,
    pub slug: String,
    pub status: PublishStatus,
    /// For `future`: `YYYY-MM-DDTHH:MM:SS` in UTC.
    pub date_gmt: Option<String>,
    pub author: Option<u64>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub seo: Seo,
    /// Featured first, then in-article images by position.
    pub images: Vec<ArticleImage>,
}

/// The post as WordPress answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub post_id: u64,
    pub url: String,
    /// WordPress's status: `publish`, `draft`, `future` …
    pub status: String,
    pub created: bool,
    /// When WordPress last changed the post (`YYYY-MM-DDTHH:MM:SS`, UTC), if it said.
    pub modified_gmt: Option<String>,
}

/// Where a publish records what it has made, as soon as it made it.
pub trait Progress {
    fn save(&self, publication: &Publication) -> impl Future<Output = Result<(), String>> + Send;
}

/// Why a publish stopped.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{}", .0.reason())]
    WordPress(#[from] WpError),
    #[error("{0}")]
    Store(String),
}

impl PublishError {
    pub fn is_retryable(&self) -> bool {
        match self {
            PublishError::WordPress(e) => e.is_retryable(),
            PublishError::Store(_) => true,
        }
    }
}

/// The mode a client publishes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    CoreRest,
    Bridge,
}

pub async fn publish(
    client: &WpClient,
    via: Via,
    article: &Article,
    publication: &mut Publication,
    progress: &impl Progress,
) -> Result<Published, PublishError> {
    for image in &article.images {
        if publication.media.contains_key(&image.id) {
            continue;
        }
        let media = match via {
            Via::CoreRest => upload_rest(client, image).await?,
            Via::Bridge => upload_bridge(client, image).await?,
        };
        publication.media.insert(image.id.clone(), media);
        progress.save(publication).await.map_err(PublishError::Store)?;
    }
    let html = place_images(&article.html, &article.images, &publication.media);
    let featured = article.images.iter().find(|i| i.featured).and_then(|i| publication.media.get(&i.id)).map(|m| m.id);
    let published = match via {
        Via::CoreRest => post_rest(client, article, &html, featured, publication.post_id).await?,
        Via::Bridge => post_bridge(client, article, &html, featured).await?,
    };
    publication.post_id = Some(published.post_id);
    publication.post_url = Some(published.url.clone());
    publication.wp_status = Some(published.status.clone());
    if published.modified_gmt.is_some() {
        publication.wp_modified_gmt = published.modified_gmt.clone();
    }
    publication.updated_at = igny8_store::now();
    progress.save(publication).await.map_err(PublishError::Store)?;
    Ok(published)
}

fn image_body(image: &ArticleImage, extra: Vec<(String, String)>) -> Result<Body, WpError> {
    let bytes = image.bytes.clone().ok_or_else(|| WpError::BadAnswer(format!("image {} has no bytes", image.id)))?;
    let mut headers =
        vec![("content-disposition".to_owned(), format!("attachment; filename=\"{}\"", image.filename()))];
    headers.extend(extra);
    Ok(Body::Bytes { bytes, content_type: image.content_type.clone(), headers })
}

fn media_ref(body: &Value, id_field: &str, url_field: &str) -> Result<MediaRef, WpError> {
    let id = body[id_field].as_u64().ok_or_else(|| WpError::BadAnswer(format!("no {id_field} in the media answer")))?;
    let url = body.pointer(url_field).and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(MediaRef { id, url })
}

async fn upload_rest(client: &WpClient, image: &ArticleImage) -> Result<MediaRef, WpError> {
    // An upload whose answer was lost left a media item with our slug: use it.
    let query = [("slug", image.slug()), ("context", "edit".to_owned())];
    let found = client.call("find media", Method::GET, "/wp/v2/media", &query, Body::Empty).await?;
    if let Some(existing) = found.body.as_array().and_then(|a| a.first()) {
        return media_ref(existing, "id", "/source_url");
    }
    let query = [("alt_text", image.alt.clone()), ("caption", image.caption.clone())];
    let body = image_body(image, vec![])?;
    let created = create_once(client, "upload media", "/wp/v2/media", &query, body, || async {
        let query = [("slug", image.slug()), ("context", "edit".to_owned())];
        let found = client.call("find media", Method::GET, "/wp/v2/media", &query, Body::Empty).await?;
        Ok(found.body.as_array().and_then(|a| a.first()).cloned())
    })
    .await?;
    media_ref(&created, "id", "/source_url")
}

/// A create over core REST is not idempotent: after a timeout or a 5xx the item may
/// exist all the same (WordPress made it, then the answer was lost). So each create is
/// one attempt, and before trying again `find` looks for what the failed one made.
async fn create_once<F, Fut>(
    client: &WpClient,
    action: &str,
    route: &str,
    query: &[(&str, String)],
    body: Body,
    find: F,
) -> Result<Value, WpError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<Value>, WpError>>,
{
    let once = client.single_attempt();
    let policy = client.policy();
    let mut wait = policy.backoff;
    let mut tries = 0;
    loop {
        match once.call(action, Method::POST, route, query, body.clone()).await {
            Ok(answer) => return Ok(answer.body),
            Err(e) if e.is_retryable() && tries < policy.retries => {
                tries += 1;
                let pause = match &e {
                    WpError::Status { retry_after: Some(after), .. } => *after,
                    _ => wait,
                };
                tokio::time::sleep(pause.min(policy.max_backoff)).await;
                wait = (wait * 2).min(policy.max_backoff);
                if let Some(made) = find().await? {
                    return Ok(made);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

async fn upload_bridge(client: &WpClient, image: &ArticleImage) -> Result<MediaRef, WpError> {
    let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let headers = vec![
        ("x-igny8-image-id".to_owned(), image.id.to_string()),
        ("x-igny8-alt".to_owned(), encode(&image.alt)),
        ("x-igny8-caption".to_owned(), encode(&image.caption)),
    ];
    let answer = client.call("upload media", Method::POST, "/igny8/v1/media", &[], image_body(image, headers)?).await?;
    media_ref(&answer.body, "media_id", "/url")
}

/// In-article images go before the article's second, third … `<h2>` (the first stays
/// under the introduction), in position order; those without a heading left follow
/// the text.
pub fn place_images(
    html: &str,
    images: &[ArticleImage],
    media: &std::collections::BTreeMap<ImageId, MediaRef>,
) -> String {
    let mut figures: Vec<(u32, String)> = images
        .iter()
        .filter(|i| !i.featured)
        .filter_map(|i| media.get(&i.id).map(|m| (i.position, figure(i, m))))
        .collect();
    figures.sort_by_key(|(position, _)| *position);
    let mut figures = figures.into_iter().map(|(_, f)| f);
    let mut out = String::with_capacity(html.len() + 512);
    let mut rest = html;
    let mut headings = 0;
    while let Some(at) = rest.find("<h2") {
        headings += 1;
        out.push_str(&rest[..at]);
        if headings >= 2
            && let Some(figure) = figures.next()
        {
            out.push_str(&figure);
        }
        out.push_str("<h2");
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    for figure in figures {
        out.push_str(&figure);
    }
    out
}

fn figure(image: &ArticleImage, media: &MediaRef) -> String {
    let caption = if image.caption.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{}</figcaption>", escape(&image.caption))
    };
    format!(
        "<figure class=\"wp-block-image\"><img src=\"{}\" alt=\"{}\" class=\"wp-image-{}\"/>{caption}</figure>",
        escape(&media.url),
        escape(&image.alt),
        media.id
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

fn wp_status(status: PublishStatus) -> &'static str {
    match status {
        PublishStatus::Draft => "draft",
        PublishStatus::Publish => "publish",
        PublishStatus::Future => "future",
    }
}

/// The SEO meta keys of both SEO plugins and our ids (the bridge plugin registers them
/// all for REST; without it WordPress drops them silently).
fn post_meta(article: &Article) -> Value {
    json!({
        "_igny8_content_id": article.content_id,
        "_igny8_task_id": article.task_id.as_deref().unwrap_or_default(),
        "_igny8_last_synced": igny8_store::now(),
        "_yoast_wpseo_title": article.seo.title,
        "_yoast_wpseo_metadesc": article.seo.description,
        "_yoast_wpseo_focuskw": article.seo.focus_keyword,
        "rank_math_title": article.seo.title,
        "rank_math_description": article.seo.description,
        "rank_math_focus_keyword": article.seo.focus_keyword,
    })
}

fn published(body: &Value, created: bool) -> Result<Published, WpError> {
    let post_id = body["id"].as_u64().or_else(|| body["post_id"].as_u64());
    let post_id = post_id.ok_or_else(|| WpError::BadAnswer("no post id in the answer".into()))?;
    let url = body["link"].as_str().or_else(|| body["url"].as_str()).unwrap_or_default().to_owned();
    let status = body["status"].as_str().unwrap_or_default().to_owned();
    let modified_gmt = body["modified_gmt"].as_str().filter(|m| !m.is_empty()).map(str::to_owned);
    Ok(Published { post_id, url, status, created, modified_gmt })
}

async fn post_rest(
    client: &WpClient,
    article: &Article,
    html: &str,
    featured: Option<u64>,
    known: Option<u64>,
) -> Result<Published, WpError> {
    let mut body = json!({
        "title": article.title,
        "content": html,
        "excerpt": article.excerpt,
        "slug": article.slug,
        "status": wp_status(article.status),
        "categories": resolve_terms(client, "categories", &article.categories).await?,
        "tags": resolve_terms(client, "tags", &article.tags).await?,
        "featured_media": featured.unwrap_or(0),
        "meta": post_meta(article),
    });
    if let (PublishStatus::Future, Some(date)) = (article.status, &article.date_gmt) {
        body["date_gmt"] = json!(date);
    }
    if let Some(author) = article.author {
        body["author"] = json!(author);
    }
    let existing = match known {
        Some(id) => Some(id),
        None => find_post_rest(client, article).await?,
    };
    if let Some(id) = existing {
        let route = format!("/wp/v2/posts/{id}");
        match client.call("update post", Method::POST, &route, &[], Body::Json(body.clone())).await {
            Ok(answer) => return published(&answer.body, false),
            // Deleted in WordPress since: publish it anew.
            Err(WpError::Status { status: 404 | 410, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let created = create_once(client, "create post", "/wp/v2/posts", &[], Body::Json(body.clone()), || async {
        match find_post_rest(client, article).await? {
            // Made by the failed attempt: bring it up to date with this one's body.
            Some(id) => {
                let route = format!("/wp/v2/posts/{id}");
                Ok(Some(client.call("update post", Method::POST, &route, &[], Body::Json(body.clone())).await?.body))
            }
            None => Ok(None),
        }
    })
    .await?;
    published(&created, true)
}

/// A post made by an earlier attempt whose answer was lost: same slug, any status, and
/// our content id in its meta (or, where WordPress does not show that meta because the
/// plugin is absent, the same title).
async fn find_post_rest(client: &WpClient, article: &Article) -> Result<Option<u64>, WpError> {
    if article.slug.is_empty() {
        return Ok(None);
    }
    let query = [("slug", article.slug.clone()), ("status", "any".to_owned()), ("context", "edit".to_owned())];
    let found = client.call("find post", Method::GET, "/wp/v2/posts", &query, Body::Empty).await?;
    let candidates = found.body.as_array().cloned().unwrap_or_default();
    Ok(candidates.iter().find_map(|post| {
        let ours = match post.pointer("/meta/_igny8_content_id").and_then(Value::as_str) {
            Some(id) => article.content_id == id,
            None => post.pointer("/title/raw").and_then(Value::as_str) == Some(article.title.as_str()),
        };
        ours.then(|| post["id"].as_u64()).flatten()
    }))
}

/// Term ids for names, made where missing. WordPress answers `term_exists` with the
/// existing id when a term of that name was made meanwhile.
async fn resolve_terms(client: &WpClient, taxonomy: &str, names: &[String]) -> Result<Vec<u64>, WpError> {
    let route = format!("/wp/v2/{taxonomy}");
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let query = [("search", name.clone()), ("per_page", "100".to_owned()), ("context", "edit".to_owned())];
        let found = client.call("find term", Method::GET, &route, &query, Body::Empty).await?;
        let existing = found.body.as_array().and_then(|terms| {
            terms
                .iter()
                .find(|t| same_name(t["name"].as_str().unwrap_or_default(), name))
                .and_then(|t| t["id"].as_u64())
        });
        let id = match existing {
            Some(id) => id,
            None => {
                match client.call("create term", Method::POST, &route, &[], Body::Json(json!({"name": name}))).await {
                    Ok(answer) => answer.body["id"].as_u64().ok_or_else(|| WpError::BadAnswer("no term id".into()))?,
                    // Made meanwhile, or named alike after WordPress's escaping: use it.
                    Err(WpError::Status { status: 400, ref code, existing_id: Some(id), .. })
                        if code == "term_exists" =>
                    {
                        id
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// WordPress answers names HTML-escaped (`&amp;`); case does not make another term.
fn same_name(wordpress: &str, ours: &str) -> bool {
    let decoded = wordpress.replace("&amp;", "&").replace("&#039;", "'").replace("&quot;", "\"");
    decoded.trim().eq_ignore_ascii_case(ours.trim())
}

async fn post_bridge(
    client: &WpClient,
    article: &Article,
    html: &str,
    featured: Option<u64>,
) -> Result<Published, WpError> {
    let mut body = json!({
        "content_id": article.content_id,
        "task_id": article.task_id.as_deref().unwrap_or_default(),
        "title": article.title,
        "content": html,
        "excerpt": article.excerpt,
        "slug": article.slug,
        "status": wp_status(article.status),
        "post_type": "post",
        "categories": article.categories,
        "tags": article.tags,
        "seo": {
            "title": article.seo.title,
            "description": article.seo.description,
            "focus_keyword": article.seo.focus_keyword,
        },
    });
    if let Some(id) = featured {
        body["featured_media"] = json!(id);
    }
    if let (PublishStatus::Future, Some(date)) = (article.status, &article.date_gmt) {
        body["date_gmt"] = json!(date);
    }
    if let Some(author) = article.author {
        body["author"] = json!(author);
    }
    let answer = client.call("publish post", Method::POST, "/igny8/v1/posts", &[], Body::Json(body)).await?;
    let created = answer.body["created"].as_bool().unwrap_or(false);
    published(&answer.body, created)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn image(id: &str, featured: bool, position: u32) -> ArticleImage {
        ArticleImage {
            id: id.into(),
            featured,
            position,
            content_type: "image/png".into(),
            alt: format!("alt \"{id}\""),
            caption: String::new(),
            bytes: None,
        }
    }

    #[test]
    fn in_article_images_go_before_later_sections() {
        let images = [image("f", true, 0), image("b", false, 2), image("a", false, 1), image("c", false, 3)];
        let media: BTreeMap<ImageId, MediaRef> = ["f", "a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(n, id)| (ImageId::from(*id), MediaRef { id: n as u64 + 10, url: format!("https://wp/{id}.png") }))
            .collect();
        let html = "<p>intro</p><h2>One</h2><p>1</p><h2>Two</h2><p>2</p><h2>Three</h2><p>3</p>";
        let out = place_images(html, &images, &media);
        let a = out.find("https://wp/a.png").unwrap();
        let b = out.find("https://wp/b.png").unwrap();
        let c = out.find("https://wp/c.png").unwrap();
        assert!(out.find("<h2>Two").unwrap() > a && a > out.find("<p>1</p>").unwrap(), "{out}");
        assert!(b > out.find("<p>2</p>").unwrap() && b < out.find("<h2>Three").unwrap(), "{out}");
        assert!(c > out.find("<p>3</p>").unwrap(), "the image without a section follows the text: {out}");
        assert!(!out.contains("https://wp/f.png"), "the featured image is not in the body");
        assert!(out.contains("alt=\"alt &quot;a&quot;\""), "{out}");
    }

    #[test]
    fn names_match_wordpress_escaping_and_case() {
        assert!(same_name("Shoes &amp; Boots", "shoes & boots"));
        assert!(!same_name("Shoes", "Shoe"));
    }

    #[test]
    fn filenames_carry_the_image_id() {
        let mut i = image("img_01ABC", false, 1);
        assert_eq!(i.filename(), "igny8-img_01abc.png");
        i.content_type = "image/jpeg".into();
        assert_eq!(i.filename(), "igny8-img_01abc.jpg");
    }
}
