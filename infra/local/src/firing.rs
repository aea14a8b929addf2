//! The emulator keeps the rules' schedules but never fires them. Locally this loop does
//! what EventBridge Scheduler does in AWS: at each minute it reads the schedules of the
//! group, and sends the input of each one due that minute to its target, the automation
//! queue. When a schedule is due is read from its rule (cron and zone), with the same
//! `next_run` that shows `next_run_at`.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use igny8_ai::JobQueue;
use igny8_automation::cron::{CronRule, zone};
use igny8_automation::schedules::{SCHEDULED_TIME, Schedules};
use igny8_store::{AutomationRule, Store};
use serde_json::Value;

/// Fires every schedule due in the minute starting at `minute`; how many fired.
pub async fn fire_due(
    store: &Store,
    schedules: &Schedules,
    target: &JobQueue,
    minute: DateTime<Utc>,
) -> Result<usize, String> {
    let mut fired = 0;
    for (name, input) in schedules.list().await? {
        let Ok(message) = serde_json::from_str::<Value>(&input) else { continue };
        let (Some(account_id), Some(rule_id)) = (message["account_id"].as_str(), message["rule_id"].as_str()) else {
            continue;
        };
        let Some(rule) =
            store.find::<AutomationRule>(&account_id.into(), &rule_id.into()).await.map_err(|e| e.to_string())?
        else {
            tracing::warn!(schedule = name, "a schedule without its rule; the runner will find nothing to do");
            continue;
        };
        let (Some(cron), Some(tz)) = (rule.trigger.cron.as_deref(), rule.trigger.timezone.as_deref().or(Some("UTC")))
        else {
            continue;
        };
        let (Ok(cron), Ok(tz)) = (CronRule::parse(cron), zone(tz)) else { continue };
        if cron.next_run(tz, minute - chrono::Duration::seconds(1)) == Some(minute) {
            // As the scheduler does: the time the firing was due, in its input.
            let due = minute.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let message: Value = serde_json::from_str(&input.replace(SCHEDULED_TIME, &due)).unwrap_or(message);
            target.send(&message).await?;
            fired += 1;
        }
    }
    Ok(fired)
}

/// Fires due schedules at the start of every minute until the process ends.
pub async fn fire_forever(store: Store, schedules: Schedules, target: JobQueue) {
    loop {
        let now = Utc::now();
        let minute = now.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        let next = minute + chrono::Duration::minutes(1);
        let wait = (next - now).to_std().unwrap_or(Duration::from_secs(1));
        tokio::time::sleep(wait).await;
        // The stack's own schedule: the job sweep every 15 minutes.
        if next.minute().is_multiple_of(15)
            && let Err(e) = target.send(&serde_json::json!({"sweep_jobs": true})).await
        {
            tracing::warn!(error = %e, "the job sweep could not be asked for");
        }
        match fire_due(&store, &schedules, &target, next).await {
            Ok(0) => {}
            Ok(fired) => tracing::info!(fired, "schedules fired"),
            Err(e) => tracing::warn!(error = %e, "schedules could not be fired this minute"),
        }
    }
}
