//! Forums of other servers that members here follow: what Stoa keeps of a remote `Group`, and
//! each member's subscription to it (pending until the forum's server accepts the Follow).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_remote_forums"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(Forums::SharedInboxUrl)
                .string_len(2048)
                .null()
                .to_owned(),
            ColumnDef::new(Forums::ProfileUrl)
                .string_len(2048)
                .null()
                .to_owned(),
            ColumnDef::new(Forums::LastRefreshedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Forums::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ForumSubscriptions::Table)
                    .col(
                        ColumnDef::new(ForumSubscriptions::ForumId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ForumSubscriptions::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    // The Follow's id: the forum's Accept names it, an Undo repeats it.
                    .col(
                        ColumnDef::new(ForumSubscriptions::FollowId)
                            .string_len(2048)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ForumSubscriptions::AcceptedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    // When the Follow was last sent, and how often: a Follow that gets no
                    // Accept is sent again (some servers drop the first from a new peer).
                    .col(
                        ColumnDef::new(ForumSubscriptions::LastSentAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ForumSubscriptions::Sends)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(ForumSubscriptions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ForumSubscriptions::ForumId)
                            .col(ForumSubscriptions::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumSubscriptions::Table, ForumSubscriptions::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ForumSubscriptions::Table, ForumSubscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_forum_subscriptions_user")
                    .table(ForumSubscriptions::Table)
                    .col(ForumSubscriptions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ForumSubscriptions::Table).to_owned())
            .await?;
        for column in [
            Forums::SharedInboxUrl,
            Forums::ProfileUrl,
            Forums::LastRefreshedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Forums::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    Id,
    SharedInboxUrl,
    ProfileUrl,
    LastRefreshedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ForumSubscriptions {
    Table,
    ForumId,
    UserId,
    FollowId,
    AcceptedAt,
    LastSentAt,
    Sends,
    CreatedAt,
}
