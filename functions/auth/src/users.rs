//! Users of the account (admin and up).
//!
//! Rules beyond the role check: nobody becomes owner through this API; only the owner
//! creates, changes or removes admins; nobody changes their own role, deactivates or
//! deletes themselves (so an account never locks itself out).

use axum::extract::{Path, State};
use axum::http::Uri;
use igny8_http::openapi::{Envelope, ErrorEnvelope, Page, PageQuery};
use igny8_http::{ApiError, ApiResult, JsonBody, ListResponse, PageParams, QueryParams, Success};
use igny8_store::Conflict;
use igny8_store::UserId;
use igny8_store::{Role, StoreError, User, UserChanges, now, plan};
use igny8_tenancy::{Access, Tenancy, Tenant};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::sessions::{email_taken, hash};
use crate::views::{self, UserView};
use igny8_http::Deleted;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CreateUserInput {
    #[validate(email, length(max = 254))]
    #[schema(format = "email", max_length = 254)]
    email: String,
    #[validate(length(min = 8, max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    /// `admin` (by the owner only), `editor` or `viewer`.
    role: Role,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    first_name: String,
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    last_name: String,
}

/// The fields to change; absent ones stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UpdateUserInput {
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    first_name: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    last_name: Option<String>,
    /// `admin` (by the owner only), `editor` or `viewer`; not one's own.
    role: Option<Role>,
    /// Not one's own.
    is_active: Option<bool>,
}

/// Whether `caller` may give a user `role`.
fn check_assignable(caller: &Tenant, role: Role) -> ApiResult<()> {
    match role {
        Role::Editor | Role::Viewer => Ok(()),
        Role::Admin if caller.allows(Access::Owner) => Ok(()),
        Role::Admin => Err(ApiError::forbidden("Only the account owner can make admins.")),
        _ => Err(ApiError::field("role", "Must be one of admin, editor, viewer.")),
    }
}

/// Whether `caller` may change or remove `target` at all.
fn check_manageable(caller: &Tenant, target: &User) -> ApiResult<()> {
    match target.role {
        Role::Owner | Role::Developer | Role::SystemBot => {
            Err(ApiError::forbidden("The account owner cannot be changed here."))
        }
        Role::Admin if !caller.allows(Access::Owner) => {
            Err(ApiError::forbidden("Only the account owner can change admins."))
        }
        _ => Ok(()),
    }
}

async fn find(state: &Tenancy, tenant: &Tenant, id: &UserId) -> ApiResult<User> {
    state.store.user(tenant.account_id(), id).await?.ok_or_else(|| ApiError::not_found("User"))
}

#[utoipa::path(get, path = "/api/v1/auth/users", tag = "auth", params(PageQuery),
    responses((status = 200, description = "The account's users, oldest first.", body = Page<UserView>)))]
pub async fn list(
    State(state): State<Tenancy>,
    tenant: Tenant,
    QueryParams(page): QueryParams<PageParams>,
    uri: Uri,
) -> ApiResult<ListResponse<UserView>> {
    tenant.require(Access::Admin)?;
    page.check()?;
    let users = state.store.users(tenant.account_id()).await?;
    let views = users.iter().map(views::user).collect();
    Ok(ListResponse::paginate(views, &page, &uri))
}

#[utoipa::path(get, path = "/api/v1/auth/users/{id}", tag = "auth",
    params(("id" = String, Path, description = "The user's id.")),
    responses((status = 200, description = "The user.", body = Envelope<UserView>)))]
pub async fn read(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<UserId>,
) -> ApiResult<Success<UserView>> {
    tenant.require(Access::Admin)?;
    let user = find(&state, &tenant, &id).await?;
    Ok(Success::ok(views::user(&user)))
}

#[utoipa::path(post, path = "/api/v1/auth/users", tag = "auth", request_body = CreateUserInput,
    responses(
        (status = 201, description = "The new user.", body = Envelope<UserView>),
        (status = 409, description = "`EMAIL_TAKEN`: a user with this email already exists.", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<Tenancy>,
    tenant: Tenant,
    JsonBody(input): JsonBody<CreateUserInput>,
) -> ApiResult<Success<UserView>> {
    tenant.require(Access::Admin)?;
    check_assignable(&tenant, input.role)?;
    let limits = plan(&tenant.account.plan_id).ok_or_else(|| ApiError::internal("account has an unknown plan"))?;
    let timestamp = now();
    let user = User {
        id: UserId::generate(),
        account_id: tenant.account_id().to_owned(),
        email: input.email.trim().to_lowercase(),
        password_hash: hash(input.password).await?,
        role: input.role,
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        is_active: true,
        session_epoch: 0,
        site_grants: Default::default(),
        created_at: timestamp.clone(),
        updated_at: timestamp,
    };
    match state.store.add_user(&user, limits.max_users).await {
        Ok(()) => Ok(Success::created(views::user(&user))),
        Err(StoreError::Condition(Conflict::PlanLimit)) => Err(Tenant::plan_limit(limits, limits.max_users, "users")),
        Err(StoreError::Condition(Conflict::EmailTaken)) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(method(put, patch), path = "/api/v1/auth/users/{id}", tag = "auth",
    params(("id" = String, Path, description = "The user's id.")), request_body = UpdateUserInput,
    responses(
        (status = 200, description = "The changed user.", body = Envelope<UserView>),
        (status = 400, description = "Invalid input (`errors` names the fields), or `SELF_CHANGE`: a change of one's own role or active state.", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<UserId>,
    JsonBody(input): JsonBody<UpdateUserInput>,
) -> ApiResult<Success<UserView>> {
    tenant.require(Access::Admin)?;
    let target = find(&state, &tenant, &id).await?;
    let is_self = tenant.user.as_ref().is_some_and(|me| me.id == target.id);
    let changes_standing = input.role.is_some() || input.is_active.is_some();
    if is_self && changes_standing {
        return Err(ApiError::bad_request("SELF_CHANGE", "You cannot change your own role or active state."));
    }
    if !is_self {
        check_manageable(&tenant, &target)?;
    }
    if let Some(role) = input.role {
        check_assignable(&tenant, role)?;
    }
    let changes = UserChanges {
        first_name: input.first_name.map(|v| v.trim().to_owned()),
        last_name: input.last_name.map(|v| v.trim().to_owned()),
        role: input.role,
        is_active: input.is_active,
    };
    let user = state.store.update_user(tenant.account_id(), &id, changes).await.map_err(|e| match e {
        StoreError::Condition(_) => ApiError::not_found("User"),
        e => e.into(),
    })?;
    Ok(Success::ok(views::user(&user)))
}

#[utoipa::path(delete, path = "/api/v1/auth/users/{id}", tag = "auth",
    params(("id" = String, Path, description = "The user's id.")),
    responses(
        (status = 200, description = "The user is deleted and their seat on the plan is free.", body = Envelope<Deleted>),
        (status = 400, description = "`SELF_CHANGE`: nobody deletes themselves.", body = ErrorEnvelope),
    ))]
pub async fn remove(
    State(state): State<Tenancy>,
    tenant: Tenant,
    Path(id): Path<UserId>,
) -> ApiResult<Success<Deleted>> {
    tenant.require(Access::Admin)?;
    let target = find(&state, &tenant, &id).await?;
    if tenant.user.as_ref().is_some_and(|me| me.id == target.id) {
        return Err(ApiError::bad_request("SELF_CHANGE", "You cannot delete yourself."));
    }
    check_manageable(&tenant, &target)?;
    state.store.delete_user(&target).await.map_err(|e| match e {
        StoreError::Condition(Conflict::UserMissing) => ApiError::not_found("User"),
        e => e.into(),
    })?;
    Ok(Success::ok(Deleted::of(target.id)))
}
