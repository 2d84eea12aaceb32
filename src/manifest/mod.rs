//! The manifest: YAML files reviewed in git that list the customer IDs that must not exist.
//!
//! All validation happens here, so that every later stage works on a [`Manifest`] that is known to be
//! well formed. Every error carries `file:line:column`; all errors of a run are reported together.
//! OWNER: manifest helper — replace this stub with the real loader (see PRODUCT.md §1).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::CustomerId;

/// Default for `max_deletes` when no manifest file sets it.
pub const DEFAULT_MAX_DELETES: u32 = 1000;

/// Where something is in a manifest file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: Arc<Path>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One customer ID that must not exist, with the reviewer-facing reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentEntry {
    pub id: CustomerId,
    pub reason: Option<String>,
    pub location: Location,
}

/// A validated manifest: one file or every `*.yaml`/`*.yml` of a directory, merged.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The path as given on the command line (file or directory).
    pub path: PathBuf,
    /// The files read, sorted by name.
    pub files: Vec<PathBuf>,
    /// Lowercase hex SHA-256 over the files read (names and contents), used to detect a changed manifest.
    pub sha256: String,
    pub store_hash: Option<String>,
    pub max_deletes: u32,
    pub protect: BTreeSet<CustomerId>,
    /// In file order (files sorted by name); IDs are unique across the whole manifest.
    pub absent: Vec<AbsentEntry>,
}

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem found in a manifest, in file order.
#[derive(Debug, Clone)]
pub struct ManifestErrors(pub Vec<ManifestError>);

/// Load and validate the manifest at `path` (a file or a directory).
pub fn load(path: &Path) -> Result<Manifest, ManifestErrors> {
    let _ = path;
    Err(ManifestErrors(Vec::new()))
}

/// The shape of one manifest file, for the JSON Schema (`schemas/manifest.schema.json`).
/// The loader checks more than this schema can say (plain decimal IDs, duplicates, locations).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestDocument {
    pub version: u32,
}
