//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::locations::LocationOptions;

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
  dream-mcp check examples/messy-memory   inventory and problems of a memory folder
  dream-mcp where                         where this project's memory and transcripts are
  claude mcp add dream -- dream-mcp       use the server from Claude Code without the plugin";

/// Directory overrides shared by every command; unset ones are resolved the way Claude Code does.
///
/// The environment variables are read by [`LocationOptions::with_env`] only (not by clap), so an empty
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
}

impl LocationArgs {
    /// The options these flags give, with the rest of the environment filled in.
    pub fn options(&self) -> LocationOptions {
        LocationOptions {
            memory_dir: self.memory_dir.clone(),
            transcripts_dir: self.transcripts_dir.clone(),
            project_dir: self.project_dir.clone(),
            journal_dir: self.journal_dir.clone(),
            ..LocationOptions::default()
        }
        .with_env()
    }
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
    /// Show the memory inventory and every problem; exit 1 when the index is over its limits or has
    /// dead links.
    Check {
        /// A memory directory to check instead of the resolved one.
        dir: Option<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}
