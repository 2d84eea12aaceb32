//! `bcprune schema`: print a JSON Schema generated from the Rust types.

use std::io::Write;

use crate::exit::Exit;

use super::error::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    Manifest,
    Plan,
    State,
    Report,
    Requests,
    Receipt,
}

pub fn run(which: SchemaKind) -> Result<Exit, CliError> {
    let schema = match which {
        SchemaKind::Manifest => crate::schema::manifest(),
        SchemaKind::Plan => crate::schema::plan(),
        SchemaKind::State => crate::schema::state(),
        SchemaKind::Report => crate::schema::report(),
        SchemaKind::Requests => crate::schema::requests(),
        SchemaKind::Receipt => crate::schema::receipt(),
    };
    let mut out = std::io::stdout().lock();
    write!(out, "{schema}")
        .and_then(|()| out.flush())
        .map_err(CliError::output)?;
    Ok(Exit::Success)
}
