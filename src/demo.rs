//! The demo's data: the example manifests shipped in `examples/customers/`, embedded in the binary so
//! `bcprune demo` needs nothing but itself.

use std::path::Path;

/// How many customers the demo's fake store is seeded with (IDs 1..=CUSTOMERS).
pub const CUSTOMERS: u32 = 1000;

/// The example manifest directory, file by file.
pub const MANIFESTS: &[(&str, &str)] = &[
    (
        "duplicates.yaml",
        include_str!("../examples/customers/duplicates.yaml"),
    ),
    (
        "fraud.yaml",
        include_str!("../examples/customers/fraud.yaml"),
    ),
    ("gdpr.yaml", include_str!("../examples/customers/gdpr.yaml")),
];

/// Write the example manifests into `dir` (created if missing).
pub fn write_manifests(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in MANIFESTS {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}
