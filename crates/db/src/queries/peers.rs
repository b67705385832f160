//! Delivery outcomes per server: consecutive failures, and since when a server is failing.
//! Many deliveries to one server finish at once, so every change is a single atomic statement.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::peer;

pub async fn get<C: ConnectionTrait>(db: &C, host: &str) -> Result<Option<peer::Model>, DbErr> {
    peer::Entity::find_by_id(host.to_owned()).one(db).await
}

async fn ensure_row<C: ConnectionTrait>(db: &C, host: &str) -> Result<(), DbErr> {
    peer::Entity::insert(peer::ActiveModel {
        host: Set(host.to_owned()),
        failures: Set(0),
        last_failure_at: Set(None),
        last_success_at: Set(None),
        failing_since: Set(None),
        signature_scheme: Set(None),
        refusals: Set(0),
        last_refusal_at: Set(None),
        last_refusal: Set(None),
        software: Set(None),
        last_error: Set(None),
    })
    .on_conflict_do_nothing_on([peer::Column::Host])
    .exec(db)
    .await?;
    Ok(())
}

/// A delivery succeeded: the server is healthy again.
pub async fn record_success<C: ConnectionTrait>(
    db: &C,
    host: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ensure_row(db, host).await?;
    peer::Entity::update_many()
        .col_expr(peer::Column::Failures, Expr::value(0))
        .col_expr(peer::Column::LastSuccessAt, Expr::value(now))
        .col_expr(
            peer::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    Ok(())
}

/// A delivery failed (`why`); after `threshold` failures in a row the server is marked failing.
/// Returns whether this failure marked it.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    host: &str,
    why: &str,
    threshold: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    ensure_row(db, host).await?;
    peer::Entity::update_many()
        .col_expr(
            peer::Column::Failures,
            Expr::col(peer::Column::Failures).add(1),
        )
        .col_expr(peer::Column::LastFailureAt, Expr::value(now))
        .col_expr(peer::Column::LastError, Expr::value(why))
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    let marked = peer::Entity::update_many()
        .col_expr(peer::Column::FailingSince, Expr::value(now))
        .filter(peer::Column::Host.eq(host))
        .filter(peer::Column::FailingSince.is_null())
        .filter(peer::Column::Failures.gte(threshold))
        .exec(db)
        .await?;
    Ok(marked.rows_affected > 0)
}

/// Remembers the signature scheme a server accepted.
pub async fn remember_signature_scheme<C: ConnectionTrait>(
    db: &C,
    host: &str,
    scheme: &str,
) -> Result<(), DbErr> {
    ensure_row(db, host).await?;
    peer::Entity::update_many()
        .col_expr(peer::Column::SignatureScheme, Expr::value(scheme))
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    Ok(())
}

/// A delivery was refused for good: the server answers, so it is not failing, but what it
/// refused is counted and the last refusal kept for operators.
pub async fn record_refusal<C: ConnectionTrait>(
    db: &C,
    host: &str,
    refusal: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ensure_row(db, host).await?;
    peer::Entity::update_many()
        .col_expr(
            peer::Column::Refusals,
            Expr::col(peer::Column::Refusals).add(1),
        )
        .col_expr(peer::Column::LastRefusalAt, Expr::value(now))
        .col_expr(peer::Column::LastRefusal, Expr::value(refusal))
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    Ok(())
}

/// Every server delivered to, by host.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<peer::Model>, DbErr> {
    use sea_orm::QueryOrder;
    peer::Entity::find()
        .order_by_asc(peer::Column::Host)
        .all(db)
        .await
}

/// Remembers the software a server runs (empty when its NodeInfo could not be read).
pub async fn remember_software<C: ConnectionTrait>(
    db: &C,
    host: &str,
    software: &str,
) -> Result<(), DbErr> {
    ensure_row(db, host).await?;
    peer::Entity::update_many()
        .col_expr(peer::Column::Software, Expr::value(software))
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    Ok(())
}

/// The servers marked failing.
pub async fn failing<C: ConnectionTrait>(db: &C) -> Result<Vec<peer::Model>, DbErr> {
    peer::Entity::find()
        .filter(peer::Column::FailingSince.is_not_null())
        .all(db)
        .await
}

/// An admin asked for a server's deliveries now: it is no longer treated as failing, and its
/// count of failures in a row starts again.
pub async fn clear_failing<C: ConnectionTrait>(db: &C, host: &str) -> Result<(), DbErr> {
    peer::Entity::update_many()
        .col_expr(
            peer::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(peer::Column::Failures, Expr::value(0))
        .filter(peer::Column::Host.eq(host))
        .exec(db)
        .await?;
    Ok(())
}
