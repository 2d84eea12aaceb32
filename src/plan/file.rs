//! The saved-plan file (`plan --out`, read by `apply --plan` and `show`): its document, how it is
//! written and read, its consistency check, and the staleness checks that decide whether it still
//! describes the store, the manifest, the state and the API it was made against.
//!
//! One module, because these four belong together: a plan file is only safe to apply if it was written
//! whole (atomic write), read strictly (unknown fields refused, positions in errors), checked for
//! internal consistency, and proved current. Terraform keeps its `planfile` reader and writer beside its
//! plan type the same way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Action, Change, Counts, Plan};
use crate::CustomerId;
use crate::live::Live;
use crate::manifest::Manifest;

/// The version of the saved-plan format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest a plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ManifestRef {
    /// The path as given on the command line; in a plan saved with `--out`, relative to the directory
    /// of the plan file (`relative_to_plan`), so `apply --plan` works from any directory.
    pub path: String,
    /// Lowercase hex SHA-256 over the manifest files (see the manifest module).
    pub sha256: String,
    /// `path` is relative to the directory holding the plan file, not to where the plan was made.
    /// Absent (false) in plans saved before bcprune recorded it: their path is read as given.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relative_to_plan: bool,
}

impl ManifestRef {
    /// Where the manifest is, for a plan read from `plan_file`: beside the plan file when the path was
    /// recorded relative to it, else the path as recorded (older plans).
    pub fn locate(&self, plan_file: &Path) -> PathBuf {
        let path = Path::new(&self.path);
        if self.relative_to_plan && path.is_relative() {
            match plan_file.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.join(path),
                _ => path.to_path_buf(),
            }
        } else {
            path.to_path_buf()
        }
    }

    /// The same manifest, recorded relative to the directory of `plan_file` (which need not exist
    /// yet; its directory must). Left as given when either cannot be resolved, or when no relative
    /// path leads from one to the other (another drive).
    pub fn relative_to(&self, plan_file: &Path) -> ManifestRef {
        let resolved = || -> Option<PathBuf> {
            let manifest = std::fs::canonicalize(&self.path).ok()?;
            let dir = match plan_file.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            relative_path(&std::fs::canonicalize(dir).ok()?, &manifest)
        };
        match resolved() {
            Some(path) => ManifestRef {
                path: path.display().to_string(),
                sha256: self.sha256.clone(),
                relative_to_plan: true,
            },
            None => self.clone(),
        }
    }
}

/// The relative path from the directory `from` to `to`, both absolute and canonical; `None` when they
/// share no root (another drive on Windows).
fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for component in &to[common..] {
        path.push(component.as_os_str());
    }
    if path.as_os_str().is_empty() {
        path.push(".");
    }
    Some(path)
}

/// The state file a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateRef {
    /// The state's lineage (UUID).
    pub lineage: String,
    /// The state's serial.
    pub serial: u64,
}

/// A saved plan (`plan --out`), and exactly what `plan --format json` prints. It holds no clear-text
/// personal data and no token: IDs, reasons, masked emails and names, and `date_modified` stamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    /// The format of this document; this build reads and writes 1.
    pub format_version: u32,
    /// The bcprune version that made the plan.
    pub tool_version: String,
    /// When the plan was made (RFC 3339, UTC).
    pub created_at: String,
    /// The store the plan is for.
    pub store_hash: String,
    /// The API host the plan was read from.
    pub api_host: String,
    /// The manifest the plan was made from.
    pub manifest: ManifestRef,
    /// The state file's lineage and serial when planned; `null` when there was no state file yet.
    pub state: Option<StateRef>,
    /// The audit log's head when planned (`seq` and `hash` of its last line; PRODUCT §10), so a reviewer
    /// can match the plan against the committed log. Absent when there was no audit log yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<crate::state::AuditHead>,
    /// Whether every manifest ID was listed (`plan --refresh-all`), or only those the state does not
    /// record as gone (PRODUCT §11).
    #[serde(default)]
    pub refresh_all: bool,
    /// What applying this plan would send and how long it takes at the store's quota (PRODUCT §17).
    /// Absent in plans made before bcprune estimated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_cost: Option<super::cost::Cost>,
    /// The counts.
    pub summary: Counts,
    /// Every manifest ID: deletions first, then those already absent, each sorted by ID.
    pub changes: Vec<Change>,
}

impl SavedPlan {
    /// Wrap a computed plan with what is needed to apply it later and to detect that it went stale.
    pub fn new(
        plan: &Plan,
        manifest: &Manifest,
        store_hash: &str,
        api_host: &str,
        state: Option<StateRef>,
        created_at: jiff::Timestamp,
    ) -> SavedPlan {
        SavedPlan {
            format_version: FORMAT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at: created_at.to_string(),
            store_hash: store_hash.to_string(),
            api_host: api_host.to_string(),
            manifest: ManifestRef {
                path: manifest.path.display().to_string(),
                sha256: manifest.sha256.clone(),
                relative_to_plan: false,
            },
            state,
            audit_head: None,
            refresh_all: false,
            apply_cost: None,
            summary: plan.summary(),
            changes: plan.changes.clone(),
        }
    }

    /// The plan inside the document.
    pub fn plan(&self) -> Plan {
        Plan {
            changes: self.changes.clone(),
        }
    }

    /// Check that the document is internally consistent and of a version this build understands.
    pub fn check(&self) -> Result<(), PlanCheckError> {
        if self.format_version != FORMAT_VERSION {
            return Err(PlanCheckError::FormatVersion {
                found: self.format_version,
            });
        }
        let mut seen = BTreeSet::new();
        for change in &self.changes {
            if !seen.insert((change.resource, change.id)) {
                return Err(PlanCheckError::DuplicateId {
                    resource: change.resource,
                    id: change.id,
                });
            }
            if change.action == Action::Delete && change.date_modified.is_none() {
                return Err(PlanCheckError::MissingDateModified { id: change.id });
            }
        }
        if self.plan().summary() != self.summary {
            return Err(PlanCheckError::SummaryMismatch);
        }
        Ok(())
    }
}

/// Why a saved plan no longer describes the world. Any one of these makes `apply --plan` refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// The manifest's content changed since the plan.
    ManifestChanged { planned: String, now: String },
    /// The state file was written (serial) or replaced (lineage) since the plan, or appeared/disappeared.
    StateChanged {
        planned: Option<StateRef>,
        now: Option<StateRef>,
    },
    /// The plan was made for another store.
    StoreChanged { planned: String, now: String },
    /// The plan was read from another API (`--api-url` / `BIGCOMMERCE_API_URL` differ).
    ApiHostChanged { planned: String, now: String },
    /// A customer planned for deletion was modified since (its `date_modified` differs).
    CustomerModified {
        id: CustomerId,
        planned: String,
        now: String,
    },
    /// A customer the plan saw as absent exists now (a new customer reusing the ID is never deleted
    /// without a fresh review).
    CustomerAppeared { id: CustomerId },
    /// A subscriber to delete was modified since the plan.
    SubscriberModified {
        id: crate::SubscriberId,
        planned: String,
        now: String,
    },
    /// A subscriber the plan saw as absent exists now.
    SubscriberAppeared { id: crate::SubscriberId },
    /// The plan says this record is recorded as gone, but the state and the audit log do not prove it
    /// (PRODUCT §14: a saved plan is a proposal, not evidence).
    NotProven { resource: crate::Resource, id: u32 },
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn state(s: &Option<StateRef>) -> String {
            match s {
                Some(s) => format!("lineage {} serial {}", s.lineage, s.serial),
                None => "no state file".to_string(),
            }
        }
        match self {
            Staleness::ManifestChanged { planned, now } => write!(
                f,
                "the manifest changed since the plan (sha256 {} then, {} now)",
                short(planned),
                short(now)
            ),
            Staleness::StateChanged { planned, now } => write!(
                f,
                "the state file changed since the plan ({} then, {} now)",
                state(planned),
                state(now)
            ),
            Staleness::StoreChanged { planned, now } => write!(
                f,
                "the plan is for store {planned}, but the target store is {now}"
            ),
            Staleness::ApiHostChanged { planned, now } => write!(
                f,
                "the saved plan was made against the API at {planned}, but this apply targets {now} (--api-url or BIGCOMMERCE_API_URL)"
            ),
            Staleness::CustomerModified { id, planned, now } => write!(
                f,
                "customer {id} was modified since the plan (date_modified {planned} then, {now} now)"
            ),
            Staleness::CustomerAppeared { id } => {
                write!(f, "customer {id} was absent when planned but exists now")
            }
            Staleness::SubscriberModified { id, planned, now } => write!(
                f,
                "subscriber {id} was modified since the plan (date_modified {planned} then, {now} now)"
            ),
            Staleness::SubscriberAppeared { id } => {
                write!(f, "subscriber {id} was absent when planned but exists now")
            }
            Staleness::NotProven { resource, id } => write!(
                f,
                "the plan marks {resource} {id} as recorded (gone, not listed again), but the state \
                 and the audit log do not prove it: the plan was edited, or the state changed since"
            ),
        }
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The offline part of the staleness check: manifest, state and store. Used by `show` (as warnings) and by
/// `apply --plan` before anything is read from the store.
pub fn offline_staleness(
    saved: &SavedPlan,
    manifest_sha256: Option<&str>,
    state: Option<&StateRef>,
    store_hash: Option<&str>,
) -> Vec<Staleness> {
    let mut reasons = Vec::new();
    if let Some(now) = store_hash
        && now != saved.store_hash
    {
        reasons.push(Staleness::StoreChanged {
            planned: saved.store_hash.clone(),
            now: now.to_string(),
        });
    }
    if let Some(now) = manifest_sha256
        && now != saved.manifest.sha256
    {
        reasons.push(Staleness::ManifestChanged {
            planned: saved.manifest.sha256.clone(),
            now: now.to_string(),
        });
    }
    if saved.state.as_ref() != state {
        reasons.push(Staleness::StateChanged {
            planned: saved.state.clone(),
            now: state.cloned(),
        });
    }
    reasons
}

/// The live part of the staleness check: every planned deletion must still carry the `date_modified` it
/// was reviewed with, and nothing planned as absent may have appeared. Customers planned for deletion that
/// vanished since are not stale: apply skips them.
pub fn live_staleness(saved: &SavedPlan, live: &Live) -> Vec<Staleness> {
    let mut reasons = Vec::new();
    for change in &saved.changes {
        let resource = change.resource;
        let id = change.id;
        // An order's staleness is its retention date and redaction state, re-read at apply.
        if resource == crate::Resource::Order {
            continue;
        }
        match (change.action, live.date_modified(resource, id)) {
            (Action::Delete, Some(now)) => {
                let planned = change.date_modified.clone().unwrap_or_default();
                if now != planned {
                    let now = now.to_string();
                    reasons.push(match resource {
                        crate::Resource::Customer => {
                            Staleness::CustomerModified { id, planned, now }
                        }
                        crate::Resource::Subscriber | crate::Resource::Order => {
                            Staleness::SubscriberModified { id, planned, now }
                        }
                    });
                }
            }
            (Action::Absent, Some(_)) => reasons.push(match resource {
                crate::Resource::Customer => Staleness::CustomerAppeared { id },
                crate::Resource::Subscriber | crate::Resource::Order => {
                    Staleness::SubscriberAppeared { id }
                }
            }),
            _ => {}
        }
    }
    reasons
}

/// The changes of `saved` marked `recorded` (not listed again, no action) that `settled` (the state's
/// records the audit log proves, `None` without a state) does not hold: the plan is not evidence
/// (PRODUCT §14), so `apply --plan` refuses them. A `recorded` change to delete is never consistent.
pub fn unproven_claims(
    saved: &SavedPlan,
    settled: Option<&crate::state::Settled>,
) -> Vec<Staleness> {
    saved
        .changes
        .iter()
        .filter(|c| c.recorded)
        .filter(|c| {
            c.action != Action::Absent || !settled.is_some_and(|s| s.contains(c.resource, c.id))
        })
        .map(|c| Staleness::NotProven {
            resource: c.resource,
            id: c.id,
        })
        .collect()
}

/// Why a saved plan is not internally consistent (it was edited, or written by another version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanCheckError {
    #[error(
        "saved plan format_version {found} is not supported by bcprune {} (it reads version {FORMAT_VERSION}); make a new plan with this version",
        env!("CARGO_PKG_VERSION")
    )]
    FormatVersion { found: u32 },
    #[error("saved plan lists {resource} {id} twice; make a new plan")]
    DuplicateId { resource: crate::Resource, id: u32 },
    #[error("saved plan has no date_modified for customer {id} to delete; make a new plan")]
    MissingDateModified { id: CustomerId },
    #[error("saved plan summary does not match its changes; make a new plan")]
    SummaryMismatch,
}

/// Why a saved plan file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("could not read the saved plan {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a bcprune plan: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Invalid {
        path: PathBuf,
        source: PlanCheckError,
    },
    #[error("could not save the plan to {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Read and check a saved plan: a regular file of at most [`crate::fsio::PLAN_LIMIT`] bytes (a FIFO or
/// device is refused, never read forever), parsed strictly, then [`SavedPlan::check`].
pub fn read(path: &Path) -> Result<SavedPlan, PlanFileError> {
    let bytes = crate::fsio::read_capped(path, crate::fsio::PLAN_LIMIT).map_err(|source| {
        PlanFileError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let saved: SavedPlan = serde_json::from_slice(&bytes).map_err(|e| PlanFileError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    saved.check().map_err(|source| PlanFileError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(saved)
}

/// Write a saved plan atomically (temp file, fsync, rename, fsync of the directory): a half-written plan
/// must never be applied.
pub fn write(saved: &SavedPlan, path: &Path) -> Result<(), PlanFileError> {
    let write_error = |source| PlanFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes =
        serde_json::to_vec_pretty(saved).map_err(|e| write_error(std::io::Error::other(e)))?;
    bytes.push(b'\n');
    crate::fsio::write_atomically(path, &bytes).map_err(write_error)
}

/// What a saved plan is checked against before anything is read from the store. `None` skips a check
/// (`show` has no target store or API).
#[derive(Debug, Clone, Copy, Default)]
pub struct Current<'a> {
    /// The manifest's SHA-256 now.
    pub manifest_sha256: Option<&'a str>,
    /// The state file's lineage and serial now (`None`: there is no state file). Always compared.
    pub state: Option<&'a StateRef>,
    /// The target store.
    pub store_hash: Option<&'a str>,
    /// The API host this run targets.
    pub api_host: Option<&'a str>,
}

/// The offline staleness check: store, API host, manifest and state.
pub fn check_offline(saved: &SavedPlan, current: &Current<'_>) -> Vec<Staleness> {
    let mut reasons = offline_staleness(
        saved,
        current.manifest_sha256,
        current.state,
        current.store_hash,
    );
    if let Some(now) = current.api_host
        && now != saved.api_host
    {
        reasons.insert(
            0,
            Staleness::ApiHostChanged {
                planned: saved.api_host.clone(),
                now: now.to_string(),
            },
        );
    }
    reasons
}
