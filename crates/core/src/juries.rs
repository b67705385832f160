//! Alerts and member juries: any member may alert a post, and a jury of members drawn at random
//! decides whether it is hidden. Who sits, how votes count and when a jury ends are decided here
//! and nowhere else; the clock is an argument, so the rules are tested without waiting.

use chrono::{DateTime, Duration, Utc};
use stoa_db::queries::juries::{self, DECLINED, Draw, NewAlert as NewAlertRow, OPEN, VOTED};
use stoa_db::queries::moderation::{self as log_rows, NewAction, Removal};
use stoa_db::queries::{forums, posts, threads};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait, alert, juror};

use crate::events::{self, Event};
use crate::moderation;
use crate::{Actor, CoreError, CoreResult};

/// How juries are formed and how long they sit; set by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JuryRules {
    /// Members summoned to each jury.
    pub size: u32,
    /// How old an account must be to sit on a jury.
    pub min_account_age: Duration,
    /// How long a jury has to vote.
    pub deadline: Duration,
}

impl Default for JuryRules {
    fn default() -> Self {
        JuryRules {
            size: 7,
            min_account_age: Duration::days(7),
            deadline: Duration::hours(24),
        }
    }
}

/// A juror must have written something this recently: juries are drawn from people who take
/// part, not from forgotten accounts.
pub const ACTIVE_WITHIN: Duration = Duration::days(90);

/// Alerts a member may raise in a day, before rejected ones lower it.
pub const ALERTS_PER_DAY: u64 = 5;

/// How far back an alert a jury rejected costs its alerter one alert a day.
pub const REJECTIONS_COUNT_FOR: Duration = Duration::days(30);

/// Longest explanation of an alert, and longest juror's comment, in characters.
pub const TEXT_MAX_CHARS: usize = 1000;

/// Why a post is alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    PersonalAttack,
    OffTopic,
    Spam,
    Other,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::PersonalAttack,
        Reason::OffTopic,
        Reason::Spam,
        Reason::Other,
    ];

    /// The word stored and used in forms and the API.
    pub fn word(self) -> &'static str {
        match self {
            Reason::PersonalAttack => "personal_attack",
            Reason::OffTopic => "off_topic",
            Reason::Spam => "spam",
            Reason::Other => "other",
        }
    }

    /// What a page says.
    pub fn label(self) -> &'static str {
        match self {
            Reason::PersonalAttack => "a personal attack",
            Reason::OffTopic => "off-topic",
            Reason::Spam => "spam",
            Reason::Other => "other",
        }
    }

    /// The reason a report's words begin with, as Stoa writes them ("spam: …"); other words are
    /// `Other`.
    pub fn of_words(words: &str) -> Reason {
        let words = words.trim_start().to_lowercase();
        Reason::ALL
            .into_iter()
            .filter(|r| *r != Reason::Other)
            .find(|r| {
                words
                    .strip_prefix(r.label())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
            })
            .unwrap_or(Reason::Other)
    }

    pub fn parse(word: &str) -> CoreResult<Reason> {
        Reason::ALL
            .into_iter()
            .find(|r| r.word() == word)
            .ok_or_else(|| {
                CoreError::invalid("reason", "choose personal_attack, off_topic, spam or other")
            })
    }
}

/// An alert as raised: on which post, why, and (for one from elsewhere) the `Flag` it came as.
#[derive(Debug, Clone)]
pub struct NewAlert<'a> {
    pub post_id: i64,
    pub reason: Reason,
    pub details: Option<&'a str>,
    pub ap_id: Option<&'a str>,
}

/// A text as given: trimmed, empty as none, not too long.
fn optional_text(field: &'static str, text: Option<&str>) -> CoreResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > TEXT_MAX_CHARS {
        return Err(CoreError::invalid(
            field,
            format!("at most {TEXT_MAX_CHARS} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Raises an alert on a post in a forum here and summons its jury. Anyone but the post's author
/// may alert it — a member here, or someone elsewhere through their server's `Flag` — once while
/// a jury sits on it, and a few times a day.
#[tracing::instrument(skip(db, new, rules), fields(alerter = alerter.id, post = new.post_id))]
pub async fn raise<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    alerter: &Actor,
    new: NewAlert<'_>,
    rules: &JuryRules,
    now: DateTime<Utc>,
) -> CoreResult<alert::Model> {
    let details = optional_text("details", new.details)?;
    if new.reason == Reason::Other && details.is_none() {
        return Err(CoreError::invalid("details", "say what is wrong"));
    }
    let txn = stoa_db::begin_write(db).await?;
    if let Some(ap_id) = new.ap_id
        && let Some(known) = juries::alert_by_ap_id(&txn, ap_id).await?
    {
        return Ok(known);
    }
    let (post, forum) = alertable_in(&txn, alerter, new.post_id).await?;
    let forum_id = forum.id;
    if !forum.local && new.ap_id.is_some() {
        return Err(CoreError::Forbidden(
            "This forum is hosted elsewhere; its own hosts look after it.",
        ));
    }
    if !forum.local {
        if juries::report_by(&txn, alerter.id, post.id)
            .await?
            .is_some()
        {
            return Err(CoreError::Conflict(
                "You have reported this post to its forum already.".into(),
            ));
        }
    } else if juries::open_alert_on(&txn, post.id).await?.is_some() {
        return Err(CoreError::Conflict(
            "A jury is already judging this post.".into(),
        ));
    }
    let raised = juries::alerts_since(&txn, alerter.id, now - Duration::days(1), None).await?;
    let rejected = juries::alerts_since(
        &txn,
        alerter.id,
        now - REJECTIONS_COUNT_FOR,
        Some(Verdict::Left.word()),
    )
    .await?;
    let quota = ALERTS_PER_DAY.saturating_sub(rejected).max(1);
    if raised >= quota {
        return Err(CoreError::Conflict(format!(
            "You have raised {raised} alerts today, your limit for now; try again tomorrow."
        )));
    }
    let alert = juries::insert_alert(
        &txn,
        NewAlertRow {
            post_id: post.id,
            forum_id,
            alerter_id: alerter.id,
            reason: new.reason.word(),
            details: details.as_deref(),
            ap_id: new.ap_id,
            state: if forum.local {
                juries::OPEN
            } else {
                juries::REPORTED
            },
            now,
            deadline: now + rules.deadline,
        },
    )
    .await?;
    if !forum.local {
        // Judged by the forum's own moderators: it goes to them as a `Flag`.
        let event = Event::PostReported {
            forum_id,
            thread_id: post.thread_id,
            post_id: post.id,
            reason: alert_words(&alert),
        };
        events::record(&txn, alerter.id, &event, now).await?;
        txn.commit().await?;
        return Ok(alert);
    }
    summon(&txn, &alert, post.author_id, rules, rules.size, now).await?;
    txn.commit().await?;
    Ok(alert)
}

/// A post the member may alert, and its forum's id: one that is there to read and not their
/// own. A post of a forum elsewhere is reported to that forum's moderators.
pub async fn alertable<C: ConnectionTrait>(
    db: &C,
    alerter: &Actor,
    post_id: i64,
) -> CoreResult<(stoa_db::post::Model, i64)> {
    let (post, forum) = alertable_in(db, alerter, post_id).await?;
    Ok((post, forum.id))
}

/// The words a report sent elsewhere carries: the reason, and the member's own words.
fn alert_words(alert: &alert::Model) -> String {
    let reason = Reason::parse(&alert.reason).map_or("other", Reason::label);
    match alert.details.as_deref() {
        Some(details) => format!("{reason}: {details}"),
        None => reason.to_owned(),
    }
}

async fn alertable_in<C: ConnectionTrait>(
    db: &C,
    alerter: &Actor,
    post_id: i64,
) -> CoreResult<(stoa_db::post::Model, stoa_db::forum::Model)> {
    let post = posts::by_id(db, post_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(CoreError::NotFound("post"))?;
    let (_, forum) = place_of(db, post.thread_id).await?;
    if post.author_id == alerter.id {
        return Err(CoreError::Forbidden("You cannot alert your own post."));
    }
    if post.removed_at.is_some() {
        return Err(CoreError::Conflict("This post is already removed.".into()));
    }
    Ok((post, forum))
}

/// Draws `seats` jurors for an alert and seats them.
async fn summon<C: ConnectionTrait>(
    txn: &C,
    alert: &alert::Model,
    author_id: i64,
    rules: &JuryRules,
    seats: u32,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let drawn = juries::draw(
        txn,
        Draw {
            forum_id: alert.forum_id,
            alert_id: alert.id,
            exclude: vec![author_id, alert.alerter_id],
            joined_before: now - rules.min_account_age,
            active_since: now - ACTIVE_WITHIN,
            limit: u64::from(seats),
        },
    )
    .await?;
    juries::seat(txn, alert.id, &drawn, now).await?;
    let summoned = drawn
        .iter()
        .map(|juror| stoa_db::queries::notifications::NewNotification {
            alert_id: Some(alert.id),
            post_id: Some(alert.post_id),
            ..crate::notifications::new(crate::notifications::Kind::Jury, *juror)
        })
        .collect();
    crate::notifications::notify(txn, summoned).await?;
    Ok(())
}

/// A juror's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer<'a> {
    /// Hide the post (`hide`) or leave it, with an optional comment for its author.
    Vote {
        hide: bool,
        comment: Option<&'a str>,
    },
    /// Not this one: another member is drawn in their place.
    Decline,
}

/// How an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Hidden,
    Left,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Hidden => "hidden",
            Verdict::Left => "left",
        }
    }
}

/// A juror answers their summons. A majority of the jury for either side ends it at once;
/// returns the verdict when this answer reached one.
#[tracing::instrument(skip(db, answer, rules), fields(juror = juror.id))]
pub async fn answer<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    juror: &Actor,
    alert_id: i64,
    answer: Answer<'_>,
    rules: &JuryRules,
    now: DateTime<Utc>,
) -> CoreResult<Option<Verdict>> {
    let comment = match answer {
        Answer::Vote { comment, .. } => optional_text("comment", comment)?,
        Answer::Decline => None,
    };
    let txn = stoa_db::begin_write(db).await?;
    let alert = juries::alert_by_id(&txn, alert_id)
        .await?
        .ok_or(CoreError::NotFound("jury"))?;
    let seat = juries::seat_of(&txn, alert.id, juror.id)
        .await?
        .ok_or(CoreError::NotFound("jury"))?;
    if alert.state != OPEN || alert.deadline <= now {
        return Err(CoreError::Conflict("This jury has finished.".into()));
    }
    let vote = match answer {
        Answer::Vote { hide: true, .. } => Some("hide"),
        Answer::Vote { hide: false, .. } => Some("leave"),
        Answer::Decline => None,
    };
    if !juries::answer(&txn, seat.id, vote, comment.as_deref(), now).await? {
        return Err(CoreError::Conflict("You have already answered.".into()));
    }
    let post = posts::by_id(&txn, alert.post_id)
        .await?
        .ok_or(CoreError::NotFound("post"))?;
    let verdict = match answer {
        Answer::Decline => {
            summon(&txn, &alert, post.author_id, rules, 1, now).await?;
            None
        }
        Answer::Vote { .. } => {
            let tally = Tally::of(&juries::jury(&txn, alert.id).await?);
            match tally.majority() {
                Some(verdict) => {
                    settle(&txn, &alert, &post, verdict, tally, now).await?;
                    Some(verdict)
                }
                None => None,
            }
        }
    };
    txn.commit().await?;
    Ok(verdict)
}

/// Decides every alert whose deadline has passed by the votes cast; a tie, or no vote at all,
/// leaves the post. Returns how many were decided.
pub async fn decide_due<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> CoreResult<usize> {
    let mut decided = 0;
    for due in juries::due(db, now, 100).await? {
        let txn = stoa_db::begin_write(db).await?;
        // Read again inside the transaction: a last vote may have decided it meanwhile.
        let Some(alert) = juries::alert_by_id(&txn, due.id)
            .await?
            .filter(|a| a.state == OPEN)
        else {
            continue;
        };
        let Some(post) = posts::by_id(&txn, alert.post_id).await? else {
            continue;
        };
        let tally = Tally::of(&juries::jury(&txn, alert.id).await?);
        let verdict = if tally.hide > tally.leave {
            Verdict::Hidden
        } else {
            Verdict::Left
        };
        settle(&txn, &alert, &post, verdict, tally, now).await?;
        txn.commit().await?;
        decided += 1;
    }
    Ok(decided)
}

/// The votes of a jury and its seats (everyone summoned who did not decline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub hide: u32,
    pub leave: u32,
    pub seats: u32,
}

impl Tally {
    fn of(jury: &[juror::Model]) -> Tally {
        let mut tally = Tally {
            hide: 0,
            leave: 0,
            seats: 0,
        };
        for seat in jury.iter().filter(|s| s.state != DECLINED) {
            tally.seats += 1;
            match seat.vote.as_deref() {
                Some("hide") => tally.hide += 1,
                Some("leave") => tally.leave += 1,
                _ => {}
            }
        }
        tally
    }

    /// The verdict once a side can no longer lose: more than half the seats to hide, or so many
    /// to leave that hiding can no longer win a majority.
    fn majority(self) -> Option<Verdict> {
        if self.hide * 2 > self.seats {
            Some(Verdict::Hidden)
        } else if self.leave * 2 >= self.seats && self.seats > 0 {
            Some(Verdict::Left)
        } else {
            None
        }
    }
}

/// Closes an alert with its verdict: a hidden post gets the jury's placeholder, and either way
/// the verdict goes in the public log.
async fn settle<C: ConnectionTrait>(
    txn: &C,
    alert: &alert::Model,
    post: &stoa_db::post::Model,
    verdict: Verdict,
    tally: Tally,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let hide = i32::try_from(tally.hide).unwrap_or(i32::MAX);
    let leave = i32::try_from(tally.leave).unwrap_or(i32::MAX);
    if !juries::decide(txn, alert.id, verdict.word(), hide, leave, now).await? {
        return Ok(());
    }
    let reason = Reason::parse(&alert.reason).map_or("other", Reason::label);
    let votes = match verdict {
        Verdict::Hidden => tally.hide,
        Verdict::Left => tally.leave,
    };
    let summary = match verdict {
        Verdict::Hidden => format!("{votes} of {} voted to hide it ({reason})", tally.seats),
        Verdict::Left => format!("{votes} of {} voted to leave it ({reason})", tally.seats),
    };
    // A post removed or deleted while the jury sat stays as it is; the verdict is still logged.
    let hides =
        verdict == Verdict::Hidden && post.removed_at.is_none() && post.deleted_at.is_none();
    if hides {
        log_rows::set_removal(
            txn,
            post.id,
            Some(Removal {
                by: None,
                kind: "jury",
                reason: &summary,
                at: now,
            }),
        )
        .await?;
        threads::bump_revision(txn, post.thread_id).await?;
    }
    let action = match verdict {
        Verdict::Hidden => "jury_hide",
        Verdict::Left => "jury_leave",
    };
    log_rows::log(
        txn,
        NewAction {
            forum_id: Some(alert.forum_id),
            action,
            actor_id: None,
            actor_role: "jury",
            thread_id: Some(post.thread_id),
            post_id: Some(post.id),
            member_id: Some(post.author_id),
            domain: None,
            reason: Some(&summary),
            now,
        },
    )
    .await?;
    if hides {
        let event = Event::PostRemoved {
            forum_id: alert.forum_id,
            thread_id: post.thread_id,
            post_id: post.id,
            reason: format!("Hidden by a jury of members: {summary}"),
        };
        events::record_as(txn, None, &event, now).await?;
    }
    let told = stoa_db::queries::notifications::NewNotification {
        alert_id: Some(alert.id),
        post_id: Some(post.id),
        thread_id: Some(post.thread_id),
        detail: Some(summary.clone()),
        ..crate::notifications::new(crate::notifications::Kind::Verdict, post.author_id)
    };
    crate::notifications::notify(txn, vec![told]).await?;
    Ok(())
}

/// A juror's duty as listed: the alert and whether they have answered.
#[derive(Debug, Clone)]
pub struct Duty {
    pub alert_id: i64,
    pub reason: Reason,
    /// The alerted post.
    pub post_id: i64,
    /// The juror's own vote, once cast: `hide` or `leave`.
    pub vote: Option<String>,
    pub thread_id: i64,
    pub thread_title: String,
    pub deadline: DateTime<Utc>,
    /// `summoned` (to answer), `voted`.
    pub seat: String,
    /// `open`, `hidden`, `left`.
    pub state: String,
}

impl Duty {
    /// Whether the juror still has to answer.
    pub fn to_answer(&self) -> bool {
        self.seat == juries::SUMMONED && self.state == OPEN
    }
}

/// A member's jury duties, those to answer first, then the recent ones.
pub async fn duties<C: ConnectionTrait>(db: &C, juror: &Actor) -> CoreResult<Vec<Duty>> {
    let seats = juries::seats_of(db, juror.id, 50).await?;
    // Three statements however many duties: the seats with their alerts, their posts, threads.
    let post_ids: Vec<i64> = seats.iter().map(|(_, alert)| alert.post_id).collect();
    let posts = posts::by_ids(db, &post_ids).await?;
    let thread_ids: Vec<i64> = posts.iter().map(|p| p.thread_id).collect();
    let threads = threads::by_ids(db, &thread_ids).await?;
    let mut duties = Vec::with_capacity(seats.len());
    for (seat, alert) in seats {
        let Some(thread) = posts
            .iter()
            .find(|p| p.id == alert.post_id)
            .and_then(|post| threads.iter().find(|t| t.id == post.thread_id))
        else {
            continue;
        };
        duties.push(Duty {
            alert_id: alert.id,
            reason: Reason::parse(&alert.reason).unwrap_or(Reason::Other),
            post_id: alert.post_id,
            vote: seat.vote.clone(),
            thread_id: thread.id,
            thread_title: thread.title.clone(),
            deadline: alert.deadline,
            seat: seat.state,
            state: alert.state,
        });
    }
    duties.sort_by_key(|d| (!d.to_answer(), -d.alert_id));
    Ok(duties)
}

/// What a juror sees of a case: the post, what it answers, the reason — never who alerted.
#[derive(Debug, Clone)]
pub struct Case {
    pub alert_id: i64,
    pub reason: Reason,
    pub details: Option<String>,
    pub forum_slug: String,
    pub forum_name: String,
    pub thread_id: i64,
    pub thread_title: String,
    pub post: posts::PostWithAuthor,
    /// The post it answers, for context.
    pub parent: Option<posts::PostWithAuthor>,
    pub deadline: DateTime<Utc>,
    /// `summoned`, `voted` or `declined`.
    pub seat: String,
    pub vote: Option<String>,
    pub state: String,
}

/// A case for one of its jurors.
pub async fn case<C: ConnectionTrait>(db: &C, juror: &Actor, alert_id: i64) -> CoreResult<Case> {
    let alert = juries::alert_by_id(db, alert_id)
        .await?
        .ok_or(CoreError::NotFound("jury"))?;
    let seat = juries::seat_of(db, alert.id, juror.id)
        .await?
        .ok_or(CoreError::NotFound("jury"))?;
    let (post, thread, forum) = post_in_place(db, alert.post_id).await?;
    let parent = match post.parent_id {
        Some(parent_id) => posts::with_author(db, parent_id).await?,
        None => None,
    };
    Ok(Case {
        alert_id: alert.id,
        reason: Reason::parse(&alert.reason).unwrap_or(Reason::Other),
        details: alert.details,
        forum_slug: forum.slug,
        forum_name: forum.name,
        thread_id: thread.id,
        thread_title: thread.title,
        post,
        parent,
        deadline: alert.deadline,
        seat: seat.state,
        vote: seat.vote,
        state: alert.state,
    })
}

/// A verdict as its post's author (and the forum's hosts and the admins) read it.
#[derive(Debug, Clone)]
pub struct VerdictView {
    pub alert_id: i64,
    pub reason: Reason,
    pub thread_id: i64,
    pub thread_title: String,
    pub post_id: i64,
    /// `open`, `hidden` or `left`.
    pub state: String,
    pub tally: Tally,
    pub decided_at: Option<DateTime<Utc>>,
    /// The jurors' comments, in the order they were given, without names.
    pub comments: Vec<String>,
}

/// The verdict on an alert, for the post's author, its alerter, the forum's hosts and the
/// admins; its jurors once it is decided. Never says who alerted or who voted which way.
pub async fn verdict<C: ConnectionTrait>(
    db: &C,
    viewer: &Actor,
    alert_id: i64,
) -> CoreResult<VerdictView> {
    let alert = juries::alert_by_id(db, alert_id)
        .await?
        .ok_or(CoreError::NotFound("alert"))?;
    let post = posts::by_id(db, alert.post_id)
        .await?
        .ok_or(CoreError::NotFound("alert"))?;
    let jury = juries::jury(db, alert.id).await?;
    let may_read = post.author_id == viewer.id
        || alert.alerter_id == viewer.id
        || moderation::role_in(db, viewer, alert.forum_id)
            .await?
            .is_some()
        || (alert.state != OPEN && jury.iter().any(|s| s.user_id == viewer.id));
    if !may_read {
        return Err(CoreError::NotFound("alert"));
    }
    let thread = threads::by_id(db, post.thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    let mut voted: Vec<&juror::Model> = jury.iter().filter(|s| s.state == VOTED).collect();
    voted.sort_by_key(|s| s.answered_at);
    Ok(VerdictView {
        alert_id: alert.id,
        reason: Reason::parse(&alert.reason).unwrap_or(Reason::Other),
        thread_id: thread.id,
        thread_title: thread.title,
        post_id: post.id,
        state: alert.state.clone(),
        tally: Tally::of(&jury),
        decided_at: alert.decided_at,
        // Comments only once decided: a juror's words must not sway the others.
        comments: if alert.state == OPEN {
            Vec::new()
        } else {
            voted.iter().filter_map(|s| s.comment.clone()).collect()
        },
    })
}

async fn post_in_place<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
) -> CoreResult<(
    posts::PostWithAuthor,
    stoa_db::thread::Model,
    stoa_db::forum::Model,
)> {
    let post = posts::with_author(db, post_id)
        .await?
        .ok_or(CoreError::NotFound("post"))?;
    let (thread, forum) = place_of(db, post.thread_id).await?;
    Ok((post, thread, forum))
}

/// A thread and its forum.
async fn place_of<C: ConnectionTrait>(
    db: &C,
    thread_id: i64,
) -> CoreResult<(stoa_db::thread::Model, stoa_db::forum::Model)> {
    let thread = threads::by_id(db, thread_id)
        .await?
        .ok_or(CoreError::NotFound("thread"))?;
    let forum = forums::by_id(db, thread.forum_id)
        .await?
        .ok_or(CoreError::NotFound("forum"))?;
    Ok((thread, forum))
}
