//! `stoa admin …`: create members and forums, appoint hosts, block servers, see how deliveries to other servers fare, and fill
//! a database with demo content.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use rand::RngCore;
use stoa_core::{accounts, forums, seed};
use stoa_db::DatabaseConnection;
use stoa_db::queries::users;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Creates a member. The password is read from standard input, or generated and printed.
    CreateUser {
        name: String,
        /// Make the member an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Creates a forum (and its group, if new).
    CreateForum {
        /// The forum's address and handle: lower-case letters, digits and dashes.
        slug: String,
        /// The forum's name as members see it.
        #[arg(long)]
        name: String,
        /// The group it is listed under on the forum index.
        #[arg(long)]
        group: Option<String>,
        /// The statement of purpose shown at the top of the forum.
        #[arg(long, default_value = "")]
        purpose: String,
        /// Members who host the forum (repeatable).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
    /// Appoints or dismisses a forum's hosts; in the moderation log as the act of an admin.
    Host {
        #[command(subcommand)]
        change: HostChange,
    },
    /// Blocks a server and its subdomains: nothing is taken from it or sent to it, and its
    /// members' posts are hidden. A running server sees it within seconds.
    BlockDomain {
        domain: String,
        /// Why; shown in the public moderation log.
        #[arg(long)]
        reason: Option<String>,
        /// The admin in whose name it is done (default: the first admin).
        #[arg(long)]
        by: Option<String>,
    },
    /// Lifts the block on a server: its members' posts show again.
    UnblockDomain {
        domain: String,
        /// The admin in whose name it is done (default: the first admin).
        #[arg(long)]
        by: Option<String>,
    },
    /// Lists every server deliveries went to: failures in a row, refusals, the last success,
    /// failure and refusal.
    Federation,
    /// Fills the database with demo threads and replies by a dozen demo authors.
    SeedDemo {
        #[arg(long, default_value_t = 20)]
        threads: usize,
        #[arg(long, default_value_t = 10)]
        replies: usize,
        /// Seed for the random choices, for repeatable benchmark databases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
pub enum HostChange {
    /// Makes a member a host of a forum.
    Add {
        forum: String,
        member: String,
        /// The admin in whose name it is done (default: the first admin).
        #[arg(long)]
        by: Option<String>,
    },
    /// Dismisses a host of a forum.
    Remove {
        forum: String,
        member: String,
        /// The admin in whose name it is done (default: the first admin).
        #[arg(long)]
        by: Option<String>,
    },
}

/// The admin a command acts as: named, or the instance's first.
async fn acting_admin(db: &DatabaseConnection, name: Option<&str>) -> Result<stoa_core::Actor> {
    let admin = match name {
        Some(name) => users::by_name(db, name)
            .await?
            .filter(|u| u.local)
            .ok_or_else(|| anyhow!("no member here is called {name}"))?,
        None => users::first_admin(db).await?.ok_or_else(|| {
            anyhow!("there is no admin yet: create one with `stoa admin create-user NAME --admin`")
        })?,
    };
    if !admin.is_admin {
        bail!("{} is not an admin", admin.name);
    }
    Ok(stoa_core::Actor::from(&admin))
}

fn core_error(e: stoa_core::CoreError) -> anyhow::Error {
    anyhow!("{e}")
}

fn generated_password() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn password_from_stdin() -> Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .context("reading the password from standard input")?;
    let password = text.lines().next().unwrap_or("").to_owned();
    Ok((!password.is_empty()).then_some(password))
}

pub async fn run(db: &DatabaseConnection, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::CreateUser { name, admin } => {
            let (password, generated) = match password_from_stdin()? {
                Some(p) => (p, false),
                None => (generated_password(), true),
            };
            let user = accounts::register(db, &name, &password, admin)
                .await
                .map_err(core_error)?;
            let role = if admin { "administrator" } else { "member" };
            println!("Created {role} {} (id {}).", user.name, user.id);
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        AdminCommand::CreateForum {
            slug,
            name,
            group,
            purpose,
            hosts,
        } => {
            let mut host_ids = Vec::new();
            for host in &hosts {
                let user = users::by_name(db, host)
                    .await?
                    .ok_or_else(|| anyhow!("no member named {host:?} to make host"))?;
                host_ids.push(user.id);
            }
            let forum = forums::create_forum(
                db,
                forums::NewForum {
                    group: group.as_deref(),
                    slug: &slug,
                    name: &name,
                    purpose: &purpose,
                    position: i32::MAX / 2,
                },
            )
            .await
            .map_err(core_error)?;
            for id in host_ids {
                forums::add_host(db, forum.id, id)
                    .await
                    .map_err(core_error)?;
            }
            println!("Created forum {} at /f/{}.", forum.name, forum.slug);
            Ok(())
        }
        AdminCommand::Host { change } => {
            let (forum, member, by, appoint) = match change {
                HostChange::Add { forum, member, by } => (forum, member, by, true),
                HostChange::Remove { forum, member, by } => (forum, member, by, false),
            };
            let admin = acting_admin(db, by.as_deref()).await?;
            stoa_core::moderation::set_host(db, &admin, &forum, &member, appoint)
                .await
                .map_err(core_error)?;
            if appoint {
                println!("{member} hosts /f/{forum}.");
            } else {
                println!("{member} no longer hosts /f/{forum}.");
            }
            Ok(())
        }
        AdminCommand::BlockDomain { domain, reason, by } => {
            let admin = acting_admin(db, by.as_deref()).await?;
            let policy = stoa_core::safety::Policy::default();
            let domain = stoa_core::safety::change_domain(
                db,
                &policy,
                &admin,
                &domain,
                stoa_core::safety::DomainChange::Block,
                reason.as_deref(),
            )
            .await
            .map_err(core_error)?;
            println!("Blocked {domain}.");
            Ok(())
        }
        AdminCommand::UnblockDomain { domain, by } => {
            let admin = acting_admin(db, by.as_deref()).await?;
            let policy = stoa_core::safety::Policy::default();
            let domain = stoa_core::safety::change_domain(
                db,
                &policy,
                &admin,
                &domain,
                stoa_core::safety::DomainChange::Unblock,
                None,
            )
            .await
            .map_err(core_error)?;
            println!("Unblocked {domain}.");
            Ok(())
        }
        AdminCommand::Federation => {
            let peers = stoa_db::queries::peers::all(db).await?;
            if peers.is_empty() {
                println!("No deliveries to other servers yet.");
            }
            let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map_or_else(
                    || "never".to_owned(),
                    |at| at.format("%F %T UTC").to_string(),
                )
            };
            for peer in peers {
                let state = if peer.failing_since.is_some() {
                    "failing"
                } else {
                    "ok"
                };
                println!(
                    "{}  {state}  failures in a row: {}  refusals: {}",
                    peer.host, peer.failures, peer.refusals
                );
                println!(
                    "    last success: {}  last failure: {}",
                    when(peer.last_success_at),
                    when(peer.last_failure_at)
                );
                if let Some(refusal) = &peer.last_refusal {
                    println!("    last refusal: {} {refusal}", when(peer.last_refusal_at));
                }
            }
            Ok(())
        }
        AdminCommand::SeedDemo {
            threads,
            replies,
            seed,
        } => {
            if threads == 0 {
                bail!("--threads must be at least 1");
            }
            let seeded = seed::seed_demo(db, threads, replies, seed)
                .await
                .map_err(core_error)?;
            println!(
                "Seeded {} threads and {} posts ({} new demo authors, password demo-password).",
                seeded.threads, seeded.posts, seeded.authors
            );
            Ok(())
        }
    }
}
