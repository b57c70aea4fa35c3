//! The integration tests, in one binary as ripgrep and fd have them: one module per area, the fixture world
//! and the other support they share in [`util`], and the tests that pin a fixed bug in [`regressions`].
//!
//! A test that cannot run here (its fixtures absent, Claude Code not to be had) says `SKIPPED <test>:
//! <reason>` on stderr, where the summary shows, instead of passing silently.

mod util;

mod adversarial_confine;
mod adversarial_inputs;
mod adversarial_paths;
mod adversarial_protocol;
mod cli;
mod cli_edit;
mod concurrency;
mod consolidation_example;
mod crash_safety;
mod dream_runs;
mod evidence;
mod expected_sha256;
mod findings;
mod grep_cli;
mod grep_hostile;
mod grep_lines;
mod grep_load;
mod grep_mcp;
mod grep_real;
mod hook_settings;
mod journal;
mod mcp_tools;
mod memory_location;
mod plugin_claude_code;
mod plugin_install;
mod plugin_launcher;
mod plugin_manifest;
mod plugin_prompt;
mod provenance;
mod regressions;
mod retention;
mod rewrite_index;
mod sigkill_atomic;
mod status_all;
mod stdio_binary;
mod stores;
