//! A post: a thread's starter (no parent) or a reply under another post of the same thread.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub thread_id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    #[sea_orm(column_type = "Text")]
    pub body_source: String,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    pub like_count: i64,
    #[sea_orm(unique)]
    pub ap_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    /// The link a thread's first post carries (a link post), http or https.
    #[sea_orm(column_type = "Text", nullable)]
    pub link_url: Option<String>,
    /// When a host, an admin or a jury removed the post (see `removal_kind`); its words stay
    /// for the author, the forum's hosts and the admins to read.
    pub removed_at: Option<DateTimeUtc>,
    /// Who removed it: the host's or admin's id; none for a jury.
    pub removed_by: Option<i64>,
    /// `host`, `admin` or `jury`.
    pub removal_kind: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub removal_reason: Option<String>,
    /// A member's post in a forum elsewhere that the forum's server refused for good: its
    /// status and answer, shown to the author.
    #[sea_orm(column_type = "Text", nullable)]
    pub refused_elsewhere: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AuthorId",
        to = "super::user::Column::Id"
    )]
    Author,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
