//! Backfills: bringing in a followed forum's history (its outbox, page by page) or one
//! thread's missing replies, in the background, resumable after a restart.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_backfills"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Backfills::Table)
                    .col(
                        ColumnDef::new(Backfills::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Backfills::ForumId).big_integer().not_null())
                    .col(ColumnDef::new(Backfills::ThreadId).big_integer().null())
                    .col(ColumnDef::new(Backfills::NextPage).text().null())
                    .col(
                        ColumnDef::new(Backfills::MaxThreads)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Backfills::Threads)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Backfills::Replies)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Backfills::State).string_len(16).not_null())
                    .col(ColumnDef::new(Backfills::LastError).text().null())
                    .col(
                        ColumnDef::new(Backfills::RunAfter)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Backfills::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Backfills::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Backfills::Table, Backfills::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Backfills::Table, Backfills::ThreadId)
                            .to(Threads::Table, Threads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's next job; a forum's or a thread's latest.
        manager
            .create_index(
                Index::create()
                    .name("idx_backfills_due")
                    .table(Backfills::Table)
                    .col(Backfills::State)
                    .col(Backfills::RunAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_backfills_forum")
                    .table(Backfills::Table)
                    .col(Backfills::ForumId)
                    .col(Backfills::ThreadId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Backfills::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Backfills {
    Table,
    Id,
    ForumId,
    ThreadId,
    NextPage,
    MaxThreads,
    Threads,
    Replies,
    State,
    LastError,
    RunAfter,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
}
