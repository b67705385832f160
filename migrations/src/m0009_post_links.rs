//! A thread may carry a link (a link post, as Lemmy and others make them): kept on its first post.

use sea_orm_migration::prelude::*;

use crate::{add_column, drop_column};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_post_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::LinkUrl).text().null().to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Posts::Table, Posts::LinkUrl).await
    }
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    LinkUrl,
}
