//! Argon2id password hashes in PHC string form.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// False for a wrong password and for a hash that cannot be parsed.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashing is deliberately slow; keep it off the async workers.
pub async fn hash_blocking(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Argon2 verifications running at once: each takes ~20 ms of a core and 19 MiB, so a flood of
/// logins must queue instead of exhausting the blocking pool and the memory.
fn verifications() -> &'static tokio::sync::Semaphore {
    use std::sync::OnceLock;
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(2 * cores)
    })
}

pub async fn verify_blocking(password: String, phc: String) -> bool {
    let Ok(_permit) = verifications().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify(&password, &phc))
        .await
        .unwrap_or(false)
}

/// A valid hash of a random password: verifying against it costs the same as a real check, so
/// an unknown username takes as long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash(&crate::auth::token::random_token("decoy")).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
        assert!(!verify("", &h));
    }

    #[test]
    fn salts_differ() {
        assert_ne!(hash("same").unwrap(), hash("same").unwrap());
    }

    #[test]
    fn garbage_hash_never_verifies() {
        assert!(!verify("x", "not a phc string"));
        assert!(!verify("x", ""));
    }

    #[test]
    fn decoy_is_a_real_hash() {
        assert!(decoy_hash().starts_with("$argon2id$"));
        assert!(!verify("", decoy_hash()));
    }
}
