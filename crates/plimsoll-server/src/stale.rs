//! `image.stale` (`[alerts] stale_after`): a task that looks, now and then, for tags of the
//! configured registries whose last successful scan is older than `stale_after`, and reports
//! each through the notifications once — again only after it has been scanned since and gone
//! stale anew. What was reported is kept in memory: after a restart a still-stale image is
//! reported once more.

use std::collections::HashMap;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use plimsoll_store::{LastScan, Store};
use plimsoll_worker::Alerts;

use crate::schedule::parse_duration;
use crate::vulndb_refresh::ConfigError;

/// The shortest `stale_after`.
pub const MIN_STALE_AFTER: Duration = Duration::from_mins(1);
/// The longest `stale_after`.
pub const MAX_STALE_AFTER: Duration = Duration::from_hours(365 * 24);

/// `[alerts] stale_after`, validated (`None`: unset, no check).
pub fn parse_stale_after(text: Option<&str>) -> Result<Option<Duration>, ConfigError> {
    text.map(|t| {
        parse_duration(t, "alerts.stale_after", MIN_STALE_AFTER, MAX_STALE_AFTER)
            .map_err(|e| ConfigError(e.to_string()))
    })
    .transpose()
}

/// How often the store is asked: a twelfth of `stale_after`, between 5 s and 10 min, so an
/// image is reported at most about 8 % late and the query (one indexed GROUP BY over the tags
/// of the configured registries) stays rare.
fn check_every(stale_after: Duration) -> Duration {
    (stale_after / 12).clamp(Duration::from_secs(5), Duration::from_mins(10))
}

type TagKey = (String, String, String);

/// What was reported: each tag with the last-scan time it was reported for.
#[derive(Debug, Default)]
struct Reported(HashMap<TagKey, OffsetDateTime>);

impl Reported {
    /// Of the tags stale now, those not reported yet for this last scan. Tags no longer stale
    /// (scanned since) are forgotten, so they are reported again if they go stale again.
    fn newly_stale(&mut self, stale: Vec<LastScan>) -> Vec<LastScan> {
        let mut now = HashMap::with_capacity(stale.len());
        let mut new = Vec::new();
        for scan in stale {
            let key = (
                scan.registry.clone(),
                scan.repository.clone(),
                scan.tag.clone(),
            );
            if self.0.get(&key) != Some(&scan.last_scanned) {
                new.push(scan.clone());
            }
            now.insert(key, scan.last_scanned);
        }
        self.0 = now;
        new
    }
}

/// The running check; [`StaleWatch::stop`] ends it.
#[derive(Debug)]
pub struct StaleWatch {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl StaleWatch {
    /// Starts checking the tags of `registries` (hosts, asked at each check: registries come
    /// and go with reloads and the API) every so often (on the current tokio runtime).
    pub fn start(
        store: Store,
        registries: crate::RescanHosts,
        stale_after: Duration,
        alerts: Alerts,
    ) -> StaleWatch {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut reported = Reported::default();
            let every = check_every(stale_after);
            loop {
                let now = OffsetDateTime::now_utc();
                match store.scanned_before(&registries(), now - stale_after).await {
                    Ok(stale) => {
                        let count = stale.len();
                        let new = reported.newly_stale(stale);
                        tracing::debug!(stale = count, new = new.len(), "image.stale check");
                        for scan in new {
                            let hours =
                                u64::try_from((now - scan.last_scanned).whole_hours()).unwrap_or(0);
                            let image = scan.reference();
                            tracing::warn!(%image, hours, "image not scanned for longer than stale_after");
                            alerts.image_stale(&image, scan.last_scanned, hours).await;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot look for stale images"),
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        StaleWatch { stop, task }
    }

    /// Stops checking (a report being sent is abandoned).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.task.abort();
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn scan(tag: &str, at: OffsetDateTime) -> LastScan {
        LastScan {
            registry: "r.example".into(),
            repository: "app".into(),
            tag: tag.into(),
            last_scanned: at,
        }
    }

    #[test]
    fn a_stale_tag_is_reported_once_until_scanned_again() {
        let mut reported = Reported::default();
        let t1 = datetime!(2026-11-20 06:00 UTC);
        let t2 = datetime!(2026-11-24 06:00 UTC);
        let new = reported.newly_stale(vec![scan("1", t1), scan("2", t1)]);
        assert_eq!(new.len(), 2);
        // The same tags, still stale: nothing new.
        assert!(
            reported
                .newly_stale(vec![scan("1", t1), scan("2", t1)])
                .is_empty()
        );
        // `2` was scanned (no longer stale); later it goes stale again with a newer scan.
        assert!(reported.newly_stale(vec![scan("1", t1)]).is_empty());
        let again = reported.newly_stale(vec![scan("1", t1), scan("2", t2)]);
        assert_eq!(again, vec![scan("2", t2)]);
    }

    #[test]
    fn stale_after_is_bounded_and_named_in_errors() {
        assert_eq!(parse_stale_after(None).unwrap(), None);
        assert_eq!(
            parse_stale_after(Some("48h")).unwrap(),
            Some(Duration::from_hours(48))
        );
        assert_eq!(
            parse_stale_after(Some("1m")).unwrap(),
            Some(Duration::from_mins(1))
        );
        for (bad, says) in [
            ("30s", "out of range (1m..=365d)"),
            ("366d", "out of range"),
            ("two days", "number and a unit"),
        ] {
            let e = parse_stale_after(Some(bad)).unwrap_err().to_string();
            assert!(
                e.contains(&format!("alerts.stale_after `{bad}`")) && e.contains(says),
                "{bad}: {e}"
            );
        }
        assert_eq!(check_every(Duration::from_mins(1)), Duration::from_secs(5));
        assert_eq!(
            check_every(Duration::from_hours(48)),
            Duration::from_mins(10)
        );
    }
}
