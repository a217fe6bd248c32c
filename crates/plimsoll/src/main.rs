//! `plimsoll`: the one binary — the command line and `plimsoll serve`.
//!
//! Only this crate parses flags, installs the tracing subscriber and uses `anyhow`; the
//! libraries return typed errors and never print.

mod cli;
mod db;
mod ignore;
mod image;
mod logging;
mod output;
mod progress;
mod registry;
mod remote;
mod results;
mod sbom;
mod scan_config;
mod serve;
mod serve_vulndb;
mod target;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = logging::init(cli.log_level.as_deref(), cli.log_format) {
        report_error(&e);
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report_error(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Sbom(args) => sbom::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Image(args) => image::run(args).await,
            Command::Db(command) => db::run(command).await.map(|()| ExitCode::SUCCESS),
            Command::Registry(command) => registry::run(command, cli.log_format).await,
            Command::Results(command) => results::run(command).await,
            Command::Report(args) => results::report(args).await,
            Command::Serve(args) => serve::run(args).await.map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`plimsoll sbom … | head`) is the reader's choice, not a failure.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            report_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// One line, `error: context: cause: cause`, on stderr.
fn report_error(e: &anyhow::Error) {
    #[allow(clippy::print_stderr)] // the binary's one place that prints errors
    {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {e:#}");
    }
}
