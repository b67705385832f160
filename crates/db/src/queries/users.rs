//! Members: lookups by name and id, creation, and post counters.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select, Set,
    sea_query::Expr,
};

use crate::user;
use crate::writes::Writes;

pub async fn by_name<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await
}

/// The instance's first administrator (the oldest account among them).
pub async fn first_admin<C: ConnectionTrait>(db: &C) -> Result<Option<user::Model>, DbErr> {
    use sea_orm::QueryOrder;
    user::Entity::find()
        .filter(user::Column::IsAdmin.eq(true))
        .filter(user::Column::Local.eq(true))
        .order_by_asc(user::Column::Id)
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
    let mut writes = Writes::for_connection(db);
    add_post_counts(&mut writes, &[(id, delta)]);
    writes.run(db).await
}

/// Adds to several members' post counts with one statement: `(member id, delta)` pairs, each
/// member at most once.
pub fn add_post_counts(writes: &mut Writes, deltas: &[(i64, i64)]) {
    let Some(((first_id, first_delta), rest)) = deltas.split_first() else {
        return;
    };
    let delta = rest.iter().fold(
        Expr::case(user::Column::Id.eq(*first_id), *first_delta),
        |case, (id, delta)| case.case(user::Column::Id.eq(*id), *delta),
    );
    let delta: Expr = delta.finally(0).into();
    let update = user::Entity::update_many()
        .col_expr(
            user::Column::PostCount,
            Expr::col(user::Column::PostCount).add(delta),
        )
        .filter(user::Column::Id.is_in(deltas.iter().map(|(id, _)| *id)));
    writes.push(&update);
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

pub async fn by_ap_id<C: ConnectionTrait>(
    db: &C,
    ap_id: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::ApId.eq(ap_id))
        .one(db)
        .await
}

/// What is known of a remote actor after fetching it.
pub struct RemoteActor<'a> {
    pub ap_id: &'a str,
    pub name: &'a str,
    pub display_name: Option<&'a str>,
    pub inbox_url: &'a str,
    pub shared_inbox_url: Option<&'a str>,
    pub profile_url: &'a str,
    pub avatar_url: Option<&'a str>,
    pub public_key: &'a str,
    pub now: DateTime<Utc>,
}

/// Inserts or refreshes a cached remote actor, keyed by its ActivityPub id.
pub async fn upsert_remote<C: ConnectionTrait>(
    db: &C,
    actor: RemoteActor<'_>,
) -> Result<user::Model, DbErr> {
    match save_remote(db, &actor).await {
        // Several activities of a newcomer arrived at once and another stored it first.
        Err(err) if crate::is_unique_violation(&err) => save_remote(db, &actor).await,
        other => other,
    }
}

async fn save_remote<C: ConnectionTrait>(
    db: &C,
    actor: &RemoteActor<'_>,
) -> Result<user::Model, DbErr> {
    let existing = by_ap_id(db, actor.ap_id).await?;
    let mut model = match existing {
        Some(found) => sea_orm::IntoActiveModel::into_active_model(found),
        None => user::ActiveModel {
            name: Set(actor.name.to_owned()),
            local: Set(false),
            is_admin: Set(false),
            post_count: Set(0),
            ap_id: Set(Some(actor.ap_id.to_owned())),
            created_at: Set(actor.now),
            ..Default::default()
        },
    };
    model.display_name = Set(actor.display_name.map(str::to_owned));
    model.inbox_url = Set(Some(actor.inbox_url.to_owned()));
    model.shared_inbox_url = Set(actor.shared_inbox_url.map(str::to_owned));
    model.profile_url = Set(Some(actor.profile_url.to_owned()));
    model.avatar_url = Set(actor.avatar_url.map(str::to_owned));
    model.public_key = Set(Some(actor.public_key.to_owned()));
    model.last_refreshed_at = Set(Some(actor.now));
    model.save(db).await?;
    by_ap_id(db, actor.ap_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(actor.ap_id.to_owned()))
}

/// These members, as a query to narrow further.
pub(crate) fn among(ids: &[i64]) -> Select<user::Entity> {
    user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied()))
}

/// The ids a narrowed [`among`] finds, in one statement.
pub(crate) async fn ids_of<C: ConnectionTrait>(
    db: &C,
    select: Select<user::Entity>,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    select
        .select_only()
        .column(user::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Which of these ids are members here, in one statement.
pub async fn local_among<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids_of(db, among(ids).filter(user::Column::Local.eq(true))).await
}

/// Members of other servers by their handles (`name@host`), in one statement.
pub async fn remote_by_names<C: ConnectionTrait>(
    db: &C,
    names: &[String],
) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Name.is_in(names.iter().map(String::as_str)))
        .filter(user::Column::Local.eq(false))
        .all(db)
        .await
}
