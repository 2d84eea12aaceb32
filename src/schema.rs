//! JSON Schemas generated from the Rust types (schemars), so the committed `schemas/*.json` that editors
//! and other tools use can never drift from what bcprune actually reads and writes.

/// Pretty JSON Schema of the manifest file format.
pub fn manifest() -> String {
    render(schemars::schema_for!(crate::manifest::ManifestDocument))
}

/// Pretty JSON Schema of a saved plan (and of `plan --format json`).
pub fn plan() -> String {
    render(schemars::schema_for!(crate::plan::SavedPlan))
}

/// Pretty JSON Schema of the state file.
pub fn state() -> String {
    render(schemars::schema_for!(crate::state::State))
}

/// Pretty JSON Schema of the erasure report (`report --format json`).
pub fn report() -> String {
    render(schemars::schema_for!(crate::report::Report))
}

/// Pretty JSON Schema of the report per request (`report --by request --format json`).
pub fn requests() -> String {
    render(schemars::schema_for!(crate::by_request::RequestReport))
}

/// Pretty JSON Schema of a receipt (`report --receipt REQUEST --format json`).
pub fn receipt() -> String {
    render(schemars::schema_for!(crate::receipt::Receipt))
}

fn render(schema: schemars::Schema) -> String {
    // Serializing a `serde_json::Value` cannot fail.
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
