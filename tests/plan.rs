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
    assert!(stdout.ends_with("Plan: 3 to delete, 1 already absent.\n"));
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
    assert_eq!(saved["manifest"]["path"], manifest.display().to_string());
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
