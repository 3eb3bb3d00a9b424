//! Encryption of secrets at rest (kubeconfigs, tokens): XChaCha20-Poly1305 with a key from the
//! configuration, or one generated once into the data directory.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::token::random_bytes;

const VERSION: &str = "v1:";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// For MACs (notify tokens): derived from the key, never the encryption key itself.
    mac_key: [u8; 32],
}

impl SecretBox {
    pub fn new(key: [u8; 32]) -> Self {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"gemscope-mac-key\0");
        h.update(key);
        SecretBox {
            cipher: XChaCha20Poly1305::new(&key.into()),
            mac_key: h.finalize().into(),
        }
    }

    /// A short token that proves the server issued it for `purpose` (22 URL-safe characters,
    /// 132 bits). Nothing is stored: it is recomputed to check.
    pub fn token(&self, purpose: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!());
        mac.update(purpose.as_bytes());
        let full =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        full[..22].to_string()
    }

    /// Whether `given` is the token for `purpose`, compared in constant time.
    pub fn check_token(&self, purpose: &str, given: &str) -> bool {
        super::token::same(self.token(purpose).as_bytes(), given.as_bytes())
    }

    /// The configured key (base64 of 32 bytes), else `data_dir/secret.key`, created on first use.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let encoded = match configured {
            Some(k) => k.trim().to_string(),
            None => {
                let path = data_dir.join("secret.key");
                if path.exists() {
                    std::fs::read_to_string(&path)?.trim().to_string()
                } else {
                    std::fs::create_dir_all(data_dir)?;
                    let k = STANDARD.encode(random_bytes::<32>());
                    write_private(&path, &k)?;
                    tracing::info!(path = %path.display(), "generated a new secret key for data at rest");
                    k
                }
            }
        };
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| anyhow::anyhow!("secret_key: not valid base64"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("secret_key: must be 32 bytes"))?;
        Ok(Self::new(key))
    }

    pub fn seal(&self, plaintext: &str) -> anyhow::Result<String> {
        let nonce_bytes = random_bytes::<24>();
        let nonce = XNonce::from(nonce_bytes);
        let ct = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<String> {
        let body = sealed
            .strip_prefix(VERSION)
            .ok_or_else(|| anyhow::anyhow!("unknown secret format"))?;
        let raw = STANDARD.decode(body)?;
        if raw.len() < 24 {
            anyhow::bail!("sealed secret too short");
        }
        let (nonce, ct) = raw.split_at(24);
        let nonce: [u8; 24] = nonce.try_into()?;
        let pt = self
            .cipher
            .decrypt(&XNonce::from(nonce), ct)
            .map_err(|_| anyhow::anyhow!("secret cannot be decrypted: wrong key or corrupted"))?;
        Ok(String::from_utf8(pt)?)
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let b = SecretBox::new([7; 32]);
        let sealed = b.seal("apiVersion: v1\nclusters: []").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("clusters"));
        assert_eq!(b.open(&sealed).unwrap(), "apiVersion: v1\nclusters: []");
        assert_ne!(
            b.seal("x").unwrap(),
            b.seal("x").unwrap(),
            "fresh nonce each time"
        );
        let other = SecretBox::new([8; 32]);
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert!(b.open(&tampered).is_err());
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::load(None, dir.path()).unwrap();
        let sealed = a.seal("s").unwrap();
        let b = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(b.open(&sealed).unwrap(), "s");
    }

    #[test]
    fn bad_configured_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SecretBox::load(Some("not base64!"), dir.path()).is_err());
        assert!(SecretBox::load(Some("c2hvcnQ="), dir.path()).is_err());
    }
}
