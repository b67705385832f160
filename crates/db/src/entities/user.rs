//! A member: a local account, or a cached remote actor (`local = false`, `name` is `user@host`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub display_name: Option<String>,
    pub local: bool,
    pub password_hash: Option<String>,
    pub is_admin: bool,
    pub post_count: i64,
    #[sea_orm(unique)]
    pub ap_id: Option<String>,
    pub inbox_url: Option<String>,
    pub shared_inbox_url: Option<String>,
    pub profile_url: Option<String>,
    pub avatar_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub private_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// Why the member's posts are hidden: `suspended`, or `blocked` for a blocked server.
    pub hidden_because: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
