//! The signature check on arbitrary requests: a request line, header lines and a body, as a
//! peer (or an attacker) could send them. It must refuse or accept, never panic.

#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use stoa_federation::signatures::{self, PublicKey};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let target = lines.next().unwrap_or("/inbox");
    let Ok(uri) = target.trim().parse::<http::Uri>() else {
        return;
    };
    let mut headers = http::HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.trim().as_bytes()),
            http::HeaderValue::from_bytes(value.trim().as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    // A fixed clock, so that dates in the corpus stay fresh.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    let receiver = signatures::Receiver {
        authority: "stoa.test",
        scheme: "https",
        now,
    };
    for (method, payload) in [
        (http::Method::POST, Some(body.as_bytes())),
        (http::Method::GET, None),
    ] {
        let request = signatures::Request {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: payload,
        };
        if let Ok(signed) = signatures::check(&request, &receiver) {
            let _ = signed.key_owner();
            if let Ok(key) = PublicKey::from_pem(body) {
                let _ = signed.verify(&key);
            }
        }
    }
    let _ = PublicKey::from_pem(&text);
});
