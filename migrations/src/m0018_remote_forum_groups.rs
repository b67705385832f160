//! The forum group a forum of another server is filed under on its own server (the name its
//! server publishes), so that it shows under that heading here too.

use sea_orm_migration::prelude::*;

use crate::{add_column, drop_column};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_remote_forum_groups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Forums::Table,
            ColumnDef::new(Forums::RemoteGroup)
                .string_len(200)
                .null()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Forums::Table, Forums::RemoteGroup).await
    }
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    RemoteGroup,
}
