//! Site API keys for the WordPress bridge: 256 random bits, shown to the user once; the
//! table keeps only the SHA-256 (a fast hash is right here: the key is random, not a
//! password, so there is nothing to brute-force).

use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

const PREFIX: &str = "igny8_";

pub struct NewApiKey {
    /// The key itself: returned once, never stored.
    pub plain: String,
    pub hash: String,
    /// Enough of the key to recognise it in a list.
    pub display_prefix: String,
}

pub fn generate() -> NewApiKey {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let plain = format!("{PREFIX}{}", hex::encode(bytes));
    NewApiKey { hash: hash(&plain), display_prefix: plain[..PREFIX.len() + 6].to_owned(), plain }
}

pub fn hash(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plain, b.plain);
        assert_eq!(a.hash, hash(&a.plain));
        assert!(a.plain.starts_with(&a.display_prefix));
        assert_eq!(a.plain.len(), PREFIX.len() + 64);
    }
}
