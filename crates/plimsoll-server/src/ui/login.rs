//! `/login` (an API token, or user `admin` and the admin password) and `/logout`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use plimsoll_store::TokenScope;

use crate::auth::{check_token, hash};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::session::{Principal, Viewer, clear_cookie, same_origin, session_id, set_cookie};
use crate::ui::{UiError, UiResult, password};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    error: Option<String>,
    user: String,
    password_login: bool,
}

/// What the login form sends: a token, or a user and password.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LoginForm {
    token: String,
    user: String,
    password: String,
}

async fn password_login(state: &AppState) -> Result<bool, ApiError> {
    Ok(state
        .store
        .ui_password_hash(password::ADMIN_USER)
        .await?
        .is_some())
}

pub(crate) async fn form(State(state): State<AppState>, headers: HeaderMap) -> UiResult<Response> {
    // Already logged in: straight to the dashboard.
    if let Some(id) = session_id(&headers)
        && state.sessions.is_open(&id)
    {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(LoginPage {
        error: None,
        user: String::new(),
        password_login: password_login(&state).await?,
    }
    .into_response())
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> UiResult<Response> {
    // Login CSRF: another site's page must not log a visitor into an account of its choosing.
    if !same_origin(&headers) {
        return Err(UiError::Csrf);
    }
    let refuse = |state_has_password: bool, message: &str, user: String| {
        (
            StatusCode::UNAUTHORIZED,
            LoginPage {
                error: Some(message.to_owned()),
                user,
                password_login: state_has_password,
            },
        )
            .into_response()
    };
    let has_password = password_login(&state).await?;
    let token = form.token.trim();
    let (principal, scope) = if !token.is_empty() {
        match check_token(&state.store, token).await {
            Ok(record) => (
                Principal::Token {
                    hash: hash(token),
                    id: record.id,
                    name: record.name.clone(),
                },
                record.scope,
            ),
            Err(ApiError::Unauthorized(_)) => {
                return Ok(refuse(has_password, "unknown API token", String::new()));
            }
            Err(ApiError::Forbidden(_)) => {
                return Ok(refuse(
                    has_password,
                    "this API token was revoked",
                    String::new(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    } else if !form.user.is_empty() {
        if !password::verify(&state.store, &form.user, &form.password).await? {
            tracing::info!("UI login refused: wrong user or password");
            return Ok(refuse(has_password, "wrong user or password", form.user));
        }
        (Principal::Admin, TokenScope::Admin)
    } else {
        return Ok(refuse(
            has_password,
            "enter an API token (or the admin user and password)",
            String::new(),
        ));
    };
    let id = state.sessions.open(principal, scope)?;
    tracing::info!(%scope, "UI login");
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&id));
    Ok(response)
}

/// The logout form's field.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> UiResult<Response> {
    if !same_origin(&headers) || !viewer.csrf_matches(&form.csrf) {
        return Err(UiError::Csrf);
    }
    state.sessions.close(&viewer.session);
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie());
    Ok(response)
}
