//! JWTs (HS256). Access tokens are short-lived and stateless to verify; refresh tokens
//! live 7 days and belong to a family stored in the table (see `igny8_store::Session`).

use chrono::Utc;
use igny8_store::{AccountId, UserId};
use igny8_store::{Role, User};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

pub const DEFAULT_ACCESS_TTL_SECS: i64 = 15 * 60;
pub const DEFAULT_REFRESH_TTL_SECS: i64 = 7 * 24 * 60 * 60;
pub const MIN_SECRET_BYTES: usize = 32;
/// Who issues the tokens and who they are for: a token signed with the same secret for
/// anything else is refused.
pub const ISSUER: &str = "igny8";
pub const AUDIENCE: &str = "igny8-api";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub role: Role,
    pub typ: TokenKind,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// Refresh tokens: the family they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<String>,
    /// The user's session epoch when issued (see `User::session_epoch`).
    pub ver: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedTokens {
    pub access: String,
    pub refresh: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token has expired.")]
    Expired,
    #[error("Token is invalid.")]
    Invalid,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl_secs: i64, refresh_ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
            refresh_ttl_secs,
        }
    }

    /// `JWT_SECRET` (at least 32 bytes), `ACCESS_TOKEN_TTL_SECS` (default 15 minutes).
    pub fn from_env() -> Result<Self, String> {
        Self::from_secret(&std::env::var("JWT_SECRET").map_err(|_| "JWT_SECRET is not set".to_owned())?)
    }

    /// Keys from `secret` (at least 32 bytes), `ACCESS_TOKEN_TTL_SECS` (default 15 minutes).
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"));
        }
        let access_ttl =
            std::env::var("ACCESS_TOKEN_TTL_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ACCESS_TTL_SECS);
        Ok(Self::new(secret.as_bytes(), access_ttl, DEFAULT_REFRESH_TTL_SECS))
    }

    /// A new access token and a refresh token of `family_id` with id `refresh_jti`.
    pub fn issue(&self, user: &User, family_id: &str, refresh_jti: &str) -> IssuedTokens {
        let now = Utc::now().timestamp();
        let claims = |typ, exp, jti: String, fam: Option<String>| Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.id.to_string(),
            account_id: user.account_id.clone(),
            user_id: user.id.clone(),
            role: user.role,
            typ,
            iat: now,
            exp,
            jti,
            fam,
            ver: user.session_epoch,
        };
        let access_exp = now + self.access_ttl_secs;
        let refresh_exp = now + self.refresh_ttl_secs;
        let access = claims(TokenKind::Access, access_exp, ulid::Ulid::new().to_string(), None);
        let refresh = claims(TokenKind::Refresh, refresh_exp, refresh_jti.to_owned(), Some(family_id.to_owned()));
        IssuedTokens {
            access: self.sign(&access),
            refresh: self.sign(&refresh),
            access_expires_at: access_exp,
            refresh_expires_at: refresh_exp,
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        // HS256 signing of a serialisable struct cannot fail.
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).unwrap_or_default()
    }

    pub fn verify(&self, token: &str, expected: TokenKind) -> Result<Claims, TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        if data.claims.typ != expected {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "usr_1".into(),
            account_id: "acc_1".into(),
            email: "a@b.co".into(),
            password_hash: String::new(),
            role: Role::Editor,
            first_name: String::new(),
            last_name: String::new(),
            is_active: true,
            session_epoch: 3,
            site_grants: Default::default(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issued_tokens_verify_as_their_own_kind_only() {
        let tokens = Tokens::new(SECRET, 60, 600);
        let issued = tokens.issue(&user(), "fam_1", "jti_1");
        let access = tokens.verify(&issued.access, TokenKind::Access).unwrap();
        assert_eq!((access.account_id.as_str(), access.role, access.ver), ("acc_1", Role::Editor, 3));
        let refresh = tokens.verify(&issued.refresh, TokenKind::Refresh).unwrap();
        assert_eq!(refresh.fam.as_deref(), Some("fam_1"));
        assert_eq!(tokens.verify(&issued.refresh, TokenKind::Access).unwrap_err(), TokenError::Invalid);
        assert_eq!(tokens.verify(&issued.access, TokenKind::Refresh).unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_rejected() {
        let tokens = Tokens::new(SECRET, -120, 600);
        let issued = tokens.issue(&user(), "fam_1", "jti_1");
        assert_eq!(tokens.verify(&issued.access, TokenKind::Access).unwrap_err(), TokenError::Expired);

        let tokens = Tokens::new(SECRET, 60, 600);
        let issued = tokens.issue(&user(), "fam_1", "jti_1");
        let mut tampered = issued.access.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(tokens.verify(&tampered, TokenKind::Access).unwrap_err(), TokenError::Invalid);

        let other = Tokens::new(b"another secret of thirty-two bytes!!", 60, 600);
        assert_eq!(other.verify(&issued.access, TokenKind::Access).unwrap_err(), TokenError::Invalid);
    }
}
