//! Moderation: hosts of a forum, locked threads, removed posts and the moderation log.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{Page, fetch_all};
use crate::{forum, forum_ban, forum_host, mod_action, post, thread, user};

pub async fn is_host<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let found = forum_host::Entity::find()
        .filter(forum_host::Column::ForumId.eq(forum_id))
        .filter(forum_host::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(found > 0)
}

/// Dismisses a host; whether they were one.
pub async fn remove_host<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let done = forum_host::Entity::delete_many()
        .filter(forum_host::Column::ForumId.eq(forum_id))
        .filter(forum_host::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

pub async fn set_locked<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
    locked: bool,
) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(thread::Column::Locked, Expr::value(locked))
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(1),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Who removed a post, and why.
pub struct Removal<'a> {
    /// The host or admin; none for a jury.
    pub by: Option<i64>,
    /// `host`, `admin` or `jury`.
    pub kind: &'a str,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// Marks a post removed, or (with `None`) restores it. Its words stay in the row.
pub async fn set_removal<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
    removal: Option<Removal<'_>>,
) -> Result<(), DbErr> {
    let (at, by, kind, reason) = match removal {
        Some(r) => (
            Some(r.at),
            r.by,
            Some(r.kind.to_owned()),
            Some(r.reason.to_owned()),
        ),
        None => (None, None, None, None),
    };
    post::Entity::update_many()
        .col_expr(post::Column::RemovedAt, Expr::value(at))
        .col_expr(post::Column::RemovedBy, Expr::value(by))
        .col_expr(post::Column::RemovalKind, Expr::value(kind))
        .col_expr(post::Column::RemovalReason, Expr::value(reason))
        .filter(post::Column::Id.eq(post_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A ban as it is written.
pub struct NewBan<'a> {
    pub forum_id: i64,
    pub user_id: i64,
    pub reason: &'a str,
    pub by: i64,
    pub now: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// Bans a member from a forum, replacing an earlier ban of theirs there.
pub async fn ban<C: ConnectionTrait>(db: &C, new: NewBan<'_>) -> Result<(), DbErr> {
    unban(db, new.forum_id, new.user_id).await?;
    forum_ban::ActiveModel {
        forum_id: Set(new.forum_id),
        user_id: Set(new.user_id),
        reason: Set(new.reason.to_owned()),
        banned_by: Set(Some(new.by)),
        created_at: Set(new.now),
        expires_at: Set(new.until),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Lifts a ban; whether there was one.
pub async fn unban<C: ConnectionTrait>(db: &C, forum_id: i64, user_id: i64) -> Result<bool, DbErr> {
    let done = forum_ban::Entity::delete_many()
        .filter(forum_ban::Column::ForumId.eq(forum_id))
        .filter(forum_ban::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The bans in force at `now` on these authors in these forums, as (forum, member) pairs: one
/// statement for a whole batch of posts.
pub async fn banned<C: ConnectionTrait>(
    db: &C,
    forum_ids: &[i64],
    user_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, DbErr> {
    if forum_ids.is_empty() || user_ids.is_empty() {
        return Ok(Vec::new());
    }
    bans_in_force(forum_ids, user_ids, now)
        .select_only()
        .columns([forum_ban::Column::ForumId, forum_ban::Column::UserId])
        .into_tuple()
        .all(db)
        .await
}

/// The query behind [`banned`], for reads that combine it with others.
pub(crate) fn bans_in_force(
    forum_ids: &[i64],
    user_ids: &[i64],
    now: DateTime<Utc>,
) -> sea_orm::Select<forum_ban::Entity> {
    forum_ban::Entity::find()
        .filter(forum_ban::Column::ForumId.is_in(forum_ids.iter().copied()))
        .filter(forum_ban::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(
            forum_ban::Column::ExpiresAt
                .is_null()
                .or(forum_ban::Column::ExpiresAt.gt(now)),
        )
}

/// A forum's bans in force at `now`, with the banned members' names, newest first.
pub async fn bans_in<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(forum_ban::Model, String)>, DbErr> {
    let bans = forum_ban::Entity::find()
        .filter(forum_ban::Column::ForumId.eq(forum_id))
        .filter(
            forum_ban::Column::ExpiresAt
                .is_null()
                .or(forum_ban::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(forum_ban::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<i64> = bans.iter().map(|b| b.user_id).collect();
    let names: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(bans
        .into_iter()
        .filter_map(|ban| {
            let name = names.iter().find(|(id, _)| *id == ban.user_id)?.1.clone();
            Some((ban, name))
        })
        .collect())
}

/// One act for the log.
pub struct NewAction<'a> {
    pub forum_id: Option<i64>,
    pub action: &'a str,
    pub actor_id: Option<i64>,
    pub actor_role: &'a str,
    pub thread_id: Option<i64>,
    pub post_id: Option<i64>,
    pub member_id: Option<i64>,
    /// The server an act on a domain was about.
    pub domain: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn log<C: ConnectionTrait>(db: &C, new: NewAction<'_>) -> Result<(), DbErr> {
    mod_action::ActiveModel {
        forum_id: Set(new.forum_id),
        action: Set(new.action.to_owned()),
        actor_id: Set(new.actor_id),
        actor_role: Set(new.actor_role.to_owned()),
        thread_id: Set(new.thread_id),
        post_id: Set(new.post_id),
        member_id: Set(new.member_id),
        reason: Set(new.reason.map(str::to_owned)),
        domain: Set(new.domain.map(str::to_owned)),
        created_at: Set(new.now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A row of the log with the names a page shows.
#[derive(Debug, Clone, FromQueryResult)]
pub struct LogRow {
    pub id: i64,
    pub action: String,
    pub actor_role: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub thread_id: Option<i64>,
    pub post_id: Option<i64>,
    pub domain: Option<String>,
    pub actor_name: Option<String>,
    pub member_name: Option<String>,
    pub forum_slug: Option<String>,
    pub forum_name: Option<String>,
    pub thread_title: Option<String>,
}

/// The log, newest first: one forum's, or (`None`) the whole instance's.
pub async fn log_page<C: ConnectionTrait>(
    db: &C,
    forum_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<Page<LogRow>, DbErr> {
    let m = mod_action::Entity;
    let actor = Alias::new("actor");
    let member = Alias::new("member");
    let mut select = Query::select()
        .columns([
            (m, mod_action::Column::Id),
            (m, mod_action::Column::Action),
            (m, mod_action::Column::ActorRole),
            (m, mod_action::Column::Reason),
            (m, mod_action::Column::CreatedAt),
            (m, mod_action::Column::ThreadId),
            (m, mod_action::Column::PostId),
            (m, mod_action::Column::Domain),
        ])
        .expr_as(
            Expr::col((actor.clone(), user::Column::Name)),
            Alias::new("actor_name"),
        )
        .expr_as(
            Expr::col((member.clone(), user::Column::Name)),
            Alias::new("member_name"),
        )
        .expr_as(
            Expr::col((forum::Entity, forum::Column::Slug)),
            Alias::new("forum_slug"),
        )
        .expr_as(
            Expr::col((forum::Entity, forum::Column::Name)),
            Alias::new("forum_name"),
        )
        .expr_as(
            Expr::col((thread::Entity, thread::Column::Title)),
            Alias::new("thread_title"),
        )
        .from(m)
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            actor.clone(),
            Expr::col((actor, user::Column::Id)).equals((m, mod_action::Column::ActorId)),
        )
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            member.clone(),
            Expr::col((member, user::Column::Id)).equals((m, mod_action::Column::MemberId)),
        )
        .left_join(
            forum::Entity,
            Expr::col((forum::Entity, forum::Column::Id)).equals((m, mod_action::Column::ForumId)),
        )
        .left_join(
            thread::Entity,
            Expr::col((thread::Entity, thread::Column::Id))
                .equals((m, mod_action::Column::ThreadId)),
        )
        .order_by((m, mod_action::Column::Id), Order::Desc)
        .to_owned();
    if let Some(forum_id) = forum_id {
        select.and_where(Expr::col((m, mod_action::Column::ForumId)).eq(forum_id));
    }
    select.offset(offset).limit(limit + 1);
    Ok(Page::from_overfetch(fetch_all(db, &select).await?, limit))
}
