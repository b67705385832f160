//! The typed configuration: defaults, then an optional TOML file, then `STOA_*` environment
//! variables (the environment wins). Secrets belong in the environment, never in the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where Stoa keeps its files (the SQLite database by default).
    pub data_dir: PathBuf,
    /// `sqlite:path` or `postgres://user@host/db`. Empty: `<data_dir>/stoa.db`.
    pub database_url: String,
    /// Address and port to listen on.
    pub bind: String,
    /// The public URL of the instance. Empty: `http://<bind>`.
    pub base_url: String,
    /// The name in every page's header.
    pub site_name: String,
    /// A TOML file of starter forum groups and forums. Empty: the set that ships with Stoa.
    pub starter_forums: String,
    /// Trust `X-Forwarded-For` (only when a reverse proxy in front of Stoa sets it).
    #[serde(deserialize_with = "flag")]
    pub trust_forwarded_for: bool,
    /// Log filter, in `tracing` syntax.
    pub log: String,
    /// Development only: allow http ids and peers on loopback or private addresses.
    #[serde(deserialize_with = "flag")]
    pub dev_federation: bool,
    /// Seconds in the unit of the delivery retry schedule: a failed delivery is tried again
    /// after 2, 4, 8 … units (up to 480), for about 40 hours in all at the default of 60.
    pub delivery_retry_unit_secs: u64,
    /// Deliveries sent to one server at once: a slow or dead server holds only these, never
    /// the others' sends.
    pub delivery_per_server: usize,
    /// Threads read from a forum elsewhere's history when a member starts following it (each
    /// with its replies); 0 reads none.
    pub backfill_threads: u32,
    /// ActivityPub GETs need a valid HTTP signature from the server asking (WebFinger,
    /// NodeInfo and the instance actor stay open).
    #[serde(deserialize_with = "flag")]
    pub authorized_fetch: bool,
    /// Members summoned to the jury of each alerted post.
    pub jury_size: u32,
    /// How many days old an account must be before its member sits on juries.
    pub jury_min_account_age_days: u32,
    /// Hours a jury has to vote; then the votes cast decide.
    pub jury_deadline_hours: u32,
    /// Who may join: `open`, `approval` or `closed`. When set, applied at every start; the admin
    /// pages change it until the next start. Unset: what the admin pages last chose (`open`).
    pub registration: String,
}

/// A yes/no setting: `true`/`false` in the file; in the environment also `1`/`0`, `yes`/`no`.
fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Flag::deserialize(deserializer)? {
        Flag::Bool(b) => Ok(b),
        Flag::Number(0) => Ok(false),
        Flag::Number(1) => Ok(true),
        Flag::Text(t) if matches!(t.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on") => {
            Ok(true)
        }
        Flag::Text(t)
            if matches!(
                t.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off" | ""
            ) =>
        {
            Ok(false)
        }
        _ => Err(serde::de::Error::custom(
            "expected true or false (or 1 or 0)",
        )),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("stoa-data"),
            database_url: String::new(),
            bind: "127.0.0.1:8080".into(),
            base_url: String::new(),
            site_name: "Stoa".into(),
            starter_forums: String::new(),
            trust_forwarded_for: false,
            log: "info".into(),
            dev_federation: false,
            delivery_retry_unit_secs: 60,
            delivery_per_server: stoa_web::DELIVERY_PER_SERVER,
            backfill_threads: stoa_web::BACKFILL_THREADS,
            authorized_fetch: false,
            jury_size: 7,
            jury_min_account_age_days: 7,
            jury_deadline_hours: 24,
            registration: String::new(),
        }
    }
}

/// The settings that `STOA_<NAME>` environment variables may set.
const ENV_KEYS: [&str; 17] = [
    "data_dir",
    "database_url",
    "bind",
    "base_url",
    "site_name",
    "starter_forums",
    "trust_forwarded_for",
    "log",
    "dev_federation",
    "delivery_retry_unit_secs",
    "delivery_per_server",
    "backfill_threads",
    "authorized_fetch",
    "jury_size",
    "jury_min_account_age_days",
    "jury_deadline_hours",
    "registration",
];

impl Config {
    /// Loads the configuration from an optional file and the environment.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                bail!("configuration file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            // Only the settings' own names: other STOA_* variables (STOA_CONFIG, test settings)
            // are not configuration, while a typo in the file is still an error.
            .merge(Env::prefixed("STOA_").only(&ENV_KEYS))
            .extract()
            .context("reading the configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        self.database_url()?;
        self.base_url()?;
        self.bind.parse::<std::net::SocketAddr>().with_context(|| {
            format!(
                "bind = {:?} is not an address like 127.0.0.1:8080",
                self.bind
            )
        })?;
        if self.delivery_retry_unit_secs == 0 {
            bail!("delivery_retry_unit_secs must be at least 1");
        }
        if !(1..=64).contains(&self.delivery_per_server) {
            bail!("delivery_per_server must be between 1 and 64");
        }
        if !(1..=99).contains(&self.jury_size) {
            bail!("jury_size must be between 1 and 99");
        }
        if self.jury_deadline_hours == 0 {
            bail!("jury_deadline_hours must be at least 1");
        }
        self.registration()?;
        Ok(())
    }

    /// The registration mode the operator set, if any.
    pub fn registration(&self) -> Result<Option<stoa_core::safety::Registration>> {
        if self.registration.trim().is_empty() {
            return Ok(None);
        }
        match stoa_core::safety::Registration::parse(&self.registration) {
            Some(mode) => Ok(Some(mode)),
            None => bail!(
                "registration = {:?}: expected open, approval or closed",
                self.registration
            ),
        }
    }

    /// How juries are formed, from the `jury_*` settings.
    pub fn jury(&self) -> stoa_core::juries::JuryRules {
        stoa_core::juries::JuryRules {
            size: self.jury_size,
            min_account_age: chrono::Duration::days(i64::from(self.jury_min_account_age_days)),
            deadline: chrono::Duration::hours(i64::from(self.jury_deadline_hours)),
        }
    }

    pub fn database_url(&self) -> Result<String> {
        if self.database_url.is_empty() {
            let path = self.data_dir.join("stoa.db");
            return Ok(format!("sqlite:{}?mode=rwc", path.display()));
        }
        let url = &self.database_url;
        if url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
        {
            Ok(url.clone())
        } else {
            bail!("database_url must start with sqlite: or postgres://, not {url:?}")
        }
    }

    pub fn base_url(&self) -> Result<Url> {
        let text = if self.base_url.is_empty() {
            format!("http://{}", self.bind)
        } else {
            self.base_url.clone()
        };
        let url = Url::parse(&text).with_context(|| format!("base_url {text:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("base_url must be http or https, not {text:?}");
        }
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/stoa.example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(&text))
            .extract()
            .unwrap();
        // The example documents the defaults; it must not drift from them.
        assert_eq!(parsed, Config::default());
        let explicit: Config = Toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            explicit,
            Config::default(),
            "every key is written out in the example"
        );
    }

    #[test]
    fn every_setting_can_come_from_the_environment() {
        let table = toml::Table::try_from(Config::default()).unwrap();
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut env_keys = ENV_KEYS.to_vec();
        keys.sort_unstable();
        env_keys.sort_unstable();
        assert_eq!(keys, env_keys);
    }

    #[test]
    // figment's Jail fixes the closure's error type.
    #[allow(clippy::result_large_err)]
    fn flags_accept_one_and_zero_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("STOA_DEV_FEDERATION", "1");
            jail.set_env("STOA_TRUST_FORWARDED_FOR", "false");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert!(config.dev_federation);
            assert!(!config.trust_forwarded_for);
            jail.set_env("STOA_DEV_FEDERATION", "maybe");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_named() {
        let config = Config {
            database_url: "mysql://x".into(),
            ..Config::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("database_url"), "{err}");
        let config = Config {
            bind: "nowhere".into(),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().to_string().contains("bind"));
    }

    #[test]
    fn default_database_is_a_file_in_the_data_dir() {
        let url = Config::default().database_url().unwrap();
        assert_eq!(url, "sqlite:stoa-data/stoa.db?mode=rwc");
    }
}
