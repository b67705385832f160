//! Likes of posts and the post's like counter, kept in step in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::{post, post_like};

/// Records a like; returns false when the member already liked the post.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
    user_id: i64,
    activity_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = post_like::Entity::insert(post_like::ActiveModel {
        post_id: Set(post_id),
        user_id: Set(user_id),
        activity_id: Set(activity_id.map(str::to_owned)),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([post_like::Column::PostId, post_like::Column::UserId])
    .exec(db)
    .await?;
    let added = matches!(inserted, sea_orm::TryInsertResult::Inserted(_));
    if added {
        bump(db, post_id, 1).await?;
    }
    Ok(added)
}

/// Removes a like; returns whether there was one.
pub async fn remove<C: ConnectionTrait>(db: &C, post_id: i64, user_id: i64) -> Result<bool, DbErr> {
    let removed = post_like::Entity::delete_many()
        .filter(post_like::Column::PostId.eq(post_id))
        .filter(post_like::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0;
    if removed {
        bump(db, post_id, -1).await?;
    }
    Ok(removed)
}

async fn bump<C: ConnectionTrait>(db: &C, post_id: i64, delta: i64) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(
            post::Column::LikeCount,
            Expr::col(post::Column::LikeCount).add(delta),
        )
        .filter(post::Column::Id.eq(post_id))
        .exec(db)
        .await?;
    Ok(())
}
