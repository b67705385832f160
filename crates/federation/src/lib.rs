//! Stoa on the fediverse: how members, forums and the instance appear as ActivityPub actors, and
//! how other servers discover them (WebFinger, NodeInfo).
//!
//! This crate maps `stoa-db` rows to wire types (never an entity straight onto the wire) and
//! knows the URL layout that doubles as ActivityPub ids. It knows nothing of HTTP routing: the
//! web crate serves what it builds.

pub mod actors;
pub mod broadcast;
pub mod config;
pub mod delivery;
pub mod discovery;
pub mod error;
pub mod following;
pub mod inbox;
pub mod objects;
pub mod remote;
pub mod signer;
pub mod urls;

/// The media type of ActivityPub documents.
pub use activitypub_federation::FEDERATION_CONTENT_TYPE as ACTIVITY_JSON;

/// Whether an `Accept` header asks for an ActivityPub document rather than a page.
pub fn wants_activity_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("application/activity+json")
            || (media.eq_ignore_ascii_case("application/ld+json")
                && part.contains("activitystreams"))
            || media.eq_ignore_ascii_case("application/ld+json")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation() {
        assert!(wants_activity_json("application/activity+json"));
        assert!(wants_activity_json(
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#
        ));
        assert!(wants_activity_json(
            "text/html, application/activity+json;q=0.9"
        ));
        assert!(!wants_activity_json(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        ));
        assert!(!wants_activity_json("application/json"));
    }
}

/// Checks an inbox request's signature header before the signature itself is verified: it must
/// cover `(request-target)`, `host`, `date` and `digest`, and its `Date` must be within an hour of
/// now, so an old signed request cannot be replayed. Returns why not.
pub fn check_signed_request(
    signature: Option<&str>,
    date: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let signature = signature.ok_or("the request is not signed")?;
    let covered = signature
        .split(',')
        .find_map(|part| part.trim().strip_prefix("headers="))
        .map(|h| h.trim_matches('"').to_ascii_lowercase())
        .ok_or("the signature does not say which headers it covers")?;
    let covered: Vec<&str> = covered.split_whitespace().collect();
    for required in ["(request-target)", "host", "date", "digest"] {
        if !covered.contains(&required) {
            return Err(format!("the signature must cover {required}"));
        }
    }
    let date = date.ok_or("the request has no Date")?;
    let date = chrono::DateTime::parse_from_rfc2822(date)
        .map_err(|_| "the Date header is not an HTTP date")?;
    let skew = (now - date.to_utc()).num_seconds().abs();
    if skew > MAX_CLOCK_SKEW_SECS {
        return Err(format!("the Date is {skew} s away from now"));
    }
    Ok(())
}

/// How far a signed request's `Date` may be from the receiver's clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 3600;

#[cfg(test)]
mod signed_request_tests {
    use super::*;

    const GOOD: &str = r#"keyId="https://a.example/u/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="abc""#;

    #[test]
    fn requires_covered_headers_and_a_fresh_date() {
        let now = chrono::Utc::now();
        let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        assert_eq!(check_signed_request(Some(GOOD), Some(&date), now), Ok(()));
        assert!(check_signed_request(None, Some(&date), now).is_err());
        let no_digest = GOOD.replace(" digest", "");
        assert!(
            check_signed_request(Some(&no_digest), Some(&date), now)
                .unwrap_err()
                .contains("digest")
        );
        let old = (now - chrono::Duration::hours(2))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        assert!(check_signed_request(Some(GOOD), Some(&old), now).is_err());
        let future = (now + chrono::Duration::hours(2))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        assert!(check_signed_request(Some(GOOD), Some(&future), now).is_err());
        assert!(check_signed_request(Some(GOOD), Some("yesterday"), now).is_err());
    }
}
