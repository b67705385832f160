//! Query functions, grouped by what they read or write.

pub mod backfills;
pub mod deliveries;
pub mod followers;
pub mod forums;
pub mod gate;
pub mod instance;
pub(crate) mod json;
pub mod juries;
pub mod likes;
pub mod moderation;
pub mod notifications;
pub mod outbox;
pub mod peers;
pub mod posts;
pub mod safety;
pub mod sessions;
pub mod subscriptions;
pub mod threads;
pub mod users;

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

/// Runs a hand-built select (for joins the entity API cannot express cheaply) into `T`.
pub(crate) async fn fetch_all<T: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    select: &SelectStatement,
) -> Result<Vec<T>, DbErr> {
    let statement = db.get_database_backend().build(select);
    T::find_by_statement(statement).all(db).await
}

pub(crate) async fn fetch_one<T: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    select: &SelectStatement,
) -> Result<Option<T>, DbErr> {
    let statement = db.get_database_backend().build(select);
    T::find_by_statement(statement).one(db).await
}

/// One page of a list: the rows, and whether another page follows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Splits a result fetched with `limit + 1` rows into the page and the "more" flag, which
    /// spares a `COUNT(*)` over the whole table.
    pub(crate) fn from_overfetch(mut items: Vec<T>, limit: u64) -> Self {
        let has_more = items.len() as u64 > limit;
        items.truncate(limit as usize);
        Page { items, has_more }
    }
}
