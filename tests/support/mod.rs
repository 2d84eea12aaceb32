//! Shared test support: a builder around the `bcprune` binary and temporary workspaces.
#![allow(dead_code)]

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
