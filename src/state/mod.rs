//! The state file (`bcprune.state.json`): the durable record of every record bcprune has deleted in a store
//! (customers and newsletter subscribers, PRODUCT.md §7), of the manifest IDs an apply found already absent
//! (§9), and of the audit log's head at the last save (§10).
//!
//! It is meant to be committed next to the manifest, so it is pretty JSON with a fixed key order and `deleted`
//! sorted by (resource, ID): a git diff of one apply reads as the lines it added. It holds no personal data (no
//! emails, no names), only IDs, times, run IDs and the manifest's reasons. Files written before subscribers,
//! `absent` and `audit_head` existed load unchanged: a record without `resource` is a customer.
//!
//! Apply rewrites it after every batch, so [`State::save`] is atomic: the new content goes to a temporary file
//! in the same directory, is fsynced, renamed over the old file, and the directory is fsynced. A crash or
//! `kill -9` at any moment leaves either the previous or the new complete file, never a torn one.
//!
//! [`lock`] keeps two applies from writing the same state at once.

pub mod lock;
mod scan;
mod summary;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::CustomerId;
use crate::Resource;

pub use lock::{
    Acquired, Lock, LockError, LockHolder, UnlockError, describe_takeover, force_unlock,
};
pub use scan::key;
pub use summary::{Settled, Summary};

/// The state file format version this bcprune reads and writes.
pub const STATE_VERSION: u32 = 1;

/// The state file (`bcprune.state.json`): which customers bcprune deleted from one store, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bcprune state file")]
pub struct State {
    /// Format version of this file; always 1.
    pub version: u32,
    /// Identity of this state, a UUID set once when the state is first created and never changed. A saved plan
    /// records it, so applying the plan against a different (or re-created) state is refused as stale.
    #[schemars(with = "String", extend("format" = "uuid"))]
    pub lineage: Uuid,
    /// Write counter: 0 for a state never saved, +1 on every save. A saved plan records it, so applying the
    /// plan after the state changed is refused as stale.
    pub serial: u64,
    /// The BigCommerce store hash this state belongs to.
    pub store_hash: String,
    /// When this file was last written (RFC 3339, UTC).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub updated_at: Timestamp,
    /// Lowercase hex SHA-256 of the manifest the last apply ran with.
    pub manifest_sha256: String,
    /// Every record bcprune deleted from this store, sorted by (resource, ID): customers first.
    pub deleted: Vec<DeletedRecord>,
    /// Manifest IDs an apply found already absent (nothing to delete), sorted by (resource, ID). Kept so
    /// `report` can tell "absent" from "pending" and `plan` need not list them again (IDs are never reused).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<AbsentRecord>,
    /// Recorded IDs (deleted or found absent) that a later listing found present again (PRODUCT §14),
    /// sorted by (resource, ID). Such an ID is not settled until a later verified deletion or
    /// found-absent observation takes it out of this list. Absent in files that never had one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reappeared: Vec<ReappearedRecord>,
    /// The orders an apply found of an `orders: redact` customer (PRODUCT §15), sorted by ID, each
    /// with the customer and its retained-until date, recorded (with an `orders_recorded` audit line)
    /// before the customer was deleted, so later runs never depend on the link the deletion severs. An
    /// order's redaction, once verified, is a record of `deleted` with `resource: "order"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<OrderRecord>,
    /// The audit log's last line when this state was saved, so a log cut short or rewritten is caught
    /// (`audit verify`). Absent in files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<AuditHead>,
}

/// The audit log's head at a moment: the `seq` and `hash` of its last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditHead {
    /// The last line's `seq` (1-based; 0 for an empty log).
    pub seq: u64,
    /// The last line's `hash` (lowercase hex SHA-256; 64 zeros for an empty log).
    pub hash: String,
}

impl std::fmt::Display for AuditHead {
    /// `42:2300f193b3e3`: the sequence number and the first 12 hex digits of the hash.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}",
            self.seq,
            self.hash.get(..12).unwrap_or(&self.hash)
        )
    }
}

/// A manifest ID an apply found already absent: there was nothing to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsentRecord {
    /// The customer or subscriber ID.
    pub id: u32,
    /// `customer` (the default, omitted) or `subscriber`.
    #[serde(default, skip_serializing_if = "Resource::is_customer")]
    pub resource: Resource,
    /// When the apply listed it and found it gone (RFC 3339, UTC).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub seen_at: Timestamp,
    /// The apply run that found it absent.
    pub run_id: String,
}

/// An order found of an `orders: redact` customer, recorded before the customer was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRecord {
    /// The order ID.
    pub id: u32,
    /// The customer it was found of (its link may be gone since the customer's deletion).
    pub customer_id: u32,
    /// The last day it is kept for the law (PRODUCT §15), as computed when it was found.
    #[schemars(with = "String", extend("format" = "date"))]
    pub retained_until: jiff::civil::Date,
    /// When it was recorded (RFC 3339, UTC).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub recorded_at: Timestamp,
    /// The apply run that recorded it.
    pub run_id: String,
}

/// A recorded ID a listing found present again: not settled until deleted (and verified) again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReappearedRecord {
    /// The customer or subscriber ID.
    pub id: u32,
    /// `customer` (the default, omitted) or `subscriber`.
    #[serde(default, skip_serializing_if = "Resource::is_customer")]
    pub resource: Resource,
    /// When the listing that found it present was made (RFC 3339, UTC).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub seen_at: Timestamp,
    /// The apply run whose listing found it.
    pub run_id: String,
}

impl ReappearedRecord {
    /// The sort and lookup key: customers first, then by ID.
    pub fn key(&self) -> (Resource, u32) {
        (self.resource, self.id)
    }
}

/// One deleted customer or subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeletedRecord {
    /// The customer or subscriber ID.
    pub id: u32,
    /// `customer` (the default, omitted so older files stay valid) or `subscriber`.
    #[serde(default, skip_serializing_if = "Resource::is_customer")]
    pub resource: Resource,
    /// When the DELETE was sent (RFC 3339, UTC).
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub deleted_at: Timestamp,
    /// The apply run that deleted it (the `run_id` of its audit log lines).
    pub run_id: String,
    /// The manifest's reason for deleting it, if it gave one.
    pub reason: Option<String>,
    /// True once a listing after the DELETE confirmed the customer is gone; false when that check could not
    /// be made (the next plan shows the truth).
    pub verified: bool,
}

impl DeletedRecord {
    /// The sort and lookup key: customers first, then by ID.
    pub fn key(&self) -> (Resource, u32) {
        (self.resource, self.id)
    }
}

impl AbsentRecord {
    /// The sort and lookup key: customers first, then by ID.
    pub fn key(&self) -> (Resource, u32) {
        (self.resource, self.id)
    }
}

/// What [`State::record_deleted`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The ID was new: a record was added.
    Added,
    /// The ID had an unverified record and the new one is verified: the new record replaced it.
    Upgraded,
    /// The ID already had a record, which was kept as it was (the original deletion stands).
    Kept,
}

/// Why the state file could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but could not be read.
    #[error("cannot read the state file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON, or not a valid state.
    #[error(
        "{}:{line}:{column}: the state file is not a valid bcprune state: {message}. \
         Restore it from version control (it is meant to be committed), or fix the line by hand",
        path.display()
    )]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file was written by a bcprune with a different state format.
    #[error(
        "{}: state file version {found} is not supported: this bcprune reads version {STATE_VERSION}. \
         Use the bcprune release that wrote it (or a newer one)",
        path.display()
    )]
    UnsupportedVersion { path: PathBuf, found: String },
    /// The state lists the same record twice.
    #[error(
        "{}: {resource} {id} is listed twice in `{list}`; the file was edited by hand. \
         Keep one of the two records (or restore the file from version control)",
        path.display()
    )]
    DuplicateId {
        path: PathBuf,
        resource: Resource,
        id: u32,
        list: &'static str,
    },
    /// The state belongs to another store than the one targeted.
    #[error(
        "the state file {} belongs to store {state_store:?}, but the target store is {target_store:?}. \
         Use --state to pick the state file of store {target_store:?}, or check --store-hash / \
         BIGCOMMERCE_STORE_HASH",
        path.display()
    )]
    StoreMismatch {
        path: PathBuf,
        state_store: String,
        target_store: String,
    },
    /// The new state could not be written; the previous file (if any) is unchanged.
    #[error(
        "cannot write the state file {}: {source}. The previous state file is unchanged",
        path.display()
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl State {
    /// A new, never-saved state for `store_hash`: a fresh lineage, serial 0, nothing deleted.
    pub fn new(store_hash: impl Into<String>, manifest_sha256: impl Into<String>) -> State {
        State {
            version: STATE_VERSION,
            lineage: Uuid::new_v4(),
            serial: 0,
            store_hash: store_hash.into(),
            updated_at: now(),
            manifest_sha256: manifest_sha256.into(),
            deleted: Vec::new(),
            absent: Vec::new(),
            reappeared: Vec::new(),
            orders: Vec::new(),
            audit_head: None,
        }
    }

    /// Record orders found of a customer (order, customer, retained until), unless already recorded;
    /// keeps `orders` sorted. Returns the ones added.
    pub fn record_orders(
        &mut self,
        found: &[(u32, u32, jiff::civil::Date)],
        recorded_at: Timestamp,
        run_id: &str,
    ) -> Vec<(u32, u32, jiff::civil::Date)> {
        let mut added = Vec::new();
        for &(id, customer_id, retained_until) in found {
            if let Err(index) = self.orders.binary_search_by_key(&id, |o| o.id) {
                self.orders.insert(
                    index,
                    OrderRecord {
                        id,
                        customer_id,
                        retained_until,
                        recorded_at,
                        run_id: run_id.to_string(),
                    },
                );
                added.push((id, customer_id, retained_until));
            }
        }
        added
    }

    /// Read the state file at `path`. A missing file is `Ok(None)` (no apply has run yet); an unreadable file,
    /// invalid JSON, an unknown format version or a duplicated ID is an error saying where and what to do.
    pub fn load(path: &Path) -> Result<Option<State>, StateError> {
        crate::fsio::refuse_symlink(path).map_err(|source| StateError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = match crate::fsio::read_capped_to_string(path, crate::fsio::STATE_LIMIT) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let parse_error = |e: serde_json::Error| StateError::Parse {
            path: path.to_path_buf(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: strip_position(&e.to_string()),
        };

        // One parse in the common case (a million-record state is ~175 MB of JSON). Only when it fails
        // is the version probed, so a newer format says "version N" instead of a confusing field error.
        #[derive(Deserialize)]
        struct VersionProbe {
            version: Option<serde_json::Value>,
        }
        let unsupported = |found: String| StateError::UnsupportedVersion {
            path: path.to_path_buf(),
            found,
        };
        let mut state: State = match serde_json::from_str(&text) {
            Ok(state) => state,
            Err(error) => {
                return Err(match serde_json::from_str::<VersionProbe>(&text) {
                    Ok(VersionProbe {
                        version: Some(version),
                    }) if version != STATE_VERSION => unsupported(version.to_string()),
                    _ => parse_error(error),
                });
            }
        };
        if state.version != STATE_VERSION {
            return Err(unsupported(state.version.to_string()));
        }
        state.sort();
        let duplicate = |list, (resource, id)| StateError::DuplicateId {
            path: path.to_path_buf(),
            resource,
            id,
            list,
        };
        if let Some(pair) = state.deleted.windows(2).find(|p| p[0].key() == p[1].key()) {
            return Err(duplicate("deleted", pair[0].key()));
        }
        if let Some(pair) = state.absent.windows(2).find(|p| p[0].key() == p[1].key()) {
            return Err(duplicate("absent", pair[0].key()));
        }
        if let Some(pair) = state
            .reappeared
            .windows(2)
            .find(|p| p[0].key() == p[1].key())
        {
            return Err(duplicate("reappeared", pair[0].key()));
        }
        Ok(Some(state))
    }

    /// Write the state to `path` atomically: serial + 1, `updated_at` = now, `deleted` sorted. The content goes
    /// to a temporary file in the same directory, is fsynced, renamed over `path`, and the directory is
    /// fsynced, so a crash at any moment leaves either the previous or the new complete file. On error the
    /// previous file is unchanged and `self` keeps its previous serial and time.
    pub fn save(&mut self, path: &Path) -> Result<(), StateError> {
        let previous = (self.serial, self.updated_at);
        self.serial += 1;
        self.updated_at = now();
        self.sort();
        let result = self
            .to_pretty_json()
            .and_then(|text| crate::fsio::write_atomically(path, text.as_bytes()));
        result.map_err(|source| {
            (self.serial, self.updated_at) = previous;
            StateError::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// The file content: pretty JSON, keys in declaration order, ending with a newline.
    pub fn to_pretty_json(&self) -> std::io::Result<String> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    fn sort(&mut self) {
        self.deleted.sort_by_key(DeletedRecord::key);
        self.absent.sort_by_key(AbsentRecord::key);
        self.reappeared.sort_by_key(ReappearedRecord::key);
    }

    /// Record that customer `id` was deleted: [`State::record_deleted_as`] for a customer.
    pub fn record_deleted(
        &mut self,
        id: CustomerId,
        deleted_at: Timestamp,
        run_id: impl Into<String>,
        reason: Option<String>,
        verified: bool,
    ) -> RecordOutcome {
        self.record_deleted_as(Resource::Customer, id, deleted_at, run_id, reason, verified)
    }

    /// Record that `resource` `id` was deleted. Upsert by (resource, ID): an existing record keeps its
    /// original deletion, unless it is unverified and this one is verified, in which case this one replaces
    /// it (a later run confirmed or redid the deletion). Keeps `deleted` sorted. A deleted record is no
    /// longer absent-before-apply, so any `absent` record for it goes. An ID marked reappeared takes the
    /// new record whatever the old one said, and a verified deletion ends the mark (PRODUCT §14).
    pub fn record_deleted_as(
        &mut self,
        resource: Resource,
        id: u32,
        deleted_at: Timestamp,
        run_id: impl Into<String>,
        reason: Option<String>,
        verified: bool,
    ) -> RecordOutcome {
        let record = DeletedRecord {
            id,
            resource,
            deleted_at,
            run_id: run_id.into(),
            reason,
            verified,
        };
        if let Ok(index) = self
            .absent
            .binary_search_by_key(&(resource, id), AbsentRecord::key)
        {
            self.absent.remove(index);
        }
        let reappeared = self.is_reappeared(resource, id);
        if reappeared && verified {
            self.clear_reappeared(resource, id);
        }
        match self
            .deleted
            .binary_search_by_key(&(resource, id), DeletedRecord::key)
        {
            Ok(index) if reappeared => {
                let existing = &mut self.deleted[index];
                let reason = record.reason.clone().or_else(|| existing.reason.take());
                *existing = DeletedRecord { reason, ..record };
                RecordOutcome::Upgraded
            }
            Ok(index) => {
                let existing = &mut self.deleted[index];
                if !existing.verified && record.verified {
                    let reason = record.reason.clone().or_else(|| existing.reason.take());
                    *existing = DeletedRecord { reason, ..record };
                    RecordOutcome::Upgraded
                } else {
                    RecordOutcome::Kept
                }
            }
            Err(index) => {
                self.deleted.insert(index, record);
                RecordOutcome::Added
            }
        }
    }

    /// Record that an apply listed `resource` `id` and found it already gone. Kept only when bcprune has no
    /// deletion record for it (its own deletion is the better record); the first sighting is kept.
    pub fn record_absent(
        &mut self,
        resource: Resource,
        id: u32,
        seen_at: Timestamp,
        run_id: impl Into<String>,
    ) {
        self.clear_reappeared(resource, id);
        if self.deleted_record_as(resource, id).is_some() {
            return;
        }
        if let Err(index) = self
            .absent
            .binary_search_by_key(&(resource, id), AbsentRecord::key)
        {
            let record = AbsentRecord {
                id,
                resource,
                seen_at,
                run_id: run_id.into(),
            };
            self.absent.insert(index, record);
        }
    }

    /// [`State::record_absent`] for each of `found`; returns those newly recorded (neither deleted by
    /// bcprune nor recorded absent before), in the order given.
    pub fn record_found_absent(
        &mut self,
        found: &[(Resource, u32)],
        seen_at: Timestamp,
        run_id: &str,
    ) -> Vec<(Resource, u32)> {
        let mut added = Vec::new();
        for &(resource, id) in found {
            let unrecorded = self.deleted_record_as(resource, id).is_none()
                && self.absent_record(resource, id).is_none();
            if unrecorded || self.is_reappeared(resource, id) {
                self.record_absent(resource, id, seen_at, run_id);
                added.push((resource, id));
            }
        }
        added
    }

    /// Mark recorded `resource` `id` as found present again by the listing of run `run_id`: it stops being
    /// settled (PRODUCT §14). Returns whether the mark is new; an ID with no deletion or absent record
    /// is never marked (there is nothing it reappeared from).
    pub fn mark_reappeared(
        &mut self,
        resource: Resource,
        id: u32,
        seen_at: Timestamp,
        run_id: &str,
    ) -> bool {
        let recorded = self
            .deleted_record_as(resource, id)
            .is_some_and(|r| r.verified)
            || self.absent_record(resource, id).is_some();
        if !recorded {
            return false;
        }
        match self
            .reappeared
            .binary_search_by_key(&(resource, id), ReappearedRecord::key)
        {
            Ok(_) => false,
            Err(index) => {
                let record = ReappearedRecord {
                    id,
                    resource,
                    seen_at,
                    run_id: run_id.to_string(),
                };
                self.reappeared.insert(index, record);
                true
            }
        }
    }

    /// Whether `resource` `id` is marked reappeared.
    pub fn is_reappeared(&self, resource: Resource, id: u32) -> bool {
        self.reappeared_record(resource, id).is_some()
    }

    /// The reappeared mark of `resource` `id`, if a listing found it present again.
    pub fn reappeared_record(&self, resource: Resource, id: u32) -> Option<&ReappearedRecord> {
        self.reappeared
            .binary_search_by_key(&(resource, id), ReappearedRecord::key)
            .ok()
            .map(|index| &self.reappeared[index])
    }

    fn clear_reappeared(&mut self, resource: Resource, id: u32) {
        if let Ok(index) = self
            .reappeared
            .binary_search_by_key(&(resource, id), ReappearedRecord::key)
        {
            self.reappeared.remove(index);
        }
    }

    /// Take out every settled record (verified deletion, found absent) that `proven` does not hold:
    /// the audit log does not prove it, so it is not evidence and must not be saved again as if it
    /// were (PRODUCT §14). Returns the keys taken out.
    pub fn drop_unproven(
        &mut self,
        proven: impl Fn(Resource, u32) -> bool,
    ) -> Vec<(Resource, u32)> {
        let mut dropped = Vec::new();
        self.deleted.retain(|r| {
            let keep = !r.verified || proven(r.resource, r.id);
            if !keep {
                dropped.push(r.key());
            }
            keep
        });
        self.absent.retain(|r| {
            let keep = proven(r.resource, r.id);
            if !keep {
                dropped.push(r.key());
            }
            keep
        });
        dropped.sort_unstable();
        dropped
    }

    /// The customer IDs recorded with `verified: false`: accepted by the API but not yet confirmed gone.
    pub fn unverified_ids(&self) -> Vec<CustomerId> {
        self.unverified(Resource::Customer)
    }

    /// The `resource` IDs recorded with `verified: false`.
    pub fn unverified(&self, resource: Resource) -> Vec<u32> {
        self.deleted
            .iter()
            .filter(|record| record.resource == resource && !record.verified)
            .map(|record| record.id)
            .collect()
    }

    /// Whether customer `id` has a deletion record.
    pub fn is_recorded(&self, id: CustomerId) -> bool {
        self.deleted_record(id).is_some()
    }

    /// Take an unverified customer record out again: [`State::forget_as`] for a customer.
    pub fn forget(&mut self, id: CustomerId) {
        self.forget_as(Resource::Customer, id);
    }

    /// Take an unverified record out again: the record was listed after its DELETE, so the deletion did
    /// not happen and the state must not claim it. A verified record is never removed.
    pub fn forget_as(&mut self, resource: Resource, id: u32) {
        self.deleted
            .retain(|record| record.key() != (resource, id) || record.verified);
    }

    /// Record the manifest the current apply runs with.
    pub fn set_manifest_sha256(&mut self, sha256: &str) {
        self.manifest_sha256 = sha256.to_string();
    }

    /// The IDs of every recorded customer deletion.
    pub fn deleted_ids(&self) -> BTreeSet<CustomerId> {
        self.deleted
            .iter()
            .filter(|record| record.resource == Resource::Customer)
            .map(|record| record.id)
            .collect()
    }

    /// The record for customer `id`, if it was deleted.
    pub fn deleted_record(&self, id: CustomerId) -> Option<&DeletedRecord> {
        self.deleted_record_as(Resource::Customer, id)
    }

    /// The deletion record for `resource` `id`, if bcprune deleted it.
    pub fn deleted_record_as(&self, resource: Resource, id: u32) -> Option<&DeletedRecord> {
        self.deleted
            .binary_search_by_key(&(resource, id), DeletedRecord::key)
            .ok()
            .map(|index| &self.deleted[index])
    }

    /// The absent-before-apply record for `resource` `id`, if an apply found it already gone.
    pub fn absent_record(&self, resource: Resource, id: u32) -> Option<&AbsentRecord> {
        self.absent
            .binary_search_by_key(&(resource, id), AbsentRecord::key)
            .ok()
            .map(|index| &self.absent[index])
    }

    /// Check that this state (read from `path`) belongs to `target_store`; an error naming both stores and
    /// what to do otherwise. Using another store's state would mix up two stores' deletion records.
    pub fn check_store(&self, path: &Path, target_store: &str) -> Result<(), StateError> {
        check_store(&self.store_hash, path, target_store)
    }
}

/// [`State::check_store`] for a state of store `state_store`.
fn check_store(state_store: &str, path: &Path, target_store: &str) -> Result<(), StateError> {
    if state_store == target_store {
        Ok(())
    } else {
        Err(StateError::StoreMismatch {
            path: path.to_path_buf(),
            state_store: state_store.to_string(),
            target_store: target_store.to_string(),
        })
    }
}

/// Now, to the millisecond (nanoseconds only add noise to a committed file).
fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}

/// serde_json appends " at line L column C" to its messages; the error names the position up front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn new_state_has_a_fresh_lineage_and_serial_zero() {
        let a = State::new("acme42", SHA);
        let b = State::new("acme42", SHA);
        assert_eq!(a.version, 1);
        assert_eq!(a.serial, 0);
        assert_ne!(a.lineage, b.lineage);
        assert_eq!(a.lineage.get_version_num(), 4);
        assert!(a.deleted.is_empty());
    }

    #[test]
    fn missing_file_loads_as_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loaded = State::load(&dir.path().join("bcprune.state.json")).expect("load");
        assert!(loaded.is_none());
    }

    #[test]
    fn round_trip_keeps_everything_and_increments_serial_keeping_lineage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bcprune.state.json");
        let mut state = State::new("acme42", SHA);
        state.record_deleted(
            7,
            ts("2026-01-02T03:04:05Z"),
            "run-1",
            Some("GDPR".into()),
            true,
        );
        state.save(&path).expect("save");
        assert_eq!(state.serial, 1);
        let loaded = State::load(&path).expect("load").expect("present");
        assert_eq!(loaded, state);

        let mut again = loaded;
        again.save(&path).expect("save");
        again.save(&path).expect("save");
        let reloaded = State::load(&path).expect("load").expect("present");
        assert_eq!(reloaded.serial, 3);
        assert_eq!(reloaded.lineage, state.lineage);
    }

    #[test]
    fn output_is_pretty_in_a_stable_order_with_deleted_sorted() {
        let mut state = State::new("acme42", SHA);
        state.lineage = "6f1c2a6e-0b1e-4c59-9a57-3d1f0b8e2c11"
            .parse()
            .expect("uuid");
        state.updated_at = ts("2026-11-28T20:00:00Z");
        state.record_deleted(300, ts("2026-11-28T19:00:00Z"), "run-b", None, false);
        state.record_deleted(
            5,
            ts("2026-11-28T18:00:00Z"),
            "run-a",
            Some("dup".into()),
            true,
        );
        state.deleted.push(DeletedRecord {
            id: 42,
            resource: Resource::Customer,
            deleted_at: ts("2026-11-28T18:30:00Z"),
            run_id: "run-a".into(),
            reason: None,
            verified: true,
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        state.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        let keys: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("  \""))
            .map(|line| line.trim().split('"').nth(1).unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "lineage",
                "serial",
                "store_hash",
                "updated_at",
                "manifest_sha256",
                "deleted"
            ]
        );
        let ids: Vec<&str> = text
            .lines()
            .filter(|line| line.trim_start().starts_with("\"id\""))
            .collect();
        assert_eq!(
            ids,
            [
                "      \"id\": 5,",
                "      \"id\": 42,",
                "      \"id\": 300,"
            ]
        );
        assert!(text.contains("\"reason\": null"), "{text}");
        assert!(text.ends_with("}\n"));
        // Saving the same content twice only changes serial and updated_at.
        let first = text.replace(&format!("\"serial\": {}", state.serial), "");
        let updated = state.updated_at.to_string();
        state.save(&path).expect("save");
        let second = std::fs::read_to_string(&path).expect("read");
        let second = second
            .replace(&format!("\"serial\": {}", state.serial), "")
            .replace(&state.updated_at.to_string(), &updated);
        assert_eq!(first, second);
    }

    #[test]
    fn record_deleted_keeps_the_original_unless_upgrading_to_verified() {
        let mut state = State::new("acme42", SHA);
        let t1 = ts("2026-01-01T00:00:00Z");
        let t2 = ts("2026-02-01T00:00:00Z");
        assert_eq!(
            state.record_deleted(9, t1, "run-1", Some("r".into()), true),
            RecordOutcome::Added
        );
        assert_eq!(
            state.record_deleted(9, t2, "run-2", None, true),
            RecordOutcome::Kept
        );
        assert_eq!(
            state.deleted_record(9).map(|r| r.run_id.as_str()),
            Some("run-1")
        );

        assert_eq!(
            state.record_deleted(10, t1, "run-1", Some("r".into()), false),
            RecordOutcome::Added
        );
        assert_eq!(
            state.record_deleted(10, t2, "run-2", None, false),
            RecordOutcome::Kept
        );
        assert_eq!(
            state.record_deleted(10, t2, "run-2", None, true),
            RecordOutcome::Upgraded
        );
        let record = state.deleted_record(10).expect("record");
        assert_eq!(
            (record.run_id.as_str(), record.deleted_at, record.verified),
            ("run-2", t2, true)
        );
        assert_eq!(
            record.reason.as_deref(),
            Some("r"),
            "the reason is kept when the new one has none"
        );
        assert_eq!(
            state.record_deleted(10, t1, "run-3", None, false),
            RecordOutcome::Kept
        );
        assert!(state.deleted_record(10).expect("record").verified);

        assert_eq!(state.deleted_ids().into_iter().collect::<Vec<_>>(), [9, 10]);
    }

    #[test]
    fn store_mismatch_names_both_stores() {
        let state = State::new("acme42", SHA);
        assert!(state.check_store(Path::new("s.json"), "acme42").is_ok());
        let message = state
            .check_store(Path::new("s.json"), "other7")
            .expect_err("mismatch")
            .to_string();
        assert!(message.contains("s.json"), "{message}");
        assert!(message.contains("\"acme42\""), "{message}");
        assert!(message.contains("\"other7\""), "{message}");
        assert!(message.contains("--state"), "{message}");
    }

    #[test]
    fn bad_json_error_names_path_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bcprune.state.json");
        std::fs::write(&path, "{\n  \"version\": 1,\n  \"lineage\": oops\n}\n").expect("write");
        let err = State::load(&path).expect_err("invalid");
        let message = err.to_string();
        assert!(
            matches!(
                err,
                StateError::Parse {
                    line: 3,
                    column: 14,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            message.starts_with(&format!("{}:3:14: ", path.display())),
            "{message}"
        );
        assert!(
            !message.contains(" at line "),
            "position given once: {message}"
        );
    }

    #[test]
    fn unknown_field_and_missing_field_are_errors_with_a_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let mut state = State::new("acme42", SHA);
        state.save(&path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(
            &path,
            text.replace("\"serial\"", "\"email\": \"x@y\",\n  \"serial\""),
        )
        .expect("write");
        let message = State::load(&path).expect_err("unknown field").to_string();
        assert!(message.contains("unknown field `email`"), "{message}");
        assert!(
            message.starts_with(&format!("{}:4:", path.display())),
            "{message}"
        );
    }

    #[test]
    fn unknown_version_says_which_version_and_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{\"version\": 2, \"whatever\": true}").expect("write");
        let message = State::load(&path).expect_err("version").to_string();
        assert!(message.contains("version 2 is not supported"), "{message}");
        assert!(message.contains("reads version 1"), "{message}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let mut state = State::new("acme42", SHA);
        state.record_deleted(3, ts("2026-01-01T00:00:00Z"), "r", None, true);
        let copy = state.deleted[0].clone();
        state.deleted.push(copy);
        state.save(&path).expect("save");
        let message = State::load(&path).expect_err("duplicate").to_string();
        assert!(message.contains("customer 3 is listed twice"), "{message}");
    }

    #[test]
    fn unreadable_state_is_an_error_not_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the file should be: exists, cannot be read as a file.
        let err = State::load(dir.path()).expect_err("a directory is not a state file");
        assert!(matches!(err, StateError::Read { .. }), "{err:?}");
    }

    #[test]
    fn repeated_saves_always_leave_a_complete_file_and_no_temp_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bcprune.state.json");
        let mut state = State::new("acme42", SHA);
        for i in 1..=200u32 {
            state.record_deleted(i, ts("2026-01-01T00:00:00Z"), "run", None, i % 2 == 0);
            state.save(&path).expect("save");
            let loaded = State::load(&path)
                .expect("valid after every save")
                .expect("present");
            assert_eq!(loaded.serial, u64::from(i));
            assert_eq!(loaded.deleted.len(), i as usize);
        }
        let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("read dir").collect();
        assert_eq!(entries.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn temp_files_left_by_a_killed_save_are_removed_by_the_next_save() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bcprune.state.json");
        let leftover = dir.path().join(".bcprune.state.json.Ab12Cd.tmp");
        let unrelated = dir.path().join(".other.json.Ab12Cd.tmp");
        std::fs::write(&leftover, "{\"version\": 1, \"lin").expect("write");
        std::fs::write(&unrelated, "keep").expect("write");
        State::new("acme42", SHA).save(&path).expect("save");
        assert!(!leftover.exists(), "leftover of this state removed");
        assert!(unrelated.exists(), "other files untouched");
        State::load(&path).expect("valid").expect("present");
    }

    #[test]
    fn failed_save_keeps_serial_and_the_previous_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let mut state = State::new("acme42", SHA);
        state.save(&path).expect("save");
        let missing_dir = dir.path().join("no-such-dir").join("s.json");
        let err = state.save(&missing_dir).expect_err("no directory");
        assert!(matches!(err, StateError::Write { .. }), "{err:?}");
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        assert_eq!(state.serial, 1);
    }

    #[cfg(unix)]
    #[test]
    fn save_keeps_the_permissions_of_the_replaced_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let mut state = State::new("acme42", SHA);
        state.save(&path).expect("save");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o644);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        state.save(&path).expect("save");
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn a_state_written_before_subscribers_absent_and_audit_head_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        std::fs::write(
            &path,
            r#"{"version":1,"lineage":"6f1c2a6e-0b1e-4c59-9a57-3d1f0b8e2c11","serial":4,
               "store_hash":"acme42","updated_at":"2026-11-28T20:00:00Z","manifest_sha256":"00",
               "deleted":[{"id":7,"deleted_at":"2026-11-28T19:00:00Z","run_id":"r","reason":null,"verified":true}]}"#,
        )
        .expect("write");
        let state = State::load(&path).expect("load").expect("present");
        assert_eq!(state.deleted[0].resource, Resource::Customer);
        assert!(state.absent.is_empty());
        assert_eq!(state.audit_head, None);
        assert!(state.settled().contains(Resource::Customer, 7));
        assert!(!state.settled().contains(Resource::Subscriber, 7));
        // Saving it again writes no new keys for what it does not have: the git diff is the serial line.
        let text = state.to_pretty_json().expect("json");
        assert!(
            !text.contains("resource") && !text.contains("absent") && !text.contains("audit_head")
        );
    }

    #[test]
    fn customers_and_subscribers_are_separate_namespaces_and_absent_records_yield_to_deletions() {
        let mut state = State::new("acme42", SHA);
        let at = ts("2026-11-28T19:00:00Z");
        state.record_deleted_as(Resource::Subscriber, 17, at, "run", None, false);
        state.record_deleted(17, at, "run", None, true);
        assert_eq!(state.unverified(Resource::Subscriber), [17]);
        assert!(state.unverified_ids().is_empty());
        assert!(state.settled().contains(Resource::Customer, 17));
        assert!(
            !state.settled().contains(Resource::Subscriber, 17),
            "unverified is not settled"
        );
        state.forget_as(Resource::Subscriber, 17);
        assert!(
            state.deleted_record(17).is_some(),
            "forgetting the subscriber keeps the customer"
        );

        state.record_absent(Resource::Subscriber, 9, at, "run");
        state.record_absent(Resource::Customer, 17, at, "run");
        assert!(state.absent_record(Resource::Subscriber, 9).is_some());
        assert!(
            state.absent_record(Resource::Customer, 17).is_none(),
            "a deleted record is not also absent"
        );
        state.record_deleted_as(Resource::Subscriber, 9, at, "later", None, true);
        assert!(state.absent_record(Resource::Subscriber, 9).is_none());
        assert_eq!(
            state
                .deleted
                .iter()
                .map(DeletedRecord::key)
                .collect::<Vec<_>>(),
            [(Resource::Customer, 17), (Resource::Subscriber, 9)]
        );
    }

    #[test]
    fn the_same_record_twice_is_refused_naming_its_resource_and_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.json");
        let record =
            r#"{"id":5,"resource":"subscriber","seen_at":"2026-11-28T19:00:00Z","run_id":"r"}"#;
        std::fs::write(
            &path,
            format!(
                r#"{{"version":1,"lineage":"6f1c2a6e-0b1e-4c59-9a57-3d1f0b8e2c11","serial":4,
                   "store_hash":"acme42","updated_at":"2026-11-28T20:00:00Z","manifest_sha256":"00",
                   "deleted":[],"absent":[{record},{record}]}}"#
            ),
        )
        .expect("write");
        let err = State::load(&path).expect_err("duplicate");
        assert!(
            err.to_string()
                .contains("subscriber 5 is listed twice in `absent`"),
            "{err}"
        );
    }

    #[test]
    fn an_audit_head_displays_as_seq_and_a_12_digit_hash_prefix() {
        let head = AuditHead {
            seq: 42,
            hash: "2300f193b3e3".to_string() + &"0".repeat(52),
        };
        assert_eq!(head.to_string(), "42:2300f193b3e3");
    }
}
