//! Registration, sign-in, token refresh and sign-out, the caller's own profile.

use axum::extract::State;
use chrono::Utc;
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank};
use igny8_store::{
    Account, AccountStatus, RefreshOutcome, Registration, Role, Session, StoreError, TRIAL_PLAN, User, new_id, now,
    plan,
};
use igny8_tenancy::password::{hash_password_off_thread, verify_password_off_thread};
use igny8_tenancy::{IssuedTokens, Tenancy, Tenant, TokenError, TokenKind};
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use crate::throttle::{self, ClientAddress};
use crate::views;

#[derive(Debug, Deserialize, Validate)]
pub struct RegisterInput {
    #[validate(email, length(max = 254))]
    email: String,
    #[validate(length(min = 8, max = 128))]
    password: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    account_name: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    first_name: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    last_name: String,
}

#[derive(Debug, Deserialize, Validate)]
pub struct LoginInput {
    #[validate(length(min = 1, max = 254))]
    email: String,
    #[validate(length(min = 1, max = 128))]
    password: String,
}

#[derive(Debug, Deserialize, Validate)]
pub struct RefreshInput {
    #[validate(length(min = 1))]
    refresh: String,
}

#[derive(Debug, Deserialize, Validate)]
pub struct ChangePasswordInput {
    #[validate(length(min = 1, max = 128))]
    current_password: String,
    #[validate(length(min = 8, max = 128))]
    new_password: String,
}

pub(crate) async fn hash(password: String) -> ApiResult<String> {
    hash_password_off_thread(password).await.map_err(ApiError::internal)
}

/// A new refresh-token family for `user`, and its first tokens.
fn start_session(state: &Tenancy, user: &User) -> (Session, IssuedTokens) {
    let family_id = new_id("ses");
    let jti = new_id("rt");
    let tokens = state.tokens.issue(user, &family_id, &jti);
    let session = Session {
        family_id,
        account_id: user.account_id.clone(),
        user_id: user.id.clone(),
        current_jti: jti,
        revoked: false,
        created_at: now(),
        expires_at: tokens.refresh_expires_at,
        absolute_expires_at: chrono::Utc::now().timestamp() + igny8_store::SESSION_ABSOLUTE_SECS,
    };
    (session, tokens)
}

fn signed_in(tokens: &IssuedTokens, user: &User, account: &Account) -> Value {
    json!({
        "access": tokens.access,
        "refresh": tokens.refresh,
        "access_expires_at": tokens.access_expires_at,
        "refresh_expires_at": tokens.refresh_expires_at,
        "user": views::user(user),
        "account": views::account(account),
    })
}

pub async fn register(
    State(state): State<Tenancy>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<RegisterInput>,
) -> ApiResult<Success<Value>> {
    throttle::registration(&state.store, &address).await?;
    let trial = plan(TRIAL_PLAN).ok_or_else(|| ApiError::internal("trial plan missing"))?;
    let timestamp = now();
    let account_id = new_id("acc");
    let user = User {
        id: new_id("usr"),
        account_id: account_id.clone(),
        email: input.email.trim().to_lowercase(),
        password_hash: hash(input.password).await?,
        role: Role::Owner,
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        is_active: true,
        session_epoch: 0,
        site_grants: Default::default(),
        created_at: timestamp.clone(),
        updated_at: timestamp.clone(),
    };
    let account = Account {
        id: account_id,
        name: input.account_name.trim().to_owned(),
        plan_id: trial.id.to_owned(),
        status: AccountStatus::Trial,
        credits: i64::from(trial.starting_credits),
        owner_user_id: user.id.clone(),
        users_count: 1,
        sites_count: 0,
        created_at: timestamp.clone(),
        updated_at: timestamp,
    };
    let (session, tokens) = start_session(&state, &user);
    let registration = Registration { account, owner: user, session };
    match state.store.register(&registration).await {
        Ok(()) => Ok(Success::created(signed_in(&tokens, &registration.owner, &registration.account))
            .with_message("Account created.")),
        Err(StoreError::Condition("email_taken")) => Err(email_taken()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

pub(crate) fn email_taken() -> ApiError {
    let mut err = ApiError::conflict("EMAIL_TAKEN", "A user with this email already exists.");
    err.errors.insert("email".into(), vec!["A user with this email already exists.".into()]);
    err
}

pub async fn login(
    State(state): State<Tenancy>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<LoginInput>,
) -> ApiResult<Success<Value>> {
    throttle::begin_sign_in(&state.store, &input.email, &address).await?;
    let user = state.store.user_by_email(&input.email).await.map_err(ApiError::internal)?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = verify_password_off_thread(input.password, stored_hash).await;
    let invalid = || ApiError::new(http::StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "Invalid email or password.");
    let user = match user {
        Some(user) if matches && user.is_active => user,
        _ => return Err(invalid()),
    };
    throttle::signed_in(&state.store, &input.email, &address).await?;
    let account = state.store.account(&user.account_id).await.map_err(ApiError::internal)?.ok_or_else(invalid)?;
    if !account.status.is_usable() {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            "ACCOUNT_INACTIVE",
            "This account is suspended or cancelled.",
        ));
    }
    let (session, tokens) = start_session(&state, &user);
    state.store.create_session(&session).await.map_err(ApiError::internal)?;
    Ok(Success::ok(signed_in(&tokens, &user, &account)).with_message("Signed in."))
}

pub async fn refresh(
    State(state): State<Tenancy>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> ApiResult<Success<Value>> {
    let claims = state.tokens.verify(&input.refresh, TokenKind::Refresh).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthenticated("Refresh token has expired; sign in again."),
        TokenError::Invalid => ApiError::unauthenticated("Refresh token is invalid."),
    })?;
    let family = claims.fam.clone().ok_or_else(|| ApiError::unauthenticated("Refresh token is invalid."))?;
    let (user, account) =
        state.store.user_and_account(&claims.account_id, &claims.user_id).await.map_err(ApiError::internal)?;
    let (user, account) = match (user, account) {
        (Some(user), Some(account)) if user.is_active && user.session_epoch == claims.ver => (user, account),
        _ => {
            // Deleted or deactivated user, or a password change since: the family is dead.
            state.store.revoke_session(&family).await.map_err(ApiError::internal)?;
            return Err(ApiError::unauthenticated("Session is no longer valid; sign in again."));
        }
    };
    if !account.status.is_usable() {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            "ACCOUNT_INACTIVE",
            "This account is suspended or cancelled.",
        ));
    }
    let next_jti = new_id("rt");
    let tokens = state.tokens.issue(&user, &family, &next_jti);
    let outcome = state
        .store
        .rotate_session(&family, &claims.jti, &next_jti, Utc::now().timestamp(), tokens.refresh_expires_at)
        .await
        .map_err(ApiError::internal)?;
    match outcome {
        RefreshOutcome::Rotated(_) => Ok(Success::ok(json!({
            "access": tokens.access,
            "refresh": tokens.refresh,
            "access_expires_at": tokens.access_expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
        }))),
        RefreshOutcome::Reused => Err(ApiError::new(
            http::StatusCode::UNAUTHORIZED,
            "TOKEN_REUSED",
            "This refresh token was already used; every session from that sign-in has been revoked.",
        )),
        RefreshOutcome::Revoked => Err(ApiError::unauthenticated("Session has ended; sign in again.")),
    }
}

pub async fn logout(
    State(state): State<Tenancy>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> ApiResult<Success<Value>> {
    match state.tokens.verify(&input.refresh, TokenKind::Refresh) {
        Ok(claims) => {
            if let Some(family) = claims.fam {
                state.store.revoke_session(&family).await.map_err(ApiError::internal)?;
            }
        }
        // An expired refresh token has nothing left to end.
        Err(TokenError::Expired) => {}
        Err(TokenError::Invalid) => {
            return Err(ApiError::unauthenticated("Refresh token is invalid."));
        }
    }
    Ok(Success::ok(json!({})).with_message("Signed out."))
}

pub async fn me(tenant: Tenant) -> ApiResult<Success<Value>> {
    let user = tenant.require_user()?;
    Ok(Success::ok(json!({"user": views::user(user), "account": views::account(&tenant.account)})))
}

pub async fn change_password(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<ChangePasswordInput>,
) -> ApiResult<Success<Value>> {
    let user = tenant.require_user()?;
    if !verify_password_off_thread(input.current_password, Some(user.password_hash.clone())).await {
        return Err(ApiError::field("current_password", "Wrong password."));
    }
    let new_hash = hash(input.new_password).await?;
    let user = state.store.set_password(&user.account_id, &user.id, &new_hash).await.map_err(ApiError::internal)?;
    // Every earlier token is now stale (session epoch moved on); this one starts afresh.
    let (session, tokens) = start_session(&state, &user);
    state.store.create_session(&session).await.map_err(ApiError::internal)?;
    Ok(Success::ok(json!({"access": tokens.access, "refresh": tokens.refresh})).with_message("Password changed."))
}
