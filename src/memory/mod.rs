//! Memory files and nothing else: the confined directory, its files, the index and their parsing.
//!
//! - [`dir`]: [`MemoryPath`](dir::MemoryPath) (what a tool may name) and [`MemoryDir`](dir::MemoryDir),
//!   the only code that opens, writes or removes a memory file.
//! - [`atomic`]: write-to-temporary, fsync, rename, fsync the folder.
//! - [`index`]: MEMORY.md parsed into lines and links, against Claude Code's loading limits.
//! - [`index_view`]: MEMORY.md for reading, its entries grouped by the file they link.
//! - [`window`]: the part of a long file that fits in one answer.
//! - [`frontmatter`]: a topic file's `name`, `description` and `type`.
//! - [`snapshot`]: every topic file read and parsed once, with the index facts derived from it.
//! - [`specifics`]: the exact facts a file holds (names, paths, numbers...), for the retention audit.
//! - [`digest`]: SHA-256 in hex, the identity `expected_sha256` compares.

pub mod atomic;
pub mod digest;
pub mod dir;
pub mod frontmatter;
pub mod index;
pub mod index_view;
pub mod snapshot;
pub mod specifics;
pub mod window;
