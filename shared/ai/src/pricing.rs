//! What AI operations cost: credits (the customer's price, SPEC.md billing) and US
//! dollars (ours, from the provider's token prices).
//!
//! Credits are whole numbers. Where SPEC prices a fraction (image prompts at 0.5 each),
//! the charge is rounded up per saved unit: one article's prompts are one unit.

use serde::Serialize;

/// One row of `GET /billing/costs/`.
#[derive(Debug, Clone, Serialize)]
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

/// Our cost of a chat call in millionths of a dollar, from public per-million-token
/// prices; 0 for models not listed (and for the offline provider).
pub fn chat_cost_micros(model: &str, tokens_in: u64, tokens_out: u64) -> i64 {
    // (input, output) dollars per million tokens
    let (input, output) = match model {
        m if m.starts_with("gpt-4o-mini") => (0.15, 0.60),
        m if m.starts_with("gpt-4o") => (2.50, 10.00),
        m if m.starts_with("gpt-4.1-nano") => (0.10, 0.40),
        m if m.starts_with("gpt-4.1-mini") => (0.40, 1.60),
        m if m.starts_with("gpt-4.1") => (2.00, 8.00),
        _ => (0.0, 0.0),
    };
    (tokens_in as f64 * input + tokens_out as f64 * output).round() as i64
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
        assert_eq!(chat_cost_micros("gpt-4o-mini", 1_000_000, 0), 150_000);
        assert_eq!(chat_cost_micros("offline-deterministic", 5_000, 5_000), 0);
    }
}
