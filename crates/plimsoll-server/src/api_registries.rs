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
    /// `https://host[:port]`, `http://host:port` (plain HTTP) or `host[:port]`. Required,
    /// except for `type = "ecr"`, whose hosts come from the AWS account(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, pattern = r"^([a-z][a-z0-9+.-]*://)?[^/?#\s]+/?$")]
    pub(crate) url: Option<String>,
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
    /// Re-match this registry's stored images when the vulnerability database gets a new
    /// build (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rescan_on_db_update: Option<bool>,
    /// An HTTP(S) proxy for this registry and its vendor API (`http://proxy.example:3128`,
    /// `http://user:password@proxy.example:3128`): write-only, as it may hold a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, write_only)]
    pub(crate) proxy: Option<Password>,
    /// An environment variable of the server holding the proxy's password (the user in
    /// `proxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) proxy_password_env: Option<String>,
    /// Retries after a 429, a 5xx or a connection error (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10)]
    pub(crate) max_retries: Option<u32>,
    /// Seconds before the first retry, doubling per retry (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 600)]
    pub(crate) min_retry_wait: Option<f64>,
    /// Longest wait between retries in seconds (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3600)]
    pub(crate) max_retry_wait: Option<f64>,
    /// Harbor, Quay, Docker Hub: the vendor API's base URL when it is not the registry's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) api_url: Option<String>,
    /// Harbor: only these projects; Quay, Docker Hub: the organizations or users to list;
    /// GitLab: the groups; Artifactory: the Docker repository keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) namespaces: Option<Vec<String>>,
    /// GitLab: the instance's URL, where its API is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) external_url: Option<String>,
    /// Artifactory: its base URL with the context path (`https://art.example.com/artifactory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) registry_api_url: Option<String>,
    /// Artifactory: `repository_path` (default), `subdomain` or `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_method: Option<String>,
    /// Quay: an environment variable of the server holding the API's `OAuth` access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) api_token_env: Option<String>,
    /// `type = "ecr"`: the AWS side (region, keys, Organizations mode), as `[registries.aws]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) aws: Option<AwsBody>,
    /// Refused: a file path would let an API client make the server send any file it can read
    /// to a registry of the client's choice. Use `password` or `password_env`.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub(crate) password_file: Option<serde_json::Value>,
    /// Refused, as `password_file`: use `api_token_env`.
    #[serde(default, skip_serializing)]
    #[schema(ignore)]
    pub(crate) api_token_file: Option<serde_json::Value>,
}

/// `[registries.aws]` of an ECR registry, as the API takes it (the same keys and checks).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AwsBody {
    /// The region of single-account mode and of the STS/Organizations calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    /// An access key; without it the server's standard AWS chain supplies credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_key_id: Option<String>,
    /// The secret of `access_key_id`: stored like `password`, never shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, write_only)]
    pub(crate) secret_access_key: Option<Password>,
    /// Organizations mode: the role (in the management account) that lists member accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) management_account_role_arn: Option<String>,
    /// Organizations mode: the role assumed in each member (default
    /// `OrganizationAccountAccessRole`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) member_accounts_role_name: Option<String>,
    /// Only these regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) allow_list_regions: Option<Vec<String>>,
    /// Organizations mode: only these member accounts (12-digit ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) allow_list_member_account_ids: Option<Vec<String>>,
    /// Pull through this host instead of the account's ECR host (`{account_id}`, `{region}`
    /// replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) registry_endpoint: Option<String>,
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
    if body.api_token_file.is_some() {
        return Err(
            "api_token_file cannot be set through the API (it would make the server \
                    send a file of its choosing to the vendor API); use api_token_env"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> RegistryBody {
        serde_json::from_value(json).expect("a body the API's schema accepts")
    }

    #[test]
    fn vendor_keys_reach_the_registry_configuration() {
        let checked = check(&body(serde_json::json!({
            "name": "harbor",
            "url": "https://harbor.example",
            "type": "harbor",
            "api_url": "https://harbor-api.example",
            "namespaces": ["library", "team"],
            "max_retries": 2,
            "proxy": "http://proxy.example:3128",
        })))
        .unwrap();
        assert_eq!(checked.registry.namespaces, ["library", "team"]);
        assert_eq!(
            checked.registry.api_url.as_deref(),
            Some("https://harbor-api.example")
        );
        assert_eq!(checked.registry.max_retries, 2);
        let (proxy, credentials) = checked.registry.proxy_url().unwrap().unwrap();
        assert_eq!(proxy.as_str(), "http://proxy.example:3128/");
        assert!(credentials.is_none());
    }

    #[test]
    fn an_ecr_registry_takes_its_aws_table_and_no_url() {
        let checked = check(&body(serde_json::json!({
            "name": "ecr",
            "type": "ecr",
            "aws": {
                "region": "eu-west-1",
                "access_key_id": "AKIAEXAMPLEKEYID0001",
                "secret_access_key": "the-secret-of-the-key",
                "allow_list_regions": ["eu-west-1"],
            },
        })))
        .unwrap();
        let aws = checked.registry.aws.as_ref().unwrap();
        assert_eq!(aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(aws.allow_list_regions, ["eu-west-1"]);
        // Stored (the store file is 0600) so that the server can use it after a restart …
        assert!(checked.definition.contains("the-secret-of-the-key"));
        // … and never shown by the configuration's Debug (what logs would print).
        assert!(!format!("{:?}", checked.registry).contains("the-secret-of-the-key"));
    }

    #[test]
    fn the_configuration_files_rules_apply_to_vendor_keys() {
        let e = check(&body(serde_json::json!({
            "url": "registry.example", "type": "distribution", "namespaces": ["a"],
        })))
        .err()
        .unwrap();
        assert!(e.contains("namespaces"), "{e}");
        let e = check(&body(serde_json::json!({
            "type": "ecr", "aws": {"access_key_id": "AKIAEXAMPLEKEYID0001"},
        })))
        .err()
        .unwrap();
        assert!(e.contains("secret_access_key"), "{e}");
        let e = check(&body(
            serde_json::json!({"type": "quay", "url": "quay.example"}),
        ))
        .err()
        .unwrap();
        assert!(e.contains("needs `namespaces`"), "{e}");
    }

    #[test]
    fn file_paths_are_refused() {
        for key in ["password_file", "api_token_file"] {
            let e = check(&body(serde_json::json!({
                "url": "quay.example", "type": "quay", "namespaces": ["org"], key: "/etc/shadow",
            })))
            .err()
            .unwrap();
            assert!(e.starts_with(key), "{e}");
        }
        let unknown = serde_json::from_value::<RegistryBody>(serde_json::json!({
            "url": "r.example", "aws": {"credentials_file": "/root/.aws/credentials"},
        }));
        assert!(unknown.is_err());
    }
}
