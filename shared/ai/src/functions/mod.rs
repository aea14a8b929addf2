//! The five AI functions and their registry. Each turns model answers into stored
//! objects; the engine runs them through the phases.

mod auto_cluster;
mod generate_content;
mod generate_ideas;
mod generate_image_prompts;
mod generate_images;
mod offline_text;

use serde::de::DeserializeOwned;

use crate::engine::{Answer, Ctx, EngineError, ItemFunction, Runner, run_items};
use crate::pricing::chat_cost_micros;
use crate::provider::{AnswerSchema, ChatAnswer, ChatRequest, Message};
use igny8_store::{Id, IdKind, UnitOutcome};

pub use auto_cluster::{AutoCluster, BUILTIN_METHOD, MAX_AI_KEYWORDS};
pub use generate_content::GenerateContent;
pub use generate_ideas::DEFAULT_IDEAS_PER_CLUSTER;
pub use generate_ideas::GenerateIdeas;
pub use generate_image_prompts::DEFAULT_IN_ARTICLE_IMAGES;
pub use generate_image_prompts::GenerateImagePrompts;
pub use generate_images::GenerateImages;

/// A job's input ids (text, as one job item serves every function) as ids of the
/// kind the function reads.
fn typed<K: IdKind>(ids: &[String]) -> Vec<Id<K>> {
    ids.iter().map(Id::from).collect()
}

/// The function registered under `name`.
pub fn runner(name: &str) -> Option<&'static dyn Runner> {
    match name {
        "auto_cluster" => Some(&AutoCluster),
        "generate_ideas" => Some(&Items(GenerateIdeas)),
        "generate_content" => Some(&Items(GenerateContent)),
        "generate_image_prompts" => Some(&Items(GenerateImagePrompts)),
        "generate_images" => Some(&Items(GenerateImages)),
        _ => None,
    }
}

/// Runs an item function through the engine's item phases.
struct Items<F>(F);

#[async_trait::async_trait]
impl<F: ItemFunction> Runner for Items<F> {
    async fn run(&self, ctx: &mut Ctx) -> Result<(), EngineError> {
        run_items(&self.0, ctx).await
    }
}

/// Asks the account's text provider with the filled prompt (plus author profile and
/// strategy); `draft` is what the offline provider answers.
pub(crate) async fn ask(
    ctx: &Ctx,
    prompt: String,
    schema: AnswerSchema,
    draft: impl FnOnce() -> String,
) -> Result<Answer, String> {
    let request = ChatRequest {
        model: ctx.settings.model.clone(),
        messages: vec![
            Message::system("You are the content engine of an SEO platform. Answer with one JSON object only."),
            Message::user(format!("{prompt}{}", ctx.guidance)),
        ],
        temperature: ctx.settings.temperature,
        max_tokens: ctx.settings.max_tokens,
        schema: Some(schema),
        offline_draft: ctx.is_offline().then(draft),
    };
    ctx.text.complete(&request).await.map(Answer::Text).map_err(|e| format!("AI provider: {e}"))
}

/// The JSON object of a text answer, in the shape `T`, with the answer (for its token
/// counts); a clear reason otherwise.
pub(crate) fn json_answer<T: DeserializeOwned>(answer: Answer) -> Result<(T, ChatAnswer), String> {
    let Answer::Text(chat) = answer else {
        return Err("expected a text answer".into());
    };
    let text = strip_fences(&chat.text);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("the model's answer is not the JSON asked for: {}", e.inner())
        } else {
            format!("the model's answer is not the JSON asked for: {path}: {}", e.inner())
        }
    })?;
    Ok((parsed, chat))
}

/// Models sometimes wrap JSON in a Markdown code fence despite being asked not to.
fn strip_fences(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(inner) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let inner = inner.strip_prefix("json").unwrap_or(inner);
    inner.strip_suffix("```").unwrap_or(inner).trim()
}

/// Token counts and our dollar cost of a chat answer, for a unit's outcome; the cost
/// note says why the cost is unknown when it is.
pub(crate) fn chat_usage(answer: &ChatAnswer) -> UnitOutcome {
    let cost = chat_cost_micros(&answer.model, answer.tokens_in, answer.tokens_out, answer.usage_reported);
    UnitOutcome {
        tokens_in: answer.tokens_in,
        tokens_out: answer.tokens_out,
        cost_micros: cost.as_ref().copied().unwrap_or(0),
        cost_note: cost.err(),
        ..Default::default()
    }
}

/// A required, non-blank text of at most `max` characters, trimmed.
pub(crate) fn required(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("the model's answer has an empty {field}"));
    }
    if value.chars().count() > max {
        return Err(format!("the model's answer has a {field} longer than {max} characters"));
    }
    Ok(value.to_owned())
}

/// An optional text, trimmed and cut to `max` characters.
pub(crate) fn clipped(value: &str, max: usize) -> String {
    value.trim().chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_json_is_unwrapped() {
        assert_eq!(strip_fences("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_fences("  {\"a\":1} "), "{\"a\":1}");
    }

    #[test]
    fn answers_not_in_shape_say_where() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Shape {
            items: Vec<u32>,
        }
        let answer = |text: &str| {
            Answer::Text(ChatAnswer {
                text: text.into(),
                model: "m".into(),
                tokens_in: 0,
                tokens_out: 0,
                usage_reported: true,
            })
        };
        let err = json_answer::<Shape>(answer("{\"items\":[1,\"x\"]}")).err().unwrap();
        assert!(err.contains("items[1]"), "{err}");
        assert!(json_answer::<Shape>(answer("not json")).is_err());
        assert_eq!(json_answer::<Shape>(answer("{\"items\":[2]}")).unwrap().0.items, vec![2]);
    }
}
