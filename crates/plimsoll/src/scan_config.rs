//! `plimsoll registry scan`'s configuration: a TOML file, then `PLIMSOLL_…` variables, then
//! flags, each overriding the one before (figment for the first two).

use std::path::PathBuf;

use anyhow::Context as _;
use figment::Figment;
use figment::providers::{Env, Format as _, Toml};

use plimsoll_worker::{RegistryConfig, ScanConfig};

use crate::cli::ScanConfigArgs;

/// Keys `PLIMSOLL_…` variables may set (`PLIMSOLL_FILTER__MAX_AGE_DAYS=30`); registries and
/// their secrets come from the file or the flags only, so a stray variable cannot add one.
const ENV_KEYS: [&str; 10] = [
    "max_workers",
    "platforms",
    "store",
    "db_dir",
    "report_dir",
    "filter.include",
    "filter.exclude",
    "filter.max_age_days",
    "filter.max_tags_per_repository",
    "filter.max_repositories_per_registry",
];

/// The merged, validated configuration.
pub(crate) fn load(args: &ScanConfigArgs) -> anyhow::Result<ScanConfig> {
    let mut config = file_and_env(args.config.as_deref())?;
    apply_flags(&mut config, args)?;
    config.validate()?;
    Ok(config)
}

/// `plimsoll serve --config FILE`: the file and the variables, validated (no flags). The file
/// may define no registry: the server's may all be created through the API.
pub(crate) fn load_file(path: &std::path::Path) -> anyhow::Result<ScanConfig> {
    let config = file_and_env(Some(path))?;
    config.validate_settings()?;
    Ok(config)
}

fn file_and_env(path: Option<&std::path::Path>) -> anyhow::Result<ScanConfig> {
    let mut figment = Figment::new();
    if let Some(path) = path {
        if !path.is_file() {
            anyhow::bail!("configuration file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed("PLIMSOLL_").split("__").only(&ENV_KEYS));
    figment.extract().map_err(|e| {
        // figment's message names the key and the source (file or variable).
        anyhow::anyhow!("invalid configuration: {e}")
    })
}

fn apply_flags(config: &mut ScanConfig, args: &ScanConfigArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.registry_url {
        // One registry from flags replaces the file's list: scan what the command line names.
        let mut registry = RegistryConfig::new(url.clone());
        registry.name.clone_from(&args.registry_name);
        if let Some(kind) = &args.registry_type {
            registry.kind = kind
                .parse()
                .with_context(|| format!("--registry-type `{kind}`"))?;
        }
        registry.user.clone_from(&args.registry_user);
        registry
            .password_file
            .clone_from(&args.registry_password_file);
        registry
            .password_env
            .clone_from(&args.registry_password_env);
        registry.ca_cert.clone_from(&args.registry_ca_cert);
        registry.insecure = args.registry_insecure;
        if let Some(n) = args.registry_max_concurrency {
            registry.max_concurrency = n;
        }
        config.registries = vec![registry];
    } else if args.registry_user.is_some()
        || args.registry_password_file.is_some()
        || args.registry_password_env.is_some()
    {
        anyhow::bail!("--registry-user and --registry-password-* need --registry-url");
    }
    if let Some(n) = args.max_workers {
        config.max_workers = n;
    }
    if !args.platform.is_empty() {
        config.platforms.clone_from(&args.platform);
    }
    if !args.include.is_empty() {
        config.filter.include = patterns(&args.include, "--include")?;
    }
    if !args.exclude.is_empty() {
        config.filter.exclude = patterns(&args.exclude, "--exclude")?;
    }
    if let Some(n) = args.max_age_days {
        config.filter.max_age_days = n;
    }
    if let Some(n) = args.max_tags_per_repository {
        config.filter.max_tags_per_repository = n;
    }
    if let Some(n) = args.max_repositories_per_registry {
        config.filter.max_repositories_per_registry = n;
    }
    set(&mut config.store, args.store.as_ref());
    set(&mut config.db_dir, args.db_dir.as_ref());
    set(&mut config.report_dir, args.report_dir.as_ref());
    Ok(())
}

fn patterns(given: &[String], flag: &str) -> anyhow::Result<Vec<plimsoll_filter::Pattern>> {
    given
        .iter()
        .map(|p| plimsoll_filter::Pattern::new(p).with_context(|| format!("{flag} `{p}`")))
        .collect()
}

fn set(slot: &mut Option<PathBuf>, flag: Option<&PathBuf>) {
    if let Some(value) = flag {
        *slot = Some(value.clone());
    }
}

/// The store a command uses: `--store` (or `PLIMSOLL_STORE`, through clap or figment), else the
/// configuration's, else the default path.
pub(crate) fn store_path(flag: Option<&PathBuf>, config: Option<&ScanConfig>) -> PathBuf {
    flag.cloned()
        .or_else(|| config.and_then(|c| c.store.clone()))
        .unwrap_or_else(plimsoll_store::Store::default_path)
}

/// Opens the store, saying where it is on failure.
pub(crate) async fn open_store(path: &std::path::Path) -> anyhow::Result<plimsoll_store::Store> {
    plimsoll_store::Store::open(path)
        .await
        .with_context(|| format!("results store {}", path.display()))
}
