//! Notifications: what a member is told (a reply to their post, a mention, a jury summons, a
//! verdict or a moderator's act on their post), and the kinds each member chose not to be told.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_notifications"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(
                        ColumnDef::new(Notifications::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Notifications::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Notifications::ActorId).big_integer().null())
                    .col(ColumnDef::new(Notifications::PostId).big_integer().null())
                    .col(ColumnDef::new(Notifications::ThreadId).big_integer().null())
                    .col(ColumnDef::new(Notifications::AlertId).big_integer().null())
                    .col(ColumnDef::new(Notifications::Detail).text().null())
                    .col(
                        ColumnDef::new(Notifications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Notifications::ReadAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A member's list, newest first, and their unread count.
        manager
            .create_index(
                Index::create()
                    .name("notifications_user_id")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationOptouts::Table)
                    .col(
                        ColumnDef::new(NotificationOptouts::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NotificationOptouts::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(NotificationOptouts::UserId)
                            .col(NotificationOptouts::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NotificationOptouts::Table, NotificationOptouts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationOptouts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    ActorId,
    PostId,
    ThreadId,
    AlertId,
    Detail,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum NotificationOptouts {
    Table,
    UserId,
    Kind,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
