//! Alerts and member juries: an alert on a post summons a jury of members drawn at random, who
//! vote to hide the post or leave it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_juries"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(
                        ColumnDef::new(Alerts::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Alerts::PostId).big_integer().not_null())
                    .col(ColumnDef::new(Alerts::ForumId).big_integer().not_null())
                    .col(ColumnDef::new(Alerts::AlerterId).big_integer().not_null())
                    .col(ColumnDef::new(Alerts::Reason).string_len(16).not_null())
                    .col(ColumnDef::new(Alerts::Details).text().null())
                    // The Flag an alert from elsewhere came as, so a repeated one counts once.
                    .col(
                        ColumnDef::new(Alerts::ApId)
                            .string_len(2048)
                            .null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Alerts::State).string_len(8).not_null())
                    .col(ColumnDef::new(Alerts::HideVotes).integer().not_null())
                    .col(ColumnDef::new(Alerts::LeaveVotes).integer().not_null())
                    .col(
                        ColumnDef::new(Alerts::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Alerts::Deadline)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Alerts::DecidedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::ForumId)
                            .to(Forums::Table, Forums::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::AlerterId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("alerts_post_id", [Alerts::PostId, Alerts::State]),
            ("alerts_alerter_id", [Alerts::AlerterId, Alerts::CreatedAt]),
            ("alerts_state_deadline", [Alerts::State, Alerts::Deadline]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Alerts::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Jurors::Table)
                    .col(
                        ColumnDef::new(Jurors::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Jurors::AlertId).big_integer().not_null())
                    .col(ColumnDef::new(Jurors::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Jurors::State).string_len(8).not_null())
                    .col(ColumnDef::new(Jurors::Vote).string_len(8).null())
                    .col(ColumnDef::new(Jurors::Comment).text().null())
                    .col(
                        ColumnDef::new(Jurors::SummonedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Jurors::AnsweredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jurors::Table, Jurors::AlertId)
                            .to(Alerts::Table, Alerts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jurors::Table, Jurors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jurors_alert_user")
                    .table(Jurors::Table)
                    .col(Jurors::AlertId)
                    .col(Jurors::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jurors_user_state")
                    .table(Jurors::Table)
                    .col(Jurors::UserId)
                    .col(Jurors::State)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Jurors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Id,
    PostId,
    ForumId,
    AlerterId,
    Reason,
    Details,
    ApId,
    State,
    HideVotes,
    LeaveVotes,
    CreatedAt,
    Deadline,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Jurors {
    Table,
    Id,
    AlertId,
    UserId,
    State,
    Vote,
    Comment,
    SummonedAt,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
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
