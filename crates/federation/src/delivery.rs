//! Outgoing delivery that never loses an activity: every activity is written to the
//! `deliveries` table, one row per target inbox, and a worker signs and sends what is due with
//! bounded parallelism, retrying with exponential backoff for more than a day. Rows survive
//! restarts; a worker only leases a row while it sends it.

use std::sync::Arc;
use std::time::Duration;

use activitypub_federation::config::Data;
use chrono::Utc;
use stoa_db::queries::{deliveries, forums, users};
use stoa_db::{ConnectionTrait, delivery};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use url::Url;

use crate::data::{Config, FedData};
use crate::error::FedError;
use crate::signatures::{PrivateKey, Scheme};
use crate::signer::LocalSigner;

/// Who signs an outgoing activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Forum(i64),
    User(i64),
}

impl Signer {
    fn kind(self) -> (&'static str, i64) {
        match self {
            Signer::Forum(id) => ("forum", id),
            Signer::User(id) => ("user", id),
        }
    }
}

/// Queues an activity for each inbox (duplicates dropped), in the caller's transaction.
pub async fn enqueue<C: ConnectionTrait, A: serde::Serialize>(
    db: &C,
    activity: &A,
    signer: Signer,
    inboxes: &[Url],
) -> Result<(), FedError> {
    enqueue_carrying(db, activity, signer, inboxes, None).await
}

/// Queues an activity carrying a member's post (`post_id`) to a forum elsewhere: a refusal
/// of it is then shown on the post.
pub async fn enqueue_carrying<C: ConnectionTrait, A: serde::Serialize>(
    db: &C,
    activity: &A,
    signer: Signer,
    inboxes: &[Url],
    post_id: Option<i64>,
) -> Result<(), FedError> {
    let activity = serde_json::to_value(activity)
        .map_err(|e| FedError::Rejected(format!("an activity that cannot be written: {e}")))?;
    let id = activity
        .get("id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| FedError::Rejected("an activity needs an id".into()))?;
    let body = activity.to_string();
    let (kind, signer_id) = signer.kind();
    let mut seen = std::collections::HashSet::new();
    for inbox in inboxes.iter().filter(|i| seen.insert(i.as_str())) {
        deliveries::enqueue(
            db,
            deliveries::NewDelivery {
                host: &host_of(inbox.as_str()),
                post_id,
                activity_id: id,
                activity: &body,
                signer_kind: kind,
                signer_id,
                inbox: inbox.as_str(),
                now: Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}

/// How deliveries are paced; `stoa serve` reads both from its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The unit of the retry schedule (see [`RETRY_UNIT`]).
    pub retry_unit: Duration,
    /// Sends in flight to one server at most, in one process.
    pub per_server: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry_unit: RETRY_UNIT,
            per_server: PER_SERVER,
        }
    }
}

/// Sends in flight to one server by default: enough to keep a busy server's queue moving,
/// few enough not to flood a small one.
pub const PER_SERVER: usize = 8;

/// How long a woken worker waits for more work to arrive before its round.
pub(crate) const COALESCE: Duration = Duration::from_millis(20);

/// Sends at most this many deliveries at once, in all.
pub const PARALLEL_SENDS: usize = 128;
/// A sending worker holds a row this long; if it dies, another takes the row after that.
const LEASE: Duration = Duration::from_secs(120);
/// Retries wait 1 min, 2 min, 4 min … up to 8 h between attempts; after this many failed
/// attempts (about 40 hours in all) the delivery is given up.
const MAX_ATTEMPTS: i32 = 14;

/// After this many failed deliveries in a row a server is marked failing.
pub const FAILING_AFTER: i32 = 10;
/// A failing server is tried at most this often, whatever each delivery's own schedule.
pub const FAILING_RETRY: Duration = Duration::from_secs(6 * 3600);
/// The failing servers' due deliveries are moved to their next probe at most this often while
/// the list stays the same: under load the worker wakes many times a second, and moving writes.
const FAILING_REREAD: Duration = Duration::from_millis(500);

/// The host (with port) that a delivery goes to.
fn host_of(inbox: &str) -> String {
    Url::parse(inbox)
        .ok()
        .and_then(|u| crate::urls::Urls::authority_of(&u))
        .unwrap_or_default()
}

/// The unit of the retry schedule in production: retries wait 2, 4, 8 … units.
pub const RETRY_UNIT: Duration = Duration::from_secs(60);

/// When to try again after `attempts` failures, or `None` to give up. `unit` is a minute in
/// production (see [`RETRY_UNIT`]); tests shorten it.
pub fn backoff(attempts: i32, unit: Duration) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let units = 1u32 << attempts.clamp(0, 9);
    Some(unit * units.min(480))
}

async fn signer_for(data: &Data<FedData>, row: &delivery::Model) -> Result<LocalSigner, FedError> {
    let missing = || FedError::NotFound(format!("signer {} {}", row.signer_kind, row.signer_id));
    let (id, public_key, private_key) = match row.signer_kind.as_str() {
        "forum" => {
            let forum = forums::by_id(&data.db, row.signer_id)
                .await?
                .ok_or_else(missing)?;
            (
                data.urls.forum(&forum.slug),
                forum.public_key,
                forum.private_key,
            )
        }
        "user" => {
            let user = users::by_id(&data.db, row.signer_id)
                .await?
                .ok_or_else(missing)?;
            (
                data.urls.user(&user.name),
                user.public_key,
                user.private_key,
            )
        }
        _ => return Err(missing()),
    };
    Ok(LocalSigner {
        inbox: Url::parse(&format!("{id}/inbox")).map_err(|e| FedError::Rejected(e.to_string()))?,
        id,
        public_key: public_key.ok_or_else(missing)?,
        private_key: private_key.ok_or_else(missing)?,
    })
}

/// How a delivery ended, when it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    /// The inbox took it (2xx).
    Delivered(u16),
    /// The inbox refused it for good (a 4xx other than 401, 408 and 429): sending it again
    /// would be refused again. `why` is the status and the start of the answer.
    Refused { status: u16, why: String },
    /// Not sent: the server's software does not read it (`why` says so).
    Skipped(String),
}

/// Software that refuses an `Announce` of a bare object id (it reads only announced
/// activities): Lemmy answers "missing field actor". The plain `Announce{Page}` Mastodon shows
/// for a new thread is not sent to it; the `Announce{Create{Page}}` beside it is.
const READS_NO_BARE_ANNOUNCE: &[&str] = &["lemmy"];

/// Whether an activity is an `Announce` of a bare object id.
fn is_bare_announce(activity: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "type")]
        kind: Option<String>,
        object: Option<serde_json::Value>,
    }
    serde_json::from_str::<Head>(activity).is_ok_and(|head| {
        head.kind.as_deref() == Some("Announce")
            && head
                .object
                .as_ref()
                .is_some_and(serde_json::Value::is_string)
    })
}

/// Most bytes read of a NodeInfo document.
const NODEINFO_MAX_BYTES: usize = 64 * 1024;

/// The software a server runs, as its NodeInfo names it (lower case), found through
/// `/.well-known/nodeinfo` on the inbox's own host; empty when it cannot be read.
async fn software_of(data: &Data<FedData>, inbox: &Url) -> String {
    async fn read(data: &Data<FedData>, url: &Url) -> Option<serde_json::Value> {
        data.urls.check_remote(url, data.development).ok()?;
        data.is_valid_ip(url).await.ok()?;
        let response = data
            .http
            .get(url.as_str())
            .header("accept", "application/json")
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let (body, whole) = read_at_most(response, NODEINFO_MAX_BYTES).await;
        whole.then(|| serde_json::from_slice(&body).ok()).flatten()
    }
    let mut well_known = inbox.clone();
    well_known.set_path("/.well-known/nodeinfo");
    well_known.set_query(None);
    let Some(links) = read(data, &well_known).await else {
        return String::new();
    };
    let href = links["links"].as_array().and_then(|links| {
        links
            .iter()
            .filter(|l| {
                l["rel"]
                    .as_str()
                    .is_some_and(|rel| rel.contains("nodeinfo.diaspora.software/ns/schema/"))
            })
            .find_map(|l| l["href"].as_str().and_then(|h| Url::parse(h).ok()))
    });
    // The document must be on the same server: a NodeInfo cannot send Stoa elsewhere.
    let Some(href) = href.filter(|h| h.host_str() == inbox.host_str()) else {
        return String::new();
    };
    match read(data, &href).await {
        Some(info) => info["software"]["name"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(64)
            .collect::<String>()
            .to_lowercase(),
        None => String::new(),
    }
}

/// How much of a refusal's answer is kept.
const REFUSAL_EXCERPT_BYTES: usize = 300;

/// Signs and sends one delivery, first with the signature scheme the server accepted last
/// (draft-cavage when it is new); a 401 gets one more try with the other scheme, and the one
/// that worked is remembered for the server. An error is worth retrying.
async fn send_one(
    data: &Data<FedData>,
    row: &delivery::Model,
    remembered: Option<Scheme>,
    software: Option<&str>,
) -> Result<Sent, FedError> {
    let signer = signer_for(data, row).await?;
    let inbox = Url::parse(&row.inbox).map_err(|e| FedError::Rejected(e.to_string()))?;
    check_inbox(data, &inbox).await?;
    if !data
        .policy
        .get(&data.db)
        .await?
        .permits(&host_of(&row.inbox))
    {
        return Ok(Sent::Skipped(
            "not sent: this server does not federate with that domain".into(),
        ));
    }
    if is_bare_announce(&row.activity) {
        let software = match software {
            Some(known) => known.to_owned(),
            None => {
                let found = software_of(data, &inbox).await;
                stoa_db::queries::peers::remember_software(&data.db, &host_of(&row.inbox), &found)
                    .await?;
                found
            }
        };
        if READS_NO_BARE_ANNOUNCE.contains(&software.as_str()) {
            return Ok(Sent::Skipped(format!(
                "not sent: {software} reads no Announce of a bare object"
            )));
        }
    }
    let key = PrivateKey::from_pem(&signer.private_key)
        .map_err(|e| FedError::Rejected(format!("the signer's key: {e}")))?;
    let key_id = crate::urls::Urls::key_id(&signer.id);
    let first = remembered.unwrap_or(Scheme::Cavage);
    let mut used = first;
    let mut response = post(data, first, &inbox, &row.activity, &key_id, &key).await?;
    if response.status() == reqwest::StatusCode::UNAUTHORIZED {
        used = other_scheme(first);
        response = post(data, used, &inbox, &row.activity, &key_id, &key).await?;
    }
    let status = response.status();
    if status.is_success() && Some(used) != remembered {
        stoa_db::queries::peers::remember_signature_scheme(
            &data.db,
            &host_of(&row.inbox),
            used.as_str(),
        )
        .await?;
    }
    match status {
        status if status.is_success() => Ok(Sent::Delivered(status.as_u16())),
        status
            if status.is_client_error()
                && status != reqwest::StatusCode::UNAUTHORIZED
                && status != reqwest::StatusCode::REQUEST_TIMEOUT
                && status != reqwest::StatusCode::TOO_MANY_REQUESTS =>
        {
            let answer = excerpt(response).await;
            Ok(Sent::Refused {
                status: status.as_u16(),
                why: format!("refused: {status}: {answer}"),
            })
        }
        status => Err(FedError::Delivery(format!("the inbox answered {status}"))),
    }
}

/// The start of an answer's body as one line of text: at most [`REFUSAL_EXCERPT_BYTES`] are
/// read, whatever the server sends.
async fn excerpt(response: reqwest::Response) -> String {
    let (body, _) = read_at_most(response, REFUSAL_EXCERPT_BYTES).await;
    let text = String::from_utf8_lossy(&body);
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        "(no answer)".into()
    } else {
        text
    }
}

/// Reads an answer's body up to `max` bytes, whatever the server sends: the bytes read (at most
/// `max`) and whether the whole body fitted.
async fn read_at_most(mut response: reqwest::Response, max: usize) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > max {
                    body.truncate(max);
                    return (body, false);
                }
            }
            Ok(None) => return (body, true),
            Err(_) => return (body, false),
        }
    }
}

fn other_scheme(scheme: Scheme) -> Scheme {
    match scheme {
        Scheme::Cavage => Scheme::Rfc9421,
        Scheme::Rfc9421 => Scheme::Cavage,
    }
}

/// An inbox must be another server's, over https (http only in development), and outside
/// development never at a private or loopback address.
async fn check_inbox(data: &Data<FedData>, inbox: &Url) -> Result<(), FedError> {
    data.urls
        .check_remote(inbox, data.development)
        .map_err(|why| FedError::Rejected(format!("inbox {why}")))?;
    data.is_valid_ip(inbox).await?;
    Ok(())
}

/// One signed POST; the answer it got.
async fn post(
    data: &Data<FedData>,
    scheme: Scheme,
    inbox: &Url,
    body: &str,
    key_id: &str,
    key: &PrivateKey,
) -> Result<reqwest::Response, FedError> {
    let headers = crate::signatures::post_headers(
        scheme,
        inbox,
        body.as_bytes(),
        key_id,
        key,
        std::time::SystemTime::now(),
    )
    .map_err(|e| FedError::Rejected(e.to_string()))?;
    let mut request = data.http.post(inbox.as_str()).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .map_err(|e| FedError::Delivery(format!("sending failed: {e}")))
}

/// What a delivery's task gives back when it ends: its server, and whether it was delivered.
type Finished = (String, bool);

/// Servers marked failing, each with when it may next be probed; shared with the sends.
type Failing = Arc<std::sync::Mutex<Vec<(String, chrono::DateTime<Utc>)>>>;

/// The deliveries in flight in this process. Each server has its own limit
/// ([`Settings::per_server`]) and the process a limit in all ([`PARALLEL_SENDS`]); what is due is
/// claimed only for servers below their limit, so a slow or dead server holds its own slots and
/// never the others'. It lives as long as the worker: a round starts what is due and returns,
/// and sends go on while the next rounds start more.
pub struct Sender {
    config: Config,
    running: JoinSet<Finished>,
    /// Sends started (running or waiting for their server's slot), per server, and the gate
    /// that lets at most `per_server` of them send at once.
    in_flight: std::collections::HashMap<String, (usize, Arc<Semaphore>)>,
    /// Each running send's server, by task: a send that panics still frees its slot.
    task_hosts: std::collections::HashMap<tokio::task::Id, String>,
    /// Servers marked failing and when each may next be probed. A send that marks its server
    /// adds it here at once, so the next claim leaves it out without reading the list again.
    failing: Failing,
    /// When the failing servers' due deliveries were last moved to their next probe.
    failing_read_at: Option<std::time::Instant>,
}

impl Sender {
    pub fn new(config: Config) -> Self {
        Sender {
            config,
            running: JoinSet::new(),
            in_flight: std::collections::HashMap::new(),
            task_hosts: std::collections::HashMap::new(),
            failing: Failing::default(),
            failing_read_at: None,
        }
    }

    /// Sends in flight.
    pub fn busy(&self) -> usize {
        self.running.len()
    }

    /// Reads again which servers are failing (no claim takes their deliveries); those that
    /// came due are moved to the server's next probe, without spending an attempt — when the
    /// list changed, else at most every [`FAILING_REREAD`].
    pub async fn refresh_failing(&mut self) -> Result<(), FedError> {
        let db = &self.config.to_request_data().app_data().db.clone();
        let now = Utc::now();
        let probe_every = chrono::Duration::from_std(FAILING_RETRY).unwrap_or_default();
        let failing = stoa_db::queries::peers::failing(db)
            .await?
            .into_iter()
            .filter_map(|peer| {
                let next = peer.last_failure_at? + probe_every;
                (next > now).then_some((peer.host, next))
            })
            .collect::<Vec<_>>();
        let changed = {
            let mut known = self.failing.lock().unwrap_or_else(|e| e.into_inner());
            let changed = failing != *known;
            known.clone_from(&failing);
            changed
        };
        if !changed
            && self
                .failing_read_at
                .is_some_and(|at| at.elapsed() < FAILING_REREAD)
        {
            return Ok(());
        }
        self.failing_read_at = Some(std::time::Instant::now());
        for (host, next_probe) in &failing {
            deliveries::postpone_server(db, host, now, *next_probe).await?;
        }
        Ok(())
    }

    /// Claims what is due for the servers with free slots and starts sending it. Returns how
    /// many sends it started.
    pub async fn start_due(&mut self) -> Result<usize, FedError> {
        let data = self.config.to_request_data();
        let (db, settings) = (data.app_data().db.clone(), data.app_data().delivery);
        let room = PARALLEL_SENDS.saturating_sub(self.running.len());
        if room == 0 {
            return Ok(0);
        }
        let now = Utc::now();
        let per_server = settings.per_server.max(1);
        let mut skipped: Vec<String> = self
            .in_flight
            .iter()
            .filter(|(_, (n, _))| *n >= per_server)
            .map(|(host, _)| host.clone())
            .collect();
        skipped.extend(
            self.failing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|(_, next)| *next > now)
                .map(|(host, _)| host.clone()),
        );
        let lease = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let claim = deliveries::Claim {
            now,
            lease_until: lease,
            limit: room as u64,
            per_server: per_server as u64,
            skipped: &skipped,
        };
        let due = deliveries::claim_due(&db, claim).await?;
        // Each server's health is read once a round, whatever the number of its deliveries.
        let mut health = std::collections::HashMap::new();
        let started = due.len();
        for row in due {
            if !health.contains_key(&row.host) {
                let peer = stoa_db::queries::peers::get(&db, &row.host).await?;
                health.insert(row.host.clone(), peer);
            }
            let peer = health.get(&row.host).and_then(Option::as_ref);
            let remembered = peer
                .and_then(|peer| peer.signature_scheme.as_deref())
                .and_then(Scheme::parse);
            let software = peer.and_then(|peer| peer.software.clone());
            // A server below its limit may be given more than its free slots in one claim:
            // the extra sends wait at its gate (counted as in flight, so it is claimed for no
            // more until they are done).
            let (count, gate) = self
                .in_flight
                .entry(row.host.clone())
                .or_insert_with(|| (0, Arc::new(Semaphore::new(per_server))));
            *count += 1;
            let gate = gate.clone();
            let config = self.config.clone();
            let host = row.host.clone();
            let failing = self.failing.clone();
            let task = self.running.spawn(async move {
                let _slot = gate.acquire_owned().await;
                let data = config.to_request_data();
                let delivered =
                    deliver(&data, &row, remembered, software.as_deref(), &failing).await;
                (row.host, delivered)
            });
            self.task_hosts.insert(task.id(), host);
        }
        Ok(started)
    }

    /// Waits for the next send to end (for ever when none is in flight) and frees its slot.
    /// Returns whether it was delivered.
    pub async fn next_finished(&mut self) -> bool {
        match self.running.join_next_with_id().await {
            Some(result) => self.finished(result),
            None => std::future::pending().await,
        }
    }

    /// Frees the slots of every send that has ended, without waiting. Returns how many of them
    /// were delivered.
    pub fn reap(&mut self) -> usize {
        let mut delivered = 0;
        while let Some(result) = self.running.try_join_next_with_id() {
            delivered += usize::from(self.finished(result));
        }
        delivered
    }

    fn finished(
        &mut self,
        result: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
    ) -> bool {
        // A send that panicked frees its slot too; its row's lease runs out and it is claimed
        // again.
        let (id, delivered) = match result {
            Ok((id, (_, delivered))) => (id, delivered),
            Err(e) => (e.id(), false),
        };
        let Some(host) = self.task_hosts.remove(&id) else {
            return delivered;
        };
        if let Some((n, _)) = self.in_flight.get_mut(&host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.in_flight.remove(&host);
            }
        }
        delivered
    }

    /// Sends everything due now and waits for it to end; again while more became due (a
    /// server's other deliveries waiting for a slot). Returns how many were delivered.
    pub async fn run_until_idle(&mut self) -> Result<usize, FedError> {
        self.refresh_failing().await?;
        let mut delivered = 0;
        loop {
            let started = self.start_due().await?;
            if started == 0 && self.running.is_empty() {
                return Ok(delivered);
            }
            delivered += usize::from(self.next_finished().await);
            delivered += self.reap();
        }
    }
}

/// Sends every delivery that is due now and waits for the sends to end. Returns how many were
/// delivered.
pub async fn run_due(config: &Config) -> Result<usize, FedError> {
    Sender::new(config.clone()).run_until_idle().await
}

/// Sends one claimed delivery and records its outcome on the row and the server's health.
async fn deliver(
    data: &Data<FedData>,
    row: &delivery::Model,
    remembered: Option<Scheme>,
    software: Option<&str>,
    failing: &Failing,
) -> bool {
    let db = &data.db;
    let outcome = send_one(data, row, remembered, software).await;
    let now = Utc::now();
    let host = &row.host;
    let health = match &outcome {
        Ok(Sent::Delivered(_)) => stoa_db::queries::peers::record_success(db, host, now).await,
        Ok(Sent::Refused { why, .. }) => {
            stoa_db::queries::peers::record_refusal(db, host, why, now).await
        }
        Ok(Sent::Skipped(_)) => Ok(()),
        Err(e) => {
            match stoa_db::queries::peers::record_failure(
                db,
                host,
                &e.to_string(),
                FAILING_AFTER,
                now,
            )
            .await
            {
                // Known before this send ends: the claims that follow leave the server out.
                Ok(true) => {
                    let probe = now + chrono::Duration::from_std(FAILING_RETRY).unwrap_or_default();
                    let mut failing = failing.lock().unwrap_or_else(|e| e.into_inner());
                    failing.retain(|(known, _)| known != host);
                    failing.push((host.clone(), probe));
                    Ok(())
                }
                Ok(false) => Ok(()),
                Err(e) => Err(e),
            }
        }
    };
    if let Err(e) = health {
        tracing::warn!(error = %e, "recording a server's health failed");
    }
    let recorded = match &outcome {
        Ok(Sent::Delivered(status)) => deliveries::mark_delivered(db, row.id, *status, now).await,
        Ok(Sent::Skipped(why)) => deliveries::mark_skipped(db, row.id, why, now).await,
        Ok(Sent::Refused { status, why }) => {
            // Operators see it: in the log, the delivery's row and the server's count.
            tracing::warn!(inbox = %row.inbox, activity = %row.activity_id, %why, "a delivery was refused");
            let marked = deliveries::mark_refused(db, row.id, *status, why, now).await;
            // A member's own post the forum's server would not take: its author is told.
            match (marked, row.post_id) {
                (Ok(()), Some(post)) => stoa_core::posts::refused_elsewhere(db, post, why)
                    .await
                    .map_err(|e| stoa_db::DbErr::Custom(e.to_string())),
                (marked, _) => marked,
            }
        }
        Err(e) => {
            let retry = backoff(row.attempts + 1, data.delivery.retry_unit)
                .map(|wait| now + chrono::Duration::from_std(wait).unwrap_or_default());
            tracing::info!(inbox = %row.inbox, error = %e, "delivery failed");
            deliveries::mark_failed(db, row.id, &e.to_string(), retry, now).await
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "recording a delivery's outcome failed");
    }
    matches!(outcome, Ok(Sent::Delivered(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_ends_after_more_than_a_day() {
        assert_eq!(backoff(1, RETRY_UNIT), Some(Duration::from_secs(120)));
        assert!(backoff(5, RETRY_UNIT) > backoff(4, RETRY_UNIT));
        let total: u64 = (1..MAX_ATTEMPTS)
            .filter_map(|attempts| backoff(attempts, RETRY_UNIT))
            .map(|d| d.as_secs())
            .sum();
        assert!(total > 24 * 3600, "retries span {total} s");
        assert_eq!(backoff(MAX_ATTEMPTS, RETRY_UNIT), None);
    }
}
