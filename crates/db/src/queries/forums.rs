//! Forum groups and forums: the index, lookups, creation and the per-forum counters.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
};

use super::fetch_all;
use crate::writes::Writes;
use crate::{forum, forum_group, forum_host, user};

/// One forum as the index shows it, with its group and the latest post's author.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ForumIndexRow {
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub purpose: String,
    pub thread_count: i64,
    pub post_count: i64,
    pub last_post_at: Option<DateTime<Utc>>,
    pub last_post_id: Option<i64>,
    pub last_thread_id: Option<i64>,
    pub last_post_author: Option<String>,
}

/// Every local forum with its group, ordered as the index shows them, in one query.
pub async fn index<C: ConnectionTrait>(db: &C) -> Result<Vec<ForumIndexRow>, DbErr> {
    let g = Alias::new("g");
    let u = Alias::new("u");
    let f = forum::Entity;
    let select = Query::select()
        .expr_as(
            Expr::col((g.clone(), forum_group::Column::Id)),
            Alias::new("group_id"),
        )
        .expr_as(
            Expr::col((g.clone(), forum_group::Column::Name)),
            Alias::new("group_name"),
        )
        .columns([
            (f, forum::Column::Id),
            (f, forum::Column::Slug),
            (f, forum::Column::Name),
            (f, forum::Column::Purpose),
            (f, forum::Column::ThreadCount),
            (f, forum::Column::PostCount),
            (f, forum::Column::LastPostAt),
            (f, forum::Column::LastPostId),
            (f, forum::Column::LastThreadId),
        ])
        .expr_as(
            Expr::col((u.clone(), user::Column::Name)),
            Alias::new("last_post_author"),
        )
        .from(f)
        .join_as(
            JoinType::LeftJoin,
            forum_group::Entity,
            g.clone(),
            Expr::col((g.clone(), forum_group::Column::Id)).equals((f, forum::Column::GroupId)),
        )
        .join_as(
            JoinType::LeftJoin,
            user::Entity,
            u.clone(),
            Expr::col((u, user::Column::Id)).equals((f, forum::Column::LastPostAuthorId)),
        )
        .and_where(Expr::col((f, forum::Column::Local)).eq(true))
        .order_by((g.clone(), forum_group::Column::Position), Order::Asc)
        .order_by((g, forum_group::Column::Id), Order::Asc)
        .order_by((f, forum::Column::Position), Order::Asc)
        .order_by((f, forum::Column::Id), Order::Asc)
        .to_owned();
    fetch_all(db, &select).await
}

pub async fn groups<C: ConnectionTrait>(db: &C) -> Result<Vec<forum_group::Model>, DbErr> {
    forum_group::Entity::find()
        .order_by_asc(forum_group::Column::Position)
        .order_by_asc(forum_group::Column::Id)
        .all(db)
        .await
}

pub async fn group_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<forum_group::Model>, DbErr> {
    forum_group::Entity::find()
        .filter(forum_group::Column::Name.eq(name))
        .one(db)
        .await
}

pub async fn group_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<forum_group::Model>, DbErr> {
    forum_group::Entity::find_by_id(id).one(db).await
}

pub async fn insert_group<C: ConnectionTrait>(
    db: &C,
    name: &str,
    position: i32,
) -> Result<forum_group::Model, DbErr> {
    forum_group::ActiveModel {
        name: Set(name.to_owned()),
        position: Set(position),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<forum::Model>, DbErr> {
    forum::Entity::find()
        .filter(forum::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<forum::Model>, DbErr> {
    forum::Entity::find_by_id(id).one(db).await
}

/// A remote forum by its ActivityPub id.
pub async fn by_ap_id<C: ConnectionTrait>(
    db: &C,
    ap_id: &str,
) -> Result<Option<forum::Model>, DbErr> {
    forum::Entity::find()
        .filter(forum::Column::ApId.eq(ap_id))
        .one(db)
        .await
}

/// Forums of other servers that at least one member here follows, by name.
pub async fn followed_elsewhere<C: ConnectionTrait>(db: &C) -> Result<Vec<forum::Model>, DbErr> {
    use sea_orm::QueryOrder;
    use sea_orm::sea_query::Query as SubQuery;
    forum::Entity::find()
        .filter(forum::Column::Local.eq(false))
        .filter(
            forum::Column::Id.in_subquery(
                SubQuery::select()
                    .column(crate::forum_subscription::Column::ForumId)
                    .from(crate::forum_subscription::Entity)
                    .to_owned(),
            ),
        )
        .order_by_asc(forum::Column::Slug)
        .all(db)
        .await
}

/// What Stoa keeps of a forum on another server.
pub struct RemoteForum<'a> {
    pub ap_id: &'a str,
    /// `name@host`, unique beside local slugs (which cannot hold `@`).
    pub slug: &'a str,
    pub name: &'a str,
    pub purpose: &'a str,
    pub inbox_url: &'a str,
    pub shared_inbox_url: Option<&'a str>,
    pub profile_url: &'a str,
    pub public_key: &'a str,
    /// The group its server files it under, by name: `Some(None)` when it names none, `None`
    /// when that could not be read this time (what was known is kept).
    pub group: Option<Option<&'a str>>,
    pub now: DateTime<Utc>,
}

/// Stores or refreshes a remote forum, keyed by its id.
pub async fn upsert_remote<C: ConnectionTrait>(
    db: &C,
    remote: RemoteForum<'_>,
) -> Result<forum::Model, DbErr> {
    match save_remote(db, &remote).await {
        // Several activities of a newcomer arrived at once and another stored it first.
        Err(err) if crate::is_unique_violation(&err) => save_remote(db, &remote).await,
        other => other,
    }
}

async fn save_remote<C: ConnectionTrait>(
    db: &C,
    remote: &RemoteForum<'_>,
) -> Result<forum::Model, DbErr> {
    let mut model = match by_ap_id(db, remote.ap_id).await? {
        Some(found) => sea_orm::IntoActiveModel::into_active_model(found),
        None => forum::ActiveModel {
            slug: Set(remote.slug.to_owned()),
            position: Set(0),
            local: Set(false),
            thread_count: Set(0),
            post_count: Set(0),
            ap_id: Set(Some(remote.ap_id.to_owned())),
            created_at: Set(remote.now),
            ..Default::default()
        },
    };
    model.name = Set(remote.name.to_owned());
    model.purpose = Set(remote.purpose.to_owned());
    model.inbox_url = Set(Some(remote.inbox_url.to_owned()));
    model.shared_inbox_url = Set(remote.shared_inbox_url.map(str::to_owned));
    model.profile_url = Set(Some(remote.profile_url.to_owned()));
    model.public_key = Set(Some(remote.public_key.to_owned()));
    model.last_refreshed_at = Set(Some(remote.now));
    if let Some(group) = remote.group {
        model.remote_group = Set(group.map(str::to_owned));
    }
    model.save(db).await?;
    by_ap_id(db, remote.ap_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(remote.ap_id.to_owned()))
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    forum::Entity::find().count(db).await
}

pub struct NewForum<'a> {
    pub group_id: Option<i64>,
    pub slug: &'a str,
    pub name: &'a str,
    pub purpose: &'a str,
    pub position: i32,
    pub public_key: &'a str,
    pub private_key: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_local<C: ConnectionTrait>(
    db: &C,
    new: NewForum<'_>,
) -> Result<forum::Model, DbErr> {
    forum::ActiveModel {
        group_id: Set(new.group_id),
        slug: Set(new.slug.to_owned()),
        name: Set(new.name.to_owned()),
        purpose: Set(new.purpose.to_owned()),
        position: Set(new.position),
        local: Set(true),
        thread_count: Set(0),
        post_count: Set(0),
        public_key: Set(Some(new.public_key.to_owned())),
        private_key: Set(Some(new.private_key.to_owned())),
        created_at: Set(new.now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn add_host<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    forum_host::ActiveModel {
        forum_id: Set(forum_id),
        user_id: Set(user_id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Names of a forum's hosts, in the order they became hosts.
pub async fn host_names<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<Vec<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        name: String,
    }
    let h = forum_host::Entity;
    let select = Query::select()
        .column((user::Entity, user::Column::Name))
        .from(h)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id)).equals((h, forum_host::Column::UserId)),
        )
        .and_where(Expr::col((h, forum_host::Column::ForumId)).eq(forum_id))
        .order_by((h, forum_host::Column::CreatedAt), Order::Asc)
        .to_owned();
    let rows: Vec<Row> = fetch_all(db, &select).await?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Records a new post in its forum: counters and the "latest post" columns.
pub async fn record_new_post<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    thread_id: i64,
    post_id: i64,
    author_id: i64,
    new_thread: bool,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let posts = NewPosts {
        forum_id,
        posts: 1,
        threads: i64::from(new_thread),
        last_thread_id: thread_id,
        last_post_id: post_id,
        last_author_id: author_id,
        at,
    };
    let mut writes = Writes::for_connection(db);
    record_new_posts(&mut writes, &posts);
    writes.run(db).await
}

/// New posts of one forum written together; the `last_` columns name the latest of them.
pub struct NewPosts {
    pub forum_id: i64,
    pub posts: i64,
    /// How many of them started a thread.
    pub threads: i64,
    pub last_thread_id: i64,
    pub last_post_id: i64,
    pub last_author_id: i64,
    pub at: DateTime<Utc>,
}

/// Counts several new posts of a forum with one statement.
pub fn record_new_posts(writes: &mut Writes, new: &NewPosts) {
    // The "latest post" columns only move forward: a post written earlier than the latest one
    // (a thread from elsewhere keeps its own time) is counted but does not replace it.
    let newer = || {
        Expr::col(forum::Column::LastPostAt)
            .is_null()
            .or(Expr::col(forum::Column::LastPostAt).lte(new.at))
    };
    let mut update = forum::Entity::update_many().col_expr(
        forum::Column::PostCount,
        Expr::col(forum::Column::PostCount).add(new.posts),
    );
    for (column, value) in [
        (
            forum::Column::LastPostId,
            sea_orm::Value::from(new.last_post_id),
        ),
        (forum::Column::LastThreadId, new.last_thread_id.into()),
        (forum::Column::LastPostAuthorId, new.last_author_id.into()),
        (forum::Column::LastPostAt, new.at.into()),
    ] {
        let latest = Expr::case(newer(), value).finally(Expr::col(column));
        update = update.col_expr(column, latest.into());
    }
    if new.threads > 0 {
        update = update.col_expr(
            forum::Column::ThreadCount,
            Expr::col(forum::Column::ThreadCount).add(new.threads),
        );
    }
    writes.push(&update.filter(forum::Column::Id.eq(new.forum_id)));
}

/// Counts a forum's threads and posts again, and finds its latest post: after a thread moved in
/// or out, its counters cannot be adjusted by one.
pub async fn recount<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<(), DbErr> {
    use crate::{post, thread};
    use sea_orm::{PaginatorTrait, QueryOrder};
    let threads_here = || {
        sea_orm::sea_query::Query::select()
            .column(thread::Column::Id)
            .from(thread::Entity)
            .and_where(Expr::col(thread::Column::ForumId).eq(forum_id))
            .to_owned()
    };
    let thread_count = thread::Entity::find()
        .filter(thread::Column::ForumId.eq(forum_id))
        .count(db)
        .await?;
    let post_count = post::Entity::find()
        .filter(post::Column::ThreadId.in_subquery(threads_here()))
        .filter(post::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    let latest = post::Entity::find()
        .filter(post::Column::ThreadId.in_subquery(threads_here()))
        .order_by_desc(post::Column::CreatedAt)
        .order_by_desc(post::Column::Id)
        .one(db)
        .await?;
    forum::Entity::update_many()
        .col_expr(
            forum::Column::ThreadCount,
            Expr::value(i64::try_from(thread_count).unwrap_or(i64::MAX)),
        )
        .col_expr(
            forum::Column::PostCount,
            Expr::value(i64::try_from(post_count).unwrap_or(i64::MAX)),
        )
        .col_expr(
            forum::Column::LastPostId,
            Expr::value(latest.as_ref().map(|p| p.id)),
        )
        .col_expr(
            forum::Column::LastThreadId,
            Expr::value(latest.as_ref().map(|p| p.thread_id)),
        )
        .col_expr(
            forum::Column::LastPostAuthorId,
            Expr::value(latest.as_ref().map(|p| p.author_id)),
        )
        .col_expr(
            forum::Column::LastPostAt,
            Expr::value(latest.as_ref().map(|p| p.created_at)),
        )
        .filter(forum::Column::Id.eq(forum_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a deleted post from its forum's post count.
pub async fn record_deleted_post<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<(), DbErr> {
    forum::Entity::update_many()
        .col_expr(
            forum::Column::PostCount,
            Expr::col(forum::Column::PostCount).sub(1),
        )
        .filter(forum::Column::Id.eq(forum_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces a forum's statement of purpose.
pub async fn set_purpose<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    purpose: &str,
) -> Result<(), DbErr> {
    forum::Entity::update_many()
        .col_expr(forum::Column::Purpose, Expr::value(purpose))
        .filter(forum::Column::Id.eq(forum_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The local forums of a group, in index order.
pub async fn in_group<C: ConnectionTrait>(
    db: &C,
    group_id: i64,
) -> Result<Vec<forum::Model>, DbErr> {
    use sea_orm::QueryOrder;
    forum::Entity::find()
        .filter(forum::Column::GroupId.eq(group_id))
        .filter(forum::Column::Local.eq(true))
        .order_by_asc(forum::Column::Position)
        .order_by_asc(forum::Column::Id)
        .all(db)
        .await
}
