//! Posts: a thread's posts with their authors, a member's recent posts, creation, edits with
//! their revisions, and deletion that leaves a placeholder in the tree.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, JoinType, OnConflict, Order, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QueryTrait, Set,
};
use serde::Deserialize;

use super::{Page, fetch_all};
use crate::{post, post_revision, thread, user};

/// A post with what a page shows of its author. Read as a row, or from JSON built by the
/// database (see [`in_thread`]), where each field is named as its column in
/// [`with_author_select`].
#[derive(Debug, Clone, PartialEq, FromQueryResult, Deserialize)]
pub struct PostWithAuthor {
    pub id: i64,
    pub thread_id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub body_html: String,
    pub like_count: i64,
    #[serde(deserialize_with = "super::json::time")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "super::json::maybe_time")]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "super::json::maybe_time")]
    pub deleted_at: Option<DateTime<Utc>>,
    pub link_url: Option<String>,
    pub author_name: String,
    pub author_display_name: Option<String>,
    #[serde(deserialize_with = "super::json::flag")]
    pub author_local: bool,
    pub author_post_count: i64,
    pub author_profile_url: Option<String>,
    /// Why the author's posts are hidden: `suspended`, or `blocked` (their server).
    pub author_hidden: Option<String>,
    #[serde(deserialize_with = "super::json::maybe_time")]
    pub removed_at: Option<DateTime<Utc>>,
    /// `host`, `admin` or `jury`.
    pub removal_kind: Option<String>,
    pub removal_reason: Option<String>,
    /// The host or admin who removed it.
    pub remover_name: Option<String>,
    /// Why the forum elsewhere it was written in refused it (shown to its author).
    pub refused_elsewhere: Option<String>,
}

/// Every post of a thread in id order, authors joined in: one query whatever the thread's size,
/// answered as one row.
///
/// The posts come back as one row (see [`super::json::fetch_as_one_row`]): for a thread of 200
/// replies, handing over a row each, not the query, was most of a page read from the database.
pub async fn in_thread<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
) -> Result<Vec<PostWithAuthor>, DbErr> {
    let select = with_author_select()
        .and_where(Expr::col((post::Entity, post::Column::ThreadId)).eq(thread_id))
        .to_owned();
    let mut posts: Vec<PostWithAuthor> = super::json::fetch_as_one_row(db, select).await?;
    // Already in id order as a rule, so this is one pass.
    posts.sort_by_key(|p| p.id);
    Ok(posts)
}

/// One post with its author.
pub async fn with_author<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
) -> Result<Option<PostWithAuthor>, DbErr> {
    let select = with_author_select()
        .and_where(Expr::col((post::Entity, post::Column::Id)).eq(post_id))
        .to_owned();
    super::fetch_one(db, &select).await
}

/// Posts with their authors and removers joined in; callers add the condition.
fn with_author_select() -> SelectStatement {
    let p = post::Entity;
    let u = user::Entity;
    let remover = Alias::new("remover");
    Query::select()
        .columns([
            (p, post::Column::Id),
            (p, post::Column::ThreadId),
            (p, post::Column::ParentId),
            (p, post::Column::AuthorId),
            (p, post::Column::BodyHtml),
            (p, post::Column::LikeCount),
            (p, post::Column::CreatedAt),
            (p, post::Column::EditedAt),
            (p, post::Column::DeletedAt),
            (p, post::Column::LinkUrl),
            (p, post::Column::RemovedAt),
            (p, post::Column::RemovalKind),
            (p, post::Column::RemovalReason),
            (p, post::Column::RefusedElsewhere),
        ])
        .expr_as(
            Expr::col((u, user::Column::Name)),
            Alias::new("author_name"),
        )
        .expr_as(
            Expr::col((remover.clone(), user::Column::Name)),
            Alias::new("remover_name"),
        )
        .expr_as(
            Expr::col((u, user::Column::DisplayName)),
            Alias::new("author_display_name"),
        )
        .expr_as(
            Expr::col((u, user::Column::Local)),
            Alias::new("author_local"),
        )
        .expr_as(
            Expr::col((u, user::Column::PostCount)),
            Alias::new("author_post_count"),
        )
        .expr_as(
            Expr::col((u, user::Column::ProfileUrl)),
            Alias::new("author_profile_url"),
        )
        .expr_as(
            Expr::col((u, user::Column::HiddenBecause)),
            Alias::new("author_hidden"),
        )
        .from(p)
        .inner_join(
            u,
            Expr::col((u, user::Column::Id)).equals((p, post::Column::AuthorId)),
        )
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            remover.clone(),
            Expr::col((remover, user::Column::Id)).equals((p, post::Column::RemovedBy)),
        )
        .to_owned()
}

/// A member's post as their profile lists it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RecentPost {
    pub id: i64,
    pub thread_id: i64,
    pub thread_title: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// A member's newest posts that are not deleted.
pub async fn recent_by_author<C: ConnectionTrait>(
    db: &C,
    author_id: i64,
    limit: u64,
) -> Result<Page<RecentPost>, DbErr> {
    let p = post::Entity;
    let t = thread::Entity;
    let select = Query::select()
        .columns([
            (p, post::Column::Id),
            (p, post::Column::ThreadId),
            (p, post::Column::BodyHtml),
            (p, post::Column::CreatedAt),
        ])
        .expr_as(
            Expr::col((t, thread::Column::Title)),
            Alias::new("thread_title"),
        )
        .from(p)
        .inner_join(
            t,
            Expr::col((t, thread::Column::Id)).equals((p, post::Column::ThreadId)),
        )
        .and_where(Expr::col((p, post::Column::AuthorId)).eq(author_id))
        .and_where(Expr::col((p, post::Column::DeletedAt)).is_null())
        .order_by((p, post::Column::Id), Order::Desc)
        .limit(limit + 1)
        .to_owned();
    Ok(Page::from_overfetch(fetch_all(db, &select).await?, limit))
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<post::Model>, DbErr> {
    post::Entity::find_by_id(id).one(db).await
}

pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<post::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    post::Entity::find()
        .filter(post::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The posts among `ap_ids` that are already stored.
pub async fn by_ap_ids<C: ConnectionTrait>(
    db: &C,
    ap_ids: &[&str],
) -> Result<Vec<post::Model>, DbErr> {
    if ap_ids.is_empty() {
        return Ok(Vec::new());
    }
    post::Entity::find()
        .filter(post::Column::ApId.is_in(ap_ids.iter().copied()))
        .all(db)
        .await
}

pub struct NewPost<'a> {
    pub thread_id: i64,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub body_source: &'a str,
    pub body_html: &'a str,
    /// Set for posts that came from another server.
    pub ap_id: Option<&'a str>,
    /// The link a thread's first post carries.
    pub link_url: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewPost<'_>) -> Result<post::Model, DbErr> {
    new_row(new).insert(db).await
}

/// The ids of a post from elsewhere just stored.
#[derive(Debug, FromQueryResult)]
pub struct StoredId {
    pub id: i64,
    pub ap_id: String,
}

/// Inserts posts from elsewhere with one statement, passing over each whose `ap_id` is already
/// stored (by an earlier batch, or by another process a moment ago), and returns the ids of the
/// rows written, in no set order (callers match them by `ap_id`).
pub async fn insert_new_from_elsewhere<C: ConnectionTrait>(
    db: &C,
    new: Vec<NewPost<'_>>,
) -> Result<Vec<StoredId>, DbErr> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = post::Entity::insert_many(new.into_iter().map(new_row))
        .on_conflict(
            OnConflict::column(post::Column::ApId)
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    insert.returning(Query::returning().columns([post::Column::Id, post::Column::ApId]));
    StoredId::find_by_statement(db.get_database_backend().build(&insert))
        .all(db)
        .await
}

fn new_row(new: NewPost<'_>) -> post::ActiveModel {
    post::ActiveModel {
        thread_id: Set(new.thread_id),
        parent_id: Set(new.parent_id),
        author_id: Set(new.author_id),
        body_source: Set(new.body_source.to_owned()),
        body_html: Set(new.body_html.to_owned()),
        like_count: Set(0),
        ap_id: Set(new.ap_id.map(str::to_owned)),
        link_url: Set(new.link_url.map(str::to_owned)),
        created_at: Set(new.now),
        ..Default::default()
    }
}

/// Replaces a post's body, keeping the previous body as a revision.
pub async fn replace_body<C: ConnectionTrait>(
    db: &C,
    previous: &post::Model,
    editor_id: i64,
    body_source: &str,
    body_html: &str,
    link_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    post_revision::ActiveModel {
        post_id: Set(previous.id),
        editor_id: Set(Some(editor_id)),
        body_source: Set(previous.body_source.clone()),
        body_html: Set(previous.body_html.clone()),
        created_at: Set(previous.edited_at.unwrap_or(previous.created_at)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    post::Entity::update_many()
        .col_expr(post::Column::BodySource, Expr::value(body_source))
        .col_expr(post::Column::BodyHtml, Expr::value(body_html))
        .col_expr(post::Column::LinkUrl, Expr::value(link_url))
        .col_expr(post::Column::EditedAt, Expr::value(now))
        .filter(post::Column::Id.eq(previous.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ids of a member's posts that are not deleted, oldest first.
pub async fn live_ids_by_author<C: ConnectionTrait>(
    db: &C,
    author_id: i64,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{QueryOrder, QuerySelect};
    post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(post::Column::AuthorId.eq(author_id))
        .filter(post::Column::DeletedAt.is_null())
        .order_by_asc(post::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Marks a post deleted and empties its body; the row stays so replies keep their place.
/// Revisions go with the content: a deleted post's words are not kept anywhere.
pub async fn mark_deleted<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::BodySource, Expr::value(""))
        .col_expr(post::Column::BodyHtml, Expr::value(""))
        .col_expr(post::Column::LinkUrl, Expr::value(Option::<String>::None))
        .col_expr(post::Column::DeletedAt, Expr::value(now))
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await?;
    post_revision::Entity::delete_many()
        .filter(post_revision::Column::PostId.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A post's earlier versions, oldest first.
pub async fn revisions<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
) -> Result<Vec<post_revision::Model>, DbErr> {
    post_revision::Entity::find()
        .filter(post_revision::Column::PostId.eq(post_id))
        .order_by_asc(post_revision::Column::Id)
        .all(db)
        .await
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    post::Entity::find().count(db).await
}

/// Posts written on this instance and not deleted.
pub async fn count_local<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    post::Entity::find()
        .inner_join(user::Entity)
        .filter(user::Column::Local.eq(true))
        .filter(post::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// Every post of a thread as (id, parent id, ActivityPub id when it came from elsewhere), in
/// the order written: the thread's conversation for other servers.
pub async fn ids_in_thread<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
) -> Result<Vec<(i64, Option<i64>, Option<String>)>, DbErr> {
    use sea_orm::QuerySelect;
    post::Entity::find()
        .select_only()
        .columns([post::Column::Id, post::Column::ParentId, post::Column::ApId])
        .filter(post::Column::ThreadId.eq(thread_id))
        .order_by_asc(post::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

pub async fn by_ap_id<C: ConnectionTrait>(
    db: &C,
    ap_id: &str,
) -> Result<Option<post::Model>, DbErr> {
    post::Entity::find()
        .filter(post::Column::ApId.eq(ap_id))
        .one(db)
        .await
}

/// Records that the forum elsewhere a member's post was written in refused it for good, and
/// bumps its thread's revision so cached trees show it.
pub async fn mark_refused_elsewhere<C: ConnectionTrait>(
    db: &C,
    post: &post::Model,
    why: &str,
) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::RefusedElsewhere, Expr::value(why))
        .filter(post::Column::Id.eq(post.id))
        .exec(db)
        .await?;
    super::threads::bump_revision(db, post.thread_id).await
}
