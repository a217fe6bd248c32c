//! Credentials, scoped to the registry host they belong to, and the `WWW-Authenticate`
//! challenge grammar (RFC 7235; the registry token flow of the distribution spec).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use serde::Deserialize;

use crate::{Error, Result};

/// A username and password (or token) for one registry. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    password: String,
}

impl Credentials {
    /// Credentials from parts.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The user name (not secret).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password or token. A secret: for request headers only, never for messages.
    pub fn password(&self) -> &str {
        &self.password
    }

    pub(crate) fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Credentials that their owner replaces while clients use them: registry passwords that are
/// short-lived tokens (ECR's 12-hour `GetAuthorizationToken` password). Clones share one
/// value; [`SharedCredentials::set`] is seen by every later request. `Debug` never shows it.
#[derive(Clone)]
pub struct SharedCredentials(Arc<RwLock<Credentials>>);

impl SharedCredentials {
    /// A shared slot holding `credentials`.
    pub fn new(credentials: Credentials) -> Self {
        SharedCredentials(Arc::new(RwLock::new(credentials)))
    }

    /// Replaces the credentials for every holder.
    pub fn set(&self, credentials: Credentials) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = credentials;
    }

    /// The current credentials.
    pub fn get(&self) -> Credentials {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for SharedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[derive(Clone, Debug)]
enum Stored {
    Fixed(Credentials),
    Shared(SharedCredentials),
}

/// Credentials per registry host. A lookup only ever returns what was stored for exactly that
/// host (Docker Hub's aliases folded together), so one registry's secret cannot reach another.
#[derive(Clone, Debug, Default)]
pub struct CredentialStore {
    by_host: HashMap<String, Stored>,
}

impl CredentialStore {
    /// An empty store (anonymous access everywhere).
    pub fn new() -> Self {
        CredentialStore::default()
    }

    /// Stores credentials for `host` (`127.0.0.1:5000`, `docker.io`, `https://quay.io/`).
    pub fn insert(&mut self, host: &str, credentials: Credentials) {
        self.by_host
            .insert(canonical_host(host), Stored::Fixed(credentials));
    }

    /// Stores credentials for `host` that their owner refreshes (see [`SharedCredentials`]).
    pub fn insert_shared(&mut self, host: &str, credentials: SharedCredentials) {
        self.by_host
            .insert(canonical_host(host), Stored::Shared(credentials));
    }

    /// Credentials for `host`, if any (the current value of shared ones).
    pub fn get(&self, host: &str) -> Option<Credentials> {
        self.by_host
            .get(&canonical_host(host))
            .map(|stored| match stored {
                Stored::Fixed(c) => c.clone(),
                Stored::Shared(c) => c.get(),
            })
    }

    /// Adds every entry of a Docker `config.json` `auths` map that the store does not
    /// already have (explicit credentials win). `credsStore`/`credHelpers` need external
    /// programs and are not consulted; such entries are skipped.
    pub fn merge_docker_config(&mut self, path: &Path) -> Result<usize> {
        let text = fs_err::read_to_string(path).map_err(|source| Error::DockerConfig {
            path: path.to_owned(),
            reason: source.to_string(),
        })?;
        let config: DockerConfig =
            serde_json::from_str(&text).map_err(|e| Error::DockerConfig {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let mut added = 0;
        for (key, entry) in config.auths {
            let credentials = if let Some(auth) = entry.auth.filter(|a| !a.is_empty()) {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| Error::DockerConfig {
                        path: path.to_owned(),
                        reason: format!("`auth` of {key} is not base64 of user:password"),
                    })?;
                let Some((user, pass)) = decoded.split_once(':') else {
                    return Err(Error::DockerConfig {
                        path: path.to_owned(),
                        reason: format!("`auth` of {key} has no ':'"),
                    });
                };
                Credentials::new(user, pass)
            } else if let (Some(user), Some(pass)) = (entry.username, entry.password) {
                Credentials::new(user, pass)
            } else if let Some(token) = entry.identitytoken {
                // Docker stores OAuth refresh tokens under the magic user name `<token>`.
                Credentials::new("<token>", token)
            } else {
                continue;
            };
            let host = canonical_host(&key);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.by_host.entry(host) {
                slot.insert(Stored::Fixed(credentials));
                added += 1;
            }
        }
        Ok(added)
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, DockerAuth>,
}

#[derive(Deserialize)]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// `https://index.docker.io/v1/` → `docker.io`; `quay.io/` → `quay.io`; ports kept.
pub(crate) fn canonical_host(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            crate::reference::DOCKER_HUB.to_owned()
        }
        _ => host,
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="…"`.
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses the challenge header. Only the first challenge is used; registries send one.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let params = parse_params(rest);
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => Some(Challenge::Bearer {
            realm: params.get("realm")?.clone(),
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        }),
        _ => None,
    }
}

/// `key="quoted, value",key2=token` → map. Quoted strings may contain commas and `\"`.
fn parse_params(input: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            chars
                .by_ref()
                .take_while(|c| *c != ',')
                .collect::<String>()
                .trim()
                .clone_into(&mut value);
        }
        out.insert(key, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(
            parse_challenge("Bearer service=x"),
            None,
            "a bearer challenge without realm is unusable"
        );
    }

    #[test]
    fn credentials_are_scoped_and_redacted() {
        let mut store = CredentialStore::new();
        store.insert(
            "https://index.docker.io/v1/",
            Credentials::new("u", "hunter2"),
        );
        store.insert("127.0.0.1:5001", Credentials::new("p", "s3cret"));
        assert_eq!(store.get("docker.io").unwrap().username(), "u");
        assert!(
            store.get("127.0.0.1:5000").is_none(),
            "another port is another registry"
        );
        assert!(store.get("evil.example").is_none());
        let debug = format!("{store:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn shared_credentials_are_seen_after_a_refresh() {
        let shared = SharedCredentials::new(Credentials::new("AWS", "token-one"));
        let mut store = CredentialStore::new();
        store.insert_shared("1.dkr.ecr.eu-west-1.amazonaws.com", shared.clone());
        let client_copy = store.clone();
        shared.set(Credentials::new("AWS", "token-two"));
        assert_eq!(
            client_copy.get("1.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(Credentials::new("AWS", "token-two"))
        );
        assert!(
            client_copy
                .get("2.dkr.ecr.eu-west-1.amazonaws.com")
                .is_none()
        );
        let debug = format!("{client_copy:?}");
        assert!(!debug.contains("token-two"), "{debug}");
    }

    #[test]
    fn reads_docker_config() {
        let dir = std::env::temp_dir().join(format!("plimsoll-dockercfg-{}", std::process::id()));
        fs_err::create_dir_all(&dir).unwrap();
        let path = dir.join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        fs_err::write(
            &path,
            format!(r#"{{"auths":{{"127.0.0.1:5001":{{"auth":"{auth}"}},"https://index.docker.io/v1/":{{"username":"bob","password":"pw"}},"ghcr.io":{{}}}},"credsStore":"desktop"}}"#),
        )
        .unwrap();
        let mut store = CredentialStore::new();
        store.insert("ghcr.io", Credentials::new("explicit", "x"));
        assert_eq!(store.merge_docker_config(&path).unwrap(), 2);
        let alice = store.get("127.0.0.1:5001").unwrap();
        assert_eq!(alice, Credentials::new("alice", "pa:ss"));
        assert_eq!(store.get("docker.io").unwrap().username(), "bob");
        assert_eq!(store.get("ghcr.io").unwrap().username(), "explicit");
        fs_err::write(&path, "{").unwrap();
        assert!(matches!(
            store.merge_docker_config(&path),
            Err(Error::DockerConfig { .. })
        ));
        fs_err::remove_dir_all(&dir).unwrap();
    }
}
