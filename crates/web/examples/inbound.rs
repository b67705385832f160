//! Inbound throughput: signed `Create{Note}` replies from many simulated remote members, sent
//! to a real `stoa serve` process (release build, SQLite) as fast as it answers, with the
//! server's CPU time and memory read from /proc. Run with
//!
//! ```text
//! cargo build --release -p stoa
//! cargo run --release -p stoa-web --example inbound [activities] [members] [connections]
//! ```
//!
//! With `STOA_BENCH_DATABASE_URL=postgres://…/postgres` the server runs on a fresh PostgreSQL
//! database made on that server (and dropped afterwards) instead of SQLite.
//!
//! Every request is signed ahead of time by activitypub_federation itself (draft-cavage with
//! `Digest`, as Stoa requires): the tool sends each activity once to a capturing listener on the
//! port Stoa will use, keeps the signed request, and replays it to Stoa later, so the timed run
//! measures Stoa's verification and storage, not the sender's RSA signing. The simulated members
//! live on a small actor server in this process, which Stoa fetches once per member.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::http_signatures::generate_actor_keypair;
use activitypub_federation::traits::{Activity, Actor, Object};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use url::Url;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ToolError(String);

impl From<activitypub_federation::error::Error> for ToolError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        ToolError(e.to_string())
    }
}

/// A simulated remote member who signs.
#[derive(Debug, Clone)]
struct Member {
    id: Url,
    public_key: String,
    private_key: String,
}

#[async_trait::async_trait]
impl Object for Member {
    type DataType = ();
    type Kind = Value;
    type Error = ToolError;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(_: Url, _: &Data<()>) -> Result<Option<Self>, ToolError> {
        Ok(None)
    }

    async fn into_json(self, _: &Data<()>) -> Result<Value, ToolError> {
        Err(ToolError("not served this way".into()))
    }

    async fn verify(_: &Value, _: &Url, _: &Data<()>) -> Result<(), ToolError> {
        Ok(())
    }

    async fn from_json(_: Value, _: &Data<()>) -> Result<Self, ToolError> {
        Err(ToolError("never received".into()))
    }
}

impl Actor for Member {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key.clone())
    }

    fn inbox(&self) -> Url {
        Url::parse(&format!("{}/inbox", self.id)).unwrap()
    }
}

/// An activity sent exactly as written.
#[derive(Debug, Clone)]
struct Outgoing {
    id: Url,
    actor: Url,
    body: Value,
}

impl Serialize for Outgoing {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

#[async_trait::async_trait]
impl Activity for Outgoing {
    type DataType = ();
    type Error = ToolError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _: &Data<()>) -> Result<(), ToolError> {
        Ok(())
    }

    async fn receive(self, _: &Data<()>) -> Result<(), ToolError> {
        Ok(())
    }
}

/// A signed request as the capturing listener received it, as the bytes sent on the wire.
struct Signed {
    raw: Vec<u8>,
}

impl Signed {
    fn new(headers: &HeaderMap, body: &[u8]) -> Self {
        let mut raw = b"POST /inbox HTTP/1.1\r\n".to_vec();
        for (name, value) in headers {
            raw.extend_from_slice(name.as_str().as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(body);
        Signed { raw }
    }
}

/// One kept-alive HTTP/1.1 connection that sends ready-made requests and reads each answer's
/// status: a sender this lean leaves the shared cores to the server being measured.
struct Connection {
    address: std::net::SocketAddr,
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: std::net::SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Connection {
            address,
            stream,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// The answer's status; 0 when the connection failed (it is opened again for the next).
    async fn send(&mut self, request: &[u8]) -> u16 {
        match self.exchange(request).await {
            Some(status) => status,
            None => {
                *self = Connection::open(self.address).await;
                0
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> Option<u16> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(request).await.ok()?;
        self.buffer.clear();
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).ok()?;
                let status = head.split(' ').nth(1)?.parse().ok()?;
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buffer.len() < end + 4 + length {
                    if self.stream.read_buf(&mut self.buffer).await.ok()? == 0 {
                        return None;
                    }
                }
                return Some(status);
            }
            if self.stream.read_buf(&mut self.buffer).await.ok()? == 0 {
                return None;
            }
        }
    }
}

/// The server's CPU time so far (user + system) and its resident memory now and at peak.
fn process_usage(pid: u32) -> (Duration, f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let cpu = Duration::from_millis((ticks(11) + ticks(12)) * 10);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (cpu, mib("VmRSS:"), mib("VmHWM:"))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_stoa(
    binary: &std::path::Path,
    port: u16,
    data_dir: &std::path::Path,
    database: &str,
) -> Server {
    let child = Command::new(binary)
        .arg("serve")
        .env("STOA_BIND", format!("127.0.0.1:{port}"))
        .env("STOA_BASE_URL", format!("http://localhost:{port}"))
        .env("STOA_DATA_DIR", data_dir)
        .env("STOA_DATABASE_URL", database)
        .env("STOA_DEV_FEDERATION", "1")
        // `STOA_BENCH_LOG=stoa_core=debug` shows each reply batch's size and time.
        .env(
            "STOA_LOG",
            std::env::var("STOA_BENCH_LOG").unwrap_or_else(|_| "error".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    Server(child)
}

/// The database the server runs on: a fresh one on the PostgreSQL server named by
/// `STOA_BENCH_DATABASE_URL` (its name and the connection to drop it afterwards), or SQLite
/// in the data folder when that is unset.
async fn bench_database() -> Option<(String, String, stoa_db::DatabaseConnection)> {
    use stoa_db::ConnectionTrait;
    let admin = std::env::var("STOA_BENCH_DATABASE_URL").ok()?;
    let connection = stoa_db::connect(&admin)
        .await
        .expect("connect to PostgreSQL");
    let name = format!("stoa_bench_{}", std::process::id());
    connection
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop an old bench database");
    connection
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the bench database");
    let mut url = Url::parse(&admin).expect("STOA_BENCH_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some((url.to_string(), name, connection))
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if client.get(format!("{base}/latest")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("stoa did not start");
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let activities = args.first().copied().unwrap_or(20_000);
    let members = args.get(1).copied().unwrap_or(200);
    let connections = args.get(2).copied().unwrap_or(64);
    let binary = std::env::var_os("STOA_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/stoa")
        });
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();

    // The simulated members' server.
    let actors_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let remote = format!(
        "http://localhost:{}",
        actors_listener.local_addr().unwrap().port()
    );
    let mut roster = Vec::new();
    let mut documents = std::collections::HashMap::new();
    for n in 0..members {
        let keys = generate_actor_keypair().unwrap();
        let id = Url::parse(&format!("{remote}/users/m{n}")).unwrap();
        documents.insert(
            format!("m{n}"),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "type": "Person",
                "id": id,
                "preferredUsername": format!("m{n}"),
                "inbox": format!("{id}/inbox"),
                "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.public_key},
            }),
        );
        roster.push(Member {
            id,
            public_key: keys.public_key,
            private_key: keys.private_key,
        });
    }
    let documents = Arc::new(documents);
    let actors = Router::new()
        .route(
            "/users/{name}",
            get(
                |State(docs): State<Arc<std::collections::HashMap<String, Value>>>,
                 Path(name): Path<String>| async move {
                    docs.get(&name)
                        .map(|doc| {
                            (
                                [("content-type", "application/activity+json")],
                                doc.to_string(),
                            )
                        })
                        .ok_or(axum::http::StatusCode::NOT_FOUND)
                },
            ),
        )
        .with_state(documents);
    tokio::spawn(async move { axum::serve(actors_listener, actors).await.unwrap() });

    // A Stoa with one thread to reply to, then stopped while its requests are signed.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let base = format!("http://localhost:{port}");
    let data_dir = tempfile::tempdir().unwrap();
    let database = bench_database().await;
    println!(
        "database: {}",
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let url = database
        .as_ref()
        .map(|(url, _, _)| url.as_str())
        .unwrap_or("");
    let server = start_stoa(&binary, port, data_dir.path(), url);
    wait_until_up(&client, &base).await;
    client
        .post(format!("{base}/api/v1/accounts"))
        .json(&json!({"username": "host", "password": "a long password"}))
        .send()
        .await
        .unwrap();
    let session: Value = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"username": "host", "password": "a long password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let thread: Value = client
        .post(format!("{base}/api/v1/forums/books/threads"))
        .bearer_auth(&token)
        .json(&json!({"title": "Inbound load", "body": "Reply here."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let thread_id = thread["id"].as_i64().unwrap();
    drop(server);

    // Sign every activity with activitypub_federation by sending it to a listener on Stoa's
    // port, which keeps the signed request.
    let captured: Arc<Mutex<Vec<Signed>>> = Arc::new(Mutex::new(Vec::with_capacity(activities)));
    let capture = {
        let captured = captured.clone();
        Router::new().route(
            "/inbox",
            post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let captured = captured.clone();
                async move {
                    captured.lock().unwrap().push(Signed::new(&headers, &body));
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        )
    };
    let capture_listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let (stop_capture, stopped) = tokio::sync::oneshot::channel::<()>();
    let capture_task = tokio::spawn(async move {
        axum::serve(capture_listener, capture)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap()
    });
    let config = FederationConfig::builder()
        .domain("localhost")
        .app_data(())
        .debug(true)
        .allow_http_urls(true)
        .http_signature_compat(true)
        .build()
        .await
        .unwrap();
    let inbox = Url::parse(&format!("{base}/inbox")).unwrap();
    let parent = format!("{base}/t/{thread_id}");
    let signing = Instant::now();
    let roster = Arc::new(roster);
    let mut signers = tokio::task::JoinSet::new();
    let workers = 8;
    for worker in 0..workers {
        let data = config.to_request_data();
        let roster = roster.clone();
        let inbox = inbox.clone();
        let parent = parent.clone();
        let remote = remote.clone();
        signers.spawn(async move {
            for n in (worker..activities).step_by(workers) {
                let member = &roster[n % roster.len()];
                let note = format!("{remote}/notes/{n}");
                let body = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": format!("{note}/create"),
                    "type": "Create",
                    "actor": member.id,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    "object": {
                        "id": note,
                        "type": "Note",
                        "attributedTo": member.id,
                        "inReplyTo": parent,
                        "content": format!("<p>Reply number {n} from afar.</p>"),
                        "to": ["https://www.w3.org/ns/activitystreams#Public"],
                    },
                });
                let activity = Outgoing {
                    id: Url::parse(&format!("{note}/create")).unwrap(),
                    actor: member.id.clone(),
                    body,
                };
                let tasks =
                    SendActivityTask::prepare(&activity, member, vec![inbox.clone()], &data)
                        .await
                        .unwrap();
                for task in tasks {
                    task.sign_and_send(&data).await.unwrap();
                }
            }
        });
    }
    while let Some(result) = signers.join_next().await {
        result.unwrap();
    }
    let _ = stop_capture.send(());
    capture_task.await.unwrap();
    let mut signed = std::mem::take(&mut *captured.lock().unwrap());
    assert_eq!(signed.len(), activities, "every activity was signed");
    println!(
        "signed {activities} activities from {members} members in {:.1} s",
        signing.elapsed().as_secs_f64()
    );
    // The first activity of each member makes Stoa fetch that member once: sent before timing.
    let warmup: Vec<Signed> = signed.drain(..members.min(signed.len())).collect();

    let server = start_stoa(&binary, port, data_dir.path(), url);
    let pid = server.0.id();
    wait_until_up(&client, &base).await;
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let send_all = |batch: Vec<Signed>, connections: usize| async move {
        let batch = Arc::new(batch);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let (batch, next) = (batch.clone(), next.clone());
            senders.spawn(async move {
                let mut statuses = std::collections::BTreeMap::new();
                let mut connection = Connection::open(address).await;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(request) = batch.get(i) else {
                        break;
                    };
                    let status = connection.send(&request.raw).await;
                    *statuses.entry(status).or_insert(0usize) += 1;
                }
                statuses
            });
        }
        let mut all = std::collections::BTreeMap::new();
        while let Some(result) = senders.join_next().await {
            for (status, count) in result.unwrap() {
                *all.entry(status).or_insert(0usize) += count;
            }
        }
        all
    };
    let warm = send_all(warmup, 16).await;
    println!("warm-up (first activity of each member): statuses {warm:?}");

    let (cpu_before, _, _) = process_usage(pid);
    let (tool_before, _, _) = process_usage(std::process::id());
    let started = Instant::now();
    let timed = signed.len();
    let statuses = send_all(signed, connections).await;
    let elapsed = started.elapsed();
    let (cpu_after, rss, peak) = process_usage(pid);
    let (tool_after, _, _) = process_usage(std::process::id());
    let accepted = statuses.get(&202).copied().unwrap_or(0);
    let cpu = (cpu_after - cpu_before).as_secs_f64();
    println!(
        "{timed} signed Create{{Note}} replies over {connections} connections in {:.2} s: {:.0} verified and stored per second; statuses {statuses:?}",
        elapsed.as_secs_f64(),
        accepted as f64 / elapsed.as_secs_f64()
    );
    println!(
        "server: {cpu:.2} s CPU ({:.2} cores busy), RSS {rss:.1} MiB after, peak {peak:.1} MiB",
        cpu / elapsed.as_secs_f64()
    );
    println!(
        "this tool: {:.2} cores busy sending",
        (tool_after - tool_before).as_secs_f64() / elapsed.as_secs_f64()
    );
    let view: Value = client
        .get(format!("{base}/api/v1/threads/{thread_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    println!(
        "the thread now holds {} replies",
        view["reply_count"].as_i64().unwrap_or(-1)
    );
    drop(server);
    if let Some((_, name, connection)) = database {
        use stoa_db::ConnectionTrait;
        let _ = connection
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await;
    }
}
