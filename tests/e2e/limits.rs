//! Plan limits (403 PLAN_LIMIT), the five-active-sectors rule, and the counters behind
//! them staying true under concurrency and after deletes; rates per account.

use igny8_e2e::{PASSWORD, TestApp, unique_email};
use serde_json::json;

#[tokio::test]
async fn site_and_user_limits_of_the_plan() {
    let app = TestApp::spawn().await;
    let owner = app.register("limits").await;
    let t = &owner.access;
    // Trial: 2 sites, 3 users.
    let first = app.create_site(t, "One").await;
    app.create_site(t, "Two").await;
    let r = app.post("/api/v1/auth/sites/", t, json!({"name": "Three"})).await.expect(403);
    assert_eq!(r.code(), "PLAN_LIMIT");
    app.delete(&format!("/api/v1/auth/sites/{first}/"), t).await.expect(200);
    app.create_site(t, "Three").await;

    app.add_member(&owner, "u2", "editor").await;
    let third = app.add_member(&owner, "u3", "viewer").await;
    let r = app
        .post("/api/v1/auth/users/", t, json!({"email": unique_email("u4"), "password": PASSWORD, "role": "viewer"}))
        .await
        .expect(403);
    assert_eq!(r.code(), "PLAN_LIMIT");
    app.delete(&format!("/api/v1/auth/users/{}/", third.user_id), t).await.expect(200);
    app.add_member(&owner, "u4", "viewer").await;

    let account = app.get("/api/v1/auth/account/", t).await.expect(200);
    assert_eq!((account.data()["sites_count"].clone(), account.data()["users_count"].clone()), (json!(2), json!(3)));
}

#[tokio::test]
async fn a_site_holds_at_most_five_active_sectors() {
    let app = TestApp::spawn().await;
    let owner = app.register("sectors").await;
    let t = &owner.access;
    let site = app.create_site(t, "S").await;
    let mut sectors = Vec::new();
    for i in 0..5 {
        sectors.push(app.create_sector(t, &site, &format!("Sector {i}")).await);
    }
    let r = app.post("/api/v1/auth/sectors/", t, json!({"site_id": site, "name": "Sixth"})).await.expect(400);
    assert_eq!(r.code(), "SECTOR_LIMIT");

    // An inactive sixth is fine, but it cannot be activated while five are active.
    let r = app
        .post("/api/v1/auth/sectors/", t, json!({"site_id": site, "name": "Sixth", "is_active": false}))
        .await
        .expect(201);
    let sixth = r.data()["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/api/v1/auth/sectors/{sixth}/"), t, json!({"is_active": true})).await.expect(400);
    app.patch(&format!("/api/v1/auth/sectors/{}/", sectors[0]), t, json!({"is_active": false})).await.expect(200);
    app.patch(&format!("/api/v1/auth/sectors/{sixth}/"), t, json!({"is_active": true})).await.expect(200);

    let site_view = app.get(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(200);
    assert_eq!(
        (site_view.data()["active_sectors"].clone(), site_view.data()["sectors_count"].clone()),
        (json!(5), json!(6))
    );

    // Names are unique per site, ignoring case and spacing.
    let r = app
        .post("/api/v1/auth/sectors/", t, json!({"site_id": site, "name": "  sector   1 ", "is_active": false}))
        .await
        .expect(409);
    assert_eq!(r.code(), "SECTOR_NAME_TAKEN");
    let r = app.patch(&format!("/api/v1/auth/sectors/{sixth}/"), t, json!({"name": "SECTOR 2"})).await.expect(409);
    assert_eq!(r.code(), "SECTOR_NAME_TAKEN");
    app.patch(&format!("/api/v1/auth/sectors/{sixth}/"), t, json!({"name": "Renamed"})).await.expect(200);
    // The old name is free again.
    app.post("/api/v1/auth/sectors/", t, json!({"site_id": site, "name": "Sixth", "is_active": false}))
        .await
        .expect(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sector_creation_never_passes_five_active() {
    let app = TestApp::spawn().await;
    let owner = app.register("secrace").await;
    let site = app.create_site(&owner.access, "Race").await;
    let attempts = (0..8).map(|i| {
        app.post("/api/v1/auth/sectors/", &owner.access, json!({"site_id": site, "name": format!("Race {i}")}))
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 5, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(replies.iter().filter(|r| r.status != 201).all(|r| r.code() == "SECTOR_LIMIT"));
    let list = app.get(&format!("/api/v1/auth/sectors/?site_id={site}"), &owner.access).await.expect(200);
    assert_eq!(list.body["count"], 5);
}

#[tokio::test]
async fn a_site_with_sectors_is_not_deleted() {
    let app = TestApp::spawn().await;
    let owner = app.register("sitedel").await;
    let t = &owner.access;
    let site = app.create_site(t, "Busy").await;
    let sector = app.create_sector(t, &site, "Only").await;
    let r = app.delete(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(409);
    assert_eq!(r.code(), "SITE_HAS_SECTORS");
    app.get(&format!("/api/v1/auth/sectors/{sector}/"), t).await.expect(200);
    app.delete(&format!("/api/v1/auth/sectors/{sector}/"), t).await.expect(200);
    app.delete(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(200);
    app.get(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(404);
}

#[tokio::test]
async fn lists_paginate() {
    let app = TestApp::spawn().await;
    let owner = app.register("pages").await;
    let t = &owner.access;
    let site = app.create_site(t, "Paged").await;
    for i in 0..5 {
        app.post("/api/v1/auth/sectors/", t, json!({"site_id": site, "name": format!("P{i}"), "is_active": i < 3}))
            .await
            .expect(201);
    }
    let page = app.get(&format!("/api/v1/auth/sectors/?site_id={site}&page_size=2&page=2"), t).await.expect(200);
    assert_eq!(page.body["count"], 5);
    let names: Vec<&str> =
        page.body["results"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["P2", "P3"]);
    assert!(page.body["next"].as_str().unwrap().contains("page=3"));
    assert!(page.body["previous"].as_str().unwrap().contains("page=1"));
    let last = app.get(&format!("/api/v1/auth/sectors/?site_id={site}&page_size=2&page=3"), t).await.expect(200);
    assert!(last.body["next"].is_null());
}

#[tokio::test]
async fn a_sector_or_site_holding_content_is_not_deleted() {
    let app = TestApp::spawn().await;
    let owner = app.register("holding").await;
    let t = &owner.access;
    let site = app.create_site(t, "Holding").await;
    let sector = app.create_sector(t, &site, "Full").await;
    let keyword = app
        .post("/api/v1/planner/keywords/", t, json!({"site_id": site, "sector_id": sector, "keyword": "kept"}))
        .await
        .expect(201);
    let keyword_id = keyword.data()["id"].as_str().unwrap().to_owned();

    let r = app.delete(&format!("/api/v1/auth/sectors/{sector}/"), t).await.expect(409);
    assert_eq!(r.code(), "SECTOR_NOT_EMPTY");
    // The refused delete left the sector fully usable.
    app.post("/api/v1/planner/keywords/", t, json!({"site_id": site, "sector_id": sector, "keyword": "more"}))
        .await
        .expect(201);
    let keywords = app.get(&format!("/api/v1/planner/keywords/?site_id={site}"), t).await.expect(200);
    let ids: Vec<String> =
        keywords.body["results"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains(&keyword_id));
    app.post("/api/v1/planner/keywords/bulk_delete/", t, json!({"ids": ids})).await.expect(200);

    app.delete(&format!("/api/v1/auth/sectors/{sector}/"), t).await.expect(200);
    let r = app
        .post("/api/v1/planner/keywords/", t, json!({"site_id": site, "sector_id": sector, "keyword": "ghost"}))
        .await
        .expect(404);
    assert_eq!(r.code(), "NOT_FOUND");

    // A site-wide taxonomy term keeps the site, too.
    let term = app
        .post("/api/v1/writer/taxonomies/", t, json!({"site_id": site, "taxonomy": "category", "name": "News"}))
        .await
        .expect(201);
    let r = app.delete(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(409);
    assert_eq!(r.code(), "SITE_NOT_EMPTY");
    app.delete(&format!("/api/v1/writer/taxonomies/{}/", term.data()["id"].as_str().unwrap()), t).await.expect(200);
    app.delete(&format!("/api/v1/auth/sites/{site}/"), t).await.expect(200);
}

/// Expensive work is rated per account: job submissions (AI, publish, sync) and CSV
/// imports past their limit in a minute answer 429 with `Retry-After`; other accounts
/// are not held up.
#[tokio::test]
async fn job_submissions_and_imports_are_rated_per_account() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "rated").await;
    let t = &ws.owner.access;
    let body = serde_json::json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Shoes"});
    let cluster = app.post("/api/v1/planner/clusters/", t, body).await.expect(201).data()["id"].clone();
    // Up to twice the limit and one: however the requests fall across minute windows,
    // one window gets more than the limit.
    let limit = igny8_ai::jobs::JOBS_PER_MINUTE;
    let mut throttled = None;
    for _ in 0..=(2 * limit) {
        let reply =
            app.post("/api/v1/planner/clusters/generate_ideas/", t, serde_json::json!({"ids": [cluster]})).await;
        if reply.status == 429 {
            throttled = Some(reply);
            break;
        }
        reply.expect(202);
    }
    let throttled = throttled.expect("the limit was reached");
    assert_eq!(throttled.code(), "THROTTLED");
    assert!(throttled.headers.get("retry-after").is_some());
    // Another account is not held up.
    let other = igny8_e2e::common::workspace(&app, "unrated").await;
    let body = serde_json::json!({"site_id": other.site, "sector_id": other.sector, "name": "Boots"});
    let theirs =
        app.post("/api/v1/planner/clusters/", &other.owner.access, body).await.expect(201).data()["id"].clone();
    app.post("/api/v1/planner/clusters/generate_ideas/", &other.owner.access, serde_json::json!({"ids": [theirs]}))
        .await
        .expect(202);

    let import = format!("/api/v1/planner/keywords/import_csv/?site_id={}&sector_id={}", ws.site, ws.sector);
    let mut imports_throttled = false;
    for n in 0..=(2 * igny8_planner::csv_io::IMPORTS_PER_MINUTE) {
        let reply = app.post_csv(&import, t, &format!("keyword\nkeyword {n}\n")).await;
        if reply.status == 429 {
            imports_throttled = true;
            break;
        }
        assert!(reply.status == 201 || reply.status == 200, "{}", reply.body);
    }
    assert!(imports_throttled, "the import limit was reached");
}

/// Keywords, clusters and ideas are counted on the account as they are made and
/// deleted; at the plan's limit (trial: 1 000, 100, 200) a create is 403 PLAN_LIMIT and
/// a bulk create makes what fits and names the rest.
#[tokio::test]
async fn keyword_cluster_and_idea_limits_of_the_plan() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "content-limits").await;
    let (t, account) = (ws.owner.access.as_str(), &ws.owner.account_id);
    let keyword = |text: &str| json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": text});

    // The counts follow creates and deletes.
    let first = app.post("/api/v1/planner/keywords/", t, keyword("one")).await.expect(201);
    let two = app.post("/api/v1/planner/keywords/", t, keyword("two")).await.expect(201);
    let two = igny8_e2e::common::id_of(two.data());
    let bulk =
        json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [{"keyword": "three"}, {"keyword": "four"}]});
    app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(201);
    app.delete(&format!("/api/v1/planner/keywords/{}/", igny8_e2e::common::id_of(first.data())), t).await.expect(200);
    let stored = app.store.account(account).await.unwrap().unwrap();
    assert_eq!(stored.keywords_count, 3);

    // Two below the limit: a bulk create of three makes the two that fit and names the
    // third; at the limit a create is refused, a delete makes room again.
    app.set_account_count(account, "keywords_count", 998).await;
    let bulk = json!({"site_id": ws.site, "sector_id": ws.sector,
        "keywords": [{"keyword": "five"}, {"keyword": "six"}, {"keyword": "seven"}]});
    let partly = app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(201);
    assert_eq!(partly.data()["created"].as_array().unwrap().len(), 2, "{}", partly.body);
    assert_eq!(partly.data()["errors"][0]["index"], 2, "{}", partly.body);
    assert_eq!(app.store.account(account).await.unwrap().unwrap().keywords_count, 1000);
    let single = app.post("/api/v1/planner/keywords/", t, keyword("eight")).await.expect(403);
    assert_eq!(single.code(), "PLAN_LIMIT");
    assert!(single.body["error"].as_str().unwrap().contains("1000 keywords"), "{}", single.body);
    let bulk = json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [{"keyword": "nine"}]});
    assert_eq!(app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(403).code(), "PLAN_LIMIT");
    let five = partly.data()["created"][0]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/api/v1/planner/keywords/{five}/"), t).await.expect(200);
    app.post("/api/v1/planner/keywords/", t, keyword("eight")).await.expect(201);

    // Clusters and ideas.
    let cluster = json!({"site_id": ws.site, "sector_id": ws.sector, "name": "Shoes"});
    let made = app.post("/api/v1/planner/clusters/", t, cluster.clone()).await.expect(201);
    let cluster_id = igny8_e2e::common::id_of(made.data());
    assert_eq!(app.store.account(account).await.unwrap().unwrap().clusters_count, 1);
    app.set_account_count(account, "clusters_count", 100).await;
    let refused = app.post("/api/v1/planner/clusters/", t, cluster).await.expect(403);
    assert_eq!(refused.code(), "PLAN_LIMIT");
    let clustering = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [two]})).await.expect(403);
    assert!(clustering.body["error"].as_str().unwrap().contains("100 clusters"), "{}", clustering.body);

    let idea = json!({"site_id": ws.site, "sector_id": ws.sector, "cluster_id": cluster_id, "title": "Best shoes"});
    app.post("/api/v1/planner/ideas/", t, idea.clone()).await.expect(201);
    app.set_account_count(account, "ideas_count", 200).await;
    assert_eq!(app.post("/api/v1/planner/ideas/", t, idea).await.expect(403).code(), "PLAN_LIMIT");
    let ideas_job = app.post("/api/v1/planner/clusters/generate_ideas/", t, json!({"ids": [cluster_id]})).await;
    assert_eq!(ideas_job.expect(403).code(), "PLAN_LIMIT");
    app.set_account_count(account, "clusters_count", 99).await;
    app.delete(&format!("/api/v1/planner/clusters/{cluster_id}/"), t).await.expect(200);
    assert_eq!(app.store.account(account).await.unwrap().unwrap().clusters_count, 98);
}

/// AI requests, words and images per month (trial: 200, 50 000, 50) stop new jobs at
/// the limit with 403 PLAN_LIMIT; the month's usage grows as jobs save results.
#[tokio::test]
async fn monthly_ai_limits_of_the_plan() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "ai-limits").await;
    let (t, account) = (ws.owner.access.as_str(), &ws.owner.account_id);
    let new_keyword = |text: &str| json!({"site_id": ws.site, "sector_id": ws.sector, "keyword": text});
    let id = igny8_e2e::common::id_of(
        app.post("/api/v1/planner/keywords/", t, new_keyword("trail")).await.expect(201).data(),
    );
    let other = igny8_e2e::common::id_of(
        app.post("/api/v1/planner/keywords/", t, new_keyword("road")).await.expect(201).data(),
    );

    // A job's saved results count.
    app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [id]})).await.expect(202);
    app.run_jobs().await;
    let jobs = app.get("/api/v1/system/jobs/", t).await.expect(200);
    let used = app.store.monthly_usage(account, &igny8_store::now()).await.unwrap();
    assert!(used.ai_requests >= 1, "{used:?} {}", jobs.body);
    assert_eq!(app.store.account(account).await.unwrap().unwrap().clusters_count, 1);

    app.set_monthly_usage(account, 200, 0, 0).await;
    let refused = app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [other]})).await.expect(403);
    assert_eq!(refused.code(), "PLAN_LIMIT");
    assert!(refused.body["error"].as_str().unwrap().contains("AI requests a month"), "{}", refused.body);

    app.set_monthly_usage(account, 0, 50_000, 50).await;
    app.post("/api/v1/planner/keywords/auto_cluster/", t, json!({"ids": [other]})).await.expect(202);
    let task = json!({"site_id": ws.site, "sector_id": ws.sector, "title": "Trail shoes"});
    let task_id = igny8_e2e::common::id_of(app.post("/api/v1/writer/tasks/", t, task).await.expect(201).data());
    let words = app.post("/api/v1/writer/tasks/generate_content/", t, json!({"ids": [task_id]})).await.expect(403);
    assert!(words.body["error"].as_str().unwrap().contains("words a month"), "{}", words.body);
}

/// A sector holds at most 25 000 keywords whatever the plan (its lists are read whole):
/// the count moves with creates and deletes, a bulk create fills what is left, and one
/// more is 400 SECTOR_FULL while another sector still takes keywords.
#[tokio::test]
async fn a_sector_holds_a_bounded_number_of_keywords() {
    let app = TestApp::spawn().await;
    let ws = igny8_e2e::common::workspace(&app, "full-sector").await;
    let (t, account) = (ws.owner.access.as_str(), &ws.owner.account_id);
    let in_sector = |sector: &str, text: &str| json!({"site_id": ws.site, "sector_id": sector, "keyword": text});

    let first = app.post("/api/v1/planner/keywords/", t, in_sector(&ws.sector, "one")).await.expect(201);
    app.post("/api/v1/planner/keywords/", t, in_sector(&ws.sector, "two")).await.expect(201);
    app.delete(&format!("/api/v1/planner/keywords/{}/", igny8_e2e::common::id_of(first.data())), t).await.expect(200);
    assert_eq!(app.store.sector(account, &ws.sector).await.unwrap().unwrap().keywords_count, 1);

    app.set_sector_keywords(account, &ws.sector, igny8_store::MAX_KEYWORDS_PER_SECTOR - 1).await;
    let bulk =
        json!({"site_id": ws.site, "sector_id": ws.sector, "keywords": [{"keyword": "three"}, {"keyword": "four"}]});
    let partly = app.post("/api/v1/planner/keywords/bulk_create/", t, bulk).await.expect(201);
    assert_eq!(partly.data()["created"].as_array().unwrap().len(), 1, "{}", partly.body);
    assert!(
        partly.data()["errors"][0]["errors"]["keyword"][0]
            .as_str()
            .unwrap()
            .contains(&igny8_store::MAX_KEYWORDS_PER_SECTOR.to_string()),
        "{}",
        partly.body
    );
    let full = app.post("/api/v1/planner/keywords/", t, in_sector(&ws.sector, "five")).await.expect(400);
    assert_eq!(full.code(), "SECTOR_FULL");

    let other = app.create_sector(t, &ws.site, "Other").await;
    app.post("/api/v1/planner/keywords/", t, in_sector(&other, "five")).await.expect(201);
}
