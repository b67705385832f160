//! Alerts on posts and the juries that judge them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::{alert, forum_host, juror, post, user};

/// States of an alert.
pub const OPEN: &str = "open";
/// An alert on a post of a forum elsewhere: sent to that forum as a `Flag`, judged there.
pub const REPORTED: &str = "reported";
/// States of a juror's seat.
pub const SUMMONED: &str = "summoned";
pub const DECLINED: &str = "declined";
pub const VOTED: &str = "voted";

pub struct NewAlert<'a> {
    pub post_id: i64,
    pub forum_id: i64,
    pub alerter_id: i64,
    pub reason: &'a str,
    pub details: Option<&'a str>,
    pub ap_id: Option<&'a str>,
    /// `open` (a jury here), or `reported` (sent to a forum elsewhere).
    pub state: &'a str,
    pub now: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

pub async fn insert_alert<C: ConnectionTrait>(
    db: &C,
    new: NewAlert<'_>,
) -> Result<alert::Model, DbErr> {
    alert::ActiveModel {
        post_id: Set(new.post_id),
        forum_id: Set(new.forum_id),
        alerter_id: Set(new.alerter_id),
        reason: Set(new.reason.to_owned()),
        details: Set(new.details.map(str::to_owned)),
        ap_id: Set(new.ap_id.map(str::to_owned)),
        state: Set(new.state.to_owned()),
        hide_votes: Set(0),
        leave_votes: Set(0),
        created_at: Set(new.now),
        deadline: Set(new.deadline),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn alert_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find_by_id(id).one(db).await
}

pub async fn alert_by_ap_id<C: ConnectionTrait>(
    db: &C,
    ap_id: &str,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::ApId.eq(ap_id))
        .one(db)
        .await
}

/// The open alert on a post, if there is one.
pub async fn open_alert_on<C: ConnectionTrait>(
    db: &C,
    post_id: i64,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::PostId.eq(post_id))
        .filter(alert::Column::State.eq(OPEN))
        .one(db)
        .await
}

/// How many alerts a member raised since `since`: all, or those that ended in `state`.
pub async fn alerts_since<C: ConnectionTrait>(
    db: &C,
    alerter_id: i64,
    since: DateTime<Utc>,
    state: Option<&str>,
) -> Result<u64, DbErr> {
    let mut select = alert::Entity::find()
        .filter(alert::Column::AlerterId.eq(alerter_id))
        .filter(alert::Column::CreatedAt.gt(since));
    if let Some(state) = state {
        select = select.filter(alert::Column::State.eq(state));
    }
    select.count(db).await
}

/// A member's report of a post, if they made one.
pub async fn report_by<C: ConnectionTrait>(
    db: &C,
    alerter_id: i64,
    post_id: i64,
) -> Result<Option<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::AlerterId.eq(alerter_id))
        .filter(alert::Column::PostId.eq(post_id))
        .filter(alert::Column::State.eq(REPORTED))
        .one(db)
        .await
}

/// Open alerts whose deadline has passed, oldest first.
pub async fn due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<alert::Model>, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::State.eq(OPEN))
        .filter(alert::Column::Deadline.lte(now))
        .order_by_asc(alert::Column::Deadline)
        .limit(limit)
        .all(db)
        .await
}

/// Closes an open alert with its verdict and tally; whether it was still open (another
/// process may have decided it first).
pub async fn decide<C: ConnectionTrait>(
    db: &C,
    alert_id: i64,
    state: &str,
    hide_votes: i32,
    leave_votes: i32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = alert::Entity::update_many()
        .col_expr(alert::Column::State, Expr::value(state))
        .col_expr(alert::Column::HideVotes, Expr::value(hide_votes))
        .col_expr(alert::Column::LeaveVotes, Expr::value(leave_votes))
        .col_expr(alert::Column::DecidedAt, Expr::value(now))
        .filter(alert::Column::Id.eq(alert_id))
        .filter(alert::Column::State.eq(OPEN))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Who may sit on a jury of `forum_id`: members here whose account is old enough and who wrote
/// since `active_since`; never the author, the alerter, a host of the forum, anyone already on
/// this alert's jury (`alert_id`) or on another jury still open. At most `limit`, in random order.
pub struct Draw {
    pub forum_id: i64,
    pub alert_id: i64,
    pub exclude: Vec<i64>,
    pub joined_before: DateTime<Utc>,
    pub active_since: DateTime<Utc>,
    pub limit: u64,
}

pub async fn draw<C: ConnectionTrait>(db: &C, draw: Draw) -> Result<Vec<i64>, DbErr> {
    let recent_post = Query::select()
        .expr(Expr::val(1))
        .from(post::Entity)
        .and_where(
            Expr::col((post::Entity, post::Column::AuthorId))
                .equals((user::Entity, user::Column::Id)),
        )
        .and_where(Expr::col((post::Entity, post::Column::CreatedAt)).gte(draw.active_since))
        .to_owned();
    let hosts = Query::select()
        .column(forum_host::Column::UserId)
        .from(forum_host::Entity)
        .and_where(Expr::col(forum_host::Column::ForumId).eq(draw.forum_id))
        .to_owned();
    // Seats on this alert's jury (declined too: who declined is not asked again), and seats
    // still to be answered or decided on any open alert.
    let seated = Query::select()
        .column((juror::Entity, juror::Column::UserId))
        .from(juror::Entity)
        .inner_join(
            alert::Entity,
            Expr::col((alert::Entity, alert::Column::Id))
                .equals((juror::Entity, juror::Column::AlertId)),
        )
        .cond_where(
            Expr::col((juror::Entity, juror::Column::AlertId))
                .eq(draw.alert_id)
                .or(Expr::col((alert::Entity, alert::Column::State))
                    .eq(OPEN)
                    .and(Expr::col((juror::Entity, juror::Column::State)).ne(DECLINED))),
        )
        .to_owned();
    let ids: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Local.eq(true))
        .filter(user::Column::CreatedAt.lte(draw.joined_before))
        .filter(user::Column::Id.is_not_in(draw.exclude))
        .filter(Expr::exists(recent_post))
        .filter(user::Column::Id.not_in_subquery(hosts))
        .filter(user::Column::Id.not_in_subquery(seated))
        .order_by_asc(Expr::cust("RANDOM()"))
        .limit(draw.limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids)
}

pub async fn seat<C: ConnectionTrait>(
    db: &C,
    alert_id: i64,
    user_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if user_ids.is_empty() {
        return Ok(());
    }
    juror::Entity::insert_many(user_ids.iter().map(|&user_id| juror::ActiveModel {
        alert_id: Set(alert_id),
        user_id: Set(user_id),
        state: Set(SUMMONED.to_owned()),
        vote: Set(None),
        comment: Set(None),
        summoned_at: Set(now),
        answered_at: Set(None),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A member's seat on an alert's jury.
pub async fn seat_of<C: ConnectionTrait>(
    db: &C,
    alert_id: i64,
    user_id: i64,
) -> Result<Option<juror::Model>, DbErr> {
    juror::Entity::find()
        .filter(juror::Column::AlertId.eq(alert_id))
        .filter(juror::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Every seat of an alert's jury, in the order they were filled.
pub async fn jury<C: ConnectionTrait>(db: &C, alert_id: i64) -> Result<Vec<juror::Model>, DbErr> {
    juror::Entity::find()
        .filter(juror::Column::AlertId.eq(alert_id))
        .order_by_asc(juror::Column::Id)
        .all(db)
        .await
}

/// Answers a seat still waiting: a vote with its comment, or (`vote: None`) declining.
/// Whether the seat was still waiting.
pub async fn answer<C: ConnectionTrait>(
    db: &C,
    seat_id: i64,
    vote: Option<&str>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let state = if vote.is_some() { VOTED } else { DECLINED };
    let done = juror::Entity::update_many()
        .col_expr(juror::Column::State, Expr::value(state))
        .col_expr(juror::Column::Vote, Expr::value(vote.map(str::to_owned)))
        .col_expr(
            juror::Column::Comment,
            Expr::value(comment.map(str::to_owned)),
        )
        .col_expr(juror::Column::AnsweredAt, Expr::value(now))
        .filter(juror::Column::Id.eq(seat_id))
        .filter(juror::Column::State.eq(SUMMONED))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A member's seats on juries (declined ones left out), newest first, with their alerts.
pub async fn seats_of<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    limit: u64,
) -> Result<Vec<(juror::Model, alert::Model)>, DbErr> {
    let seats = juror::Entity::find()
        .filter(juror::Column::UserId.eq(user_id))
        .filter(juror::Column::State.ne(DECLINED))
        .order_by_desc(juror::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = seats.iter().map(|s| s.alert_id).collect();
    let alerts = alert::Entity::find()
        .filter(alert::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(seats
        .into_iter()
        .filter_map(|seat| {
            let alert = alerts.iter().find(|a| a.id == seat.alert_id)?.clone();
            Some((seat, alert))
        })
        .collect())
}
