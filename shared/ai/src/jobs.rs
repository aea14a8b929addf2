//! Accepting AI jobs from the API: the handler validates ids and options, then
//! [`accept`] checks credits (402 if short, nothing queued), writes the job (`queued`,
//! phase `INIT`) and sends a message holding only ids. The worker does the rest.

use axum::http::StatusCode;
use igny8_http::{ApiError, ApiResult, Success};
use igny8_store::{
    Account, AuthorProfile, Conflict, ItemState, Job, JobFunction, JobPhase, JobState, Store, StoreError, Strategy, now,
};
use igny8_store::{AccountId, UserId};
use igny8_store::{JobId, SiteId};
use igny8_tenancy::Tenant;
use serde::Serialize;
use serde_json::{Value, json};

use crate::pricing;

/// Jobs (AI, publish, sync) an account may submit a minute through the API.
pub const JOBS_PER_MINUTE: u32 = 30;

/// Inputs of one job: more than this many go to job parts instead of the job item.
const INLINE_ITEMS: usize = 100;

pub use igny8_queue::{JobMessage, JobQueue};

/// A job the handler has validated.
pub struct JobRequest {
    pub function: JobFunction,
    pub site_id: SiteId,
    pub ids: Vec<String>,
    pub options: Value,
    pub estimated_credits: i64,
}

/// Why a job was not submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("this needs about {needed} credits; the balance is {balance}")]
    InsufficientCredits { needed: i64, balance: i64 },
    /// A job with this id exists already (submitted before, e.g. by a redelivered message).
    #[error("the job exists already")]
    Exists,
    /// The plan's limit for the month or for the account is reached.
    #[error("{0}")]
    PlanLimit(String),
    #[error("the job could not be queued: {0}")]
    Queue(String),
    #[error(transparent)]
    Store(#[from] igny8_store::StoreError),
}

/// Checks credits, writes the job and queues it: 202 with the job, 402
/// `INSUFFICIENT_CREDITS` when the balance cannot pay the estimate.
pub async fn accept(
    store: &Store,
    queue: &JobQueue,
    tenant: &Tenant,
    request: JobRequest,
) -> ApiResult<(StatusCode, Success<JobView>)> {
    igny8_tenancy::throttle::per_account(store, tenant, "job submissions", JOBS_PER_MINUTE).await?;
    // A site key acts for no user: its jobs name none.
    let user_id = tenant.user.as_ref().map_or_else(|| UserId::from(""), |u| u.id.clone());
    match submit(store, queue, tenant.account_id(), &user_id, JobId::generate(), request).await {
        Ok(job) => Ok((StatusCode::ACCEPTED, Success::accepted(JobView::of(&job)).with_message("Job queued."))),
        Err(SubmitError::InsufficientCredits { needed, balance }) => Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "INSUFFICIENT_CREDITS",
            format!("This needs about {needed} credits; the balance is {balance}."),
        )),
        Err(SubmitError::Queue(_)) => Err(ApiError::unavailable("The job could not be queued; try again.")),
        Err(SubmitError::PlanLimit(message)) => Err(ApiError::plan_limit(message)),
        Err(SubmitError::Store(e)) => Err(e.into()),
        Err(e @ SubmitError::Exists) => Err(ApiError::internal(e)),
    }
}

/// The plan's limits an AI job must be within to start: AI requests, words and images
/// this month, and the account's clusters and ideas. (Publishing is not limited.)
async fn within_plan(store: &Store, account: &Account, function: JobFunction, now: &str) -> Result<(), SubmitError> {
    if function.is_wordpress() {
        return Ok(());
    }
    let Some(plan) = igny8_store::plan(&account.plan_id) else { return Ok(()) };
    let used = store.monthly_usage(&account.id, now).await?;
    let reached = |what: &str, max: u32| SubmitError::PlanLimit(plan.allows(max, what));
    if used.ai_requests >= u64::from(plan.max_ai_requests_per_month) {
        return Err(reached("AI requests a month", plan.max_ai_requests_per_month));
    }
    match function {
        JobFunction::GenerateContent if used.words >= u64::from(plan.max_words_per_month) => {
            Err(reached("words a month", plan.max_words_per_month))
        }
        JobFunction::GenerateImages if used.images >= u64::from(plan.max_images_per_month) => {
            Err(reached("images a month", plan.max_images_per_month))
        }
        JobFunction::AutoCluster if account.clusters_count >= plan.max_clusters => {
            Err(reached("clusters", plan.max_clusters))
        }
        JobFunction::GenerateIdeas if account.ideas_count >= plan.max_ideas => Err(reached("ideas", plan.max_ideas)),
        _ => Ok(()),
    }
}

/// What [`accept`] does, for any caller (the API, the automation runner): checks the
/// balance against the estimate, writes the job under `job_id` (once: `Exists` if it is
/// there) and queues it. A job whose message cannot be sent is marked failed.
pub async fn submit(
    store: &Store,
    queue: &JobQueue,
    account_id: &AccountId,
    user_id: &UserId,
    job_id: JobId,
    request: JobRequest,
) -> Result<Job, SubmitError> {
    let mut account = store.account(account_id).await?.ok_or(StoreError::Condition(Conflict::AccountMissing))?;
    let stamp = now();
    within_plan(store, &account, request.function, &stamp).await?;
    let inline = request.ids.len() <= INLINE_ITEMS;
    let job = Job {
        id: job_id,
        account_id: account_id.to_owned(),
        site_id: request.site_id,
        user_id: user_id.to_owned(),
        function: request.function,
        state: JobState::Queued,
        phase: JobPhase::Init,
        reason: None,
        item_ids: if inline { request.ids.clone() } else { Vec::new() },
        items: Default::default(),
        total: request.ids.len() as u64,
        done: 0,
        failed: 0,
        tokens_in: 0,
        tokens_out: 0,
        cost_micros: 0,
        cost_note: None,
        credits: 0,
        estimated_credits: request.estimated_credits,
        held: request.estimated_credits.max(0),
        hold_used: 0,
        options: request.options,
        provider: None,
        model: None,
        attempt: 0,
        lease_until: 0,
        created_at: stamp.clone(),
        updated_at: stamp,
        finished_at: None,
    };
    let parts = if inline { vec![] } else { vec![("input", request.ids.join("\n"))] };
    // The estimate is held on the account with the job, against the credits no other
    // accepted job holds; a balance that moves meanwhile is read again.
    for attempt in 0.. {
        let available = account.credits - account.held;
        if available < job.held {
            return Err(SubmitError::InsufficientCredits { needed: job.held, balance: available });
        }
        match store.create_job(&job, &account, &parts).await {
            Ok(()) => break,
            Err(StoreError::Condition(Conflict::BalanceChanged)) if attempt < 5 => {
                account = store.account(account_id).await?.ok_or(StoreError::Condition(Conflict::AccountMissing))?;
            }
            Err(StoreError::Condition(Conflict::BalanceChanged)) => {
                return Err(SubmitError::Store(StoreError::Busy("the balance kept changing".into())));
            }
            Err(StoreError::Condition(_)) => return Err(SubmitError::Exists),
            Err(e) => return Err(e.into()),
        }
    }
    let message = JobMessage { account_id: job.account_id.clone(), job_id: job.id.clone() };
    if let Err(e) = queue.send(&message).await {
        tracing::error!(job_id = %job.id, error = %e, "job could not be queued");
        let _ = store.abandon_job(&job, "the job could not be queued").await;
        return Err(SubmitError::Queue(e));
    }
    tracing::info!(job_id = %job.id, function = %job.function, items = job.total, "job queued");
    Ok(job)
}

/// Times the sweeper sends a waiting job's message again before it fails the job.
pub const MAX_RESENDS: u32 = 3;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Waiting jobs whose message was sent again.
    pub resent: usize,
    /// Jobs failed after [`MAX_RESENDS`] resends.
    pub failed: usize,
    /// Finished jobs no longer watched.
    pub finished: usize,
}

/// Finds jobs that have waited longer than `stale_after` without a worker (their message
/// never reached the queue, or rests in the dead-letter queue, or their worker died) and
/// sends their message again — to the publish queue for publish and sync jobs, to the AI
/// queue otherwise. Workers are idempotent, so a message sent twice costs nothing. A job
/// resent [`MAX_RESENDS`] times is failed with a reason. Finished jobs are unwatched.
pub async fn sweep(
    store: &Store,
    ai: &JobQueue,
    publish: &JobQueue,
    now: chrono::DateTime<chrono::Utc>,
    stale_after: chrono::Duration,
) -> Result<Swept, igny8_store::StoreError> {
    let before = (now - stale_after).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut swept = Swept::default();
    for shard in 0..igny8_store::WATCH_SHARDS {
        for (key, watch) in store.watched_jobs(shard, &before, 200).await? {
            let Some(job) = store.job(&watch.account_id, &watch.job_id).await? else {
                store.unwatch_job(key).await?;
                continue;
            };
            if job.is_finished() {
                store.unwatch_job(key).await?;
                swept.finished += 1;
                continue;
            }
            let idle = job.state == JobState::Queued && job.updated_at < before;
            let abandoned = job.state == JobState::Running && job.lease_until < now.timestamp();
            if !idle && !abandoned {
                continue;
            }
            if watch.resent >= MAX_RESENDS {
                let reason = "the job was not taken up by a worker after several tries; submit it again";
                match store.abandon_job(&job, reason).await {
                    // Finished meanwhile: nothing to fail.
                    Ok(()) | Err(StoreError::Condition(Conflict::State)) => {}
                    Err(e) => return Err(e),
                }
                store.unwatch_job(key).await?;
                swept.failed += 1;
                continue;
            }
            let queue = if job.function.is_wordpress() { publish } else { ai };
            let message = JobMessage { account_id: job.account_id.clone(), job_id: job.id.clone() };
            if let Err(e) = queue.send(&message).await {
                tracing::warn!(job_id = %job.id, error = %e, "a waiting job's message could not be sent again");
                continue;
            }
            store.count_resend(key).await?;
            swept.resent += 1;
        }
    }
    Ok(swept)
}

/// The option naming the automation run a job belongs to.
pub const AUTOMATION_RUN: &str = "automation_run_id";

/// Tells the automation runner that a job of one of its runs finished (a message
/// `{account_id, job_id}` on the automation queue), so the run takes its next step. A
/// lost message is repaired by the rule's next firing, which finds the job finished.
pub async fn report_to_automation(queue: Option<&JobQueue>, job: &Job) {
    let (Some(queue), Some(_)) = (queue, job.options.get(AUTOMATION_RUN)) else {
        return;
    };
    let message = JobMessage { account_id: job.account_id.clone(), job_id: job.id.clone() };
    if let Err(e) = queue.send(&message).await {
        tracing::warn!(job_id = %job.id, error = %e, "the automation run was not told its job finished");
    }
}

/// The API's view of a job.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: JobId,
    /// The same as `id` (older clients read `job_id`).
    pub job_id: JobId,
    pub function: JobFunction,
    pub site_id: SiteId,
    pub state: JobState,
    pub phase: JobPhase,
    /// Why the job failed, or what it could not do.
    pub reason: Option<String>,
    pub progress: JobProgress,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tokens: JobTokens,
    /// Unknown (null) when any part had no price, never a made-up 0.
    pub cost_usd: Option<f64>,
    pub cost_note: Option<String>,
    pub credits: i64,
    pub estimated_credits: i64,
    /// The request's options, as given.
    #[schema(value_type = Object)]
    pub options: Value,
    pub attempts: u32,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobProgress {
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    pub percent: u64,
    /// How each input fared, for jobs with listed inputs.
    pub items: Vec<JobItemView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobItemView {
    pub id: String,
    pub state: ItemState,
    pub reason: Option<String>,
    /// Ids of what was created or updated for it.
    pub results: Vec<String>,
    pub credits: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobTokens {
    pub input: u64,
    pub output: u64,
}

impl JobView {
    pub fn of(job: &Job) -> Self {
        let items = job
            .item_ids
            .iter()
            .map(|id| match job.items.get(id) {
                Some(p) => JobItemView {
                    id: id.clone(),
                    state: p.state,
                    reason: p.reason.clone(),
                    results: p.results.clone(),
                    credits: p.credits,
                },
                None => {
                    JobItemView { id: id.clone(), state: ItemState::Pending, reason: None, results: vec![], credits: 0 }
                }
            })
            .collect();
        Self {
            id: job.id.clone(),
            job_id: job.id.clone(),
            function: job.function,
            site_id: job.site_id.clone(),
            state: job.state,
            phase: job.phase,
            reason: job.reason.clone(),
            progress: JobProgress {
                total: job.total,
                done: job.done,
                failed: job.failed,
                percent: ((job.done + job.failed) * 100).checked_div(job.total).unwrap_or(100),
                items,
            },
            provider: job.provider.clone(),
            model: job.model.clone(),
            tokens: JobTokens { input: job.tokens_in, output: job.tokens_out },
            cost_usd: job.cost_note.is_none().then(|| job.cost_micros as f64 / 1_000_000.0),
            cost_note: job.cost_note.clone(),
            credits: job.credits,
            estimated_credits: job.estimated_credits,
            options: job.options.clone(),
            attempts: job.attempt,
            created_at: job.created_at.clone(),
            updated_at: job.updated_at.clone(),
            finished_at: job.finished_at.clone(),
        }
    }
}

/// Credits a job is estimated to cost, for the 402 check (the charge is made from what
/// is actually saved).
pub mod estimate {
    use super::pricing;

    pub fn auto_cluster() -> i64 {
        pricing::CLUSTERING_PER_RUN
    }

    pub fn ideas(clusters: usize) -> i64 {
        pricing::ideas_credits(clusters as u64)
    }

    pub fn content(target_words: impl IntoIterator<Item = u32>) -> i64 {
        target_words.into_iter().map(|w| pricing::content_credits(u64::from(w))).sum()
    }

    pub fn image_prompts(articles: usize, in_article: u64) -> i64 {
        articles as i64 * pricing::image_prompt_credits(1 + in_article)
    }

    pub fn images(count: usize, provider: &str, quality: &str) -> i64 {
        count as i64 * pricing::image_credits(provider, quality)
    }
}

/// The site all of a job's objects are on; 400 when they span sites (a job belongs to
/// one site, like everything it creates).
pub fn one_site<'a>(mut site_ids: impl Iterator<Item = &'a SiteId>) -> ApiResult<SiteId> {
    let first = site_ids.next().ok_or_else(|| ApiError::field("ids", "Give at least one id."))?;
    if site_ids.any(|s| s != first) {
        return Err(ApiError::field("ids", "All ids must be of one site."));
    }
    Ok(first.clone())
}

/// Checks the author profile and strategy a job names (each must be the caller's
/// account's: a 400 field error otherwise) and returns them as job options.
pub async fn guidance_options(
    store: &Store,
    tenant: &Tenant,
    author_profile_id: Option<&str>,
    strategy_id: Option<&str>,
) -> ApiResult<serde_json::Map<String, Value>> {
    let mut options = serde_json::Map::new();
    if let Some(id) = author_profile_id {
        if store.guidance::<AuthorProfile>(tenant.account_id(), id).await?.is_none() {
            return Err(ApiError::field("author_profile_id", "No such author profile."));
        }
        options.insert("author_profile_id".into(), json!(id));
    }
    if let Some(id) = strategy_id {
        if store.guidance::<Strategy>(tenant.account_id(), id).await?.is_none() {
            return Err(ApiError::field("strategy_id", "No such strategy."));
        }
        options.insert("strategy_id".into(), json!(id));
    }
    Ok(options)
}
