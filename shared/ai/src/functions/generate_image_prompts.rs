//! Articles → image records: a featured image and in-article images, each with a
//! prompt, alt text and caption, ready for `generate_images`. Prompts made earlier for
//! the same article and not yet turned into images are replaced, not added to.
//! Half a credit per prompt, rounded up per article.

use igny8_store::Conflict;
use igny8_store::ImageId;
use std::collections::HashMap;

use igny8_store::{Content, Image, ImageStatus, ImageType, Scoped, StoreError, Tx, UnitOutcome, now};
use serde::Deserialize;

use super::{ask, chat_usage, clipped, json_answer, offline_text, required, typed};
use crate::engine::{Answer, Ctx, ItemFunction};
use crate::pricing::image_prompt_credits;
use crate::prompts::fill;
use crate::provider::ChatAnswer;

pub struct GenerateImagePrompts;

pub const DEFAULT_IN_ARTICLE_IMAGES: u64 = 2;

pub struct ArticleInput {
    content: Content,
    headings: Vec<String>,
    /// Earlier prompts of this article without an image yet.
    pending: Vec<Image>,
}

#[derive(Deserialize)]
struct PromptAnswer {
    prompt: String,
    #[serde(default)]
    alt_text: String,
    #[serde(default)]
    caption: String,
}

#[derive(Deserialize)]
struct PromptsAnswer {
    featured: PromptAnswer,
    #[serde(default)]
    in_article: Vec<PromptAnswer>,
}

pub struct PromptsOutput {
    images: Vec<Image>,
    answer: ChatAnswer,
}

fn in_article_count(ctx: &Ctx) -> u64 {
    ctx.job.options.get("in_article_images").and_then(|v| v.as_u64()).unwrap_or(DEFAULT_IN_ARTICLE_IMAGES)
}

/// The texts of the article's `<h2>` headings.
fn headings(html: &str) -> Vec<String> {
    html.split("<h2")
        .skip(1)
        .filter_map(|rest| {
            let text = &rest[rest.find('>')? + 1..rest.find("</h2>")?];
            let plain: String = text.split('<').map(|part| part.split_once('>').map_or(part, |(_, t)| t)).collect();
            Some(plain.trim().to_owned()).filter(|t| !t.is_empty())
        })
        .collect()
}

#[async_trait::async_trait]
impl ItemFunction for GenerateImagePrompts {
    type Input = ArticleInput;
    type Output = PromptsOutput;

    fn name(&self) -> &'static str {
        "generate_image_prompts"
    }

    async fn load(&self, ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, Result<ArticleInput, String>)>, StoreError> {
        let found: Vec<Content> = ctx.store.find_many(&ctx.job.account_id, &typed(ids)).await?;
        // Images are listed per sector: read each sector once, not once per article.
        let mut sectors: HashMap<&str, Vec<Image>> = HashMap::new();
        for content in &found {
            if !sectors.contains_key(content.sector_id.as_str()) {
                let images =
                    ctx.store.list_scope(&content.account_id, &content.site_id, Some(&content.sector_id)).await?;
                sectors.insert(&content.sector_id, images);
            }
        }
        let mut loaded = Vec::new();
        for id in ids {
            let Some(content) = found.iter().find(|c| &c.id == id) else {
                loaded.push((id.clone(), Err("the article was deleted".to_owned())));
                continue;
            };
            let html = match &content.html_s3_key {
                Some(key) => match ctx.media.get_text(key).await {
                    Ok(html) => html,
                    Err(e) => {
                        tracing::warn!(error = %e, "article body unreadable");
                        loaded.push((id.clone(), Err("the article's body could not be read".to_owned())));
                        continue;
                    }
                },
                None => content.html.clone(),
            };
            let pending = sectors[content.sector_id.as_str()]
                .iter()
                .filter(|i| i.content_id.as_deref() == Some(&content.id) && i.status == ImageStatus::Pending)
                .cloned()
                .collect();
            loaded
                .push((id.clone(), Ok(ArticleInput { content: content.clone(), headings: headings(&html), pending })));
        }
        Ok(loaded)
    }

    async fn call(&self, ctx: &Ctx, input: &ArticleInput) -> Result<Answer, String> {
        let count = in_article_count(ctx);
        let prompt = fill(
            &ctx.prompt,
            &[("title", &input.content.title), ("outline", &input.headings.join("\n")), ("count", &count.to_string())],
        );
        ask(ctx, prompt, crate::schemas::image_prompts(), || {
            offline_text::image_prompts(&input.content.title, &input.headings, count as usize)
        })
        .await
    }

    fn parse(&self, ctx: &Ctx, input: &ArticleInput, answer: Answer) -> Result<PromptsOutput, String> {
        let (parsed, chat): (PromptsAnswer, _) = json_answer(answer)?;
        let content = &input.content;
        let now = now();
        let image = |answer: &PromptAnswer, image_type: ImageType, position: u32| -> Result<Image, String> {
            Ok(Image {
                id: ImageId::generate(),
                account_id: content.account_id.clone(),
                site_id: content.site_id.clone(),
                sector_id: content.sector_id.clone(),
                content_id: Some(content.id.clone()),
                image_type,
                prompt: required("image prompt", &answer.prompt, 2000)?,
                alt_text: clipped(&answer.alt_text, 255),
                caption: clipped(&answer.caption, 500),
                position,
                status: ImageStatus::Pending,
                url: None,
                s3_key: None,
                content_type: None,
                created_at: now.clone(),
                updated_at: now.clone(),
            })
        };
        let mut images = vec![image(&parsed.featured, ImageType::Featured, 0)?];
        for (n, answer) in parsed.in_article.iter().take(in_article_count(ctx) as usize).enumerate() {
            images.push(image(answer, ImageType::InArticle, n as u32 + 1)?);
        }
        Ok(PromptsOutput { images, answer: chat })
    }

    async fn save(&self, ctx: &Ctx, input: &ArticleInput, output: &PromptsOutput) -> Result<(Tx, UnitOutcome), String> {
        let table = ctx.store.table();
        let mut tx = Tx::new();
        // Only prompts still without an image go: one drawn since the job read them is
        // kept, and this article's new prompts are not saved this time.
        for old in input.pending.iter().take(40) {
            tx.delete_where(table, old.key(), "attribute_not_exists(s3_key)", Default::default(), Conflict::ImageDrawn);
        }
        for image in &output.images {
            tx.create(table, image.record().map_err(|e| e.to_string())?, Conflict::Exists);
        }
        tx.check(table, input.content.key(), "attribute_exists(PK)", Default::default(), Conflict::Missing);
        tx.check_sector_open(table, &input.content.account_id, &input.content.sector_id);
        let usage = chat_usage(&output.answer);
        let outcome = UnitOutcome {
            results: output.images.iter().map(|i| i.id.to_string()).collect(),
            credits: image_prompt_credits(output.images.len() as u64),
            ..usage
        };
        Ok((tx, outcome))
    }

    fn used(&self, ctx: &Ctx, output: &PromptsOutput) -> (String, String) {
        (ctx.text.name().to_owned(), output.answer.model.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_read_from_h2_tags() {
        let html = "<p>x</p><h2>First <em>one</em></h2><p>y</p><h2 id=\"a\">Second</h2><h2></h2>";
        assert_eq!(headings(html), vec!["First one", "Second"]);
    }
}
