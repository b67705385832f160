//! Instance safety: suspensions, domain rules, the site's settings and applications to join.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::{application, domain_rule, site_setting, suspension, user};

/// Why a member's posts are hidden: suspended.
pub const HIDDEN_SUSPENDED: &str = "suspended";
/// Why a member's posts are hidden: their server is blocked.
pub const HIDDEN_BLOCKED: &str = "blocked";

pub struct NewSuspension<'a> {
    pub user_id: i64,
    pub reason: &'a str,
    pub by: i64,
    pub now: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Suspends a member, or replaces the terms of their suspension.
pub async fn upsert_suspension<C: ConnectionTrait>(
    db: &C,
    new: NewSuspension<'_>,
) -> Result<(), DbErr> {
    suspension::Entity::insert(suspension::ActiveModel {
        user_id: Set(new.user_id),
        reason: Set(new.reason.to_owned()),
        suspended_by: Set(Some(new.by)),
        created_at: Set(new.now),
        expires_at: Set(new.expires_at),
    })
    .on_conflict(
        OnConflict::column(suspension::Column::UserId)
            .update_columns([
                suspension::Column::Reason,
                suspension::Column::SuspendedBy,
                suspension::Column::CreatedAt,
                suspension::Column::ExpiresAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Lifts a suspension; whether there was one.
pub async fn delete_suspension<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<bool, DbErr> {
    let done = suspension::Entity::delete_by_id(user_id).exec(db).await?;
    Ok(done.rows_affected > 0)
}

/// A member's suspension in force at `now`.
pub async fn suspension_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<suspension::Model>, DbErr> {
    suspension::Entity::find_by_id(user_id)
        .filter(
            suspension::Column::ExpiresAt
                .is_null()
                .or(suspension::Column::ExpiresAt.gt(now)),
        )
        .one(db)
        .await
}

/// Suspensions whose end has passed at `now`: their members, to be shown again.
pub async fn expired_suspensions<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    suspension::Entity::find()
        .select_only()
        .column(suspension::Column::UserId)
        .filter(suspension::Column::ExpiresAt.lte(now))
        .into_tuple()
        .all(db)
        .await
}

/// Every suspension, with the member's name, newest first.
pub async fn suspensions<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(suspension::Model, String)>, DbErr> {
    let rows = suspension::Entity::find()
        .order_by_desc(suspension::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|s| s.user_id).collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| {
            let name = names.get(&s.user_id).cloned().unwrap_or_default();
            (s, name)
        })
        .collect())
}

/// Of these members, the ones whose posts are hidden (suspended, or of a blocked server).
pub async fn hidden_among<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    super::users::ids_of(db, hidden(ids)).await
}

/// The query behind [`hidden_among`], for reads that combine it with others.
pub(crate) fn hidden(ids: &[i64]) -> sea_orm::Select<user::Entity> {
    super::users::among(ids).filter(user::Column::HiddenBecause.is_not_null())
}

/// Members of other servers whose handle mentions `text`: the candidates for a domain's rule,
/// with why they are hidden now.
pub async fn remote_members_mentioning<C: ConnectionTrait>(
    db: &C,
    text: &str,
) -> Result<Vec<(i64, String, Option<String>)>, DbErr> {
    user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Name,
            user::Column::HiddenBecause,
        ])
        .filter(user::Column::Local.eq(false))
        .filter(user::Column::Name.contains(text))
        .into_tuple()
        .all(db)
        .await
}

/// Marks why these members' posts are hidden (`None`: shown), and has the threads they wrote
/// in read again.
pub async fn set_hidden_many<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    because: Option<&str>,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    user::Entity::update_many()
        .col_expr(user::Column::HiddenBecause, Expr::value(because))
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    super::threads::bump_revisions_by_authors(db, ids).await
}

/// Adds or replaces the rule for a domain.
pub async fn upsert_domain_rule<C: ConnectionTrait>(
    db: &C,
    domain: &str,
    kind: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    domain_rule::Entity::insert(domain_rule::ActiveModel {
        domain: Set(domain.to_owned()),
        kind: Set(kind.to_owned()),
        reason: Set(reason.map(str::to_owned)),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(domain_rule::Column::Domain)
            .update_columns([
                domain_rule::Column::Kind,
                domain_rule::Column::Reason,
                domain_rule::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Removes a domain's rule of this kind; whether there was one.
pub async fn delete_domain_rule<C: ConnectionTrait>(
    db: &C,
    domain: &str,
    kind: &str,
) -> Result<bool, DbErr> {
    let done = domain_rule::Entity::delete_many()
        .filter(domain_rule::Column::Domain.eq(domain))
        .filter(domain_rule::Column::Kind.eq(kind))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Every domain rule, by domain.
pub async fn domain_rules<C: ConnectionTrait>(db: &C) -> Result<Vec<domain_rule::Model>, DbErr> {
    domain_rule::Entity::find()
        .order_by_asc(domain_rule::Column::Domain)
        .all(db)
        .await
}

/// Every stored setting, by name.
pub async fn settings<C: ConnectionTrait>(db: &C) -> Result<Vec<site_setting::Model>, DbErr> {
    site_setting::Entity::find().all(db).await
}

pub async fn set_setting<C: ConnectionTrait>(db: &C, name: &str, value: &str) -> Result<(), DbErr> {
    site_setting::Entity::insert(site_setting::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(site_setting::Column::Name)
            .update_column(site_setting::Column::Value)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub struct NewApplication<'a> {
    pub name: &'a str,
    pub password_hash: &'a str,
    pub answer: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_application<C: ConnectionTrait>(
    db: &C,
    new: NewApplication<'_>,
) -> Result<application::Model, DbErr> {
    application::ActiveModel {
        name: Set(new.name.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        answer: Set(new.answer.to_owned()),
        status: Set("pending".to_owned()),
        created_at: Set(new.now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// An application by the name it asks for, whatever the case.
pub async fn application_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(application::Column::Name))).eq(name.to_lowercase()),
        )
        .one(db)
        .await
}

pub async fn application_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(id).one(db).await
}

/// Applications awaiting an admin, oldest first.
pub async fn pending_applications<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<application::Model>, DbErr> {
    application::Entity::find()
        .filter(application::Column::Status.eq("pending"))
        .order_by_asc(application::Column::Id)
        .all(db)
        .await
}

pub async fn delete_application<C: ConnectionTrait>(db: &C, id: i64) -> Result<(), DbErr> {
    application::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn reject_application<C: ConnectionTrait>(
    db: &C,
    id: i64,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    application::Entity::update_many()
        .col_expr(application::Column::Status, Expr::value("rejected"))
        .col_expr(application::Column::DecidedAt, Expr::value(now))
        .col_expr(application::Column::DecidedBy, Expr::value(by))
        .filter(application::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
