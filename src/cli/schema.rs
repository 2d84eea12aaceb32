//! `bcprune schema`: print a JSON Schema generated from the Rust types.

use crate::error::Exit;

use super::SchemaKind;

pub fn run(which: SchemaKind) -> Exit {
    let schema = match which {
        SchemaKind::Manifest => crate::schema::manifest(),
        SchemaKind::Plan => crate::schema::plan(),
        SchemaKind::State => crate::schema::state(),
    };
    print!("{schema}");
    Exit::Success
}
