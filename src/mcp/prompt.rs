//! The dream instructions, written once in `skill/dream/SKILL.md` and compiled into the binary.
//!
//! Claude Code reads that file as the plugin's `dream` skill; clients that have MCP prompts but no skills get
//! the same text from the server's `dream` prompt. Both come from the one file, so they cannot drift apart.

use crate::memory::frontmatter::{self, Parsed};

/// `skill/dream/SKILL.md` as it is in the source tree, frontmatter included.
pub const SKILL_MD: &str = include_str!("../../skill/dream/SKILL.md");

/// The skill's body: what follows the frontmatter block, without the blank lines that separate them.
pub fn instructions() -> &'static str {
    body(SKILL_MD)
}

/// The text after `text`'s frontmatter block (all of `text` when it has no complete block).
fn body(text: &str) -> &str {
    let Parsed::Present(fm) = frontmatter::parse(text) else {
        return text;
    };
    let mut rest = text;
    for _ in 0..fm.end_line {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest.trim_start_matches(['\r', '\n'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_follows_the_frontmatter() {
        assert_eq!(
            body("---\nname: x\n---\n\n# Title\ntext\n"),
            "# Title\ntext\n"
        );
        assert_eq!(body("---\r\nname: x\r\n---\r\n\r\nbody\r\n"), "body\r\n");
    }

    #[test]
    fn text_without_a_complete_block_is_kept_whole() {
        assert_eq!(body("# Title\n---\n"), "# Title\n---\n");
        assert_eq!(body("---\nname: x\n"), "---\nname: x\n");
    }

    #[test]
    fn instructions_are_the_skill_body() {
        let text = instructions();
        assert!(text.starts_with("# Dream"), "{}", &text[..40]);
        assert!(!text.contains("allowed-tools:"));
        assert!(SKILL_MD.ends_with(text));
    }
}
