//! The delivery worker: one loop per process that turns outbox events into deliveries, sends
//! unanswered Follows again, and keeps sending what is due — woken after every write, when a
//! send ends (its server's slot is free again), else once a second.

use std::time::Duration;

use chrono::Utc;

use crate::data::Config;
use crate::delivery::{self, Sender};

/// Runs the worker for ever.
pub async fn worker(config: Config, wake: std::sync::Arc<tokio::sync::Notify>) {
    let mut sender = Sender::new(config.clone());
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Sends ending free slots: more of what is due can start, without reading the
        // outbox again (nothing new was written, or a wake would have said so).
        let produce = tokio::select! {
            () = wake.notified() => {
                // Let what else is arriving join this round: under load, one round handles
                // many events instead of one each.
                tokio::time::sleep(delivery::COALESCE).await;
                true
            }
            _ = tick.tick() => true,
            _ = sender.next_finished() => {
                sender.reap();
                false
            }
        };
        if produce {
            produce_deliveries(&config).await;
            if let Err(e) = sender.refresh_failing().await {
                tracing::warn!(error = %e, "reading which servers are failing failed");
            }
        }
        if let Err(e) = sender.start_due().await {
            tracing::warn!(error = %e, "delivery round failed");
        }
    }
}

/// Turns pending outbox events into deliveries and sends unanswered Follows again.
async fn produce_deliveries(config: &Config) {
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
}
