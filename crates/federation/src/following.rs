//! Members here following forums of other servers: finding the forum (by handle or address)
//! and turning core's follow services into what they send — the Follow, sent again under a
//! new id when no answer came, and its Undo. The rules and the stored state are core's
//! (`stoa_core::follows`).

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use chrono::{DateTime, Utc};
use stoa_core::follows::{self, Following};
use stoa_db::queries::{forums, subscriptions, users};
use stoa_db::{forum, user};
use url::Url;

use crate::activities::{self, Outgoing};
use crate::data::FedData;
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

/// A fresh id for a member's Follow: each sending is a new activity.
fn new_follow_id(data: &FedData, member_name: &str) -> String {
    format!(
        "{}/follows/{}",
        data.urls.user(member_name),
        activities::random_token()
    )
}

/// Follows a remote forum for a local member (see [`follows::follow_forum`]).
pub async fn follow(
    data: &Data<FedData>,
    member: &stoa_core::Actor,
    target: &str,
) -> Result<Subscription, FollowError> {
    let forum = resolve(data, target).await?.row;
    if crate::remote::forum_inbox(&forum).is_none() {
        return Err(FollowError::NotFound(format!(
            "the forum {} has no inbox on its own server",
            forum.slug
        )));
    }
    let state = follows::follow_forum(
        &data.db,
        member.id,
        forum.id,
        &new_follow_id(data, &member.name),
        Utc::now(),
    )
    .await
    .map_err(FedError::from)?;
    Ok(Subscription {
        forum,
        accepted: state == Following::Accepted,
    })
}

/// Stops following the remote forum shown here as `slug` (see [`follows::unfollow_forum`]).
/// Returns whether the member was following it.
pub async fn unfollow(
    data: &FedData,
    member: &stoa_core::Actor,
    slug: &str,
) -> Result<bool, FedError> {
    let Some(forum) = remote_forum(data, slug).await? else {
        return Ok(false);
    };
    Ok(follows::unfollow_forum(&data.db, member.id, forum.id, Utc::now()).await?)
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

/// Sends again every Follow core finds unanswered for too long, each under a new id, as of
/// `now`. Returns how many were queued.
pub async fn resend_pending(data: &FedData, now: DateTime<Utc>) -> Result<usize, FedError> {
    let mut sent = 0;
    for subscription in follows::due_for_resend(&data.db, now).await? {
        let Some(member) = users::by_id(&data.db, subscription.user_id).await? else {
            continue;
        };
        let id = new_follow_id(data, &member.name);
        sent += usize::from(follows::resend_follow(&data.db, &subscription, &id, now).await?);
    }
    Ok(sent)
}

/// The member's Follow of a forum elsewhere, as core recorded it: what is sent, and what its
/// Undo embeds.
fn follow_of(
    data: &FedData,
    member: &user::Model,
    forum: &forum::Model,
    follow_id: &str,
) -> Result<Outgoing<Url>, FedError> {
    let id =
        Url::parse(follow_id).map_err(|e| FedError::Rejected(format!("a Follow's id: {e}")))?;
    let forum_id = forum
        .ap_id
        .as_deref()
        .and_then(|id| Url::parse(id).ok())
        .ok_or_else(|| FedError::Rejected(format!("forum {} has no id", forum.slug)))?;
    Ok(activities::follow(
        id,
        &data.urls.user(&member.name),
        &forum_id,
    ))
}

/// Queues what a member's follow event sends to the forum elsewhere: the Follow (`undo`
/// false) or its Undo, signed by the member. Called in the transaction that processes the
/// event.
pub(crate) async fn send<C: stoa_db::ConnectionTrait>(
    data: &FedData,
    txn: &C,
    member_id: i64,
    forum_id: i64,
    follow_id: &str,
    undo: bool,
) -> Result<(), FedError> {
    let (Some(member), Some(forum)) = (
        users::by_id(txn, member_id).await?.filter(|m| m.local),
        forums::by_id(txn, forum_id).await?,
    ) else {
        return Ok(());
    };
    let Some(inbox) = crate::remote::forum_inbox(&forum) else {
        tracing::info!(forum = %forum.slug, "a followed forum has no inbox on its own server");
        return Ok(());
    };
    // Embedded in the Undo, the Follow carries no context of its own.
    let follow = follow_of(data, &member, &forum, follow_id)?;
    let signer = Signer::User(member.id);
    if undo {
        let undo = activities::undo_follow(follow)?;
        delivery::enqueue(txn, &undo, signer, &[inbox]).await
    } else {
        delivery::enqueue(txn, &follow.with_context(), signer, &[inbox]).await
    }
}
