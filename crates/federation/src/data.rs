//! What every federation handler gets (the database, the URL layout, the HTTP client, the
//! caches and queues), apart from how it is built (`config`), so that every module can name it
//! without depending on the modules that build it.

use activitypub_federation::config::FederationConfig;
use stoa_db::{DatabaseConnection, user};

use crate::urls::Urls;

/// What every federation handler gets.
#[derive(Clone)]
pub struct FedData {
    pub db: DatabaseConnection,
    pub urls: Urls,
    /// The same guarded HTTP client the library uses, for Stoa's own lookups.
    pub http: reqwest::Client,
    pub development: bool,
    /// How deliveries are paced: the retry schedule's unit, the sends per server.
    pub delivery: crate::delivery::Settings,
    /// How much of a followed forum's history is brought in, and how fast.
    pub backfill: crate::backfill::Settings,
    /// Remote members read recently.
    pub actors: std::sync::Arc<ActorCache>,
    /// Where replies from other servers are stored, several per transaction.
    pub replies: stoa_core::replies::ReplyQueue,
    /// How juries are formed, for alerts that come as `Flag`s.
    pub jury: stoa_core::juries::JuryRules,
    /// Which servers the instance federates with (domain blocks, the allow list).
    pub policy: stoa_core::safety::Policy,
}

pub type Config = FederationConfig<FedData>;

/// Remote members read recently, kept briefly in memory: every activity a member sends names
/// them, and reading them from the database each time would cost more than the signature check.
pub struct ActorCache {
    entries: quick_cache::sync::Cache<String, (user::Model, std::time::Instant)>,
}

impl ActorCache {
    /// How long an entry is trusted before the database is read again.
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);

    pub fn new(capacity: usize) -> Self {
        ActorCache {
            entries: quick_cache::sync::Cache::new(capacity),
        }
    }

    pub(crate) fn get(&self, ap_id: &str) -> Option<user::Model> {
        self.entries
            .get(ap_id)
            .filter(|(_, at)| at.elapsed() < Self::FRESH_FOR)
            .map(|(row, _)| row)
    }

    /// Drops a member who changed or went away.
    pub fn forget(&self, ap_id: &str) {
        self.entries.remove(ap_id);
    }

    pub(crate) fn put(&self, row: &user::Model) {
        if let Some(ap_id) = &row.ap_id {
            self.entries
                .insert(ap_id.clone(), (row.clone(), std::time::Instant::now()));
        }
    }
}
