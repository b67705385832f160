//! A small forum on a fresh database for the rule tests: SQLite in a temporary folder, or a
//! scratch PostgreSQL database when `STOA_TEST_DATABASE_URL` names a server.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;

use chrono::Utc;
use stoa_core::Actor;
use stoa_db::queries::{forums, outbox, posts, threads, users};
use stoa_db::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait, Set};
use stoa_db::{DatabaseConnection, outbox_event, post, thread};

/// The forum "books" with three threads — "open" (a first post and one reply), "other" (a first
/// post) and "locked" (a first post, locked) — a member here and a member of another server.
pub struct World {
    pub db: DatabaseConnection,
    pub member: Actor,
    pub remote: Actor,
    pub forum_id: i64,
    threads: HashMap<&'static str, i64>,
    posts: HashMap<String, i64>,
    _dir: Option<tempfile::TempDir>,
}

/// Rows counted before and after a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub posts: i64,
    pub events: i64,
    pub open_replies: i64,
    pub forum_posts: i64,
    pub member_posts: i64,
    pub remote_posts: i64,
}

impl World {
    pub async fn new() -> World {
        let (url, dir) = match std::env::var("STOA_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => (
                stoa_db::create_scratch_postgres_database(&admin)
                    .await
                    .expect("a scratch PostgreSQL database"),
                None,
            ),
            _ => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url = format!("sqlite:{}?mode=rwc", dir.path().join("stoa.db").display());
                (url, Some(dir))
            }
        };
        let db = stoa_db::connect(&url).await.expect("connect");
        stoa_db::migrate(&db).await.expect("migrate");
        let now = Utc::now();
        let forum = forums::insert_local(
            &db,
            forums::NewForum {
                group_id: None,
                slug: "books",
                name: "Books",
                purpose: "Reading.",
                position: 0,
                // Never used to sign: these tests send nothing.
                public_key: "unused",
                private_key: "unused",
                now,
            },
        )
        .await
        .expect("a forum");
        let member = users::insert_local(
            &db,
            users::NewLocalUser {
                name: "ada",
                password_hash: "unused",
                is_admin: false,
                public_key: "unused",
                private_key: "unused",
                now,
            },
        )
        .await
        .expect("a member");
        let remote = users::upsert_remote(
            &db,
            users::RemoteActor {
                ap_id: "https://elsewhere.example/users/bo",
                name: "bo@elsewhere.example",
                display_name: None,
                inbox_url: "https://elsewhere.example/users/bo/inbox",
                shared_inbox_url: None,
                profile_url: "https://elsewhere.example/@bo",
                avatar_url: None,
                public_key: "unused",
                now,
            },
        )
        .await
        .expect("a member elsewhere");
        let member = Actor::from(&member);
        let mut world = World {
            db,
            remote: Actor::from(&remote),
            member,
            forum_id: forum.id,
            threads: HashMap::new(),
            posts: HashMap::new(),
            _dir: dir,
        };
        for name in ["open", "other", "locked"] {
            world.start(name).await;
        }
        let reply = stoa_core::replies::reply(
            &world.db,
            &world.member,
            world.thread("open"),
            world.post("open/1"),
            "The first reply.",
        )
        .await
        .expect("a reply");
        world.posts.insert("open/2".into(), reply.post_id);
        world.lock("locked").await;
        world
    }

    /// Locks a thread, as its forum's hosts would.
    pub async fn lock(&self, name: &str) {
        let row = thread::Entity::find_by_id(self.thread(name))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap();
        let mut row = row.into_active_model();
        row.locked = Set(true);
        row.update(&self.db).await.expect("lock a thread");
    }

    async fn start(&mut self, name: &'static str) {
        let created =
            stoa_core::posts::create_thread(&self.db, &self.member, "books", name, "First post.")
                .await
                .expect("a thread");
        self.threads.insert(name, created.thread_id);
        self.posts.insert(format!("{name}/1"), created.post_id);
    }

    pub fn thread(&self, name: &str) -> i64 {
        self.threads[name]
    }

    pub fn post(&self, name: &str) -> i64 {
        self.posts[name]
    }

    pub async fn stored_post(&self, id: i64) -> post::Model {
        posts::by_id(&self.db, id)
            .await
            .unwrap()
            .expect("the post is stored")
    }

    pub async fn thread_row(&self, name: &str) -> thread::Model {
        threads::by_id(&self.db, self.thread(name))
            .await
            .unwrap()
            .unwrap()
    }

    /// Whether an outbox event of this kind names this post.
    pub async fn has_event(&self, kind: &str, post_id: i64) -> bool {
        outbox::pending(&self.db, 10_000)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == kind && e.subject_id == post_id)
    }

    pub async fn counts(&self) -> Counts {
        let user = |id| users::by_id(&self.db, id);
        Counts {
            posts: i64::try_from(post::Entity::find().count(&self.db).await.unwrap()).unwrap(),
            events: i64::try_from(outbox_event::Entity::find().count(&self.db).await.unwrap())
                .unwrap(),
            open_replies: self.thread_row("open").await.reply_count,
            forum_posts: forums::by_slug(&self.db, "books")
                .await
                .unwrap()
                .unwrap()
                .post_count,
            member_posts: user(self.member.id).await.unwrap().unwrap().post_count,
            remote_posts: user(self.remote.id).await.unwrap().unwrap().post_count,
        }
    }
}
