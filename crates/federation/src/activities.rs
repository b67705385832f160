//! The activities Stoa sends, typed: one shape for every kind and one builder per use, so what
//! goes on the wire is said once here (and pinned by the wire-format snapshot tests). The
//! activities Stoa receives are read by the types in `inbox`.

use serde::Serialize;
use url::Url;

use crate::error::FedError;

/// Everyone may read: the ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The JSON-LD context every activity sent names.
pub const CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The kinds of activity Stoa sends.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum Kind {
    Accept,
    Add,
    Announce,
    Block,
    Create,
    Delete,
    Flag,
    Follow,
    Like,
    Lock,
    Remove,
    Undo,
    Update,
}

impl Kind {
    /// The word an activity's id is made with (`…/activities/create/7`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Accept => "accept",
            Kind::Add => "add",
            Kind::Announce => "announce",
            Kind::Block => "block",
            Kind::Create => "create",
            Kind::Delete => "delete",
            Kind::Flag => "flag",
            Kind::Follow => "follow",
            Kind::Like => "like",
            Kind::Lock => "lock",
            Kind::Remove => "remove",
            Kind::Undo => "undo",
            Kind::Update => "update",
        }
    }
}

/// An activity as sent. Its `object` is a URL, an object (`Page`, `Note`), another activity
/// (embedded without a context of its own), or an activity as another server sent it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outgoing<O> {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<&'static str>,
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub actor: Url,
    pub object: O,
    /// The collection an `Add` or `Remove` changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Url>,
    /// Why: a removal's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Addressees: actor and collection ids, and the public collection (as `Page` and `Note`
    /// have them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Url>,
    /// When it happened, where a list of past activities says (an outbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    /// When a ban (`Block`) ends, as Lemmy writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<chrono::DateTime<chrono::Utc>>,
}

impl<O> Outgoing<O> {
    /// An activity embedded in another: no context, no addressing of its own yet.
    pub fn new(kind: Kind, id: Url, actor: Url, object: O) -> Self {
        Outgoing {
            context: None,
            id,
            kind,
            actor,
            object,
            target: None,
            summary: None,
            to: Vec::new(),
            cc: Vec::new(),
            audience: None,
            published: None,
            expires: None,
        }
    }

    /// Sent on its own: it names its context.
    pub fn with_context(mut self) -> Self {
        self.context = Some(CONTEXT);
        self
    }

    pub fn to(mut self, to: &[&Url]) -> Self {
        self.to = to.iter().map(|url| url.to_string()).collect();
        self
    }

    /// Public: to everyone.
    pub fn public(mut self) -> Self {
        self.to = vec![PUBLIC.to_owned()];
        self
    }

    pub fn published(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.published = Some(at);
        self
    }

    pub fn with_target(mut self, target: Url) -> Self {
        self.target = Some(target);
        self
    }

    pub fn expires(mut self, at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.expires = at;
        self
    }

    pub fn with_summary(mut self, summary: &str) -> Self {
        self.summary = Some(summary.to_owned());
        self
    }

    /// Public, in a forum: `to` everyone, `cc` the forum and `extra_cc` (its followers, when the
    /// forum sends it), `audience` the forum — how Lemmy and Mastodon place a post in a group.
    pub fn in_forum(mut self, forum: &Url, extra_cc: Option<&Url>) -> Self {
        self.to = vec![PUBLIC.to_owned()];
        self.cc = std::iter::once(forum)
            .chain(extra_cc)
            .map(|url| url.to_string())
            .collect();
        self.audience = Some(forum.clone());
        self
    }
}

/// An activity id made of its actor, its kind and a number or token unique for that actor
/// (`{actor}/activities/{kind}/{n}`).
pub fn activity_id(
    actor: &Url,
    word: &str,
    unique: impl std::fmt::Display,
) -> Result<Url, FedError> {
    Url::parse(&format!("{actor}/activities/{word}/{unique}"))
        .map_err(|e| FedError::Rejected(format!("an activity id for {actor}: {e}")))
}

/// A fresh random token for ids nobody should guess or reuse.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A forum's `Announce` of `object` to its followers (FEP-1b12): public, `cc` the forum and
/// its followers, `audience` the forum.
pub fn forum_announce<O>(forum: &Url, followers: &Url, id: Url, object: O) -> Outgoing<O> {
    Outgoing::new(Kind::Announce, id, forum.clone(), object)
        .with_context()
        .in_forum(forum, Some(followers))
}

/// A member's `Follow` of a forum elsewhere, as sent, addressed to the forum.
pub fn follow(id: Url, member: &Url, forum: &Url) -> Outgoing<Url> {
    Outgoing::new(Kind::Follow, id, member.clone(), forum.clone()).to(&[forum])
}

/// The `Undo` of a member's `Follow` (which it embeds).
pub fn undo_follow(follow: Outgoing<Url>) -> Result<Outgoing<Outgoing<Url>>, FedError> {
    let id = Url::parse(&format!("{}/undo", follow.id))
        .map_err(|e| FedError::Rejected(format!("an Undo's id: {e}")))?;
    let (actor, to) = (follow.actor.clone(), follow.to.clone());
    let mut undo = Outgoing::new(Kind::Undo, id, actor, follow);
    undo.to = to;
    Ok(undo.with_context())
}

/// A forum's `Accept` of a `Follow` from elsewhere, which it embeds as it names who follows
/// what, addressed to the follower.
pub fn accept_follow(
    id: Url,
    forum: &Url,
    follow_id: Url,
    follower: &Url,
) -> Outgoing<Outgoing<Url>> {
    let follow = Outgoing::new(Kind::Follow, follow_id, follower.clone(), forum.clone());
    Outgoing::new(Kind::Accept, id, forum.clone(), follow)
        .with_context()
        .to(&[follower])
}

/// A `Like` of a post, and its `Undo`.
pub fn like(id: Url, liker: &Url, post: &Url) -> Outgoing<Url> {
    Outgoing::new(Kind::Like, id, liker.clone(), post.clone())
}

/// A moderator's removal of a post, for `reason`: the moderator's `Delete` with a `summary`, as
/// Lemmy removes a post (the author's own deletion has none), public and in the forum.
pub fn removal(id: Url, moderator: &Url, post: Url, reason: &str, forum: &Url) -> Outgoing<Url> {
    Outgoing::new(Kind::Delete, id, moderator.clone(), post)
        .with_summary(reason)
        .in_forum(forum, None)
}

/// The `Undo` of a moderator's activity (a removal, a lock), which it embeds, by `actor`,
/// public and in the forum.
pub fn undo<O>(id: Url, actor: &Url, undone: Outgoing<O>, forum: &Url) -> Outgoing<Outgoing<O>> {
    Outgoing::new(Kind::Undo, id, actor.clone(), undone).in_forum(forum, None)
}
