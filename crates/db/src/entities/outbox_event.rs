//! A domain event written in the same transaction as the change it records; the federation
//! worker consumes these in id order.

use sea_orm::entity::prelude::*;

// Deserialize: the worker reads the events it claims as one row (`queries::outbox`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub subject_id: i64,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    #[serde(deserialize_with = "crate::queries::json::time")]
    pub created_at: DateTimeUtc,
    #[serde(deserialize_with = "crate::queries::json::maybe_time")]
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
