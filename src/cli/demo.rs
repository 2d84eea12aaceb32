//! `bcprune demo`: the whole plan → review → apply → verify flow against the embedded fake store, in a
//! temporary folder, with no credentials and no network beyond 127.0.0.1. It drives the library
//! (`plan::run`, `plan::file`, `apply::run`) as a user's pipeline would drive the commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::api::{Client, ClientConfig, Token};
use crate::apply::{self, Approval, Interrupt, PlanFile, PlanSource, Request};
use crate::exit::Exit;
use crate::plan::{self, Plan, SavedPlan};
use crate::render;
use crate::sim::{READ_WRITE_TOKEN, SimConfig, SimServer};

use super::common;
use super::error::CliError;
use super::settings::Settings;

/// The store the demo creates.
const DEMO_STORE: &str = "demo42";

pub fn run(global: &Settings) -> Result<Exit, CliError> {
    let (dir, sim) =
        setup().map_err(|e| CliError::Demo(format!("could not set up the demo: {e}")))?;
    let manifest_path = dir.join("customers");
    let plan_file = dir.join("plan.json");
    // A new client for every step, as each command of a pipeline has its own: the request counts it
    // reports are then the step's own.
    let new_client = || {
        Client::new(ClientConfig {
            parallelism: usize::from(global.parallelism),
            ..ClientConfig::new(
                sim.base_url(),
                DEMO_STORE,
                Token::new(READ_WRITE_TOKEN.to_string()),
            )
        })
        .map_err(CliError::Client)
    };
    let client = new_client()?;
    let runtime = common::runtime()?;
    println!(
        "bcprune demo: a fake store `{DEMO_STORE}` with {} customers and {} newsletter subscribers runs at {}.",
        crate::demo_manifests::CUSTOMERS,
        crate::demo_manifests::CUSTOMERS,
        sim.base_url()
    );
    println!(
        "The manifest erases customers and, in {}, the newsletter subscriptions the same people hold (a separate record: deleting the customer leaves it).",
        crate::demo_manifests::SUBSCRIPTIONS_FILE
    );
    println!(
        "Customer {} has two orders (`orders: redact`): one is kept for the law until its retention ends, the other's retention has ended and its personal fields are redacted.",
        crate::demo_manifests::ORDERS_OF
    );
    println!("Working folder: {}\n", dir.display());

    step(&format!(
        "bcprune plan {} --out {}",
        manifest_path.display(),
        plan_file.display()
    ));
    let (manifest, planned) = plan_now(&runtime, &client, &manifest_path, global.no_color)?;
    if planned.is_empty() {
        return Err(CliError::Demo(
            "the demo plan did not find the expected deletions".into(),
        ));
    }
    let mut saved = SavedPlan::new(
        &planned,
        &manifest,
        DEMO_STORE,
        &client.api_host(),
        None,
        jiff::Timestamp::now(),
    );
    saved.manifest = saved.manifest.relative_to(&plan_file);
    plan::file::write(&saved, &plan_file)?;
    eprintln!(
        "Saved the plan to {}. To apply exactly this plan: bcprune apply --plan {}",
        plan_file.display(),
        plan_file.display()
    );

    step(&format!("bcprune apply --plan {}", plan_file.display()));
    let request = Request {
        state_path: manifest_path.join(common::STATE_FILE),
        audit_path: manifest_path.join(common::AUDIT_FILE),
        manifest,
        store_hash: DEMO_STORE.to_string(),
        batch_size: usize::from(global.batch_size),
        parallelism: usize::from(global.parallelism),
        max_deletes: global.max_deletes,
        auto_approve: false,
        full: false,
        run_id: uuid::Uuid::new_v4().to_string(),
        host: global.host.clone(),
        actor: global.actor.clone(),
    };
    let source = PlanSource::Saved(Box::new(PlanFile {
        path: plan_file,
        plan: saved,
    }));
    let client = new_client()?;
    let view = super::apply::Terminal::new(global.no_color, request.batch_size, &client);
    let outcome = runtime.block_on(apply::run(
        &request,
        &source,
        &client,
        &view,
        &Approval::Declined,
        &Interrupt::default(),
    ));
    view.outcome(&outcome);
    if outcome.exit() != Exit::Success {
        return Ok(outcome.exit());
    }

    step(&format!(
        "bcprune plan {} --detailed-exitcode   (again: nothing left to do)",
        manifest_path.display()
    ));
    let client = new_client()?;
    let (_, again) = plan_now(&runtime, &client, &manifest_path, global.no_color)?;
    if !again.is_empty() {
        return Err(CliError::Demo(
            "the re-plan after apply still has changes".into(),
        ));
    }

    // The log beside the manifest, found as plan and apply place it (PRODUCT §17).
    let audit = manifest_path.join(common::AUDIT_FILE);
    step(&format!("bcprune audit verify {}", manifest_path.display()));
    let exit = super::audit::verify(&audit)?;
    let requests = sim.requests();
    let count = |m: &str| requests.iter().filter(|r| r.method == m).count();
    println!(
        "\nThe fake store saw {} requests: {} GET, {} DELETE, {} PUT (order redaction; no order was deleted or archived).",
        requests.len(),
        count("GET"),
        count("DELETE"),
        count("PUT")
    );
    println!(
        "Look around: {} holds the manifest, plan.json, the state file and the audit log.",
        dir.display()
    );
    Ok(exit)
}

/// Load the manifest and the state, list what the state does not settle (as `plan` does), compute
/// and print the plan.
fn plan_now(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    path: &Path,
    no_color: bool,
) -> Result<(crate::manifest::Manifest, Plan), CliError> {
    let manifest = common::load_manifest(path)?;
    common::note(manifest.summary());
    let state = common::load_state(
        &path.join(common::STATE_FILE),
        &path.join(common::AUDIT_FILE),
        DEMO_STORE,
        &manifest,
    )?;
    let input = plan::Input {
        manifest: &manifest,
        settled: state.as_ref().map(|s| &s.settled),
        refresh_all: false,
        max_deletes: None,
        today: plan::today_utc(),
    };
    let made = runtime
        .block_on(plan::run(&input, client))
        .map_err(CliError::List)?;
    common::note(
        common::listed_line(&made.listed, DEMO_STORE, common::requests_sent(client))
            .trim_end_matches('\n'),
    );
    common::note("");
    let planned = made.plan;
    let options = render::TableOptions {
        full: false,
        colour: common::stdout_color(no_color),
        today: Some(jiff::ZonedDateTime::now().date()),
    };
    let cost = plan::cost::estimate(
        &planned,
        &made.scope,
        crate::cli::settings::MAX_BATCH_SIZE.into(),
        common::quota_of(client),
    );
    let mut out = std::io::stdout().lock();
    render::table_with(&planned, &options, &mut out)
        .and_then(|()| writeln!(out, "{}", cost.line()))
        .map_err(CliError::output)?;
    Ok((manifest, planned))
}

fn step(command: &str) {
    println!("\n$ {command}");
}

/// Why the demo's folder or fake store could not be set up.
#[derive(Debug, thiserror::Error)]
enum SetupError {
    #[error("temporary folder: {0}")]
    TempDir(std::io::Error),
    #[error("writing the demo manifests: {0}")]
    Write(std::io::Error),
    #[error("fake store: {0}")]
    Store(std::io::Error),
    #[error("reading the demo manifests: {0}")]
    Read(crate::manifest::ManifestErrors),
}

fn setup() -> Result<(PathBuf, SimServer), SetupError> {
    let dir = tempfile::Builder::new()
        .prefix("bcprune-demo-")
        .tempdir()
        .map_err(SetupError::TempDir)?
        .keep();
    crate::demo_manifests::write_manifests(&dir.join("customers")).map_err(SetupError::Write)?;
    let config = SimConfig {
        store_hash: DEMO_STORE.to_string(),
        customers: crate::demo_manifests::CUSTOMERS,
        ..SimConfig::default()
    }
    .subscribers(crate::demo_manifests::CUSTOMERS)
    // Customer 101 has two orders: one from 2024, retained; one from 2015, billed to France (10
    // years), whose retention has ended: redacted.
    .orders_for(crate::demo_manifests::ORDERS_OF, 2);
    let sim = SimServer::start_background(config).map_err(SetupError::Store)?;
    // The newsletter subscriptions of the customers the example manifests erase: the same person,
    // found by email (as `bcprune import` would), under their own subscriber IDs.
    let manifest = crate::manifest::load(&dir.join("customers")).map_err(SetupError::Read)?;
    let mut subscriptions = Vec::new();
    for entry in &manifest.absent {
        let email = sim
            .customer(entry.id)
            .and_then(|c| c.get("email").and_then(|e| e.as_str()).map(str::to_owned));
        if let Some(email) = email {
            for subscriber in sim.subscribers_with_email(&email) {
                subscriptions.push((subscriber, entry.id));
            }
        }
    }
    std::fs::write(
        dir.join("customers")
            .join(crate::demo_manifests::SUBSCRIPTIONS_FILE),
        crate::demo_manifests::subscriptions_manifest(&subscriptions),
    )
    .map_err(SetupError::Write)?;
    Ok((dir, sim))
}
