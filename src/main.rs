//! The `dream-mcp` binary: the MCP server on stdio, and commands for people.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use rmcp::ServiceExt;

use dream_mcp::cli::{Cli, Command};
use dream_mcp::exit_codes::ExitCode;
use dream_mcp::locations::Locations;
use dream_mcp::memory_dir::MemoryDir;
use dream_mcp::server::DreamServer;
use dream_mcp::{inventory, report};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DREAM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("dream-mcp: {e:#}");
            ExitCode::Error.into()
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let locations = cli.locations.options().resolve();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(locations),
        Command::Where { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(&locations)?);
            } else {
                print!("{}", report::locations(&locations));
            }
            Ok(ExitCode::Success)
        }
        Command::Check { dir, json } => {
            let path = dir.unwrap_or_else(|| locations.memory_dir.clone());
            let dir = MemoryDir::open(&path)?;
            let inv = inventory::inventory(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&inv)?);
            } else {
                print!("{}", report::inventory(&inv));
            }
            Ok(if inv.index_has_problems() {
                ExitCode::Problems
            } else {
                ExitCode::Success
            })
        }
    }
}

fn serve(locations: Locations) -> anyhow::Result<ExitCode> {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "dream-mcp: speaking MCP on stdin/stdout for memory {} (run `dream-mcp --help` for the commands; Ctrl-C to quit)",
            locations.memory_dir.display()
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let service = DreamServer::new(locations)
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the MCP server on stdio")?;
        service.waiting().await.context("serving MCP")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::Success)
}
