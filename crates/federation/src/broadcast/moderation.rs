//! Moderation in a forum here, announced by the forum to its followers in the shapes Lemmy,
//! PieFed and Mbin read: a removal is the moderator's `Delete` with a `summary` (the reason), a
//! restore its `Undo`; a lock is `Lock`, an unlock `Undo{Lock}`; a new host is `Add` to the
//! forum's `moderators` collection, a dismissed one `Remove`; a ban is `Block` with the forum as
//! `target`, its lifting `Undo{Block}`; a new statement of purpose is `Update{Group}`. Moderation of content in forums
//! elsewhere stays here: it is not ours to announce.

use stoa_core::events::Event;
use stoa_db::queries::{outbox, posts, threads, users};
use stoa_db::{ConnectionTrait, outbox_event};
use url::Url;

use super::{Audiences, activity_url};
use crate::activities::{self, Kind, Outgoing};
use crate::data::FedData;
use crate::delivery::{self, Signer};
use crate::error::FedError;
use crate::objects;

pub(super) async fn announce<C: ConnectionTrait>(
    data: &FedData,
    txn: &C,
    event: &outbox_event::Model,
    parsed: &Event,
    audiences: &mut Audiences,
) -> Result<(), FedError> {
    let forum_id = match parsed {
        Event::PostRemoved { forum_id, .. }
        | Event::PostRestored { forum_id, .. }
        | Event::ThreadLocked { forum_id, .. }
        | Event::HostChanged { forum_id, .. }
        | Event::MemberBanned { forum_id, .. }
        | Event::MemberUnbanned { forum_id, .. }
        | Event::ForumUpdated { forum_id } => *forum_id,
        _ => return Ok(()),
    };
    let Some((forum, inboxes)) = audiences.get(txn, forum_id).await? else {
        return Ok(());
    };
    if !forum.local || inboxes.is_empty() {
        return Ok(());
    }
    let urls = &data.urls;
    let forum_url = urls.forum(&forum.slug);
    let Some(moderator_url) = acted_as(txn, urls, event, &forum_url).await? else {
        return Ok(());
    };
    let followers_url = urls.forum_part(&forum.slug, "followers");
    let told = Told {
        txn,
        forum: &forum_url,
        followers: &followers_url,
        inboxes: &inboxes,
        signer: Signer::Forum(forum.id),
        announce_id: activity_url(&forum_url, "announce", event.id)?,
    };
    match parsed {
        Event::PostRemoved {
            post_id, reason, ..
        } => {
            let Some(post) = posts::by_id(txn, *post_id).await? else {
                return Ok(());
            };
            let id = activity_url(&moderator_url, "remove", event.id)?;
            let object = objects::post_id(urls, &post);
            told.send(activities::removal(
                id,
                &moderator_url,
                object,
                reason,
                &forum_url,
            ))
            .await
        }
        Event::PostRestored { post_id, .. } => {
            let Some(post) = posts::by_id(txn, *post_id).await? else {
                return Ok(());
            };
            let Some((removed, remover)) =
                earlier(txn, urls, "post_removed", *post_id, event.id, &forum_url).await?
            else {
                return Ok(());
            };
            let reason = match serde_json::from_str::<Event>(&removed.payload) {
                Ok(Event::PostRemoved { reason, .. }) => reason,
                _ => String::new(),
            };
            let removal = activities::removal(
                activity_url(&remover, "remove", removed.id)?,
                &remover,
                objects::post_id(urls, &post),
                &reason,
                &forum_url,
            );
            let id = activity_url(&moderator_url, "undo-remove", event.id)?;
            told.send(activities::undo(id, &moderator_url, removal, &forum_url))
                .await
        }
        Event::ThreadLocked {
            thread_id, locked, ..
        } => {
            let Some(page) = thread_page(txn, urls, *thread_id).await? else {
                return Ok(());
            };
            if *locked {
                let id = activity_url(&moderator_url, "lock", event.id)?;
                return told.send(lock(id, &moderator_url, page, &forum_url)).await;
            }
            let Some((locking, locker)) =
                earlier(txn, urls, "thread_locked", *thread_id, event.id, &forum_url).await?
            else {
                return Ok(());
            };
            let lock = lock(
                activity_url(&locker, "lock", locking.id)?,
                &locker,
                page,
                &forum_url,
            );
            let id = activity_url(&moderator_url, "undo-lock", event.id)?;
            told.send(activities::undo(id, &moderator_url, lock, &forum_url))
                .await
        }
        Event::HostChanged {
            member_id,
            appointed,
            ..
        } => {
            let Some(member) = users::by_id(txn, *member_id).await? else {
                return Ok(());
            };
            let (kind, word) = if *appointed {
                (Kind::Add, "add-host")
            } else {
                (Kind::Remove, "remove-host")
            };
            let id = activity_url(&moderator_url, word, event.id)?;
            let change = Outgoing::new(kind, id, moderator_url, urls.user(&member.name))
                .with_target(urls.forum_part(&forum.slug, "moderators"))
                .in_forum(&forum_url, None);
            told.send(change).await
        }
        Event::ForumUpdated { .. } => {
            // The forum as it is now: a later edit sends its own Update.
            let Some(group) = crate::actors::group(urls, &forum) else {
                return Ok(());
            };
            let id = activity_url(&moderator_url, "update-forum", event.id)?;
            let update = Outgoing::new(Kind::Update, id, moderator_url, group.inner().clone())
                .in_forum(&forum_url, None);
            told.send(update).await
        }
        Event::MemberBanned {
            member_id,
            reason,
            until,
            ..
        } => {
            let Some(member) = member_url(txn, urls, *member_id).await? else {
                return Ok(());
            };
            let id = activity_url(&moderator_url, "block", event.id)?;
            told.send(block(
                id,
                &moderator_url,
                member,
                &forum_url,
                reason,
                *until,
            ))
            .await
        }
        Event::MemberUnbanned { member_id, .. } => {
            let Some(member) = member_url(txn, urls, *member_id).await? else {
                return Ok(());
            };
            let Some((banning, banner)) =
                earlier_ban(txn, urls, forum_id, *member_id, event.id, &forum_url).await?
            else {
                return Ok(());
            };
            let (reason, until) = match serde_json::from_str::<Event>(&banning.payload) {
                Ok(Event::MemberBanned { reason, until, .. }) => (reason, until),
                _ => (String::new(), None),
            };
            let ban = block(
                activity_url(&banner, "block", banning.id)?,
                &banner,
                member,
                &forum_url,
                &reason,
                until,
            );
            let id = activity_url(&moderator_url, "undo-block", event.id)?;
            told.send(activities::undo(id, &moderator_url, ban, &forum_url))
                .await
        }
        _ => Ok(()),
    }
}

/// A moderator's `Block` of a member in a forum — a ban from it, as Lemmy sends one: `target`
/// the forum, `summary` the reason, `expires` its end.
fn block(
    id: Url,
    moderator: &Url,
    member: Url,
    forum: &Url,
    reason: &str,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Outgoing<Url> {
    Outgoing::new(Kind::Block, id, moderator.clone(), member)
        .with_target(forum.clone())
        .with_summary(reason)
        .expires(until)
        .in_forum(forum, None)
}

/// A member's actor id: here, or on their own server.
async fn member_url<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    member_id: i64,
) -> Result<Option<Url>, FedError> {
    let Some(member) = users::by_id(txn, member_id).await? else {
        return Ok(None);
    };
    if member.local {
        return Ok(Some(urls.user(&member.name)));
    }
    Ok(member.ap_id.as_deref().and_then(|id| Url::parse(id).ok()))
}

/// The ban an unban takes back: the latest ban of this member in this forum before it (a
/// member's ban events name the member; bans in other forums are passed over).
async fn earlier_ban<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    forum_id: i64,
    member_id: i64,
    before: i64,
    forum: &Url,
) -> Result<Option<(outbox_event::Model, Url)>, FedError> {
    let mut before = before;
    // Bounded: a member banned in many forums in turn is not searched without end.
    for _ in 0..50 {
        let Some(found) =
            outbox::latest_event_before(txn, "member_banned", None, member_id, before).await?
        else {
            return Ok(None);
        };
        if matches!(
            serde_json::from_str::<Event>(&found.payload),
            Ok(Event::MemberBanned { forum_id: f, .. }) if f == forum_id
        ) {
            return Ok(acted_as(txn, urls, &found, forum)
                .await?
                .map(|actor| (found, actor)));
        }
        before = found.id;
    }
    Ok(None)
}

/// A moderator's `Lock` of a thread (its first post's object), public and in the forum.
fn lock(id: Url, moderator: &Url, page: Url, forum: &Url) -> Outgoing<Url> {
    Outgoing::new(Kind::Lock, id, moderator.clone(), page).in_forum(forum, None)
}

/// The id of a thread's first post as sent (the thread's `Page`).
async fn thread_page<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    thread_id: i64,
) -> Result<Option<Url>, FedError> {
    let Some(starter) = threads::by_id(txn, thread_id)
        .await?
        .and_then(|t| t.starter_post_id)
    else {
        return Ok(None);
    };
    Ok(posts::by_id(txn, starter)
        .await?
        .map(|post| objects::post_id(urls, &post)))
}

/// The event an `Undo` takes back — the latest of `kind` about the same row before this one —
/// and the actor id of whoever did it.
async fn earlier<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    kind: &str,
    subject_id: i64,
    before: i64,
    forum: &Url,
) -> Result<Option<(outbox_event::Model, Url)>, FedError> {
    let Some(earlier) = outbox::latest_event_before(txn, kind, None, subject_id, before).await?
    else {
        return Ok(None);
    };
    Ok(acted_as(txn, urls, &earlier, forum)
        .await?
        .map(|actor| (earlier, actor)))
}

/// Who did a moderation act, as its activity names them: the host or admin, or — for a jury's
/// verdict, which no one member did — the forum itself. `None` when the member is gone.
async fn acted_as<C: ConnectionTrait>(
    txn: &C,
    urls: &crate::urls::Urls,
    event: &outbox_event::Model,
    forum: &Url,
) -> Result<Option<Url>, FedError> {
    let Some(actor_id) = event.actor_id else {
        return Ok(Some(forum.clone()));
    };
    Ok(users::by_id(txn, actor_id)
        .await?
        .map(|actor| urls.user(&actor.name)))
}

/// Where a forum's moderation goes: announced by the forum to its followers' inboxes.
struct Told<'a, C> {
    txn: &'a C,
    forum: &'a Url,
    followers: &'a Url,
    inboxes: &'a [Url],
    signer: Signer,
    announce_id: Url,
}

impl<C: ConnectionTrait> Told<'_, C> {
    async fn send<O: serde::Serialize>(&self, activity: Outgoing<O>) -> Result<(), FedError> {
        let announce = activities::forum_announce(
            self.forum,
            self.followers,
            self.announce_id.clone(),
            activity,
        );
        delivery::enqueue(self.txn, &announce, self.signer, self.inboxes).await
    }
}
