//! `/registries` (the configured registries with their state, next and last run and a "Scan
//! now" button for admins, and every registry host the store has tags of) and
//! `/registries/{name}` (its repositories).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use plimsoll_store::RegistrySummary;

use crate::error::ApiError;
use crate::scheduler::{RegistryStatus, TriggerError};
use crate::state::AppState;
use crate::ui::login::CsrfForm;
use crate::ui::session::{Viewer, same_origin};
use crate::ui::view::{Counts, Nav, when, when_text};
use crate::ui::{UiError, UiResult};

/// A configured registry, ready to show.
pub(crate) struct Configured {
    pub(crate) name: String,
    pub(crate) host: String,
    pub(crate) url: String,
    pub(crate) schedule: String,
    pub(crate) state: String,
    pub(crate) run: Option<i64>,
    pub(crate) next_run: String,
    pub(crate) last_run: String,
    pub(crate) last_status: String,
    pub(crate) last_error: String,
}

/// The host part of a registry URL, as the tags table records it (`127.0.0.1:5000`).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

impl From<RegistryStatus> for Configured {
    fn from(r: RegistryStatus) -> Self {
        let (last_run, last_status, last_error) = match r.last_run {
            Some(last) => (
                format!(
                    "{} — {} images: {} scanned, {} failed, {} skipped",
                    when_text(&last.finished_at),
                    last.total,
                    last.success,
                    last.failed,
                    last.skipped
                ),
                last.status,
                last.error.unwrap_or_default(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        Configured {
            host: host_of(&r.url),
            name: r.name,
            url: r.url,
            schedule: r.schedule,
            state: r.state,
            run: r.run,
            next_run: r.next_run.as_deref().map(when_text).unwrap_or_default(),
            last_run,
            last_status,
            last_error,
        }
    }
}

/// A notice above the table after "Scan now".
pub(crate) struct Notice {
    pub(crate) ok: bool,
    pub(crate) text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "registries.html")]
pub(crate) struct RegistriesPage {
    nav: Nav,
    configured: Vec<Configured>,
    seen: Vec<RegistrySummary>,
    notice: Option<Notice>,
}

async fn registries_page(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<Notice>,
) -> UiResult<RegistriesPage> {
    let configured = state
        .scheduler
        .as_ref()
        .map(crate::Scheduler::registries)
        .unwrap_or_default()
        .into_iter()
        .map(Configured::from)
        .collect();
    Ok(RegistriesPage {
        nav: Nav::new(viewer, "registries"),
        configured,
        seen: state.store.registries_seen().await?,
        notice,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
) -> UiResult<RegistriesPage> {
    registries_page(&state, &viewer, None).await
}

/// "Scan now": the API's trigger, answered with the registries page and a notice: 202 when
/// queued, 409 with the reason when a run is already queued or running.
pub(crate) async fn scan_now(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> UiResult<Response> {
    if !same_origin(&headers) || !viewer.csrf_matches(&form.csrf) {
        return Err(UiError::Csrf);
    }
    if !viewer.is_admin() {
        return Err(ApiError::Forbidden(
            "scanning needs an admin session (an admin token, or the admin password)".into(),
        )
        .into());
    }
    let Some(scheduler) = &state.scheduler else {
        return Err(ApiError::NotFound(format!(
            "no registry named `{name}` (the server runs without --config)"
        ))
        .into());
    };
    let (status, notice) = match scheduler.trigger(&name) {
        Ok(_) => (
            StatusCode::ACCEPTED,
            Notice {
                ok: true,
                text: format!("A scan of registry `{name}` is queued."),
            },
        ),
        Err(e @ TriggerError::Busy { .. }) => (
            StatusCode::CONFLICT,
            Notice {
                ok: false,
                text: format!("Not queued: {e}."),
            },
        ),
        Err(e @ TriggerError::Unknown(_)) => return Err(ApiError::NotFound(e.to_string()).into()),
        Err(e @ TriggerError::Stopping) => {
            return Err(ApiError::ShuttingDown(e.to_string()).into());
        }
    };
    tracing::info!(registry = %name, "scan requested from the web UI");
    Ok((
        status,
        registries_page(&state, &viewer, Some(notice)).await?,
    )
        .into_response())
}

/// A repository of a registry, ready to show.
pub(crate) struct RepositoryLine {
    pub(crate) repository: String,
    pub(crate) tags: u64,
    pub(crate) images: u64,
    pub(crate) counts: Counts,
    pub(crate) last_scanned: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "registry.html")]
pub(crate) struct RegistryPage {
    nav: Nav,
    registry: String,
    configured: Option<Configured>,
    repositories: Vec<RepositoryLine>,
}

/// `{name}` is a configured registry's name or a registry host of the store.
pub(crate) async fn repositories(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
) -> UiResult<RegistryPage> {
    let configured = state.scheduler.as_ref().and_then(|s| {
        s.registries()
            .into_iter()
            .find(|r| r.name == name || host_of(&r.url) == name)
            .map(Configured::from)
    });
    let host = configured.as_ref().map_or(name.clone(), |c| c.host.clone());
    let repositories: Vec<RepositoryLine> = state
        .store
        .repositories(&host)
        .await?
        .into_iter()
        .map(|r| RepositoryLine {
            counts: Counts::from(&r.counts),
            repository: r.repository,
            tags: r.tags,
            images: r.images,
            last_scanned: r.last_scanned.map(when).unwrap_or_default(),
        })
        .collect();
    if repositories.is_empty() && configured.is_none() {
        return Err(ApiError::NotFound(format!(
            "no registry `{name}`: neither configured nor holding scanned tags"
        ))
        .into());
    }
    Ok(RegistryPage {
        nav: Nav::new(&viewer, "registries"),
        registry: host,
        configured,
        repositories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_from_urls() {
        assert_eq!(host_of("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(
            host_of("https://registry.example.com/"),
            "registry.example.com"
        );
        assert_eq!(host_of("registry.example.com"), "registry.example.com");
    }
}
