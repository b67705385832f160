//! Failed-login limits per account and per client address.
//!
//! Only failures count, so many members signing in from one address (a school, an office behind
//! one NAT) keep working. governor counts the failures; once a key runs out, it is refused until
//! governor would accept it again, before any password is checked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failures allowed in a burst for one account, and how fast they come back.
const ACCOUNT_BURST: u32 = 5;
const ACCOUNT_REFILL: Duration = Duration::from_secs(60);
/// Failures allowed in a burst from one address, and how fast they come back.
const ADDRESS_BURST: u32 = 20;
const ADDRESS_REFILL: Duration = Duration::from_secs(15);

pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    blocked: Mutex<HashMap<BlockKey, Instant>>,
    clock: DefaultClock,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum BlockKey {
    Account(String),
    Address(IpAddr),
}

fn quota(burst: u32, refill: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(refill)
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            per_account: RateLimiter::keyed(quota(ACCOUNT_BURST, ACCOUNT_REFILL)),
            per_address: RateLimiter::keyed(quota(ADDRESS_BURST, ADDRESS_REFILL)),
            blocked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }
}

impl LoginLimiter {
    fn account_key(name: &str) -> BlockKey {
        BlockKey::Account(name.trim().to_lowercase())
    }

    /// How long the caller must wait before trying this account from this address, if at all.
    pub fn retry_after(&self, name: &str, address: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        blocked.retain(|_, until| *until > now);
        [Self::account_key(name), BlockKey::Address(address)]
            .iter()
            .filter_map(|key| blocked.get(key))
            .map(|until| until.saturating_duration_since(now))
            .max()
    }

    /// Counts a failed login against the account and the address.
    pub fn record_failure(&self, name: &str, address: IpAddr) {
        let account = name.trim().to_lowercase();
        let mut refusals = Vec::new();
        if let Err(not_until) = self.per_account.check_key(&account) {
            refusals.push((
                BlockKey::Account(account),
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        if let Err(not_until) = self.per_address.check_key(&address) {
            refusals.push((
                BlockKey::Address(address),
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        if refusals.is_empty() {
            return;
        }
        let now = Instant::now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        for (key, wait) in refusals {
            blocked.insert(key, now + wait.max(Duration::from_secs(1)));
        }
    }
}

/// The client's address: the TCP peer, or the first `X-Forwarded-For` entry when the operator
/// said a reverse proxy sets it (otherwise anyone could pick their own address).
pub fn client_address(
    state: &crate::AppState,
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
) -> IpAddr {
    if state.config.trust_forwarded_for
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return forwarded;
    }
    peer.ip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn blocks_an_account_after_repeated_failures() {
        let limiter = LoginLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..=ACCOUNT_BURST {
            assert!(limiter.retry_after("alice", ip).is_none());
            limiter.record_failure("alice", ip);
        }
        assert!(limiter.retry_after("Alice", ip).is_some());
        // Another account from the same address is still allowed.
        assert!(limiter.retry_after("bob", ip).is_none());
    }

    #[test]
    fn blocks_an_address_spraying_many_accounts() {
        let limiter = LoginLimiter::default();
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        for i in 0..=ADDRESS_BURST {
            limiter.record_failure(&format!("user{i}"), ip);
        }
        assert!(limiter.retry_after("someone-else", ip).is_some());
        assert!(
            limiter
                .retry_after("someone-else", IpAddr::V4(Ipv4Addr::LOCALHOST))
                .is_none()
        );
    }
}
