//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Consolidate Claude Code's auto-memory safely.
///
/// With no command (or `serve`), speaks MCP on stdin/stdout for Claude Code. The other commands show a
/// person the same facts the tools give the model.
#[derive(Debug, Parser)]
#[command(name = "dream-mcp", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Where the memory and transcripts are.
    #[command(flatten)]
    pub locations: LocationArgs,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXAMPLES: &str = "Examples:
  dream-mcp check examples/messy-memory --project-dir examples/messy-project
                                          what decayed in a memory folder
  dream-mcp where                         where this project's memory and transcripts are
  dream-mcp grep --preset corrections     what the user corrected, newest first
  dream-mcp status                        is a consolidation due (24 h and 5 sessions)?
  dream-mcp status --all --sort findings  every project's and agent's memory, one line each
  dream-mcp history                       every journaled run, newest last
  dream-mcp diff                          what the last run changed
  dream-mcp undo                          put back what the last run changed
  dream-mcp check --store project/reviewer   what decayed in the reviewer agent's memory
  dream-mcp edit feedback_testing.md      edit a memory file in $VISUAL/$EDITOR, journaled
  dream-mcp rm old_note.md                delete a memory file, journaled (undo brings it back)
  dream-mcp index new-index.md            replace MEMORY.md (checked: 200 lines, no dead links)
  claude mcp add dream -- dream-mcp       use the server from Claude Code without the plugin";

/// Directory overrides shared by every command; unset ones are resolved the way Claude Code does.
///
/// The environment variables are read by [`config`](super::config) only (not by clap), so an empty
/// variable counts as unset instead of making every command fail.
#[derive(Debug, Args)]
pub struct LocationArgs {
    /// The auto-memory directory (default: $DREAM_MEMORY_DIR, else the autoMemoryDirectory setting, else
    /// <config>/projects/<slug of git root>/memory).
    #[arg(long, global = true, value_name = "DIR")]
    pub memory_dir: Option<PathBuf>,
    /// The folder of this project's session transcripts (default: $DREAM_TRANSCRIPTS_DIR, else
    /// <config>/projects/<slug of project>).
    #[arg(long, global = true, value_name = "DIR")]
    pub transcripts_dir: Option<PathBuf>,
    /// The project the memory belongs to (default: $CLAUDE_PROJECT_DIR, else the current directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_dir: Option<PathBuf>,
    /// Where runs are journaled for diff and undo (default: $DREAM_JOURNAL_DIR, else
    /// <config>/dream/<slug of memory dir>).
    #[arg(long, global = true, value_name = "DIR")]
    pub journal_dir: Option<PathBuf>,
    /// Act on an agent's memory store instead of the project's: `user/<agent>`, `project/<agent>` or
    /// `local/<agent>` (`status --all` lists them), with its own journal, lock and gate.
    #[arg(long, global = true, value_name = "ID")]
    pub store: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Speak MCP on stdin/stdout (what Claude Code runs).
    Serve,
    /// Print the resolved memory, transcripts, project and journal directories.
    Where {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the memory inventory and its findings (relative dates, paths missing from the project,
    /// duplicates, index problems, frontmatter, stored credentials), grouped by severity.
    ///
    /// Exits 1 when any finding is an error (index lines cut by Claude Code's limits, dead links,
    /// credentials stored in memory), 0 otherwise, 2 when the check cannot run. Paths named in memories
    /// are looked for in --project-dir (default: the current directory).
    Check {
        /// A memory directory to check instead of the resolved one.
        #[arg(conflicts_with = "all")]
        dir: Option<PathBuf>,
        /// One line per store of every project under <config>/projects/ and every agent store, as
        /// `status --all` prints them; exits 1 when any store has an error finding.
        #[arg(long)]
        all: bool,
        /// With --all: the order of the lines (due, name, hours, sessions, lines, findings).
        #[arg(long, value_name = "KEY", requires = "all", value_parser = serde_word::<crate::stores::overview::SortBy>)]
        sort: Option<crate::stores::overview::SortBy>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Colour the report: auto (on a terminal, unless NO_COLOR is set), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Say whether a consolidation is due: hours since the last one, sessions since, the gate.
    Status {
        /// Print JSON instead of text.
        #[arg(long, conflicts_with = "hook")]
        json: bool,
        /// Print Claude Code SessionStart hook JSON only when the gate is open; silent otherwise; always
        /// exits 0 (for hooks/hooks.json).
        #[arg(long)]
        hook: bool,
        /// One line per store of every project under <config>/projects/ and every agent store: index
        /// lines and bytes, findings by severity, hours and sessions since the last consolidation, due.
        #[arg(long, conflicts_with = "hook")]
        all: bool,
        /// With --all: the order of the lines (due, name, hours, sessions, lines, findings).
        #[arg(long, value_name = "KEY", requires = "all", value_parser = serde_word::<crate::stores::overview::SortBy>)]
        sort: Option<crate::stores::overview::SortBy>,
        /// Hours since the last consolidation for the gate to open [env: DREAM_MIN_HOURS] [default: 24]
        #[arg(long, value_name = "HOURS")]
        min_hours: Option<f64>,
        /// Sessions since the last consolidation for the gate to open [env: DREAM_MIN_SESSIONS]
        /// [default: 5]
        #[arg(long, value_name = "N")]
        min_sessions: Option<usize>,
    },
    /// List journaled runs (dreams, single changes, undos) with time, summary and counts.
    History {
        /// Only this run (as `history` prints it).
        run: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Under each run, list the specifics it made the memory lose (file, line, and the reason
        /// given for letting it go).
        #[arg(long)]
        forgotten: bool,
    },
    /// Show the unified diff of a run (default: the newest run that changed something).
    Diff {
        /// The run id, as `history` prints it.
        run: Option<String>,
        /// Instead of the diff, list the specifics the run made the memory lose (its retention audit).
        #[arg(long)]
        forgotten: bool,
        /// Colour the diff: auto (on a terminal, unless NO_COLOR is set), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Restore every file a run touched to its content before the run (default: the newest run that
    /// changed something). The undo is itself a run, so it can be undone.
    Undo {
        /// The run id, as `history` prints it.
        run: Option<String>,
        /// Overwrite files that changed after the run (their current content is journaled first).
        #[arg(long)]
        force: bool,
    },
    /// Edit a memory file (a topic file or MEMORY.md) in $VISUAL or $EDITOR, then write it through the
    /// same checks as the model's tools, as one journaled run that `dream-mcp undo` takes back.
    ///
    /// The editor works on a copy outside the memory directory. When the result is refused (a
    /// credential, an index over 200 lines, a dead link, the file changed meanwhile), nothing is
    /// written and the edited text is kept in a file whose path is printed.
    ///
    /// Example: EDITOR=nano dream-mcp edit feedback_testing.md
    Edit {
        /// The file, relative to the memory directory (e.g. `debugging.md`, `team/conventions.md`,
        /// `MEMORY.md`); a new name creates the file.
        file: String,
    },
    /// Delete a topic file (never MEMORY.md) as one journaled run; prints the index lines still
    /// linking to it.
    ///
    /// Example: dream-mcp rm old_note.md && dream-mcp undo
    Rm {
        /// The file, relative to the memory directory.
        file: String,
    },
    /// Show which session wrote each line of a memory file, like `git blame`: the session, the time,
    /// the tool, and what the user said just before (from the transcripts' Write/Edit calls).
    ///
    /// Example: dream-mcp blame MEMORY.md
    Blame {
        /// The file, relative to the memory directory.
        file: String,
        /// Print JSON (the ranges and origins read_memory_file returns) instead of text.
        #[arg(long)]
        json: bool,
        /// Colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Replace MEMORY.md with the content of FILE (or stdin), only if it has at most 200 lines and
    /// 25,000 bytes, no frontmatter and no dead links; one journaled run.
    ///
    /// Example: dream-mcp index < draft-index.md
    Index {
        /// The new index (default, or `-`: standard input).
        from: Option<PathBuf>,
    },
    /// Search this project's session transcripts: hits newest first, each with its date, speaker, session
    /// and a snippet; exit 1 when nothing matched.
    Grep(GrepArgs),
}

/// Arguments of `dream-mcp grep`.
#[derive(Debug, Args)]
pub struct GrepArgs {
    /// Regular expression matched against the decoded message text (not the raw JSON).
    #[arg(required_unless_present = "preset", conflicts_with = "preset")]
    pub pattern: Option<String>,
    /// A named pattern set instead of PATTERN: corrections, remember, decisions, errors.
    #[arg(long, value_name = "NAME", value_parser = serde_word::<crate::transcripts::Preset>)]
    pub preset: Option<crate::transcripts::Preset>,
    /// Match regardless of case.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,
    /// Whose words to search: user, assistant, any (default: what the user typed plus the assistant's
    /// text).
    #[arg(long, value_name = "WHO", value_parser = serde_word::<crate::transcripts::RoleFilter>)]
    pub role: Option<crate::transcripts::RoleFilter>,
    /// Only records at or after this date (YYYY-MM-DD, UTC) or RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only this session (repeatable); its subagents are included.
    #[arg(long = "session", value_name = "ID")]
    pub sessions: Vec<String>,
    /// Only sessions written since the last consolidation (the memory directory's lock mtime).
    #[arg(long)]
    pub since_last_dream: bool,
    /// Also search tool calls and tool output.
    #[arg(long)]
    pub tool_output: bool,
    /// Most hits to show, newest first (at most 200).
    #[arg(short = 'm', long, value_name = "N")]
    pub max_results: Option<usize>,
    /// Characters of context on each side of a match (at most 1000).
    #[arg(short = 'C', long = "context", value_name = "CHARS")]
    pub context_chars: Option<usize>,
    /// Search threads (default: one per core).
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub threads: usize,
    /// Group alike hits across sessions: each group with its number of sessions, first and last date
    /// and one snippet a session; -m then counts groups. What recurs is the best feedback memory.
    #[arg(long)]
    pub group: bool,
    /// Print the JSON answer the MCP tool gives (compact, one line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Colour the matches: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

impl GrepArgs {
    /// The search these arguments ask for.
    pub fn request(&self) -> crate::transcripts::GrepRequest {
        crate::transcripts::GrepRequest {
            pattern: self.pattern.clone(),
            preset: self.preset,
            case_insensitive: self.ignore_case,
            role: self.role,
            since: self.since.clone(),
            sessions: self.sessions.clone(),
            since_last_dream: self.since_last_dream,
            include_tool_output: self.tool_output.then_some(true),
            max_results: self.max_results,
            context_chars: self.context_chars,
            store: None,
            group: self.group,
        }
    }
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output going to stdout.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !super::config::no_color() && std::io::stdout().is_terminal(),
        }
    }
}

/// Parses a word the way the MCP tool does (its serde name), so the CLI and the tool accept the same words.
fn serde_word<T: serde::de::DeserializeOwned>(word: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(word.to_owned())).map_err(|e| e.to_string())
}
