//! The saved-plan document as pretty JSON: what `plan --format json` prints and `--out` saves, described
//! by `schemas/plan.schema.json` (each change with its `resource`, `received` and `due`).

use std::io::{self, Write};

use crate::plan::SavedPlan;

/// The saved-plan document as pretty JSON (what `plan --format json` prints and `--out` saves).
pub fn json(saved: &SavedPlan, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, saved).map_err(io::Error::other)?;
    writeln!(out)
}
