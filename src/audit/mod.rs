//! The audit log (`bcprune.audit.jsonl`): an append-only, hash-chained record of everything an apply did.
//!
//! Each line is one JSON object: `seq` (1, 2, …), `ts`, `run_id`, `event`, `ids`, `status`, `actor`, optional
//! extra fields (`intent` on the lines that close a `batch_intent`, `message`), `prev_hash` (the previous line's `hash`, 64
//! zeros for the first line) and `hash`: the lowercase hex SHA-256 of the line's object without `hash`, in the
//! canonical form of [`canonical`] (keys sorted, no whitespace). Editing, removing, inserting or reordering a
//! line breaks the chain at that line, and anyone can recompute it with standard tools.
//!
//! Why it matters for safety: apply writes a `batch_intent` line naming the IDs and [`AuditLog::append`] syncs
//! it to disk *before* the DELETE is sent; if it cannot be written, the DELETE is not sent. So after any crash
//! the log names every request that may have been sent, and [`unfinished_intents`] lets the next apply
//! reconcile the ones whose outcome was never written. An apply refuses to extend a log whose chain is
//! broken ([`AuditLog::open`]), so tampering is never buried under new lines.
//!
//! Removing lines from the *end* of the log leaves a valid shorter chain, and so does rewriting it from
//! some line on and re-chaining it. Both are caught against a head recorded elsewhere ([`head`]): the
//! state records the log's head at every save, apply prints it, a saved plan carries it, and
//! `audit verify` checks the log against the state's head and `--expect-head`.

pub mod canonical;
pub mod head;

pub use head::{ExpectedHead, HeadMismatch, read_head};

use crate::state::AuditHead;

/// Who recorded the head [`AuditLog::open_at_head`] checks, in its messages.
const HEAD_BY: &str = "the state file (its `audit_head`)";

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::CustomerId;

/// The `prev_hash` of the first line.
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys every line has, set by [`AuditLog::append`]; an entry's extra fields may not use them.
const RESERVED_KEYS: [&str; 9] = [
    "seq",
    "ts",
    "run_id",
    "event",
    "ids",
    "status",
    "actor",
    "prev_hash",
    "hash",
];

/// Events whose `intent` field closes that `batch_intent`: its outcome is known.
const CLOSING_EVENTS: [EventKind; 4] = [
    EventKind::BatchDeleted,
    EventKind::Redacted,
    EventKind::BatchFailed,
    EventKind::Reconciled,
];

/// What an audit line records. Verification does not depend on these: a log with kinds added by a later
/// bcprune verifies the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// An apply run started: `ids` to delete; `message` names the store, the plan's counts and where the
    /// plan came from.
    ApplyStarted,
    /// A DELETE is about to be sent for `ids`; written and synced before the request.
    BatchIntent,
    /// The DELETE of the `batch_intent` named by `intent` succeeded (`status`).
    BatchDeleted,
    /// The redaction (`PUT`s, PRODUCT §15) of the order the `batch_intent` named by `intent` names
    /// was accepted (`resource: "order"`); the `verify` line after proves it.
    Redacted,
    /// The DELETE of the `batch_intent` named by `intent` failed (`status`, `message`).
    BatchFailed,
    /// The re-listing after the deletes: which `ids` are confirmed gone, or still present.
    Verify,
    /// The run ended: `message` gives the counts (deleted, verified, failed, not attempted).
    ApplyFinished,
    /// A later run settled an earlier unfinished `batch_intent` (named by `intent`): `ids` are now absent.
    Reconciled,
    /// Planned IDs that were not sent (vanished since the plan).
    Skipped,
    /// The run was interrupted (Ctrl-C) before all batches were sent. Not written today: an interrupted run
    /// says so in its `apply_finished` message.
    Interrupted,
    /// Manifest IDs the apply listed and found already gone (nothing to delete): customer `ids`, and
    /// `subscriber_ids` when there are any; recorded in the state's `absent` (PRODUCT §9).
    FoundAbsent,
    /// Recorded IDs (customer `ids`, `subscriber_ids`) a listing found present again: no longer settled
    /// (PRODUCT §14), until a later verified deletion or found-absent line.
    Reappeared,
    /// Orders found of an `orders: redact` customer, recorded in the state before the customer is
    /// deleted (PRODUCT §15): `ids` (`resource: "order"`), and in the same order `customer_ids` and
    /// `retained_until` (dates). What proves a state's order records (§14).
    OrdersRecorded,
    /// Written just before each state save: the `serial` and `lineage` being saved, the `store_hash`,
    /// and `records_sha256`, the digest of the records that settle IDs (`state::Settled::digest`). The
    /// state's `audit_head` is this line, so a state edited since does not match it (PRODUCT §14).
    StateSaved,
}

impl EventKind {
    /// The `event` value written in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ApplyStarted => "apply_started",
            EventKind::BatchIntent => "batch_intent",
            EventKind::BatchDeleted => "batch_deleted",
            EventKind::Redacted => "redacted",
            EventKind::BatchFailed => "batch_failed",
            EventKind::Verify => "verify",
            EventKind::ApplyFinished => "apply_finished",
            EventKind::Reconciled => "reconciled",
            EventKind::Skipped => "skipped",
            EventKind::Interrupted => "interrupted",
            EventKind::FoundAbsent => "found_absent",
            EventKind::Reappeared => "reappeared",
            EventKind::StateSaved => "state_saved",
            EventKind::OrdersRecorded => "orders_recorded",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line to append, built fluently:
/// `AuditEntry::new(run_id, EventKind::BatchDeleted).ids(&ids).intent(seq).status(204)`.
/// `seq`, `ts`, `prev_hash` and `hash` are set by [`AuditLog::append`]; `actor` too unless given here.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    run_id: String,
    event: EventKind,
    ids: Vec<CustomerId>,
    status: Option<u16>,
    actor: Option<String>,
    fields: BTreeMap<String, Value>,
}

impl AuditEntry {
    /// An entry of kind `event` for the run `run_id`, with no IDs and no status.
    pub fn new(run_id: impl Into<String>, event: EventKind) -> AuditEntry {
        AuditEntry {
            run_id: run_id.into(),
            event,
            ids: Vec::new(),
            status: None,
            actor: None,
            fields: BTreeMap::new(),
        }
    }

    /// The customer IDs this line is about, in the given order.
    pub fn ids(mut self, ids: &[CustomerId]) -> AuditEntry {
        self.ids = ids.to_vec();
        self
    }

    /// The HTTP status of the response this line records.
    pub fn status(mut self, status: u16) -> AuditEntry {
        self.status = Some(status);
        self
    }

    /// The `seq` of the `batch_intent` line this outcome belongs to.
    pub fn intent(self, seq: u64) -> AuditEntry {
        self.field("intent", seq)
    }

    /// A human-readable detail (e.g. the API's error title). Never put personal data or the token here.
    pub fn message(self, message: impl Into<String>) -> AuditEntry {
        self.field("message", message.into())
    }

    /// The target store.
    pub fn store_hash(self, store_hash: impl Into<String>) -> AuditEntry {
        self.field("store_hash", store_hash.into())
    }

    /// Who ran the apply, instead of the log's (the one [`AuditLog::open`] was given).
    pub fn actor(mut self, actor: impl Into<String>) -> AuditEntry {
        self.actor = Some(actor.into());
        self
    }

    /// Any extra field (e.g. `counts`). Keys every line has (`seq`, `ts`, `run_id`, `event`, `ids`, `status`,
    /// `actor`, `prev_hash`, `hash`) are refused by [`AuditLog::append`].
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> AuditEntry {
        self.fields.insert(key.into(), value.into());
        self
    }
}

/// The apply's actor: the GitHub Actions run URL (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/
/// $GITHUB_RUN_ID`) when those are set, else `$USER`, else "unknown". The environment is given as a lookup
/// function: the CLI's settings pass the process environment, once; nothing here reads it.
pub fn actor_from(env: impl Fn(&str) -> Option<String>) -> String {
    let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if let (Some(server), Some(repo), Some(run)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        return format!("{}/{repo}/actions/runs/{run}", server.trim_end_matches('/'));
    }
    var("USER").unwrap_or_else(|| "unknown".to_string())
}

/// Why the audit log could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log could not be created, opened or read.
    #[error("cannot open the audit log {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The existing log's chain is broken: it was edited, truncated or reordered.
    #[error(
        "refusing to extend the audit log {}: line {line}: {reason}. Its hash chain is broken, and an apply \
         must not bury that under new lines. Run `bcprune audit verify --log {}`, find out what changed the \
         log, then move it aside (a new log starts a new chain) or restore it",
        path.display(),
        path.display()
    )]
    Broken {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    /// The log does not carry the head the state recorded: cut short or rewritten since.
    #[error(
        "refusing to extend the audit log {}: {mismatch}. If you moved the log aside on purpose (a new \
         log starts a new chain), remove `audit_head` from the state file and say why in its commit",
        path.display()
    )]
    NotAtHead {
        path: PathBuf,
        mismatch: Box<HeadMismatch>,
    },
    /// Another process has the log open for writing.
    #[error(
        "the audit log {} is being written by another bcprune process; wait for it to finish",
        path.display()
    )]
    Busy { path: PathBuf },
    /// An entry used a key that every line sets itself.
    #[error("audit entry field {key:?} is reserved (every line sets it)")]
    ReservedField { key: String },
    /// The entry could not be written and synced; it is not in the log.
    #[error("cannot write to the audit log {}: {source}. The entry was not recorded", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An earlier write failed and could not be undone, so the log's end is uncertain.
    #[error(
        "the audit log {} may end with a partial line after an earlier write failure; no more entries are \
         written. Check it with `bcprune audit verify --log {}`",
        path.display(),
        path.display()
    )]
    Poisoned { path: PathBuf },
}

/// An audit log open for appending. Holds an exclusive OS lock on the file so two processes never interleave
/// lines (a fork in the chain).
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    /// Length of the file after the last complete line: a failed write is truncated back to it.
    len: u64,
    last_seq: u64,
    last_hash: String,
    actor: String,
    poisoned: bool,
    /// Whether this open created the file: if no line is ever written, dropping the log removes it.
    created: bool,
}

impl Drop for AuditLog {
    /// A log this run created and never wrote a line to is not left behind: a declined or refused
    /// first apply leaves the directory as it found it. Best effort (Windows cannot remove an open file).
    fn drop(&mut self) {
        if self.created && self.len == 0 {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl AuditLog {
    /// Open the log at `path` for appending, creating it if missing (its directory must exist). An existing
    /// log is verified first: a broken chain (or an incomplete last line) is refused with the first bad line.
    /// `actor` goes on every line that does not name its own ([`actor_from`]).
    pub fn open(path: &Path, actor: &str) -> Result<AuditLog, AuditError> {
        AuditLog::open_at_head(path, None, actor)
    }

    /// [`AuditLog::open`], also refusing a log that does not carry `head` (the state's `audit_head`):
    /// a log cut short or rewritten and re-chained since the state was saved must not be extended, as a
    /// broken one is not (PRODUCT §10). A missing log is then not created.
    pub fn open_at_head(
        path: &Path,
        head: Option<&AuditHead>,
        actor: &str,
    ) -> Result<AuditLog, AuditError> {
        let open_error = |source| AuditError::Open {
            path: path.to_path_buf(),
            source,
        };
        let existed = path.exists();
        let expected = head.map(ExpectedHead::from);
        let not_at_head = |mismatch| AuditError::NotAtHead {
            path: path.to_path_buf(),
            mismatch: Box::new(mismatch),
        };
        if !existed && let Some(expected) = expected.as_ref().filter(|h| h.seq > 0) {
            let empty = VerifyReport {
                lines: 0,
                runs: 0,
                last_hash: ZERO_HASH.to_string(),
            };
            head::check(path, &empty, &BTreeMap::new(), expected, HEAD_BY).map_err(not_at_head)?;
        }
        if existed {
            // Before opening: opening a FIFO, or reading a device, could hang or never end.
            std::fs::metadata(path)
                .and_then(|m| crate::fsio::check_regular(&m))
                .map_err(open_error)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(open_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(AuditError::Busy {
                    path: path.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(open_error(e)),
        }
        file.metadata()
            .and_then(|m| crate::fsio::check_regular(&m))
            .map_err(open_error)?;
        let bytes =
            crate::fsio::read_open_capped(&file, crate::fsio::AUDIT_LIMIT).map_err(open_error)?;
        let wanted = expected.as_ref().map(|h| h.seq);
        let mut hashes = BTreeMap::new();
        let summary = scan(&bytes, |seq, object| {
            if Some(seq) == wanted
                && let Some(hash) = object.get("hash").and_then(Value::as_str)
            {
                hashes.insert(seq, hash.to_string());
            }
        })
        .map_err(|broken| AuditError::Broken {
            path: path.to_path_buf(),
            line: broken.line,
            reason: broken.reason.to_string(),
        })?;
        if let Some(expected) = &expected {
            let report = VerifyReport {
                lines: summary.lines,
                runs: 0,
                last_hash: summary.last_hash.clone(),
            };
            head::check(path, &report, &hashes, expected, HEAD_BY).map_err(not_at_head)?;
        }
        if !existed {
            // Make the new file's directory entry durable too.
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            crate::fsio::sync_dir(dir.unwrap_or(Path::new("."))).map_err(open_error)?;
        }
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            len: bytes.len() as u64,
            last_seq: summary.lines,
            last_hash: summary.last_hash,
            actor: actor.to_string(),
            poisoned: false,
            created: !existed,
        })
    }

    /// Append `entry` as one line and sync it to disk before returning its `seq`. The line is written with a
    /// single write call; if writing or syncing fails, the file is truncated back to its previous end and
    /// the error returned: the caller must then not send the request the entry announces.
    pub fn append(&mut self, entry: AuditEntry) -> Result<u64, AuditError> {
        if self.poisoned {
            return Err(AuditError::Poisoned {
                path: self.path.clone(),
            });
        }
        if let Some(key) = entry
            .fields
            .keys()
            .find(|key| RESERVED_KEYS.contains(&key.as_str()))
        {
            return Err(AuditError::ReservedField { key: key.clone() });
        }
        let seq = self.last_seq + 1;
        let ts = Timestamp::now();
        let ts = Timestamp::from_millisecond(ts.as_millisecond()).unwrap_or(ts);
        // Written in this order for people reading the file; the hash does not depend on the order.
        let mut pairs: Vec<(String, Value)> = vec![
            ("seq".into(), Value::from(seq)),
            ("ts".into(), Value::from(ts.to_string())),
            ("run_id".into(), Value::from(entry.run_id)),
            ("event".into(), Value::from(entry.event.as_str())),
            ("ids".into(), Value::from(entry.ids)),
            (
                "status".into(),
                entry.status.map_or(Value::Null, Value::from),
            ),
            (
                "actor".into(),
                Value::from(entry.actor.unwrap_or_else(|| self.actor.clone())),
            ),
        ];
        pairs.extend(entry.fields);
        pairs.push(("prev_hash".into(), Value::from(self.last_hash.clone())));
        let object: Map<String, Value> = pairs.iter().cloned().collect();
        let hash = canonical::line_hash(&object);
        pairs.push(("hash".into(), Value::from(hash.clone())));

        let mut line = String::from("{");
        for (i, (key, value)) in pairs.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&canonical::json_string(key));
            line.push(':');
            line.push_str(&canonical::canonical(value));
        }
        line.push_str("}\n");

        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Undo a partial line so the chain stays intact; if even that fails, stop writing.
            if self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data())
                .is_err()
            {
                self.poisoned = true;
            }
            return Err(AuditError::Write {
                path: self.path.clone(),
                source,
            });
        }
        self.len += line.len() as u64;
        self.last_seq = seq;
        self.last_hash = hash;
        Ok(seq)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The unfinished intents of this log; see [`unfinished_intents`].
    pub fn unfinished_intents(&self) -> Result<Vec<Intent>, AuditError> {
        unfinished_intents(&self.path)
    }

    /// The `seq` of the last line (0 for an empty log).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The `hash` of the last line ([`ZERO_HASH`] for an empty log).
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }
}

/// A verified log, in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of lines (entries).
    pub lines: u64,
    /// Number of distinct `run_id`s.
    pub runs: usize,
    /// The last line's `hash` ([`ZERO_HASH`] for an empty log): keep it to detect a later truncation.
    pub last_hash: String,
}

/// Why a log did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The log could not be read.
    #[error("cannot read the audit log {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The chain is broken at `line` (1-based): everything from there on cannot be trusted.
    #[error("{}:{line}: {reason}", path.display())]
    Broken {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

/// Recompute the chain of the log at `path`: every line valid JSON with the standard fields, `seq`
/// continuous from 1, each `prev_hash` the previous line's `hash` (64 zeros for the first), each `hash` the
/// SHA-256 of its line. Returns the first bad line otherwise.
pub fn verify(path: &Path) -> Result<VerifyReport, VerifyError> {
    verify_at(path, &BTreeSet::new()).map(|(report, _)| report)
}

/// [`verify`], also returning the `hash` of each line whose `seq` is in `seqs` (those the log has), to
/// check it against a head recorded elsewhere ([`head::check`]).
pub fn verify_at(
    path: &Path,
    seqs: &BTreeSet<u64>,
) -> Result<(VerifyReport, BTreeMap<u64, String>), VerifyError> {
    let bytes = crate::fsio::read_capped(path, crate::fsio::AUDIT_LIMIT).map_err(|source| {
        VerifyError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let mut runs = BTreeSet::new();
    let mut hashes = BTreeMap::new();
    let summary = scan(&bytes, |seq, object| {
        if let Some(run_id) = object.get("run_id").and_then(Value::as_str) {
            runs.insert(run_id.to_string());
        }
        if seqs.contains(&seq)
            && let Some(hash) = object.get("hash").and_then(Value::as_str)
        {
            hashes.insert(seq, hash.to_string());
        }
    })
    .map_err(|broken| VerifyError::Broken {
        path: path.to_path_buf(),
        line: broken.line,
        reason: broken.reason.to_string(),
    })?;
    let report = VerifyReport {
        lines: summary.lines,
        runs: runs.len(),
        last_hash: summary.last_hash,
    };
    Ok((report, hashes))
}

/// A `batch_intent` whose outcome was never written: its DELETE may or may not have been sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The intent line's `seq`.
    pub seq: u64,
    /// When it was written (the best known time of the DELETE, if it was sent).
    pub ts: Timestamp,
    /// The run that wrote it.
    pub run_id: String,
    /// The IDs the DELETE named.
    pub ids: Vec<CustomerId>,
    /// Which records the IDs name: the line's `resource` field (a line without one is about
    /// customers, as every line written before subscribers existed), so reconcile lists the right
    /// endpoint.
    pub resource: crate::Resource,
}

/// The `batch_intent` lines of the log at `path` that no later `batch_deleted`, `batch_failed` or
/// `reconciled` line names in its `intent` field, oldest first. A missing log has none. The chain is
/// verified while reading: a broken log is an error, as in [`AuditLog::open`].
pub fn unfinished_intents(path: &Path) -> Result<Vec<Intent>, AuditError> {
    let bytes = match crate::fsio::read_capped(path, crate::fsio::AUDIT_LIMIT) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(AuditError::Open {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut open: BTreeMap<u64, Intent> = BTreeMap::new();
    scan(&bytes, |seq, object| {
        let event = object
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if event == EventKind::BatchIntent.as_str() {
            // `scan` has checked the types of these fields.
            let ts = object
                .get("ts")
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok());
            let run_id = object.get("run_id").and_then(Value::as_str);
            let ids = object.get("ids").and_then(Value::as_array).map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_u64().and_then(|id| CustomerId::try_from(id).ok()))
                    .collect()
            });
            let resource = crate::Resource::of_line(object.get("resource").and_then(Value::as_str));
            if let (Some(ts), Some(run_id), Some(ids), Some(resource)) = (ts, run_id, ids, resource)
            {
                let run_id = run_id.to_string();
                open.insert(
                    seq,
                    Intent {
                        seq,
                        ts,
                        run_id,
                        ids,
                        resource,
                    },
                );
            }
        } else if CLOSING_EVENTS.iter().any(|kind| kind.as_str() == event)
            && let Some(intent) = object.get("intent").and_then(Value::as_u64)
        {
            open.remove(&intent);
        }
    })
    .map_err(|broken| AuditError::Broken {
        path: path.to_path_buf(),
        line: broken.line,
        reason: broken.reason.to_string(),
    })?;
    Ok(open.into_values().collect())
}

/// The end of a valid chain.
pub(crate) struct ChainEnd {
    pub(crate) lines: u64,
    pub(crate) last_hash: String,
}

/// The first bad line of a chain.
#[derive(Debug)]
pub(crate) struct Broken {
    pub(crate) line: u64,
    pub(crate) reason: LineProblem,
}

/// Walk the log's lines checking the chain, calling `visit(seq, object)` for each valid line, and stop at the
/// first bad one. A final newline is required: a last line without one is an incomplete write.
pub(crate) fn scan(
    bytes: &[u8],
    mut visit: impl FnMut(u64, &Map<String, Value>),
) -> Result<ChainEnd, Broken> {
    let mut pieces: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // After the last newline comes an empty piece (or the whole file is empty); anything else is a line
    // whose newline never made it to disk.
    let tail = pieces.pop().unwrap_or_default();
    let mut previous_hash = ZERO_HASH.to_string();
    let mut line_no = 0u64;
    for piece in pieces {
        line_no += 1;
        let object = check_line(piece, line_no, &previous_hash).map_err(|reason| Broken {
            line: line_no,
            reason,
        })?;
        visit(line_no, &object);
        previous_hash = object
            .get("hash")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
    }
    if !tail.is_empty() {
        return Err(Broken {
            line: line_no + 1,
            reason: LineProblem::Incomplete,
        });
    }
    Ok(ChainEnd {
        lines: line_no,
        last_hash: previous_hash,
    })
}

/// Why one line of the log breaks the chain (each message as `audit verify` shows it after the line number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("the line is not valid UTF-8")]
    NotUtf8,
    #[error("the line is empty (a line was removed or blanked)")]
    Empty,
    #[error("the line is not valid JSON (column {column}): {message}")]
    NotJson { column: usize, message: String },
    #[error("the line is not a JSON object")]
    NotAnObject,
    #[error(
        "`seq` is {found} where {expected} was expected: a line was removed, inserted or moved here"
    )]
    WrongSeq { found: u64, expected: u64 },
    #[error("`seq` is missing or not a positive integer")]
    NoSeq,
    #[error("`hash` is missing or not 64 lowercase hex digits")]
    NoHash,
    #[error("`prev_hash` of the first line is not 64 zeros: lines before it were removed")]
    FirstNotZero,
    #[error(
        "`prev_hash` does not match the `hash` of line {previous}: a line was removed, inserted or moved here"
    )]
    WrongPrevHash { previous: u64 },
    #[error("`prev_hash` is missing or not a string")]
    NoPrevHash,
    #[error(
        "the line's content does not match its `hash` (computed {computed}…, recorded {recorded}…): the line \
         was edited after it was written"
    )]
    Edited { computed: String, recorded: String },
    #[error("`ts` is missing or not an RFC 3339 timestamp")]
    NoTimestamp,
    #[error("`{0}` is missing or not a string")]
    NotAString(&'static str),
    #[error("`ids` is missing or not an array of customer IDs")]
    NoIds,
    #[error("`status` is missing or neither null nor an HTTP status")]
    NoStatus,
    #[error(
        "the last line is incomplete (no newline at its end): a write was cut short, or the file was \
         truncated or edited. bcprune sends a DELETE only after its intent line is fully written, so a \
         cut-short line was never acted upon"
    )]
    Incomplete,
}

/// Check one line (`line_no` = its expected `seq`) against the previous line's hash; the reason if bad.
pub(crate) fn check_line(
    bytes: &[u8],
    line_no: u64,
    previous_hash: &str,
) -> Result<Map<String, Value>, LineProblem> {
    let text = std::str::from_utf8(bytes).map_err(|_| LineProblem::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(LineProblem::Empty);
    }
    let value = canonical::parse_strict(text).map_err(|e| {
        let message = e.to_string();
        LineProblem::NotJson {
            column: e.column(),
            message: message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        }
    })?;
    let Value::Object(object) = value else {
        return Err(LineProblem::NotAnObject);
    };

    match object.get("seq").and_then(Value::as_u64) {
        Some(seq) if seq == line_no => {}
        Some(seq) => {
            return Err(LineProblem::WrongSeq {
                found: seq,
                expected: line_no,
            });
        }
        None => return Err(LineProblem::NoSeq),
    }
    let stored_hash = match object.get("hash").and_then(Value::as_str) {
        Some(hash) if is_hex64(hash) => hash,
        _ => return Err(LineProblem::NoHash),
    };
    match object.get("prev_hash").and_then(Value::as_str) {
        Some(prev) if prev == previous_hash => {}
        Some(_) if line_no == 1 => return Err(LineProblem::FirstNotZero),
        Some(_) => {
            return Err(LineProblem::WrongPrevHash {
                previous: line_no - 1,
            });
        }
        None => return Err(LineProblem::NoPrevHash),
    }
    let computed = canonical::line_hash(&object);
    if computed != stored_hash {
        return Err(LineProblem::Edited {
            computed: computed[..12].to_string(),
            recorded: stored_hash[..12].to_string(),
        });
    }
    check_fields(&object)?;
    Ok(object)
}

/// The standard fields have the right types (a line with a valid hash but wrong types was forged or written
/// by a broken tool).
fn check_fields(object: &Map<String, Value>) -> Result<(), LineProblem> {
    let string = |key: &str| object.get(key).and_then(Value::as_str);
    match string("ts") {
        Some(ts) if ts.parse::<Timestamp>().is_ok() => {}
        _ => return Err(LineProblem::NoTimestamp),
    }
    for key in ["run_id", "event", "actor"] {
        if string(key).is_none() {
            return Err(LineProblem::NotAString(key));
        }
    }
    let ids_ok = object
        .get("ids")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            ids.iter().all(|id| {
                id.as_u64()
                    .is_some_and(|id| CustomerId::try_from(id).is_ok())
            })
        });
    if !ids_ok {
        return Err(LineProblem::NoIds);
    }
    match object.get("status") {
        Some(Value::Null) => {}
        Some(status) if status.as_u64().is_some_and(|s| u16::try_from(s).is_ok()) => {}
        _ => return Err(LineProblem::NoStatus),
    }
    Ok(())
}

fn is_hex64(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `entry` naming `resource` when it is a subscriber: customer lines stay exactly as they were, so
/// older logs and their readers are unchanged (a line without `resource` is about customers).
pub fn about(entry: AuditEntry, resource: crate::Resource) -> AuditEntry {
    if resource.is_customer() {
        entry
    } else {
        entry.field("resource", resource.as_str())
    }
}

#[cfg(test)]
mod tests;
