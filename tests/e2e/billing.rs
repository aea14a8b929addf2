//! Billing: the balance of a new account, operation prices, credit transactions and the
//! usage log after grants and AI charges, the usage summary, owner-only details and
//! tenant isolation.

use igny8_e2e::{Session, TestApp};
use igny8_store::{Charge, CreditTransactionType, TRIAL_PLAN, Tx, plan};
use serde_json::{Value, json};

use igny8_e2e::common::{assert_field_error, assert_forbidden, results};

const BALANCE: &str = "/api/v1/billing/balance/";
const COSTS: &str = "/api/v1/billing/costs/";
const TRANSACTIONS: &str = "/api/v1/billing/transactions/";
const USAGE: &str = "/api/v1/billing/usage/";
const SUMMARY: &str = "/api/v1/billing/usage/summary/";

fn trial_credits() -> i64 {
    i64::from(plan(TRIAL_PLAN).expect("trial plan").starting_credits)
}

/// Charges `credits` for one AI operation, as the engine does when it saves a result.
async fn charge(app: &TestApp, account_id: &str, operation: &str, credits: i64, tokens: (u64, u64), cost_micros: i64) {
    let account_id = &igny8_store::AccountId::from(account_id);
    let balance = app.store.balance(account_id).await.unwrap().expect("account");
    let mut tx = Tx::new();
    let charge = Charge {
        account_counts: Vec::new(),
        words: 0,
        images: 0,
        release_hold: 0,
        account_id: account_id.clone(),
        site_id: None,
        operation: operation.to_owned(),
        credits,
        tokens_in: tokens.0,
        tokens_out: tokens.1,
        cost_micros,
        cost_note: None,
        provider: "openai".into(),
        model: "gpt-4o-mini".into(),
        job_id: Some("job_test".into()),
        description: format!("{operation} (test)"),
    };
    tx.charge(app.store.table(), balance, &charge).unwrap();
    app.store.commit(tx).await.expect("charge commits");
}

fn column<'a>(reply: &'a igny8_e2e::Reply, field: &str) -> Vec<&'a Value> {
    results(reply).iter().map(|r| &r[field]).collect()
}

#[tokio::test]
async fn a_new_account_has_the_trial_credits_and_sees_prices() {
    let app = TestApp::spawn().await;
    let owner = app.register("balance").await;
    let viewer = app.add_member(&owner, "balance-viewer", "viewer").await;

    let balance = app.get(BALANCE, &owner.access).await.expect(200);
    assert_eq!(balance.data()["credits"], trial_credits());
    assert_eq!(balance.data()["plan_id"], "trial");
    assert_eq!(balance.data()["monthly_credits"], 0);
    assert_eq!(app.get(BALANCE, &viewer.access).await.expect(200).data()["credits"], trial_credits());

    let costs = app.get(COSTS, &viewer.access).await.expect(200);
    let prices = costs.data().as_array().expect("price list");
    let cluster = prices.iter().find(|p| p["operation"] == "auto_cluster").expect("clustering price");
    assert_eq!((cluster["credits"].as_f64(), cluster["per"].as_str()), (Some(10.0), Some("run")));
    for operation in ["generate_ideas", "generate_content", "generate_image_prompts", "generate_images"] {
        assert!(prices.iter().any(|p| p["operation"] == operation), "{operation} priced");
    }
    let opening = app.get(TRANSACTIONS, &owner.access).await.expect(200);
    assert_eq!(opening.body["count"], 1, "{}", opening.body);
    let first = &results(&opening)[0];
    assert_eq!(
        (first["amount"].as_i64(), first["balance_after"].as_i64()),
        (Some(trial_credits()), Some(trial_credits()))
    );
    assert_eq!(app.get(USAGE, &owner.access).await.expect(200).body["count"], 0);
    let summary = app.get(SUMMARY, &owner.access).await.expect(200);
    assert_eq!(summary.data()["totals"]["count"], 0);
    assert_eq!(summary.data()["by_operation"], Value::Array(vec![]));
}

#[tokio::test]
async fn grants_and_charges_show_in_transactions_usage_and_summary() {
    let app = TestApp::spawn().await;
    let owner = app.register("ledger").await;
    let (t, account) = (&owner.access, &owner.account_id);
    let start = trial_credits();

    app.store.grant_credits(account, 500, CreditTransactionType::Purchase, "Top-up").await.unwrap();
    app.store.grant_credits(account, -50, CreditTransactionType::Adjustment, "Correction").await.unwrap();
    charge(&app, account, "auto_cluster", 10, (1_000, 500), 450).await;
    charge(&app, account, "generate_content", 3, (2_000, 1_500), 1_234).await;
    charge(&app, account, "generate_content", 2, (1_000, 800), 766).await;
    charge(&app, account, "generate_images", 0, (0, 0), 40_000).await;
    let expected = start + 500 - 50 - 15;
    assert_eq!(app.get(BALANCE, t).await.expect(200).data()["credits"], expected);

    let transactions = app.get(TRANSACTIONS, t).await.expect(200);
    // The starting credits are the first transaction; none for a charge of 0 credits.
    assert_eq!(transactions.body["count"], 6, "{}", transactions.body);
    let amounts: Vec<i64> = column(&transactions, "amount").iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(amounts, [-2, -3, -10, -50, 500, start], "newest first");
    let after: Vec<i64> = column(&transactions, "balance_after").iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(after, [expected, expected + 2, expected + 5, start + 450, start + 500, start]);
    // The ledger adds up to the balance.
    assert_eq!(amounts.iter().sum::<i64>(), expected);
    let purchases = app.get(&format!("{TRANSACTIONS}?transaction_type=purchase"), t).await.expect(200);
    assert_eq!(
        (purchases.body["count"].as_u64(), results(&purchases)[0]["description"].as_str()),
        (Some(1), Some("Top-up"))
    );
    let usage_tx = app.get(&format!("{TRANSACTIONS}?transaction_type=usage&page_size=2"), t).await.expect(200);
    assert_eq!(usage_tx.body["count"], 3);
    assert_eq!(results(&usage_tx).len(), 2);
    assert!(usage_tx.body["next"].as_str().is_some_and(|n| n.contains("page=2")), "{}", usage_tx.body);
    assert_field_error(&app.get(&format!("{TRANSACTIONS}?transaction_type=gift"), t).await, "transaction_type");

    let usage = app.get(USAGE, t).await.expect(200);
    assert_eq!(usage.body["count"], 4);
    let first = &results(&usage)[0];
    assert_eq!((first["operation"].as_str(), first["credits"].as_i64()), (Some("generate_images"), Some(0)));
    assert_eq!(first["cost_usd"], 0.04);
    assert_eq!(first["cost_micros"], 40_000);
    let content = app.get(&format!("{USAGE}?operation=generate_content"), t).await.expect(200);
    assert_eq!(content.body["count"], 2);
    let costs: Vec<f64> = column(&content, "cost_usd").iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(costs, [0.000766, 0.001234]);
    assert_eq!(results(&content)[1]["tokens_in"], 2_000);
    assert_eq!(results(&content)[1]["model"], "gpt-4o-mini");

    let today = first["created_at"].as_str().unwrap()[..10].to_owned();
    let dated = app.get(&format!("{USAGE}?date_from={today}&date_to={today}"), t).await.expect(200);
    assert_eq!(dated.body["count"], 4);
    assert_eq!(app.get(&format!("{USAGE}?date_from=2999-01-01"), t).await.expect(200).body["count"], 0);
    assert_eq!(app.get(&format!("{USAGE}?date_to=2000-01-01"), t).await.expect(200).body["count"], 0);
    assert_field_error(&app.get(&format!("{USAGE}?date_from=yesterday"), t).await, "date_from");
    assert_field_error(&app.get(&format!("{USAGE}?date_to=2026-02-30"), t).await, "date_to");
    assert_field_error(&app.get(&format!("{USAGE}?date_from=2026-03-02&date_to=2026-03-01"), t).await, "date_to");

    let summary = app.get(SUMMARY, t).await.expect(200);
    let s = summary.data();
    let by_operation = s["by_operation"].as_array().unwrap();
    let names: Vec<&str> = by_operation.iter().map(|o| o["operation"].as_str().unwrap()).collect();
    assert_eq!(names, ["auto_cluster", "generate_content", "generate_images"]);
    let content = &by_operation[1];
    assert_eq!((content["count"].as_u64(), content["credits"].as_i64()), (Some(2), Some(5)));
    assert_eq!((content["tokens_in"].as_u64(), content["tokens_out"].as_u64()), (Some(3_000), Some(2_300)));
    assert_eq!(content["cost_usd"], 0.002);
    assert_eq!(by_operation[0]["cost_usd"], 0.00045);
    let days = s["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!((days[0]["date"].as_str(), days[0]["count"].as_u64()), (Some(today.as_str()), Some(4)));
    assert_eq!(days[0]["credits"], 15);
    let totals = &s["totals"];
    assert_eq!((totals["count"].as_u64(), totals["credits"].as_i64()), (Some(4), Some(15)));
    assert_eq!((totals["tokens_in"].as_u64(), totals["tokens_out"].as_u64()), (Some(4_000), Some(2_800)));
    assert_eq!(totals["cost_usd"], 0.04245);
    let empty = app.get(&format!("{SUMMARY}?date_from=2999-01-01"), t).await.expect(200);
    assert_eq!(
        (empty.data()["totals"]["count"].as_u64(), empty.data()["by_day"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    assert_field_error(&app.get(&format!("{SUMMARY}?date_to=03/01/2026"), t).await, "date_to");
}

#[tokio::test]
async fn billing_details_are_for_the_owner_only() {
    let app = TestApp::spawn().await;
    let owner = app.register("billroles").await;
    app.move_to_plan(&owner.account_id, "starter").await;
    let members: Vec<(&str, Session)> = vec![
        ("admin", app.add_member(&owner, "billroles-admin", "admin").await),
        ("editor", app.add_member(&owner, "billroles-editor", "editor").await),
        ("viewer", app.add_member(&owner, "billroles-viewer", "viewer").await),
    ];
    for (role, member) in &members {
        app.get(BALANCE, &member.access).await.expect(200);
        app.get(COSTS, &member.access).await.expect(200);
        for path in [TRANSACTIONS, USAGE, SUMMARY] {
            assert_forbidden(&app.get(path, &member.access).await, role);
        }
    }
    for path in [BALANCE, COSTS, TRANSACTIONS, USAGE, SUMMARY] {
        app.get(path, &owner.access).await.expect(200);
    }
    let anonymous = app.call(reqwest::Method::GET, BALANCE, igny8_e2e::Auth::Anonymous, None).await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn accounts_see_only_their_own_ledger() {
    let app = TestApp::spawn().await;
    let a = app.register("billiso-a").await;
    let b = app.register("billiso-b").await;
    app.store.grant_credits(&a.account_id, 1_000, CreditTransactionType::Purchase, "A's top-up").await.unwrap();
    charge(&app, &a.account_id, "generate_ideas", 4, (300, 200), 99).await;

    assert_eq!(app.get(BALANCE, &a.access).await.expect(200).data()["credits"], trial_credits() + 996);
    assert_eq!(app.get(BALANCE, &b.access).await.expect(200).data()["credits"], trial_credits());
    let theirs = app.get(TRANSACTIONS, &b.access).await.expect(200);
    assert_eq!(theirs.body["count"], 1, "only b's own starting credits: {}", theirs.body);
    assert_eq!(results(&theirs)[0]["account_id"].as_str(), Some(b.account_id.as_str()));
    assert_eq!(app.get(USAGE, &b.access).await.expect(200).body["count"], 0);
    assert_eq!(app.get(SUMMARY, &b.access).await.expect(200).data()["totals"]["count"], 0);
    assert_eq!(app.get(TRANSACTIONS, &a.access).await.expect(200).body["count"], 3);
    assert_eq!(app.get(USAGE, &a.access).await.expect(200).body["count"], 1);
}

/// Jobs accepted together cannot promise the same credits twice: each holds its
/// estimate when accepted (402 once the credits not held run out), charges against it,
/// and gives back what it did not use when it ends — failed or done.
#[tokio::test]
async fn accepted_jobs_hold_their_estimate_until_they_end() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "holds").await;
    let t = ws.owner.access.as_str();
    app.set_balance(&ws.owner.account_id, 25).await;
    let mut ids = Vec::new();
    for text in ["trail shoes", "road shoes", "hiking boots"] {
        let body = json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": text});
        ids.push(igny8_e2e::common::id_of(app.post("/api/v1/planner/keywords/", t, body).await.expect(201).data()));
    }
    // Clustering is estimated at 10 credits: two jobs fit 25, the third does not.
    for id in &ids[..2] {
        app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [id]})).await.expect(202);
    }
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!((balance.data()["credits"].as_i64(), balance.data()["held"].as_i64()), (Some(25), Some(20)));
    assert_eq!(balance.data()["available"], 5);
    let third = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [ids[2]]})).await.expect(402);
    assert_eq!(third.code(), "INSUFFICIENT_CREDITS");

    // Both run and charge 10 each; their holds are gone with them.
    app.run_jobs().await;
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(balance.data()["credits"], 5, "{}", balance.body);
    assert_eq!(balance.data()["held"], 0, "{}", balance.body);

    // A job that fails gives its whole hold back.
    app.set_balance(&ws.owner.account_id, 10).await;
    let body = json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": "doomed"});
    let doomed = igny8_e2e::common::id_of(app.post("/api/v1/planner/keywords/", t, body).await.expect(201).data());
    app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [doomed]})).await.expect(202);
    app.delete(&format!("/api/v1/planner/keywords/{doomed}/"), t).await.expect(200);
    assert_eq!(app.get("/api/v1/billing/balance/", t).await.expect(200).data()["held"], 10);
    app.run_jobs().await;
    let balance = app.get("/api/v1/billing/balance/", t).await.expect(200);
    assert_eq!(
        (balance.data()["credits"].as_i64(), balance.data()["held"].as_i64()),
        (Some(10), Some(0)),
        "{}",
        balance.body
    );
}
