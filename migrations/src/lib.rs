//! Schema migrations for Stoa, portable across SQLite and PostgreSQL.
//!
//! Applied migrations are never edited: a change to the schema is a new migration.

pub use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_instance_actor;
mod m0003_following_and_delivery;
mod m0004_post_likes;
mod m0005_peers;
mod m0006_remote_forums;
mod m0007_peer_signature_scheme;
mod m0008_delivery_refusals;
mod m0009_post_links;
mod m0010_peer_software;
mod m0011_moderation;
mod m0012_juries;
mod m0013_forum_bans;
mod m0014_instance_safety;
mod m0015_notifications;
mod m0016_delivery_at_scale;
mod m0017_backfills;
mod m0018_remote_forum_groups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_instance_actor::Migration),
            Box::new(m0003_following_and_delivery::Migration),
            Box::new(m0004_post_likes::Migration),
            Box::new(m0005_peers::Migration),
            Box::new(m0006_remote_forums::Migration),
            Box::new(m0007_peer_signature_scheme::Migration),
            Box::new(m0008_delivery_refusals::Migration),
            Box::new(m0009_post_links::Migration),
            Box::new(m0010_peer_software::Migration),
            Box::new(m0011_moderation::Migration),
            Box::new(m0012_juries::Migration),
            Box::new(m0013_forum_bans::Migration),
            Box::new(m0014_instance_safety::Migration),
            Box::new(m0015_notifications::Migration),
            Box::new(m0016_delivery_at_scale::Migration),
            Box::new(m0017_backfills::Migration),
            Box::new(m0018_remote_forum_groups::Migration),
        ]
    }
}

/// Adds one column to a table: one change per statement, as SQLite alters a table one change
/// at a time.
async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

/// Drops one column of a table.
async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}
