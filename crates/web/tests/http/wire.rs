//! Activities as other servers send them, built by name so tests say what they send rather
//! than spell out JSON.

use serde_json::{Value, json};
use url::Url;

/// `Create{Note}`: a reply to `in_reply_to` with HTML `content`, its id `{id}` and the
/// activity's `{id}/create`.
pub fn create_note(actor: &Url, id: &str, in_reply_to: &str, content: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/create"),
        "type": "Create",
        "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": id,
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": in_reply_to,
            "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    })
}

/// `Announce` of `object` by the forum at `forum`, its id `{forum}/activities/{name}`.
pub fn forum_announce(forum: &str, name: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{forum}/activities/{name}"),
        "type": "Announce",
        "actor": forum,
        "object": object,
    })
}

/// `Follow` of `object`.
pub fn follow(actor: &Url, id: &str, object: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": actor,
        "object": object,
    })
}

/// A Lemmy activity from the fixtures (`crates/federation/tests/fixtures/lemmy/…`), moved to the
/// test's servers: Lemmy's sender `lemmy_alpha` at `ds9.lemmy.ml` becomes `actor` (its server
/// `base`), and the community `main` at `enterprise.lemmy.ml` becomes `forum`.
pub fn lemmy(fixture: &str, actor: &Url, base: &str, forum: &str) -> Value {
    let path = format!(
        "{}/../federation/tests/fixtures/lemmy/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text
        .replace("http://ds9.lemmy.ml/u/lemmy_alpha", actor.as_str())
        .replace("http://ds9.lemmy.ml", base)
        .replace("https://enterprise.lemmy.ml/c/main", forum)
        .replace("http://enterprise.lemmy.ml/c/main", forum);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
