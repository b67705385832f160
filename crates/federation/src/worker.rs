//! The delivery worker: one loop per process that turns outbox events into deliveries, sends
//! unanswered Follows again, and sends what is due — woken after every write, else once a
//! second.

use std::time::Duration;

use chrono::Utc;

use crate::data::Config;
use crate::delivery;

/// Runs the worker for ever: sends what is due, then waits a moment or until woken.
pub async fn worker(config: Config, wake: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        let data = config.to_request_data();
        // A full round means more are waiting: take them now, not after the next wait.
        loop {
            match crate::broadcast::process_pending(&data).await {
                Ok(done) if done as u64 >= crate::broadcast::EVENTS_PER_ROUND => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "turning outbox events into deliveries failed");
                    break;
                }
            }
        }
        if let Err(e) = crate::following::resend_pending(&data, Utc::now()).await {
            tracing::warn!(error = %e, "sending unanswered Follows again failed");
        }
        if let Err(e) = delivery::run_due(&config).await {
            tracing::warn!(error = %e, "delivery round failed");
        }
        tokio::select! {
            () = wake.notified() => {
                // Let what else is arriving join this round: under load, one round handles
                // many events instead of one each.
                tokio::time::sleep(delivery::COALESCE).await;
            }
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
