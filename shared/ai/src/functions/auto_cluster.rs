//! Keywords → clusters. Ten credits per run, whatever the number of keywords.
//!
//! Unlike the item functions, one model answer (or one run of the built-in algorithm)
//! covers many keywords and produces many clusters, so the run is planned first: the
//! plan — every cluster with its id, name and keywords — is written to the job once
//! (`put_job_part_once`) and every attempt works from that same plan. Clusters are then
//! created in units of forty (the first unit carries the charge), and keywords are
//! assigned through `apply_keyword_changes`, which keeps each cluster's count and
//! volume true. A retry skips saved units and keywords already in their cluster.

use std::collections::{BTreeMap, HashMap};

use igny8_store::{Cluster, ClusterStatus, JobPhase, Keyword, KeywordChange, Scoped, Tx, UnitOutcome, new_id, now};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ask, chat_usage, clipped, json_answer, required};
use crate::cluster::{KeywordInput, cluster_keywords};
use crate::engine::{Ctx, EngineError, Runner, Saved, lease, save_unit};
use crate::pricing::CLUSTERING_PER_RUN;
use crate::prompts::fill;

pub struct AutoCluster;

/// `options.method` that clusters with the built-in algorithm whatever the provider.
pub const BUILTIN_METHOD: &str = "builtin";
/// Keywords per model call (a prompt and its answer must fit the model's context).
const KEYWORDS_PER_CALL: usize = 300;
const CLUSTERS_PER_UNIT: usize = 40;

#[derive(Debug, Serialize, Deserialize)]
struct PlannedCluster {
    id: String,
    sector_id: String,
    name: String,
    description: String,
    keyword_ids: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Plan {
    clusters: Vec<PlannedCluster>,
    /// Input keywords that were gone, or that no cluster of the answer named.
    unplaced: usize,
    tokens_in: u64,
    tokens_out: u64,
    cost_micros: i64,
    provider: String,
    model: String,
}

#[derive(Deserialize)]
struct ClustersAnswer {
    clusters: Vec<ClusterAnswer>,
}

#[derive(Deserialize)]
struct ClusterAnswer {
    name: String,
    #[serde(default)]
    description: String,
    keywords: Vec<String>,
}

#[async_trait::async_trait]
impl Runner for AutoCluster {
    async fn run(&self, ctx: &mut Ctx) -> Result<(), EngineError> {
        let plan = match ctx.store.job_part(&ctx.job.account_id, &ctx.job.id, "plan").await? {
            Some(text) => serde_json::from_str(&text).map_err(|e| igny8_store::StoreError::Corrupt(e.to_string()))?,
            None => match make_plan(ctx).await? {
                Ok(plan) => {
                    let text =
                        serde_json::to_string(&plan).map_err(|e| igny8_store::StoreError::Corrupt(e.to_string()))?;
                    let kept = ctx.store.put_job_part_once(&ctx.job, "plan", text).await?;
                    serde_json::from_str(&kept).map_err(|e| igny8_store::StoreError::Corrupt(e.to_string()))?
                }
                Err(reason) => {
                    ctx.failure = Some(reason);
                    return Ok(());
                }
            },
        };
        save_plan(ctx, &plan).await
    }
}

async fn input_ids(ctx: &Ctx) -> Result<Vec<String>, EngineError> {
    if !ctx.job.item_ids.is_empty() {
        return Ok(ctx.job.item_ids.clone());
    }
    let text = ctx.store.job_part(&ctx.job.account_id, &ctx.job.id, "input").await?.unwrap_or_default();
    Ok(text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
}

/// PREP, AI_CALL and PARSE: the plan, or why there can be none.
async fn make_plan(ctx: &mut Ctx) -> Result<Result<Plan, String>, EngineError> {
    let ids = input_ids(ctx).await?;
    let keywords: Vec<Keyword> = ctx.store.find_many(&ctx.job.account_id, &ids).await?;
    let mut sectors: BTreeMap<String, Vec<Keyword>> = BTreeMap::new();
    for keyword in keywords.into_iter().filter(|k| k.cluster_id.is_none()) {
        sectors.entry(keyword.sector_id.clone()).or_default().push(keyword);
    }
    let mut plan = Plan {
        clusters: Vec::new(),
        unplaced: ids.len() - sectors.values().map(Vec::len).sum::<usize>(),
        tokens_in: 0,
        tokens_out: 0,
        cost_micros: 0,
        provider: ctx.text.name().to_owned(),
        model: String::new(),
    };
    ctx.phase(JobPhase::AiCall).await?;
    let per_call = if ctx.is_offline() { usize::MAX } else { KEYWORDS_PER_CALL };
    let mut answers = Vec::new();
    for (sector_id, mut keywords) in sectors {
        keywords.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.keyword.cmp(&b.keyword)));
        for batch in keywords.chunks(per_call) {
            let prompt = fill(
                &ctx.prompt,
                &[("keywords", &batch.iter().map(|k| k.keyword.as_str()).collect::<Vec<_>>().join("\n"))],
            );
            match ask(ctx, prompt, || builtin_answer(batch)).await {
                Ok(answer) => answers.push((sector_id.clone(), batch.to_vec(), answer)),
                Err(reason) => return Ok(Err(reason)),
            }
        }
    }
    ctx.phase(JobPhase::Parse).await?;
    for (sector_id, batch, answer) in answers {
        let (parsed, chat): (ClustersAnswer, _) = match json_answer(answer) {
            Ok(parsed) => parsed,
            Err(reason) => return Ok(Err(reason)),
        };
        let (tokens_in, tokens_out, cost) = chat_usage(&chat);
        plan.tokens_in += tokens_in;
        plan.tokens_out += tokens_out;
        plan.cost_micros += cost;
        plan.model = chat.model;
        match place(&sector_id, &batch, parsed) {
            Ok((clusters, unplaced)) => {
                plan.clusters.extend(clusters);
                plan.unplaced += unplaced;
            }
            Err(reason) => return Ok(Err(reason)),
        }
    }
    Ok(Ok(plan))
}

/// What the offline provider answers: the built-in clustering, in the model's format.
fn builtin_answer(batch: &[Keyword]) -> String {
    let inputs: Vec<KeywordInput> =
        batch.iter().map(|k| KeywordInput { text: k.keyword.clone(), volume: k.volume }).collect();
    let clusters: Vec<serde_json::Value> = cluster_keywords(&inputs)
        .into_iter()
        .map(|c| {
            json!({
                "name": c.name,
                "description": c.description,
                "keywords": c.members.iter().map(|&m| &batch[m].keyword).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "clusters": clusters }).to_string()
}

/// Maps the answer's keyword texts back to the batch's keywords. Each keyword goes to
/// the first cluster naming it; texts that are not in the batch are ignored (a model
/// may rephrase), clusters left without keywords are dropped.
fn place(sector_id: &str, batch: &[Keyword], answer: ClustersAnswer) -> Result<(Vec<PlannedCluster>, usize), String> {
    let mut by_text: HashMap<String, &Keyword> = batch.iter().map(|k| (k.normalised(), k)).collect();
    let mut clusters = Vec::new();
    for cluster in answer.clusters {
        let keyword_ids: Vec<String> = cluster
            .keywords
            .iter()
            .filter_map(|text| by_text.remove(&igny8_store::keys::normalise(text)))
            .map(|k| k.id.clone())
            .collect();
        if keyword_ids.is_empty() {
            continue;
        }
        clusters.push(PlannedCluster {
            id: new_id("cl"),
            sector_id: sector_id.to_owned(),
            name: required("cluster name", &cluster.name, 255)?,
            description: clipped(&cluster.description, 2000),
            keyword_ids,
        });
    }
    if clusters.is_empty() && !batch.is_empty() {
        return Err("the model's answer places none of the keywords in a cluster".into());
    }
    Ok((clusters, by_text.len()))
}

/// SAVE: clusters in units (the first one charged), then keyword assignments.
async fn save_plan(ctx: &mut Ctx, plan: &Plan) -> Result<(), EngineError> {
    ctx.phase(JobPhase::Save).await?;
    let stamp = now();
    let (account_id, site_id) = (ctx.job.account_id.clone(), ctx.job.site_id.clone());
    for (n, chunk) in plan.clusters.chunks(CLUSTERS_PER_UNIT).enumerate() {
        let unit = format!("clusters-{n}");
        if ctx.store.job_unit_saved(&ctx.job, &unit).await? {
            continue;
        }
        let table = ctx.store.table().to_owned();
        let mut tx = Tx::new();
        let mut sectors: Vec<&str> = Vec::new();
        for planned in chunk {
            let cluster = Cluster {
                id: planned.id.clone(),
                account_id: account_id.clone(),
                site_id: site_id.clone(),
                sector_id: planned.sector_id.clone(),
                name: planned.name.clone(),
                description: planned.description.clone(),
                status: ClusterStatus::Active,
                keywords_count: 0,
                volume: 0,
                created_at: stamp.clone(),
                updated_at: stamp.clone(),
            };
            tx.create(&table, cluster.record()?, "exists");
            if !sectors.contains(&planned.sector_id.as_str()) {
                sectors.push(&planned.sector_id);
            }
        }
        for sector in sectors {
            tx.check_sector_open(&table, &account_id, sector);
        }
        let first = n == 0;
        let outcome = UnitOutcome {
            results: chunk.iter().map(|c| c.id.clone()).collect(),
            credits: if first { CLUSTERING_PER_RUN } else { 0 },
            tokens_in: if first { plan.tokens_in } else { 0 },
            tokens_out: if first { plan.tokens_out } else { 0 },
            cost_micros: if first { plan.cost_micros } else { 0 },
            ..Default::default()
        };
        match save_unit(ctx, &unit, tx, outcome, "auto_cluster", &plan.provider, &plan.model).await? {
            Saved::Yes | Saved::Before => {}
            Saved::InsufficientCredits { needed, balance } => {
                ctx.failure = Some(format!("INSUFFICIENT_CREDITS: {needed} credits needed, {balance} left"));
                return Ok(());
            }
            Saved::Rejected(label) => {
                ctx.failure = Some(format!("clusters not saved: {label}"));
                return Ok(());
            }
        }
    }
    assign_keywords(ctx, plan).await
}

async fn assign_keywords(ctx: &mut Ctx, plan: &Plan) -> Result<(), EngineError> {
    let target: HashMap<&str, &str> =
        plan.clusters.iter().flat_map(|c| c.keyword_ids.iter().map(move |k| (k.as_str(), c.id.as_str()))).collect();
    let ids: Vec<String> = target.keys().map(|k| (*k).to_owned()).collect();
    let current: Vec<Keyword> = ctx.store.find_many(&ctx.job.account_id, &ids).await?;
    let stamp = now();
    let (mut placed, mut changes) = (0u64, Vec::new());
    for keyword in current {
        let cluster_id = target[keyword.id.as_str()];
        match keyword.cluster_id.as_deref() {
            Some(existing) if existing == cluster_id => placed += 1,
            Some(_) => {} // moved by someone while the job ran: theirs wins
            None => {
                let mut after = keyword.clone();
                after.cluster_id = Some(cluster_id.to_owned());
                after.updated_at = stamp.clone();
                changes.push(KeywordChange { before: Some(keyword), after: Some(after) });
            }
        }
    }
    let outcome = ctx.store.apply_keyword_changes(&changes).await?;
    placed += outcome.applied.len() as u64;
    let failed = ctx.job.total.saturating_sub(placed);
    ctx.job = lease(ctx.store.set_job_counts(&ctx.job, placed, failed).await)?;
    Ok(())
}
