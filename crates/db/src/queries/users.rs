//! Members: lookups by name and id, creation, and post counters.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use crate::user;

pub async fn by_name<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub struct NewLocalUser<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub public_key: &'a str,
    pub private_key: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_local<C: ConnectionTrait>(
    db: &C,
    new: NewLocalUser<'_>,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        name: Set(new.name.to_owned()),
        display_name: Set(None),
        local: Set(true),
        password_hash: Set(Some(new.password_hash.to_owned())),
        is_admin: Set(new.is_admin),
        post_count: Set(0),
        public_key: Set(Some(new.public_key.to_owned())),
        private_key: Set(Some(new.private_key.to_owned())),
        created_at: Set(new.now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn set_admin<C: ConnectionTrait>(db: &C, id: i64, is_admin: bool) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::IsAdmin, Expr::value(is_admin))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_password_hash<C: ConnectionTrait>(
    db: &C,
    id: i64,
    hash: &str,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds `delta` to a member's post count atomically (no read-modify-write race).
pub async fn add_post_count<C: ConnectionTrait>(db: &C, id: i64, delta: i64) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::PostCount,
            Expr::col(user::Column::PostCount).add(delta),
        )
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    user::Entity::find().count(db).await
}

/// Finds a member whatever the case of the name, so `Alice` cannot register beside `alice`.
pub async fn by_name_ignore_case<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<user::Model>, DbErr> {
    use sea_orm::sea_query::{ExprTrait as _, Func};
    user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Name))).eq(name.to_lowercase()))
        .one(db)
        .await
}

/// Members of this instance (not cached remote actors).
pub async fn count_local<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    user::Entity::find()
        .filter(user::Column::Local.eq(true))
        .count(db)
        .await
}
