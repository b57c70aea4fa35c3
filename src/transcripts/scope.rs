//! Which speakers and which pieces of a transcript record a search reads.

use schemars::JsonSchema;
use serde::Deserialize;

use super::record::{Kind, Role, Wanted};

/// Which speakers to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleFilter {
    /// Only what the user typed (not tool results, not `isMeta` lines injected by Claude Code).
    User,
    /// Only the assistant: its text and thinking (and its tool calls with `include_tool_output`).
    Assistant,
    /// Everything: the user, the assistant, subagent briefings, tool output (with
    /// `include_tool_output`), summaries and lines Claude Code inserted.
    Any,
}

/// Which pieces of a record a query reads.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(super) role: Option<RoleFilter>,
    pub(super) tool_output: bool,
}

impl Scope {
    /// The optional content this scope can admit, so the rest is skipped while decoding.
    pub(crate) fn wanted(&self) -> Wanted {
        Wanted {
            tool_output: self.tool_output,
            thinking: matches!(self.role, Some(RoleFilter::Assistant | RoleFilter::Any)),
        }
    }

    /// Whether a piece spoken by `role`, of `kind`, is searched.
    pub(crate) fn admits(&self, role: Role, kind: Kind) -> bool {
        if matches!(kind, Kind::ToolUse | Kind::ToolResult) && !self.tool_output {
            return false;
        }
        match self.role {
            Some(RoleFilter::User) => role == Role::User,
            Some(RoleFilter::Assistant) => role == Role::Assistant,
            Some(RoleFilter::Any) => true,
            None => match role {
                Role::User | Role::Tool => true,
                Role::Assistant => kind != Kind::Thinking,
                Role::Agent | Role::System => false,
            },
        }
    }
}
