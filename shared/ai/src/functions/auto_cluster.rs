//! Keywords → clusters. Ten credits per run, whatever the number of keywords.
//!
//! Unlike the item functions, one model answer (or one run of the built-in algorithm)
//! covers many keywords and produces many clusters, so the run is planned first: the
//! plan — every cluster with its id, name and keywords — is written to the job once
//! (`put_job_part_once`) and every attempt works from that same plan. Clusters are then
//! created in units of forty (the first unit carries the charge), and keywords are
//! assigned through `apply_keyword_changes`, which keeps each cluster's count and
//! volume true. A retry skips saved units and keywords already in their cluster.

use igny8_store::Conflict;
use igny8_store::{ClusterId, KeywordId, SectorId};
use std::collections::{BTreeMap, HashMap, HashSet};

use igny8_store::{
    AttributeValue, Cluster, ClusterStatus, Item, JobPhase, Keyword, KeywordChange, Scoped, Tx, UnitOutcome, now,
    scoped_key,
};
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
/// Keywords per model call: the prompt and, above all, the answer (every keyword again)
/// must fit the model's context and the answer's token limit.
const KEYWORDS_PER_CALL: usize = 200;
/// Keywords one job may send to a model: its calls (four at a time) must end well
/// inside the worker's 15 minutes. More keywords cluster with the built-in method.
pub const MAX_AI_KEYWORDS: usize = 1500;
const CLUSTERS_PER_UNIT: usize = 40;

#[derive(Debug, Serialize, Deserialize)]
struct PlannedCluster {
    id: ClusterId,
    sector_id: SectorId,
    name: String,
    description: String,
    keyword_ids: Vec<KeywordId>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Plan {
    clusters: Vec<PlannedCluster>,
    /// Input keywords that were gone, or that no cluster of the answer named.
    unplaced: usize,
    tokens_in: u64,
    tokens_out: u64,
    cost_micros: i64,
    #[serde(default)]
    cost_note: Option<String>,
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

async fn input_ids(ctx: &Ctx) -> Result<Vec<KeywordId>, EngineError> {
    if !ctx.job.item_ids.is_empty() {
        return Ok(ctx.job.inputs());
    }
    let text = ctx.store.job_part(&ctx.job.account_id, &ctx.job.id, "input").await?.unwrap_or_default();
    Ok(text.lines().filter(|l| !l.is_empty()).map(KeywordId::from).collect())
}

/// PREP, AI_CALL and PARSE: the plan, or why there can be none.
async fn make_plan(ctx: &mut Ctx) -> Result<Result<Plan, String>, EngineError> {
    let ids = input_ids(ctx).await?;
    let keywords: Vec<Keyword> = ctx.store.find_many(&ctx.job.account_id, &ids).await?;
    let mut sectors: BTreeMap<SectorId, Vec<Keyword>> = BTreeMap::new();
    for keyword in keywords.into_iter().filter(|k| k.cluster_id.is_none()) {
        sectors.entry(keyword.sector_id.clone()).or_default().push(keyword);
    }
    let mut plan = Plan {
        clusters: Vec::new(),
        unplaced: ids.len() - sectors.values().map(Vec::len).sum::<usize>(),
        tokens_in: 0,
        tokens_out: 0,
        cost_micros: 0,
        cost_note: None,
        provider: ctx.text.name().to_owned(),
        model: String::new(),
    };
    ctx.phase(JobPhase::AiCall).await?;
    let per_call = if ctx.is_offline() { usize::MAX } else { KEYWORDS_PER_CALL };
    let mut batches: Vec<(SectorId, Vec<Keyword>)> = Vec::new();
    for (sector_id, mut keywords) in sectors {
        keywords.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.keyword.cmp(&b.keyword)));
        batches.extend(keywords.chunks(per_call).map(|batch| (sector_id.clone(), batch.to_vec())));
    }
    // Calls run `concurrency` at a time, like the item functions'.
    let mut answers = Vec::new();
    for group in batches.chunks(ctx.concurrency.max(1)) {
        let shared: &Ctx = ctx;
        let calls = group.iter().map(|(_, batch)| {
            let listed: Vec<&str> = batch.iter().map(|k| k.keyword.as_str()).collect();
            let prompt = fill(&shared.prompt, &[("keywords", &listed.join("\n"))]);
            ask(shared, prompt, crate::schemas::clusters(), || builtin_answer(batch))
        });
        for ((sector_id, batch), answer) in group.iter().zip(futures::future::join_all(calls).await) {
            match answer {
                Ok(answer) => answers.push((sector_id.clone(), batch.clone(), answer)),
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
        let usage = chat_usage(&chat);
        plan.tokens_in += usage.tokens_in;
        plan.tokens_out += usage.tokens_out;
        plan.cost_micros += usage.cost_micros;
        if usage.cost_note.is_some() {
            plan.cost_note = usage.cost_note;
        }
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
fn place(
    sector_id: &SectorId,
    batch: &[Keyword],
    answer: ClustersAnswer,
) -> Result<(Vec<PlannedCluster>, usize), String> {
    let mut by_text: HashMap<String, &Keyword> = batch.iter().map(|k| (k.normalised(), k)).collect();
    let mut clusters = Vec::new();
    for cluster in answer.clusters {
        let keyword_ids: Vec<KeywordId> = cluster
            .keywords
            .iter()
            .filter_map(|text| by_text.remove(&igny8_store::keys::normalise(text)))
            .map(|k| k.id.clone())
            .collect();
        if keyword_ids.is_empty() {
            continue;
        }
        clusters.push(PlannedCluster {
            id: ClusterId::generate(),
            sector_id: sector_id.clone(),
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

/// SAVE: the charge first (nothing is created that cannot be paid for), then clusters
/// in units (a unit whose sector went away is skipped), then keyword assignments. When
/// no keyword could be placed the charge is refunded; clusters left empty are removed.
async fn save_plan(ctx: &mut Ctx, plan: &Plan) -> Result<(), EngineError> {
    ctx.phase(JobPhase::Save).await?;
    let charge = UnitOutcome {
        credits: CLUSTERING_PER_RUN,
        tokens_in: plan.tokens_in,
        tokens_out: plan.tokens_out,
        cost_micros: plan.cost_micros,
        cost_note: plan.cost_note.clone(),
        ..Default::default()
    };
    match save_unit(ctx, "charge", Tx::new(), charge, "auto_cluster", &plan.provider, &plan.model).await? {
        Saved::Yes | Saved::Before => {}
        Saved::InsufficientCredits { needed, balance } => {
            ctx.failure = Some(format!("INSUFFICIENT_CREDITS: {needed} credits needed, {balance} left"));
            return Ok(());
        }
        Saved::Rejected(label) => {
            ctx.failure = Some(format!("not charged: {}", crate::engine::describe_rejection(label)));
            return Ok(());
        }
    }
    let mut saved: Vec<&PlannedCluster> = Vec::new();
    for (n, chunk) in plan.clusters.chunks(CLUSTERS_PER_UNIT).enumerate() {
        let unit = format!("clusters-{n}");
        let tx = clusters_tx(ctx, chunk)?;
        let outcome = UnitOutcome { results: chunk.iter().map(|c| c.id.to_string()).collect(), ..Default::default() };
        match save_unit(ctx, &unit, tx, outcome, "auto_cluster", &plan.provider, &plan.model).await? {
            Saved::Yes | Saved::Before => saved.extend(chunk),
            Saved::InsufficientCredits { .. } => {}
            Saved::Rejected(label) => tracing::info!(unit, ?label, "clusters not saved (their sector went away)"),
        }
    }
    let filled = assign_keywords(ctx, &saved).await?;
    remove_empty(ctx, saved.iter().filter(|c| !filled.contains(&c.id)).map(|c| &c.id)).await?;
    if filled.is_empty() {
        let refund = UnitOutcome { credits: -CLUSTERING_PER_RUN, ..Default::default() };
        save_unit(ctx, "refund", Tx::new(), refund, "auto_cluster", &plan.provider, &plan.model).await?;
        ctx.failure = Some("no keyword could be clustered: they were moved, clustered or deleted meanwhile".into());
    }
    Ok(())
}

/// Creates a unit's clusters (empty: keyword assignment fills their counts), in open
/// sectors only.
fn clusters_tx(ctx: &Ctx, chunk: &[PlannedCluster]) -> Result<Tx, EngineError> {
    let stamp = now();
    let (account_id, table) = (&ctx.job.account_id, ctx.store.table());
    let mut tx = Tx::new();
    let mut sectors: Vec<&SectorId> = Vec::new();
    for planned in chunk {
        let cluster = Cluster {
            id: planned.id.clone(),
            account_id: account_id.clone(),
            site_id: ctx.job.site_id.clone(),
            sector_id: planned.sector_id.clone(),
            name: planned.name.clone(),
            description: planned.description.clone(),
            status: ClusterStatus::Active,
            keywords_count: 0,
            volume: 0,
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        };
        tx.create(table, cluster.record()?, Conflict::Exists);
        if !sectors.contains(&&planned.sector_id) {
            sectors.push(&planned.sector_id);
        }
    }
    for sector in sectors {
        tx.check_sector_open(table, account_id, sector);
    }
    tx.count_in_account(table, account_id, "clusters_count", chunk.len() as i64, None)?;
    Ok(tx)
}

/// Assigns the planned keywords to the saved clusters; the ids of the clusters holding
/// any of them afterwards.
async fn assign_keywords(ctx: &mut Ctx, saved: &[&PlannedCluster]) -> Result<HashSet<ClusterId>, EngineError> {
    let target: HashMap<&KeywordId, &ClusterId> =
        saved.iter().flat_map(|c| c.keyword_ids.iter().map(move |k| (k, &c.id))).collect();
    let ids: Vec<KeywordId> = target.keys().map(|k| (*k).clone()).collect();
    let current: Vec<Keyword> = ctx.store.find_many(&ctx.job.account_id, &ids).await?;
    let stamp = now();
    let (mut filled, mut changes) = (HashSet::new(), Vec::new());
    let mut placed = 0u64;
    for keyword in current {
        let cluster_id = target[&keyword.id];
        match &keyword.cluster_id {
            Some(existing) if existing == cluster_id => {
                placed += 1;
                filled.insert(cluster_id.clone());
            }
            Some(_) => {} // moved by someone while the job ran: theirs wins
            None => {
                let mut after = keyword.clone();
                after.cluster_id = Some(cluster_id.clone());
                after.updated_at = stamp.clone();
                changes.push(KeywordChange { before: Some(keyword), after: Some(after) });
            }
        }
    }
    // Assigning keywords to clusters creates none: no limit applies.
    let outcome = ctx.store.apply_keyword_changes(&changes, u32::MAX).await?;
    placed += outcome.applied.len() as u64;
    for &applied in &outcome.applied {
        filled.extend(changes[applied].after.as_ref().and_then(|k| k.cluster_id.clone()));
    }
    let failed = ctx.job.total.saturating_sub(placed);
    ctx.job = lease(ctx.store.set_job_counts(&ctx.job, placed, failed).await)?;
    Ok(filled)
}

/// Deletes this job's clusters that hold no keyword (one filled meanwhile stays). They
/// are rare — keywords moved or deleted while the job ran — so one call each.
async fn remove_empty<'a>(ctx: &Ctx, ids: impl Iterator<Item = &'a ClusterId>) -> Result<(), EngineError> {
    for id in ids {
        let mut tx = Tx::new();
        let none = Item::from([(":none".to_owned(), AttributeValue::N("0".into()))]);
        let key = scoped_key::<Cluster>(&ctx.job.account_id, id);
        tx.delete_where(ctx.store.table(), key, "keywords_count = :none", none, Conflict::Filled);
        tx.count_in_account(ctx.store.table(), &ctx.job.account_id, "clusters_count", -1, None)?;
        ctx.store.try_commit(tx).await?;
    }
    Ok(())
}
