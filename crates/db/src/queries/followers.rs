//! Who follows a forum.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use crate::forum_follower;

/// Records a follower; following twice keeps the first row.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
    follow_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    forum_follower::Entity::insert(forum_follower::ActiveModel {
        forum_id: Set(forum_id),
        user_id: Set(user_id),
        follow_id: Set(follow_id.to_owned()),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([
        forum_follower::Column::ForumId,
        forum_follower::Column::UserId,
    ])
    .exec(db)
    .await?;
    Ok(())
}

/// Removes a follower; returns whether there was one.
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    let result = forum_follower::Entity::delete_many()
        .filter(forum_follower::Column::ForumId.eq(forum_id))
        .filter(forum_follower::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Removes an actor from every forum's followers (the actor was deleted).
pub async fn remove_everywhere<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<u64, DbErr> {
    let result = forum_follower::Entity::delete_many()
        .filter(forum_follower::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn count<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<u64, DbErr> {
    forum_follower::Entity::find()
        .filter(forum_follower::Column::ForumId.eq(forum_id))
        .count(db)
        .await
}

pub async fn is_following<C: ConnectionTrait>(
    db: &C,
    forum_id: i64,
    user_id: i64,
) -> Result<bool, DbErr> {
    Ok(forum_follower::Entity::find_by_id((forum_id, user_id))
        .one(db)
        .await?
        .is_some())
}

/// Where a forum's followers receive activities: one inbox per server where the server has a
/// shared inbox, otherwise each follower's own. An inbox on another host than the follower's
/// id is never used (a follower must not aim the forum's deliveries at a third server).
pub async fn inboxes<C: ConnectionTrait>(db: &C, forum_id: i64) -> Result<Vec<String>, DbErr> {
    use sea_orm::{JoinType, QuerySelect, RelationTrait};
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> =
        forum_follower::Entity::find()
            .select_only()
            .join(JoinType::InnerJoin, forum_follower::Relation::User.def())
            .column(crate::user::Column::ApId)
            .column(crate::user::Column::SharedInboxUrl)
            .column(crate::user::Column::InboxUrl)
            .filter(forum_follower::Column::ForumId.eq(forum_id))
            .into_tuple()
            .all(db)
            .await?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .filter_map(|(id, shared, own)| {
            let host = authority(id.as_deref()?)?;
            [shared, own]
                .into_iter()
                .flatten()
                .find(|inbox| authority(inbox).is_some_and(|h| h.eq_ignore_ascii_case(host)))
        })
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// The `host[:port]` of an absolute http(s) URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // User information would let `https://victim@evil/` pass for evil's host or the other way.
    (!authority.contains('@') && !authority.is_empty()).then_some(authority)
}

/// How many follows of forums here each server's members hold, by `host[:port]`.
pub async fn per_server<C: ConnectionTrait>(
    db: &C,
) -> Result<std::collections::BTreeMap<String, u64>, DbErr> {
    use sea_orm::{JoinType, RelationTrait};
    let ids: Vec<Option<String>> = forum_follower::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, forum_follower::Relation::User.def())
        .column(crate::user::Column::ApId)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = std::collections::BTreeMap::new();
    for host in ids.iter().filter_map(|id| authority(id.as_deref()?)) {
        *counts.entry(host.to_ascii_lowercase()).or_insert(0) += 1;
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    #[test]
    fn authority_of_urls() {
        use super::authority;
        assert_eq!(authority("https://a.example/inbox"), Some("a.example"));
        assert_eq!(authority("http://a.test:8080"), Some("a.test:8080"));
        assert_eq!(authority("https://x@b.example/"), None);
        assert_eq!(authority("ftp://a.example/"), None);
    }
}
