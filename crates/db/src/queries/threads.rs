//! Threads: the chronological lists (Latest Discussions, a forum's threads), a thread's header,
//! creation and the activity columns that order those lists.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set,
};

use super::{Page, fetch_all, fetch_one};
use crate::writes::Writes;
use crate::{forum, forum_group, thread, user};

/// A thread as a list shows it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ThreadListRow {
    pub id: i64,
    pub title: String,
    pub reply_count: i64,
    pub created_at: DateTime<Utc>,
    pub last_post_at: DateTime<Utc>,
    pub forum_slug: String,
    pub forum_name: String,
    pub author_name: String,
    pub last_post_author: Option<String>,
}

fn thread_list_select() -> SelectStatement {
    let t = thread::Entity;
    let f = Alias::new("f");
    let a = Alias::new("a");
    let l = Alias::new("l");
    Query::select()
        .columns([
            (t, thread::Column::Id),
            (t, thread::Column::Title),
            (t, thread::Column::ReplyCount),
            (t, thread::Column::CreatedAt),
            (t, thread::Column::LastPostAt),
        ])
        .expr_as(
            Expr::col((f.clone(), forum::Column::Slug)),
            Alias::new("forum_slug"),
        )
        .expr_as(
            Expr::col((f.clone(), forum::Column::Name)),
            Alias::new("forum_name"),
        )
        .expr_as(
            Expr::col((a.clone(), user::Column::Name)),
            Alias::new("author_name"),
        )
        .expr_as(
            Expr::col((l.clone(), user::Column::Name)),
            Alias::new("last_post_author"),
        )
        .from(t)
        .join_as(
            JoinType::InnerJoin,
            forum::Entity,
            f.clone(),
            Expr::col((f, forum::Column::Id)).equals((t, thread::Column::ForumId)),
        )
        .join_as(
            JoinType::InnerJoin,
            user::Entity,
            a.clone(),
            Expr::col((a.clone(), user::Column::Id)).equals((t, thread::Column::AuthorId)),
        )
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            l.clone(),
            Expr::col((l, user::Column::Id)).equals((t, thread::Column::LastPostAuthorId)),
        )
        // Threads started by a suspended member, or one of a blocked server, are not listed.
        .and_where(Expr::col((a, user::Column::HiddenBecause)).is_null())
        .order_by((t, thread::Column::LastPostAt), Order::Desc)
        .order_by((t, thread::Column::Id), Order::Desc)
        .to_owned()
}

/// Moves a thread to another forum.
pub async fn set_forum<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
    forum_id: i64,
) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(thread::Column::ForumId, Expr::value(forum_id))
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(1),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Bumps the revision of every thread these members wrote in: whether their posts show changed
/// (a suspension, a blocked server), so cached reply trees are read again.
pub async fn bump_revisions_by_authors<C: ConnectionTrait>(
    db: &C,
    author_ids: &[i64],
) -> Result<(), DbErr> {
    use crate::post;
    if author_ids.is_empty() {
        return Ok(());
    }
    let written_in = Query::select()
        .distinct()
        .column(post::Column::ThreadId)
        .from(post::Entity)
        .and_where(Expr::col(post::Column::AuthorId).is_in(author_ids.iter().copied()))
        .to_owned();
    thread::Entity::update_many()
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(1),
        )
        .filter(thread::Column::Id.in_subquery(written_in))
        .exec(db)
        .await?;
    Ok(())
}

/// Threads by latest activity, across all forums or in one: chronological, no ranking.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    forum_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<Page<ThreadListRow>, DbErr> {
    let mut select = thread_list_select();
    if let Some(forum_id) = forum_id {
        select.and_where(Expr::col((thread::Entity, thread::Column::ForumId)).eq(forum_id));
    }
    select.offset(offset).limit(limit + 1);
    Ok(Page::from_overfetch(fetch_all(db, &select).await?, limit))
}

/// A thread with the names its breadcrumbs need.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ThreadHeader {
    pub id: i64,
    pub title: String,
    pub forum_id: i64,
    pub author_id: i64,
    pub starter_post_id: Option<i64>,
    pub reply_count: i64,
    pub revision: i64,
    pub locked: bool,
    pub created_at: DateTime<Utc>,
    pub last_post_at: DateTime<Utc>,
    pub forum_slug: String,
    pub forum_name: String,
    /// Whether the forum is hosted here.
    pub forum_local: bool,
    pub group_name: Option<String>,
}

pub async fn header<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<ThreadHeader>, DbErr> {
    let t = thread::Entity;
    let f = forum::Entity;
    let g = forum_group::Entity;
    let select = Query::select()
        .columns([
            (t, thread::Column::Id),
            (t, thread::Column::Title),
            (t, thread::Column::ForumId),
            (t, thread::Column::AuthorId),
            (t, thread::Column::StarterPostId),
            (t, thread::Column::ReplyCount),
            (t, thread::Column::Revision),
            (t, thread::Column::Locked),
            (t, thread::Column::CreatedAt),
            (t, thread::Column::LastPostAt),
        ])
        .expr_as(
            Expr::col((f, forum::Column::Slug)),
            Alias::new("forum_slug"),
        )
        .expr_as(
            Expr::col((f, forum::Column::Name)),
            Alias::new("forum_name"),
        )
        .expr_as(
            Expr::col((f, forum::Column::Local)),
            Alias::new("forum_local"),
        )
        .expr_as(
            Expr::col((g, forum_group::Column::Name)),
            Alias::new("group_name"),
        )
        .from(t)
        .inner_join(
            f,
            Expr::col((f, forum::Column::Id)).equals((t, thread::Column::ForumId)),
        )
        .left_join(
            g,
            Expr::col((g, forum_group::Column::Id)).equals((f, forum::Column::GroupId)),
        )
        .and_where(Expr::col((t, thread::Column::Id)).eq(id))
        .to_owned();
    fetch_one(db, &select).await
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<thread::Model>, DbErr> {
    thread::Entity::find_by_id(id).one(db).await
}

pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<thread::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    thread::Entity::find()
        .filter(thread::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

pub struct NewThread<'a> {
    pub forum_id: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewThread<'_>,
) -> Result<thread::Model, DbErr> {
    thread::ActiveModel {
        forum_id: Set(new.forum_id),
        author_id: Set(new.author_id),
        title: Set(new.title.to_owned()),
        starter_post_id: Set(None),
        reply_count: Set(0),
        revision: Set(0),
        last_post_at: Set(new.now),
        last_post_author_id: Set(Some(new.author_id)),
        locked: Set(false),
        created_at: Set(new.now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn set_starter_post<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
    post_id: i64,
) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(thread::Column::StarterPostId, Expr::value(post_id))
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Renames a thread.
pub async fn set_title<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
    title: &str,
) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(thread::Column::Title, Expr::value(title))
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts `count` new replies at once; `last_author_id` wrote the latest of them, at `at`. The
/// thread moves to the top of the chronological lists unless it already has a later post (a
/// reply from elsewhere keeps the time it was written).
pub fn record_replies(
    writes: &mut Writes,
    thread_id: i64,
    count: i64,
    last_author_id: i64,
    at: DateTime<Utc>,
) {
    let newer = || Expr::col(thread::Column::LastPostAt).lte(at);
    let update = thread::Entity::update_many()
        .col_expr(
            thread::Column::ReplyCount,
            Expr::col(thread::Column::ReplyCount).add(count),
        )
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(count),
        )
        .col_expr(
            thread::Column::LastPostAt,
            Expr::case(newer(), at)
                .finally(Expr::col(thread::Column::LastPostAt))
                .into(),
        )
        .col_expr(
            thread::Column::LastPostAuthorId,
            Expr::case(newer(), last_author_id)
                .finally(Expr::col(thread::Column::LastPostAuthorId))
                .into(),
        )
        .filter(thread::Column::Id.eq(thread_id));
    writes.push(&update);
}

/// Marks a change to one of the thread's posts (an edit, or the starter's deletion), so that
/// cached copies of the thread are refreshed.
pub async fn bump_revision<C: ConnectionTrait>(db: &C, thread_id: i64) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(1),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn record_deleted_reply<C: ConnectionTrait>(db: &C, thread_id: i64) -> Result<(), DbErr> {
    thread::Entity::update_many()
        .col_expr(
            thread::Column::ReplyCount,
            Expr::col(thread::Column::ReplyCount).sub(1),
        )
        .col_expr(
            thread::Column::Revision,
            Expr::col(thread::Column::Revision).add(1),
        )
        .filter(thread::Column::Id.eq(thread_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    thread::Entity::find().count(db).await
}
