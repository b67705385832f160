//! An alert on a post: a member's (or a server's `Flag`) asking a jury of members to judge it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub post_id: i64,
    pub forum_id: i64,
    /// Who raised it; never shown to the jurors.
    pub alerter_id: i64,
    /// `personal_attack`, `off_topic`, `spam` or `other`.
    pub reason: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub details: Option<String>,
    /// The `Flag` an alert from elsewhere came as.
    pub ap_id: Option<String>,
    /// `open` until the jury decides: `hidden` or `left`.
    pub state: String,
    pub hide_votes: i32,
    pub leave_votes: i32,
    pub created_at: DateTimeUtc,
    /// When the votes cast decide, if the jury has not reached a majority before.
    pub deadline: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
