//! Signatures on requests Stoa sends: draft-cavage (what every peer reads; the signing string
//! from http-signature-normalization, as activitypub_federation makes it) and RFC 9421, for
//! servers that answer the first with 401. Both sign with ring.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::keys::PrivateKey;
use super::{Scheme, SignatureError};

/// The headers that carry a request's signature, ready to add to it.
pub type SignedHeaders = Vec<(&'static str, String)>;

/// The media type of what Stoa posts.
const CONTENT_TYPE: &str = "application/activity+json";

/// `host[:port]` as an HTTP client sends it for `url`.
fn authority(url: &Url) -> Result<String, SignatureError> {
    let host = url
        .host_str()
        .ok_or_else(|| SignatureError::new("the inbox has no host"))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn target(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The headers of a signed POST of `body` to `url` in either scheme: `Host`, `Date`,
/// `Content-Type`, the digest and the signature.
pub fn post_headers(
    scheme: Scheme,
    url: &Url,
    body: &[u8],
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    match scheme {
        Scheme::Cavage => cavage_headers(url, body, key_id, key, now),
        Scheme::Rfc9421 => rfc9421_headers(url, body, key_id, key, now),
    }
}

fn cavage_headers(
    url: &Url,
    body: &[u8],
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    let host = authority(url)?;
    let date = httpdate::fmt_http_date(now);
    let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(body)));
    let mut covered = BTreeMap::new();
    covered.insert("host".to_owned(), host.clone());
    covered.insert("date".to_owned(), date.clone());
    covered.insert("digest".to_owned(), digest.clone());
    covered.insert("content-type".to_owned(), CONTENT_TYPE.to_owned());
    // Without `(created)`: several servers (Pleroma, older Mastodon) need `date` signed instead.
    let signature = http_signature_normalization::Config::new()
        .mastodon_compat()
        .begin_sign("POST", &target(url), covered)
        .map_err(|e| SignatureError::new(format!("signing: {e}")))?
        .sign(key_id.to_owned(), |signing_string| {
            key.sign(signing_string.as_bytes())
                .map(|bytes| STANDARD.encode(bytes))
        })?
        .signature_header();
    Ok(vec![
        ("host", host),
        ("date", date),
        ("digest", digest),
        ("content-type", CONTENT_TYPE.to_owned()),
        ("signature", signature),
    ])
}

/// RFC 9421: covers the method, target, authority, date and `Content-Digest` (RFC 9530).
pub fn rfc9421_headers(
    url: &Url,
    body: &[u8],
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    if key_id.contains(['"', '\\']) {
        return Err(SignatureError::new("a key id cannot hold quotes"));
    }
    let host = authority(url)?;
    let date = httpdate::fmt_http_date(now);
    let content_digest = super::digest::content_digest(body);
    let created = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| SignatureError::new("the clock is before 1970"))?
        .as_secs();
    let params = format!(
        r#"("@method" "@target-uri" "@authority" "date" "content-digest");created={created};keyid="{key_id}";alg="rsa-v1_5-sha256""#
    );
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": {url}\n\"@authority\": {}\n\"date\": {date}\n\"content-digest\": {content_digest}\n\"@signature-params\": {params}",
        host.to_ascii_lowercase()
    );
    let signature = STANDARD.encode(key.sign(base.as_bytes())?);
    Ok(vec![
        ("host", host),
        ("date", date),
        ("content-digest", content_digest),
        ("content-type", CONTENT_TYPE.to_owned()),
        ("signature-input", format!("sig1={params}")),
        ("signature", format!("sig1=:{signature}:")),
    ])
}
