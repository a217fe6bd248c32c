//! Registries created through the API: the request body, its checks (the configuration file's
//! own: `RegistryConfig`'s deserialiser, `ScanConfig::validate` and [`Schedule::of_registry`],
//! so the two can never disagree), and their definitions in the store, loaded into the
//! [`Scheduler`].
//!
//! A definition is stored as the JSON of the registry's keys, which `RegistryConfig` reads back
//! the way it reads a `[[registries]]` table. An inline `password` is stored in the clear (the
//! store file is created 0600); `password_env` keeps it out of the store.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize, Serializer};
use utoipa::ToSchema;

use plimsoll_store::Store;
use plimsoll_worker::{RegistryConfig, ScanConfig};

use crate::schedule::Schedule;
use crate::scheduler::{Scheduler, Source};

/// A registry's keys, as `POST` and `PUT /api/v1/registries` take them: the keys of a
/// `[[registries]]` table of the configuration file (same meaning, same checks), except
/// `password_file`. Filters, `max_workers` and `platforms` are the configuration's, shared by
/// every registry.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegistryBody {
    /// Its unique name (default: the URL's host). In a `PUT`, absent or the path's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// `https://host[:port]`, `http://host:port` (plain HTTP) or `host[:port]`.
    #[schema(min_length = 1, pattern = r"^([a-z][a-z0-9+.-]*://)?[^/?#\s]+/?$")]
    pub(crate) url: String,
    /// Its discovery API: `distribution` (the default).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<String>,
    /// The password or token: stored in the results store in the clear, never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, write_only)]
    pub(crate) password: Option<Password>,
    /// An environment variable of the server holding the password (kept out of the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) password_env: Option<String>,
    /// A PEM CA certificate file on the server to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca_cert: Option<String>,
    /// Accept any TLS certificate (lab registries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) insecure: Option<bool>,
    /// Requests in flight to this registry at most (default 8, 1–64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 64)]
    pub(crate) max_concurrency: Option<usize>,
    /// A cron expression (default `0 6 * * 6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schedule: Option<String>,
    /// The zone of `schedule`: `UTC`, an offset (`+02:00`) or an IANA name (`Europe/Paris`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timezone: Option<String>,
    /// Scan every this long (`30m`, `6h`, 5m–7d) instead of `schedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) interval: Option<String>,
    /// Queue a scan as soon as the registry is created (and at each server start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scan_on_start: Option<bool>,
    /// Refused: a file path would let an API client make the server send any file it can read
    /// to a registry of the client's choice. Use `password` or `password_env`.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub(crate) password_file: Option<serde_json::Value>,
}

/// A password from a request: redacted in `Debug`, written out only into the stored definition.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Password {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

/// A checked registry: its configuration, schedule, and the definition to store.
pub(crate) struct Checked {
    pub(crate) registry: RegistryConfig,
    pub(crate) definition: String,
}

/// Checks `body` with the configuration file's rules; the message names the key.
pub(crate) fn check(body: &RegistryBody) -> Result<Checked, String> {
    if body.password_file.is_some() {
        return Err(
            "password_file cannot be set through the API (it would make the server \
                    send a file of its choosing to the registry); use password or password_env"
                .into(),
        );
    }
    let value = serde_json::to_value(body).map_err(|e| e.to_string())?;
    let definition = value.to_string();
    let registry = parse(value)?;
    let config = ScanConfig {
        registries: vec![registry],
        ..ScanConfig::default()
    };
    config.validate().map_err(|e| e.to_string())?;
    let [registry] = <[RegistryConfig; 1]>::try_from(config.registries)
        .map_err(|_| "one registry was checked".to_owned())?;
    Schedule::of_registry(&registry).map_err(|e| e.to_string())?;
    Ok(Checked {
        registry,
        definition,
    })
}

/// A definition as `RegistryConfig` reads a `[[registries]]` table.
fn parse(value: serde_json::Value) -> Result<RegistryConfig, String> {
    serde_json::from_value(value).map_err(|e| format!("registry: {e}"))
}

/// Loads the store's registries into `scheduler`, except those whose name the configuration
/// file defines (the file wins). A definition that no longer reads (an edited store) is
/// logged and left out, so one bad row never hides the others.
pub async fn sync_api_registries(
    store: &Store,
    scheduler: &Scheduler,
) -> Result<(), plimsoll_store::Error> {
    let file = scheduler.names(Source::File);
    let mut registries = Vec::new();
    for stored in store.api_registries().await? {
        if file.contains(&stored.name) {
            tracing::warn!(
                registry = %stored.name,
                "the configuration file defines a registry of this name: the one created \
                 through the API is not scheduled"
            );
            continue;
        }
        let read = serde_json::from_str(&stored.definition)
            .map_err(|e| e.to_string())
            .and_then(parse)
            .and_then(|registry| {
                let schedule = Schedule::of_registry(&registry).map_err(|e| e.to_string())?;
                Ok((registry, schedule))
            });
        match read {
            Ok(entry) => registries.push(entry),
            Err(error) => tracing::error!(
                registry = %stored.name,
                %error,
                "a registry stored through the API cannot be read; it is not scheduled"
            ),
        }
    }
    scheduler.set_api_registries(registries);
    Ok(())
}
