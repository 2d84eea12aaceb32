//! The plan: what `apply` would do. [`compute`] is a pure function of the manifest and the live snapshot.
//! OWNER: lead.

use serde::{Deserialize, Serialize};

/// A saved plan (`plan --out`), and what `plan --format json` prints.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SavedPlan {
    pub format_version: u32,
}
