//! The `Tenant` extractor: bearer JWT or `X-IGNY8-API-Key`, checked against stored state.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;
use http::{HeaderMap, StatusCode, header};
use igny8_http::ApiError;
use igny8_store::{SiteStatus, Store};

use crate::access::Tenant;
use crate::api_key;
use crate::tokens::{TokenKind, Tokens};

pub const API_KEY_HEADER: &str = "x-igny8-api-key";

/// What the extractor needs from a function's state.
#[derive(Clone)]
pub struct Tenancy {
    pub store: Store,
    pub tokens: Arc<Tokens>,
}

impl<S> FromRequestParts<S> for Tenant
where
    S: Send + Sync,
    Tenancy: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Tenancy::from_ref(state).authenticate(&parts.headers).await
    }
}

fn account_unusable() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "ACCOUNT_INACTIVE", "This account is suspended or cancelled.")
}

impl Tenancy {
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Tenant, ApiError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthenticated("Authorization must be 'Bearer <access token>'."))?;
            return self.authenticate_token(token).await;
        }
        if let Some(value) = headers.get(API_KEY_HEADER) {
            let key = value.to_str().map_err(|_| ApiError::unauthenticated("Invalid API key."))?;
            return self.authenticate_api_key(key).await;
        }
        Err(ApiError::unauthenticated("Authentication credentials were not provided."))
    }

    async fn authenticate_token(&self, token: &str) -> Result<Tenant, ApiError> {
        let claims =
            self.tokens.verify(token, TokenKind::Access).map_err(|e| ApiError::unauthenticated(e.to_string()))?;
        let (user, account) = self.store.user_and_account(&claims.account_id, &claims.user_id).await?;
        let (Some(user), Some(account)) = (user, account) else {
            return Err(ApiError::unauthenticated("User not found."));
        };
        if !user.is_active {
            return Err(ApiError::unauthenticated("User is inactive."));
        }
        if user.session_epoch != claims.ver {
            return Err(ApiError::unauthenticated("Token is no longer valid; sign in again."));
        }
        if !account.status.is_usable() {
            return Err(account_unusable());
        }
        Ok(Tenant::for_user(account, user))
    }

    async fn authenticate_api_key(&self, key: &str) -> Result<Tenant, ApiError> {
        let invalid = || ApiError::unauthenticated("Invalid API key.");
        let owner = self.store.api_key_owner(&api_key::hash(key)).await?.ok_or_else(invalid)?;
        let (site, account) = self.store.site_and_account(&owner.account_id, &owner.site_id).await?;
        let (Some(site), Some(account)) = (site, account) else {
            return Err(invalid());
        };
        // The lookup item and the site are rotated together, but check the site agrees.
        if site.api_key_hash.as_deref() != Some(api_key::hash(key).as_str()) {
            return Err(invalid());
        }
        if !account.status.is_usable() {
            return Err(account_unusable());
        }
        if site.status != SiteStatus::Active {
            return Err(ApiError::forbidden("This site is not active."));
        }
        Ok(Tenant::for_site_key(account, site.id))
    }
}
