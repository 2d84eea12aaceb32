//! The audit log's head (PRODUCT.md §10): the `seq` and `hash` of its last line, recorded in the state
//! at every save, printed at the end of every apply, and put in every saved plan, so a log cut short at
//! a line boundary, or rewritten and re-chained from some line on, is caught by `audit verify`: the chain
//! of such a log is valid, but it no longer carries the head that was recorded elsewhere.
//!
//! [`read_head`] reads only the last line (for `plan` and the end of `apply`: a huge log is not
//! re-verified there); [`check`] compares a recorded head with a verified log ([`super::verify_at`]).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::Value;

use super::{AuditLog, VerifyReport, ZERO_HASH};
use crate::state::AuditHead;

/// The fewest hex digits of a hash `--expect-head` accepts: 48 bits, so a forged chain that happens to
/// carry the same prefix at the same line is out of reach.
pub const MIN_PREFIX: usize = 12;

/// The most bytes [`read_head`] reads from the end of a log looking for its last line.
const LAST_LINE_LIMIT: u64 = 1024 * 1024;

impl AuditLog {
    /// The head now: the last line's `seq` and `hash` (`0` and [`ZERO_HASH`] for an empty log).
    pub fn head(&self) -> AuditHead {
        AuditHead {
            seq: self.last_seq,
            hash: self.last_hash.clone(),
        }
    }
}

/// A head given as `SEQ:HASH` (`--expect-head`), the hash as a prefix of at least [`MIN_PREFIX`] hex
/// digits (upper-case accepted and lowered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    /// The line number (`seq`) the head names.
    pub seq: u64,
    /// The hash, or a prefix of it, in lower case.
    pub hash_prefix: String,
}

impl FromStr for ExpectedHead {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some((seq, hash)) = text.trim().split_once(':') else {
            return Err(format!(
                "`{text}` is not SEQ:HASH (for example `42:2300f193b3e3`, as apply prints it)"
            ));
        };
        let seq: u64 = seq.parse().map_err(|_| {
            format!("`{seq}` is not a line number: SEQ:HASH, e.g. `42:2300f193b3e3`")
        })?;
        let hash = hash.trim_end_matches('…').to_ascii_lowercase();
        if !hash.bytes().all(|b| b.is_ascii_hexdigit()) || hash.len() > 64 {
            return Err(format!(
                "`{hash}` is not a hash: up to 64 hex digits, at least {MIN_PREFIX}"
            ));
        }
        if hash.len() < MIN_PREFIX {
            return Err(format!(
                "the hash `{hash}` is too short: give at least {MIN_PREFIX} hex digits (apply prints 12), \
                 so that a different log cannot match it by chance"
            ));
        }
        Ok(ExpectedHead {
            seq,
            hash_prefix: hash,
        })
    }
}

impl std::fmt::Display for ExpectedHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.hash_prefix.get(..12).unwrap_or(&self.hash_prefix);
        write!(f, "{}:{shown}", self.seq)
    }
}

impl From<&AuditHead> for ExpectedHead {
    fn from(head: &AuditHead) -> Self {
        ExpectedHead {
            seq: head.seq,
            hash_prefix: head.hash.clone(),
        }
    }
}

/// A verified log that does not carry a head recorded elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadMismatch {
    /// The log ends before the recorded head's line.
    #[error(
        "the audit log {} has {lines} line{}, but {by} records its head at line {seq} ({expected}): the \
         log was cut short (lines removed from its end). Restore the log from version control or the CI \
         artifact; do not apply with it",
        log.display(),
        if *lines == 1 { "" } else { "s" }
    )]
    Shorter {
        log: PathBuf,
        lines: u64,
        seq: u64,
        expected: String,
        by: String,
    },
    /// The recorded head's line carries another hash.
    #[error(
        "line {seq} of the audit log {} has hash {found}…, but {by} records {expected}: the log was \
         rewritten and re-chained (or is another log). Restore the log from version control or the CI \
         artifact; do not apply with it",
        log.display()
    )]
    Differs {
        log: PathBuf,
        seq: u64,
        found: String,
        expected: String,
        by: String,
    },
}

/// Check that the verified log at `log` (its `report`, and the hashes of the lines asked for from
/// [`super::verify_at`]) carries `expected`; `by` names who recorded it ("the state file X (serial 7)",
/// "--expect-head").
pub fn check(
    log: &Path,
    report: &VerifyReport,
    hashes: &BTreeMap<u64, String>,
    expected: &ExpectedHead,
    by: &str,
) -> Result<(), HeadMismatch> {
    let shown = expected.to_string();
    if expected.seq == 0 {
        return if ZERO_HASH.starts_with(&expected.hash_prefix) {
            Ok(())
        } else {
            Err(HeadMismatch::Differs {
                log: log.to_path_buf(),
                seq: 0,
                found: ZERO_HASH[..12].to_string(),
                expected: shown,
                by: by.to_string(),
            })
        };
    }
    if report.lines < expected.seq {
        return Err(HeadMismatch::Shorter {
            log: log.to_path_buf(),
            lines: report.lines,
            seq: expected.seq,
            expected: shown,
            by: by.to_string(),
        });
    }
    let found = hashes.get(&expected.seq).map_or("", String::as_str);
    if found.starts_with(&expected.hash_prefix) && !found.is_empty() {
        Ok(())
    } else {
        Err(HeadMismatch::Differs {
            log: log.to_path_buf(),
            seq: expected.seq,
            found: found.get(..12).unwrap_or(found).to_string(),
            expected: shown,
            by: by.to_string(),
        })
    }
}

/// The head of the log at `path` from its last line alone (the chain is not verified): `Ok(None)` when
/// the log does not exist or is empty. Reads at most the last MiB, so it is cheap on any log; a last line
/// without its newline, or not a bcprune line, is an error.
pub fn read_head(path: &Path) -> std::io::Result<Option<AuditHead>> {
    let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
    let mut file = match crate::fsio::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    let start = len.saturating_sub(LAST_LINE_LIMIT);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(LAST_LINE_LIMIT).read_to_end(&mut tail)?;
    let Some(body) = tail.strip_suffix(b"\n") else {
        return Err(invalid("the last line of the audit log is incomplete"));
    };
    let line = match body.iter().rposition(|&b| b == b'\n') {
        Some(at) => &body[at + 1..],
        None if start == 0 => body,
        None => return Err(invalid("the last line of the audit log is over 1 MiB")),
    };
    let object: Value =
        serde_json::from_slice(line).map_err(|_| invalid("the last line is not JSON"))?;
    match (
        object.get("seq").and_then(Value::as_u64),
        object.get("hash").and_then(Value::as_str),
    ) {
        (Some(seq), Some(hash)) => Ok(Some(AuditHead {
            seq,
            hash: hash.to_string(),
        })),
        _ => Err(invalid("the last line has no `seq` and `hash`")),
    }
}
