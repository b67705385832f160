//! A backfill: a followed forum's history (`thread_id` none), or one thread's replies, brought
//! in the background from the other server.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backfills")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub forum_id: i64,
    pub thread_id: Option<i64>,
    /// The collection page to read next; none before the first.
    #[sea_orm(column_type = "Text", nullable)]
    pub next_page: Option<String>,
    /// Threads to read at most (a forum's history).
    pub max_threads: i32,
    /// Threads read so far, and replies stored.
    pub threads: i32,
    pub replies: i32,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// Not taken before then: the pace of the work, or a worker's lease on it.
    pub run_after: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
