//! Clusters → content ideas. Two credits per cluster.

use igny8_store::Conflict;
use igny8_store::IdeaId;
use std::collections::HashMap;

use igny8_store::{
    Cluster, ContentStructure, ContentType, Idea, IdeaStatus, Keyword, Scoped, StoreError, Tx, UnitOutcome, now,
};
use serde::Deserialize;

use super::{ask, chat_usage, clipped, json_answer, offline_text, required, typed};
use crate::engine::{Answer, Ctx, ItemFunction};
use crate::pricing::ideas_credits;
use crate::prompts::fill;

pub struct GenerateIdeas;

pub const DEFAULT_IDEAS_PER_CLUSTER: u64 = 3;

pub struct ClusterInput {
    cluster: Cluster,
    /// Keyword texts, most searched first.
    keywords: Vec<String>,
}

#[derive(Deserialize)]
struct IdeasAnswer {
    ideas: Vec<IdeaAnswer>,
}

#[derive(Deserialize)]
struct IdeaAnswer {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    content_type: Option<ContentType>,
    #[serde(default)]
    content_structure: Option<ContentStructure>,
    #[serde(default)]
    target_keywords: Vec<String>,
    #[serde(default)]
    estimated_word_count: Option<u32>,
}

pub struct IdeasOutput {
    ideas: Vec<Idea>,
    answer: crate::provider::ChatAnswer,
}

fn ideas_per_cluster(ctx: &Ctx) -> u64 {
    ctx.job.options.get("ideas_per_cluster").and_then(|v| v.as_u64()).unwrap_or(DEFAULT_IDEAS_PER_CLUSTER)
}

#[async_trait::async_trait]
impl ItemFunction for GenerateIdeas {
    type Input = ClusterInput;
    type Output = IdeasOutput;

    fn name(&self) -> &'static str {
        "generate_ideas"
    }

    async fn load(&self, ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, Result<ClusterInput, String>)>, StoreError> {
        let found: Vec<Cluster> = ctx.store.find_many(&ctx.job.account_id, &typed(ids)).await?;
        // Keywords are listed per sector: read each sector once, not once per cluster.
        let mut sectors: HashMap<&str, Vec<Keyword>> = HashMap::new();
        for cluster in &found {
            if !sectors.contains_key(cluster.sector_id.as_str()) {
                let keywords =
                    ctx.store.list_scope(&cluster.account_id, &cluster.site_id, Some(&cluster.sector_id)).await?;
                sectors.insert(&cluster.sector_id, keywords);
            }
        }
        let mut loaded = Vec::new();
        for id in ids {
            let Some(cluster) = found.iter().find(|c| &c.id == id) else {
                loaded.push((id.clone(), Err("the cluster was deleted".to_owned())));
                continue;
            };
            let mut keywords: Vec<&Keyword> = sectors[cluster.sector_id.as_str()]
                .iter()
                .filter(|k| k.cluster_id.as_deref() == Some(cluster.id.as_str()))
                .collect();
            keywords.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.keyword.cmp(&b.keyword)));
            let keywords = keywords.into_iter().map(|k| k.keyword.clone()).collect();
            loaded.push((id.clone(), Ok(ClusterInput { cluster: cluster.clone(), keywords })));
        }
        Ok(loaded)
    }

    async fn call(&self, ctx: &Ctx, input: &ClusterInput) -> Result<Answer, String> {
        let count = ideas_per_cluster(ctx);
        let prompt = fill(
            &ctx.prompt,
            &[
                ("cluster", &input.cluster.name),
                ("keywords", &input.keywords.join("\n")),
                ("count", &count.to_string()),
            ],
        );
        ask(ctx, prompt, crate::schemas::ideas(), || {
            offline_text::ideas(&input.cluster.name, &input.keywords, count as usize)
        })
        .await
    }

    fn parse(&self, ctx: &Ctx, input: &ClusterInput, answer: Answer) -> Result<IdeasOutput, String> {
        let (parsed, chat): (IdeasAnswer, _) = json_answer(answer)?;
        let asked = ideas_per_cluster(ctx) as usize;
        if parsed.ideas.is_empty() {
            return Err("the model proposed no ideas".into());
        }
        let cluster = &input.cluster;
        let now = now();
        let ideas = parsed
            .ideas
            .into_iter()
            .take(asked)
            .map(|idea| {
                Ok(Idea {
                    id: IdeaId::generate(),
                    account_id: cluster.account_id.clone(),
                    site_id: cluster.site_id.clone(),
                    sector_id: cluster.sector_id.clone(),
                    title: required("idea title", &idea.title, 255)?,
                    description: clipped(&idea.description, 5000),
                    content_type: idea.content_type.unwrap_or_default(),
                    content_structure: idea.content_structure.unwrap_or_default(),
                    target_keywords: idea
                        .target_keywords
                        .iter()
                        .map(|k| clipped(k, 255))
                        .filter(|k| !k.is_empty())
                        .take(20)
                        .collect(),
                    cluster_id: Some(cluster.id.clone()),
                    estimated_word_count: idea.estimated_word_count.unwrap_or(1200).clamp(300, 10_000),
                    status: IdeaStatus::Draft,
                    task_id: None,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(IdeasOutput { ideas, answer: chat })
    }

    async fn save(&self, ctx: &Ctx, input: &ClusterInput, output: &IdeasOutput) -> Result<(Tx, UnitOutcome), String> {
        let table = ctx.store.table();
        let mut tx = Tx::new();
        for idea in &output.ideas {
            tx.create(table, idea.record().map_err(|e| e.to_string())?, Conflict::Exists);
        }
        tx.check(table, input.cluster.key(), "attribute_exists(PK)", Default::default(), Conflict::Missing);
        tx.check_sector_open(table, &input.cluster.account_id, &input.cluster.sector_id);
        let usage = chat_usage(&output.answer);
        let outcome = UnitOutcome {
            results: output.ideas.iter().map(|i| i.id.to_string()).collect(),
            credits: ideas_credits(1),
            account_counts: vec![("ideas_count", output.ideas.len() as i64)],
            ..usage
        };
        Ok((tx, outcome))
    }

    fn used(&self, ctx: &Ctx, output: &IdeasOutput) -> (String, String) {
        (ctx.text.name().to_owned(), output.answer.model.clone())
    }
}
