//! One transcript line decoded into who spoke, when, and the pieces of text worth searching.
//!
//! Decoding is tolerant by construction: every field is read with a visitor that accepts any JSON shape and
//! keeps only what it understands, so an unknown record type or an unexpected field shape never turns a
//! valid JSON line into an error. Strings are borrowed from the line when they hold no escapes, and
//! content nobody searches (images, signatures, `toolUseResult` copies) is skipped without being stored.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Who a piece of text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// What the user typed: a `user` line's string content or text blocks, not `isMeta`, not output
    /// Claude Code inserted on the user's behalf (see [`INSERTED_PREFIXES`]).
    User,
    /// The assistant's text, thinking, and tool calls.
    Assistant,
    /// Tool output (`tool_result` blocks), which sits in `user` lines but is not the user speaking.
    Tool,
    /// The main agent briefing a subagent: the `user` lines of a subagent (`isSidechain`) transcript.
    Agent,
    /// Claude Code itself: `isMeta` lines, inserted command output and notifications, summaries,
    /// compaction summaries, `system` lines.
    System,
}

impl Role {
    /// The role's name as answers spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Agent => "agent",
            Role::System => "system",
        }
    }
}

impl Kind {
    /// The kind's name as answers spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Thinking => "thinking",
            Kind::ToolUse => "tool_use",
            Kind::ToolResult => "tool_result",
            Kind::Summary => "summary",
        }
    }
}

/// Starts of `user` text that Claude Code writes itself (command output, background-task notices,
/// interruption notes), so it is not counted as the user speaking.
pub const INSERTED_PREFIXES: [&str; 8] = [
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<local-command-caveat>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<task-notification>",
    "<system-reminder>",
    "[Request interrupted by user",
];

/// What kind of content a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A message's text (string content or a `text` block).
    Text,
    /// An assistant `thinking` block.
    Thinking,
    /// A string inside a `tool_use` block's input (a command, a path, file content).
    ToolUse,
    /// The content of a `tool_result` block.
    ToolResult,
    /// A `summary` line or a compaction summary.
    Summary,
}

/// A piece of searchable text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    /// Who said it.
    pub role: Role,
    /// What it is.
    pub kind: Kind,
    /// The decoded text.
    pub text: Cow<'a, str>,
}

/// A decoded transcript line.
#[derive(Debug, Default)]
pub struct Record<'a> {
    /// The line's `uuid`.
    pub uuid: Option<Cow<'a, str>>,
    /// The line's `sessionId`.
    pub session_id: Option<Cow<'a, str>>,
    /// The line's `timestamp` (RFC 3339).
    pub timestamp: Option<Cow<'a, str>>,
    /// The searchable text, in the order it appears.
    pub pieces: Vec<Piece<'a>>,
}

/// Which optional content a search reads. What is not wanted is skipped while parsing, without being
/// copied: tool output is most of a transcript's bytes, so a search of the conversation alone decodes
/// its candidate lines several times faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// `tool_use` input and `tool_result` content.
    pub tool_output: bool,
    /// `thinking` blocks.
    pub thinking: bool,
}

impl Wanted {
    /// Everything.
    pub const ALL: Wanted = Wanted {
        tool_output: true,
        thinking: true,
    };
}

thread_local! {
    /// What the current [`parse`] call wants; read by the block visitor, which serde gives no context.
    static WANTED: Cell<Wanted> = const { Cell::new(Wanted::ALL) };
}

/// Decodes one JSON line, reading only the content `wanted`. Errors only when the line is not a JSON
/// object.
pub fn parse(line: &str, wanted: Wanted) -> Result<Record<'_>, serde_json::Error> {
    if !line.trim_start().starts_with('{') {
        return Err(de::Error::custom("not a JSON object"));
    }
    WANTED.with(|w| w.set(wanted));
    let raw: Line<'_> = serde_json::from_str(line)?;
    Ok(raw.into_record())
}

// ---- Tolerant raw shapes --------------------------------------------------------------------------------

/// A string, or nothing when the value is another shape.
#[derive(Debug, Default)]
struct Str<'a>(Option<Cow<'a, str>>);

/// A boolean, or false when the value is another shape.
#[derive(Debug, Default)]
struct Flag(bool);

/// `message.content` or `tool_result.content`: a string, blocks, or something else (ignored).
#[derive(Debug, Default)]
enum Content<'a> {
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
    #[default]
    Other,
}

#[derive(Debug, Default)]
struct Block<'a> {
    kind: Str<'a>,
    text: Str<'a>,
    thinking: Str<'a>,
    input: Strings<'a>,
    content: Content<'a>,
}

#[derive(Debug, Default)]
struct Message<'a> {
    content: Content<'a>,
}

/// Every string leaf of a JSON value (for `tool_use` input).
#[derive(Debug, Default)]
struct Strings<'a>(Vec<Cow<'a, str>>);

#[derive(Debug, Default)]
struct Line<'a> {
    kind: Str<'a>,
    uuid: Str<'a>,
    session_id: Str<'a>,
    timestamp: Str<'a>,
    is_meta: Flag,
    is_compact_summary: Flag,
    is_sidechain: Flag,
    message: Message<'a>,
    summary: Str<'a>,
    content: Content<'a>,
}

impl<'a> Line<'a> {
    fn into_record(self) -> Record<'a> {
        let mut pieces = Vec::new();
        match self.kind.0.as_deref() {
            Some("user") => {
                let (role, kind) = if self.is_compact_summary.0 {
                    (Role::System, Kind::Summary)
                } else if self.is_meta.0 {
                    (Role::System, Kind::Text)
                } else if self.is_sidechain.0 {
                    (Role::Agent, Kind::Text)
                } else {
                    (Role::User, Kind::Text)
                };
                content_pieces(self.message.content, role, kind, &mut pieces);
                for p in &mut pieces {
                    if p.role == Role::User
                        && INSERTED_PREFIXES.iter().any(|x| p.text.starts_with(x))
                    {
                        p.role = Role::System;
                    }
                }
            }
            Some("assistant") => content_pieces(
                self.message.content,
                Role::Assistant,
                Kind::Text,
                &mut pieces,
            ),
            Some("summary") => pieces.extend(self.summary.0.map(|text| Piece {
                role: Role::System,
                kind: Kind::Summary,
                text,
            })),
            Some("system") => content_pieces(self.content, Role::System, Kind::Text, &mut pieces),
            _ => {}
        }
        Record {
            uuid: self.uuid.0,
            session_id: self.session_id.0,
            timestamp: self.timestamp.0,
            pieces,
        }
    }
}

/// Pieces of a message's content: string content and `text` blocks get `role`/`kind`; `thinking`,
/// `tool_use` and `tool_result` blocks get their own.
fn content_pieces<'a>(content: Content<'a>, role: Role, kind: Kind, out: &mut Vec<Piece<'a>>) {
    match content {
        Content::Text(text) => out.push(Piece { role, kind, text }),
        Content::Blocks(blocks) => {
            for b in blocks {
                match b.kind.0.as_deref() {
                    Some("text") => out.extend(b.text.0.map(|text| Piece { role, kind, text })),
                    Some("thinking") => out.extend(b.thinking.0.map(|text| Piece {
                        role: Role::Assistant,
                        kind: Kind::Thinking,
                        text,
                    })),
                    Some("tool_use") => out.extend(b.input.0.into_iter().map(|text| Piece {
                        role: Role::Assistant,
                        kind: Kind::ToolUse,
                        text,
                    })),
                    Some("tool_result") => {
                        content_pieces(b.content, Role::Tool, Kind::ToolResult, out)
                    }
                    _ => {}
                }
            }
        }
        Content::Other => {}
    }
}

// ---- Visitors -------------------------------------------------------------------------------------------

/// Consumes a map or sequence the caller does not want, so any shape is accepted.
fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar visitor methods that map every non-matching shape to the default value.
macro_rules! ignore_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Str<'a>, A::Error> {
                skip_map(map).map(|()| Str(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Str<'a>, A::Error> {
                skip_seq(seq).map(|()| Str(None))
            }
            ignore_scalars!();
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Flag, A::Error> {
                skip_map(map).map(|()| Flag(false))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Flag, A::Error> {
                skip_seq(seq).map(|()| Flag(false))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content<'a>, A::Error> {
                let mut blocks = Vec::new();
                while let Some(b) = seq.next_element::<Block<'a>>()? {
                    blocks.push(b);
                }
                Ok(Content::Blocks(blocks))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Content<'a>, A::Error> {
                skip_map(map).map(|()| Content::Other)
            }
            ignore_scalars!();
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Implements `Deserialize` for a struct read from a JSON object: each listed key fills its field (when
/// its `if` predicate, given the fields read so far, allows), other keys are skipped, and any non-object
/// value leaves the struct at its default.
macro_rules! tolerant_object {
    ($ty:ident { $($key:literal => $field:ident $(if $keep:ident)?),* $(,)? }) => {
        impl<'de: 'a, 'a> Deserialize<'de> for $ty<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<'a>(std::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                    type Value = $ty<'a>;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty<'a>, A::Error> {
                        let mut target = $ty::default();
                        while let Some(key) = map.next_key::<Str<'de>>()? {
                            match key.0.as_deref() {
                                $(Some($key) $(if $keep(&target))? => {
                                    target.$field = map.next_value()?
                                })*
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(target)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<$ty<'a>, A::Error> {
                        skip_seq(seq).map(|()| $ty::default())
                    }
                    fn visit_str<E: de::Error>(self, _: &str) -> Result<$ty<'a>, E> {
                        Ok($ty::default())
                    }
                    ignore_scalars!();
                }
                d.deserialize_any(V(std::marker::PhantomData))
            }
        }
    };
}

tolerant_object!(Line {
    "type" => kind,
    "uuid" => uuid,
    "sessionId" => session_id,
    "timestamp" => timestamp,
    "isMeta" => is_meta,
    "isCompactSummary" => is_compact_summary,
    "isSidechain" => is_sidechain,
    "message" => message,
    "summary" => summary,
    "content" => content,
});

tolerant_object!(Message { "content" => content });

tolerant_object!(Block {
    "type" => kind,
    "text" => text,
    "thinking" => thinking if keep_thinking,
    "input" => input if keep_tool_output,
    "content" => content if keep_tool_output,
});

fn keep_thinking(_: &Block<'_>) -> bool {
    WANTED.with(|w| w.get().thinking)
}

/// Tool input and results are skipped when not wanted; a block whose `type` comes later is kept.
fn keep_tool_output(b: &Block<'_>) -> bool {
    WANTED.with(|w| w.get().tool_output)
        || !matches!(b.kind.0.as_deref(), Some("tool_use" | "tool_result"))
}

impl<'de: 'a, 'a> Deserialize<'de> for Strings<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut out = Vec::new();
        CollectStrings(&mut out).deserialize(d)?;
        Ok(Strings(out))
    }
}

/// Appends every string leaf of a value to the vector.
struct CollectStrings<'v, 'a>(&'v mut Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for CollectStrings<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for CollectStrings<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.0.push(Cow::Borrowed(v));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push(Cow::Owned(v.to_string()));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.0.push(Cow::Owned(v));
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(CollectStrings(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(CollectStrings(self.0))?;
        }
        Ok(())
    }
    ignore_scalars!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(line: &str) -> Vec<(Role, Kind, String)> {
        parse(line, Wanted::ALL)
            .unwrap()
            .pieces
            .into_iter()
            .map(|p| (p.role, p.kind, p.text.into_owned()))
            .collect()
    }

    #[test]
    fn names_match_the_serialized_form() {
        for r in [
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Agent,
            Role::System,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for k in [
            Kind::Text,
            Kind::Thinking,
            Kind::ToolUse,
            Kind::ToolResult,
            Kind::Summary,
        ] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn typed_prompt_as_string_content() {
        let r = parse(r#"{"type":"user","uuid":"u1","sessionId":"s1","timestamp":"2026-01-02T03:04:05.000Z","cwd":"/x","message":{"role":"user","content":"use pnpm"}}"#, Wanted::ALL).unwrap();
        assert_eq!(r.uuid.as_deref(), Some("u1"));
        assert_eq!(r.session_id.as_deref(), Some("s1"));
        assert_eq!(r.timestamp.as_deref(), Some("2026-01-02T03:04:05.000Z"));
        assert_eq!(r.pieces.len(), 1);
        assert_eq!(
            (r.pieces[0].role, r.pieces[0].kind, &*r.pieces[0].text),
            (Role::User, Kind::Text, "use pnpm")
        );
    }

    #[test]
    fn meta_and_compact_summaries_are_not_the_user() {
        assert_eq!(
            pieces(
                r#"{"type":"user","isMeta":true,"message":{"content":"<command-name>/clear</command-name>"}}"#
            ),
            vec![(
                Role::System,
                Kind::Text,
                "<command-name>/clear</command-name>".into()
            )]
        );
        assert_eq!(
            pieces(
                r#"{"type":"user","isCompactSummary":true,"message":{"content":"This session is being continued"}}"#
            ),
            vec![(
                Role::System,
                Kind::Summary,
                "This session is being continued".into()
            )]
        );
    }

    #[test]
    fn subagent_prompts_and_inserted_output_are_not_the_user() {
        assert_eq!(
            pieces(r#"{"type":"user","isSidechain":true,"message":{"content":"You are bob"}}"#),
            vec![(Role::Agent, Kind::Text, "You are bob".into())]
        );
        assert_eq!(
            pieces(r#"{"type":"user","message":{"content":"<local-command-stdout>See ya!</local-command-stdout>"}}"#)[0].0,
            Role::System
        );
        assert_eq!(
            pieces(r#"{"type":"user","message":{"content":[{"type":"text","text":"[Request interrupted by user for tool use]"}]}}"#)[0].0,
            Role::System
        );
        assert_eq!(
            pieces(
                r#"{"type":"user","message":{"content":"<command-name>/model</command-name>"}}"#
            )[0]
            .0,
            Role::User
        );
    }

    #[test]
    fn blocks_of_every_kind() {
        let line = r#"{"type":"assistant","message":{"role":"assistant","content":[
            {"type":"thinking","thinking":"hmm","signature":"sig"},
            {"type":"text","text":"Done."},
            {"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls -la","opts":{"deep":["x",1,null]}}},
            {"type":"image","source":{"type":"base64","data":"AAAA"}}]}}"#
            .replace('\n', "");
        assert_eq!(
            pieces(&line),
            vec![
                (Role::Assistant, Kind::Thinking, "hmm".into()),
                (Role::Assistant, Kind::Text, "Done.".into()),
                (Role::Assistant, Kind::ToolUse, "ls -la".into()),
                (Role::Assistant, Kind::ToolUse, "x".into()),
            ]
        );
    }

    #[test]
    fn tool_results_as_string_and_as_blocks_are_tool_output() {
        let line = r#"{"type":"user","message":{"content":[
            {"type":"tool_result","tool_use_id":"t1","content":"exit 1","is_error":true},
            {"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"ok"},{"type":"image","source":{}}]},
            {"type":"text","text":"and also this"}]}}"#
            .replace('\n', "");
        assert_eq!(
            pieces(&line),
            vec![
                (Role::Tool, Kind::ToolResult, "exit 1".into()),
                (Role::Tool, Kind::ToolResult, "ok".into()),
                (Role::User, Kind::Text, "and also this".into()),
            ]
        );
    }

    #[test]
    fn unwanted_content_is_skipped() {
        let line = r#"{"type":"assistant","message":{"content":[
            {"type":"thinking","thinking":"hmm"},
            {"type":"tool_use","name":"Bash","input":{"command":"ls"}},
            {"content":"late type","type":"tool_result"},
            {"type":"tool_result","content":"out"},
            {"type":"text","text":"said"}]}}"#
            .replace('\n', "");
        let none = Wanted {
            tool_output: false,
            thinking: false,
        };
        let texts: Vec<String> = parse(&line, none)
            .unwrap()
            .pieces
            .into_iter()
            .map(|p| p.text.into_owned())
            .collect();
        assert_eq!(texts, ["late type", "said"]);
    }

    #[test]
    fn summaries_and_system_lines() {
        assert_eq!(
            pieces(r#"{"type":"summary","summary":"Fixing the parser","leafUuid":"l1"}"#),
            vec![(Role::System, Kind::Summary, "Fixing the parser".into())]
        );
        assert_eq!(
            pieces(
                r#"{"type":"system","subtype":"compact_boundary","content":"Conversation compacted"}"#
            ),
            vec![(Role::System, Kind::Text, "Conversation compacted".into())]
        );
    }

    #[test]
    fn escapes_are_decoded_and_plain_strings_borrowed() {
        let r = parse(
            r#"{"type":"user","message":{"content":"say \"caf\u00e9\"\nnow"}}"#,
            Wanted::ALL,
        )
        .unwrap();
        assert_eq!(r.pieces[0].text, "say \"café\"\nnow");
        let r = parse(
            r#"{"type":"user","message":{"content":"plain"}}"#,
            Wanted::ALL,
        )
        .unwrap();
        assert!(matches!(r.pieces[0].text, Cow::Borrowed(_)));
    }

    #[test]
    fn unknown_types_and_odd_shapes_are_accepted_without_pieces() {
        for line in [
            r#"{"type":"progress","data":{"type":"hook_progress"},"message":"not an object"}"#,
            r#"{"type":"queue-operation","content":"queued text"}"#,
            r#"{"type":"user","message":{"content":42},"isMeta":"yes","uuid":7}"#,
            r#"{"type":["odd"],"message":[1,2]}"#,
            r#"{}"#,
        ] {
            assert!(pieces(line).is_empty(), "{line}");
        }
    }

    #[test]
    fn non_objects_and_broken_json_are_errors() {
        assert!(parse("42", Wanted::ALL).is_err());
        assert!(parse(r#"{"type":"user","message":{"content":"half"#, Wanted::ALL).is_err());
        assert!(parse("not json", Wanted::ALL).is_err());
    }
}
