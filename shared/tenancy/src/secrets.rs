//! Secrets customers give us (AI provider API keys, later WordPress passwords), sealed
//! with AES-256-GCM before they are stored, and masked whenever they are shown.
//!
//! A sealed value is `v1:` + base64(nonce ‖ ciphertext ‖ tag), with a random 96-bit
//! nonce per value. The version prefix leaves room to change the scheme or rotate keys.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;

const VERSION: &str = "v1:";
const NONCE_BYTES: usize = 12;
/// The GCM authentication tag appended to every ciphertext.
const TAG_BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Not something `seal` produced (wrong prefix, not base64, too short).
    #[error("sealed secret is malformed")]
    Malformed,
    /// Sealed with another key, or changed since it was sealed.
    #[error("sealed secret could not be opened (wrong key or tampered)")]
    Rejected,
}

/// Seals and opens secrets with one 256-bit key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(&key.into()) }
    }

    /// The key from `SECRETS_KEY`: 64 hex characters, or the base64 of 32 bytes.
    pub fn from_env() -> Result<Self, String> {
        let text = std::env::var("SECRETS_KEY").map_err(|_| "SECRETS_KEY is not set".to_owned())?;
        Self::from_key_text(&text).map_err(|e| format!("SECRETS_KEY {e}"))
    }

    /// Parses a key written as 64 hex characters or as the base64 of 32 bytes.
    pub fn from_key_text(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| "is not valid hex".to_owned())?
        } else {
            BASE64.decode(text).map_err(|_| "must be 64 hex characters or the base64 of 32 bytes".to_owned())?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("must be 32 bytes (64 hex characters or base64), got {} bytes", b.len()))?;
        Ok(Self::new(key))
    }

    /// Encrypts `plaintext` under a fresh random nonce: `v1:<base64>`.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        // Encryption fails only for inputs beyond GCM's size limit (64 GiB).
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).unwrap_or_default();
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}{}", BASE64.encode(sealed))
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same key.
    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(SecretError::Malformed)?;
        let bytes = BASE64.decode(encoded).map_err(|_| SecretError::Malformed)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(SecretError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plaintext = self.cipher.decrypt(Nonce::from_slice(nonce), ciphertext).map_err(|_| SecretError::Rejected)?;
        String::from_utf8(plaintext).map_err(|_| SecretError::Rejected)
    }
}

/// Public prefixes of provider keys: they say which kind of key it is, nothing secret.
const PUBLIC_PREFIXES: [&str; 2] = ["sk-proj-", "sk-"];

/// How a secret is shown: a known public prefix, `…`, and at most its last 4 characters
/// (fewer for short secrets, none below 8 characters), e.g. `sk-…abcd`.
pub fn mask(secret: &str) -> String {
    let secret = secret.trim();
    let prefix = PUBLIC_PREFIXES.iter().find(|p| secret.starts_with(**p)).copied().unwrap_or("");
    let rest: Vec<char> = secret[prefix.len()..].chars().collect();
    let shown = match rest.len() {
        n if n >= 16 => 4,
        n if n >= 8 => 2,
        _ => 0,
    };
    let tail: String = rest[rest.len() - shown..].iter().collect();
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn sealed_secrets_open_again() {
        let secrets = SecretBox::new(KEY);
        let sealed = secrets.seal("sk-test-0123456789abcdef");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("0123456789abcdef"));
        assert_eq!(secrets.open(&sealed).unwrap(), "sk-test-0123456789abcdef");
        assert_eq!(secrets.open(&secrets.seal("")).unwrap(), "");
        assert_eq!(secrets.open(&secrets.seal("pässwörd ✓")).unwrap(), "pässwörd ✓");
    }

    #[test]
    fn every_seal_uses_a_new_nonce() {
        let secrets = SecretBox::new(KEY);
        assert_ne!(secrets.seal("same"), secrets.seal("same"));
    }

    #[test]
    fn tampering_is_detected() {
        let secrets = SecretBox::new(KEY);
        let sealed = secrets.seal("sk-secret-value");
        let mut bytes = BASE64.decode(&sealed[3..]).unwrap();
        for index in [0, NONCE_BYTES, bytes.len() - 1] {
            bytes[index] ^= 1;
            let forged = format!("v1:{}", BASE64.encode(&bytes));
            assert_eq!(secrets.open(&forged), Err(SecretError::Rejected), "byte {index}");
            bytes[index] ^= 1;
        }
        assert_eq!(secrets.open("sk-secret-value"), Err(SecretError::Malformed));
        assert_eq!(secrets.open("v1:not base64!"), Err(SecretError::Malformed));
        assert_eq!(secrets.open("v1:AAAA"), Err(SecretError::Malformed));
        assert_eq!(secrets.open(&sealed.replacen("v1:", "v2:", 1)), Err(SecretError::Malformed));
    }

    #[test]
    fn another_key_cannot_open() {
        let sealed = SecretBox::new(KEY).seal("sk-secret-value");
        assert_eq!(SecretBox::new([8; 32]).open(&sealed), Err(SecretError::Rejected));
    }

    #[test]
    fn keys_are_read_as_hex_or_base64() {
        let sealed = SecretBox::new(KEY).seal("x");
        let hex_key = hex::encode(KEY);
        assert_eq!(SecretBox::from_key_text(&hex_key).unwrap().open(&sealed).unwrap(), "x");
        assert_eq!(SecretBox::from_key_text(&hex_key.to_uppercase()).unwrap().open(&sealed).unwrap(), "x");
        assert_eq!(SecretBox::from_key_text(&BASE64.encode(KEY)).unwrap().open(&sealed).unwrap(), "x");
        assert!(SecretBox::from_key_text("short").is_err());
        assert!(SecretBox::from_key_text(&hex::encode([1u8; 16])).unwrap_err().contains("32 bytes"));
        assert!(SecretBox::from_key_text(&BASE64.encode([1u8; 31])).is_err());
    }

    #[test]
    fn masks_show_at_most_the_last_four_characters() {
        assert_eq!(mask("sk-0123456789abcdefwxyz"), "sk-…wxyz");
        assert_eq!(mask("sk-proj-0123456789abcdefwxyz"), "sk-proj-…wxyz");
        assert_eq!(mask("rw_0123456789abcdefwxyz"), "…wxyz");
        assert_eq!(mask("abcdefghij"), "…ij");
        assert_eq!(mask("sk-abc"), "sk-…");
        assert_eq!(mask(""), "…");
        for secret in ["sk-0123456789abcdefwxyz", "0123456789abcdefghijklmnopqrstuvwxyz", "ab", "äöüßäöüßäöüßäöüßäöüß"]
        {
            let masked = mask(secret);
            let (prefix, tail) = masked.split_once('…').unwrap();
            assert!(PUBLIC_PREFIXES.contains(&prefix) || prefix.is_empty(), "{masked}");
            assert!(tail.chars().count() <= 4, "{masked}");
            assert!(secret.ends_with(tail));
        }
    }
}
