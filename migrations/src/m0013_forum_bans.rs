//! Forum bans: a member, here or elsewhere, who may read a forum but not post in it, for a reason
//! and until a date or for good.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_forum_bans"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ForumBans::Table)
                    .col(ColumnDef::new(ForumBans::ForumId).big_integer().not_null())
                    .col(ColumnDef::new(ForumBans::UserId).big_integer().not_null())
                    .col(ColumnDef::new(ForumBans::Reason).text().not_null())
                    .col(ColumnDef::new(ForumBans::BannedBy).big_integer().null())
                    .col(
                        ColumnDef::new(ForumBans::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ForumBans::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ForumBans::ForumId)
                            .col(ForumBans::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumBans::Table, ForumBans::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumBans::Table, ForumBans::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ForumBans::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ForumBans {
    Table,
    ForumId,
    UserId,
    Reason,
    BannedBy,
    CreatedAt,
    ExpiresAt,
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
