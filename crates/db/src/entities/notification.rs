//! Something a member is told: a reply to their post, a mention, a jury summons, a verdict on
//! their post, or a moderator's act on it. Unread until `read_at`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who is told.
    pub user_id: i64,
    /// `reply`, `mention`, `jury`, `verdict` or `moderation`.
    pub kind: String,
    /// Who did it: the replier, the one who mentioned, the host or admin; none for a jury.
    pub actor_id: Option<i64>,
    pub post_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub alert_id: Option<i64>,
    /// What was done, in words: "removed your post: Spam.", a jury's tally.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
