//! Integration tests: `plan` and `show` against the fake store.

use crate::support::*;

#[test]
fn plan_lists_existing_ids_as_delete_and_missing_ones_as_absent() {
    let sim = store(50);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[3, 1, 70, 2], ""));
    let output = bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    insta::assert_snapshot!("plan_table", stdout);
    // The stable summary line, then what apply would cost (PRODUCT §17).
    assert!(stdout.contains("\nPlan: 3 to delete, 1 already absent.\nApply: about 3 requests, "));
    assert_eq!(count(&sim, "GET"), 1);
    assert_eq!(count(&sim, "DELETE"), 0, "plan never deletes");
}

#[test]
fn plan_uses_one_get_per_250_ids() {
    let sim = store(1000);
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=600).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .success();
    let gets: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets.len(), 3, "⌈600/250⌉ GETs");
    for get in &gets {
        assert!(get.query.contains("limit=250"), "{}", get.query);
        assert!(get.ids.as_ref().is_some_and(|ids| ids.len() <= 250));
    }
}

#[test]
fn detailed_exitcode_is_2_with_pending_deletions_and_0_without() {
    let sim = store(20);
    let ws = Workspace::new();
    let pending = ws.write("pending.yaml", manifest_yaml(&[5], ""));
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&pending)
        .assert()
        .code(2);
    let nothing = ws.write("nothing.yaml", manifest_yaml(&[500], ""));
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&nothing)
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "Plan: 0 to delete, 1 already absent.",
        ));
}

#[test]
fn an_invalid_manifest_sends_nothing() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", "version: 1\nabsnet: [1]\n");
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("m.yaml:2:1"));
    assert!(
        sim.requests().is_empty(),
        "no request for an invalid manifest"
    );
}

#[test]
fn json_plan_is_the_saved_document_without_personal_data() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[4, 99], ""));
    let out = ws.path().join("plan.json");
    let output = bcprune_at(&sim)
        .args(["plan", "--format", "json", "--out"])
        .arg(&out)
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let saved = read_json(&out);
    assert_eq!(printed["changes"], saved["changes"]);
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["store_hash"], "demo42");
    assert_eq!(saved["state"], serde_json::Value::Null);
    // Relative to the plan file (PRODUCT §17), in the file and in what `--format json` prints.
    assert_eq!(saved["manifest"]["path"], "m.yaml");
    assert_eq!(saved["manifest"]["relative_to_plan"], true);
    assert_eq!(printed["manifest"], saved["manifest"]);
    assert_eq!(saved["summary"]["to_delete"], 1);
    let change = &saved["changes"][0];
    assert_eq!(change["id"], 4);
    assert_eq!(change["action"], "delete");
    assert!(change["date_modified"].is_string());
    let email = change["email_masked"].as_str().expect("masked email");
    assert!(email.contains("***@"), "{email}");
    // The only '@' in the document are in masked emails.
    let text = std::fs::read_to_string(&out).expect("read plan");
    assert_eq!(text.matches('@').count(), text.matches("***@").count());
    assert!(!text.contains(bcprune::sim::READ_WRITE_TOKEN));
}

#[test]
fn markdown_plan_for_a_pull_request_comment() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 300], ""));
    let output = bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    // The header line names the manifest path and time, which vary: snapshot the rest.
    let stable: Vec<&str> = text.lines().filter(|l| !l.contains("Manifest `")).collect();
    insta::assert_snapshot!("plan_markdown", stable.join("\n"));
}

#[test]
fn diff_shows_each_record_before_and_after_masked() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[7], ""));
    let output = bcprune_at(&sim)
        .args(["plan", "--diff"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("--- customer 7 (before)"), "{text}");
    assert!(text.contains("+++ customer 7 (after: deleted)"), "{text}");
    assert!(text.contains("-  \"id\": 7,"), "{text}");
    assert!(text.contains("***@"), "{text}");
}

#[test]
fn the_target_store_must_agree_with_the_manifest() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], "store_hash: other\n"));
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("store_hash: other"));
    assert!(sim.requests().is_empty());
}

#[test]
fn a_missing_token_is_a_clear_error() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    bcprune_at(&sim)
        .env_remove("BIGCOMMERCE_ACCESS_TOKEN")
        .arg("plan")
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("BIGCOMMERCE_ACCESS_TOKEN"));
    assert!(sim.requests().is_empty());
}

#[test]
fn show_renders_a_saved_plan_and_warns_when_it_went_stale() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    let requests = sim.requests().len();
    bcprune()
        .arg("show")
        .arg(&plan)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "Plan: 2 to delete, 0 already absent.",
        ))
        .stderr(predicates::str::is_empty());
    ws.write("m.yaml", manifest_yaml(&[1, 2, 3], ""));
    bcprune()
        .arg("show")
        .arg(&plan)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "the manifest changed since the plan",
        ));
    assert_eq!(sim.requests().len(), requests, "show is offline");
}

#[test]
fn markdown_says_why_a_plan_failed_or_was_refused() {
    let sim = store(20);
    let ws = Workspace::new();
    // A bad manifest: the comment says what failed; stderr and the exit code are as without markdown.
    let bad = ws.write("bad.yaml", "version: 1\nabsnet: [1]\n");
    let output = bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.starts_with(
            "<!-- bcprune:plan store=demo42 -->\n### ❌ bcprune plan failed for store `demo42` (exit 1)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("bad.yaml:2:1: error: "), "{stdout}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(stderr.contains("bad.yaml:2:1"), "{stderr}");

    // The store from the manifest when no flag or environment names it.
    let output = bcprune_at(&sim)
        .env_remove("BIGCOMMERCE_STORE_HASH")
        .env_remove("BIGCOMMERCE_ACCESS_TOKEN")
        .args(["plan", "--format", "markdown"])
        .arg(ws.write("m.yaml", manifest_yaml(&[1], "store_hash: acme42\n")))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("<!-- bcprune:plan store=acme42 -->\n")
            && stdout.contains("BIGCOMMERCE_ACCESS_TOKEN"),
        "{stdout}"
    );

    // A guard refusal (exit 3): the plan, with the refusal first.
    let many = ws.write("many.yaml", manifest_yaml(&[1, 2, 3], "max_deletes: 2\n"));
    let output = bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&many)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        stdout.starts_with("<!-- bcprune:plan store=demo42 -->\n### ❌ Refused"),
        "{stdout}"
    );
    assert!(stdout.contains("over the 2 allowed"), "{stdout}");
    assert_eq!(stdout.matches("| customer |").count(), 3, "{stdout}");
    assert_eq!(count(&sim, "DELETE"), 0);
}

#[test]
fn markdown_diff_is_fenced_inside_the_comment() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[7], ""));
    let output = bcprune_at(&sim)
        .args(["plan", "--format", "markdown", "--diff"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("\n```diff\n--- customer 7 (before)\n+++ customer 7 (after: deleted)\n"),
        "{text}"
    );
    let fence_closed = text
        .split("```diff\n")
        .nth(1)
        .is_some_and(|rest| rest.contains("\n```\n"));
    assert!(fence_closed, "{text}");
    assert!(
        text.trim_end().ends_with("stored payment instruments."),
        "the diff is inside the comment, not after it: {text}"
    );
}

#[test]
fn a_plan_of_customers_and_subscribers_lists_each_resource_once_and_counts_both() {
    let sim = people(50, 50);
    let ws = Workspace::new();
    let mut text = manifest_yaml(&[3, 70], "");
    text.push_str("absent_subscribers:\n  - 3\n  - 4\n  - 900\n");
    let manifest = ws.write("m.yaml", text);
    let plan = ws.path().join("plan.json");
    let output = bcprune_at(&sim)
        .args(["plan", "--out"])
        .arg(&plan)
        .arg(&manifest)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stdout.contains("Plan: 3 to delete, 2 already absent."),
        "{stdout}"
    );
    assert!(
        stderr.contains("Listed 2 customers and 3 subscribers in store demo42 (2 requests)."),
        "{stderr}"
    );
    assert_eq!(count(&sim, "GET"), 2, "one per resource");
    assert_eq!(count(&sim, "DELETE"), 0, "plan never deletes");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("json");
    let planned_subscribers = saved["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["resource"] == "subscriber" && c["action"] == "delete")
        .count();
    assert_eq!(planned_subscribers, 2, "{saved}");
    assert_eq!(saved["refresh_all"], false);
    // Applying the saved plan deletes exactly those, subscribers one by one, never the collection.
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success();
    // Sent concurrently (--parallelism 3), so in either order.
    let mut sent = subscriber_deletes(&sim);
    sent.sort_unstable();
    assert_eq!(sent, vec![3, 4]);
    assert_eq!(customer_deletes(&sim), vec![vec![3]]);
    assert_no_collection_delete(&sim);
}

/// PRODUCT §17: a plan saved with `--out` names its manifest relative to the plan file, so `show` and
/// `apply --plan` work from any directory.
#[test]
fn a_saved_plan_finds_its_manifest_from_any_directory() {
    let sim = store(20);
    let ws = Workspace::new();
    ws.write("repo/customers/m.yaml", manifest_yaml(&[1, 2], ""));
    std::fs::create_dir_all(ws.path().join("plans")).expect("mkdir");
    std::fs::create_dir_all(ws.path().join("elsewhere")).expect("mkdir");
    bcprune_at(&sim)
        .current_dir(ws.path().join("repo"))
        .args(["plan", "customers/m.yaml", "--out", "../plans/plan.json"])
        .assert()
        .success();
    let plan = ws.path().join("plans/plan.json");
    assert_eq!(
        read_json(&plan)["manifest"]["path"],
        format!("..{0}repo{0}customers{0}m.yaml", std::path::MAIN_SEPARATOR)
    );
    bcprune()
        .current_dir(ws.path().join("elsewhere"))
        .args(["show", "../plans/plan.json"])
        .assert()
        .success()
        .stderr(predicates::str::is_empty());
    bcprune_at(&sim)
        .current_dir(ws.path().join("elsewhere"))
        .args(["apply", "--plan", "../plans/plan.json"])
        .assert()
        .success();
    assert_eq!(
        state_deleted(&ws.path().join("repo/customers/bcprune.state.json")),
        vec![(1, true), (2, true)]
    );
}

/// A plan saved before bcprune recorded the path relative to the plan file is read as it always was:
/// the path as given, from the current directory.
#[test]
fn an_older_saved_plan_reads_its_manifest_path_as_given() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write("repo/m.yaml", manifest_yaml(&[3], ""));
    let plan = save_plan(&sim, &ws, &manifest);
    let mut document = read_json(&plan);
    document["manifest"]
        .as_object_mut()
        .expect("manifest")
        .remove("relative_to_plan");
    document["manifest"]["path"] = "repo/m.yaml".into();
    std::fs::write(&plan, serde_json::to_vec_pretty(&document).expect("json")).expect("write");
    bcprune()
        .current_dir(ws.path())
        .arg("show")
        .arg(&plan)
        .assert()
        .success()
        .stderr(predicates::str::is_empty());
    bcprune_at(&sim)
        .current_dir(ws.path())
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success();
    assert_eq!(
        state_deleted(&ws.path().join("repo/bcprune.state.json")),
        vec![(3, true)]
    );
}

/// PRODUCT §13/§17: the failed-plan comment is wrapped (a fenced block does not wrap on GitHub), and its
/// advice is the one that can help: a fork gets no secrets however often it pushes.
#[test]
fn a_failed_plan_comment_is_wrapped_and_its_advice_fits_the_failure() {
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let comment = |cmd: &mut assert_cmd::Command| {
        let output = cmd
            .args(["plan", "--format", "markdown"])
            .arg(&manifest)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        String::from_utf8(output.stdout).expect("utf-8")
    };
    // A fork's pull request on GitHub Actions: no token, and pushing cannot help.
    let fork = comment(
        bcprune()
            .env("GITHUB_ACTIONS", "true")
            .env("BIGCOMMERCE_STORE_HASH", "demo42"),
    );
    assert!(
        fork.contains(
            "On GitHub Actions, a pull request from a fork runs without the repository's secrets, so \
             there is no token to plan with, and pushing again will not change that. A maintainer can \
             push the branch to this repository to get a plan."
        ),
        "{fork}"
    );
    assert!(!fork.contains("push again:"), "{fork}");
    // A store that cannot be reached: the error, wrapped; re-run, not push.
    let refused = comment(
        bcprune()
            .env("BIGCOMMERCE_API_URL", "http://127.0.0.1:9")
            .env(
                "BIGCOMMERCE_ACCESS_TOKEN",
                "k7vq2xw9refusedconnectiontoken31",
            )
            .env("BIGCOMMERCE_STORE_HASH", "demo42")
            .env("BCPRUNE_RETRY", "base_ms=1,cap_ms=2"),
    );
    let fenced: Vec<&str> = refused
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a text block")
        .lines()
        .collect();
    assert!(fenced.len() > 1, "the long error is wrapped: {refused}");
    for line in &fenced {
        assert!(line.chars().count() <= 90, "{line:?} in {refused}");
    }
    assert!(refused.contains("re-run the job"), "{refused}");
    assert!(!refused.contains("push again"), "{refused}");
    // The manifest's fault: fix it and push again.
    let bad = ws.write("bad.yaml", "version: 1\nabsnet: [1]\n");
    let output = bcprune()
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .args(["plan", "--format", "markdown"])
        .arg(&bad)
        .output()
        .expect("run");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        text.contains("Fix what it says and push again: this comment is replaced by the plan."),
        "{text}"
    );
}

/// PRODUCT §17: a store that cannot be reached is named with where its URL came from, the advice is to
/// check that URL (not to wait), and the retry warnings show no Rust module paths.
#[test]
fn a_refused_connection_names_the_url_and_where_it_came_from() {
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1], ""));
    let run = |cmd: &mut assert_cmd::Command, flags: &[&str]| {
        let output = cmd
            // A realistic token: the scrubber would otherwise erase every `t` of the evidence.
            .env(
                "BIGCOMMERCE_ACCESS_TOKEN",
                "k7vq2xw9refusedconnectiontoken31",
            )
            .env("BIGCOMMERCE_STORE_HASH", "demo42")
            .env("BCPRUNE_RETRY", "base_ms=1,cap_ms=2")
            .arg("plan")
            .args(flags)
            .arg(&manifest)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        String::from_utf8(output.stderr).expect("utf-8")
    };
    let from_env = run(
        bcprune().env("BIGCOMMERCE_API_URL", "http://127.0.0.1:9"),
        &[],
    );
    assert!(
        from_env
            .contains("nothing reached http://127.0.0.1:9, the API URL from BIGCOMMERCE_API_URL."),
        "{from_env}"
    );
    assert!(
        from_env.contains("Check the API URL (--api-url or BIGCOMMERCE_API_URL"),
        "{from_env}"
    );
    assert!(!from_env.contains("try again later"), "{from_env}");
    assert!(
        from_env.contains("\nwarning: GET /stores/demo42/"),
        "{from_env}"
    );
    assert!(
        !from_env.contains("bcprune::"),
        "no module paths: {from_env}"
    );
    let from_flag = run(&mut bcprune(), &["--api-url", "http://127.0.0.1:9"]);
    assert!(
        from_flag.contains("nothing reached http://127.0.0.1:9, the API URL from --api-url."),
        "{from_flag}"
    );
}

/// PRODUCT §17: without a terminal, a wait for the store's rate limit is said as it begins, named, and
/// with how long; the listing's progress lines come at most every 10 s.
#[test]
fn a_long_rate_limit_wait_is_said_as_it_begins_without_a_terminal() {
    // One request per 12 s window: the second listing request waits about 12 s.
    let sim = store_with(
        bcprune::sim::SimConfig::default()
            .customers(300)
            .rate_limit(1, std::time::Duration::from_secs(12)),
    );
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=251).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, "max_deletes: 300\n"));
    let output = bcprune_at(&sim)
        .args(["plan", "--parallelism", "1"])
        .arg(&manifest)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    let waits: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("Listing: waiting"))
        .collect();
    assert_eq!(waits.len(), 1, "{stderr}");
    assert!(
        waits[0].starts_with("Listing: waiting 1")
            && waits[0].ends_with(" s for the store's rate limit"),
        "{stderr}"
    );
}

/// `show --format markdown` of a saved plan is the pull-request comment `plan --format markdown` wrote
/// (PRODUCT §13, §16): deletions grouped by request, from the manifest the plan names while its SHA-256
/// is the plan's; a manifest changed since groups nothing (the plan is stale, and says so).
#[test]
fn show_markdown_groups_deletions_by_request_as_the_plan_comment_does() {
    let sim = store(20);
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\nabsent:\n  - id: 1\n    request: DSR-7\n    received: 2026-11-20\n  - id: 2\n",
    );
    let plan = save_plan(&sim, &ws, &manifest);
    let comment = bcprune_at(&sim)
        .env("BCPRUNE_TODAY", "2026-12-02")
        .args(["plan", "--format", "markdown"])
        .arg(&manifest)
        .output()
        .expect("plan");
    let comment = String::from_utf8_lossy(&comment.stdout).to_string();
    let shown = bcprune()
        .args(["show", "--format", "markdown"])
        .arg(&plan)
        .output()
        .expect("show");
    let shown = String::from_utf8_lossy(&shown.stdout).to_string();
    for text in [&comment, &shown] {
        assert!(
            text.contains("| **Request `DSR-7`** | 1 to delete |")
                && text.contains("| **Without a request** | 1 to delete |"),
            "{text}"
        );
    }
    std::fs::write(
        &manifest,
        "version: 1\nabsent:\n  - id: 1\n    request: DSR-8\n  - id: 2\n",
    )
    .expect("write");
    let stale = bcprune()
        .args(["show", "--format", "markdown"])
        .arg(&plan)
        .output()
        .expect("show");
    let stale = String::from_utf8_lossy(&stale.stdout).to_string();
    assert!(!stale.contains("**Request"), "{stale}");
}
