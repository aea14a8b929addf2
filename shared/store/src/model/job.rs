//! AI jobs. A job is written `queued` when a request is accepted; the worker that takes
//! it bumps `attempt` (a fencing token: every later write of that worker is conditional
//! on it) and holds a lease. A redelivered message finds the job running under a live
//! lease, or finished, and does nothing; a worker that died leaves an expired lease,
//! and the next delivery resumes the job.
//!
//! Results are saved in units (one task's article, one image …). Each unit's
//! transaction creates a unit marker (`JOBUNIT#<job>#<unit>`), so a unit saved before a
//! crash is never saved — or charged — again.

use crate::Conflict;
use crate::ids::{AccountId, JobId, SiteId, UserId};
use crate::model::Account;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys;
use crate::table::{Key, Record, Store, StoreError, StoreResult, Tx, Update, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobPhase {
    Init,
    Prep,
    AiCall,
    Parse,
    Save,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Pending,
    Done,
    Failed,
}

/// What a job does: the five AI functions and the two WordPress ones. Stored as its
/// snake_case name in `Job::function`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobFunction {
    AutoCluster,
    GenerateIdeas,
    GenerateContent,
    GenerateImagePrompts,
    GenerateImages,
    Publish,
    WordpressSync,
}

impl std::fmt::Display for JobFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JobFunction {
    /// Publishing and syncing go to the publisher; the rest are AI work.
    pub const fn is_wordpress(self) -> bool {
        matches!(self, Self::Publish | Self::WordpressSync)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AutoCluster => "auto_cluster",
            Self::GenerateIdeas => "generate_ideas",
            Self::GenerateContent => "generate_content",
            Self::GenerateImagePrompts => "generate_image_prompts",
            Self::GenerateImages => "generate_images",
            Self::Publish => "publish",
            Self::WordpressSync => "wordpress_sync",
        }
    }
}

/// How one input item (a cluster, a task …) fared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemProgress {
    pub state: ItemState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ids of what was created or updated for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<String>,
    #[serde(default)]
    pub credits: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub user_id: UserId,
    /// What the job does, e.g. `generate_content`.
    pub function: JobFunction,
    pub state: JobState,
    pub phase: JobPhase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The input ids; for inputs too big for the item (clustering thousands of
    /// keywords) they are in job parts named `input` and this is empty.
    #[serde(default)]
    pub item_ids: Vec<String>,
    /// Per-item progress, for jobs whose inputs are listed in `item_ids`.
    #[serde(default)]
    pub items: BTreeMap<String, ItemProgress>,
    pub total: u64,
    #[serde(default)]
    pub done: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub tokens_in: u64,
    #[serde(default)]
    pub tokens_out: u64,
    #[serde(default)]
    pub cost_micros: i64,
    /// Why `cost_micros` is not the whole cost (a model without a price, an answer
    /// without token counts); the job's cost then shows as unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_note: Option<String>,
    #[serde(default)]
    pub credits: i64,
    pub estimated_credits: i64,
    /// Credits held on the account for this job when it was accepted. Its charges use
    /// the hold up (`hold_used`); what is left is released when it ends.
    #[serde(default)]
    pub held: i64,
    #[serde(default)]
    pub hold_used: i64,
    /// Options of the request (e.g. ideas per cluster), as given.
    #[serde(default)]
    pub options: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub attempt: u32,
    #[serde(default)]
    pub lease_until: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// Every job is watched until it is seen finished, so one whose message never reached
/// its queue (or went to the dead-letter queue) is found without a Scan: a few global
/// partitions (`JOBWATCH#<shard>`) sorted by creation time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobWatch {
    pub account_id: AccountId,
    pub job_id: JobId,
    /// How often the sweeper sent the job's message again.
    #[serde(default)]
    pub resent: u32,
}

pub const WATCH_SHARDS: u32 = 4;
const WATCH_DAYS: i64 = 14;

fn watch_shard(job_id: &JobId) -> u32 {
    job_id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % WATCH_SHARDS
}

fn watch_key(job: &Job) -> Key {
    keys::job_watch(watch_shard(&job.id), &job.created_at, &job.account_id, &job.id)
}

/// Bytes of one job part item (well under the 400 KB item limit).
const PART_BYTES: usize = 256 * 1024;

/// Gives back `amount` of what `job` holds on its account.
fn release_hold(tx: &mut Tx, table: &str, job: &Job, amount: i64) {
    if amount > 0 {
        tx.update(table, Update::new(keys::account(&job.account_id)).add("held", -amount), Conflict::AccountMissing);
    }
}

impl Job {
    /// What the job still holds of the account's credits.
    pub fn held_left(&self) -> i64 {
        (self.held - self.hold_used).max(0)
    }

    /// The input ids as ids of the kind the job's function takes (keywords for
    /// clustering, clusters for ideas …): they are stored as text because one job
    /// item serves every function.
    pub fn inputs<I: for<'a> From<&'a String>>(&self) -> Vec<I> {
        self.item_ids.iter().map(I::from).collect()
    }
}

/// A watch item as stored: its keys and its fields.
#[derive(Deserialize)]
struct WatchItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    account_id: AccountId,
    job_id: JobId,
    #[serde(default)]
    resent: u32,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
struct JobPart {
    text: String,
}

/// Splits `text` at char boundaries into pieces of at most `PART_BYTES`.
fn split_parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(PART_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        parts.push(&rest[..end]);
        rest = &rest[end..];
    }
    parts
}

impl Job {
    pub fn key(&self) -> Key {
        keys::job(&self.account_id, &self.id)
    }

    fn record(&self) -> StoreResult<Record> {
        Ok(Record::new(self.key(), "job", self)?.in_list(format!("ACCOUNT#{}#JOB", self.account_id), self.id.clone()))
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.state, JobState::Done | JobState::Failed)
    }
}

impl Store {
    /// Writes a new job, with `parts` (name → text) too big for the job item.
    /// Writes a new job and holds its `held` credits on the account, whose credits and
    /// holds must still be `seen` (`Condition(BalanceChanged)` otherwise: read and try
    /// again).
    pub async fn create_job(&self, job: &Job, seen: &Account, parts: &[(&str, String)]) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.create(self.table(), job.record()?, Conflict::Exists);
        if job.held > 0 {
            let hold = Update::new(keys::account(&job.account_id))
                .add("held", job.held)
                .when("credits = :credits AND (held = :held OR (attribute_not_exists(held) AND :held = :zero))")
                .value(":credits", seen.credits)?
                .value(":held", seen.held)?
                .value(":zero", 0)?;
            tx.update(self.table(), hold, Conflict::BalanceChanged);
        }
        let watch = JobWatch { account_id: job.account_id.clone(), job_id: job.id.clone(), resent: 0 };
        let expires = chrono::Utc::now().timestamp() + WATCH_DAYS * 86_400;
        tx.create(
            self.table(),
            Record::new(watch_key(job), "job_watch", &watch)?.expires_at(expires),
            Conflict::Exists,
        );
        for (name, text) in parts {
            for (index, piece) in split_parts(text).into_iter().enumerate() {
                let record = Record::new(
                    keys::job_part(&job.account_id, &job.id, name, index),
                    "job_part",
                    &JobPart { text: piece.to_owned() },
                )?;
                tx.create(self.table(), record, Conflict::Exists);
            }
        }
        self.commit(tx).await
    }

    pub async fn job(&self, account_id: &AccountId, job_id: &JobId) -> StoreResult<Option<Job>> {
        let key = keys::job(account_id, job_id);
        if !key.fits() {
            return Ok(None);
        }
        self.get(key).await
    }

    /// The account's jobs, newest first.
    pub async fn jobs(&self, account_id: &AccountId) -> StoreResult<Vec<Job>> {
        let mut jobs: Vec<Job> = self.query_list(&format!("ACCOUNT#{account_id}#JOB"), None).await?;
        jobs.reverse();
        Ok(jobs)
    }

    /// The text of a job part, if written.
    pub async fn job_part(&self, account_id: &AccountId, job_id: &JobId, name: &str) -> StoreResult<Option<String>> {
        let prefix = format!("JOBPART#{job_id}#{name}#");
        let parts: Vec<JobPart> = self.query_prefix(&keys::account_pk(account_id), &prefix).await?;
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(parts.into_iter().map(|p| p.text).collect()))
    }

    /// Writes a job part once; a part written before (by an earlier attempt) is kept and
    /// returned instead, so every attempt works from the same text.
    pub async fn put_job_part_once(&self, job: &Job, name: &str, text: String) -> StoreResult<String> {
        let mut tx = Tx::new();
        for (index, piece) in split_parts(&text).into_iter().enumerate() {
            let record = Record::new(
                keys::job_part(&job.account_id, &job.id, name, index),
                "job_part",
                &JobPart { text: piece.to_owned() },
            )?;
            tx.create(self.table(), record, Conflict::UnitSaved);
        }
        match self.commit(tx).await {
            Ok(()) => Ok(text),
            Err(StoreError::Condition(Conflict::UnitSaved)) => {
                self.job_part(&job.account_id, &job.id, name).await?.ok_or(StoreError::Condition(Conflict::UnitSaved))
            }
            Err(e) => Err(e),
        }
    }

    /// Takes a job for running: it must be queued, or running under an expired lease
    /// (its worker died). `Condition(Conflict::JobTaken)` otherwise — finished, or running
    /// elsewhere. Returns the job with its new `attempt`.
    pub async fn claim_job(&self, account_id: &AccountId, job_id: &JobId, lease_secs: i64) -> StoreResult<Job> {
        let now_secs = chrono::Utc::now().timestamp();
        let update = Update::new(keys::job(account_id, job_id))
            .set("state", JobState::Running)?
            .set("phase", JobPhase::Prep)?
            .set("lease_until", now_secs + lease_secs)?
            .set("updated_at", now())?
            .add("attempt", 1)
            .when("(#state = :queued OR (#state = :running AND lease_until < :now))")
            .name("#state", "state")
            .value(":queued", JobState::Queued)?
            .value(":running", JobState::Running)?
            .value(":now", now_secs)?;
        self.update(update, Conflict::JobTaken).await
    }

    /// An update of the job valid only while `job.attempt` holds it.
    pub fn job_update(&self, job: &Job) -> StoreResult<Update> {
        Update::new(job.key())
            .set("updated_at", now())?
            .when("attempt = :attempt AND #state = :running")
            .name("#state", "state")
            .value(":attempt", job.attempt)?
            .value(":running", JobState::Running)
    }

    /// Moves the job to `phase` (`Condition(Conflict::LeaseLost)` if another attempt took it).
    pub async fn set_job_phase(&self, job: &Job, phase: JobPhase) -> StoreResult<Job> {
        self.update(self.job_update(job)?.set("phase", phase)?, Conflict::LeaseLost).await
    }

    /// Records which provider and model the job's calls go to.
    pub async fn set_job_provider(&self, job: &Job, provider: &str, model: &str) -> StoreResult<Job> {
        self.update(self.job_update(job)?.set("provider", provider)?.set("model", model)?, Conflict::LeaseLost).await
    }

    /// Records an item that failed without saving anything.
    pub async fn fail_job_item(&self, job: &Job, item_id: &str, reason: &str) -> StoreResult<Job> {
        let progress =
            ItemProgress { state: ItemState::Failed, reason: Some(reason.to_owned()), results: vec![], credits: 0 };
        let mut update = self.job_update(job)?.add("failed", 1);
        if !job.item_ids.is_empty() {
            update = update.set_entry("items", item_id, progress)?;
        }
        self.update(update, Conflict::LeaseLost).await
    }

    /// Ends the job: `Done`, or `Failed` with `reason`; what it still holds of the
    /// account's credits is released in the same transaction (so exactly once).
    pub async fn finish_job(&self, job: &Job, failure: Option<&str>) -> StoreResult<Job> {
        let (state, phase) = match failure {
            None => (JobState::Done, JobPhase::Done),
            Some(_) => (JobState::Failed, JobPhase::Failed),
        };
        let stamp = now();
        let mut update = self
            .job_update(job)?
            .set("state", state)?
            .set("phase", phase)?
            .set("finished_at", &stamp)?
            .set("lease_until", 0)?;
        if let Some(reason) = failure {
            update = update.set("reason", reason)?;
        }
        let mut tx = Tx::new();
        tx.update(self.table(), update, Conflict::LeaseLost);
        release_hold(&mut tx, self.table(), job, job.held_left());
        self.commit(tx).await?;
        Ok(Job {
            state,
            phase,
            reason: failure.map(str::to_owned).or_else(|| job.reason.clone()),
            finished_at: Some(stamp.clone()),
            lease_until: 0,
            updated_at: stamp,
            ..job.clone()
        })
    }

    /// Sets the job's done and failed counts (for jobs that count items themselves).
    pub async fn set_job_counts(&self, job: &Job, done: u64, failed: u64) -> StoreResult<Job> {
        self.update(self.job_update(job)?.set("done", done)?.set("failed", failed)?, Conflict::LeaseLost).await
    }

    /// Hands a job back (state `queued`) after a transient failure, so the redelivered
    /// message can take it at once instead of waiting for the lease to expire.
    pub async fn release_job(&self, job: &Job) -> StoreResult<Job> {
        let update = self.job_update(job)?.set("state", JobState::Queued)?.set("lease_until", 0)?;
        self.update(update, Conflict::LeaseLost).await
    }

    /// Ends a job that cannot run at all (its input is gone), whoever holds it.
    pub async fn abandon_job(&self, job: &Job, reason: &str) -> StoreResult<()> {
        let update = Update::new(job.key())
            .set("state", JobState::Failed)?
            .set("phase", JobPhase::Failed)?
            .set("reason", reason)?
            .set("finished_at", now())?
            .set("updated_at", now())?
            .when("#state <> :failed AND #state <> :done")
            .name("#state", "state")
            .value(":failed", JobState::Failed)?
            .value(":done", JobState::Done)?;
        let mut tx = Tx::new();
        tx.update(self.table(), update, Conflict::State);
        release_hold(&mut tx, self.table(), job, job.held_left());
        self.commit(tx).await
    }

    /// Watched jobs of a shard created before `before` (RFC 3339), oldest first.
    pub async fn watched_jobs(&self, shard: u32, before: &str, limit: i32) -> StoreResult<Vec<(Key, JobWatch)>> {
        let pk = format!("JOBWATCH#{shard}");
        let items = self.query_below::<WatchItem>(&pk, before, limit).await?;
        Ok(items
            .into_iter()
            .map(|i| (Key::new(i.pk, i.sk), JobWatch { account_id: i.account_id, job_id: i.job_id, resent: i.resent }))
            .collect())
    }

    /// Stops watching a job (it finished).
    pub async fn unwatch_job(&self, key: Key) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.delete_if_present(self.table(), key);
        self.commit(tx).await
    }

    /// Notes one more resend of a watched job.
    pub async fn count_resend(&self, key: Key) -> StoreResult<()> {
        let update = Update::new(key).add("resent", 1);
        match self.update::<WatchItem>(update, Conflict::Gone).await {
            Ok(_) | Err(StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether a unit of the job was saved already.
    pub async fn job_unit_saved(&self, job: &Job, unit: &str) -> StoreResult<bool> {
        #[derive(Deserialize)]
        struct Marker {}
        Ok(self.get::<Marker>(keys::job_unit(&job.account_id, &job.id, unit)).await?.is_some())
    }
}

/// What saving one unit adds to the job.
#[derive(Debug, Clone, Default)]
pub struct UnitOutcome {
    /// The input item it belongs to, for per-item progress (None: no item entry).
    pub item_id: Option<String>,
    /// Input items it completes (for `done`).
    pub items_done: u64,
    pub results: Vec<String>,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_micros: i64,
    /// Set when the unit's dollar cost is unknown, saying why.
    pub cost_note: Option<String>,
    pub credits: i64,
    /// The account's counts the unit moves (`("ideas_count", 3)`), moved with its charge:
    /// one transaction may not touch the account item twice.
    pub account_counts: Vec<(&'static str, i64)>,
    /// Words written and images drawn, for the month's usage (plan limits).
    pub words: u64,
    pub images: u64,
    /// What of the job's hold the unit's charge uses up (set when it is saved).
    pub hold_used: i64,
}

impl Tx {
    /// Adds the unit's bookkeeping to the transaction that saves it: the unit marker
    /// (`Condition(Conflict::UnitSaved)` if it was saved before) and the job's counters, under
    /// the worker's attempt (`Condition(Conflict::LeaseLost)`).
    pub fn save_job_unit(&mut self, store: &Store, job: &Job, unit: &str, outcome: &UnitOutcome) -> StoreResult<()> {
        #[derive(Serialize)]
        struct Marker<'a> {
            job_id: &'a str,
            unit: &'a str,
            saved_at: String,
        }
        let marker = Marker { job_id: &job.id, unit, saved_at: now() };
        self.create(
            store.table(),
            Record::new(keys::job_unit(&job.account_id, &job.id, unit), "job_unit", &marker)?,
            Conflict::UnitSaved,
        );
        let mut update = store
            .job_update(job)?
            .add("done", outcome.items_done as i64)
            .add("tokens_in", outcome.tokens_in as i64)
            .add("tokens_out", outcome.tokens_out as i64)
            .add("cost_micros", outcome.cost_micros)
            .add("credits", outcome.credits)
            .add("hold_used", outcome.hold_used);
        if let Some(note) = &outcome.cost_note {
            update = update.set("cost_note", note)?;
        }
        if let Some(item_id) = &outcome.item_id {
            let progress = ItemProgress {
                state: ItemState::Done,
                reason: None,
                results: outcome.results.clone(),
                credits: outcome.credits,
            };
            update = update.set_entry("items", item_id, progress)?;
        }
        self.update(store.table(), update, Conflict::LeaseLost);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_split_at_character_boundaries() {
        let text = "é".repeat(PART_BYTES);
        let parts = split_parts(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.len() <= PART_BYTES));
        assert!(split_parts("").is_empty());
    }
}
