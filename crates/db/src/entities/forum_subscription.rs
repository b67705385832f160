//! A member's subscription to a forum on another server: pending until that server accepts the
//! Follow, after which the forum's activities arrive here.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forum_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub forum_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    #[sea_orm(unique)]
    pub follow_id: String,
    pub accepted_at: Option<DateTimeUtc>,
    pub last_sent_at: DateTimeUtc,
    pub sends: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::forum::Entity",
        from = "Column::ForumId",
        to = "super::forum::Column::Id"
    )]
    Forum,
}

impl Related<super::forum::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Forum.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
