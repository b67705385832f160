//! Outbox event kinds and payloads. The payload names the rows involved; the federation worker
//! reads the current rows when it turns an event into activities.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use stoa_db::{ConnectionTrait, queries::outbox};

use crate::CoreResult;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    ThreadCreated {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        /// The activity as the author's server sent it, for a post from elsewhere: re-broadcast
        /// as it came, never under an id made up here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    ReplyCreated {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        parent_id: i64,
        /// The activity as the author's server sent it, for a post from elsewhere: re-broadcast
        /// as it came, never under an id made up here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    PostEdited {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        /// The activity as the author's server sent it, for a post from elsewhere: re-broadcast
        /// as it came, never under an id made up here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    PostDeleted {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        /// The activity as the author's server sent it, for a post from elsewhere: re-broadcast
        /// as it came, never under an id made up here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    PostLiked {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        activity_id: Option<String>,
    },
    PostUnliked {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        activity_id: Option<String>,
    },
    /// A host or an admin removed a post, for `reason`; the post stays for the author, the
    /// hosts and the admins to read.
    PostRemoved {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        reason: String,
    },
    /// A removed post is back.
    PostRestored {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
    },
    /// A member here reported a post of a forum elsewhere to its moderators.
    PostReported {
        forum_id: i64,
        thread_id: i64,
        post_id: i64,
        /// The reason and the member's words.
        reason: String,
    },
    /// A thread takes no more replies (`locked`), or takes them again.
    ThreadLocked {
        forum_id: i64,
        thread_id: i64,
        locked: bool,
    },
    /// A member became a host of a forum here (`appointed`), or stopped being one.
    HostChanged {
        forum_id: i64,
        member_id: i64,
        appointed: bool,
    },
    /// A member, here or elsewhere, may no longer post in a forum here, for `reason`, until
    /// `until` (or for good).
    MemberBanned {
        forum_id: i64,
        member_id: i64,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
    },
    /// A forum's statement of purpose changed.
    ForumUpdated { forum_id: i64 },
    /// A ban is lifted.
    MemberUnbanned { forum_id: i64, member_id: i64 },
    /// Someone elsewhere follows a forum here: the forum accepts their Follow `follow_id`.
    FollowerAdded {
        forum_id: i64,
        follower_id: i64,
        follow_id: String,
    },
    /// A member here sends a Follow to a forum elsewhere.
    FollowSent {
        forum_id: i64,
        member_id: i64,
        follow_id: String,
    },
    /// A member here takes back their Follow `follow_id` of a forum elsewhere.
    FollowUndone {
        forum_id: i64,
        member_id: i64,
        follow_id: String,
    },
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::ThreadCreated { .. } => "thread_created",
            Event::ReplyCreated { .. } => "reply_created",
            Event::PostEdited { .. } => "post_edited",
            Event::PostDeleted { .. } => "post_deleted",
            Event::PostLiked { .. } => "post_liked",
            Event::PostUnliked { .. } => "post_unliked",
            Event::PostRemoved { .. } => "post_removed",
            Event::PostRestored { .. } => "post_restored",
            Event::ThreadLocked { .. } => "thread_locked",
            Event::PostReported { .. } => "post_reported",
            Event::HostChanged { .. } => "host_changed",
            Event::MemberBanned { .. } => "member_banned",
            Event::ForumUpdated { .. } => "forum_updated",
            Event::MemberUnbanned { .. } => "member_unbanned",
            Event::FollowerAdded { .. } => "follower_added",
            Event::FollowSent { .. } => "follow_sent",
            Event::FollowUndone { .. } => "follow_undone",
        }
    }

    /// The row the event is about: the post, the thread for a lock, the member for a ban, the
    /// forum for a follow or a host.
    fn subject_id(&self) -> i64 {
        match self {
            Event::ThreadCreated { post_id, .. }
            | Event::ReplyCreated { post_id, .. }
            | Event::PostEdited { post_id, .. }
            | Event::PostDeleted { post_id, .. }
            | Event::PostLiked { post_id, .. }
            | Event::PostUnliked { post_id, .. }
            | Event::PostRemoved { post_id, .. }
            | Event::PostRestored { post_id, .. }
            | Event::PostReported { post_id, .. } => *post_id,
            Event::ThreadLocked { thread_id, .. } => *thread_id,
            Event::MemberBanned { member_id, .. } | Event::MemberUnbanned { member_id, .. } => {
                *member_id
            }
            Event::HostChanged { forum_id, .. }
            | Event::ForumUpdated { forum_id }
            | Event::FollowerAdded { forum_id, .. }
            | Event::FollowSent { forum_id, .. }
            | Event::FollowUndone { forum_id, .. } => *forum_id,
        }
    }
}

/// Appends an event; call it with the transaction that makes the change.
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    actor_id: i64,
    event: &Event,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    record_as(txn, Some(actor_id), event, now).await
}

/// Appends an event done by a member (`Some`), or by no one member — a jury's verdict, which
/// the forum itself announces.
pub async fn record_as<C: ConnectionTrait>(
    txn: &C,
    actor_id: Option<i64>,
    event: &Event,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut row = new_event(actor_id.unwrap_or_default(), event, now)?;
    row.actor_id = actor_id;
    outbox::append(txn, row).await?;
    Ok(())
}

/// The outbox row of an event, for [`outbox::append_many`].
pub fn new_event(
    actor_id: i64,
    event: &Event,
    now: DateTime<Utc>,
) -> CoreResult<outbox::NewEvent<'static>> {
    let payload = serde_json::to_string(event)
        .map_err(|e| crate::CoreError::Internal(format!("event payload: {e}")))?;
    Ok(outbox::NewEvent {
        kind: event.kind(),
        actor_id: Some(actor_id),
        subject_id: event.subject_id(),
        payload,
        now,
    })
}
