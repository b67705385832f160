//! Moderation by a forum's hosts and the instance's admins: appointing hosts, locking threads,
//! removing and restoring posts — each written with its outbox event and its row of the public
//! moderation log in one transaction. Who may do what is decided here and nowhere else.

use chrono::{DateTime, Utc};
use stoa_db::queries::moderation::{self, LogRow, NewAction, NewBan, Removal};
use stoa_db::queries::{Page, forums, posts, threads, users};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait, forum, post, thread};

use crate::events::{self, Event};
use crate::posts::Created;
use crate::{Actor, CoreError, CoreResult};

/// Longest reason for a removal or a lock, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Entries of the moderation log per page.
pub const LOG_PER_PAGE: u64 = 50;

/// The role in which someone moderates a forum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Host,
    Admin,
}

impl Role {
    /// The word stored in the log and shown on it.
    pub fn word(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Admin => "admin",
        }
    }
}

/// The actor's role in a forum: an admin moderates everywhere, a host their forums; `None` for
/// everyone else.
pub async fn role_in<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    forum_id: i64,
) -> CoreResult<Option<Role>> {
    if actor.is_admin {
        return Ok(Some(Role::Admin));
    }
    Ok(moderation::is_host(db, forum_id, actor.id)
        .await?
        .then_some(Role::Host))
}

/// The role of whoever looks at a forum's content, signed in or not: a guest has none.
pub async fn viewer_role<C: ConnectionTrait>(
    db: &C,
    viewer: Option<&Actor>,
    forum_id: i64,
) -> CoreResult<Option<Role>> {
    match viewer {
        Some(viewer) => role_in(db, viewer, forum_id).await,
        None => Ok(None),
    }
}

async fn require_role<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    forum_id: i64,
) -> CoreResult<Role> {
    role_in(db, actor, forum_id)
        .await?
        .ok_or(CoreError::Forbidden(
            "Only the forum's hosts and the admins may do that.",
        ))
}

/// A reason as given: trimmed, not empty, not too long.
pub(crate) fn reason(text: &str) -> CoreResult<&str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CoreError::invalid("reason", "say why"));
    }
    if text.chars().count() > REASON_MAX_CHARS {
        return Err(CoreError::invalid(
            "reason",
            format!("a reason is at most {REASON_MAX_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// A local member by name, for appointing or dismissing a host.
async fn local_member<C: ConnectionTrait>(db: &C, name: &str) -> CoreResult<stoa_db::user::Model> {
    users::by_name(db, name)
        .await?
        .filter(|u| u.local)
        .ok_or(CoreError::NotFound("member"))
}

/// Makes a member here a host of a forum here (`appoint`), or dismisses them. Admins only.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn set_host<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    member_name: &str,
    appoint: bool,
) -> CoreResult<()> {
    if !actor.is_admin {
        return Err(CoreError::Forbidden(
            "Only admins appoint and dismiss hosts.",
        ));
    }
    let txn = stoa_db::begin_write(db).await?;
    let forum = crate::forums::find_local(&txn, forum_slug).await?;
    let member = local_member(&txn, member_name).await?;
    let now = Utc::now();
    let is_host = moderation::is_host(&txn, forum.id, member.id).await?;
    match (appoint, is_host) {
        (true, true) | (false, false) => return Ok(()),
        (true, false) => forums::add_host(&txn, forum.id, member.id, now).await?,
        (false, true) => {
            moderation::remove_host(&txn, forum.id, member.id).await?;
        }
    }
    let action = if appoint {
        "appoint_host"
    } else {
        "dismiss_host"
    };
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(forum.id),
            action,
            actor_id: Some(actor.id),
            actor_role: Role::Admin.word(),
            thread_id: None,
            post_id: None,
            member_id: Some(member.id),
            domain: None,
            reason: None,
            now,
        },
    )
    .await?;
    let event = Event::HostChanged {
        forum_id: forum.id,
        member_id: member.id,
        appointed: appoint,
    };
    events::record(&txn, actor.id, &event, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Rewrites a forum's statement of purpose, which keeps it on its subject. Hosts and admins.
#[tracing::instrument(skip(db, purpose), fields(actor = actor.id))]
pub async fn set_purpose<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let purpose = purpose.trim();
    if purpose.chars().count() > crate::forums::PURPOSE_MAX {
        return Err(CoreError::invalid(
            "purpose",
            format!(
                "a statement of purpose has at most {} characters",
                crate::forums::PURPOSE_MAX
            ),
        ));
    }
    let txn = stoa_db::begin_write(db).await?;
    let forum = crate::forums::find_local(&txn, forum_slug).await?;
    let role = require_role(&txn, actor, forum.id).await?;
    if forum.purpose == purpose {
        return Ok(());
    }
    forums::set_purpose(&txn, forum.id, purpose).await?;
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(forum.id),
            action: "edit_purpose",
            actor_id: Some(actor.id),
            actor_role: role.word(),
            thread_id: None,
            post_id: None,
            member_id: None,
            domain: None,
            reason: Some(purpose),
            now,
        },
    )
    .await?;
    let event = Event::ForumUpdated { forum_id: forum.id };
    events::record(&txn, actor.id, &event, now).await?;
    txn.commit().await?;
    Ok(())
}

/// A ban to write: why, and until when (`None`: for good).
#[derive(Debug, Clone, Copy)]
pub struct Ban<'a> {
    pub reason: &'a str,
    pub until: Option<DateTime<Utc>>,
}

/// Bans a member — here or elsewhere, by name (`name` or `name@host`) — from posting in a forum
/// here (`Some`), or lifts the ban (`None`). Hosts and admins; the forum's hosts and the admins
/// themselves cannot be banned.
#[tracing::instrument(skip(db, ban), fields(actor = actor.id))]
pub async fn set_ban<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    member_name: &str,
    ban: Option<Ban<'_>>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let why = ban.map(|b| reason(b.reason)).transpose()?;
    if let Some(until) = ban.and_then(|b| b.until)
        && until <= now
    {
        return Err(CoreError::invalid("until", "a ban ends in the future"));
    }
    let txn = stoa_db::begin_write(db).await?;
    let forum = crate::forums::find_local(&txn, forum_slug).await?;
    let role = require_role(&txn, actor, forum.id).await?;
    let member = users::by_name(&txn, member_name.trim().trim_start_matches('@'))
        .await?
        .ok_or(CoreError::NotFound("member"))?;
    let event = match (ban, why) {
        (Some(ban), Some(why)) => {
            if member.is_admin || moderation::is_host(&txn, forum.id, member.id).await? {
                return Err(CoreError::Forbidden(
                    "The forum's hosts and the admins cannot be banned from it.",
                ));
            }
            moderation::ban(
                &txn,
                NewBan {
                    forum_id: forum.id,
                    user_id: member.id,
                    reason: why,
                    by: actor.id,
                    now,
                    until: ban.until,
                },
            )
            .await?;
            Event::MemberBanned {
                forum_id: forum.id,
                member_id: member.id,
                reason: why.to_owned(),
                until: ban.until,
            }
        }
        _ => {
            if !moderation::unban(&txn, forum.id, member.id).await? {
                return Err(CoreError::Conflict(
                    "This member is not banned here.".into(),
                ));
            }
            Event::MemberUnbanned {
                forum_id: forum.id,
                member_id: member.id,
            }
        }
    };
    let (action, logged) = match (&event, ban) {
        (
            Event::MemberBanned { reason, .. },
            Some(Ban {
                until: Some(until), ..
            }),
        ) => (
            "ban",
            Some(format!(
                "{reason} (until {})",
                until.format("%Y-%m-%d %H:%M UTC")
            )),
        ),
        (Event::MemberBanned { reason, .. }, _) => ("ban", Some(reason.clone())),
        _ => ("unban", None),
    };
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(forum.id),
            action,
            actor_id: Some(actor.id),
            actor_role: role.word(),
            thread_id: None,
            post_id: None,
            member_id: Some(member.id),
            domain: None,
            reason: logged.as_deref(),
            now,
        },
    )
    .await?;
    events::record(&txn, actor.id, &event, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether a member may post in a forum at `now`: not while a ban on them there is in force.
pub async fn ensure_not_banned<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    member_id: i64,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    if moderation::banned(db, &[forum_id], &[member_id], now)
        .await?
        .is_empty()
    {
        Ok(())
    } else {
        Err(BANNED)
    }
}

/// The refusal a banned member's post gets.
pub const BANNED: CoreError = CoreError::Forbidden("you are banned from this forum");

/// A forum and its bans in force, with the members' names, for its hosts and the admins.
pub async fn bans<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    forum_slug: &str,
    now: DateTime<Utc>,
) -> CoreResult<(forum::Model, Vec<(stoa_db::forum_ban::Model, String)>)> {
    let forum = crate::forums::find_local(db, forum_slug).await?;
    require_role(db, actor, forum.id).await?;
    let bans = moderation::bans_in(db, forum.id, now).await?;
    Ok((forum, bans))
}

/// Locks a thread (no more replies, from here or elsewhere) or unlocks it. Hosts and admins.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn set_locked<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    thread_id: i64,
    locked: bool,
    why: Option<&str>,
) -> CoreResult<()> {
    let why = why
        .filter(|w| !w.trim().is_empty())
        .map(reason)
        .transpose()?;
    let txn = stoa_db::begin_write(db).await?;
    let thread = find_thread(&txn, thread_id).await?;
    let role = require_role(&txn, actor, thread.forum_id).await?;
    if thread.locked == locked {
        return Ok(());
    }
    let now = Utc::now();
    moderation::set_locked(&txn, thread.id, locked).await?;
    let act = Act {
        thread: &thread,
        post: None,
        actor,
        role,
    };
    let event = Event::ThreadLocked {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        locked,
    };
    let action = if locked { "lock" } else { "unlock" };
    act.record(&txn, action, why, event, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What a moderator of a forum elsewhere did, as its server announced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElsewhereAct<'a> {
    /// A moderator's removal; `jury` when the forum itself removed it for a jury's verdict.
    Remove {
        post_id: i64,
        reason: &'a str,
        jury: bool,
    },
    Restore {
        post_id: i64,
    },
    Lock {
        thread_id: i64,
        locked: bool,
    },
}

/// Applies here what a moderator of a forum elsewhere did to its content: the removal, restore
/// or lock shows on its copy here as it would on a forum of ours, the log keeps it and the
/// author here is told. Federation checks that `moderator` moderates that forum; this checks
/// the forum is another server's and the content is in it. Nothing is announced: it is not
/// ours to announce.
pub async fn act_from_elsewhere<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    forum_id: i64,
    moderator: Option<&Actor>,
    act: ElsewhereAct<'_>,
) -> CoreResult<()> {
    let txn = stoa_db::begin_write(db).await?;
    forums::by_id(&txn, forum_id)
        .await?
        .filter(|f| !f.local)
        .ok_or(CoreError::Forbidden(
            "a forum here is moderated by its hosts here",
        ))?;
    let now = Utc::now();
    let (thread, post) = match act {
        ElsewhereAct::Remove { post_id, .. } | ElsewhereAct::Restore { post_id } => {
            let (post, thread) = find_post(&txn, post_id).await?;
            (thread, Some(post))
        }
        ElsewhereAct::Lock { thread_id, .. } => (find_thread(&txn, thread_id).await?, None),
    };
    if thread.forum_id != forum_id {
        return Err(CoreError::Forbidden(
            "a forum's moderators act on that forum's content only",
        ));
    }
    let by_jury = matches!(act, ElsewhereAct::Remove { jury: true, .. });
    let role = if by_jury { "jury" } else { Role::Host.word() };
    let moderator_id = moderator.map(|m| m.id).filter(|_| !by_jury);
    let (action, why) = match act {
        ElsewhereAct::Remove {
            post_id, reason, ..
        } => {
            if post.as_ref().is_some_and(|p| p.removed_at.is_some()) {
                return Ok(());
            }
            let reason = match reason.trim() {
                "" => "Removed by a moderator",
                text => text,
            };
            let reason: String = reason.chars().take(REASON_MAX_CHARS).collect();
            let removal = Removal {
                by: moderator_id,
                kind: role,
                reason: &reason,
                at: now,
            };
            moderation::set_removal(&txn, post_id, Some(removal)).await?;
            (if by_jury { "jury_hide" } else { "remove" }, Some(reason))
        }
        ElsewhereAct::Restore { post_id } => {
            if post.as_ref().is_none_or(|p| p.removed_at.is_none()) {
                return Ok(());
            }
            moderation::set_removal(&txn, post_id, None).await?;
            ("restore", None)
        }
        ElsewhereAct::Lock { thread_id, locked } => {
            if thread.locked == locked {
                return Ok(());
            }
            moderation::set_locked(&txn, thread_id, locked).await?;
            (if locked { "lock" } else { "unlock" }, None)
        }
    };
    threads::bump_revision(&txn, thread.id).await?;
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(forum_id),
            action,
            actor_id: moderator_id,
            actor_role: role,
            thread_id: Some(thread.id),
            post_id: post.as_ref().map(|p| p.id),
            member_id: post.as_ref().map(|p| p.author_id),
            domain: None,
            reason: why.as_deref(),
            now,
        },
    )
    .await?;
    let author = post.as_ref().map_or(thread.author_id, |p| p.author_id);
    let told = told_author(
        author,
        moderator_id,
        &thread,
        post.as_ref(),
        action,
        why.as_deref(),
    );
    crate::notifications::notify(&txn, vec![told]).await?;
    txn.commit().await?;
    Ok(())
}

/// Applies here a ban of a member here from a forum elsewhere (`Some`), or its lifting, as its
/// moderator announced it: the member's posts to that forum are refused here, before they are
/// sent, the log keeps it and the member is told. A ban of someone of another server is that
/// server's business and is ignored. Federation checks that `moderator` moderates the forum.
pub async fn ban_from_elsewhere<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    forum_id: i64,
    moderator: &Actor,
    member_id: i64,
    ban: Option<Ban<'_>>,
) -> CoreResult<()> {
    let txn = stoa_db::begin_write(db).await?;
    forums::by_id(&txn, forum_id)
        .await?
        .filter(|f| !f.local)
        .ok_or(CoreError::Forbidden(
            "a forum here is moderated by its hosts here",
        ))?;
    let Some(member) = users::by_id(&txn, member_id).await?.filter(|u| u.local) else {
        return Ok(());
    };
    let now = Utc::now();
    let (action, why) = match ban {
        Some(ban) => {
            let why: String = match ban.reason.trim() {
                "" => "Banned by a moderator".to_owned(),
                text => text.chars().take(REASON_MAX_CHARS).collect(),
            };
            moderation::ban(
                &txn,
                NewBan {
                    forum_id,
                    user_id: member.id,
                    reason: &why,
                    by: moderator.id,
                    now,
                    until: ban.until,
                },
            )
            .await?;
            ("ban", Some(why))
        }
        None => {
            if !moderation::unban(&txn, forum_id, member.id).await? {
                return Ok(());
            }
            ("unban", None)
        }
    };
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(forum_id),
            action,
            actor_id: Some(moderator.id),
            actor_role: Role::Host.word(),
            thread_id: None,
            post_id: None,
            member_id: Some(member.id),
            domain: None,
            reason: why.as_deref(),
            now,
        },
    )
    .await?;
    let told = stoa_db::queries::notifications::NewNotification {
        actor_id: Some(moderator.id),
        detail: Some(match &why {
            Some(why) => format!("banned you from the forum: {why}"),
            None => "lifted your ban from the forum".to_owned(),
        }),
        ..crate::notifications::new(crate::notifications::Kind::Moderation, member.id)
    };
    crate::notifications::notify(&txn, vec![told]).await?;
    txn.commit().await?;
    Ok(())
}

/// A thread the actor may move (as a host of its forum or an admin), for the form that does it.
pub async fn thread_to_move<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    thread_id: i64,
) -> CoreResult<threads::ThreadHeader> {
    let header = threads::header(db, thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    require_role(db, actor, header.forum_id).await?;
    Ok(header)
}

/// Moves a thread to another forum here. The actor must moderate both: a host of each, or an
/// admin. Both forums' counts follow, and each log says it; the old forum's followers see the
/// thread removed ("Moved to …") and the new forum's see it arrive, as a new thread — what
/// Lemmy's users can be shown, since Lemmy has no move.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn move_thread<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    thread_id: i64,
    to_slug: &str,
) -> CoreResult<()> {
    let txn = stoa_db::begin_write(db).await?;
    let thread = find_thread(&txn, thread_id).await?;
    let role = require_role(&txn, actor, thread.forum_id).await?;
    let from = forums::by_id(&txn, thread.forum_id)
        .await?
        .filter(|f| f.local)
        .ok_or(CoreError::Forbidden(
            "A thread of a forum elsewhere is moved by its own server.",
        ))?;
    let to = crate::forums::find_local(&txn, to_slug.trim()).await?;
    if to.id == from.id {
        return Err(CoreError::Conflict(
            "The thread is in that forum already.".into(),
        ));
    }
    let to_role = require_role(&txn, actor, to.id).await.map_err(|_| {
        CoreError::Forbidden("Only a host of both forums, or an admin, moves a thread.")
    })?;
    let starter = thread
        .starter_post_id
        .ok_or_else(|| CoreError::Internal("a thread without its first post".into()))?;
    let now = Utc::now();
    threads::set_forum(&txn, thread.id, to.id).await?;
    forums::recount(&txn, from.id).await?;
    forums::recount(&txn, to.id).await?;
    let act = Act {
        thread: &thread,
        post: None,
        actor,
        role,
    };
    let moved = format!("Moved to {}", to.name);
    let removal = Event::PostRemoved {
        forum_id: from.id,
        thread_id: thread.id,
        post_id: starter,
        reason: moved.clone(),
    };
    let why = format!("from {} to {}", from.name, to.name);
    act.record(&txn, "move", Some(&why), removal, now).await?;
    // The new forum's log says it too, in the role the actor has there.
    moderation::log(
        &txn,
        NewAction {
            forum_id: Some(to.id),
            action: "move",
            actor_id: Some(actor.id),
            actor_role: to_role.word(),
            thread_id: Some(thread.id),
            post_id: None,
            member_id: Some(thread.author_id),
            domain: None,
            reason: Some(&why),
            now,
        },
    )
    .await?;
    let arrived = Event::ThreadCreated {
        forum_id: to.id,
        thread_id: thread.id,
        post_id: starter,
        origin: None,
    };
    events::record(&txn, actor.id, &arrived, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a post for a reason. Its place in the tree says who removed it and why; its words
/// stay for the author, the hosts and the admins. Hosts and admins.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn remove_post<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
    why: &str,
) -> CoreResult<Created> {
    let why = reason(why)?;
    let txn = stoa_db::begin_write(db).await?;
    let (post, thread) = find_post(&txn, post_id).await?;
    let role = require_role(&txn, actor, thread.forum_id).await?;
    if post.removed_at.is_some() {
        return Err(CoreError::Conflict("This post is already removed.".into()));
    }
    let now = Utc::now();
    let removal = Removal {
        by: Some(actor.id),
        kind: role.word(),
        reason: why,
        at: now,
    };
    moderation::set_removal(&txn, post.id, Some(removal)).await?;
    threads::bump_revision(&txn, thread.id).await?;
    let act = Act {
        thread: &thread,
        post: Some(&post),
        actor,
        role,
    };
    let event = Event::PostRemoved {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        post_id: post.id,
        reason: why.to_owned(),
    };
    act.record(&txn, "remove", Some(why), event, now).await?;
    txn.commit().await?;
    Ok(Created {
        thread_id: thread.id,
        post_id: post.id,
    })
}

/// Puts a removed post back. Hosts and admins; a post a jury hid only an admin.
#[tracing::instrument(skip(db), fields(actor = actor.id))]
pub async fn restore_post<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
) -> CoreResult<Created> {
    let txn = stoa_db::begin_write(db).await?;
    let (post, thread) = find_post(&txn, post_id).await?;
    let role = require_role(&txn, actor, thread.forum_id).await?;
    match post.removal_kind.as_deref() {
        None => return Err(CoreError::Conflict("This post is not removed.".into())),
        Some("jury") if role != Role::Admin => {
            return Err(CoreError::Forbidden(
                "Only an admin may restore a post a jury hid.",
            ));
        }
        Some(_) => {}
    }
    let now = Utc::now();
    moderation::set_removal(&txn, post.id, None).await?;
    threads::bump_revision(&txn, thread.id).await?;
    let act = Act {
        thread: &thread,
        post: Some(&post),
        actor,
        role,
    };
    let event = Event::PostRestored {
        forum_id: thread.forum_id,
        thread_id: thread.id,
        post_id: post.id,
    };
    act.record(&txn, "restore", None, event, now).await?;
    txn.commit().await?;
    Ok(Created {
        thread_id: thread.id,
        post_id: post.id,
    })
}

/// A post the actor may remove or restore (as a host of its forum or an admin), for the form
/// that does it.
pub async fn post_to_moderate<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    post_id: i64,
) -> CoreResult<post::Model> {
    let (post, thread) = find_post(db, post_id).await?;
    require_role(db, actor, thread.forum_id).await?;
    Ok(post)
}

/// Whether a removed post's words are shown to `viewer`: its author, the forum's hosts and the
/// admins (`role`, the viewer's role in the post's forum) still read them.
pub fn sees_removed(viewer: Option<&Actor>, role: Option<Role>, author_id: i64) -> bool {
    role.is_some() || viewer.is_some_and(|v| v.id == author_id)
}

/// Why a post's words are withheld from most readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    /// `host` or `admin` (removed), or `jury` (hidden by one).
    pub by: String,
    /// The host or admin who removed it.
    pub by_name: Option<String>,
    pub reason: String,
}

/// Why a post is withheld, if it is: removed by a host or an admin, hidden by a jury, or hidden
/// with its author — suspended by the admins, or of a server they blocked.
pub fn withheld(post: &stoa_db::queries::posts::PostWithAuthor) -> Option<Withheld> {
    if post.removed_at.is_some() {
        return Some(Withheld {
            by: post.removal_kind.clone().unwrap_or_else(|| "host".into()),
            by_name: post.remover_name.clone(),
            reason: post.removal_reason.clone().unwrap_or_default(),
        });
    }
    let reason = match post.author_hidden.as_deref()? {
        stoa_db::queries::safety::HIDDEN_SUSPENDED => "Its author is suspended.",
        _ => "Its author's server is blocked.",
    };
    Some(Withheld {
        by: Role::Admin.word().to_owned(),
        by_name: None,
        reason: reason.to_owned(),
    })
}

/// One page of the moderation log, newest first: a forum's (by slug), or the instance's.
pub async fn log<C: ConnectionTrait>(
    db: &C,
    forum_slug: Option<&str>,
    page: u64,
) -> CoreResult<(Option<forum::Model>, Page<LogRow>)> {
    let forum = match forum_slug {
        Some(slug) => Some(crate::forums::find_local(db, slug).await?),
        None => None,
    };
    let offset = page.saturating_sub(1).saturating_mul(LOG_PER_PAGE);
    let rows = moderation::log_page(db, forum.as_ref().map(|f| f.id), offset, LOG_PER_PAGE).await?;
    Ok((forum, rows))
}

async fn find_thread<C: ConnectionTrait>(db: &C, thread_id: i64) -> CoreResult<thread::Model> {
    threads::by_id(db, thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))
}

/// A post that is there to moderate (not deleted by its author), with its thread.
async fn find_post<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
) -> CoreResult<(post::Model, thread::Model)> {
    let post = posts::by_id(db, post_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(CoreError::NotFound("post"))?;
    let thread = find_thread(db, post.thread_id).await?;
    Ok((post, thread))
}

/// What the author of a post (or thread) is told of a moderator's act on it, here or elsewhere:
/// "removed your post: Spam."
fn told_author(
    author: i64,
    moderator: Option<i64>,
    thread: &thread::Model,
    post: Option<&post::Model>,
    action: &str,
    why: Option<&str>,
) -> stoa_db::queries::notifications::NewNotification {
    let done = match action {
        "lock" => "locked your thread",
        "unlock" => "unlocked your thread",
        "move" => "moved your thread",
        "remove" => "removed your post",
        "jury_hide" => "hid your post",
        "restore" => "restored your post",
        _ => "moderated your post",
    };
    stoa_db::queries::notifications::NewNotification {
        actor_id: moderator,
        thread_id: Some(thread.id),
        post_id: post.map(|p| p.id),
        detail: Some(match why {
            Some(why) => format!("{done}: {why}"),
            None => done.to_owned(),
        }),
        ..crate::notifications::new(crate::notifications::Kind::Moderation, author)
    }
}

/// A host's or admin's act on a thread or one of its posts, as the log records it.
struct Act<'a> {
    thread: &'a thread::Model,
    post: Option<&'a post::Model>,
    actor: &'a Actor,
    role: Role,
}

impl Act<'_> {
    /// Writes the act's log row and its outbox event, and tells the author of the post (or
    /// thread) it was about, in the caller's transaction.
    async fn record<C: ConnectionTrait>(
        &self,
        txn: &C,
        action: &str,
        why: Option<&str>,
        event: Event,
        now: DateTime<Utc>,
    ) -> CoreResult<()> {
        moderation::log(
            txn,
            NewAction {
                forum_id: Some(self.thread.forum_id),
                action,
                actor_id: Some(self.actor.id),
                actor_role: self.role.word(),
                thread_id: Some(self.thread.id),
                post_id: self.post.map(|p| p.id),
                member_id: self.post.map(|p| p.author_id),
                domain: None,
                reason: why,
                now,
            },
        )
        .await?;
        let author = self.post.map_or(self.thread.author_id, |p| p.author_id);
        let told = told_author(
            author,
            Some(self.actor.id),
            self.thread,
            self.post,
            action,
            why,
        );
        crate::notifications::notify(txn, vec![told]).await?;
        events::record(txn, self.actor.id, &event, now).await
    }
}
