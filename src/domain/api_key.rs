//! API key secrets: generated here, shown once, stored only as a SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every API key starts with this, so keys are easy to spot in logs and secret
/// scanners, and so a bearer token can be told apart from a voter JWT.
pub const API_KEY_PREFIX: &str = "chr_";

/// A freshly generated API key. `secret` is shown to the admin once and never
/// stored; `hash` and `prefix` are stored.
pub struct NewApiKeySecret {
    pub secret: String,
    pub hash: [u8; 32],
    pub prefix: String,
}

impl NewApiKeySecret {
    /// 256 random bits from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = hash_api_key(&secret);
        let prefix = secret[..API_KEY_PREFIX.len() + 6].to_owned();
        NewApiKeySecret {
            secret,
            hash,
            prefix,
        }
    }
}

/// The stored form of a presented key.
pub fn hash_api_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether a bearer token looks like an API key (rather than a voter JWT).
pub fn looks_like_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_distinct_and_hash_to_what_is_stored() {
        let a = NewApiKeySecret::generate();
        let b = NewApiKeySecret::generate();
        assert_ne!(a.secret, b.secret);
        assert!(looks_like_api_key(&a.secret));
        assert_eq!(a.secret.len(), API_KEY_PREFIX.len() + 43);
        assert_eq!(hash_api_key(&a.secret), a.hash);
        assert!(a.secret.starts_with(&a.prefix));
    }
}
