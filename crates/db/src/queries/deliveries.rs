//! The persistent delivery queue: enqueue, claim what is due, record the outcome.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::delivery;

pub struct NewDelivery<'a> {
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
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Takes up to `limit` due deliveries for this worker in one statement, moving their next
/// attempt to `lease_until` so no other worker takes them meanwhile, and returns them. On
/// PostgreSQL rows another worker is claiming at the same moment are skipped (`FOR UPDATE SKIP
/// LOCKED`), so several processes share the queue without waiting on each other; SQLite runs one
/// writer at a time, which gives the same guarantee.
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    use sea_orm::sea_query::{LockBehavior, LockType, Query};
    let mut due = Query::select();
    due.column(delivery::Column::Id)
        .from(delivery::Entity)
        .and_where(delivery::Column::DeliveredAt.is_null())
        .and_where(delivery::Column::GaveUpAt.is_null())
        .and_where(delivery::Column::NextAttemptAt.lte(now))
        .order_by(delivery::Column::NextAttemptAt, sea_orm::Order::Asc)
        .order_by(delivery::Column::Id, sea_orm::Order::Asc)
        .limit(limit);
    // Most rounds find nothing due: a read answers that without taking SQLite's write lock.
    let any_due = delivery::Entity::find()
        .filter(delivery::Column::DeliveredAt.is_null())
        .filter(delivery::Column::GaveUpAt.is_null())
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .one(db)
        .await?
        .is_some();
    if !any_due {
        return Ok(Vec::new());
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut claimed = delivery::Entity::update_many()
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(lease_until))
        .filter(delivery::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

/// Moves a claimed delivery's next attempt (a failing server's next probe).
pub async fn postpone<C: ConnectionTrait>(
    db: &C,
    id: i64,
    until: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(until))
        .filter(delivery::Column::Id.eq(id))
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
