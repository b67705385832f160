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
    /// Deliveries the server refused for good (a 4xx): it answers, but not what it was sent.
    pub refusals: i32,
    pub last_refusal_at: Option<DateTimeUtc>,
    /// The status and the start of the answer of the last refusal.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_refusal: Option<String>,
    /// The software its NodeInfo names (`lemmy`, `mastodon` …), lower case; empty when it
    /// could not be read.
    pub software: Option<String>,
    /// Why the last failed delivery failed (no answer, a 5xx …).
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
