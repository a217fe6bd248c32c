//! When a registry is scanned: a cron expression (croner; an optional leading seconds field)
//! in UTC or a fixed offset, or an interval from 5 minutes to 7 days.
//!
//! Time zones are UTC and fixed offsets (`+02:00`) only: no time-zone database crate is in
//! the tree, and a named zone (`Europe/Paris`) is refused rather than guessed.

use std::fmt::Write as _;
use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use croner::Cron;
use time::OffsetDateTime;

/// The default schedule: Saturday at 06:00.
pub const DEFAULT_SCHEDULE: &str = "0 6 * * 6";
/// The shortest `interval`.
pub const MIN_INTERVAL: Duration = Duration::from_mins(5);
/// The longest `interval`.
pub const MAX_INTERVAL: Duration = Duration::from_hours(7 * 24);

/// A registry's schedule, validated.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// A cron expression evaluated at a fixed offset from UTC.
    Cron {
        /// The expression as written.
        expression: String,
        /// Parsed.
        cron: Box<Cron>,
        /// The offset its fields are read in (UTC: zero).
        offset: FixedOffset,
    },
    /// Every this long.
    Interval(Duration),
}

/// A scheduling key that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(String);

impl Schedule {
    /// The schedule from a registry's `schedule`, `timezone` and `interval` keys.
    pub fn from_keys(
        schedule: Option<&str>,
        timezone: Option<&str>,
        interval: Option<&str>,
    ) -> Result<Schedule, ScheduleError> {
        if let Some(interval) = interval {
            if schedule.is_some() {
                return Err(ScheduleError(
                    "set either schedule or interval, not both".into(),
                ));
            }
            if timezone.is_some() {
                return Err(ScheduleError(
                    "timezone applies to schedule only, not to interval".into(),
                ));
            }
            return parse_interval(interval).map(Schedule::Interval);
        }
        let expression = schedule.unwrap_or(DEFAULT_SCHEDULE).trim();
        let cron = Cron::from_str(expression)
            .map_err(|e| ScheduleError(format!("schedule `{expression}`: {e}")))?;
        let offset = match timezone {
            Some(tz) => parse_offset(tz)?,
            None => utc(),
        };
        Ok(Schedule::Cron {
            expression: expression.to_owned(),
            cron: Box::new(cron),
            offset,
        })
    }

    /// The first time strictly after `after` at which a run is due; `None` if the expression
    /// never matches again.
    pub fn next_after(&self, after: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Schedule::Interval(every) => Some(after + *every),
            Schedule::Cron { cron, offset, .. } => {
                let start = DateTime::from_timestamp(after.unix_timestamp(), after.nanosecond())?
                    .with_timezone(offset);
                let next = cron.find_next_occurrence(&start, false).ok()?;
                OffsetDateTime::from_unix_timestamp(next.timestamp()).ok()
            }
        }
    }

    /// For people and the API: `cron 0 6 * * 6 (UTC)` or `every 6h`.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Cron {
                expression, offset, ..
            } => {
                if offset.local_minus_utc() == 0 {
                    format!("cron {expression} (UTC)")
                } else {
                    format!("cron {expression} (UTC{offset})")
                }
            }
            Schedule::Interval(every) => format!("every {}", format_interval(*every)),
        }
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"))
}

/// `UTC`, `Z`, or an offset `+HH:MM`, `+HHMM`, `+HH` (also after `UTC`: `UTC+02:00`).
fn parse_offset(text: &str) -> Result<FixedOffset, ScheduleError> {
    let refuse = || {
        ScheduleError(format!(
            "timezone `{text}`: only UTC and fixed offsets such as +02:00 are supported (no \
             time-zone database in this build)"
        ))
    };
    let t = text.trim();
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("utc"))
        .unwrap_or(t);
    if t.is_empty() || t == "Z" || t == "z" {
        return Ok(utc());
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(refuse()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return Err(refuse());
    }
    let hours: i32 = digits[..2].parse().map_err(|_| refuse())?;
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().map_err(|_| refuse())?
    } else {
        0
    };
    if hours > 14 || minutes > 59 {
        return Err(refuse());
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(refuse)
}

/// `30m`, `6h`, `7d`, `1h30m` (units `s`, `m`, `h`, `d`), from 5 minutes to 7 days.
fn parse_interval(text: &str) -> Result<Duration, ScheduleError> {
    parse_duration(text, "interval", MIN_INTERVAL, MAX_INTERVAL)
}

/// A duration written like an `interval`, within `min..=max`; errors name `key`.
pub(crate) fn parse_duration(
    text: &str,
    key: &str,
    min: Duration,
    max: Duration,
) -> Result<Duration, ScheduleError> {
    let refuse = |why: &str| ScheduleError(format!("{key} `{text}`: {why}"));
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut groups = 0;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(refuse(
                    "write a number and a unit (s, m, h, d), like 30m or 6h",
                ));
            }
        };
        let n: u64 = number
            .parse()
            .map_err(|_| refuse("a unit needs a number before it, like 30m or 6h"))?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| refuse("too long"))?;
        groups += 1;
    }
    if !number.is_empty() || groups == 0 {
        return Err(refuse(
            "write a number and a unit (s, m, h, d), like 30m or 6h",
        ));
    }
    let every = Duration::from_secs(total);
    if every < min || every > max {
        return Err(refuse(&format!(
            "out of range ({}..={})",
            format_interval(min),
            format_interval(max)
        )));
    }
    Ok(every)
}

pub(crate) fn format_interval(every: Duration) -> String {
    let mut secs = every.as_secs();
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            let _ = write!(text, "{}{unit}", secs / size);
            secs %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_default_is_saturday_at_six_utc() {
        let s = Schedule::from_keys(None, None, None).unwrap();
        assert_eq!(s.describe(), "cron 0 6 * * 6 (UTC)");
        // 2026-11-26 is a Thursday.
        let next = s.next_after(datetime!(2026-11-26 18:00 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-11-28 06:00 UTC));
        // Strictly after: at 06:00 exactly, the next one is a week later.
        let next = s.next_after(datetime!(2026-11-28 06:00 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-12-05 06:00 UTC));
    }

    #[test]
    fn a_seconds_field_and_a_fixed_offset_are_honoured() {
        let s = Schedule::from_keys(Some("*/3 * * * * *"), None, None).unwrap();
        let next = s.next_after(datetime!(2026-11-26 18:00:01.5 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-11-26 18:00:03 UTC));
        let s = Schedule::from_keys(Some("0 6 * * 6"), Some("+02:00"), None).unwrap();
        assert_eq!(s.describe(), "cron 0 6 * * 6 (UTC+02:00)");
        let next = s.next_after(datetime!(2026-11-26 18:00 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-11-28 04:00 UTC));
        let s = Schedule::from_keys(None, Some("UTC-0530"), None).unwrap();
        let next = s.next_after(datetime!(2026-11-26 18:00 UTC)).unwrap();
        assert_eq!(next, datetime!(2026-11-28 11:30 UTC));
    }

    #[test]
    fn intervals_are_parsed_and_bounded() {
        let s = Schedule::from_keys(None, None, Some("1h30m")).unwrap();
        assert_eq!(s.describe(), "every 1h30m");
        assert_eq!(
            s.next_after(datetime!(2026-11-26 18:00 UTC)).unwrap(),
            datetime!(2026-11-26 19:30 UTC)
        );
        for ok in ["5m", "6h", "7d", "300s"] {
            Schedule::from_keys(None, None, Some(ok)).unwrap();
        }
        for (bad, says) in [
            ("4m", "out of range"),
            ("8d", "out of range"),
            ("7d1s", "out of range"),
            ("30", "number and a unit"),
            ("m", "needs a number"),
            ("6 hours", "number and a unit"),
            ("", "number and a unit"),
        ] {
            let e = Schedule::from_keys(None, None, Some(bad))
                .unwrap_err()
                .to_string();
            assert!(e.contains("interval") && e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn mistakes_are_refused_naming_the_key() {
        let e = |s: Option<&str>, tz: Option<&str>, i: Option<&str>| {
            Schedule::from_keys(s, tz, i).unwrap_err().to_string()
        };
        assert!(e(Some("0 6 * *"), None, None).contains("schedule `0 6 * *`"));
        assert!(e(Some("61 * * * *"), None, None).contains("schedule"));
        assert!(e(Some("0 6 * * 6"), None, Some("6h")).contains("not both"));
        assert!(e(None, Some("+02:00"), Some("6h")).contains("timezone"));
        let tz = e(None, Some("Europe/Paris"), None);
        assert!(
            tz.contains("Europe/Paris") && tz.contains("fixed offsets"),
            "{tz}"
        );
        assert!(e(None, Some("+25:00"), None).contains("timezone"));
    }
}
