//! Each enabled rule with a schedule trigger owns one EventBridge Scheduler schedule
//! (`rule-<rule id>` in our schedule group), in the rule's time zone, whose target is the
//! automation queue with `{account_id, rule_id, trigger: "schedule"}` as input, a retry
//! policy and a dead-letter queue. AWS fires it; nothing of ours waits.

use aws_sdk_scheduler::types::{
    DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, ScheduleState, Target,
};
use igny8_store::RuleId;
use igny8_store::{AutomationRule, TriggerType};
use serde_json::json;

use crate::cron::CronRule;

/// EventBridge Scheduler's context attribute for the time a firing was due.
pub const SCHEDULED_TIME: &str = "<aws.scheduler.scheduled-time>";

/// Where schedules live and what they target.
#[derive(Clone)]
pub struct Schedules {
    pub client: aws_sdk_scheduler::Client,
    pub group: String,
    /// The automation queue's ARN.
    pub target_arn: String,
    /// The role the scheduler sends to the queue with.
    pub role_arn: String,
    /// Where firings that could not be delivered go.
    pub dead_letter_arn: String,
}

impl Schedules {
    /// From `SCHEDULE_GROUP`, `AUTOMATION_QUEUE_ARN`, `SCHEDULER_ROLE_ARN`, `AUTOMATION_DLQ_ARN`.
    pub fn from_env(config: &aws_config::SdkConfig) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            client: aws_sdk_scheduler::Client::new(config),
            group: var("SCHEDULE_GROUP")?,
            target_arn: var("AUTOMATION_QUEUE_ARN")?,
            role_arn: var("SCHEDULER_ROLE_ARN")?,
            dead_letter_arn: var("AUTOMATION_DLQ_ARN")?,
        })
    }

    pub fn name(rule_id: &RuleId) -> String {
        format!("rule-{rule_id}")
    }

    /// Makes the scheduler hold what the rule says: a schedule while it is enabled with a
    /// schedule trigger, none otherwise.
    pub async fn sync(&self, rule: &AutomationRule) -> Result<(), String> {
        let wanted = rule.enabled && rule.trigger.kind == TriggerType::Schedule;
        if !wanted {
            return self.delete(&rule.id).await;
        }
        let cron = CronRule::parse(rule.trigger.cron.as_deref().unwrap_or_default())?;
        let zone = rule.trigger.timezone.clone().unwrap_or_else(|| "UTC".into());
        // The scheduler fills in the time the firing was due: a firing delivered twice
        // names the same run.
        let input = json!({
            "account_id": rule.account_id, "rule_id": rule.id, "trigger": "schedule",
            "scheduled_at": SCHEDULED_TIME,
        })
        .to_string();
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .retry_policy(RetryPolicy::builder().maximum_retry_attempts(10).maximum_event_age_in_seconds(3600).build())
            .dead_letter_config(DeadLetterConfig::builder().arn(&self.dead_letter_arn).build())
            .build()
            .map_err(|e| e.to_string())?;
        let window =
            FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().map_err(|e| e.to_string())?;
        let name = Self::name(&rule.id);
        let updated = self
            .client
            .update_schedule()
            .name(&name)
            .group_name(&self.group)
            .schedule_expression(cron.to_scheduler())
            .schedule_expression_timezone(&zone)
            .flexible_time_window(window.clone())
            .target(target.clone())
            .state(ScheduleState::Enabled)
            .send()
            .await;
        match updated {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => self
                .client
                .create_schedule()
                .name(&name)
                .group_name(&self.group)
                .schedule_expression(cron.to_scheduler())
                .schedule_expression_timezone(&zone)
                .flexible_time_window(window)
                .target(target)
                .state(ScheduleState::Enabled)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("create schedule {name}: {e:?}")),
            Err(e) => Err(format!("update schedule {name}: {e:?}")),
        }
    }

    /// Removes the rule's schedule (none there is fine).
    pub async fn delete(&self, rule_id: &RuleId) -> Result<(), String> {
        let name = Self::name(rule_id);
        match self.client.delete_schedule().name(&name).group_name(&self.group).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(format!("delete schedule {name}: {e:?}")),
        }
    }

    /// Every schedule of the group: (name, target input). For the local firing loop.
    pub async fn list(&self) -> Result<Vec<(String, String)>, String> {
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_schedules()
                .group_name(&self.group)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| format!("list schedules: {e:?}"))?;
            for summary in page.schedules() {
                let Some(name) = summary.name() else { continue };
                let schedule = self
                    .client
                    .get_schedule()
                    .name(name)
                    .group_name(&self.group)
                    .send()
                    .await
                    .map_err(|e| format!("get schedule {name}: {e:?}"))?;
                if schedule.state() == Some(&ScheduleState::Enabled)
                    && let Some(input) = schedule.target().and_then(|t| t.input())
                {
                    found.push((name.to_owned(), input.to_owned()));
                }
            }
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(found);
            }
        }
    }
}
