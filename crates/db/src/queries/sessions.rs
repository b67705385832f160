//! Sessions: browser cookies and API tokens, looked up by the hash of their secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::{session, user};

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

/// The live session with this token hash and its member, in one query.
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(session::Model, user::Model)>, DbErr> {
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::ExpiresAt.gt(now))
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(s, u)| u.map(|u| (s, u))))
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
