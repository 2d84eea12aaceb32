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

/// The customer whose orders the demo's store holds (`orders: redact` in `gdpr.yaml`): one retained,
/// one whose retention has ended.
pub const ORDERS_OF: u32 = 101;

/// The demo manifest file listing the newsletter subscriptions of the customers it erases.
pub const SUBSCRIPTIONS_FILE: &str = "newsletter.yaml";

/// A manifest erasing `subscriptions`: (subscriber ID, the customer ID of the same person). The
/// reason names the customer's ID, never the email.
pub fn subscriptions_manifest(subscriptions: &[(u32, u32)]) -> String {
    let mut text = String::from(
        "# The newsletter subscriptions of the customers erased in the other files: the same person\n\
         # (same email), a separate record under its own subscriber ID.\n\
         version: 1\nabsent: []\nabsent_subscribers:\n",
    );
    for (subscriber, customer) in subscriptions {
        text.push_str(&format!(
            "  - id: {subscriber}\n    reason: \"newsletter subscription of customer {customer}\"\n"
        ));
    }
    if subscriptions.is_empty() {
        text = text.replace("absent_subscribers:\n", "absent_subscribers: []\n");
    }
    text
}

/// Write the example manifests into `dir` (created if missing), as a user reads them: without the
/// editor's `$schema` line, whose relative path leads to the repository's `schemas/`, which the demo's
/// folder does not have (`bcprune schema manifest` prints the schema).
pub fn write_manifests(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in MANIFESTS {
        std::fs::write(dir.join(name), for_the_demo(text))?;
    }
    Ok(())
}

/// `text` without a leading `# yaml-language-server: $schema=…` line and the bare `#` after it.
fn for_the_demo(text: &str) -> String {
    let mut lines = text.lines().peekable();
    if lines
        .peek()
        .is_some_and(|l| l.starts_with("# yaml-language-server:"))
    {
        lines.next();
        if lines.peek() == Some(&"#") {
            lines.next();
        }
    }
    lines.map(|l| format!("{l}\n")).collect()
}
