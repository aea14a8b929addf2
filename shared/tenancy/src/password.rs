//! Argon2id with the crate's default (OWASP-recommended) parameters: 19 MiB, 2 passes.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_PASSWORD_LENGTH: usize = 8;

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches `stored` (a PHC string). A malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of a real verification when there is no user to verify against, so
/// response times do not tell which emails are registered.
pub fn verify_nobody(password: &str) {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash_password("decoy password for timing").unwrap_or_default());
    let _ = verify_password(password, decoy);
}

/// Runs password work off the async threads (it takes tens of milliseconds of CPU).
pub async fn hash_password_off_thread(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_password(&password).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}

pub async fn verify_password_off_thread(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify_password(&password, &stored),
        None => {
            verify_nobody(&password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }
}
