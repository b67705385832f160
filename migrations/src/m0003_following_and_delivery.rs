//! Followers of forums, and the persistent queue of outgoing deliveries (one row per activity
//! and target inbox, retried with backoff until delivered or given up).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_following_and_delivery"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ForumFollowers::Table)
                    .col(
                        ColumnDef::new(ForumFollowers::ForumId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ForumFollowers::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    // The Follow's id: an Undo names it.
                    .col(
                        ColumnDef::new(ForumFollowers::FollowId)
                            .string_len(2048)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ForumFollowers::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ForumFollowers::ForumId)
                            .col(ForumFollowers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumFollowers::Table, ForumFollowers::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumFollowers::Table, ForumFollowers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(
                        ColumnDef::new(Deliveries::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::ActivityId)
                            .string_len(2048)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deliveries::Activity).text().not_null())
                    // Who signs: "forum", "user" or "instance", and which one.
                    .col(
                        ColumnDef::new(Deliveries::SignerKind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::SignerId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::Inbox)
                            .string_len(2048)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Deliveries::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deliveries::LastError).text().null())
                    .col(
                        ColumnDef::new(Deliveries::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::DeliveredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::GaveUpAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::DeliveredAt)
                    .col(Deliveries::GaveUpAt)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ForumFollowers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ForumFollowers {
    Table,
    ForumId,
    UserId,
    FollowId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    ActivityId,
    Activity,
    SignerKind,
    SignerId,
    Inbox,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
    GaveUpAt,
}
