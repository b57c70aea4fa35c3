//! Named pattern sets for the signals a consolidation looks for in transcripts.
//!
//! Each preset is a case-insensitive regular expression plus the roles it searches by default; explicit
//! `role` and `include_tool_output` values win over a preset's defaults.

use schemars::JsonSchema;
use serde::Deserialize;

use super::scope::RoleFilter;

/// A named pattern set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The user correcting the assistant: "that's wrong", "not what I asked", "I told you", "don't use",
    /// "stop doing", "instead of", "no, use ...". Searches what the user typed.
    Corrections,
    /// The user asking for something to be kept: "remember", "don't forget", "keep in mind", "from now
    /// on", "always", "never", "next time", "going forward". Searches what the user typed.
    Remember,
    /// Decisions taken in the conversation: "let's go with", "we'll use", "decided", "settled on",
    /// "agreed", "the plan is", "going with". Searches the user and assistant text.
    Decisions,
    /// Errors and failures: "error", "failed", "panic", "exception", "traceback", "fatal", "could not",
    /// "permission denied", "not found". Searches the conversation and tool output.
    Errors,
}

impl Preset {
    /// Every preset, for messages and help.
    pub const ALL: [Preset; 4] = [
        Preset::Corrections,
        Preset::Remember,
        Preset::Decisions,
        Preset::Errors,
    ];

    /// The preset's name as the tool and CLI spell it.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Corrections => "corrections",
            Preset::Remember => "remember",
            Preset::Decisions => "decisions",
            Preset::Errors => "errors",
        }
    }

    /// The regular expression the preset stands for (case-insensitive).
    pub fn pattern(self) -> &'static str {
        match self {
            Preset::Corrections => {
                r"(?i)\b(?:that'?s (?:not|wrong|incorrect)|that is (?:not|wrong|incorrect)|not what I (?:asked|meant|wanted|said)|I (?:said|told you|already told|meant)|you (?:forgot|missed|broke|ignored|should(?:n'?t| not))|(?:please )?(?:don'?t|do not) (?:do|use|add|change|touch|run|make|put|write)|stop (?:doing|using|adding)|wrong|instead of|no,? (?:not|don'?t|use|that|it|we|you|please))\b"
            }
            Preset::Remember => {
                r"(?i)\b(?:remember|don'?t forget|do not forget|keep in mind|make a note|note to self|from now on|always|never|next time|going forward|in (?:the )?future)\b"
            }
            Preset::Decisions => {
                r"(?i)\b(?:let'?s (?:go with|use|stick with|keep)|we(?:'ll| will) (?:go with|use|keep)|(?:we|I) (?:decided|chose|picked|agreed)|decided (?:to|on|that)|decision|settled on|going with|the plan is|agreed)\b"
            }
            Preset::Errors => {
                r"(?i)\b(?:error|errors|failed|failure|fails|panic(?:ked)?|exception|traceback|fatal|segfault|could not|cannot|permission denied|not found)\b"
            }
        }
    }

    /// The roles searched when the request does not name one.
    pub fn default_role(self) -> Option<RoleFilter> {
        match self {
            Preset::Corrections | Preset::Remember => Some(RoleFilter::User),
            Preset::Decisions | Preset::Errors => None,
        }
    }

    /// Whether tool calls and results are searched when the request does not say.
    pub fn default_tool_output(self) -> bool {
        matches!(self, Preset::Errors)
    }
}

/// The preset names joined for messages: `corrections, remember, decisions, errors`.
pub fn names() -> String {
    Preset::ALL.map(Preset::name).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(p: Preset, text: &str) -> bool {
        regex::Regex::new(p.pattern())
            .map(|r| r.is_match(text))
            .unwrap_or(false)
    }

    #[test]
    fn every_preset_compiles_and_matches_its_documented_phrases() {
        assert!(matches(Preset::Corrections, "No, use the other crate"));
        assert!(matches(Preset::Corrections, "That's not what I asked for"));
        assert!(matches(
            Preset::Corrections,
            "please don't touch the lockfile"
        ));
        assert!(matches(
            Preset::Remember,
            "Remember: tests run with --release"
        ));
        assert!(matches(Preset::Remember, "from now on use pnpm"));
        assert!(matches(Preset::Decisions, "OK let's go with SQLite"));
        assert!(matches(Preset::Decisions, "We decided to drop Windows"));
        assert!(matches(Preset::Errors, "thread 'main' panicked at"));
        assert!(matches(Preset::Errors, "Permission denied (publickey)"));
    }

    #[test]
    fn presets_do_not_fire_on_ordinary_text() {
        let plain = "Here is the function you asked for; it returns the sum.";
        for p in Preset::ALL {
            assert!(!matches(p, plain), "{} matched {plain:?}", p.name());
        }
    }
}
