use std::path::{Path, PathBuf};

use anyhow::bail;

use plimsoll_report::Format;
use plimsoll_types::{ImageInventory, Platform};

use crate::cli::SbomArgs;
use crate::output::{stdout_is_terminal, write_report};
use crate::target::inventories;

pub(crate) async fn run(args: SbomArgs) -> anyhow::Result<()> {
    let format: Format = match &args.format {
        Some(f) => f.parse()?,
        None if stdout_is_terminal(args.output.as_deref()) => Format::Table,
        None => Format::Json,
    };
    let images = inventories(&args.target).await?;
    write_sboms(format, &images, args.output.as_deref())
}

fn write_sboms(
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
            write_report(Some(&path), |out| {
                Ok(plimsoll_report::write_inventories(
                    format,
                    std::slice::from_ref(image),
                    out,
                )?)
            })?;
            tracing::info!(path = %path.display(), platform = %image.platform, "wrote report");
        }
        return Ok(());
    }
    write_report(output, |out| {
        Ok(plimsoll_report::write_inventories(format, images, out)?)
    })
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
