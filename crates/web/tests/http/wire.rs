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
