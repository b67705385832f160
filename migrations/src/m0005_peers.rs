//! The health of each server Stoa delivers to: a server that keeps failing is marked, and its
//! deliveries are then tried rarely instead of on every retry.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_peers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Peers::Table)
                    // Host and port, as in an inbox URL.
                    .col(
                        ColumnDef::new(Peers::Host)
                            .string_len(300)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Peers::Failures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Peers::LastFailureAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Peers::LastSuccessAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Peers::FailingSince)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Peers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    Host,
    Failures,
    LastFailureAt,
    LastSuccessAt,
    FailingSince,
}
