//! Turns the transactional outbox into activities: each forum re-broadcasts what happens in it
//! to its followers as the `Group` (FEP-1b12) — `Announce{Create{Page}}` plus a plain
//! `Announce{Page}` for a new thread (what Mastodon and Pleroma show), `Announce{Create{Note}}`
//! for a reply, `Announce{Update}` for an edit, `Announce{Delete}` for a deletion. Deliveries are
//! queued in the same transaction that marks the event processed, so an event is never lost
//! and never sent twice.

use chrono::Utc;
use serde_json::{Value, json};
use stoa_core::events::Event;
use stoa_db::queries::{followers, forums, outbox, posts, users};
use stoa_db::{ConnectionTrait, outbox_event};
use url::Url;

use crate::config::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::objects::{self, PUBLIC, PostObject};

/// Processes the oldest pending events, up to a batch, in one transaction; returns how many.
/// The events are claimed in that transaction, so with several processes on one database each
/// event becomes deliveries once.
pub async fn process_pending(data: &FedData) -> Result<usize, FedError> {
    if !outbox::any_pending(&data.db).await? {
        return Ok(0);
    }
    let txn = stoa_db::begin_write(&data.db).await?;
    let pending = outbox::claim_pending(&txn, EVENTS_PER_ROUND).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut audiences = Audiences::default();
    for event in &pending {
        broadcast(data, &txn, event, &mut audiences).await?;
    }
    let ids: Vec<i64> = pending.iter().map(|e| e.id).collect();
    outbox::mark_processed_many(&txn, &ids, Utc::now()).await?;
    txn.commit().await?;
    Ok(pending.len())
}

/// Most events turned into deliveries in one transaction. Inbound replies can add thousands a
/// second: each round's transaction holds the write lock, so fewer, larger rounds leave it to
/// the reply writer more often.
pub const EVENTS_PER_ROUND: u64 = 1_000;

/// Each forum of a batch and where its followers receive activities, read once per batch: a
/// busy thread's events mostly name the same forum, often one nobody follows.
#[derive(Default)]
struct Audiences(std::collections::HashMap<i64, Option<(stoa_db::forum::Model, Vec<Url>)>>);

impl Audiences {
    async fn get<C: ConnectionTrait>(
        &mut self,
        txn: &C,
        forum_id: i64,
    ) -> Result<Option<(stoa_db::forum::Model, Vec<Url>)>, FedError> {
        if let Some(known) = self.0.get(&forum_id) {
            return Ok(known.clone());
        }
        let found = match forums::by_id(txn, forum_id).await? {
            Some(forum) if forum.local => {
                let inboxes = followers::inboxes(txn, forum.id)
                    .await?
                    .iter()
                    .filter_map(|i| Url::parse(i).ok())
                    .collect();
                Some((forum, inboxes))
            }
            Some(forum) => Some((forum, Vec::new())),
            None => None,
        };
        self.0.insert(forum_id, found.clone());
        Ok(found)
    }
}

fn activity_url(actor: &Url, kind: &str, event_id: i64) -> String {
    format!("{actor}/activities/{kind}/{event_id}")
}

async fn broadcast<C: ConnectionTrait>(
    data: &FedData,
    txn: &C,
    event: &outbox_event::Model,
    audiences: &mut Audiences,
) -> Result<(), FedError> {
    let Ok(parsed) = serde_json::from_str::<Event>(&event.payload) else {
        tracing::warn!(id = event.id, kind = %event.kind, "skipping an outbox event it cannot read");
        return Ok(());
    };
    let (forum_id, post_id) = match &parsed {
        Event::ThreadCreated {
            forum_id, post_id, ..
        }
        | Event::ReplyCreated {
            forum_id, post_id, ..
        }
        | Event::PostEdited {
            forum_id, post_id, ..
        }
        | Event::PostDeleted {
            forum_id, post_id, ..
        }
        | Event::PostLiked {
            forum_id, post_id, ..
        }
        | Event::PostUnliked {
            forum_id, post_id, ..
        } => (*forum_id, *post_id),
    };
    let Some((forum, inboxes)) = audiences.get(txn, forum_id).await? else {
        return Ok(());
    };
    if !forum.local {
        return send_to_remote_forum(data, txn, event, &parsed, &forum, post_id).await;
    }
    if inboxes.is_empty() {
        return Ok(());
    }
    let Some(post) = posts::by_id(txn, post_id).await? else {
        return Ok(());
    };
    let Some(author) = users::by_id(txn, post.author_id).await? else {
        return Ok(());
    };
    let urls = &data.urls;
    let forum_url = urls.forum(&forum.slug);
    let author_url = actor_url(urls, &author);
    let object_id = objects::post_id(urls, &post);
    let followers_url = urls.forum_part(&forum.slug, "followers");
    let addressing = |value: &mut Value| {
        value["to"] = json!([PUBLIC]);
        value["cc"] = json!([forum_url, followers_url]);
        value["audience"] = json!(forum_url);
    };
    if let Event::PostLiked { activity_id, .. } | Event::PostUnliked { activity_id, .. } = &parsed {
        let Some(liker) = users::by_id(txn, event.actor_id.unwrap_or_default()).await? else {
            return Ok(());
        };
        let liker_url = actor_url(urls, &liker);
        let like_id = match activity_id {
            Some(id) => id.clone(),
            None => local_like_id(txn, &liker_url, event, &parsed).await?,
        };
        let like = json!({"id": like_id, "type": "Like", "actor": liker_url, "object": object_id});
        let inner = match parsed {
            Event::PostLiked { .. } => like,
            _ => json!({
                "id": activity_url(&liker_url, "undo-like", event.id),
                "type": "Undo",
                "actor": liker_url,
                "object": like,
            }),
        };
        let announce = forum_announce(
            &forum_url,
            &followers_url,
            activity_url(&forum_url, "announce", event.id),
            inner,
        );
        delivery::enqueue(txn, &announce, Signer::Forum(forum.id), &inboxes).await?;
        return Ok(());
    }
    // A post removed by someone other than its author (an administrator, later a host) is the
    // remover's act: their own `Delete` with a `summary`, the shape Lemmy gives a removal.
    if let Event::PostDeleted { .. } = parsed
        && event.actor_id != Some(post.author_id)
        && let Some(remover) = users::by_id(txn, event.actor_id.unwrap_or_default()).await?
    {
        let remover_url = actor_url(urls, &remover);
        let mut removal = json!({
            "id": activity_url(&remover_url, "delete", event.id),
            "type": "Delete",
            "actor": remover_url,
            "object": object_id,
            "summary": "Removed by a moderator",
        });
        addressing(&mut removal);
        let announce = forum_announce(
            &forum_url,
            &followers_url,
            activity_url(&forum_url, "announce", event.id),
            removal,
        );
        return delivery::enqueue(txn, &announce, Signer::Forum(forum.id), &inboxes).await;
    }
    if !author.local {
        return rebroadcast_as_received(txn, event, &parsed, &forum, &inboxes, &object_id, urls)
            .await;
    }
    // Read only here: likes, removals and what came from elsewhere do not embed the post.
    let object = match objects::post_object(txn, urls, post.id).await? {
        Some(PostObject::Page(page)) => serde_json::to_value(page).ok(),
        Some(PostObject::Note(note)) => serde_json::to_value(note).ok(),
        Some(PostObject::Deleted(_)) | None => None,
    };
    let mut inner = match (&parsed, object) {
        (Event::ThreadCreated { .. } | Event::ReplyCreated { .. }, Some(object)) => json!({
            "id": activity_url(&object_id, "create", event.id),
            "type": "Create",
            "actor": author_url,
            "object": strip_context(object),
        }),
        (Event::PostEdited { .. }, Some(object)) => json!({
            "id": activity_url(&object_id, "update", event.id),
            "type": "Update",
            "actor": author_url,
            "object": strip_context(object),
        }),
        (Event::PostDeleted { .. }, _) => json!({
            "id": activity_url(&object_id, "delete", event.id),
            "type": "Delete",
            "actor": author_url,
            "object": object_id,
        }),
        // The post went away before its event was processed: its deletion's event follows.
        _ => return Ok(()),
    };
    addressing(&mut inner);
    let announce = forum_announce(
        &forum_url,
        &followers_url,
        activity_url(&forum_url, "announce", event.id),
        inner,
    );
    delivery::enqueue(txn, &announce, Signer::Forum(forum.id), &inboxes).await?;
    if matches!(parsed, Event::ThreadCreated { .. }) {
        let plain = forum_announce(
            &forum_url,
            &followers_url,
            activity_url(&forum_url, "announce-page", event.id),
            json!(object_id),
        );
        delivery::enqueue(txn, &plain, Signer::Forum(forum.id), &inboxes).await?;
    }
    Ok(())
}

/// A post, edit or deletion by a member of another server, sent on to the forum's followers
/// as the author's server made it (FEP-1b12): its own id, under the author's signature's
/// authority, never an id made up here on someone else's host (Lemmy refuses those). What came
/// without its activity — an ancestor fetched to place a reply, the posts of an account deleted
/// elsewhere — is not re-broadcast: there is nothing of the author's to send.
async fn rebroadcast_as_received<C: ConnectionTrait>(
    txn: &C,
    event: &outbox_event::Model,
    parsed: &Event,
    forum: &stoa_db::forum::Model,
    inboxes: &[Url],
    object_id: &Url,
    urls: &crate::urls::Urls,
) -> Result<(), FedError> {
    let origin = match parsed {
        Event::ThreadCreated { origin, .. }
        | Event::ReplyCreated { origin, .. }
        | Event::PostEdited { origin, .. }
        | Event::PostDeleted { origin, .. } => origin.as_deref(),
        Event::PostLiked { .. } | Event::PostUnliked { .. } => None,
    };
    let Some(received) = origin.and_then(|o| serde_json::from_str::<Value>(o).ok()) else {
        tracing::debug!(
            event = event.id,
            "a post from elsewhere came without its activity: not re-broadcast"
        );
        return Ok(());
    };
    let forum_url = urls.forum(&forum.slug);
    let followers_url = urls.forum_part(&forum.slug, "followers");
    let announce =
        |id: String, object: Value| forum_announce(&forum_url, &followers_url, id, object);
    let wrapped = announce(activity_url(&forum_url, "announce", event.id), received);
    delivery::enqueue(txn, &wrapped, Signer::Forum(forum.id), inboxes).await?;
    if matches!(parsed, Event::ThreadCreated { .. }) {
        let plain = announce(
            activity_url(&forum_url, "announce-page", event.id),
            json!(object_id),
        );
        delivery::enqueue(txn, &plain, Signer::Forum(forum.id), inboxes).await?;
    }
    Ok(())
}

/// What a member here does in a forum of another server goes to that forum, which
/// re-broadcasts it to its followers: their own threads, replies, edits and deletions as
/// `Create`, `Update` and `Delete`, and their likes. Moderation here of someone else's post
/// stays here.
async fn send_to_remote_forum<C: ConnectionTrait>(
    data: &FedData,
    txn: &C,
    event: &outbox_event::Model,
    parsed: &Event,
    forum: &stoa_db::forum::Model,
    post_id: i64,
) -> Result<(), FedError> {
    let Some(member) = users::by_id(txn, event.actor_id.unwrap_or_default())
        .await?
        .filter(|u| u.local)
    else {
        return Ok(());
    };
    let Some(post) = posts::by_id(txn, post_id).await? else {
        return Ok(());
    };
    let Some(inbox) = crate::remote::forum_inbox(forum) else {
        return Ok(());
    };
    let urls = &data.urls;
    let member_url = urls.user(&member.name);
    let object_id = objects::post_id(urls, &post);
    let like_id = match parsed {
        Event::PostLiked { .. } | Event::PostUnliked { .. } => {
            local_like_id(txn, &member_url, event, parsed).await?
        }
        _ => String::new(),
    };
    let like = json!({
        "id": like_id,
        "type": "Like",
        "actor": member_url,
        "object": object_id,
    });
    let mut activity = match parsed {
        Event::PostLiked { .. } => like,
        Event::PostUnliked { .. } => json!({
            "id": activity_url(&member_url, "undo-like", event.id),
            "type": "Undo",
            "actor": member_url,
            "object": like,
        }),
        _ if post.author_id != member.id => return Ok(()),
        Event::PostDeleted { .. } => json!({
            "id": activity_url(&object_id, "delete", event.id),
            "type": "Delete",
            "actor": member_url,
            "object": object_id,
        }),
        Event::ThreadCreated { .. } | Event::ReplyCreated { .. } | Event::PostEdited { .. } => {
            let object = match objects::post_object(txn, urls, post.id).await? {
                Some(PostObject::Page(page)) => serde_json::to_value(page).ok(),
                Some(PostObject::Note(note)) => serde_json::to_value(note).ok(),
                Some(PostObject::Deleted(_)) | None => None,
            };
            // Gone before its event was processed: the deletion's event follows.
            let Some(object) = object else {
                return Ok(());
            };
            let kind = if matches!(parsed, Event::PostEdited { .. }) {
                "Update"
            } else {
                "Create"
            };
            json!({
                "id": activity_url(&object_id, &kind.to_ascii_lowercase(), event.id),
                "type": kind,
                "actor": member_url,
                "object": strip_context(object),
            })
        }
    };
    let forum_url = forum.ap_id.clone().unwrap_or_default();
    activity["@context"] = json!("https://www.w3.org/ns/activitystreams");
    activity["to"] = json!([PUBLIC]);
    activity["cc"] = json!([forum_url]);
    activity["audience"] = json!(forum_url);
    delivery::enqueue(txn, &activity, Signer::User(member.id), &[inbox]).await
}

/// The id of a member's `Like` made here: named after its event, so an `Undo` names the like
/// it takes back — the latest like of that post by that member before the unlike.
async fn local_like_id<C: ConnectionTrait>(
    txn: &C,
    liker_url: &Url,
    event: &outbox_event::Model,
    parsed: &Event,
) -> Result<String, FedError> {
    let like_event = match parsed {
        Event::PostUnliked { .. } => outbox::latest_before(
            txn,
            "post_liked",
            event.actor_id.unwrap_or_default(),
            event.subject_id,
            event.id,
        )
        .await?
        .unwrap_or(event.id),
        _ => event.id,
    };
    Ok(activity_url(liker_url, "like", like_event))
}

/// A forum's `Announce` of `object` to its followers: public, `cc` the forum and its followers,
/// `audience` the forum.
fn forum_announce(forum_url: &Url, followers_url: &Url, id: String, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Announce",
        "actor": forum_url,
        "object": object,
        "to": [PUBLIC],
        "cc": [forum_url, followers_url],
        "audience": forum_url,
    })
}

/// A member's actor id: ours for a local member, their own for a remote one.
fn actor_url(urls: &crate::urls::Urls, user: &stoa_db::user::Model) -> Url {
    match (&user.ap_id, user.local) {
        (Some(ap_id), false) => Url::parse(ap_id).unwrap_or_else(|_| urls.user(&user.name)),
        _ => urls.user(&user.name),
    }
}

/// An object embedded in an activity carries no `@context` of its own.
fn strip_context(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove("@context");
    }
    object
}
