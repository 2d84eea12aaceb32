//! Evidence (PRODUCT.md §14): which of the state's records the audit log proves, so that nothing is
//! skipped, recorded or reported as erased or absent on a file's say-so.
//!
//! An ID is settled only when the state records it (a verified deletion, or found absent) **and** the
//! audit log proves it: a `verify` or `reconciled` line naming it as gone, or a `found_absent` line,
//! with no later `reappeared` line, in a log whose chain is intact and carries the state's head.
//!
//! Two ways to the same answer:
//! - **the digest** (cheap, what `plan` and `apply` try first): every save first appends a `state_saved`
//!   line carrying the serial, lineage, store and [`Settled::digest`] of the records being saved, and
//!   the state's `audit_head` is that line. When the state's head is the log's *last* `state_saved`
//!   line, that line is intact (its own hash and the links after it) and the digest equals the
//!   records', every record was written by bcprune as it is: trusted. Only the log's tail is read.
//! - **per record** (everything else: a state edited, copied, restored from history, written by an
//!   older bcprune, or saved after a crash between the line and the file): the whole log is read once
//!   ([`prove`]) and every record it does not prove is unproven.
//!
//! `apply` takes unproven records out of the state before anything is saved ([`State::drop_unproven`]),
//! so an edit is never laundered into a new digest; `report` always checks every record ([`prove`]).
//! [`save_state`] is the one way apply saves the state.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::Resource;
use crate::audit::{AuditEntry, AuditError, AuditLog, EventKind};
use crate::state::{AuditHead, Settled, State, StateError, key};

/// What the log proves: the records it shows gone (and not found present since), and what it says
/// about the rest.
#[derive(Debug, Clone, Default)]
pub struct Proof {
    /// The records it shows gone, each with the `seq` of the line that proves it (the latest).
    proven: HashMap<u64, u64>,
    /// Keys a `reappeared` line named (and no proof since), with that line's `seq`.
    reappeared: BTreeMap<u64, u64>,
    /// The stores the log's `state_saved` lines name.
    stores: BTreeSet<String>,
    /// The orders `orders_recorded` lines record: order → (customer, retained until).
    orders: BTreeMap<u32, (u32, jiff::civil::Date)>,
}

impl Proof {
    /// Whether the log proves `resource` `id` gone.
    pub fn proves(&self, resource: Resource, id: u32) -> bool {
        self.proven.contains_key(&key(resource, id))
    }

    /// The `seq` of the audit line that proves `resource` `id` gone (its latest `verify`,
    /// `reconciled` or `found_absent` line, with no `reappeared` since), if one does: what a receipt
    /// cites (PRODUCT §16).
    pub fn proved_by(&self, resource: Resource, id: u32) -> Option<u64> {
        self.proven.get(&key(resource, id)).copied()
    }

    /// Whether the log names states of another store than `store_hash` (its `state_saved` lines).
    pub fn other_store(&self, store_hash: &str) -> Option<&str> {
        self.stores
            .iter()
            .find(|s| *s != store_hash)
            .map(String::as_str)
    }

    /// Every order the log's `orders_recorded` lines record: order → (customer, retained until).
    pub fn orders(&self) -> &BTreeMap<u32, (u32, jiff::civil::Date)> {
        &self.orders
    }

    /// Whether the log records order `id` found of `customer` with this retained-until date.
    pub fn proves_order(&self, id: u32, customer: u32, until: jiff::civil::Date) -> bool {
        self.orders.get(&id) == Some(&(customer, until))
    }

    /// Why `resource` `id` is not proven (for `report`).
    pub fn why_not(&self, resource: Resource, id: u32) -> String {
        match self.reappeared.get(&key(resource, id)) {
            Some(seq) => format!(
                "the audit log records it found present again (line {seq}) and no deletion since"
            ),
            None => "no line of the audit log records its verified deletion or that it was found \
                     absent: the state was edited outside bcprune"
                .to_string(),
        }
    }

    /// Take in one verified line of the log (in order).
    pub(crate) fn observe(&mut self, object: &Map<String, Value>) {
        let event = object.get("event").and_then(Value::as_str).unwrap_or("");
        let Some(resource) = Resource::of_line(object.get("resource").and_then(Value::as_str))
        else {
            return;
        };
        let ids = |field: &str| -> Vec<u32> {
            object
                .get(field)
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_u64().and_then(|id| u32::try_from(id).ok()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let named = || -> Vec<u64> {
            if event == EventKind::Verify.as_str() || event == EventKind::Reconciled.as_str() {
                ids("ids").into_iter().map(|id| key(resource, id)).collect()
            } else {
                let customers = ids("ids").into_iter().map(|id| key(Resource::Customer, id));
                let subscribers = ids("subscriber_ids")
                    .into_iter()
                    .map(|id| key(Resource::Subscriber, id));
                customers.chain(subscribers).collect()
            }
        };
        match event {
            "verify" | "reconciled" | "found_absent" => {
                let seq = object.get("seq").and_then(Value::as_u64).unwrap_or(0);
                for k in named() {
                    self.reappeared.remove(&k);
                    self.proven.insert(k, seq);
                }
            }
            "reappeared" => {
                let seq = object.get("seq").and_then(Value::as_u64).unwrap_or(0);
                for k in named() {
                    self.proven.remove(&k);
                    self.reappeared.insert(k, seq);
                }
            }
            "orders_recorded" => {
                for (id, customer, until) in orders_recorded(object) {
                    // The first record of an order stands (as the state's `record_orders`).
                    self.orders.entry(id).or_insert((customer, until));
                }
            }
            "state_saved" => {
                if let Some(store) = object.get("store_hash").and_then(Value::as_str) {
                    self.stores.insert(store.to_string());
                }
            }
            _ => {}
        }
    }
}

/// The customer number a guest's order (no customer account) is recorded with, in the log's
/// `orders_recorded` lines and the state: BigCommerce's `customer_id` of such an order.
pub const GUEST: u32 = 0;

/// The customer a recorded order belongs to: none for a guest's order ([`GUEST`]).
pub fn owner(customer: u32) -> Option<u32> {
    (customer != GUEST).then_some(customer)
}

/// The orders one audit line records as found of a customer (or of a guest, customer [`GUEST`]), with their retained-until dates
/// (PRODUCT §15): `(order, customer, retained until)` for an `orders_recorded` line about orders,
/// nothing for any other line. An entry whose customer or date is missing or unreadable records
/// nothing. What [`Proof`] takes in, and what a receipt cites for a retained order.
pub fn orders_recorded(object: &Map<String, Value>) -> Vec<(u32, u32, jiff::civil::Date)> {
    let event = object.get("event").and_then(Value::as_str);
    let resource = Resource::of_line(object.get("resource").and_then(Value::as_str));
    if event != Some(EventKind::OrdersRecorded.as_str()) || resource != Some(Resource::Order) {
        return Vec::new();
    }
    let array = |field: &str| -> Vec<Value> {
        object
            .get(field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let id = |v: &Value| v.as_u64().and_then(|id| u32::try_from(id).ok());
    let customers = array("customer_ids");
    let dates = array("retained_until");
    array("ids")
        .iter()
        .enumerate()
        .filter_map(|(i, order)| {
            let customer = customers.get(i).and_then(id)?;
            let until = dates.get(i)?.as_str()?.parse().ok()?;
            Some((id(order)?, customer, until))
        })
        .collect()
}

/// Why nothing in an audit log is evidence ([`prove`]); each message names the log.
#[derive(Debug, thiserror::Error)]
pub enum Unproven {
    /// The log does not exist.
    #[error("the audit log {} does not exist, so nothing in the state is proven", .path.display())]
    Missing {
        /// The log.
        path: PathBuf,
    },
    /// The log cannot be read.
    #[error("cannot read the audit log {}: {source}", .path.display())]
    Unreadable {
        /// The log.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The chain breaks at `line`.
    #[error("the audit log {} is broken at line {line}: {reason}", .path.display())]
    Broken {
        /// The log.
        path: PathBuf,
        /// The first line that breaks the chain.
        line: u64,
        /// How.
        reason: String,
    },
    /// The log does not carry the state's head.
    #[error(
        "the audit log {} does not carry the state's head {head} (cut short or rewritten)",
        .path.display()
    )]
    HeadMissing {
        /// The log.
        path: PathBuf,
        /// The state's head.
        head: AuditHead,
    },
    /// The log records states of another store.
    #[error("the audit log {} records states of store {other:?}, not {store_hash:?}", .path.display())]
    OtherStore {
        /// The log.
        path: PathBuf,
        /// The store the log records.
        other: String,
        /// The store of the state.
        store_hash: String,
    },
}

/// Read the whole log at `path` (its chain verified) and what it proves, for a state of `store_hash`
/// whose head is `head`. An error (why nothing in it is evidence) when the log is missing, unreadable
/// or broken, does not carry `head`, or records saves of another store.
pub fn prove(path: &Path, head: Option<&AuditHead>, store_hash: &str) -> Result<Proof, Unproven> {
    let bytes = match crate::fsio::read_capped(path, crate::fsio::AUDIT_LIMIT) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Unproven::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(Unproven::Unreadable {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut proof = Proof::default();
    let mut head_hash = None;
    let summary = crate::audit::scan(&bytes, |seq, object| {
        if head.is_some_and(|h| h.seq == seq) {
            head_hash = object
                .get("hash")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        proof.observe(object);
    })
    .map_err(|broken| Unproven::Broken {
        path: path.to_path_buf(),
        line: broken.line,
        reason: broken.reason.to_string(),
    })?;
    if let Some(head) = head.filter(|h| h.seq > 0)
        && (summary.lines < head.seq || head_hash.as_deref() != Some(head.hash.as_str()))
    {
        return Err(Unproven::HeadMissing {
            path: path.to_path_buf(),
            head: head.clone(),
        });
    }
    if let Some(other) = proof.stores.iter().find(|s| *s != store_hash) {
        return Err(Unproven::OtherStore {
            path: path.to_path_buf(),
            other: other.clone(),
            store_hash: store_hash.to_string(),
        });
    }
    Ok(proof)
}

/// What a state claims, as `plan` (a [`crate::state::Summary`]) and `apply` (a [`State`]) both have it.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub lineage: Uuid,
    pub serial: u64,
    pub store_hash: &'a str,
    pub audit_head: Option<&'a AuditHead>,
    pub settled: &'a Settled,
    /// Whether the run needs the recorded orders (the manifest has `orders: redact` customers,
    /// PRODUCT §15): then the log's `orders_recorded` lines are read whenever the digest cannot vouch
    /// for the state's order records, also when the state has none (they may have been removed).
    pub orders_wanted: bool,
}

/// The settled set that may be trusted, and what was not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The claimed settled records the log proves (all of them when the digest matched), and the
    /// orders to work from: what the log's `orders_recorded` lines record, whatever the state says
    /// (the state's own records when the digest vouches for them).
    pub settled: Settled,
    /// The claimed settled records it does not prove: listed again as if not recorded.
    pub unproven: Vec<(Resource, u32)>,
    /// Why the digest could not vouch for the records (the per-record proof was made), if it could not.
    pub why: Option<String>,
    /// The state's order records the log does not record so (another customer or date, or none):
    /// replaced by the log's record, or left out.
    pub orders_unproven: Vec<u32>,
    /// Orders the log records that the state lacks: restored from the log.
    pub orders_restored: Vec<u32>,
}

impl Checked {
    /// Everything claimed, trusted.
    fn trusted(claim: &Claim<'_>) -> Checked {
        Checked {
            settled: claim.settled.clone(),
            unproven: Vec::new(),
            why: None,
            orders_unproven: Vec::new(),
            orders_restored: Vec::new(),
        }
    }
}

/// Check `claim` against the audit log at `path`: the digest first, else every record (module docs).
/// The order records likewise: their own digest first (`orders_sha256`, with no `orders_recorded`
/// line after the save), else the log's `orders_recorded` lines, which then replace them.
pub fn check(claim: Claim<'_>, path: &Path) -> Checked {
    let orders_matter = claim.orders_wanted || !claim.settled.orders.is_empty();
    if claim.settled.is_empty() && !orders_matter {
        return Checked::trusted(&claim);
    }
    let saved = last_saved(path);
    let records_trusted =
        claim.settled.is_empty() || saved.as_ref().is_some_and(|s| by_digest(s, &claim));
    let orders_trusted =
        !orders_matter || saved.as_ref().is_some_and(|s| orders_by_digest(s, &claim));
    if records_trusted && orders_trusted {
        return Checked::trusted(&claim);
    }
    let proof = prove(path, claim.audit_head, claim.store_hash);
    let mut checked = Checked::trusted(&claim);
    if !orders_trusted {
        let logged = proof
            .as_ref()
            .map(|p| p.orders().clone())
            .unwrap_or_default();
        checked.orders_unproven = claim
            .settled
            .orders
            .iter()
            .filter(|&(id, record)| logged.get(id) != Some(record))
            .map(|(&id, _)| id)
            .collect();
        checked.orders_restored = logged
            .keys()
            .filter(|id| !claim.settled.orders.contains_key(id))
            .copied()
            .collect();
        checked.settled.orders = logged;
    }
    if records_trusted {
        return checked;
    }
    let why = match saved {
        _ if claim.audit_head.is_none() => {
            "the state records no audit head (written by an earlier \
                                          bcprune, or edited)"
                .to_string()
        }
        Some(saved) if claim.audit_head.is_some_and(|h| h.seq < saved.seq) => format!(
            "the audit log records a later save (serial {}, line {}) than this state's (serial {}): \
             an older state was restored, or its save did not complete",
            saved.serial, saved.seq, claim.serial
        ),
        Some(saved) => format!(
            "the state's records do not match the digest its save (line {}) wrote into the audit log: \
             it was edited outside bcprune",
            saved.seq
        ),
        None => "the audit log holds no digest of this state (written by an earlier bcprune, or \
                 edited)"
            .to_string(),
    };
    let ids = claim.settled.ids();
    match proof {
        Ok(proof) => {
            checked
                .settled
                .retain(|resource, id| proof.proves(resource, id));
            checked.unproven = ids
                .into_iter()
                .filter(|&(resource, id)| !proof.proves(resource, id))
                .collect();
            checked.why = Some(why);
        }
        Err(reason) => {
            checked.settled.retain(|_, _| false);
            checked.unproven = ids;
            checked.why = Some(reason.to_string());
        }
    }
    checked
}

/// Whether the log's last save vouches for the claim's order records: the same state (as
/// [`by_digest`]), a save that wrote `orders_sha256` (an earlier bcprune's did not) equal to the
/// records', and no `orders_recorded` line after it (a run that recorded orders and stopped before
/// saving them).
fn orders_by_digest(saved: &SavedLine, claim: &Claim<'_>) -> bool {
    claim
        .audit_head
        .is_some_and(|h| h.seq == saved.seq && h.hash == saved.hash)
        && saved.serial == claim.serial
        && saved.lineage == claim.lineage.to_string()
        && saved.store_hash == claim.store_hash
        && !saved.orders_after
        && saved.orders_digest.as_deref() == Some(claim.settled.orders_digest().as_str())
}

fn by_digest(saved: &SavedLine, claim: &Claim<'_>) -> bool {
    claim
        .audit_head
        .is_some_and(|h| h.seq == saved.seq && h.hash == saved.hash)
        && saved.serial == claim.serial
        && saved.lineage == claim.lineage.to_string()
        && saved.store_hash == claim.store_hash
        && saved.digest == claim.settled.digest()
}

/// A `state_saved` line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SavedLine {
    seq: u64,
    hash: String,
    serial: u64,
    lineage: String,
    store_hash: String,
    digest: String,
    /// The order records' digest (`orders_sha256`), written since orders are (PRODUCT §15).
    orders_digest: Option<String>,
    /// Whether an `orders_recorded` line follows it.
    orders_after: bool,
}

/// The log's last `state_saved` line, read from its end: the line and every line after it must be
/// intact (each its own hash, each linked to the one before). `None` when there is none or anything
/// read is not so.
fn last_saved(path: &Path) -> Option<SavedLine> {
    let mut file = crate::fsio::open_regular(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len > crate::fsio::AUDIT_LIMIT {
        return None;
    }
    let mut window: u64 = 1 << 20;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).ok()?;
        let mut tail = Vec::new();
        (&mut file).take(len - start).read_to_end(&mut tail).ok()?;
        if let Some(found) = saved_in(&tail, start == 0) {
            return found;
        }
        if start == 0 {
            return None;
        }
        window = window.saturating_mul(8);
    }
}

/// The last `state_saved` line of `tail` (the end of the log; `whole` when it is all of it):
/// `Some(None)` when something read is not intact, `None` when this tail holds no such line.
fn saved_in(tail: &[u8], whole: bool) -> Option<Option<SavedLine>> {
    let body = match tail.strip_suffix(b"\n") {
        Some(body) => body,
        None if tail.is_empty() => return Some(None),
        None => return Some(None),
    };
    let mut pieces: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    if !whole {
        pieces.remove(0); // a partial line
    }
    let mut objects = Vec::with_capacity(pieces.len());
    let mut previous: Option<(u64, String)> = None;
    for piece in pieces {
        let object: Map<String, Value> = serde_json::from_slice(piece).ok()?;
        let seq = object.get("seq").and_then(Value::as_u64)?;
        let prev = match &previous {
            Some((before, hash)) if *before + 1 == seq => hash.clone(),
            Some(_) => return Some(None),
            None => object.get("prev_hash").and_then(Value::as_str)?.to_string(),
        };
        let Ok(object) = crate::audit::check_line(piece, seq, &prev) else {
            return Some(None);
        };
        let hash = object.get("hash").and_then(Value::as_str)?.to_string();
        previous = Some((seq, hash));
        objects.push(object);
    }
    let event = |o: &Map<String, Value>| o.get("event").and_then(Value::as_str).map(str::to_owned);
    let at = objects
        .iter()
        .rposition(|o| event(o).as_deref() == Some("state_saved"))?;
    let object = &objects[at];
    let orders_after = objects[at + 1..]
        .iter()
        .any(|o| event(o).as_deref() == Some(EventKind::OrdersRecorded.as_str()));
    let text = |field: &str| object.get(field).and_then(Value::as_str).map(str::to_owned);
    Some(Some(SavedLine {
        seq: object.get("seq").and_then(Value::as_u64)?,
        hash: text("hash")?,
        serial: object.get("serial").and_then(Value::as_u64)?,
        lineage: text("lineage")?,
        store_hash: text("store_hash")?,
        digest: text("records_sha256")?,
        orders_digest: text("orders_sha256"),
        orders_after,
    }))
}

/// Why [`save_state`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The state could not be written (the previous file is unchanged).
    #[error("{0}")]
    State(StateError),
    /// The state was saved, but its `state_saved` line could not be written: the next plan checks
    /// every record against the log instead of the digest.
    #[error("{0}")]
    Audit(AuditError),
}

/// Save `state` to `path` as every apply does: first a `state_saved` line (serial being saved, lineage,
/// store, the records' digest), then the state with that line as its `audit_head` (PRODUCT §10, §14).
/// When the line cannot be written the state is still saved (it must record what happened), and the
/// error says so.
pub fn save_state(
    audit: &mut AuditLog,
    state: &mut State,
    path: &Path,
    run_id: &str,
) -> Result<(), SaveError> {
    let line = AuditEntry::new(run_id, EventKind::StateSaved)
        .field("serial", state.serial + 1)
        .field("lineage", state.lineage.to_string())
        .store_hash(state.store_hash.clone())
        .field("records_sha256", state.settled().digest())
        .field("orders_sha256", state.settled().orders_digest());
    let logged = audit.append(line);
    state.audit_head = Some(audit.head());
    state.save(path).map_err(SaveError::State)?;
    logged.map(|_| ()).map_err(SaveError::Audit)
}

/// Write a `reappeared` line for `found` (recorded IDs a listing found present again) and mark them in
/// the state; the caller saves it. Returns the IDs newly marked.
pub fn mark_reappeared(
    audit: &mut AuditLog,
    state: &mut State,
    found: &[(Resource, u32)],
    run_id: &str,
) -> Result<Vec<(Resource, u32)>, AuditError> {
    let now = jiff::Timestamp::now();
    let now = jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
    let fresh: Vec<(Resource, u32)> = found
        .iter()
        .copied()
        .filter(|&(resource, id)| {
            !state.is_reappeared(resource, id)
                && (state
                    .deleted_record_as(resource, id)
                    .is_some_and(|r| r.verified)
                    || state.absent_record(resource, id).is_some())
        })
        .collect();
    if fresh.is_empty() {
        return Ok(fresh);
    }
    let of = |resource: Resource| -> Vec<u32> {
        fresh
            .iter()
            .filter(|(r, _)| *r == resource)
            .map(|(_, id)| *id)
            .collect()
    };
    let mut entry = AuditEntry::new(run_id, EventKind::Reappeared)
        .ids(&of(Resource::Customer))
        .message("recorded as gone, but listed present again: no longer settled");
    let subscribers = of(Resource::Subscriber);
    if !subscribers.is_empty() {
        entry = entry.field("subscriber_ids", subscribers);
    }
    audit.append(entry)?;
    for &(resource, id) in &fresh {
        state.mark_reappeared(resource, id, now, run_id);
    }
    Ok(fresh)
}

/// What `plan` and `apply` say about records the log does not prove (`why`: [`Checked::why`]).
pub fn unproven_message(unproven: &[(Resource, u32)], why: Option<&str>) -> String {
    let targets: Vec<crate::resource::Target> = unproven
        .iter()
        .map(|&(resource, id)| crate::resource::Target { resource, id })
        .collect();
    format!(
        "{} {} recorded as gone in the state {} not proven by the audit log ({}): {}. Listed again as \
         if not recorded; apply takes them out of the state",
        unproven.len(),
        crate::text::plural(unproven.len(), "record", "records"),
        crate::text::plural(unproven.len(), "is", "are"),
        crate::resource::target_list(&targets),
        why.unwrap_or("the state was edited outside bcprune"),
    )
}

/// What `plan` and `apply` say about the state's order records when the log's record replaced them
/// ([`Checked::orders_unproven`], [`Checked::orders_restored`]); `None` when there is nothing to say.
pub fn orders_message(checked: &Checked) -> Option<String> {
    let mut lines = Vec::new();
    if !checked.orders_unproven.is_empty() {
        lines.push(format!(
            "the state records orders {} that the audit log does not record as found (or with \
             another customer or retained-until date): the log's record is used, or none; the state \
             was edited outside bcprune",
            crate::resource::id_list(&checked.orders_unproven)
        ));
    }
    let restored: Vec<u32> = checked
        .orders_restored
        .iter()
        .filter(|id| !checked.orders_unproven.contains(id))
        .copied()
        .collect();
    if !restored.is_empty() {
        lines.push(format!(
            "the audit log records {} {} found of an erased customer that the state lacks (removed \
             from it, or an older state restored): restored from the log, so {} still redacted when \
             {} retention ends",
            crate::text::plural(restored.len(), "order", "orders"),
            crate::resource::id_list(&restored),
            crate::text::plural(restored.len(), "it is", "they are"),
            crate::text::plural(restored.len(), "its", "their"),
        ));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::state::Summary;

    fn resource(subscriber: bool) -> Resource {
        if subscriber {
            Resource::Subscriber
        } else {
            Resource::Customer
        }
    }

    /// A line about an order (or any kind a later bcprune adds) never proves the customer or
    /// subscriber with the same number: each kind has its own namespace (PRODUCT §14, §15).
    #[test]
    fn an_order_line_proves_the_order_and_never_a_customer_with_its_number() {
        let dir = tempfile::tempdir().expect("dir");
        let log_path = dir.path().join("a.jsonl");
        let mut audit = AuditLog::open(&log_path, "tester").expect("open");
        let verify = crate::audit::about(
            AuditEntry::new("run", EventKind::Verify).ids(&[5]),
            Resource::Order,
        );
        audit.append(verify).expect("append");
        let future = AuditEntry::new("run", EventKind::Verify)
            .ids(&[6])
            .field("resource", "refund");
        audit.append(future).expect("append");
        let proof = prove(&log_path, None, "acme42").expect("proof");
        assert!(proof.proves(Resource::Order, 5));
        assert!(
            !proof.proves(Resource::Customer, 5),
            "an order line proved customer 5"
        );
        assert!(
            !proof.proves(Resource::Customer, 6),
            "an unknown kind proved customer 6"
        );
        let intent = crate::audit::about(
            AuditEntry::new("run", EventKind::BatchIntent).ids(&[7]),
            Resource::Order,
        );
        audit.append(intent).expect("append");
        let open = crate::audit::unfinished_intents(&log_path).expect("intents");
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].resource, Resource::Order, "reconciled as an order");
    }

    /// The state's order records (PRODUCT §15) are vouched for by the `orders_sha256` of the log's
    /// last save, without reading the log (here it has no `orders_recorded` line at all, so only the
    /// digest can keep them); an `orders_recorded` line after that save, or a save of an earlier
    /// bcprune (no `orders_sha256`), makes the log's record the one used.
    #[test]
    fn order_records_are_trusted_by_their_digest_and_taken_from_the_log_otherwise() {
        let dir = tempfile::tempdir().expect("dir");
        let (state_path, log_path) = (dir.path().join("s.json"), dir.path().join("a.jsonl"));
        let until: jiff::civil::Date = "2033-01-01".parse().expect("date");
        let at = jiff::Timestamp::UNIX_EPOCH;
        let mut audit = AuditLog::open(&log_path, "tester").expect("open");
        let mut state = State::new("acme42", "00");
        state.record_orders(&[(10, 1, until)], at, "run");
        save_state(&mut audit, &mut state, &state_path, "run").expect("save");
        let check_now = || {
            let state = State::load(&state_path).expect("load").expect("state");
            let settled = state.settled();
            let claim = Claim {
                lineage: state.lineage,
                serial: state.serial,
                store_hash: "acme42",
                audit_head: state.audit_head.as_ref(),
                settled: &settled,
                orders_wanted: true,
            };
            check(claim, &log_path)
        };
        let checked = check_now();
        assert_eq!(checked.settled.orders.keys().collect::<Vec<_>>(), [&10]);
        assert!(checked.orders_unproven.is_empty() && checked.orders_restored.is_empty());

        // A run recorded order 11 and stopped before its save.
        let line = AuditEntry::new("later", EventKind::OrdersRecorded)
            .ids(&[11])
            .field("customer_ids", vec![1])
            .field("retained_until", vec![until.to_string()]);
        audit
            .append(crate::audit::about(line, Resource::Order))
            .expect("append");
        let checked = check_now();
        assert_eq!(checked.settled.orders.keys().collect::<Vec<_>>(), [&11]);
        assert_eq!(
            (checked.orders_unproven, checked.orders_restored),
            (vec![10], vec![11])
        );

        // A save an earlier bcprune wrote (no `orders_sha256`) vouches for no order record.
        let (state_path, log_path) = (dir.path().join("s2.json"), dir.path().join("a2.jsonl"));
        let mut audit = AuditLog::open(&log_path, "tester").expect("open");
        let mut state = State::new("acme42", "00");
        state.record_orders(&[(10, 1, until)], at, "run");
        state.record_deleted(5, at, "old", None, true);
        let old = AuditEntry::new("old", EventKind::StateSaved)
            .field("serial", 1)
            .field("lineage", state.lineage.to_string())
            .store_hash("acme42".to_string())
            .field("records_sha256", state.settled().digest());
        audit.append(old).expect("append");
        state.audit_head = Some(audit.head());
        state.save(&state_path).expect("save");
        let settled = state.settled();
        let claim = Claim {
            lineage: state.lineage,
            serial: state.serial,
            store_hash: "acme42",
            audit_head: state.audit_head.as_ref(),
            settled: &settled,
            orders_wanted: false,
        };
        let checked = check(claim, &log_path);
        assert_eq!(
            checked.why, None,
            "the records' digest still vouches for them"
        );
        assert!(checked.settled.contains(Resource::Customer, 5));
        assert!(checked.settled.orders.is_empty(), "{checked:?}");
        assert_eq!(checked.orders_unproven, [10]);
    }

    /// What an apply does to one record, each followed by a save as apply makes it.
    #[derive(Debug, Clone)]
    enum Op {
        /// Deleted and listed gone (`verify`).
        Deleted(bool, u32),
        /// Listed and found absent (`found_absent`).
        FoundAbsent(bool, u32),
        /// Accepted by the store, not yet listed again (`verified: false`; nothing proven).
        Accepted(bool, u32),
        /// Listed present again (`reappeared`).
        Reappeared(bool, u32),
    }

    /// An edit of the state file outside bcprune.
    #[derive(Debug, Clone)]
    enum Edit {
        AddDeleted(bool, u32, bool),
        CopyWithId(prop::sample::Index, u32),
        FlipVerified(prop::sample::Index),
        SwapResource(prop::sample::Index),
        AddAbsent(bool, u32),
        Remove(prop::sample::Index),
        DropReappeared,
        Restore(prop::sample::Index),
    }

    fn op() -> impl Strategy<Value = Op> {
        (0u8..4, any::<bool>(), 1u32..12).prop_map(|(kind, sub, id)| match kind {
            0 => Op::Deleted(sub, id),
            1 => Op::FoundAbsent(sub, id),
            2 => Op::Accepted(sub, id),
            _ => Op::Reappeared(sub, id),
        })
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let index = any::<prop::sample::Index>;
        prop_oneof![
            (any::<bool>(), 1u32..16, any::<bool>())
                .prop_map(|(s, i, v)| Edit::AddDeleted(s, i, v)),
            (index(), 1u32..16).prop_map(|(at, id)| Edit::CopyWithId(at, id)),
            index().prop_map(Edit::FlipVerified),
            index().prop_map(Edit::SwapResource),
            (any::<bool>(), 1u32..16).prop_map(|(s, i)| Edit::AddAbsent(s, i)),
            index().prop_map(Edit::Remove),
            Just(Edit::DropReappeared),
            index().prop_map(Edit::Restore),
        ]
    }

    /// Run `ops` as applies would: the files, each saved state's text, and the records truly gone
    /// (by the log: deleted and verified or found absent, not found present since).
    fn history(dir: &Path, ops: &[Op]) -> (Vec<String>, BTreeSet<(Resource, u32)>) {
        let (state_path, log_path) = (dir.join("s.json"), dir.join("a.jsonl"));
        let mut audit = AuditLog::open(&log_path, "tester").expect("open");
        let mut state = State::new("acme42", "00");
        let mut gone = BTreeSet::new();
        let mut saved = Vec::new();
        let at = jiff::Timestamp::UNIX_EPOCH;
        for op in ops {
            match *op {
                Op::Deleted(sub, id) => {
                    let entry = crate::audit::about(
                        AuditEntry::new("run", EventKind::Verify).ids(&[id]),
                        resource(sub),
                    );
                    audit.append(entry).expect("append");
                    state.record_deleted_as(resource(sub), id, at, "run", None, true);
                    gone.insert((resource(sub), id));
                }
                Op::FoundAbsent(sub, id) => {
                    // As `audit::found::record_found_absent`: a line only for what the state records
                    // (an ID with an unverified deletion is not recorded absent, and gets no line).
                    if state
                        .record_found_absent(&[(resource(sub), id)], at, "run")
                        .is_empty()
                    {
                        continue;
                    }
                    let field = if sub { "subscriber_ids" } else { "ids" };
                    let entry = AuditEntry::new("run", EventKind::FoundAbsent);
                    let entry = if sub {
                        entry.field(field, vec![id])
                    } else {
                        entry.ids(&[id])
                    };
                    audit.append(entry).expect("append");
                    gone.insert((resource(sub), id));
                }
                Op::Accepted(sub, id) => {
                    if state.deleted_record_as(resource(sub), id).is_none()
                        && state.absent_record(resource(sub), id).is_none()
                    {
                        state.record_deleted_as(resource(sub), id, at, "run", None, false);
                    }
                }
                Op::Reappeared(sub, id) => {
                    mark_reappeared(&mut audit, &mut state, &[(resource(sub), id)], "run")
                        .expect("append");
                    gone.remove(&(resource(sub), id));
                }
            }
            save_state(&mut audit, &mut state, &state_path, "run").expect("save");
            saved.push(std::fs::read_to_string(&state_path).expect("read"));
        }
        (saved, gone)
    }

    fn apply_edit(state: &mut serde_json::Value, edit: &Edit, saved: &[String]) {
        let list = |state: &mut serde_json::Value, name: &str| {
            if !state[name].is_array() {
                state[name] = serde_json::json!([]);
            }
            state[name]
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default()
        };
        let mut deleted = list(state, "deleted");
        let mut absent = list(state, "absent");
        let name = |sub: bool| if sub { "subscriber" } else { "customer" };
        match edit {
            Edit::AddDeleted(sub, id, verified) => deleted.push(serde_json::json!({
                "id": id, "resource": name(*sub), "deleted_at": "2026-01-01T00:00:00Z",
                "run_id": "forged", "reason": null, "verified": verified})),
            Edit::CopyWithId(at, id) if !deleted.is_empty() => {
                let mut copy = deleted[at.index(deleted.len())].clone();
                copy["id"] = (*id).into();
                deleted.push(copy);
            }
            Edit::FlipVerified(at) if !deleted.is_empty() => {
                let at = at.index(deleted.len());
                let record = &mut deleted[at];
                record["verified"] = (!record["verified"].as_bool().unwrap_or(false)).into();
            }
            Edit::SwapResource(at) if !deleted.is_empty() => {
                let at = at.index(deleted.len());
                let record = &mut deleted[at];
                let sub = record["resource"] == "subscriber";
                record["resource"] = name(!sub).into();
            }
            Edit::AddAbsent(sub, id) => absent.push(serde_json::json!({
                "id": id, "resource": name(*sub), "seen_at": "2026-01-01T00:00:00Z",
                "run_id": "forged"})),
            Edit::Remove(at) if !deleted.is_empty() => {
                deleted.remove(at.index(deleted.len()));
            }
            Edit::DropReappeared => {
                if let Some(object) = state.as_object_mut() {
                    object.remove("reappeared");
                }
            }
            Edit::Restore(at) if !saved.is_empty() => {
                *state = serde_json::from_str(&saved[at.index(saved.len())]).expect("json");
                return;
            }
            _ => {}
        }
        state["deleted"] = deleted.into();
        state["absent"] = absent.into();
    }

    /// A state and log an earlier bcprune wrote (no `state_saved` line): what the log proves is kept,
    /// the rest is unproven, and saving it through apply makes the digest vouch for it from then on.
    #[test]
    fn a_state_of_an_earlier_bcprune_is_proven_record_by_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (state_path, log_path) = (dir.path().join("s.json"), dir.path().join("a.jsonl"));
        let mut audit = AuditLog::open(&log_path, "tester").expect("open");
        audit
            .append(AuditEntry::new("old", EventKind::Verify).ids(&[1]))
            .expect("append");
        let at = jiff::Timestamp::UNIX_EPOCH;
        let mut state = State::new("acme42", "00");
        state.record_deleted(1, at, "old", None, true);
        state.record_deleted(2, at, "old", None, true);
        state.audit_head = Some(audit.head());
        state.save(&state_path).expect("save");
        let settled = state.settled();
        let claim = Claim {
            lineage: state.lineage,
            serial: state.serial,
            store_hash: "acme42",
            audit_head: state.audit_head.as_ref(),
            settled: &settled,
            orders_wanted: false,
        };
        let checked = check(claim, &log_path);
        assert_eq!(checked.unproven, [(Resource::Customer, 2)]);
        assert_eq!(checked.settled.ids(), [(Resource::Customer, 1)]);
        assert!(
            checked.why.as_deref().unwrap_or("").contains("no digest"),
            "{checked:?}"
        );

        state.drop_unproven(|resource, id| !checked.unproven.contains(&(resource, id)));
        save_state(&mut audit, &mut state, &state_path, "new").expect("save");
        let settled = state.settled();
        let claim = Claim {
            lineage: state.lineage,
            serial: state.serial,
            store_hash: "acme42",
            audit_head: state.audit_head.as_ref(),
            settled: &settled,
            orders_wanted: false,
        };
        let checked = check(claim, &log_path);
        assert_eq!((checked.unproven.len(), checked.why), (0, None));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// A state as bcprune saved it is trusted by its digest alone; after any edits (records added,
        /// copied to another ID, verified flipped, resource changed, a reappeared mark dropped, an older
        /// state restored), whatever `plan` (the scanner's summary) and `apply` (the full state) would
        /// skip as settled, the log proves gone now.
        #[test]
        fn nothing_the_log_does_not_prove_is_ever_settled(
            ops in proptest::collection::vec(op(), 1..14),
            edits in proptest::collection::vec(edit(), 0..4),
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let (saved, gone) = history(dir.path(), &ops);
            let (state_path, log_path) = (dir.path().join("s.json"), dir.path().join("a.jsonl"));
            let claim_of = |summary: &Summary| check(Claim {
                lineage: summary.lineage,
                serial: summary.serial,
                store_hash: &summary.store_hash,
                audit_head: summary.audit_head.as_ref(),
                settled: &summary.settled,
                orders_wanted: false,
            }, &log_path);
            let untouched = Summary::load(&state_path).expect("load").expect("state");
            let checked = claim_of(&untouched);
            prop_assert_eq!(&checked.unproven, &Vec::new());
            prop_assert_eq!(&checked.why, &None);
            prop_assert_eq!(&checked.settled, &untouched.settled);

            let mut value: serde_json::Value =
                serde_json::from_str(saved.last().expect("saved")).expect("json");
            for edit in &edits {
                apply_edit(&mut value, edit, &saved);
            }
            std::fs::write(&state_path, serde_json::to_string_pretty(&value).expect("json") + "\n")
                .expect("write");
            let Ok(Some(summary)) = Summary::load(&state_path) else {
                return Ok(()); // refused as invalid: nothing trusted
            };
            let full = State::load(&state_path).expect("load").expect("state").summary();
            for summary in [summary, full] {
                let checked = claim_of(&summary);
                for id in checked.settled.ids() {
                    prop_assert!(gone.contains(&id), "{id:?} settled but not gone; {checked:?}");
                }
            }
        }
    }
}
