//! Random secrets for sessions and API tokens. Only their SHA-256 is stored, so a copy of the
//! database does not let anyone sign in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub const API_TOKEN_PREFIX: &str = "gst_";

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is unrecoverable for a security product.
    getrandom::fill(&mut buf).unwrap_or_else(|e| panic!("OS random number generator failed: {e}"));
    buf
}

/// `prefix` followed by 32 random bytes in URL-safe base64.
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

pub fn digest(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal byte strings, compared in time that does not depend on where they differ.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The part of a token shown in lists so users can tell tokens apart.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(API_TOKEN_PREFIX.len() + 6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = random_token(API_TOKEN_PREFIX);
        let b = random_token(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("gst_"));
        assert_eq!(a.len(), 4 + 43);
    }

    #[test]
    fn digest_is_stable_hex() {
        let d = digest("abc");
        assert_eq!(
            d,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(digest("abd"), d);
    }

    #[test]
    fn prefix_is_short() {
        assert_eq!(display_prefix("gst_abcdefghijk"), "gst_abcdef");
    }
}
