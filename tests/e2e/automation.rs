//! Automation over HTTP: rules (validation, roles, isolation, their schedules on the
//! emulator's EventBridge Scheduler), runs through all seven stages to a real WordPress,
//! the local firing loop, credits running out, duplicate and concurrent firings, a rule
//! deleted mid-run, the import trigger, conditions that match nothing.

use chrono::{TimeZone, Timelike, Utc};
use igny8_e2e::TestApp;
use igny8_e2e::wordpress::Options;
use serde_json::{Value, json};

use crate::wordpress_publish::{connect_rest, desk};
use igny8_e2e::common::{Workspace, assert_field_error, assert_forbidden, assert_not_found, id_of, workspace};

const RULES: &str = "/api/v1/automation/rules/";

const KEYWORDS_CSV: &str = "keyword,volume,difficulty,intent
running shoes,9000,40,commercial
trail running shoes,4000,35,commercial
best running shoes,3000,30,commercial
running shoes for women,2500,30,commercial
espresso machine,7000,50,commercial
best espresso machine,3000,45,commercial
espresso machine for home,1500,40,commercial
cheap espresso machine,120,30,transactional
";

const ALL_STAGES: [&str; 7] = [
    "auto_cluster",
    "generate_ideas",
    "queue_to_writer",
    "generate_content",
    "generate_image_prompts",
    "generate_images",
    "publish",
];

fn stages(actions: &[&str], batch: u32) -> Value {
    json!(actions.iter().map(|a| json!({"action": a, "batch_size": batch})).collect::<Vec<_>>())
}

fn rule_body(ws: &Workspace, trigger: Value, actions: &[&str]) -> Value {
    json!({
        "name": "Daily pipeline", "site_id": ws.site, "sector_id": ws.sector, "enabled": true,
        "trigger": trigger, "conditions": [], "stages": stages(actions, 2),
        "publish": {"status": "draft", "daily_cap": 5, "require_approval": false},
    })
}

async fn import(app: &TestApp, ws: &Workspace) {
    let path = format!("/api/v1/planner/keywords/import_csv/?site_id={}&sector_id={}", ws.site, ws.sector);
    app.post_csv(&path, &ws.owner.access, KEYWORDS_CSV).await.expect(201);
}

async fn execute(app: &TestApp, ws: &Workspace, rule: &str) -> String {
    let reply = app.post(&format!("{RULES}{rule}/execute/"), &ws.owner.access, json!({})).await;
    id_of(reply.expect(202).data())
}

async fn run(app: &TestApp, ws: &Workspace, id: &str) -> Value {
    app.get(&format!("/api/v1/automation/runs/{id}/"), &ws.owner.access).await.expect(200).data().clone()
}

async fn runs(app: &TestApp, ws: &Workspace, rule: &str) -> Vec<Value> {
    let path = format!("/api/v1/automation/runs/?site_id={}&rule_id={rule}&page_size=200", ws.site);
    app.get(&path, &ws.owner.access).await.expect(200).body["results"].as_array().unwrap().clone()
}

/// The rule's schedule on the emulator: (expression, zone, state), if there is one.
async fn schedule(app: &TestApp, rule: &str) -> Option<(String, String, String)> {
    let schedules = &app.stack.schedules;
    let name = igny8_automation::schedules::Schedules::name(&rule.into());
    let found = schedules.client.get_schedule().name(name).group_name(&schedules.group).send().await.ok()?;
    Some((
        found.schedule_expression().unwrap_or_default().to_owned(),
        found.schedule_expression_timezone().unwrap_or_default().to_owned(),
        found.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
    ))
}

#[tokio::test]
async fn rules_are_validated_scheduled_role_checked_and_isolated() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "rules").await;
    let t = &ws.owner.access;
    let weekdays = json!({"type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"});
    let with = |field: &str, value: Value| {
        let mut body = rule_body(&ws, weekdays.clone(), &["auto_cluster", "generate_ideas"]);
        body[field] = value;
        body
    };
    for (field, value, error) in [
        ("trigger", json!({"type": "schedule", "cron": "0 9 * *", "timezone": "Europe/Berlin"}), "trigger.cron"),
        ("trigger", json!({"type": "schedule", "cron": "0 9 1 * 1", "timezone": "UTC"}), "trigger.cron"),
        ("trigger", json!({"type": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Base"}), "trigger.timezone"),
        ("conditions", json!([{"field": "keyword.colour", "operator": "eq", "value": 1}]), "conditions[0].field"),
        (
            "conditions",
            json!([{"field": "keyword.volume", "operator": "contains", "value": 1}]),
            "conditions[0].operator",
        ),
        ("conditions", json!([{"field": "keyword.volume", "operator": "gte", "value": "lots"}]), "conditions[0].value"),
        ("stages", stages(&["generate_ideas", "auto_cluster"], 2), "stages[1].action"),
        ("stages", stages(&["auto_cluster"], 0), "stages[0].batch_size"),
        ("publish", json!({"status": "draft", "daily_cap": 0, "require_approval": true}), "publish.daily_cap"),
    ] {
        assert_field_error(&app.post(RULES, t, with(field, value)).await, error);
    }
    assert_field_error(&app.post(RULES, t, json!({"name": "x"})).await, "site_id");

    let created = app.post(RULES, t, rule_body(&ws, weekdays.clone(), &["auto_cluster", "generate_ideas"])).await;
    let rule = created.expect(201).data().clone();
    let id = id_of(&rule);
    assert_eq!(rule["schedule_synced"], true);
    let next = chrono::DateTime::parse_from_rfc3339(rule["next_run_at"].as_str().unwrap()).unwrap();
    let local = chrono::DateTime::parse_from_rfc3339(rule["next_run_at_local"].as_str().unwrap()).unwrap();
    assert_eq!(next, local, "the same instant, shown in UTC and in the zone");
    assert_eq!((local.hour(), local.minute()), (9, 0), "{rule}");
    assert!(next > Utc::now());
    // The schedule in EventBridge Scheduler's own form.
    let (expression, zone, state) = schedule(&app, &id).await.expect("a schedule");
    assert_eq!(
        (expression.as_str(), zone.as_str(), state.as_str()),
        ("cron(0 9 ? * MON,TUE,WED,THU,FRI *)", "Europe/Berlin", "ENABLED")
    );
    // Changed, disabled, deleted: the schedule follows.
    let path = format!("{RULES}{id}/");
    let nightly = json!({"type": "schedule", "cron": "30 2 * * 0,6", "timezone": "America/New_York"});
    app.patch(&path, t, json!({"trigger": nightly})).await.expect(200);
    assert_eq!(schedule(&app, &id).await.unwrap().0, "cron(30 2 ? * SUN,SAT *)");
    let disabled = app.patch(&path, t, json!({"enabled": false})).await.expect(200);
    assert!(disabled.data()["next_run_at"].is_null());
    assert!(schedule(&app, &id).await.is_none(), "a disabled rule has no schedule");
    app.patch(&path, t, json!({"enabled": true})).await.expect(200);
    assert!(schedule(&app, &id).await.is_some());

    // Roles: a viewer reads but does not write; an editor may not let a rule publish live.
    let viewer = app.add_member(&ws.owner, "ruleviewer", "viewer").await;
    app.grant(&ws.owner, &ws.site, &viewer.user_id).await;
    app.get(&path, &viewer.access).await.expect(200);
    assert_forbidden(
        &app.post(RULES, &viewer.access, rule_body(&ws, weekdays.clone(), &["auto_cluster"])).await,
        "viewer",
    );
    let editor = app.add_member(&ws.owner, "ruleeditor", "editor").await;
    app.grant(&ws.owner, &ws.site, &editor.user_id).await;
    let mut live = rule_body(&ws, json!({"type": "manual"}), &["publish"]);
    live["publish"] = json!({"status": "publish", "require_approval": true});
    assert_forbidden(&app.post(RULES, &editor.access, live.clone()).await, "editor publishing live");
    app.post(RULES, &editor.access, rule_body(&ws, json!({"type": "manual"}), &["publish"])).await.expect(201);
    app.post(RULES, t, live).await.expect(201);

    // Another account sees nothing; a rule cannot name another site's sector.
    let other = workspace(&app, "ruleother").await;
    assert_not_found(&app.get(&path, &other.owner.access).await, "another account's rule");
    assert_not_found(&app.post(&format!("{path}execute/"), &other.owner.access, json!({})).await, "execute");
    assert_not_found(&app.delete(&path, &other.owner.access).await, "delete");
    let mut foreign = rule_body(&ws, json!({"type": "manual"}), &["auto_cluster"]);
    foreign["sector_id"] = json!(other.sector);
    assert_eq!(app.post(RULES, t, foreign).await.status, 404);

    app.delete(&path, t).await.expect(200);
    assert!(schedule(&app, &id).await.is_none(), "deleted with its rule");
    assert_not_found(&app.get(&path, t).await, "deleted rule");
}

#[tokio::test]
async fn a_rule_takes_keywords_through_all_seven_stages_to_wordpress() {
    let d = desk("autopipe", Options::default()).await;
    connect_rest(&d, json!({"default_status": "draft"})).await;
    import(&d.app, &d.ws).await;
    let mut body = rule_body(&d.ws, json!({"type": "manual"}), &ALL_STAGES);
    body["stages"] = json!(
        ALL_STAGES
            .iter()
            .map(|a| json!({"action": a, "batch_size": if *a == "generate_images" { 6 } else { 2 }}))
            .collect::<Vec<_>>()
    );
    body["publish"] = json!({"status": "publish", "daily_cap": 5, "require_approval": false});
    let rule = id_of(d.app.post(RULES, &d.ws.owner.access, body).await.expect(201).data());

    let id = execute(&d.app, &d.ws, &rule).await;
    d.app.settle().await;
    let done = run(&d.app, &d.ws, &id).await;
    assert_eq!(done["state"], "done", "{done}");
    let stage_states: Vec<&str> =
        done["stages"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
    assert_eq!(stage_states, ["done"; 7], "{done}");
    for stage in done["stages"].as_array().unwrap() {
        assert!(stage["taken"].as_u64().unwrap() > 0, "every stage had work: {stage}");
    }
    assert!(done["credits"].as_i64().unwrap() > 0);
    // Two articles, on WordPress, published, with their images.
    let posts = d.wp.our_posts().await;
    assert_eq!(posts.len(), 2, "the publish stage took its batch of two");
    assert!(posts.iter().all(|p| p["status"] == "publish" && p["featured_media"].as_u64().unwrap_or(0) > 0));
    // The same rule again, now fired by its schedule every minute through the local
    // firing loop: the work left is taken, nothing is done twice.
    let every_minute = json!({"type": "schedule", "cron": "* * * * *", "timezone": "Europe/Berlin"});
    d.app.patch(&format!("{RULES}{rule}/"), &d.ws.owner.access, json!({"trigger": every_minute})).await.expect(200);
    let stack = &d.app.stack;
    let minute = Utc::now().with_second(0).unwrap().with_nanosecond(0).unwrap() + chrono::Duration::minutes(1);
    assert_eq!(
        igny8_local::firing::fire_due(&stack.store, &stack.schedules, &stack.automation, minute).await.unwrap(),
        1
    );
    d.app.settle().await;
    let scheduled = runs(&d.app, &d.ws, &rule).await;
    assert_eq!(scheduled.len(), 2);
    assert_eq!(scheduled[0]["trigger"], "schedule", "newest first: {scheduled:?}");
    let second = run(&d.app, &d.ws, scheduled[0]["id"].as_str().unwrap()).await;
    assert_eq!(second["state"], "done", "{second}");
    assert_eq!(second["stages"][0]["considered"], 6, "the six keywords left: {second}");
    assert_eq!(d.wp.our_posts().await.len(), 4, "two more posts; none published twice");
}

#[tokio::test]
async fn the_local_firing_loop_fires_due_rules_and_skips_busy_ones() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "firing").await;
    import(&app, &ws).await;
    let every_minute = json!({"type": "schedule", "cron": "* * * * *", "timezone": "Asia/Tokyo"});
    let rule = id_of(
        app.post(RULES, &ws.owner.access, rule_body(&ws, every_minute, &["auto_cluster", "generate_ideas"]))
            .await
            .expect(201)
            .data(),
    );
    let minute = Utc::now().with_second(0).unwrap().with_nanosecond(0).unwrap() + chrono::Duration::minutes(1);
    let stack = &app.stack;
    let fired = igny8_local::firing::fire_due(&stack.store, &stack.schedules, &stack.automation, minute).await.unwrap();
    assert_eq!(fired, 1);
    // The same firing delivered twice (the scheduler's retry): one run.
    igny8_local::firing::fire_due(&stack.store, &stack.schedules, &stack.automation, minute).await.unwrap();
    app.run_automation().await;
    assert_eq!(runs(&app, &ws, &rule).await.len(), 1, "a firing delivered twice makes one run");
    // The next minute's firing while that run is active: recorded as skipped.
    let next_minute = minute + chrono::Duration::minutes(1);
    igny8_local::firing::fire_due(&stack.store, &stack.schedules, &stack.automation, next_minute).await.unwrap();
    app.run_automation().await;
    let all = runs(&app, &ws, &rule).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all.iter().filter(|r| r["state"] == "skipped").count(), 1, "{all:?}");
    let active = all.iter().find(|r| r["state"] == "running").expect("one run going");
    assert_eq!(active["trigger"], "schedule");
    app.settle().await;
    let finished = run(&app, &ws, active["id"].as_str().unwrap()).await;
    assert_eq!(finished["state"], "done", "{finished}");
    // Not due: a rule for 03:00 in Tokyo does not fire at other minutes.
    let at_three = json!({"type": "schedule", "cron": "0 3 * * *", "timezone": "Asia/Tokyo"});
    app.post(RULES, &ws.owner.access, rule_body(&ws, at_three, &["auto_cluster"])).await.expect(201);
    let noon_tokyo = Utc.with_ymd_and_hms(2027, 1, 4, 3, 0, 0).unwrap();
    let three_tokyo = Utc.with_ymd_and_hms(2027, 1, 3, 18, 0, 0).unwrap();
    let due = |at| igny8_local::firing::fire_due(&stack.store, &stack.schedules, &stack.automation, at);
    assert_eq!(due(noon_tokyo).await.unwrap(), 1, "only the every-minute rule");
    assert_eq!(due(three_tokyo).await.unwrap(), 2, "both");
}

#[tokio::test]
async fn running_out_of_credits_stops_the_run_and_the_next_firing_resumes() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "credits").await;
    import(&app, &ws).await;
    let mut body = rule_body(&ws, json!({"type": "manual"}), &["auto_cluster", "generate_ideas"]);
    body["stages"][0]["batch_size"] = json!(100);
    let rule = id_of(app.post(RULES, &ws.owner.access, body).await.expect(201).data());
    app.set_balance(&ws.owner.account_id, 10).await;
    let id = execute(&app, &ws, &rule).await;
    app.settle().await;
    let stopped = run(&app, &ws, &id).await;
    assert_eq!(stopped["state"], "stopped", "{stopped}");
    assert!(stopped["reason"].as_str().unwrap().contains("INSUFFICIENT_CREDITS"), "{stopped}");
    assert_eq!(stopped["stages"][0]["state"], "done");
    assert_eq!(stopped["stages"][1]["state"], "stopped");
    assert!(stopped["stages"][1]["job_id"].is_null(), "no job was started that could not be paid for");
    let balance = app.get("/api/v1/billing/balance/", &ws.owner.access).await.expect(200).data()["credits"].clone();
    assert_eq!(balance, 0, "clustering took the 10; nothing more was charged, nothing below zero");

    app.set_balance(&ws.owner.account_id, 100).await;
    let resumed = execute(&app, &ws, &rule).await;
    app.settle().await;
    let resumed = run(&app, &ws, &resumed).await;
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert_eq!(resumed["stages"][0]["taken"], 0, "the keywords were clustered already");
    assert_eq!(resumed["stages"][1]["taken"], 2, "ideas resume where the last run stopped");
}

#[tokio::test]
async fn duplicate_reports_and_deleted_rules_are_handled() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "dupes").await;
    import(&app, &ws).await;
    let rule = id_of(
        app.post(
            RULES,
            &ws.owner.access,
            rule_body(&ws, json!({"type": "manual"}), &["auto_cluster", "generate_ideas"]),
        )
        .await
        .expect(201)
        .data(),
    );
    let id = execute(&app, &ws, &rule).await;
    app.run_jobs().await;
    // The clustering job's report, delivered three times: the run moves on once.
    let first = run(&app, &ws, &id).await;
    let job = first["stages"][0]["job_id"].as_str().unwrap().to_owned();
    let report = json!({"account_id": ws.owner.account_id, "job_id": job});
    for _ in 0..2 {
        app.stack.automation.send(&report).await.unwrap();
    }
    app.run_automation().await;
    let moved = run(&app, &ws, &id).await;
    assert_eq!(moved["stage"], 1, "{moved}");
    assert!(moved["stages"][1]["job_id"].is_string());
    let ideas_jobs = app.get("/api/v1/system/jobs/?function=generate_ideas", &ws.owner.access).await.expect(200);
    assert_eq!(ideas_jobs.body["count"], 1, "the ideas stage started once: {}", ideas_jobs.body);

    // The rule deleted while its run waits for a job: the run stops at its next step.
    app.delete(&format!("{RULES}{rule}/"), &ws.owner.access).await.expect(200);
    app.settle().await;
    let stopped = run(&app, &ws, &id).await;
    assert_eq!(stopped["state"], "stopped", "{stopped}");
    assert!(stopped["reason"].as_str().unwrap().contains("deleted"), "{stopped}");
}

#[tokio::test]
async fn an_import_triggers_its_rules_and_conditions_that_match_nothing_cost_nothing() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "imported").await;
    let t = &ws.owner.access;
    let rule = id_of(
        app.post(RULES, t, rule_body(&ws, json!({"type": "keywords_imported"}), &["auto_cluster"]))
            .await
            .expect(201)
            .data(),
    );
    let mut nothing = rule_body(&ws, json!({"type": "manual"}), &["auto_cluster", "generate_ideas"]);
    nothing["conditions"] = json!([
        {"field": "keyword.volume", "operator": "gte", "value": 1_000_000},
        {"field": "cluster.keywords_count", "operator": "gte", "value": 1000},
    ]);
    let nothing = id_of(app.post(RULES, t, nothing).await.expect(201).data());
    let start = app.get("/api/v1/billing/balance/", t).await.expect(200).data()["credits"].as_i64().unwrap();

    import(&app, &ws).await;
    app.settle().await;
    let triggered = runs(&app, &ws, &rule).await;
    assert_eq!(triggered.len(), 1, "{triggered:?}");
    assert_eq!(
        (triggered[0]["trigger"].as_str(), triggered[0]["state"].as_str()),
        (Some("keywords_imported"), Some("done"))
    );
    assert_eq!(triggered[0]["stages"][0]["taken"], 2);
    let spent = start - app.get("/api/v1/billing/balance/", t).await.expect(200).data()["credits"].as_i64().unwrap();
    assert_eq!(spent, 10, "one clustering run");

    let id = execute(&app, &ws, &nothing).await;
    app.settle().await;
    let empty = run(&app, &ws, &id).await;
    assert_eq!(empty["state"], "done", "zero items is not an error: {empty}");
    assert_eq!(empty["credits"], 0);
    assert!(empty["stages"].as_array().unwrap().iter().all(|s| s["taken"] == 0 && s["job_id"].is_null()), "{empty}");
    assert_eq!(runs(&app, &ws, &nothing).await.len(), 1, "a manual rule is not triggered by imports");
}

/// The runner's Lambda payload: `events/automation-runner-schedule.json`, a schedule's
/// firing as EventBridge Scheduler puts it on the queue, answered with the batch response.
#[tokio::test]
async fn runner_sqs_event_from_the_scheduler_starts_a_run() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "schedevent").await;
    import(&app, &ws).await;
    let daily = json!({"type": "schedule", "cron": "0 6 * * *", "timezone": "UTC"});
    let rule =
        id_of(app.post(RULES, &ws.owner.access, rule_body(&ws, daily, &["auto_cluster"])).await.expect(201).data());
    let path = format!("{}/../events/automation-runner-schedule.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("{{ACCOUNT_ID}}", &ws.owner.account_id)
        .replace("{{RULE_ID}}", &rule);
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).expect("an SQS event");
    let response = serde_json::to_value(app.automation.handle(event).await).unwrap();
    assert_eq!(response, json!({"batchItemFailures": []}));
    app.settle().await;
    let all = runs(&app, &ws, &rule).await;
    assert_eq!(all.len(), 1);
    assert_eq!((all[0]["trigger"].as_str(), all[0]["state"].as_str()), (Some("schedule"), Some("done")), "{all:?}");
    // An unreadable message is reported for the dead-letter queue, not dropped.
    let bad = text.replace(&rule, "").replace("rule_id", "nothing");
    let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&bad).unwrap();
    let response = serde_json::to_value(app.automation.handle(event).await).unwrap();
    assert_eq!(response["batchItemFailures"].as_array().map(Vec::len), Some(1));
}

/// The scheduler failing after the rule was stored: the answer says so, the rule says
/// `schedule_synced: false`, and saving again repairs it.
#[tokio::test]
async fn a_scheduler_failure_is_reported_and_repaired_by_saving_again() {
    let app = TestApp::spawn().await;
    let ws = workspace(&app, "drift").await;
    let t = &ws.owner.access;
    let schedules = &app.stack.schedules;
    schedules.client.delete_schedule_group().name(&schedules.group).send().await.expect("group removed");
    let daily = json!({"type": "schedule", "cron": "0 7 * * *", "timezone": "UTC"});
    let reply = app.post(RULES, t, rule_body(&ws, daily, &["auto_cluster"])).await;
    assert_eq!((reply.status, reply.code()), (503, "SERVICE_UNAVAILABLE"), "{}", reply.body);
    let listed = app.get(&format!("{RULES}?site_id={}", ws.site), t).await.expect(200);
    let rule = listed.body["results"][0].clone();
    assert_eq!(rule["schedule_synced"], false, "never silently inconsistent: {rule}");
    let id = id_of(&rule);

    igny8_local::resources::create_schedule_group(&igny8_local::sdk_config().await, &schedules.group).await.unwrap();
    let repaired = app.patch(&format!("{RULES}{id}/"), t, json!({})).await.expect(200);
    assert_eq!(repaired.data()["schedule_synced"], true);
    assert!(schedule(&app, &id).await.is_some());
}
