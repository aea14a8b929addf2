//! Registration, sign-in, refresh-token rotation and reuse detection, sign-out.

use igny8_e2e::{Auth, PASSWORD, TestApp, unique_email};
use igny8_tenancy::Tokens;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn register_login_me_refresh_logout() {
    let app = TestApp::spawn().await;
    let owner = app.register("flow").await;

    let me = app.get("/api/v1/auth/me/", &owner.access).await.expect(200);
    assert_eq!(me.data()["user"]["email"], owner.email.as_str());
    assert_eq!(me.data()["user"]["role"], "owner");
    assert_eq!(me.data()["account"]["plan"]["id"], "trial");
    assert_eq!(me.data()["account"]["credits"], 200);
    assert!(me.data()["user"].get("password_hash").is_none());

    let login = app.login(&owner.email, PASSWORD).await.expect(200);
    let first_refresh = login.data()["refresh"].as_str().unwrap().to_owned();

    // Rotation: each refresh answers a new pair; the new access token works.
    let rotated = app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": first_refresh})).await.expect(200);
    let second_refresh = rotated.data()["refresh"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first_refresh);
    app.get("/api/v1/auth/me/", rotated.data()["access"].as_str().unwrap()).await.expect(200);

    // Reusing the old token is theft or replay: refused, and the whole family dies.
    let reused = app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": first_refresh})).await.expect(401);
    assert_eq!(reused.code(), "TOKEN_REUSED");
    app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": second_refresh})).await.expect(401);

    // Other sessions (the registration's) are untouched by that family's revocation.
    let other = app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": owner.refresh})).await.expect(200);
    let other_refresh = other.data()["refresh"].as_str().unwrap().to_owned();

    app.post_anonymous("/api/v1/auth/logout/", json!({"refresh": other_refresh})).await.expect(200);
    app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": other_refresh})).await.expect(401);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_the_same_401() {
    let app = TestApp::spawn().await;
    let owner = app.register("creds").await;
    let wrong = app.login(&owner.email, "not the password").await.expect(401);
    let unknown = app.login(&unique_email("nobody"), PASSWORD).await.expect(401);
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    assert_eq!(wrong.body["error"], unknown.body["error"]);
    // Email is case-insensitive.
    app.login(&owner.email.to_uppercase(), PASSWORD).await.expect(200);
}

#[tokio::test]
async fn expired_tampered_foreign_and_misused_tokens_are_401() {
    let app = TestApp::spawn().await;
    let owner = app.register("tokens").await;
    let user = app.store.user(&owner.account_id, &owner.user_id).await.unwrap().unwrap();

    let expired = Tokens::new(igny8_e2e::JWT_SECRET, -120, 600).issue(&user, "fam", "jti").access;
    let reply = app.get("/api/v1/auth/me/", &expired).await.expect(401);
    assert!(reply.body["error"].as_str().unwrap().contains("expired"));

    // Same claims, signed with another secret.
    let foreign = Tokens::new(b"some-other-secret-0123456789-abcdefgh", 900, 600).issue(&user, "fam", "jti").access;
    app.get("/api/v1/auth/me/", &foreign).await.expect(401);

    // A payload changed after signing (role raised, say) no longer matches its signature.
    let mut parts: Vec<String> = owner.access.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    app.get("/api/v1/auth/me/", &parts.join(".")).await.expect(401);

    // Signed with our secret, but issued by someone else or for another audience.
    let valid = Tokens::new(igny8_e2e::JWT_SECRET, 900, 600);
    let mut claims = valid.verify(&owner.access, igny8_tenancy::TokenKind::Access).unwrap();
    claims.iss = "someone-else".into();
    app.get("/api/v1/auth/me/", &valid.sign(&claims)).await.expect(401);
    claims.iss = igny8_tenancy::tokens::ISSUER.into();
    claims.aud = "another-api".into();
    app.get("/api/v1/auth/me/", &valid.sign(&claims)).await.expect(401);
    claims.aud = igny8_tenancy::tokens::AUDIENCE.into();
    app.get("/api/v1/auth/me/", &valid.sign(&claims)).await.expect(200);

    // A refresh token is not an access token, and the reverse.
    app.get("/api/v1/auth/me/", &owner.refresh).await.expect(401);
    app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": owner.access})).await.expect(401);

    app.call(Method::GET, "/api/v1/auth/me/", Auth::Anonymous, None).await.expect(401);
    let garbage = app.call(Method::GET, "/api/v1/auth/me/", Auth::Bearer("not-a-jwt"), None).await.expect(401);
    assert_eq!(garbage.body["success"], false);
    assert_eq!(garbage.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn change_password_ends_every_earlier_session() {
    let app = TestApp::spawn().await;
    let owner = app.register("pw").await;
    let wrong = app
        .post(
            "/api/v1/auth/change-password/",
            &owner.access,
            json!({"current_password": "nope", "new_password": "a new password"}),
        )
        .await
        .expect(400);
    assert!(wrong.body["errors"]["current_password"].is_array());

    let changed = app
        .post(
            "/api/v1/auth/change-password/",
            &owner.access,
            json!({"current_password": PASSWORD, "new_password": "a new password"}),
        )
        .await
        .expect(200);
    app.get("/api/v1/auth/me/", &owner.access).await.expect(401);
    app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": owner.refresh})).await.expect(401);
    app.get("/api/v1/auth/me/", changed.data()["access"].as_str().unwrap()).await.expect(200);
    app.login(&owner.email, PASSWORD).await.expect(401);
    app.login(&owner.email, "a new password").await.expect(200);
}

#[tokio::test]
async fn a_removed_or_deactivated_user_is_locked_out_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.register("lockout").await;
    let editor = app.add_member(&owner, "ed", "editor").await;
    let viewer = app.add_member(&owner, "vi", "viewer").await;

    app.patch(&format!("/api/v1/auth/users/{}/", editor.user_id), &owner.access, json!({"is_active": false}))
        .await
        .expect(200);
    app.get("/api/v1/auth/me/", &editor.access).await.expect(401);
    app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": editor.refresh})).await.expect(401);
    app.login(&editor.email, PASSWORD).await.expect(401);

    app.delete(&format!("/api/v1/auth/users/{}/", viewer.user_id), &owner.access).await.expect(200);
    app.get("/api/v1/auth/me/", &viewer.access).await.expect(401);
    app.login(&viewer.email, PASSWORD).await.expect(401);
    // The email is free again.
    app.post(
        "/api/v1/auth/users/",
        &owner.access,
        json!({"email": viewer.email, "password": PASSWORD, "role": "viewer"}),
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_its_case() {
    let app = TestApp::spawn().await;
    let owner = app.register("dup").await;
    let reply = app
        .post_anonymous(
            "/api/v1/auth/register/",
            json!({"email": owner.email.to_uppercase(), "password": PASSWORD, "account_name": "Again"}),
        )
        .await
        .expect(409);
    assert_eq!(reply.code(), "EMAIL_TAKEN");
    assert!(reply.body["errors"]["email"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_email_create_exactly_one_account() {
    let app = TestApp::spawn().await;
    let email = unique_email("race");
    let attempts = (0..8).map(|i| {
        app.post_anonymous(
            "/api/v1/auth/register/",
            json!({"email": email, "password": PASSWORD, "account_name": format!("Racer {i}")}),
        )
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!((created, conflicts), (1, 7), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(app.count_kind("account").await, 1);
    assert_eq!(app.count_kind("user").await, 1);
    assert_eq!(app.count_kind("email").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_token_presented_twice_at_once_rotates_only_once() {
    let app = TestApp::spawn().await;
    let owner = app.register("rtrace").await;
    let attempts = (0..4).map(|_| app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": owner.refresh})));
    let replies = futures::future::join_all(attempts).await;
    let rotated = replies.iter().filter(|r| r.status == 200).count();
    // The first conditional rotation always wins; every other request then sees reuse.
    assert_eq!(rotated, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 401));
}

/// A login lasts at most its absolute lifetime, however often it is refreshed.
#[tokio::test]
async fn refresh_families_end_at_their_absolute_lifetime() {
    let app = TestApp::spawn().await;
    let owner = app.register("absolute").await;
    let refreshed = app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": owner.refresh})).await.expect(200);
    let refresh = refreshed.data()["refresh"].as_str().unwrap().to_owned();
    let valid = Tokens::new(igny8_e2e::JWT_SECRET, 900, 600);
    let family = valid.verify(&refresh, igny8_tenancy::TokenKind::Refresh).unwrap().fam.unwrap();
    let session = app.store.session(&family).await.unwrap().unwrap();
    let lifetime = session.absolute_expires_at - chrono::Utc::now().timestamp();
    assert!((igny8_store::SESSION_ABSOLUTE_SECS - 60..=igny8_store::SESSION_ABSOLUTE_SECS).contains(&lifetime));
    // Thirty days later (the family's end moved into the past):
    app.dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", igny8_store::AttributeValue::S(format!("SESSION#{family}")))
        .key("SK", igny8_store::AttributeValue::S("SESSION".into()))
        .update_expression("SET absolute_expires_at = :past")
        .expression_attribute_values(
            ":past",
            igny8_store::AttributeValue::N((chrono::Utc::now().timestamp() - 1).to_string()),
        )
        .send()
        .await
        .unwrap();
    let reply = app.post_anonymous("/api/v1/auth/refresh/", json!({"refresh": refresh})).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    let session = app.store.session(&family).await.unwrap().unwrap();
    assert!(!session.revoked, "an ended family is not a stolen one");
}

/// Failed sign-ins slow down: a few are free, then each waits longer (429 with
/// `Retry-After`), right password or not; other users are not held up.
#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_with_a_growing_delay() {
    let app = TestApp::spawn().await;
    let owner = app.register("throttled").await;
    let other = app.register("bystander").await;
    // Five failures are free; after that each must wait (1 s, 2 s …): fail seven times,
    // waiting whenever asked to.
    let mut failures = 0;
    while failures < 7 {
        let reply = app.login(&owner.email, "wrong password!").await;
        match reply.status {
            401 => failures += 1,
            429 => {
                let wait: u64 = reply.headers["retry-after"].to_str().unwrap().parse().unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 100)).await;
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    // Right after the seventh failure the wait is 4 s: the right password waits too.
    let held = app.login(&owner.email, PASSWORD).await;
    assert_eq!((held.status, held.code()), (429, "THROTTLED"), "{}", held.body);
    let wait: u64 = held.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=4).contains(&wait), "{wait}");
    app.login(&other.email, PASSWORD).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 200)).await;
    app.login(&owner.email, PASSWORD).await.expect(200);
    // Signed in: this address starts afresh.
    app.login(&owner.email, "wrong password!").await.expect(401);
    app.login(&owner.email, PASSWORD).await.expect(200);
}

/// Registrations from one address are limited per hour.
#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let app = TestApp::spawn().await;
    let register = |n: u32| {
        let base = app.base.clone();
        async move {
            let body = json!({"email": igny8_e2e::unique_email(&format!("bulk{n}")), "password": PASSWORD, "account_name": "Bulk"});
            reqwest::Client::new()
                .post(format!("{base}/api/v1/auth/register/"))
                .header("x-forwarded-for", "198.51.100.7, 10.0.0.1")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..30 {
        assert_eq!(register(n).await.status(), 201);
    }
    let refused = register(30).await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().get("retry-after").is_some());
    // Another address is not held up.
    app.register("elsewhere").await;
}

/// A burst of guesses sent at once is held to the same count as guesses one by one:
/// each attempt is counted before its password is checked.
#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_tries_than_one_by_one() {
    let app = TestApp::spawn().await;
    let owner = app.register("burst").await;
    let guesses = (0..12).map(|_| app.login(&owner.email, "wrong password!"));
    let replies = futures::future::join_all(guesses).await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let held = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(checked + held, 12, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(checked <= 5, "{checked} passwords were checked");
}

/// In AWS the template names the token and sealing keys' secrets (`<NAME>_ARN`), never
/// their values; a function reads them from Secrets Manager when it starts.
#[tokio::test]
async fn startup_secrets_come_from_secrets_manager_by_arn() {
    use igny8_tenancy::startup::secret_from;
    let config = igny8_local::sdk_config().await;
    let value = format!("token-key-{}-0123456789abcdef0123456789", ulid::Ulid::new());
    let created = aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(format!("igny8-test-{}", ulid::Ulid::new()))
        .secret_string(&value)
        .send()
        .await
        .expect("the emulator keeps secrets");
    let arn = created.arn().unwrap().to_owned();

    let by_arn = |name: &str| (name == "JWT_SECRET_ARN").then(|| arn.clone());
    assert_eq!(secret_from(&config, "JWT_SECRET", by_arn).await.unwrap(), value);
    assert!(igny8_tenancy::Tokens::from_secret(&value).is_ok());

    // Locally the value itself may be given, and wins.
    let local = |name: &str| (name == "JWT_SECRET").then(|| "local".to_owned());
    assert_eq!(secret_from(&config, "JWT_SECRET", local).await.unwrap(), "local");

    let missing = secret_from(&config, "JWT_SECRET", |_| None).await.unwrap_err();
    assert!(missing.contains("JWT_SECRET_ARN"), "{missing}");
    let wrong = |name: &str| (name == "JWT_SECRET_ARN").then(|| format!("{arn}-gone"));
    assert!(secret_from(&config, "JWT_SECRET", wrong).await.is_err(), "an unknown secret stops the start");
}
