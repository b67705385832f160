//! What decides how a batch of replies is written, read in one statement: the bans in force on
//! its authors in its forums, which authors are hidden (suspended, or of a blocked server),
//! which forums have followers, and which of the people it notifies are members here and what
//! they opted out of. The reply writer holds the write lock while it reads these, so one round
//! trip instead of four shortens every batch.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::fetch_all;
use super::notifications::{Recipients, recipients_select};
use crate::{forum_ban, forum_follower, notification_optout, user};

/// What the batch's forums and authors are, as far as writing their replies goes.
#[derive(Debug, Default)]
pub struct Gate {
    /// (forum, member) pairs under a ban in force.
    pub banned: HashSet<(i64, i64)>,
    /// Authors whose posts are hidden.
    pub hidden: HashSet<i64>,
    /// Forums with at least one follower.
    pub followed: HashSet<i64>,
    /// Of the members asked about, those here and the kinds they opted out of.
    pub recipients: Recipients,
}

// The kinds of row the union returns, as SQL literals (constants, so PostgreSQL needs no
// parameter types for them).
const BAN: i64 = 1;
const HIDDEN: i64 = 2;
const FOLLOWED: i64 = 3;
const RECIPIENT: i64 = 4;

#[derive(FromQueryResult)]
struct Fact {
    fact: i64,
    forum_id: i64,
    user_id: i64,
    kind: Option<String>,
}

/// Reads the gate for these forums and authors at `now`, and for the members the batch would
/// notify.
pub async fn read<C: ConnectionTrait>(
    db: &C,
    forum_ids: &[i64],
    author_ids: &[i64],
    notified: &[i64],
    now: DateTime<Utc>,
) -> Result<Gate, DbErr> {
    let no_kind = || Expr::cust("CAST(NULL AS TEXT)");
    let mut parts: Vec<SelectStatement> = Vec::new();
    if !forum_ids.is_empty() && !author_ids.is_empty() {
        parts.push(
            Query::select()
                .expr_as(Expr::cust(format!("CAST({BAN} AS BIGINT)")), "fact")
                .expr_as(Expr::col(forum_ban::Column::ForumId), "forum_id")
                .expr_as(Expr::col(forum_ban::Column::UserId), "user_id")
                .expr_as(no_kind(), "kind")
                .from(forum_ban::Entity)
                .and_where(Expr::col(forum_ban::Column::ForumId).is_in(forum_ids.iter().copied()))
                .and_where(Expr::col(forum_ban::Column::UserId).is_in(author_ids.iter().copied()))
                .and_where(
                    Expr::col(forum_ban::Column::ExpiresAt)
                        .is_null()
                        .or(Expr::col(forum_ban::Column::ExpiresAt).gt(now)),
                )
                .to_owned(),
        );
    }
    if !author_ids.is_empty() {
        parts.push(
            Query::select()
                .expr_as(Expr::cust(format!("CAST({HIDDEN} AS BIGINT)")), "fact")
                .expr_as(Expr::cust("CAST(0 AS BIGINT)"), "forum_id")
                .expr_as(Expr::col(user::Column::Id), "user_id")
                .expr_as(no_kind(), "kind")
                .from(user::Entity)
                .and_where(Expr::col(user::Column::Id).is_in(author_ids.iter().copied()))
                .and_where(Expr::col(user::Column::HiddenBecause).is_not_null())
                .to_owned(),
        );
    }
    if !forum_ids.is_empty() {
        parts.push(
            Query::select()
                .distinct()
                .expr_as(Expr::cust(format!("CAST({FOLLOWED} AS BIGINT)")), "fact")
                .expr_as(Expr::col(forum_follower::Column::ForumId), "forum_id")
                .expr_as(Expr::cust("CAST(0 AS BIGINT)"), "user_id")
                .expr_as(no_kind(), "kind")
                .from(forum_follower::Entity)
                .and_where(
                    Expr::col(forum_follower::Column::ForumId).is_in(forum_ids.iter().copied()),
                )
                .to_owned(),
        );
    }
    if !notified.is_empty() {
        let mut part = recipients_select(notified.iter().copied());
        part.clear_selects()
            .expr_as(Expr::cust(format!("CAST({RECIPIENT} AS BIGINT)")), "fact")
            .expr_as(Expr::cust("CAST(0 AS BIGINT)"), "forum_id")
            .expr_as(Expr::col((user::Entity, user::Column::Id)), "user_id")
            .expr_as(
                Expr::col((
                    notification_optout::Entity,
                    notification_optout::Column::Kind,
                )),
                "kind",
            );
        parts.push(part);
    }
    let mut parts = parts.into_iter();
    let Some(mut select) = parts.next() else {
        return Ok(Gate::default());
    };
    for part in parts {
        select.union(UnionType::All, part);
    }
    let mut gate = Gate::default();
    for row in fetch_all::<Fact, _>(db, &select).await? {
        match row.fact {
            BAN => {
                gate.banned.insert((row.forum_id, row.user_id));
            }
            HIDDEN => {
                gate.hidden.insert(row.user_id);
            }
            FOLLOWED => {
                gate.followed.insert(row.forum_id);
            }
            _ => gate.recipients.add(row.user_id, row.kind),
        }
    }
    Ok(gate)
}
