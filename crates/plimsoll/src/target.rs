//! Reading the image(s) a command names: the registry client, the scanner, the inventories.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use plimsoll_layer::Limits;
use plimsoll_registry::{CredentialStore, Credentials, RegistryClient};
use plimsoll_scan::{ScanOptions, Scanner, SourceSpec};
use plimsoll_types::{ImageInventory, Platform};

use crate::cli::{RegistryArgs, TargetArgs};

/// Inventories of the image `args` names (one per platform with --all-platforms).
pub(crate) async fn inventories(args: &TargetArgs) -> anyhow::Result<Vec<ImageInventory>> {
    let source: SourceSpec = args.image.parse()?;
    let platform = args
        .platform
        .as_deref()
        .map(str::parse::<Platform>)
        .transpose()?;
    let client = registry_client(&args.registry, &source)?;
    let options = ScanOptions {
        platform,
        all_platforms: args.all_platforms,
        limits: Limits {
            max_uncompressed_bytes: args.limits.max_layer_size,
            max_expansion_ratio: args.limits.max_expansion_ratio,
            ratio_grace_bytes: args.limits.ratio_grace,
        },
        layer_concurrency: None,
    };
    let scanner = Scanner::new(Arc::new(client), options);
    let images = scanner
        .scan(&source)
        .await
        .with_context(|| source.to_string())?;
    for image in &images {
        tracing::info!(
            image = %image.source.display_name(),
            platform = %image.platform,
            os = image.os.as_ref().and_then(|o| o.pretty_name.as_deref()).unwrap_or("unknown"),
            packages = image.packages.len(),
            "inventory complete"
        );
    }
    Ok(images)
}

fn registry_client(args: &RegistryArgs, source: &SourceSpec) -> anyhow::Result<RegistryClient> {
    let mut credentials = CredentialStore::new();
    if let (Some(username), SourceSpec::Registry(reference)) = (&args.username, source) {
        let password = if args.password_stdin {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from stdin")?;
            password.trim_end_matches(['\n', '\r']).to_owned()
        } else {
            args.password.clone().unwrap_or_default()
        };
        // Scoped to the one registry this command pulls from.
        credentials.insert(reference.registry(), Credentials::new(username, password));
    }
    let docker_config = args.docker_config.clone().or_else(default_docker_config);
    if let Some(path) = docker_config.filter(|p| args.docker_config.is_some() || p.exists()) {
        let added = credentials.merge_docker_config(&path)?;
        tracing::debug!(path = %path.display(), registries = added, "read Docker credentials");
    }
    let mut builder = RegistryClient::builder()
        .credentials(credentials)
        .insecure(args.insecure)
        .plain_http(args.plain_http);
    for ca in &args.ca_cert {
        builder = builder.ca_cert(ca.clone());
    }
    Ok(builder.build()?)
}

fn default_docker_config() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}
