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
    crate::urls::Urls::authority_of(url).ok_or_else(|| SignatureError::new("the inbox has no host"))
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
        Scheme::Cavage => cavage_headers("POST", url, Some(body), key_id, key, now),
        Scheme::Rfc9421 => rfc9421_headers("POST", url, Some(body), key_id, key, now),
    }
}

/// The headers of a signed GET of `url` (authorized fetch): `Host`, `Date` and the signature.
pub fn get_headers(
    scheme: Scheme,
    url: &Url,
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    match scheme {
        Scheme::Cavage => cavage_headers("GET", url, None, key_id, key, now),
        Scheme::Rfc9421 => rfc9421_headers("GET", url, None, key_id, key, now),
    }
}

fn cavage_headers(
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    let host = authority(url)?;
    let date = httpdate::fmt_http_date(now);
    let mut headers = vec![("host", host), ("date", date)];
    if let Some(body) = body {
        headers.push((
            "digest",
            format!("SHA-256={}", STANDARD.encode(Sha256::digest(body))),
        ));
        headers.push(("content-type", CONTENT_TYPE.to_owned()));
    }
    let covered: BTreeMap<String, String> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    // Without `(created)`: several servers (Pleroma, older Mastodon) need `date` signed instead.
    let signature = http_signature_normalization::Config::new()
        .mastodon_compat()
        .begin_sign(method, &target(url), covered)
        .map_err(|e| SignatureError::new(format!("signing: {e}")))?
        .sign(key_id.to_owned(), |signing_string| {
            key.sign(signing_string.as_bytes())
                .map(|bytes| STANDARD.encode(bytes))
        })?
        .signature_header();
    headers.push(("signature", signature));
    Ok(headers)
}

/// RFC 9421: covers the method, target, authority, date and, with a body, its
/// `Content-Digest` (RFC 9530).
fn rfc9421_headers(
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    key_id: &str,
    key: &PrivateKey,
    now: SystemTime,
) -> Result<SignedHeaders, SignatureError> {
    if key_id.contains(['"', '\\']) {
        return Err(SignatureError::new("a key id cannot hold quotes"));
    }
    let host = authority(url)?;
    let date = httpdate::fmt_http_date(now);
    let created = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| SignatureError::new("the clock is before 1970"))?
        .as_secs();
    let mut base = format!(
        "\"@method\": {method}\n\"@target-uri\": {url}\n\"@authority\": {}\n\"date\": {date}\n",
        host.to_ascii_lowercase()
    );
    let mut headers = vec![("host", host), ("date", date)];
    let components = match body {
        Some(body) => {
            let digest = super::digest::content_digest(body);
            base.push_str(&format!("\"content-digest\": {digest}\n"));
            headers.push(("content-digest", digest));
            headers.push(("content-type", CONTENT_TYPE.to_owned()));
            r#""@method" "@target-uri" "@authority" "date" "content-digest""#
        }
        None => r#""@method" "@target-uri" "@authority" "date""#,
    };
    let params =
        format!(r#"({components});created={created};keyid="{key_id}";alg="rsa-v1_5-sha256""#);
    base.push_str("\"@signature-params\": ");
    base.push_str(&params);
    let signature = STANDARD.encode(key.sign(base.as_bytes())?);
    headers.push(("signature-input", format!("sig1={params}")));
    headers.push(("signature", format!("sig1=:{signature}:")));
    Ok(headers)
}
