//! The body's digest: `Digest` (RFC 3230, draft-cavage) and `Content-Digest` (RFC 9530). Every
//! digest a request carries must match its body, at least one must be of a known algorithm,
//! and an algorithm named twice is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use sha2::{Digest as _, Sha256, Sha512};

use super::{SignatureError, single};

/// Checks the body against each digest header present; at least one must be.
pub fn check_body(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let legacy = single(headers, "digest")?;
    let content = single(headers, "content-digest")?;
    if legacy.is_none() && content.is_none() {
        return Err(SignatureError::new(
            "the request has neither a Digest nor a Content-Digest header",
        ));
    }
    if let Some(value) = legacy {
        check_digest(value, body)?;
    }
    if let Some(value) = content {
        check_content_digest(value, body)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    fn of(self, body: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(body).to_vec(),
            Hash::Sha512 => Sha512::digest(body).to_vec(),
        }
    }
}

/// `Digest: SHA-256=base64[,SHA-512=base64]`.
fn check_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    let mut seen: Vec<String> = Vec::new();
    let mut known = 0;
    for part in value.split(',') {
        let (algorithm, encoded) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| SignatureError::new("the Digest header is malformed"))?;
        let algorithm = algorithm.trim().to_ascii_lowercase();
        if seen.contains(&algorithm) {
            return Err(SignatureError::new(format!(
                "the Digest header names {algorithm} twice"
            )));
        }
        seen.push(algorithm.clone());
        let hash = match algorithm.as_str() {
            "sha-256" => Hash::Sha256,
            "sha-512" => Hash::Sha512,
            _ => continue,
        };
        known += 1;
        let expected = STANDARD
            .decode(encoded.trim())
            .map_err(|_| SignatureError::new("the Digest header is not base64"))?;
        if expected != hash.of(body) {
            return Err(SignatureError::new("the body does not match its Digest"));
        }
    }
    if known == 0 {
        return Err(SignatureError::new(
            "the Digest header has no SHA-256 or SHA-512 digest",
        ));
    }
    Ok(())
}

/// `Content-Digest: sha-256=:base64:` — a structured dictionary of byte sequences.
fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SignatureError> {
    super::rfc9421::refuse_repeated_keys(value, "Content-Digest")?;
    let dictionary: sfv::Dictionary = sfv::Parser::new(value)
        .parse()
        .map_err(|_| SignatureError::new("the Content-Digest header is malformed"))?;
    let mut known = 0;
    for (algorithm, entry) in &dictionary {
        let hash = match algorithm.as_str() {
            "sha-256" => Hash::Sha256,
            "sha-512" => Hash::Sha512,
            _ => continue,
        };
        known += 1;
        let expected = match entry {
            sfv::ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            sfv::ListEntry::InnerList(_) => None,
        }
        .ok_or_else(|| SignatureError::new("a Content-Digest value is not a byte sequence"))?;
        if expected != hash.of(body).as_slice() {
            return Err(SignatureError::new(
                "the body does not match its Content-Digest",
            ));
        }
    }
    if known == 0 {
        return Err(SignatureError::new(
            "the Content-Digest header has no sha-256 or sha-512 digest",
        ));
    }
    Ok(())
}

/// `sha-256=:…:`, the Content-Digest of a body Stoa sends.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}
