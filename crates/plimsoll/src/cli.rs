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
    /// Scan one image for vulnerabilities: inventory it, match it against the local
    /// vulnerability database, report.
    Image(ImageArgs),
    /// Manage the local vulnerability database (OSV).
    #[command(subcommand)]
    Db(DbCommand),
    /// Scan whole registries (discover, filter, scan in parallel, store), or re-match what
    /// the results store holds.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Read what the results store holds.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Export the latest results of every image in the store to a directory: one report per
    /// image plus summary.csv.
    Report(ReportArgs),
    /// Serve the results store over HTTP: a JSON API behind API tokens, with its OpenAPI
    /// document at /api/openapi.json; with --config, also scan the configured registries on
    /// their schedules. The first start creates an admin token and prints it once to stderr.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = concat!(
        "Examples:\n",
        "  plimsoll serve --listen 127.0.0.1:8080\n",
        "  plimsoll serve --config plimsoll.toml   # also scans its registries on their schedules\n",
        "  kill -HUP $(pidof plimsoll)             # re-read plimsoll.toml\n",
        "  plimsoll serve token create --scope read --name ci\n",
        "  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/images\n\n",
        "See docs/server.md."
    )
)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the `listening on` line says which).
    #[arg(
        long,
        env = "PLIMSOLL_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    pub(crate) listen: std::net::SocketAddr,

    /// The registry-scan TOML configuration (as for `registry scan`): its registries are scanned
    /// on their schedule (schedule, timezone, interval, scan_on_start) and on demand through
    /// the API; SIGHUP re-reads it (a broken file keeps the running configuration). Registries
    /// created through the API (POST /api/v1/registries) are scanned with or without it.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) store: StoreArgs,

    #[command(subcommand)]
    pub(crate) command: Option<ServeCommand>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// Manage the API tokens of `plimsoll serve` (stored hashed in the results store).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the web UI's admin password (stored as an argon2id hash in the results store).
    #[command(subcommand)]
    Password(PasswordCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PasswordCommand {
    /// Set (or replace) the password of UI user `admin`, read from stdin (one line; at least
    /// 12 characters). Sessions already open stay open until they expire or the server
    /// restarts.
    Set(PasswordSetArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PasswordSetArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it once on stdout; only its SHA-256 is stored.
    Create(TokenCreateArgs),
    /// List tokens (id, name, scope, created, revoked); never the tokens themselves.
    List(TokenListArgs),
    /// Revoke a token by id: it is refused (403) from the next request on.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// read: every GET of /api/v1; admin: also the write endpoints (to come).
    #[arg(long, value_parser = ["read", "admin"])]
    pub(crate) scope: String,

    /// A name to recognise it by in `token list`.
    #[arg(long, default_value = "unnamed")]
    pub(crate) name: String,

    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TokenListArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TokenRevokeArgs {
    /// The token's id (from `token list`).
    pub(crate) id: i64,

    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RegistryCommand {
    /// Discover every repository and tag of the configured registries, filter them, scan the
    /// rest with --max-workers in parallel, and store inventories and findings. Layers and
    /// images already analysed are never pulled again.
    Scan(Box<ScanArgs>),
    /// Match every stored inventory again against the current vulnerability database,
    /// without contacting any registry (after `plimsoll db update`).
    Rematch(RematchArgs),
    /// Check that every configured registry can be reached, without scanning: for ECR the
    /// accounts (assumed or why not), regions and registries with their repository counts;
    /// for the other types `/v2/` (reachable, credentials accepted) and the catalog. Exit
    /// status 1 when anything configured is unreachable.
    Check(Box<CheckArgs>),
}

#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  plimsoll registry check --config plimsoll.toml\n",
    "  plimsoll registry check --registry-url https://registry.example.com --registry-user scanner \\\n",
    "      --registry-password-env REGISTRY_PASSWORD\n",
))]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) config: ScanConfigArgs,
}

#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Configuration: a TOML file (--config), then PLIMSOLL_* variables (PLIMSOLL_MAX_WORKERS,\n",
    "PLIMSOLL_FILTER__MAX_AGE_DAYS, …), then these flags, each overriding the one before.\n",
    "--registry-url replaces the file's registries with that one registry.\n\n",
    "The last log line is `Total: N = Success: X + Failed: Y + Skipped: Z`. Exit status: 0 when\n",
    "every image was scanned or skipped, 1 when any failed or the run could not start.\n\n",
    "Examples:\n",
    "  plimsoll registry scan --registry-url http://127.0.0.1:5000 --max-age-days 365\n",
    "  plimsoll registry scan --config plimsoll.toml --dry-run\n",
    "  plimsoll registry scan --config plimsoll.toml --report-dir ./reports"
))]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) config: ScanConfigArgs,

    /// Discovery, metadata and filters only: list which images would be scanned and why the
    /// others would not. Pulls nothing, stores no run.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Wait for a run in progress on the same store instead of exiting at once.
    #[arg(long)]
    pub(crate) wait: bool,

    /// Ask a running `plimsoll serve --config` to scan --registry now instead of scanning
    /// here (needs an admin token). Exits 1 if a run of it is already queued or running.
    #[arg(
        long,
        value_name = "URL",
        requires = "registry",
        help_heading = "Server"
    )]
    pub(crate) server: Option<String>,

    /// API token for --server (admin scope).
    #[arg(
        long,
        env = "PLIMSOLL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        help_heading = "Server"
    )]
    pub(crate) token: Option<String>,

    /// The name of the registry --server should scan, as its configuration names it.
    #[arg(
        long,
        value_name = "NAME",
        requires = "server",
        help_heading = "Server"
    )]
    pub(crate) registry: Option<String>,
}

/// Everything a registry scan can be configured with on the command line.
#[derive(Debug, Args)]
pub(crate) struct ScanConfigArgs {
    /// TOML configuration file (registries, filter, max_workers, platforms, notifications).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Registry to scan: https://host[:port], http://host:port (plain HTTP) or host[:port].
    #[arg(long, value_name = "URL", help_heading = "Registry")]
    pub(crate) registry_url: Option<String>,

    /// Its name in logs and reports [default: the host].
    #[arg(long, value_name = "NAME", help_heading = "Registry")]
    pub(crate) registry_name: Option<String>,

    /// Its discovery API [default: distribution].
    #[arg(long, value_name = "TYPE", help_heading = "Registry")]
    pub(crate) registry_type: Option<String>,

    /// User name.
    #[arg(long, value_name = "USER", help_heading = "Registry")]
    pub(crate) registry_user: Option<String>,

    /// File holding the password or token.
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub(crate) registry_password_file: Option<PathBuf>,

    /// Environment variable holding the password or token.
    #[arg(long, value_name = "VAR", help_heading = "Registry")]
    pub(crate) registry_password_env: Option<String>,

    /// Extra PEM CA certificate to trust.
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub(crate) registry_ca_cert: Option<PathBuf>,

    /// Accept any TLS certificate (lab registries only).
    #[arg(long, help_heading = "Registry")]
    pub(crate) registry_insecure: bool,

    /// Requests in flight to the registry at most [default: 8].
    #[arg(long, value_name = "N", help_heading = "Registry")]
    pub(crate) registry_max_concurrency: Option<usize>,

    /// Images scanned at once [default: 5; 1–64].
    #[arg(long, value_name = "N")]
    pub(crate) max_workers: Option<usize>,

    /// Platform to scan of multi-platform images (repeatable) [default: all].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Vec<String>,

    /// Scan only images matching this pattern (repeatable; see the filter docs).
    #[arg(long, value_name = "PATTERN", help_heading = "Filters")]
    pub(crate) include: Vec<String>,

    /// Skip images matching this pattern unless an include pattern matches too (repeatable).
    #[arg(long, value_name = "PATTERN", help_heading = "Filters")]
    pub(crate) exclude: Vec<String>,

    /// Skip images created more than N days ago [default: 90; 1–365].
    #[arg(long, value_name = "N", help_heading = "Filters")]
    pub(crate) max_age_days: Option<u32>,

    /// Scan the N newest tags of each repository [default: 5; 1–50].
    #[arg(long, value_name = "N", help_heading = "Filters")]
    pub(crate) max_tags_per_repository: Option<u32>,

    /// Scan the first N repositories of each registry [default: 500; 1–10000].
    #[arg(long, value_name = "N", help_heading = "Filters")]
    pub(crate) max_repositories_per_registry: Option<u32>,

    /// Results store (SQLite) [default: $XDG_DATA_HOME/plimsoll/store.sqlite].
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<PathBuf>,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,

    /// After the run, write every image's report and summary.csv here.
    #[arg(long, value_name = "DIR")]
    pub(crate) report_dir: Option<PathBuf>,
}

/// A running `plimsoll serve` to read results from instead of a store file.
#[derive(Debug, Args)]
#[command(next_help_heading = "Server")]
pub(crate) struct ServerArgs {
    /// Read the results from this `plimsoll serve` (its API) instead of a store file.
    #[arg(
        long,
        env = "PLIMSOLL_SERVER",
        value_name = "URL",
        conflicts_with = "path"
    )]
    pub(crate) server: Option<String>,

    /// API token for --server (read scope is enough).
    #[arg(
        long,
        env = "PLIMSOLL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        requires = "server"
    )]
    pub(crate) token: Option<String>,
}

/// Where the results store is, for the commands that only read or re-match it.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Results store (SQLite) [default: $XDG_DATA_HOME/plimsoll/store.sqlite].
    #[arg(long = "store", env = "PLIMSOLL_STORE", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RematchArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,

    /// Wait for a run in progress on the same store instead of exiting at once.
    #[arg(long)]
    pub(crate) wait: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ResultsCommand {
    /// One line per image and platform: severity counts, fixable findings, status.
    List(ResultsListArgs),
    /// The findings of one image (REGISTRY/REPOSITORY:TAG as `results list` shows it).
    Show(ResultsShowArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ResultsListArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,

    #[command(flatten)]
    pub(crate) server: ServerArgs,

    /// Only this registry (its name).
    #[arg(long)]
    pub(crate) registry: Option<String>,

    /// Only repositories containing this text.
    #[arg(long)]
    pub(crate) repository: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_parser = ["table", "json"], default_value = "table")]
    pub(crate) format: String,
}

#[derive(Debug, Args)]
pub(crate) struct ResultsShowArgs {
    /// REGISTRY/REPOSITORY:TAG.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,

    #[command(flatten)]
    pub(crate) store: StoreArgs,

    #[command(flatten)]
    pub(crate) server: ServerArgs,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_parser = ["table", "json", "sarif"])]
    pub(crate) format: Option<String>,

    #[command(flatten)]
    pub(crate) view: ViewArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// json: one Plimsoll JSON report per image; sarif: one SARIF log per image; csv:
    /// findings.csv, secrets.csv and config.csv. Each with summary.csv.
    #[arg(long, short = 'f', value_parser = ["json", "sarif", "csv"], default_value = "json")]
    pub(crate) format: String,

    /// Directory to write (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub(crate) output: PathBuf,

    #[command(flatten)]
    pub(crate) store: StoreArgs,

    /// Only this registry (its name).
    #[arg(long)]
    pub(crate) registry: Option<String>,

    /// Only repositories containing this text.
    #[arg(long)]
    pub(crate) repository: Option<String>,
}

/// Which image to read and how: shared by `sbom` and `image`.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// The image to read.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,

    /// Platform to pick from a multi-platform image [default: this machine's].
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub(crate) platform: Option<String>,

    /// Read every platform of a multi-platform image, one result each.
    #[arg(long)]
    pub(crate) all_platforms: bool,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,

    #[command(flatten)]
    pub(crate) limits: LimitArgs,
}

#[derive(Debug, Args)]
#[command(after_help = SBOM_HELP)]
pub(crate) struct SbomArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_parser = ["table", "json", "cyclonedx-json", "spdx-json"])]
    pub(crate) format: Option<String>,

    /// Write the report to FILE instead of stdout. With --all-platforms and an SBOM format,
    /// one file per platform is written, named FILE with the platform before the extension.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

const SBOM_HELP: &str = "IMAGE forms:
  127.0.0.1:5000/lab/app:1          a registry reference (alpine = docker.io/library/alpine:latest)
  oci-layout:DIR[:TAG]              an OCI image layout directory
  docker-archive:FILE               a `docker save` tarball

Examples:
  plimsoll sbom 127.0.0.1:5000/lab/python-app:1 --format cyclonedx-json
  plimsoll sbom oci-layout:./oci-dir:1.0 --format table
  plimsoll sbom docker-archive:./image.tar --format spdx-json -o image.spdx.json";

#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Exit status: 0 when the scan ran (whatever it found) unless --exit-code or --fail-on say\n",
    "otherwise; 1 on an error.\n\n",
    "Ignore file (.plimsollignore in the working directory, or --ignore-file): one id per line\n",
    "(the advisory id or any alias), optionally `exp:YYYY-MM-DD` after which the entry no longer\n",
    "applies, and a reason after `#`:\n",
    "  CVE-2021-44906  exp:2027-01-31  # minimist only parses our own arguments\n\n",
    "Examples:\n",
    "  plimsoll db import ../shared/advisories/pypi\n",
    "  plimsoll image 127.0.0.1:5000/lab/python-app:1 --severity HIGH,CRITICAL --ignore-unfixed --exit-code 1"
))]
pub(crate) struct ImageArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,

    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, short = 'f', value_parser = ["table", "json", "sarif"])]
    pub(crate) format: Option<String>,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,

    /// Report only these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',', value_name = "SEVERITIES")]
    pub(crate) severity: Vec<String>,

    /// Leave out vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub(crate) ignore_unfixed: bool,

    /// Exit with this status when any vulnerability is reported (after filters).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) exit_code: u8,

    /// Exit with status 1 (or --exit-code when not 0) when a reported vulnerability is at
    /// least this severe.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<String>,

    /// Ignore file [default: .plimsollignore when present]. Lines name vulnerability ids or
    /// aliases, configuration check ids (`PLM-CFG-002`) or secret rules (`aws-access-key-id`).
    #[arg(long, value_name = "FILE")]
    pub(crate) ignore_file: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) view: ViewArgs,
}

/// The other views of a vulnerability report, as text.
#[derive(Debug, Args)]
pub(crate) struct ViewArgs {
    /// Show the layers instead of the vulnerability table: per layer its command, sizes,
    /// base-image marker, packages added/removed/changed and the findings it introduced.
    #[arg(long, conflicts_with_all = ["modules", "format"])]
    pub(crate) layers: bool,

    /// Show every package (module) with its location, layer and vulnerabilities summarised,
    /// instead of the vulnerability table.
    #[arg(long, conflicts_with = "format")]
    pub(crate) modules: bool,
}

impl ViewArgs {
    /// The view asked for, if any.
    pub(crate) fn view(&self) -> Option<plimsoll_report::View> {
        if self.layers {
            Some(plimsoll_report::View::Layers)
        } else if self.modules {
            Some(plimsoll_report::View::Modules)
        } else {
            None
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Import OSV records from directories, zips or JSON files (air-gapped), merging them into
    /// the database atomically.
    Import(DbImportArgs),
    /// Download OSV feeds (per-ecosystem all.zip) and import them; unchanged feeds are not
    /// downloaded again.
    Update(DbUpdateArgs),
    /// Show what the database holds: records per ecosystem, sources, build time, schema.
    Status(DbStatusArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DbImportArgs {
    /// Directories, .zip files or .json files of OSV records.
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,

    /// Build the database from these sources only, dropping what it held.
    #[arg(long)]
    pub(crate) replace: bool,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DbUpdateArgs {
    /// Feed to fetch: an HTTP(S) URL of an OSV zip, or a local directory/zip [default: the
    /// public OSV bucket's all.zip of each --ecosystem].
    #[arg(long, value_name = "URL|DIR|ZIP")]
    pub(crate) source: Vec<String>,

    /// OSV ecosystems to fetch from the public bucket when no --source is given.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = crate::db::DEFAULT_ECOSYSTEMS
    )]
    pub(crate) ecosystem: Vec<String>,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DbStatusArgs {
    /// Output format.
    #[arg(long, short = 'f', value_parser = ["table", "json"], default_value = "table")]
    pub(crate) format: String,

    /// Vulnerability database directory.
    #[arg(long, env = "PLIMSOLL_DB_DIR", value_name = "DIR")]
    pub(crate) db_dir: Option<PathBuf>,
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
