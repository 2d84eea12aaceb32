//! Unit tests of the audit log: the chain, its independent recomputation, tamper detection, reopening,
//! and unfinished intents.

use super::*;
use sha2::Digest;

/// The actor the tests' logs are opened with.
const ACTOR: &str = "the-actor";

fn log_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("bcprune.audit.jsonl")
}

/// A log of `n` lines alternating two runs: intent, deleted, intent, deleted, …
fn write_log(path: &Path, n: u64) {
    let mut log = AuditLog::open(path, ACTOR).expect("open");
    for i in 1..=n {
        let run = if i <= n / 2 { "run-a" } else { "run-b" };
        let entry = if i % 2 == 1 {
            AuditEntry::new(run, EventKind::BatchIntent).ids(&[100 + i as u32, 200 + i as u32])
        } else {
            AuditEntry::new(run, EventKind::BatchDeleted)
                .ids(&[100 + i as u32 - 1])
                .intent(i - 1)
                .status(204)
        };
        assert_eq!(log.append(entry.actor("tester")).expect("append"), i);
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).expect("write");
}

#[track_caller]
fn broken_line(path: &Path) -> (u64, String) {
    match verify(path) {
        Err(VerifyError::Broken { line, reason, .. }) => (line, reason),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

/// SHA-256 hex computed without the module's helpers: serde_json's `Map` is a `BTreeMap` (keys sorted at
/// every level) and its compact output has no whitespace, which is exactly the canonical form.
fn independent_hash(line: &str) -> (String, String) {
    let mut value: serde_json::Value = serde_json::from_str(line).expect("json");
    let object = value.as_object_mut().expect("object");
    let recorded = object
        .remove("hash")
        .expect("hash")
        .as_str()
        .expect("str")
        .to_string();
    let digest = sha2::Sha256::digest(serde_json::to_string(&value).expect("json").as_bytes());
    let computed: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    (computed, recorded)
}

#[test]
fn hash_matches_a_vector_computed_with_python() {
    // python3: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False), then sha256.
    let object: Map<String, Value> = serde_json::from_str(
        r#"{"seq":1,"ts":"2026-11-28T20:00:00Z","run_id":"run-1","event":"batch_intent","ids":[101,102],
            "status":null,"actor":"https://github.com/acme/shop/actions/runs/42","message":"Grüße \"x\"",
            "counts":{"z":1,"a":2},"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",
            "hash":"ignored"}"#,
    )
    .expect("json");
    assert_eq!(
        canonical::line_hash(&object),
        "ab353efb05f8ef24c0f31bd4832e273d5c59c785e55a9c4a130ac245b12b8d41"
    );
}

#[test]
fn chain_round_trip_and_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 6);
    let report = verify(&path).expect("intact");
    assert_eq!(report.lines, 6);
    assert_eq!(report.runs, 2);
    let last = lines(&path).pop().expect("a line");
    assert_eq!(report.last_hash, independent_hash(&last).1);
}

#[test]
fn every_hash_and_prev_hash_recomputes_independently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let mut previous = "0".repeat(64);
    for (i, line) in lines(&path).iter().enumerate() {
        let (computed, recorded) = independent_hash(line);
        assert_eq!(computed, recorded, "line {}", i + 1);
        let value: Value = serde_json::from_str(line).expect("json");
        assert_eq!(
            value["prev_hash"],
            Value::from(previous.clone()),
            "line {}",
            i + 1
        );
        assert_eq!(value["seq"], Value::from(i as u64 + 1));
        previous = recorded;
    }
}

#[test]
fn lines_carry_the_documented_fields_in_a_readable_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    let mut log = AuditLog::open(&path, ACTOR).expect("open");
    let intent = log
        .append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[5, 3]))
        .expect("append");
    log.append(
        AuditEntry::new("run-1", EventKind::BatchFailed)
            .ids(&[5, 3])
            .intent(intent)
            .status(422)
            .message("The field 'id:in' is invalid.")
            .store_hash("acme42")
            .field("counts", serde_json::json!({"deleted": 0, "failed": 2})),
    )
    .expect("append");
    let lines = lines(&path);
    assert!(lines[0].starts_with(r#"{"seq":1,"ts":""#), "{}", lines[0]);
    assert!(
        lines[0].contains(r#""event":"batch_intent","ids":[5,3],"status":null,"actor":"#),
        "{}",
        lines[0]
    );
    let second: Value = serde_json::from_str(&lines[1]).expect("json");
    assert_eq!(second["intent"], 1);
    assert_eq!(second["status"], 422);
    assert_eq!(second["message"], "The field 'id:in' is invalid.");
    assert_eq!(second["store_hash"], "acme42");
    assert_eq!(second["counts"]["failed"], 2);
    assert_eq!(second["actor"], Value::from(ACTOR));
    let keys: Vec<&String> = second.as_object().expect("object").keys().collect();
    assert!(keys.iter().any(|k| *k == "prev_hash") && keys.iter().any(|k| *k == "hash"));
    assert!(
        lines[1].ends_with(&format!(r#""hash":"{}"}}"#, log.last_hash())),
        "{}",
        lines[1]
    );
    let ts = second["ts"].as_str().expect("ts");
    ts.parse::<Timestamp>().expect("RFC 3339");
}

#[test]
fn editing_any_field_breaks_exactly_that_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 6);
    let original = lines(&path);
    let edits: [(usize, &str, &str); 7] = [
        (2, "\"ids\":[103", "\"ids\":[104"),
        (3, "\"status\":204", "\"status\":200"),
        (0, "\"run_id\":\"run-a\"", "\"run_id\":\"run-x\""),
        (
            4,
            "\"event\":\"batch_intent\"",
            "\"event\":\"batch_deleted\"",
        ),
        (5, "\"intent\":5", "\"intent\":3"),
        (1, "\"actor\":\"tester\"", "\"actor\":\"someone\""),
        (5, "\"ts\":\"2", "\"ts\":\"1"),
    ];
    for (index, from, to) in edits {
        let mut edited = original.clone();
        assert!(edited[index].contains(from), "{from} in {}", edited[index]);
        edited[index] = edited[index].replacen(from, to, 1);
        write_lines(&path, &edited);
        let (line, reason) = broken_line(&path);
        assert_eq!(line, index as u64 + 1, "editing {from}: {reason}");
        assert!(reason.contains("does not match its `hash`"), "{reason}");
    }
}

#[test]
fn editing_the_hash_or_seq_breaks_that_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let original = lines(&path);

    let mut edited = original.clone();
    let hash = independent_hash(&edited[1]).1;
    edited[1] = edited[1].replace(&hash, &"a".repeat(64));
    write_lines(&path, &edited);
    assert_eq!(broken_line(&path).0, 2);

    let mut edited = original.clone();
    edited[2] = edited[2].replacen("\"seq\":3", "\"seq\":7", 1);
    write_lines(&path, &edited);
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 3);
    assert!(
        reason.contains("`seq` is 7 where 3 was expected"),
        "{reason}"
    );
}

#[test]
fn a_line_rehashed_after_editing_breaks_the_next_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let mut edited = lines(&path);
    let old_hash = independent_hash(&edited[1]).1;
    let tampered = edited[1].replace("\"ids\":[101]", "\"ids\":[999]");
    let new_hash = independent_hash(&tampered).0;
    edited[1] = tampered.replace(&old_hash, &new_hash);
    write_lines(&path, &edited);
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 3);
    assert!(
        reason.contains("does not match the `hash` of line 2"),
        "{reason}"
    );
}

#[test]
fn deleting_a_line_breaks_the_chain_where_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 5);
    for removed in 0..4 {
        let mut edited = lines(&path);
        edited.remove(removed);
        let backup = std::fs::read(&path).expect("read");
        write_lines(&path, &edited);
        let (line, reason) = broken_line(&path);
        assert_eq!(line, removed as u64 + 1, "{reason}");
        assert!(reason.contains("was expected"), "{reason}");
        std::fs::write(&path, backup).expect("restore");
    }
}

#[test]
fn swapping_two_lines_breaks_the_first_of_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 5);
    let mut edited = lines(&path);
    edited.swap(2, 3);
    write_lines(&path, &edited);
    assert_eq!(broken_line(&path).0, 3);
}

#[test]
fn truncating_mid_line_breaks_that_line_and_a_blank_line_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let text = std::fs::read_to_string(&path).expect("read");
    let original = lines(&path);

    let cut = original[0].len() + 1 + original[1].len() / 2;
    std::fs::write(&path, &text[..cut]).expect("write");
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 2);
    assert!(reason.contains("incomplete"), "{reason}");

    // Only the final newline missing: still refused (our writer always ends a line with one).
    std::fs::write(&path, text.trim_end()).expect("write");
    assert_eq!(broken_line(&path).0, 4);

    let mut blanked = original.clone();
    blanked.insert(2, String::new());
    write_lines(&path, &blanked);
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 3);
    assert!(reason.contains("empty"), "{reason}");
}

#[test]
fn truncating_whole_lines_at_the_end_changes_the_last_hash() {
    // The chain cannot see lines removed from the end; the reported last hash is what reveals it.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let full = verify(&path).expect("intact");
    let mut shorter = lines(&path);
    shorter.pop();
    write_lines(&path, &shorter);
    let report = verify(&path).expect("a valid shorter chain");
    assert_eq!(report.lines, 3);
    assert_ne!(report.last_hash, full.last_hash);
}

#[test]
fn duplicate_keys_and_non_json_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 3);
    let original = lines(&path);

    let mut edited = original.clone();
    edited[1] = edited[1].replacen("{\"seq\":2,", "{\"seq\":2,\"ids\":[1],", 1);
    write_lines(&path, &edited);
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 2);
    assert!(reason.contains("duplicate key \"ids\""), "{reason}");

    let mut edited = original.clone();
    edited[2] = "not json".to_string();
    write_lines(&path, &edited);
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 3);
    assert!(
        reason.contains("not valid JSON (column 2): expected ident"),
        "{reason}"
    );
}

#[test]
fn a_forged_line_with_a_valid_hash_but_wrong_types_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    let mut object = Map::new();
    object.insert("seq".into(), Value::from(1));
    object.insert("ts".into(), Value::from("yesterday"));
    object.insert("prev_hash".into(), Value::from(ZERO_HASH));
    let hash = canonical::line_hash(&object);
    object.insert("hash".into(), Value::from(hash));
    std::fs::write(&path, format!("{}\n", Value::Object(object))).expect("write");
    let (line, reason) = broken_line(&path);
    assert_eq!(line, 1);
    assert!(reason.contains("`ts`"), "{reason}");
}

#[test]
fn empty_and_missing_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    assert!(matches!(verify(&path), Err(VerifyError::Read { .. })));
    assert_eq!(unfinished_intents(&path).expect("none"), []);
    let log = AuditLog::open(&path, ACTOR).expect("creates it");
    assert_eq!((log.last_seq(), log.last_hash()), (0, ZERO_HASH));
    assert!(path.exists());
    drop(log);
    assert!(
        !path.exists(),
        "a log created and never written to is not left behind"
    );
    std::fs::write(&path, "").expect("an empty log");
    drop(AuditLog::open(&path, ACTOR).expect("opens it"));
    assert!(path.exists(), "a log it did not create stays");
    let report = verify(&path).expect("empty is intact");
    assert_eq!(
        (report.lines, report.runs, report.last_hash.as_str()),
        (0, 0, ZERO_HASH)
    );
}

#[test]
fn open_refuses_a_tampered_log_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 4);
    let mut edited = lines(&path);
    edited[2] = edited[2].replacen("[103", "[104", 1);
    write_lines(&path, &edited);
    let before = std::fs::read(&path).expect("read");
    let err = AuditLog::open(&path, ACTOR).expect_err("tampered");
    assert!(matches!(err, AuditError::Broken { line: 3, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("bcprune audit verify --log"), "{message}");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        before,
        "nothing appended"
    );
    assert!(matches!(
        unfinished_intents(&path),
        Err(AuditError::Broken { line: 3, .. })
    ));
}

#[test]
fn open_refuses_a_torn_last_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 2);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"seq\":3,\"ts\"");
    std::fs::write(&path, text).expect("write");
    let err = AuditLog::open(&path, ACTOR).expect_err("torn");
    assert!(matches!(err, AuditError::Broken { line: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("incomplete"), "{err}");
}

#[test]
fn append_after_reopen_continues_seq_and_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    write_log(&path, 3);
    let before = verify(&path).expect("intact");
    let mut log = AuditLog::open(&path, ACTOR).expect("reopen");
    assert_eq!(log.last_seq(), 3);
    assert_eq!(log.last_hash(), before.last_hash);
    let seq = log
        .append(AuditEntry::new("run-c", EventKind::ApplyStarted).store_hash("acme42"))
        .expect("append");
    assert_eq!(seq, 4);
    drop(log);
    let after = verify(&path).expect("still intact");
    assert_eq!((after.lines, after.runs), (4, 3));
    let last: Value = serde_json::from_str(&lines(&path)[3]).expect("json");
    assert_eq!(last["prev_hash"], Value::from(before.last_hash));
}

#[test]
fn a_second_writer_is_refused_while_the_log_is_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    let _first = AuditLog::open(&path, ACTOR).expect("open");
    let err = AuditLog::open(&path, ACTOR).expect_err("busy");
    assert!(matches!(err, AuditError::Busy { .. }), "{err:?}");
}

#[test]
fn reserved_fields_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    let mut log = AuditLog::open(&path, ACTOR).expect("open");
    for key in ["seq", "hash", "prev_hash", "ids"] {
        let err = log
            .append(AuditEntry::new("r", EventKind::Verify).field(key, 1))
            .expect_err("reserved");
        assert!(matches!(err, AuditError::ReservedField { .. }), "{err:?}");
    }
    assert_eq!(std::fs::read(&path).expect("read"), b"");
    assert_eq!(
        log.append(AuditEntry::new("r", EventKind::Verify))
            .expect("append"),
        1
    );
}

#[test]
fn unfinished_intents_are_the_intents_without_an_outcome() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = log_path(&dir);
    let mut log = AuditLog::open(&path, ACTOR).expect("open");
    let mut append = |entry: AuditEntry| log.append(entry).expect("append");
    append(AuditEntry::new("run-1", EventKind::ApplyStarted));
    let done = append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[1, 2]));
    let failed = append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[3]));
    let crashed = append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[4, 5]));
    let reconciled = append(AuditEntry::new("run-1", EventKind::BatchIntent).ids(&[6]));
    append(
        AuditEntry::new("run-1", EventKind::BatchDeleted)
            .ids(&[1, 2])
            .intent(done)
            .status(204),
    );
    append(
        AuditEntry::new("run-1", EventKind::BatchFailed)
            .ids(&[3])
            .intent(failed)
            .status(500),
    );
    // Outcome kinds without `intent`, or other kinds naming it, close nothing.
    append(
        AuditEntry::new("run-1", EventKind::BatchDeleted)
            .ids(&[4])
            .status(204),
    );
    append(
        AuditEntry::new("run-1", EventKind::Verify)
            .ids(&[4])
            .intent(crashed),
    );
    append(
        AuditEntry::new("run-2", EventKind::Reconciled)
            .ids(&[6])
            .intent(reconciled),
    );
    let late = append(AuditEntry::new("run-2", EventKind::BatchIntent).ids(&[7]));

    let open = unfinished_intents(&path).expect("read");
    let summary: Vec<(u64, &str, &[CustomerId])> = open
        .iter()
        .map(|intent| (intent.seq, intent.run_id.as_str(), intent.ids.as_slice()))
        .collect();
    assert_eq!(
        summary,
        [(crashed, "run-1", &[4, 5][..]), (late, "run-2", &[7][..])]
    );
    assert!(open[0].ts <= Timestamp::now());
    assert_eq!(log.unfinished_intents().expect("read"), open);
}

#[test]
fn actor_prefers_the_ci_run_url_then_user() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    };
    let ci = env(&[
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_RUN_ID", "123"),
        ("USER", "runner"),
    ]);
    assert_eq!(
        actor_from(ci),
        "https://github.com/acme/shop/actions/runs/123"
    );
    let partial = env(&[("GITHUB_RUN_ID", "123"), ("USER", "alice")]);
    assert_eq!(actor_from(partial), "alice");
    assert_eq!(actor_from(env(&[("USER", "")])), "unknown");
}
