//! A row of the public moderation log: one act of a host, an admin or a jury.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mod_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The forum it happened in; none for an act on the instance as a whole.
    pub forum_id: Option<i64>,
    /// What was done: `lock`, `unlock`, `remove`, `restore`, `appoint_host`, `dismiss_host`.
    pub action: String,
    /// Who did it; none for a jury.
    pub actor_id: Option<i64>,
    /// In which role: `host`, `admin` or `jury`.
    pub actor_role: String,
    pub thread_id: Option<i64>,
    pub post_id: Option<i64>,
    /// The member it was about (a host appointed or dismissed).
    pub member_id: Option<i64>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// The server an act on a domain was about.
    pub domain: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
