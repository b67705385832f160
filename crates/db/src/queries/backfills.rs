//! The backfill queue: a forum's history or a thread's replies to bring in, claimed by one
//! worker at a time and saved after every page so a restart resumes where it stopped.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::backfill;

/// States a backfill is still to be worked in.
const OPEN: [&str; 2] = ["queued", "running"];

/// The latest backfill of a forum's history (`thread_id` none) or of one thread.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    thread_id: Option<i64>,
) -> Result<Option<backfill::Model>, DbErr> {
    let mut find = backfill::Entity::find().filter(backfill::Column::ForumId.eq(forum_id));
    find = match thread_id {
        Some(thread) => find.filter(backfill::Column::ThreadId.eq(thread)),
        None => find.filter(backfill::Column::ThreadId.is_null()),
    };
    find.order_by_desc(backfill::Column::Id).one(db).await
}

/// Queues a backfill unless one for the same forum or thread is still open. Returns it.
pub async fn queue<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    thread_id: Option<i64>,
    max_threads: i32,
    now: DateTime<Utc>,
) -> Result<backfill::Model, DbErr> {
    if let Some(open) = latest(db, forum_id, thread_id)
        .await?
        .filter(|b| OPEN.contains(&b.state.as_str()))
    {
        return Ok(open);
    }
    // Only the latest of a thread's readings is kept: a thread read again every hour it is
    // opened would otherwise grow the table for ever.
    if let Some(thread) = thread_id {
        backfill::Entity::delete_many()
            .filter(backfill::Column::ThreadId.eq(thread))
            .filter(backfill::Column::State.is_not_in(OPEN))
            .exec(db)
            .await?;
    }
    backfill::ActiveModel {
        forum_id: Set(forum_id),
        thread_id: Set(thread_id),
        next_page: Set(None),
        max_threads: Set(max_threads),
        threads: Set(0),
        replies: Set(0),
        state: Set("queued".into()),
        last_error: Set(None),
        run_after: Set(now),
        created_at: Set(now),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Takes the open backfill that has waited longest, leasing it until `lease_until` so that no
/// other worker takes it meanwhile (on PostgreSQL, `FOR UPDATE SKIP LOCKED`).
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<backfill::Model>, DbErr> {
    let open = || {
        backfill::Column::State
            .is_in(OPEN)
            .and(backfill::Column::RunAfter.lte(now))
    };
    // Nearly always nothing is open: a read answers that without SQLite's write lock.
    if backfill::Entity::find()
        .filter(open())
        .one(db)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let mut next = Query::select();
    next.column(backfill::Column::Id)
        .from(backfill::Entity)
        .and_where(open())
        .order_by(backfill::Column::RunAfter, sea_orm::Order::Asc)
        .order_by(backfill::Column::Id, sea_orm::Order::Asc)
        .limit(1);
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        next.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let claimed = backfill::Entity::update_many()
        .col_expr(backfill::Column::RunAfter, Expr::value(lease_until))
        .col_expr(backfill::Column::State, Expr::value("running"))
        .filter(backfill::Column::Id.in_subquery(next))
        .exec_with_returning(db)
        .await?;
    Ok(claimed.into_iter().next())
}

/// Saves a page's work: what to read next, what was brought in, and when to go on.
pub async fn advance<C: ConnectionTrait>(
    db: &C,
    id: i64,
    next_page: Option<&str>,
    threads: i32,
    replies: i32,
    run_after: DateTime<Utc>,
) -> Result<(), DbErr> {
    backfill::Entity::update_many()
        .col_expr(backfill::Column::NextPage, Expr::value(next_page))
        .col_expr(
            backfill::Column::Threads,
            Expr::col(backfill::Column::Threads).add(threads),
        )
        .col_expr(
            backfill::Column::Replies,
            Expr::col(backfill::Column::Replies).add(replies),
        )
        .col_expr(backfill::Column::RunAfter, Expr::value(run_after))
        .col_expr(
            backfill::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(backfill::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Keeps a backfill this worker's until `until` (a long page is being read).
pub async fn hold<C: ConnectionTrait>(db: &C, id: i64, until: DateTime<Utc>) -> Result<(), DbErr> {
    backfill::Entity::update_many()
        .col_expr(backfill::Column::RunAfter, Expr::value(until))
        .filter(backfill::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A page could not be read: it is tried again from the same place at `run_after`, and `why`
/// is shown meanwhile.
pub async fn retry_later<C: ConnectionTrait>(
    db: &C,
    id: i64,
    why: &str,
    run_after: DateTime<Utc>,
) -> Result<(), DbErr> {
    backfill::Entity::update_many()
        .col_expr(backfill::Column::LastError, Expr::value(why))
        .col_expr(backfill::Column::RunAfter, Expr::value(run_after))
        .filter(backfill::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a backfill: `done`, or `failed` with why.
pub async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i64,
    failed: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    backfill::Entity::update_many()
        .col_expr(
            backfill::Column::State,
            Expr::value(if failed.is_some() { "failed" } else { "done" }),
        )
        .col_expr(backfill::Column::LastError, Expr::value(failed))
        .col_expr(backfill::Column::FinishedAt, Expr::value(now))
        .filter(backfill::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
