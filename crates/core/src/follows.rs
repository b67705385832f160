//! Follows, both directions: someone elsewhere following a forum here, and a member here
//! following a forum elsewhere. Each change and the outbox event that tells the other server
//! are written in one transaction; federation turns the events into `Accept`, `Follow` and
//! `Undo{Follow}` and the answers it receives into calls here.
//!
//! The ids of the `Follow` activities are given by the caller: they are ActivityPub ids, which
//! only federation knows how to make, and each sending needs a new one (servers drop an id they
//! have seen, so a Follow sent again under its first id would never be read).

use chrono::{DateTime, Utc};
use stoa_db::forum_subscription;
use stoa_db::queries::{followers, forums, subscriptions, users};
use stoa_db::{ConnectionTrait, DatabaseConnection};

use crate::events::{self, Event};
use crate::{CoreError, CoreResult};

/// A pending Follow is sent again after this long without an answer …
pub const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(5);
/// … and at most this many times in all.
pub const MAX_SENDS: i32 = 5;
/// Most pending Follows sent again in one round.
const RESEND_PER_ROUND: u64 = 50;

/// Where a member's following of a forum elsewhere stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Following {
    /// The Follow was sent (again, if it was pending already); no answer yet.
    Pending,
    /// The forum's server accepted it.
    Accepted,
}

/// Someone of another server follows a forum here: they are stored as a follower and the
/// forum's `Accept` is queued. Following again (servers re-send a Follow they think was lost)
/// keeps the first row and answers the new Follow.
pub async fn add_follower(
    db: &DatabaseConnection,
    forum_id: i64,
    follower_id: i64,
    follow_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let forum = forums::by_id(db, forum_id)
        .await?
        .filter(|f| f.local)
        .ok_or(CoreError::NotFound("forum"))?;
    let follower = users::by_id(db, follower_id)
        .await?
        .ok_or(CoreError::NotFound("follower"))?;
    if follower.local {
        // Members here read the forum here; a follower is someone a copy is sent to.
        return Err(CoreError::Forbidden(
            "members of this server follow no forum here",
        ));
    }
    let txn = stoa_db::begin_write(db).await?;
    followers::add(&txn, forum.id, follower.id, follow_id, now).await?;
    let event = Event::FollowerAdded {
        forum_id: forum.id,
        follower_id: follower.id,
        follow_id: follow_id.to_owned(),
    };
    events::record(&txn, follower.id, &event, now).await?;
    txn.commit().await?;
    Ok(())
}

/// A follower elsewhere stops following a forum here. Returns whether they were following it.
pub async fn remove_follower(
    db: &DatabaseConnection,
    forum_id: i64,
    follower_id: i64,
) -> CoreResult<bool> {
    Ok(followers::remove(db, forum_id, follower_id).await?)
}

/// A member here follows a forum of another server: the subscription is stored as pending and
/// the Follow queued, under the id `new_follow_id`. Following again while still pending sends
/// the Follow again under that new id; once accepted, nothing is sent.
pub async fn follow_forum(
    db: &DatabaseConnection,
    member_id: i64,
    forum_id: i64,
    new_follow_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<Following> {
    let (member, forum) = member_and_remote_forum(db, member_id, forum_id).await?;
    let txn = stoa_db::begin_write(db).await?;
    match subscriptions::get(&txn, forum.id, member.id).await? {
        Some(found) if found.accepted_at.is_some() => return Ok(Following::Accepted),
        Some(found) => subscriptions::record_resend(&txn, &found, new_follow_id, now).await?,
        None => subscriptions::insert(&txn, forum.id, member.id, new_follow_id, now).await?,
    }
    record_follow_sent(&txn, forum.id, member.id, new_follow_id, now).await?;
    txn.commit().await?;
    Ok(Following::Pending)
}

/// A member here stops following a forum elsewhere: the subscription goes and an
/// `Undo{Follow}` of the last Follow sent is queued. Returns whether they were following it.
pub async fn unfollow_forum(
    db: &DatabaseConnection,
    member_id: i64,
    forum_id: i64,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let (member, forum) = member_and_remote_forum(db, member_id, forum_id).await?;
    let txn = stoa_db::begin_write(db).await?;
    let Some(removed) = subscriptions::remove(&txn, forum.id, member.id).await? else {
        return Ok(false);
    };
    let event = Event::FollowUndone {
        forum_id: forum.id,
        member_id: member.id,
        follow_id: removed.follow_id,
    };
    events::record(&txn, member.id, &event, now).await?;
    txn.commit().await?;
    Ok(true)
}

/// The forum answered a member's Follow: accepted, the subscription is marked so; rejected,
/// it goes. Returns whether anything changed (an Accept that comes twice changes nothing).
pub async fn follow_answered(
    db: &DatabaseConnection,
    subscription: &forum_subscription::Model,
    accepted: bool,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    if accepted {
        return Ok(subscriptions::accept(db, &subscription.follow_id, now).await?);
    }
    Ok(
        subscriptions::remove(db, subscription.forum_id, subscription.user_id)
            .await?
            .is_some(),
    )
}

/// Pending Follows to send again as of `now`: unanswered for [`RESEND_AFTER`] and sent fewer
/// than [`MAX_SENDS`] times (some servers drop the first Follow from a server they have not
/// seen before). Each is sent again with [`resend_follow`].
pub async fn due_for_resend(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> CoreResult<Vec<forum_subscription::Model>> {
    Ok(subscriptions::pending_resend(db, now - RESEND_AFTER, MAX_SENDS, RESEND_PER_ROUND).await?)
}

/// Sends a pending Follow again under the new id `new_follow_id`, unless it was answered or
/// withdrawn meanwhile. Returns whether it was queued.
pub async fn resend_follow(
    db: &DatabaseConnection,
    subscription: &forum_subscription::Model,
    new_follow_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<bool> {
    let txn = stoa_db::begin_write(db).await?;
    let current = subscriptions::get(&txn, subscription.forum_id, subscription.user_id).await?;
    let Some(current) = current.filter(|s| s.accepted_at.is_none()) else {
        return Ok(false);
    };
    subscriptions::record_resend(&txn, &current, new_follow_id, now).await?;
    record_follow_sent(&txn, current.forum_id, current.user_id, new_follow_id, now).await?;
    txn.commit().await?;
    Ok(true)
}

async fn record_follow_sent<C: ConnectionTrait>(
    txn: &C,
    forum_id: i64,
    member_id: i64,
    follow_id: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let event = Event::FollowSent {
        forum_id,
        member_id,
        follow_id: follow_id.to_owned(),
    };
    events::record(txn, member_id, &event, now).await
}

/// Only a member of this server follows, and only a forum of another server.
async fn member_and_remote_forum(
    db: &DatabaseConnection,
    member_id: i64,
    forum_id: i64,
) -> CoreResult<(stoa_db::user::Model, stoa_db::forum::Model)> {
    let member = users::by_id(db, member_id)
        .await?
        .filter(|u| u.local)
        .ok_or(CoreError::NotFound("member"))?;
    let forum = forums::by_id(db, forum_id)
        .await?
        .ok_or(CoreError::NotFound("forum"))?;
    if forum.local {
        return Err(CoreError::invalid(
            "forum",
            "that forum is on this server: its threads are here already",
        ));
    }
    Ok((member, forum))
}
