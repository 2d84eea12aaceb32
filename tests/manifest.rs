//! Integration tests: manifest loading and validation (PRODUCT.md §1) and `bcprune validate`.

use std::path::Path;
use std::time::{Duration, Instant};

use bcprune::Resource;
use bcprune::manifest::{self, DEFAULT_MAX_DELETES, Manifest, ManifestError};
use predicates::prelude::*;
use proptest::prelude::*;

use crate::support::{Workspace, bcprune};

#[track_caller]
fn load_ok(path: &Path) -> Manifest {
    match manifest::load(path) {
        Ok(manifest) => manifest,
        Err(errors) => panic!("expected a valid manifest, got:\n{errors}"),
    }
}

#[track_caller]
fn load_err(path: &Path) -> Vec<ManifestError> {
    match manifest::load(path) {
        Ok(manifest) => panic!("expected errors, got a valid manifest: {manifest:?}"),
        Err(errors) => {
            assert!(
                !errors.0.is_empty(),
                "an invalid manifest must report at least one error"
            );
            errors.0
        }
    }
}

/// `line:column: message` of each error, for readable assertion failures.
fn describe(errors: &[ManifestError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {}:{}: {}", e.location.line, e.location.column, e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One bad manifest: its bytes, and the single error it must produce. `{file}` in the fragment stands for
/// the manifest's path.
struct Bad {
    name: &'static str,
    yaml: &'static [u8],
    line: u32,
    column: u32,
    fragment: &'static str,
}

const fn bad(
    name: &'static str,
    yaml: &'static [u8],
    line: u32,
    column: u32,
    fragment: &'static str,
) -> Bad {
    Bad {
        name,
        yaml,
        line,
        column,
        fragment,
    }
}

/// Every rule of PRODUCT.md §1, one defect per manifest.
const BAD_MANIFESTS: &[Bad] = &[
    // The file as a whole.
    bad("empty file", b"", 1, 1, "the manifest file is empty"),
    bad(
        "only comments",
        b"# nothing here\n\n",
        1,
        1,
        "the manifest file is empty",
    ),
    bad(
        "empty document",
        b"---\n",
        2,
        1,
        "the YAML document is empty",
    ),
    bad(
        "a list instead of a mapping",
        b"- 1\n- 2\n",
        1,
        1,
        "the file is a YAML list",
    ),
    bad(
        "a scalar instead of a mapping",
        b"hello\n",
        1,
        1,
        "the file is a single value (`hello`)",
    ),
    bad(
        "two documents",
        b"version: 1\nabsent: [5]\n---\nversion: 1\nabsent: [6]\n",
        3,
        1,
        "a second YAML document starts here",
    ),
    bad(
        "tab in indentation",
        b"version: 1\nabsent:\n\t- 5\n",
        3,
        1,
        "tab character in indentation",
    ),
    bad(
        "tab after spaces in indentation",
        b"version: 1\nabsent:\n  - id: 5\n  \treason: x\n",
        4,
        3,
        "tab character in indentation: YAML allows spaces only",
    ),
    bad(
        "tab after a colon",
        b"version:\t1\nabsent: []\n",
        1,
        9,
        "must be followed by a space",
    ),
    bad(
        "binary garbage (NUL)",
        b"version: 1\nabsent: [5]\n\x00\x01\x02\xff",
        3,
        1,
        "NUL byte",
    ),
    bad(
        "not UTF-8",
        b"version: 1\nabsent:\n  - 5 # caf\xe9\n",
        3,
        12,
        "not UTF-8 text: invalid byte 0xE9 at byte offset 30",
    ),
    bad(
        "control character",
        b"version: 1\nabsent: [5]\x1b\n",
        2,
        12,
        "control character U+001B",
    ),
    bad(
        "unclosed flow list",
        b"version: 1\nabsent: [5, 6\n",
        3,
        1,
        "expected `,` or `]`",
    ),
    bad(
        "unclosed quote",
        b"version: 1\nabsent:\n  - \"5\n",
        3,
        5,
        "ends in the middle of a value",
    ),
    bad(
        "bad indentation",
        b"version: 1\nabsent:\n  - 5\n - 6\n",
        4,
        2,
        "check its indentation",
    ),
    bad(
        "an anchor",
        b"version: 1\nprotect: &p [1]\nabsent: [5]\n",
        2,
        10,
        "YAML anchors (`&name`) are not allowed",
    ),
    bad(
        "an alias",
        b"version: 1\nabsent: [5]\nprotect: [*x]\n",
        3,
        11,
        "YAML aliases (`*name`) are not allowed",
    ),
    // Found by fuzzing: the parser fails while the loader peeks at a mapping's first key; it must stop
    // there instead of re-entering the failed parser forever.
    bad(
        "an alias as the first key",
        b"? *a",
        1,
        3,
        "YAML aliases (`*name`) are not allowed",
    ),
    bad(
        "an explicit tag",
        b"version: 1\nabsent:\n  - !!str 5\n",
        3,
        5,
        "explicit YAML tags like `!!str`",
    ),
    // Top-level keys.
    bad(
        "unknown top-level key",
        b"version: 1\nabsnet:\n  - 5\nabsent: []\n",
        2,
        1,
        "unknown key `absnet` at the top level of a manifest: did you mean `absent`?",
    ),
    bad(
        "duplicate top-level key",
        b"version: 1\nabsent: []\nabsent: [5]\n",
        3,
        1,
        "duplicate key `absent`: it is already set at {file}:2:1",
    ),
    bad(
        "a non-scalar key",
        b"? [a]\n: 1\nversion: 1\nabsent: []\n",
        1,
        3,
        "a key must be a plain name",
    ),
    bad(
        "missing version",
        b"# c\nabsent: [5]\n",
        2,
        1,
        "missing required key `version`",
    ),
    bad(
        "version 2",
        b"version: 2\nabsent: [5]\n",
        1,
        10,
        "unsupported manifest version 2: this bcprune reads version 1",
    ),
    bad(
        "version quoted",
        b"version: \"1\"\nabsent: [5]\n",
        1,
        10,
        "not the quoted string \"1\"",
    ),
    bad(
        "version a list",
        b"version: [1]\nabsent: [5]\n",
        1,
        10,
        "version must be the number 1",
    ),
    bad(
        "missing absent",
        b"version: 1\nprotect: [1]\n",
        1,
        1,
        "missing required key `absent`",
    ),
    bad(
        "absent null",
        b"version: 1\nabsent:\n",
        2,
        1,
        "`absent` has no value (null), but it must be a list",
    ),
    bad(
        "absent a number",
        b"version: 1\nabsent: 5\n",
        2,
        9,
        "`absent` is the single value `5`, but it must be a list",
    ),
    bad(
        "absent a mapping",
        b"version: 1\nabsent:\n  id: 5\n",
        2,
        1,
        "`absent` is a mapping, but it must be a list",
    ),
    bad(
        "store_hash empty",
        b"version: 1\nstore_hash:\nabsent: [5]\n",
        2,
        1,
        "store_hash is empty",
    ),
    bad(
        "store_hash quoted empty",
        b"version: 1\nstore_hash: ''\nabsent: [5]\n",
        2,
        13,
        "store_hash is an empty string",
    ),
    bad(
        "store_hash a list",
        b"version: 1\nstore_hash: [a]\nabsent: [5]\n",
        2,
        13,
        "store_hash must be text",
    ),
    bad(
        "store_hash with a slash",
        b"version: 1\nstore_hash: a/b\nabsent: [5]\n",
        2,
        13,
        "may contain only letters, digits",
    ),
    bad(
        "store_hash a boolean",
        b"version: 1\nstore_hash: true\nabsent: [5]\n",
        2,
        13,
        "is a boolean",
    ),
    bad(
        "max_deletes negative",
        b"version: 1\nmax_deletes: -1\nabsent: [5]\n",
        2,
        14,
        "`-1` is negative",
    ),
    bad(
        "max_deletes quoted",
        b"version: 1\nmax_deletes: \"10\"\nabsent: [5]\n",
        2,
        14,
        "quoted string",
    ),
    bad(
        "max_deletes a float",
        b"version: 1\nmax_deletes: 1.5\nabsent: [5]\n",
        2,
        14,
        "not a whole number",
    ),
    bad(
        "max_deletes too large",
        b"version: 1\nmax_deletes: 4294967296\nabsent: [5]\n",
        2,
        14,
        "too large",
    ),
    bad(
        "protect a number",
        b"version: 1\nprotect: 5\nabsent: [6]\n",
        2,
        10,
        "`protect` is the single value `5`",
    ),
    bad(
        "protect null",
        b"version: 1\nprotect:\nabsent: [6]\n",
        2,
        1,
        "`protect` has no value (null)",
    ),
    bad(
        "protect entry with a reason",
        b"version: 1\nprotect:\n  - id: 1\n    reason: x\nabsent: [6]\n",
        3,
        5,
        "a `protect` entry must be a bare customer ID",
    ),
    bad(
        "protect entry quoted",
        b"version: 1\nprotect: ['1']\nabsent: [6]\n",
        2,
        11,
        "quoted string '1'",
    ),
    // Customer IDs, written every way a reviewer could misread.
    bad(
        "ID double-quoted",
        b"version: 1\nabsent:\n  - \"101\"\n",
        3,
        5,
        "not the quoted string \"101\"; write it without quotes: 101",
    ),
    bad(
        "ID single-quoted",
        b"version: 1\nabsent:\n  - '101'\n",
        3,
        5,
        "quoted string '101'",
    ),
    bad(
        "ID block scalar",
        b"version: 1\nabsent:\n  - |\n    101\n",
        4,
        5,
        "block scalar",
    ),
    bad(
        "ID zero",
        b"version: 1\nabsent:\n  - 0\n",
        3,
        5,
        "0 is not a valid customer ID",
    ),
    bad(
        "ID negative",
        b"version: 1\nabsent:\n  - -3\n",
        3,
        5,
        "`-3` is negative",
    ),
    bad(
        "ID with a plus sign",
        b"version: 1\nabsent:\n  - +3\n",
        3,
        5,
        "has a sign",
    ),
    bad(
        "ID a float",
        b"version: 1\nabsent:\n  - 1.5\n",
        3,
        5,
        "`1.5` is not a whole number",
    ),
    bad(
        "ID a float with zero fraction",
        b"version: 1\nabsent:\n  - 101.0\n",
        3,
        5,
        "not a whole number",
    ),
    bad(
        "ID in exponent notation",
        b"version: 1\nabsent:\n  - 1e3\n",
        3,
        5,
        "`1e3` is written in exponent notation",
    ),
    bad(
        "ID null (~)",
        b"version: 1\nabsent:\n  - ~\n",
        3,
        5,
        "`~` is YAML for null",
    ),
    bad(
        "ID null (word)",
        b"version: 1\nabsent:\n  - null\n",
        3,
        5,
        "`null` is YAML for null",
    ),
    bad(
        "ID empty item",
        b"version: 1\nabsent:\n  -\n  - 5\n",
        3,
        3,
        "customer ID is missing (the value is empty)",
    ),
    bad(
        "ID a boolean",
        b"version: 1\nabsent:\n  - true\n",
        3,
        5,
        "`true` is a boolean",
    ),
    bad(
        "ID hexadecimal",
        b"version: 1\nabsent:\n  - 0x1F\n",
        3,
        5,
        "`0x1F` is a hexadecimal number",
    ),
    bad(
        "ID octal (0o)",
        b"version: 1\nabsent:\n  - 0o17\n",
        3,
        5,
        "`0o17` is an octal number",
    ),
    bad(
        "ID leading zero",
        b"version: 1\nabsent:\n  - 010\n",
        3,
        5,
        "`010` has a leading zero",
    ),
    bad(
        "ID with underscores",
        b"version: 1\nabsent:\n  - 1_000\n",
        3,
        5,
        "`1_000` uses `_` as a digit separator",
    ),
    bad(
        "ID above 32 bits",
        b"version: 1\nabsent:\n  - 4294967296\n",
        3,
        5,
        "`4294967296` is too large",
    ),
    bad(
        "ID far above 64 bits",
        b"version: 1\nabsent:\n  - 123456789012345678901234567890\n",
        3,
        5,
        "too large",
    ),
    bad(
        "ID a word",
        b"version: 1\nabsent:\n  - abc\n",
        3,
        5,
        "`abc` is not a customer ID",
    ),
    bad(
        "ID two numbers on one item",
        b"version: 1\nabsent:\n  - 101 102\n",
        3,
        5,
        "`101 102` is not a customer ID",
    ),
    bad(
        "ID in a flow list, quoted",
        b"version: 1\nabsent: [5, \"6\"]\n",
        2,
        13,
        "quoted string \"6\"",
    ),
    bad(
        "a nested list in absent",
        b"version: 1\nabsent:\n  - [1, 2]\n",
        3,
        5,
        "not a nested list",
    ),
    // `{id, reason}` entries.
    bad(
        "entry without id",
        b"version: 1\nabsent:\n  - reason: x\n",
        3,
        5,
        "this `absent` entry has no `id`",
    ),
    bad(
        "flow entry without id",
        b"version: 1\nabsent: [{reason: x}]\n",
        2,
        10,
        "has no `id`",
    ),
    bad(
        "unknown key in an entry",
        b"version: 1\nabsent:\n  - id: 5\n    resaon: x\n",
        4,
        5,
        "unknown key `resaon` in an `absent` entry: did you mean `reason`?",
    ),
    bad(
        "duplicate key in an entry",
        b"version: 1\nabsent:\n  - id: 5\n    id: 6\n",
        4,
        5,
        "duplicate key `id`: it is already set at {file}:3:5",
    ),
    bad(
        "entry id quoted",
        b"version: 1\nabsent:\n  - id: \"5\"\n",
        3,
        9,
        "quoted string \"5\"",
    ),
    bad(
        "entry id a float",
        b"version: 1\nabsent:\n  - id: 5.0\n",
        3,
        9,
        "not a whole number",
    ),
    bad(
        "entry id empty",
        b"version: 1\nabsent:\n  - id:\n    reason: x\n",
        3,
        5,
        "customer ID is missing",
    ),
    bad(
        "entry id a list",
        b"version: 1\nabsent:\n  - id: [5]\n",
        3,
        9,
        "`id` must be a single customer ID",
    ),
    bad(
        "reason empty string",
        b"version: 1\nabsent:\n  - id: 5\n    reason: \"\"\n",
        4,
        13,
        "`reason` is empty",
    ),
    bad(
        "reason blank",
        b"version: 1\nabsent:\n  - id: 5\n    reason: '   '\n",
        4,
        13,
        "`reason` is empty",
    ),
    bad(
        "reason null",
        b"version: 1\nabsent:\n  - id: 5\n    reason: ~\n",
        4,
        13,
        "`reason` is empty",
    ),
    bad(
        "reason missing value",
        b"version: 1\nabsent:\n  - id: 5\n    reason:\n",
        4,
        5,
        "`reason` is empty",
    ),
    bad(
        "reason a list",
        b"version: 1\nabsent:\n  - id: 5\n    reason: [a]\n",
        4,
        13,
        "`reason` must be text",
    ),
    // Duplicates within one file, naming both places.
    bad(
        "ID listed twice in absent",
        b"version: 1\nabsent:\n  - 5\n  - id: 5\n    reason: again\n",
        4,
        9,
        "customer ID 5 is listed twice in `absent`: also at {file}:3:5",
    ),
    bad(
        "ID listed twice in protect",
        b"version: 1\nprotect: [1, 1]\nabsent: []\n",
        2,
        14,
        "customer ID 1 is protected twice: also at {file}:2:11",
    ),
    bad(
        "ID both absent and protected",
        b"version: 1\nprotect: [7]\nabsent:\n  - 7\n",
        4,
        5,
        "customer ID 7 is listed in `absent` here and in `protect` at {file}:2:11",
    ), // Bidirectional controls: refused anywhere in the file, and as escapes in a reason.
    bad(
        "bidi override in a comment",
        b"version: 1\nabsent: [5] # \xe2\x80\xae\n",
        2,
        15,
        "the file contains the bidirectional control character U+202E",
    ),
    bad(
        "bidi isolate in a reason",
        b"version: 1\nabsent:\n  - id: 5\n    reason: \"a\xe2\x81\xa7b\"\n",
        4,
        15,
        "bidirectional control character U+2067",
    ),
    bad(
        "bidi mark in a reason",
        b"version: 1\nabsent:\n  - id: 5\n    reason: a\xe2\x80\x8fb\n",
        4,
        14,
        "bidirectional control character U+200F",
    ),
    bad(
        "bidi override written as an escape in a reason",
        b"version: 1\nabsent:\n  - id: 5\n    reason: \"x\\u202Ey\"\n",
        4,
        13,
        "`reason` contains the bidirectional control character U+202E (written as an escape)",
    ),
    bad(
        "control character written as an escape in a reason",
        b"version: 1\nabsent:\n  - id: 5\n    reason: \"x\\ey\"\n",
        4,
        13,
        "`reason` contains the control character U+001B",
    ),
    // A reason is a string.
    bad(
        "reason a number",
        b"version: 1\nabsent:\n  - id: 5\n    reason: 12\n",
        4,
        13,
        "`reason: 12` is a number to YAML, not text: a reason is a string; quote it (`reason: \"12\"`)",
    ),
    bad(
        "reason a float",
        b"version: 1\nabsent:\n  - id: 5\n    reason: 1.5\n",
        4,
        13,
        "`reason: 1.5` is a number to YAML",
    ),
    bad(
        "reason a boolean",
        b"version: 1\nabsent:\n  - id: 5\n    reason: yes\n",
        4,
        13,
        "`reason: yes` is a boolean to YAML",
    ),
    bad(
        "reason with an email address",
        b"version: 1\nabsent:\n  - id: 5\n    reason: \"request from jane.doe@example.com\"\n",
        4,
        13,
        "`reason` contains an email address: a manifest lives in git history, which cannot be \
         erased",
    ),
    bad(
        "subscriber reason with an email address in a flow mapping",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - {id: 5, reason: jane@example.com}\n",
        4,
        21,
        "write a ticket or request number instead",
    ),
    // Keys read as written.
    bad(
        "top-level key written with an escape",
        b"version: 1\nabsent: []\n\"abs\\u0065nt\": [5]\n",
        3,
        1,
        "the key \"absent\" is written with a backslash escape: write keys as plain names",
    ),
    bad(
        "entry key written with an escape",
        b"version: 1\nabsent:\n  - id: 5\n    \"re\\x61son\": x\n",
        4,
        5,
        "is written with a backslash escape",
    ),
    // absent_subscribers: the same item forms and ID rules as absent, its own namespace.
    bad(
        "subscriber ID 0",
        b"version: 1\nabsent: []\nabsent_subscribers: [0]\n",
        3,
        22,
        "0 is not a valid subscriber ID",
    ),
    bad(
        "subscriber ID quoted",
        b"version: 1\nabsent: []\nabsent_subscribers: [\"5001\"]\n",
        3,
        22,
        "a subscriber ID must be a number, not the quoted string \"5001\"; write it without quotes",
    ),
    bad(
        "subscriber ID hexadecimal",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - id: 0x1F\n",
        4,
        9,
        "`0x1F` is a hexadecimal number; a subscriber ID is a whole number",
    ),
    bad(
        "absent_subscribers a single value",
        b"version: 1\nabsent: []\nabsent_subscribers: 5001\n",
        3,
        21,
        "`absent_subscribers` is the single value `5001`, but it must be a list of subscriber IDs",
    ),
    bad(
        "absent_subscribers twice",
        b"version: 1\nabsent: []\nabsent_subscribers: []\nabsent_subscribers: [1]\n",
        4,
        1,
        "duplicate key `absent_subscribers`: it is already set at {file}:3:1",
    ),
    bad(
        "absent_subscribers misspelt",
        b"version: 1\nabsent: []\nabsent_subscriber: [1]\n",
        3,
        1,
        "unknown key `absent_subscriber` at the top level of a manifest: did you mean \
         `absent_subscribers`?",
    ),
    bad(
        "unknown key in a subscriber entry",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - id: 7\n    reasn: x\n",
        5,
        5,
        "unknown key `reasn` in an `absent_subscribers` entry: did you mean `reason`?",
    ),
    bad(
        "subscriber entry without an id",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - reason: x\n",
        4,
        5,
        "this `absent_subscribers` entry has no `id`",
    ),
    bad(
        "subscriber ID listed twice",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - 7\n  - id: 7\n    reason: again\n",
        5,
        9,
        "subscriber ID 7 is listed twice in `absent_subscribers`: also at {file}:4:5",
    ),
    bad(
        "a file with only subscribers still needs absent",
        b"version: 1\nabsent_subscribers: [7]\n",
        1,
        1,
        "missing required key `absent`: the list of customer IDs that must not exist (write \
         `absent: []` for none, as a file listing only `absent_subscribers` does)",
    ),
    // received: a real calendar day, not after today, written YYYY-MM-DD without quotes.
    bad(
        "received not a calendar date",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2026-02-30\n",
        4,
        15,
        "2026-02-30 is not a calendar date: February 2026 has 28 days",
    ),
    bad(
        "received in the future",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2999-01-01\n",
        4,
        15,
        "received 2999-01-01 is after today",
    ),
    bad(
        "received quoted",
        b"version: 1\nabsent:\n  - id: 5\n    received: \"2026-11-02\"\n",
        4,
        15,
        "`received` must be a date, not the quoted string `2026-11-02`; write it without quotes: \
         received: 2026-11-02",
    ),
    bad(
        "received in another format",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2/11/2026\n",
        4,
        15,
        "`2/11/2026` is not a date; `received` is the day the request arrived, written YYYY-MM-DD",
    ),
    bad(
        "received with a time",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2026-11-02T09:00:00Z\n",
        4,
        15,
        "is not a date",
    ),
    bad(
        "received empty",
        b"version: 1\nabsent:\n  - id: 5\n    received:\n",
        4,
        5,
        "`received` is empty",
    ),
    bad(
        "received a list",
        b"version: 1\nabsent:\n  - id: 5\n    received: [2026-11-02]\n",
        4,
        15,
        "`received` must be a date such as 2026-11-02, not a list or mapping",
    ),
    bad(
        "received twice",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2026-11-02\n    received: 2026-11-03\n",
        5,
        5,
        "duplicate key `received`: it is already set at {file}:4:5",
    ),
    bad(
        "received on a subscriber, 31 April",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - {id: 9, received: 2026-04-31}\n",
        4,
        23,
        "2026-04-31 is not a calendar date: April 2026 has 30 days",
    ),
    // respond_within_days: 1 to 3650 days, a plain number.
    bad(
        "respond_within_days 0",
        b"version: 1\nrespond_within_days: 0\nabsent: []\n",
        2,
        22,
        "respond_within_days 0 is out of range; respond_within_days is a whole number of days from \
         1 to 3650",
    ),
    bad(
        "respond_within_days over ten years",
        b"version: 1\nrespond_within_days: 3651\nabsent: []\n",
        2,
        22,
        "respond_within_days 3651 is out of range",
    ),
    bad(
        "respond_within_days quoted",
        b"version: 1\nrespond_within_days: \"45\"\nabsent: []\n",
        2,
        22,
        "respond_within_days must be a number, not the quoted string \"45\"; write it without quotes",
    ),
    bad(
        "respond_within_days a list",
        b"version: 1\nrespond_within_days: [45]\nabsent: []\n",
        2,
        22,
        "respond_within_days is a whole number of days from 1 to 3650 written in plain decimal \
         digits, not a list or mapping",
    ),
    // Orders (PRODUCT §15).
    bad(
        "orders: redact without a retention",
        b"version: 1\nabsent:\n  - id: 5\n    orders: redact\n",
        4,
        13,
        "no file sets `orders_retention`",
    ),
    bad(
        "redact_orders without a retention",
        b"version: 1\nabsent: []\nredact_orders: [9001]\n",
        3,
        17,
        "no file sets `orders_retention`",
    ),
    bad(
        "orders: another value",
        b"version: 1\norders_retention: {years: 8, basis: AO}\nabsent:\n  - id: 5\n    orders: delete\n",
        5,
        13,
        "the only value is `orders: redact`",
    ),
    bad(
        "orders on a subscriber entry",
        b"version: 1\norders_retention: {years: 8, basis: AO}\nabsent: []\nabsent_subscribers:\n  - id: 5\n    orders: redact\n",
        6,
        5,
        "unknown key `orders`",
    ),
    bad(
        "an order ID listed twice",
        b"version: 1\norders_retention: {years: 8, basis: AO}\nabsent: []\nredact_orders:\n  - 9001\n  - id: 9001\n",
        6,
        9,
        "order ID 9001 is listed twice in `redact_orders`: also at {file}:5:5",
    ),
    // request (PRODUCT §16): a reference, never an address; one request, one `received`.
    bad(
        "request holding an email address",
        b"version: 1\nabsent:\n  - id: 5\n    request: jane@example.com\n",
        4,
        14,
        "`request` contains an email address",
    ),
    bad(
        "request with a character outside the pattern",
        b"version: 1\nabsent:\n  - id: 5\n    request: DSR/2026/43\n",
        4,
        14,
        "`request` contains `/`: a request's reference is letters, digits",
    ),
    bad(
        "request longer than 64",
        b"version: 1\nabsent:\n  - id: 5\n    request: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        4,
        14,
        "`request` is 65 characters long",
    ),
    bad(
        "request a plain number",
        b"version: 1\nabsent:\n  - id: 5\n    request: 43\n",
        4,
        14,
        "`request: 43` is a number to YAML, not text: quote it",
    ),
    bad(
        "request empty",
        b"version: 1\nabsent:\n  - id: 5\n    request: ''\n",
        4,
        14,
        "`request` is empty",
    ),
    bad(
        "request a list",
        b"version: 1\nabsent:\n  - id: 5\n    request: [a]\n",
        4,
        14,
        "`request` must be a reference such as DSR-2026-0043, not a list or mapping",
    ),
    bad(
        "request on a subscriber with an address",
        b"version: 1\nabsent: []\nabsent_subscribers:\n  - id: 5\n    request: 'a%40b.example'\n",
        5,
        14,
        "`request` contains an email address",
    ),
    bad(
        "entries of one request disagreeing on received",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2026-11-02\n    request: DSR-1\nabsent_subscribers:\n  - id: 6\n    received: 2026-11-03\n    request: DSR-1\n",
        7,
        9,
        "request DSR-1 has received 2026-11-03 here but received 2026-11-02 at {file}:3:9: the \
         entries of one request must agree on `received`",
    ),
    bad(
        "an entry of a request without received",
        b"version: 1\nabsent:\n  - id: 5\n    received: 2026-11-02\n    request: DSR-1\n  - id: 7\n    request: DSR-1\n",
        6,
        9,
        "request DSR-1 has no `received` here but received 2026-11-02 at {file}:3:9",
    ),
    bad(
        "order ID zero",
        b"version: 1\norders_retention: {years: 8, basis: AO}\nabsent: []\nredact_orders: [0]\n",
        4,
        17,
        "0 is not a valid order ID",
    ),
    bad(
        "retention years out of range",
        b"version: 1\norders_retention: {years: 101, basis: AO}\nabsent: []\n",
        2,
        27,
        "101 years is out of range",
    ),
    bad(
        "retention years quoted",
        b"version: 1\norders_retention: {years: \"8\", basis: AO}\nabsent: []\n",
        2,
        27,
        "must be a number, not the quoted string",
    ),
    bad(
        "retention without basis",
        b"version: 1\norders_retention:\n  years: 8\nabsent: []\n",
        3,
        3,
        "`orders_retention` has no `basis`",
    ),
    bad(
        "retention without years",
        b"version: 1\norders_retention:\n  basis: AO\nabsent: []\n",
        3,
        3,
        "`orders_retention` has no `years`",
    ),
    bad(
        "retention basis with an email",
        b"version: 1\norders_retention:\n  years: 8\n  basis: ask jane@example.com\nabsent: []\n",
        4,
        10,
        "`basis`",
    ),
    bad(
        "retention from unknown",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  from: invoice_date\nabsent: []\n",
        5,
        9,
        "`from: invoice_date` is not a choice",
    ),
    bad(
        "retention unknown key",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  yeras: 10\nabsent: []\n",
        5,
        3,
        "unknown key `yeras`",
    ),
    bad(
        "country code lower case",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  by_country: {fr: 10}\nabsent: []\n",
        5,
        16,
        "`fr` is not a country code",
    ),
    bad(
        "country code three letters",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  by_country:\n    FRA: 10\nabsent: []\n",
        6,
        5,
        "`FRA` is not a country code",
    ),
    bad(
        "country listed twice",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  by_country:\n    FR: 10\n    FR: 11\nabsent: []\n",
        7,
        5,
        "country `FR` is listed twice: also at {file}:6:5",
    ),
    bad(
        "country years negative",
        b"version: 1\norders_retention:\n  years: 8\n  basis: AO\n  by_country:\n    FR: -1\nabsent: []\n",
        6,
        9,
        "is negative",
    ),
];

#[test]
fn every_rule_rejects_its_bad_manifest_at_the_right_line_and_column() {
    let workspace = Workspace::new();
    let mut failures = Vec::new();
    for (index, case) in BAD_MANIFESTS.iter().enumerate() {
        let path = workspace.write(&format!("case{index}.yaml"), case.yaml);
        let fragment = case.fragment.replace("{file}", &path.display().to_string());
        let errors = match manifest::load(&path) {
            Ok(_) => {
                failures.push(format!("{}: accepted", case.name));
                continue;
            }
            Err(errors) => errors.0,
        };
        let matches = errors.len() == 1
            && errors[0].location.line == case.line
            && errors[0].location.column == case.column
            && errors[0].location.file.as_ref() == path.as_path()
            && errors[0].message.contains(&fragment);
        if !matches {
            failures.push(format!(
                "{}: expected exactly one error at {}:{} containing {fragment:?}, got:\n{}",
                case.name,
                case.line,
                case.column,
                describe(&errors)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_errors_of_a_file_are_reported_in_order() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\nabsnet: []\nprotect: [0]\nabsent:\n  - \"101\"\n  - 1e3\n  - id: 9\n    reason: ''\n",
    );
    let errors = load_err(&path);
    let positions: Vec<(u32, u32)> = errors
        .iter()
        .map(|e| (e.location.line, e.location.column))
        .collect();
    assert_eq!(
        positions,
        [(2, 1), (3, 11), (5, 5), (6, 5), (8, 13)],
        "{}",
        describe(&errors)
    );
}

#[test]
fn good_manifest_with_bare_ids_and_reasons() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "# yaml-language-server: $schema=schema.json\n\
         version: 1\n\
         store_hash: acme42\n\
         max_deletes: 25\n\
         protect: [1, 2]\n\
         absent:\n\
         \x20 - 101\n\
         \x20 - id: 102\n\
         \x20   reason: \"GDPR erasure request 2026-0042\"\n\
         \x20 - {id: 4294967295, reason: largest ID}\n",
    );
    let manifest = load_ok(&path);
    assert_eq!(manifest.path, path);
    assert_eq!(manifest.files, std::slice::from_ref(&path));
    assert_eq!(manifest.store_hash.as_deref(), Some("acme42"));
    assert_eq!(manifest.max_deletes, 25);
    assert_eq!(manifest.protect.iter().copied().collect::<Vec<_>>(), [1, 2]);
    let entries: Vec<(u32, Option<&str>, u32, u32)> = manifest
        .absent
        .iter()
        .map(|e| {
            (
                e.id,
                e.reason.as_deref(),
                e.location.line,
                e.location.column,
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (101, None, 7, 5),
            (102, Some("GDPR erasure request 2026-0042"), 8, 9),
            (4294967295, Some("largest ID"), 10, 10),
        ]
    );
    assert_eq!(
        manifest.absent[0].location.to_string(),
        format!("{}:7:5", path.display())
    );
    assert_eq!(manifest.sha256.len(), 64);
    assert!(
        manifest
            .sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn defaults_and_max_deletes_zero() {
    let workspace = Workspace::new();
    let minimal = load_ok(&workspace.write("a.yaml", "version: 1\nabsent: []\n"));
    assert_eq!(minimal.max_deletes, DEFAULT_MAX_DELETES);
    assert_eq!(minimal.store_hash, None);
    assert!(minimal.protect.is_empty() && minimal.absent.is_empty());

    let zero = load_ok(&workspace.write("b.yaml", "version: 1\nmax_deletes: 0\nabsent: [5]\n"));
    assert_eq!(zero.max_deletes, 0);
}

/// The options of a run on 1 December 2026.
fn on_1_december_2026() -> manifest::Options {
    manifest::Options {
        today: jiff::civil::date(2026, 12, 1),
    }
}

#[test]
fn subscribers_received_dates_and_respond_within_days() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\n\
         respond_within_days: 45\n\
         protect: [17]\n\
         absent:\n\
         \x20 - id: 101\n\
         \x20   reason: \"GDPR erasure request 2026-0042\"\n\
         \x20   received: 2026-11-02\n\
         \x20 - 102\n\
         absent_subscribers:\n\
         \x20 - 5001\n\
         \x20 - id: 5002\n\
         \x20   reason: \"GDPR erasure request 2026-0042\"\n\
         \x20   received: 2026-12-01\n\
         \x20 - {id: 17, reason: \"12\"}\n\
         \x20 - {id: 101, received: 2024-02-29}\n",
    );
    let manifest = manifest::load_with(&path, &on_1_december_2026())
        .unwrap_or_else(|errors| panic!("expected a valid manifest, got:\n{errors}"));
    assert_eq!(manifest.respond_within_days, Some(45));
    let date = jiff::civil::date;
    type Row<'m> = (
        Resource,
        u32,
        Option<&'m str>,
        Option<jiff::civil::Date>,
        u32,
    );
    let entries: Vec<Row> = manifest
        .entries()
        .map(|(resource, e)| {
            (
                resource,
                e.id,
                e.reason.as_deref(),
                e.received,
                e.location.line,
            )
        })
        .collect();
    let gdpr = Some("GDPR erasure request 2026-0042");
    assert_eq!(
        entries,
        [
            (Resource::Customer, 101, gdpr, Some(date(2026, 11, 2)), 5),
            (Resource::Customer, 102, None, None, 8),
            (Resource::Subscriber, 5001, None, None, 10),
            (
                Resource::Subscriber,
                5002,
                gdpr,
                Some(date(2026, 12, 1)),
                11
            ),
            // `protect` lists customer IDs: subscriber 17 is another record and may be deleted.
            (Resource::Subscriber, 17, Some("12"), None, 14),
            // Customer 101 and subscriber 101 are different records.
            (Resource::Subscriber, 101, None, Some(date(2024, 2, 29)), 15),
        ]
    );
    assert_eq!(manifest.due(date(2026, 11, 2)), date(2026, 12, 17));
    assert_eq!(
        manifest.summary(),
        "Read 1 manifest file: 2 customer IDs and 4 subscriber IDs must be absent, 1 protected."
    );
}

#[test]
fn a_received_date_after_today_is_an_error_at_its_place() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\nabsent:\n  - id: 5\n    received: 2026-12-01\nabsent_subscribers:\n  - {id: 6, received: 2026-12-02}\n",
    );
    let errors = manifest::load_with(&path, &on_1_december_2026())
        .expect_err("a date after today")
        .0;
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}:6:23: received 2026-12-02 is after today (2026-12-01): a request cannot have \
             arrived in the future, and 2026-12-01 is today in the earliest time zone (UTC+14); \
             check the date",
            path.display()
        )
    );
}

#[test]
fn quoted_keys_without_escapes_read_as_written() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "\"version\": 1\n'absent':\n  - \"id\": 5\n    'reason': x\n",
    );
    let manifest = load_ok(&path);
    assert_eq!(manifest.absent[0].id, 5);
    assert_eq!(manifest.absent[0].reason.as_deref(), Some("x"));
    // An escape anywhere in a double-quoted key is refused, even one that changes nothing visible.
    let path = workspace.write("n.yaml", "version: 1\n\"absent\\t\": []\nabsent: []\n");
    let errors = load_err(&path);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!((errors[0].location.line, errors[0].location.column), (2, 1));
}

#[test]
fn subscriber_ids_listed_in_two_files_name_both_places_and_settings_agree() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let a = workspace.write(
        "m/a.yaml",
        "version: 1\nrespond_within_days: 30\nabsent: [17]\nabsent_subscribers: [17, 18]\n",
    );
    let b = workspace.write(
        "m/b.yaml",
        "version: 1\nrespond_within_days: 45\nabsent: []\nabsent_subscribers:\n  - 18\n",
    );
    let errors = load_err(&dir);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            format!(
                "{b}:2:22: respond_within_days 45 disagrees with respond_within_days 30 at \
                 {a}:2:22; set it in one file, or to the same value everywhere",
                a = a.display(),
                b = b.display()
            ),
            format!(
                "{b}:5:5: subscriber ID 18 is listed twice in `absent_subscribers`: also at \
                 {a}:4:26; remove one",
                a = a.display(),
                b = b.display()
            ),
        ]
    );
}

#[test]
fn a_request_groups_entries_of_every_kind_across_files_and_must_agree_on_received() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    workspace.write(
        "m/a.yaml",
        "version: 1\norders_retention: {years: 8, basis: AO}\nabsent:\n  - id: 17\n    received: 2026-11-02\n    request: DSR-2026-0043\n    orders: redact\n  - 18\nredact_orders:\n  - id: 9001\n    received: 2026-11-02\n    request: DSR-2026-0043\n",
    );
    workspace.write(
        "m/b.yaml",
        "version: 1\nabsent: []\nabsent_subscribers:\n  - id: 5\n    request: \"DSR-2026-0043\"\n    received: 2026-11-02\n",
    );
    let manifest = load_ok(&dir);
    let request = |entry: &manifest::AbsentEntry| entry.request.as_ref().map(|r| r.to_string());
    assert_eq!(
        request(&manifest.absent[0]).as_deref(),
        Some("DSR-2026-0043")
    );
    assert_eq!(request(&manifest.absent[1]), None);
    assert_eq!(
        request(&manifest.absent_subscribers[0]).as_deref(),
        Some("DSR-2026-0043")
    );
    assert_eq!(
        request(&manifest.orders.redact_orders[0]).as_deref(),
        Some("DSR-2026-0043")
    );
    // Another file of the directory saying the same request arrived another day names both places.
    let c = workspace.write(
        "m/c.yaml",
        "version: 1\nabsent:\n  - id: 19\n    received: 2026-11-03\n    request: DSR-2026-0043\n",
    );
    let errors = load_err(&dir);
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [format!(
            "{c}:3:9: request DSR-2026-0043 has received 2026-11-03 here but received 2026-11-02 \
             at {a}:4:9: the entries of one request must agree on `received` (the day the request \
             arrived); correct one",
            a = workspace.path().join("m/a.yaml").display(),
            c = c.display()
        )]
    );
}

#[test]
fn a_leading_document_marker_crlf_and_byte_order_mark_are_fine() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "\u{feff}---\r\nversion: 1\r\nabsent:\r\n  - 5\r\n...\r\n",
    );
    let manifest = load_ok(&path);
    assert_eq!(manifest.absent[0].id, 5);
    assert_eq!(manifest.absent[0].location.line, 4);
}

#[test]
fn directory_merges_yaml_files_sorted_by_name() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("customers");
    workspace.write("customers/b.yaml", "version: 1\nabsent: [20, 21]\n");
    workspace.write(
        "customers/a.yml",
        "version: 1\nprotect: [1]\nabsent:\n  - id: 10\n    reason: first\n",
    );
    workspace.write(
        "customers/c.yaml",
        "version: 1\nmax_deletes: 7\nabsent: [30]\n",
    );
    // Not manifests: other extensions, hidden files and directories, the state file.
    workspace.write("customers/notes.txt", "absent: [not, yaml]");
    workspace.write("customers/.draft.yaml", "this is not valid: [");
    workspace.write("customers/.hidden/x.yaml", "this is not valid: [");
    workspace.write("customers/bcprune.state.json", "{}");

    let manifest = load_ok(&dir);
    assert_eq!(manifest.path, dir);
    assert_eq!(
        manifest.files,
        [dir.join("a.yml"), dir.join("b.yaml"), dir.join("c.yaml")]
    );
    let ids: Vec<u32> = manifest.absent.iter().map(|e| e.id).collect();
    assert_eq!(ids, [10, 20, 21, 30]);
    assert_eq!(manifest.absent[0].reason.as_deref(), Some("first"));
    assert_eq!(
        manifest.absent[1].location.file.as_ref(),
        dir.join("b.yaml").as_path()
    );
    assert_eq!(manifest.max_deletes, 7);
    assert!(manifest.protect.contains(&1));
}

#[test]
fn directories_are_read_recursively_in_any_case_sorted_by_relative_path() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("customers");
    workspace.write("customers/b.yaml", "version: 1\nabsent: [2]\n");
    workspace.write("customers/2026/11/x.yaml", "version: 1\nabsent: [3]\n");
    workspace.write("customers/X.YAML", "version: 1\nabsent: [4]\n");
    workspace.write("customers/Y.Yml", "version: 1\nabsent: [5]\n");
    // Byte order of the relative path: `a-b.yaml` ('-' is 0x2D) before `a/b.yaml` ('/' is 0x2F).
    workspace.write("customers/a/b.yaml", "version: 1\nabsent: [6]\n");
    workspace.write("customers/a-b.yaml", "version: 1\nabsent: [7]\n");
    // A directory named like a manifest file is a directory: read what is inside.
    workspace.write("customers/old.yaml/z.yml", "version: 1\nabsent: [8]\n");
    // Hidden files and hidden directories at any depth are skipped; so is what is not YAML.
    workspace.write("customers/.hidden/x.yaml", "not: [valid");
    workspace.write("customers/2026/.x.yaml", "not: [valid");
    workspace.write("customers/2026/.git/y.yaml", "not: [valid");
    workspace.write("customers/2026/readme.md", "absent: [9]");

    let manifest = load_ok(&dir);
    let relative: Vec<String> = manifest
        .files
        .iter()
        .map(|file| {
            file.strip_prefix(&dir)
                .expect("files are below the manifest directory")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        relative,
        [
            "2026/11/x.yaml",
            "X.YAML",
            "Y.Yml",
            "a-b.yaml",
            "a/b.yaml",
            "b.yaml",
            "old.yaml/z.yml"
        ]
    );
    let ids: Vec<u32> = manifest.absent.iter().map(|e| e.id).collect();
    assert_eq!(ids, [3, 4, 5, 7, 6, 2, 8]);
    assert_eq!(
        manifest.absent[0].location.to_string(),
        format!("{}:2:10", dir.join("2026/11/x.yaml").display())
    );

    // A duplicate across depths names both places.
    workspace.write("customers/2026/11/y.yaml", "version: 1\nabsent: [2]\n");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}:2:10: customer ID 2 is listed twice in `absent`: also at {}:2:10; remove one",
            dir.join("b.yaml").display(),
            dir.join("2026/11/y.yaml").display()
        )
    );
}

#[test]
fn the_hash_covers_the_relative_path_of_each_file() {
    let workspace = Workspace::new();
    workspace.write("one/a.yaml", "version: 1\nabsent: [1]\n");
    workspace.write("two/sub/a.yaml", "version: 1\nabsent: [1]\n");
    workspace.write("three/a.yaml", "version: 1\nabsent: [1]\n");
    let one = load_ok(&workspace.path().join("one")).sha256;
    let moved = load_ok(&workspace.path().join("two")).sha256;
    let same = load_ok(&workspace.path().join("three")).sha256;
    assert_eq!(one, same);
    assert_ne!(
        one, moved,
        "moving a file into a subdirectory changes the hash"
    );
}

/// Run `load` on another thread and fail (instead of hanging the test run) if it blocks; `unblock` is
/// called to release a blocked reader before failing.
#[track_caller]
fn load_within_seconds(
    path: &Path,
    unblock: impl FnOnce(),
) -> Result<Manifest, Vec<ManifestError>> {
    let (send, receive) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = send.send(manifest::load(&owned).map_err(|errors| errors.0));
    });
    match receive.recv_timeout(Duration::from_secs(20)) {
        Ok(result) => result,
        Err(_) => {
            unblock();
            panic!("loading {} blocked", path.display());
        }
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Open a FIFO's write end (without blocking) and close it, so that a reader blocked on it sees the end.
#[cfg(unix)]
fn release(fifo: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    for _ in 0..100 {
        if std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(fifo)
            .is_ok()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_named_yaml_is_refused_without_blocking() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    workspace.write("m/a.yaml", "version: 1\nabsent: [1]\n");
    let fifo = dir.join("sub/pipe.yaml");
    std::fs::create_dir_all(fifo.parent().expect("parent")).expect("mkdir");
    mkfifo(&fifo);

    let errors = load_within_seconds(&dir, || release(&fifo)).expect_err("a FIFO is refused");
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}: is a FIFO (named pipe), not a regular file: a manifest must be a regular file \
             (bcprune does not read from pipes or devices)",
            fifo.display()
        )
    );

    // Given directly, and through a symlink.
    let errors = load_within_seconds(&fifo, || release(&fifo)).expect_err("a FIFO is refused");
    assert!(
        errors[0].message.contains("is a FIFO"),
        "{}",
        describe(&errors)
    );
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink(&fifo, &link).expect("symlink");
    let errors = load_within_seconds(&dir, || release(&fifo)).expect_err("a FIFO is refused");
    assert_eq!(errors[0].location.file.as_ref(), link.as_path());
    assert!(
        errors[0].message.contains("is a FIFO"),
        "{}",
        describe(&errors)
    );

    // `validate` refuses it too, exiting 1.
    bcprune()
        .arg("validate")
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "is a FIFO (named pipe), not a regular file",
        ));
}

#[cfg(unix)]
#[test]
fn sockets_devices_and_directory_links_are_refused_and_file_links_are_read() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let target = workspace.write("elsewhere/real.yaml", "version: 1\nabsent: [1]\n");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::os::unix::fs::symlink(&target, dir.join("linked.yaml")).expect("symlink");
    let manifest = load_ok(&dir);
    assert_eq!(manifest.files, [dir.join("linked.yaml")]);
    assert_eq!(manifest.absent[0].id, 1);

    let socket = dir.join("s.yaml");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
    let errors = load_err(&dir);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}: is a socket, not a regular file: a manifest must be a regular file (bcprune does \
             not read from pipes or devices)",
            socket.display()
        )
    );
    std::fs::remove_file(&socket).expect("remove socket");

    let errors = load_within_seconds(Path::new("/dev/zero"), || {}).expect_err("a device");
    assert_eq!(
        errors[0].to_string(),
        "/dev/zero: is a device, not a regular file: a manifest must be a regular file (bcprune \
         does not read from pipes or devices)"
    );

    std::os::unix::fs::symlink(workspace.path().join("elsewhere"), dir.join("more"))
        .expect("symlink");
    let errors = load_err(&dir);
    assert!(
        errors[0]
            .message
            .contains("is a symbolic link to a directory: bcprune does not follow directory links"),
        "{}",
        describe(&errors)
    );
}

#[test]
fn a_file_over_the_size_cap_is_refused_before_it_is_read() {
    let workspace = Workspace::new();
    let path = workspace.path().join("huge.yaml");
    // Sparse: takes no disk space, and must not be read into memory.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(256 * 1024 * 1024 + 1).expect("set_len");
    let errors = load_err(&path);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}: the manifest file is larger than 256 MiB; split it into several files in a \
             directory",
            path.display()
        )
    );
}

#[test]
fn directory_reports_errors_of_every_file_with_each_path() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    workspace.write("m/a.yaml", "version: 1\nabsent: [0]\n");
    workspace.write("m/b.yaml", "");
    workspace.write("m/c.yaml", "version: 1\nabsent: [\"7\"]\n");
    let errors = load_err(&dir);
    let places: Vec<String> = errors.iter().map(|e| e.location.to_string()).collect();
    let d = dir.display();
    assert_eq!(
        places,
        [
            format!("{d}/a.yaml:2:10"),
            format!("{d}/b.yaml:1:1"),
            format!("{d}/c.yaml:2:10")
        ]
    );
}

#[test]
fn every_file_of_a_directory_is_a_complete_manifest() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    workspace.write("m/a.yaml", "version: 1\nabsent: [1]\n");
    workspace.write("m/b.yaml", "absent: [2]\n");
    workspace.write("m/c.yaml", "version: 1\nprotect: [3]\n");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert!(errors[0].to_string().starts_with(&format!(
        "{}:1:1: missing required key `version`",
        dir.join("b.yaml").display()
    )));
    assert!(errors[1].to_string().starts_with(&format!(
        "{}:1:1: missing required key `absent`",
        dir.join("c.yaml").display()
    )));
}

#[test]
fn an_id_listed_in_two_files_names_both_places() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let first = workspace.write("m/gdpr.yaml", "version: 1\nabsent:\n  - 5\n  - 6\n");
    let second = workspace.write(
        "m/fraud.yaml",
        "version: 1\nabsent:\n  - 7\n  - id: 5\n    reason: fraud\n",
    );
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    // fraud.yaml sorts first, so its entry is the first place and gdpr.yaml's the duplicate.
    assert_eq!(errors[0].location.file.as_ref(), first.as_path());
    assert_eq!((errors[0].location.line, errors[0].location.column), (3, 5));
    assert!(
        errors[0]
            .message
            .contains(&format!("also at {}:4:9", second.display())),
        "{}",
        errors[0].message
    );
}

#[test]
fn an_id_absent_in_one_file_and_protected_in_another_names_both() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let protect = workspace.write("m/a.yaml", "version: 1\nprotect:\n  - 42\nabsent: []\n");
    let absent = workspace.write("m/b.yaml", "version: 1\nabsent: [41, 42]\n");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(
        errors[0].location.to_string(),
        format!("{}:2:14", absent.display())
    );
    assert!(
        errors[0]
            .message
            .contains(&format!("in `protect` at {}:3:5", protect.display()))
    );
}

#[test]
fn settings_set_by_several_files_must_agree() {
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let a = workspace.write(
        "m/a.yaml",
        "version: 1\nstore_hash: acme42\nmax_deletes: 10\nabsent: [1]\n",
    );
    let b = workspace.write(
        "m/b.yaml",
        "version: 1\nstore_hash: acme42\nmax_deletes: 10\nabsent: [2]\n",
    );
    let manifest = load_ok(&dir);
    assert_eq!(
        (manifest.store_hash.as_deref(), manifest.max_deletes),
        (Some("acme42"), 10)
    );

    std::fs::write(
        &b,
        "version: 1\nstore_hash: other\nmax_deletes: 20\nabsent: [2]\n",
    )
    .expect("write");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert_eq!(
        errors[0].location.to_string(),
        format!("{}:2:13", b.display())
    );
    assert!(errors[0].message.contains(&format!(
        "store_hash `other` disagrees with store_hash `acme42` at {}:2:13",
        a.display()
    )));
    assert_eq!(
        errors[1].location.to_string(),
        format!("{}:3:14", b.display())
    );
    assert!(errors[1].message.contains(&format!(
        "max_deletes 20 disagrees with max_deletes 10 at {}:3:14",
        a.display()
    )));
}

#[test]
fn missing_path_and_empty_directory_are_errors() {
    let workspace = Workspace::new();
    let missing = workspace.path().join("nope.yaml");
    let errors = load_err(&missing);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        format!(
            "{}: cannot read the manifest: no such file or directory",
            missing.display()
        )
    );

    let empty = workspace.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    workspace.write("empty/readme.md", "not a manifest");
    let errors = load_err(&empty);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("no *.yaml or *.yml files"),
        "{}",
        errors[0].message
    );
}

#[test]
fn sha256_changes_with_any_edit_or_added_file_and_not_with_the_directory_name() {
    let workspace = Workspace::new();
    workspace.write("one/a.yaml", "version: 1\nabsent: [1]\n");
    workspace.write("two/a.yaml", "version: 1\nabsent: [1]\n");
    let one = load_ok(&workspace.path().join("one"));
    let two = load_ok(&workspace.path().join("two"));
    assert_eq!(
        one.sha256, two.sha256,
        "the same files elsewhere hash the same"
    );

    workspace.write("two/a.yaml", "version: 1\nabsent: [1] # comment\n");
    let edited = load_ok(&workspace.path().join("two")).sha256;
    assert_ne!(edited, one.sha256, "an edit changes the hash");

    workspace.write("two/b.yaml", "version: 1\nabsent: []\n");
    let added = load_ok(&workspace.path().join("two")).sha256;
    assert_ne!(added, edited, "an added file changes the hash");

    // Moving bytes from one file to the other changes the hash too (lengths are part of it).
    workspace.write("three/a.yaml", "version: 1\nabsent: [1] # comment\nversion");
    workspace.write("three/b.yaml", ": 1\nabsent: []\n");
    assert!(manifest::load(&workspace.path().join("three")).is_err());
}

/// SHA-256 of the manifest hash's definition (`Manifest::sha256`), over `(relative name, contents)`.
fn expected_sha256(files: &[(&str, &[u8])]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (name, contents) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(contents.len().to_string().as_bytes());
        hasher.update([0]);
        hasher.update(contents);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[test]
fn a_large_file_read_in_chunks_loads_exactly_and_hashes_as_defined() {
    // Several 64 KiB chunks, with multi-byte characters falling on every possible chunk boundary,
    // a byte order mark and CRLF line ends.
    let mut yaml = String::from("\u{feff}version: 1\r\nabsent:\r\n");
    for id in 1..=6000u32 {
        yaml.push_str(&format!(
            "  - id: {id}\r\n    reason: \"Löschung {id} — 請求 🙂\"\r\n"
        ));
    }
    let workspace = Workspace::new();
    let dir = workspace.path().join("m");
    let big = workspace.write("m/2026/big.yaml", &yaml);
    let small = workspace.write(
        "m/a.yaml",
        "version: 1\nabsent: []\nabsent_subscribers: [1]\n",
    );
    let manifest = load_ok(&dir);
    assert_eq!(manifest.files, [big.clone(), small.clone()]);
    assert_eq!(manifest.absent.len(), 6000);
    let last = manifest.absent.last().expect("entries");
    assert_eq!(
        (last.id, last.reason.as_deref(), last.location.line),
        (6000, Some("Löschung 6000 — 請求 🙂"), 2 + 2 * 6000 - 1)
    );
    let small_bytes = std::fs::read(&small).expect("read");
    assert_eq!(
        manifest.sha256,
        expected_sha256(&[("2026/big.yaml", yaml.as_bytes()), ("a.yaml", &small_bytes)])
    );

    // The same file with an error near its end is reported exactly (line, column, message).
    let broken = yaml.replace("  - id: 5999\r\n", "  - id: 05999\r\n");
    std::fs::write(&big, &broken).expect("write");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert_eq!(
        (errors[0].location.line, errors[0].location.column),
        (2 + 2 * 5998 + 1, 9)
    );
    assert!(
        errors[0].message.contains("leading zero"),
        "{}",
        errors[0].message
    );

    // A control character late in the file is found, not silently cut.
    let control = yaml.replace("Löschung 5000 ", "Löschung\u{7} 5000 ");
    std::fs::write(&big, &control).expect("write");
    let errors = load_err(&dir);
    assert_eq!(errors.len(), 1, "{}", describe(&errors));
    assert!(
        errors[0].message.contains("U+0007"),
        "{}",
        errors[0].message
    );
    assert_eq!(errors[0].location.line, 2 + 2 * 4999 + 1 + 1);
}

#[test]
fn alias_bomb_is_rejected_fast() {
    let mut yaml = String::from("version: 1\n");
    yaml.push_str(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{previous}"); 9].join(",");
        yaml.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    yaml.push_str("absent: *i\n");
    let workspace = Workspace::new();
    let path = workspace.write("bomb.yaml", yaml);
    let started = Instant::now();
    let errors = load_err(&path);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // `a:` is an unknown key; reading its value stops at the first anchor.
    assert_eq!(errors.len(), 2, "{}", describe(&errors));
    assert!(
        errors[0].message.contains("unknown key `a`"),
        "{}",
        errors[0].message
    );
    assert_eq!((errors[1].location.line, errors[1].location.column), (2, 4));
    assert!(
        errors[1].message.contains("YAML anchors"),
        "{}",
        errors[1].message
    );
}

#[test]
fn a_manifest_of_100000_ids_loads() {
    let mut yaml = String::from("version: 1\nmax_deletes: 100000\nabsent:\n");
    for id in 1..=100_000u32 {
        if id % 100 == 0 {
            yaml.push_str(&format!("  - id: {id}\n    reason: \"request {id}\"\n"));
        } else {
            yaml.push_str(&format!("  - {id}\n"));
        }
    }
    let workspace = Workspace::new();
    let manifest = load_ok(&workspace.write("big.yaml", yaml));
    assert_eq!(manifest.absent.len(), 100_000);
    let last = manifest.absent.last().expect("entries");
    assert_eq!(
        (last.id, last.reason.as_deref()),
        (100_000, Some("request 100000"))
    );
    assert_eq!(last.location.line, 3 + 99_000 + 2 * 1000 - 1);
}

#[test]
fn every_example_manifest_validates() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let single = load_ok(&examples.join("manifest.yaml"));
    assert!(single.absent.iter().any(|e| e.reason.is_some()));
    assert!(
        single.absent.iter().any(|e| e.id > 1000),
        "some IDs are absent from the demo store"
    );
    assert!(!single.protect.is_empty() && single.store_hash.is_some());

    let directory = load_ok(&examples.join("customers"));
    assert!(directory.files.len() >= 2);
    assert!(
        directory
            .absent_subscribers
            .iter()
            .any(|e| e.received.is_some() && e.reason.is_some()),
        "an example lists subscribers with a reason and a received date"
    );
    for path in
        std::iter::once(examples.join("manifest.yaml")).chain(directory.files.iter().cloned())
    {
        let text = std::fs::read_to_string(&path).expect("read example");
        let first_line = text.lines().next().unwrap_or_default();
        let schema = first_line
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} must point editors at the schema", path.display()));
        let schema = path.parent().expect("example folder").join(schema);
        assert!(
            schema.ends_with("schemas/manifest.schema.json") && schema.is_file(),
            "{}: the schema path {} does not lead to the manifest schema",
            path.display(),
            schema.display()
        );
    }
}

// --- through the CLI ---

#[test]
fn validate_prints_a_summary_and_exits_0() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\nprotect: [1, 2]\nabsent:\n  - 101\n  - id: 102\n    reason: x\n",
    );
    bcprune()
        .arg("validate")
        .arg(&path)
        .assert()
        .success()
        .stdout(
            "Read 1 manifest file: 2 customer IDs must be absent, 2 protected. max_deletes 1000.\n",
        )
        .stderr("");

    workspace.write(
        "dir/a.yaml",
        "version: 1\nstore_hash: acme42\nmax_deletes: 0\nprotect: [3]\nabsent: [5]\n",
    );
    workspace.write("dir/b.yml", "version: 1\nabsent: []\n");
    bcprune()
        .arg("validate")
        .arg(workspace.path().join("dir"))
        .assert()
        .success()
        .stdout(
            "Read 2 manifest files: 1 customer ID must be absent, 1 protected. \
             max_deletes 0 (nothing may be deleted). Store acme42.\n",
        );
}

#[test]
fn validate_reports_every_error_and_exits_1() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 2\nabsent:\n  - \"101\"\n  - 0x1F\n  - 7\n  - 7\n",
    );
    let p = path.display();
    bcprune()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with(format!(
            "{p}:1:10: error: unsupported manifest version 2"
        )))
        .stderr(predicate::str::contains(format!(
            "\n{p}:3:5: error: a customer ID must be a number, not the quoted string \"101\""
        )))
        .stderr(predicate::str::contains(format!(
            "\n{p}:4:5: error: `0x1F` is a hexadecimal number"
        )))
        .stderr(predicate::str::contains(format!(
            "\n{p}:6:5: error: customer ID 7 is listed twice in `absent`: also at {p}:5:5"
        )))
        .stderr(predicate::str::ends_with(
            "\nerror: 4 problems in the manifest; nothing was sent to the API.\n",
        ));
}

#[test]
fn validate_shows_paths_as_given() {
    let workspace = Workspace::new();
    workspace.write("customers/a.yaml", "version: 1\nabsent: [0]\n");
    bcprune()
        .current_dir(workspace.path())
        .args(["validate", "customers"])
        .assert()
        .code(1)
        .stderr(
            "customers/a.yaml:2:10: error: 0 is not a valid customer ID; a customer ID is a whole number \
             from 1 to 4294967295 written in plain decimal digits\n\
             error: 1 problem in the manifest; nothing was sent to the API.\n",
        );
}

#[test]
fn validate_of_a_missing_path_exits_1() {
    let workspace = Workspace::new();
    bcprune()
        .current_dir(workspace.path())
        .args(["validate", "missing.yaml"])
        .assert()
        .code(1)
        .stderr(
            "missing.yaml: error: cannot read the manifest: no such file or directory\n\
             error: 1 problem in the manifest; nothing was sent to the API.\n",
        );
}

// --- robustness ---

/// Pieces of YAML syntax, combined at random so the parser reaches deep into manifests.
const FRAGMENTS: &[&str] = &[
    "version: 1\n",
    "version: ",
    "absent:\n",
    "absent: ",
    "protect: ",
    "max_deletes: ",
    "store_hash: ",
    "  - ",
    "- ",
    "id: ",
    "reason: ",
    "    ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "1",
    "42",
    "0",
    "-3",
    "1e3",
    "0x1F",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "|",
    ">",
    "#",
    "---\n",
    "...\n",
    "~",
    "null",
    "true",
    "é",
    "\u{feff}",
    "%YAML 1.2\n",
    "@",
    "`",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn load_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let workspace = Workspace::new();
        let path = workspace.write("m.yaml", &bytes);
        if let Err(errors) = manifest::load(&path) {
            prop_assert!(!errors.0.is_empty());
        }
    }

    #[test]
    fn load_never_panics_on_yaml_like_text(
        pieces in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60)
    ) {
        let text: String = pieces.concat();
        let workspace = Workspace::new();
        let path = workspace.write("m.yaml", &text);
        match manifest::load(&path) {
            Ok(manifest) => {
                // Whatever was accepted holds only valid, unique IDs.
                let mut ids: Vec<u32> = manifest.absent.iter().map(|e| e.id).collect();
                prop_assert!(ids.iter().all(|&id| id >= 1));
                ids.sort_unstable();
                ids.dedup();
                prop_assert_eq!(ids.len(), manifest.absent.len());
            }
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for error in &errors.0 {
                    prop_assert!(error.location.line >= 1 && error.location.column >= 1, "{}", error);
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------ orders (§15)

#[test]
fn the_order_keys_load_into_the_manifest() {
    use bcprune::retention::{Retention, Start};
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 8\n  from: end_of_year\n  basis: \"§147 AO, §257 HGB\"\n  \
         by_country:\n    FR: 10\n    US: 0\n\
         absent:\n  - 101\n  - id: 300\n    reason: GDPR erasure request\n    orders: redact\n\
         absent_subscribers:\n  - id: 300\n\
         redact_orders:\n  - 9001\n  - id: 300\n    reason: guest order\n    received: 2026-01-02\n",
    );
    let m = load_ok(&path);
    assert_eq!(
        m.orders.retention,
        Some(Retention {
            years: 8,
            from: Start::EndOfYear,
            basis: "§147 AO, §257 HGB".to_string(),
            by_country: [("FR".to_string(), 10), ("US".to_string(), 0)].into(),
        })
    );
    assert_eq!(m.orders.redact_customers, [300].into());
    let orders: Vec<(u32, Option<&str>)> = m
        .orders
        .redact_orders
        .iter()
        .map(|e| (e.id, e.reason.as_deref()))
        .collect();
    assert_eq!(orders, vec![(9001, None), (300, Some("guest order"))]);
    assert_eq!(
        m.orders.redact_orders[1].received.map(|d| d.to_string()),
        Some("2026-01-02".to_string())
    );
    assert!(m.orders.any());
    let ids: Vec<u32> = m.absent.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![101, 300], "order IDs are their own namespace");
    // `from` defaults to the order date; a manifest without order keys has none.
    let path = workspace.write(
        "n.yaml",
        "version: 1\norders_retention: {years: 0, basis: AO}\nabsent: [1]\n",
    );
    let m = load_ok(&path);
    assert_eq!(
        m.orders.retention.as_ref().map(|r| r.from),
        Some(Start::OrderDate)
    );
    assert!(!m.orders.any());
}

#[test]
fn orders_retention_may_stand_in_any_file_and_two_files_must_agree_naming_both() {
    let workspace = Workspace::new();
    workspace.write(
        "m/a-settings.yaml",
        "version: 1\norders_retention: {years: 8, basis: AO}\nabsent: []\n",
    );
    workspace.write(
        "m/customers/b.yaml",
        "version: 1\nabsent:\n  - id: 5\n    orders: redact\nredact_orders: [77]\n",
    );
    let dir = workspace.path().join("m");
    let m = load_ok(&dir);
    assert_eq!(m.orders.redact_customers, [5].into());
    assert_eq!(m.orders.retention.as_ref().map(|r| r.years), Some(8));
    let other = workspace.write(
        "m/c.yaml",
        "version: 1\norders_retention: {years: 10, basis: AO}\nabsent: []\nredact_orders: [77]\n",
    );
    let errors = load_err(&dir);
    let first = dir.join("a-settings.yaml");
    let messages = describe(&errors);
    assert_eq!(errors.len(), 2, "{messages}");
    assert!(
        errors
            .iter()
            .any(|e| e.location.file.as_ref() == other.as_path()
                && e.location.line == 2
                && e.message.contains(&format!("{}:2:19", first.display()))
                && e.message.contains("orders_retention disagrees")),
        "{messages}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("order ID 77 is listed twice")),
        "{messages}"
    );
}

#[test]
fn an_invalid_retention_is_reported_once_not_also_as_missing() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\norders_retention:\n  years: 8\n  basis: \"ask jane@example.com\"\n  \
         by_country: {fr: 10}\nabsent:\n  - id: 5\n    orders: redact\n",
    );
    let errors = load_err(&path);
    let positions: Vec<(u32, u32)> = errors
        .iter()
        .map(|e| (e.location.line, e.location.column))
        .collect();
    assert_eq!(positions, [(4, 10), (5, 16)], "{}", describe(&errors));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any valid `orders_retention`, written as a reviewer would, loads as exactly what it says.
    #[test]
    fn any_valid_retention_loads_as_written(
        years in 0u32..=100,
        end_of_year in any::<bool>(),
        countries in proptest::collection::btree_map("[A-Z]{2}", 0u32..=100, 0..4),
    ) {
        use bcprune::retention::Start;
        let workspace = Workspace::new();
        let mut yaml = format!(
            "version: 1\norders_retention:\n  years: {years}\n  basis: \"§147 AO\"\n  from: {}\n",
            if end_of_year { "end_of_year" } else { "order_date" }
        );
        if !countries.is_empty() {
            yaml.push_str("  by_country:\n");
            for (code, y) in &countries {
                yaml.push_str(&format!("    {code}: {y}\n"));
            }
        }
        yaml.push_str("absent:\n  - id: 1\n    orders: redact\n");
        let path = workspace.write("m.yaml", yaml);
        let m = manifest::load(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = m.orders.retention.expect("retention");
        prop_assert_eq!(r.years, years);
        prop_assert_eq!(r.from, if end_of_year { Start::EndOfYear } else { Start::OrderDate });
        prop_assert_eq!(r.by_country, countries);
    }
}

/// Until order redaction is carried out (PRODUCT §15), a manifest that asks for it is refused by every
/// command that would act on it or report on it, before any request: accepting `orders: redact` and then
/// planning nothing for the orders would let a reviewer believe they are handled.
#[test]
fn order_keys_are_refused_until_orders_are_carried_out_and_nothing_is_sent() {
    let workspace = Workspace::new();
    let path = workspace.write(
        "m.yaml",
        "version: 1\n\
         orders_retention: {years: 8, basis: \"§147 AO\"}\n\
         absent:\n  - id: 3\n    reason: GDPR erasure request\n    orders: redact\n",
    );
    let guest = workspace.write(
        "g/m.yaml",
        "version: 1\norders_retention: {years: 0, basis: AO}\nabsent: []\nredact_orders: [9001]\n",
    );
    let sim = crate::support::store(10);
    for manifest in [&path, &guest] {
        for command in [
            vec!["validate"],
            vec!["plan"],
            vec!["apply", "--auto-approve"],
            vec!["report"],
        ] {
            crate::support::bcprune_at(&sim)
                .env("BCPRUNE_TODAY", "2026-12-01")
                .args(&command)
                .arg(manifest)
                .assert()
                .code(1)
                .stderr(predicate::str::contains("does not redact orders yet"))
                .stderr(predicate::str::contains(manifest.display().to_string()));
        }
    }
    assert_eq!(sim.requests().len(), 0, "nothing may be sent");
}

/// No address in clear in any error (PRODUCT §14, §8): a manifest where someone pasted an email where an
/// ID, a key or a store hash goes — or named the file after the requester — is refused without the
/// address reaching the terminal or a CI log.
#[test]
fn manifest_errors_never_print_an_address_in_clear() {
    let workspace = Workspace::new();
    let cases = [
        (
            "a.yaml",
            "version: 1\nabsent:\n  - id: jim.beam@example.com\n",
        ),
        (
            "b.yaml",
            "version: 1\nabsent: [5]\nstore_hash: \"jim.beam@example.com\"\n",
        ),
        (
            "c.yaml",
            "version: 1\nabsent: [5]\njim.beam@example.com: 1\n",
        ),
        ("d.yaml", "version: 1\nabsent:\n  - jim.beam@example.com\n"),
        ("jim.beam@example.com.yaml", "version: 1\nabsent: [0]\n"),
        // A file named after the requester (valid inside): refused, as a reason naming an address is.
        (
            "v/jim.beam@example.com.yaml",
            "version: 1\nabsent: [5]\nstore_hash: acme42\n",
        ),
        (
            "w/jim.beam@example.com/requests.yaml",
            "version: 1\nabsent: [5]\n",
        ),
    ];
    for (name, text) in cases {
        let written = workspace.write(name, text);
        // The `w/` case is read as a directory: its subdirectory is named after the requester.
        let path = if name.starts_with("w/") {
            workspace.path().join("w")
        } else {
            written
        };
        for command in ["validate", "plan", "report"] {
            let output = bcprune()
                .env("BIGCOMMERCE_STORE_HASH", "acme42")
                .env("BIGCOMMERCE_ACCESS_TOKEN", "t0k3n-not-used")
                .env("BIGCOMMERCE_API_URL", "http://127.0.0.1:9")
                .env("BCPRUNE_RETRY", "base_ms=1,cap_ms=2")
                .arg(command)
                .arg(&path)
                .arg("-v")
                .output()
                .expect("run");
            assert_eq!(output.status.code(), Some(1), "{command} {name}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
            .to_ascii_lowercase();
            assert!(
                !all.contains("jim.beam@") && !all.contains("beam@example"),
                "{command} {name}: an address in clear:\n{all}"
            );
            assert!(all.contains("error"), "{command} {name}: {all}");
        }
    }
}
