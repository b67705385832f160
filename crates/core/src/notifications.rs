//! Notifications: what a member here is told — a reply to their post, a mention, a jury summons,
//! a verdict on their post, a moderator's act on it — and the kinds they opted out of. They are
//! written by the services that cause them, in the same transaction.

use chrono::Utc;
use stoa_db::ConnectionTrait;
use stoa_db::queries::Page;
use stoa_db::queries::notifications::{self, NewNotification, NotificationRow};

use crate::{Actor, CoreResult};

/// Notifications per page.
pub const PER_PAGE: u64 = 50;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Someone answered one of my posts.
    Reply,
    /// Someone mentioned me (`@name`).
    Mention,
    /// I was drawn for a jury.
    Jury,
    /// A jury decided on my post.
    Verdict,
    /// A host or an admin removed, restored or locked something of mine.
    Moderation,
    /// A forum elsewhere refused a post I wrote there.
    Refused,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Reply,
        Kind::Mention,
        Kind::Jury,
        Kind::Verdict,
        Kind::Moderation,
        Kind::Refused,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Kind::Reply => "reply",
            Kind::Mention => "mention",
            Kind::Jury => "jury",
            Kind::Verdict => "verdict",
            Kind::Moderation => "moderation",
            Kind::Refused => "refused",
        }
    }

    /// How the settings page names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Reply => "Replies to my posts",
            Kind::Mention => "Mentions of me",
            Kind::Jury => "Jury summons",
            Kind::Verdict => "Juries' verdicts on my posts",
            Kind::Moderation => "Hosts' and admins' acts on my posts",
            Kind::Refused => "My posts a forum elsewhere would not take",
        }
    }

    pub fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.word() == word)
    }
}

/// One thing to tell one member (whether they hear it is for [`notify`] to decide).
pub fn new(kind: Kind, user_id: i64) -> NewNotification {
    NewNotification {
        user_id,
        kind: kind.word(),
        actor_id: None,
        post_id: None,
        thread_id: None,
        alert_id: None,
        detail: None,
    }
}

/// Writes notifications for the members here who have not opted out of their kind; nobody is
/// told of their own act.
pub async fn notify<C: ConnectionTrait>(db: &C, items: Vec<NewNotification>) -> CoreResult<()> {
    notifications::notify(db, not_of_own_acts(items), Utc::now()).await?;
    Ok(())
}

/// [`notify`] where the writer has already read who of the members `asked` (sorted) is here:
/// `known` (the reply writer reads it with its other checks). Anyone else `items` names is read
/// now; the notifications join `writes`.
pub async fn notify_among<C: ConnectionTrait>(
    db: &C,
    writes: &mut stoa_db::writes::Writes,
    items: Vec<NewNotification>,
    asked: &[i64],
    mut known: notifications::Recipients,
) -> CoreResult<()> {
    let items = not_of_own_acts(items);
    let mut unknown: Vec<i64> = items
        .iter()
        .map(|n| n.user_id)
        .filter(|id| asked.binary_search(id).is_err())
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        known.extend(notifications::recipients(db, &unknown).await?);
    }
    notifications::notify_among(writes, items, Utc::now(), &known);
    Ok(())
}

fn not_of_own_acts(items: Vec<NewNotification>) -> Vec<NewNotification> {
    items
        .into_iter()
        .filter(|n| n.actor_id != Some(n.user_id))
        .collect()
}

/// The members named as `@name` in a member's markdown. `@name@host` names someone of another
/// server and is left out (see [`mentioned_elsewhere`]), as are e-mail addresses and words
/// inside code.
pub fn mentioned_names(markdown: &str) -> Vec<String> {
    scan(markdown)
        .into_iter()
        .filter_map(|(name, host)| host.is_none().then_some(name))
        .collect()
}

/// The people of other servers named as `@name@host` in a member's markdown, as `name@host`.
pub fn mentioned_elsewhere(markdown: &str) -> Vec<String> {
    scan(markdown)
        .into_iter()
        .filter_map(|(name, host)| host.map(|host| format!("{name}@{host}")))
        .collect()
}

/// Every `@name` and `@name@host` of a member's markdown, once each, outside code, at most
/// [`MAX_MENTIONS`].
fn scan(markdown: &str) -> Vec<(String, Option<String>)> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':');
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        // Code blocks are not read: fenced ones, and lines indented by four spaces.
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.starts_with("    ") || line.starts_with('\t') {
            continue;
        }
        let mut in_code = false;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '`' {
                in_code = !in_code;
            } else if c == '@'
                && !in_code
                && (i == 0 || !(is_name_char(chars[i - 1]) || chars[i - 1] == '@'))
            {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && is_name_char(chars[end]) {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                let mut host = None;
                if chars.get(end) == Some(&'@')
                    && chars
                        .get(end + 1)
                        .is_some_and(|c| c.is_ascii_alphanumeric())
                {
                    let host_start = end + 1;
                    end = host_start;
                    while end < chars.len() && is_host_char(chars[end]) {
                        end += 1;
                    }
                    // A sentence's full stop or colon is not part of the host.
                    while end > host_start && matches!(chars[end - 1], '.' | ':') {
                        end -= 1;
                    }
                    host = Some(
                        chars[host_start..end]
                            .iter()
                            .collect::<String>()
                            .to_lowercase(),
                    );
                }
                let new = !found
                    .iter()
                    .any(|(n, h)| n.eq_ignore_ascii_case(&name) && *h == host);
                let valid = match &host {
                    None => crate::accounts::validate_name(&name).is_ok(),
                    Some(host) => !name.is_empty() && (host.contains('.') || host.contains(':')),
                };
                if new && valid {
                    found.push((name, host));
                }
                i = end;
                continue;
            }
            i += 1;
        }
    }
    found.truncate(MAX_MENTIONS);
    found
}

/// Most members one post tells it mentions them.
pub const MAX_MENTIONS: usize = 20;

/// Notifications for the members a post mentions, by name; the author excepted.
pub async fn mentions<C: ConnectionTrait>(
    db: &C,
    names: &[String],
    author_id: i64,
    thread_id: i64,
    post_id: i64,
) -> CoreResult<Vec<NewNotification>> {
    let found = notifications::local_members_named(db, names).await?;
    Ok(found
        .into_iter()
        .map(|(id, _)| NewNotification {
            actor_id: Some(author_id),
            thread_id: Some(thread_id),
            post_id: Some(post_id),
            ..new(Kind::Mention, id)
        })
        .collect())
}

/// A member's notifications, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    page: u64,
) -> CoreResult<Page<NotificationRow>> {
    let offset = page.saturating_sub(1).saturating_mul(PER_PAGE);
    Ok(notifications::page(db, actor.id, offset, PER_PAGE).await?)
}

/// How many of a member's notifications are unread.
pub async fn unread<C: ConnectionTrait>(db: &C, actor: &Actor) -> CoreResult<u64> {
    Ok(notifications::unread_count(db, actor.id).await?)
}

/// Marks all of a member's notifications read.
pub async fn mark_read<C: ConnectionTrait>(db: &C, actor: &Actor) -> CoreResult<u64> {
    Ok(notifications::mark_read(db, actor.id, Utc::now()).await?)
}

/// The kinds a member hears of.
pub async fn wanted<C: ConnectionTrait>(db: &C, actor: &Actor) -> CoreResult<Vec<Kind>> {
    let off = notifications::optouts(db, actor.id).await?;
    Ok(Kind::ALL
        .into_iter()
        .filter(|k| !off.iter().any(|o| o == k.word()))
        .collect())
}

/// Sets the kinds a member hears of; the others they are not told.
pub async fn set_wanted<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    wanted: &[Kind],
) -> CoreResult<()> {
    let off: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| !wanted.contains(k))
        .map(Kind::word)
        .collect();
    notifications::set_optouts(db, actor.id, &off).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::mentioned_names;

    #[test]
    fn mentions_are_names_here_outside_code_and_addresses() {
        assert_eq!(
            mentioned_names("Thanks @alice and @Bob-2, cc @alice."),
            ["alice", "Bob-2"]
        );
        assert_eq!(
            mentioned_names("Mail me at me@example.com or ask @carol@elsewhere.social"),
            Vec::<String>::new()
        );
        assert_eq!(
            mentioned_names("`@code` and\n    @indented\n```\n@fenced\n```\n@dave"),
            ["dave"]
        );
        assert_eq!(
            mentioned_names("@a is too short, @admin is reserved"),
            Vec::<String>::new()
        );
    }
}
