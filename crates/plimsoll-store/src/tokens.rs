//! API tokens of `plimsoll serve`, stored by their SHA-256 only. Generating tokens, hashing and
//! comparing them is `plimsoll-server`'s job; this is their table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use crate::codec;
use crate::error::Result;
use crate::store::Store;

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Read the API.
    Read,
    /// Everything `Read` may, plus the (future) write endpoints.
    Admin,
}

impl TokenScope {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Admin => "admin",
        }
    }

    /// Whether a token of this scope may do what `needed` allows.
    pub fn allows(self, needed: TokenScope) -> bool {
        self >= needed
    }
}

impl FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "read" => Ok(TokenScope::Read),
            "admin" => Ok(TokenScope::Admin),
            other => Err(format!("unknown token scope `{other}` (read, admin)")),
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored API token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id, for `token revoke`.
    pub id: i64,
    /// A name for people (`ci`, `first admin token`).
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// Lowercase hex SHA-256 of the token.
    pub token_hash: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    scope: String,
    token_hash: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, name, scope, token_hash, created_at, revoked_at";

impl Store {
    /// Stores a new token by its hash.
    pub async fn create_api_token(
        &self,
        name: &str,
        scope: TokenScope,
        token_hash: &str,
    ) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING {TOKEN_COLUMNS}"
        );
        let row: TokenRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(name)
            .bind(scope.as_str())
            .bind(token_hash)
            .bind(codec::now_ms())
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err("create an API token"))?;
        self.token(row)
    }

    /// Every token, revoked ones included, by id.
    pub async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id");
        let rows: Vec<TokenRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err("list API tokens"))?;
        rows.into_iter().map(|row| self.token(row)).collect()
    }

    /// The token with this hash, revoked or not (the unique index on the hash answers).
    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1");
        let row: Option<TokenRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err("look up an API token"))?;
        row.map(|row| self.token(row)).transpose()
    }

    /// Revokes a token; `false` when no unrevoked token has this id.
    pub async fn revoke_api_token(&self, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(codec::now_ms())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.query_err("revoke an API token"))?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether an unrevoked admin token exists (`plimsoll serve` makes one when not).
    pub async fn has_admin_token(&self) -> Result<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE scope = 'admin' AND revoked_at IS NULL)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_err("look up API tokens"))
    }

    fn token(&self, row: TokenRow) -> Result<ApiToken> {
        Ok(ApiToken {
            scope: row
                .scope
                .parse()
                .map_err(|e: String| self.corrupt(format!("API token {}", row.id), e))?,
            created_at: self.time(row.created_at, "token creation")?,
            revoked_at: row
                .revoked_at
                .map(|ms| self.time(ms, "token revocation"))
                .transpose()?,
            id: row.id,
            name: row.name,
            token_hash: row.token_hash,
        })
    }
}
