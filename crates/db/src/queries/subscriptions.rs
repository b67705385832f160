//! Members' subscriptions to forums on other servers.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::{forum, forum_subscription};

pub async fn get<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<Option<forum_subscription::Model>, DbErr> {
    forum_subscription::Entity::find_by_id((forum_id, user_id))
        .one(db)
        .await
}

pub async fn by_follow_id<C: ConnectionTrait>(
    db: &C,
    follow_id: &str,
) -> Result<Option<forum_subscription::Model>, DbErr> {
    forum_subscription::Entity::find()
        .filter(forum_subscription::Column::FollowId.eq(follow_id))
        .one(db)
        .await
}

/// Records a new, pending subscription.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
    follow_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    forum_subscription::Entity::insert(forum_subscription::ActiveModel {
        forum_id: Set(forum_id),
        user_id: Set(user_id),
        follow_id: Set(follow_id.to_owned()),
        accepted_at: Set(None),
        last_sent_at: Set(now),
        sends: Set(1),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Marks the subscription whose Follow this is as accepted; returns whether there was one.
pub async fn accept<C: ConnectionTrait>(
    db: &C,
    follow_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = forum_subscription::Entity::update_many()
        .col_expr(
            forum_subscription::Column::AcceptedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(forum_subscription::Column::FollowId.eq(follow_id))
        .filter(forum_subscription::Column::AcceptedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Notes that a pending Follow was sent again, as a new activity with the id `follow_id`.
pub async fn record_resend<C: ConnectionTrait>(
    db: &C,
    subscription: &forum_subscription::Model,
    follow_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    forum_subscription::Entity::update_many()
        .col_expr(
            forum_subscription::Column::FollowId,
            sea_orm::sea_query::Expr::value(follow_id),
        )
        .col_expr(
            forum_subscription::Column::LastSentAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            forum_subscription::Column::Sends,
            sea_orm::sea_query::Expr::value(subscription.sends + 1),
        )
        .filter(forum_subscription::Column::ForumId.eq(subscription.forum_id))
        .filter(forum_subscription::Column::UserId.eq(subscription.user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a subscription, returning it.
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<Option<forum_subscription::Model>, DbErr> {
    let found = get(db, forum_id, user_id).await?;
    if found.is_some() {
        forum_subscription::Entity::delete_by_id((forum_id, user_id))
            .exec(db)
            .await?;
    }
    Ok(found)
}

/// How many members here follow a forum (pending or accepted).
pub async fn count_for_forum<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<u64, DbErr> {
    forum_subscription::Entity::find()
        .filter(forum_subscription::Column::ForumId.eq(forum_id))
        .count(db)
        .await
}

/// Pending subscriptions whose Follow was last sent before `sent_before` and sent fewer than
/// `max_sends` times.
pub async fn pending_resend<C: ConnectionTrait>(
    db: &C,
    sent_before: DateTime<Utc>,
    max_sends: i32,
    limit: u64,
) -> Result<Vec<forum_subscription::Model>, DbErr> {
    forum_subscription::Entity::find()
        .filter(forum_subscription::Column::AcceptedAt.is_null())
        .filter(forum_subscription::Column::LastSentAt.lt(sent_before))
        .filter(forum_subscription::Column::Sends.lt(max_sends))
        .order_by_asc(forum_subscription::Column::LastSentAt)
        .limit(limit)
        .all(db)
        .await
}

/// A member's subscriptions with their forums, by forum name.
pub async fn of_user<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<Vec<(forum_subscription::Model, forum::Model)>, DbErr> {
    let rows = forum_subscription::Entity::find()
        .find_also_related(forum::Entity)
        .filter(forum_subscription::Column::UserId.eq(user_id))
        .order_by_asc(forum::Column::Name)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(sub, forum)| forum.map(|f| (sub, f)))
        .collect())
}
