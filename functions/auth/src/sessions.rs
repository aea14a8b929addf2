//! Registration, sign-in, token refresh and sign-out, the caller's own profile.

use axum::extract::State;
use chrono::Utc;
use igny8_http::openapi::{Envelope, ErrorEnvelope};
use igny8_http::{ApiError, ApiResult, JsonBody, Success, not_blank};
use igny8_store::AccountId;
use igny8_store::Conflict;
use igny8_store::UserId;
use igny8_store::{
    Account, AccountStatus, RefreshOutcome, Registration, Role, Session, StoreError, TRIAL_PLAN, User, new_id, now,
    plan,
};
use igny8_tenancy::password::{hash_password_off_thread, verify_password_off_thread};
use igny8_tenancy::{IssuedTokens, Tenancy, Tenant, TokenError, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::throttle::{self, ClientAddress};
use crate::views::{self, AccountView, UserView};

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RegisterInput {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    email: String,
    #[validate(length(min = 8, max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    account_name: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    first_name: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    last_name: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginInput {
    #[validate(length(min = 1, max = 254))]
    #[schema(min_length = 1, max_length = 254)]
    email: String,
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    password: String,
}

/// A refresh token from sign-in, registration or an earlier refresh.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RefreshInput {
    #[validate(length(min = 1))]
    #[schema(min_length = 1)]
    refresh: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ChangePasswordInput {
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    current_password: String,
    #[validate(length(min = 8, max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

/// A token pair with the times it expires.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensView {
    /// The bearer token for every other request.
    access: String,
    /// For `POST /api/v1/auth/refresh`; each one is used once.
    refresh: String,
    /// Unix seconds.
    access_expires_at: i64,
    /// Unix seconds.
    refresh_expires_at: i64,
}

impl From<&IssuedTokens> for TokensView {
    fn from(tokens: &IssuedTokens) -> Self {
        Self {
            access: tokens.access.clone(),
            refresh: tokens.refresh.clone(),
            access_expires_at: tokens.access_expires_at,
            refresh_expires_at: tokens.refresh_expires_at,
        }
    }
}

/// A new session: its tokens, the user and the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedInView {
    #[serde(flatten)]
    tokens: TokensView,
    user: UserView,
    account: AccountView,
}

/// The signed-in user and their account.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    user: UserView,
    account: AccountView,
}

/// The tokens of the session that replaces every earlier one.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewPasswordTokens {
    access: String,
    refresh: String,
}

/// An empty object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Empty {}

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

fn signed_in(tokens: &IssuedTokens, user: &User, account: &Account) -> SignedInView {
    SignedInView { tokens: tokens.into(), user: views::user(user), account: views::account(account) }
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", security(()), request_body = RegisterInput,
    responses(
        (status = 201, description = "The account, its owner, and a first session.", body = Envelope<SignedInView>),
        (status = 409, description = "`EMAIL_TAKEN`: a user with this email already exists.", body = ErrorEnvelope),
    ))]
pub async fn register(
    State(state): State<Tenancy>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<RegisterInput>,
) -> ApiResult<Success<SignedInView>> {
    throttle::registration(&state.store, &address).await?;
    let trial = plan(TRIAL_PLAN).ok_or_else(|| ApiError::internal("trial plan missing"))?;
    let timestamp = now();
    let account_id = AccountId::generate();
    let user = User {
        id: UserId::generate(),
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
        held: 0,
        owner_user_id: user.id.clone(),
        users_count: 1,
        sites_count: 0,
        keywords_count: 0,
        clusters_count: 0,
        ideas_count: 0,
        created_at: timestamp.clone(),
        updated_at: timestamp,
    };
    let (session, tokens) = start_session(&state, &user);
    let registration = Registration { account, owner: user, session };
    match state.store.register(&registration).await {
        Ok(()) => Ok(Success::created(signed_in(&tokens, &registration.owner, &registration.account))
            .with_message("Account created.")),
        Err(StoreError::Condition(Conflict::EmailTaken)) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn email_taken() -> ApiError {
    let mut err = ApiError::conflict("EMAIL_TAKEN", "A user with this email already exists.");
    err.errors.insert("email".into(), vec!["A user with this email already exists.".into()]);
    err
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginInput,
    responses(
        (status = 200, description = "A new session.", body = Envelope<SignedInView>),
        (status = 401, description = "`INVALID_CREDENTIALS`: wrong email or password, or the user is deactivated.", body = ErrorEnvelope),
        (status = 403, description = "`ACCOUNT_INACTIVE`: the account is suspended or cancelled.", body = ErrorEnvelope),
    ))]
pub async fn login(
    State(state): State<Tenancy>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<LoginInput>,
) -> ApiResult<Success<SignedInView>> {
    throttle::begin_sign_in(&state.store, &input.email, &address).await?;
    let user = state.store.user_by_email(&input.email).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = verify_password_off_thread(input.password, stored_hash).await;
    let invalid = || ApiError::new(http::StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "Invalid email or password.");
    let user = match user {
        Some(user) if matches && user.is_active => user,
        _ => return Err(invalid()),
    };
    throttle::signed_in(&state.store, &input.email, &address).await?;
    let account = state.store.account(&user.account_id).await?.ok_or_else(invalid)?;
    if !account.status.is_usable() {
        return Err(ApiError::new(
            http::StatusCode::FORBIDDEN,
            "ACCOUNT_INACTIVE",
            "This account is suspended or cancelled.",
        ));
    }
    let (session, tokens) = start_session(&state, &user);
    state.store.create_session(&session).await?;
    Ok(Success::ok(signed_in(&tokens, &user, &account)).with_message("Signed in."))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()), request_body = RefreshInput,
    responses(
        (status = 200, description = "The next token pair; the refresh token sent is used up.", body = Envelope<TokensView>),
        (status = 401, description = "The refresh token is expired or invalid, the session has ended (`UNAUTHENTICATED`), or the token was already used (`TOKEN_REUSED`: every session from that sign-in is revoked).", body = ErrorEnvelope),
        (status = 403, description = "`ACCOUNT_INACTIVE`: the account is suspended or cancelled.", body = ErrorEnvelope),
    ))]
pub async fn refresh(
    State(state): State<Tenancy>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> ApiResult<Success<TokensView>> {
    let claims = state.tokens.verify(&input.refresh, TokenKind::Refresh).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthenticated("Refresh token has expired; sign in again."),
        TokenError::Invalid => ApiError::unauthenticated("Refresh token is invalid."),
    })?;
    let family = claims.fam.clone().ok_or_else(|| ApiError::unauthenticated("Refresh token is invalid."))?;
    let (user, account) = state.store.user_and_account(&claims.account_id, &claims.user_id).await?;
    let (user, account) = match (user, account) {
        (Some(user), Some(account)) if user.is_active && user.session_epoch == claims.ver => (user, account),
        _ => {
            // Deleted or deactivated user, or a password change since: the family is dead.
            state.store.revoke_session(&family).await?;
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
        .await?;
    match outcome {
        RefreshOutcome::Rotated(_) => Ok(Success::ok(TokensView::from(&tokens))),
        RefreshOutcome::Reused => Err(ApiError::new(
            http::StatusCode::UNAUTHORIZED,
            "TOKEN_REUSED",
            "This refresh token was already used; every session from that sign-in has been revoked.",
        )),
        RefreshOutcome::Revoked => Err(ApiError::unauthenticated("Session has ended; sign in again.")),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(()), request_body = RefreshInput,
    responses(
        (status = 200, description = "The session of this refresh token has ended (also when it had already expired).", body = Envelope<Empty>),
        (status = 401, description = "The refresh token is invalid.", body = ErrorEnvelope),
    ))]
pub async fn logout(
    State(state): State<Tenancy>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> ApiResult<Success<Empty>> {
    match state.tokens.verify(&input.refresh, TokenKind::Refresh) {
        Ok(claims) => {
            if let Some(family) = claims.fam {
                state.store.revoke_session(&family).await?;
            }
        }
        // An expired refresh token has nothing left to end.
        Err(TokenError::Expired) => {}
        Err(TokenError::Invalid) => {
            return Err(ApiError::unauthenticated("Refresh token is invalid."));
        }
    }
    Ok(Success::ok(Empty {}).with_message("Signed out."))
}

// A site API key has no user: these two take a bearer token only.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user and their account.", body = Envelope<MeView>)))]
pub async fn me(tenant: Tenant) -> ApiResult<Success<MeView>> {
    let user = tenant.require_user()?;
    Ok(Success::ok(MeView { user: views::user(user), account: views::account(&tenant.account) }))
}

#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordInput,
    responses(
        (status = 200, description = "The password is changed; every earlier session has ended and these tokens start a new one.", body = Envelope<NewPasswordTokens>),
        (status = 400, description = "Invalid input, or a wrong `current_password`: `errors` names the fields.", body = ErrorEnvelope),
    ))]
pub async fn change_password(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<ChangePasswordInput>,
) -> ApiResult<Success<NewPasswordTokens>> {
    let user = tenant.require_user()?;
    if !verify_password_off_thread(input.current_password, Some(user.password_hash.clone())).await {
        return Err(ApiError::field("current_password", "Wrong password."));
    }
    let new_hash = hash(input.new_password).await?;
    let user = state.store.set_password(&user.account_id, &user.id, &new_hash).await?;
    // Every earlier token is now stale (session epoch moved on); this one starts afresh.
    let (session, tokens) = start_session(&state, &user);
    state.store.create_session(&session).await?;
    Ok(Success::ok(NewPasswordTokens { access: tokens.access, refresh: tokens.refresh })
        .with_message("Password changed."))
}
