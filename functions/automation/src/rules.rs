//! `rules/`: automation rules of a site's sector. Editors and up on the sites they may
//! see; turning on publishing with status `publish` (posts going live by themselves)
//! needs an admin. Every save carries the rule over to its schedule.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use chrono::Utc;
use igny8_automation::conditions;
use igny8_automation::cron::{CronRule, zone};
use igny8_automation::runner::max_batch;
use igny8_http::Deleted;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success, not_blank};
use igny8_store::RuleId;
use igny8_store::UserId;
use igny8_store::{
    AutomationRule, Condition, PublishPolicy, PublishStatus, Stage, StoreError, Trigger, TriggerType, now,
};
use igny8_store::{SectorId, SiteId};
use igny8_tenancy::{Access, Tenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::AutomationState;

/// A rule, whole on create (`name`, `site_id`, `sector_id`, `trigger` and `stages`
/// required) or in part on update (a rule stays on its site and sector).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationRuleInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    name: Option<String>,
    site_id: Option<SiteId>,
    sector_id: Option<SectorId>,
    /// True unless given on create.
    enabled: Option<bool>,
    trigger: Option<Trigger>,
    /// At most 20; a stage's candidates must match all of those on their kind.
    #[validate(length(max = 20))]
    conditions: Option<Vec<Condition>>,
    /// 1 to 7, in pipeline order, each action at most once.
    #[validate(length(min = 1, max = 7))]
    stages: Option<Vec<Stage>>,
    /// Publishing with status `publish` needs an admin.
    publish: Option<PublishPolicy>,
}

/// A rule with its next run, in UTC and in its zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationRuleView {
    #[serde(flatten)]
    rule: AutomationRule,
    /// RFC 3339 in UTC; null unless the rule is enabled and on a schedule.
    next_run_at: Option<String>,
    /// The same moment in the rule's zone.
    next_run_at_local: Option<String>,
}

pub(crate) fn view(rule: &AutomationRule) -> AutomationRuleView {
    let (next_run_at, next_run_at_local) = next_run(rule).unzip();
    AutomationRuleView { rule: rule.clone(), next_run_at, next_run_at_local }
}

fn next_run(rule: &AutomationRule) -> Option<(String, String)> {
    if !rule.enabled || rule.trigger.kind != TriggerType::Schedule {
        return None;
    }
    let cron = CronRule::parse(rule.trigger.cron.as_deref()?).ok()?;
    let tz = zone(rule.trigger.timezone.as_deref().unwrap_or("UTC")).ok()?;
    let at = cron.next_run(tz, Utc::now())?;
    Some((at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), at.with_timezone(&tz).to_rfc3339()))
}

/// Field errors for everything a rule says; collected, not first-only.
fn check(rule: &AutomationRule) -> ApiResult<()> {
    let mut errors: Vec<(String, String)> = Vec::new();
    match rule.trigger.kind {
        TriggerType::Schedule => {
            match rule.trigger.cron.as_deref() {
                None => errors.push(("trigger.cron".into(), "A schedule needs a cron expression.".into())),
                Some(text) => {
                    if let Err(e) = CronRule::parse(text) {
                        errors.push(("trigger.cron".into(), e));
                    }
                }
            }
            if let Err(e) = zone(rule.trigger.timezone.as_deref().unwrap_or("UTC")) {
                errors.push(("trigger.timezone".into(), e));
            }
        }
        _ => {
            if rule.trigger.cron.is_some() {
                errors.push(("trigger.cron".into(), "Only a schedule trigger takes a cron expression.".into()));
            }
        }
    }
    for (n, condition) in rule.conditions.iter().enumerate() {
        if let Err((field, message)) = conditions::validate(condition) {
            errors.push((format!("conditions[{n}].{field}"), message));
        }
    }
    let mut seen = Vec::new();
    for (n, stage) in rule.stages.iter().enumerate() {
        if seen.last().is_some_and(|last| *last >= stage.action) {
            errors.push((format!("stages[{n}].action"), "Stages run in pipeline order, each at most once.".into()));
        }
        seen.push(stage.action);
        let max = max_batch(stage.action);
        if stage.batch_size == 0 || stage.batch_size > max {
            errors.push((format!("stages[{n}].batch_size"), format!("Between 1 and {max}.")));
        }
    }
    if rule.stages.is_empty() {
        errors.push(("stages".into(), "Give at least one stage.".into()));
    }
    if rule.publish.daily_cap == Some(0) {
        errors.push(("publish.daily_cap".into(), "At least 1 (or leave it out for no cap).".into()));
    }
    if rule.publish.status == PublishStatus::Future {
        errors.push(("publish.status".into(), "Use draft or publish.".into()));
    }
    match errors.split_first() {
        None => Ok(()),
        Some(((field, message), rest)) => {
            let mut error = ApiError::field(field.clone(), message.clone());
            for (field, message) in rest {
                error.errors.entry(field.clone()).or_default().push(message.clone());
            }
            Err(error)
        }
    }
}

/// Publishing live by itself is an admin's decision.
fn check_publish_role(tenant: &Tenant, rule: &AutomationRule) -> ApiResult<()> {
    let publishes = rule.stages.iter().any(|s| s.action == igny8_store::StageAction::Publish);
    // Enabled or not: a disabled rule can still be run by hand.
    if publishes && rule.publish.status == PublishStatus::Publish {
        tenant.require(Access::Admin).map_err(|_| {
            ApiError::forbidden("Only an admin can let a rule publish posts live; use status draft or ask an admin.")
        })?;
    }
    Ok(())
}

/// Stores the rule and carries it over to its schedule. The rule is written unsynced
/// first: if the scheduler fails, the rule says so (`schedule_synced: false`) and the
/// request answers 503 — saving again, or the rule's next firing, repairs it.
async fn save(state: &AutomationState, mut rule: AutomationRule, create: bool) -> ApiResult<AutomationRule> {
    let store = &state.tenancy.store;
    rule.schedule_synced = false;
    rule.updated_at = now();
    if create {
        store.create(&rule).await?;
    } else {
        store.put_automation_rule(&rule).await?;
    }
    if let Err(e) = state.schedules.sync(&rule).await {
        tracing::error!(rule_id = %rule.id, error = %e, "the rule's schedule could not be updated");
        return Err(ApiError::unavailable("The rule was saved but its schedule could not be updated; save it again."));
    }
    rule.schedule_synced = true;
    store.mark_schedule_synced(&rule).await?;
    Ok(rule)
}

#[utoipa::path(post, path = "/api/v1/automation/rules", tag = "automation", request_body = AutomationRuleInput,
    responses(
        (status = 201, description = "The new rule, its schedule in place.", body = Envelope<AutomationRuleView>),
        (status = 503, description = "The rule was saved but its schedule could not be updated (`schedule_synced: false`): save it again.", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AutomationState>,
    tenant: Tenant,
    JsonBody(input): JsonBody<AutomationRuleInput>,
) -> ApiResult<(StatusCode, Success<AutomationRuleView>)> {
    tenant.require(Access::Write)?;
    let mut missing = Vec::new();
    for (field, given) in [
        ("name", input.name.is_some()),
        ("site_id", input.site_id.is_some()),
        ("sector_id", input.sector_id.is_some()),
        ("trigger", input.trigger.is_some()),
        ("stages", input.stages.is_some()),
    ] {
        if !given {
            missing.push(field);
        }
    }
    if let Some((first, rest)) = missing.split_first() {
        let mut error = ApiError::field(*first, "This field is required.");
        for field in rest {
            error.errors.insert((*field).into(), vec!["This field is required.".into()]);
        }
        return Err(error);
    }
    let (Some(site_id), Some(sector_id)) = (&input.site_id, &input.sector_id) else {
        return Err(ApiError::field("site_id", "This field is required."));
    };
    let (site, sector) = state.tenancy.resolve_sector(&tenant, site_id, sector_id).await?;
    let stamp = now();
    let rule = AutomationRule {
        id: RuleId::generate(),
        account_id: tenant.account_id().clone(),
        site_id: site.id,
        sector_id: sector.id,
        name: input.name.unwrap_or_default().trim().to_owned(),
        enabled: input.enabled.unwrap_or(true),
        trigger: input.trigger.unwrap_or(Trigger { kind: TriggerType::Manual, cron: None, timezone: None }),
        conditions: input.conditions.unwrap_or_default(),
        stages: input.stages.unwrap_or_default(),
        publish: input.publish.unwrap_or_default(),
        active_run_id: None,
        schedule_synced: false,
        drip_day: String::new(),
        drip_count: 0,
        // A site key acts for no user.
        created_by: tenant.user.as_ref().map_or_else(|| UserId::from(""), |u| u.id.clone()),
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    check(&rule)?;
    check_publish_role(&tenant, &rule)?;
    let rule = save(&state, rule, true).await?;
    Ok((StatusCode::CREATED, Success::created(view(&rule))))
}

pub(crate) async fn find(state: &AutomationState, tenant: &Tenant, id: &RuleId) -> ApiResult<AutomationRule> {
    state.tenancy.find_scoped::<AutomationRule>(tenant, id, "Rule").await
}

#[utoipa::path(get, path = "/api/v1/automation/rules/{id}", tag = "automation",
    params(("id" = String, Path, description = "The rule's id.")),
    responses((status = 200, description = "The rule.", body = Envelope<AutomationRuleView>)))]
pub async fn read(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<RuleId>,
) -> ApiResult<Success<AutomationRuleView>> {
    tenant.require(Access::Read)?;
    Ok(Success::ok(view(&find(&state, &tenant, &id).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuleFilter {
    /// The site whose rules to list.
    #[param(required = true)]
    site_id: Option<SiteId>,
    /// Only this sector's rules.
    sector_id: Option<SectorId>,
}

#[utoipa::path(get, path = "/api/v1/automation/rules", tag = "automation", params(PageQuery, RuleFilter),
    responses((status = 200, description = "The site's rules.", body = Page<AutomationRuleView>)))]
pub async fn list(
    State(state): State<AutomationState>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    QueryParams(filter): QueryParams<RuleFilter>,
    uri: Uri,
) -> ApiResult<ListResponse<AutomationRuleView>> {
    tenant.require(Access::Read)?;
    page.check()?;
    let rules: Vec<AutomationRule> =
        state.tenancy.list_in_scope(&tenant, filter.site_id.as_ref(), filter.sector_id.as_ref()).await?;
    Ok(ListResponse::paginate(rules.iter().map(view).collect(), &page, &uri))
}

#[utoipa::path(method(put, patch), path = "/api/v1/automation/rules/{id}", tag = "automation",
    params(("id" = String, Path, description = "The rule's id.")), request_body = AutomationRuleInput,
    responses(
        (status = 200, description = "The rule as changed, its schedule in place.", body = Envelope<AutomationRuleView>),
        (status = 503, description = "The rule was saved but its schedule could not be updated (`schedule_synced: false`): save it again.", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<RuleId>,
    JsonBody(input): JsonBody<AutomationRuleInput>,
) -> ApiResult<Success<AutomationRuleView>> {
    tenant.require(Access::Write)?;
    let mut rule = find(&state, &tenant, &id).await?;
    if input.site_id.as_ref().is_some_and(|s| *s != rule.site_id) {
        return Err(ApiError::field("site_id", "A rule stays on its site; make a new rule for another."));
    }
    if input.sector_id.as_ref().is_some_and(|s| *s != rule.sector_id) {
        // The rule is listed (and found by imports) under its sector: it stays there.
        return Err(ApiError::field("sector_id", "A rule stays in its sector; make a new rule for another."));
    }
    if let Some(name) = input.name {
        rule.name = name.trim().to_owned();
    }
    if let Some(enabled) = input.enabled {
        rule.enabled = enabled;
    }
    if let Some(trigger) = input.trigger {
        rule.trigger = trigger;
    }
    if let Some(conditions) = input.conditions {
        rule.conditions = conditions;
    }
    if let Some(stages) = input.stages {
        rule.stages = stages;
    }
    if let Some(publish) = input.publish {
        rule.publish = publish;
    }
    check(&rule)?;
    check_publish_role(&tenant, &rule)?;
    Ok(Success::ok(view(&save(&state, rule, false).await?)))
}

/// Deletes the schedule first, then the rule: a failure leaves both (and says so), never
/// a schedule firing for a rule that is gone. A run in progress stops at its next step.
#[utoipa::path(delete, path = "/api/v1/automation/rules/{id}", tag = "automation",
    params(("id" = String, Path, description = "The rule's id.")),
    responses(
        (status = 200, description = "The rule and its schedule are deleted.", body = Envelope<Deleted>),
        (status = 503, description = "The schedule could not be deleted; the rule is kept. Try again.", body = ErrorEnvelope),
    ))]
pub async fn remove(
    State(state): State<AutomationState>,
    tenant: Tenant,
    Path(id): Path<RuleId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Write)?;
    let mut rule = find(&state, &tenant, &id).await?;
    // Unsynced first: should the rule's own delete fail after its schedule is gone, the
    // rule says so instead of claiming a schedule it no longer has.
    rule.schedule_synced = false;
    rule.updated_at = now();
    state.tenancy.store.put_automation_rule(&rule).await?;
    if let Err(e) = state.schedules.delete(&rule.id).await {
        tracing::error!(rule_id = %rule.id, error = %e, "the rule's schedule could not be deleted");
        return Err(ApiError::unavailable("The rule's schedule could not be deleted; nothing was changed. Try again."));
    }
    state.tenancy.store.remove::<AutomationRule>(tenant.account_id(), &rule.id).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("Rule"),
        e => e.into(),
    })?;
    Ok(Success::ok(Deleted::of(rule.id)))
}
