//! The manifest: YAML files reviewed in git that list the customer IDs that must not exist.
//!
//! All validation happens here, so that every later stage works on a [`Manifest`] that is known to be
//! well formed (PRODUCT.md §1). Every error carries `file:line:column`; all errors of a run are reported
//! together, in file order, so one edit-and-rerun cycle fixes them all. The submodules follow the data:
//! `source` finds and reads the files, `parse` reads one file's YAML, `number` reads IDs,
//! `merge` checks what spans files.

mod merge;
mod number;
mod parse;
mod source;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::CustomerId;

/// Default for `max_deletes` when no manifest file sets it.
pub const DEFAULT_MAX_DELETES: u32 = 1000;

/// Where something is in a manifest file (1-based line and column, the column counted in characters).
///
/// The file is shown as the user gave it (joined with the file name for a directory). It is an
/// `Arc<Path>` shared by every entry of a file, so a million-entry manifest does not hold a million
/// paths. Line 0 means the problem concerns the path as a whole (a missing file, an empty directory):
/// it is then displayed as the path alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

/// One customer ID that must not exist, with the reviewer-facing reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentEntry {
    pub id: CustomerId,
    pub reason: Option<Box<str>>,
    /// Where the ID is written.
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
    /// For each file in order: its file name (without the directory, so the same manifest checked out
    /// elsewhere hashes the same), a NUL byte, its length in bytes as decimal digits, a NUL byte, its
    /// contents.
    pub sha256: String,
    /// The store this manifest is for, when a file says so.
    pub store_hash: Option<String>,
    /// The most customers one apply may delete ([`DEFAULT_MAX_DELETES`] unless a file sets it).
    pub max_deletes: u32,
    /// Customer IDs that must never be deleted.
    pub protect: BTreeSet<CustomerId>,
    /// In file order (files sorted by name); IDs are unique across the whole manifest.
    pub absent: Vec<AbsentEntry>,
}

impl Manifest {
    /// The one-line summary commands print after reading a manifest, e.g.
    /// `Read 3 manifest files: 52 customer IDs must be absent, 2 protected.`
    pub fn summary(&self) -> String {
        format!(
            "Read {}: {} must be absent, {} protected.",
            plural(self.files.len(), "manifest file", "manifest files"),
            plural(self.absent.len(), "customer ID", "customer IDs"),
            self.protect.len()
        )
    }
}

/// `1 thing`, `2 things`.
fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
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

impl fmt::Display for ManifestErrors {
    /// One error per line, `path:line:column: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

/// Load and validate the manifest at `path` (a file or a directory).
///
/// Returns every problem found (never only the first), sorted by file, line and column. A file that
/// cannot be read as YAML stops being read at that point; the other files are still checked.
pub fn load(path: &Path) -> Result<Manifest, ManifestErrors> {
    let files = source::list_files(path).map_err(|e| ManifestErrors(vec![e]))?;
    let mut errors = Vec::new();
    let mut hasher = Sha256::new();
    let mut parsed = Vec::with_capacity(files.len());
    for file in &files {
        let shown: Arc<Path> = Arc::from(file.as_path());
        let bytes = match source::read_file(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let name = file.file_name().unwrap_or(file.as_os_str());
        hasher.update(name.as_encoded_bytes());
        hasher.update([0]);
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update([0]);
        hasher.update(&bytes);
        match source::as_text(&shown, &bytes) {
            Ok(text) => parsed.push(parse::parse_file(&shown, text, &mut errors)),
            Err(error) => errors.push(error),
        }
    }
    let merged = merge::merge(parsed, &mut errors);
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        return Err(ManifestErrors(errors));
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(Manifest {
        path: path.to_path_buf(),
        files,
        sha256,
        store_hash: merged.store_hash,
        max_deletes: merged.max_deletes,
        protect: merged.protect,
        absent: merged.absent,
    })
}

/// The shape of one manifest file, for the JSON Schema (`schemas/manifest.schema.json`) that editors use
/// to complete and check manifests. The loader checks more than a schema can say: IDs written as plain
/// decimal digits, no ID listed twice, no ID both absent and protected, settings that agree across files.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bcprune manifest")]
pub struct ManifestDocument {
    /// Manifest format version. Required; this bcprune reads version 1.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// The store this manifest is for (the part after `/stores/` in the API URL). When given, it must
    /// equal the target store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub store_hash: Option<String>,
    /// The most customers one apply may delete; default 1000. `0` means nothing may be deleted. In a
    /// directory of manifest files, every file that sets it must set the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", extend("default" = 1000))]
    pub max_deletes: Option<u32>,
    /// Customer IDs that must never be deleted. An ID may not be both here and in `absent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<CustomerIdDocument>")]
    pub protect: Option<Vec<CustomerIdDocument>>,
    /// Required: the customer IDs that must not exist in the store, each a bare ID or `{id, reason}`.
    /// An ID may be listed only once across all files of a manifest.
    pub absent: Vec<AbsentItemDocument>,
}

/// A customer ID: a whole number from 1 to 4294967295, written as plain decimal digits (no quotes, no
/// leading zero, no `_`, `0x`, exponent or sign).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerId")]
pub struct CustomerIdDocument(#[schemars(range(min = 1, max = 4294967295u32))] pub u32);

/// One entry of `absent`: a bare customer ID, or a mapping with the ID and the reason it must be deleted.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AbsentEntry")]
pub enum AbsentItemDocument {
    /// A bare customer ID, e.g. `- 101`.
    Id(CustomerIdDocument),
    /// A customer ID with a reason, e.g. `- id: 102` and `reason: "GDPR erasure 2026-0042"`.
    Entry(AbsentEntryDocument),
}

/// A customer ID that must not exist, with the reason shown to reviewers and recorded in the state file.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AbsentEntryWithReason")]
pub struct AbsentEntryDocument {
    /// The customer ID.
    pub id: CustomerIdDocument,
    /// Why this customer must be deleted (a ticket, a request number). Non-empty when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: usize, absent: usize, protect: usize) -> Manifest {
        let file: Arc<Path> = Arc::from(Path::new("m.yaml"));
        Manifest {
            path: PathBuf::from("m.yaml"),
            files: vec![PathBuf::from("m.yaml"); files],
            sha256: String::new(),
            store_hash: None,
            max_deletes: DEFAULT_MAX_DELETES,
            protect: (1..=protect as u32).collect(),
            absent: (0..absent as u32)
                .map(|i| AbsentEntry {
                    id: 1000 + i,
                    reason: None,
                    location: Location {
                        file: Arc::clone(&file),
                        line: 1,
                        column: 1,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn summary_counts_with_singular_and_plural() {
        assert_eq!(
            manifest(1, 1, 0).summary(),
            "Read 1 manifest file: 1 customer ID must be absent, 0 protected."
        );
        assert_eq!(
            manifest(3, 52, 2).summary(),
            "Read 3 manifest files: 52 customer IDs must be absent, 2 protected."
        );
    }

    #[test]
    fn location_shows_line_and_column_or_only_the_path() {
        let file: Arc<Path> = Arc::from(Path::new("customers/gdpr.yaml"));
        let at = |line, column| Location {
            file: Arc::clone(&file),
            line,
            column,
        };
        assert_eq!(at(3, 7).to_string(), "customers/gdpr.yaml:3:7");
        assert_eq!(at(0, 0).to_string(), "customers/gdpr.yaml");
        let errors = ManifestErrors(vec![
            ManifestError {
                location: at(1, 1),
                message: "first".into(),
            },
            ManifestError {
                location: at(2, 5),
                message: "second".into(),
            },
        ]);
        assert_eq!(
            errors.to_string(),
            "customers/gdpr.yaml:1:1: first\ncustomers/gdpr.yaml:2:5: second"
        );
    }
}
