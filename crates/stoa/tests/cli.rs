//! The `stoa` binary as an operator uses it: serve with no configuration, migrate, and the admin
//! commands, with their messages for bad input. Uses PostgreSQL when `STOA_TEST_DATABASE_URL`
//! is set (except the no-configuration run, which is about the SQLite default).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const STOA: &str = env!("CARGO_BIN_EXE_stoa");

/// A scratch folder and database for one test.
struct Instance {
    dir: tempfile::TempDir,
    database_url: String,
}

impl Instance {
    async fn new() -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match std::env::var("STOA_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => stoa_db::create_scratch_postgres_database(&url)
                .await
                .unwrap(),
            _ => format!("sqlite:{}?mode=rwc", dir.path().join("cli.db").display()),
        };
        Instance { dir, database_url }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(STOA);
        command
            .current_dir(self.dir.path())
            .env_remove("STOA_CONFIG")
            .env("STOA_DATABASE_URL", &self.database_url)
            .env("STOA_LOG", "warn");
        command
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_without_configuration_uses_a_sqlite_file_and_prints_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut command = Command::new(STOA);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("STOA_")) {
        command.env_remove(key);
    }
    let mut child = command
        .arg("serve")
        .current_dir(dir.path())
        // Only the port differs from the defaults, so parallel test runs do not collide.
        .env("STOA_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    // reqwest comes without a TLS provider of its own in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    assert!(
        first_line.contains(&format!("Stoa is running at {url}")),
        "{first_line}"
    );
    let body = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(
        body.contains("General Discussion"),
        "starter forums on first run"
    );
    assert!(dir.path().join("stoa-data/stoa.db").exists());
    drop(server);
}

#[tokio::test]
async fn admin_commands_create_members_forums_and_demo_content() {
    let instance = Instance::new().await;
    let migrate = instance.run(&["migrate"], None);
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    assert!(stdout(&migrate).contains("Database is up to date."));

    let created = instance.run(
        &["admin", "create-user", "root", "--admin"],
        Some("a long password\n"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("Created administrator root"));
    assert!(
        !stdout(&created).contains("Password:"),
        "the given password is not printed"
    );

    let generated = instance.run(&["admin", "create-user", "helen"], None);
    assert!(generated.status.success());
    let out = stdout(&generated);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap();
    assert_eq!(password.len(), 24);

    let duplicate = instance.run(&["admin", "create-user", "helen"], None);
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(stderr(&duplicate).contains("that username is already taken"));

    let forum = instance.run(
        &[
            "admin",
            "create-forum",
            "gardening",
            "--name",
            "Gardening",
            "--group",
            "Hobbies",
            "--purpose",
            "Soil and seeds.",
            "--host",
            "helen",
        ],
        None,
    );
    assert!(forum.status.success(), "{}", stderr(&forum));
    assert!(stdout(&forum).contains("Created forum Gardening at /f/gardening."));

    let bad_slug = instance.run(&["admin", "create-forum", "Bad Slug", "--name", "X"], None);
    assert_eq!(bad_slug.status.code(), Some(1));
    assert!(
        stderr(&bad_slug).contains("forum slug"),
        "{}",
        stderr(&bad_slug)
    );
    let no_host = instance.run(
        &[
            "admin",
            "create-forum",
            "x",
            "--name",
            "X",
            "--host",
            "ghost",
        ],
        None,
    );
    assert!(stderr(&no_host).contains("no member named \"ghost\""));

    let seeded = instance.run(
        &["admin", "seed-demo", "--threads", "3", "--replies", "4"],
        None,
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    assert!(
        stdout(&seeded).contains("Seeded 3 threads and 15 posts"),
        "{}",
        stdout(&seeded)
    );

    // What the commands made is what the forum shows.
    let db = stoa_db::connect(&instance.database_url).await.unwrap();
    let root = stoa_db::queries::users::by_name(&db, "root")
        .await
        .unwrap()
        .unwrap();
    assert!(root.is_admin);
    assert!(
        stoa_core::accounts::authenticate(&db, "root", "a long password")
            .await
            .is_ok()
    );
    assert!(
        stoa_core::accounts::authenticate(&db, "helen", password)
            .await
            .is_ok()
    );
    let page = stoa_core::forums::forum_page(&db, "gardening", 1)
        .await
        .unwrap();
    assert_eq!(page.group_name.as_deref(), Some("Hobbies"));
    assert_eq!(page.hosts, ["helen"]);
    assert_eq!(stoa_db::queries::posts::count(&db).await.unwrap(), 15);
}

#[tokio::test]
async fn admin_commands_appoint_and_dismiss_hosts() {
    let instance = Instance::new().await;
    assert!(instance.run(&["migrate"], None).status.success());
    let forum = instance.run(
        &["admin", "create-forum", "gardening", "--name", "Gardening"],
        None,
    );
    assert!(forum.status.success(), "{}", stderr(&forum));
    assert!(
        instance
            .run(&["admin", "create-user", "ada"], None)
            .status
            .success()
    );
    let host = |args: &[&str]| {
        let mut all = vec!["admin", "host"];
        all.extend_from_slice(args);
        instance.run(&all, None)
    };

    let no_admin = host(&["add", "gardening", "ada"]);
    assert_eq!(no_admin.status.code(), Some(1));
    assert!(
        stderr(&no_admin).contains("there is no admin yet"),
        "{}",
        stderr(&no_admin)
    );
    assert!(
        instance
            .run(
                &["admin", "create-user", "root", "--admin"],
                Some("a long password\n")
            )
            .status
            .success()
    );
    let not_admin = host(&["add", "gardening", "ada", "--by", "ada"]);
    assert!(
        stderr(&not_admin).contains("ada is not an admin"),
        "{}",
        stderr(&not_admin)
    );
    let ghost = host(&["add", "gardening", "ghost"]);
    assert!(
        stderr(&ghost).contains("member not found"),
        "{}",
        stderr(&ghost)
    );
    let nowhere = host(&["add", "nowhere", "ada"]);
    assert!(
        stderr(&nowhere).contains("forum not found"),
        "{}",
        stderr(&nowhere)
    );

    let added = host(&["add", "gardening", "ada"]);
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("ada hosts /f/gardening."));
    let db = stoa_db::connect(&instance.database_url).await.unwrap();
    let page = stoa_core::forums::forum_page(&db, "gardening", 1)
        .await
        .unwrap();
    assert_eq!(page.hosts, ["ada"]);

    let removed = host(&["remove", "gardening", "ada"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(stdout(&removed).contains("ada no longer hosts /f/gardening."));
    let page = stoa_core::forums::forum_page(&db, "gardening", 1)
        .await
        .unwrap();
    assert!(page.hosts.is_empty());
    let (_, log) = stoa_core::moderation::log(&db, Some("gardening"), 1)
        .await
        .unwrap();
    let acts: Vec<(String, Option<String>)> = log
        .items
        .into_iter()
        .map(|row| (row.action, row.actor_name))
        .collect();
    assert_eq!(
        acts,
        [
            ("dismiss_host".to_owned(), Some("root".to_owned())),
            ("appoint_host".to_owned(), Some("root".to_owned())),
        ]
    );
}

#[tokio::test]
async fn bad_configuration_is_named_before_anything_starts() {
    let instance = Instance::new().await;
    let mut command = instance.command();
    let output = command
        .env("STOA_DATABASE_URL", "mysql://nowhere/db")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("database_url must start with sqlite: or postgres://"));

    let output = instance
        .command()
        .env("STOA_BIND", "everywhere")
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bind"), "{}", stderr(&output));

    let output = instance
        .command()
        .args(["--config", "missing.toml", "serve"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("missing.toml does not exist"));
    let _ = Duration::ZERO;
}
