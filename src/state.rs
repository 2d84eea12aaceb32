//! The state file: what bcprune has deleted, written atomically after every batch. OWNER: state helper.

use serde::{Deserialize, Serialize};

/// The state file (`bcprune.state.json`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct State {
    pub version: u32,
}
