//! The instance actor's row.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use crate::instance_actor;

const ROW: i32 = 1;

pub async fn get<C: ConnectionTrait>(db: &C) -> Result<Option<instance_actor::Model>, DbErr> {
    instance_actor::Entity::find_by_id(ROW).one(db).await
}

/// Stores the key pair unless one is already there (two processes starting at once keep the
/// first), then returns the stored row.
pub async fn insert_if_missing<C: ConnectionTrait>(
    db: &C,
    public_key: &str,
    private_key: &str,
    now: DateTime<Utc>,
) -> Result<instance_actor::Model, DbErr> {
    let row = instance_actor::ActiveModel {
        id: Set(ROW),
        public_key: Set(public_key.to_owned()),
        private_key: Set(private_key.to_owned()),
        created_at: Set(now),
    };
    instance_actor::Entity::insert(row)
        .on_conflict_do_nothing_on([instance_actor::Column::Id])
        .exec(db)
        .await?;
    get(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("instance actor".into()))
}
