//! Key pairs for members and forums: every local actor gets an RSA-2048 key pair when it is
//! created, stored as PEM, so that it can sign what it sends to other servers and others can
//! check it.

use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::{CoreError, CoreResult};

/// A PEM-encoded RSA key pair (SubjectPublicKeyInfo / PKCS#8).
#[derive(Clone)]
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a private key, not even in a debug log.
        f.debug_struct("KeyPair").finish_non_exhaustive()
    }
}

fn generate_blocking() -> CoreResult<KeyPair> {
    let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .map_err(|e| CoreError::Internal(format!("generating a key: {e}")))?;
    let public_pem = RsaPublicKey::from(&private)
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| CoreError::Internal(format!("encoding a public key: {e}")))?;
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| CoreError::Internal(format!("encoding a private key: {e}")))?
        .to_string();
    Ok(KeyPair {
        public_pem,
        private_pem,
    })
}

/// Generates a key pair on a blocking thread (it takes around a tenth of a second).
pub async fn generate() -> CoreResult<KeyPair> {
    tokio::task::spawn_blocking(generate_blocking)
        .await
        .map_err(|e| CoreError::Internal(format!("key generation task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn generates_pem_pairs() {
        let pair = generate().await.unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(pair.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(format!("{pair:?}"), "KeyPair { .. }");
    }
}
