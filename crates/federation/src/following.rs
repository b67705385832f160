//! Members here following forums of other servers: finding the forum (by handle or address),
//! the Follow and its Undo, and sending a Follow again when no answer came (some servers drop
//! the first Follow from a server they have not seen before).

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use chrono::{DateTime, Utc};
use serde_json::json;
use stoa_db::queries::{forums, subscriptions, users};
use stoa_db::{forum, user};
use url::Url;

use crate::config::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::remote::RemoteForum;

/// Why a member could not follow what they named.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(
        "{0:?} is not a forum's address: write it like books@forum.example, or paste the forum's web address"
    )]
    BadTarget(String),
    /// A forum of this server: nothing to follow, its threads are here already.
    #[error("that forum is on this server")]
    Local(String),
    #[error("no forum could be found there: {0}")]
    NotFound(String),
    #[error(transparent)]
    Federation(#[from] FedError),
}

impl From<stoa_db::DbErr> for FollowError {
    fn from(e: stoa_db::DbErr) -> Self {
        FollowError::Federation(e.into())
    }
}

/// A member's subscription to a remote forum.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub forum: forum::Model,
    /// Whether the forum's server accepted the Follow.
    pub accepted: bool,
}

/// A pending Follow is sent again after this long without an answer …
pub const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(5);
/// … and at most this many times in all.
pub const MAX_SENDS: i32 = 5;

/// Finds the forum a member typed: `books@forum.example` (with or without a leading `@`), or
/// the forum's address.
async fn resolve(data: &Data<FedData>, target: &str) -> Result<RemoteForum, FollowError> {
    let target = target.trim();
    let bad = || FollowError::BadTarget(target.to_owned());
    let not_found = |e: FedError| match e {
        FedError::Database(_) | FedError::Core(_) => FollowError::Federation(e),
        other => FollowError::NotFound(other.to_string()),
    };
    if target.starts_with("https://") || target.starts_with("http://") {
        let url = Url::parse(target).map_err(|_| bad())?;
        if data.urls.is_local(&url) {
            let slug = url.path().trim_start_matches("/f/").trim_end_matches('/');
            return Err(FollowError::Local(slug.to_owned()));
        }
        return ObjectId::<RemoteForum>::from(url)
            .dereference(data)
            .await
            .map_err(not_found);
    }
    let handle = target.trim_start_matches('@');
    let Some((name, host)) = handle.split_once('@') else {
        return Err(bad());
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !host_ok || !name_ok {
        return Err(bad());
    }
    if host.eq_ignore_ascii_case(&data.urls.authority()) {
        return Err(FollowError::Local(name.to_owned()));
    }
    webfinger_resolve_actor::<FedData, RemoteForum>(handle, data)
        .await
        .map_err(not_found)
}

/// A fresh id for a member's Follow.
fn follow_id(actor: &Url) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{actor}/follows/{}", hex::encode(bytes))
}

fn follow_activity(id: &str, actor: &Url, forum: &str) -> serde_json::Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": actor,
        "object": forum,
        "to": [forum],
    })
}

fn delivery_inbox(forum: &forum::Model) -> Result<Url, FedError> {
    crate::remote::forum_inbox(forum)
        .ok_or_else(|| FedError::Rejected(format!("forum {} has no inbox", forum.slug)))
}

/// Follows a remote forum for a local member: the subscription is stored as pending and the
/// Follow queued, in one transaction. Following again while still pending sends it again.
pub async fn follow(
    data: &Data<FedData>,
    member: &user::Model,
    target: &str,
) -> Result<Subscription, FollowError> {
    let forum = resolve(data, target).await?.row;
    let actor = data.urls.user(&member.name);
    let forum_id = forum.ap_id.clone().unwrap_or_default();
    let inbox = delivery_inbox(&forum)?;
    let txn = stoa_db::begin_write(&data.db).await?;
    let existing = subscriptions::get(&txn, forum.id, member.id).await?;
    let accepted = match existing {
        Some(found) if found.accepted_at.is_some() => true,
        Some(found) => {
            // A new activity each time: servers drop an activity id they have seen (Lemmy
            // answers 400), so a Follow sent again under its first id would never be read.
            let id = follow_id(&actor);
            let activity = follow_activity(&id, &actor, &forum_id);
            delivery::enqueue(&txn, &activity, Signer::User(member.id), &[inbox]).await?;
            subscriptions::record_resend(&txn, &found, &id, Utc::now()).await?;
            false
        }
        None => {
            let id = follow_id(&actor);
            subscriptions::insert(&txn, forum.id, member.id, &id, Utc::now()).await?;
            let activity = follow_activity(&id, &actor, &forum_id);
            delivery::enqueue(&txn, &activity, Signer::User(member.id), &[inbox]).await?;
            false
        }
    };
    txn.commit().await?;
    Ok(Subscription { forum, accepted })
}

/// Stops following the remote forum shown here as `slug`: the subscription goes and an
/// Undo{Follow} is queued. Returns whether the member was following it.
pub async fn unfollow(data: &FedData, member: &user::Model, slug: &str) -> Result<bool, FedError> {
    let Some(forum) = remote_forum(data, slug).await? else {
        return Ok(false);
    };
    let forum = &forum;
    let actor = data.urls.user(&member.name);
    let txn = stoa_db::begin_write(&data.db).await?;
    let Some(removed) = subscriptions::remove(&txn, forum.id, member.id).await? else {
        return Ok(false);
    };
    let forum_id = forum.ap_id.clone().unwrap_or_default();
    let mut follow = follow_activity(&removed.follow_id, &actor, &forum_id);
    if let Some(map) = follow.as_object_mut() {
        // Embedded in the Undo, the Follow carries no context of its own.
        map.remove("@context");
    }
    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/undo", removed.follow_id),
        "type": "Undo",
        "actor": actor,
        "object": follow,
        "to": [forum_id],
    });
    delivery::enqueue(
        &txn,
        &undo,
        Signer::User(member.id),
        &[delivery_inbox(forum)?],
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The remote forum shown here as `slug`, if there is one.
pub async fn remote_forum(data: &FedData, slug: &str) -> Result<Option<forum::Model>, FedError> {
    Ok(forums::by_slug(&data.db, slug).await?.filter(|f| !f.local))
}

/// Whether a member follows a remote forum: `None` when not, else whether it was accepted.
pub async fn state(
    data: &FedData,
    member_id: i64,
    forum_id: i64,
) -> Result<Option<bool>, FedError> {
    Ok(subscriptions::get(&data.db, forum_id, member_id)
        .await?
        .map(|s| s.accepted_at.is_some()))
}

/// A member's subscriptions, with whether each was accepted.
pub async fn of_member(data: &FedData, member_id: i64) -> Result<Vec<Subscription>, FedError> {
    Ok(subscriptions::of_user(&data.db, member_id)
        .await?
        .into_iter()
        .map(|(sub, forum)| Subscription {
            accepted: sub.accepted_at.is_some(),
            forum,
        })
        .collect())
}

/// How many of a followed forum's newest threads are fetched when the Follow is accepted.
pub const BACKFILL_THREADS: usize = 20;

/// Fetches the newest threads a remote forum lists in its outbox and stores those not here
/// yet, oldest first. Each post is fetched from its own server, whatever the outbox embeds.
pub async fn backfill(data: &Data<FedData>, forum: &forum::Model) -> Result<usize, FedError> {
    use activitypub_federation::fetch::fetch_object_http;
    use activitypub_federation::protocol::verification::verify_domains_match;
    let Some(forum_id) = forum.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) else {
        return Ok(0);
    };
    let document: crate::remote::ActorDocument = fetch_object_http(&forum_id, data).await?.object;
    let Some(outbox) = document.outbox else {
        return Ok(0);
    };
    // The list must come from the forum's own server.
    verify_domains_match(&outbox, &forum_id)?;
    let mut collection: serde_json::Value = fetch_object_http(&outbox, data).await?.object;
    if let Some(first) = collection.get("first").cloned() {
        collection = match first {
            serde_json::Value::String(page) => {
                let page = Url::parse(&page)
                    .map_err(|e| FedError::Rejected(format!("outbox page {page}: {e}")))?;
                verify_domains_match(&page, &forum_id)?;
                fetch_object_http(&page, data).await?.object
            }
            inline => inline,
        };
    }
    let mut posts = outbox_posts(&collection);
    posts.truncate(BACKFILL_THREADS);
    let mut stored = 0;
    for id in posts.into_iter().rev() {
        // Each post with its own budget of fetches (its author, unknown parents).
        match crate::inbox::announced_post(&data.reset_request_count(), forum, id.clone()).await {
            Ok(()) => stored += 1,
            Err(e) => tracing::info!(post = %id, error = %e, "skipping a post of a followed forum"),
        }
    }
    Ok(stored)
}

/// The ids of the posts an outbox page lists, newest first as listed: each item may be the
/// post's id, the post, or an activity (`Announce`, `Create`) around either.
fn outbox_posts(page: &serde_json::Value) -> Vec<Url> {
    fn post_id(item: &serde_json::Value, depth: usize) -> Option<Url> {
        match item {
            serde_json::Value::String(id) => Url::parse(id).ok(),
            serde_json::Value::Object(map) => {
                let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or_default();
                if matches!(kind, "Announce" | "Create") && depth < 2 {
                    post_id(map.get("object")?, depth + 1)
                } else if matches!(kind, "Page" | "Article" | "Note" | "Question") {
                    post_id(map.get("id")?, depth)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(|items| items.as_array());
    items
        .into_iter()
        .flatten()
        .filter_map(|item| post_id(item, 0))
        .collect()
}

/// Sends again every Follow that has waited `RESEND_AFTER` without an answer (at most
/// `MAX_SENDS` times each), as of `now`. Returns how many were sent.
pub async fn resend_pending(data: &FedData, now: DateTime<Utc>) -> Result<usize, FedError> {
    let due = subscriptions::pending_resend(&data.db, now - RESEND_AFTER, MAX_SENDS, 50).await?;
    let mut sent = 0;
    for subscription in due {
        let (Some(forum), Some(member)) = (
            forums::by_id(&data.db, subscription.forum_id).await?,
            users::by_id(&data.db, subscription.user_id).await?,
        ) else {
            continue;
        };
        let actor = data.urls.user(&member.name);
        // A new id, as when a member follows again (see `follow`).
        let id = follow_id(&actor);
        let activity = follow_activity(&id, &actor, forum.ap_id.as_deref().unwrap_or_default());
        let txn = stoa_db::begin_write(&data.db).await?;
        delivery::enqueue(
            &txn,
            &activity,
            Signer::User(member.id),
            &[delivery_inbox(&forum)?],
        )
        .await?;
        subscriptions::record_resend(&txn, &subscription, &id, now).await?;
        txn.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::outbox_posts;

    #[test]
    fn outbox_items_name_their_posts_whatever_wraps_them() {
        // Lemmy: Announce{Create{Page}}, newest first.
        let lemmy: serde_json::Value = serde_json::from_str(include_str!(
            "../tests/fixtures/lemmy/collections/group_outbox.json"
        ))
        .unwrap();
        let posts: Vec<String> = outbox_posts(&lemmy).iter().map(|u| u.to_string()).collect();
        assert_eq!(
            posts,
            [
                "https://ds9.lemmy.ml/post/2328",
                "https://ds9.lemmy.ml/post/2327"
            ]
        );
        // Stoa: Announce of the page's id; a bare post; what is not a post is passed over.
        let stoa = serde_json::json!({
            "type": "OrderedCollection",
            "orderedItems": [
                {"type": "Announce", "object": "https://b.example/t/2"},
                {"type": "Note", "id": "https://b.example/p/9"},
                {"type": "Follow", "object": "https://b.example/f/books"},
                {"type": "Announce", "object": {"type": "Person", "id": "https://b.example/u/x"}},
            ],
        });
        let posts: Vec<String> = outbox_posts(&stoa).iter().map(|u| u.to_string()).collect();
        assert_eq!(posts, ["https://b.example/t/2", "https://b.example/p/9"]);
    }
}
