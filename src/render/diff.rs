//! `plan --diff`: a unified diff (similar) of each record to delete, masked, before and after.

use std::io::{self, Write};

use crate::Resource;
use crate::live::Live;
use crate::mask;
use crate::plan::Plan;
use crate::text;

/// One unified diff per record to delete that `live` holds: the masked record before, nothing after,
/// headed `customer 7 (before)` / `customer 7 (after: deleted)`. Bidirectional controls in a value are
/// neutralised (JSON already escapes control characters). Each record is looked up in its own
/// resource's namespace: customer 7 and subscriber 7 are different people.
pub fn diffs(plan: &Plan, live: &Live) -> io::Result<Vec<String>> {
    let mut diffs = Vec::new();
    for change in plan.to_delete() {
        let record = match change.resource {
            Resource::Customer => live.customers.get(&change.id).map(|c| &c.record),
            Resource::Subscriber => live.subscribers.get(&change.id).map(|s| &s.record),
            // A redaction keeps the record; its diff would show personal fields being replaced.
            Resource::Order => None,
        };
        let Some(record) = record else {
            continue;
        };
        let pretty =
            serde_json::to_string_pretty(&mask::record(record)).map_err(io::Error::other)?;
        let before: String = pretty
            .lines()
            .map(|line| text::sanitize(line, None) + "\n")
            .collect();
        let what = super::resource_label(change.resource);
        let diff = similar::TextDiff::from_lines(before.as_str(), "");
        diffs.push(
            diff.unified_diff()
                .context_radius(3)
                .header(
                    &format!("{what} {} (before)", change.id),
                    &format!("{what} {} (after: deleted)", change.id),
                )
                .to_string(),
        );
    }
    Ok(diffs)
}

/// Every diff of [`diffs`], one after the other.
pub fn diff(plan: &Plan, live: &Live, out: &mut dyn Write) -> io::Result<()> {
    for diff in diffs(plan, live)? {
        write!(out, "{diff}")?;
    }
    Ok(())
}
