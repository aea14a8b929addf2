//! The engine: runs one job through its phases (`docs/product.md §5`).
//!
//! `INIT` (written when the job is accepted) → `PREP` (the worker took it; inputs
//! loaded, items already saved by an earlier attempt left out) → `AI_CALL` → `PARSE` →
//! `SAVE` → `DONE`, or `FAILED` with the reason. Items go through the middle phases in
//! batches of `concurrency`, so a crash loses at most one batch of provider work and a
//! job of fifty articles shows progress as it goes.
//!
//! Saving an item is one transaction: its results, the unit marker that makes it
//! happen once (see `igny8_store::Job`), its charge and the job's counters.

use igny8_store::{AccountId, JobId};
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use igny8_media::Media;
use igny8_store::{
    AiSettings, AuthorProfile, Charge, Conflict, ItemState, Job, JobFunction, JobPhase, Store, StoreError, Strategy,
    Tx, UnitOutcome,
};

use crate::functions;
use crate::jobs::JobQueue;
use crate::provider::{ChatAnswer, GeneratedImage, ImageProvider, TextProvider};
use crate::providers::Providers;

/// How long a worker holds a job it took. Longer than the worker's timeout, so a live
/// worker never loses its job; shorter than the queue's visibility timeout, so a
/// redelivered message after a crash finds the lease expired and resumes the job.
pub const LEASE_SECS: i64 = 960;

/// What a batch of the offline provider may take (it makes no network calls).
const OFFLINE_CALL_BUDGET: Duration = Duration::from_secs(10);

/// Kept free at the end of an invocation to save, hand back and answer.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(20);

/// Provider calls in flight at once per job.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Attempts at a charge when other jobs keep moving the balance.
const CHARGE_ATTEMPTS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed; the job was handed back to be retried.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Another attempt holds the job now; this one stops without writing.
    #[error("the job was taken over by another attempt")]
    LeaseLost,
    /// Too little time is left in this invocation for the next batch: the job was handed
    /// back, and the next delivery goes on where this one stopped.
    #[error("out of time in this invocation; the job was handed back")]
    OutOfTime,
}

/// What running a message's job came to.
#[derive(Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The job ran to DONE or FAILED.
    Finished,
    /// Nothing to do: finished already, or running under another worker's lease.
    Skipped,
}

/// Everything a function needs while running one job.
pub struct Ctx {
    pub store: Store,
    pub media: Media,
    pub job: Job,
    pub settings: AiSettings,
    pub text: Arc<dyn TextProvider>,
    pub image: Arc<dyn ImageProvider>,
    /// The prompt template (the account's, or the built-in one).
    pub prompt: String,
    /// Author profile and strategy instructions, appended to text prompts.
    pub guidance: String,
    pub concurrency: usize,
    /// Set by a function that cannot go on: the job ends FAILED with this reason.
    pub failure: Option<String>,
    /// When this invocation must have stopped (the Lambda deadline, less a margin).
    pub deadline: Option<tokio::time::Instant>,
    /// The longest one provider call may take (all its attempts and waits).
    pub call_budget: Duration,
}

impl Ctx {
    /// Moves the job to `phase` (a no-op if it is there already).
    pub async fn phase(&mut self, phase: JobPhase) -> Result<(), EngineError> {
        if self.job.phase != phase {
            self.job = lease(self.store.set_job_phase(&self.job, phase).await)?;
        }
        Ok(())
    }

    /// Records that `item_id` failed (nothing saved, nothing charged).
    pub async fn fail_item(&mut self, item_id: &str, reason: &str) -> Result<(), EngineError> {
        tracing::info!(job_id = %self.job.id, item_id, reason, "item failed");
        let reason = bounded(reason);
        self.job = lease(self.store.fail_job_item(&self.job, item_id, &reason).await)?;
        Ok(())
    }

    pub fn is_offline(&self) -> bool {
        self.text.name() == crate::provider::offline::NAME
    }

    /// Whether a batch started now could run past the deadline.
    pub fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|deadline| tokio::time::Instant::now() + self.call_budget > deadline)
    }

    /// The provider and model this job's function calls, as shown on the job.
    pub fn provider_and_model(&self) -> (String, String) {
        let offline = crate::provider::offline::MODEL.to_owned();
        if self.job.function == JobFunction::GenerateImages {
            let name = self.image.name();
            let model =
                if name == crate::provider::offline::NAME { offline } else { self.settings.image_model.clone() };
            return (name.to_owned(), model);
        }
        let model = if self.is_offline() { offline } else { self.settings.model.clone() };
        (self.text.name().to_owned(), model)
    }
}

/// Reasons come partly from providers' answers: stored reasons are cut to a size that
/// keeps the job item small, whatever a provider sends.
pub const MAX_REASON_CHARS: usize = 500;

pub fn bounded(reason: &str) -> String {
    if reason.chars().count() <= MAX_REASON_CHARS {
        return reason.to_owned();
    }
    let cut: String = reason.chars().take(MAX_REASON_CHARS).collect();
    format!("{cut}…")
}

/// Maps a write that lost the job to `LeaseLost`.
pub fn lease<T>(result: Result<T, StoreError>) -> Result<T, EngineError> {
    match result {
        Err(StoreError::Condition(Conflict::LeaseLost)) => Err(EngineError::LeaseLost),
        other => Ok(other?),
    }
}

/// How saving one unit went.
#[derive(Debug)]
pub enum Saved {
    Yes,
    /// An earlier attempt saved it.
    Before,
    /// The balance is short: nothing was written.
    InsufficientCredits {
        needed: i64,
        balance: i64,
    },
    /// A condition of the domain writes failed (e.g. the task was deleted meanwhile).
    Rejected(Conflict),
}

/// Commits `domain` (the unit's own writes) with the unit marker, the job's counters
/// and the charge, re-reading the balance while other jobs move it.
pub async fn save_unit(
    ctx: &mut Ctx,
    unit: &str,
    domain: Tx,
    mut outcome: UnitOutcome,
    operation: &str,
    provider: &str,
    model: &str,
) -> Result<Saved, EngineError> {
    outcome.hold_used = outcome.credits.max(0).min(ctx.job.held_left());
    for _ in 0..CHARGE_ATTEMPTS {
        let balance = ctx.store.balance(&ctx.job.account_id).await?.unwrap_or(0);
        if outcome.credits > balance {
            return Ok(Saved::InsufficientCredits { needed: outcome.credits, balance });
        }
        let mut tx = domain.clone();
        tx.save_job_unit(&ctx.store, &ctx.job, unit, &outcome)?;
        tx.charge(
            ctx.store.table(),
            balance,
            &Charge {
                account_id: ctx.job.account_id.clone(),
                site_id: Some(ctx.job.site_id.clone()),
                operation: operation.to_owned(),
                credits: outcome.credits,
                tokens_in: outcome.tokens_in,
                tokens_out: outcome.tokens_out,
                cost_micros: outcome.cost_micros,
                cost_note: outcome.cost_note.clone(),
                provider: provider.to_owned(),
                model: model.to_owned(),
                job_id: Some(ctx.job.id.clone()),
                description: format!("{operation} ({unit})"),
                account_counts: outcome.account_counts.clone(),
                words: outcome.words,
                images: outcome.images,
                release_hold: outcome.hold_used,
            },
        )?;
        let failed = ctx.store.try_commit(tx).await?;
        let labels: Vec<Conflict> = failed.iter().map(|(_, label)| *label).collect();
        match labels.as_slice() {
            [] => {
                // Mirror what the transaction added, so later writes see it.
                ctx.job = ctx.store.job(&ctx.job.account_id, &ctx.job.id).await?.ok_or(EngineError::LeaseLost)?;
                return Ok(Saved::Yes);
            }
            l if l.contains(&Conflict::UnitSaved) => return Ok(Saved::Before),
            l if l.contains(&Conflict::LeaseLost) => return Err(EngineError::LeaseLost),
            l if l.iter().all(|label| *label == Conflict::BalanceChanged) => continue,
            l => {
                let first = l.iter().find(|x| **x != Conflict::BalanceChanged).copied().unwrap_or(Conflict::Never);
                return Ok(Saved::Rejected(first));
            }
        }
    }
    Err(EngineError::Store(StoreError::Aws("the balance kept changing; charge not applied".into())))
}

/// A provider's answer.
pub enum Answer {
    Text(ChatAnswer),
    Image(GeneratedImage),
}

/// An AI function whose inputs are independent items (a cluster, a task, an article,
/// an image), each saved as one unit.
#[async_trait::async_trait]
pub trait ItemFunction: Send + Sync {
    type Input: Send + Sync;
    type Output: Send + Sync;

    /// Operation name on usage records and prices, e.g. `generate_ideas`.
    fn name(&self) -> &'static str;

    /// Loads the items; an item that cannot be worked on gets `Err(reason)`.
    async fn load(&self, ctx: &Ctx, ids: &[String]) -> Result<Vec<(String, Result<Self::Input, String>)>, StoreError>;

    /// AI_CALL for one item.
    async fn call(&self, ctx: &Ctx, input: &Self::Input) -> Result<Answer, String>;

    /// PARSE: validates the answer; `Err(reason)` fails the item.
    fn parse(&self, ctx: &Ctx, input: &Self::Input, answer: Answer) -> Result<Self::Output, String>;

    /// SAVE: the item's own writes (at most 90 actions) and what they add to the job.
    async fn save(&self, ctx: &Ctx, input: &Self::Input, output: &Self::Output) -> Result<(Tx, UnitOutcome), String>;

    /// Provider and model that made the output, for usage records.
    fn used(&self, ctx: &Ctx, output: &Self::Output) -> (String, String);
}

/// Runs every pending item of the job through AI_CALL, PARSE and SAVE.
pub async fn run_items<F: ItemFunction>(function: &F, ctx: &mut Ctx) -> Result<(), EngineError> {
    let pending: Vec<String> = ctx
        .job
        .item_ids
        .iter()
        .filter(|id| ctx.job.items.get(*id).is_none_or(|p| p.state == ItemState::Pending))
        .cloned()
        .collect();
    let loaded = function.load(ctx, &pending).await?;
    let mut ready = Vec::new();
    for (id, input) in loaded {
        match input {
            Ok(input) => ready.push((id, input)),
            Err(reason) => ctx.fail_item(&id, &reason).await?,
        }
    }
    let batch_size = ctx.concurrency.max(1);
    let mut batches = ready.into_iter().peekable();
    let mut out_of_credits: Option<String> = None;
    while batches.peek().is_some() {
        // Start no batch that could outlast the invocation: hand the job back instead.
        if ctx.out_of_time() {
            return Err(EngineError::OutOfTime);
        }
        let batch: Vec<(String, F::Input)> = batches.by_ref().take(batch_size).collect();
        if let Some(reason) = &out_of_credits {
            for (id, _) in &batch {
                ctx.fail_item(id, reason).await?;
            }
            continue;
        }
        ctx.phase(JobPhase::AiCall).await?;
        // A batch is at most `concurrency` items: all of its calls run at once.
        let answers: Vec<Result<Answer, String>> = {
            let shared: &Ctx = ctx;
            let mut calls = Vec::with_capacity(batch.len());
            for (_, input) in &batch {
                calls.push(function.call(shared, input));
            }
            futures::future::join_all(calls).await
        };
        ctx.phase(JobPhase::Parse).await?;
        let mut parsed = Vec::new();
        for ((id, input), answer) in batch.into_iter().zip(answers) {
            match answer.and_then(|a| function.parse(ctx, &input, a)) {
                Ok(output) => parsed.push((id, input, output)),
                Err(reason) => ctx.fail_item(&id, &reason).await?,
            }
        }
        ctx.phase(JobPhase::Save).await?;
        for (id, input, output) in parsed {
            if let Some(reason) = &out_of_credits {
                ctx.fail_item(&id, reason).await?;
                continue;
            }
            let (tx, mut outcome) = match function.save(ctx, &input, &output).await {
                Ok(prepared) => prepared,
                Err(reason) => {
                    ctx.fail_item(&id, &reason).await?;
                    continue;
                }
            };
            outcome.item_id = Some(id.clone());
            outcome.items_done = 1;
            let (provider, model) = function.used(ctx, &output);
            match save_unit(ctx, &id, tx, outcome, function.name(), &provider, &model).await? {
                Saved::Yes | Saved::Before => {}
                Saved::InsufficientCredits { needed, balance } => {
                    let reason = format!("INSUFFICIENT_CREDITS: {needed} credits needed, {balance} left");
                    ctx.fail_item(&id, &reason).await?;
                    out_of_credits = Some(reason);
                }
                Saved::Rejected(label) => {
                    ctx.fail_item(&id, &format!("not saved: {}", describe_rejection(label))).await?;
                }
            }
        }
    }
    Ok(())
}

/// Why a unit was not saved, for the job's item.
pub fn describe_rejection(conflict: Conflict) -> &'static str {
    match conflict {
        Conflict::SectorMissing => "its sector was deleted",
        Conflict::ImageDrawn => "an image of the article was drawn meanwhile; run again to replace the rest",
        _ => "the item was changed or deleted while the job ran",
    }
}

/// Turns the engine's parts into a running job.
#[derive(Clone)]
pub struct Engine {
    pub store: Store,
    pub media: Media,
    pub providers: Providers,
    pub concurrency: usize,
    /// Where finished jobs of automation runs are reported (the automation queue).
    pub automation: Option<JobQueue>,
}

impl Engine {
    pub fn new(store: Store, media: Media, providers: Providers) -> Self {
        Self { store, media, providers, concurrency: DEFAULT_CONCURRENCY, automation: None }
    }

    /// Reports finished jobs of automation runs to `queue`, so the run takes its next step.
    pub fn with_automation(mut self, queue: JobQueue) -> Self {
        self.automation = Some(queue);
        self
    }

    /// Runs the job named by a queue message. Safe to call any number of times for the
    /// same job: only one call at a time takes it, and saved units are never redone.
    pub async fn run(&self, account_id: &AccountId, job_id: &JobId) -> Result<RunOutcome, EngineError> {
        self.run_until(account_id, job_id, None).await
    }

    /// [`Engine::run`] within an invocation that must end by `deadline`: no batch starts
    /// that could outlast it; the job is handed back instead ([`EngineError::OutOfTime`]).
    pub async fn run_until(
        &self,
        account_id: &AccountId,
        job_id: &JobId,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<RunOutcome, EngineError> {
        let job = match self.store.claim_job(account_id, job_id, LEASE_SECS).await {
            Ok(job) => job,
            Err(StoreError::Condition(_)) => {
                tracing::info!(%job_id, "job finished or running elsewhere; message ignored");
                return Ok(RunOutcome::Skipped);
            }
            Err(e) => return Err(e.into()),
        };
        let span = tracing::info_span!("job", %job_id, %account_id, function = %job.function, attempt = job.attempt);
        let outcome = self.run_taken(job.clone(), deadline).instrument(span).await?;
        crate::jobs::report_to_automation(self.automation.as_ref(), &job).await;
        Ok(outcome)
    }

    /// Runs a job this worker has just taken.
    async fn run_taken(&self, job: Job, deadline: Option<tokio::time::Instant>) -> Result<RunOutcome, EngineError> {
        let Some(runner) = functions::runner(job.function.as_str()) else {
            lease(self.store.finish_job(&job, Some(&format!("unknown AI function {}", job.function))).await)?;
            return Ok(RunOutcome::Finished);
        };
        let mut ctx = match self.context(job.clone()).await {
            Ok(ctx) => Ctx { deadline, ..ctx },
            Err(SetupError::Store(e)) => {
                let _ = self.store.release_job(&job).await;
                return Err(e.into());
            }
            Err(SetupError::Config(reason)) => {
                lease(self.store.finish_job(&job, Some(&reason)).await)?;
                return Ok(RunOutcome::Finished);
            }
        };
        let (provider, model) = ctx.provider_and_model();
        ctx.job = lease(self.store.set_job_provider(&ctx.job, &provider, &model).await)?;
        match runner.run(&mut ctx).await {
            Ok(()) => {}
            Err(EngineError::LeaseLost) => return Err(EngineError::LeaseLost),
            Err(e) => {
                // Hand the job back so the redelivered message resumes it at once.
                let _ = self.store.release_job(&ctx.job).await;
                return Err(e);
            }
        }
        let job = &ctx.job;
        let failure = match &ctx.failure {
            Some(reason) => Some(bounded(reason)),
            None if job.done == 0 && job.total > 0 => Some(first_failure(job)),
            None => None,
        };
        lease(self.store.finish_job(job, failure.as_deref()).await)?;
        Ok(RunOutcome::Finished)
    }

    async fn context(&self, job: Job) -> Result<Ctx, SetupError> {
        let store = &self.store;
        let settings = store.ai_settings(&job.account_id).await?;
        let builtin = job.options.get("method").and_then(|m| m.as_str()) == Some("builtin");
        // Only the provider the function calls must be configured; the other stays offline.
        let draws = job.function == JobFunction::GenerateImages;
        // The offline provider answers at once; a network provider may use all its tries.
        let offline =
            if draws { settings.image_provider == "offline" } else { builtin || settings.text_provider == "offline" };
        let call_budget = if offline { OFFLINE_CALL_BUDGET } else { self.providers.policy().worst_case() };
        let text = if builtin || draws {
            self.providers.offline_text()
        } else {
            self.providers.text(store, &settings).await?
        };
        let image = if draws { self.providers.image(store, &settings).await? } else { self.providers.offline_image() };
        let prompt = match store.prompt_override(&job.account_id, job.function.as_str()).await? {
            Some(custom) => custom.text,
            None => crate::prompts::default_prompt(job.function.as_str()).unwrap_or_default().to_owned(),
        };
        let guidance = self.guidance(&job).await?;
        Ok(Ctx {
            store: store.clone(),
            media: self.media.clone(),
            job,
            settings,
            text,
            image,
            prompt,
            guidance,
            concurrency: self.concurrency,
            failure: None,
            deadline: None,
            // The offline provider answers at once; a network provider may use all its tries.
            call_budget,
        })
    }

    /// The author profile and strategy the job names, as prompt instructions.
    async fn guidance(&self, job: &Job) -> Result<String, SetupError> {
        let mut guidance = String::new();
        let option = |name: &str| job.options.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        if let Some(id) = option("author_profile_id") {
            let profile: Option<AuthorProfile> = self.store.guidance(&job.account_id, &id).await?;
            let profile = profile.ok_or_else(|| SetupError::Config(format!("author profile {id} no longer exists")))?;
            guidance.push_str(&format!(
                "\n\nWrite as this author: {} — {}. Tone: {}. Language: {}.",
                profile.name, profile.description, profile.tone, profile.language
            ));
        }
        if let Some(id) = option("strategy_id") {
            let strategy: Option<Strategy> = self.store.guidance(&job.account_id, &id).await?;
            let strategy = strategy.ok_or_else(|| SetupError::Config(format!("strategy {id} no longer exists")))?;
            guidance.push_str(&format!("\n\nContent strategy \"{}\": {}", strategy.name, strategy.guidelines));
        }
        Ok(guidance)
    }
}

fn first_failure(job: &Job) -> String {
    job.items.values().find_map(|p| p.reason.clone()).unwrap_or_else(|| "no item could be completed".to_owned())
}

pub enum SetupError {
    Store(StoreError),
    /// The account's settings make the job impossible (e.g. no API key).
    Config(String),
}

impl From<StoreError> for SetupError {
    fn from(e: StoreError) -> Self {
        SetupError::Store(e)
    }
}

/// Object-safe face of a function, for the registry.
#[async_trait::async_trait]
pub trait Runner: Send + Sync {
    async fn run(&self, ctx: &mut Ctx) -> Result<(), EngineError>;
}
