//! The transactional outbox: services append events here inside their own transaction.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, sea_query::Expr,
};

use crate::outbox_event;
use crate::writes::Writes;

pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub actor_id: Option<i64>,
    pub subject_id: i64,
    pub payload: String,
    pub now: DateTime<Utc>,
}

pub async fn append<C: ConnectionTrait>(db: &C, event: NewEvent<'_>) -> Result<(), DbErr> {
    new_row(event).insert(db).await?;
    Ok(())
}

/// Appends several events with one statement, in the given order.
pub fn append_many(writes: &mut Writes, events: Vec<NewEvent<'_>>) {
    if !events.is_empty() {
        writes.push(&outbox_event::Entity::insert_many(
            events.into_iter().map(new_row),
        ));
    }
}

fn new_row(event: NewEvent<'_>) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        kind: Set(event.kind.to_owned()),
        actor_id: Set(event.actor_id),
        subject_id: Set(event.subject_id),
        payload: Set(event.payload),
        created_at: Set(event.now),
        processed_at: Set(None),
        ..Default::default()
    }
}

/// The oldest events not yet processed, in the order they were written.
pub async fn pending<C: ConnectionTrait>(
    db: &C,
    limit: u64,
) -> Result<Vec<outbox_event::Model>, DbErr> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .order_by_asc(outbox_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The id of the latest event of `kind` by `actor_id` about `subject_id` written before
/// `before_id` (say, the like that an unlike takes back).
pub async fn latest_before<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    actor_id: i64,
    subject_id: i64,
    before_id: i64,
) -> Result<Option<i64>, DbErr> {
    Ok(
        latest_event_before(db, kind, Some(actor_id), subject_id, before_id)
            .await?
            .map(|event| event.id),
    )
}

/// The latest event of `kind` about `subject_id` before `before_id`, by `actor_id` or (`None`)
/// by anyone.
pub async fn latest_event_before<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    actor_id: Option<i64>,
    subject_id: i64,
    before_id: i64,
) -> Result<Option<outbox_event::Model>, DbErr> {
    let mut find = outbox_event::Entity::find()
        .filter(outbox_event::Column::Kind.eq(kind))
        .filter(outbox_event::Column::SubjectId.eq(subject_id))
        .filter(outbox_event::Column::Id.lt(before_id));
    if let Some(actor_id) = actor_id {
        find = find.filter(outbox_event::Column::ActorId.eq(actor_id));
    }
    find.order_by_desc(outbox_event::Column::Id).one(db).await
}

/// Whether any event waits: a read, so an idle round takes no write lock.
pub async fn any_pending<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// Claims the oldest unprocessed events, up to `limit`, for the caller's transaction, which
/// marks them processed before it commits. On PostgreSQL the rows are locked and rows another
/// process holds are skipped (`FOR UPDATE SKIP LOCKED`), so several processes sharing one
/// database each turn an event into deliveries exactly once; on SQLite the write transaction
/// (`BEGIN IMMEDIATE`) already lets one writer in at a time.
///
/// The events come back as one row (see [`super::json::fetch_as_one_row`]): under inbound load a
/// round claims hundreds, and it holds the write lock while it reads them.
pub async fn claim_pending<C: ConnectionTrait>(
    txn: &C,
    limit: u64,
) -> Result<Vec<outbox_event::Model>, DbErr> {
    use sea_orm::sea_query::{LockBehavior, LockType};
    let mut query = outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .order_by_asc(outbox_event::Column::Id)
        .limit(limit);
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let mut events: Vec<outbox_event::Model> =
        super::json::fetch_as_one_row(txn, query.into_query()).await?;
    events.sort_by_key(|e| e.id);
    Ok(events)
}

/// Marks a batch of events processed in one statement.
pub async fn mark_processed_many<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox_event::Entity::update_many()
        .col_expr(outbox_event::Column::ProcessedAt, Expr::value(now))
        .filter(outbox_event::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}
