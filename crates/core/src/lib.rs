//! Stoa's forum rules as services: accounts, sessions, forums, follows, threads, replies and
//! moderation.
//!
//! Both the web side and (later) the federation side call these. Every service that changes
//! state writes an outbox event in the same transaction as the change. Nothing here knows HTTP
//! or ActivityPub.

pub mod accounts;
pub mod error;
pub mod events;
pub mod follows;
pub mod forums;
pub mod html_guard;
pub mod instance;
pub mod juries;
pub mod keys;
pub mod markdown;
pub mod moderation;
pub mod notifications;
pub mod posts;
pub mod replies;
pub mod safety;
pub mod seed;
pub mod sessions;
pub mod text;
pub mod tree;

pub use error::{CoreError, CoreResult};
pub use stoa_db as db;

/// The member on whose behalf a service acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
}

impl From<&stoa_db::user::Model> for Actor {
    fn from(user: &stoa_db::user::Model) -> Self {
        Actor {
            id: user.id,
            name: user.name.clone(),
            is_admin: user.is_admin,
        }
    }
}

/// Limits a forum's members meet when they write.
pub mod limits {
    /// Longest thread title, in characters.
    pub const TITLE_MAX_CHARS: usize = 200;
    /// Largest post body, in bytes of markdown source.
    pub const BODY_MAX_BYTES: usize = 64 * 1024;
}
