//! `/`: images scanned, findings by severity (an SVG bar chart drawn here, so the page needs no
//! chart library), the CVEs that affect the most images, the most vulnerable images, the last
//! runs.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use plimsoll_store::{ImageFilter, ImageOrder, ImageSort, Order, PageRequest, RunSort};

use crate::state::AppState;
use crate::ui::UiResult;
use crate::ui::session::Viewer;
use crate::ui::view::{Counts, ImageRow, Nav, when};

/// How many rows each "top" table shows.
const TOP: u64 = 10;

/// Width in the SVG's units of the longest bar.
const BAR_SPACE: u64 = 420;

/// One bar of the severity chart, laid out here.
pub(crate) struct Bar {
    pub(crate) label: &'static str,
    pub(crate) class: &'static str,
    pub(crate) count: u64,
    pub(crate) width: u64,
    pub(crate) y: u64,
    pub(crate) text_y: u64,
    pub(crate) text_x: u64,
}

/// Bars of `counts`, most severe first, scaled to the largest.
pub(crate) fn bars(counts: &Counts) -> Vec<Bar> {
    let values = [
        ("Critical", "critical", counts.critical),
        ("High", "high", counts.high),
        ("Medium", "medium", counts.medium),
        ("Low", "low", counts.low),
        ("Unknown", "unknown", counts.unknown),
    ];
    let max = values.iter().map(|v| v.2).max().unwrap_or(0).max(1);
    (0_u64..)
        .zip(values)
        .map(|(i, (label, class, count))| {
            // A non-zero count always gets a visible sliver.
            let width = if count == 0 {
                0
            } else {
                (count * BAR_SPACE / max).max(2)
            };
            Bar {
                label,
                class,
                count,
                width,
                y: i * 36 + 4,
                text_y: i * 36 + 24,
                text_x: 96 + width + 8,
            }
        })
        .collect()
}

pub(crate) struct RunLine {
    pub(crate) id: i64,
    pub(crate) description: String,
    pub(crate) status: &'static str,
    pub(crate) started: String,
    pub(crate) finished: String,
    pub(crate) total: u64,
    pub(crate) success: u64,
    pub(crate) failed: u64,
    pub(crate) skipped: u64,
}

pub(crate) struct TopVulnerability {
    pub(crate) id: String,
    pub(crate) images: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    nav: Nav,
    images: u64,
    scanned: u64,
    counts: Counts,
    bars: Vec<Bar>,
    top_cves: Vec<TopVulnerability>,
    top_images: Vec<ImageRow>,
    runs: Vec<RunLine>,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
) -> UiResult<DashboardPage> {
    let store = &state.store;
    let totals = store.image_totals().await?;
    let counts = Counts::from(&totals.counts);
    let top_cves = store
        .top_vulnerabilities("CVE-", TOP)
        .await?
        .into_iter()
        .map(|v| TopVulnerability {
            id: v.id,
            images: v.images,
        })
        .collect();
    let worst = store
        .images(
            &ImageFilter::default(),
            ImageOrder {
                sort: ImageSort::Critical,
                order: Order::Desc,
                page: PageRequest {
                    offset: 0,
                    limit: TOP * 3,
                },
            },
        )
        .await?;
    // Worst first by every severity, not by critical alone: a page sorted by critical count,
    // re-sorted here by the whole tuple.
    let mut top_images: Vec<ImageRow> = worst
        .items
        .into_iter()
        .map(ImageRow::from)
        .filter(|r| r.counts.total() > 0)
        .collect();
    top_images.sort_by_key(|r| {
        std::cmp::Reverse((
            r.counts.critical,
            r.counts.high,
            r.counts.medium,
            r.counts.low,
        ))
    });
    top_images.truncate(usize::try_from(TOP).unwrap_or(10));
    let runs = store
        .runs_page(
            RunSort::Id,
            Order::Desc,
            PageRequest {
                offset: 0,
                limit: 5,
            },
        )
        .await?
        .items
        .into_iter()
        .map(|r| RunLine {
            id: r.id.get(),
            description: r.description,
            status: r.status.as_str(),
            started: when(r.started_at),
            finished: r.finished_at.map(when).unwrap_or_default(),
            total: r.totals.total,
            success: r.totals.success,
            failed: r.totals.failed,
            skipped: r.totals.skipped,
        })
        .collect();
    Ok(DashboardPage {
        nav: Nav::new(&viewer, "dashboard"),
        images: totals.images,
        scanned: totals.scanned,
        bars: bars(&counts),
        counts,
        top_cves,
        top_images,
        runs,
    })
}
