//! One activity to one inbox: the persistent delivery queue.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: String,
    #[sea_orm(column_type = "Text")]
    pub activity: String,
    pub signer_kind: String,
    pub signer_id: i64,
    pub inbox: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    pub gave_up_at: Option<DateTimeUtc>,
    /// The HTTP status of the last attempt that got an answer.
    pub status: Option<i32>,
    /// When the receiving server refused it for good (a 4xx); `last_error` says why.
    pub refused_at: Option<DateTimeUtc>,
    /// The inbox's `host[:port]`: each server's deliveries are claimed and counted apart.
    pub host: String,
    /// The post whose `Create` or `Update` a member sent to a forum elsewhere, if that is what
    /// this carries: its refusal is shown on the post.
    pub post_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
