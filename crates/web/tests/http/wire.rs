//! Activities and posts as other servers send them, built by name so tests say what they send
//! rather than spell out JSON.

use serde_json::{Value, json};
use url::Url;

/// The public collection, as addressees name it.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A post as another server sends it (`Note`, `Page`), built up field by field.
#[derive(Debug, Clone)]
pub struct Post(Value);

/// A `Note` with the id `id`, written by `author`.
pub fn note(id: &str, author: &Url) -> Post {
    Post(json!({"id": id, "type": "Note", "attributedTo": author}))
}

/// A `Page` (a thread's first post, as Lemmy sends it) with the id `id` and title `title`.
pub fn page(id: &str, author: &Url, title: &str) -> Post {
    Post(json!({"id": id, "type": "Page", "attributedTo": author, "name": title}))
}

impl Post {
    /// The post it answers.
    pub fn replying_to(mut self, parent: &str) -> Post {
        self.0["inReplyTo"] = json!(parent);
        self
    }

    /// Its HTML.
    pub fn content(mut self, html: &str) -> Post {
        self.0["content"] = json!(html);
        self
    }

    /// Addressed to these (actor and collection ids, or [`PUBLIC`]).
    pub fn to(mut self, addressees: &[&str]) -> Post {
        self.0["to"] = json!(addressees);
        self
    }

    /// The forum it is posted in, as Lemmy names it.
    pub fn audience(mut self, forum: &str) -> Post {
        self.0["audience"] = json!(forum);
        self
    }

    /// Mentions `name` (`@books`), whose actor is `href`, as Mastodon tags a post.
    pub fn mentioning(mut self, href: &str, name: &str) -> Post {
        self.0["tag"] = json!([{"type": "Mention", "href": href, "name": name}]);
        self
    }
}

impl From<Post> for Value {
    fn from(post: Post) -> Value {
        post.0
    }
}

/// An activity of the kind `kind` (`Create`, `Update`, `Delete`, `Like`, `Undo` …) by `actor`,
/// with the id `id`, about `object` (an id, a post, another activity).
pub fn activity(kind: &str, id: &str, actor: &Url, object: impl Into<Value>) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object.into(),
    })
}

/// `Create` of `object` by `actor`.
pub fn create(id: &str, actor: &Url, object: impl Into<Value>) -> Value {
    activity("Create", id, actor, object)
}

/// `Update` of `object` by `actor`.
pub fn update(id: &str, actor: &Url, object: impl Into<Value>) -> Value {
    activity("Update", id, actor, object)
}

/// `Delete` of `object` (an id, or a `Tombstone`) by `actor`.
pub fn delete(id: &str, actor: &Url, object: impl Into<Value>) -> Value {
    activity("Delete", id, actor, object)
}

/// `Like` of the post `object` by `actor`.
pub fn like(id: &str, actor: &Url, object: &str) -> Value {
    activity("Like", id, actor, object)
}

/// `Undo` of the activity `undone` by `actor`.
pub fn undo(id: &str, actor: &Url, undone: Value) -> Value {
    activity("Undo", id, actor, undone)
}

/// A `Tombstone` standing for the deleted object `id`.
pub fn tombstone(id: &str) -> Value {
    json!({"id": id, "type": "Tombstone"})
}

/// `Create{Note}`: a reply to `in_reply_to` with HTML `content`, its id `{id}` and the
/// activity's `{id}/create`, public.
pub fn create_note(actor: &Url, id: &str, in_reply_to: &str, content: &str) -> Value {
    let note = note(id, actor)
        .replying_to(in_reply_to)
        .content(content)
        .to(&[PUBLIC]);
    let mut create = create(&format!("{id}/create"), actor, note);
    create["to"] = json!([PUBLIC]);
    create
}

/// `Announce` of `object` by the forum at `forum`, its id `{forum}/activities/{name}`.
pub fn forum_announce(forum: &str, name: &str, object: Value) -> Value {
    let forum_url = Url::parse(forum).unwrap_or_else(|e| panic!("{forum}: {e}"));
    activity(
        "Announce",
        &format!("{forum}/activities/{name}"),
        &forum_url,
        object,
    )
}

/// `Follow` of `object`.
pub fn follow(actor: &Url, id: &str, object: &str) -> Value {
    activity("Follow", id, actor, object)
}

/// An actor's document (`Person`, `Group`): its inbox at `{id}/inbox`, its key `{id}#main-key`.
pub fn actor_document(kind: &str, id: &Url, username: &str, public_key: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "type": kind,
        "id": id,
        "preferredUsername": username,
        "inbox": format!("{id}/inbox"),
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": public_key,
        }
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

/// A payload of the fixture corpus (`crates/federation/tests/fixtures`), as it was recorded.
pub fn fixture(path: &str) -> Value {
    let path = format!(
        "{}/../federation/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}
