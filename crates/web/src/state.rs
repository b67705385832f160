//! The state every handler shares: the database pool, the public base URL and the login limiter.

use std::sync::Arc;

use stoa_core::posts::ThreadCache;
use stoa_db::DatabaseConnection;
use url::Url;

use crate::rate_limit::LoginLimiter;

/// What the web layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The public URL of the instance; every absolute link is built from it.
    pub base_url: Url,
    /// The name shown in every page's header and title.
    pub site_name: String,
    /// Trust the first `X-Forwarded-For` address (only behind a reverse proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Every page's and actor's URL, derived from `base_url`.
    pub urls: stoa_federation::urls::Urls,
    /// How deliveries are paced: the retry schedule's unit (a minute, unless the operator
    /// shortens it) and the sends in flight to one server.
    pub delivery: stoa_federation::delivery::Settings,
    /// How much of a followed forum's history is brought in.
    pub backfill: stoa_federation::backfill::Settings,
    /// ActivityPub GETs need a valid signature (WebFinger, NodeInfo and `/actor` excepted).
    pub authorized_fetch: bool,
    /// How juries are formed and how long they sit.
    pub jury: stoa_core::juries::JuryRules,
}

impl WebConfig {
    pub fn new(base_url: Url, site_name: String, trust_forwarded_for: bool) -> Self {
        WebConfig {
            urls: stoa_federation::urls::Urls::new(base_url.clone()),
            base_url,
            site_name,
            trust_forwarded_for,
            delivery: stoa_federation::delivery::Settings::default(),
            backfill: stoa_federation::backfill::Settings::default(),
            authorized_fetch: false,
            jury: stoa_core::juries::JuryRules::default(),
        }
    }

    /// Cookies are marked `Secure` when the instance is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute URL for a path of this instance.
    pub fn absolute(&self, path: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

/// Reply trees kept in memory: a few hundred busy threads cost a few megabytes.
const THREAD_CACHE_SIZE: usize = 256;

/// Everything a handler needs, shared: axum clones the state for every request and layer, so
/// it is one `Arc` (the federation config alone holds strings and boxed parts).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<WebConfig>,
    pub login_limiter: Arc<LoginLimiter>,
    pub thread_cache: Arc<ThreadCache>,
    pub federation: stoa_federation::config::Config,
    /// Wakes the delivery worker when something was queued.
    pub delivery_wake: Arc<tokio::sync::Notify>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// `development_federation` allows http ids and loopback peers (never in production).
    pub async fn new(
        db: DatabaseConnection,
        config: WebConfig,
        development_federation: bool,
    ) -> Result<Self, String> {
        let federation = stoa_federation::config::build(
            db.clone(),
            config.urls.clone(),
            development_federation,
            config.delivery,
            config.backfill,
            config.jury.clone(),
        )
        .await?;
        Ok(AppState(Arc::new(Shared {
            db,
            config: Arc::new(config),
            login_limiter: Arc::new(LoginLimiter::default()),
            thread_cache: Arc::new(ThreadCache::new(THREAD_CACHE_SIZE)),
            federation,
            delivery_wake: Arc::new(tokio::sync::Notify::new()),
        })))
    }

    /// Resolves the people of other servers a member's markdown mentions (`@name@host`), so
    /// that the post written next tags them and reaches them. Best effort, before the write.
    pub async fn resolve_mentions(&self, markdown: &str) {
        if markdown.contains('@') {
            stoa_federation::mentions::resolve(&self.federation.to_request_data(), markdown).await;
        }
    }

    /// Which servers the instance federates with, as federation reads it.
    pub fn policy(&self) -> stoa_core::safety::Policy {
        self.federation.to_request_data().app_data().policy.clone()
    }

    /// Starts the worker that sends queued deliveries, for as long as the runtime lives.
    pub fn spawn_delivery_worker(&self) -> tokio::task::JoinHandle<()> {
        // Followed forums' histories are brought in beside the deliveries.
        tokio::spawn(stoa_federation::backfill::worker(self.federation.clone()));
        tokio::spawn(stoa_federation::worker::worker(
            self.federation.clone(),
            self.delivery_wake.clone(),
        ))
    }
}
