//! Turns the transactional outbox into activities: each forum re-broadcasts what happens in it
//! to its followers as the `Group` (FEP-1b12) — `Announce{Create{Page}}` plus a plain
//! `Announce{Page}` for a new thread (what Mastodon and Pleroma show), `Announce{Create{Note}}`
//! for a reply, `Announce{Update}` for an edit, `Announce{Delete}` for a deletion; what members
//! here do in forums elsewhere goes to those forums; follows become `Accept`, `Follow` and
//! `Undo{Follow}`. Deliveries are queued in the same transaction that marks the event
//! processed, so an event is never lost and never sent twice.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value;
use stoa_core::events::Event;
use stoa_db::queries::{followers, forums, outbox, posts, users};
use stoa_db::{ConnectionTrait, outbox_event};
use url::Url;

use crate::activities::{self, Kind, Outgoing};
use crate::data::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::following;
use crate::objects;

mod moderation;

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
    // Whose events were written here, read once a round: a post from elsewhere in a forum
    // nobody follows is then passed over without reading it.
    let mut actors: Vec<i64> = pending.iter().filter_map(|e| e.actor_id).collect();
    actors.sort_unstable();
    actors.dedup();
    let local: HashSet<i64> = users::local_among(&txn, &actors)
        .await?
        .into_iter()
        .collect();
    for event in &pending {
        broadcast(data, &txn, event, &mut audiences, &local).await?;
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

/// The id of what an event sends: named after the event, unique for its actor.
fn activity_url(actor: &Url, word: &str, event_id: i64) -> Result<Url, FedError> {
    activities::activity_id(actor, word, event_id)
}

async fn broadcast<C: ConnectionTrait>(
    data: &FedData,
    txn: &C,
    event: &outbox_event::Model,
    audiences: &mut Audiences,
    local: &HashSet<i64>,
) -> Result<(), FedError> {
    let Ok(parsed) = serde_json::from_str::<Event>(&event.payload) else {
        tracing::warn!(id = event.id, kind = %event.kind, "skipping an outbox event it cannot read");
        return Ok(());
    };
    let (forum_id, post_id) = match &parsed {
        Event::FollowerAdded {
            forum_id,
            follower_id,
            follow_id,
        } => return accept_follower(data, txn, event, *forum_id, *follower_id, follow_id).await,
        Event::FollowSent {
            forum_id,
            member_id,
            follow_id,
        } => return following::send(data, txn, *member_id, *forum_id, follow_id, false).await,
        Event::FollowUndone {
            forum_id,
            member_id,
            follow_id,
        } => return following::send(data, txn, *member_id, *forum_id, follow_id, true).await,
        Event::PostRemoved { .. }
        | Event::PostRestored { .. }
        | Event::ThreadLocked { .. }
        | Event::HostChanged { .. }
        | Event::MemberBanned { .. }
        | Event::MemberUnbanned { .. }
        | Event::ForumUpdated { .. } => {
            return moderation::announce(data, txn, event, &parsed, audiences).await;
        }
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
        }
        | Event::PostReported {
            forum_id, post_id, ..
        } => (*forum_id, *post_id),
    };
    let Some((forum, inboxes)) = audiences.get(txn, forum_id).await? else {
        return Ok(());
    };
    if !forum.local {
        return send_to_remote_forum(data, txn, event, &parsed, &forum, post_id).await;
    }
    // A report is made only of a post of a forum elsewhere, and goes only there.
    if matches!(parsed, Event::PostReported { .. }) {
        return Ok(());
    }
    // Nobody follows the forum: only a post here that mentions people elsewhere goes out.
    let written = matches!(
        parsed,
        Event::ThreadCreated { .. } | Event::ReplyCreated { .. } | Event::PostEdited { .. }
    );
    let by_member_here = event.actor_id.is_some_and(|id| local.contains(&id));
    if inboxes.is_empty() && !(written && by_member_here) {
        return Ok(());
    }
    let Some(post) = posts::by_id(txn, post_id).await? else {
        return Ok(());
    };
    let Some(author) = users::by_id(txn, post.author_id).await? else {
        return Ok(());
    };
    if inboxes.is_empty() && !(author.local && post.body_source.contains('@')) {
        return Ok(());
    }
    let urls = &data.urls;
    let forum_url = urls.forum(&forum.slug);
    let author_url = actor_url(urls, &author);
    let object_id = objects::post_id(urls, &post);
    let followers_url = urls.forum_part(&forum.slug, "followers");
    let signer = Signer::Forum(forum.id);
    let announce = Announce {
        forum: &forum_url,
        followers: &followers_url,
        id: activity_url(&forum_url, "announce", event.id)?,
    };
    if let Event::PostLiked { activity_id, .. } | Event::PostUnliked { activity_id, .. } = &parsed {
        let Some(liker) = users::by_id(txn, event.actor_id.unwrap_or_default()).await? else {
            return Ok(());
        };
        let liker_url = actor_url(urls, &liker);
        let like_id = match activity_id {
            Some(id) => parse_id(id)?,
            None => local_like_id(txn, &liker_url, event, &parsed).await?,
        };
        let like = activities::like(like_id, &liker_url, &object_id);
        return match parsed {
            Event::PostLiked { .. } => {
                delivery::enqueue(txn, &announce.of(like), signer, &inboxes).await
            }
            _ => {
                let undo_id = activity_url(&liker_url, "undo-like", event.id)?;
                let undo = Outgoing::new(Kind::Undo, undo_id, liker_url, like);
                delivery::enqueue(txn, &announce.of(undo), signer, &inboxes).await
            }
        };
    }
    // A post removed by someone other than its author (an administrator, later a host) is the
    // remover's act: their own `Delete` with a `summary`, the shape Lemmy gives a removal.
    if let Event::PostDeleted { .. } = parsed
        && event.actor_id != Some(post.author_id)
        && let Some(remover) = users::by_id(txn, event.actor_id.unwrap_or_default()).await?
    {
        let remover_url = actor_url(urls, &remover);
        let id = activity_url(&remover_url, "delete", event.id)?;
        let removal = activities::removal(
            id,
            &remover_url,
            object_id,
            "Removed by a moderator",
            &forum_url,
        );
        return delivery::enqueue(txn, &announce.of(removal), signer, &inboxes).await;
    }
    if !author.local {
        return rebroadcast_as_received(txn, event, &parsed, &forum, &inboxes, &object_id, urls)
            .await;
    }
    if let Event::PostDeleted { .. } = parsed {
        let id = activity_url(&object_id, "delete", event.id)?;
        let delete = Outgoing::new(Kind::Delete, id, author_url, object_id)
            .in_forum(&forum_url, Some(&followers_url));
        return delivery::enqueue(txn, &announce.of(delete), signer, &inboxes).await;
    }
    // Read only here: likes, removals and what came from elsewhere do not embed the post.
    let Some(inner) = post_written(txn, urls, &parsed, event.id, &post, author_url).await? else {
        return Ok(());
    };
    let inner = inner.in_forum(&forum_url, Some(&followers_url));
    to_mentioned(txn, &post, author.id, &inner).await?;
    delivery::enqueue(txn, &announce.of(inner), signer, &inboxes).await?;
    if matches!(parsed, Event::ThreadCreated { .. }) {
        let plain = activities::forum_announce(
            &forum_url,
            &followers_url,
            activity_url(&forum_url, "announce-page", event.id)?,
            object_id,
        );
        delivery::enqueue(txn, &plain, signer, &inboxes).await?;
    }
    Ok(())
}

/// A post's `Create` or `Update` goes also to the people elsewhere it mentions, from its author
/// (their servers may not follow the forum).
async fn to_mentioned<C: ConnectionTrait>(
    txn: &C,
    post: &stoa_db::post::Model,
    author_id: i64,
    written: &Outgoing<objects::Post>,
) -> Result<(), FedError> {
    let inboxes: Vec<Url> = crate::mentions::mentioned(txn, &post.body_source)
        .await?
        .iter()
        .filter_map(crate::remote::user_inbox)
        .collect();
    if inboxes.is_empty() {
        return Ok(());
    }
    let written = written.clone().with_context();
    delivery::enqueue(txn, &written, Signer::User(author_id), &inboxes).await
}

/// The author's `Create` (a new post) or `Update` (an edit) of a post, embedding it as it is
/// now; `None` when it went away before its event was processed (its deletion's event follows).
async fn post_written<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    parsed: &Event,
    event_id: i64,
    post: &stoa_db::post::Model,
    author_url: Url,
) -> Result<Option<Outgoing<objects::Post>>, FedError> {
    let embedded = objects::post_object(txn, urls, post.id)
        .await?
        .and_then(|object| object.embedded());
    let Some(embedded) = embedded else {
        return Ok(None);
    };
    let kind = match parsed {
        Event::PostEdited { .. } => Kind::Update,
        _ => Kind::Create,
    };
    let id = activity_url(&objects::post_id(urls, post), kind.word(), event_id)?;
    Ok(Some(Outgoing::new(kind, id, author_url, embedded)))
}

/// An id given as text: a remote activity's, as stored.
fn parse_id(id: &str) -> Result<Url, FedError> {
    Url::parse(id).map_err(|e| FedError::Rejected(format!("an activity id {id:?}: {e}")))
}

/// A follower elsewhere was added to a forum here: the forum's `Accept` of their Follow, sent
/// to their own inbox.
async fn accept_follower<C: ConnectionTrait>(
    data: &FedData,
    txn: &C,
    event: &outbox_event::Model,
    forum_id: i64,
    follower_id: i64,
    follow_id: &str,
) -> Result<(), FedError> {
    let (Some(forum), Some(follower)) = (
        forums::by_id(txn, forum_id).await?.filter(|f| f.local),
        users::by_id(txn, follower_id).await?.filter(|u| !u.local),
    ) else {
        return Ok(());
    };
    let (Some(follower_url), Some(inbox)) = (
        follower.ap_id.as_deref().and_then(|id| Url::parse(id).ok()),
        crate::remote::user_inbox(&follower),
    ) else {
        tracing::info!(follower = %follower.name, "a follower has no inbox on its own server");
        return Ok(());
    };
    let forum_url = data.urls.forum(&forum.slug);
    let accept = activities::accept_follow(
        activity_url(&forum_url, "accept", event.id)?,
        &forum_url,
        parse_id(follow_id)?,
        &follower_url,
    );
    delivery::enqueue(txn, &accept, Signer::Forum(forum.id), &[inbox]).await
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
        _ => None,
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
    let signer = Signer::Forum(forum.id);
    let id = activity_url(&forum_url, "announce", event.id)?;
    let wrapped = activities::forum_announce(&forum_url, &followers_url, id, received);
    delivery::enqueue(txn, &wrapped, signer, inboxes).await?;
    if matches!(parsed, Event::ThreadCreated { .. }) {
        let id = activity_url(&forum_url, "announce-page", event.id)?;
        let plain = activities::forum_announce(&forum_url, &followers_url, id, object_id.clone());
        delivery::enqueue(txn, &plain, signer, inboxes).await?;
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
    let Some(forum_url) = forum.ap_id.as_deref().and_then(|id| Url::parse(id).ok()) else {
        return Ok(());
    };
    let signer = Signer::User(member.id);
    let to_forum = To {
        txn,
        forum: &forum_url,
        inbox: &inbox,
        signer,
    };
    match parsed {
        Event::PostLiked { .. } | Event::PostUnliked { .. } => {
            let like_id = local_like_id(txn, &member_url, event, parsed).await?;
            let like = activities::like(like_id, &member_url, &object_id);
            if matches!(parsed, Event::PostLiked { .. }) {
                return to_forum.send(like).await;
            }
            let undo_id = activity_url(&member_url, "undo-like", event.id)?;
            to_forum
                .send(Outgoing::new(Kind::Undo, undo_id, member_url, like))
                .await
        }
        // A report goes to the forum alone, not to the public (as Lemmy and Mbin send one).
        Event::PostReported { reason, .. } => {
            let id = activity_url(&member_url, "flag", event.id)?;
            let flag = Outgoing::new(Kind::Flag, id, member_url, object_id)
                .with_summary(reason)
                .with_context()
                .to(&[&forum_url]);
            let flag = Outgoing {
                audience: Some(forum_url.clone()),
                ..flag
            };
            delivery::enqueue(txn, &flag, signer, std::slice::from_ref(&inbox)).await
        }
        _ if post.author_id != member.id => Ok(()),
        Event::PostDeleted { .. } => {
            let id = activity_url(&object_id, "delete", event.id)?;
            to_forum
                .send(Outgoing::new(Kind::Delete, id, member_url, object_id))
                .await
        }
        Event::ThreadCreated { .. } | Event::ReplyCreated { .. } | Event::PostEdited { .. } => {
            match post_written(txn, urls, parsed, event.id, &post, member_url).await? {
                Some(written) => {
                    let written = written.in_forum(&forum_url, None);
                    to_mentioned(txn, &post, member.id, &written).await?;
                    to_forum.send_carrying(written, Some(post.id)).await
                }
                None => Ok(()),
            }
        }
        // Follows and moderation are not a member's posts: handled before any post is read.
        Event::FollowerAdded { .. }
        | Event::FollowSent { .. }
        | Event::FollowUndone { .. }
        | Event::PostRemoved { .. }
        | Event::PostRestored { .. }
        | Event::ThreadLocked { .. }
        | Event::HostChanged { .. }
        | Event::MemberBanned { .. }
        | Event::MemberUnbanned { .. }
        | Event::ForumUpdated { .. } => Ok(()),
    }
}

/// The forum's `Announce` of an event's activity, under the event's id.
struct Announce<'a> {
    forum: &'a Url,
    followers: &'a Url,
    id: Url,
}

impl Announce<'_> {
    fn of<O>(&self, object: O) -> Outgoing<O> {
        activities::forum_announce(self.forum, self.followers, self.id.clone(), object)
    }
}

/// A remote forum an activity of a member here goes to.
struct To<'a, C> {
    txn: &'a C,
    forum: &'a Url,
    inbox: &'a Url,
    signer: Signer,
}

impl<C: ConnectionTrait> To<'_, C> {
    /// Queues the activity, public and in the forum.
    async fn send<O: serde::Serialize>(&self, activity: Outgoing<O>) -> Result<(), FedError> {
        self.send_carrying(activity, None).await
    }

    /// Queues the activity carrying the member's post `post_id`, whose refusal the post shows.
    async fn send_carrying<O: serde::Serialize>(
        &self,
        activity: Outgoing<O>,
        post_id: Option<i64>,
    ) -> Result<(), FedError> {
        let activity = activity.with_context().in_forum(self.forum, None);
        delivery::enqueue_carrying(
            self.txn,
            &activity,
            self.signer,
            std::slice::from_ref(self.inbox),
            post_id,
        )
        .await
    }
}

/// The id of a member's `Like` made here: named after its event, so an `Undo` names the like
/// it takes back — the latest like of that post by that member before the unlike.
async fn local_like_id<C: ConnectionTrait>(
    txn: &C,
    liker_url: &Url,
    event: &outbox_event::Model,
    parsed: &Event,
) -> Result<Url, FedError> {
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
    activity_url(liker_url, "like", like_event)
}

/// A member's actor id: ours for a local member, their own for a remote one.
fn actor_url(urls: &crate::urls::Urls, user: &stoa_db::user::Model) -> Url {
    match (&user.ap_id, user.local) {
        (Some(ap_id), false) => Url::parse(ap_id).unwrap_or_else(|_| urls.user(&user.name)),
        _ => urls.user(&user.name),
    }
}
