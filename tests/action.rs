//! Integration tests: the GitHub Action's scripts (scripts/action/, called by action.yml) run as GitHub
//! would run them, against the fake store and a stub of the GitHub API on 127.0.0.1: one sticky plan
//! comment found by its §13 marker (created once, then updated in place), the job summary written, the
//! tokens in no output; apply taking only the merged pull request's own plan (else exit 3) and saying what
//! it did; and the installer: its own repository's release, SHA-256 and attestation failing closed, a
//! build from the checkout with a notice when there is no binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, patch};
use bcprune::sim::READ_ONLY_TOKEN;
use serde_json::{Value, json};

use crate::support::{Workspace, manifest_yaml, store};

const GITHUB_TOKEN: &str = "ghs_fakeGitHubToken0123456789";
const MARKER: &str = "<!-- bcprune:plan store=demo42 -->";

/// True when bash and python3 are here; otherwise say why the test does nothing.
fn tools_present() -> bool {
    for tool in ["bash", "python3"] {
        let found = Command::new(tool).arg("--version").output().is_ok();
        if !found {
            eprintln!("SKIPPED: the action tests need {tool}, which is not installed");
            return false;
        }
    }
    true
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/action")
        .join(name)
}

/// What the stub GitHub API saw and holds.
#[derive(Default)]
struct Github {
    comments: BTreeMap<u64, (String, String)>, // id -> (author, body)
    next_id: u64,
    calls: Vec<String>,
    auth: Vec<String>,
    /// Canned GET answers by path (the query is ignored), for the other endpoints.
    fixtures: BTreeMap<String, Value>,
}

type Shared = Arc<Mutex<Github>>;

fn record(gh: &Shared, headers: &HeaderMap, call: String) {
    let mut gh = gh.lock().unwrap();
    gh.calls.push(call);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    gh.auth.push(auth.to_string());
}

async fn list(
    State(gh): State<Shared>,
    UrlPath((_o, _r, n)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
) -> (StatusCode, String) {
    record(&gh, &headers, format!("GET issues/{n}/comments"));
    let gh = gh.lock().unwrap();
    let items: Vec<Value> = gh
        .comments
        .iter()
        .map(|(id, (user, body))| json!({"id": id, "user": {"login": user}, "body": body}))
        .collect();
    (StatusCode::OK, Value::Array(items).to_string())
}

async fn create(
    State(gh): State<Shared>,
    UrlPath((_o, _r, n)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    record(&gh, &headers, format!("POST issues/{n}/comments"));
    let body: Value = serde_json::from_str(&body).expect("JSON request");
    let mut gh = gh.lock().unwrap();
    gh.next_id += 1;
    let id = 1000 + gh.next_id;
    let text = body["body"].as_str().expect("body").to_string();
    gh.comments.insert(id, ("github-actions[bot]".into(), text));
    (StatusCode::CREATED, json!({"id": id}).to_string())
}

async fn update(
    State(gh): State<Shared>,
    UrlPath((_o, _r, id)): UrlPath<(String, String, u64)>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    record(&gh, &headers, format!("PATCH issues/comments/{id}"));
    let body: Value = serde_json::from_str(&body).expect("JSON request");
    let mut gh = gh.lock().unwrap();
    let text = body["body"].as_str().expect("body").to_string();
    match gh.comments.get_mut(&id) {
        Some(comment) => {
            comment.1 = text;
            (StatusCode::OK, json!({"id": id}).to_string())
        }
        None => (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#.into()),
    }
}

async fn fixture(
    State(gh): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> (StatusCode, String) {
    record(&gh, &headers, format!("GET {}", uri.path()));
    match gh.lock().unwrap().fixtures.get(uri.path()) {
        Some(v) => (StatusCode::OK, v.to_string()),
        None => (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#.into()),
    }
}

/// Start the stub GitHub API on its own thread; returns its base URL and its shared record.
fn github_stub(gh: Shared) -> String {
    let app = Router::new()
        .route("/repos/{o}/{r}/issues/{n}/comments", get(list).post(create))
        .route("/repos/{o}/{r}/issues/comments/{id}", patch(update))
        .fallback(fixture)
        .with_state(gh);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind stub");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    url
}

/// One workflow step's environment, as the runner would set it.
struct Step {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Step {
    fn new(ws: &Workspace) -> Self {
        let dir = ws.path().to_path_buf();
        let event = ws.write(
            "event.json",
            json!({"pull_request": {"number": 7}}).to_string(),
        );
        let bin = assert_cmd::cargo::cargo_bin("bcprune");
        let env = [
            ("BCPRUNE_BIN", bin.display().to_string()),
            ("BCPRUNE_OUT_DIR", dir.join("out").display().to_string()),
            (
                "GITHUB_OUTPUT",
                dir.join("github_output").display().to_string(),
            ),
            (
                "GITHUB_STEP_SUMMARY",
                dir.join("summary.md").display().to_string(),
            ),
            ("GITHUB_EVENT_PATH", event.display().to_string()),
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_REPOSITORY", "acme/erasures".into()),
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".into(),
            ),
            ("GITHUB_RUN_ID", "42".into()),
            ("GITHUB_SERVER_URL", "https://github.example".into()),
            ("BCPRUNE_RETRY", "base_ms=2,cap_ms=50".into()),
        ];
        Step {
            dir,
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        }
    }

    fn clone_with(&self, key: &str, value: impl Into<String>) -> Self {
        let mut env = self.env.clone();
        env.push((key.into(), value.into()));
        Step {
            dir: self.dir.clone(),
            env,
        }
    }

    fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    fn run(&self, program: &str, args: &[&Path]) -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(&self.dir).env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("HOME", &self.dir);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().expect("run the step")
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// No token in anything the steps printed or wrote.
#[track_caller]
fn assert_no_token(step: &Step, outputs: &[&Output]) {
    let mut seen: Vec<String> = outputs.iter().map(|o| text(o)).collect();
    for f in [
        "github_output",
        "summary.md",
        "out/plan.md",
        "out/plan.json",
        "out/plan.stderr",
    ] {
        seen.push(step.read(f));
    }
    for s in &seen {
        assert!(
            !s.contains(READ_ONLY_TOKEN),
            "BigCommerce token leaked:\n{s}"
        );
        assert!(!s.contains(GITHUB_TOKEN), "GitHub token leaked:\n{s}");
    }
}

#[test]
fn plan_step_posts_one_sticky_comment_and_updates_it() {
    if !tools_present() {
        return;
    }
    let sim = store(50);
    let gh: Shared = Arc::default();
    // Someone else's comment quoting the marker is never taken over.
    gh.lock()
        .unwrap()
        .comments
        .insert(1, ("mallory".into(), format!("{MARKER}\nfake plan")));
    let api = github_stub(gh.clone());
    let ws = Workspace::new();
    let manifest = ws.write("customers/m.yaml", manifest_yaml(&[3, 4, 9999], ""));
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", manifest.display().to_string())
        .with("BIGCOMMERCE_API_URL", sim.base_url())
        .with("BIGCOMMERCE_STORE_HASH", "demo42")
        .with("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .with("GITHUB_TOKEN", GITHUB_TOKEN)
        .with("GITHUB_API_URL", api);
    let plan_md = ws.path().join("out/plan.md");

    let mut outputs = Vec::new();
    for round in 1..=2 {
        let plan = step.run("bash", &[&script("run.sh"), Path::new("plan")]);
        assert!(plan.status.success(), "run.sh plan: {}", text(&plan));
        assert!(
            text(&plan).contains("exitcode=2"),
            "deletions pending: {}",
            text(&plan)
        );
        let comment = step.run(
            "python3",
            &[&script("github.py"), Path::new("comment"), &plan_md],
        );
        assert!(
            comment.status.success(),
            "github.py comment: {}",
            text(&comment)
        );
        let verb = if round == 1 { "Created" } else { "Updated" };
        assert!(
            text(&comment).contains(verb),
            "round {round}: {}",
            text(&comment)
        );
        outputs.push(plan);
        outputs.push(comment);
    }

    let gh = gh.lock().unwrap();
    let calls: Vec<&str> = gh.calls.iter().map(String::as_str).collect();
    assert_eq!(
        calls,
        [
            "GET issues/7/comments",
            "POST issues/7/comments",
            "GET issues/7/comments",
            "PATCH issues/comments/1001",
        ]
    );
    assert!(
        gh.auth
            .iter()
            .all(|a| *a == format!("Bearer {GITHUB_TOKEN}")),
        "{:?}",
        gh.auth.len()
    );
    assert_eq!(gh.comments.len(), 2, "one plan comment besides mallory's");
    assert_eq!(
        gh.comments[&1].1,
        format!("{MARKER}\nfake plan"),
        "mallory's comment untouched"
    );
    let ours = &gh.comments[&1001].1;
    assert!(ours.starts_with(MARKER), "{ours}");
    assert!(ours.contains('3') && ours.contains('4'), "{ours}");

    let summary = step.read("summary.md");
    assert_eq!(
        summary.matches(MARKER).count(),
        2,
        "the plan in the job summary, once per run"
    );
    let github_output = step.read("github_output");
    assert!(github_output.contains("exitcode=2\n"), "{github_output}");
    assert!(
        github_output.contains("has-changes=true\n"),
        "{github_output}"
    );
    assert!(
        ws.path().join("out/plan.json").exists(),
        "the saved plan for the artifact"
    );
    let refs: Vec<&Output> = outputs.iter().collect();
    assert_no_token(&step, &refs);
}

#[test]
fn plan_step_explains_a_failed_plan_or_a_missing_token_under_the_marker() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let bad = ws.write("bad.yaml", "version: 1\nabsnet: [1]\n");
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", bad.display().to_string())
        .with("BIGCOMMERCE_API_URL", "http://127.0.0.1:9")
        .with("BIGCOMMERCE_STORE_HASH", "demo42")
        .with("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN);
    let failed = step.run("bash", &[&script("run.sh"), Path::new("plan")]);
    assert!(
        failed.status.success(),
        "the step itself goes on: {}",
        text(&failed)
    );
    assert!(text(&failed).contains("exitcode=1"), "{}", text(&failed));
    let md = step.read("out/plan.md");
    assert!(md.starts_with(MARKER), "{md}");
    assert_eq!(
        md.matches(MARKER).count(),
        1,
        "bcprune's own marker, once: {md}"
    );
    assert!(
        md.contains("bcprune plan failed for store `demo42` (exit 1)"),
        "{md}"
    );
    assert!(md.contains("absnet"), "the comment says what failed: {md}");
    assert_no_token(&step, &[&failed]);

    // A pull request from a fork: GitHub passes an empty secret.
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[3], ""));
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", manifest.display().to_string())
        .with("BIGCOMMERCE_STORE_HASH", "demo42")
        .with("BIGCOMMERCE_ACCESS_TOKEN", "");
    let out = step.run("bash", &[&script("run.sh"), Path::new("plan")]);
    assert!(text(&out).contains("exitcode=1"), "{}", text(&out));
    assert!(text(&out).contains("fork"), "says why: {}", text(&out));
    let md = step.read("out/plan.md");
    assert!(
        md.starts_with(MARKER) && md.contains("BIGCOMMERCE_ACCESS_TOKEN is not set"),
        "{md}"
    );
    assert!(
        md.contains("a pull request from a fork runs without the repository's secrets"),
        "{md}"
    );
}

#[test]
fn plan_step_still_writes_a_marked_comment_when_bcprune_dies_before_writing_one() {
    if !tools_present() {
        return;
    }
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[3], ""));
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", manifest.display().to_string())
        .with("BIGCOMMERCE_STORE_HASH", "demo42")
        .with("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .with("BCPRUNE_BIN", "false");
    let out = step.run("bash", &[&script("run.sh"), Path::new("plan")]);
    assert!(out.status.success(), "the step goes on: {}", text(&out));
    assert!(text(&out).contains("exitcode=1"), "{}", text(&out));
    let md = step.read("out/plan.md");
    assert!(md.starts_with(MARKER), "{md}");
    assert!(md.contains("bcprune plan did not finish (exit 1)"), "{md}");
}

/// A cargo-dist style release folder holding bcprune-<target>.tar.gz and a .sha256 with `checksum`
/// (None: the real one).
fn fake_release(ws: &Workspace, target: &str, checksum: Option<&str>) -> PathBuf {
    let release = ws.path().join("release");
    let root = format!("bcprune-{target}");
    ws.write(
        &format!("pack/{root}/bcprune"),
        "#!/bin/sh\necho 'bcprune 9.9.9'\n",
    );
    let sh = format!(
        "set -e; chmod +x pack/{root}/bcprune; mkdir -p release; tar -czf release/{root}.tar.gz -C pack {root}; \
         cd release; sha256sum {root}.tar.gz > {root}.tar.gz.sha256"
    );
    let out = Command::new("bash")
        .args(["-c", &sh])
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    if let Some(sum) = checksum {
        std::fs::write(release.join(format!("{root}.tar.gz.sha256")), sum).unwrap();
    }
    release
}

fn install(ws: &Workspace, release: &Path, target: &str) -> (Output, PathBuf) {
    install_with(ws, release, target, &[])
}

fn install_with(
    ws: &Workspace,
    release: &Path,
    target: &str,
    env: &[(&str, String)],
) -> (Output, PathBuf) {
    let dir = ws.path().join("installed");
    let mut step = Step::new(ws)
        .with("BCPRUNE_INSTALL", "release")
        .with("BCPRUNE_VERSION", "9.9.9")
        .with("BCPRUNE_TARGET", target)
        .with("BCPRUNE_INSTALL_DIR", dir.display().to_string())
        .with(
            "BCPRUNE_RELEASE_BASE_URL",
            format!("file://{}", release.display()),
        )
        .with(
            "GITHUB_PATH",
            ws.path().join("github_path").display().to_string(),
        );
    for (k, v) in env {
        step = step.with(k, v.clone());
    }
    (
        step.run("bash", &[&script("install.sh")]),
        dir.join("bin/bcprune"),
    )
}

/// A folder holding a fake `name` program that logs its arguments to `name.log` beside it, then runs `body`.
fn fake_tool(ws: &Workspace, name: &str, body: &str) -> PathBuf {
    let dir = ws.path().join("fakebin");
    let log = dir.join(format!("{name}.log"));
    let path = ws.write(
        &format!("fakebin/{name}"),
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n{body}\n", log.display()),
    );
    let out = Command::new("chmod").arg("+x").arg(&path).output().unwrap();
    assert!(out.status.success());
    dir
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn install_builds_from_the_checkout_with_a_notice_when_the_release_has_no_binary() {
    if !tools_present() || Command::new("sha256sum").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs bash, python3 and sha256sum");
        return;
    }
    let target = "x86_64-unknown-linux-musl";
    let ws = Workspace::new();
    // A fake cargo that "builds" by writing the binary where `--root` says.
    let bin = fake_tool(
        &ws,
        "cargo",
        "root=''; while [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\n\
         mkdir -p \"$root/bin\" && printf '#!/bin/sh\\necho bcprune 9.9.9\\n' > \"$root/bin/bcprune\" && chmod +x \"$root/bin/bcprune\"",
    );
    let release = ws.path().join("empty-release");
    std::fs::create_dir_all(&release).unwrap();
    let (out, installed) = install_with(&ws, &release, target, &[("PATH", path_with(&bin))]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("::notice title=bcprune install::release v9.9.9 has no"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("building bcprune 9.9.9 from the action's checkout"));
    let log = std::fs::read_to_string(bin.join("cargo.log")).unwrap();
    assert!(log.starts_with("install --locked --path "), "{log}");
    assert!(installed.exists());

    // Without cargo either: an error saying both, nothing installed.
    let ws = Workspace::new();
    let release = ws.path().join("empty-release");
    std::fs::create_dir_all(&release).unwrap();
    let (out, installed) = install_with(
        &ws,
        &release,
        target,
        &[("PATH", "/usr/bin:/bin".to_string())],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("needs cargo"), "{}", text(&out));
    assert!(!installed.exists());
}

#[test]
fn install_takes_the_release_from_the_actions_own_repository_and_checks_its_attestation() {
    if !tools_present() || Command::new("sha256sum").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs bash, python3 and sha256sum");
        return;
    }
    let target = "x86_64-unknown-linux-musl";
    let ws = Workspace::new();
    let release = fake_release(&ws, target, None);
    // The default URL is the action's repository's release, never a placeholder or the user's repository.
    let real_curl = Command::new("bash")
        .args(["-c", "command -v curl"])
        .output()
        .unwrap();
    let real_curl = String::from_utf8_lossy(&real_curl.stdout)
        .trim()
        .to_string();
    let bin = fake_tool(
        &ws,
        "curl",
        &format!(
            "out=''; url=''; while [ $# -gt 0 ]; do case \"$1\" in --output) out=\"$2\"; shift;; http*) url=\"$1\";; esac; shift; done\n\
             exec '{real_curl}' --silent --fail --output \"$out\" \"file://$RELEASE_DIR/${{url##*/}}\""
        ),
    );
    let common = [
        ("BCPRUNE_RELEASE_BASE_URL", String::new()),
        ("BCPRUNE_ACTION_REPOSITORY", "erasure-tools/bcprune".into()),
        ("GITHUB_REPOSITORY", "acme/erasures".into()),
        ("RELEASE_DIR", release.display().to_string()),
    ];
    let gh_ok = fake_tool(&ws, "gh", "exit 0");
    let mut env: Vec<(&str, String)> = common.to_vec();
    env.push(("PATH", format!("{}:{}", bin.display(), path_with(&gh_ok))));
    env.push(("GH_TOKEN", GITHUB_TOKEN.into()));
    let (out, installed) = install_with(&ws, &release, target, &env);
    assert!(out.status.success(), "{}", text(&out));
    let curl = std::fs::read_to_string(bin.join("curl.log")).unwrap();
    assert!(
        curl.contains(&format!(
            "https://github.example/erasure-tools/bcprune/releases/download/v9.9.9/bcprune-{target}.tar.gz"
        )),
        "{curl}"
    );
    let gh = std::fs::read_to_string(gh_ok.join("gh.log")).unwrap();
    assert!(
        gh.starts_with("attestation verify ") && gh.contains("--repo erasure-tools/bcprune"),
        "{gh}"
    );
    assert!(text(&out).contains("Build provenance"), "{}", text(&out));
    assert!(installed.exists());
    assert!(!text(&out).contains(GITHUB_TOKEN));

    // An attestation that does not verify: refused, nothing installed.
    let ws2 = Workspace::new();
    let release = fake_release(&ws2, target, None);
    let gh_bad = fake_tool(&ws2, "gh", "echo 'no matching attestations' >&2; exit 1");
    let mut env: Vec<(&str, String)> = common.to_vec();
    env[3].1 = release.display().to_string();
    env.push(("PATH", format!("{}:{}", gh_bad.display(), path_with(&bin))));
    env.push(("GH_TOKEN", GITHUB_TOKEN.into()));
    let (out, installed) = install_with(&ws2, &release, target, &env);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("attestation of bcprune-x86_64-unknown-linux-musl.tar.gz does not verify"),
        "{}",
        text(&out)
    );
    assert!(!installed.exists(), "nothing installed");
}

#[test]
fn install_checks_the_release_sha256_and_fails_closed() {
    if !tools_present() || Command::new("sha256sum").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs bash, python3 and sha256sum");
        return;
    }
    let target = "x86_64-unknown-linux-musl";

    let ws = Workspace::new();
    let (out, bin) = install(&ws, &fake_release(&ws, target, None), target);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("verified"), "{}", text(&out));
    assert!(bin.exists());
    let path = std::fs::read_to_string(ws.path().join("github_path")).unwrap();
    assert_eq!(path.trim(), bin.parent().unwrap().display().to_string());

    let wrong = format!("{}  bcprune-{target}.tar.gz\n", "0".repeat(64));
    for (case, sum) in [
        ("mismatch", wrong.as_str()),
        ("empty", ""),
        ("garbage", "not a sum\n"),
    ] {
        let ws = Workspace::new();
        let (out, bin) = install(&ws, &fake_release(&ws, target, Some(sum)), target);
        assert!(!out.status.success(), "{case}: must fail: {}", text(&out));
        assert!(text(&out).contains("::error"), "{case}: {}", text(&out));
        assert!(!bin.exists(), "{case}: nothing installed");
    }

    // No .sha256 at all.
    let ws = Workspace::new();
    let release = fake_release(&ws, target, None);
    std::fs::remove_file(release.join(format!("bcprune-{target}.tar.gz.sha256"))).unwrap();
    let (out, bin) = install(&ws, &release, target);
    assert!(!out.status.success() && !bin.exists(), "{}", text(&out));
}

#[test]
fn commit_back_rebases_onto_a_moved_branch_and_pushes_the_records() {
    if !tools_present() || Command::new("git").arg("--version").output().is_err() {
        eprintln!("SKIPPED: needs bash and git");
        return;
    }
    let ws = Workspace::new();
    let sh = "set -e
        git init -q --bare -b main origin.git
        git clone -q origin.git a 2>/dev/null
        cd a && git config user.name t && git config user.email t@t.invalid
        mkdir customers && echo 'version: 1' > customers/m.yaml && git add . && git commit -qm manifest
        git push -q origin HEAD:main
        cd .. && git clone -q origin.git b && cd b && git config user.name t && git config user.email t@t.invalid
        echo other > other.txt && git add . && git commit -qm 'meanwhile on main' && git push -q origin HEAD:main
        cd ../a && echo '{\"serial\": 1}' > customers/bcprune.state.json";
    let out = Command::new("bash")
        .args(["-c", sh])
        .current_dir(ws.path())
        .env("HOME", ws.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let mut step = Step::new(&ws)
        .with(
            "BCPRUNE_RECORDS",
            "customers/bcprune.state.json customers/bcprune.audit.jsonl",
        )
        .with("GITHUB_REF_NAME", "main")
        .with("BCPRUNE_RETRY_SLEEP_S", "0");
    step.dir = ws.path().join("a");
    let out = step.run("bash", &[&script("commit-back.sh")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("rebasing"),
        "the first push was refused and retried: {}",
        text(&out)
    );

    let log = Command::new("git")
        .args(["log", "--format=%s", "main", "--", "."])
        .current_dir(ws.path().join("origin.git"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(subjects.len(), 3, "{log}");
    assert!(
        subjects[0].starts_with("bcprune: record apply (run 42)"),
        "{log}"
    );
    assert!(subjects[0].ends_with("[skip ci]"), "{log}");
    assert_eq!(subjects[1], "meanwhile on main", "nothing lost: {log}");
}

const MERGE: &str = "0123456789abcdef0123456789abcdef01234567";
const HEAD: &str = "feedfacefeedfacefeedfacefeedfacefeedface";
const WORKFLOW: &str = ".github/workflows/bcprune.yml";

fn pull(number: u64, base: &str, merge: Option<&str>) -> Value {
    json!({
        "number": number,
        "merged_at": merge.map(|_| "2026-12-01T10:00:00Z"),
        "merge_commit_sha": merge.unwrap_or("9999999999999999999999999999999999999999"),
        "head": {"sha": HEAD, "ref": "erase-42"},
        "base": {"ref": base},
    })
}

fn run(id: u64, path: &str, status: &str, created: &str) -> Value {
    json!({"id": id, "path": path, "status": status, "event": "pull_request", "head_sha": HEAD,
           "created_at": created})
}

fn artifacts(name: &str, expired: bool) -> Value {
    json!({"total_count": 1, "artifacts": [{"name": name, "expired": expired}]})
}

/// The GitHub API of a repository where one branch has two pull requests, #7 into main (merged as
/// MERGE) and #8 into release (open), each planned by its own run at the same head commit; #8's run
/// is the newest.
fn two_pull_requests() -> Shared {
    let gh: Shared = Arc::default();
    {
        let mut g = gh.lock().unwrap();
        let f = &mut g.fixtures;
        let r = "/repos/acme/erasures";
        f.insert(
            format!("{r}/commits/{MERGE}/pulls"),
            json!([pull(8, "release", None), pull(7, "main", Some(MERGE))]),
        );
        f.insert(
            format!("{r}/commits/1111111111111111111111111111111111111111/pulls"),
            json!([]),
        );
        f.insert(
            format!("{r}/actions/runs"),
            json!({"total_count": 6, "workflow_runs": [
                run(600, WORKFLOW, "completed", "2026-12-01T09:58:00Z"),
                run(500, ".github/workflows/evil.yml", "completed", "2026-12-01T09:59:00Z"),
                run(400, WORKFLOW, "completed", "2026-12-01T09:00:00Z"),
                run(450, WORKFLOW, "in_progress", "2026-12-01T09:30:00Z"),
                run(300, WORKFLOW, "completed", "2026-12-01T08:00:00Z"),
                run(200, WORKFLOW, "completed", "2026-12-01T07:00:00Z"),
            ]}),
        );
        // #8's plan (same store, same commit, same workflow, newest): never #7's.
        f.insert(
            format!("{r}/actions/runs/600/artifacts"),
            artifacts("bcprune-plan-demo42-pr8", false),
        );
        // Another workflow can upload any name: never taken.
        f.insert(
            format!("{r}/actions/runs/500/artifacts"),
            artifacts("bcprune-plan-demo42-pr7", false),
        );
        f.insert(
            format!("{r}/actions/runs/450/artifacts"),
            artifacts("bcprune-plan-demo42-pr7", false),
        );
        f.insert(
            format!("{r}/actions/runs/400/artifacts"),
            artifacts("bcprune-plan-demo42-pr7", true),
        );
        f.insert(
            format!("{r}/actions/runs/300/artifacts"),
            artifacts("bcprune-plan-demo42-pr7", false),
        );
        // A name without the pull request (as uploaded before plans carried it): not proof of which.
        f.insert(
            format!("{r}/actions/runs/200/artifacts"),
            artifacts("bcprune-plan-demo42", false),
        );
    }
    gh
}

fn apply_step(ws: &Workspace, api: &str) -> Step {
    Step::new(ws)
        .with("GITHUB_TOKEN", GITHUB_TOKEN)
        .with("GITHUB_API_URL", api)
        .with("GITHUB_EVENT_NAME", "push")
        .with("GITHUB_REF_NAME", "main")
        .with(
            "GITHUB_WORKFLOW_REF",
            format!("acme/erasures/{WORKFLOW}@refs/heads/main"),
        )
}

fn github_py(step: &Step, args: &[&str]) -> Output {
    let script = script("github.py");
    let mut all: Vec<&Path> = vec![&script];
    all.extend(args.iter().map(Path::new));
    step.run("python3", &all)
}

#[test]
fn apply_finds_only_the_plan_reviewed_on_the_merged_pull_request() {
    if !tools_present() {
        return;
    }
    let api = github_stub(two_pull_requests());
    let ws = Workspace::new();
    let step = apply_step(&ws, &api);

    let out = github_py(&step, &["find-plan", "bcprune-plan-demo42"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "300",
        "pull request #7's own newest unexpired plan: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("pull request #7 into main"),
        "{}",
        text(&out)
    );
    let outputs = step.read("github_output");
    for line in [
        "run-id=300\n",
        "artifact=bcprune-plan-demo42-pr7\n",
        "pull-request=7\n",
        "base-ref=main\n",
        &format!("head-sha={HEAD}\n"),
    ] {
        assert!(outputs.contains(line), "{line}: {outputs}");
    }

    // Applying on another branch than the one #7 merged into: not its merge, refused.
    let release = step.clone_with("GITHUB_REF_NAME", "release");
    let out = github_py(&release, &["find-plan", "bcprune-plan-demo42"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    assert!(
        text(&out).contains("not the merge of a pull request into release"),
        "{}",
        text(&out)
    );

    // No such artifact for #7: refused (exit 3), saying how to re-plan.
    let out = github_py(&step, &["find-plan", "bcprune-plan-other"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    assert!(text(&out).contains("Nothing was deleted"), "{}", text(&out));
    assert!(text(&out).contains("To re-plan"), "{}", text(&out));

    // A push that merged no pull request: nothing reviewed, nothing applied.
    let other = step.clone_with("GITHUB_SHA", "1111111111111111111111111111111111111111");
    let out = github_py(&other, &["find-plan", "bcprune-plan-demo42"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("not the merge of a pull request"),
        "{}",
        text(&out)
    );
    assert_no_token(&step, &[&out]);
}

#[test]
fn apply_refuses_a_downloaded_plan_made_for_another_pull_request_base_commit_or_workflow() {
    if !tools_present() {
        return;
    }
    // The plan job records its pull request beside the plan (github.py plan-source)...
    let ws = Workspace::new();
    let event = ws.write(
        "pr-event.json",
        json!({"pull_request": {"number": 7, "base": {"ref": "main"}, "head": {"sha": HEAD}}})
            .to_string(),
    );
    let plan_step = Step::new(&ws)
        .with("GITHUB_EVENT_PATH", event.display().to_string())
        .with(
            "GITHUB_WORKFLOW_REF",
            format!("acme/erasures/{WORKFLOW}@refs/pull/7/merge"),
        );
    let source = ws.path().join("plan-source.json");
    let out = github_py(&plan_step, &["plan-source", &source.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out));

    // ...and apply checks it against the pull request merged as this commit.
    let check = |key: &str, value: &str| {
        let step = Step::new(&ws)
            .with("BCPRUNE_PR", "7")
            .with("BCPRUNE_BASE_REF", "main")
            .with("BCPRUNE_HEAD_SHA", HEAD)
            .with(
                "GITHUB_WORKFLOW_REF",
                format!("acme/erasures/{WORKFLOW}@refs/heads/main"),
            )
            .with(key, value);
        github_py(&step, &["check-plan", &source.display().to_string()])
    };
    let ok = check("BCPRUNE_PR", "7");
    assert!(ok.status.success(), "{}", text(&ok));
    for (key, value) in [
        ("BCPRUNE_PR", "8"),
        ("BCPRUNE_BASE_REF", "release"),
        ("BCPRUNE_HEAD_SHA", MERGE),
        (
            "GITHUB_WORKFLOW_REF",
            "acme/erasures/.github/workflows/other.yml@refs/heads/main",
        ),
    ] {
        let out = check(key, value);
        assert_eq!(out.status.code(), Some(3), "{key}: {}", text(&out));
        assert!(text(&out).contains("To re-plan"), "{key}: {}", text(&out));
    }
    // No recorded source at all (a plan uploaded by an older action): refused.
    std::fs::remove_file(&source).unwrap();
    let out = check("BCPRUNE_PR", "7");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn the_example_plans_only_pull_requests_into_the_branch_it_applies_on() {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions.yml"),
    )
    .unwrap();
    let on = &example[example.find("\non:\n").expect("on:")..example.find("\njobs:").unwrap()];
    let pr = &on[on.find("pull_request:").expect("pull_request")..on.find("push:").unwrap()];
    assert!(pr.contains("branches: [main]"), "{pr}");
}

#[test]
fn apply_step_applies_the_saved_plan_and_refuses_it_once_stale() {
    if !tools_present() {
        return;
    }
    let sim = store(50);
    let ws = Workspace::new();
    let manifest = ws.write("customers/m.yaml", manifest_yaml(&[5, 6], ""));
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", manifest.display().to_string())
        .with("BIGCOMMERCE_API_URL", sim.base_url())
        .with("BIGCOMMERCE_STORE_HASH", "demo42");
    let plan = step
        .clone_with("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .run("bash", &[&script("run.sh"), Path::new("plan")]);
    assert!(text(&plan).contains("exitcode=2"), "{}", text(&plan));

    let apply = step.clone_with("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN);
    let first = apply.run("bash", &[&script("run.sh"), Path::new("apply")]);
    assert!(text(&first).contains("exitcode=0"), "{}", text(&first));
    assert_eq!(crate::support::deletes(&sim), vec![vec![5, 6]]);

    // The same reviewed plan again: the state moved on, so it is stale and refused.
    let again = apply.run("bash", &[&script("run.sh"), Path::new("apply")]);
    assert!(text(&again).contains("exitcode=3"), "{}", text(&again));
    assert!(
        text(&again).contains("To re-plan"),
        "says how: {}",
        text(&again)
    );
    assert_eq!(
        crate::support::deletes(&sim).len(),
        1,
        "nothing more deleted"
    );
    assert!(!text(&first).contains(bcprune::sim::READ_WRITE_TOKEN));
    assert!(!text(&again).contains(bcprune::sim::READ_WRITE_TOKEN));

    let records = apply.run("bash", &[&script("run.sh"), Path::new("records")]);
    let dir = ws.path().join("customers").display().to_string();
    assert!(
        text(&records).contains(&format!(
            "{dir}/bcprune.state.json {dir}/bcprune.audit.jsonl"
        )),
        "{}",
        text(&records)
    );
    assert!(ws.path().join("customers/bcprune.state.json").exists());
}

#[test]
fn apply_step_writes_what_it_did_to_the_job_summary_and_the_merged_pull_request() {
    if !tools_present() {
        return;
    }
    let sim = store(50);
    let gh: Shared = Arc::default();
    let api = github_stub(gh.clone());
    let ws = Workspace::new();
    let manifest = ws.write("customers/m.yaml", manifest_yaml(&[5, 6], ""));
    let step = Step::new(&ws)
        .with("BCPRUNE_MANIFEST", manifest.display().to_string())
        .with("BIGCOMMERCE_API_URL", sim.base_url())
        .with("BIGCOMMERCE_STORE_HASH", "demo42")
        .with("GITHUB_TOKEN", GITHUB_TOKEN)
        .with("GITHUB_API_URL", api)
        .with("BCPRUNE_PR", "7");
    let plan = step
        .clone_with("BIGCOMMERCE_ACCESS_TOKEN", READ_ONLY_TOKEN)
        .run("bash", &[&script("run.sh"), Path::new("plan")]);
    assert!(text(&plan).contains("exitcode=2"), "{}", text(&plan));
    let apply = step
        .clone_with("BIGCOMMERCE_ACCESS_TOKEN", bcprune::sim::READ_WRITE_TOKEN)
        .clone_with(
            "GITHUB_STEP_SUMMARY",
            ws.path().join("apply-summary.md").display().to_string(),
        );
    let apply_md = ws.path().join("out/apply.md");
    let comment = |step: &Step| {
        let out = step.run(
            "python3",
            &[&script("github.py"), Path::new("comment"), &apply_md],
        );
        assert!(out.status.success(), "{}", text(&out));
        out
    };

    let first = apply.run("bash", &[&script("run.sh"), Path::new("apply")]);
    assert!(text(&first).contains("exitcode=0"), "{}", text(&first));
    let md = step.read("out/apply.md");
    assert!(
        md.starts_with("<!-- bcprune:apply store=demo42 -->\n"),
        "{md}"
    );
    assert!(md.contains("pull request #7"), "{md}");
    assert!(
        md.contains("Apply complete: 2 deleted, 0 already absent, 0 failed."),
        "{md}"
    );
    let head = bcprune::audit::read_head(&ws.path().join("customers/bcprune.audit.jsonl"))
        .unwrap()
        .expect("an audit head");
    assert!(md.contains(&format!("head {head}")), "the audit head: {md}");
    // On a line of its own, so GitHub does not cut it off at the comment's right edge.
    assert!(
        md.lines()
            .any(|l| l.starts_with("Audit log: ") && l.ends_with(&format!("head {head}."))),
        "the audit head on its own line: {md}"
    );
    assert_eq!(step.read("apply-summary.md"), md, "the job summary");
    let posted = comment(&apply);
    assert!(text(&posted).contains("Created"), "{}", text(&posted));

    // The same plan again is stale: the summary and the comment (updated, not a second one) say so.
    let again = apply.run("bash", &[&script("run.sh"), Path::new("apply")]);
    assert!(text(&again).contains("exitcode=3"), "{}", text(&again));
    let md = step.read("out/apply.md");
    assert!(
        md.contains("was refused (exit 3): nothing was deleted"),
        "{md}"
    );
    assert!(md.contains("error: the saved plan is stale"), "{md}");
    assert!(
        !md.contains("Apply complete"),
        "nothing from the first run: {md}"
    );
    comment(&apply);

    let gh = gh.lock().unwrap();
    assert_eq!(gh.comments.len(), 1, "one apply comment on #7");
    assert!(gh.calls.contains(&"POST issues/7/comments".to_string()));
    assert!(gh.comments.values().next().unwrap().1.contains("exit 3"));
    for out in [&first, &again] {
        assert!(!text(out).contains(bcprune::sim::READ_WRITE_TOKEN));
    }
    assert!(!md.contains(bcprune::sim::READ_WRITE_TOKEN) && !md.contains(GITHUB_TOKEN));
}

#[test]
fn report_step_puts_the_report_in_the_job_summary_unless_github_would_refuse_its_size() {
    if !tools_present() {
        return;
    }
    for (entries, whole) in [(3u32, true), (15_000, false)] {
        let ws = Workspace::new();
        let mut yaml = String::from("version: 1\nstore_hash: demo42\nabsent:\n");
        for id in 1..=entries {
            yaml.push_str(&format!(
                "  - id: {id}\n    reason: \"GDPR erasure request, ticket {id}\"\n"
            ));
        }
        let manifest = ws.write("customers/m.yaml", yaml);
        let step = Step::new(&ws).with("BCPRUNE_MANIFEST", manifest.display().to_string());
        let out = step.run("bash", &[&script("run.sh"), Path::new("report")]);
        assert!(text(&out).contains("exitcode=0"), "{}", text(&out));
        let report = std::fs::read_to_string(ws.path().join("out/report.md")).expect("report.md");
        let last =
            format!("Report: 0 erased, 0 unverified, 0 absent, {entries} pending, 0 overdue.");
        assert!(report.contains(&last), "the file is whole");
        assert_eq!(report.matches("| pending |").count(), entries as usize);
        let summary = step.read("summary.md");
        assert!(summary.contains(&last), "{summary}");
        if whole {
            assert_eq!(summary, report);
        } else {
            // GitHub refuses a step summary over 1 MiB: the summary says where the report is.
            assert!(report.len() > 1024 * 1024, "{} bytes", report.len());
            assert!(summary.len() < 64 * 1024, "{} bytes", summary.len());
            assert!(summary.contains("markdown"), "{summary}");
            assert!(
                summary.starts_with("### bcprune erasure report"),
                "{summary}"
            );
            assert!(
                summary.contains("- State:") || summary.contains("- Manifest"),
                "{summary}"
            );
            assert!(step.read("github_output").contains("markdown="));
        }
    }
}
