//! Images of articles. Bytes uploaded (or, later, generated) are kept in the media
//! bucket and served through short-lived signed URLs in `image_url`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri, header};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, Ordering, PageParams, QueryParams, Success, nullable};
use igny8_store::{Content, Image, ImageStatus, ImageType, Scoped, StoreError, Update, new_id, now};
use igny8_tenancy::{Access, Tenant};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use crate::{Media, WriterState};

#[derive(Debug, Deserialize)]
pub struct ImageFilter {
    site_id: Option<String>,
    sector_id: Option<String>,
    content_id: Option<String>,
    image_type: Option<ImageType>,
    status: Option<ImageStatus>,
    ordering: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct CreateImageInput {
    #[validate(length(min = 1))]
    site_id: String,
    #[validate(length(min = 1))]
    sector_id: String,
    content_id: Option<String>,
    #[serde(default)]
    image_type: ImageType,
    #[serde(default)]
    #[validate(length(max = 4000))]
    prompt: String,
    #[serde(default)]
    #[validate(length(max = 500))]
    alt_text: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    caption: String,
    #[serde(default)]
    #[validate(range(max = 1000))]
    position: u32,
    #[serde(default)]
    status: ImageStatus,
    #[validate(url, length(max = 2000), custom(function = "igny8_http::validate::web_url"))]
    url: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
pub struct UpdateImageInput {
    #[serde(default, deserialize_with = "nullable")]
    content_id: Option<Option<String>>,
    image_type: Option<ImageType>,
    #[validate(length(max = 4000))]
    prompt: Option<String>,
    #[validate(length(max = 500))]
    alt_text: Option<String>,
    #[validate(length(max = 1000))]
    caption: Option<String>,
    #[validate(range(max = 1000))]
    position: Option<u32>,
    status: Option<ImageStatus>,
    #[validate(url, length(max = 2000), custom(function = "igny8_http::validate::web_url"))]
    url: Option<String>,
}

/// The image as the API shows it: `image_url` is a signed URL for bytes in our bucket,
/// else the external URL.
async fn view(media: &Media, image: &Image) -> ApiResult<Value> {
    let image_url = match &image.s3_key {
        Some(key) => Some(media.signed_url(key).await.map_err(ApiError::internal)?),
        None => image.url.clone(),
    };
    let mut view = serde_json::to_value(image).map_err(ApiError::internal)?;
    if let Some(fields) = view.as_object_mut() {
        fields.remove("s3_key");
        fields.insert("image_url".into(), json!(image_url));
    }
    Ok(view)
}

async fn check_content(state: &WriterState, tenant: &Tenant, content_id: &str, sector_id: &str) -> ApiResult<String> {
    let content: Content = state.tenancy.find_scoped(tenant, content_id, "Content").await?;
    if content.sector_id != sector_id {
        return Err(ApiError::field("content_id", "The content belongs to another sector."));
    }
    Ok(content.id)
}

pub async fn list(
    State(state): State<WriterState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<ImageFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<Value>> {
    tenant.require(Access::SiteRead)?;
    page.check()?;
    let ordering = Ordering::parse(filter.ordering.as_deref(), &["position", "created_at"], "position")?;
    let all: Vec<Image> =
        state.tenancy.list_in_scope(&tenant, filter.site_id.as_deref(), filter.sector_id.as_deref()).await?;
    let mut images: Vec<Image> = all
        .into_iter()
        .filter(|i| {
            filter.content_id.as_deref().is_none_or(|c| i.content_id.as_deref() == Some(c))
                && filter.image_type.is_none_or(|t| i.image_type == t)
                && filter.status.is_none_or(|s| i.status == s)
        })
        .collect();
    ordering.sort(
        &mut images,
        |a, b, field| match field {
            "position" => a.position.cmp(&b.position),
            _ => a.created_at.cmp(&b.created_at),
        },
        |x| x.id.as_str(),
    );
    let count = images.len();
    let mut results = Vec::new();
    for image in images.iter().skip(page.offset()).take(page.page_size() as usize) {
        results.push(view(&state.media, image).await?);
    }
    Ok(ListResponse::page_of(count, results, &page, &uri))
}

pub async fn read(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::SiteRead)?;
    let image: Image = state.tenancy.find_scoped(&tenant, &id, "Image").await?;
    Ok(Success::ok(view(&state.media, &image).await?))
}

pub async fn create(
    State(state): State<WriterState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateImageInput>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let (site, sector) = state.tenancy.resolve_sector(&tenant, &input.site_id, &input.sector_id).await?;
    let content_id = match &input.content_id {
        Some(id) => Some(check_content(&state, &tenant, id, &sector.id).await?),
        None => None,
    };
    let stamp = now();
    let image = Image {
        id: new_id("img"),
        account_id: tenant.account_id().to_owned(),
        site_id: site.id,
        sector_id: sector.id,
        content_id,
        image_type: input.image_type,
        prompt: input.prompt,
        alt_text: input.alt_text,
        caption: input.caption,
        position: input.position,
        status: input.status,
        url: input.url,
        s3_key: None,
        content_type: None,
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    state.tenancy.store.create(&image).await.map_err(igny8_tenancy::create_failed)?;
    Ok(Success::created(view(&state.media, &image).await?))
}

pub async fn update(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<UpdateImageInput>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let image: Image = state.tenancy.find_scoped(&tenant, &id, "Image").await?;
    let internal = ApiError::internal;
    let mut update = Update::new(image.key()).set("updated_at", now()).map_err(internal)?;
    if let Some(content) = input.content_id {
        update = match content {
            Some(content_id) => update
                .set("content_id", check_content(&state, &tenant, &content_id, &image.sector_id).await?)
                .map_err(internal)?,
            None => update.remove("content_id"),
        };
    }
    if let Some(v) = input.image_type {
        update = update.set("image_type", v).map_err(internal)?;
    }
    if let Some(v) = input.prompt {
        update = update.set("prompt", v).map_err(internal)?;
    }
    if let Some(v) = input.alt_text {
        update = update.set("alt_text", v).map_err(internal)?;
    }
    if let Some(v) = input.caption {
        update = update.set("caption", v).map_err(internal)?;
    }
    if let Some(v) = input.position {
        update = update.set("position", v).map_err(internal)?;
    }
    if let Some(v) = input.status {
        update = update.set("status", v).map_err(internal)?;
    }
    if let Some(v) = input.url {
        update = update.set("url", v).map_err(internal)?;
    }
    let updated: Image = state.tenancy.store.modify(update).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Image"),
        e => internal(e),
    })?;
    Ok(Success::ok(view(&state.media, &updated).await?))
}

pub async fn remove(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let image: Image = state.tenancy.find_scoped(&tenant, &id, "Image").await?;
    state.tenancy.store.remove::<Image>(tenant.account_id(), &image.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Image"),
        e => ApiError::internal(e),
    })?;
    state.media.delete_quietly(image.s3_key.clone()).await;
    Ok(Success::ok(json!({"id": image.id, "deleted": true})))
}

/// Stores the image's bytes (PNG, JPEG, WebP or GIF body) in the bucket.
pub async fn upload(
    State(state): State<WriterState>,
    tenant: Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Success<Value>> {
    tenant.require(Access::Write)?;
    let image: Image = state.tenancy.find_scoped(&tenant, &id, "Image").await?;
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let extension = match content_type.as_str() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => {
            return Err(ApiError::new(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Upload a PNG, JPEG, WebP or GIF image with its Content-Type.",
            ));
        }
    };
    if body.is_empty() {
        return Err(ApiError::field("body", "The image is empty."));
    }
    // The bytes must be what the Content-Type says: an image served from our bucket (and
    // uploaded to WordPress) is never something else under an image's name.
    if igny8_media::image_type(&body) != Some(content_type.as_str()) {
        return Err(ApiError::field("body", format!("These bytes are not a {content_type} image.")));
    }
    // A new key per upload: a signed URL handed out earlier never shows other bytes.
    let key = format!("images/{}/{}/{}.{extension}", image.account_id, image.id, new_id("up"));
    state.media.put(&key, body.to_vec(), &content_type).await.map_err(ApiError::internal)?;
    let update = Update::new(image.key())
        .set("s3_key", &key)
        .and_then(|u| u.set("content_type", &content_type))
        .and_then(|u| u.set("status", ImageStatus::Generated))
        .and_then(|u| u.set("updated_at", now()))
        .map_err(ApiError::internal)?;
    let updated: Image = state.tenancy.store.modify(update).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Image"),
        e => ApiError::internal(e),
    })?;
    state.media.delete_quietly(image.s3_key.clone()).await;
    Ok(Success::ok(view(&state.media, &updated).await?))
}
