//! Demo content for trying the forum and for benchmarks: several authors, threads spread over
//! every forum, and reply trees that are both deep (chains) and wide (many answers to one post).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use stoa_db::queries::{forums, users};
use stoa_db::{ConnectionTrait, TransactionSession, TransactionTrait};

use crate::{Actor, CoreError, CoreResult, accounts, posts};

const AUTHORS: &[&str] = &[
    "ada", "basil", "cleo", "dmitri", "esme", "farouk", "greta", "hiro", "ines", "jonah", "kaia",
    "lucius",
];

const OPENERS: &[&str] = &[
    "Has anyone else noticed",
    "I keep coming back to",
    "Serious question about",
    "Let's talk about",
    "A thought on",
    "What do we make of",
];

const TOPICS: &[&str] = &[
    "the new rail link between the two capitals",
    "reading long novels on a phone",
    "why local newspapers keep closing",
    "the heat pump subsidy",
    "jazz records from the fifties",
    "the trade talks this week",
    "learning a language after forty",
    "community gardens in big cities",
    "the moon mission delay",
    "public libraries lending tools",
];

const SENTENCES: &[&str] = &[
    "I think the reporting so far misses the bigger picture.",
    "Here is a source that explains it better than I can.",
    "That is a fair point, but it cuts both ways.",
    "My experience has been almost the opposite.",
    "Can you say more about where that number comes from?",
    "I agree with most of this, with one reservation.",
    "We had the same debate in my town last year, and it ended well.",
    "This deserves a thread of its own.",
    "The details matter here more than the headline.",
    "I changed my mind on this after reading the whole report.",
    "Thanks, that is the most useful reply so far.",
    "Respectfully, I don't think that follows.",
];

/// Counts of what a seeding run created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub authors: usize,
    pub threads: usize,
    pub posts: usize,
}

fn paragraph(rng: &mut StdRng) -> String {
    let count = rng.gen_range(1..=4);
    let mut text = String::new();
    for i in 0..count {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(SENTENCES.choose(rng).copied().unwrap_or("Indeed."));
    }
    if rng.gen_bool(0.2) {
        text.push_str("\n\n> quoted for emphasis\n\n**Exactly.**");
    }
    text
}

/// Fills the database with `threads` threads of `replies` replies each. Demo authors are
/// created on the first run with the password `demo-password`.
pub async fn seed_demo<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    threads: usize,
    replies: usize,
    seed: u64,
) -> CoreResult<Seeded> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seeded = Seeded::default();
    let forums = forums::index(db).await?;
    if forums.is_empty() {
        return Err(CoreError::invalid(
            "forums",
            "create forums before seeding demo content",
        ));
    }
    // One hash for every demo author: hashing is the slow part of creating members.
    let hash = accounts::hash_password("demo-password").await?;
    let mut authors = Vec::with_capacity(AUTHORS.len());
    for name in AUTHORS {
        let user = match users::by_name(db, name).await? {
            Some(user) => user,
            None => {
                seeded.authors += 1;
                let keys = crate::keys::generate().await?;
                users::insert_local(
                    db,
                    users::NewLocalUser {
                        name,
                        password_hash: &hash,
                        is_admin: false,
                        public_key: &keys.public_pem,
                        private_key: &keys.private_pem,
                        now: chrono::Utc::now(),
                    },
                )
                .await?
            }
        };
        authors.push(Actor::from(&user));
    }
    for _ in 0..threads {
        let forum = &forums[rng.gen_range(0..forums.len())];
        let author = &authors[rng.gen_range(0..authors.len())];
        let title = format!(
            "{} {}",
            OPENERS.choose(&mut rng).copied().unwrap_or("About"),
            TOPICS.choose(&mut rng).copied().unwrap_or("this")
        );
        // One transaction per thread: the services nest inside it as savepoints, which keeps a
        // large seeding run fast without holding one giant transaction.
        let txn = stoa_db::begin_write(db).await?;
        let created =
            posts::create_thread(&txn, author, &forum.slug, &title, &paragraph(&mut rng)).await?;
        let mut post_ids = vec![created.post_id];
        for _ in 0..replies {
            let author = &authors[rng.gen_range(0..authors.len())];
            // Half the replies answer the newest post (deep chains), the rest any earlier post
            // (wide trees).
            let parent = if rng.gen_bool(0.5) {
                post_ids[post_ids.len() - 1]
            } else {
                post_ids[rng.gen_range(0..post_ids.len())]
            };
            let reply = crate::replies::reply(
                &txn,
                author,
                created.thread_id,
                parent,
                &paragraph(&mut rng),
            )
            .await?;
            post_ids.push(reply.post_id);
        }
        txn.commit().await?;
        seeded.threads += 1;
        seeded.posts += post_ids.len();
    }
    Ok(seeded)
}
