//! The instance's own actor (FEP-2677): one key pair that signs the instance's fetches.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_instance_actor"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceActor::Table)
                    // Always 1: the table holds a single row.
                    .col(
                        ColumnDef::new(InstanceActor::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(InstanceActor::PublicKey).text().not_null())
                    .col(ColumnDef::new(InstanceActor::PrivateKey).text().not_null())
                    .col(
                        ColumnDef::new(InstanceActor::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InstanceActor::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum InstanceActor {
    Table,
    Id,
    PublicKey,
    PrivateKey,
    CreatedAt,
}
