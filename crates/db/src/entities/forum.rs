//! A forum: where threads are started. Counters and the latest post are kept up to date by the
//! services that change them, in the same transaction, so the forum index is one cheap query.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "forums")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: Option<i64>,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    pub position: i32,
    pub local: bool,
    #[sea_orm(unique)]
    pub ap_id: Option<String>,
    pub inbox_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub public_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub private_key: Option<String>,
    pub thread_count: i64,
    pub post_count: i64,
    pub last_post_at: Option<DateTimeUtc>,
    pub last_post_id: Option<i64>,
    pub last_thread_id: Option<i64>,
    pub last_post_author_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// A remote forum's server-wide inbox, when it has one.
    pub shared_inbox_url: Option<String>,
    /// A remote forum's own page.
    pub profile_url: Option<String>,
    /// When a remote forum's actor document was last fetched.
    pub last_refreshed_at: Option<DateTimeUtc>,
    /// A forum of another server: the group its server files it under, by name.
    pub remote_group: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
