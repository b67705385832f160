//! The persistent delivery queue: enqueue, claim what is due, record the outcome.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
};

use crate::delivery;

pub struct NewDelivery<'a> {
    /// The inbox's `host[:port]`.
    pub host: &'a str,
    /// The post it carries, for a member's post sent to a forum elsewhere.
    pub post_id: Option<i64>,
    pub activity_id: &'a str,
    pub activity: &'a str,
    pub signer_kind: &'a str,
    pub signer_id: i64,
    pub inbox: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn enqueue<C: ConnectionTrait>(db: &C, new: NewDelivery<'_>) -> Result<(), DbErr> {
    delivery::ActiveModel {
        activity_id: Set(new.activity_id.to_owned()),
        activity: Set(new.activity.to_owned()),
        signer_kind: Set(new.signer_kind.to_owned()),
        signer_id: Set(new.signer_id),
        inbox: Set(new.inbox.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(new.now),
        last_error: Set(None),
        created_at: Set(new.now),
        delivered_at: Set(None),
        gave_up_at: Set(None),
        status: Set(None),
        refused_at: Set(None),
        host: Set(new.host.to_owned()),
        post_id: Set(new.post_id),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What a worker claims: due deliveries, at most `limit` in all and `per_server` per server,
/// none for the `skipped` servers (those already at their limit, or failing).
pub struct Claim<'a> {
    pub now: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub limit: u64,
    pub per_server: u64,
    pub skipped: &'a [String],
}

/// Takes due deliveries for this worker in one statement, moving their next attempt to
/// `lease_until` so no other worker takes them meanwhile, and returns them. Each server's are
/// ranked apart (`ROW_NUMBER() OVER (PARTITION BY host …)`), so one server's backlog cannot fill
/// a round. On PostgreSQL rows another worker is claiming at the same moment are skipped (`FOR
/// UPDATE SKIP LOCKED`), so several processes share the queue without waiting on each other;
/// SQLite runs one writer at a time, which gives the same guarantee.
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    claim: Claim<'_>,
) -> Result<Vec<delivery::Model>, DbErr> {
    use sea_orm::sea_query::{Alias, LockBehavior, LockType, Query};
    let pending = |select: &mut sea_orm::sea_query::SelectStatement| {
        select
            .and_where(delivery::Column::DeliveredAt.is_null())
            .and_where(delivery::Column::GaveUpAt.is_null())
            .and_where(delivery::Column::NextAttemptAt.lte(claim.now));
        if !claim.skipped.is_empty() {
            select.and_where(delivery::Column::Host.is_not_in(claim.skipped.iter().cloned()));
        }
    };
    // Most rounds find nothing due: a read answers that without taking SQLite's write lock.
    let mut any = Query::select();
    any.column(delivery::Column::Id)
        .from(delivery::Entity)
        .limit(1);
    pending(&mut any);
    if db.query_one(&any).await?.is_none() {
        return Ok(Vec::new());
    }
    // The earliest due rows; as many as may be taken, so that a worker locks no more rows than
    // it could take and workers claiming at once share the queue out. Servers at their limit
    // are left out already, so a busy one cannot fill the window twice.
    let mut due = Query::select();
    due.columns([
        delivery::Column::Id,
        delivery::Column::Host,
        delivery::Column::NextAttemptAt,
    ])
    .from(delivery::Entity)
    .order_by(delivery::Column::NextAttemptAt, sea_orm::Order::Asc)
    .order_by(delivery::Column::Id, sea_orm::Order::Asc)
    .limit(claim.limit);
    pending(&mut due);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut ranked = Query::select();
    ranked
        .column(delivery::Column::Id)
        .column(delivery::Column::NextAttemptAt)
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY host ORDER BY next_attempt_at, id)"),
            Alias::new("n"),
        )
        .from_subquery(due, Alias::new("due"));
    let mut chosen = Query::select();
    chosen
        .column(delivery::Column::Id)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("n")).lte(claim.per_server as i64))
        .order_by(delivery::Column::NextAttemptAt, sea_orm::Order::Asc)
        .order_by(delivery::Column::Id, sea_orm::Order::Asc)
        .limit(claim.limit);
    let mut claimed = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::NextAttemptAt,
            Expr::value(claim.lease_until),
        )
        .filter(delivery::Column::Id.in_subquery(chosen))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

/// Sends the deliveries still to go to `host` at once: an admin's "retry now". A row being sent
/// at that moment (its lease looks like a scheduled retry) may go out twice; receivers drop an
/// activity id they have seen. Returns how many.
pub async fn retry_now<C: ConnectionTrait>(
    db: &C,
    host: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let moved = delivery::Entity::update_many()
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .filter(delivery::Column::Host.eq(host))
        .filter(delivery::Column::DeliveredAt.is_null())
        .filter(delivery::Column::GaveUpAt.is_null())
        .exec(db)
        .await?;
    Ok(moved.rows_affected)
}

/// Each server's deliveries still to be sent: how many, and when the next is due.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Queued {
    pub host: String,
    pub queued: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

pub async fn queued_per_server<C: ConnectionTrait>(db: &C) -> Result<Vec<Queued>, DbErr> {
    use sea_orm::sea_query::{Alias, Func, Query};
    let mut select = Query::select();
    select
        .column(delivery::Column::Host)
        .expr_as(
            Func::count(Expr::col(delivery::Column::Id)),
            Alias::new("queued"),
        )
        .expr_as(
            Func::min(Expr::col(delivery::Column::NextAttemptAt)),
            Alias::new("next_attempt_at"),
        )
        .from(delivery::Entity)
        .and_where(delivery::Column::DeliveredAt.is_null())
        .and_where(delivery::Column::GaveUpAt.is_null())
        .group_by_col(delivery::Column::Host);
    Queued::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await
}

/// Moves the deliveries to `host` that are due by `now` to `until` (a failing server's next
/// probe), without spending an attempt.
pub async fn postpone_server<C: ConnectionTrait>(
    db: &C,
    host: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(until))
        .filter(delivery::Column::Host.eq(host))
        .filter(delivery::Column::DeliveredAt.is_null())
        .filter(delivery::Column::GaveUpAt.is_null())
        .filter(delivery::Column::NextAttemptAt.lte(now))
        // Still failing when the rows are moved: an admin's "retry now" or a probe that just
        // succeeded is not undone by a list read a moment before.
        .filter(
            delivery::Column::Host.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(crate::peer::Column::Host)
                    .from(crate::peer::Entity)
                    .and_where(crate::peer::Column::FailingSince.is_not_null())
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_delivered<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: u16,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
        .col_expr(delivery::Column::Status, Expr::value(i32::from(status)))
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .filter(delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: try again at `retry_at`, or give up when it is `None`.
pub async fn mark_failed<C: ConnectionTrait>(
    db: &C,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::LastError, Expr::value(error));
    update = match retry_at {
        Some(at) => update.col_expr(delivery::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(delivery::Column::GaveUpAt, Expr::value(now)),
    };
    update.filter(delivery::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Records that the receiving server refused the delivery for good: it is not sent again, and
/// `refusal` (the status and the start of the answer) says why.
pub async fn mark_refused<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: u16,
    refusal: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::Status, Expr::value(i32::from(status)))
        .col_expr(delivery::Column::LastError, Expr::value(refusal))
        .col_expr(delivery::Column::RefusedAt, Expr::value(now))
        .col_expr(delivery::Column::GaveUpAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that the delivery was not sent because the receiving server's software does not read
/// it; `why` says so.
pub async fn mark_skipped<C: ConnectionTrait>(
    db: &C,
    id: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::LastError, Expr::value(why))
        .col_expr(delivery::Column::GaveUpAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
}
