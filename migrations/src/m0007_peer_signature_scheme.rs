//! Which HTTP signature scheme each receiving server accepted: deliveries start with the one
//! that worked last time instead of knocking twice.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_peer_signature_scheme"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Peers::Table)
                    .add_column(ColumnDef::new(Peers::SignatureScheme).string_len(16).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Peers::Table)
                    .drop_column(Peers::SignatureScheme)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    SignatureScheme,
}
