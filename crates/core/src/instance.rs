//! The instance itself as an actor: its key pair is made on first use and kept.

use chrono::Utc;
use stoa_db::queries::instance;
use stoa_db::{ConnectionTrait, instance_actor};

use crate::{CoreResult, keys};

/// The instance actor's keys, generated and stored the first time they are needed.
pub async fn actor<C: ConnectionTrait>(db: &C) -> CoreResult<instance_actor::Model> {
    if let Some(existing) = instance::get(db).await? {
        return Ok(existing);
    }
    let pair = keys::generate().await?;
    Ok(instance::insert_if_missing(db, &pair.public_pem, &pair.private_pem, Utc::now()).await?)
}

/// What NodeInfo reports about this instance's use.
pub struct Usage {
    pub local_users: u64,
    pub local_posts: u64,
}

pub async fn usage<C: ConnectionTrait>(db: &C) -> CoreResult<Usage> {
    Ok(Usage {
        local_users: stoa_db::queries::users::count_local(db).await?,
        local_posts: stoa_db::queries::posts::count_local(db).await?,
    })
}
