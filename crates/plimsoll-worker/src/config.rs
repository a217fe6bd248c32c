//! What `plimsoll registry scan` is told to do. The binary merges a TOML file, `PLIMSOLL_…`
//! variables and flags into a [`ScanConfig`] (figment); [`ScanConfig::validate`] then rejects
//! anything out of range before a single request is sent.
//!
//! Keys mirror the Sysdig registry scanner's chart (`registries`, `filter.*`, `max_workers`),
//! but one configuration holds any number of registries.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use plimsoll_filter::FilterConfig;
use plimsoll_registry::{CredentialStore, Credentials, RegistryClient, SharedCredentials};
use plimsoll_types::Platform;
use plimsoll_vendors::{Vendor, VendorOptions};

use crate::{Error, Result};

/// Most images scanned at once.
pub const MAX_WORKERS_LIMIT: usize = 64;
/// Most requests in flight to one registry.
pub const MAX_CONCURRENCY_LIMIT: usize = 64;

/// A registry scan's whole configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// The registries to scan.
    #[serde(default)]
    pub registries: Vec<RegistryConfig>,
    /// Which discovered images to scan.
    #[serde(default)]
    pub filter: FilterConfig,
    /// Images scanned at once (default 5, 1–64).
    #[serde(default = "default_max_workers")]
    pub max_workers: usize,
    /// Platforms to scan of a multi-platform image (`linux/amd64`, …); empty: all of them.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// The results store (default: the XDG data directory).
    #[serde(default)]
    pub store: Option<PathBuf>,
    /// The vulnerability database directory (default: the XDG cache directory).
    #[serde(default)]
    pub db_dir: Option<PathBuf>,
    /// Write reports of every image here after the run (one JSON per image + `summary.csv`).
    #[serde(default)]
    pub report_dir: Option<PathBuf>,
    /// Where to announce the run's end and new critical/high findings (`[[notifications]]`:
    /// webhook, Slack, syslog; see `docs/notifications.md`).
    #[serde(default)]
    pub notifications: Vec<plimsoll_notify::NotificationConfig>,
    /// `plimsoll serve` only: the vulnerability database refresh (`[vulndb]`).
    #[serde(default)]
    pub vulndb: VulnDbConfig,
    /// `plimsoll serve` only: alerts the server raises by itself (`[alerts]`).
    #[serde(default)]
    pub alerts: AlertsConfig,
}

/// `[vulndb]`: how `plimsoll serve` keeps the vulnerability database fresh. Kept as text and
/// checked by the server (like the registries' scheduling keys), so one file serves every
/// command; `registry scan` ignores it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnDbConfig {
    /// Update every this long (`6h`, `1d`; 5m–7d), or `off`; default `6h`.
    #[serde(default)]
    pub update_interval: Option<String>,
    /// What to update from, as `plimsoll db update --source` takes it (HTTP(S) URLs of OSV
    /// zips, local directories, zips or JSON files); empty: the public OSV bucket's `all.zip`
    /// of each default ecosystem, as `db update` does.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Also update as soon as the server starts.
    #[serde(default)]
    pub update_on_start: bool,
}

/// `[alerts]`: conditions the server watches for and notifies through `[[notifications]]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// An image whose last successful scan is older than this (`48h`, `7d`; 1m–365d) is
    /// reported once as `image.stale`; unset: never.
    #[serde(default)]
    pub stale_after: Option<String>,
}

fn default_max_workers() -> usize {
    5
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            registries: Vec::new(),
            filter: FilterConfig::default(),
            max_workers: default_max_workers(),
            platforms: Vec::new(),
            store: None,
            db_dir: None,
            report_dir: None,
            notifications: Vec::new(),
            vulndb: VulnDbConfig::default(),
            alerts: AlertsConfig::default(),
        }
    }
}

/// One registry: where it is, what kind, how to log in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// A name for logs and reports (default: the host).
    #[serde(default)]
    pub name: Option<String>,
    /// Its discovery API: `distribution` (plain `/v2/_catalog`; the default) or a vendor.
    #[serde(rename = "type", default = "default_type")]
    pub kind: Vendor,
    /// `https://host[:port]`, `http://host:port` (plain HTTP) or `host[:port]`. Not for
    /// `type = "ecr"`, whose hosts come from the AWS account(s).
    #[serde(default)]
    pub url: String,
    /// `type = "ecr"`: the AWS side (`[registries.aws]`; region, keys, Organizations mode;
    /// the type belongs to `plimsoll_vendors::ecr`).
    #[serde(default)]
    pub aws: Option<plimsoll_vendors::ecr::AwsConfig>,
    /// User name.
    #[serde(default)]
    pub user: Option<String>,
    /// Password or token, inline (prefer `password_file` or `password_env`).
    #[serde(default)]
    pub password: Option<SecretString>,
    /// A file holding the password (trailing newline ignored).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// An environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// An extra PEM CA certificate to trust.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate (lab registries only; warned about at every run).
    /// `skip_tls_verify` is the Sysdig chart's name for it.
    #[serde(default, alias = "skip_tls_verify")]
    pub insecure: bool,
    /// Requests in flight to this registry at most (default 8, 1–64).
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// An HTTP(S) proxy for this registry and its vendor API (`http://proxy.example:3128`,
    /// or with credentials `http://user:password@proxy.example:3128`), instead of the
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` environment. A secret when it holds a password:
    /// `Debug` never shows it.
    #[serde(default)]
    pub proxy: Option<SecretString>,
    /// An environment variable holding the proxy's password, for a `proxy` URL that names
    /// its user only (`http://user@proxy.example:3128`).
    #[serde(default)]
    pub proxy_password_env: Option<String>,
    /// Retries of a request after a 429, a 5xx or a connection error (default 4, 0–10; the
    /// Sysdig chart's `max_retries`).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Seconds before the first retry, doubling per retry (default 0.5; 0–600).
    #[serde(default = "default_min_retry_wait")]
    pub min_retry_wait: f64,
    /// Longest wait between retries in seconds, `Retry-After` included (default 30; 0–3600).
    #[serde(default = "default_max_retry_wait")]
    pub max_retry_wait: f64,
    /// Vendor API base URL when it is not the registry's own URL (Harbor behind another
    /// host name; `OpenShift`'s API server, `https://api.cluster.example:6443`). Only for the
    /// types in [`API_URL_TYPES`].
    #[serde(default)]
    pub api_url: Option<String>,
    /// Harbor: only these projects (default: every project the user can see); Quay: the
    /// organizations or users to list (required); GitLab: the groups to list (required);
    /// `OpenShift`: the projects whose image streams to list (default: all the token can read).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// GitLab: the instance's URL (its `external_url`), where the API is; the registry `url`
    /// is the container registry's own address.
    #[serde(default)]
    pub external_url: Option<String>,
    /// Artifactory: its base URL with the context path (`https://art.example.com/artifactory`),
    /// where `/api/docker/<key>/v2/…` answers.
    #[serde(default)]
    pub registry_api_url: Option<String>,
    /// Artifactory: how image references name a repository: `repository_path` (default),
    /// `subdomain` or `port`.
    #[serde(default)]
    pub access_method: Option<String>,
    /// Quay: an environment variable holding the API's `OAuth` access token.
    #[serde(default)]
    pub api_token_env: Option<String>,
    /// Quay: a file holding the API's `OAuth` access token (trailing newline ignored).
    #[serde(default)]
    pub api_token_file: Option<PathBuf>,
    /// ICR: the IBM Cloud account id that owns the namespaces (the API's `Account` header).
    #[serde(default)]
    pub account_id: Option<String>,
    /// ICR: IBM Cloud IAM's token endpoint (default `https://iam.cloud.ibm.com/identity/token`),
    /// where the API key is exchanged for an access token.
    #[serde(default)]
    pub iam_url: Option<String>,
    /// Google (`type = "gar"`): a file holding the service-account key (JSON, or base64 of
    /// it). The key may also be the `password` (inline, `password_file`, `password_env`), as
    /// the Sysdig chart passes it with user `_json_key`.
    #[serde(default)]
    pub json_key_file: Option<PathBuf>,
    /// Google: an environment variable holding the service-account key (JSON or base64).
    #[serde(default)]
    pub json_key_env: Option<String>,
    /// Google: how pulls authenticate: `access_token` (default; `oauth2accesstoken` + an
    /// access token from the key, renewed before it expires) or `json_key` (`_json_key` + the
    /// key, as `docker login -u _json_key`).
    #[serde(default)]
    pub pull_auth: Option<String>,
    /// Google: the Artifact Registry location of `namespaces` (`us`, `europe-west1`); default:
    /// from a `<location>-docker.pkg.dev` url.
    #[serde(default)]
    pub location: Option<String>,
    /// `plimsoll serve` only: when to scan, as a cron expression (default `0 6 * * 6`).
    /// Kept as text here and checked by the server, so one file serves both commands;
    /// `registry scan` ignores the scheduling keys.
    #[serde(default)]
    pub schedule: Option<String>,
    /// `plimsoll serve` only: the time zone of `schedule` (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    /// `plimsoll serve` only: scan every this long (`30m`, `6h`) instead of `schedule`.
    #[serde(default)]
    pub interval: Option<String>,
    /// `plimsoll serve` only: also scan as soon as the server starts.
    #[serde(default)]
    pub scan_on_start: bool,
    /// `plimsoll serve` only: re-match this registry's stored images when the vulnerability
    /// database gets a new build (default true).
    #[serde(default = "default_true")]
    pub rescan_on_db_update: bool,
}

fn default_true() -> bool {
    true
}

/// `host[:port]` as image references name registries: DNS labels of letters, digits and
/// hyphens joined by dots (or a bracketed `IPv6` literal), then an optional decimal port.
/// Anything else (a path, user info, spaces, control characters) is no registry host.
fn is_registry_host(text: &str) -> bool {
    let (host, port) = match text.rsplit_once(':') {
        // A bare IPv6 address: left whole, and refused below (it needs brackets).
        Some((host, _)) if !host.ends_with(']') && host.contains(':') => (text, None),
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// Docker Hub's API, unless `api_url` says otherwise.
const DOCKER_HUB_API: &str = "https://hub.docker.com/";

/// The types that take `api_url`.
pub(crate) const API_URL_TYPES: &[Vendor] = &[
    Vendor::Harbor,
    Vendor::Quay,
    Vendor::DockerHub,
    Vendor::Ocp,
    Vendor::Icr,
    Vendor::Gar,
];
/// The types that take `namespaces`.
pub(crate) const NAMESPACES_TYPES: &[Vendor] = &[
    Vendor::Harbor,
    Vendor::Quay,
    Vendor::Gitlab,
    Vendor::DockerHub,
    Vendor::Artifactory,
    Vendor::Ocp,
    Vendor::Icr,
    Vendor::Gar,
];
/// The types that take `registry_api_url` and `access_method`.
pub(crate) const ARTIFACTORY_TYPES: &[Vendor] = &[Vendor::Artifactory];
/// The types that take `external_url`.
pub(crate) const EXTERNAL_URL_TYPES: &[Vendor] = &[Vendor::Gitlab];
/// The types that take `api_token_env` / `api_token_file`.
pub(crate) const API_TOKEN_TYPES: &[Vendor] = &[Vendor::Quay];
/// The types that take `account_id` and `iam_url`.
pub(crate) const IBM_TYPES: &[Vendor] = &[Vendor::Icr];

/// The user name sent with an `OpenShift` token when `user` is not set: the integrated registry
/// reads only the token (the password), whatever the name.
pub(crate) const OCP_DEFAULT_USER: &str = "serviceaccount";

/// The types that take `json_key_file`, `json_key_env`, `pull_auth` and `location`.
pub(crate) const GOOGLE_TYPES: &[Vendor] = &[Vendor::Gar];

fn default_type() -> Vendor {
    Vendor::Distribution
}

fn default_max_retries() -> u32 {
    4
}

fn default_min_retry_wait() -> f64 {
    0.5
}

fn default_max_retry_wait() -> f64 {
    30.0
}

fn default_max_concurrency() -> usize {
    8
}

impl RegistryConfig {
    /// A registry at `url` with every other key at its default.
    pub fn new(url: impl Into<String>) -> Self {
        RegistryConfig {
            name: None,
            kind: default_type(),
            url: url.into(),
            aws: None,
            user: None,
            password: None,
            password_file: None,
            password_env: None,
            ca_cert: None,
            insecure: false,
            max_concurrency: default_max_concurrency(),
            proxy: None,
            proxy_password_env: None,
            max_retries: default_max_retries(),
            min_retry_wait: default_min_retry_wait(),
            max_retry_wait: default_max_retry_wait(),
            api_url: None,
            namespaces: Vec::new(),
            api_token_env: None,
            api_token_file: None,
            external_url: None,
            registry_api_url: None,
            access_method: None,
            account_id: None,
            iam_url: None,
            json_key_file: None,
            json_key_env: None,
            pull_auth: None,
            location: None,
            schedule: None,
            timezone: None,
            interval: None,
            scan_on_start: false,
            rescan_on_db_update: true,
        }
    }

    /// `host[:port]` as image references spell it.
    pub fn host(&self) -> Result<String> {
        let rest = self
            .url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"))
            .unwrap_or(&self.url)
            .trim_end_matches('/');
        if self.url.is_empty() {
            let which = self.name.as_ref().map_or_else(
                || "a registry".to_owned(),
                |n| format!("registry `{}`", n.escape_debug()),
            );
            return Err(Error::Config(format!(
                "{which}: url is required (only type = \"ecr\" has none)"
            )));
        }
        if !is_registry_host(rest) {
            return Err(Error::Config(format!(
                "registry url `{}` must be scheme://host[:port] with no path",
                self.url.escape_debug()
            )));
        }
        Ok(rest.to_owned())
    }

    /// The name in logs and reports.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            if self.kind == Vendor::Ecr && self.url.is_empty() {
                return "ecr".to_owned();
            }
            self.host().unwrap_or_else(|_| self.url.clone())
        })
    }

    /// The vendor sub-tables and keys, for `plimsoll_vendors::resolve` (reads and parses a
    /// Google service-account key).
    pub fn vendor_options(&self) -> Result<VendorOptions> {
        Ok(VendorOptions {
            aws: self.aws.clone(),
            network: {
                let (proxy, proxy_credentials) = self.proxy_url()?.unzip();
                plimsoll_vendors::Network {
                    ca_cert: self.ca_cert.clone(),
                    proxy,
                    proxy_credentials: proxy_credentials.flatten(),
                }
            },
            gcp: self.gcp_options()?,
        })
    }

    /// `type = "gar"`: the service-account key from whichever one source is configured
    /// (`json_key_file`, `json_key_env`, or the password keys), parsed; `pull_auth`;
    /// `location`. `None` for other types.
    pub fn gcp_options(&self) -> Result<Option<plimsoll_vendors::gar::GcpOptions>> {
        use plimsoll_vendors::gar::{GcpOptions, PullAuth, ServiceAccountKey};
        if self.kind != Vendor::Gar {
            return Ok(None);
        }
        let name = self.display_name();
        let password_set =
            self.password.is_some() || self.password_file.is_some() || self.password_env.is_some();
        let sources = [
            self.json_key_file.is_some(),
            self.json_key_env.is_some(),
            password_set,
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err(Error::Config(format!(
                "registry `{name}`: set the service-account key once: json_key_file, json_key_env or password (password_file, password_env)"
            )));
        }
        if let Some(user) = &self.user
            && user != "_json_key"
        {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"gar\" logs in with a service-account key; user may only be `_json_key` (or left out), not `{}`",
                user.escape_debug()
            )));
        }
        let text = if let Some(path) = &self.json_key_file {
            Some(SecretString::from(fs_err::read_to_string(path).map_err(
                |e| Error::Config(format!("registry `{name}`: json_key_file: {e}")),
            )?))
        } else if let Some(var) = &self.json_key_env {
            Some(SecretString::from(std::env::var(var).map_err(|_| {
                Error::Config(format!(
                    "registry `{name}`: json_key_env names `{var}`, which is not set"
                ))
            })?))
        } else {
            self.password()?
        };
        let key = text
            .map(|text| {
                ServiceAccountKey::parse(text.expose_secret())
                    .map(std::sync::Arc::new)
                    .map_err(|e| Error::Config(format!("registry `{name}`: {e}")))
            })
            .transpose()?;
        let pull_auth = match &self.pull_auth {
            None => PullAuth::default(),
            Some(text) => PullAuth::parse(text).ok_or_else(|| {
                Error::Config(format!(
                    "registry `{name}`: pull_auth = `{}` is not one of {}",
                    text.escape_debug(),
                    PullAuth::NAMES.join(", ")
                ))
            })?,
        };
        if key.is_none() && self.pull_auth.is_some() {
            return Err(Error::Config(format!(
                "registry `{name}`: pull_auth needs a service-account key (json_key_file, json_key_env or password)"
            )));
        }
        if let Some(location) = &self.location
            && (location.is_empty()
                || !location
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return Err(Error::Config(format!(
                "registry `{name}`: location = `{}` is not a Google Cloud location (`us`, `europe-west1`)",
                location.escape_debug()
            )));
        }
        Ok(Some(GcpOptions {
            key,
            pull_auth,
            location: self.location.clone(),
        }))
    }

    /// Checks the keys that depend on the type.
    fn validate_type(&self) -> Result<()> {
        let name = self.display_name();
        if self.kind == Vendor::Ecr {
            if !self.url.is_empty() {
                return Err(Error::Config(format!(
                    "registry `{name}`: type = \"ecr\" takes no url (the registries come from the AWS account); to pull through another host set aws.registry_endpoint"
                )));
            }
            if self.user.is_some() || self.password().ok().flatten().is_some() {
                return Err(Error::Config(format!(
                    "registry `{name}`: type = \"ecr\" logs in with GetAuthorizationToken; set AWS credentials in [registries.aws] or the standard AWS chain, not user/password"
                )));
            }
            if let Some(aws) = &self.aws {
                aws.validate()
                    .map_err(|e| Error::Config(format!("registry `{name}`: {e}")))?;
            }
            return Ok(());
        }
        if self.aws.is_some() {
            return Err(Error::Config(format!(
                "registry `{name}`: [registries.aws] is only for type = \"ecr\""
            )));
        }
        self.host().map(drop)
    }

    /// The user name: `user`, or for `type = "ocp"` with a token and no user,
    /// [`OCP_DEFAULT_USER`].
    pub fn user(&self) -> Option<&str> {
        match &self.user {
            Some(user) => Some(user),
            None if self.kind == Vendor::Ocp && self.has_password() => Some(OCP_DEFAULT_USER),
            None => None,
        }
    }

    fn has_password(&self) -> bool {
        self.password.is_some() || self.password_file.is_some() || self.password_env.is_some()
    }

    /// Whether the URL asks for plain HTTP.
    pub fn plain_http(&self) -> bool {
        self.url.starts_with("http://")
    }

    /// The password from whichever one source is configured.
    pub fn password(&self) -> Result<Option<SecretString>> {
        let name = self.display_name();
        let sources = [
            self.password.is_some(),
            self.password_file.is_some(),
            self.password_env.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err(Error::Config(format!(
                "registry `{name}`: set only one of password, password_file, password_env"
            )));
        }
        if let Some(p) = &self.password {
            return Ok(Some(p.clone()));
        }
        if let Some(path) = &self.password_file {
            let text = fs_err::read_to_string(path)
                .map_err(|e| Error::Config(format!("registry `{name}`: password_file: {e}")))?;
            return Ok(Some(SecretString::from(
                text.trim_end_matches(['\n', '\r']).to_owned(),
            )));
        }
        if let Some(var) = &self.password_env {
            let value = std::env::var(var).map_err(|_| {
                Error::Config(format!(
                    "registry `{name}`: password_env names `{var}`, which is not set"
                ))
            })?;
            return Ok(Some(SecretString::from(value)));
        }
        Ok(None)
    }

    /// A client for one registry host a vendor resolved this registry to (an ECR account ×
    /// region), with the credentials the vendor issued, scoped to that host alone.
    pub fn client_for(
        &self,
        host: &str,
        issued: Option<SharedCredentials>,
        plain_http: Option<bool>,
    ) -> Result<RegistryClient> {
        let Some(issued) = issued else {
            return self.client();
        };
        let mut credentials = CredentialStore::new();
        credentials.insert_shared(host, issued);
        self.build_client(credentials, plain_http.unwrap_or_else(|| self.plain_http()))
    }

    /// The `proxy` key parsed: `http(s)://[user[:password]@]host:port`, no path or query; the
    /// URL without its credentials, and the credentials (the password from the URL or from
    /// `proxy_password_env`), percent-decoded.
    pub fn proxy_url(&self) -> Result<Option<(url::Url, Option<Credentials>)>> {
        let name = self.display_name();
        let Some(text) = &self.proxy else {
            if self.proxy_password_env.is_some() {
                return Err(Error::Config(format!(
                    "registry `{name}`: proxy_password_env is set but no proxy"
                )));
            }
            return Ok(None);
        };
        let mut url = url::Url::parse(text.expose_secret())
            // The text may hold credentials: never echoed, and neither is the parser's
            // message about it (it does not quote the input, but say so explicitly).
            .map_err(|e| Error::Config(format!("registry `{name}`: proxy is not a URL ({e}; not echoed: it may hold a password)")))?;
        if !matches!(url.scheme(), "http" | "https")
            || url.host_str().is_none()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(Error::Config(format!(
                "registry `{name}`: proxy must be http(s)://[user:password@]host:port with no path or query (not echoed: it may hold a password)"
            )));
        }
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| {
                    Error::Config(format!(
                        "registry `{name}`: proxy: the user or password is not UTF-8 once percent-decoded"
                    ))
                })
        };
        let user = decode(url.username())?;
        let in_url = url.password().map(decode).transpose()?;
        let from_env = match &self.proxy_password_env {
            None => None,
            Some(var) => Some(std::env::var(var).map_err(|_| {
                Error::Config(format!(
                    "registry `{name}`: proxy_password_env names `{var}`, which is not set"
                ))
            })?),
        };
        let credentials = match (user.is_empty(), in_url, from_env) {
            (true, None, None) => None,
            (false, Some(_), Some(_)) => {
                return Err(Error::Config(format!(
                    "registry `{name}`: the proxy password is both in the proxy URL and in proxy_password_env; keep one"
                )));
            }
            (false, Some(password), None) | (false, None, Some(password)) => {
                Some(Credentials::new(user, password))
            }
            (false, None, None) => {
                return Err(Error::Config(format!(
                    "registry `{name}`: the proxy URL names user `{user}` but no password; add it to the URL or set proxy_password_env"
                )));
            }
            (true, _, _) => {
                return Err(Error::Config(format!(
                    "registry `{name}`: a proxy password needs a user: http://user@host:port"
                )));
            }
        };
        // Credentials stay out of the URL from here on: it shows in errors.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(Some((url, credentials)))
    }

    /// `max_retries`, `min_retry_wait`, `max_retry_wait` in range and in order.
    pub fn check_retries(&self) -> Result<()> {
        let name = self.display_name();
        self.proxy_url()?;
        if self.max_retries > 10 {
            return Err(Error::Config(format!(
                "registry `{name}`: max_retries = {} is out of range (0..=10)",
                self.max_retries
            )));
        }
        for (key, value, max) in [
            ("min_retry_wait", self.min_retry_wait, 600.0),
            ("max_retry_wait", self.max_retry_wait, 3600.0),
        ] {
            if !(0.0..=max).contains(&value) {
                return Err(Error::Config(format!(
                    "registry `{name}`: {key} = {value} is out of range (0 to {max} seconds)"
                )));
            }
        }
        if self.min_retry_wait > self.max_retry_wait {
            return Err(Error::Config(format!(
                "registry `{name}`: min_retry_wait = {} is above max_retry_wait = {}",
                self.min_retry_wait, self.max_retry_wait
            )));
        }
        Ok(())
    }

    /// Refuses vendor keys the configured `type` does not use, naming key and type.
    pub fn check_vendor_keys(&self) -> Result<()> {
        let name = self.display_name();
        let set = [
            ("api_url", self.api_url.is_some(), API_URL_TYPES),
            ("namespaces", !self.namespaces.is_empty(), NAMESPACES_TYPES),
            (
                "external_url",
                self.external_url.is_some(),
                EXTERNAL_URL_TYPES,
            ),
            (
                "registry_api_url",
                self.registry_api_url.is_some(),
                ARTIFACTORY_TYPES,
            ),
            (
                "access_method",
                self.access_method.is_some(),
                ARTIFACTORY_TYPES,
            ),
            (
                "api_token_env",
                self.api_token_env.is_some(),
                API_TOKEN_TYPES,
            ),
            (
                "api_token_file",
                self.api_token_file.is_some(),
                API_TOKEN_TYPES,
            ),
            ("account_id", self.account_id.is_some(), IBM_TYPES),
            ("iam_url", self.iam_url.is_some(), IBM_TYPES),
            ("json_key_file", self.json_key_file.is_some(), GOOGLE_TYPES),
            ("json_key_env", self.json_key_env.is_some(), GOOGLE_TYPES),
            ("pull_auth", self.pull_auth.is_some(), GOOGLE_TYPES),
            ("location", self.location.is_some(), GOOGLE_TYPES),
        ];
        for (key, is_set, types) in set {
            if is_set && !types.contains(&self.kind) {
                let takes: Vec<&str> = types.iter().map(|v| v.name()).collect();
                return Err(Error::Config(format!(
                    "registry `{name}`: `{key}` does not apply to type = \"{}\" (only to {})",
                    self.kind,
                    takes.join(", ")
                )));
            }
        }
        let api_urls = [
            ("api_url", &self.api_url),
            ("external_url", &self.external_url),
            ("registry_api_url", &self.registry_api_url),
        ];
        for (key, api_url) in api_urls {
            let Some(api_url) = api_url else { continue };
            let url = url::Url::parse(api_url).map_err(|e| {
                Error::Config(format!("registry `{name}`: {key} is not a URL: {e}"))
            })?;
            if !matches!(url.scheme(), "http" | "https")
                || url.host_str().is_none()
                || !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
            {
                return Err(Error::Config(format!(
                    "registry `{name}`: {key} must be http(s)://host[:port][/path] with no credentials or query (not echoed: it might hold some)"
                )));
            }
        }
        if self.kind == Vendor::Artifactory {
            if self.namespaces.is_empty() || self.registry_api_url.is_none() {
                return Err(Error::Config(format!(
                    "registry `{name}`: type = \"artifactory\" needs `registry_api_url` (Artifactory's URL, with /artifactory) and `namespaces` (the Docker repository keys)"
                )));
            }
            let method = self.artifactory_access_method()?;
            if method != plimsoll_vendors::AccessMethod::RepositoryPath && self.namespaces.len() > 1
            {
                return Err(Error::Config(format!(
                    "registry `{name}`: with access_method = subdomain or port the url selects one repository; give one key in `namespaces` (one [[registries]] entry per repository)"
                )));
            }
        }
        if self.kind == Vendor::DockerHub && self.namespaces.is_empty() {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"dockerhub\" needs `namespaces` (the organizations or users whose repositories to list)"
            )));
        }
        if self.kind == Vendor::Quay && self.namespaces.is_empty() {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"quay\" needs `namespaces` (the organizations or users whose repositories to list)"
            )));
        }
        if self.kind == Vendor::Gitlab
            && (self.namespaces.is_empty() || self.external_url.is_none())
        {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"gitlab\" needs `external_url` (the GitLab instance) and `namespaces` (the groups to list)"
            )));
        }
        if self.kind == Vendor::Ocp && self.api_url.is_none() && !self.namespaces.is_empty() {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"ocp\" lists `namespaces` through the image stream API: set `api_url` (the cluster's API server), or drop `namespaces` to list the registry's catalog"
            )));
        }
        if self.kind == Vendor::Ocp && self.api_url.is_some() && !self.has_password() {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"ocp\" with `api_url` needs the token (a service account's, or `oc whoami -t`) in password, password_file or password_env"
            )));
        }
        if self.kind == Vendor::Icr {
            self.check_icr_keys()?;
        }
        if self.api_token_env.is_some() && self.api_token_file.is_some() {
            return Err(Error::Config(format!(
                "registry `{name}`: set only one of api_token_env, api_token_file"
            )));
        }
        self.api_token()?;
        if self.kind == Vendor::Gar {
            // Artifact Registry repositories: `project/repository`, both single names.
            if let Some(bad) = self.namespaces.iter().find(|n| {
                n.split_once('/').is_none_or(|(p, r)| {
                    [p, r].iter().any(|part| {
                        part.is_empty()
                            || part.contains('/')
                            || part.chars().any(|c| c.is_whitespace() || c.is_control())
                    })
                })
            }) {
                return Err(Error::Config(format!(
                    "registry `{name}`: namespaces: `{}` is not `project/repository` (an Artifact Registry repository)",
                    bad.escape_debug()
                )));
            }
            self.gcp_options()?;
            return Ok(());
        }
        // GitLab groups may be subgroups (`team/sub`); other vendors' namespaces are one name.
        let nested = self.kind == Vendor::Gitlab;
        if let Some(bad) = self.namespaces.iter().find(|n| {
            n.is_empty() || (n.contains('/') && !nested) || n.chars().any(char::is_whitespace)
        }) {
            return Err(Error::Config(format!(
                "registry `{name}`: namespaces: `{bad}` is not a single project or namespace name"
            )));
        }
        Ok(())
    }

    /// ICR: user `iamapikey` (the password is the API key), an account id, and an IAM URL the
    /// API key may be sent to (HTTPS, or plain HTTP on loopback only).
    fn check_icr_keys(&self) -> Result<()> {
        let name = self.display_name();
        let user = plimsoll_vendors::ICR_API_KEY_USER;
        if self.user.as_deref() != Some(user) {
            return Err(Error::Config(format!(
                "registry `{name}`: type = \"icr\" needs user = \"{user}\" and the IBM Cloud API key as password (password_env or password_file)"
            )));
        }
        match self.account_id.as_deref() {
            Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()) => {}
            Some(_) => {
                return Err(Error::Config(format!(
                    "registry `{name}`: account_id must be the IBM Cloud account id (letters and digits)"
                )));
            }
            None => {
                return Err(Error::Config(format!(
                    "registry `{name}`: type = \"icr\" needs `account_id` (the IBM Cloud account that owns the namespaces)"
                )));
            }
        }
        self.iam_url().map(drop)
    }

    /// ICR: `iam_url` parsed and checked, if set.
    pub fn iam_url(&self) -> Result<Option<url::Url>> {
        let Some(text) = &self.iam_url else {
            return Ok(None);
        };
        let name = self.display_name();
        let url = url::Url::parse(text)
            .map_err(|e| Error::Config(format!("registry `{name}`: iam_url is not a URL: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok
            || url.host_str().is_none()
            || !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
        {
            return Err(Error::Config(format!(
                "registry `{name}`: iam_url must be https://host[:port]/path with no credentials or query (plain http only on loopback: the API key is sent there)"
            )));
        }
        Ok(Some(url))
    }

    /// The vendor API token from `api_token_env` or `api_token_file`, if configured.
    pub fn api_token(&self) -> Result<Option<SecretString>> {
        let name = self.display_name();
        if let Some(var) = &self.api_token_env {
            let value = std::env::var(var).map_err(|_| {
                Error::Config(format!(
                    "registry `{name}`: api_token_env names `{var}`, which is not set"
                ))
            })?;
            return Ok(Some(SecretString::from(value)));
        }
        if let Some(path) = &self.api_token_file {
            let text = fs_err::read_to_string(path)
                .map_err(|e| Error::Config(format!("registry `{name}`: api_token_file: {e}")))?;
            return Ok(Some(SecretString::from(
                text.trim_end_matches(['\n', '\r']).to_owned(),
            )));
        }
        Ok(None)
    }

    /// `access_method` parsed (default `repository_path`).
    pub fn artifactory_access_method(&self) -> Result<plimsoll_vendors::AccessMethod> {
        match &self.access_method {
            None => Ok(plimsoll_vendors::AccessMethod::default()),
            Some(text) => plimsoll_vendors::AccessMethod::parse(text).ok_or_else(|| {
                Error::Config(format!(
                    "registry `{}`: access_method = `{text}` is not one of {}",
                    self.display_name(),
                    plimsoll_vendors::AccessMethod::NAMES.join(", ")
                ))
            }),
        }
    }

    /// The vendor API base: `api_url`, else the registry URL (scheme kept; https by default).
    pub fn api_base(&self) -> Result<url::Url> {
        let configured = self
            .api_url
            .as_ref()
            .or(self.external_url.as_ref())
            .or(self.registry_api_url.as_ref());
        let text = match configured {
            Some(url) => url.clone(),
            None if self.kind == Vendor::DockerHub => DOCKER_HUB_API.to_owned(),
            None if self.kind == Vendor::Gar => plimsoll_vendors::gar::DEFAULT_API_URL.to_owned(),
            None if self.plain_http() => format!("http://{}/", self.host()?),
            None => format!("https://{}/", self.host()?),
        };
        url::Url::parse(&text).map_err(|e| {
            Error::Config(format!(
                "registry `{}`: API URL `{text}`: {e}",
                self.display_name()
            ))
        })
    }

    /// What discovery talks to: the host, the shared client, the vendor API and its
    /// credentials (this registry's user and password, sent to the API's host only).
    pub fn endpoint(
        &self,
        client: std::sync::Arc<RegistryClient>,
    ) -> Result<plimsoll_vendors::Endpoint> {
        let credentials = match (self.user(), self.password()?) {
            // Google's key is no API password: the API gets access tokens issued from it.
            _ if self.kind == Vendor::Gar => None,
            (Some(user), Some(password)) => Some(Credentials::new(user, password.expose_secret())),
            _ => None,
        };
        let mut endpoint = plimsoll_vendors::Endpoint::new(self.host()?, client);
        // `OpenShift` without `api_url`: no image stream API, the registry's catalog instead.
        if !(self.kind == Vendor::Ocp && self.api_url.is_none()) {
            endpoint = endpoint.api_url(self.api_base()?);
        }
        Ok(endpoint
            .api_credentials(credentials)
            .api_token(self.api_token()?.map(|t| t.expose_secret().to_owned()))
            .namespaces(self.namespaces.clone())
            .access_method(self.artifactory_access_method()?)
            .account_id(self.account_id.clone())
            .iam_url(self.iam_url()?))
    }

    /// A client for this registry, its credentials scoped to its host alone.
    pub fn client(&self) -> Result<RegistryClient> {
        if self.kind == Vendor::Ecr && self.url.is_empty() {
            // No host of its own: resolved hosts get their clients from `client_for`.
            return self.build_client(CredentialStore::new(), false);
        }
        if self.kind == Vendor::Gar {
            // Pull credentials are issued from the service-account key (`client_for`).
            return self.build_client(CredentialStore::new(), self.plain_http());
        }
        let host = self.host()?;
        let mut credentials = CredentialStore::new();
        match (self.user(), self.password()?) {
            (Some(user), Some(password)) => {
                credentials.insert(&host, Credentials::new(user, password.expose_secret()));
            }
            (Some(_), None) => {
                return Err(Error::Config(format!(
                    "registry `{}`: user is set but no password, password_file or password_env",
                    self.display_name()
                )));
            }
            (None, Some(_)) => {
                return Err(Error::Config(format!(
                    "registry `{}`: a password is set but no user",
                    self.display_name()
                )));
            }
            (None, None) => {}
        }
        self.build_client(credentials, self.plain_http())
    }

    fn build_client(
        &self,
        credentials: CredentialStore,
        plain_http: bool,
    ) -> Result<RegistryClient> {
        if self.insecure {
            tracing::warn!(
                registry = %self.display_name(),
                "insecure = true: TLS certificates of this registry and its API are NOT verified; anyone on the network path can impersonate it and read its credentials"
            );
        }
        let (proxy, proxy_credentials) = self.proxy_url()?.unzip();
        let mut builder = RegistryClient::builder()
            .proxy(proxy)
            .proxy_credentials(proxy_credentials.flatten())
            .max_attempts(self.max_retries + 1)
            .backoff(
                std::time::Duration::from_secs_f64(self.min_retry_wait),
                std::time::Duration::from_secs_f64(self.max_retry_wait),
            )
            .credentials(credentials)
            .insecure(self.insecure)
            .plain_http(plain_http);
        if let Some(ca) = &self.ca_cert {
            builder = builder.ca_cert(ca.clone());
        }
        builder.build().map_err(|source| Error::Registry {
            registry: self.display_name(),
            source,
        })
    }
}

impl ScanConfig {
    /// Checks every value; the first problem is the error, naming the key. A configuration
    /// without registries is one: there is nothing to scan.
    pub fn validate(&self) -> Result<()> {
        if self.registries.is_empty() {
            return Err(Error::Config(
                "no registry to scan: add a [[registries]] entry or pass --registry-url".into(),
            ));
        }
        self.validate_settings()
    }

    /// [`ScanConfig::validate`] without requiring a registry: `plimsoll serve`'s file may hold
    /// only settings (store, filters, notifications) when every registry is created through
    /// the API.
    pub fn validate_settings(&self) -> Result<()> {
        if !(1..=MAX_WORKERS_LIMIT).contains(&self.max_workers) {
            return Err(Error::Config(format!(
                "max_workers = {} is out of range (1..={MAX_WORKERS_LIMIT})",
                self.max_workers
            )));
        }
        self.filter
            .validate()
            .map_err(|e| Error::Config(format!("filter: {e}")))?;
        self.platforms()?;
        let mut names = std::collections::BTreeSet::new();
        for registry in &self.registries {
            registry.validate_type()?;
            let name = registry.display_name();
            // Names go into logs, reports and the web UI: no control characters that could
            // forge a log line, and a length a table can show.
            if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
                return Err(Error::Config(format!(
                    "registry name `{}` must be 1 to 128 characters without control characters",
                    name.escape_debug()
                )));
            }
            if !names.insert(name.clone()) {
                return Err(Error::Config(format!(
                    "two registries are named `{name}`; give each a distinct name"
                )));
            }
            if !(1..=MAX_CONCURRENCY_LIMIT).contains(&registry.max_concurrency) {
                return Err(Error::Config(format!(
                    "registry `{name}`: max_concurrency = {} is out of range (1..={MAX_CONCURRENCY_LIMIT})",
                    registry.max_concurrency
                )));
            }
            registry.check_vendor_keys()?;
            registry.check_retries()?;
            registry.password()?;
        }
        plimsoll_notify::Notifier::new(&self.notifications)
            .map_err(|e| Error::Config(format!("notifications: {e}")))?;
        Ok(())
    }

    /// The `platforms` key parsed.
    pub fn platforms(&self) -> Result<Vec<Platform>> {
        self.platforms
            .iter()
            .map(|p| {
                p.parse::<Platform>()
                    .map_err(|e| Error::Config(format!("platforms: `{p}`: {e}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_urls_name_a_host_and_nothing_else() {
        let host = |url: &str| RegistryConfig::new(url).host();
        for (url, expected) in [
            ("https://registry.example.com", "registry.example.com"),
            ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
            ("localhost:5000", "localhost:5000"),
            ("https://[::1]:5000", "[::1]:5000"),
            ("my-registry.internal", "my-registry.internal"),
        ] {
            assert_eq!(host(url).unwrap(), expected, "{url}");
        }
        for url in [
            "https://",
            "https://r.example/team",
            "https://user@r.example",
            "r.example:port",
            "r.example:123456",
            "r ex.com",
            "r.example\n0",
            "\u{b6}\u{c}x",
            "-r.example",
            "r..example",
            "::1",
            "ftp://r.example",
        ] {
            let err = host(url).unwrap_err().to_string();
            assert!(err.contains("must be scheme://host[:port]"), "{url}: {err}");
            assert!(!err.contains('\n'), "control characters are escaped: {err}");
        }
        let err = host("").unwrap_err().to_string();
        assert!(err.contains("a registry: url is required"), "{err}");
    }

    #[test]
    fn registry_names_have_no_control_characters() {
        let mut config = ScanConfig::default();
        let mut registry = RegistryConfig::new("http://127.0.0.1:5000");
        registry.name = Some("lab\nFAKE log line".into());
        config.registries.push(registry);
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("without control characters"), "{err}");
        assert!(err.contains("lab\\nFAKE"), "{err}");
    }

    use super::*;

    #[test]
    fn host_and_scheme_come_from_the_url() {
        let r = RegistryConfig::new("http://127.0.0.1:5000/");
        assert_eq!(r.host().unwrap(), "127.0.0.1:5000");
        assert!(r.plain_http());
        let r = RegistryConfig::new("registry.example.com");
        assert_eq!(r.host().unwrap(), "registry.example.com");
        assert!(!r.plain_http());
        assert!(
            RegistryConfig::new("https://example.com/v2/")
                .host()
                .is_err()
        );
    }

    #[test]
    fn one_password_source_only() {
        let mut r = RegistryConfig::new("127.0.0.1:5001");
        r.user = Some("u".into());
        r.password = Some(SecretString::from("p".to_owned()));
        r.password_env = Some("HOME".into());
        let e = r.password().unwrap_err().to_string();
        assert!(e.contains("only one of"), "{e}");
        r.password_env = None;
        assert_eq!(r.password().unwrap().unwrap().expose_secret(), "p");
        r.password = None;
        r.password_env = Some("PLIMSOLL_SURELY_UNSET_VARIABLE".into());
        let e = r.password().unwrap_err().to_string();
        assert!(e.contains("PLIMSOLL_SURELY_UNSET_VARIABLE"), "{e}");
    }

    #[test]
    fn password_file_is_read_without_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        fs_err::write(&file, "s3cret\n").unwrap();
        let mut r = RegistryConfig::new("127.0.0.1:5001");
        r.password_file = Some(file);
        assert_eq!(r.password().unwrap().unwrap().expose_secret(), "s3cret");
    }

    #[test]
    fn ecr_takes_an_aws_table_and_no_url() {
        let parse = |text: &str| -> Result<ScanConfig> {
            let config: ScanConfig =
                toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
            config.validate().map(|()| config)
        };
        let c = parse(
            "[[registries]]\ntype = \"ecr\"\n[registries.aws]\nregion = \"eu-west-1\"\nregistry_endpoint = \"http://127.0.0.1:5000\"\n",
        )
        .unwrap();
        assert_eq!(c.registries[0].display_name(), "ecr");
        assert_eq!(
            c.registries[0]
                .vendor_options()
                .unwrap()
                .aws
                .unwrap()
                .region
                .as_deref(),
            Some("eu-west-1")
        );
        for (text, wanted) in [
            (
                "[[registries]]\ntype = \"ecr\"\nurl = \"https://x\"\n",
                "takes no url",
            ),
            (
                "[[registries]]\nurl = \"https://x\"\n[registries.aws]\nregion = \"eu-west-1\"\n",
                "only for type = \"ecr\"",
            ),
            (
                "[[registries]]\ntype = \"ecr\"\n[registries.aws]\nregoin = \"x\"\n",
                "unknown field `regoin`",
            ),
            (
                "[[registries]]\ntype = \"ecr\"\nuser = \"AWS\"\npassword = \"p\"\n",
                "GetAuthorizationToken",
            ),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(wanted), "{text}: {e}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut r = RegistryConfig::new("127.0.0.1:5001");
        r.password = Some(SecretString::from("hunter2-very-secret".to_owned()));
        let shown = format!("{r:?}");
        assert!(!shown.contains("hunter2-very-secret"), "{shown}");
    }

    #[test]
    fn icr_needs_iamapikey_an_account_and_a_safe_iam_url() {
        let mut r = RegistryConfig::new("us.icr.io");
        r.account_id = Some("abc123".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(
            e.contains("`account_id` does not apply to type = \"distribution\" (only to icr)"),
            "{e}"
        );
        r.kind = Vendor::Icr;
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("needs user = \"iamapikey\""), "{e}");
        r.user = Some("iamapikey".into());
        r.check_vendor_keys().unwrap();
        r.account_id = None;
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("needs `account_id`"), "{e}");
        r.account_id = Some("abc 123".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("account_id must be"), "{e}");
        r.account_id = Some("abc123".into());
        for (iam, ok) in [
            ("https://iam.example/identity/token", true),
            ("http://127.0.0.1:8080/identity/token", true),
            ("http://localhost/identity/token", true),
            ("http://iam.example/identity/token", false),
            ("https://u:key@iam.example/identity/token", false),
            ("https://iam.example/identity/token?apikey=x", false),
        ] {
            r.iam_url = Some(iam.into());
            let checked = r.check_vendor_keys();
            assert_eq!(checked.is_ok(), ok, "{iam}: {checked:?}");
            if let Err(e) = checked {
                assert!(!e.to_string().contains("key@"), "{e}");
            }
        }
        r.iam_url = Some("https://iam.example/identity/token".into());
        let endpoint = r
            .endpoint(std::sync::Arc::new(
                RegistryClient::builder().build().unwrap(),
            ))
            .unwrap();
        assert_eq!(endpoint.registry(), "us.icr.io");
    }

    #[test]
    fn vendor_keys_apply_to_their_types_only() {
        let mut r = RegistryConfig::new("127.0.0.1:5000");
        r.api_url = Some("https://harbor.example".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert_eq!(
            e,
            "configuration: registry `127.0.0.1:5000`: `api_url` does not apply to type = \"distribution\" (only to harbor, quay, dockerhub, ocp, icr, gar)"
        );
        r.kind = Vendor::Harbor;
        r.check_vendor_keys().unwrap();
        assert_eq!(r.api_base().unwrap().as_str(), "https://harbor.example/");
        r.api_url = Some("ftp://harbor.example".into());
        assert!(
            r.check_vendor_keys()
                .unwrap_err()
                .to_string()
                .contains("must be http(s)")
        );
        r.api_url = Some("https://u:s3cr3t@harbor.example".into());
        assert!(
            !r.check_vendor_keys()
                .unwrap_err()
                .to_string()
                .contains("s3cr3t")
        );
        assert!(
            r.check_vendor_keys()
                .unwrap_err()
                .to_string()
                .contains("no credentials")
        );
        r.api_url = None;
        r.namespaces = vec!["library".into(), "a/b".into()];
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("`a/b` is not a single project"), "{e}");
        r.kind = Vendor::Distribution;
        r.namespaces = vec!["library".into()];
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(
            e.contains("`namespaces` does not apply to type = \"distribution\""),
            "{e}"
        );
        r.namespaces.clear();
        r.api_token_env = Some("HOME".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(
            e.contains("`api_token_env` does not apply to type = \"distribution\" (only to quay)"),
            "{e}"
        );
        r.kind = Vendor::Quay;
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("needs `namespaces`"), "{e}");
        r.namespaces = vec!["org".into()];
        r.check_vendor_keys().unwrap();
        r.api_token_env = Some("PLIMSOLL_SURELY_UNSET_TOKEN".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("PLIMSOLL_SURELY_UNSET_TOKEN"), "{e}");
        r.api_token_env = None;
        r.kind = Vendor::Gitlab;
        r.namespaces = vec!["team/sub".into()];
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("needs `external_url`"), "{e}");
        r.external_url = Some("https://gitlab.example.com".into());
        r.check_vendor_keys().unwrap();
        assert_eq!(
            r.api_base().unwrap().as_str(),
            "https://gitlab.example.com/"
        );
        r.kind = Vendor::Harbor;
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(
            e.contains("`external_url` does not apply to type = \"harbor\" (only to gitlab)"),
            "{e}"
        );
        // Without api_url the API is the registry's URL, scheme kept.
        let mut r = RegistryConfig::new("http://127.0.0.1:5000");
        r.kind = Vendor::Harbor;
        assert_eq!(r.api_base().unwrap().as_str(), "http://127.0.0.1:5000/");
        let mut r = RegistryConfig::new("art.example.com");
        r.kind = Vendor::Artifactory;
        r.namespaces = vec!["docker-local".into(), "docker-virtual".into()];
        assert!(
            r.check_vendor_keys()
                .unwrap_err()
                .to_string()
                .contains("needs `registry_api_url`")
        );
        r.registry_api_url = Some("https://art.example.com/artifactory".into());
        r.check_vendor_keys().unwrap();
        assert_eq!(
            r.api_base().unwrap().as_str(),
            "https://art.example.com/artifactory"
        );
        r.access_method = Some("port".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("give one key"), "{e}");
        r.access_method = Some("path".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(
            e.contains("not one of repository_path, subdomain, port"),
            "{e}"
        );
        let mut r = RegistryConfig::new("docker.io");
        r.kind = Vendor::DockerHub;
        assert!(
            r.check_vendor_keys()
                .unwrap_err()
                .to_string()
                .contains("needs `namespaces`")
        );
        r.namespaces = vec!["my-org".into()];
        r.check_vendor_keys().unwrap();
        assert_eq!(r.api_base().unwrap().as_str(), "https://hub.docker.com/");
    }

    #[test]
    fn proxy_credentials_leave_the_url_and_never_show() {
        let proxy = |url: &str, env: Option<&str>| {
            let mut r = RegistryConfig::new("127.0.0.1:5000");
            r.proxy = Some(url.into());
            r.proxy_password_env = env.map(str::to_owned);
            r.proxy_url()
        };
        let (url, credentials) = proxy("http://scan%40corp:p%3Ass%20w0rd@proxy.example:3128", None)
            .unwrap()
            .unwrap();
        assert_eq!(url.as_str(), "http://proxy.example:3128/");
        let credentials = credentials.unwrap();
        assert_eq!(credentials.username(), "scan@corp");
        assert_eq!(credentials.password(), "p:ss w0rd");
        let (url, credentials) = proxy("https://proxy.example", None).unwrap().unwrap();
        assert_eq!(url.as_str(), "https://proxy.example/");
        assert!(credentials.is_none());
        // The password from a variable (HOME is set wherever tests run).
        let home = std::env::var("HOME").unwrap();
        let (_, credentials) = proxy("http://scanner@proxy.example:3128", Some("HOME"))
            .unwrap()
            .unwrap();
        assert_eq!(credentials.unwrap().password(), home);
        for (url, env, wanted) in [
            ("http://scanner@proxy.example:3128", None, "but no password"),
            ("http://proxy.example:3128", Some("HOME"), "needs a user"),
            (
                "http://u:hunter2@proxy.example:3128",
                Some("HOME"),
                "keep one",
            ),
            (
                "http://u:hunter2@proxy.example:3128/x",
                None,
                "no path or query",
            ),
            ("socks5://u:hunter2@proxy.example:1080", None, "http(s)://"),
            ("http://u:hunter2@[proxy", None, "not a URL"),
            ("http://u:%FF@proxy.example", None, "not UTF-8"),
        ] {
            let e = proxy(url, env).unwrap_err().to_string();
            assert!(e.contains(wanted) && !e.contains("hunter2"), "{url}: {e}");
        }
        let mut r = RegistryConfig::new("127.0.0.1:5000");
        r.proxy_password_env = Some("HOME".into());
        assert!(
            r.proxy_url()
                .unwrap_err()
                .to_string()
                .contains("but no proxy")
        );
        // Neither the configuration's Debug nor a client built from it shows the password.
        r.proxy = Some("http://scanner:hunter2@proxy.example:3128".into());
        r.proxy_password_env = None;
        let client = r.client().unwrap();
        for shown in [format!("{r:?}"), format!("{client:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn openshift_takes_a_token_with_or_without_a_user() {
        let mut r = RegistryConfig::new("image-registry.apps.example.com");
        r.kind = Vendor::Ocp;
        // No API: the registry's catalog, anonymous or with the token.
        r.check_vendor_keys().unwrap();
        assert_eq!(r.user(), None);
        r.namespaces = vec!["team".into()];
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("set `api_url`"), "{e}");
        r.namespaces.clear();
        r.api_url = Some("https://api.cluster.example.com:6443".into());
        let e = r.check_vendor_keys().unwrap_err().to_string();
        assert!(e.contains("with `api_url` needs the token"), "{e}");
        r.password = Some(SecretString::from("sha256~token".to_owned()));
        r.namespaces = vec!["team".into()];
        r.check_vendor_keys().unwrap();
        assert_eq!(r.user(), Some(OCP_DEFAULT_USER));
        r.client().unwrap();
        r.user = Some("scanner".into());
        assert_eq!(r.user(), Some("scanner"));
        // Only `OpenShift` names a user by itself.
        r.kind = Vendor::Distribution;
        r.user = None;
        assert_eq!(r.user(), None);
        assert!(r.client().unwrap_err().to_string().contains("no user"));
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_key() {
        let mut c = ScanConfig {
            registries: vec![RegistryConfig::new("127.0.0.1:5000")],
            ..ScanConfig::default()
        };
        c.validate().unwrap();
        c.max_workers = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max_workers = 0")
        );
        c.max_workers = 65;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max_workers = 65")
        );
        c.max_workers = 5;
        c.registries[0].max_concurrency = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max_concurrency")
        );
        c.registries[0].max_concurrency = 8;
        c.registries[0].max_retries = 11;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("max_retries = 11")
        );
        c.registries[0].max_retries = 0;
        c.registries[0].min_retry_wait = 5.0;
        c.registries[0].max_retry_wait = 1.0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("min_retry_wait = 5 is above")
        );
        c.registries[0].min_retry_wait = -1.0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("min_retry_wait = -1 is out of range")
        );
        c.registries[0].min_retry_wait = 0.5;
        c.registries[0].max_retry_wait = 30.0;
        c.validate().unwrap();
        c.registries[0].proxy = Some("http://proxy.example:3128/path?pw=s3cr3t".into());
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("proxy must be http(s)://") && !e.contains("s3cr3t"),
            "{e}"
        );
        c.registries[0].proxy = Some("http://proxy.example:3128".into());
        c.validate().unwrap();
        c.platforms = vec!["linux".into(), "not a platform/x/y/z".into()];
        assert!(c.validate().unwrap_err().to_string().contains("platforms"));
        c.platforms.clear();
        c.registries.push(RegistryConfig::new("127.0.0.1:5000"));
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("two registries")
        );
        c.registries.clear();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("no registry")
        );
    }

    /// A Google service-account key as IAM writes it (the private key need not be real here:
    /// nothing signs with it).
    fn google_key() -> String {
        serde_json::json!({
            "type": "service_account",
            "project_id": "lab",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
            "client_email": "scanner@lab.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token"
        })
        .to_string()
    }

    fn gar(extra: &str) -> Result<ScanConfig> {
        let text = format!(
            "[[registries]]\ntype = \"gar\"\nurl = \"https://europe-west1-docker.pkg.dev\"\n{extra}"
        );
        let config: ScanConfig = toml::from_str(&text).map_err(|e| Error::Config(e.to_string()))?;
        config.validate().map(|()| config)
    }

    #[test]
    fn gar_reads_the_key_from_one_source_and_checks_its_keys() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key.json");
        fs_err::write(&file, google_key()).unwrap();
        let c = gar(&format!(
            "json_key_file = \"{}\"\nnamespaces = [\"lab/images\"]\npull_auth = \"json_key\"",
            file.display()
        ))
        .unwrap();
        let gcp = c.registries[0].gcp_options().unwrap().unwrap();
        assert_eq!(
            gcp.key.unwrap().client_email(),
            "scanner@lab.iam.gserviceaccount.com"
        );
        assert_eq!(gcp.pull_auth, plimsoll_vendors::gar::PullAuth::JsonKey);
        assert_eq!(
            c.registries[0].api_base().unwrap().as_str(),
            "https://artifactregistry.googleapis.com/"
        );
        // The Sysdig chart's GAR shape: the key base64-encoded in the password, no user.
        let b64 = base64::engine::general_purpose::STANDARD.encode(google_key());
        let c = gar(&format!("password = \"{b64}\"")).unwrap();
        let gcp = c.registries[0].gcp_options().unwrap().unwrap();
        assert_eq!(gcp.pull_auth, plimsoll_vendors::gar::PullAuth::AccessToken);
        assert!(gcp.key.is_some());
        // Anonymous (public images) is allowed.
        assert!(
            gar("").unwrap().registries[0]
                .gcp_options()
                .unwrap()
                .unwrap()
                .key
                .is_none()
        );

        for (extra, want) in [
            (
                format!("json_key_file = \"{}\"\npassword = \"x\"", file.display()),
                "set the service-account key once",
            ),
            (
                "json_key_env = \"PLIMSOLL_SURELY_UNSET_KEY\"".to_owned(),
                "`PLIMSOLL_SURELY_UNSET_KEY`, which is not set",
            ),
            ("password = \"not-a-key-secret\"".to_owned(), "neither JSON"),
            (
                format!("user = \"admin\"\npassword = '{}'", google_key()),
                "user may only be `_json_key`",
            ),
            (
                format!("password = '{}'\npull_auth = \"basic\"", google_key()),
                "pull_auth = `basic` is not one of access_token, json_key",
            ),
            (
                "pull_auth = \"json_key\"".to_owned(),
                "pull_auth needs a service-account key",
            ),
            (
                "namespaces = [\"lab\"]".to_owned(),
                "`lab` is not `project/repository`",
            ),
            (
                "namespaces = [\"lab/a/b\"]".to_owned(),
                "`lab/a/b` is not `project/repository`",
            ),
            (
                "location = \"Europe West\"".to_owned(),
                "not a Google Cloud location",
            ),
        ] {
            let err = gar(&extra).unwrap_err().to_string();
            assert!(err.contains(want), "{extra}: {err}");
            assert!(!err.contains("secret") && !err.contains("MIIE"), "{err}");
        }
        // Google's keys are refused for other types, naming the key.
        let text = "[[registries]]\nurl = \"https://r.example\"\njson_key_env = \"K\"\n";
        let config: ScanConfig = toml::from_str(text).unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("`json_key_env` does not apply to type = \"distribution\" (only to gar)"),
            "{err}"
        );
    }
}
