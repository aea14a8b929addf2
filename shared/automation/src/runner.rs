//! Runs: a rule fired (by its schedule, by hand, by an import) becomes a run that moves
//! stage by stage. Each stage picks its candidates in the rule's sector (narrowed by the
//! conditions, at most the batch size), submits one job through the same submission as
//! the API (same credit check), and waits: the job's worker reports its end on the
//! automation queue, and that message moves the run on. Nothing sleeps or polls.
//!
//! Every transition is a conditional write on the run's `step`, and a stage's job has an
//! id derived from the run and the stage (created only once), so a message delivered
//! twice neither advances a run twice nor starts a stage twice. A firing that finds the
//! previous run still active is recorded as skipped — unless that run's job finished and
//! its report was lost, in which case the firing moves it on.

use igny8_store::{AccountId, RuleId};
use igny8_store::{ClusterId, ContentId, JobId, RunId, SectorId, SiteId};
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use igny8_ai::jobs::{self, AUTOMATION_RUN, JobQueue, JobRequest, SubmitError, estimate};
use igny8_store::{
    AutomationRule, AutomationRun, Cluster, Conflict, Content, ContentStatus, Idea, IdeaStatus, Image, ImageStatus,
    JobState, Keyword, KeywordStatus, PublishStatus, RunState, StageAction, StageState, Store, StoreError, Task,
    TaskStatus, TriggerType, now, pending_stages,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::conditions;

/// What the automation queue carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AutomationMessage {
    /// A rule's schedule fired (EventBridge Scheduler's input, with the time it was due),
    /// or a person asked.
    Fire {
        account_id: AccountId,
        rule_id: RuleId,
        trigger: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scheduled_at: Option<String>,
    },
    /// Move a run on (after it was started by hand).
    Advance { account_id: AccountId, run_id: RunId },
    /// Keywords were imported into a sector (at `imported_at`).
    KeywordsImported {
        account_id: AccountId,
        site_id: SiteId,
        sector_id: SectorId,
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        imported_at: Option<String>,
    },
    /// A job of a run finished (sent by the AI worker and the publisher).
    JobFinished { account_id: AccountId, job_id: JobId },
    /// Time to look for jobs no worker took up (a schedule of the stack, every 15 min).
    SweepJobs { sweep_jobs: bool },
}

/// A waiting job is sent again after this long.
pub const STALE_AFTER_MINUTES: i64 = 15;

/// The queues a runner submits to.
#[derive(Clone)]
pub struct Runner {
    pub store: Store,
    /// AI jobs.
    pub ai: JobQueue,
    /// Publish jobs.
    pub publish: JobQueue,
}

/// Largest batch each stage takes (the API's own limits per request).
pub fn max_batch(action: StageAction) -> u32 {
    match action {
        StageAction::AutoCluster => 10_000,
        StageAction::GenerateImages => 100,
        _ => 50,
    }
}

impl Runner {
    pub async fn handle(&self, message: AutomationMessage) -> Result<(), StoreError> {
        match message {
            AutomationMessage::Fire { account_id, rule_id, trigger, scheduled_at } => {
                self.fire_once(&account_id, &rule_id, &trigger, scheduled_at.as_deref()).await.map(|_| ())
            }
            AutomationMessage::Advance { account_id, run_id } => {
                match self.store.find::<AutomationRun>(&account_id, &run_id).await? {
                    Some(run) => self.advance(run).await,
                    None => Ok(()),
                }
            }
            AutomationMessage::KeywordsImported { account_id, site_id, sector_id, imported_at, .. } => {
                let rules: Vec<AutomationRule> = self.store.list_scope(&account_id, &site_id, Some(&sector_id)).await?;
                for rule in rules.iter().filter(|r| r.enabled && r.trigger.kind == TriggerType::KeywordsImported) {
                    self.fire_once(&account_id, &rule.id, "keywords_imported", imported_at.as_deref()).await?;
                }
                Ok(())
            }
            AutomationMessage::SweepJobs { .. } => {
                let stale = chrono::Duration::minutes(STALE_AFTER_MINUTES);
                let swept = jobs::sweep(&self.store, &self.ai, &self.publish, Utc::now(), stale).await?;
                tracing::info!(?swept, "jobs swept");
                Ok(())
            }
            AutomationMessage::JobFinished { account_id, job_id } => {
                let Some(job) = self.store.job(&account_id, &job_id).await? else { return Ok(()) };
                let Some(run_id) = job.options.get(AUTOMATION_RUN).and_then(Value::as_str) else { return Ok(()) };
                match self.store.find::<AutomationRun>(&account_id, &run_id.into()).await? {
                    Some(run) => self.advance(run).await,
                    None => Ok(()),
                }
            }
        }
    }

    /// Starts a run of the rule (or records a skipped one); the run.
    pub async fn fire(
        &self,
        account_id: &AccountId,
        rule_id: &RuleId,
        trigger: &str,
    ) -> Result<Option<AutomationRun>, StoreError> {
        self.fire_once(account_id, rule_id, trigger, None).await
    }

    /// [`Runner::fire`] for a firing that may be delivered more than once: with `when`
    /// (the time the schedule was due, or the import's time) the run's id is made from the
    /// rule and that time, so a second delivery finds the run and starts nothing.
    pub async fn fire_once(
        &self,
        account_id: &AccountId,
        rule_id: &RuleId,
        trigger: &str,
        when: Option<&str>,
    ) -> Result<Option<AutomationRun>, StoreError> {
        let Some(rule) = self.store.find::<AutomationRule>(account_id, rule_id).await? else {
            tracing::info!(%rule_id, "a deleted rule fired; nothing to do");
            return Ok(None);
        };
        if !rule.enabled && trigger != "manual" {
            return Ok(None);
        }
        // A schedule left behind by a failed save fires for a rule that no longer has one.
        if trigger == "schedule" && rule.trigger.kind != TriggerType::Schedule {
            return Ok(None);
        }
        let mut run = new_run(&rule, trigger);
        if let Some(when) = when {
            let stamp: String = when.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
            run.id = format!("run_{}_{stamp}", rule.id.trim_start_matches("rule_")).into();
            if let Some(existing) = self.store.find::<AutomationRun>(account_id, &run.id).await? {
                tracing::info!(run_id = %run.id, "this firing was delivered before");
                return Ok(Some(existing));
            }
        }
        match self.store.start_run(&rule, &run).await {
            Ok(()) => {
                self.advance(run.clone()).await?;
                Ok(self.store.find::<AutomationRun>(account_id, &run.id).await?)
            }
            Err(StoreError::Condition(Conflict::RunActive)) => {
                // The active run may only be waiting for a report that was lost: move it on.
                if let Some(active_id) = &rule.active_run_id
                    && let Some(active) = self.store.find::<AutomationRun>(account_id, active_id).await?
                {
                    if active.is_finished() {
                        self.store.release_rule(&active).await?;
                    } else {
                        self.advance(active).await?;
                    }
                }
                let mut skipped = run;
                skipped.state = RunState::Skipped;
                skipped.reason = Some("Another run of this rule was in progress.".into());
                skipped.finished_at = Some(now());
                self.store.add_finished_run(&skipped).await?;
                Ok(Some(skipped))
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the run as far as it can go now: through stages with nothing to do, up to
    /// a stage whose job is running, or to its end.
    pub async fn advance(&self, mut run: AutomationRun) -> Result<(), StoreError> {
        for _ in 0..=(2 * run.stages.len() + 2) {
            if run.is_finished() {
                // Again, should an earlier delivery have died between the two writes.
                return self.store.release_rule(&run).await;
            }
            let Some(next) = self.next_step(&run).await? else { return Ok(()) };
            match self.store.save_run_step(&next, run.step).await {
                Ok(()) => run = next,
                // Another delivery moved it; that one carries on.
                Err(StoreError::Condition(Conflict::RunMoved)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The run after one transition, or None when it waits for a job.
    async fn next_step(&self, run: &AutomationRun) -> Result<Option<AutomationRun>, StoreError> {
        let mut next = run.clone();
        next.step += 1;
        next.updated_at = now();
        let Some(rule) = self.store.find::<AutomationRule>(&run.account_id, &run.rule_id).await? else {
            return Ok(Some(finish(next, RunState::Stopped, Some("The rule was deleted.".into()))));
        };
        let index = run.stage;
        let Some(stage) = run.stages.get(index).cloned() else {
            return Ok(Some(finish(next, RunState::Done, None)));
        };
        match stage.state {
            StageState::Pending => {
                // The run's own copy: editing the rule meanwhile does not change a run.
                let batch = match stage.batch_size {
                    0 => rule.stages.get(index).map(|s| s.batch_size).unwrap_or(1),
                    kept => kept,
                };
                match self.start_stage(&rule, run, stage.action, batch).await? {
                    Started::Nothing { considered, reason } => {
                        let s = &mut next.stages[index];
                        (s.state, s.considered, s.reason) = (StageState::Done, considered, reason);
                        next.stage += 1;
                    }
                    Started::Done { considered, taken } => {
                        let s = &mut next.stages[index];
                        (s.state, s.considered, s.taken) = (StageState::Done, considered, taken);
                        next.stage += 1;
                    }
                    Started::Job { considered, taken, job_id } => {
                        let s = &mut next.stages[index];
                        (s.state, s.considered, s.taken, s.job_id) =
                            (StageState::Running, considered, taken, Some(job_id));
                    }
                    Started::OutOfCredits(reason) => {
                        let s = &mut next.stages[index];
                        (s.state, s.reason) = (StageState::Stopped, Some(reason.clone()));
                        return Ok(Some(finish(next, RunState::Stopped, Some(reason))));
                    }
                    Started::Failed(reason) => {
                        let s = &mut next.stages[index];
                        (s.state, s.reason) = (StageState::Failed, Some(reason.clone()));
                        return Ok(Some(finish(next, RunState::Failed, Some(reason))));
                    }
                }
                Ok(Some(next))
            }
            StageState::Running => {
                let Some(job_id) = stage.job_id.clone() else {
                    return Ok(Some(finish(next, RunState::Failed, Some("The stage's job is not recorded.".into()))));
                };
                let Some(job) = self.store.job(&run.account_id, &job_id).await? else {
                    return Ok(Some(finish(next, RunState::Failed, Some(format!("The job {job_id} is gone.")))));
                };
                if !job.is_finished() {
                    return Ok(None);
                }
                let s = &mut next.stages[index];
                s.credits = job.credits;
                next.credits += job.credits;
                match job.state {
                    JobState::Done => {
                        s.state = StageState::Done;
                        next.stage += 1;
                        Ok(Some(next))
                    }
                    _ => {
                        let reason = job.reason.clone().unwrap_or_else(|| "The job failed.".into());
                        let out_of_credits = reason.contains("INSUFFICIENT_CREDITS");
                        s.state = if out_of_credits { StageState::Stopped } else { StageState::Failed };
                        s.reason = Some(reason.clone());
                        let state = if out_of_credits { RunState::Stopped } else { RunState::Failed };
                        Ok(Some(finish(next, state, Some(reason))))
                    }
                }
            }
            // A stage already ended: move past it.
            _ => {
                next.stage += 1;
                Ok(Some(next))
            }
        }
    }

    /// Picks the stage's candidates and starts its work.
    async fn start_stage(
        &self,
        rule: &AutomationRule,
        run: &AutomationRun,
        action: StageAction,
        batch: u32,
    ) -> Result<Started, StoreError> {
        let store = &self.store;
        // An earlier delivery may have submitted the stage's job and died before recording
        // it: take that job up instead of picking (and charging, counting) anew.
        if action != StageAction::QueueToWriter
            && let Some(job) = store.job(&rule.account_id, &stage_job_id(run)).await?
        {
            return Ok(Started::Job { considered: job.total, taken: job.total, job_id: job.id });
        }
        let (account, site, sector) = (&rule.account_id, &rule.site_id, Some(&rule.sector_id));
        let conditions = &rule.conditions;
        let matching = |kind: &str, value: Value| conditions::matches(conditions, kind, &value);
        let (considered, ids, estimated, options, queue): (u64, Vec<String>, i64, Value, &JobQueue) = match action {
            StageAction::AutoCluster => {
                let all: Vec<Keyword> = store.list_scope(account, site, sector).await?;
                let open = all.iter().filter(|k| k.cluster_id.is_none() && k.status == KeywordStatus::Active);
                let (considered, ids) = pick(open, batch, |k| matching("keyword", json!(k)).then(|| k.id.to_string()));
                // Big batches go to the built-in clustering, as the API requires of them.
                let method = if ids.len() > igny8_ai::functions::MAX_AI_KEYWORDS { "builtin" } else { "ai" };
                (considered, ids, estimate::auto_cluster(), json!({"method": method}), &self.ai)
            }
            StageAction::GenerateIdeas => {
                let clusters: Vec<Cluster> = store.list_scope(account, site, sector).await?;
                let ideas: Vec<Idea> = store.list_scope(account, site, sector).await?;
                let with_ideas: HashSet<&ClusterId> = ideas.iter().filter_map(|i| i.cluster_id.as_ref()).collect();
                let open = clusters.iter().filter(|c| c.keywords_count > 0 && !with_ideas.contains(&c.id));
                let (considered, ids) = pick(open, batch, |c| matching("cluster", json!(c)).then(|| c.id.to_string()));
                let per_cluster = igny8_ai::functions::DEFAULT_IDEAS_PER_CLUSTER;
                let credits = estimate::ideas(ids.len());
                (considered, ids, credits, json!({"ideas_per_cluster": per_cluster}), &self.ai)
            }
            StageAction::QueueToWriter => {
                let ideas: Vec<Idea> = store.list_scope(account, site, sector).await?;
                let open =
                    |i: &&Idea| i.task_id.is_none() && matches!(i.status, IdeaStatus::Draft | IdeaStatus::Approved);
                let chosen: Vec<&Idea> = ideas.iter().filter(open).filter(|i| matching("idea", json!(i))).collect();
                let considered = chosen.len() as u64;
                let mut taken = 0;
                for idea in chosen.into_iter().take(batch as usize) {
                    match store.queue_idea(idea, &Task::from_idea(idea)).await {
                        Ok(()) => taken += 1,
                        Err(StoreError::Condition(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                return Ok(Started::Done { considered, taken });
            }
            StageAction::GenerateContent => {
                let tasks: Vec<Task> = store.list_scope(account, site, sector).await?;
                let open = tasks.iter().filter(|t| t.content_id.is_none() && t.status == TaskStatus::Queued);
                let (considered, ids) = pick(open, batch, |t| matching("task", json!(t)).then(|| t.id.to_string()));
                let words: Vec<u32> =
                    tasks.iter().filter(|t| ids.iter().any(|id| t.id == *id)).map(|t| t.word_count).collect();
                (considered, ids, estimate::content(words), json!({}), &self.ai)
            }
            StageAction::GenerateImagePrompts => {
                let content: Vec<Content> = store.list_scope(account, site, sector).await?;
                let images: Vec<Image> = store.list_scope(account, site, sector).await?;
                let illustrated: HashSet<&ContentId> = images.iter().filter_map(|i| i.content_id.as_ref()).collect();
                let open = content.iter().filter(|c| !illustrated.contains(&c.id));
                let (considered, ids) = pick(open, batch, |c| matching("content", json!(c)).then(|| c.id.to_string()));
                let in_article = igny8_ai::functions::DEFAULT_IN_ARTICLE_IMAGES;
                let credits = estimate::image_prompts(ids.len(), in_article);
                (considered, ids, credits, json!({"in_article_images": in_article}), &self.ai)
            }
            StageAction::GenerateImages => {
                let images: Vec<Image> = store.list_scope(account, site, sector).await?;
                let open = images.iter().filter(|i| i.status == ImageStatus::Pending && !i.prompt.trim().is_empty());
                let (considered, ids) = pick(open, batch, |i| Some(i.id.to_string()));
                let settings = store.ai_settings(account).await?;
                let credits = estimate::images(ids.len(), &settings.image_provider, &settings.image_quality);
                (considered, ids, credits, json!({}), &self.ai)
            }
            StageAction::Publish => return self.start_publish(rule, run, batch).await,
        };
        if ids.is_empty() {
            return Ok(Started::Nothing { considered, reason: None });
        }
        self.submit(rule, run, action, ids, considered, estimated, options, queue).await
    }

    async fn start_publish(
        &self,
        rule: &AutomationRule,
        run: &AutomationRun,
        batch: u32,
    ) -> Result<Started, StoreError> {
        let store = &self.store;
        if store.wp_integration_of_site(&rule.account_id, &rule.site_id).await?.is_none() {
            return Ok(Started::Failed("The site is not connected to WordPress.".into()));
        }
        let content: Vec<Content> = store.list_scope(&rule.account_id, &rule.site_id, Some(&rule.sector_id)).await?;
        let ready = |c: &&Content| {
            c.external_id.is_none()
                && match rule.publish.require_approval {
                    true => c.status == ContentStatus::Review,
                    false => matches!(c.status, ContentStatus::Draft | ContentStatus::Review),
                }
        };
        let chosen: Vec<String> = content
            .iter()
            .filter(ready)
            .filter(|c| conditions::matches(&rule.conditions, "content", &json!(c)))
            .map(|c| c.id.to_string())
            .collect();
        let considered = chosen.len() as u64;
        let mut take = batch.min(considered as u32);
        if take == 0 {
            let reason = rule.publish.require_approval.then(|| "Nothing approved (in review) to publish.".to_owned());
            return Ok(Started::Nothing { considered, reason });
        }
        if let Some(cap) = rule.publish.daily_cap {
            let day = local_day(rule, Utc::now());
            let used = if rule.drip_day == day { rule.drip_count } else { 0 };
            take = take.min(cap.saturating_sub(used));
            if take == 0 || !store.count_drip(rule, &day, take, cap).await? {
                return Ok(Started::Nothing {
                    considered,
                    reason: Some(format!("The daily cap of {cap} is reached.")),
                });
            }
        }
        let ids: Vec<String> = chosen.into_iter().take(take as usize).collect();
        let status = match rule.publish.status {
            PublishStatus::Publish => "publish",
            _ => "draft",
        };
        self.submit(rule, run, StageAction::Publish, ids, considered, 0, json!({"status": status}), &self.publish).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn submit(
        &self,
        rule: &AutomationRule,
        run: &AutomationRun,
        action: StageAction,
        mut ids: Vec<String>,
        considered: u64,
        estimated_credits: i64,
        mut options: Value,
        queue: &JobQueue,
    ) -> Result<Started, StoreError> {
        ids.sort();
        let taken = ids.len() as u64;
        options[AUTOMATION_RUN] = json!(run.id);
        let job_id = stage_job_id(run);
        let Some(function) = action.job_function() else {
            return Ok(Started::Failed(format!("{} submits no job", action.name())));
        };
        let request = JobRequest { function, site_id: rule.site_id.clone(), ids, options, estimated_credits };
        match jobs::submit(&self.store, queue, &rule.account_id, &rule.created_by, job_id.clone(), request).await {
            Ok(_) | Err(SubmitError::Exists) => Ok(Started::Job { considered, taken, job_id }),
            Err(SubmitError::InsufficientCredits { needed, balance }) => Ok(Started::OutOfCredits(format!(
                "INSUFFICIENT_CREDITS: {} needs about {needed} credits; the balance is {balance}.",
                action.name()
            ))),
            Err(SubmitError::Store(e)) => Err(e),
            Err(e @ (SubmitError::Queue(_) | SubmitError::PlanLimit(_))) => Ok(Started::Failed(e.to_string())),
        }
    }
}

/// One job per run and stage, whatever the deliveries: its id says which.
fn stage_job_id(run: &AutomationRun) -> JobId {
    format!("job_{}_{}", run.id.trim_start_matches("run_"), run.stage).into()
}

/// What starting a stage did.
enum Started {
    /// Nothing matched (or the cap is reached): the stage is done with zero items.
    Nothing {
        considered: u64,
        reason: Option<String>,
    },
    /// Done at once (queue_to_writer has no job).
    Done {
        considered: u64,
        taken: u64,
    },
    Job {
        considered: u64,
        taken: u64,
        job_id: JobId,
    },
    OutOfCredits(String),
    Failed(String),
}

/// How many items `keep` keeps, and the first `batch` of their ids (creation order).
fn pick<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    batch: u32,
    keep: impl Fn(&T) -> Option<String>,
) -> (u64, Vec<String>) {
    let kept: Vec<String> = items.filter_map(keep).collect();
    let considered = kept.len() as u64;
    (considered, kept.into_iter().take(batch as usize).collect())
}

fn finish(mut run: AutomationRun, state: RunState, reason: Option<String>) -> AutomationRun {
    run.state = state;
    run.reason = reason;
    run.finished_at = Some(now());
    run
}

fn new_run(rule: &AutomationRule, trigger: &str) -> AutomationRun {
    let stamp = now();
    AutomationRun {
        id: RunId::generate(),
        account_id: rule.account_id.clone(),
        site_id: rule.site_id.clone(),
        sector_id: rule.sector_id.clone(),
        rule_id: rule.id.clone(),
        trigger: trigger.to_owned(),
        state: RunState::Running,
        stage: 0,
        step: 0,
        stages: pending_stages(&rule.stages),
        reason: None,
        credits: 0,
        created_at: stamp.clone(),
        updated_at: stamp,
        finished_at: None,
    }
}

/// The rule's local date (its zone for scheduled rules, UTC otherwise), for the cap.
pub fn local_day(rule: &AutomationRule, at: DateTime<Utc>) -> String {
    let zone = rule.trigger.timezone.as_deref().and_then(|z| crate::cron::zone(z).ok());
    match zone {
        Some(zone) => at.with_timezone(&zone).format("%Y-%m-%d").to_string(),
        None => at.format("%Y-%m-%d").to_string(),
    }
}
