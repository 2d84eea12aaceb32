//! `bcprune import` (PRODUCT §8): emails in, a manifest of IDs out, and no email in clear anywhere.

use std::path::{Path, PathBuf};

use bcprune::sim::{EmailMatch, READ_ONLY_TOKEN, SimConfig, SimServer};
use predicates::prelude::*;

use crate::support::{Workspace, bcprune, store_with};

const JANE: &str = "Jane.Doe@Example.com";
const JANE_LOWER: &str = "jane.doe@example.com";
const BOB: &str = "bob.stone@shop.test";
const CARA: &str = "cara@shop.test";
const NOBODY: &str = "nobody@nowhere.test";

/// Every address seeded in the store or given to import.
const SEEDED: [&str; 5] = [JANE, JANE_LOWER, BOB, CARA, NOBODY];

/// A store where Jane has two accounts (two channels, two spellings) and a newsletter subscription,
/// Bob one account, Cara only a subscription; nobody@ is unknown.
fn people() -> SimServer {
    store_with(
        SimConfig::default()
            .customers(20)
            .subscribers(0)
            .unlimited()
            .email_match(EmailMatch::IgnoreCase)
            .customer_with_email(11, JANE, 1)
            .customer_with_email(12, JANE_LOWER, 2)
            .customer_with_email(13, BOB, 1)
            .subscriber_with_email(5, JANE_LOWER, 1)
            .subscriber_with_email(6, CARA, 1),
    )
}

/// `bcprune import` against `sim` with a read-only token, today fixed.
fn import(sim: &SimServer) -> assert_cmd::Command {
    let mut cmd = bcprune();
    cmd.env("BIGCOMMERCE_API_URL", sim.base_url())
        .env("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .env("BCPRUNE_RETRY", "base_ms=2,cap_ms=50")
        .env("BCPRUNE_TODAY", "2026-12-01")
        .timeout(std::time::Duration::from_secs(60))
        .arg("import");
    cmd
}

/// Every file below `dir`, hidden ones included.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// No seeded address, in any case, in `text`.
#[track_caller]
fn assert_no_email(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text).to_lowercase();
    for email in SEEDED {
        assert!(
            !text.contains(&email.to_lowercase()),
            "{what} holds the address {email} in clear:\n{text}"
        );
    }
}

fn load(path: &Path) -> bcprune::manifest::Manifest {
    let today = jiff::civil::Date::new(2026, 12, 1).expect("date");
    bcprune::manifest::load_with(path, &bcprune::manifest::Options { today })
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()))
}

fn ids(entries: &[bcprune::manifest::AbsentEntry]) -> Vec<u32> {
    entries.iter().map(|e| e.id).collect()
}

#[test]
fn import_from_arguments_csv_and_stdin_writes_ids_only_and_never_an_email_in_clear() {
    let sim = people();
    let ws = Workspace::new();
    ws.write(
        "requests.csv",
        format!(
            "\u{FEFF}email,reason,received\r\n{BOB},\"Ticket 7, \"\"urgent\"\"\",2026-11-02\r\n"
        ),
    );
    let into = ws.path().join("customers/request-0042.yaml");
    std::fs::create_dir_all(into.parent().expect("parent")).expect("mkdir");
    let output = import(&sim)
        .current_dir(ws.path())
        .args(["--into", "customers/request-0042.yaml"])
        .args([
            "--reason",
            "GDPR erasure 2026-0042",
            "--received",
            "2026-11-20",
        ])
        .args([
            "--from",
            "requests.csv",
            &format!("  {} ", JANE.to_uppercase()),
            "-",
        ])
        .write_stdin(format!("\n{CARA}\n{NOBODY}\n"))
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_no_email("stdout", &output.stdout);
    assert_no_email("stderr", &output.stderr);
    for file in all_files(ws.path())
        .iter()
        .filter(|f| !f.ends_with("requests.csv"))
    {
        assert_no_email(
            &file.display().to_string(),
            &std::fs::read(file).expect("read"),
        );
    }
    assert!(
        stdout.contains("  J***@EXAMPLE.COM: customers 11, 12; subscriber 5\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  b***@shop.test: customer 13\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  c***@shop.test: subscriber 6\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  n***@nowhere.test: nothing found\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Wrote customers/request-0042.yaml: 3 customer IDs and 2 subscriber IDs; 1 email matched nothing."),
        "{stdout}"
    );

    let manifest = load(&into);
    assert_eq!(ids(&manifest.absent), [11, 12, 13]);
    assert_eq!(ids(&manifest.absent_subscribers), [5, 6]);
    assert_eq!(manifest.store_hash.as_deref(), Some("demo42"));
    let reason =
        |entry: &bcprune::manifest::AbsentEntry| entry.reason.as_deref().map(str::to_owned);
    assert_eq!(
        reason(&manifest.absent[0]).as_deref(),
        Some("GDPR erasure 2026-0042")
    );
    assert_eq!(
        reason(&manifest.absent[2]).as_deref(),
        Some("Ticket 7, \"urgent\""),
        "a row's values override the flags"
    );
    assert_eq!(
        manifest.absent[2]
            .received
            .map(|d| d.to_string())
            .as_deref(),
        Some("2026-11-02")
    );
    assert_eq!(
        manifest.absent[0]
            .received
            .map(|d| d.to_string())
            .as_deref(),
        Some("2026-11-20")
    );
    assert!(
        manifest
            .entries()
            .all(|(_, e)| e.reason.is_some() && e.received.is_some())
    );
    let text = std::fs::read_to_string(&into).expect("read");
    assert!(
        text.starts_with("# Written by bcprune import on 2026-12-01 for store demo42: 4 emails looked up, 1 matched nothing.\n"),
        "{text}"
    );
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "lookups only"
    );
}

#[test]
fn a_csv_with_one_bad_row_writes_nothing_names_every_bad_line_and_sends_nothing() {
    let sim = people();
    let ws = Workspace::new();
    ws.write(
        "r.csv",
        format!("email,received\n{BOB},2026-11-02\njane.doe[at]example.com,2026-11-02\n{CARA},2026-02-30\n{NOBODY},2027-01-01\n"),
    );
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into", "new.yaml", "--reason", "GDPR 1", "--from", "r.csv",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: r.csv:3: "), "{stderr}");
    assert!(
        stderr.contains("error: r.csv:4: received 2026-02-30 is not a calendar date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: r.csv:5: received 2027-01-01 is after today (2026-12-01)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 invalid inputs; nothing was looked up or written"),
        "{stderr}"
    );
    assert_no_email("stderr", &output.stderr);
    assert!(!ws.path().join("new.yaml").exists());
    assert_eq!(
        all_files(ws.path()).len(),
        1,
        "only the CSV: nothing written"
    );
    assert!(sim.requests().is_empty(), "nothing looked up");
}

#[test]
fn a_bad_argument_is_named_by_its_position_and_masked() {
    let sim = people();
    let ws = Workspace::new();
    import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "new.yaml",
            "--reason",
            "GDPR 1",
            BOB,
            "jane doe@example.com",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: argument 2: `j***@example.com` is not a valid email address",
        ))
        .stderr(predicate::str::contains("jane doe").not());
    assert!(!ws.path().join("new.yaml").exists());
}

#[test]
fn a_reason_with_an_email_an_existing_file_and_no_reason_are_refused_before_any_lookup() {
    let sim = people();
    let ws = Workspace::new();
    import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "new.yaml",
            "--reason",
            &format!("asked by {BOB}"),
            CARA,
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--reason: the reason contains an email address",
        ))
        .stderr(predicate::str::contains(BOB).not());
    import(&sim)
        .current_dir(ws.path())
        .args(["--into", "new.yaml", CARA])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "argument 1: no reason: pass --reason TEXT",
        ));
    ws.write("old.yaml", "version: 1\nabsent: []\n");
    import(&sim)
        .current_dir(ws.path())
        .args(["--into", "old.yaml", "--reason", "GDPR 1", CARA])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "error: old.yaml already exists",
        ));
    assert_eq!(
        std::fs::read_to_string(ws.path().join("old.yaml")).expect("read"),
        "version: 1\nabsent: []\n"
    );
    assert!(sim.requests().is_empty());
}

#[test]
fn ids_already_listed_in_the_manifest_directory_are_left_out_and_it_stays_valid() {
    let sim = people();
    let ws = Workspace::new();
    // The state file marks the directory plan and apply run on (content irrelevant to import).
    ws.write("customers/bcprune.state.json", "{}");
    ws.write(
        "customers/2026/11/request-0041.yaml",
        "version: 1\nabsent:\n  - id: 12\n    reason: \"GDPR 41\"\nabsent_subscribers: [5]\n",
    );
    std::fs::create_dir_all(ws.path().join("customers/2026/12")).expect("mkdir");
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "customers/2026/12/request-0042.yaml",
            "--reason",
            "GDPR 42",
            JANE_LOWER,
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Left out customer 12: already listed at customers/2026/11/request-0041.yaml:3:9 (in the manifest directory customers)."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Left out subscriber 5: already listed at"),
        "{stdout}"
    );
    let whole = load(&ws.path().join("customers"));
    assert_eq!(ids(&whole.absent), [12, 11]);
    assert_no_email("stdout", &output.stdout);
}

#[test]
fn an_email_that_matches_nothing_still_writes_a_valid_file_saying_how_many() {
    let sim = people();
    let ws = Workspace::new();
    import(&sim)
        .current_dir(ws.path())
        .args(["--into", "r.yaml", "--reason", "GDPR 9", NOBODY])
        .assert()
        .success();
    let manifest = load(&ws.path().join("r.yaml"));
    assert!(manifest.absent.is_empty() && manifest.absent_subscribers.is_empty());
    let text = std::fs::read_to_string(ws.path().join("r.yaml")).expect("read");
    assert!(
        text.contains("1 email looked up, 1 matched nothing."),
        "{text}"
    );
    assert_no_email("the file", text.as_bytes());
}

#[test]
fn a_protected_customer_is_left_out_so_the_directory_stays_valid() {
    let sim = people();
    let ws = Workspace::new();
    ws.write("customers/bcprune.state.json", "{}");
    ws.write(
        "customers/keep.yaml",
        "version: 1\nprotect: [11]\nabsent: []\n",
    );
    std::fs::create_dir_all(ws.path().join("customers/2026/12")).expect("mkdir");
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "customers/2026/12/request-0042.yaml",
            "--reason",
            "GDPR 42",
            JANE_LOWER,
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "Left out customer 11: it is protected (`protect` in the manifest directory customers)"
        ),
        "{stdout}"
    );
    let whole = load(&ws.path().join("customers"));
    assert_eq!(ids(&whole.absent), [12]);
    assert_no_email("stdout", &output.stdout);
}

/// Issue 17.4: an address is matched to a record only when their emails are equal ignoring ASCII case.
/// A store that folds case as a database collation does (Unicode case, fullwidth forms, long s) answers
/// `kane@…`'s records to `\u{212A}ane@…` (KELVIN SIGN), `ſam@…` and fullwidth `ｋim@…`: those records
/// belong to other people and are never written into the manifest.
#[test]
fn a_unicode_look_alike_address_never_resolves_to_another_persons_records() {
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .subscribers(0)
            .unlimited()
            .email_match(EmailMatch::IgnoreCase)
            .customer_with_email(11, "kane@shop.test", 1)
            .customer_with_email(12, "sam@shop.test", 1)
            .customer_with_email(13, "kim@shop.test", 1)
            .subscriber_with_email(5, "kane@shop.test", 1)
            .subscriber_with_email(6, "sam@shop.test", 1),
    );
    let ws = Workspace::new();
    let look_alikes = [
        "\u{212A}ane@shop.test",
        "\u{017F}am@shop.test",
        "\u{FF4B}im@shop.test",
        "\u{FF33}AM@shop.test",
    ];
    let output = import(&sim)
        .current_dir(ws.path())
        .args(["--into", "r.yaml", "--reason", "GDPR 17"])
        .args(look_alikes)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let manifest = load(&ws.path().join("r.yaml"));
    assert!(
        manifest.absent.is_empty() && manifest.absent_subscribers.is_empty(),
        "another person's IDs were taken:\n{stdout}"
    );
    assert!(stdout.contains("4 emails matched nothing"), "{stdout}");

    // ASCII case alone is still ignored: `Kane@SHOP.test` is kane@shop.test.
    import(&sim)
        .current_dir(ws.path())
        .args(["--into", "s.yaml", "--reason", "GDPR 18", "Kane@SHOP.test"])
        .assert()
        .success();
    let manifest = load(&ws.path().join("s.yaml"));
    assert_eq!(ids(&manifest.absent), [11]);
    assert_eq!(ids(&manifest.absent_subscribers), [5]);
}

/// Issue 17.4: errors printed every address after the first `@` of a cell, every address of
/// CR-terminated input, and an address typed into the `received` column.
#[test]
fn no_input_shape_gets_an_address_printed_in_clear() {
    let sim = people();
    let ws = Workspace::new();
    ws.write(
        "cells.csv",
        "email,reason,received\n\"jane.doe@example.com bob.stone@shop.test\",GDPR 1,2026-11-02\n\
         cara@shop.test,GDPR 2,nobody@nowhere.test\n",
    );
    let runs: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["--from", "cells.csv", "--reason", "GDPR 3"], None),
        (
            vec!["--reason", "GDPR 4", "-"],
            Some("jane.doe@example.com\rbob.stone@shop.test\rcara@shop.test,x\r"),
        ),
        (
            vec![
                "--reason",
                "GDPR 5",
                "--received",
                "jane.doe@example.com",
                BOB,
            ],
            None,
        ),
        (
            vec!["--reason", "GDPR 6", "cara@shop.test@bob.stone@shop.test"],
            None,
        ),
    ];
    for (args, stdin) in runs {
        let mut command = import(&sim);
        command
            .current_dir(ws.path())
            .args(["--into", "r.yaml"])
            .args(&args);
        if let Some(text) = stdin {
            command.write_stdin(text);
        }
        let output = command.output().expect("run");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_no_email(&format!("stderr of {args:?}"), &output.stderr);
        assert_no_email(&format!("stdout of {args:?}"), &output.stdout);
        assert!(!ws.path().join("r.yaml").exists());
    }
}

mod masking {
    use bcprune::cli::error::{CliError, rendered};
    use bcprune::import::{self, Defaults, ImportError};
    use bcprune::manifest::Days;
    use proptest::prelude::*;

    fn address() -> impl Strategy<Value = (String, String)> {
        ("[a-zA-Z0-9._%+=&-]{2,12}", "[a-z]{1,8}\\.[a-z]{2,4}")
    }

    /// A cell: one to three addresses run together or apart, maybe with other text.
    fn cell() -> impl Strategy<Value = (String, Vec<(String, String)>)> {
        (
            proptest::collection::vec(address(), 1..4),
            proptest::collection::vec(
                prop_oneof![
                    Just(""),
                    Just(" "),
                    Just(","),
                    Just(";"),
                    Just("/"),
                    Just("@"),
                    Just("\t"),
                    Just(" <"),
                    Just("\"")
                ],
                4,
            ),
        )
            .prop_map(|(addresses, glue)| {
                let text = addresses
                    .iter()
                    .enumerate()
                    .map(|(i, (l, d))| format!("{}{l}@{d}", if i == 0 { "" } else { glue[i] }))
                    .collect::<String>();
                (text, addresses)
            })
    }

    /// CSV-quote a field when it needs it.
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The same random inputs through the `import` binary against the fake store (CSV with an
        /// address in any column, stdin with any line ending): stdout, stderr and every file left
        /// behind hold no address in clear, whether the run succeeds or fails.
        #[test]
        fn the_import_command_never_prints_an_address_in_clear(
            rows in proptest::collection::vec((cell(), 0usize..3), 1..4),
            ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        ) {
            let sim = super::people();
            let ws = crate::support::Workspace::new();
            let mut csv = format!("note,email,received{ending}");
            let mut lines = String::new();
            let mut every = Vec::new();
            for ((text, addresses), column) in &rows {
                let mut fields = [String::new(), String::new(), String::new()];
                fields[*column] = field(text);
                if *column != 1 {
                    // A valid address in the email column, so some runs look up and succeed.
                    fields[1] = field(&format!("{}@{}", addresses[0].0, addresses[0].1));
                }
                csv.push_str(&fields.join(","));
                csv.push_str(ending);
                lines.push_str(text);
                lines.push_str(ending);
                every.extend(addresses.iter().cloned());
            }
            ws.write("in.csv", &csv);
            let runs: [(&[&str], Option<&str>); 2] = [
                (&["--into", "a.yaml", "--reason", "GDPR 1", "--from", "in.csv"], None),
                (&["--into", "b.yaml", "--reason", "GDPR 2", "-"], Some(lines.as_str())),
            ];
            for (args, stdin) in runs {
                let mut command = super::import(&sim);
                command.current_dir(ws.path()).args(args);
                if let Some(text) = stdin {
                    command.write_stdin(text.to_string());
                }
                let output = command.output().expect("run");
                let mut shown = String::from_utf8_lossy(&output.stdout).into_owned();
                shown.push_str(&String::from_utf8_lossy(&output.stderr));
                for file in super::all_files(ws.path()) {
                    if file.extension().is_some_and(|e| e == "yaml") {
                        shown.push_str(&std::fs::read_to_string(&file).expect("read"));
                    }
                }
                let lower = shown.to_lowercase();
                for (local, domain) in &every {
                    let whole = format!("{local}@{domain}").to_lowercase();
                    prop_assert!(!lower.contains(&whole), "{whole} in clear:\n{shown}");
                    let named = format!("{local}@").to_lowercase();
                    prop_assert!(!lower.contains(&named), "{named} in clear:\n{shown}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Random CSV files and stdin texts — several addresses per cell, any line ending, an address
        /// in any column (email, reason, received, another) — and the `--received` flag: whatever
        /// errors come out, no address appears in them in clear (whole, or its local part with `@`).
        #[test]
        fn errors_never_hold_an_address_in_clear(
            rows in proptest::collection::vec((cell(), 0usize..4), 1..5),
            ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            header in proptest::sample::select(vec![
                "email,reason,received,note", "note,received,email,reason", "reason,email,note,received",
            ]),
        ) {
            let today = jiff::civil::Date::new(2026, 12, 1).expect("date");
            let columns: Vec<&str> = header.split(',').collect();
            let mut csv = format!("{header}{ending}");
            let mut lines = String::new();
            let mut every = Vec::new();
            for ((text, addresses), column) in &rows {
                let mut fields = vec![String::new(); columns.len()];
                fields[*column] = field(text);
                if columns[*column] != "email" {
                    let email = columns.iter().position(|c| *c == "email").expect("email column");
                    fields[email] = field(&format!("{text}x"));
                }
                csv.push_str(&fields.join(","));
                csv.push_str(ending);
                lines.push_str(text);
                lines.push_str(ending);
                every.extend(addresses.iter().cloned());
            }
            let defaults = Defaults { reason: Some("GDPR 1".into()), received: None };
            let mut shown = String::new();
            for errors in [
                import::from_csv(&csv, "in.csv", &defaults, Days::fixed(today)).1,
                import::from_lines(&lines, "stdin", &defaults, Days::fixed(today)).1,
                import::from_arguments(&[(1, rows[0].0.0.clone())], &defaults, Days::fixed(today)).1,
            ] {
                if !errors.is_empty() {
                    shown.push_str(&rendered(&CliError::Import(ImportError::Input(errors))));
                }
            }
            if let Err(why) = import::parse_date(&rows[0].0.0, today) {
                shown.push_str(&rendered(&CliError::ImportFlag(format!("--received: {why}"))));
            }
            let lower = shown.to_lowercase();
            for (local, domain) in &every {
                let whole = format!("{local}@{domain}").to_lowercase();
                prop_assert!(!lower.contains(&whole), "{whole} in clear:\n{shown}");
                let named = format!("{local}@").to_lowercase();
                prop_assert!(!lower.contains(&named), "{named} in clear:\n{shown}");
            }
        }
    }
}

/// Issue 17.5: `--into` without a .yaml/.yml extension or with a hidden component exited 0 saying plan
/// would show it, and plan never read it: the request vanished. Now it is refused before any lookup.
#[test]
fn an_into_that_plan_would_not_read_is_refused_before_any_lookup() {
    let sim = people();
    let ws = Workspace::new();
    ws.write("customers/keep.yaml", "version: 1\nabsent: []\n");
    for into in [
        "customers/request-0043",
        "customers/request-0043.yaml.txt",
        "customers/request-0043.json",
        ".drafts/x.yaml",
        ".x.yaml",
        "./.x.yaml",
        "customers/.hidden/x.yml",
        "customers/2026/.x.YAML",
    ] {
        let before = sim.requests().len();
        let output = import(&sim)
            .current_dir(ws.path())
            .args(["--into", into, "--reason", "GDPR 43", JANE])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{into}: {stderr}");
        assert!(
            stderr.contains("`plan` would never read it"),
            "{into}: {stderr}"
        );
        assert_eq!(sim.requests().len(), before, "{into}: nothing looked up");
        assert!(!ws.path().join(into).exists(), "{into}: nothing written");
    }
    for into in ["./customers/ok.YML", "customers/./ok2.yaml"] {
        import(&sim)
            .current_dir(ws.path())
            .args(["--into", into, "--reason", "GDPR 44", JANE])
            .assert()
            .success();
    }
    let whole = load(&ws.path().join("customers"));
    assert_eq!(ids(&whole.absent), [11, 12], "plan reads what import wrote");
}

/// Issue 17.5: a `received` date written in a time zone a day ahead of UTC made the whole manifest
/// directory invalid on a UTC runner (plan, apply and report all failed) until the dates caught up.
/// `received` may be any day up to today in the earliest time zone (UTC+14): here bcprune runs at
/// UTC-12, where that day is always one or two days ahead of the local date.
#[test]
fn a_received_date_of_today_in_the_earliest_time_zone_is_valid_everywhere() {
    let latest = bcprune::manifest::latest_received(jiff::Timestamp::now());
    let after = latest.tomorrow().expect("a day after");
    let sim = people();
    let ws = Workspace::new();
    let entry = |id: u32, day: jiff::civil::Date| {
        format!(
            "version: 1\nabsent:\n  - id: {id}\n    reason: \"GDPR {id}\"\n    received: {day}\n"
        )
    };
    ws.write("customers/a.yaml", entry(11, latest));
    let at_utc_minus_12 = |command: &mut assert_cmd::Command| {
        command
            .env("TZ", "Etc/GMT+12")
            .env("BIGCOMMERCE_API_URL", sim.base_url())
            .env("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
            .env("BIGCOMMERCE_STORE_HASH", "demo42")
            .current_dir(ws.path());
    };
    for args in [
        vec!["validate", "customers"],
        vec!["plan", "customers"],
        vec!["report", "customers"],
    ] {
        let mut command = bcprune();
        at_utc_minus_12(&mut command);
        command.args(&args).assert().success();
    }
    let mut command = bcprune();
    at_utc_minus_12(&mut command);
    command
        .args([
            "import",
            "--into",
            "customers/b.yaml",
            "--reason",
            "GDPR 12",
        ])
        .args(["--received", &latest.to_string(), BOB])
        .assert()
        .success();

    // A day later than that is in the future everywhere.
    ws.write("customers/c.yaml", entry(14, after));
    let mut command = bcprune();
    at_utc_minus_12(&mut command);
    command
        .args(["validate", "customers"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "received {after} is after today ({latest})"
        )));
    let mut command = bcprune();
    at_utc_minus_12(&mut command);
    command
        .args(["import", "--into", "d.yaml", "--reason", "GDPR 14"])
        .args(["--received", &after.to_string(), CARA])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("UTC+14"));
}

/// Issue 21: an address that matches only protected customers wrote an empty manifest and exited 0, so
/// the request looked carried out. Now nothing is written, exit 1, naming the masked address, the IDs
/// and what to do.
#[test]
fn an_address_matching_only_protected_customers_writes_nothing_and_says_why() {
    let sim = people();
    let ws = Workspace::new();
    ws.write("customers/bcprune.state.json", "{}");
    ws.write(
        "customers/keep.yaml",
        "version: 1\nprotect: [13]\nabsent: []\n",
    );
    for emails in [vec![BOB], vec![BOB, CARA]] {
        let output = import(&sim)
            .current_dir(ws.path())
            .args(["--into", "customers/r.yaml", "--reason", "GDPR 21"])
            .args(&emails)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{emails:?}: {stderr}");
        assert!(
            stderr.contains("b***@shop.test matches only protected customer 13"),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(!ws.path().join("customers/r.yaml").exists());
        assert_no_email("stderr", &output.stderr);
        assert_no_email("stdout", &output.stdout);
    }
}

/// Issue 17.3 for `import`: a lookup whose pagination contradicts itself is an invalid response; nothing
/// is written (a person who exists must not be recorded as "matched nothing").
#[test]
fn a_lookup_whose_pagination_contradicts_itself_writes_nothing() {
    use bcprune::sim::Hostile;
    for mode in [Hostile::TotalBeyondRecords, Hostile::CountBeyondPage] {
        let sim = people();
        sim.faults().hostile(Some(mode));
        let ws = Workspace::new();
        let output = import(&sim)
            .current_dir(ws.path())
            .args(["--into", "r.yaml", "--reason", "GDPR 31", JANE, NOBODY])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{mode:?}: {stderr}");
        assert!(stderr.contains("invalid response"), "{mode:?}: {stderr}");
        assert!(!ws.path().join("r.yaml").exists(), "{mode:?}");
        assert_no_email("stderr", &output.stderr);
    }
}

#[test]
fn import_request_writes_the_reference_on_every_entry_and_refuses_a_bad_one_or_two_days() {
    let sim = people();
    let ws = Workspace::new();
    ws.write("customers/bcprune.state.json", "{}");
    ws.write(
        "customers/2026/11/dsr-41.yaml",
        "version: 1\nabsent:\n  - id: 13\n    received: 2026-11-20\n    request: DSR-41\n",
    );
    std::fs::create_dir_all(ws.path().join("customers/2026/12")).expect("mkdir");
    let into = "customers/2026/12/dsr-43.yaml";
    let base = [
        "--into",
        into,
        "--reason",
        "GDPR erasure",
        "--received",
        "2026-11-30",
    ];
    // A reference that is an address, or outside the pattern: exit 1 before any lookup.
    for (bad, says) in [
        (JANE, "--request: `request` contains an email address"),
        ("DSR 43", "--request: `request` contains a space"),
    ] {
        let output = import(&sim)
            .current_dir(ws.path())
            .args(base)
            .args(["--request", bad, JANE_LOWER])
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert_no_email("stderr", &output.stderr);
    }
    // The directory says DSR-41 arrived on 20 November: another day for it is refused, naming where.
    let output = import(&sim)
        .current_dir(ws.path())
        .args(base)
        .args(["--request", "DSR-41", JANE_LOWER])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "--request DSR-41: the manifest directory has it with received 2026-11-20 at \
             customers/2026/11/dsr-41.yaml:3:9, the requests say 2026-11-30"
        ),
        "{stderr}"
    );
    assert!(sim.requests().is_empty(), "nothing looked up");
    assert!(!ws.path().join(into).exists());
    // A good one stands on every entry, customers and subscribers.
    import(&sim)
        .current_dir(ws.path())
        .args(base)
        .args(["--request", "DSR-2026-0043", JANE_LOWER, CARA])
        .assert()
        .success();
    let written = load(&ws.path().join(into));
    let entries: Vec<_> = written
        .absent
        .iter()
        .chain(&written.absent_subscribers)
        .collect();
    assert_eq!(entries.len(), 4, "customers 11, 12; subscribers 5, 6");
    for entry in entries {
        assert_eq!(
            entry.request.as_ref().map(|r| r.as_str()),
            Some("DSR-2026-0043"),
            "{entry:?}"
        );
    }
    load(&ws.path().join("customers"));
}

// ------------------------------------------------------------------------------ --orders redact

/// The retention every file `import --orders redact` joins needs (PRODUCT §15): it stands in a file of
/// its own in the manifest directory.
const RETENTION: &str =
    "version: 1\nabsent: []\norders_retention:\n  years: 10\n  basis: \"§147 AO\"\n";

/// Jane (customers 11 and 12) has orders on both accounts and, as a guest, two more under her address
/// in another case and one under her address exactly; Bob (13) has one order; another guest has one.
fn people_with_orders() -> SimServer {
    store_with(
        SimConfig::default()
            .customers(20)
            .subscribers(0)
            .unlimited()
            .email_match(EmailMatch::IgnoreCase)
            .customer_with_email(11, JANE, 1)
            .customer_with_email(12, JANE_LOWER, 2)
            .customer_with_email(13, BOB, 1)
            .subscriber_with_email(5, JANE_LOWER, 1)
            .orders_for(11, 2) // 100, 101
            .orders_for(12, 1) // 102
            .orders_for(13, 1) // 103
            .guest_orders(JANE_LOWER, 2) // 104, 105
            .guest_orders(JANE, 1) // 106
            .guest_orders(CARA, 1), // 107
    )
}

#[test]
fn orders_redact_marks_customers_and_lists_guests_orders_by_id_without_an_email_anywhere() {
    let sim = people_with_orders();
    let ws = Workspace::new();
    ws.write("customers/retention.yaml", RETENTION);
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "customers/request-0044.yaml",
            "--orders",
            "redact",
        ])
        .args(["--reason", "DSR-2026-0044", "--received", "2026-11-20"])
        .args([JANE, BOB, NOBODY])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_no_email("stdout", &output.stdout);
    assert_no_email("stderr", &output.stderr);
    for file in all_files(ws.path()) {
        assert_no_email(
            &file.display().to_string(),
            &std::fs::read(&file).expect("read"),
        );
    }
    assert!(
        stdout.contains(
            "  J***@Example.com: customers 11, 12; subscriber 5; guest orders 104, 105, 106; \
             orders 100, 101, 102 (of those customers)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  b***@shop.test: customer 13; order 103 (of those customers)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Orders: 3 customers with `orders: redact` (each one's orders found and redacted once \
             its retention ends), 3 guest orders in redact_orders."
        ),
        "{stdout}"
    );

    // The directory, the new file with the retention beside it, is a valid manifest.
    let manifest = load(&ws.path().join("customers"));
    assert_eq!(ids(&manifest.absent), [11, 12, 13]);
    assert_eq!(
        manifest.orders.redact_customers,
        [11, 12, 13].into_iter().collect()
    );
    assert_eq!(ids(&manifest.orders.redact_orders), [104, 105, 106]);
    for entry in &manifest.orders.redact_orders {
        assert_eq!(entry.reason.as_deref(), Some("DSR-2026-0044"));
        assert_eq!(
            entry.received.map(|d| d.to_string()).as_deref(),
            Some("2026-11-20")
        );
    }

    // Read-only lookups: one GET /v2/orders?email= per address form, pages followed; no change.
    let orders = sim.order_requests();
    assert!(!orders.is_empty());
    assert!(
        orders.iter().all(|r| r.method == "GET"
            && r.path == "/stores/demo42/v2/orders"
            && r.query.starts_with("email=")
            && r.query.contains("&limit=250&page=")),
        "{orders:?}"
    );
    assert!(sim.order_events().is_empty());
    assert!(sim.order_collection_deletes().is_empty());
}

#[test]
fn without_orders_redact_import_writes_nothing_about_orders_and_asks_for_none() {
    let sim = people_with_orders();
    let ws = Workspace::new();
    import(&sim)
        .current_dir(ws.path())
        .args(["--into", "request-0045.yaml", "--reason", "DSR-2026-0045"])
        .arg(JANE)
        .assert()
        .success();
    let text = std::fs::read_to_string(ws.path().join("request-0045.yaml")).expect("written");
    assert!(!text.contains("orders"), "{text}");
    assert!(sim.order_requests().is_empty());
}

#[test]
fn orders_redact_without_a_retention_in_the_directory_is_refused_before_any_lookup() {
    let sim = people_with_orders();
    let ws = Workspace::new();
    import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "customers/request-0046.yaml",
            "--orders",
            "redact",
        ])
        .args(["--reason", "DSR-2026-0046"])
        .arg(JANE)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--orders redact: no file of the manifest directory customers sets `orders_retention`",
        ));
    assert!(sim.requests().is_empty(), "nothing was looked up");
    assert!(!ws.path().join("customers/request-0046.yaml").exists());
    import(&sim)
        .args(["--into", "x.yaml", "--orders", "erase", JANE])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("invalid value 'erase'"));
}

/// A guest order already listed in the directory is left out and named; a customer listed elsewhere
/// without `orders: redact` is named so a reviewer can add it; the directory stays valid.
#[test]
fn orders_already_listed_are_left_out_and_a_customer_listed_without_orders_redact_is_named() {
    let sim = people_with_orders();
    let ws = Workspace::new();
    ws.write("customers/retention.yaml", RETENTION);
    ws.write(
        "customers/earlier.yaml",
        "version: 1\nabsent:\n  - id: 11\n    reason: \"DSR-1\"\nredact_orders:\n  - id: 105\n    reason: \"DSR-1\"\n",
    );
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into",
            "customers/request-0047.yaml",
            "--orders",
            "redact",
        ])
        .args(["--reason", "DSR-2026-0047", JANE])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        stdout.contains("Left out order 105: already listed at customers/earlier.yaml:6:9"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Customer 11 is already listed at customers/earlier.yaml:3:9 without `orders: redact`"
        ),
        "{stdout}"
    );
    let manifest = load(&ws.path().join("customers"));
    assert_eq!(ids(&manifest.orders.redact_orders), [105, 104, 106]);
    assert_eq!(manifest.orders.redact_customers, [12].into_iter().collect());
}

/// V2 listings have no pagination figures: the order lookup must neither loop on a page the store
/// repeats nor follow pages that never end (an invalid response, exit 1, nothing written), and a page
/// short of the limit with more after it must not hide a guest's orders (one more page is asked).
#[test]
fn an_order_lookup_refuses_repeated_or_endless_pages_and_looks_past_a_short_one() {
    use bcprune::sim::HostileOrders;
    for (mode, expect) in [
        (HostileOrders::RepeatedPage, Err("the pages repeat")),
        (HostileOrders::EndlessPages, Err("the listing does not end")),
        (HostileOrders::ShortPageThenMore, Ok(())),
    ] {
        let sim = store_with(
            SimConfig::default()
                .customers(5)
                .unlimited()
                .guest_orders(JANE_LOWER, 300)
                .hostile_orders(mode),
        );
        let ws = Workspace::new();
        ws.write("retention.yaml", RETENTION);
        let mut cmd = import(&sim);
        cmd.current_dir(ws.path())
            .args(["--into", "request.yaml", "--orders", "redact"])
            .args(["--reason", "DSR-2026-0048", JANE_LOWER])
            // Endless pages are followed to the cap (200 pages of 250 orders, both query forms): a
            // debug build on a loaded 2-core machine may pass `import`'s usual 60 s.
            .timeout(std::time::Duration::from_secs(300));
        match expect {
            Err(message) => {
                cmd.assert()
                    .code(1)
                    .stderr(predicate::str::contains(message));
                assert!(!ws.path().join("request.yaml").exists(), "{mode:?}");
            }
            Ok(()) => {
                cmd.assert().success();
                // Pages of 249 while more follow: all 300, not the first page's 249.
                let manifest = load(ws.path());
                assert_eq!(
                    ids(&manifest.orders.redact_orders),
                    (100..400).collect::<Vec<u32>>()
                );
            }
        }
    }
}

/// PRODUCT §14 for orders too: a store that folds `\u{212A}ane@…` onto `kane@…` answers Kane's guest
/// orders; they are not taken (a warning gives their IDs), while ASCII case alone is ignored.
#[test]
fn a_look_alike_address_never_takes_another_persons_orders() {
    let sim = store_with(
        SimConfig::default()
            .customers(5)
            .unlimited()
            .email_match(EmailMatch::IgnoreCase)
            .guest_orders("kane@shop.test", 2),
    );
    let ws = Workspace::new();
    ws.write("retention.yaml", RETENTION);
    let output = import(&sim)
        .current_dir(ws.path())
        .args([
            "--into", "r.yaml", "--orders", "redact", "--reason", "GDPR 17",
        ])
        .arg("\u{212A}ane@shop.test")
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 orders (100, 101) whose billing email is not exactly the address"),
        "{stderr}"
    );
    assert!(load(ws.path()).orders.redact_orders.is_empty());
    import(&sim)
        .current_dir(ws.path())
        .args([
            "--into", "s.yaml", "--orders", "redact", "--reason", "GDPR 18",
        ])
        .arg("Kane@SHOP.test")
        .assert()
        .success();
    let text = std::fs::read_to_string(ws.path().join("s.yaml")).expect("written");
    assert!(text.contains("redact_orders:\n  - id: 100\n"), "{text}");
    assert!(text.contains("  - id: 101\n"), "{text}");
}
