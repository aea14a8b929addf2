//! The offline provider: no network, no keys, same input → same output.
//!
//! Text: answers with the draft the AI function prepared (`ChatRequest::offline_draft`),
//! counting tokens the way a model would be billed (about four characters per token), so
//! jobs, usage and credits behave as with a real model. Images: a real PNG drawn from a
//! hash of the prompt — a gradient with bands, distinct per prompt, a few kilobytes.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{ChatAnswer, ChatRequest, GeneratedImage, ImageProvider, ImageRequest, ProviderError, TextProvider};

pub const NAME: &str = "offline";
/// The model name shown for offline answers: says what it is.
pub const MODEL: &str = "offline-deterministic";

#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineProvider;

/// Roughly how many tokens a text is (OpenAI's rule of thumb: four characters a token).
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

#[async_trait]
impl TextProvider for OfflineProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatAnswer, ProviderError> {
        let text = request
            .offline_draft
            .clone()
            .ok_or_else(|| ProviderError::NotConfigured("the offline provider has no draft for this request".into()))?;
        let tokens_in = request.messages.iter().map(|m| estimate_tokens(&m.content)).sum();
        let tokens_out = estimate_tokens(&text);
        Ok(ChatAnswer { text, model: MODEL.into(), tokens_in, tokens_out, usage_reported: true })
    }
}

#[async_trait]
impl ImageProvider for OfflineProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, ProviderError> {
        let bytes = draw_png(&request.prompt, request.width, request.height)?;
        Ok(GeneratedImage { bytes, content_type: "image/png".into(), model: MODEL.into(), cost_usd: Some(0.0) })
    }
}

/// Offline images are drawn small whatever size was asked: they stand in for the real
/// thing and should not fill the bucket.
const MAX_SIDE: u32 = 256;

fn draw_png(prompt: &str, width: u32, height: u32) -> Result<Vec<u8>, ProviderError> {
    let scale = (MAX_SIDE as f64 / width.max(height).max(1) as f64).min(1.0);
    let w = ((width as f64 * scale).round() as u32).max(1);
    let h = ((height as f64 * scale).round() as u32).max(1);
    let seed = Sha256::digest(prompt.as_bytes());
    let (from, to, bands) = ([seed[0], seed[1], seed[2]], [seed[3], seed[4], seed[5]], 2 + u32::from(seed[6] % 6));
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let t = (x + y) as f64 / (w + h) as f64;
            let band = ((y * bands / h) % 2) as f64 * 0.15;
            for c in 0..3 {
                let value = from[c] as f64 * (1.0 - t) + to[c] as f64 * t;
                pixels.push((value * (1.0 - band)).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let failed = |e: png::EncodingError| ProviderError::Malformed(format!("offline image: {e}"));
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(&pixels).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(prompt: &str) -> ImageRequest {
        ImageRequest {
            prompt: prompt.into(),
            model: String::new(),
            width: 1024,
            height: 768,
            quality: "standard".into(),
            style: None,
        }
    }

    #[tokio::test]
    async fn images_are_real_pngs_that_depend_on_the_prompt() {
        let a = OfflineProvider.generate(&image("a red bicycle")).await.unwrap();
        let again = OfflineProvider.generate(&image("a red bicycle")).await.unwrap();
        let b = OfflineProvider.generate(&image("a blue lake")).await.unwrap();
        assert_eq!(&a.bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(a, again);
        assert_ne!(a.bytes, b.bytes);
        let decoder = png::Decoder::new(std::io::Cursor::new(a.bytes));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (256, 192));
    }

    #[tokio::test]
    async fn text_is_the_draft_with_token_counts() {
        let request = ChatRequest {
            model: "anything".into(),
            messages: vec![super::super::Message::user("12345678")],
            temperature: 0.7,
            max_tokens: 100,
            schema: None,
            offline_draft: Some("{\"a\":1}".into()),
        };
        let answer = OfflineProvider.complete(&request).await.unwrap();
        assert_eq!((answer.text.as_str(), answer.tokens_in, answer.tokens_out), ("{\"a\":1}", 2, 2));
        assert_eq!(answer.model, MODEL);
        let no_draft = ChatRequest { offline_draft: None, ..request };
        assert!(OfflineProvider.complete(&no_draft).await.is_err());
    }
}
