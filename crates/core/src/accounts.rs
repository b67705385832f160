//! Accounts: registration with validated names, argon2 password hashes, and authentication.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Utc;
use stoa_db::queries::{forums, users};
use stoa_db::{ConnectionTrait, user};

use crate::{CoreError, CoreResult};

pub const NAME_MIN: usize = 2;
pub const NAME_MAX: usize = 32;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;

/// Names a member can never take: they would collide with pages or fediverse handles.
const RESERVED_NAMES: &[&str] = &[
    "admin", "api", "latest", "login", "logout", "register", "static", "new",
];

/// Checks a username: 2–32 characters of ASCII letters, digits, `_` or `-`, starting with a
/// letter or digit. Kept this narrow because the name becomes a fediverse handle.
pub fn validate_name(name: &str) -> CoreResult<()> {
    let len = name.chars().count();
    if !(NAME_MIN..=NAME_MAX).contains(&len) {
        return Err(CoreError::invalid(
            "username",
            format!("a username has {NAME_MIN} to {NAME_MAX} characters"),
        ));
    }
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if !valid_chars || !starts_well {
        return Err(CoreError::invalid(
            "username",
            "a username uses only letters, digits, _ and -, and starts with a letter or digit",
        ));
    }
    if RESERVED_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(CoreError::invalid("username", "that username is reserved"));
    }
    Ok(())
}

fn validate_password(password: &str) -> CoreResult<()> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(CoreError::invalid(
            "password",
            format!("a password has at least {PASSWORD_MIN} characters"),
        ));
    }
    if password.len() > PASSWORD_MAX {
        return Err(CoreError::invalid(
            "password",
            format!("a password has at most {PASSWORD_MAX} bytes"),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id on a blocking thread (it takes tens of milliseconds).
pub async fn hash_password(password: &str) -> CoreResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("password hashing: {e}")))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("password hashing task: {e}")))?
}

async fn verify_password(password: &str, hash: &str) -> CoreResult<bool> {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| CoreError::Internal(format!("stored password hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| CoreError::Internal(format!("password check task: {e}")))?
}

/// Creates a local member. Names are unique regardless of case, and never equal a forum's slug,
/// because members and forums share one namespace of fediverse handles.
pub async fn register<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
    is_admin: bool,
) -> CoreResult<user::Model> {
    let name = name.trim();
    check_new_account(db, name, password).await?;
    let hash = hash_password(password).await?;
    create(db, name, &hash, is_admin).await
}

/// Checks a new account's name and password, and that the name is free — also of anyone
/// waiting for approval.
pub async fn check_new_account<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
) -> CoreResult<()> {
    validate_name(name)?;
    validate_password(password)?;
    ensure_name_free(db, name).await
}

/// Creates a member from an approved application, with the password hash it was made with.
pub async fn create_with_hash<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password_hash: &str,
) -> CoreResult<user::Model> {
    if users::by_name_ignore_case(db, name).await?.is_some() {
        return Err(name_taken());
    }
    create(db, name, password_hash, false).await
}

async fn create<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password_hash: &str,
    is_admin: bool,
) -> CoreResult<user::Model> {
    let keys = crate::keys::generate().await?;
    let created = users::insert_local(
        db,
        users::NewLocalUser {
            name,
            password_hash,
            is_admin,
            public_key: &keys.public_pem,
            private_key: &keys.private_pem,
            now: Utc::now(),
        },
    )
    .await;
    match created {
        Ok(user) => Ok(user),
        // Two registrations raced for the same name: the unique index decided.
        Err(e) if stoa_db::is_unique_violation(&e) => Err(name_taken()),
        Err(e) => Err(e.into()),
    }
}

fn name_taken() -> CoreError {
    CoreError::Conflict("that username is already taken".into())
}

async fn ensure_name_free<C: ConnectionTrait>(db: &C, name: &str) -> CoreResult<()> {
    if users::by_name_ignore_case(db, name).await?.is_some()
        || stoa_db::queries::safety::application_by_name(db, name)
            .await?
            .is_some()
    {
        return Err(name_taken());
    }
    if forums::by_slug(db, &name.to_ascii_lowercase())
        .await?
        .is_some()
    {
        return Err(CoreError::Conflict("that name belongs to a forum".into()));
    }
    Ok(())
}

/// A precomputed hash checked when the name is unknown, so that a wrong name and a wrong
/// password take the same time and do not reveal which members exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RvYWR1bW15c2FsdA$0nE1n4ZCBh8H2aZ5yYm6b7ev0ElTH9EN2Nvh8aN0pBk";

/// Checks a local member's name and password.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
) -> CoreResult<user::Model> {
    let found = users::by_name(db, name.trim()).await?;
    let hash = found
        .as_ref()
        .filter(|u| u.local)
        .and_then(|u| u.password_hash.clone());
    match (found, hash) {
        (Some(user), Some(hash)) if verify_password(password, &hash).await? => {
            match crate::safety::suspension_refusal(db, &user, Utc::now()).await? {
                Some(refusal) => Err(refusal),
                None => Ok(user),
            }
        }
        (_, None) => {
            // Someone who asked to join, with the password they chose, is told where their
            // application stands; anyone else spends the same effort as a real check.
            let application =
                stoa_db::queries::safety::application_by_name(db, name.trim()).await?;
            let hash = application
                .as_ref()
                .map_or(DUMMY_HASH, |a| a.password_hash.as_str());
            let matches = verify_password(password, hash).await.unwrap_or(false);
            match application {
                Some(application) if matches => Err(CoreError::Forbidden(
                    crate::safety::application_status(&application),
                )),
                _ => Err(CoreError::InvalidCredentials),
            }
        }
        _ => Err(CoreError::InvalidCredentials),
    }
}

/// Sets a new password for a local member.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    password: &str,
) -> CoreResult<()> {
    validate_password(password)?;
    let hash = hash_password(password).await?;
    users::set_password_hash(db, user_id, &hash).await?;
    Ok(())
}

/// A member of another server deleted their account: each of their posts here becomes a
/// placeholder (announced like any deletion) and they stop following our forums. The member's
/// row stays, so the placeholders keep an author. Returns how many posts were deleted.
pub async fn remove_remote_member<C: ConnectionTrait + stoa_db::TransactionTrait>(
    db: &C,
    member: &user::Model,
) -> CoreResult<usize> {
    if member.local {
        return Err(CoreError::Forbidden(
            "a member of this server is not removed this way",
        ));
    }
    let actor = crate::Actor::from(member);
    let ids = stoa_db::queries::posts::live_ids_by_author(db, member.id).await?;
    for id in &ids {
        crate::posts::delete_post(db, &actor, *id).await?;
    }
    stoa_db::queries::followers::remove_everywhere(db, member.id).await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("alice").is_ok());
        assert!(validate_name("bob_2-x").is_ok());
        assert!(validate_name("a").is_err());
        assert!(validate_name("_alice").is_err());
        assert!(validate_name("al ice").is_err());
        assert!(validate_name("alïce").is_err());
        assert!(validate_name("Admin").is_err());
        assert!(validate_name(&"x".repeat(33)).is_err());
    }

    #[tokio::test]
    async fn dummy_hash_parses() {
        assert!(
            !verify_password("anything", DUMMY_HASH)
                .await
                .unwrap_or(true)
        );
    }
}
