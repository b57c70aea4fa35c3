//! Settings from flags and the environment, read once here and passed down: the library reads no
//! environment variable itself.

use std::path::PathBuf;

use crate::claude_code::locations::LocationOptions;
use crate::settings::Settings;

use super::args::LocationArgs;

/// A non-empty environment variable (an empty one counts as unset).
fn var(key: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(key).filter(|v| !v.is_empty())
}

/// A variable parsed as a number, ignored when it is not one.
fn number<T: std::str::FromStr>(key: &str) -> Option<T> {
    var(key).and_then(|v| v.to_str().and_then(|s| s.trim().parse().ok()))
}

/// Claude Code's managed (policy) settings file on this platform.
const POLICY_SETTINGS: &str = if cfg!(target_os = "macos") {
    "/Library/Application Support/ClaudeCode/managed-settings.json"
} else {
    "/etc/claude-code/managed-settings.json"
};

/// Whether a variable is set to a true value (`1`, `true`, `yes`, `on`), as Claude Code reads switches.
fn truthy(key: &str) -> bool {
    var(key).is_some_and(|v| {
        let v = v.to_string_lossy().trim().to_ascii_lowercase();
        matches!(v.as_str(), "1" | "true" | "yes" | "on")
    })
}

/// The location options the flags give, with unset ones taken from `DREAM_*`, `CLAUDE_PROJECT_DIR`,
/// `CLAUDE_CONFIG_DIR`, `CLAUDE_COWORK_MEMORY_PATH_OVERRIDE`, `CLAUDE_CODE_REMOTE_MEMORY_DIR`,
/// `CLAUDE_CODE_PROJECT_DIR_NAME`, `HOME`, `CLAUDE_CODE_DISABLE_AUTO_MEMORY` and the current directory
/// (flags win over the environment).
pub fn location_options(args: &LocationArgs) -> LocationOptions {
    let path =
        |flag: &Option<PathBuf>, key: &str| flag.clone().or_else(|| var(key).map(PathBuf::from));
    LocationOptions {
        memory_dir: path(&args.memory_dir, "DREAM_MEMORY_DIR"),
        transcripts_dir: path(&args.transcripts_dir, "DREAM_TRANSCRIPTS_DIR"),
        project_dir: path(&args.project_dir, "CLAUDE_PROJECT_DIR"),
        config_dir: path(&None, "CLAUDE_CONFIG_DIR"),
        journal_dir: path(&args.journal_dir, "DREAM_JOURNAL_DIR"),
        home: path(&None, "HOME"),
        cwd: std::env::current_dir().ok(),
        auto_memory_disabled: truthy("CLAUDE_CODE_DISABLE_AUTO_MEMORY"),
        cowork_override: var("CLAUDE_COWORK_MEMORY_PATH_OVERRIDE")
            .map(|v| v.to_string_lossy().into_owned()),
        remote_memory_dir: path(&None, "CLAUDE_CODE_REMOTE_MEMORY_DIR"),
        project_dir_name: var("CLAUDE_CODE_PROJECT_DIR_NAME")
            .map(|v| v.to_string_lossy().into_owned()),
        policy_settings: Some(PathBuf::from(POLICY_SETTINGS)),
        trust_project_settings: truthy("DREAM_TRUST_PROJECT_SETTINGS"),
    }
}

/// The settings: the gate thresholds given (else `DREAM_MIN_HOURS` / `DREAM_MIN_SESSIONS`, else the
/// plugin's `min_hours` / `min_sessions` options, `CLAUDE_PLUGIN_OPTION_MIN_HOURS` / `_MIN_SESSIONS`,
/// else Claude Code's defaults), journal retention from `DREAM_JOURNAL_KEEP`, and this executable's path.
pub fn settings(min_hours: Option<f64>, min_sessions: Option<usize>) -> Settings {
    let defaults = Settings::default();
    Settings {
        keep_runs: number("DREAM_JOURNAL_KEEP")
            .filter(|&n: &usize| n >= 1)
            .unwrap_or(defaults.keep_runs),
        gate: defaults.gate.overridden(
            min_hours
                .or_else(|| number("DREAM_MIN_HOURS"))
                .or_else(|| number("CLAUDE_PLUGIN_OPTION_MIN_HOURS"))
                .filter(|h: &f64| h.is_finite() && *h >= 0.0),
            min_sessions
                .or_else(|| number("DREAM_MIN_SESSIONS"))
                .or_else(|| {
                    // Claude Code passes a number option as its JavaScript text ("5", maybe "5.0").
                    number::<f64>("CLAUDE_PLUGIN_OPTION_MIN_SESSIONS")
                        .filter(|n| n.is_finite() && *n >= 0.0)
                        .map(|n| n as usize)
                }),
        ),
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or(defaults.executable),
        cache_dir: cache_dir(),
    }
}

/// Where the provenance index is cached: `DREAM_CACHE_DIR`, else `<CLAUDE_PLUGIN_DATA>/cache` (the
/// plugin's folder that survives updates), else `$XDG_CACHE_HOME/dream-mcp`, else `~/.cache/dream-mcp`.
fn cache_dir() -> Option<PathBuf> {
    let dir = |key: &str| var(key).map(PathBuf::from).filter(|p| p.is_absolute());
    dir("DREAM_CACHE_DIR")
        .or_else(|| dir("CLAUDE_PLUGIN_DATA").map(|d| d.join("cache")))
        .or_else(|| dir("XDG_CACHE_HOME").map(|d| d.join("dream-mcp")))
        .or_else(|| dir("HOME").map(|d| d.join(".cache").join("dream-mcp")))
}

/// Whether `NO_COLOR` asks for no colour.
pub fn no_color() -> bool {
    var("NO_COLOR").is_some()
}

/// The editor for `dream-mcp edit`: `$VISUAL`, else `$EDITOR`.
pub fn editor() -> Option<String> {
    var("VISUAL")
        .or_else(|| var("EDITOR"))
        .map(|v| v.to_string_lossy().into_owned())
}

/// The folder for temporary files (`$TMPDIR` on Unix), where `dream-mcp edit` puts its copy.
pub fn temp_dir() -> PathBuf {
    std::env::temp_dir()
}

/// What the SessionStart hook does when a dream is due: `DREAM_WHEN_DUE`, else the plugin's `when_due`
/// option (`CLAUDE_PLUGIN_OPTION_WHEN_DUE`), else `suggest`. An unknown word is reported on stderr and
/// means the default.
pub fn when_due() -> super::hook::WhenDue {
    let Some(word) = var("DREAM_WHEN_DUE").or_else(|| var("CLAUDE_PLUGIN_OPTION_WHEN_DUE")) else {
        return super::hook::WhenDue::default();
    };
    let word = word.to_string_lossy().trim().to_ascii_lowercase();
    super::hook::WhenDue::parse(&word).unwrap_or_else(|| {
        eprintln!("dream-mcp: when_due {word:?} is not one of suggest, auto, off; using suggest");
        super::hook::WhenDue::default()
    })
}
