//! A thread: a title, a starter post and the replies under it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "threads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub forum_id: i64,
    pub author_id: i64,
    pub title: String,
    pub starter_post_id: Option<i64>,
    pub reply_count: i64,
    pub revision: i64,
    pub last_post_at: DateTimeUtc,
    pub last_post_author_id: Option<i64>,
    pub locked: bool,
    #[sea_orm(unique)]
    pub ap_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
