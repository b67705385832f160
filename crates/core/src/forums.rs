//! Forum groups and forums: creation, the starter set, and the views of the index and a forum.

use chrono::Utc;
use serde::Deserialize;
use stoa_db::queries::threads::ThreadListRow;
use stoa_db::queries::{Page, forums, threads, users};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait, forum};

use crate::{CoreError, CoreResult};

pub const SLUG_MAX: usize = 64;
pub const FORUM_NAME_MAX: usize = 100;
pub const PURPOSE_MAX: usize = 2000;

/// Threads on one page of a forum or of Latest Discussions.
pub const THREADS_PER_PAGE: u64 = 30;

/// Slugs are lower-case ASCII letters, digits and `-`: they appear in URLs and handles.
pub fn validate_slug(slug: &str) -> CoreResult<()> {
    let ok = !slug.is_empty()
        && slug.len() <= SLUG_MAX
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "slug",
            format!("a forum slug has 1 to {SLUG_MAX} lower-case letters, digits or inner dashes"),
        ))
    }
}

pub struct NewForum<'a> {
    pub group: Option<&'a str>,
    pub slug: &'a str,
    pub name: &'a str,
    pub purpose: &'a str,
    pub position: i32,
}

/// Creates a forum, and its group if the group does not exist yet.
pub async fn create_forum<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewForum<'_>,
) -> CoreResult<forum::Model> {
    validate_slug(new.slug)?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > FORUM_NAME_MAX {
        return Err(CoreError::invalid(
            "name",
            format!("a forum name has 1 to {FORUM_NAME_MAX} characters"),
        ));
    }
    if new.purpose.chars().count() > PURPOSE_MAX {
        return Err(CoreError::invalid(
            "purpose",
            format!("a statement of purpose has at most {PURPOSE_MAX} characters"),
        ));
    }
    // Generated before the transaction: it is slow, and must not hold the write lock.
    let keys = crate::keys::generate().await?;
    let txn = stoa_db::begin_write(db).await?;
    if forums::by_slug(&txn, new.slug).await?.is_some() {
        return Err(CoreError::Conflict(format!(
            "a forum with slug {} exists",
            new.slug
        )));
    }
    if users::by_name_ignore_case(&txn, new.slug).await?.is_some() {
        return Err(CoreError::Conflict(format!(
            "{} is a member's name",
            new.slug
        )));
    }
    let group_id = match new.group.map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(group_name) => Some(match forums::group_by_name(&txn, group_name).await? {
            Some(group) => group.id,
            None => {
                let position = forums::groups(&txn).await?.len() as i32;
                forums::insert_group(&txn, group_name, position).await?.id
            }
        }),
    };
    let created = forums::insert_local(
        &txn,
        forums::NewForum {
            group_id,
            slug: new.slug,
            name,
            purpose: new.purpose.trim(),
            position: new.position,
            public_key: &keys.public_pem,
            private_key: &keys.private_pem,
            now: Utc::now(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A forum of this instance by its slug.
pub async fn find_local<C: ConnectionTrait>(db: &C, slug: &str) -> CoreResult<forum::Model> {
    forums::by_slug(db, slug)
        .await?
        .filter(|f| f.local)
        .ok_or(CoreError::NotFound("forum"))
}

/// A forum here or of another server (`name@host`) that members here follow.
pub async fn find<C: ConnectionTrait>(db: &C, slug: &str) -> CoreResult<forum::Model> {
    forums::by_slug(db, slug)
        .await?
        .ok_or(CoreError::NotFound("forum"))
}

/// Makes a member a host of a forum.
pub async fn add_host<C: ConnectionTrait>(db: &C, forum_id: i64, user_id: i64) -> CoreResult<()> {
    forums::add_host(db, forum_id, user_id, Utc::now()).await?;
    Ok(())
}

/// The starter set of forum groups and forums, read from a TOML data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterForums {
    #[serde(rename = "group")]
    pub groups: Vec<StarterGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterGroup {
    pub name: String,
    #[serde(rename = "forum")]
    pub forums: Vec<StarterForum>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterForum {
    pub slug: String,
    pub name: String,
    pub purpose: String,
}

/// The starter set that ships with Stoa.
pub const DEFAULT_STARTER_FORUMS: &str = include_str!("../starter-forums.toml");

impl StarterForums {
    pub fn parse(text: &str) -> CoreResult<Self> {
        toml::from_str(text).map_err(|e| CoreError::invalid("starter_forums", e.to_string()))
    }
}

/// Creates the starter forums if the instance has none yet. Returns how many it created.
pub async fn seed_starter<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    starter: &StarterForums,
) -> CoreResult<usize> {
    if forums::count(db).await? > 0 {
        return Ok(0);
    }
    let mut created = 0;
    for group in &starter.groups {
        for (position, f) in group.forums.iter().enumerate() {
            create_forum(
                db,
                NewForum {
                    group: Some(&group.name),
                    slug: &f.slug,
                    name: &f.name,
                    purpose: &f.purpose,
                    position: position as i32,
                },
            )
            .await?;
            created += 1;
        }
    }
    Ok(created)
}

/// A group on the forum index with its forums.
#[derive(Debug, Clone)]
pub struct IndexGroup {
    pub name: Option<String>,
    pub forums: Vec<forums::ForumIndexRow>,
}

/// The forum index: groups in order, each with its forums (one query).
pub async fn index<C: ConnectionTrait>(db: &C) -> CoreResult<Vec<IndexGroup>> {
    let rows = forums::index(db).await?;
    let mut groups: Vec<IndexGroup> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some(last) if last.name == row.group_name => last.forums.push(row),
            _ => groups.push(IndexGroup {
                name: row.group_name.clone(),
                forums: vec![row],
            }),
        }
    }
    Ok(groups)
}

/// Forums of other servers that members here follow, for the index.
pub async fn elsewhere<C: ConnectionTrait>(db: &C) -> CoreResult<Vec<forum::Model>> {
    Ok(forums::followed_elsewhere(db).await?)
}

/// One page of a forum: the forum, its hosts and its threads by latest activity.
pub struct ForumPage {
    pub forum: forum::Model,
    pub group_name: Option<String>,
    pub hosts: Vec<String>,
    /// Fediverse actors following the forum.
    pub followers: u64,
    pub threads: Page<ThreadListRow>,
}

/// Pages are numbered from 1.
pub fn page_offset(page: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(THREADS_PER_PAGE)
}

pub async fn forum_page<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    page: u64,
) -> CoreResult<ForumPage> {
    let forum = forums::by_slug(db, slug)
        .await?
        .ok_or(CoreError::NotFound("forum"))?;
    let group_name = match forum.group_id {
        Some(id) => forums::group_by_id(db, id).await?.map(|g| g.name),
        None => None,
    };
    let hosts = forums::host_names(db, forum.id).await?;
    let followers = stoa_db::queries::followers::count(db, forum.id).await?;
    let threads = threads::latest(db, Some(forum.id), page_offset(page), THREADS_PER_PAGE).await?;
    Ok(ForumPage {
        forum,
        group_name,
        hosts,
        followers,
        threads,
    })
}

/// Latest Discussions: every thread, newest activity first.
pub async fn latest<C: ConnectionTrait>(db: &C, page: u64) -> CoreResult<Page<ThreadListRow>> {
    Ok(threads::latest(db, None, page_offset(page), THREADS_PER_PAGE).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_starter_set_is_big_enough() {
        let starter = StarterForums::parse(DEFAULT_STARTER_FORUMS).unwrap();
        assert!(starter.groups.len() >= 3);
        let forums: usize = starter.groups.iter().map(|g| g.forums.len()).sum();
        assert!(forums >= 8);
        for group in &starter.groups {
            for forum in &group.forums {
                validate_slug(&forum.slug).unwrap();
            }
        }
    }

    #[test]
    fn slugs() {
        assert!(validate_slug("general-discussion").is_ok());
        assert!(validate_slug("General").is_err());
        assert!(validate_slug("-x").is_err());
        assert!(validate_slug("").is_err());
        assert!(validate_slug("a b").is_err());
    }
}
