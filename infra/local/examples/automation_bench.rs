//! Automation benchmark (not a test): the runner's own time per stage transition, and how
//! long the local firing loop takes for 1 000 rules due in the same minute. Against the
//! emulator (`AWS_ENDPOINT_URL`), so the figures are the emulator's as much as ours; run
//! by `infra/bench/automation.sh`.

use std::time::{Duration, Instant};

use chrono::{Timelike, Utc};
use igny8_ai::JobQueue;
use igny8_automation::runner::Runner;
use igny8_store::{AutomationRule, PublishPolicy, Scoped, Stage, StageAction, Store, Trigger, TriggerType, Tx, now};

const RULES: usize = 1000;
const RUNS: usize = 30;

fn rule(account: &str, cron: &str) -> AutomationRule {
    let stamp = now();
    let all = [
        StageAction::AutoCluster,
        StageAction::GenerateIdeas,
        StageAction::QueueToWriter,
        StageAction::GenerateContent,
        StageAction::GenerateImagePrompts,
        StageAction::GenerateImages,
    ];
    AutomationRule {
        id: igny8_store::RuleId::generate(),
        account_id: account.into(),
        site_id: "site_bench".into(),
        sector_id: "sec_bench".into(),
        name: "bench".into(),
        enabled: true,
        trigger: Trigger {
            kind: TriggerType::Schedule,
            cron: Some(cron.into()),
            timezone: Some("Europe/Berlin".into()),
        },
        conditions: vec![],
        stages: all.iter().map(|&action| Stage { action, batch_size: 10 }).collect(),
        publish: PublishPolicy::default(),
        active_run_id: None,
        schedule_synced: true,
        drip_day: String::new(),
        drip_count: 0,
        created_by: "usr_bench".into(),
        created_at: stamp.clone(),
        updated_at: stamp,
    }
}

/// Writes the rule as is (the benchmark has no real sector for `Store::create` to check).
async fn put(store: &Store, rule: &AutomationRule) -> Result<(), igny8_store::StoreError> {
    let mut tx = Tx::new();
    tx.replace(store.table(), rule.record()?);
    store.commit(tx).await
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = igny8_local::sdk_config().await;
    let name = format!("bench-automation-{}", Utc::now().timestamp());
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    igny8_store::schema::create_table(&dynamodb, &name).await?;
    let store = Store::new(dynamodb, name.clone());
    let sqs = aws_sdk_sqs::Client::new(&config);
    let settings = igny8_local::resources::AUTOMATION_QUEUE;
    let queue_url = igny8_local::resources::create_queue_with_dlq(&sqs, &name, settings).await?;
    let queue = JobQueue::new(sqs.clone(), queue_url.clone());
    igny8_local::resources::create_schedule_group(&config, &name).await?;
    let schedules = igny8_local::resources::schedules(&config, &name, &queue_url).await?;
    let runner = Runner { store: store.clone(), ai: queue.clone(), publish: queue.clone() };

    // 1. Runs of a rule whose six stages find nothing to do: a firing walks them all.
    let mut per_transition = Vec::new();
    for _ in 0..RUNS {
        let r = rule("acc_bench", "0 9 * * *");
        put(&store, &r).await?;
        let started = Instant::now();
        runner.fire(&r.account_id, &r.id, "manual").await?;
        // Start, six stages, the end: eight transitions.
        per_transition.push(started.elapsed() / 8);
    }
    println!("runner, per stage transition (median of {RUNS} runs of 6 empty stages): {:.1?}", median(per_transition));

    // 2. 1 000 rules due in the same minute.
    let started = Instant::now();
    for n in 0..RULES {
        let r = rule(&format!("acc_{}", n % 50), "* * * * *");
        put(&store, &r).await?;
        schedules.sync(&r).await?;
    }
    println!("set-up: {RULES} rules with their schedules in {:.1?}", started.elapsed());
    let minute = Utc::now().with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or_else(Utc::now);
    let started = Instant::now();
    let fired =
        igny8_local::firing::fire_due(&store, &schedules, &queue, minute + chrono::Duration::minutes(1)).await?;
    let took = started.elapsed();
    println!(
        "firing loop: {fired} of {RULES} due rules fired in {took:.1?} ({})",
        if took < Duration::from_secs(60) { "on time: within the minute" } else { "LATE: over a minute" }
    );
    Ok(())
}
