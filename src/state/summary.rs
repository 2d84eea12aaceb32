//! What `plan` and `show` need of the state file: its identity (lineage, serial, store, audit head) and
//! the IDs it settles (PRODUCT.md §11), without the records themselves.
//!
//! [`Summary::load`] reads a file in bcprune's own layout with the line scanner in [`super::scan`] (a
//! million records in about a tenth of a second and a few MiB, where [`State::load`] takes a second and
//! 370 MiB), and any other file with [`State::load`], so every error is the full parser's. `apply` keeps
//! loading the whole [`State`]: it rewrites it.

use std::path::Path;

use uuid::Uuid;

use super::scan::{self, key};
use super::{AuditHead, State, StateError};
use crate::Resource;

/// A state file's identity and settled set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub lineage: Uuid,
    pub serial: u64,
    pub store_hash: String,
    pub audit_head: Option<AuditHead>,
    pub settled: Settled,
}

/// The IDs a state records as gone for good: deleted by bcprune and verified, or found absent by an
/// apply. IDs are never reused, so these need not be listed again (PRODUCT.md §11).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    /// Keys ([`scan::key`]) of the verified deletions, strictly increasing.
    verified: Vec<u64>,
    /// Keys of the absent records, strictly increasing.
    absent: Vec<u64>,
    /// Keys of the records marked reappeared (PRODUCT §14), strictly increasing: never settled.
    reappeared: Vec<u64>,
    /// The orders the state records as found of a customer (PRODUCT §15): order → (customer,
    /// retained until). Not settled records: what later runs read by ID. Only what the audit log's
    /// `orders_recorded` lines prove is kept ([`Settled::retain_orders`]).
    pub orders: std::collections::BTreeMap<u32, (u32, jiff::civil::Date)>,
}

impl Settled {
    /// Whether `resource` `id` is settled.
    pub fn contains(&self, resource: Resource, id: u32) -> bool {
        let key = key(resource, id);
        (self.verified.binary_search(&key).is_ok() || self.absent.binary_search(&key).is_ok())
            && self.reappeared.binary_search(&key).is_err()
    }

    /// The digest of these records that each save writes into the audit log (`state_saved`'s
    /// `records_sha256`, PRODUCT §14): lowercase hex SHA-256 over, for each list in turn (verified
    /// deletions, found absent, reappeared), the byte `v`, `a` or `r` and then each key ([`key`]:
    /// the ID, plus 2^32 for a subscriber) as 8 bytes big-endian, in increasing order. Everything that
    /// decides whether an ID is settled is in it; times, run IDs and reasons are not.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        for (tag, keys) in [
            (b'v', &self.verified),
            (b'a', &self.absent),
            (b'r', &self.reappeared),
        ] {
            hasher.update([tag]);
            let mut bytes = Vec::with_capacity(keys.len() * 8);
            for key in keys {
                bytes.extend_from_slice(&key.to_be_bytes());
            }
            hasher.update(&bytes);
        }
        crate::text::hex(&hasher.finalize())
    }

    /// The digest of the order records (PRODUCT §15) that each save writes into the audit log beside
    /// [`Settled::digest`] (`state_saved`'s `orders_sha256`, PRODUCT §14): lowercase hex SHA-256 over,
    /// for each order in increasing ID order, its ID and its customer's ID as 4 bytes big-endian each,
    /// then its retained-until date as the year (2 bytes big-endian), month and day (1 byte each).
    /// Everything a later run reads of a recorded order is in it; when and by which run it was
    /// recorded are not.
    pub fn orders_digest(&self) -> String {
        use sha2::Digest;
        let mut bytes = Vec::with_capacity(self.orders.len() * 12);
        for (&id, &(customer, until)) in &self.orders {
            bytes.extend_from_slice(&id.to_be_bytes());
            bytes.extend_from_slice(&customer.to_be_bytes());
            bytes.extend_from_slice(&until.year().to_be_bytes());
            bytes.extend_from_slice(&[until.month() as u8, until.day() as u8]);
        }
        crate::text::hex(&sha2::Sha256::digest(&bytes))
    }

    /// Whether the state settles nothing (no verified deletion, nothing found absent).
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty() && self.absent.is_empty()
    }

    /// The settled IDs, as (resource, ID), customers first.
    pub fn ids(&self) -> Vec<(Resource, u32)> {
        let mut keys: Vec<u64> = self
            .verified
            .iter()
            .chain(&self.absent)
            .copied()
            .filter(|k| self.reappeared.binary_search(k).is_err())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter().map(scan::unkey).collect()
    }

    /// Keep only the records `proven` holds (the others are unproven, PRODUCT §14).
    pub fn retain(&mut self, proven: impl Fn(Resource, u32) -> bool) {
        let keep = |key: &u64| {
            let (resource, id) = scan::unkey(*key);
            proven(resource, id)
        };
        self.verified.retain(keep);
        self.absent.retain(keep);
    }

    /// Keep only the recorded orders `proven` accepts (an `orders_recorded` line naming the order
    /// with the same customer and date, PRODUCT §14).
    pub fn retain_orders(&mut self, proven: impl Fn(u32, u32, jiff::civil::Date) -> bool) {
        self.orders
            .retain(|&id, &mut (customer, until)| proven(id, customer, until));
    }
}

impl Summary {
    /// Read the state file at `path`: `Ok(None)` when there is none, an error (the full parser's, saying
    /// where and what to do) when it cannot be used.
    pub fn load(path: &Path) -> Result<Option<Summary>, StateError> {
        if let Some(summary) = fast(path) {
            tracing::debug!(path = %path.display(), "state read by the line scanner");
            return Ok(Some(summary));
        }
        tracing::debug!(path = %path.display(), "state read by the full parser");
        Ok(State::load(path)?.as_ref().map(State::summary))
    }

    /// [`State::check_store`] for a summary.
    pub fn check_store(&self, path: &Path, target_store: &str) -> Result<(), StateError> {
        super::check_store(&self.store_hash, path, target_store)
    }
}

/// The scanner's answer, or `None` for every case it leaves to the full parser (including every error:
/// a symlink, a FIFO, a file over the cap, a read error, another layout).
fn fast(path: &Path) -> Option<Summary> {
    crate::fsio::refuse_symlink(path).ok()?;
    let file = crate::fsio::open_regular(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len > crate::fsio::STATE_LIMIT {
        return None;
    }
    scan::scan(&file, len).map(Summary::from)
}

impl From<scan::Scanned> for Summary {
    fn from(scanned: scan::Scanned) -> Summary {
        Summary {
            lineage: scanned.lineage,
            serial: scanned.serial,
            store_hash: scanned.store_hash,
            audit_head: scanned.audit_head,
            settled: Settled {
                verified: scanned.verified,
                absent: scanned.absent,
                // The scanner declines a state with reappeared records (the full parser reads it).
                reappeared: Vec::new(),
                orders: scanned
                    .orders
                    .into_iter()
                    .map(|(id, customer, until)| (id, (customer, until)))
                    .collect(),
            },
        }
    }
}

impl State {
    /// This state's identity and settled set.
    pub fn summary(&self) -> Summary {
        Summary {
            lineage: self.lineage,
            serial: self.serial,
            store_hash: self.store_hash.clone(),
            audit_head: self.audit_head.clone(),
            settled: self.settled(),
        }
    }

    /// The IDs this state settles (see [`Settled`]).
    pub fn settled(&self) -> Settled {
        let sorted = |mut keys: Vec<u64>| {
            keys.sort_unstable();
            keys.dedup();
            keys
        };
        Settled {
            verified: sorted(
                self.deleted
                    .iter()
                    .filter(|r| r.verified)
                    .map(|r| key(r.resource, r.id))
                    .collect(),
            ),
            absent: sorted(self.absent.iter().map(|r| key(r.resource, r.id)).collect()),
            reappeared: sorted(
                self.reappeared
                    .iter()
                    .map(|r| key(r.resource, r.id))
                    .collect(),
            ),
            orders: self
                .orders
                .iter()
                .map(|o| (o.id, (o.customer_id, o.retained_until)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::*;
    use crate::state::scan::{scan_splitting_from, timestamp};

    /// What the scanner makes of the file at `path`, read in one pass and in two halves (split
    /// wherever a record opens after the middle, however small the file). Both must agree.
    fn scanned(path: &Path) -> Option<Summary> {
        let file = std::fs::File::open(path).expect("open");
        let len = file.metadata().expect("metadata").len();
        let whole = scan_splitting_from(&file, len, u64::MAX).map(Summary::from);
        let halves = scan_splitting_from(&file, len, 0).map(Summary::from);
        assert_eq!(whole, halves, "one pass and two halves disagree");
        whole
    }

    fn write(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join("bcprune.state.json");
        std::fs::write(&path, bytes).expect("write");
        path
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ,.:-]{0,30}",
            "[\"\\\\/\t\n\u{1}\u{7f}é€😀\u{202e} a-z{}\\[\\],:]{0,12}",
        ]
    }

    prop_compose! {
        /// A state as bcprune writes one: customers, subscribers and orders, verified or not, reasons
        /// with quotes, escapes, control characters and non-ASCII text, found-absent records, the
        /// orders found of a customer (PRODUCT §15), an audit head.
        fn state()(
            store in text(),
            deleted in proptest::collection::vec(
                (0u8..3, 0u32..40, any::<bool>(), proptest::option::of(text()), text(),
                 0i64..4_102_444_800, 0i32..1_000_000_000),
                0..12,
            ),
            absent in proptest::collection::vec((any::<bool>(), 0u32..40, text()), 0..6),
            orders in proptest::collection::vec(
                (0u32..40, 0u32..40, 1000i16..9999, 1i8..13, 1i8..29, text()), 0..6),
            head in proptest::option::of((any::<u64>(), "[0-9a-f]{64}")),
            big_id in any::<bool>(),
        ) -> State {
            let mut state = State::new(store, "0".repeat(64));
            let resource = |kind: u8| match kind {
                0 => Resource::Customer,
                1 => Resource::Subscriber,
                _ => Resource::Order,
            };
            for (kind, id, verified, reason, run, second, nanos) in deleted {
                let at = jiff::Timestamp::new(second, nanos).expect("time");
                let id = if big_id { u32::MAX - id } else { id };
                state.record_deleted_as(resource(kind), id, at, run, reason, verified);
            }
            for (id, customer, year, month, day, run) in orders {
                let id = if big_id { u32::MAX - id } else { id };
                let until = jiff::civil::date(year, month, day);
                state.record_orders(&[(id, customer, until)], jiff::Timestamp::UNIX_EPOCH, &run);
            }
            for (subscriber, id, run) in absent {
                let resource = if subscriber { Resource::Subscriber } else { Resource::Customer };
                state.record_absent(resource, id + 100, jiff::Timestamp::UNIX_EPOCH, run);
            }
            state.audit_head = head.map(|(seq, hash)| AuditHead { seq, hash });
            state
        }
    }

    /// One edit of a file: a byte replaced, inserted or removed, from those that matter to JSON.
    fn edit() -> impl Strategy<Value = (u8, prop::sample::Index, u8)> {
        let bytes =
            prop::sample::select(b"\"\\,{}[] \n\r\t0129-:.TZtrufalsnod\xc3\xa9\x80".to_vec());
        (0u8..3, any::<prop::sample::Index>(), bytes)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Everything bcprune writes is read by the scanner (not left to the full parser), with the
        /// full parser's answer, also with CRLF line ends.
        #[test]
        fn the_scanner_reads_every_state_bcprune_writes_as_the_full_parser_does(state in state()) {
            let dir = tempfile::tempdir().expect("tempdir");
            let json = state.to_pretty_json().expect("json");
            for text in [json.clone(), json.replace('\n', "\r\n")] {
                let path = write(dir.path(), text.as_bytes());
                let full = State::load(&path).expect("load").expect("state").summary();
                prop_assert_eq!(scanned(&path), Some(full.clone()));
                prop_assert_eq!(Summary::load(&path).expect("load"), Some(full));
            }
        }

        /// The scanner can decline a file but never disagree with the full parser: after any few
        /// edits, whatever it accepts the full parser accepts with the same summary.
        #[test]
        fn an_edited_state_is_read_as_the_full_parser_reads_it_or_left_to_it(
            state in state(),
            edits in proptest::collection::vec(edit(), 1..4),
        ) {
            let mut bytes = state.to_pretty_json().expect("json").into_bytes();
            for (kind, at, byte) in edits {
                let at = at.index(bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => { bytes.remove(at); }
                    _ => {}
                }
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let path = write(dir.path(), &bytes);
            let full = State::load(&path);
            if let Some(summary) = scanned(&path) {
                match &full {
                    Ok(Some(state)) => prop_assert_eq!(&summary, &state.summary()),
                    other => prop_assert!(false, "scanned {summary:?}, the parser says {other:?}"),
                }
            }
            // And the loader gives the parser's answer either way, errors included.
            match (Summary::load(&path), full) {
                (Ok(summary), Ok(state)) => prop_assert_eq!(summary, state.as_ref().map(State::summary)),
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "Summary::load {a:?}, State::load {b:?}"),
            }
        }

        /// The scanner's times are ones jiff reads.
        #[test]
        fn a_time_the_scanner_accepts_is_one_jiff_reads(
            year in 990u32..10_010, month in 0u32..14, day in 0u32..33,
            hour in 0u32..26, minute in 0u32..62, second in 0u32..62,
            fraction in "(\\.[0-9]{0,11})?",
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z");
            if timestamp(format!("\"{text}\"").as_bytes()) {
                prop_assert!(text.parse::<jiff::Timestamp>().is_ok(), "{text}");
            }
        }
    }

    #[test]
    fn a_reformatted_state_is_read_by_the_full_parser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = State::new("acme42", "0".repeat(64));
        state.record_deleted(7, jiff::Timestamp::UNIX_EPOCH, "run", None, true);
        state.record_deleted(8, jiff::Timestamp::UNIX_EPOCH, "run", None, false);
        state.record_absent(Resource::Subscriber, 9, jiff::Timestamp::UNIX_EPOCH, "run");
        // Compact JSON (`jq -c`), keys in another order, a time of year 999: all valid, none scanned.
        let compact = serde_json::to_string(&state).expect("json");
        let reordered = state
            .to_pretty_json()
            .expect("json")
            .replace("  \"version\": 1,\n  \"lineage\"", "  \"lineage\"")
            .replacen("\"deleted\":", "\"version\": 1,\n  \"deleted\":", 1);
        let old = state.to_pretty_json().expect("json").replacen(
            "1970-01-01T00:00:00Z",
            "0999-01-01T00:00:00Z",
            1,
        );
        for text in [compact, reordered, old] {
            let path = write(dir.path(), text.as_bytes());
            assert_eq!(scanned(&path), None, "{text}");
            let summary = Summary::load(&path).expect("load").expect("state");
            assert_eq!(summary.lineage, state.lineage);
            assert!(summary.settled.contains(Resource::Customer, 7));
            assert!(
                !summary.settled.contains(Resource::Customer, 8),
                "unverified is not settled"
            );
            assert!(summary.settled.contains(Resource::Subscriber, 9));
            assert!(!summary.settled.contains(Resource::Customer, 9));
        }
    }

    #[test]
    fn a_state_the_full_parser_refuses_gets_its_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = State::new("acme42", "0".repeat(64));
        state.record_deleted(7, jiff::Timestamp::UNIX_EPOCH, "run", None, true);
        let json = state.to_pretty_json().expect("json");
        let twice = json.replace(
            "  \"deleted\": [\n",
            "  \"deleted\": [\n    {\n      \"id\": 7,\n      \"deleted_at\": \"1970-01-01T00:00:00Z\",\n      \"run_id\": \"run\",\n      \"reason\": null,\n      \"verified\": true\n    },\n",
        );
        for text in [
            twice,
            json.replace("\"version\": 1", "\"version\": 2"),
            json.replace("1970-01-01T00:00:00Z", "1970-02-30T00:00:00Z"),
            json.replace("\"id\": 7", "\"id\": 4294967296"),
            json[..json.len() / 2].to_string(),
        ] {
            let path = write(dir.path(), text.as_bytes());
            let full = State::load(&path).expect_err("invalid").to_string();
            let summary = Summary::load(&path).expect_err("invalid").to_string();
            assert_eq!(summary, full);
        }
    }

    #[test]
    fn halves_that_are_each_sorted_but_not_together_are_left_to_the_full_parser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = State::new("acme42", "0".repeat(64));
        for id in [1, 2, 3] {
            state.record_deleted(id, jiff::Timestamp::UNIX_EPOCH, "run", None, true);
        }
        // The records 1, 2, 3 twice over: sorted within each copy, not across the seam between them.
        let json = state.to_pretty_json().expect("json");
        let first = json.find("    {").expect("a record");
        let end = json.rfind("    }").expect("a record") + "    }".len();
        let records = &json[first..end];
        let doubled = format!("{}{records},\n{records}{}", &json[..first], &json[end..]);
        let path = write(dir.path(), doubled.as_bytes());
        let seam = (first + records.len() + 2) as u64;
        let file = std::fs::File::open(&path).expect("open");
        let len = file.metadata().expect("metadata").len();
        assert_eq!(super::scan::scan_halves(&file, seam, len), Some(None));
        assert_eq!(scanned(&path), None);
        assert!(
            Summary::load(&path).is_err(),
            "the full parser finds the duplicates"
        );
    }

    #[test]
    fn halves_that_meet_in_different_arrays_are_left_to_the_full_parser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = jiff::Timestamp::UNIX_EPOCH;
        let mut state = State::new("acme42", "0".repeat(64));
        state.record_deleted(5, at, "run", None, true);
        state.record_absent(Resource::Customer, 7, at, "run");
        let json = state.to_pretty_json().expect("json");
        let deleted_record =
            &json[json.find("    {").expect("record")..json.find("    }").expect("end") + 5];
        // `absent` holds an absent record, then (after the seam) a deletion record, closes, and opens
        // again: each half is in the layout on its own, the whole is not JSON bcprune could have written.
        let absent_open = "  \"absent\": [\n";
        let (before, after) =
            json.split_at(json.find(absent_open).expect("absent") + absent_open.len());
        let first_absent_end = after.find("    }").expect("absent record") + 5;
        let (absent_record, rest) = after.split_at(first_absent_end);
        let absent_record2 = absent_record.replace("\"id\": 7", "\"id\": 9");
        let head = format!("{before}{absent_record},\n");
        let text = format!("{head}{deleted_record}\n  ],\n{absent_open}{absent_record2}{rest}");
        let path = write(dir.path(), text.as_bytes());
        let file = std::fs::File::open(&path).expect("open");
        let len = file.metadata().expect("metadata").len();
        assert_eq!(
            super::scan::scan_halves(&file, head.len() as u64, len),
            Some(None)
        );
        assert_eq!(scanned(&path), None);
        assert!(Summary::load(&path).is_err(), "the full parser refuses it");
    }

    #[test]
    fn a_large_state_is_read_in_two_halves_with_the_full_parsers_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = State::new("acme42", "0".repeat(64));
        let at = jiff::Timestamp::UNIX_EPOCH;
        // Enough orders found of customers (PRODUCT §15) that the halves meet among them.
        let orders: Vec<(u32, u32, jiff::civil::Date)> = (1..=90_000)
            .map(|id| (id, id / 3 + 1, jiff::civil::date(2030, 1, 1)))
            .collect();
        state.record_orders(&orders, at, "run");
        for id in 1..=60_000 {
            state.record_deleted(
                id,
                at,
                "run",
                Some("GDPR erasure request".into()),
                id % 7 != 0,
            );
        }
        for id in 100_000..110_000 {
            state.record_absent(Resource::Subscriber, id, at, "run");
        }
        let path = write(dir.path(), state.to_pretty_json().expect("json").as_bytes());
        let len = std::fs::metadata(&path).expect("metadata").len();
        assert!(len >= super::scan::SPLIT_FROM, "{len} bytes: not split");
        let file = std::fs::File::open(&path).expect("open");
        let halves = scan_splitting_from(&file, len, super::scan::SPLIT_FROM).map(Summary::from);
        assert_eq!(halves, Some(state.summary()));
    }
}
