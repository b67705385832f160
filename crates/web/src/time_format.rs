//! Times as members read them: absolute ("2026-11-26 19:34 UTC") and relative ("3 hrs ago").

use chrono::{DateTime, Datelike, Timelike, Utc};

// Written out by hand rather than with strftime patterns: a thread page formats two times per
// post, and parsing the pattern each time showed up in profiles.

pub fn absolute(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

pub fn machine(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    span((now - at).num_seconds().max(0), "", " ago", "just now")
}

/// A time ahead, as "in 5 mins" ("now" when it has come).
pub fn ahead(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    span((at - now).num_seconds().max(0), "in ", "", "now")
}

fn span(secs: i64, before: &str, after: &str, instant: &str) -> String {
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("{before}1 {one}{after}")
        } else {
            format!("{before}{n} {many}{after}")
        }
    };
    match secs {
        0..=59 => instant.to_owned(),
        60..=3599 => plural(secs / 60, "min", "mins"),
        3600..=86_399 => plural(secs / 3600, "hr", "hrs"),
        86_400..=2_591_999 => plural(secs / 86_400, "day", "days"),
        2_592_000..=31_535_999 => plural(secs / 2_592_000, "month", "months"),
        _ => plural(secs / 31_536_000, "year", "years"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn absolute_and_machine_times() {
        let at = DateTime::parse_from_rfc3339("2026-03-04T05:06:07Z")
            .unwrap()
            .to_utc();
        assert_eq!(absolute(at), "2026-03-04 05:06 UTC");
        assert_eq!(machine(at), "2026-03-04T05:06:07Z");
    }

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 min ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 hrs ago");
        assert_eq!(relative(now - Duration::days(2), now), "2 days ago");
        assert_eq!(relative(now - Duration::days(800), now), "2 years ago");
        assert_eq!(ahead(now + Duration::minutes(5), now), "in 5 mins");
        assert_eq!(ahead(now - Duration::minutes(5), now), "now");
    }
}
