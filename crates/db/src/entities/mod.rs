//! sea-orm entities, one module per table. They describe rows; they never go on the wire.

pub mod alert;
pub mod application;
pub mod backfill;
pub mod delivery;
pub mod domain_rule;
pub mod forum;
pub mod forum_ban;
pub mod forum_follower;
pub mod forum_group;
pub mod forum_host;
pub mod forum_subscription;
pub mod instance_actor;
pub mod juror;
pub mod mod_action;
pub mod notification;
pub mod notification_optout;
pub mod outbox_event;
pub mod peer;
pub mod post;
pub mod post_like;
pub mod post_revision;
pub mod session;
pub mod site_setting;
pub mod suspension;
pub mod thread;
pub mod user;
