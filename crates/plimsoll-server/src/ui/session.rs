//! Web UI sessions: a random id in a cookie, the session itself held in memory by the SHA-256
//! of that id (so a memory dump or a log of the table shows no usable cookie). A restart logs
//! everyone out: sessions are not worth a table, and an API token or the admin password logs
//! back in.
//!
//! A session made from an API token keeps the token's hash and re-reads the token table on each
//! request, so revoking the token ends the session at its next request, as it does for the API.
//! Each session has its own CSRF token, sent back by every state-changing form.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use plimsoll_store::TokenScope;

use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::UiError;

/// The cookie's name.
pub(crate) const COOKIE: &str = "plimsoll_session";

/// How long a session lasts after login, whatever its use: a work day.
pub(crate) const LIFETIME: Duration = Duration::from_hours(8);

/// Who a session belongs to.
#[derive(Clone, Debug)]
pub(crate) enum Principal {
    /// Logged in with an API token: its SHA-256 (re-checked on every request), id and name.
    Token { hash: String, id: i64, name: String },
    /// Logged in as UI user `admin` with the admin password.
    Admin,
}

#[derive(Clone, Debug)]
struct Session {
    principal: Principal,
    scope: TokenScope,
    csrf: String,
    expires: Instant,
}

/// The server's sessions, shared by every request (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    by_hash: Arc<Mutex<HashMap<[u8; 32], Session>>>,
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn random_hex() -> Result<String, ApiError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::Random)?;
    Ok(hex::encode(bytes))
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        // A panic while holding the lock leaves a consistent map (every change is one insert
        // or remove), so a poisoned lock is still usable.
        self.by_hash.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a session and returns its id (for the cookie).
    pub(crate) fn open(&self, principal: Principal, scope: TokenScope) -> Result<String, ApiError> {
        let id = random_hex()?;
        let session = Session {
            principal,
            scope,
            csrf: random_hex()?,
            expires: Instant::now() + LIFETIME,
        };
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        map.insert(key(&id), session);
        Ok(id)
    }

    /// Ends the session with this id, if any.
    pub(crate) fn close(&self, id: &str) {
        self.lock().remove(&key(id));
    }

    fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.lock();
        let k = key(id);
        match map.get(&k) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Whether a live session has this id.
    pub(crate) fn is_open(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Open sessions (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The session id in a request's `Cookie` headers. Parsed by hand: one cookie of our own, whose
/// value is hex, needs no cookie library.
pub(crate) fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `Set-Cookie` for a new session: `HttpOnly` (no script reads it), `SameSite=Strict` (no other
/// site's page sends it), the whole site, expiring with the session. Not `Secure`: the server
/// speaks plain HTTP (behind a TLS proxy the browser still only sends it to this host).
pub(crate) fn set_cookie(id: &str) -> HeaderValue {
    let value = format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        LIFETIME.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("")) // hex only: always valid
}

/// `Set-Cookie` that deletes the session cookie.
pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("plimsoll_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The logged-in user of a UI request. Extracting it refuses (a redirect to `/login`) a request
/// without a live session, and one whose API token was revoked or deleted since.
#[derive(Clone, Debug)]
pub(crate) struct Viewer {
    /// Shown in the header: the token's name, or `admin`.
    pub(crate) name: String,
    /// What the session may do.
    pub(crate) scope: TokenScope,
    /// The session's CSRF token, put in every form.
    pub(crate) csrf: String,
    /// The session id (logout closes it).
    pub(crate) session: String,
}

impl Viewer {
    /// Whether the viewer may trigger scans.
    pub(crate) fn is_admin(&self) -> bool {
        self.scope.allows(TokenScope::Admin)
    }

    /// Whether `sent` is this session's CSRF token (constant time).
    pub(crate) fn csrf_matches(&self, sent: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(sent.as_bytes()))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, UiError> {
        let Some(id) = session_id(&parts.headers) else {
            return Err(UiError::LoginNeeded);
        };
        let Some(session) = state.sessions.get(&id) else {
            return Err(UiError::LoginNeeded);
        };
        let name = match &session.principal {
            Principal::Admin => "admin".to_owned(),
            Principal::Token {
                hash,
                id: token_id,
                name,
            } => {
                let live = state
                    .store
                    .api_token_by_hash(hash)
                    .await
                    .map_err(|e| UiError::Api(e.into()))?
                    .is_some_and(|t| t.revoked_at.is_none() && t.id == *token_id);
                if !live {
                    state.sessions.close(&id);
                    tracing::info!(token_id, "session ended: its API token was revoked");
                    return Err(UiError::LoginNeeded);
                }
                tracing::Span::current().record("token_id", token_id);
                name.clone()
            }
        };
        Ok(Viewer {
            name,
            scope: session.scope,
            csrf: session.csrf,
            session: id,
        })
    }
}

/// Whether a state-changing request comes from a page of this server: its `Origin` (or, when a
/// browser sent none, its `Referer`) names the `Host` it was sent to. A request with neither is
/// let through to the CSRF token check (non-browser clients send neither; browsers send
/// `Origin` with every form POST).
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let origin_host = |url: &str| -> Option<String> {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))?;
        Some(rest.split('/').next().unwrap_or_default().to_owned())
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin
            .to_str()
            .ok()
            .and_then(origin_host)
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
    }
    if let Some(referer) = headers.get(header::REFERER) {
        return referer
            .to_str()
            .ok()
            .and_then(origin_host)
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_must_be_hex() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; plimsoll_session=beef01 ; b=2"),
        );
        assert_eq!(session_id(&headers).as_deref(), Some("beef01"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("plimsoll_session=<script>"),
        );
        assert_eq!(session_id(&headers), None);
    }

    #[test]
    fn sessions_open_close_and_are_keyed_by_hash() {
        let sessions = Sessions::default();
        let id = sessions.open(Principal::Admin, TokenScope::Admin).unwrap();
        assert_eq!(id.len(), 64);
        assert!(sessions.get(&id).is_some());
        assert!(sessions.lock().contains_key(&key(&id)));
        let raw: [u8; 32] = hex::decode(&id).unwrap().try_into().unwrap();
        assert!(
            !sessions.lock().contains_key(&raw),
            "the id itself is not the key"
        );
        sessions.close(&id);
        assert!(sessions.get(&id).is_none());
        assert_eq!(sessions.len(), 0);
    }

    #[test]
    fn origin_must_name_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:8080/registries"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(same_origin(&h));
    }
}
