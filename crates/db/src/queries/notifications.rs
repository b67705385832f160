//! Notifications: written for members here who did not opt out of their kind, listed newest
//! first, counted while unread.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

use super::{Page, fetch_all};
use crate::writes::Writes;
use crate::{notification, notification_optout, thread, user};

/// One thing to tell one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: &'static str,
    pub actor_id: Option<i64>,
    pub post_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub detail: Option<String>,
}

/// Who of some members is a member here, with the kinds each opted out of: what decides which
/// notifications are written.
#[derive(Debug, Default, Clone)]
pub struct Recipients {
    pub local: HashSet<i64>,
    pub opted_out: HashSet<(i64, String)>,
}

impl Recipients {
    /// Adds a member here and a kind they opted out of, if any.
    pub fn add(&mut self, id: i64, opted_out: Option<String>) {
        self.local.insert(id);
        if let Some(kind) = opted_out {
            self.opted_out.insert((id, kind));
        }
    }

    /// Adds what another read found.
    pub fn extend(&mut self, other: Recipients) {
        self.local.extend(other.local);
        self.opted_out.extend(other.opted_out);
    }
}

/// The left join of members here and their opt-outs, for these ids; one statement.
pub(crate) fn recipients_select(ids: impl IntoIterator<Item = i64>) -> SelectStatement {
    Query::select()
        .column((user::Entity, user::Column::Id))
        .column((
            notification_optout::Entity,
            notification_optout::Column::Kind,
        ))
        .from(user::Entity)
        .join(
            JoinType::LeftJoin,
            notification_optout::Entity,
            Expr::col((
                notification_optout::Entity,
                notification_optout::Column::UserId,
            ))
            .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((user::Entity, user::Column::Id)).is_in(ids))
        .and_where(Expr::col((user::Entity, user::Column::Local)).eq(true))
        .to_owned()
}

/// Reads which of these members are here, and what they opted out of.
pub async fn recipients<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Recipients, DbErr> {
    let mut found = Recipients::default();
    if ids.is_empty() {
        return Ok(found);
    }
    for row in fetch_all::<LocalRow, _>(db, &recipients_select(ids.iter().copied())).await? {
        found.add(row.id, row.kind);
    }
    Ok(found)
}

/// Writes the notifications meant for members here who have not opted out of their kind; the
/// others are dropped.
pub async fn notify<C: ConnectionTrait>(
    db: &C,
    items: Vec<NewNotification>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if items.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<i64> = items.iter().map(|n| n.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = recipients(db, &ids).await?;
    let mut writes = Writes::for_connection(db);
    notify_among(&mut writes, items, now, &found);
    writes.run(db).await
}

/// [`notify`] with the recipients already read (they must include everyone `items` names).
pub fn notify_among(
    writes: &mut Writes,
    items: Vec<NewNotification>,
    now: DateTime<Utc>,
    recipients: &Recipients,
) {
    // One notification per member and post: the first that member wants (a reply to them
    // that mentions them is told as a reply, or as a mention to one who opted out of replies).
    let mut told_of: HashSet<(i64, i64)> = HashSet::new();
    let rows: Vec<notification::ActiveModel> = items
        .into_iter()
        .filter(|n| recipients.local.contains(&n.user_id))
        .filter(|n| {
            !recipients
                .opted_out
                .contains(&(n.user_id, n.kind.to_owned()))
        })
        .filter(|n| {
            n.post_id
                .is_none_or(|post| told_of.insert((n.user_id, post)))
        })
        .map(|n| notification::ActiveModel {
            user_id: Set(n.user_id),
            kind: Set(n.kind.to_owned()),
            actor_id: Set(n.actor_id),
            post_id: Set(n.post_id),
            thread_id: Set(n.thread_id),
            alert_id: Set(n.alert_id),
            detail: Set(n.detail),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        writes.push(&notification::Entity::insert_many(rows));
    }
}

#[derive(FromQueryResult)]
struct LocalRow {
    id: i64,
    kind: Option<String>,
}

/// How many of a member's notifications are unread.
pub async fn unread_count<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// A notification as a list shows it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub post_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub actor_name: Option<String>,
    pub thread_title: Option<String>,
}

/// A member's notifications, newest first.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    offset: u64,
    limit: u64,
) -> Result<Page<NotificationRow>, DbErr> {
    let n = notification::Entity;
    let actor = Alias::new("actor");
    let select = Query::select()
        .columns([
            (n, notification::Column::Id),
            (n, notification::Column::Kind),
            (n, notification::Column::PostId),
            (n, notification::Column::ThreadId),
            (n, notification::Column::AlertId),
            (n, notification::Column::Detail),
            (n, notification::Column::CreatedAt),
            (n, notification::Column::ReadAt),
        ])
        .expr_as(
            Expr::col((actor.clone(), user::Column::Name)),
            Alias::new("actor_name"),
        )
        .expr_as(
            Expr::col((thread::Entity, thread::Column::Title)),
            Alias::new("thread_title"),
        )
        .from(n)
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            actor.clone(),
            Expr::col((actor, user::Column::Id)).equals((n, notification::Column::ActorId)),
        )
        .join(
            JoinType::LeftJoin,
            thread::Entity,
            Expr::col((thread::Entity, thread::Column::Id))
                .equals((n, notification::Column::ThreadId)),
        )
        .and_where(Expr::col((n, notification::Column::UserId)).eq(user_id))
        .order_by((n, notification::Column::Id), Order::Desc)
        .offset(offset)
        .limit(limit + 1)
        .to_owned();
    Ok(Page::from_overfetch(fetch_all(db, &select).await?, limit))
}

/// Marks all of a member's notifications read.
pub async fn mark_read<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let done = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// The kinds a member opted out of.
pub async fn optouts<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<Vec<String>, DbErr> {
    notification_optout::Entity::find()
        .select_only()
        .column(notification_optout::Column::Kind)
        .filter(notification_optout::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await
}

/// Replaces the kinds a member opted out of.
pub async fn set_optouts<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    kinds: &[&str],
) -> Result<(), DbErr> {
    notification_optout::Entity::delete_many()
        .filter(notification_optout::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if kinds.is_empty() {
        return Ok(());
    }
    notification_optout::Entity::insert_many(kinds.iter().map(|kind| {
        notification_optout::ActiveModel {
            user_id: Set(user_id),
            kind: Set((*kind).to_owned()),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Local members by name (any case), for mentions: (id, name).
pub async fn local_members_named<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Vec<(i64, String)>, DbErr> {
    use sea_orm::sea_query::Func;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let lowered: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Local.eq(true))
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Name))).is_in(lowered))
        .into_tuple()
        .all(db)
        .await
}
