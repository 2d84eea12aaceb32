//! `bcprune demo`: the whole plan → review → apply → verify flow against the embedded fake store, in a
//! temporary folder, with no credentials and no network beyond 127.0.0.1.

use std::path::PathBuf;

use crate::error::Exit;
use crate::sim::{READ_WRITE_TOKEN, SimConfig, SimServer};

use super::common::error;
use super::{ApplyArgs, Format, GlobalArgs, PlanArgs};

/// The store the demo creates.
const DEMO_STORE: &str = "demo42";

pub fn run(global: &GlobalArgs) -> Exit {
    let (dir, sim) = match setup() {
        Ok(setup) => setup,
        Err(e) => {
            error(format!("could not set up the demo: {e}"));
            return Exit::Error;
        }
    };
    let manifest = dir.join("customers");
    let plan_file = dir.join("plan.json");
    let demo = GlobalArgs {
        store_hash: Some(DEMO_STORE.to_string()),
        api_url: sim.base_url(),
        state: None,
        audit_log: None,
        token: Some(crate::api::Token::new(READ_WRITE_TOKEN.to_string())),
        ..global.clone()
    };
    println!(
        "bcprune demo: a fake store `{DEMO_STORE}` with {} customers runs at {}.",
        crate::demo::CUSTOMERS,
        sim.base_url()
    );
    println!("Working folder: {}\n", dir.display());

    step(&format!(
        "bcprune plan {} --out {}",
        manifest.display(),
        plan_file.display()
    ));
    let exit = super::error::exit_of(super::plan::run(
        &demo,
        &PlanArgs {
            manifest: manifest.clone(),
            out: Some(plan_file.clone()),
            format: Format::Table,
            detailed_exitcode: true,
            diff: false,
            full: false,
        },
    ));
    if exit != Exit::ChangesPending {
        error("the demo plan did not find the expected deletions");
        return Exit::Error;
    }

    step(&format!("bcprune apply --plan {}", plan_file.display()));
    let exit = super::apply::run(
        &demo,
        &ApplyArgs {
            manifest: Some(manifest.clone()),
            plan: Some(plan_file),
            auto_approve: false,
            full: false,
        },
    );
    if exit != Exit::Success {
        return exit;
    }

    step(&format!(
        "bcprune plan {} --detailed-exitcode   (again: nothing left to do)",
        manifest.display()
    ));
    let exit = super::error::exit_of(super::plan::run(
        &demo,
        &PlanArgs {
            manifest: manifest.clone(),
            out: None,
            format: Format::Table,
            detailed_exitcode: true,
            diff: false,
            full: false,
        },
    ));
    if exit != Exit::Success {
        error("the re-plan after apply still has changes");
        return Exit::Error;
    }

    let audit = manifest.join(super::common::AUDIT_FILE);
    step(&format!("bcprune audit verify --log {}", audit.display()));
    let exit = super::error::exit_of(super::audit::verify(&audit));
    let requests = sim.requests();
    let count = |m: &str| requests.iter().filter(|r| r.method == m).count();
    println!(
        "\nThe fake store saw {} requests: {} GET, {} DELETE.",
        requests.len(),
        count("GET"),
        count("DELETE")
    );
    println!(
        "Look around: {} holds the manifest, plan.json, the state file and the audit log.",
        dir.display()
    );
    exit
}

fn step(command: &str) {
    println!("\n$ {command}");
}

fn setup() -> Result<(PathBuf, SimServer), String> {
    let dir = tempfile::Builder::new()
        .prefix("bcprune-demo-")
        .tempdir()
        .map_err(|e| format!("temporary folder: {e}"))?
        .keep();
    crate::demo::write_manifests(&dir.join("customers"))
        .map_err(|e| format!("writing the demo manifests: {e}"))?;
    let config = SimConfig {
        store_hash: DEMO_STORE.to_string(),
        customers: crate::demo::CUSTOMERS,
        ..SimConfig::default()
    };
    let sim = SimServer::start_background(config).map_err(|e| format!("fake store: {e}"))?;
    Ok((dir, sim))
}
