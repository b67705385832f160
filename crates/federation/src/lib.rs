//! Stoa on the fediverse: how members, forums and the instance appear as ActivityPub actors, and
//! how other servers discover them (WebFinger, NodeInfo).
//!
//! This crate maps `stoa-db` rows to wire types (never an entity straight onto the wire) and
//! knows the URL layout that doubles as ActivityPub ids. It knows nothing of HTTP routing: the
//! web crate serves what it builds.

pub mod activities;
pub mod actors;
pub mod backfill;
pub mod broadcast;
pub mod config;
pub mod data;
pub mod delivery;
pub mod discovery;
pub mod error;
pub mod following;
pub mod inbound;
pub mod inbox;
pub mod mentions;
pub mod objects;
pub mod outbox;
pub mod remote;
pub mod servers;
pub mod signatures;
pub mod signer;
pub mod urls;
pub mod worker;

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
