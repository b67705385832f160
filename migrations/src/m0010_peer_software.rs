//! Which software a receiving server runs, as its NodeInfo says: some activities are sent only
//! to the software that reads them.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_peer_software"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Peers::Table)
                    .add_column(ColumnDef::new(Peers::Software).string_len(64).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Peers::Table)
                    .drop_column(Peers::Software)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    Software,
}
