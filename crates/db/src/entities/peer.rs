//! A server Stoa delivers to, and how reliably it answers.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "peers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub host: String,
    pub failures: i32,
    pub last_failure_at: Option<DateTimeUtc>,
    pub last_success_at: Option<DateTimeUtc>,
    pub failing_since: Option<DateTimeUtc>,
    /// `draft-cavage` or `rfc9421`: the signature scheme the server last accepted.
    pub signature_scheme: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
