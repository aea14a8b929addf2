//! Image prompts → images: the account's image provider draws each, the bytes go to
//! the media bucket and the image record points to them. One to four credits per
//! image, by provider and quality.

use igny8_store::Conflict;
use igny8_store::{Image, ImageStatus, Scoped, StoreError, Tx, UnitOutcome, Update, now};

use super::typed;
use crate::engine::{Answer, Ctx, ItemFunction};
use crate::pricing::{image_credits, no_price, usd_to_micros};
use crate::prompts::fill;
use crate::provider::{GeneratedImage, ImageRequest};

pub struct GenerateImages;

/// Larger answers are not images we want to store.
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;

/// `WxH` → (w, h); 1024×1024 when unreadable (settings are validated when saved).
fn size(text: &str) -> (u32, u32) {
    text.split_once('x')
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)))
        .unwrap_or((1024, 1024))
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    }
}

#[async_trait::async_trait]
impl ItemFunction for GenerateImages {
    type Input = Image;
    type Output = GeneratedImage;

    fn name(&self) -> &'static str {
        "generate_images"
    }

    async fn load(&self, ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, Result<Image, String>)>, StoreError> {
        let found: Vec<Image> = ctx.store.find_many(&ctx.job.account_id, &typed(ids)).await?;
        Ok(ids
            .iter()
            .map(|id| {
                let image = match found.iter().find(|i| &i.id == id) {
                    None => Err("the image was deleted".to_owned()),
                    Some(i) if i.prompt.trim().is_empty() => Err("the image has no prompt".to_owned()),
                    Some(i) => Ok(i.clone()),
                };
                (id.clone(), image)
            })
            .collect())
    }

    async fn call(&self, ctx: &Ctx, image: &Image) -> Result<Answer, String> {
        let settings = &ctx.settings;
        let style = settings.image_style.clone().unwrap_or_else(|| "natural".to_owned());
        let (width, height) = size(&settings.image_size);
        let request = ImageRequest {
            prompt: fill(&ctx.prompt, &[("prompt", &image.prompt), ("style", &style)]),
            model: settings.image_model.clone(),
            width,
            height,
            quality: settings.image_quality.clone(),
            style: settings.image_style.clone(),
        };
        ctx.image.generate(&request).await.map(Answer::Image).map_err(|e| format!("image provider: {e}"))
    }

    fn parse(&self, _ctx: &Ctx, _image: &Image, answer: Answer) -> Result<GeneratedImage, String> {
        let Answer::Image(generated) = answer else {
            return Err("expected an image".into());
        };
        if generated.bytes.is_empty() || generated.bytes.len() > MAX_IMAGE_BYTES {
            return Err(format!("the provider's image has {} bytes", generated.bytes.len()));
        }
        if !generated.content_type.starts_with("image/") {
            return Err(format!("the provider answered {}, not an image", generated.content_type));
        }
        Ok(generated)
    }

    async fn save(&self, ctx: &Ctx, image: &Image, generated: &GeneratedImage) -> Result<(Tx, UnitOutcome), String> {
        // One object per job: a later job for the same image never overwrites what an
        // earlier one stored and referenced.
        let key =
            format!("images/{}/{}/{}.{}", image.account_id, image.id, ctx.job.id, extension(&generated.content_type));
        ctx.media.put(&key, generated.bytes.clone(), &generated.content_type).await?;
        let update = Update::new(image.key())
            .set("status", ImageStatus::Generated)
            .and_then(|u| u.set("s3_key", &key))
            .and_then(|u| u.set("content_type", &generated.content_type))
            .and_then(|u| u.set("updated_at", now()))
            .map_err(|e| e.to_string())?
            .remove("url");
        let mut tx = Tx::new();
        tx.update(ctx.store.table(), update, Conflict::Missing);
        let outcome = UnitOutcome {
            results: vec![image.id.to_string()],
            cost_micros: generated.cost_usd.map(usd_to_micros).unwrap_or(0),
            cost_note: generated.cost_usd.is_none().then(|| no_price(&generated.model)),
            credits: image_credits(ctx.image.name(), &ctx.settings.image_quality),
            images: 1,
            ..Default::default()
        };
        Ok((tx, outcome))
    }

    fn used(&self, ctx: &Ctx, generated: &GeneratedImage) -> (String, String) {
        (ctx.image.name().to_owned(), generated.model.clone())
    }
}
