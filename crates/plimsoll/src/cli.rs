// Doc comments here are clap help texts read in a terminal, not rustdoc: no Markdown backticks.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Plimsoll marks which images in a registry are safe to ship: it pulls images, inventories
/// their packages layer by layer, and reports.
#[derive(Debug, Parser)]
#[command(name = "plimsoll", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    /// Log filter: error, warn, info, debug, trace, or directives like `info,plimsoll_registry=debug`
    /// [default: info, or $RUST_LOG]
    #[arg(long, global = true, value_name = "LEVEL")]
    pub(crate) log_level: Option<String>,

    /// Log line format (logs go to stderr).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Inventory the packages of one image (SBOM): OS and language packages, the layer that
    /// added each, the image's OS.
    Sbom(SbomArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "IMAGE forms:
  127.0.0.1:5000/lab/app:1          a registry reference (alpine = docker.io/library/alpine:latest)
  oci-layout:DIR[:TAG]              an OCI image layout directory
  docker-archive:FILE               a `docker save` tarball

Examples:
  plimsoll sbom 127.0.0.1:5000/lab/python-app:1 --format cyclonedx-json
  plimsoll sbom oci-layout:./oci-dir:1.0 --format table
  plimsoll sbom docker-archive:./image.tar --format spdx-json -o image.spdx.json")]
pub(crate) struct SbomArgs {
    /// The image to inventory.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_parser = ["table", "json", "cyclonedx-json", "spdx-json"])]
    pub(crate) format: Option<String>,

    /// Write the report to FILE instead of stdout. With --all-platforms and an SBOM format,
    /// one file per platform is written, named FILE with the platform before the extension.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Platform to pick from a multi-platform image [default: this machine's].
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub(crate) platform: Option<String>,

    /// Inventory every platform of a multi-platform image, one inventory each.
    #[arg(long)]
    pub(crate) all_platforms: bool,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,

    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

/// How to reach and authenticate to the registry.
#[derive(Debug, Args)]
#[command(next_help_heading = "Registry")]
pub(crate) struct RegistryArgs {
    /// User name for the image's registry (only ever sent to that registry).
    #[arg(long, env = "PLIMSOLL_REGISTRY_USERNAME", requires = "password_source")]
    pub(crate) username: Option<String>,

    /// Password or token for --username. Prefer --password-stdin or the environment variable:
    /// a flag is visible to other users in the process list.
    #[arg(
        long,
        env = "PLIMSOLL_REGISTRY_PASSWORD",
        hide_env_values = true,
        group = "password_source"
    )]
    pub(crate) password: Option<String>,

    /// Read the password from standard input.
    #[arg(long, group = "password_source")]
    pub(crate) password_stdin: bool,

    /// Docker config with `auths` [default: $DOCKER_CONFIG/config.json or ~/.docker/config.json].
    #[arg(long, value_name = "FILE")]
    pub(crate) docker_config: Option<PathBuf>,

    /// Extra PEM CA certificate to trust (private registries with their own CA).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Vec<PathBuf>,

    /// Accept any TLS certificate (lab registries only).
    #[arg(long)]
    pub(crate) insecure: bool,

    /// Use plain HTTP (loopback registries fall back to it automatically).
    #[arg(long)]
    pub(crate) plain_http: bool,
}

/// Safety limits against hostile layers.
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits")]
pub(crate) struct LimitArgs {
    /// Refuse a layer that expands beyond this many bytes uncompressed.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub(crate) max_layer_size: u64,

    /// Refuse a layer that expands more than this ratio (checked past --ratio-grace bytes).
    #[arg(long, value_name = "RATIO", default_value_t = 500)]
    pub(crate) max_expansion_ratio: u64,

    /// Uncompressed bytes a layer may reach before the ratio is checked.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    pub(crate) ratio_grace: u64,
}
