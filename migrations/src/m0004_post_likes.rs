//! Likes of posts (remote `Like` activities; local recommendations later), one per member and
//! post, so a repeated Like counts once and an Undo can find it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_post_likes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PostLikes::Table)
                    .col(ColumnDef::new(PostLikes::PostId).big_integer().not_null())
                    .col(ColumnDef::new(PostLikes::UserId).big_integer().not_null())
                    .col(
                        ColumnDef::new(PostLikes::ActivityId)
                            .string_len(2048)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(PostLikes::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PostLikes::PostId)
                            .col(PostLikes::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PostLikes::Table, PostLikes::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PostLikes::Table, PostLikes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PostLikes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PostLikes {
    Table,
    PostId,
    UserId,
    ActivityId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
