//! What the admins' federation page shows of each server Stoa delivers to: its members'
//! follows of forums here, its queue, its health, and a way to send its queue now.

use chrono::{DateTime, Utc};
use stoa_db::queries::{deliveries, followers, peers};
use stoa_db::{ConnectionTrait, DbErr};

/// One server as the federation page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `host[:port]`.
    pub host: String,
    /// Follows of forums here held by its members.
    pub followers: u64,
    /// Deliveries still to be sent to it.
    pub queued: u64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Why the last failed delivery failed.
    pub last_error: Option<String>,
    /// The last refusal (a 4xx) and its answer.
    pub last_refusal: Option<String>,
    /// When its next queued delivery is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Marked failing after many failures in a row: tried only every few hours.
    pub failing: bool,
}

/// Every server Stoa has delivered to, has queued for or is followed from, by host.
pub async fn servers<C: ConnectionTrait>(db: &C) -> Result<Vec<Server>, DbErr> {
    let mut by_host: std::collections::BTreeMap<String, Server> = Default::default();
    fn entry<'a>(
        by_host: &'a mut std::collections::BTreeMap<String, Server>,
        host: &str,
    ) -> &'a mut Server {
        by_host.entry(host.to_owned()).or_insert_with(|| Server {
            host: host.to_owned(),
            followers: 0,
            queued: 0,
            last_success_at: None,
            last_failure_at: None,
            last_error: None,
            last_refusal: None,
            next_attempt_at: None,
            failing: false,
        })
    }
    for peer in peers::all(db).await? {
        let server = entry(&mut by_host, &peer.host);
        server.last_success_at = peer.last_success_at;
        server.last_failure_at = peer.last_failure_at;
        server.last_error = peer.last_error;
        server.last_refusal = peer.last_refusal;
        server.failing = peer.failing_since.is_some();
    }
    for queue in deliveries::queued_per_server(db).await? {
        let server = entry(&mut by_host, &queue.host);
        server.queued = queue.queued.max(0) as u64;
        server.next_attempt_at = queue.next_attempt_at;
    }
    for (host, count) in followers::per_server(db).await? {
        entry(&mut by_host, &host).followers = count;
    }
    Ok(by_host.into_values().collect())
}

/// Sends a server's queue now: every delivery still due to it becomes due at once, and the
/// server is no longer treated as failing. Returns how many deliveries were moved.
pub async fn retry_now<C: ConnectionTrait>(db: &C, host: &str) -> Result<u64, DbErr> {
    let moved = deliveries::retry_now(db, host, Utc::now()).await?;
    peers::clear_failing(db, host).await?;
    Ok(moved)
}
