//! A delivery the receiving server refused (a 4xx other than 401, 408 and 429) is final but not
//! delivered: its status and refusal are kept, and each server counts the refusals it gave.

use sea_orm_migration::prelude::*;

use crate::{add_column, drop_column};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_delivery_refusals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Deliveries::Status)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Deliveries::RefusedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            add_column(manager, Deliveries::Table, column).await?;
        }
        for column in [
            ColumnDef::new(Peers::Refusals)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Peers::LastRefusalAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Peers::LastRefusal).text().null().to_owned(),
        ] {
            add_column(manager, Peers::Table, column).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Peers::Refusals, Peers::LastRefusalAt, Peers::LastRefusal] {
            drop_column(manager, Peers::Table, column).await?;
        }
        for column in [Deliveries::Status, Deliveries::RefusedAt] {
            drop_column(manager, Deliveries::Table, column).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Status,
    RefusedAt,
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    Refusals,
    LastRefusalAt,
    LastRefusal,
}
