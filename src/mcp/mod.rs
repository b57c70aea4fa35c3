//! The MCP face: the rmcp adapter over the library, and the `dream` prompt built from the skill. The
//! only code that knows rmcp.

pub mod prompt;
mod schema;
pub mod server;
