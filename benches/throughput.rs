//! The performance benchmark of issue 5: request economy, speed at the store's quota, speed under
//! latency, scale, and bcprune against the per-customer approach of BigCommerce's official clients.
//!
//! A plain `main` (harness = false) so it prints tables a reader can compare with BENCHMARKS.md; it is
//! a benchmark, not a test, because its figures depend on the machine. Every scenario runs against a
//! fresh in-process fake store (`bcprune::sim`) on 127.0.0.1, through the library exactly as the CLI
//! drives it: `manifest::load`, then `apply::run` (lock → list → `plan::compute` → render → execute →
//! verify, state and audit log in a temporary directory), with stages timed through its `View`.
//!
//! Run all: `cargo bench --bench throughput`; one or more: `cargo bench --bench throughput -- quota
//! latency` (scenarios: quota, latency, baseline, scale, validate, render, mixed, orders,
//! incremental, state).

use std::cell::Cell;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bcprune::api::{Client, ClientConfig, Live, LiveCustomer, Stats, Token};
use bcprune::apply::{self, Approval, Executed, Interrupt, Outcome, PlanSource, Request, View};
use bcprune::manifest::{self, Manifest};
use bcprune::plan::{self, Plan, SavedPlan};
use bcprune::render;
use bcprune::sim::{READ_WRITE_TOKEN, RecordedRequest, SimConfig, SimServer};
use bcprune::state::State;

type Res<T> = Result<T, Box<dyn Error>>;

const SCENARIOS: [&str; 10] = [
    "quota",
    "latency",
    "baseline",
    "scale",
    "validate",
    "render",
    "mixed",
    "orders",
    "incremental",
    "state",
];

/// The scaled-down Standard plan: 150 requests per 30 s divided by ten in both, the same 5 requests/s.
const QUOTA: u32 = 15;
const WINDOW: Duration = Duration::from_secs(3);
/// Latency of every fake-store response in the quota and baseline scenarios.
const QUOTA_LATENCY: Duration = Duration::from_millis(20);

fn main() -> ExitCode {
    // The child of the `state` scenario: load one state file and exit, under /usr/bin/time -v.
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2).map(Path::new)) {
        (Some("__load_state"), Some(path)) => {
            return match State::load(path) {
                Ok(Some(state)) => {
                    println!("{}", state.deleted.len());
                    ExitCode::SUCCESS
                }
                _ => ExitCode::FAILURE,
            };
        }
        (Some("__load_summary"), Some(path)) => {
            return match bcprune::state::Summary::load(path) {
                Ok(Some(summary)) => {
                    println!("{}", summary.serial);
                    ExitCode::SUCCESS
                }
                _ => ExitCode::FAILURE,
            };
        }
        _ => {}
    }
    // `cargo bench` passes `--bench`; anything starting with `-` is cargo's, not a scenario.
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let chosen: Vec<&str> = if asked.is_empty() || asked.iter().any(|a| a == "all") {
        SCENARIOS.to_vec()
    } else {
        let mut chosen = Vec::new();
        for a in &asked {
            match SCENARIOS.iter().find(|s| **s == a) {
                Some(s) => chosen.push(*s),
                None => {
                    eprintln!(
                        "unknown scenario {a:?}: choose from {} (or all)",
                        SCENARIOS.join(", ")
                    );
                    return ExitCode::from(2);
                }
            }
        }
        chosen
    };
    for scenario in chosen {
        let result = match scenario {
            "quota" => quota(),
            "latency" => latency(),
            "baseline" => baseline(),
            "scale" => scale(),
            "validate" => validate(),
            "render" => render_big(),
            "mixed" => mixed(),
            "orders" => orders(),
            "incremental" => incremental(),
            "state" => state_load(),
            _ => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("scenario {scenario} failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------------
// Shared: one plan + apply through the library, timed per stage.

/// Wall time of each stage of one plan + apply.
#[derive(Debug, Default, Clone)]
struct Stages {
    load: Duration,
    list: Duration,
    compute: Duration,
    render: Duration,
    /// From the plan shown to the last DELETE's outcome.
    delete: Duration,
    /// After the last DELETE: the verifying listing and the final records.
    verify: Duration,
}

impl Stages {
    /// From the first request to the end of the apply (what the quota bound is about).
    fn network(&self) -> Duration {
        self.list + self.compute + self.render + self.delete + self.verify
    }
}

struct Job {
    stages: Stages,
    report: Executed,
    stats: Stats,
    approved: usize,
}

/// Marks the stages of one `apply::run` as its view hears of them.
#[derive(Default)]
struct Clock {
    listed: Cell<Option<Instant>>,
    render: Cell<Duration>,
    planned: Cell<Option<Instant>>,
    deletes_done: Cell<Option<Instant>>,
}

impl View for Clock {
    fn listed(&self, _listed: &apply::Listed, _store: &str, _requests: u64) {
        self.listed.set(Some(Instant::now()));
    }
    fn plan(&self, plan: &Plan, full: bool) -> std::io::Result<()> {
        let t = Instant::now();
        let mut sink = Vec::new();
        render::table(plan, full, &mut sink)?;
        self.render.set(t.elapsed());
        self.planned.set(Some(Instant::now()));
        Ok(())
    }
    fn progress_finished(&self, _done: usize, _total: usize) {
        self.deletes_done.set(Some(Instant::now()));
    }
    fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}

/// A manifest of `ids` (compact `- N` items) allowing them all to be deleted; returns its path.
fn write_manifest(dir: &Path, ids: impl Iterator<Item = u32>, max_deletes: usize) -> Res<PathBuf> {
    let mut text = format!("version: 1\nmax_deletes: {max_deletes}\nabsent:\n");
    for id in ids {
        let _ = writeln!(text, "  - {id}");
    }
    let path = dir.join("manifest.yaml");
    std::fs::write(&path, text)?;
    Ok(path)
}

fn client(sim: &SimServer, parallelism: usize) -> Res<Client> {
    Ok(Client::new(ClientConfig {
        parallelism,
        ..ClientConfig::new(
            sim.base_url(),
            "demo42",
            Token::new(READ_WRITE_TOKEN.to_string()),
        )
    })?)
}

fn runtime() -> Res<tokio::runtime::Runtime> {
    // As the CLI: one thread for bcprune (the fake store runs on a thread of its own).
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Plan and apply `ids` against `sim` with `apply::run`, exactly as `bcprune apply --auto-approve`
/// does, timing each stage through the view.
fn plan_and_apply(sim: &SimServer, ids: &[u32], batch: usize, parallelism: usize) -> Res<Job> {
    plan_and_apply_mixed(sim, ids, &[], batch, parallelism)
}

/// [`plan_and_apply`] of customers `ids` and newsletter subscribers `subscribers`.
fn plan_and_apply_mixed(
    sim: &SimServer,
    ids: &[u32],
    subscribers: &[u32],
    batch: usize,
    parallelism: usize,
) -> Res<Job> {
    let dir = tempfile::tempdir()?;
    let path = write_manifest(
        dir.path(),
        ids.iter().copied(),
        ids.len() + subscribers.len(),
    )?;
    if !subscribers.is_empty() {
        let mut text = std::fs::read_to_string(&path)?;
        if ids.is_empty() {
            text = text.replace("absent:\n", "absent: []\n");
        }
        text.push_str("absent_subscribers:\n");
        for id in subscribers {
            let _ = writeln!(text, "  - {id}");
        }
        std::fs::write(&path, text)?;
    }
    let expected = ids.len() + subscribers.len();
    apply_manifest(sim, dir.path(), &path, expected, batch, parallelism)
}

/// `apply::run` of the manifest at `path` (state and audit log in `dir`), exactly as `bcprune apply
/// --auto-approve` does, timing each stage through the view; `expected` records must end verified.
fn apply_manifest(
    sim: &SimServer,
    dir: &Path,
    path: &Path,
    expected: usize,
    batch: usize,
    parallelism: usize,
) -> Res<Job> {
    let client = client(sim, parallelism)?;
    let rt = runtime()?;
    let mut stages = Stages::default();

    let t = Instant::now();
    let manifest = manifest::load(path)?;
    stages.load = t.elapsed();

    let request = Request {
        manifest,
        store_hash: "demo42".into(),
        state_path: dir.join("bcprune.state.json"),
        audit_path: dir.join("bcprune.audit.jsonl"),
        batch_size: batch,
        parallelism,
        max_deletes: None,
        auto_approve: true,
        full: false,
        run_id: "bench".into(),
        host: "bench-host".into(),
        actor: "bench".into(),
    };
    let clock = Clock::default();
    let t = Instant::now();
    let outcome = rt.block_on(apply::run(
        &request,
        &PlanSource::Fresh { refresh_all: false },
        &client,
        &clock,
        &Approval::Approved,
        &Interrupt::default(),
    ));
    let end = Instant::now();
    let Outcome::Applied(applied) = outcome else {
        return Err(format!("the apply did not get to its deletions: {outcome:?}").into());
    };
    let listed = clock.listed.get().unwrap_or(t);
    let planned = clock.planned.get().unwrap_or(listed);
    let split = clock.deletes_done.get().unwrap_or(end);
    stages.list = listed - t;
    stages.render = clock.render.get();
    stages.compute = (planned - listed).saturating_sub(stages.render);
    stages.delete = split - planned;
    stages.verify = end - split;
    let report = applied.report;
    if !report.is_complete() || report.verified.len() != expected {
        return Err(format!(
            "the apply did not delete and verify all {} IDs: fatal {:?}, {} failed, {} verified",
            expected,
            report.fatal,
            report.failed.len(),
            report.verified.len()
        )
        .into());
    }
    Ok(Job {
        stages,
        stats: client.stats(),
        approved: report.verified.len(),
        report,
    })
}

/// The fewest requests a plan of `n` IDs and an apply of `m` deletions in batches of `b` can take.
fn minimal_requests(n: usize, m: usize, b: usize) -> usize {
    n.div_ceil(250) + m.div_ceil(b) + m.div_ceil(250)
}

fn status_count(log: &[RecordedRequest], status: u16) -> usize {
    log.iter().filter(|r| r.status == status).count()
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// How the job's wall time splits between sending requests and waiting for the quota: the fake
/// store's windows reconstructed from its log (a window starts with the first request after the
/// previous one ended), the time from each window's first to last request counted as active.
fn window_profile(log: &[RecordedRequest], window: Duration) -> (usize, Duration) {
    let mut windows = 0;
    let mut active = Duration::ZERO;
    let mut start: Option<Duration> = None;
    let mut last = Duration::ZERO;
    for r in log {
        match start {
            Some(s) if r.at.saturating_sub(s) < window => {}
            _ => {
                if let Some(s) = start {
                    active += last - s;
                }
                windows += 1;
                start = Some(r.at);
            }
        }
        last = r.at;
    }
    if let Some(s) = start {
        active += last - s;
    }
    (windows, active)
}

// ---------------------------------------------------------------------------------------------------
// (a) Speed at the quota.

fn quota() -> Res<()> {
    println!("\n## (a) quota: Q requests per {WINDOW:?} window, latency {QUOTA_LATENCY:?}\n");
    println!(
        "| Q | deletions | batch | par | requests (min) | 429s | windows | wall s | bound s | ratio | target ≤ 1.1 | active s | waiting s | pacer wait s (sum) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // 6,250 deletions in batches of 250: 25 + 25 + 25 = 75 requests = 5 windows of 15. The last row is
    // ten times the Standard rate (150 per 3 s): 40,000 deletions, 480 requests, 4 windows.
    for (quota, m, batch, par) in [
        (QUOTA, 6_250usize, 250usize, 3usize),
        (QUOTA, 2_000, 100, 3),
        (QUOTA, 6_250, 250, 1),
        (150, 40_000, 250, 3),
    ] {
        let sim = SimServer::start_background(
            SimConfig::default()
                .customers(m as u32)
                .rate_limit(quota, WINDOW)
                .latency(QUOTA_LATENCY),
        )?;
        let ids: Vec<u32> = (1..=m as u32).collect();
        let job = plan_and_apply(&sim, &ids, batch, par)?;
        let log = sim.requests();
        let r_min = minimal_requests(m, job.approved, batch);
        let bound = WINDOW * (r_min.div_ceil(quota as usize) as u32 - 1);
        let wall = job.stages.network();
        let ratio = wall.as_secs_f64() / bound.as_secs_f64();
        let (windows, active) = window_profile(&log, WINDOW);
        println!(
            "| {quota} | {m} | {batch} | {par} | {} ({r_min}) | {} | {windows} | {} | {} | {ratio:.3} | {} | {} | {} | {} |",
            log.len(),
            status_count(&log, 429),
            secs(wall),
            secs(bound),
            if ratio <= 1.1 { "met" } else { "MISSED" },
            secs(active),
            secs(wall.saturating_sub(active)),
            secs(job.stats.pacer_wait),
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (b) Speed under latency, no quota.

fn latency() -> Res<()> {
    let l = Duration::from_millis(50);
    println!("\n## (b) latency {l:?} per request, no quota\n");
    println!(
        "| deletions | batch | par | requests | wall s | bound ⌈R/p⌉×L s | ratio | list s | delete s | verify s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (m, batch) in [(6_000usize, 250usize), (3_000, 100)] {
        for par in [1usize, 3, 6] {
            let sim = SimServer::start_background(
                SimConfig::default()
                    .customers(m as u32)
                    .unlimited()
                    .latency(l),
            )?;
            let ids: Vec<u32> = (1..=m as u32).collect();
            let job = plan_and_apply(&sim, &ids, batch, par)?;
            let r = sim.requests().len();
            let bound = l * r.div_ceil(par) as u32;
            let wall = job.stages.network();
            let s = &job.stages;
            println!(
                "| {m} | {batch} | {par} | {r} | {} | {} | {:.3} | {} | {} | {} |",
                secs(wall),
                secs(bound),
                wall.as_secs_f64() / bound.as_secs_f64(),
                secs(s.list),
                secs(s.delete),
                secs(s.verify)
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (c) The official clients' approach: one GET and one DELETE per customer, sequential.

/// What the per-customer baseline did.
struct Baseline {
    wall: Duration,
    log: Vec<RecordedRequest>,
    requests: usize,
    rate_limited: usize,
}

/// BigCommerce's official client libraries (bigcommerce-api-python, -php, node-bigcommerce) read and
/// delete a customer at a time: `GET /v3/customers?id:in=<id>` then `DELETE ?id:in=<id>`, one request
/// after the other. On a 429 they wait `X-Rate-Limit-Time-Reset-Ms` and retry (the Python client's
/// auto-retry; others throw and leave it to the caller, which is worse). Written with reqwest directly.
async fn per_customer(sim: &SimServer, ids: &[u32]) -> Res<Baseline> {
    let http = reqwest::Client::builder().no_proxy().build()?;
    let url = sim.customers_url();
    let started = Instant::now();
    let send = |method: reqwest::Method, id: u32| {
        http.request(method, format!("{url}?id:in={id}"))
            .header("x-auth-token", READ_WRITE_TOKEN)
            .header("accept", "application/json")
    };
    for &id in ids {
        let mut exists = false;
        for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
            if method == reqwest::Method::DELETE && !exists {
                break;
            }
            let mut attempts = 0;
            loop {
                attempts += 1;
                if attempts > 50 {
                    return Err(format!("customer {id}: still rate limited after 50 tries").into());
                }
                let response = send(method.clone(), id).send().await?;
                let status = response.status().as_u16();
                if status == 429 {
                    let reset = response
                        .headers()
                        .get("x-rate-limit-time-reset-ms")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1000);
                    tokio::time::sleep(Duration::from_millis(reset)).await;
                    continue;
                }
                if !response.status().is_success() {
                    return Err(format!("customer {id}: {method} answered {status}").into());
                }
                if method == reqwest::Method::GET {
                    let body: serde_json::Value = response.json().await?;
                    exists = body["data"].as_array().is_some_and(|d| !d.is_empty());
                }
                break;
            }
        }
    }
    let wall = started.elapsed();
    let log = sim.requests();
    Ok(Baseline {
        wall,
        requests: log.len(),
        rate_limited: status_count(&log, 429),
        log,
    })
}

fn baseline() -> Res<()> {
    // The same store and quota as (a); the per-customer approach on fewer customers (it needs two
    // requests each, ~7 customers per 3 s window), then extrapolated to (a)'s 6,250.
    let small = 60usize;
    let big = 6_250usize;
    println!(
        "\n## (c) per-customer baseline (official clients) vs bcprune, {QUOTA}/{WINDOW:?}, latency {QUOTA_LATENCY:?}\n"
    );
    println!("| approach | deletions | requests | 429s | wall s | s per deletion |");
    println!("|---|---|---|---|---|---|");
    let config = SimConfig::default()
        .customers(big as u32)
        .rate_limit(QUOTA, WINDOW)
        .latency(QUOTA_LATENCY);
    let ids: Vec<u32> = (1..=small as u32).collect();

    let sim = SimServer::start_background(config.clone())?;
    let base = runtime()?.block_on(per_customer(&sim, &ids))?;
    let per = base.wall.as_secs_f64() / small as f64;
    println!(
        "| per-customer (measured) | {small} | {} | {} | {} | {per:.3} |",
        base.requests,
        base.rate_limited,
        secs(base.wall)
    );

    let sim = SimServer::start_background(config.clone())?;
    let job = plan_and_apply(&sim, &ids, 250, 3)?;
    let log = sim.requests();
    let ours_small = job.stages.network();
    println!(
        "| bcprune (measured) | {small} | {} | {} | {} | {:.5} |",
        log.len(),
        status_count(&log, 429),
        secs(ours_small),
        ours_small.as_secs_f64() / small as f64
    );

    // Extrapolation: the baseline is quota-bound (two requests per customer, one after the other), so
    // it scales with the windows it needs: the measured time per window × (windows needed − 1). A
    // linear "seconds per customer" would flatter it (its last window is nearly free).
    let (windows, _) = window_profile(&base.log, WINDOW);
    let per_window = base.wall.as_secs_f64() / (windows.max(2) - 1) as f64;
    let needed = (2 * big).div_ceil(QUOTA as usize);
    let extrapolated = per_window * (needed - 1) as f64;
    let floor = WINDOW.as_secs_f64() * (needed - 1) as f64;
    println!(
        "| per-customer (extrapolated: ({needed} − 1) windows × {per_window:.3} s measured per window) | {big} | {} | ~{} | {extrapolated:.0} | {:.3} |",
        2 * big,
        needed - 1,
        extrapolated / big as f64
    );
    let sim = SimServer::start_background(config)?;
    let ids: Vec<u32> = (1..=big as u32).collect();
    let job = plan_and_apply(&sim, &ids, 250, 3)?;
    let log = sim.requests();
    let ours = job.stages.network();
    println!(
        "| bcprune (measured) | {big} | {} | {} | {} | {:.5} |",
        log.len(),
        status_count(&log, 429),
        secs(ours),
        ours.as_secs_f64() / big as f64
    );
    println!(
        "\nSpeed-up at {big} deletions: {:.0}× (extrapolated baseline {extrapolated:.0} s; its floor at the quota, (⌈2×{big}/{QUOTA}⌉ − 1) × {}s, is {floor:.0} s) — {}× fewer requests.",
        extrapolated / ours.as_secs_f64(),
        WINDOW.as_secs(),
        (2 * big) / log.len().max(1)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (d) Scale: 10,000 / 50,000 / 100,000 IDs against an unlimited store.

fn scale() -> Res<()> {
    println!(
        "\n## (d) scale: plan + apply against an unlimited fake store, batch 250, parallelism 3\n"
    );
    println!("| IDs | load | list | compute | render | delete | verify | total s | requests |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut per_id = Vec::new();
    for n in [10_000usize, 50_000, 100_000] {
        let sim =
            SimServer::start_background(SimConfig::default().customers(n as u32).unlimited())?;
        let ids: Vec<u32> = (1..=n as u32).collect();
        let job = plan_and_apply(&sim, &ids, 250, 3)?;
        let s = &job.stages;
        let total = s.load + s.network();
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} | {} | {} |",
            secs(s.load),
            secs(s.list),
            secs(s.compute),
            secs(s.render),
            secs(s.delete),
            secs(s.verify),
            secs(total),
            sim.requests().len()
        );
        per_id.push((n, s.clone(), job.report.state_serial));
    }
    println!("\nPer ID (µs):\n");
    println!("| IDs | load | list | compute | render | delete | verify |");
    println!("|---|---|---|---|---|---|---|");
    for (n, s, _) in &per_id {
        let us = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e6 / *n as f64);
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} |",
            us(s.load),
            us(s.list),
            us(s.compute),
            us(s.render),
            us(s.delete),
            us(s.verify)
        );
    }
    // The state file is rewritten (atomically, with fsync) after every batch: time one save per size.
    println!("\nOne state save (write, fsync, rename) holding N deleted records:\n");
    println!("| records | save ms | bytes |");
    println!("|---|---|---|");
    for n in [10_000u32, 50_000, 100_000] {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("state.json");
        let mut state = State::new("demo42", "0".repeat(64));
        let now = jiff::Timestamp::now();
        for id in 1..=n {
            state.record_deleted(id, now, "bench", None, true);
        }
        let t = Instant::now();
        state.save(&path)?;
        let took = t.elapsed();
        println!(
            "| {n} | {:.1} | {} |",
            took.as_secs_f64() * 1e3,
            std::fs::metadata(&path)?.len()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (e) Validate a 1,000,000-ID manifest.

fn validate() -> Res<()> {
    println!("\n## (e) validate a 1,000,000-ID manifest (targets: ≤ 1 s, ≤ 150 MiB max RSS)\n");
    println!(
        "| form | bytes | `manifest::load` best s | median s | binary wall | user s | sys s | max RSS MiB | time | memory |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let dir = tempfile::tempdir()?;
    let compact = write_manifest(dir.path(), 1..=1_000_000, 1_000_000)?;
    let reasons = dir.path().join("reasons.yaml");
    let mut text = String::from("version: 1\nmax_deletes: 1000000\nabsent:\n");
    for id in 1..=1_000_000u32 {
        let _ = writeln!(
            text,
            "  - id: {id}\n    reason: \"GDPR erasure request {id}\""
        );
    }
    std::fs::write(&reasons, text)?;
    for (form, path) in [("`- N`", &compact), ("`- id: N` + `reason:`", &reasons)] {
        validate_one(form, path)?;
    }
    Ok(())
}

/// Time `manifest::load` in-process (3 runs) and `bcprune validate` under `/usr/bin/time -v`.
fn validate_one(form: &str, path: &Path) -> Res<()> {
    let bytes = std::fs::metadata(path)?.len();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let manifest = manifest::load(path)?;
        times.push(t.elapsed());
        if manifest.absent.len() != 1_000_000 {
            return Err("the manifest did not load 1,000,000 IDs".into());
        }
    }
    times.sort();
    let exe = Path::new(env!("CARGO_BIN_EXE_bcprune"));
    let time = TimeV::run(exe, &["validate".as_ref(), path.as_os_str()])?;
    let field = |name: &str| time.field(name);
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let wall_s: f64 = wall
        .rsplit(':')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let rss_mib = time.max_rss_mib();
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "| {form} | {bytes} | {} | {} | {wall} | {} | {} | {rss_mib:.1} | {} | {} |",
        secs(times[0]),
        secs(times[1]),
        field("User time (seconds):"),
        field("System time (seconds):"),
        verdict(wall_s <= 1.0 && times[1] <= Duration::from_secs(1)),
        verdict(rss_mib <= 150.0),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (f) Render a 100,000-row plan.

/// A 100,000-ID plan: 50,000 to delete (with masked emails and names), 50,000 already absent.
fn big_plan(dir: &Path) -> Res<(Manifest, Plan)> {
    let path = write_manifest(dir, 1..=100_000, 100_000)?;
    let manifest = manifest::load(&path)?;
    let mut live = Live::default();
    for id in (1..=100_000u32).step_by(2) {
        live.customers.insert(
            id,
            LiveCustomer {
                id,
                email: format!("customer{id}@example.com"),
                first_name: "Jane".into(),
                last_name: "Doe".into(),
                date_modified: "2026-01-01T00:00:00Z".into(),
                record: serde_json::json!({ "id": id }),
            },
        );
    }
    let plan = plan::compute(&manifest, &live);
    Ok((manifest, plan))
}

fn render_big() -> Res<()> {
    let dir = tempfile::tempdir()?;
    let (manifest, plan) = big_plan(dir.path())?;
    let saved = SavedPlan::new(
        &plan,
        &manifest,
        "demo42",
        "api.bigcommerce.com",
        None,
        jiff::Timestamp::now(),
    );
    println!("\n## (f) render a 100,000-row plan (50,000 delete, 50,000 absent)\n");
    println!("| format | ms | bytes | lines |");
    println!("|---|---|---|---|");
    type Renderer<'a> = Box<dyn Fn(&mut Vec<u8>) -> std::io::Result<()> + 'a>;
    let renderers: Vec<(&str, Renderer)> = vec![
        ("table", Box::new(|out| render::table(&plan, false, out))),
        (
            "table --full",
            Box::new(|out| render::table(&plan, true, out)),
        ),
        (
            "markdown",
            Box::new(|out| render::markdown(&saved, &render::Context::default(), out)),
        ),
        ("json", Box::new(|out| render::json(&saved, out))),
    ];
    for (name, render) in renderers {
        let mut out = Vec::new();
        let t = Instant::now();
        render(&mut out)?;
        let took = t.elapsed();
        println!(
            "| {name} | {:.1} | {} | {} |",
            took.as_secs_f64() * 1e3,
            out.len(),
            out.iter().filter(|b| **b == b'\n').count()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (g) Mixed apply (issue 10.6): 1,000 customers + 200 newsletter subscribers at the quota.

fn mixed() -> Res<()> {
    println!(
        "\n## (g) mixed apply at the quota: Q = {QUOTA} per {WINDOW:?}, latency {QUOTA_LATENCY:?}\n"
    );
    println!(
        "| customers | subscribers | batch | par | requests (min) | 429s | wall s | bound s | ratio | target ≤ 1.1 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (c, s, batch, par) = (1_000u32, 200u32, 250usize, 3usize);
    let sim = SimServer::start_background(
        SimConfig::default()
            .customers(c)
            .subscribers(s)
            .rate_limit(QUOTA, WINDOW)
            .latency(QUOTA_LATENCY),
    )?;
    let customers: Vec<u32> = (1..=c).collect();
    let subscribers: Vec<u32> = (1..=s).collect();
    let job = plan_and_apply_mixed(&sim, &customers, &subscribers, batch, par)?;
    let log = sim.requests();
    if !sim.collection_deletes().is_empty() {
        return Err("a DELETE reached the subscribers collection".into());
    }
    // Customers: list, DELETE in batches, verify; subscribers: list, one DELETE each, verify.
    let (c, s) = (c as usize, s as usize);
    let r_min = minimal_requests(c, c, batch) + s.div_ceil(250) + s + s.div_ceil(250);
    let bound = WINDOW * (r_min.div_ceil(QUOTA as usize) as u32 - 1);
    let wall = job.stages.network();
    let ratio = wall.as_secs_f64() / bound.as_secs_f64();
    println!(
        "| {c} | {s} | {batch} | {par} | {} ({r_min}) | {} | {} | {} | {ratio:.3} | {} |",
        log.len(),
        status_count(&log, 429),
        secs(wall),
        secs(bound),
        if ratio <= 1.1 { "met" } else { "MISSED" },
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (j) Orders (issue 19.8): customers deleted and their orders redacted, at the Standard quota scaled
// to a shorter window.

/// The Standard quota (150 per 30 s) with a window ten times shorter: the same 150 requests per window,
/// so the ratio to the quota bound is what a real run would show, in a tenth of the time.
const ORDERS_QUOTA: u32 = 150;
const ORDERS_WINDOW: Duration = Duration::from_secs(3);

fn orders() -> Res<()> {
    println!(
        "\n## (j) customers with orders at the quota: Q = {ORDERS_QUOTA} per {ORDERS_WINDOW:?}, latency {QUOTA_LATENCY:?}\n"
    );
    let (customers, per_customer, batch, par) = (1_000u32, 2u32, 250usize, 3usize);
    let mut config = SimConfig::default()
        .customers(customers)
        .rate_limit(ORDERS_QUOTA, ORDERS_WINDOW)
        .latency(QUOTA_LATENCY);
    for id in 1..=customers {
        config = config.orders_for(id, per_customer);
    }
    let sim = SimServer::start_background(config)?;
    let orders: Vec<u32> = (1..=customers).flat_map(|c| sim.orders_of(c)).collect();
    let addresses: Vec<usize> = orders
        .iter()
        .map(|&id| sim.order_shipping_addresses(id).len())
        .collect();
    let dir = tempfile::tempdir()?;
    // Every order due at once (years: 0), so every one is redacted.
    let mut text = format!(
        "version: 1\nmax_deletes: {}\norders_retention:\n  years: 0\n  basis: \"bench\"\nabsent:\n",
        customers as usize + orders.len()
    );
    for id in 1..=customers {
        let _ = writeln!(
            text,
            "  - id: {id}\n    reason: \"bench\"\n    orders: redact"
        );
    }
    let path = dir.path().join("manifest.yaml");
    std::fs::write(&path, text)?;
    let expected = customers as usize + orders.len();
    let job = apply_manifest(&sim, dir.path(), &path, expected, batch, par)?;
    let log = sim.requests();
    if !sim.order_collection_deletes().is_empty() || !sim.order_events().is_empty() {
        return Err("a forbidden order request or PUT side effect reached the store".into());
    }
    // The fewest requests: customers listed, deleted and verified in batches; discovery, one page of
    // orders and the empty page after it per customer (a short page is not trusted to be the last);
    // each order's redaction and verification (`store::redaction_requests`, its shipping addresses
    // unread by discovery).
    let c = customers as usize;
    let discovery = c * 2;
    let redactions: usize = addresses
        .iter()
        .map(|&k| bcprune::store::redaction_requests(k, false))
        .sum();
    let r_min = minimal_requests(c, c, batch) + discovery + redactions;
    // What the same apply sent before issue 19.8 (measured per order: a GET of the order before its
    // PUT, 5 + k in all): one more request per order.
    let before = r_min + orders.len();
    let kind = |f: &dyn Fn(&RecordedRequest) -> bool| log.iter().filter(|r| f(r)).count();
    let listings = kind(&|r| r.method == "GET" && r.path.ends_with("/v2/orders"));
    let order_gets = kind(&|r| {
        r.method == "GET" && r.path.contains("/v2/orders/") && !r.path.contains("/shipping")
    });
    let address_gets = kind(&|r| r.method == "GET" && r.path.ends_with("/shipping_addresses"));
    let order_puts = kind(&|r| r.method == "PUT" && !r.path.contains("/shipping"));
    let address_puts = kind(&|r| r.method == "PUT" && r.path.contains("/shipping_addresses/"));
    let customer_requests = kind(&|r| r.path.ends_with("/v3/customers"));
    let wall = job.stages.network();
    let window = ORDERS_WINDOW.as_secs_f64();
    let bound = r_min as f64 / f64::from(ORDERS_QUOTA) * window;
    let bound_windows = (r_min.div_ceil(ORDERS_QUOTA as usize) - 1) as f64 * window;
    let ratio = wall.as_secs_f64() / bound;
    println!(
        "| customers | orders | shipping addresses | requests (min; before 19.8) | customers' | discovery GETs | order GETs | address GETs | order PUTs | address PUTs | 429s | wall s | bound s (R/Q×W) | ratio | ≤ 1.1 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {c} | {} | {} | {} ({r_min}; {before}) | {customer_requests} | {listings} | {order_gets} | {address_gets} | {order_puts} | {address_puts} | {} | {} | {bound:.3} | {ratio:.3} | {} |",
        orders.len(),
        addresses.iter().sum::<usize>(),
        log.len(),
        status_count(&log, 429),
        secs(wall),
        if ratio <= 1.1 { "met" } else { "MISSED" },
    );
    println!(
        "\n(bound with the last window entered, not waited out: (⌈R/Q⌉ − 1) × W = {bound_windows:.3} s, ratio {:.3}; stages: list {} s, delete and redact {} s, verify {} s)",
        wall.as_secs_f64() / bound_windows,
        secs(job.stages.list),
        secs(job.stages.delete),
        secs(job.stages.verify),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (h) Incremental plans (issue 12.5): 10 new IDs on top of N recorded ones, against --refresh-all.

/// What one [`plan_once`] cost.
struct Planned {
    requests: usize,
    /// From the state load to the computed plan.
    wall: Duration,
    /// The state load alone.
    loaded: Duration,
    /// Checking the state's records against the audit log (PRODUCT §14) alone.
    proven: Duration,
    to_delete: usize,
}

/// One `plan` through the library as `bcprune plan` makes it: load the state, keep what the audit log
/// proves of it (timed apart), then `plan::run` (list what it does not settle, or everything; compute).
fn plan_once(
    sim: &SimServer,
    manifest: &Manifest,
    state_path: &Path,
    refresh_all: bool,
) -> Res<Planned> {
    plan_with(sim, manifest, state_path, refresh_all, false)
}

/// [`plan_once`]; `full_parse`: read the state with the full parser, as `Summary::load` did for a
/// state with order records before the scanner read them (the "before" of BENCHMARKS §6's orders rows).
fn plan_with(
    sim: &SimServer,
    manifest: &Manifest,
    state_path: &Path,
    refresh_all: bool,
    full_parse: bool,
) -> Res<Planned> {
    let client = client(sim, 3)?;
    let rt = runtime()?;
    let before = sim.requests().len();
    let t = Instant::now();
    let mut state = if full_parse {
        State::load(state_path)?.map(|s| s.summary())
    } else {
        bcprune::state::Summary::load(state_path)?
    };
    let loaded = t.elapsed();
    if let Some(state) = &mut state {
        let claim = bcprune::evidence::Claim {
            lineage: state.lineage,
            serial: state.serial,
            store_hash: &state.store_hash,
            audit_head: state.audit_head.as_ref(),
            settled: &state.settled,
            orders_wanted: !state.settled.orders.is_empty(),
        };
        let audit_log = state_path.with_file_name("bcprune.audit.jsonl");
        state.settled = bcprune::evidence::check(claim, &audit_log).settled;
    }
    let proven = t.elapsed() - loaded;
    let input = plan::Input {
        manifest,
        settled: state.as_ref().map(|s| &s.settled),
        refresh_all,
        max_deletes: None,
        today: plan::today_utc(),
    };
    let plan = rt.block_on(plan::run(&input, &client))?.plan;
    let wall = t.elapsed();
    Ok(Planned {
        requests: sim.requests().len() - before,
        wall,
        loaded,
        proven,
        to_delete: plan.summary().to_delete,
    })
}

/// The state and audit log `n` verified deletions by earlier applies leave: a `verify` line per 250
/// IDs, then the save (its `state_saved` line and the state).
fn write_recorded(dir: &Path, manifest: &Manifest, n: u32) -> Res<()> {
    write_recorded_orders(dir, manifest, n, 0, true)
}

/// [`write_recorded`], with `orders` order records too (PRODUCT §15: found of the deleted customers,
/// an `orders_recorded` line per 250) and, unless `orders_digest`, a last save as bcprune wrote it
/// before the digest covered orders (no `orders_sha256`: the log is read for them).
fn write_recorded_orders(
    dir: &Path,
    manifest: &Manifest,
    n: u32,
    orders: u32,
    orders_digest: bool,
) -> Res<()> {
    let log = dir.join("bcprune.audit.jsonl");
    let _ = std::fs::remove_file(&log);
    let mut audit = bcprune::audit::AuditLog::open(&log, "bench")?;
    let mut state = State::new("demo42", &manifest.sha256);
    let now = jiff::Timestamp::now();
    let ids: Vec<u32> = (1..=n).collect();
    for chunk in ids.chunks(250) {
        let entry = bcprune::audit::AuditEntry::new("earlier", bcprune::audit::EventKind::Verify);
        audit.append(entry.ids(chunk))?;
        for &id in chunk {
            state.record_deleted(id, now, "earlier", None, true);
        }
    }
    let until = jiff::civil::date(2034, 12, 31);
    let found: Vec<(u32, u32, jiff::civil::Date)> = (1..=orders)
        .map(|i| (100 + i, i % n.max(1) + 1, until))
        .collect();
    for chunk in found.chunks(250) {
        let entry =
            bcprune::audit::AuditEntry::new("earlier", bcprune::audit::EventKind::OrdersRecorded)
                .ids(&chunk.iter().map(|f| f.0).collect::<Vec<_>>())
                .field(
                    "customer_ids",
                    chunk.iter().map(|f| f.1).collect::<Vec<_>>(),
                )
                .field(
                    "retained_until",
                    chunk.iter().map(|f| f.2.to_string()).collect::<Vec<_>>(),
                );
        audit.append(bcprune::audit::about(entry, bcprune::Resource::Order))?;
        state.record_orders(chunk, now, "earlier");
    }
    let state_path = dir.join("bcprune.state.json");
    if orders_digest {
        bcprune::evidence::save_state(&mut audit, &mut state, &state_path, "earlier")?;
    } else {
        let line =
            bcprune::audit::AuditEntry::new("earlier", bcprune::audit::EventKind::StateSaved)
                .field("serial", state.serial + 1)
                .field("lineage", state.lineage.to_string())
                .store_hash(state.store_hash.clone())
                .field("records_sha256", state.settled().digest());
        audit.append(line)?;
        state.audit_head = Some(audit.head());
        state.save(&state_path)?;
    }
    Ok(())
}

fn incremental() -> Res<()> {
    println!(
        "\n## (h) plan after adding 10 IDs to N recorded ones: Q = {QUOTA} per {WINDOW:?}, latency {QUOTA_LATENCY:?}\n"
    );
    println!(
        "| recorded N | mode | GETs | wall s | of which state load ms | of which proof ms | to delete |"
    );
    println!("|---|---|---|---|---|---|---|");
    for n in [1_000u32, 10_000, 100_000, 1_000_000] {
        let sim = SimServer::start_background(
            SimConfig::default()
                .customers(n + 10)
                .rate_limit(QUOTA, WINDOW)
                .latency(QUOTA_LATENCY),
        )?;
        // 1..=N were deleted (and recorded) by earlier applies; N+1..=N+10 are new.
        for id in 1..=n {
            sim.remove(id);
        }
        let dir = tempfile::tempdir()?;
        let path = write_manifest(dir.path(), 1..=n + 10, (n + 10) as usize)?;
        let manifest = manifest::load(&path)?;
        let state_path = dir.path().join("bcprune.state.json");
        write_recorded(dir.path(), &manifest, n)?;
        for (mode, refresh_all) in [
            ("incremental", false),
            ("incremental, state edited", false),
            ("--refresh-all", true),
        ] {
            if mode == "incremental, state edited" {
                if n < 1_000_000 {
                    continue;
                }
                // One record's `verified` flipped by hand: the digest no longer matches, so every
                // record is checked against the whole log (customer 1, now unverified, is listed).
                let text = std::fs::read_to_string(&state_path)?;
                let edited = text.replacen("\"verified\": true", "\"verified\": false", 1);
                std::fs::write(&state_path, edited)?;
            }
            if refresh_all && n > 100_000 {
                // 4,001 GETs at 5 per second: 13 minutes of quota, the cost the incremental plan avoids.
                println!(
                    "| {n} | {mode} | (not run: {} GETs) | | | | |",
                    (n + 10).div_ceil(250)
                );
                continue;
            }
            // A fresh quota window for each mode.
            std::thread::sleep(WINDOW);
            let planned = plan_once(&sim, &manifest, &state_path, refresh_all)?;
            println!(
                "| {n} | {mode} | {} | {} | {:.1} | {:.1} | {} |",
                planned.requests,
                secs(planned.wall),
                planned.loaded.as_secs_f64() * 1e3,
                planned.proven.as_secs_f64() * 1e3,
                planned.to_delete,
            );
        }
        if n >= 100_000 {
            // The same state with N/10 order records (PRODUCT §15): before, the scanner declined it
            // and the whole log was read for the orders; now the scanner reads them and
            // `orders_sha256` vouches for them.
            for (mode, digest) in [
                (
                    "incremental + N/10 orders, before (full parse, log read)",
                    false,
                ),
                ("incremental + N/10 orders", true),
            ] {
                write_recorded_orders(dir.path(), &manifest, n, n / 10, digest)?;
                std::thread::sleep(WINDOW);
                let planned = plan_with(&sim, &manifest, &state_path, false, !digest)?;
                println!(
                    "| {n} | {mode} | {} | {} | {:.1} | {:.1} | {} |",
                    planned.requests,
                    secs(planned.wall),
                    planned.loaded.as_secs_f64() * 1e3,
                    planned.proven.as_secs_f64() * 1e3,
                    planned.to_delete,
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// (i) The cost of loading the state itself (issue 12.5).

fn state_load() -> Res<()> {
    println!(
        "\n## (i) load a state of N records (in-process best of 3; a child process under /usr/bin/time -v)\n"
    );
    println!(
        "`plan` reads what it needs (`Summary::load`, the line scanner); `apply` and `report` parse the \
         whole state (`State::load`).\n"
    );
    println!("| records | bytes | reader | load ms (best) | child wall | child max RSS MiB |");
    println!("|---|---|---|---|---|---|");
    let exe = std::env::current_exe()?;
    for n in [100_000u32, 1_000_000] {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("bcprune.state.json");
        write_realistic_state(&path, n)?;
        let bytes = std::fs::metadata(&path)?.len();
        for (reader, child) in [
            ("plan: Summary::load", "__load_summary"),
            ("apply: State::load", "__load_state"),
        ] {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let t = Instant::now();
                let settled = if child == "__load_summary" {
                    let summary = bcprune::state::Summary::load(&path)?.ok_or("no state")?;
                    let elapsed = t.elapsed();
                    let settled = (1..=n)
                        .filter(|&id| summary.settled.contains(bcprune::Resource::Customer, id))
                        .count();
                    best = best.min(elapsed);
                    settled
                } else {
                    let state = State::load(&path)?.ok_or("no state")?;
                    best = best.min(t.elapsed());
                    state.deleted.iter().filter(|r| r.verified).count()
                };
                if settled != n as usize - n as usize / 1000 {
                    return Err(format!("{reader}: {settled} settled of {n}").into());
                }
            }
            let (wall, rss_mib) = child_time(&exe, child, &path)?;
            println!(
                "| {n} | {bytes} | {reader} | {:.1} | {wall} | {rss_mib:.1} |",
                best.as_secs_f64() * 1e3,
            );
        }
    }
    Ok(())
}

/// A state of `n` customer deletions as years of applies leave one: a run ID per 500 IDs, a
/// nanosecond time each, a reason of its own for four in five, one in a thousand unverified.
fn write_realistic_state(path: &Path, n: u32) -> Res<()> {
    let mut state = State::new("demo42", "0".repeat(64));
    let start = jiff::Timestamp::from_second(1_700_000_000)?;
    let mut run_id = String::new();
    for id in 1..=n {
        if id % 500 == 1 {
            run_id = uuid::Uuid::new_v4().to_string();
        }
        let at = start.checked_add(jiff::SignedDuration::from_nanos(i64::from(id) * 1_234_567))?;
        let reason =
            (id % 5 != 0).then(|| format!("GDPR erasure request, ticket {}", 100_000 + id));
        state.record_deleted(id, at, run_id.as_str(), reason, id % 1000 != 0);
    }
    state.save(path)?;
    Ok(())
}

/// Run this benchmark's child `mode` on `path` under `/usr/bin/time -v`: its wall time and peak RSS.
fn child_time(exe: &Path, mode: &str, path: &Path) -> Res<(String, f64)> {
    let time = TimeV::run(exe, &[mode.as_ref(), path.as_os_str()])?;
    Ok((
        time.field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
        time.max_rss_mib(),
    ))
}

/// What `/usr/bin/time -v` reported of a process that succeeded.
struct TimeV {
    report: String,
}

impl TimeV {
    fn run(program: &Path, args: &[&std::ffi::OsStr]) -> Res<TimeV> {
        let output = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(program)
            .args(args)
            .output()
            .map_err(|e| format!("could not run /usr/bin/time -v (install GNU time): {e}"))?;
        if !output.status.success() {
            return Err(format!("{} {args:?} failed: {output:?}", program.display()).into());
        }
        Ok(TimeV {
            report: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// The value of one `name: value` line, or `?`.
    fn field(&self, name: &str) -> String {
        self.report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(str::trim).map(String::from))
            .unwrap_or_else(|| "?".into())
    }

    fn max_rss_mib(&self) -> f64 {
        self.field("Maximum resident set size (kbytes):")
            .parse::<f64>()
            .unwrap_or(f64::NAN)
            / 1024.0
    }
}
