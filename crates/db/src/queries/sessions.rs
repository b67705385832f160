//! Sessions: browser cookies and API tokens, looked up by the hash of their secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, Set,
};

use crate::{notification, session, user};

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub kind: &'a str,
    pub csrf_token: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewSession<'_>) -> Result<(), DbErr> {
    session::ActiveModel {
        token_hash: Set(new.token_hash.to_owned()),
        user_id: Set(new.user_id),
        kind: Set(new.kind.to_owned()),
        csrf_token: Set(new.csrf_token.to_owned()),
        created_at: Set(new.now),
        expires_at: Set(new.expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A live session with what a request needs of its member.
#[derive(Debug, Clone, FromQueryResult)]
pub struct LiveSession {
    pub csrf_token: String,
    pub user_id: i64,
    pub name: String,
    pub is_admin: bool,
    /// The member's unread notifications, for every page's header.
    pub unread: i64,
}

/// The live session with this token hash, its member and their unread notifications, in one
/// query.
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LiveSession>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr, SubQueryStatement};
    let unread = Query::select()
        .expr(Func::count(Expr::col((
            notification::Entity,
            notification::Column::Id,
        ))))
        .from(notification::Entity)
        .and_where(
            Expr::col((notification::Entity, notification::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((notification::Entity, notification::Column::ReadAt)).is_null())
        .to_owned();
    let select = Query::select()
        .column((session::Entity, session::Column::CsrfToken))
        .expr_as(
            Expr::col((user::Entity, user::Column::Id)),
            Alias::new("user_id"),
        )
        .column((user::Entity, user::Column::Name))
        .column((user::Entity, user::Column::IsAdmin))
        .expr_as(
            SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::from(unread))),
            Alias::new("unread"),
        )
        .from(session::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((session::Entity, session::Column::UserId)),
        )
        .and_where(Expr::col((session::Entity, session::Column::TokenHash)).eq(token_hash))
        .and_where(Expr::col((session::Entity, session::Column::ExpiresAt)).gt(now))
        .to_owned();
    super::fetch_one(db, &select).await
}

pub async fn delete<C: ConnectionTrait>(db: &C, token_hash: &str) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Ends every session of a member (they were suspended).
pub async fn delete_for_user<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<u64, DbErr> {
    let done = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
