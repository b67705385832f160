//! The activitypub_federation configuration: our domain, the data handlers need, and the
//! security settings. Production: https ids only, no fetches of private or loopback addresses.
//! Development (`STOA_DEV_FEDERATION=1`): http ids and loopback peers, for local tests.

use std::time::Duration;

use activitypub_federation::config::FederationConfig;
use activitypub_federation::resolver::ValidatingDnsResolver;
use stoa_db::DatabaseConnection;

pub use crate::data::{Config, FedData};
use crate::signer::LocalSigner;
use crate::urls::Urls;

/// Builds the configuration. `development` allows http and loopback peers.
pub async fn build(
    db: DatabaseConnection,
    urls: Urls,
    development: bool,
    delivery: crate::delivery::Settings,
    backfill: crate::backfill::Settings,
    jury: stoa_core::juries::JuryRules,
) -> Result<Config, String> {
    // reqwest is built without a TLS provider of its own: pick ring once per process, before any
    // client exists (a second call finds it installed and changes nothing).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // An explicit client: no redirects followed blindly, bounded time, and (outside
    // development) a resolver that refuses private, loopback and link-local addresses, with no
    // host exempt — the library's default client exempts localhost:8080, Stoa's own default.
    let timeout = Duration::from_secs(10);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Stoa/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(ValidatingDnsResolver::new(Vec::new(), !development))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    // The instance actor (FEP-2677) signs every fetch, so servers in authorized-fetch mode
    // answer. Its key is checked here: the library would panic on one it cannot read.
    let instance = stoa_core::instance::actor(&db)
        .await
        .map_err(|e| format!("the instance actor's key: {e}"))?;
    {
        use rsa::pkcs8::DecodePrivateKey;
        rsa::RsaPrivateKey::from_pkcs8_pem(&instance.private_key)
            .map_err(|e| format!("the instance actor's private key cannot be read: {e}"))?;
    }
    let instance_signer = LocalSigner {
        id: urls.instance_actor(),
        public_key: instance.public_key,
        private_key: instance.private_key,
        inbox: urls.path("/actor/inbox"),
    };
    let policy = stoa_core::safety::Policy::default();
    FederationConfig::builder()
        .signed_fetch_actor(&instance_signer)
        .url_verifier(Box::new(DomainVerifier {
            db: db.clone(),
            policy: policy.clone(),
        }))
        .client(reqwest_middleware::ClientWithMiddleware::from(
            client.clone(),
        ))
        .domain(urls.authority())
        .app_data(FedData {
            replies: stoa_core::replies::ReplyQueue::start(db.clone()),
            db,
            urls,
            http: client,
            development,
            delivery,
            backfill,
            jury,
            policy,
            actors: std::sync::Arc::new(crate::data::ActorCache::new(10_000)),
        })
        .debug(development)
        .allow_http_urls(development)
        // Sign `date` as several servers (Pleroma, older Mastodon) require.
        .http_signature_compat(true)
        .build()
        .await
        .map_err(|e| format!("federation configuration: {e}"))
}

/// Refuses to fetch from, or send to, a server the admins blocked (or, in allow-list mode, did
/// not allow): every fetch the library makes asks it.
#[derive(Clone)]
struct DomainVerifier {
    db: DatabaseConnection,
    policy: stoa_core::safety::Policy,
}

#[async_trait::async_trait]
impl activitypub_federation::config::UrlVerifier for DomainVerifier {
    async fn verify(&self, url: &url::Url) -> Result<(), activitypub_federation::error::Error> {
        let policy = self
            .policy
            .get(&self.db)
            .await
            .map_err(|e| activitypub_federation::error::Error::Other(e.to_string()))?;
        match url.host_str() {
            Some(host) if policy.permits(host) => Ok(()),
            _ => Err(activitypub_federation::error::Error::UrlVerificationError(
                "this server does not federate with that domain",
            )),
        }
    }
}
