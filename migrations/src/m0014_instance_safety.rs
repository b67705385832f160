//! Instance safety: suspended members, blocked (or allowed) domains, the site's settings
//! (registration mode and question, federation mode), applications awaiting an admin, and the
//! domain a log row is about.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_instance_safety"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Why a member's posts are hidden (`suspended` or `blocked`), kept on the member so
        // that every list and thread reads it with the author it already joins.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::HiddenBecause).string_len(16).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ModActions::Table)
                    .add_column(ColumnDef::new(ModActions::Domain).string_len(255).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Suspensions::Table)
                    .col(
                        ColumnDef::new(Suspensions::UserId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Suspensions::Reason).text().not_null())
                    .col(
                        ColumnDef::new(Suspensions::SuspendedBy)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Suspensions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Suspensions::ExpiresAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Suspensions::Table, Suspensions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DomainRules::Table)
                    .col(
                        ColumnDef::new(DomainRules::Domain)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(DomainRules::Kind).string_len(8).not_null())
                    .col(ColumnDef::new(DomainRules::Reason).text().null())
                    .col(
                        ColumnDef::new(DomainRules::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SiteSettings::Table)
                    .col(
                        ColumnDef::new(SiteSettings::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SiteSettings::Value).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Applications::Table)
                    .col(
                        ColumnDef::new(Applications::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Applications::Name)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Applications::PasswordHash).text().not_null())
                    .col(ColumnDef::new(Applications::Answer).text().not_null())
                    .col(
                        ColumnDef::new(Applications::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Applications::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Applications::DecidedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Applications::DecidedBy).big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Applications::Table.into_iden(),
            SiteSettings::Table.into_iden(),
            DomainRules::Table.into_iden(),
            Suspensions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ModActions::Table)
                    .drop_column(ModActions::Domain)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::HiddenBecause)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    HiddenBecause,
}

#[derive(DeriveIden)]
enum ModActions {
    Table,
    Domain,
}

#[derive(DeriveIden)]
enum Suspensions {
    Table,
    UserId,
    Reason,
    SuspendedBy,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum DomainRules {
    Table,
    Domain,
    Kind,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SiteSettings {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
    Name,
    PasswordHash,
    Answer,
    Status,
    CreatedAt,
    DecidedAt,
    DecidedBy,
}
