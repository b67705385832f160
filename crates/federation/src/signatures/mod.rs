//! HTTP signatures on requests from other servers, checked once and strictly: the request's
//! signature headers are parsed here, what they must cover is checked on that parse, and the
//! signature is verified over exactly what was checked. Both schemes peers use are read:
//! draft-cavage (`Signature`, `Digest`) and RFC 9421 (`Signature-Input` + `Signature`,
//! `Content-Digest` per RFC 9530). Keys are found by the signature's key id, not by the
//! activity's actor, so the key lookup needs nothing from the body.
//!
//! Refused, each with its reason (a 401 at the inbox): a repeated `Signature`,
//! `Signature-Input`, `Date`, `Digest`, `Content-Digest` or `Host` header, or a repeated header
//! the signature covers; an `Authorization` header on a POST; a repeated parameter; an unknown
//! algorithm or parameter; a `Date` more than an hour old or more than a quarter of an hour
//! ahead; a signature that does not cover the method and target, the host, the date and (on a
//! POST) the digest; a host that is not this server's; a body that does not match its digest.

mod cavage;
mod digest;
pub mod keys;
mod outbound;
mod rfc9421;

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, Uri};
use url::Url;

pub use keys::{PrivateKey, PublicKey};
pub use outbound::{SignedHeaders, get_headers, post_headers};

/// How old a signed request may be.
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// How far ahead of this server's clock a signed request's time may be.
pub const MAX_AHEAD: Duration = Duration::from_secs(15 * 60);

/// Which specification a request was signed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// draft-cavage-http-signatures (`Signature: keyId=…,headers=…,signature=…`).
    Cavage,
    /// RFC 9421 HTTP Message Signatures.
    Rfc9421,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Cavage => "draft-cavage",
            Scheme::Rfc9421 => "rfc9421",
        }
    }

    pub fn parse(value: &str) -> Option<Scheme> {
        match value {
            "draft-cavage" => Some(Scheme::Cavage),
            "rfc9421" => Some(Scheme::Rfc9421),
            _ => None,
        }
    }
}

/// The algorithm a signature says it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (`rsa-sha256`, `rsa-v1_5-sha256`).
    RsaSha256,
    /// Ed25519.
    Ed25519,
    /// Whatever the key is (`hs2019`, or no algorithm given): RSA keys sign with SHA-256.
    FromKey,
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignatureError(pub String);

impl SignatureError {
    fn new(why: impl Into<String>) -> Self {
        SignatureError(why.into())
    }
}

/// The parts of a request a signature is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// The body of a POST; `None` for a GET.
    pub body: Option<&'a [u8]>,
}

/// What the receiving server knows of itself, and the time.
#[derive(Debug, Clone, Copy)]
pub struct Receiver<'a> {
    /// Host and port this server is reached at, as in its ids (`forum.example`).
    pub authority: &'a str,
    /// `https`, or `http` in development.
    pub scheme: &'a str,
    pub now: SystemTime,
}

/// A request whose signature headers passed every check: the key to verify with, and the
/// exact bytes that were signed.
#[derive(Debug, Clone)]
pub struct Signed {
    pub scheme: Scheme,
    pub key_id: Url,
    algorithm: Algorithm,
    /// The signing string (draft-cavage) or signature base (RFC 9421).
    message: Vec<u8>,
    signature: Vec<u8>,
}

impl Signed {
    /// The actor whose key signed: the key id without its fragment (`…/users/ada#main-key`).
    pub fn key_owner(&self) -> Url {
        let mut owner = self.key_id.clone();
        owner.set_fragment(None);
        owner
    }

    /// Verifies the signature with the signer's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureError> {
        key.verify(self.algorithm, &self.message, &self.signature)
    }
}

/// Headers that must appear at most once on a signed request.
const SINGLE_HEADERS: [&str; 6] = [
    "signature",
    "signature-input",
    "date",
    "digest",
    "content-digest",
    "host",
];

/// Checks a request's signature headers, date and digest, and returns what to verify.
pub fn check(request: &Request, receiver: &Receiver) -> Result<Signed, SignatureError> {
    let headers = request.headers;
    if request.body.is_some() && headers.contains_key(http::header::AUTHORIZATION) {
        return Err(SignatureError::new(
            "an Authorization header is not accepted on an inbox; sign with Signature",
        ));
    }
    for name in SINGLE_HEADERS {
        if headers.get_all(name).iter().count() > 1 {
            return Err(SignatureError::new(format!(
                "the {name} header is repeated"
            )));
        }
    }
    if !headers.contains_key("signature") && !headers.contains_key("signature-input") {
        return Err(SignatureError::new("the request is not signed"));
    }
    let host = single(headers, "host")?.unwrap_or(receiver.authority);
    if !host.eq_ignore_ascii_case(receiver.authority) {
        return Err(SignatureError::new(format!(
            "the request was made for {host}, not this server"
        )));
    }
    let date =
        single(headers, "date")?.ok_or_else(|| SignatureError::new("the request has no Date"))?;
    let signed_at = httpdate::parse_http_date(date)
        .map_err(|_| SignatureError::new("the Date header is not an HTTP date"))?;
    check_time("Date", signed_at, receiver.now)?;
    if let Some(body) = request.body {
        digest::check_body(headers, body)?;
    }
    let signed = if headers.contains_key("signature-input") {
        rfc9421::check(request, receiver, host)?
    } else if let Some(signature) = single(headers, "signature")? {
        cavage::check(request, receiver, host, signature)?
    } else {
        return Err(SignatureError::new("the request is not signed"));
    };
    if !matches!(signed.key_id.scheme(), "https" | "http") {
        return Err(SignatureError::new("the key id is not an http(s) URL"));
    }
    Ok(signed)
}

/// A header's only value as text; an error when it is repeated or not visible ASCII.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, SignatureError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(SignatureError::new(format!(
            "the {name} header is repeated"
        )));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| SignatureError::new(format!("the {name} header is not plain text")))
}

/// A signed time must be neither older than [`MAX_AGE`] nor further ahead than [`MAX_AHEAD`].
fn check_time(what: &str, at: SystemTime, now: SystemTime) -> Result<(), SignatureError> {
    if let Ok(age) = now.duration_since(at)
        && age > MAX_AGE
    {
        return Err(SignatureError::new(format!(
            "the {what} is {} s away from now, older than allowed",
            age.as_secs()
        )));
    }
    if let Ok(ahead) = at.duration_since(now)
        && ahead > MAX_AHEAD
    {
        return Err(SignatureError::new(format!(
            "the {what} is {} s away from now, ahead of this server's clock",
            ahead.as_secs()
        )));
    }
    Ok(())
}

/// A Unix time in seconds as a `SystemTime`.
fn unix_time(seconds: i64) -> Result<SystemTime, SignatureError> {
    u64::try_from(seconds)
        .ok()
        .and_then(|s| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .ok_or_else(|| SignatureError::new("a signature time is out of range"))
}

/// The key id as a URL.
fn key_url(key_id: &str) -> Result<Url, SignatureError> {
    Url::parse(key_id).map_err(|_| SignatureError::new("the key id is not a URL"))
}

#[cfg(test)]
mod tests;
