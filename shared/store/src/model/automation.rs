//! Automation rules and their runs (`docs/product.md §4` automation, `docs/automation.md`).
//!
//! A rule belongs to a site's sector. At most one run of a rule is active: the rule
//! holds `active_run_id`, set only where it is absent when a run starts and cleared by
//! that run when it ends. A run moves through its stages by conditional writes on its
//! `step` counter, so a message delivered twice cannot advance it twice.

use crate::Conflict;
use crate::ids::{AccountId, JobId, RuleId, RunId, SectorId, SiteId, UserId};
use serde::{Deserialize, Serialize};

use crate::model::scoped::{Scoped, scoped};
use crate::model::wordpress::PublishStatus;
use crate::table::{AttributeValue, Item, Store, StoreError, StoreResult, Tx, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerType {
    Schedule,
    Manual,
    KeywordsImported,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trigger {
    #[serde(rename = "type")]
    pub kind: TriggerType,
    /// Five fields, as users write cron (`0 9 * * 1-5`); schedule triggers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA zone, e.g. `Europe/Berlin`; schedule triggers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// `{field, operator, value}` over a stage's candidates, e.g. `keyword.volume gte 100`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Condition {
    pub field: String,
    pub operator: String,
    pub value: serde_json::Value,
}

/// The seven stages, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageAction {
    AutoCluster,
    GenerateIdeas,
    QueueToWriter,
    GenerateContent,
    GenerateImagePrompts,
    GenerateImages,
    Publish,
}

impl StageAction {
    /// The job the stage submits (`queue_to_writer` makes tasks at once, without one).
    pub fn job_function(self) -> Option<crate::JobFunction> {
        use crate::JobFunction as F;
        match self {
            StageAction::AutoCluster => Some(F::AutoCluster),
            StageAction::GenerateIdeas => Some(F::GenerateIdeas),
            StageAction::QueueToWriter => None,
            StageAction::GenerateContent => Some(F::GenerateContent),
            StageAction::GenerateImagePrompts => Some(F::GenerateImagePrompts),
            StageAction::GenerateImages => Some(F::GenerateImages),
            StageAction::Publish => Some(F::Publish),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StageAction::AutoCluster => "auto_cluster",
            StageAction::GenerateIdeas => "generate_ideas",
            StageAction::QueueToWriter => "queue_to_writer",
            StageAction::GenerateContent => "generate_content",
            StageAction::GenerateImagePrompts => "generate_image_prompts",
            StageAction::GenerateImages => "generate_images",
            StageAction::Publish => "publish",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stage {
    pub action: StageAction,
    pub batch_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublishPolicy {
    /// `draft` or `publish`.
    pub status: PublishStatus,
    /// Posts published per day (in the rule's zone) at most; None: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
    /// Publish only content an editor moved to `review`.
    pub require_approval: bool,
}

impl Default for PublishPolicy {
    fn default() -> Self {
        Self { status: PublishStatus::Draft, daily_cap: None, require_approval: true }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutomationRule {
    pub id: RuleId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    pub stages: Vec<Stage>,
    #[serde(default)]
    pub publish: PublishPolicy,
    /// The run in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_run_id: Option<RunId>,
    /// Whether the scheduler holds what this item says (false while a change is being
    /// carried over, or after it failed: the next save or firing repairs it).
    #[serde(default)]
    pub schedule_synced: bool,
    /// Posts published on `drip_day` (the rule's local date), for the daily cap.
    #[serde(default)]
    pub drip_day: String,
    #[serde(default)]
    pub drip_count: u32,
    pub created_by: UserId,
    pub created_at: String,
    pub updated_at: String,
}

scoped!(AutomationRule, crate::RuleId, "automation_rule", "RULE");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Done,
    /// Stopped cleanly (out of credits, the rule deleted); the next firing resumes.
    Stopped,
    Failed,
    /// Fired while another run of the rule was active.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Pending,
    Running,
    Done,
    Stopped,
    Failed,
}

/// How one stage of a run went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StageRun {
    pub action: StageAction,
    /// As the rule said when the run started (0 on runs made before it was kept here).
    #[serde(default)]
    pub batch_size: u32,
    pub state: StageState,
    /// Candidates that matched the rule's conditions.
    #[serde(default)]
    pub considered: u64,
    /// Those handed to the stage's job (at most the batch size).
    #[serde(default)]
    pub taken: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<JobId>,
    #[serde(default)]
    pub credits: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutomationRun {
    pub id: RunId,
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub sector_id: SectorId,
    pub rule_id: RuleId,
    /// `schedule`, `manual` or `keywords_imported`.
    pub trigger: String,
    pub state: RunState,
    /// The stage in progress (index into `stages`).
    pub stage: usize,
    /// Bumped by every transition; each transition is conditional on the value read.
    pub step: u64,
    pub stages: Vec<StageRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub credits: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

scoped!(AutomationRun, crate::RunId, "automation_run", "RUN");

impl AutomationRun {
    pub fn is_finished(&self) -> bool {
        !matches!(self.state, RunState::Running)
    }
}

impl Store {
    /// Saves what a person changes of a rule (its definition), leaving what runs keep on
    /// it (`active_run_id`, the daily count) as they are. `Condition("missing")` if gone.
    pub async fn put_automation_rule(&self, rule: &AutomationRule) -> StoreResult<()> {
        let update = Update::new(rule.key())
            .set("name", &rule.name)?
            .set("enabled", rule.enabled)?
            .set("trigger", &rule.trigger)?
            .set("conditions", &rule.conditions)?
            .set("stages", &rule.stages)?
            .set("publish", rule.publish)?
            .set("schedule_synced", rule.schedule_synced)?
            .set("updated_at", &rule.updated_at)?
            .when("attribute_exists(PK)");
        self.update::<AutomationRule>(update, Conflict::Missing).await.map(|_| ())
    }

    /// Notes that the scheduler holds the rule as saved at `rule.updated_at` (not if it
    /// was saved again since: that save syncs it).
    pub async fn mark_schedule_synced(&self, rule: &AutomationRule) -> StoreResult<()> {
        let update = Update::new(rule.key())
            .set("schedule_synced", true)?
            .when("updated_at = :u")
            .value(":u", &rule.updated_at)?;
        match self.update::<AutomationRule>(update, Conflict::Changed).await {
            Ok(_) | Err(StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Starts `run` for `rule`: the rule must have no active run (`Condition(Conflict::RunActive)`
    /// otherwise, and nothing is written).
    pub async fn start_run(&self, rule: &AutomationRule, run: &AutomationRun) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.create(self.table(), run.record()?, Conflict::Exists);
        let update = Update::new(rule.key())
            .set("active_run_id", &run.id)?
            .when("attribute_exists(PK) AND attribute_not_exists(active_run_id)");
        tx.update(self.table(), update, Conflict::RunActive);
        self.commit(tx).await
    }

    /// Records a run that did not start (a firing while another was active) — also when
    /// the rule's sector is gone meanwhile: the record says what happened.
    pub async fn add_finished_run(&self, run: &AutomationRun) -> StoreResult<()> {
        let mut tx = Tx::new();
        tx.create(self.table(), run.record()?, Conflict::Exists);
        self.commit(tx).await
    }

    /// Replaces the run if it is still at `expected_step` (`Condition(Conflict::RunMoved)` if
    /// another delivery moved it first); `next.step` must be `expected_step + 1`. A
    /// finished run also lets go of its rule (if the rule still exists).
    pub async fn save_run_step(&self, next: &AutomationRun, expected_step: u64) -> StoreResult<()> {
        let mut tx = Tx::new();
        let values = Item::from([(":s".to_owned(), AttributeValue::N(expected_step.to_string()))]);
        tx.replace_if(self.table(), next.record()?, "step = :s", values, Conflict::RunMoved);
        self.commit(tx).await?;
        if next.is_finished() {
            self.release_rule(next).await?;
        }
        Ok(())
    }

    /// Clears the rule's `active_run_id` if it is this run's (nothing if the rule was
    /// deleted or another run holds it).
    pub async fn release_rule(&self, run: &AutomationRun) -> StoreResult<()> {
        let update = Update::new(crate::model::scoped::scoped_key::<AutomationRule>(&run.account_id, &run.rule_id))
            // `updated_at` stays: it dates the rule's definition (see `mark_schedule_synced`).
            .remove("active_run_id")
            .when("active_run_id = :run")
            .value(":run", &run.id)?;
        match self.update::<AutomationRule>(update, Conflict::Released).await {
            Ok(_) | Err(StoreError::Condition(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Counts `published` posts against the rule's daily cap on `day`; false when the
    /// cap is reached (nothing counted). Days roll over by the date changing.
    pub async fn count_drip(&self, rule: &AutomationRule, day: &str, published: u32, cap: u32) -> StoreResult<bool> {
        let today = if rule.drip_day == day { rule.drip_count } else { 0 };
        if today + published > cap {
            return Ok(false);
        }
        let update = Update::new(rule.key())
            .set("drip_day", day)?
            .set("drip_count", today + published)?
            .when("attribute_exists(PK) AND ((drip_day = :day AND drip_count = :count) OR drip_day <> :day)")
            .value(":day", day)?
            .value(":count", rule.drip_count)?;
        match self.update::<AutomationRule>(update, Conflict::DripMoved).await {
            Ok(_) => Ok(true),
            Err(StoreError::Condition(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The rule's runs, newest first.
    pub async fn runs_of_rule(
        &self,
        account_id: &AccountId,
        site_id: &SiteId,
        rule_id: &RuleId,
    ) -> StoreResult<Vec<AutomationRun>> {
        let runs: Vec<AutomationRun> = self.list_scope(account_id, site_id, None).await?;
        let mut mine: Vec<AutomationRun> = runs.into_iter().filter(|r| r.rule_id == rule_id).collect();
        mine.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
        Ok(mine)
    }
}

/// Stage runs for a rule's stages, all pending.
pub fn pending_stages(stages: &[Stage]) -> Vec<StageRun> {
    stages
        .iter()
        .map(|s| StageRun {
            action: s.action,
            batch_size: s.batch_size,
            state: StageState::Pending,
            considered: 0,
            taken: 0,
            job_id: None,
            credits: 0,
            reason: None,
        })
        .collect()
}
