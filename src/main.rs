//! The `dream-mcp` binary: the MCP server on stdio, and commands for people.

use std::io::{IsTerminal, Read, Write};

use anyhow::Context;
use clap::Parser;
use rmcp::ServiceExt;

use dream_mcp::cli::{Cli, Command, GrepArgs};
use dream_mcp::dream::Dreamer;
use dream_mcp::exit_codes::ExitCode;
use dream_mcp::locations::Locations;
use dream_mcp::memory_dir::MemoryDir;
use dream_mcp::server::DreamServer;
use dream_mcp::sessions::{self, GateConfig};
use dream_mcp::transcripts::{self, Query};
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
        Command::Check { dir, json, color } => {
            let path = dir.unwrap_or_else(|| locations.memory_dir.clone());
            let dir = MemoryDir::open(&path)?;
            let inv = inventory::inventory(&dir, Some(&locations.project_dir))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&inv)?);
            } else {
                print!("{}", report::inventory(&inv, color.enabled()));
            }
            Ok(if inv.has_errors() {
                ExitCode::Problems
            } else {
                ExitCode::Success
            })
        }
        Command::Status {
            json,
            hook,
            min_hours,
            min_sessions,
        } => {
            let config = GateConfig::resolve(min_hours, min_sessions);
            if hook {
                hook_status(&locations, config);
                return Ok(ExitCode::Success);
            }
            let dir = MemoryDir::open(&locations.memory_dir)?;
            let gate = sessions::evaluate(
                dir.root(),
                &locations.transcripts_dir,
                config,
                None,
                std::time::SystemTime::now(),
            );
            if json {
                println!("{}", serde_json::to_string_pretty(&gate)?);
            } else {
                print!("{}", report::status(dir.root(), &gate));
            }
            Ok(ExitCode::Success)
        }
        Command::History { json } => {
            let runs = Dreamer::new(locations).journal().runs()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                print!("{}", report::history(&runs));
            }
            Ok(ExitCode::Success)
        }
        Command::Diff { run, color } => {
            let dreamer = Dreamer::new(locations);
            let record = dreamer.journal().run(run.as_deref())?;
            let diff = dreamer.journal().diff(&record, &dreamer.memory()?)?;
            if diff.is_empty() {
                eprintln!("run {} changed nothing", record.id);
            } else if color.enabled() {
                print!("{}", report::colour_diff(&diff));
            } else {
                print!("{diff}");
            }
            Ok(ExitCode::Success)
        }
        Command::Undo { run, force } => {
            let report = Dreamer::new(locations).undo(run.as_deref(), force)?;
            print!("{}", report::run_report(&report));
            Ok(ExitCode::Success)
        }
        Command::Grep(args) => grep(&locations, &args),
    }
}

/// `grep`: searches the transcripts; exit 1 when nothing matched, as grep does.
fn grep(locations: &Locations, args: &GrepArgs) -> anyhow::Result<ExitCode> {
    let query = Query::new(
        &args.request(),
        dream_mcp::lock::last_consolidation(&locations.memory_dir),
    )?;
    let control = transcripts::Control {
        threads: args.threads,
        ..transcripts::Control::default()
    };
    let result = transcripts::grep(&locations.transcripts_dir, &query, &control)?;
    let text = if args.json {
        serde_json::to_string(&result)? + "\n"
    } else {
        transcripts::report::render(&result, args.color.enabled())
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(e).context("writing the results");
        }
        _ => {}
    }
    Ok(if result.hits.is_empty() {
        ExitCode::Problems
    } else {
        ExitCode::Success
    })
}

/// `status --hook`: prints SessionStart hook JSON only when the gate is open, never fails the session.
fn hook_status(locations: &Locations, config: GateConfig) {
    let current = current_session_from_stdin();
    let gate = sessions::evaluate(
        &locations.memory_dir,
        &locations.transcripts_dir,
        config,
        current.as_deref(),
        std::time::SystemTime::now(),
    );
    if gate.open && locations.memory_dir.is_dir() {
        let out = serde_json::json!({
            "hookSpecificOutput": {
                "hookEventName": "SessionStart",
                "additionalContext": report::hook_context(&gate),
            }
        });
        println!("{out}");
    }
}

/// The `session_id` from the hook input Claude Code writes on stdin, waiting at most 50 ms for it.
fn current_session_from_stdin() -> Option<String> {
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut input = String::new();
        let _ = std::io::Read::read_to_string(&mut std::io::stdin().take(1 << 20), &mut input);
        let _ = tx.send(input);
    });
    let input = rx.recv_timeout(std::time::Duration::from_millis(50)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&input).ok()?;
    value.get("session_id")?.as_str().map(str::to_string)
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
