//! The `dream-mcp` binary: the MCP server on stdio, and commands for people. One function per command;
//! each resolves nothing itself (the `cli` face did) and prints through [`emit`].

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use rmcp::ServiceExt;
use serde::Serialize;

use dream_mcp::cli::args::{Cli, ColorChoice, Command, GrepArgs};
use dream_mcp::cli::exit_codes::ExitCode;
use dream_mcp::cli::{config, edit, hook, render, render_grep};
use dream_mcp::provenance::{Provenance, Sources};
use dream_mcp::{
    Access, Control, DreamServer, Dreamer, GateConfig, Locations, MemoryDir, Query, Settings,
    SortBy, StoreStatus, gate, grep_folders, inventory_dated, last_consolidation, overview,
    store_locations,
};

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
    let project = config::location_options(&cli.locations).resolve();
    let command = cli.command.unwrap_or(Command::Serve);
    let locations = match (&cli.locations.store, &command) {
        (Some(_), Command::Serve) => anyhow::bail!(
            "--store is for the commands; the server serves every store (its tools take `store`)"
        ),
        (Some(id), _) => store_locations(&project, id)?,
        (None, _) => project,
    };
    match command {
        Command::Serve => serve(locations, config::settings(None, None)),
        Command::Where { json } => where_(&locations, json),
        Command::Check {
            all: true,
            json,
            sort,
            ..
        } => {
            let lines = all_stores(&locations, config::settings(None, None).gate, json, sort)?;
            Ok(if lines.iter().any(|l| l.errors > 0) {
                ExitCode::Problems
            } else {
                ExitCode::Success
            })
        }
        Command::Check {
            dir, json, color, ..
        } => check(&locations, dir, json, color),
        Command::Status {
            json,
            hook,
            all,
            sort,
            min_hours,
            min_sessions,
        } => {
            let settings = config::settings(min_hours, min_sessions);
            if all {
                all_stores(&locations, settings.gate, json, sort)?;
                return Ok(ExitCode::Success);
            }
            if hook {
                let notice = hook::safety_net(&locations, &settings);
                hook::run(
                    &locations,
                    settings.gate,
                    config::when_due(),
                    notice.as_deref(),
                );
                return Ok(ExitCode::Success);
            }
            status(&locations, settings.gate, json)
        }
        Command::History {
            run,
            json,
            forgotten,
        } => history(dreamer(locations)?, run.as_deref(), json, forgotten),
        Command::Diff {
            run,
            forgotten,
            color,
        } => diff(dreamer(locations)?, run.as_deref(), forgotten, color),
        Command::Undo { run, force } => undo(dreamer(locations)?, run.as_deref(), force),
        Command::Grep(args) => grep(&locations, &args),
        Command::Edit { file } => {
            let editor = config::editor();
            let out = edit::edit(
                &dreamer(locations)?,
                &file,
                editor.as_deref(),
                &config::temp_dir(),
            )?;
            emit(&out, false, String::clone)?;
            Ok(ExitCode::Success)
        }
        Command::Rm { file } => {
            emit(
                &edit::rm(&dreamer(locations)?, &file)?,
                false,
                String::clone,
            )?;
            Ok(ExitCode::Success)
        }
        Command::Blame { file, json, color } => blame(&dreamer(locations)?, &file, json, color),
        Command::Index { from } => {
            let out = edit::index(&dreamer(locations)?, from.as_deref(), &config::temp_dir())?;
            emit(&out, false, String::clone)?;
            Ok(ExitCode::Success)
        }
    }
}

/// A dreamer with the settings from the environment, for a memory directory this server serves (the
/// journal commands refuse with the same message as the tools).
fn dreamer(locations: Locations) -> anyhow::Result<Dreamer> {
    locations.usable_memory_dir()?;
    Ok(Dreamer::with_settings(
        locations,
        config::settings(None, None),
    ))
}

/// Prints `value` as pretty JSON with `--json`, else the text `render` makes of it. The JSON is written
/// as it is serialised, never held whole (on a large memory it is over a hundred megabytes). A closed
/// pipe (`dream-mcp check --json | head`) ends quietly.
fn emit<T: Serialize>(
    value: &T,
    json: bool,
    render: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
    } else {
        out.write_all(render(value).as_bytes())
    };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the output")
        }
        _ => Ok(()),
    }
}

/// `where`: the resolved directories; exit 1 when the memory directory is refused.
fn where_(locations: &Locations, json: bool) -> anyhow::Result<ExitCode> {
    emit(locations, json, render::locations)?;
    Ok(if locations.memory_refused.is_some() {
        ExitCode::Problems
    } else {
        ExitCode::Success
    })
}

/// `check`: the inventory and its findings; exit 1 when any finding is an error.
fn check(
    locations: &Locations,
    dir: Option<PathBuf>,
    json: bool,
    color: ColorChoice,
) -> anyhow::Result<ExitCode> {
    let dir = match dir {
        Some(path) => MemoryDir::open(&path)?,
        None => MemoryDir::open(locations.usable_memory_dir()?)?,
    };
    let folders = locations.transcript_folders();
    let provenance = Provenance::build(Sources {
        folders: &folders,
        memory_dir: dir.root(),
        cache_dir: config::settings(None, None).cache_dir.as_deref(),
        threads: 0,
    });
    let inv = inventory_dated(&dir, Some(&locations.project_dir), &provenance)?;
    emit(&inv, json, |inv| render::inventory(inv, color.enabled()))?;
    Ok(if inv.has_errors() {
        ExitCode::Problems
    } else {
        ExitCode::Success
    })
}

/// `status`: hours and sessions since the last consolidation, and whether a dream is due.
fn status(locations: &Locations, config: GateConfig, json: bool) -> anyhow::Result<ExitCode> {
    let dir = MemoryDir::open(locations.usable_memory_dir()?)?;
    let gate = gate::evaluate(
        dir.root(),
        &locations.transcript_folders(),
        config,
        None,
        std::time::SystemTime::now(),
    );
    emit(&gate, json, |gate| render::status(dir.root(), gate))?;
    Ok(ExitCode::Success)
}

/// `status --all` and `check --all`: one line per store of every project, in the order asked.
fn all_stores(
    locations: &Locations,
    config: GateConfig,
    json: bool,
    sort: Option<SortBy>,
) -> anyhow::Result<Vec<StoreStatus>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut lines = overview::all(locations, config, threads, std::time::SystemTime::now());
    overview::sort(&mut lines, sort.unwrap_or_default());
    emit(&lines, json, |l| render::stores(l))?;
    Ok(lines)
}

/// `history`: every journaled run (or one), with what each forgot when asked.
fn history(
    dreamer: Dreamer,
    run: Option<&str>,
    json: bool,
    forgotten: bool,
) -> anyhow::Result<ExitCode> {
    let runs = match run {
        Some(id) => vec![dreamer.journal().run(Some(id))?],
        None => dreamer.journal().runs()?,
    };
    emit(&runs, json, |runs| render::history(runs, forgotten))?;
    Ok(ExitCode::Success)
}

/// `diff`: a run's unified diff, or with `--forgotten` its retention audit.
fn diff(
    dreamer: Dreamer,
    run: Option<&str>,
    forgotten: bool,
    color: ColorChoice,
) -> anyhow::Result<ExitCode> {
    let record = dreamer.journal().run(run)?;
    if forgotten {
        emit(&record, false, |r| {
            format!("run {}: {}\n{}", r.id, r.summary, render::forgotten_list(r))
        })?;
        return Ok(ExitCode::Success);
    }
    if let Some(ret) = &record.retention
        && !ret.forgotten.is_empty()
    {
        eprintln!(
            "run {}: {} (`dream-mcp diff --forgotten {}` lists them)",
            record.id,
            ret.figure(),
            record.id
        );
    }
    let diff = dreamer.journal().diff(&record, &dreamer.memory()?)?;
    if diff.is_empty() {
        eprintln!("run {} changed nothing", record.id);
        return Ok(ExitCode::Success);
    }
    emit(&diff, false, |diff| {
        if color.enabled() {
            render::colour_diff(diff)
        } else {
            diff.clone()
        }
    })?;
    Ok(ExitCode::Success)
}

/// `blame`: which session wrote each line of a memory file, and the evidence journaled with the runs
/// that changed it (for a deleted file, the evidence alone: why it is gone).
fn blame(
    dreamer: &Dreamer,
    file: &str,
    json: bool,
    color: ColorChoice,
) -> anyhow::Result<ExitCode> {
    let dir = dreamer.memory()?;
    let path = dir.resolve(file, Access::Read)?;
    let journaled = dreamer.journal().evidence_for(path.as_str())?;
    let Some(bytes) = dir.read_opt(&path)? else {
        if journaled.is_empty() {
            dir.read(&path)?;
        }
        emit(&journaled, json, |runs| {
            format!(
                "{} does not exist{}",
                path,
                render::cited(path.as_str(), runs)
            )
        })?;
        return Ok(ExitCode::Success);
    };
    let content = String::from_utf8_lossy(&bytes).into_owned();
    let provenance = dreamer.provenance()?;
    for w in &provenance.stats.warnings {
        eprintln!("dream-mcp: {w}");
    }
    let found = Blame {
        provenance: provenance.file(path.as_str(), &content),
        journaled,
    };
    emit(&found, json, |f| {
        render::blame(&f.provenance, &content, color.enabled())
            + &render::cited(path.as_str(), &f.journaled)
    })?;
    Ok(ExitCode::Success)
}

/// What `blame --json` prints.
#[derive(Serialize)]
struct Blame {
    /// Which session wrote each line.
    #[serde(flatten)]
    provenance: dream_mcp::provenance::FileProvenance,
    /// The runs that changed the file on evidence, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    journaled: Vec<dream_mcp::Cited>,
}

/// `undo`: puts back every file a run touched.
fn undo(dreamer: Dreamer, run: Option<&str>, force: bool) -> anyhow::Result<ExitCode> {
    let report = dreamer.undo(run, force)?;
    emit(&report, false, render::run_report)?;
    Ok(ExitCode::Success)
}

/// `grep`: searches the transcripts; exit 1 when nothing matched, as grep does.
fn grep(locations: &Locations, args: &GrepArgs) -> anyhow::Result<ExitCode> {
    let query = Query::new(
        &args.request(),
        last_consolidation(locations.usable_memory_dir()?),
    )?;
    let control = Control {
        threads: args.threads,
        ..Control::default()
    };
    let result = grep_folders(&locations.transcript_folders(), &query, &control)?;
    if args.json {
        // One compact line: what the MCP tool answers.
        let line = serde_json::to_string(&result)?;
        emit(&line, false, |line| format!("{line}\n"))?;
    } else {
        emit(&result, false, |r| {
            render_grep::render(r, args.color.enabled())
        })?;
    }
    Ok(if result.hits.is_empty() {
        ExitCode::Problems
    } else {
        ExitCode::Success
    })
}

/// `serve`: speaks MCP on stdin/stdout until the client closes it.
fn serve(locations: Locations, settings: Settings) -> anyhow::Result<ExitCode> {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "dream-mcp: speaking MCP on stdin/stdout for memory {} (run `dream-mcp --help` for the commands; Ctrl-C to quit)",
            locations.memory_dir.display()
        );
    }
    let usable = locations.usable_memory_dir().map(|_| ());
    match &usable {
        // Served anyway, so the user sees the refusal in every tool's answer.
        Err(e) => eprintln!("dream-mcp: {e}"),
        // Temporary files of writers killed before their rename: swept at start as after every change.
        Ok(()) => {
            if let Ok(dir) = MemoryDir::open(&locations.memory_dir) {
                dir.sweep_logged();
            }
        }
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let server = DreamServer::with_settings(locations, settings);
    if usable.is_ok() {
        server.observe_external();
    }
    runtime.block_on(async {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .context("starting the MCP server on stdio")?;
        service.waiting().await.context("serving MCP")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::Success)
}
