//! When a registry is scanned: a cron expression (croner; an optional leading seconds field)
//! in UTC, a fixed offset or a named zone of the IANA database, or an interval from 5 minutes
//! to 7 days.
//!
//! Named zones (`Europe/Paris`) come from chrono-tz, which compiles the IANA database into the
//! binary, so a zone means the same on every machine whatever its `/usr/share/zoneinfo`.
//! Summer-time changes are croner's: a fixed-time job (`30 2 * * *`) whose time is skipped by
//! the clock going forward runs at the first instant after the gap, and one whose time occurs
//! twice when the clock goes back runs once, at the first; a wildcard or step job (`*/15 * * *
//! *`) skips the times in a gap and runs at each repeated time of an overlap.

use std::fmt::Write as _;
use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use croner::Cron;
use time::OffsetDateTime;

use plimsoll_worker::RegistryConfig;

/// The default schedule: Saturday at 06:00.
pub const DEFAULT_SCHEDULE: &str = "0 6 * * 6";
/// The shortest `interval`.
pub const MIN_INTERVAL: Duration = Duration::from_mins(5);
/// The longest `interval`.
pub const MAX_INTERVAL: Duration = Duration::from_hours(7 * 24);

/// A registry's schedule, validated.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// A cron expression evaluated in a time zone.
    Cron {
        /// The expression as written.
        expression: String,
        /// Parsed.
        cron: Box<Cron>,
        /// The zone its fields are read in.
        zone: Zone,
    },
    /// Every this long.
    Interval(Duration),
}

/// The time zone a cron expression is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// UTC or a fixed offset from it (UTC: zero).
    Fixed(FixedOffset),
    /// A zone of the IANA database, summer time included.
    Named(Tz),
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Fixed(offset) if offset.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(offset) => write!(f, "UTC{offset}"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
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
        let zone = match timezone {
            Some(tz) => parse_zone(tz)?,
            None => Zone::Fixed(utc()),
        };
        Ok(Schedule::Cron {
            expression: expression.to_owned(),
            cron: Box::new(cron),
            zone,
        })
    }

    /// The schedule of a configured registry; the message names the registry and the key.
    pub fn of_registry(registry: &RegistryConfig) -> Result<Schedule, ScheduleError> {
        Schedule::from_keys(
            registry.schedule.as_deref(),
            registry.timezone.as_deref(),
            registry.interval.as_deref(),
        )
        .map_err(|e| ScheduleError(format!("registry `{}`: {e}", registry.display_name())))
    }

    /// The first time strictly after `after` at which a run is due; `None` if the expression
    /// never matches again.
    pub fn next_after(&self, after: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Schedule::Interval(every) => Some(after + *every),
            Schedule::Cron { cron, zone, .. } => {
                let start = DateTime::from_timestamp(after.unix_timestamp(), after.nanosecond())?;
                let next = match zone {
                    Zone::Fixed(offset) => cron
                        .find_next_occurrence(&start.with_timezone(offset), false)
                        .ok()?
                        .timestamp(),
                    Zone::Named(tz) => cron
                        .find_next_occurrence(&start.with_timezone(tz), false)
                        .ok()?
                        .timestamp(),
                };
                OffsetDateTime::from_unix_timestamp(next).ok()
            }
        }
    }

    /// For people and the API: `cron 0 6 * * 6 (UTC)` or `every 6h`.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Cron {
                expression, zone, ..
            } => format!("cron {expression} ({zone})"),
            Schedule::Interval(every) => format!("every {}", format_interval(*every)),
        }
    }
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"))
}

/// `UTC`, `Z`, an offset `+HH:MM`, `+HHMM`, `+HH` (also after `UTC`: `UTC+02:00`), or a
/// name of the IANA database (`Europe/Paris`, exactly as the database spells it).
fn parse_zone(text: &str) -> Result<Zone, ScheduleError> {
    let t = text.trim();
    let looks_fixed = t.is_empty()
        || t.starts_with(['+', '-'])
        || ["UTC", "utc", "Z", "z"].iter().any(|p| {
            t.strip_prefix(p)
                .is_some_and(|r| r.is_empty() || r.starts_with(['+', '-']))
        });
    if looks_fixed {
        return parse_offset(t).map(Zone::Fixed);
    }
    t.parse::<Tz>().map(Zone::Named).map_err(|_| {
        ScheduleError(format!(
            "timezone `{text}`: neither a fixed offset such as +02:00 nor a time-zone name of \
             the IANA database such as Europe/Paris (names are case-sensitive)"
        ))
    })
}

/// `UTC`, `Z`, or an offset `+HH:MM`, `+HHMM`, `+HH` (also after `UTC`: `UTC+02:00`).
fn parse_offset(text: &str) -> Result<FixedOffset, ScheduleError> {
    let refuse = || {
        ScheduleError(format!(
            "timezone `{text}`: a fixed offset is written +HH:MM, +HHMM or +HH, from -14:00 to \
             +14:00"
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
        for bad in ["Europe/Pariss", "europe/paris", "Mars/Olympus_Mons", "CEST"] {
            let tz = e(None, Some(bad), None);
            assert!(
                tz.starts_with(&format!("timezone `{bad}`")) && tz.contains("IANA"),
                "{tz}"
            );
        }
        assert!(e(None, Some("+25:00"), None).contains("timezone `+25:00`"));
        assert!(e(None, Some("UTC+2:0"), None).contains("timezone `UTC+2:0`"));
    }

    #[test]
    fn a_registry_schedule_error_names_the_registry_and_the_key() {
        let mut r = RegistryConfig::new("http://127.0.0.1:5000");
        r.name = Some("lab".into());
        r.timezone = Some("Europe/Pariss".into());
        let e = Schedule::of_registry(&r).unwrap_err().to_string();
        assert!(
            e.starts_with("registry `lab`: timezone `Europe/Pariss`"),
            "{e}"
        );
        r.timezone = Some("America/New_York".into());
        let s = Schedule::of_registry(&r).unwrap();
        assert_eq!(s.describe(), "cron 0 6 * * 6 (America/New_York)");
    }

    /// `(after, next)` pairs of a schedule, checked in turn. The offsets are the real ones:
    /// Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST), switching on the last Sundays
    /// of March (02:00 → 03:00) and October (03:00 → 02:00); New York is UTC-5 (EST) and UTC-4
    /// (EDT), switching on the second Sunday of March and the first Sunday of November at 02:00.
    fn check(schedule: &str, zone: &str, steps: &[(OffsetDateTime, OffsetDateTime)]) {
        let s = Schedule::from_keys(Some(schedule), Some(zone), None).unwrap();
        for (after, expected) in steps {
            assert_eq!(
                s.next_after(*after).unwrap(),
                *expected,
                "{schedule} in {zone} after {after}"
            );
        }
    }

    #[test]
    fn named_zones_follow_summer_time_in_europe_paris() {
        // 06:00 every day, across 2026-03-29 (CET → CEST) and 2026-10-25 (CEST → CET).
        check(
            "0 6 * * *",
            "Europe/Paris",
            &[
                (
                    datetime!(2026-03-27 12:00 UTC),
                    datetime!(2026-03-28 05:00 UTC),
                ),
                (
                    datetime!(2026-03-28 05:00 UTC),
                    datetime!(2026-03-29 04:00 UTC),
                ),
                (
                    datetime!(2026-10-24 04:00 UTC),
                    datetime!(2026-10-25 05:00 UTC),
                ),
            ],
        );
        // 02:30 does not exist on 2026-03-29: the run is at the first instant after the gap,
        // 03:00 CEST.
        check(
            "30 2 * * *",
            "Europe/Paris",
            &[
                (
                    datetime!(2026-03-28 12:00 UTC),
                    datetime!(2026-03-29 01:00 UTC),
                ),
                (
                    datetime!(2026-03-29 01:00 UTC),
                    datetime!(2026-03-30 00:30 UTC),
                ),
            ],
        );
        // 02:30 happens twice on 2026-10-25 (CEST, then CET): one run, at the first.
        check(
            "30 2 * * *",
            "Europe/Paris",
            &[
                (
                    datetime!(2026-10-24 12:00 UTC),
                    datetime!(2026-10-25 00:30 UTC),
                ),
                (
                    datetime!(2026-10-25 00:30 UTC),
                    datetime!(2026-10-26 01:30 UTC),
                ),
            ],
        );
    }

    #[test]
    fn named_zones_follow_summer_time_in_america_new_york() {
        // 09:00 on weekdays across 2026-03-08 (EST → EDT): Friday 6th at 14:00 UTC, Monday
        // 9th at 13:00 UTC.
        check(
            "0 9 * * MON-FRI",
            "America/New_York",
            &[
                (
                    datetime!(2026-03-06 12:00 UTC),
                    datetime!(2026-03-06 14:00 UTC),
                ),
                (
                    datetime!(2026-03-06 14:00 UTC),
                    datetime!(2026-03-09 13:00 UTC),
                ),
            ],
        );
        // 01:30 happens twice on 2026-11-01 (EDT, then EST): one run at the first; the day
        // after, 01:30 EST.
        check(
            "30 1 * * *",
            "America/New_York",
            &[
                (
                    datetime!(2026-10-31 12:00 UTC),
                    datetime!(2026-11-01 05:30 UTC),
                ),
                (
                    datetime!(2026-11-01 05:30 UTC),
                    datetime!(2026-11-02 06:30 UTC),
                ),
            ],
        );
        // Every 30 minutes: the repeated hour runs twice (01:00, 01:30 EDT, then 01:00, 01:30
        // EST), and the skipped hour of March not at all (01:30 EST, then 03:00 EDT).
        check(
            "*/30 * * * *",
            "America/New_York",
            &[
                (
                    datetime!(2026-11-01 05:00 UTC),
                    datetime!(2026-11-01 05:30 UTC),
                ),
                (
                    datetime!(2026-11-01 05:30 UTC),
                    datetime!(2026-11-01 06:00 UTC),
                ),
                (
                    datetime!(2026-11-01 06:00 UTC),
                    datetime!(2026-11-01 06:30 UTC),
                ),
                (
                    datetime!(2026-03-08 06:30 UTC),
                    datetime!(2026-03-08 07:00 UTC),
                ),
            ],
        );
    }
}
