use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Crates of the AWS SDK whose `trace` events carry response bodies.
const AWS_SDK_TARGETS: [&str; 8] = [
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_runtime",
    "aws_config",
    "aws_sdk_ecr",
    "aws_sdk_sts",
    "aws_sdk_organizations",
];

/// Logs go to stderr so stdout carries only the report. `--log-level` wins over `RUST_LOG`
/// (the usual directive syntax works in both: `info,plimsoll_registry=debug`).
pub(crate) fn init(level: Option<&str>, format: LogFormat) -> anyhow::Result<()> {
    let filter = match level {
        Some(level) => {
            EnvFilter::try_new(level).with_context(|| format!("invalid --log-level `{level}`"))?
        }
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // The AWS SDK logs whole response bodies at `trace`: ECR authorization tokens, STS session
    // credentials. Its crates are capped at `debug` whatever was asked (a directive for the
    // same target added later replaces the caller's), so no log level shows a credential.
    let filter = AWS_SDK_TARGETS.iter().fold(filter, |filter, target| {
        match format!("{target}=debug").parse() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        }
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
    Ok(())
}
