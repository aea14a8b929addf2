//! Tasks → articles: sanitised HTML with title, meta title and description, slug and
//! keywords; the task is completed in the same transaction. One credit per 500 words.

use igny8_media::html::sanitise;
use igny8_store::Conflict;
use igny8_store::ContentId;
use igny8_store::{Content, ContentStatus, Scoped, StoreError, Task, TaskStatus, Tx, UnitOutcome, Update, now};
use serde::Deserialize;

use super::{ask, chat_usage, clipped, json_answer, offline_text, required, typed};
use crate::engine::{Answer, Ctx, ItemFunction};
use crate::pricing::content_credits;
use crate::prompts::fill;
use crate::provider::ChatAnswer;

pub struct GenerateContent;

/// Articles shorter than this are not what was asked for.
const MIN_WORDS: u32 = 100;

#[derive(Deserialize)]
struct ArticleAnswer {
    title: String,
    #[serde(default)]
    meta_title: String,
    #[serde(default)]
    meta_description: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    primary_keyword: String,
    #[serde(default)]
    secondary_keywords: Vec<String>,
    html: String,
}

pub struct ArticleOutput {
    content: Content,
    html: String,
    answer: ChatAnswer,
}

pub(crate) fn slug_of(text: &str) -> String {
    igny8_http::validate::slugify(text)
}

fn keywords_of(task: &Task) -> Vec<String> {
    if task.keywords.is_empty() { vec![task.title.to_lowercase()] } else { task.keywords.clone() }
}

#[async_trait::async_trait]
impl ItemFunction for GenerateContent {
    type Input = Task;
    type Output = ArticleOutput;

    fn name(&self) -> &'static str {
        "generate_content"
    }

    async fn load(&self, ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, Result<Task, String>)>, StoreError> {
        let found: Vec<Task> = ctx.store.find_many(&ctx.job.account_id, &typed(ids)).await?;
        Ok(ids
            .iter()
            .map(|id| {
                let task = match found.iter().find(|t| &t.id == id) {
                    None => Err("the task was deleted".to_owned()),
                    Some(t) if t.content_id.is_some() => Err("the task has an article already".to_owned()),
                    Some(t) => Ok(t.clone()),
                };
                (id.clone(), task)
            })
            .collect())
    }

    async fn call(&self, ctx: &Ctx, task: &Task) -> Result<Answer, String> {
        let keywords = keywords_of(task);
        let structure = serde_json::to_value(task.content_structure).ok();
        let prompt = fill(
            &ctx.prompt,
            &[
                ("title", &task.title),
                ("description", &task.description),
                ("keywords", &keywords.join(", ")),
                ("word_count", &task.word_count.to_string()),
                ("structure", structure.as_ref().and_then(|s| s.as_str()).unwrap_or("article")),
            ],
        );
        ask(ctx, prompt, crate::schemas::article(), || offline_text::article(&task.title, &keywords, task.word_count))
            .await
    }

    fn parse(&self, _ctx: &Ctx, task: &Task, answer: Answer) -> Result<ArticleOutput, String> {
        let (parsed, chat): (ArticleAnswer, _) = json_answer(answer)?;
        let html = sanitise(&parsed.html);
        let words = igny8_media::html::word_count(&html);
        if words < MIN_WORDS {
            return Err(format!("the model's article has {words} words; at least {MIN_WORDS} are needed"));
        }
        let title = required("title", &parsed.title, 255)?;
        let slug = match slug_of(&parsed.slug) {
            s if s.is_empty() => slug_of(&title),
            s => s,
        };
        let primary = match clipped(&parsed.primary_keyword, 255) {
            k if k.is_empty() => keywords_of(task)[0].clone(),
            k => k,
        };
        let now = now();
        let content = Content {
            id: ContentId::generate(),
            account_id: task.account_id.clone(),
            site_id: task.site_id.clone(),
            sector_id: task.sector_id.clone(),
            task_id: Some(task.id.clone()),
            meta_title: match clipped(&parsed.meta_title, 255) {
                t if t.is_empty() => title.chars().take(60).collect(),
                t => t,
            },
            title,
            html: String::new(),
            html_s3_key: None,
            meta_description: clipped(&parsed.meta_description, 500),
            slug,
            primary_keyword: primary,
            secondary_keywords: parsed
                .secondary_keywords
                .iter()
                .map(|k| clipped(k, 255))
                .filter(|k| !k.is_empty())
                .take(20)
                .collect(),
            word_count: words,
            status: ContentStatus::Draft,
            taxonomy_term_ids: Vec::new(),
            external_id: None,
            external_url: None,
            version: 1,
            version_seq: None,
            created_at: now.clone(),
            updated_at: now,
        };
        Ok(ArticleOutput { content, html, answer: chat })
    }

    async fn save(&self, ctx: &Ctx, task: &Task, output: &ArticleOutput) -> Result<(Tx, UnitOutcome), String> {
        let mut content = output.content.clone();
        igny8_media::place_html(&ctx.media, &mut content, output.html.clone()).await?;
        let table = ctx.store.table();
        let mut tx = Tx::new();
        tx.create(table, content.record().map_err(|e| e.to_string())?, Conflict::Exists);
        let complete = Update::new(task.key())
            .set("status", TaskStatus::Completed)
            .and_then(|u| u.set("content_id", &content.id))
            .and_then(|u| u.set("updated_at", now()))
            .map_err(|e| e.to_string())?
            .when("attribute_not_exists(content_id)");
        tx.update(table, complete, Conflict::Missing);
        tx.check_sector_open(table, &task.account_id, &task.sector_id);
        let usage = chat_usage(&output.answer);
        let outcome = UnitOutcome {
            results: vec![content.id.to_string()],
            credits: content_credits(u64::from(content.word_count)),
            words: u64::from(content.word_count),
            ..usage
        };
        Ok((tx, outcome))
    }

    fn used(&self, ctx: &Ctx, output: &ArticleOutput) -> (String, String) {
        (ctx.text.name().to_owned(), output.answer.model.clone())
    }
}
