//! One thread that owns the vulnerability database and a warm [`Matcher`]: every image of a
//! run (and every stored inventory of a re-match) is matched there, so each advisory is
//! prepared once per run, and the async workers never block on matching.

use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use plimsoll_matcher::{MatchOutcome, Matcher};
use plimsoll_types::ImageInventory;
use plimsoll_vulndb::VulnDb;

use crate::{Error, Result};

type Request = (
    ImageInventory,
    oneshot::Sender<(ImageInventory, plimsoll_matcher::Result<MatchOutcome>)>,
);

/// A handle to the matching thread; dropping every clone ends it.
#[derive(Clone)]
pub(crate) struct MatchService {
    requests: mpsc::Sender<Request>,
    built_at: Option<String>,
}

impl MatchService {
    /// Starts the thread; it owns `db` until the last handle is gone.
    pub(crate) fn start(db: VulnDb) -> Result<(Self, JoinHandle<()>)> {
        let built_at = db
            .status()
            .built_at
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        let (requests, receiver) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("plimsoll-matcher".into())
            .spawn(move || {
                let mut matcher = Matcher::new(&db);
                for (inventory, reply) in receiver {
                    let outcome = matcher.match_inventory(&inventory);
                    // The asking task may have been cancelled; nothing to do then.
                    let _ = reply.send((inventory, outcome));
                }
            })
            .map_err(|e| Error::Task(format!("cannot start the matching thread: {e}")))?;
        Ok((MatchService { requests, built_at }, thread))
    }

    /// When the database was built (RFC 3339): stored findings made from another build are
    /// stale.
    pub(crate) fn built_at(&self) -> Option<&str> {
        self.built_at.as_deref()
    }

    /// Matches one inventory, handing it back with the outcome.
    pub(crate) async fn match_inventory(
        &self,
        inventory: ImageInventory,
    ) -> Result<(ImageInventory, MatchOutcome)> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((inventory, reply))
            .map_err(|_| Error::Task("the matching thread has stopped".into()))?;
        let (inventory, outcome) = answer
            .await
            .map_err(|_| Error::Task("the matching thread dropped a request".into()))?;
        Ok((inventory, outcome?))
    }
}
