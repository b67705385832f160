//! Public keys as actors publish them (`publicKeyPem`: an SPKI `PUBLIC KEY`, or a PKCS#1
//! `RSA PUBLIC KEY`), verified with ring: RSA PKCS#1 v1.5 with SHA-256 (2048 to 8192 bits) and
//! Ed25519. Private keys sign with ring too, for RFC 9421 requests Stoa sends.

use ring::signature::{self, UnparsedPublicKey};
use spki::der::Decode;

use super::{Algorithm, SignatureError};

/// rsaEncryption (1.2.840.113549.1.1.1).
const RSA_OID: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-Ed25519 (1.3.101.112).
const ED25519_OID: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");

/// A public key ready to verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// The DER of a PKCS#1 `RSAPublicKey`.
    Rsa(Vec<u8>),
    Ed25519([u8; 32]),
}

impl PublicKey {
    /// Reads a PEM public key.
    pub fn from_pem(pem: &str) -> Result<PublicKey, SignatureError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|_| SignatureError::new("the signer's public key is not PEM"))?;
        match label {
            "RSA PUBLIC KEY" => Ok(PublicKey::Rsa(der)),
            "PUBLIC KEY" => {
                let info = spki::SubjectPublicKeyInfoRef::from_der(&der)
                    .map_err(|_| SignatureError::new("the signer's public key cannot be read"))?;
                let bits = info
                    .subject_public_key
                    .as_bytes()
                    .ok_or_else(|| SignatureError::new("the signer's public key cannot be read"))?;
                if info.algorithm.oid == RSA_OID {
                    Ok(PublicKey::Rsa(bits.to_vec()))
                } else if info.algorithm.oid == ED25519_OID {
                    let key: [u8; 32] = bits
                        .try_into()
                        .map_err(|_| SignatureError::new("the Ed25519 key is not 32 bytes"))?;
                    Ok(PublicKey::Ed25519(key))
                } else {
                    Err(SignatureError::new(
                        "the signer's key is neither RSA nor Ed25519",
                    ))
                }
            }
            other => Err(SignatureError::new(format!(
                "the signer's key is a {other}, not a public key"
            ))),
        }
    }

    /// Verifies `signature` over `message` with the algorithm the signature named.
    pub fn verify(
        &self,
        algorithm: Algorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        let verified = match (self, algorithm) {
            (PublicKey::Rsa(der), Algorithm::RsaSha256 | Algorithm::FromKey) => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
                    .verify(message, signature)
            }
            (PublicKey::Ed25519(key), Algorithm::Ed25519 | Algorithm::FromKey) => {
                UnparsedPublicKey::new(&signature::ED25519, key).verify(message, signature)
            }
            _ => {
                return Err(SignatureError::new(
                    "the signature's algorithm does not fit the signer's key",
                ));
            }
        };
        verified.map_err(|_| SignatureError::new("the signature does not verify"))
    }
}

/// A private RSA key (PKCS#8 PEM, as Stoa stores them) that signs with PKCS#1 v1.5 SHA-256.
pub struct PrivateKey(signature::RsaKeyPair);

impl PrivateKey {
    pub fn from_pem(pem: &str) -> Result<PrivateKey, SignatureError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|_| SignatureError::new("the private key is not PEM"))?;
        let pair = match label {
            "PRIVATE KEY" => signature::RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => signature::RsaKeyPair::from_der(&der),
            other => {
                return Err(SignatureError::new(format!(
                    "a {other} is not an RSA private key"
                )));
            }
        }
        .map_err(|e| SignatureError::new(format!("the private key cannot be read: {e}")))?;
        Ok(PrivateKey(pair))
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let mut out = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                message,
                &mut out,
            )
            .map_err(|_| SignatureError::new("signing failed"))?;
        Ok(out)
    }
}
