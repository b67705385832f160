//! Reading values back from JSON the database built, where each database writes a stored value
//! its own way: SQLite gives a time as the text it stored and a flag as 0 or 1, PostgreSQL an
//! ISO 8601 time and `true` or `false`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// A stored time: with an offset (how times are written), or without one, taken as UTC.
pub(crate) fn time<'de, D: Deserializer<'de>>(from: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <&str>::deserialize(from)?;
    parse_time(text).ok_or_else(|| D::Error::custom(format!("not a time: {text:?}")))
}

/// A stored time, or null.
pub(crate) fn maybe_time<'de, D: Deserializer<'de>>(
    from: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<&str>::deserialize(from)? {
        None => Ok(None),
        Some(text) => parse_time(text)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("not a time: {text:?}"))),
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .map(|at| at.and_utc())
}

/// A flag: `true`/`false`, or 1/0.
pub(crate) fn flag<'de, D: Deserializer<'de>>(from: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(i64),
    }
    match Flag::deserialize(from)? {
        Flag::Bool(flag) => Ok(flag),
        Flag::Number(0) => Ok(false),
        Flag::Number(1) => Ok(true),
        Flag::Number(n) => Err(D::Error::custom(format!("not a flag: {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_are_read_as_either_database_writes_them() {
        let at = "2026-12-07T18:11:04.123456Z".parse().ok();
        for text in [
            "2026-12-07T18:11:04.123456+00:00",
            "2026-12-07T19:11:04.123456+01:00",
            "2026-12-07 18:11:04.123456+00:00",
            "2026-12-07 18:11:04.123456",
        ] {
            assert_eq!(parse_time(text), at, "{text}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }
}
