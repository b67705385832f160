//! The signature check against requests signed here, as they arrive and as an attacker would
//! change them.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use url::Url;

use super::*;

static KEYS: LazyLock<activitypub_federation::http_signatures::Keypair> = LazyLock::new(|| {
    activitypub_federation::http_signatures::generate_actor_keypair().expect("a key pair")
});

const KEY_ID: &str = "http://peer.test/users/ada#main-key";
const BODY: &[u8] = br#"{"type":"Create","id":"http://peer.test/a/1"}"#;

fn receiver(now: SystemTime) -> Receiver<'static> {
    Receiver {
        authority: "stoa.test",
        scheme: "http",
        now,
    }
}

/// Headers of a POST of `body` to `http://stoa.test/inbox`, signed at `at`.
fn signed(scheme: Scheme, body: &[u8], at: SystemTime) -> HeaderMap {
    let key = PrivateKey::from_pem(&KEYS.private_key).expect("the private key");
    let url = Url::parse("http://stoa.test/inbox").expect("url");
    let mut headers = HeaderMap::new();
    for (name, value) in post_headers(scheme, &url, body, KEY_ID, &key, at).expect("signed") {
        headers.append(name, HeaderValue::from_str(&value).expect("header value"));
    }
    headers
}

fn check_post(headers: &HeaderMap, body: &[u8]) -> Result<Signed, SignatureError> {
    let uri = Uri::from_static("/inbox");
    let request = Request {
        method: &Method::POST,
        uri: &uri,
        headers,
        body: Some(body),
    };
    check(&request, &receiver(SystemTime::now()))
}

/// Checks and verifies; the error says why not.
fn verify_post(headers: &HeaderMap, body: &[u8]) -> Result<Scheme, String> {
    let signed = check_post(headers, body).map_err(|e| e.0)?;
    let key = PublicKey::from_pem(&KEYS.public_key).map_err(|e| e.0)?;
    signed.verify(&key).map_err(|e| e.0)?;
    Ok(signed.scheme)
}

fn both() -> [Scheme; 2] {
    [Scheme::Cavage, Scheme::Rfc9421]
}

#[test]
fn requests_signed_in_either_scheme_verify() {
    for scheme in both() {
        let headers = signed(scheme, BODY, SystemTime::now());
        assert_eq!(verify_post(&headers, BODY), Ok(scheme));
        let signed = check_post(&headers, BODY).expect("checked");
        assert_eq!(signed.key_owner().as_str(), "http://peer.test/users/ada");
    }
}

#[test]
fn another_key_does_not_verify() {
    let other = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
    for scheme in both() {
        let headers = signed(scheme, BODY, SystemTime::now());
        let signed = check_post(&headers, BODY).expect("checked");
        let key = PublicKey::from_pem(&other.public_key).expect("key");
        assert!(signed.verify(&key).is_err());
    }
}

#[test]
fn a_changed_body_is_refused_whatever_digest_is_added() {
    let changed = br#"{"type":"Delete"}"#;
    for scheme in both() {
        let headers = signed(scheme, BODY, SystemTime::now());
        assert!(
            verify_post(&headers, changed)
                .unwrap_err()
                .contains("does not match")
        );

        // A second digest header for the changed body beside the signed one.
        let mut two = headers.clone();
        let (name, value) = match scheme {
            Scheme::Cavage => ("digest", format!("SHA-256={}", b64(&sha256(changed)))),
            Scheme::Rfc9421 => ("content-digest", digest::content_digest(changed)),
        };
        two.append(name, HeaderValue::from_str(&value).expect("value"));
        assert!(
            verify_post(&two, changed).unwrap_err().contains("repeated"),
            "{scheme:?}"
        );

        // The same algorithm twice in one header.
        let mut folded = headers.clone();
        let original = headers
            .get(name)
            .expect("digest")
            .to_str()
            .expect("text")
            .to_owned();
        folded.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&format!("{value}, {original}")).expect("value"),
        );
        let why = verify_post(&folded, changed).unwrap_err();
        assert!(why.contains("twice") || why.contains("repeated"), "{why}");
    }
}

#[test]
fn repeated_signature_date_and_host_headers_are_refused() {
    for scheme in both() {
        let headers = signed(scheme, BODY, SystemTime::now());
        for name in ["signature", "date", "host", "signature-input"] {
            let Some(value) = headers.get(name).cloned() else {
                continue;
            };
            let mut twice = headers.clone();
            twice.append(HeaderName::from_static(name), value);
            let why = verify_post(&twice, BODY).unwrap_err();
            assert!(why.contains("repeated"), "{scheme:?} {name}: {why}");
        }
    }
}

#[test]
fn an_authorization_header_is_refused_on_a_post() {
    let mut headers = signed(Scheme::Cavage, BODY, SystemTime::now());
    let signature = headers.get("signature").expect("signature").clone();
    headers.insert(http::header::AUTHORIZATION, signature);
    assert!(
        verify_post(&headers, BODY)
            .unwrap_err()
            .contains("Authorization")
    );
}

#[test]
fn dates_too_old_or_too_far_ahead_are_refused() {
    let now = SystemTime::now();
    for scheme in both() {
        for (at, words) in [
            (now - Duration::from_secs(2 * 3600), "older"),
            (now + Duration::from_secs(365 * 24 * 3600), "ahead"),
            (now + Duration::from_secs(3600), "ahead"),
        ] {
            let headers = signed(scheme, BODY, at);
            let why = verify_post(&headers, BODY).unwrap_err();
            assert!(why.contains(words), "{scheme:?}: {why}");
        }
        // A few minutes either way is a clock's drift.
        let headers = signed(scheme, BODY, now + Duration::from_secs(120));
        assert_eq!(verify_post(&headers, BODY), Ok(scheme));
    }
}

#[test]
fn a_request_made_for_another_server_is_refused() {
    for scheme in both() {
        let mut headers = signed(scheme, BODY, SystemTime::now());
        headers.insert("host", HeaderValue::from_static("victim.test"));
        assert!(
            verify_post(&headers, BODY)
                .unwrap_err()
                .contains("victim.test")
        );
    }
}

/// A change an attacker makes to a signature header.
type Edit = Box<dyn Fn(&str) -> String>;

/// Rewrites the cavage `Signature` header.
fn with_signature(headers: &HeaderMap, edit: impl FnOnce(&str) -> String) -> HeaderMap {
    let mut headers = headers.clone();
    let old = headers
        .get("signature")
        .expect("signature")
        .to_str()
        .expect("text")
        .to_owned();
    headers.insert(
        "signature",
        HeaderValue::from_str(&edit(&old)).expect("value"),
    );
    headers
}

#[test]
fn cavage_parameters_are_read_once_and_strictly() {
    let headers = signed(Scheme::Cavage, BODY, SystemTime::now());
    let cases: [(&str, Edit); 6] = [
        // A second `headers=` without `date`, after the signed one.
        (
            "repeated",
            Box::new(|s| format!(r#"{s},headers="(request-target) host digest""#)),
        ),
        (
            "repeated",
            Box::new(|s| format!(r#"{s},keyId="http://evil.test/u#main-key""#)),
        ),
        (
            "not accepted",
            Box::new(|s| s.replace("hs2019", "hmac-sha256")),
        ),
        ("unknown", Box::new(|s| format!(r#"{s},nonce="1""#))),
        ("must cover date", Box::new(|s| s.replace(" date", ""))),
        ("must cover digest", Box::new(|s| s.replace(" digest", ""))),
    ];
    for (words, edit) in cases {
        let why = verify_post(&with_signature(&headers, edit), BODY).unwrap_err();
        assert!(why.contains(words), "{words}: {why}");
    }
}

/// Rewrites the `Signature-Input` header.
fn with_input(headers: &HeaderMap, edit: impl FnOnce(&str) -> String) -> HeaderMap {
    let mut headers = headers.clone();
    let old = headers
        .get("signature-input")
        .expect("signature-input")
        .to_str()
        .expect("text")
        .to_owned();
    headers.insert(
        "signature-input",
        HeaderValue::from_str(&edit(&old)).expect("value"),
    );
    headers
}

#[test]
fn rfc9421_inputs_are_read_once_and_strictly() {
    let headers = signed(Scheme::Rfc9421, BODY, SystemTime::now());
    let cases: [(&str, Edit); 7] = [
        (
            "repeated",
            Box::new(|s| format!(r#"{s};keyid="http://evil.test/k""#)),
        ),
        (
            "repeated",
            Box::new(|s| format!(r#"{s}, sig1=("@method")"#)),
        ),
        (
            "exactly one",
            Box::new(|s| format!(r#"{s}, sig2=("@method")"#)),
        ),
        (
            "not accepted",
            Box::new(|s| s.replace("rsa-v1_5-sha256", "hmac-sha256")),
        ),
        ("must cover date", Box::new(|s| s.replace(r#" "date""#, ""))),
        (
            "must cover content-digest",
            Box::new(|s| s.replace(r#" "content-digest""#, "")),
        ),
        (
            "has parameters",
            Box::new(|s| s.replace(r#""date""#, r#""date";sf"#)),
        ),
    ];
    for (words, edit) in cases {
        let why = verify_post(&with_input(&headers, edit), BODY).unwrap_err();
        assert!(why.contains(words), "{words}: {why}");
    }
    // The base covers the parameters: a later `created` no longer verifies.
    let later = with_input(&headers, |s| {
        let created = s
            .split("created=")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .unwrap_or("0");
        let moved: u64 = created.parse::<u64>().unwrap_or(0) + 1;
        s.replace(&format!("created={created}"), &format!("created={moved}"))
    });
    assert!(
        verify_post(&later, BODY)
            .unwrap_err()
            .contains("does not verify")
    );
}

#[test]
fn unsigned_requests_say_so() {
    let mut headers = signed(Scheme::Cavage, BODY, SystemTime::now());
    headers.remove("signature");
    assert!(
        verify_post(&headers, BODY)
            .unwrap_err()
            .contains("not signed")
    );
}

#[test]
fn keys_are_read_from_both_pem_forms() {
    assert!(matches!(
        PublicKey::from_pem(&KEYS.public_key),
        Ok(PublicKey::Rsa(_))
    ));
    assert!(PublicKey::from_pem("not a key").is_err());
    assert!(PublicKey::from_pem(&KEYS.private_key).is_err());
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn ed25519_keys_verify_their_signatures() {
    use base64::Engine;
    use ring::signature::{Ed25519KeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("a key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("the pair");
    // SubjectPublicKeyInfo of an Ed25519 key: the algorithm, then the 32 bytes.
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(pair.public_key().as_ref());
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let key = PublicKey::from_pem(&pem).expect("an Ed25519 key");
    assert!(matches!(key, PublicKey::Ed25519(_)));
    let signature = pair.sign(b"the signature base");
    assert_eq!(
        key.verify(
            Algorithm::Ed25519,
            b"the signature base",
            signature.as_ref()
        ),
        Ok(())
    );
    assert_eq!(
        key.verify(
            Algorithm::FromKey,
            b"the signature base",
            signature.as_ref()
        ),
        Ok(())
    );
    assert!(
        key.verify(Algorithm::Ed25519, b"another base", signature.as_ref())
            .is_err()
    );
    // An RSA algorithm with an Ed25519 key is refused before any verification.
    assert!(
        key.verify(
            Algorithm::RsaSha256,
            b"the signature base",
            signature.as_ref()
        )
        .unwrap_err()
        .0
        .contains("does not fit")
    );
}
