//! Run progress: a bar on a terminal (images done / total, rate, ETA), otherwise a structured
//! log line every few seconds, so a CI log or `kubectl logs` shows the run is alive.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use plimsoll_worker::{Phase, Progress};

/// Seconds between progress log lines when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Progress for the binary's commands.
pub(crate) enum RunProgress {
    /// An `indicatif` bar on stderr.
    Bar(Mutex<Option<ProgressBar>>),
    /// Log lines.
    Lines(Mutex<LineState>),
}

/// What the log-line reporter remembers of the current phase.
pub(crate) struct LineState {
    phase: Option<Phase>,
    total: u64,
    done: AtomicU64,
    started: Instant,
    last_line: Instant,
}

impl RunProgress {
    /// A bar on a terminal (unless logs are JSON), lines otherwise.
    pub(crate) fn for_stderr(json_logs: bool) -> Self {
        if std::io::stderr().is_terminal() && !json_logs {
            RunProgress::Bar(Mutex::new(None))
        } else {
            RunProgress::Lines(Mutex::new(LineState {
                phase: None,
                total: 0,
                done: AtomicU64::new(0),
                started: Instant::now(),
                last_line: Instant::now(),
            }))
        }
    }
}

impl Progress for RunProgress {
    fn start(&self, phase: Phase, total: u64) {
        match self {
            RunProgress::Bar(bar) => {
                let new = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                new.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>18} [{bar:30}] {pos}/{len} {per_sec} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                new.set_prefix(phase.to_string());
                *bar.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(new);
            }
            RunProgress::Lines(state) => {
                let mut state = state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state.phase = Some(phase);
                state.total = total;
                state.done.store(0, Ordering::Relaxed);
                state.started = Instant::now();
                state.last_line = Instant::now();
            }
        }
    }

    fn advance(&self, n: u64) {
        match self {
            RunProgress::Bar(bar) => {
                if let Some(bar) = bar
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .as_ref()
                {
                    bar.inc(n);
                }
            }
            RunProgress::Lines(state) => {
                let mut state = state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let done = state.done.fetch_add(n, Ordering::Relaxed) + n;
                if state.last_line.elapsed() >= LOG_EVERY {
                    state.last_line = Instant::now();
                    let seconds = state.started.elapsed().as_secs_f64().max(1e-3);
                    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                    let rate = done as f64 / seconds;
                    #[allow(clippy::cast_precision_loss)]
                    let eta = if rate > 0.0 {
                        state.total.saturating_sub(done) as f64 / rate
                    } else {
                        0.0
                    };
                    tracing::info!(
                        phase = %state.phase.map_or_else(String::new, |p| p.to_string()),
                        done,
                        total = state.total,
                        rate_per_s = format!("{rate:.1}"),
                        eta_s = format!("{eta:.0}"),
                        "progress"
                    );
                }
            }
        }
    }

    fn finish(&self) {
        if let RunProgress::Bar(bar) = self
            && let Some(bar) = bar
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        {
            bar.finish_and_clear();
        }
    }
}
