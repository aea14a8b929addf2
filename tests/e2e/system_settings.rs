//! System settings: prompts with built-in defaults, author profiles, strategies, AI
//! settings and provider keys — validation, roles, tenant isolation, keys never shown
//! or stored in clear, and key checks against fake OpenAI servers.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use igny8_e2e::{Reply, SECRETS_KEY, Session, TestApp};
use igny8_store::AttributeValue;
use igny8_tenancy::SecretBox;
use serde_json::{Value, json};

use igny8_e2e::common::{assert_field_error, assert_forbidden, assert_not_found, id_of, results};

const PROMPTS: &str = "/api/v1/system/prompts/";
const SETTINGS: &str = "/api/v1/system/settings/";
const PROFILES: &str = "/api/v1/system/author-profiles/";
const STRATEGIES: &str = "/api/v1/system/strategies/";
const OPENAI: &str = "/api/v1/system/settings/integrations/openai/";
const RUNWARE: &str = "/api/v1/system/settings/integrations/runware/";
const FUNCTIONS: [&str; 5] =
    ["auto_cluster", "generate_ideas", "generate_content", "generate_image_prompts", "generate_images"];

/// An OpenAI-looking key, long enough to be masked as `sk-…` plus 4 characters.
const RAW_KEY: &str = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

/// An owner and, on a plan with room for them, an admin, an editor and a viewer.
struct Team {
    owner: Session,
    admin: Session,
    editor: Session,
    viewer: Session,
}

async fn team(app: &TestApp, label: &str) -> Team {
    let owner = app.register(label).await;
    app.move_to_plan(&owner.account_id, "starter").await;
    Team {
        admin: app.add_member(&owner, &format!("{label}-admin"), "admin").await,
        editor: app.add_member(&owner, &format!("{label}-editor"), "editor").await,
        viewer: app.add_member(&owner, &format!("{label}-viewer"), "viewer").await,
        owner,
    }
}

fn prompt_path(function: &str) -> String {
    format!("{PROMPTS}{function}/")
}

/// Starts a fake OpenAI-compatible server answering `GET /v1/models` with `status`
/// and `body`; its base URL.
async fn fake_openai(status: StatusCode, body: Value) -> String {
    let app = Router::new().route(
        "/v1/models",
        get(move || {
            let body = body.clone();
            async move { (status, axum::Json(body)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake server");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn prompts_have_defaults_overrides_and_reset() {
    let app = TestApp::spawn().await;
    let owner = app.register("prompts").await;
    let t = &owner.access;

    let list = app.get(PROMPTS, t).await.expect(200);
    assert_eq!(list.body["count"], 5);
    let names: Vec<&str> = results(&list).iter().map(|p| p["function"].as_str().unwrap()).collect();
    assert_eq!(names, FUNCTIONS);
    for prompt in results(&list) {
        assert_eq!(prompt["is_default"], true, "{prompt}");
        let text = prompt["text"].as_str().unwrap();
        assert!(text.len() > 20, "{prompt}");
        assert_eq!(prompt["text"], prompt["default_text"]);
    }
    let cluster = app.get(&prompt_path("auto_cluster"), t).await.expect(200);
    let default_text = cluster.data()["text"].as_str().unwrap().to_owned();
    assert!(default_text.contains("{keywords}") && default_text.contains(r#"{"clusters":"#), "{default_text}");
    assert!(
        app.get(&prompt_path("generate_content"), t).await.expect(200).data()["text"]
            .as_str()
            .unwrap()
            .contains("{word_count}")
    );

    let custom = "Cluster these keywords by intent:\n{keywords}\nAnswer as JSON.";
    let put = app.put(&prompt_path("auto_cluster"), t, json!({"text": custom})).await.expect(200);
    assert_eq!(put.data()["text"], custom);
    assert_eq!(put.data()["is_default"], false);
    assert_eq!(put.data()["default_text"], default_text.as_str());
    let read = app.get(&prompt_path("auto_cluster"), t).await.expect(200);
    assert_eq!((read.data()["text"].as_str(), read.data()["is_default"].as_bool()), (Some(custom), Some(false)));
    let list = app.get(PROMPTS, t).await.expect(200);
    let flags: Vec<bool> = results(&list).iter().map(|p| p["is_default"].as_bool().unwrap()).collect();
    assert_eq!(flags, [false, true, true, true, true]);

    let reset = app.post(&format!("{}reset_to_default/", prompt_path("auto_cluster")), t, json!({})).await.expect(200);
    assert_eq!(reset.data()["is_default"], true);
    assert_eq!(reset.data()["text"], default_text.as_str());
    assert_eq!(app.get(&prompt_path("auto_cluster"), t).await.expect(200).data()["is_default"], true);
    // Resetting a prompt that was never changed is fine.
    app.post(&format!("{}reset_to_default/", prompt_path("generate_images")), t, json!({})).await.expect(200);

    assert_not_found(&app.get(&prompt_path("drop_tables"), t).await, "unknown function");
    assert_not_found(&app.put(&prompt_path("drop_tables"), t, json!({"text": "x"})).await, "unknown function put");
    let unknown_reset = app.post(&format!("{}reset_to_default/", prompt_path("nope")), t, json!({})).await;
    assert_not_found(&unknown_reset, "unknown function reset");

    assert_field_error(&app.put(&prompt_path("generate_ideas"), t, json!({"text": "   "})).await, "text");
    assert_field_error(&app.put(&prompt_path("generate_ideas"), t, json!({})).await, "text");
    assert_field_error(&app.put(&prompt_path("generate_ideas"), t, json!({"text": 5})).await, "text");
    let long = "x".repeat(20_001);
    assert_field_error(&app.put(&prompt_path("generate_ideas"), t, json!({"text": long})).await, "text");
    app.put(&prompt_path("generate_ideas"), t, json!({"text": "y".repeat(20_000)})).await.expect(200);
}

#[tokio::test]
async fn ai_settings_have_defaults_and_validated_partial_updates() {
    let app = TestApp::spawn().await;
    let owner = app.register("aisettings").await;
    let t = &owner.access;

    let defaults = app.get(SETTINGS, t).await.expect(200);
    let d = defaults.data();
    assert_eq!(d["text_provider"], "offline");
    assert_eq!(d["model"], "gpt-4o-mini");
    assert_eq!(d["temperature"], 0.7);
    assert_eq!(d["max_tokens"], 4000);
    assert_eq!(d["image_provider"], "offline");
    assert_eq!(d["image_model"], "dall-e-3");
    assert_eq!(d["image_size"], "1024x1024");
    assert_eq!(d["image_quality"], "standard");
    assert!(d.get("image_style").is_none_or(Value::is_null), "{d}");

    let changed = app
        .put(
            SETTINGS,
            t,
            json!({"text_provider": "openai", "model": "gpt-4.1-mini", "temperature": 0.2, "image_style": "vivid"}),
        )
        .await
        .expect(200);
    let c = changed.data();
    assert_eq!((c["text_provider"].as_str(), c["model"].as_str()), (Some("openai"), Some("gpt-4.1-mini")));
    assert_eq!(c["temperature"], 0.2);
    assert_eq!(c["image_style"], "vivid");
    assert_eq!(c["max_tokens"], 4000, "fields left out keep their values");
    assert!(c["updated_at"].as_str().is_some_and(|s| !s.is_empty()));

    let patched = app
        .patch(
            SETTINGS,
            t,
            json!({"image_provider": "runware", "image_size": "512x768", "image_quality": "hd", "max_tokens": 32000, "image_style": null}),
        )
        .await
        .expect(200);
    let p = patched.data();
    assert_eq!((p["image_provider"].as_str(), p["image_size"].as_str()), (Some("runware"), Some("512x768")));
    assert_eq!((p["image_quality"].as_str(), p["max_tokens"].as_u64()), (Some("hd"), Some(32000)));
    assert!(p.get("image_style").is_none_or(Value::is_null), "null clears the style: {p}");
    assert_eq!(p["model"], "gpt-4.1-mini");
    assert_eq!(app.get(SETTINGS, t).await.expect(200).data(), p);

    let bad = app
        .put(
            SETTINGS,
            t,
            json!({
                "text_provider": "anthropic", "temperature": 2.5, "max_tokens": 0, "image_provider": "midjourney",
                "image_size": "100x100", "image_quality": "ultra", "model": " "
            }),
        )
        .await;
    for field in
        ["text_provider", "temperature", "max_tokens", "image_provider", "image_size", "image_quality", "model"]
    {
        assert_field_error(&bad, field);
    }
    for (field, value) in [
        ("max_tokens", json!(32001)),
        ("temperature", json!(-0.1)),
        ("image_size", json!("1024")),
        ("image_size", json!("4096x1024")),
        ("image_size", json!("1024x255")),
        ("image_style", json!("")),
        ("temperature", json!("hot")),
    ] {
        assert_field_error(&app.put(SETTINGS, t, json!({ field: value })).await, field);
    }
    assert_eq!(app.get(SETTINGS, t).await.expect(200).data(), p, "rejected updates change nothing");
    app.put(SETTINGS, t, json!({"temperature": 2, "image_size": "2048x256"})).await.expect(200);
}

#[tokio::test]
async fn author_profiles_and_strategies_are_managed() {
    let app = TestApp::spawn().await;
    let owner = app.register("profiles").await;
    let t = &owner.access;

    let created = app
        .post(
            PROFILES,
            t,
            json!({"name": " Friendly expert ", "description": "Warm, precise.", "tone": "friendly", "language": "en"}),
        )
        .await
        .expect(201);
    let profile = created.data().clone();
    let id = id_of(&profile);
    assert!(id.starts_with("aut_"), "{id}");
    assert_eq!(profile["name"], "Friendly expert");
    assert_eq!(profile["tone"], "friendly");
    assert_eq!(app.get(&format!("{PROFILES}{id}/"), t).await.expect(200).data(), &profile);
    let second = id_of(app.post(PROFILES, t, json!({"name": "Academic"})).await.expect(201).data());

    let list = app.get(PROFILES, t).await.expect(200);
    assert_eq!(list.body["count"], 2);
    assert_eq!(id_of(&results(&list)[0]), id, "oldest first");
    let search = app.get(&format!("{PROFILES}?search=acad"), t).await.expect(200);
    assert_eq!(results(&search).iter().map(id_of).collect::<Vec<_>>(), std::slice::from_ref(&second));
    let paged = app.get(&format!("{PROFILES}?page_size=1&ordering=-created_at"), t).await.expect(200);
    assert_eq!((paged.body["count"].as_u64(), id_of(&results(&paged)[0])), (Some(2), second.clone()));
    assert!(paged.body["next"].is_string());

    let patched = app.patch(&format!("{PROFILES}{id}/"), t, json!({"tone": "playful"})).await.expect(200);
    assert_eq!(
        (patched.data()["tone"].as_str(), patched.data()["name"].as_str()),
        (Some("playful"), Some("Friendly expert"))
    );
    let put = app.put(&format!("{PROFILES}{id}/"), t, json!({"language": "de", "description": ""})).await.expect(200);
    assert_eq!((put.data()["language"].as_str(), put.data()["description"].as_str()), (Some("de"), Some("")));
    assert_eq!(put.data()["tone"], "playful");

    assert_field_error(&app.post(PROFILES, t, json!({"name": "  "})).await, "name");
    assert_field_error(&app.post(PROFILES, t, json!({"tone": "x"})).await, "name");
    assert_field_error(&app.post(PROFILES, t, json!({"name": "x", "language": "l".repeat(51)})).await, "language");
    assert_field_error(&app.patch(&format!("{PROFILES}{id}/"), t, json!({"name": ""})).await, "name");

    app.delete(&format!("{PROFILES}{id}/"), t).await.expect(200);
    assert_not_found(&app.get(&format!("{PROFILES}{id}/"), t).await, "read after delete");
    assert_not_found(&app.delete(&format!("{PROFILES}{id}/"), t).await, "delete twice");
    assert_not_found(&app.patch(&format!("{PROFILES}{id}/"), t, json!({"tone": "x"})).await, "update after delete");
    assert_not_found(&app.get(&format!("{PROFILES}aut_{}/", "0".repeat(3000)), t).await, "overlong id");

    let strategy = app
        .post(STRATEGIES, t, json!({"name": "Pillar pages", "guidelines": "Link every article to its pillar page."}))
        .await
        .expect(201);
    let sid = id_of(strategy.data());
    assert!(sid.starts_with("str_"), "{sid}");
    assert_eq!(strategy.data()["guidelines"], "Link every article to its pillar page.");
    assert_eq!(strategy.data()["description"], "");
    let updated =
        app.put(&format!("{STRATEGIES}{sid}/"), t, json!({"guidelines": "Short paragraphs."})).await.expect(200);
    assert_eq!(
        (updated.data()["guidelines"].as_str(), updated.data()["name"].as_str()),
        (Some("Short paragraphs."), Some("Pillar pages"))
    );
    assert_eq!(app.get(STRATEGIES, t).await.expect(200).body["count"], 1);
    assert_field_error(
        &app.post(STRATEGIES, t, json!({"name": "x", "guidelines": "g".repeat(10_001)})).await,
        "guidelines",
    );
    app.delete(&format!("{STRATEGIES}{sid}/"), t).await.expect(200);
    assert_not_found(&app.get(&format!("{STRATEGIES}{sid}/"), t).await, "strategy after delete");
    assert_eq!(app.get(STRATEGIES, t).await.expect(200).body["count"], 0);
}

#[tokio::test]
async fn only_admins_and_owners_change_settings() {
    let app = TestApp::spawn().await;
    let team = team(&app, "sysroles").await;
    let profile = id_of(app.post(PROFILES, &team.owner.access, json!({"name": "Voice"})).await.expect(201).data());
    let strategy = id_of(app.post(STRATEGIES, &team.owner.access, json!({"name": "Plan"})).await.expect(201).data());

    for (who, session) in [("viewer", &team.viewer), ("editor", &team.editor)] {
        let t = &session.access;
        for path in [PROMPTS.to_owned(), prompt_path("generate_content"), SETTINGS.to_owned(), PROFILES.to_owned()] {
            app.get(&path, t).await.expect(200);
        }
        app.get(&format!("{PROFILES}{profile}/"), t).await.expect(200);
        app.get(&format!("{STRATEGIES}{strategy}/"), t).await.expect(200);
        let denied = [
            app.put(SETTINGS, t, json!({"temperature": 1})).await,
            app.put(&prompt_path("generate_content"), t, json!({"text": "mine"})).await,
            app.post(&format!("{}reset_to_default/", prompt_path("generate_content")), t, json!({})).await,
            app.post(PROFILES, t, json!({"name": "Mine"})).await,
            app.patch(&format!("{PROFILES}{profile}/"), t, json!({"name": "Mine"})).await,
            app.delete(&format!("{PROFILES}{profile}/"), t).await,
            app.post(STRATEGIES, t, json!({"name": "Mine"})).await,
            app.delete(&format!("{STRATEGIES}{strategy}/"), t).await,
            app.get(OPENAI, t).await,
            app.put(OPENAI, t, json!({"api_key": RAW_KEY})).await,
            app.delete(OPENAI, t).await,
            app.post("/api/v1/system/settings/test_openai/", t, json!({})).await,
            app.post(&format!("{OPENAI}test_openai/"), t, json!({})).await,
        ];
        for reply in &denied {
            assert_forbidden(reply, who);
        }
    }
    assert_eq!(app.get(SETTINGS, &team.owner.access).await.expect(200).data()["temperature"], 0.7);

    let a = &team.admin.access;
    app.put(SETTINGS, a, json!({"temperature": 1})).await.expect(200);
    app.put(&prompt_path("generate_content"), a, json!({"text": "admin's"})).await.expect(200);
    app.patch(&format!("{PROFILES}{profile}/"), a, json!({"name": "Admin voice"})).await.expect(200);
    app.put(OPENAI, a, json!({"api_key": RAW_KEY})).await.expect(200);
    app.get(OPENAI, &team.owner.access).await.expect(200);
}

#[tokio::test]
async fn accounts_see_only_their_own_settings() {
    let app = TestApp::spawn().await;
    let a = app.register("sysiso-a").await;
    let b = app.register("sysiso-b").await;
    let profile = id_of(app.post(PROFILES, &a.access, json!({"name": "A voice"})).await.expect(201).data());
    let strategy = id_of(app.post(STRATEGIES, &a.access, json!({"name": "A plan"})).await.expect(201).data());
    app.put(&prompt_path("generate_ideas"), &a.access, json!({"text": "A's ideas prompt"})).await.expect(200);
    app.put(SETTINGS, &a.access, json!({"model": "gpt-4o"})).await.expect(200);
    app.put(OPENAI, &a.access, json!({"api_key": RAW_KEY})).await.expect(200);

    let t = &b.access;
    for (base, id) in [(PROFILES, &profile), (STRATEGIES, &strategy)] {
        let path = format!("{base}{id}/");
        assert_not_found(&app.get(&path, t).await, "foreign read");
        assert_not_found(&app.patch(&path, t, json!({"name": "Mine now"})).await, "foreign update");
        assert_not_found(&app.put(&path, t, json!({"name": "Mine now"})).await, "foreign put");
        assert_not_found(&app.delete(&path, t).await, "foreign delete");
        assert_eq!(app.get(base, t).await.expect(200).body["count"], 0);
    }
    assert_eq!(app.get(&prompt_path("generate_ideas"), t).await.expect(200).data()["is_default"], true);
    assert_eq!(app.get(SETTINGS, t).await.expect(200).data()["model"], "gpt-4o-mini");
    assert_eq!(app.get(OPENAI, t).await.expect(200).data()["configured"], false);
    let reply = app.post(&format!("{OPENAI}test_openai/"), t, json!({})).await;
    assert_eq!((reply.status, reply.code()), (400, "NOT_CONFIGURED"), "{}", reply.body);

    // A's objects are untouched.
    assert_eq!(app.get(&format!("{PROFILES}{profile}/"), &a.access).await.expect(200).data()["name"], "A voice");
    assert_eq!(app.get(&format!("{STRATEGIES}{strategy}/"), &a.access).await.expect(200).data()["name"], "A plan");
    assert_eq!(app.get(OPENAI, &a.access).await.expect(200).data()["configured"], true);
}

#[tokio::test]
async fn provider_keys_are_sealed_and_never_shown() {
    let app = TestApp::spawn().await;
    let owner = app.register("keys").await;
    let t = &owner.access;
    let mut replies: Vec<Reply> = Vec::new();

    let empty = app.get(OPENAI, t).await.expect(200);
    assert_eq!(empty.data()["configured"], false);
    assert!(empty.data()["api_key_masked"].is_null());
    assert_eq!(empty.data()["default_base_url"], "https://api.openai.com/v1");
    assert_field_error(&app.put(OPENAI, t, json!({"base_url": "https://llm.example.com/v1"})).await, "api_key");

    let saved = app.put(OPENAI, t, json!({"api_key": RAW_KEY})).await.expect(200);
    assert_eq!(saved.data()["configured"], true);
    assert_eq!(saved.data()["api_key_masked"], "sk-…b1a0");
    assert!(saved.data().get("api_key").is_none() && saved.data().get("api_key_sealed").is_none());
    replies.push(saved);
    replies.push(app.get(OPENAI, t).await.expect(200));

    // The key would go to the new address: moving the base URL takes the key again.
    assert_field_error(&app.patch(OPENAI, t, json!({"base_url": "https://llm.example.com/v1/"})).await, "api_key");
    let moved =
        app.patch(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": "https://llm.example.com/v1/"})).await.expect(200);
    assert_eq!(moved.data()["base_url"], "https://llm.example.com/v1");
    assert_eq!(moved.data()["api_key_masked"], "sk-…b1a0");
    replies.push(moved);
    let cleared = app.put(OPENAI, t, json!({"base_url": null})).await.expect(200);
    assert!(cleared.data()["base_url"].is_null());
    replies.push(cleared);

    assert_field_error(&app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": "ftp://x.com"})).await, "base_url");
    assert_field_error(&app.put(OPENAI, t, json!({"base_url": "not a url"})).await, "base_url");
    assert_field_error(&app.put(OPENAI, t, json!({"api_key": "  "})).await, "api_key");
    assert_field_error(
        &app.put(RUNWARE, t, json!({"api_key": "rw-key-1234567890", "base_url": "https://x.com"})).await,
        "base_url",
    );
    assert_not_found(
        &app.put("/api/v1/system/settings/integrations/anthropic/", t, json!({"api_key": "k"})).await,
        "provider",
    );
    assert_not_found(&app.get("/api/v1/system/settings/integrations/anthropic/", t).await, "provider");

    let runware = app.put(RUNWARE, t, json!({"api_key": "rw-abcdefghijklmnop-5678"})).await.expect(200);
    assert_eq!(runware.data()["api_key_masked"], "…5678");
    replies.push(runware);

    for reply in &replies {
        let text = reply.body.to_string();
        assert!(!text.contains(RAW_KEY) && !text.contains("9f8e7d6c5b4a"), "key in a response: {text}");
        assert!(!text.contains("abcdefghijklmnop"), "key in a response: {text}");
        assert!(!text.contains("v1:"), "sealed key in a response: {text}");
    }

    // Stored sealed: nowhere in the table in clear, and it opens with the key.
    let scan = app.dynamodb.scan().table_name(&app.table).send().await.expect("scan").items.unwrap_or_default();
    let dump = format!("{scan:?}");
    assert!(!dump.contains(RAW_KEY) && !dump.contains("9f8e7d6c5b4a"), "raw key stored");
    assert!(!dump.contains("abcdefghijklmnop"), "raw key stored");
    let item = app
        .dynamodb
        .get_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("ACCOUNT#{}", owner.account_id)))
        .key("SK", AttributeValue::S("AIINTEGRATION#openai".into()))
        .send()
        .await
        .expect("get item")
        .item
        .expect("integration item");
    let sealed = item["api_key_sealed"].as_s().expect("sealed key");
    assert!(sealed.starts_with("v1:"));
    assert_eq!(SecretBox::new(SECRETS_KEY).open(sealed).unwrap(), RAW_KEY);
    assert!(SecretBox::new([9; 32]).open(sealed).is_err());

    let removed = app.delete(OPENAI, t).await.expect(200);
    assert_eq!(removed.data()["configured"], false);
    assert_eq!(app.get(OPENAI, t).await.expect(200).data()["configured"], false);
    app.delete(OPENAI, t).await.expect(200);
    assert_eq!(app.count_kind("ai_integration").await, 1, "only runware's is left");
}

#[tokio::test]
async fn keys_are_tested_against_the_provider() {
    let app = TestApp::spawn().await;
    let owner = app.register("keytest").await;
    let t = &owner.access;

    let missing = app.post(&format!("{OPENAI}test_openai/"), t, json!({})).await;
    assert_eq!((missing.status, missing.code()), (400, "NOT_CONFIGURED"), "{}", missing.body);
    let missing = app.post(&format!("{RUNWARE}test_runware/"), t, json!({})).await;
    assert_eq!((missing.status, missing.code()), (400, "NOT_CONFIGURED"), "{}", missing.body);
    let missing = app.post("/api/v1/system/settings/test_runware/", t, json!({})).await;
    assert_eq!(missing.status, 400, "{}", missing.body);

    let good = fake_openai(StatusCode::OK, json!({"object": "list", "data": [{"id": "gpt-4o-mini"}]})).await;
    app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": good})).await.expect(200);
    for path in [format!("{OPENAI}test_openai/"), "/api/v1/system/settings/test_openai/".to_owned()] {
        let reply = app.post(&path, t, json!({})).await.expect(200);
        assert_eq!(reply.data()["ok"], true, "{}", reply.body);
        assert!(reply.data().get("error").is_none_or(Value::is_null));
    }

    // The provider refuses the key and echoes it back: the answer says so, masked.
    let refusing = fake_openai(
        StatusCode::UNAUTHORIZED,
        json!({"error": {"message": format!("Incorrect API key provided: {RAW_KEY}"), "type": "invalid_request_error"}}),
    )
    .await;
    app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": refusing})).await.expect(200);
    let reply = app.post(&format!("{OPENAI}test_openai/"), t, json!({})).await.expect(200);
    assert_eq!(reply.data()["ok"], false, "{}", reply.body);
    let error = reply.data()["error"].as_str().expect("error message");
    assert!(error.contains("401"), "{error}");
    assert!(!reply.body.to_string().contains(RAW_KEY), "{}", reply.body);

    // Nothing listening: an answer, not a server error.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/v1", listener.local_addr().unwrap())
    };
    app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": closed})).await.expect(200);
    let reply = app.post("/api/v1/system/settings/test_openai/", t, json!({})).await.expect(200);
    assert_eq!(reply.data()["ok"], false, "{}", reply.body);
}

/// The base URL is the customer's: what our network serves is never reached, nor read
/// back through the key check.
#[tokio::test]
async fn provider_base_urls_cannot_reach_our_network() {
    let app = TestApp::spawn().await;
    let owner = app.register("ssrf").await;
    let t = &owner.access;
    for url in ["http://169.254.169.254/latest/meta-data", "http://[fe80::1]/v1", "http://[fd00:ec2::254]/v1"] {
        let reply = app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": url})).await;
        assert_field_error(&reply, "base_url");
    }
    // A server on our own network (here: this machine), behind a name, with a secret page.
    let secret =
        Router::new().route("/v1/models", get(|| async { (StatusCode::FORBIDDEN, "<Error>internal secret</Error>") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, secret).await });
    app.put(OPENAI, t, json!({"api_key": RAW_KEY, "base_url": format!("http://localhost:{port}/v1")}))
        .await
        .expect(200);
    // As in Lambda (no ALLOW_PRIVATE_URLS): refused after resolving the name.
    let tenancy = igny8_tenancy::Tenancy { store: app.store.clone(), tokens: app.tokens.clone() };
    let strict = igny8_system::SystemState::new(
        tenancy,
        app.secrets.clone(),
        igny8_outbound::OutboundPolicy { allow_private: false },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(igny8_local::serve(listener, igny8_system::app(strict), std::future::pending()));
    let reply = reqwest::Client::new()
        .post(format!("{base}{OPENAI}test_openai/"))
        .bearer_auth(t)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["data"]["ok"], false, "{body}");
    let error = body["data"]["error"].as_str().unwrap();
    assert!(error.contains("private or loopback"), "{error}");
    // Allowed (the local stack): reached, but its body is not read back.
    let reply = app.post(&format!("{OPENAI}test_openai/"), t, json!({})).await.expect(200);
    assert_eq!(reply.data()["ok"], false);
    assert!(!reply.body.to_string().contains("internal secret"), "never echoed: {}", reply.body);
}
