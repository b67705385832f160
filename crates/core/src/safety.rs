//! Instance safety, the admins' part of moderation: who may join (open, by approval, closed),
//! suspended members, and the servers the instance blocks or, in allow-list mode, federates
//! with. Every act is a row of the instance's public log.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use stoa_db::queries::moderation::{self as log_rows, NewAction};
use stoa_db::queries::safety::{self, HIDDEN_BLOCKED, HIDDEN_SUSPENDED, NewSuspension};
use stoa_db::queries::{sessions, users};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait, application, user};

use crate::{Actor, CoreError, CoreResult};

/// Longest answer to the registration question, and longest question, in characters.
pub const ANSWER_MAX_CHARS: usize = 2_000;

/// Who may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone registers and posts at once.
    #[default]
    Open,
    /// An applicant answers the site's question; an admin approves or rejects.
    Approval,
    /// Nobody joins; admins still create accounts from the command line.
    Closed,
}

impl Registration {
    pub fn word(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Approval => "approval",
            Registration::Closed => "closed",
        }
    }

    pub fn parse(word: &str) -> Option<Registration> {
        match word.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Registration::Open),
            "approval" => Some(Registration::Approval),
            "closed" => Some(Registration::Closed),
            _ => None,
        }
    }
}

/// The settings admins change in the admin pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub registration: Registration,
    /// What an applicant answers when registration needs approval.
    pub registration_question: String,
    /// Federate only with the allowed servers, instead of with all but the blocked ones.
    pub allowlist: bool,
}

const REGISTRATION: &str = "registration";
const QUESTION: &str = "registration_question";
const ALLOWLIST: &str = "federation_allowlist";

/// The question asked when an admin has not written one.
pub const DEFAULT_QUESTION: &str = "Why would you like to join?";

/// The site's settings as stored; defaults for those never set.
pub async fn site<C: ConnectionTrait>(db: &C) -> CoreResult<Site> {
    let mut site = Site {
        registration_question: DEFAULT_QUESTION.to_owned(),
        ..Site::default()
    };
    for setting in safety::settings(db).await? {
        match setting.name.as_str() {
            REGISTRATION => {
                site.registration = Registration::parse(&setting.value).unwrap_or_default()
            }
            QUESTION => site.registration_question = setting.value,
            ALLOWLIST => site.allowlist = setting.value == "true",
            _ => {}
        }
    }
    Ok(site)
}

/// A change to the site's settings; `None` leaves a setting as it is.
#[derive(Debug, Default)]
pub struct SiteChange {
    pub registration: Option<Registration>,
    pub registration_question: Option<String>,
    pub allowlist: Option<bool>,
}

/// Changes the site's settings. Admins only; each change is a row of the instance log. The
/// domain policy is read again (the allow-list mode is part of it).
pub async fn change_site<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &Policy,
    actor: &Actor,
    change: SiteChange,
) -> CoreResult<Site> {
    require_admin(actor)?;
    if let Some(question) = &change.registration_question {
        let question = question.trim();
        if question.is_empty() || question.chars().count() > ANSWER_MAX_CHARS {
            return Err(CoreError::invalid(
                "registration_question",
                format!("a question has 1 to {ANSWER_MAX_CHARS} characters"),
            ));
        }
    }
    let txn = stoa_db::begin_write(db).await?;
    let before = site(&txn).await?;
    let now = Utc::now();
    if let Some(mode) = change.registration.filter(|m| *m != before.registration) {
        safety::set_setting(&txn, REGISTRATION, mode.word()).await?;
        log_site(&txn, actor, "set_registration", Some(mode.word()), now).await?;
    }
    if let Some(question) = change
        .registration_question
        .as_deref()
        .map(str::trim)
        .filter(|q| *q != before.registration_question)
    {
        safety::set_setting(&txn, QUESTION, question).await?;
        log_site(
            &txn,
            actor,
            "set_registration_question",
            Some(question),
            now,
        )
        .await?;
    }
    if let Some(allowlist) = change.allowlist.filter(|a| *a != before.allowlist) {
        safety::set_setting(&txn, ALLOWLIST, if allowlist { "true" } else { "false" }).await?;
        let action = if allowlist {
            "allowlist_on"
        } else {
            "allowlist_off"
        };
        log_site(&txn, actor, action, None, now).await?;
    }
    let after = site(&txn).await?;
    txn.commit().await?;
    policy.forget();
    Ok(after)
}

/// Sets the registration mode the operator gave in the environment, at start: the setting
/// (`STOA_REGISTRATION`) wins over what the admin pages last chose, until they change it again.
pub async fn apply_configured_registration<C: ConnectionTrait>(
    db: &C,
    mode: Registration,
) -> CoreResult<()> {
    safety::set_setting(db, REGISTRATION, mode.word()).await?;
    Ok(())
}

async fn log_site<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    log_instance(db, actor, action, None, None, reason, now).await
}

async fn log_instance<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    member_id: Option<i64>,
    domain: Option<&str>,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    log_rows::log(
        db,
        NewAction {
            forum_id: None,
            action,
            actor_id: Some(actor.id),
            actor_role: crate::moderation::Role::Admin.word(),
            thread_id: None,
            post_id: None,
            member_id,
            domain,
            reason,
            now,
        },
    )
    .await?;
    Ok(())
}

/// Refuses whoever is not an admin: the admins' pages and API ask before anything is read.
pub fn require_admin(actor: &Actor) -> CoreResult<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(CoreError::Forbidden("Only admins may do that."))
    }
}

/// What became of someone who signed up.
#[derive(Debug)]
pub enum SignUp {
    /// A member now, signed in next.
    Member(Box<user::Model>),
    /// An application waits for an admin.
    Applied,
}

/// Signs someone up as the site's registration mode says: a member at once, an application to
/// approve, or a refusal when registration is closed.
pub async fn sign_up<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
    answer: &str,
) -> CoreResult<SignUp> {
    match site(db).await?.registration {
        Registration::Open => Ok(SignUp::Member(Box::new(
            crate::accounts::register(db, name, password, false).await?,
        ))),
        Registration::Closed => Err(CoreError::Forbidden(
            "Registration is closed on this server.",
        )),
        Registration::Approval => {
            let name = name.trim();
            crate::accounts::check_new_account(db, name, password).await?;
            let answer = answer.trim();
            if answer.is_empty() {
                return Err(CoreError::invalid(
                    "answer",
                    "answer the question, so that an admin can approve you",
                ));
            }
            if answer.chars().count() > ANSWER_MAX_CHARS {
                return Err(CoreError::invalid(
                    "answer",
                    format!("an answer is at most {ANSWER_MAX_CHARS} characters"),
                ));
            }
            let hash = crate::accounts::hash_password(password).await?;
            let stored = safety::insert_application(
                db,
                safety::NewApplication {
                    name,
                    password_hash: &hash,
                    answer,
                    now: Utc::now(),
                },
            )
            .await;
            match stored {
                Ok(_) => Ok(SignUp::Applied),
                Err(e) if stoa_db::is_unique_violation(&e) => {
                    Err(CoreError::Conflict("that username is already taken".into()))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Applications awaiting an admin, oldest first.
pub async fn applications<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> CoreResult<Vec<application::Model>> {
    require_admin(actor)?;
    Ok(safety::pending_applications(db).await?)
}

/// Approves an application (the applicant becomes a member, with the password they chose) or
/// rejects it (the name stays taken, so the applicant is told when they try to sign in).
pub async fn decide_application<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    approve: bool,
) -> CoreResult<Option<user::Model>> {
    require_admin(actor)?;
    let txn = stoa_db::begin_write(db).await?;
    let application = safety::application_by_id(&txn, id)
        .await?
        .filter(|a| a.status == "pending")
        .ok_or(CoreError::NotFound("application"))?;
    let now = Utc::now();
    let member = if approve {
        safety::delete_application(&txn, id).await?;
        let member =
            crate::accounts::create_with_hash(&txn, &application.name, &application.password_hash)
                .await?;
        log_instance(
            &txn,
            actor,
            "approve_application",
            Some(member.id),
            None,
            None,
            now,
        )
        .await?;
        Some(member)
    } else {
        safety::reject_application(&txn, id, actor.id, now).await?;
        // The applicant is not a member: the public log does not name them.
        log_instance(&txn, actor, "reject_application", None, None, None, now).await?;
        None
    };
    txn.commit().await?;
    Ok(member)
}

/// Why someone who asked to join cannot sign in yet.
pub fn application_status(application: &application::Model) -> &'static str {
    match application.status.as_str() {
        "rejected" => "Your application to join was not accepted.",
        _ => "Your application to join waits for an admin's approval.",
    }
}

/// The terms of a suspension.
pub struct Suspension<'a> {
    pub reason: &'a str,
    /// When it ends by itself; `None` until an admin lifts it.
    pub until: Option<DateTime<Utc>>,
}

/// Suspends a member (`Some`) or lifts their suspension (`None`). Admins only, and never an
/// admin. A member here is signed out everywhere and cannot sign in or post; a member
/// elsewhere is not listened to; the posts of both are hidden.
pub async fn set_suspension<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    member_name: &str,
    suspension: Option<Suspension<'_>>,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    require_admin(actor)?;
    let txn = stoa_db::begin_write(db).await?;
    let member = users::by_name(&txn, member_name.trim())
        .await?
        .ok_or(CoreError::NotFound("member"))?;
    match suspension {
        Some(terms) => {
            if member.is_admin {
                return Err(CoreError::Forbidden("An admin cannot be suspended."));
            }
            let reason = crate::moderation::reason(terms.reason)?;
            if terms.until.is_some_and(|until| until <= now) {
                return Err(CoreError::invalid("until", "the end is in the past"));
            }
            safety::upsert_suspension(
                &txn,
                NewSuspension {
                    user_id: member.id,
                    reason,
                    by: actor.id,
                    now,
                    expires_at: terms.until,
                },
            )
            .await?;
            safety::set_hidden_many(&txn, &[member.id], Some(HIDDEN_SUSPENDED)).await?;
            sessions::delete_for_user(&txn, member.id).await?;
            let logged = match terms.until {
                Some(until) => format!("{reason} (until {})", until.format("%Y-%m-%d %H:%M UTC")),
                None => reason.to_owned(),
            };
            log_instance(
                &txn,
                actor,
                "suspend",
                Some(member.id),
                None,
                Some(&logged),
                now,
            )
            .await?;
        }
        None => {
            if !safety::delete_suspension(&txn, member.id).await? {
                return Err(CoreError::Conflict("This member is not suspended.".into()));
            }
            show_again(&txn, &member).await?;
            log_instance(&txn, actor, "unsuspend", Some(member.id), None, None, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// A member whose suspension ended: shown again, unless their server is blocked.
async fn show_again<C: ConnectionTrait>(db: &C, member: &user::Model) -> CoreResult<()> {
    let blocked = match member.name.split_once('@') {
        Some((_, host)) if !member.local => !policy_of(db).await?.permits(host),
        _ => false,
    };
    safety::set_hidden_many(db, &[member.id], blocked.then_some(HIDDEN_BLOCKED)).await?;
    Ok(())
}

/// Ends the suspensions whose time is up at `now` (the clock calls this every minute).
pub async fn lift_expired<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    let ids = safety::expired_suspensions(db, now).await?;
    for id in &ids {
        let txn = stoa_db::begin_write(db).await?;
        if let Some(member) = users::by_id(&txn, *id).await? {
            safety::delete_suspension(&txn, member.id).await?;
            show_again(&txn, &member).await?;
        }
        txn.commit().await?;
    }
    Ok(ids.len())
}

/// Why a member may not sign in: a suspension in force, with its reason and end.
pub async fn suspension_refusal<C: ConnectionTrait>(
    db: &C,
    member: &user::Model,
    now: DateTime<Utc>,
) -> CoreResult<Option<CoreError>> {
    if member.hidden_because.as_deref() != Some(HIDDEN_SUSPENDED) {
        return Ok(None);
    }
    Ok(safety::suspension_of(db, member.id, now).await?.map(|s| {
        let until = match s.expires_at {
            Some(until) => format!(" until {}", until.format("%Y-%m-%d %H:%M UTC")),
            None => String::new(),
        };
        CoreError::Refused(format!("Your account is suspended{until}: {}", s.reason))
    }))
}

/// Suspensions in force or waiting to be lifted, with the members' names. Admins only.
pub async fn suspensions<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> CoreResult<Vec<(stoa_db::suspension::Model, String)>> {
    require_admin(actor)?;
    Ok(safety::suspensions(db).await?)
}

/// The refusal anything a suspended member sends gets.
pub const SUSPENDED: CoreError = CoreError::Forbidden("your account is suspended on this server");

/// The refusal a post by a suspended member, or one from a blocked server, gets.
pub const HIDDEN_AUTHOR: CoreError =
    CoreError::Forbidden("your account may not post on this server");

/// Refuses a write by a member whose posts are hidden here (suspended, or of a blocked server).
pub async fn ensure_may_write<C: ConnectionTrait>(db: &C, member_id: i64) -> CoreResult<()> {
    if safety::hidden_among(db, &[member_id]).await?.is_empty() {
        Ok(())
    } else {
        Err(HIDDEN_AUTHOR)
    }
}

/// A domain as admins type it: lowercased, without a scheme, path or port, and well formed.
pub fn normalize_domain(input: &str) -> CoreResult<String> {
    let text = input.trim().to_ascii_lowercase();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(&text);
    let host = text.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.trim_end_matches('.');
    let well_formed = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !well_formed {
        return Err(CoreError::invalid(
            "domain",
            "give a server's domain, such as example.com",
        ));
    }
    Ok(host.to_owned())
}

/// Which servers the instance federates with, read from the domain rules and the site's mode.
#[derive(Debug, Clone, Default)]
pub struct DomainPolicy {
    blocked: HashSet<String>,
    allowed: HashSet<String>,
    allowlist: bool,
}

impl DomainPolicy {
    /// Whether anything may come from, or go to, this host. A rule on a domain covers its
    /// subdomains too.
    pub fn permits(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or_default();
        let covered = |set: &HashSet<String>| {
            let mut rest = host;
            loop {
                if set.contains(rest) {
                    return true;
                }
                match rest.split_once('.') {
                    Some((_, parent)) => rest = parent,
                    None => return false,
                }
            }
        };
        if covered(&self.blocked) {
            return false;
        }
        !self.allowlist || covered(&self.allowed)
    }
}

async fn policy_of<C: ConnectionTrait>(db: &C) -> CoreResult<DomainPolicy> {
    let mut policy = DomainPolicy {
        allowlist: site(db).await?.allowlist,
        ..DomainPolicy::default()
    };
    for rule in safety::domain_rules(db).await? {
        match rule.kind.as_str() {
            "block" => policy.blocked.insert(rule.domain),
            _ => policy.allowed.insert(rule.domain),
        };
    }
    Ok(policy)
}

/// The domain policy, read from the database at most every few seconds: every inbound
/// activity and every delivery asks it. Changes made in this process show at once; changes made
/// by another process (the command line, a second server) within `FRESH_FOR`.
#[derive(Clone, Default)]
pub struct Policy {
    cached: Arc<RwLock<Option<Cached>>>,
}

/// The policy as read, and when.
type Cached = (Arc<DomainPolicy>, Instant);

impl Policy {
    const FRESH_FOR: Duration = Duration::from_secs(5);

    pub async fn get<C: ConnectionTrait>(&self, db: &C) -> CoreResult<Arc<DomainPolicy>> {
        if let Some((policy, at)) = self.cached.read().ok().and_then(|c| c.clone())
            && at.elapsed() < Self::FRESH_FOR
        {
            return Ok(policy);
        }
        let policy = Arc::new(policy_of(db).await?);
        if let Ok(mut cached) = self.cached.write() {
            *cached = Some((policy.clone(), Instant::now()));
        }
        Ok(policy)
    }

    /// Forgets the cached policy, after a change.
    pub fn forget(&self) {
        if let Ok(mut cached) = self.cached.write() {
            *cached = None;
        }
    }
}

/// How an admin changes the rule on a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainChange {
    Block,
    Unblock,
    Allow,
    Disallow,
}

/// Blocks or unblocks a server, or adds it to or takes it from the allow list. Admins only.
/// Blocking hides the content of its members here; unblocking shows it again.
pub async fn change_domain<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    policy: &Policy,
    actor: &Actor,
    domain: &str,
    change: DomainChange,
    reason: Option<&str>,
) -> CoreResult<String> {
    require_admin(actor)?;
    let domain = normalize_domain(domain)?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) => Some(crate::moderation::reason(text)?),
        None => None,
    };
    let txn = stoa_db::begin_write(db).await?;
    let now = Utc::now();
    let action = match change {
        DomainChange::Block => {
            safety::upsert_domain_rule(&txn, &domain, "block", reason, now).await?;
            hide_members_of(&txn, &domain, true).await?;
            "block_domain"
        }
        DomainChange::Allow => {
            safety::upsert_domain_rule(&txn, &domain, "allow", reason, now).await?;
            "allow_domain"
        }
        DomainChange::Unblock | DomainChange::Disallow => {
            let kind = if change == DomainChange::Unblock {
                "block"
            } else {
                "allow"
            };
            if !safety::delete_domain_rule(&txn, &domain, kind).await? {
                return Err(CoreError::Conflict(format!(
                    "{domain} is not on the {kind} list"
                )));
            }
            if change == DomainChange::Unblock {
                hide_members_of(&txn, &domain, false).await?;
                "unblock_domain"
            } else {
                "disallow_domain"
            }
        }
    };
    log_instance(&txn, actor, action, None, Some(&domain), reason, now).await?;
    txn.commit().await?;
    policy.forget();
    Ok(domain)
}

/// Hides the members of a blocked server and its subdomains, or shows them again when the
/// block is lifted. A suspension outlasts a lifted block.
async fn hide_members_of<C: ConnectionTrait>(db: &C, domain: &str, hide: bool) -> CoreResult<()> {
    let rule = DomainPolicy {
        blocked: HashSet::from([domain.to_owned()]),
        ..DomainPolicy::default()
    };
    let ids: Vec<i64> = safety::remote_members_mentioning(db, domain)
        .await?
        .into_iter()
        .filter(|(_, name, hidden)| {
            let host = name.rsplit_once('@').map_or("", |(_, host)| host);
            let covered = !rule.permits(host);
            let shown_for_block = match hide {
                true => hidden.is_none(),
                false => hidden.as_deref() == Some(HIDDEN_BLOCKED),
            };
            covered && shown_for_block
        })
        .map(|(id, _, _)| id)
        .collect();
    let because = hide.then_some(HIDDEN_BLOCKED);
    safety::set_hidden_many(db, &ids, because).await?;
    Ok(())
}

/// The domain rules, for the admin pages. Admins only.
pub async fn domain_rules<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> CoreResult<Vec<stoa_db::domain_rule::Model>> {
    require_admin(actor)?;
    Ok(safety::domain_rules(db).await?)
}
