//! The append-only, hash-chained audit log. OWNER: state/audit helper.
