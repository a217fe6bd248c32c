use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

use plimsoll_layer::Limits;
use plimsoll_registry::{CredentialStore, Credentials, RegistryClient};
use plimsoll_report::Format;
use plimsoll_scan::{ScanOptions, Scanner, SourceSpec};
use plimsoll_types::{ImageInventory, Platform};

use crate::cli::{RegistryArgs, SbomArgs};

pub(crate) async fn run(args: SbomArgs) -> anyhow::Result<()> {
    let source: SourceSpec = args.image.parse()?;
    let format: Format = match &args.format {
        Some(f) => f.parse()?,
        None if args.output.is_none() && std::io::stdout().is_terminal() => Format::Table,
        None => Format::Json,
    };
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
    write_report(format, &images, args.output.as_deref())
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

fn write_report(
    format: Format,
    images: &[ImageInventory],
    output: Option<&Path>,
) -> anyhow::Result<()> {
    if format.one_image_per_document() && images.len() > 1 {
        let Some(output) = output else {
            bail!(
                "{format} describes one image per document and this scan produced {}; pass --output FILE to write one file per platform",
                images.len()
            );
        };
        for image in images {
            let path = platform_path(output, &image.platform);
            write_to(format, std::slice::from_ref(image), Some(&path))?;
            tracing::info!(path = %path.display(), platform = %image.platform, "wrote report");
        }
        return Ok(());
    }
    write_to(format, images, output)
}

fn write_to(
    format: Format,
    images: &[ImageInventory],
    output: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(path) = output {
        // Write beside the target and rename, so a failed run never leaves half a report.
        let tmp = path.with_extension("plimsoll-partial");
        let mut file = std::io::BufWriter::new(fs_err::File::create(&tmp)?);
        plimsoll_report::write_inventories(format, images, &mut file)
            .with_context(|| format!("writing {}", path.display()))?;
        file.flush()?;
        drop(file);
        fs_err::rename(&tmp, path)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        plimsoll_report::write_inventories(format, images, &mut stdout)?;
        stdout.flush()?;
    }
    Ok(())
}

/// `out/sbom.json` + `linux/arm64/v8` → `out/sbom-linux-arm64-v8.json`.
fn platform_path(output: &Path, platform: &Platform) -> PathBuf {
    let tag = platform.to_string().replace('/', "-");
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match output.extension() {
        Some(ext) => format!("{stem}-{tag}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{tag}"),
    };
    output.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_paths() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(
            platform_path(Path::new("out/sbom.cdx.json"), &p),
            Path::new("out/sbom.cdx-linux-arm64-v8.json")
        );
        assert_eq!(
            platform_path(Path::new("sbom"), &p),
            Path::new("sbom-linux-arm64-v8")
        );
    }
}
