//! Moderation: a post removed by a host, an admin or a jury keeps who removed it and why, and
//! every moderation act is a row of the public moderation log.

use sea_orm_migration::prelude::*;

use crate::{add_column, drop_column};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_moderation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::RemovedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::RemovedBy)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::RemovalKind)
                .string_len(8)
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::RemovalReason)
                .text()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModActions::Table)
                    .col(
                        ColumnDef::new(ModActions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ModActions::ForumId).big_integer().null())
                    .col(ColumnDef::new(ModActions::Action).string_len(32).not_null())
                    .col(ColumnDef::new(ModActions::ActorId).big_integer().null())
                    .col(
                        ColumnDef::new(ModActions::ActorRole)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ModActions::ThreadId).big_integer().null())
                    .col(ColumnDef::new(ModActions::PostId).big_integer().null())
                    .col(ColumnDef::new(ModActions::MemberId).big_integer().null())
                    .col(ColumnDef::new(ModActions::Reason).text().null())
                    .col(
                        ColumnDef::new(ModActions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModActions::Table, ModActions::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mod_actions_forum_id")
                    .table(ModActions::Table)
                    .col(ModActions::ForumId)
                    .col(ModActions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ModActions::Table).to_owned())
            .await?;
        for column in [
            Posts::RemovalReason,
            Posts::RemovalKind,
            Posts::RemovedBy,
            Posts::RemovedAt,
        ] {
            drop_column(manager, Posts::Table, column).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Posts {
    Table,
    RemovedAt,
    RemovedBy,
    RemovalKind,
    RemovalReason,
}

#[derive(DeriveIden)]
enum ModActions {
    Table,
    Id,
    ForumId,
    Action,
    ActorId,
    ActorRole,
    ThreadId,
    PostId,
    MemberId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    Id,
}
