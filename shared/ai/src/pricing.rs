//! What AI operations cost: credits (the customer's price, `docs/product.md §4` billing)
//! and US dollars (ours, from the provider's token prices).
//!
//! Credits are whole numbers. Where the product prices a fraction (image prompts at 0.5
//! each), the charge is rounded up per saved unit: one article's prompts are one unit.

use serde::Serialize;

/// One row of `GET /billing/costs/`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OperationPrice {
    pub operation: &'static str,
    pub credits: f64,
    pub per: &'static str,
    pub notes: &'static str,
}

pub const CLUSTERING_PER_RUN: i64 = 10;
pub const IDEAS_PER_CLUSTER: i64 = 2;
pub const CONTENT_WORDS_PER_CREDIT: u64 = 500;

pub fn price_list() -> Vec<OperationPrice> {
    vec![
        OperationPrice { operation: "auto_cluster", credits: 10.0, per: "run", notes: "any number of keywords" },
        OperationPrice { operation: "generate_ideas", credits: 2.0, per: "cluster", notes: "" },
        OperationPrice {
            operation: "generate_content",
            credits: 1.0,
            per: "500 words",
            notes: "rounded up per article, at least 1",
        },
        OperationPrice {
            operation: "generate_image_prompts",
            credits: 0.5,
            per: "prompt",
            notes: "rounded up per article",
        },
        OperationPrice { operation: "generate_images", credits: 1.0, per: "image", notes: "offline provider" },
        OperationPrice { operation: "generate_images", credits: 1.0, per: "image", notes: "runware, standard quality" },
        OperationPrice { operation: "generate_images", credits: 2.0, per: "image", notes: "runware, hd quality" },
        OperationPrice { operation: "generate_images", credits: 2.0, per: "image", notes: "openai, standard quality" },
        OperationPrice { operation: "generate_images", credits: 4.0, per: "image", notes: "openai, hd quality" },
    ]
}

pub fn content_credits(words: u64) -> i64 {
    words.div_ceil(CONTENT_WORDS_PER_CREDIT).max(1) as i64
}

pub fn image_prompt_credits(prompts: u64) -> i64 {
    prompts.div_ceil(2) as i64
}

pub fn ideas_credits(clusters: u64) -> i64 {
    clusters as i64 * IDEAS_PER_CLUSTER
}

/// Credits of one image by provider (`offline`, `runware`, `openai`) and quality.
pub fn image_credits(provider: &str, quality: &str) -> i64 {
    let hd = quality.eq_ignore_ascii_case("hd") || quality.eq_ignore_ascii_case("high");
    match (provider, hd) {
        ("openai", true) => 4,
        ("openai", false) | ("runware", true) => 2,
        _ => 1,
    }
}

/// Dollars per million tokens (input, output) of chat models, by name prefix; the
/// first matching row wins, so more specific names come first. OpenAI's list prices.
const CHAT_PRICES: &[(&str, f64, f64)] = &[
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5.1-mini", 0.25, 2.00),
    ("gpt-5", 1.25, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("o4-mini", 1.10, 4.40),
    ("o3-mini", 1.10, 4.40),
    ("o3", 2.00, 8.00),
    ("o1-mini", 1.10, 4.40),
    ("o1", 15.00, 60.00),
];

/// Dollars per 1024×1024 image (standard, hd) by model.
const IMAGE_PRICES: &[(&str, f64, f64)] = &[
    ("dall-e-3", 0.04, 0.08),
    ("dall-e-2", 0.02, 0.02),
    ("gpt-image-1-mini", 0.011, 0.036),
    ("gpt-image-1", 0.042, 0.167),
];

/// Prices an operator sets without a release: `AI_MODEL_PRICES`, a JSON object of model
/// name (or prefix) → `{"input": $/M tokens, "output": $/M tokens}` for chat models or
/// `{"image": $, "image_hd": $}` for image models. They win over the built-in table.
#[derive(Debug, Clone, Default, serde::Deserialize)]
struct OperatorPrice {
    input: Option<f64>,
    output: Option<f64>,
    image: Option<f64>,
    image_hd: Option<f64>,
}

fn operator_prices() -> &'static Vec<(String, OperatorPrice)> {
    static PRICES: std::sync::OnceLock<Vec<(String, OperatorPrice)>> = std::sync::OnceLock::new();
    PRICES.get_or_init(|| {
        let Ok(text) = std::env::var("AI_MODEL_PRICES") else {
            return Vec::new();
        };
        match serde_json::from_str::<std::collections::BTreeMap<String, OperatorPrice>>(&text) {
            // Longest names first, so a specific entry wins over a prefix.
            Ok(map) => {
                let mut prices: Vec<(String, OperatorPrice)> = map.into_iter().collect();
                prices.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
                prices
            }
            Err(e) => {
                tracing::error!(error = %e, "AI_MODEL_PRICES is not valid JSON; it is ignored");
                Vec::new()
            }
        }
    })
}

fn operator_price(model: &str) -> Option<&'static OperatorPrice> {
    operator_prices().iter().find(|(name, _)| model.starts_with(name.as_str())).map(|(_, p)| p)
}

/// Why a model's cost cannot be figured.
pub fn no_price(model: &str) -> String {
    format!("no price is known for the model {model} (an operator can set one in AI_MODEL_PRICES)")
}

/// Dollars per million tokens (input, output) of a chat model, if known.
pub fn chat_price(model: &str) -> Option<(f64, f64)> {
    if let Some(p) = operator_price(model)
        && let (Some(input), Some(output)) = (p.input, p.output)
    {
        return Some((input, output));
    }
    CHAT_PRICES.iter().find(|(prefix, ..)| model.starts_with(prefix)).map(|(_, i, o)| (*i, *o))
}

/// Our cost of a chat call in millionths of a dollar; Err says why it is unknown. The
/// offline provider costs nothing.
pub fn chat_cost_micros(model: &str, tokens_in: u64, tokens_out: u64, usage_reported: bool) -> Result<i64, String> {
    if model == crate::provider::offline::MODEL {
        return Ok(0);
    }
    if !usage_reported {
        return Err("the provider reported no token counts".into());
    }
    let (input, output) = chat_price(model).ok_or_else(|| no_price(model))?;
    Ok((tokens_in as f64 * input + tokens_out as f64 * output).round() as i64)
}

/// US dollars for one image of `model` at `quality` (`standard`/`hd`, or the GPT image
/// models' `medium`/`high`), if known. The square price is recorded for every size.
pub fn image_price(model: &str, quality: &str) -> Option<f64> {
    let hd = matches!(quality, "hd" | "high");
    if let Some(p) = operator_price(model) {
        let price = if hd { p.image_hd.or(p.image) } else { p.image };
        if price.is_some() {
            return price;
        }
    }
    IMAGE_PRICES
        .iter()
        .find(|(name, ..)| model.starts_with(name))
        .map(|(_, standard, high)| if hd { *high } else { *standard })
}

pub fn usd_to_micros(usd: f64) -> i64 {
    (usd * 1_000_000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_spec() {
        assert_eq!(
            (content_credits(0), content_credits(500), content_credits(501), content_credits(1500)),
            (1, 1, 2, 3)
        );
        assert_eq!((image_prompt_credits(1), image_prompt_credits(4), image_prompt_credits(5)), (1, 2, 3));
        assert_eq!(ideas_credits(3), 6);
        assert_eq!(image_credits("offline", "hd"), 1);
        assert_eq!(image_credits("openai", "hd"), 4);
        assert_eq!(image_credits("runware", "standard"), 1);
        assert_eq!(chat_cost_micros("gpt-4o-mini", 1_000_000, 0, true), Ok(150_000));
        assert_eq!(chat_cost_micros("gpt-5-mini-2025-08-07", 1_000_000, 1_000_000, true), Ok(2_250_000));
        assert_eq!(chat_cost_micros("gpt-5", 1_000_000, 0, true), Ok(1_250_000));
        assert_eq!(chat_cost_micros("offline-deterministic", 5_000, 5_000, false), Ok(0));
        let unknown = chat_cost_micros("llama-3.1-70b", 10, 10, true).unwrap_err();
        assert!(unknown.contains("llama-3.1-70b") && unknown.contains("AI_MODEL_PRICES"), "{unknown}");
        assert!(chat_cost_micros("gpt-5-mini", 10, 10, false).unwrap_err().contains("token counts"));
        assert_eq!(image_price("dall-e-3", "hd"), Some(0.08));
        assert_eq!(image_price("gpt-image-1", "high"), Some(0.167));
        assert_eq!(image_price("gpt-image-1-mini", "medium"), Some(0.011));
        assert_eq!(image_price("flux-local", "hd"), None);
    }
}
