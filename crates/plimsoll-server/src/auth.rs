//! API tokens: `plm_` and 64 hex digits (256 bits from the operating system's generator),
//! stored as their SHA-256 and sent as `Authorization: Bearer <token>`.
//!
//! Why SHA-256 and not a slow password hash (argon2, bcrypt): a slow hash protects guessable
//! secrets by making each guess expensive. A 256-bit random token has no guessable structure; a
//! leaked store lets an attacker try 2^256 candidates, which no speed-up of the hash makes
//! feasible. A fast hash keeps each request at one look-up.
//!
//! The look-up is by the hash, through the unique index on `api_tokens.token_hash`: what timing
//! could reveal is how much of a *hash* matched, which says nothing usable about a token that
//! hashes to it. The stored and computed hashes are then compared in constant time anyway
//! (`subtle`), so no path compares secret bytes with an early exit.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use plimsoll_store::{ApiToken, Store, TokenScope};

use crate::error::{ApiError, Result};
use crate::state::AppState;

/// The prefix of every token: lets secret scanners and people recognise one.
const TOKEN_PREFIX: &str = "plm_";

/// Random bytes per token.
const TOKEN_BYTES: usize = 32;

/// A new random token (not stored).
fn generate() -> Result<String> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(ApiError::Random)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// Lowercase hex SHA-256 of a token, as stored.
pub(crate) fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token of `scope`, stores its hash and returns the stored record and the token
/// itself: the only moment the token exists in clear outside the client.
pub async fn create_token(
    store: &Store,
    scope: TokenScope,
    name: &str,
) -> Result<(ApiToken, String)> {
    let token = generate()?;
    let record = store.create_api_token(name, scope, &hash(&token)).await?;
    tracing::info!(id = record.id, name, %scope, "API token created");
    Ok((record, token))
}

/// At the first start of `plimsoll serve` (no unrevoked admin token in the store), creates an
/// admin token and returns it; `None` when one exists.
pub async fn ensure_admin_token(store: &Store) -> Result<Option<String>> {
    if store.has_admin_token().await? {
        return Ok(None);
    }
    let (_, token) = create_token(store, TokenScope::Admin, "first admin token").await?;
    Ok(Some(token))
}

/// The token of a request, checked against the store.
async fn authenticate(store: &Store, header_value: Option<&str>) -> Result<ApiToken> {
    let Some(value) = header_value else {
        return Err(ApiError::Unauthorized(
            "this endpoint needs an API token: send `Authorization: Bearer <token>`",
        ));
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
    else {
        return Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ));
    };
    check_token(store, token).await
}

/// A token (without `Bearer `) checked against the store: known, and not revoked.
pub(crate) async fn check_token(store: &Store, token: &str) -> Result<ApiToken> {
    let computed = hash(token);
    let found = store.api_token_by_hash(&computed).await?;
    let Some(record) =
        found.filter(|r| bool::from(r.token_hash.as_bytes().ct_eq(computed.as_bytes())))
    else {
        return Err(ApiError::Unauthorized("unknown API token"));
    };
    if record.revoked_at.is_some() {
        return Err(ApiError::Forbidden(format!(
            "API token {} (`{}`) was revoked",
            record.id, record.name
        )));
    }
    Ok(record)
}

/// Middleware of the `/api/v1` routes: a token of at least read scope. The header's value is
/// never logged; the token id goes into the request span instead.
pub(crate) async fn require_read(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response> {
    require(&state, TokenScope::Read, request, next).await
}

/// Middleware of the `/api/v1` write endpoints: a token of admin scope.
pub(crate) async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response> {
    require(&state, TokenScope::Admin, request, next).await
}

async fn require(
    state: &AppState,
    needed: TokenScope,
    request: Request,
    next: Next,
) -> Result<Response> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = authenticate(&state.store, value).await?;
    if !token.scope.allows(needed) {
        return Err(ApiError::Forbidden(format!(
            "API token {} has scope {}, this endpoint needs {needed}",
            token.id, token.scope
        )));
    }
    tracing::Span::current().record("token_id", token.id);
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed_as_sha256() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 2 * TOKEN_BYTES);
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
