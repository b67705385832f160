//! Delivery at scale: each delivery names the server it goes to (so one server's backlog is
//! claimed apart from the others' and counted on the admins' federation page) and the post it
//! carries (so a forum elsewhere refusing a member's post can be shown to its author); a server's
//! last error; and a post's refusal by the forum elsewhere it was written in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::add_column;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_delivery_at_scale"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Deliveries::Table,
            ColumnDef::new(Deliveries::Host)
                .string_len(255)
                .not_null()
                .default("")
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Deliveries::Table,
            ColumnDef::new(Deliveries::PostId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Peers::Table,
            ColumnDef::new(Peers::LastError).text().null().to_owned(),
        )
        .await?;
        add_column(
            manager,
            Posts::Table,
            ColumnDef::new(Posts::RefusedElsewhere)
                .text()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_host")
                    .table(Deliveries::Table)
                    .col(Deliveries::Host)
                    .col(Deliveries::DeliveredAt)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        fill_hosts(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_deliveries_host")
                    .table(Deliveries::Table)
                    .to_owned(),
            )
            .await?;
        crate::drop_column(manager, Posts::Table, Posts::RefusedElsewhere).await?;
        crate::drop_column(manager, Peers::Table, Peers::LastError).await?;
        crate::drop_column(manager, Deliveries::Table, Deliveries::PostId).await?;
        crate::drop_column(manager, Deliveries::Table, Deliveries::Host).await
    }
}

/// Names the server of every delivery still to be sent (those sent or given up are history).
async fn fill_hosts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([Deliveries::Id, Deliveries::Inbox])
        .from(Deliveries::Table)
        .and_where(Expr::col(Deliveries::DeliveredAt).is_null())
        .and_where(Expr::col(Deliveries::GaveUpAt).is_null())
        .to_owned();
    let pending = db.query_all(&select).await?;
    for row in pending {
        let id: i64 = row.try_get("", "id")?;
        let inbox: String = row.try_get("", "inbox")?;
        let update = Query::update()
            .table(Deliveries::Table)
            .value(Deliveries::Host, authority(&inbox))
            .and_where(Expr::col(Deliveries::Id).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}

/// `host[:port]` of a URL as Stoa writes it (lower case, default port left out).
fn authority(url: &str) -> String {
    url.split_once("://")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or_default()
        .to_owned()
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    Host,
    PostId,
    Inbox,
    DeliveredAt,
    GaveUpAt,
    NextAttemptAt,
}

#[derive(DeriveIden)]
enum Peers {
    Table,
    LastError,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    RefusedElsewhere,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_authority_of_an_inbox() {
        assert_eq!(super::authority("https://a.example/inbox"), "a.example");
        assert_eq!(
            super::authority("http://localhost:8080/f/x/inbox"),
            "localhost:8080"
        );
        assert_eq!(super::authority("nonsense"), "");
    }
}
