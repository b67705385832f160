//! Times as members read them: absolute ("2026-11-26 19:34 UTC") and relative ("3 hrs ago").

use chrono::{DateTime, Utc};

pub fn absolute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn machine(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0);
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one} ago")
        } else {
            format!("{n} {many} ago")
        }
    };
    match secs {
        0..=59 => "just now".to_owned(),
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
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now - Duration::minutes(1), now), "1 min ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 hrs ago");
        assert_eq!(relative(now - Duration::days(2), now), "2 days ago");
        assert_eq!(relative(now - Duration::days(800), now), "2 years ago");
    }
}
