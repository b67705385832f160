//! draft-cavage-http-signatures: `Signature: keyId="…",algorithm="…",headers="…",signature="…"`.
//!
//! The header is parsed here, strictly (a repeated or unknown parameter is refused), and the
//! checks read that parse. The signing string is then built by http-signature-normalization
//! from a canonical header written from the same parse, and from single-valued headers only,
//! so the library cannot read a different copy of anything than the one checked here.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{
    Algorithm, Receiver, Request, Scheme, SignatureError, Signed, check_time, key_url, unix_time,
};

/// The `Signature` header's parameters.
#[derive(Debug, Default)]
struct Params {
    key_id: Option<String>,
    algorithm: Option<String>,
    headers: Option<String>,
    signature: Option<String>,
    created: Option<i64>,
    expires: Option<i64>,
}

/// Parses `name="value"` or `name=value` pairs separated by commas.
fn parse(header: &str) -> Result<Params, SignatureError> {
    let mut params = Params::default();
    let bytes = header.as_bytes();
    let mut at = 0;
    let skip_spaces = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at] == b' ' {
            *at += 1;
        }
    };
    loop {
        skip_spaces(&mut at);
        let name_start = at;
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        let name = &header[name_start..at];
        if name.is_empty() || bytes.get(at) != Some(&b'=') {
            return Err(SignatureError::new("the Signature header is malformed"));
        }
        at += 1;
        let value = if bytes.get(at) == Some(&b'"') {
            let start = at + 1;
            let end = header[start..]
                .find('"')
                .map(|i| start + i)
                .ok_or_else(|| SignatureError::new("the Signature header has an open quote"))?;
            at = end + 1;
            &header[start..end]
        } else {
            let start = at;
            while at < bytes.len() && bytes[at] != b',' {
                at += 1;
            }
            header[start..at].trim_end()
        };
        let repeated =
            || SignatureError::new(format!("the signature parameter {name} is repeated"));
        let number = |value: &str| {
            value
                .parse::<i64>()
                .map_err(|_| SignatureError::new(format!("the signature's {name} is not a number")))
        };
        match name {
            "keyId" if params.key_id.is_none() => params.key_id = Some(value.to_owned()),
            "algorithm" if params.algorithm.is_none() => params.algorithm = Some(value.to_owned()),
            "headers" if params.headers.is_none() => params.headers = Some(value.to_owned()),
            "signature" if params.signature.is_none() => params.signature = Some(value.to_owned()),
            "created" if params.created.is_none() => params.created = Some(number(value)?),
            "expires" if params.expires.is_none() => params.expires = Some(number(value)?),
            "keyId" | "algorithm" | "headers" | "signature" | "created" | "expires" => {
                return Err(repeated());
            }
            other => {
                return Err(SignatureError::new(format!(
                    "the signature parameter {other} is unknown"
                )));
            }
        }
        skip_spaces(&mut at);
        match bytes.get(at) {
            None => break,
            Some(b',') => at += 1,
            Some(_) => return Err(SignatureError::new("the Signature header is malformed")),
        }
    }
    Ok(params)
}

pub fn check(
    request: &Request,
    receiver: &Receiver,
    host: &str,
    header: &str,
) -> Result<Signed, SignatureError> {
    let params = parse(header)?;
    let key_id = params
        .key_id
        .ok_or_else(|| SignatureError::new("the signature has no keyId"))?;
    let signature = params
        .signature
        .ok_or_else(|| SignatureError::new("the signature has no signature value"))?;
    let covered = params
        .headers
        .ok_or_else(|| SignatureError::new("the signature does not say which headers it covers"))?
        .to_ascii_lowercase();
    let algorithm = match params.algorithm.as_deref() {
        None | Some("hs2019") => Algorithm::FromKey,
        Some("rsa-sha256") => Algorithm::RsaSha256,
        Some(other) => {
            return Err(SignatureError::new(format!(
                "the signature algorithm {other} is not accepted"
            )));
        }
    };
    let covered: Vec<&str> = covered.split(' ').filter(|h| !h.is_empty()).collect();
    for (i, name) in covered.iter().enumerate() {
        if covered[..i].contains(name) {
            return Err(SignatureError::new(format!(
                "the signature covers {name} twice"
            )));
        }
    }
    let mut required = vec!["(request-target)", "host", "date"];
    if request.body.is_some() {
        required.push("digest");
    }
    for name in required {
        if !covered.contains(&name) {
            return Err(SignatureError::new(format!(
                "the signature must cover {name}"
            )));
        }
    }
    if let Some(created) = params.created {
        check_time(
            "signature's created time",
            unix_time(created)?,
            receiver.now,
        )?;
    }
    if let Some(expires) = params.expires
        && unix_time(expires)? < receiver.now
    {
        return Err(SignatureError::new("the signature has expired"));
    }
    // The library splits the header at commas and quotes: a key id holding either would be
    // read differently there.
    if key_id.contains([',', '"']) {
        return Err(SignatureError::new("the keyId holds a comma or a quote"));
    }
    let signature_bytes = STANDARD
        .decode(&signature)
        .map_err(|_| SignatureError::new("the signature is not base64"))?;

    // The covered headers, each read once (a repeated one is refused).
    let mut values = BTreeMap::new();
    for name in &covered {
        if name.starts_with('(') {
            continue;
        }
        let value = match super::single(request.headers, name)? {
            Some(value) => value,
            None if *name == "host" => host,
            None => {
                return Err(SignatureError::new(format!(
                    "the signature covers {name}, which the request does not have"
                )));
            }
        };
        values.insert((*name).to_owned(), value.to_owned());
    }
    let mut canonical = format!(
        r#"keyId="{key_id}",headers="{}",signature="{signature}""#,
        covered.join(" ")
    );
    if let Some(created) = params.created {
        canonical.push_str(&format!(",created={created}"));
    }
    if let Some(expires) = params.expires {
        canonical.push_str(&format!(",expires={expires}"));
    }
    values.insert("signature".to_owned(), canonical);
    let path_and_query = request
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    // The dates were checked above, against both limits; the library's own check (past only)
    // is given the same bound so it never disagrees.
    let config = http_signature_normalization::Config::new()
        .set_expiration(Duration::from_secs(super::MAX_AGE.as_secs()));
    let unverified = config
        .begin_verify(request.method.as_str(), path_and_query, values)
        .map_err(|e| SignatureError::new(format!("the signature cannot be checked: {e}")))?;
    Ok(Signed {
        scheme: Scheme::Cavage,
        key_id: key_url(&key_id)?,
        algorithm,
        message: unverified.signing_string().as_bytes().to_vec(),
        signature: signature_bytes,
    })
}
