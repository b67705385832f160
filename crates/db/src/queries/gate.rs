//! What decides how a batch of replies is written, read in one statement: the bans in force on
//! its authors in its forums, which authors are hidden (suspended, or of a blocked server),
//! which forums have followers, and which of the people it notifies are members here and what
//! they opted out of. The reply writer holds the write lock while it reads these, so one round
//! trip instead of four shortens every batch.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryTrait};

use super::fetch_all;
use super::moderation::bans_in_force;
use super::notifications::{Recipients, recipients_select};
use super::safety::hidden;
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
    let no_id = || Expr::cust("CAST(0 AS BIGINT)");
    // Each part is the query its single-purpose reader runs, given the union's columns.
    let mut parts: Vec<SelectStatement> = Vec::new();
    let mut add =
        |mut part: SelectStatement, fact: i64, forum_id: Expr, user_id: Expr, kind: Expr| {
            part.clear_selects()
                .expr_as(Expr::cust(format!("CAST({fact} AS BIGINT)")), "fact")
                .expr_as(forum_id, "forum_id")
                .expr_as(user_id, "user_id")
                .expr_as(kind, "kind");
            parts.push(part);
        };
    if !forum_ids.is_empty() && !author_ids.is_empty() {
        add(
            bans_in_force(forum_ids, author_ids, now).into_query(),
            BAN,
            Expr::col((forum_ban::Entity, forum_ban::Column::ForumId)),
            Expr::col((forum_ban::Entity, forum_ban::Column::UserId)),
            no_kind(),
        );
    }
    if !author_ids.is_empty() {
        add(
            hidden(author_ids).into_query(),
            HIDDEN,
            no_id(),
            Expr::col((user::Entity, user::Column::Id)),
            no_kind(),
        );
    }
    if !forum_ids.is_empty() {
        let mut followed = Query::select()
            .from(forum_follower::Entity)
            .and_where(
                Expr::col((forum_follower::Entity, forum_follower::Column::ForumId))
                    .is_in(forum_ids.iter().copied()),
            )
            .to_owned();
        followed.distinct();
        add(
            followed,
            FOLLOWED,
            Expr::col((forum_follower::Entity, forum_follower::Column::ForumId)),
            no_id(),
            no_kind(),
        );
    }
    if !notified.is_empty() {
        add(
            recipients_select(notified.iter().copied()),
            RECIPIENT,
            no_id(),
            Expr::col((user::Entity, user::Column::Id)),
            Expr::col((
                notification_optout::Entity,
                notification_optout::Column::Kind,
            )),
        );
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
