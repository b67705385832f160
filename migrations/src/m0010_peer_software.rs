//! Which software a receiving server runs, as its NodeInfo says: some activities are sent only
//! to the software that reads them.

use sea_orm_migration::prelude::*;

use crate::{add_column, drop_column};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_peer_software"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Peers::Table,
            ColumnDef::new(Peers::Software)
                .string_len(64)
                .null()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Peers::Table, Peers::Software).await
    }
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    Software,
}
