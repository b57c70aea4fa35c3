//! What the library needs from its surroundings, resolved once by a face (the CLI or the MCP server) and
//! passed down, so no library code reads the environment.

use crate::change::journal::KEEP_RUNS;
use crate::claude_code::gate::GateConfig;

/// Settings a face resolves once from flags and the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How many runs the journal keeps (open runs and the newest run are never pruned).
    pub keep_runs: usize,
    /// The session gate's thresholds when a call does not give its own.
    pub gate: GateConfig,
    /// How to run this `dream-mcp` from any folder, spelled into the full undo command.
    pub executable: String,
    /// Where the provenance index is cached between calls (outside the memory directory); `None`: not
    /// cached, every call reads the transcripts.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            keep_runs: KEEP_RUNS,
            gate: GateConfig::default(),
            executable: "dream-mcp".to_string(),
            cache_dir: None,
        }
    }
}
