//! Integration tests over real HTTP: the forum's pages and its JSON API, on SQLite or (with
//! `STOA_TEST_DATABASE_URL`) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod common;
mod deliveries;
mod federation;
mod following;
mod hostile;
mod inbound_posts;
mod juries;
mod lemmy;
mod moderation;
mod notifications;
mod pages;
mod peer;
mod remote_actors;
mod remote_forums;
mod safety;
mod storage;
mod wire;
mod wire_format;
