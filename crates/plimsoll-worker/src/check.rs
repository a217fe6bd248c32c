//! `plimsoll registry check`: can every configured registry be reached, and what would
//! discovery see — without listing tags or pulling anything.
//!
//! - ECR: each account (id, name, whether its role could be assumed, or why not), its
//!   regions, and each registry host with its repository count.
//! - Google (`gar`): the service account and whether its token endpoint granted an access
//!   token, `/v2/` with the pull credentials, then the Artifact Registry repositories of
//!   `namespaces` (their image count) or the catalog.
//! - Every other type: `/v2/` (reachable, credentials accepted) and the repository catalog
//!   (readable, or why not), through the vendor's listing (ACR's `/acr/v1/_catalog` with its
//!   token scope, ICR's IAM exchange and images API, `OpenShift`'s image streams with `api_url`).

use std::fmt::Write as _;
use std::sync::Arc;

use plimsoll_vendors::Vendor;

use crate::config::{RegistryConfig, ScanConfig};

/// What the check found for one configured registry.
#[derive(Clone, Debug)]
pub struct RegistryCheck {
    /// Its display name.
    pub name: String,
    /// Its type.
    pub kind: Vendor,
    /// One line per fact, as printed.
    pub lines: Vec<String>,
    /// How many of the facts are failures (unreachable, refused, not assumed).
    pub problems: usize,
}

/// Checks every registry of `config`, one after the other.
pub async fn check(config: &ScanConfig) -> Vec<RegistryCheck> {
    let mut checks = Vec::new();
    for registry in &config.registries {
        let mut check = RegistryCheck {
            name: registry.display_name(),
            kind: registry.kind,
            lines: Vec::new(),
            problems: 0,
        };
        if registry.kind == Vendor::Ecr {
            Box::pin(check_ecr(registry, &mut check)).await;
        } else if registry.kind == Vendor::Gar {
            Box::pin(check_gar(registry, &mut check)).await;
        } else {
            check_v2(registry, &mut check).await;
        }
        checks.push(check);
    }
    checks
}

impl RegistryCheck {
    fn ok(&mut self, line: String) {
        self.lines.push(line);
    }

    fn problem(&mut self, line: String) {
        self.problems += 1;
        self.lines.push(line);
    }

    /// The report as printed: a heading, then the facts indented.
    pub fn render(&self) -> String {
        let mut out = format!(
            "registry `{}` (type {}): {}\n",
            self.name,
            self.kind,
            if self.problems == 0 {
                "ok".to_owned()
            } else {
                format!("{} problem(s)", self.problems)
            }
        );
        for line in &self.lines {
            let _ = writeln!(out, "  {line}");
        }
        out
    }
}

async fn check_ecr(registry: &RegistryConfig, check: &mut RegistryCheck) {
    let aws = registry.aws.clone().unwrap_or_default();
    let options = match registry.vendor_options() {
        Ok(options) => options,
        Err(e) => {
            check.problem(e.to_string());
            return;
        }
    };
    let resolution = match plimsoll_vendors::ecr::resolve(&aws, &options.network).await {
        Ok(resolution) => resolution,
        Err(e) => {
            check.problem(format!("AWS: {}", crate::run::error_chain(&e)));
            return;
        }
    };
    for account in &resolution.accounts {
        let name = account
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        match &account.error {
            None => check.ok(format!(
                "account {}{name}: assumed; regions: {}",
                account.id,
                account.regions.join(", ")
            )),
            Some(e) => check.problem(format!(
                "account {}{name}: NOT ASSUMED or incomplete: {e}",
                account.id
            )),
        }
    }
    for ecr in &resolution.registries {
        use plimsoll_vendors::Discovery as _;
        match ecr.repositories(None).await {
            Ok(repositories) => check.ok(format!(
                "registry {} (account {}, {}): {} repositories",
                ecr.registry(),
                ecr.account_id(),
                ecr.region(),
                repositories.len()
            )),
            Err(e) => check.problem(format!(
                "registry {} (account {}, {}): {}",
                ecr.registry(),
                ecr.account_id(),
                ecr.region(),
                crate::run::error_chain(&e)
            )),
        }
    }
    if resolution.registries.is_empty() {
        check.problem("no registry reachable".to_owned());
    }
}

async fn check_gar(registry: &RegistryConfig, check: &mut RegistryCheck) {
    let prepared = registry.host().and_then(|host| {
        let options = registry.vendor_options()?;
        let endpoint = registry.endpoint(Arc::new(registry.client()?))?;
        Ok((host, options, endpoint))
    });
    let (host, options, endpoint) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            check.problem(format!("configuration: {e}"));
            return;
        }
    };
    let gcp = options.gcp.clone().unwrap_or_default();
    let who = match &gcp.key {
        Some(key) => {
            let mode = match gcp.pull_auth {
                plimsoll_vendors::gar::PullAuth::AccessToken => "access token",
                plimsoll_vendors::gar::PullAuth::JsonKey => "_json_key",
            };
            format!("as {} ({mode})", key.client_email())
        }
        None => "anonymously".to_owned(),
    };
    let resolved =
        match plimsoll_vendors::resolve(registry.kind, endpoint.page_size(1), &options).await {
            Ok(resolved) => resolved,
            Err(e) => {
                check.problem(crate::run::error_chain(&e));
                return;
            }
        };
    if let Some(key) = &gcp.key {
        let granted = gcp.pull_auth == plimsoll_vendors::gar::PullAuth::AccessToken
            || !registry.namespaces.is_empty();
        if granted {
            check.ok(format!(
                "service account {}: access token granted by {}",
                key.client_email(),
                key.token_uri().host_str().unwrap_or_default()
            ));
        }
    }
    for r in resolved {
        let client = match registry.client_for(&host, r.credentials.clone(), r.plain_http) {
            Ok(client) => client,
            Err(e) => {
                check.problem(format!("configuration: {e}"));
                continue;
            }
        };
        match client.ping(&host).await {
            Ok(()) => check.ok(format!("{host}/v2/: reachable, access granted {who}")),
            Err(e) => check.problem(format!("{host}/v2/: {}", crate::run::error_chain(&e))),
        }
        if registry.namespaces.is_empty() {
            match r.discovery.repositories(Some(1)).await {
                Ok(first) if first.is_empty() => check.ok("catalog: readable, empty".to_owned()),
                Ok(first) => check.ok(format!(
                    "catalog: readable (first repository: {})",
                    first[0]
                )),
                Err(e) => check.problem(format!("catalog: {}", crate::run::error_chain(&e))),
            }
            continue;
        }
        // The API lists a repository's images whole: count them all.
        let what = format!("Artifact Registry {}", registry.namespaces.join(", "));
        match r.discovery.repositories(None).await {
            Ok(all) if all.is_empty() => check.ok(format!("{what}: readable, no tagged image")),
            Ok(all) => check.ok(format!(
                "{what}: readable, {} tagged images (first: {})",
                all.len(),
                all[0]
            )),
            Err(e) => check.problem(format!("{what}: {}", crate::run::error_chain(&e))),
        }
    }
}

async fn check_v2(registry: &RegistryConfig, check: &mut RegistryCheck) {
    let (host, client) = match registry.host().and_then(|h| Ok((h, registry.client()?))) {
        Ok(pair) => pair,
        Err(e) => {
            check.problem(format!("configuration: {e}"));
            return;
        }
    };
    let who = registry
        .user()
        .map_or_else(|| "anonymously".to_owned(), |u| format!("as `{u}`"));
    match client.ping(&host).await {
        Ok(()) => check.ok(format!("{host}/v2/: reachable, access granted {who}")),
        Err(e) => {
            check.problem(format!("{host}/v2/: {}", crate::run::error_chain(&e)));
            return;
        }
    }
    let endpoint = match registry.endpoint(Arc::new(client)) {
        Ok(endpoint) => endpoint.page_size(1),
        Err(e) => {
            check.problem(e.to_string());
            return;
        }
    };
    let discovery = match plimsoll_vendors::discovery(registry.kind, endpoint) {
        Ok(d) => d,
        Err(e) => {
            check.problem(format!("discovery: {e}"));
            return;
        }
    };
    // What the vendor lists repositories with, so a refusal names the right credentials.
    let listing = match registry.kind {
        Vendor::Acr => "catalog (/acr/v1/_catalog, token scope registry:catalog:*)".to_owned(),
        Vendor::Icr => "image list (IAM token for the API key, /api/v1/images)".to_owned(),
        Vendor::Ocp if registry.api_url.is_some() => {
            let scope = if registry.namespaces.is_empty() {
                "all namespaces".to_owned()
            } else {
                format!("namespaces {}", registry.namespaces.join(", "))
            };
            format!("image streams ({scope})")
        }
        _ => "catalog".to_owned(),
    };
    match discovery.repositories(Some(1)).await {
        Ok(first) if first.is_empty() => check.ok(format!("{listing}: readable, empty")),
        Ok(first) => check.ok(format!(
            "{listing}: readable (first repository: {})",
            first[0]
        )),
        Err(e) => check.problem(format!("{listing}: {}", crate::run::error_chain(&e))),
    }
}
