//! Shared test support: a builder around the `bcprune` binary and temporary workspaces.
#![allow(dead_code)]

pub mod run;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A temporary folder holding manifests, state and audit files for one test.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    #[track_caller]
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write `contents` to `name` inside the workspace (creating folders) and return its path.
    #[track_caller]
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

/// The `bcprune` binary with a clean environment: no BigCommerce variables leak in from the caller.
pub fn bcprune() -> Command {
    let mut cmd = Command::cargo_bin("bcprune").expect("bcprune binary");
    for var in [
        "BIGCOMMERCE_STORE_HASH",
        "BIGCOMMERCE_ACCESS_TOKEN",
        "BIGCOMMERCE_API_URL",
        "RUST_LOG",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

use bcprune::sim::{READ_WRITE_TOKEN, SimConfig, SimServer};

/// A fake store with `customers` seeded customers and a quota no test runs into.
pub fn store(customers: u32) -> SimServer {
    store_with(SimConfig::default().customers(customers).unlimited())
}

/// A fake store with the given knobs, running on its own thread.
#[track_caller]
pub fn store_with(config: SimConfig) -> SimServer {
    SimServer::start_background(config).expect("start the fake store")
}

/// `bcprune` pointed at `sim` with a read-write token and fast retries.
pub fn bcprune_at(sim: &SimServer) -> Command {
    let mut cmd = bcprune();
    cmd.env("BIGCOMMERCE_API_URL", sim.base_url())
        .env("BIGCOMMERCE_ACCESS_TOKEN", READ_WRITE_TOKEN)
        .env("BIGCOMMERCE_STORE_HASH", "demo42")
        .env("BCPRUNE_RETRY", "base_ms=2,cap_ms=50")
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

/// A manifest listing `ids` as absent (each with a reason), plus optional extra top-level YAML.
pub fn manifest_yaml(ids: &[u32], extra: &str) -> String {
    let mut text = format!("version: 1\n{extra}absent:\n");
    for id in ids {
        text.push_str(&format!("  - id: {id}\n    reason: \"request {id}\"\n"));
    }
    text
}

/// The `id:in` lists of every DELETE the store received, in order.
pub fn deletes(sim: &SimServer) -> Vec<Vec<u32>> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.ids.unwrap_or_default())
        .collect()
}

/// How many requests with `method` the store received.
pub fn count(sim: &SimServer, method: &str) -> usize {
    sim.requests().iter().filter(|r| r.method == method).count()
}

/// Read a JSON file.
#[track_caller]
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read JSON file");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Run `bcprune plan MANIFEST --out <ws>/plan.json` against `sim` and return the plan's path.
#[track_caller]
pub fn save_plan(sim: &SimServer, ws: &Workspace, manifest: &Path) -> PathBuf {
    let plan = ws.path().join("plan.json");
    bcprune_at(sim)
        .args(["plan", "--out"])
        .arg(&plan)
        .arg(manifest)
        .assert()
        .success();
    plan
}

/// `bcprune apply --auto-approve MANIFEST` against `sim`, with extra arguments.
pub fn apply_auto(sim: &SimServer, manifest: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    bcprune_at(sim)
        .args(["apply", "--auto-approve"])
        .args(extra)
        .arg(manifest)
        .assert()
}

/// The state file's deleted IDs (and whether each is verified).
pub fn state_deleted(path: &Path) -> Vec<(u32, bool)> {
    let state = read_json(path);
    state["deleted"]
        .as_array()
        .expect("deleted is a list")
        .iter()
        .map(|d| {
            (
                d["id"].as_u64().expect("id") as u32,
                d["verified"].as_bool().expect("verified"),
            )
        })
        .collect()
}

/// A fake store with `customers` customers and `subscribers` newsletter subscribers, no quota in the way.
pub fn people(customers: u32, subscribers: u32) -> SimServer {
    store_with(
        SimConfig::default()
            .customers(customers)
            .subscribers(subscribers)
            .unlimited(),
    )
}

/// The subscriber IDs of every per-ID `DELETE /v3/customers/subscribers/{id}` the store received, in order.
pub fn subscriber_deletes(sim: &SimServer) -> Vec<u32> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .filter_map(|r| r.subscriber_id)
        .collect()
}

/// The `id:in` lists of the customers DELETEs only (`deletes` also counts subscriber DELETEs, as empty).
pub fn customer_deletes(sim: &SimServer) -> Vec<Vec<u32>> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.resource == Some(bcprune::Resource::Customer))
        .map(|r| r.ids.unwrap_or_default())
        .collect()
}

/// Fail unless the store never received a DELETE of the subscribers collection (which wipes them all).
#[track_caller]
pub fn assert_no_collection_delete(sim: &SimServer) {
    let sent = sim.collection_deletes();
    assert!(
        sent.is_empty(),
        "DELETE of the subscribers collection was sent: {:?}",
        sent.iter()
            .map(|r| format!("{}?{} -> {}", r.path, r.query, r.status))
            .collect::<Vec<_>>()
    );
}

/// `bcprune audit verify --log LOG` succeeds (the hash chain is intact); the log's text, for further checks.
#[track_caller]
pub fn assert_audit_intact(log: &Path) -> String {
    bcprune()
        .args(["audit", "verify", "--log"])
        .arg(log)
        .assert()
        .success();
    std::fs::read_to_string(log).expect("read the audit log")
}
