//! The first schema: members (local and remote), forum groups, forums, threads, posts with their
//! revisions, sessions, and the transactional outbox.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn counter<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id_column(Users::Id))
                    // Local members: their name. Remote actors: `name@host`, so that both share
                    // one unique namespace and every page can show an author by this column alone.
                    .col(
                        ColumnDef::new(Users::Name)
                            .string_len(320)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Users::DisplayName).string_len(200).null())
                    .col(ColumnDef::new(Users::Local).boolean().not_null())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(200).null())
                    .col(
                        ColumnDef::new(Users::IsAdmin)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(counter(Users::PostCount))
                    .col(
                        ColumnDef::new(Users::ApId)
                            .string_len(2048)
                            .null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Users::InboxUrl).string_len(2048).null())
                    .col(
                        ColumnDef::new(Users::SharedInboxUrl)
                            .string_len(2048)
                            .null(),
                    )
                    .col(ColumnDef::new(Users::ProfileUrl).string_len(2048).null())
                    .col(ColumnDef::new(Users::AvatarUrl).string_len(2048).null())
                    .col(ColumnDef::new(Users::PublicKey).text().null())
                    .col(ColumnDef::new(Users::PrivateKey).text().null())
                    .col(timestamp(Users::CreatedAt))
                    .col(
                        ColumnDef::new(Users::LastRefreshedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumGroups::Table)
                    .col(id_column(ForumGroups::Id))
                    .col(
                        ColumnDef::new(ForumGroups::Name)
                            .string_len(200)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ForumGroups::Position)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Forums::Table)
                    .col(id_column(Forums::Id))
                    .col(ColumnDef::new(Forums::GroupId).big_integer().null())
                    .col(
                        ColumnDef::new(Forums::Slug)
                            .string_len(320)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Forums::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Forums::Purpose).text().not_null())
                    .col(
                        ColumnDef::new(Forums::Position)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Forums::Local).boolean().not_null())
                    .col(
                        ColumnDef::new(Forums::ApId)
                            .string_len(2048)
                            .null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Forums::InboxUrl).string_len(2048).null())
                    .col(ColumnDef::new(Forums::PublicKey).text().null())
                    .col(ColumnDef::new(Forums::PrivateKey).text().null())
                    .col(counter(Forums::ThreadCount))
                    .col(counter(Forums::PostCount))
                    .col(
                        ColumnDef::new(Forums::LastPostAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(Forums::LastPostId).big_integer().null())
                    .col(ColumnDef::new(Forums::LastThreadId).big_integer().null())
                    .col(
                        ColumnDef::new(Forums::LastPostAuthorId)
                            .big_integer()
                            .null(),
                    )
                    .col(timestamp(Forums::CreatedAt))
                    .foreign_key(&mut fk(
                        Forums::Table,
                        Forums::GroupId,
                        ForumGroups::Table,
                        ForumGroups::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut fk(
                        Forums::Table,
                        Forums::LastPostAuthorId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ForumHosts::Table)
                    .col(ColumnDef::new(ForumHosts::ForumId).big_integer().not_null())
                    .col(ColumnDef::new(ForumHosts::UserId).big_integer().not_null())
                    .col(timestamp(ForumHosts::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ForumHosts::ForumId)
                            .col(ForumHosts::UserId),
                    )
                    .foreign_key(&mut fk(
                        ForumHosts::Table,
                        ForumHosts::ForumId,
                        Forums::Table,
                        Forums::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ForumHosts::Table,
                        ForumHosts::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Threads::Table)
                    .col(id_column(Threads::Id))
                    .col(ColumnDef::new(Threads::ForumId).big_integer().not_null())
                    .col(ColumnDef::new(Threads::AuthorId).big_integer().not_null())
                    .col(ColumnDef::new(Threads::Title).string_len(400).not_null())
                    // Set in the same transaction that inserts the starter post.
                    .col(ColumnDef::new(Threads::StarterPostId).big_integer().null())
                    .col(counter(Threads::ReplyCount))
                    // Bumped by every change to the thread's posts; caches compare it.
                    .col(counter(Threads::Revision))
                    .col(timestamp(Threads::LastPostAt))
                    .col(
                        ColumnDef::new(Threads::LastPostAuthorId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Threads::Locked)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Threads::ApId)
                            .string_len(2048)
                            .null()
                            .unique_key(),
                    )
                    .col(timestamp(Threads::CreatedAt))
                    .foreign_key(&mut fk(
                        Threads::Table,
                        Threads::ForumId,
                        Forums::Table,
                        Forums::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Threads::Table,
                        Threads::AuthorId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Threads::Table,
                        Threads::LastPostAuthorId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // Latest Discussions and each forum's thread list are read newest activity first.
        manager
            .create_index(
                Index::create()
                    .name("idx_threads_last_post_at")
                    .table(Threads::Table)
                    .col(Threads::LastPostAt)
                    .col(Threads::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_threads_forum_last_post_at")
                    .table(Threads::Table)
                    .col(Threads::ForumId)
                    .col(Threads::LastPostAt)
                    .col(Threads::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(id_column(Posts::Id))
                    .col(ColumnDef::new(Posts::ThreadId).big_integer().not_null())
                    .col(ColumnDef::new(Posts::ParentId).big_integer().null())
                    .col(ColumnDef::new(Posts::AuthorId).big_integer().not_null())
                    .col(ColumnDef::new(Posts::BodySource).text().not_null())
                    .col(ColumnDef::new(Posts::BodyHtml).text().not_null())
                    .col(counter(Posts::LikeCount))
                    .col(
                        ColumnDef::new(Posts::ApId)
                            .string_len(2048)
                            .null()
                            .unique_key(),
                    )
                    .col(timestamp(Posts::CreatedAt))
                    .col(
                        ColumnDef::new(Posts::EditedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Posts::DeletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        Posts::Table,
                        Posts::ThreadId,
                        Threads::Table,
                        Threads::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Posts::Table,
                        Posts::ParentId,
                        Posts::Table,
                        Posts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Posts::Table,
                        Posts::AuthorId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posts_thread")
                    .table(Posts::Table)
                    .col(Posts::ThreadId)
                    .col(Posts::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_posts_author")
                    .table(Posts::Table)
                    .col(Posts::AuthorId)
                    .col(Posts::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PostRevisions::Table)
                    .col(id_column(PostRevisions::Id))
                    .col(
                        ColumnDef::new(PostRevisions::PostId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PostRevisions::EditorId).big_integer().null())
                    .col(ColumnDef::new(PostRevisions::BodySource).text().not_null())
                    .col(ColumnDef::new(PostRevisions::BodyHtml).text().not_null())
                    .col(timestamp(PostRevisions::CreatedAt))
                    .foreign_key(&mut fk(
                        PostRevisions::Table,
                        PostRevisions::PostId,
                        Posts::Table,
                        Posts::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        PostRevisions::Table,
                        PostRevisions::EditorId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_post_revisions_post")
                    .table(PostRevisions::Table)
                    .col(PostRevisions::PostId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    // SHA-256 of the secret token: a leaked table does not hand out sessions.
                    .col(
                        ColumnDef::new(Sessions::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Sessions::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Sessions::CsrfToken)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .foreign_key(&mut fk(
                        Sessions::Table,
                        Sessions::UserId,
                        Users::Table,
                        Users::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .col(id_column(OutboxEvents::Id))
                    .col(ColumnDef::new(OutboxEvents::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(OutboxEvents::ActorId).big_integer().null())
                    .col(
                        ColumnDef::new(OutboxEvents::SubjectId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(OutboxEvents::Payload).text().not_null())
                    .col(timestamp(OutboxEvents::CreatedAt))
                    .col(
                        ColumnDef::new(OutboxEvents::ProcessedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_events_unprocessed")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::ProcessedAt)
                    .col(OutboxEvents::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            PostRevisions::Table.into_iden(),
            Posts::Table.into_iden(),
            Threads::Table.into_iden(),
            ForumHosts::Table.into_iden(),
            Forums::Table.into_iden(),
            ForumGroups::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Name,
    DisplayName,
    Local,
    PasswordHash,
    IsAdmin,
    PostCount,
    ApId,
    InboxUrl,
    SharedInboxUrl,
    ProfileUrl,
    AvatarUrl,
    PublicKey,
    PrivateKey,
    CreatedAt,
    LastRefreshedAt,
}

#[derive(DeriveIden)]
enum ForumGroups {
    Table,
    Id,
    Name,
    Position,
}

#[derive(DeriveIden)]
enum Forums {
    Table,
    Id,
    GroupId,
    Slug,
    Name,
    Purpose,
    Position,
    Local,
    ApId,
    InboxUrl,
    PublicKey,
    PrivateKey,
    ThreadCount,
    PostCount,
    LastPostAt,
    LastPostId,
    LastThreadId,
    LastPostAuthorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ForumHosts {
    Table,
    ForumId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
    ForumId,
    AuthorId,
    Title,
    StarterPostId,
    ReplyCount,
    Revision,
    LastPostAt,
    LastPostAuthorId,
    Locked,
    ApId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    ThreadId,
    ParentId,
    AuthorId,
    BodySource,
    BodyHtml,
    LikeCount,
    ApId,
    CreatedAt,
    EditedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum PostRevisions {
    Table,
    Id,
    PostId,
    EditorId,
    BodySource,
    BodyHtml,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    Kind,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Kind,
    ActorId,
    SubjectId,
    Payload,
    CreatedAt,
    ProcessedAt,
}
