//! The committed JSON Schemas must equal what the code generates, so editors and tools that read
//! `schemas/*.json` never disagree with bcprune. Regenerate with
//! `cargo run -- schema manifest > schemas/manifest.schema.json` (likewise `plan`, `state`, `report`, `requests`, `receipt`).

use crate::support::bcprune;

#[track_caller]
fn assert_committed(kind: &str) {
    let path = format!("{}/schemas/{kind}.schema.json", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let output = bcprune()
        .args(["schema", kind])
        .output()
        .expect("run bcprune");
    assert!(output.status.success(), "bcprune schema {kind} failed");
    let generated = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        committed == generated,
        "{path} is out of date with the Rust types; regenerate it with \
         `cargo run -- schema {kind} > schemas/{kind}.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&generated).expect("valid JSON");
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "draft 2020-12"
    );
}

#[test]
fn manifest_schema_is_committed_and_current() {
    assert_committed("manifest");
}

#[test]
fn plan_schema_is_committed_and_current() {
    assert_committed("plan");
}

#[test]
fn state_schema_is_committed_and_current() {
    assert_committed("state");
}

#[test]
fn example_manifests_point_editors_at_the_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = vec![root.join("manifest.yaml")];
    for entry in std::fs::read_dir(root.join("customers")).expect("examples/customers") {
        files.push(entry.expect("entry").path());
    }
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read example");
        assert!(
            text.starts_with("# yaml-language-server: $schema="),
            "{} must start with the yaml-language-server $schema comment",
            file.display()
        );
    }
}

#[test]
fn report_schema_is_committed_and_current() {
    assert_committed("report");
}

#[test]
fn requests_schema_is_committed_and_current() {
    assert_committed("requests");
}

#[test]
fn receipt_schema_is_committed_and_current() {
    assert_committed("receipt");
}

/// `scripts/prism-check.sh` sends these very bodies through Prism, to validate the order redaction
/// `PUT`s against the official spec: the committed copies must be what `order_redaction`'s builders
/// make (the failure prints the text to commit).
#[test]
fn the_prism_check_sends_the_order_bodies_the_builders_make() {
    use bcprune::order_redaction::{Present, address_body, order_body};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/prism");
    let v4_only = Present {
        ip_address: true,
        ip_address_v6: false,
    };
    let both = Present {
        ip_address: true,
        ip_address_v6: true,
    };
    for (file, body) in [
        ("order-put.json", order_body(both)),
        ("order-put-v4-only.json", order_body(v4_only)),
        ("shipping-address-put.json", address_body()),
    ] {
        let made = format!("{}\n", serde_json::to_string_pretty(&body).expect("json"));
        let path = dir.join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == made,
            "{} is not what the builder makes; commit this:\n{made}",
            path.display()
        );
    }
}
