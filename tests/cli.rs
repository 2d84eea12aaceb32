//! The command line as a program: argument errors exit 1 naming the argument, closed pipes end quietly,
//! hostile files (FIFO, device, directory, symlink, two roles on one file) are refused before anything
//! is written, `force-unlock`, completions and the man page.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Workspace, bcprune, bcprune_at, manifest_yaml, store};

const SUBCOMMANDS: [&str; 11] = [
    "validate",
    "plan",
    "apply",
    "show",
    "audit",
    "schema",
    "force-unlock",
    "completions",
    "man",
    "demo",
    "sim",
];

#[test]
fn a_flag_a_command_does_not_take_exits_1_naming_it() {
    let out = bcprune()
        .args(["schema", "manifest", "--batch-size", "3"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8_lossy(&out);
    assert!(stderr.contains("--batch-size"), "{stderr}");
    let out = bcprune()
        .args(["plan", "--bogus", "m.yaml"])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("--bogus"));
    // Every argument error is 1, never clap's 2 (which --detailed-exitcode reads as "pending").
    bcprune().assert().code(1);
    bcprune().args(["plan"]).assert().code(1);
    bcprune()
        .args(["apply", "--batch-size", "251", "m.yaml"])
        .assert()
        .code(1);
    bcprune()
        .args(["validate", "--state", "s.json", "m.yaml"])
        .assert()
        .code(1);
}

#[test]
fn help_and_version_exit_0() {
    bcprune().arg("--help").assert().success();
    bcprune().args(["plan", "--help"]).assert().success();
    bcprune().arg("--version").assert().success();
}

#[test]
fn the_test_knobs_are_hidden_arguments_with_their_env_names() {
    let out = bcprune()
        .args(["plan", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8_lossy(&out);
    assert!(
        !help.contains("retry-policy") && !help.contains("BCPRUNE_"),
        "{help}"
    );
    // A bad value is an error now, not silently ignored.
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    bcprune()
        .env("BCPRUNE_TIMEOUT_MS", "soon")
        .args(["plan"])
        .arg(&manifest)
        .assert()
        .code(1);
}

/// Run `cmd` with stdout (or stderr) a pipe whose reading end is closed before it starts (as after
/// `| head -c 1` has read its byte), waiting at most 60 s; the exit code and the other stream.
fn run_with_closed(mut cmd: std::process::Command, close_stdout: bool) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    if close_stdout {
        cmd.stdout(writer).stderr(Stdio::piped());
    } else {
        cmd.stdout(Stdio::piped()).stderr(writer);
    }
    let mut child = cmd.spawn().expect("spawn");
    let mut other = String::new();
    let stream: Box<dyn Read> = match (child.stdout.take(), child.stderr.take()) {
        (Some(out), _) => Box::new(out),
        (_, Some(err)) => Box::new(err),
        (None, None) => unreachable!("one stream is piped"),
    };
    let mut stream = stream;
    let _ = stream.read_to_string(&mut other);
    (wait_bounded(&mut child), other)
}

fn wait_bounded(child: &mut std::process::Child) -> Option<i32> {
    for _ in 0..600 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("bcprune did not finish within 60 s");
}

fn binary() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bcprune"));
    for var in [
        "BIGCOMMERCE_STORE_HASH",
        "BIGCOMMERCE_ACCESS_TOKEN",
        "BIGCOMMERCE_API_URL",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let mut schema = binary();
    schema.args(["schema", "manifest"]);
    let (code, stderr) = run_with_closed(schema, true);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr, "", "nothing to say: the reader went away");

    let sim = store(5);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let mut plan = binary();
    plan.env("BIGCOMMERCE_API_URL", sim.base_url())
        .env("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN)
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .arg("plan")
        .arg(&manifest);
    let (code, stderr) = run_with_closed(plan, true);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_closed_stderr_does_not_panic() {
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", "version: 1\nabsent: [oops\n");
    let mut validate = binary();
    validate.arg("validate").arg(&manifest);
    let (code, _) = run_with_closed(validate, false);
    assert_eq!(
        code,
        Some(1),
        "the manifest error's exit code, not a panic's 101"
    );
    // A command that prints progress on stderr: plan against a store.
    let sim = store(5);
    let manifest = ws.write("ok.yaml", manifest_yaml(&[1, 2], ""));
    let mut plan = binary();
    plan.env("BIGCOMMERCE_API_URL", sim.base_url())
        .env("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN)
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest);
    let (code, stdout) = run_with_closed(plan, false);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains("Plan: 2 to delete"), "{stdout}");
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_fifo_or_device_is_refused_not_read_forever() {
    let ws = Workspace::new();
    let fifo = ws.path().join("plan.json");
    mkfifo(&fifo);
    for args in [vec!["show"], vec!["audit", "verify", "--log"]] {
        let out = bcprune()
            .args(&args)
            .arg(&fifo)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(1)
            .get_output()
            .stderr
            .clone();
        let stderr = String::from_utf8_lossy(&out);
        assert!(stderr.contains("a FIFO (named pipe)"), "{args:?}: {stderr}");
    }
    let out = bcprune()
        .args(["show", "/dev/zero"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("not a regular file"));
    bcprune()
        .arg("show")
        .arg(ws.path())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("a directory"));

    // A FIFO as the state file: plan refuses it before any request.
    let sim = store(5);
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let state = ws.path().join("state.json");
    mkfifo(&state);
    bcprune_at(&sim)
        .args(["plan", "--state"])
        .arg(&state)
        .arg(&manifest)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("a FIFO"));
    // And as the audit log: apply refuses before any DELETE.
    let audit = ws.path().join("audit.jsonl");
    mkfifo(&audit);
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--audit-log"])
        .arg(&audit)
        .arg(&manifest)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("a FIFO"));
    assert_eq!(crate::support::deletes(&sim), Vec::<Vec<u32>>::new());
}

#[test]
fn two_roles_on_one_file_are_refused_before_anything_is_written() {
    let sim = store(5);
    let ws = Workspace::new();
    let text = manifest_yaml(&[1, 2], "");
    let manifest = ws.write("m.yaml", &text);
    bcprune_at(&sim)
        .args(["plan", "--out"])
        .arg(&manifest)
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "--out and a manifest file are the same file",
        ));
    assert_eq!(std::fs::read_to_string(&manifest).expect("read"), text);

    let shared = ws.path().join("shared.json");
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--state"])
        .arg(&shared)
        .arg("--audit-log")
        .arg(ws.path().join(".").join("shared.json"))
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "the state file and the audit log are the same file",
        ));
    assert!(!shared.exists());
    assert_eq!(crate::support::deletes(&sim), Vec::<Vec<u32>>::new());
}

#[test]
fn a_symlinked_state_file_is_refused_and_its_target_left_alone() {
    let sim = store(5);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .success();
    let target = ws.path().join("bcprune.state.json");
    let before = std::fs::read_to_string(&target).expect("state");
    let link = ws.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--state"])
        .arg(&link)
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("is a symbolic link"))
        .stderr(predicates::str::contains("pass the target's path instead"));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).expect("state"), before);
    assert_eq!(crate::support::deletes(&sim), vec![vec![1, 2]]);
}

#[test]
fn force_unlock_removes_a_lock_only_with_its_id() {
    let sim = store(5);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let lock = ws.path().join("bcprune.state.json.lock");
    std::fs::write(
        &lock,
        r#"{"pid":4242,"host":"ci-runner-that-vanished","started_at":"2026-11-28T20:00:00Z","run_id":"8f0c"}"#,
    )
    .expect("write lock");
    // The lock-held message names the lock ID and the command that clears it.
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("lock ID 8f0c"))
        .stderr(predicates::str::contains(
            "bcprune force-unlock 8f0c --state",
        ));
    bcprune()
        .args(["force-unlock", "nope"])
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("has lock ID 8f0c, not nope"));
    assert!(lock.exists());
    bcprune()
        .args(["force-unlock", "8f0c"])
        .arg(&manifest)
        .assert()
        .success()
        .stderr(predicates::str::contains("Removed the lock"));
    assert!(!lock.exists());
    bcprune()
        .args(["force-unlock", "8f0c", "--state"])
        .arg(ws.path().join("bcprune.state.json"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nothing to unlock"));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .success();
}

#[test]
fn completions_for_every_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = bcprune()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8_lossy(&out);
        assert!(script.contains("bcprune"), "{shell}");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completions lack {sub}");
        }
        assert!(script.contains("detailed-exitcode"), "{shell}");
    }
    bcprune().args(["completions", "tcsh"]).assert().code(1);
}

#[test]
fn the_man_page_is_roff_naming_every_command_and_flag() {
    let out = bcprune()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let page = String::from_utf8_lossy(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH bcprune"),
        "{page}"
    );
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&sub.replace('-', "\\-")),
            "the man page lacks {sub}"
        );
        assert!(
            page.contains(&format!(".SH \"BCPRUNE {}\"", sub.to_uppercase())),
            "{sub}"
        );
    }
    assert!(page.contains("detailed\\-exitcode"), "{page}");
    assert!(page.contains(".SH \"BCPRUNE AUDIT VERIFY\""), "{page}");
    assert!(
        page.contains("expect\\-head"),
        "audit verify's flags: {page}"
    );
    for section in ["ENVIRONMENT", "FILES", "EXIT STATUS"] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    assert!(page.contains("BIGCOMMERCE_ACCESS_TOKEN"), "{page}");
    assert!(
        !page.contains("(1)"),
        "the one page names no page that is not there: {page}"
    );
}

#[test]
fn man_out_dir_writes_a_page_per_command_each_with_environment_files_and_exit_status() {
    let ws = Workspace::new();
    let dir = ws.path().join("man/man1");
    bcprune()
        .args(["man", "--out-dir"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicates::str::contains("man pages to"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec![
        "bcprune.1".to_string(),
        "bcprune-audit-verify.1".to_string(),
    ];
    want.extend(SUBCOMMANDS.iter().map(|s| format!("bcprune-{s}.1")));
    for name in &want {
        assert!(names.contains(name), "{name} in {names:?}");
    }
    for name in &names {
        let page = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(page.contains(".TH "), "{name}");
        assert!(page.contains(".SH \"EXIT STATUS\""), "{name}");
        assert!(page.contains(".SH \"SEE ALSO\""), "{name}");
    }
    let apply = std::fs::read_to_string(dir.join("bcprune-apply.1")).unwrap();
    for needle in [
        ".SH \"ENVIRONMENT\"",
        "BIGCOMMERCE_ACCESS_TOKEN",
        ".SH \"FILES\"",
        "bcprune.state.json.lock",
        "\\fB4\\fR",
    ] {
        assert!(apply.contains(needle), "{needle}: {apply}");
    }
    // Not a directory: exit 1 naming the path.
    let file = ws.write("not-a-dir", "x");
    bcprune()
        .args(["man", "--out-dir"])
        .arg(file.join("sub"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not-a-dir"));
}

#[test]
fn apply_with_a_closed_stdout_deletes_nothing_and_leaves_no_lock() {
    let sim = store(5);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let mut apply = binary();
    apply
        .env("BIGCOMMERCE_API_URL", sim.base_url())
        .env("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN)
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .args(["apply", "--auto-approve"])
        .arg(&manifest);
    let (code, stderr) = run_with_closed(apply, true);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!ws.path().join("bcprune.state.json.lock").exists());
    assert_eq!(crate::support::deletes(&sim), Vec::<Vec<u32>>::new());
}

/// PRODUCT §1 / issue 9.9: `-v` lists the manifest files read, in the order they are merged, and a
/// hidden file is not among them.
#[test]
fn verbose_lists_the_manifest_files_read_in_merge_order() {
    let ws = crate::support::Workspace::new();
    ws.write("m/a.yaml", "version: 1\nabsent: [1]\n");
    ws.write("m/2026/11/B.YML", "version: 1\nabsent: [2]\n");
    ws.write("m/.hidden/c.yaml", "version: 1\nabsent: [3]\n");
    let output = crate::support::bcprune()
        .args(["validate", "-v"])
        .arg(ws.path().join("m"))
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let listed: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.split("read manifest file ").nth(1))
        .collect();
    let dir = ws.path().join("m");
    assert_eq!(
        listed,
        [
            dir.join("2026/11/B.YML").display().to_string(),
            dir.join("a.yaml").display().to_string()
        ],
        "{stderr}"
    );
    let quiet = crate::support::bcprune()
        .arg("validate")
        .arg(&dir)
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("read manifest file"));
}

/// An apply that keeps its log elsewhere (`--audit-log`) gets the same log's head in the plan
/// comment, as PRODUCT §10 asks, when plan is given the same flag.
#[test]
fn plan_reads_the_audit_head_from_the_log_apply_was_given() {
    let sim = store(10);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let log = ws.path().join("records").join("erasures.jsonl");
    std::fs::create_dir_all(log.parent().expect("dir")).expect("mkdir");
    let applied = bcprune_at(&sim)
        .args(["apply", "--auto-approve", "--audit-log"])
        .arg(&log)
        .arg(&manifest)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&applied.get_output().stdout).to_string();
    let head = stdout
        .split(", head ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .expect("apply prints the head")
        .to_string();
    let grown = ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    bcprune_at(&sim)
        .args(["plan", "--format", "markdown", "--audit-log"])
        .arg(&log)
        .arg(&grown)
        .assert()
        .success()
        .stdout(predicates::str::contains(format!("audit head `{head}`")));
    // Without it, plan looks beside the state, where there is no log.
    bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&grown)
        .assert()
        .success()
        .stdout(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains("audit head"),
        ));
}

/// Run bcprune with its data segment capped at `data_mib` MiB (`prlimit --data`): a command that tried to
/// hold a file of 1 GiB (or an endless input) in memory dies of a failed allocation instead of passing.
fn run_with_memory_cap(
    data_mib: u64,
    dir: &Path,
    args: &[&str],
    env: &[(&str, String)],
    stdin: Stdio,
) -> (Option<i32>, String) {
    let started = std::time::Instant::now();
    let output = std::process::Command::new("prlimit")
        .arg(format!("--data={}", data_mib * 1024 * 1024))
        .arg("--")
        .arg(assert_cmd::cargo::cargo_bin("bcprune"))
        .args(args)
        .current_dir(dir)
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .env_remove("BIGCOMMERCE_ACCESS_TOKEN")
        .env_remove("BIGCOMMERCE_API_URL")
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(stdin)
        .output()
        .expect("run bcprune under prlimit");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{args:?} took {:?}: {stderr}",
        started.elapsed()
    );
    (output.status.code(), stderr)
}

/// A sparse file of `gib` GiB: no disk used, and nothing in it worth reading.
fn sparse(path: &Path, gib: u64) {
    let file = std::fs::File::create(path).expect("create");
    file.set_len(gib * 1024 * 1024 * 1024).expect("set_len");
}

#[test]
fn every_file_over_its_cap_is_refused_by_its_size_before_it_is_read() {
    let sim = store(5);
    let env = vec![
        ("BIGCOMMERCE_API_URL", sim.base_url()),
        (
            "BIGCOMMERCE_ACCESS_TOKEN",
            bcprune::sim::READ_WRITE_TOKEN.to_string(),
        ),
        ("BIGCOMMERCE_STORE_HASH", "demo42".to_string()),
        ("BCPRUNE_RETRY", "base_ms=2,cap_ms=50".to_string()),
    ];
    // Each case in a directory of its own: a 3 GiB file in the role named, everything else normal.
    // `show` only warns about a state it cannot read (PRODUCT §2): exit 0, with the reason.
    let cases: [(&str, &[&str]); 15] = [
        ("big.plan.json", &["show", "big.plan.json"]),
        (
            "bcprune.audit.jsonl",
            &["apply", "--auto-approve", "m.yaml"],
        ),
        ("bcprune.audit.jsonl", &["report", "m.yaml"]),
        ("bcprune.state.json", &["audit", "verify"]),
        (
            "big.yaml",
            &[
                "import",
                "--into",
                "new.yaml",
                "--reason",
                "GDPR 1",
                "x@example.com",
            ],
        ),
        (
            "big.plan.json",
            &["apply", "--plan", "big.plan.json", "m.yaml"],
        ),
        ("bcprune.state.json", &["plan", "m.yaml"]),
        ("bcprune.state.json", &["apply", "--auto-approve", "m.yaml"]),
        ("bcprune.state.json", &["report", "m.yaml"]),
        ("bcprune.state.json", &["show", "small.plan.json"]),
        (
            "bcprune.audit.jsonl",
            &["audit", "verify", "--log", "bcprune.audit.jsonl"],
        ),
        (
            "bcprune.state.json.lock",
            &["apply", "--auto-approve", "m.yaml"],
        ),
        (
            "bcprune.state.json.lock",
            &["force-unlock", "8f0c", "m.yaml"],
        ),
        (
            "big.csv",
            &[
                "import", "--into", "new.yaml", "--reason", "GDPR 1", "--from", "big.csv",
            ],
        ),
        ("big.yaml", &["validate", "big.yaml"]),
    ];
    for (big, args) in cases {
        let ws = Workspace::new();
        let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
        if args.contains(&"small.plan.json") {
            crate::support::save_plan(&sim, &ws, &manifest);
            std::fs::rename(
                ws.path().join("plan.json"),
                ws.path().join("small.plan.json"),
            )
            .expect("rename the saved plan");
        }
        sparse(&ws.path().join(big), 3);
        let (code, stderr) = run_with_memory_cap(128, ws.path(), args, &env, Stdio::null());
        let expected = if args.contains(&"small.plan.json") {
            0
        } else {
            1
        };
        assert_eq!(code, Some(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("is larger than"), "{args:?}: {stderr}");
    }
    assert_eq!(crate::support::deletes(&sim), Vec::<Vec<u32>>::new());

    // Standard input: a 3 GiB file behind `<` is refused by its size; an endless pipe after the cap,
    // never cut short silently.
    let ws = Workspace::new();
    ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let big = ws.path().join("big.txt");
    sparse(&big, 3);
    let import = ["import", "--into", "new.yaml", "--reason", "GDPR 1", "-"];
    let file = std::fs::File::open(&big).expect("open");
    let (code, stderr) = run_with_memory_cap(128, ws.path(), &import, &env, Stdio::from(file));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is larger than 64 MiB"), "{stderr}");
    let zero = std::fs::File::open("/dev/zero").expect("open /dev/zero");
    let (code, stderr) = run_with_memory_cap(128, ws.path(), &import, &env, Stdio::from(zero));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is larger than 64 MiB"), "{stderr}");
    // The approval prompt reads one short answer, not an endless line.
    let zero = std::fs::File::open("/dev/zero").expect("open /dev/zero");
    let (code, stderr) = run_with_memory_cap(
        128,
        ws.path(),
        &["apply", "m.yaml"],
        &env,
        Stdio::from(zero),
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(crate::support::deletes(&sim), Vec::<Vec<u32>>::new());
}

/// The long help of the commands orders and requests touched, as a newcomer reads it: it points at
/// nothing they do not have (the product contract is not shipped), says orders where orders are
/// handled, and shows an example of the new flags.
#[test]
fn help_of_the_order_and_request_commands_explains_them_without_internal_references() {
    let help = |args: &[&str]| {
        let out = bcprune()
            .args(args)
            .arg("--help")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8_lossy(&out).to_string()
    };
    let commands: [&[&str]; 7] = [
        &["plan"],
        &["apply"],
        &["report"],
        &["import"],
        &["audit", "verify"],
        &["sim"],
        &["show"],
    ];
    for args in commands {
        let text = help(args);
        assert!(!text.contains("PRODUCT"), "{args:?}:\n{text}");
    }
    let plan = help(&["plan"]);
    assert!(plan.contains("delete and redact"), "{plan}");
    assert!(plan.contains("/v2/orders"), "the orders' URLs too:\n{plan}");
    assert!(
        plan.contains("Exit 2 when deletions or redactions are pending"),
        "{plan}"
    );
    let apply = help(&["apply"]);
    assert!(apply.contains("delete and redact"), "{apply}");
    let report = help(&["report"]);
    for example in [
        "bcprune report customers/ --by request",
        "bcprune report customers/ --receipt DSR-2026-0043 --format json --out receipt.json",
        "retention ended",
    ] {
        assert!(report.contains(example), "{example:?} in:\n{report}");
    }
    let import = help(&["import"]);
    assert!(
        import.contains("--request DSR-2026-0043 --orders redact"),
        "{import}"
    );
    let verify = help(&["audit", "verify"]);
    assert!(
        verify.contains("bcprune audit verify customers/ --receipt receipt.json"),
        "{verify}"
    );
    let sim = help(&["sim"]);
    assert!(
        sim.contains("bcprune sim --orders 5:3 --guest-orders guest@example.com:2"),
        "{sim}"
    );
}
