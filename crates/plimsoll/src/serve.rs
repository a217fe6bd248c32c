//! `plimsoll serve` and `plimsoll serve token create|list|revoke`.

use std::io::Write as _;

use anyhow::{Context as _, bail};
use time::format_description::well_known::Rfc3339;

use plimsoll_server::AppState;
use plimsoll_store::TokenScope;

use crate::cli::{ServeArgs, ServeCommand, TokenCommand};
use crate::scan_config::{open_store, store_path};

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    match args.command {
        None => serve(args).await,
        Some(ServeCommand::Token(command)) => token(command, args.store.path).await,
    }
}

/// Prints on stderr, outside the log: the first admin token must reach the operator once and
/// never a log collector, and tests parse the address line whatever the log level.
#[allow(clippy::print_stderr)]
fn tell(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let path = store_path(args.store.path.as_ref(), None);
    let store = open_store(&path).await?;
    if let Some(token) = plimsoll_server::ensure_admin_token(&store)
        .await
        .context("cannot create the first admin token")?
    {
        tell(&format!(
            "No admin API token existed, so one was created. It is shown only this once; keep \
             it safe:\nadmin token: {token}"
        ));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener
        .local_addr()
        .context("cannot read the address listened on")?;
    tracing::info!(%address, store = %path.display(), "serving the results store");
    tell(&format!("listening on http://{address}"));
    let state = AppState::new(store.clone(), plimsoll_scan::current_analyzer_key());
    plimsoll_server::serve(listener, state, plimsoll_server::shutdown_signal())
        .await
        .context("the server stopped on an error")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn token(
    command: TokenCommand,
    parent_store: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    // `--store` after `token …` wins over one before it.
    let store_flag = |own: Option<std::path::PathBuf>| own.or_else(|| parent_store.clone());
    match command {
        TokenCommand::Create(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            let scope: TokenScope = args.scope.parse().map_err(anyhow::Error::msg)?;
            let (record, token) = plimsoll_server::create_token(&store, scope, &args.name)
                .await
                .context("cannot create the API token")?;
            tell(&format!(
                "created API token {} ({scope}); it is shown only this once",
                record.id
            ));
            // stdout carries the token alone: `TOKEN=$(plimsoll serve token create …)`.
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")?;
        }
        TokenCommand::List(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            let tokens = store.api_tokens().await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "ID\tSCOPE\tCREATED\tREVOKED\tNAME")?;
            for t in tokens {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.scope,
                    t.created_at.format(&Rfc3339)?,
                    t.revoked_at
                        .map(|at| at.format(&Rfc3339))
                        .transpose()?
                        .unwrap_or_else(|| "-".into()),
                    t.name
                )?;
            }
        }
        TokenCommand::Revoke(args) => {
            let store = open_store(&store_path(store_flag(args.store.path).as_ref(), None)).await?;
            if !store.revoke_api_token(args.id).await? {
                bail!("no unrevoked API token has id {}", args.id);
            }
            tell(&format!("revoked API token {}", args.id));
        }
    }
    Ok(())
}
