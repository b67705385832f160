//! The test harness: a real Stoa app on a real database (a fresh SQLite file, or a fresh
//! PostgreSQL database when `STOA_TEST_DATABASE_URL` is set), served over real HTTP on loopback.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use stoa_core::forums::{DEFAULT_STARTER_FORUMS, StarterForums};
use stoa_db::DatabaseConnection;
use stoa_web::{AppState, WebConfig};

pub struct TestApp {
    pub base: String,
    /// Every SQL statement the app runs is counted here.
    pub queries: Arc<AtomicUsize>,
    pub db: DatabaseConnection,
    pub state: AppState,
    _dir: Option<Arc<tempfile::TempDir>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A database for one test: its URL and, for SQLite, the folder that holds it.
pub async fn fresh_database() -> (String, Option<Arc<tempfile::TempDir>>) {
    match std::env::var("STOA_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let url = stoa_db::create_scratch_postgres_database(&admin_url)
                .await
                .expect("create a test database in PostgreSQL");
            (url, None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite:{}?mode=rwc", dir.path().join("stoa.db").display());
            (url, Some(Arc::new(dir)))
        }
    }
}

pub struct Options {
    pub base_url: Option<String>,
    /// The host name in the instance's URLs (default 127.0.0.1). Federation needs a name:
    /// activitypub_federation refuses IP literals.
    pub host: Option<&'static str>,
    /// Federate as in production: https only, no loopback or private peers.
    pub production_federation: bool,
    /// Run the delivery worker (off where a test counts the SQL statements of a page, which
    /// the worker's polling would add to).
    pub delivery_worker: bool,
    /// ActivityPub GETs need a signature.
    pub authorized_fetch: bool,
}

/// Federation between processes on this machine, as in development.
pub fn loopback() -> Options {
    Options {
        base_url: None,
        host: Some("localhost"),
        production_federation: false,
        delivery_worker: true,
        authorized_fetch: false,
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options {
            base_url: None,
            host: None,
            production_federation: false,
            delivery_worker: true,
            authorized_fetch: false,
        })
        .await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        // Logs show with `RUST_LOG=stoa_web=debug cargo test -- --nocapture`.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (url, dir) = fresh_database().await;
        let mut db = stoa_db::connect(&url).await.expect("connect");
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        stoa_db::migrate(&db).await.expect("migrate");
        let starter = StarterForums::parse(DEFAULT_STARTER_FORUMS).unwrap();
        stoa_core::forums::seed_starter(&db, &starter)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!(
            "http://{}:{}",
            options.host.unwrap_or("127.0.0.1"),
            addr.port()
        );
        let mut config = WebConfig::new(
            url::Url::parse(options.base_url.as_deref().unwrap_or(&base)).unwrap(),
            "Stoa".into(),
            false,
        );
        config.authorized_fetch = options.authorized_fetch;
        // Histories are read from servers on loopback: no need to pace the fetches.
        config.backfill.pause = std::time::Duration::from_millis(2);
        // Juries a handful of fresh test members can fill.
        config.jury = stoa_core::juries::JuryRules {
            size: 3,
            min_account_age: chrono::Duration::zero(),
            deadline: chrono::Duration::hours(24),
        };
        // Development federation: tests talk to peers on loopback over http.
        let state = AppState::new(db.clone(), config, !options.production_federation)
            .await
            .unwrap();
        if options.delivery_worker {
            state.spawn_delivery_worker();
        }
        let app = stoa_web::router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            stoa_web::serve(listener, app, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            base,
            queries,
            db,
            state,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    /// How many SQL statements one GET of `path` runs.
    pub async fn queries_for(&self, browser: &Browser, path: &str) -> usize {
        let before = self.queries.load(Ordering::SeqCst);
        let page = browser.get(path).await;
        assert_eq!(page.status, reqwest::StatusCode::OK, "{path}");
        self.queries.load(Ordering::SeqCst) - before
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client that keeps cookies and does not follow redirects, like a careful browser.
    pub fn browser(&self) -> Browser {
        Browser {
            client: Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    pub fn api(&self) -> Api {
        Api {
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            base: self.base.clone(),
            token: None,
        }
    }

    /// Registers a member through the API and returns a client signed in with a bearer token.
    pub async fn member(&self, name: &str) -> Api {
        let mut api = self.api();
        let (status, body) = api
            .post(
                "/api/v1/accounts",
                json!({"username": name, "password": "correct horse"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        api.login(name, "correct horse").await;
        api
    }

    /// A member made administrator directly in the database.
    pub async fn admin(&self, name: &str) -> Api {
        let api = self.member(name).await;
        let user = stoa_db::queries::users::by_name(&self.db, name)
            .await
            .unwrap()
            .unwrap();
        stoa_db::queries::users::set_admin(&self.db, user.id, true)
            .await
            .unwrap();
        api
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        let re = regex::Regex::new(r#"name="csrf" value="([0-9a-f]*)""#).unwrap();
        re.captures(&self.body)
            .map(|c| c[1].to_owned())
            .unwrap_or_default()
    }
}

async fn page(response: reqwest::Response) -> Page {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = response.text().await.unwrap();
    Page {
        status,
        location,
        set_cookies,
        body,
    }
}

impl Browser {
    pub async fn get(&self, path: &str) -> Page {
        page(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        page(
            self.client
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Submits a form the way a browser would: load the page, take its CSRF token, post.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        assert!(!token.is_empty(), "no CSRF token on {form_page}");
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn register(&self, name: &str, password: &str) -> Page {
        self.submit(
            "/register",
            "/register",
            &[("username", name), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, name: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("username", name), ("password", password), ("next", "/")],
        )
        .await
    }
}

pub struct Api {
    pub client: Client,
    pub base: String,
    pub token: Option<String>,
}

impl Api {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::PUT, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::PATCH, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub async fn login(&mut self, name: &str, password: &str) {
        let (status, body) = self
            .post(
                "/api/v1/sessions",
                json!({"username": name, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.token = Some(body["token"].as_str().unwrap().to_owned());
    }

    /// Starts a thread; returns (thread id, starter post id).
    pub async fn thread(&self, forum: &str, title: &str, body: &str) -> (i64, i64) {
        let (status, created) = self
            .post(
                &format!("/api/v1/forums/{forum}/threads"),
                json!({"title": title, "body": body}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        (
            created["thread_id"].as_i64().unwrap(),
            created["post_id"].as_i64().unwrap(),
        )
    }

    /// Replies to a post; returns the reply's id.
    pub async fn reply(&self, thread: i64, parent: i64, body: &str) -> i64 {
        let (status, created) = self
            .post(
                &format!("/api/v1/threads/{thread}/replies"),
                json!({"parent_id": parent, "body": body}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["post_id"].as_i64().unwrap()
    }
}

/// The titles of the threads in a forum's API view, in the order listed.
pub fn thread_titles(forum: &Value) -> Vec<&str> {
    forum["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}
