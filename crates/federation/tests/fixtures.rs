//! Real payloads from about thirty servers (see `fixtures/INDEX.md`), run through the types Stoa
//! reads them with. Every payload of a type Stoa consumes either parses or is refused for a
//! reason named here; the outcomes are compared with `fixtures-expected.tsv`, so a change in
//! what Stoa accepts shows up as a diff. `STOA_UPDATE_FIXTURES=1` rewrites that file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stoa_federation::inbox::{InboxActivity, Post};
use stoa_federation::remote::ActorDocument;

const CONSUMED: &[&str] = &[
    "Person", "Group", "Page", "Article", "Note", "Create", "Update", "Delete", "Announce",
    "Follow", "Accept", "Undo", "Like", "Dislike", "Flag", "Lock", "Block", "Add", "Remove",
    "Resolve", "Warn",
];

/// What a forum's moderators do reaches a follower only inside the forum's `Announce`
/// (FEP-1b12): such payloads, and their `Undo`, are read as the forum would re-broadcast them.
const ANNOUNCED_ONLY: &[&str] = &["Lock", "Block", "Add", "Remove", "Resolve", "Warn"];

/// A payload as its forum re-broadcasts it: `parsed in an Announce: …` or why not.
fn as_announced(value: &Value) -> String {
    let wrapped = serde_json::json!({
        "type": "Announce",
        "id": "https://enterprise.lemmy.ml/activities/announce/fixture",
        "actor": "https://enterprise.lemmy.ml/c/main",
        "object": value,
    });
    match serde_json::from_value::<stoa_federation::inbox::Announce>(wrapped) {
        Ok(announce) => match announce.describe() {
            Ok(inner) => format!("parsed in an Announce: {inner}"),
            Err(why) => format!("refused: {why}"),
        },
        Err(e) => format!("refused: {}", short(&e)),
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn kind(value: &Value) -> String {
    match &value["type"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

fn short(err: &serde_json::Error) -> String {
    let text = err.to_string();
    text.split(" at line").next().unwrap_or(&text).to_owned()
}

/// What Stoa makes of one payload: `parsed …` or `refused: why`.
fn outcome(value: &Value) -> String {
    let kind = kind(value);
    let inner = kind_of(&value["object"]);
    if ANNOUNCED_ONLY.contains(&kind.as_str())
        || (kind == "Undo"
            && matches!(inner.as_str(), "Lock" | "Block")
            && serde_json::from_value::<InboxActivity>(value.clone()).is_err())
    {
        return as_announced(value);
    }
    match kind.as_str() {
        "Person" | "Group" => match serde_json::from_value::<ActorDocument>(value.clone()) {
            Ok(_) => format!("parsed {kind}"),
            Err(e) => format!("refused: {kind} without what Stoa needs ({})", short(&e)),
        },
        "Page" | "Article" | "Note" => match serde_json::from_value::<Post>(value.clone()) {
            Ok(_) => format!("parsed {kind}"),
            Err(e) => format!("refused: {}", short(&e)),
        },
        "Announce" => match serde_json::from_value::<InboxActivity>(value.clone()) {
            Ok(InboxActivity::Announce(announce)) => match announce.describe() {
                Ok(inner) => format!("parsed Announce{{{inner}}}"),
                Err(why) => format!("refused: {why}"),
            },
            Ok(other) => format!("parsed {}", variant(&other)),
            Err(_) => format!(
                "refused: malformed Announce ({})",
                serde_json::from_value::<stoa_federation::inbox::Announce>(value.clone())
                    .err()
                    .map(|e| short(&e))
                    .unwrap_or_default()
            ),
        },
        "Accept" | "Create" | "Update" | "Delete" | "Follow" | "Undo" | "Like" | "Dislike"
        | "Flag" => match serde_json::from_value::<InboxActivity>(value.clone()) {
            Ok(parsed) => format!("parsed {}", variant(&parsed)),
            Err(_) => match (kind.as_str(), inner.as_str()) {
                ("Undo", inner) if !matches!(inner, "Follow" | "Like" | "Dislike") => {
                    format!("refused: Undo{{{inner}}} is not handled")
                }
                ("Create" | "Update", inner) if !matches!(inner, "Note" | "Page" | "Article") => {
                    format!("refused: {kind}{{{inner}}} is not a post Stoa shows")
                }
                _ => format!(
                    "refused: malformed {kind}{{{inner}}} ({})",
                    precise_error(&kind, value)
                ),
            },
        },
        _ => unreachable!("only consumed types are classified"),
    }
}

/// Why the activity's own type does not parse (the untagged enum only says "no variant").
fn precise_error(kind: &str, value: &Value) -> String {
    use stoa_federation::inbox::{CreatePost, DeletePost, Follow, UndoFollow, UpdatePost};
    let value = value.clone();
    let err = match kind {
        "Create" => serde_json::from_value::<CreatePost>(value).err(),
        "Update" => serde_json::from_value::<UpdatePost>(value).err(),
        "Delete" => serde_json::from_value::<DeletePost>(value).err(),
        "Follow" => serde_json::from_value::<Follow>(value).err(),
        "Like" => serde_json::from_value::<stoa_federation::inbox::LikePost>(value).err(),
        "Accept" => serde_json::from_value::<stoa_federation::inbox::FollowAnswer>(value).err(),
        "Flag" => serde_json::from_value::<stoa_federation::inbox::FlagPost>(value).err(),
        _ => serde_json::from_value::<UndoFollow>(value).err(),
    };
    err.map(|e| short(&e)).unwrap_or_default()
}

fn kind_of(value: &Value) -> String {
    match value {
        Value::String(_) => "link".into(),
        Value::Object(_) => kind(value),
        _ => "nothing".into(),
    }
}

fn variant(activity: &InboxActivity) -> &'static str {
    match activity {
        InboxActivity::Follow(_) => "Follow",
        InboxActivity::UndoFollow(_) => "Undo{Follow}",
        InboxActivity::CreatePost(_) => "Create{post}",
        InboxActivity::UpdatePost(_) => "Update{post}",
        InboxActivity::UpdateActor(_) => "Update{actor}",
        InboxActivity::DeletePost(_) => "Delete",
        InboxActivity::Like(_) => "Like",
        InboxActivity::UndoLike(_) => "Undo{Like}",
        InboxActivity::Dislike(_) => "Dislike (left alone)",
        InboxActivity::UndoDislike(_) => "Undo{Dislike} (left alone)",
        InboxActivity::FollowAnswer(_) => "Accept/Reject{Follow}",
        InboxActivity::Announce(_) => "Announce",
        InboxActivity::Flag(_) => "Flag",
    }
}

#[test]
fn every_consumed_payload_parses_or_is_refused_for_a_named_reason() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    assert!(
        paths.len() >= 400,
        "the corpus is there ({} files)",
        paths.len()
    );
    let mut outcomes = BTreeMap::new();
    let mut tally: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if !CONSUMED.contains(&kind(&value).as_str()) {
            continue;
        }
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let server = relative.split('/').next().unwrap_or_default().to_owned();
        let result = outcome(&value);
        let entry = tally.entry(server).or_default();
        if result.starts_with("parsed") {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        outcomes.insert(relative, result);
    }
    let actual: String = outcomes
        .iter()
        .map(|(path, result)| format!("{path}\t{result}\n"))
        .collect();
    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-expected.tsv");
    println!("server\tparsed\trefused");
    for (server, (parsed, refused)) in &tally {
        println!("{server}\t{parsed}\t{refused}");
    }
    if std::env::var_os("STOA_UPDATE_FIXTURES").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    if expected != actual {
        for (e, a) in expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(20)
        {
            eprintln!("expected: {e}\n  actual: {a}");
        }
        panic!(
            "outcomes differ from tests/fixtures-expected.tsv (STOA_UPDATE_FIXTURES=1 to accept)"
        );
    }
}
