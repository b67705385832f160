//! Many rows read as one: the database builds them into one JSON array, read back with serde.
//! Each database writes a stored value its own way there: SQLite gives a time as the text it
//! stored and a flag as 0 or 1, PostgreSQL an ISO 8601 time and `true` or `false`.

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};

/// Runs `select` and returns its rows, handed over as one: a JSON array of objects, one key for
/// each of `T`'s fields, which the select must name as its columns. In no particular order.
///
/// SQLite's driver runs each connection on a thread of its own and hands every row of a result
/// to the reader on its own; for a result of hundreds of rows those hand-offs cost more than the
/// query. Each time is read back as either database writes it (see [`time`]).
pub(crate) async fn fetch_as_one_row<T: DeserializeOwned, C: ConnectionTrait>(
    db: &C,
    select: SelectStatement,
) -> Result<Vec<T>, DbErr> {
    let fields = field_names::<T>()?;
    let backend = db.get_database_backend();
    let (gather, object) = match backend {
        DbBackend::Postgres => ("json_agg", "json_build_object"),
        _ => ("json_group_array", "json_object"),
    };
    let row = Alias::new("r");
    let pairs = Func::cust(Alias::new(object)).args(fields.iter().flat_map(|field| {
        // The names are the callers' constants, so written into the text, not bound.
        [
            Expr::cust(format!("'{field}'")),
            Expr::col((row.clone(), Alias::new(*field))),
        ]
    }));
    let outer = Query::select()
        .expr_as(
            Func::cast_as(
                Func::cust(Alias::new(gather)).arg(pairs),
                Alias::new("text"),
            ),
            Alias::new("rows"),
        )
        .from_subquery(select, row)
        .to_owned();
    let Some(found) = db.query_one_raw(backend.build(&outer)).await? else {
        return Ok(Vec::new());
    };
    // No rows: SQLite answers an empty array, PostgreSQL nothing.
    let Some(text) = found.try_get::<Option<String>>("", "rows")? else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&text).map_err(|err| DbErr::Type(format!("rows read back: {err}")))
}

/// The names of `T`'s fields, as serde's derive lists them: the struct is the one list, so a
/// field cannot be left out of the object the database builds (a missing `Option` would read
/// as `None`), and a column the select does not name is an error from the database.
fn field_names<T: DeserializeOwned>() -> Result<&'static [&'static str], DbErr> {
    use serde::de::Visitor;
    use serde::de::value::Error as Refused;

    /// Asked for a struct, it keeps the field names it is given and reads nothing.
    struct Names<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Names<'_> {
        type Error = Refused;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Refused> {
            Err(Refused::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Refused> {
            *self.0 = fields;
            Err(Refused::custom("names taken"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut fields));
    if fields.is_empty() {
        return Err(DbErr::Type(
            "rows read as one need a struct with named fields".into(),
        ));
    }
    Ok(fields)
}

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
    use super::{field_names, parse_time};

    #[test]
    fn the_fields_asked_for_are_the_structs() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Two {
            first: i64,
            second: Option<String>,
        }
        assert_eq!(field_names::<Two>().unwrap(), ["first", "second"]);
        assert!(field_names::<i64>().is_err(), "a number has no fields");
    }

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
