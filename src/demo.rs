//! The embedded end-to-end demo. OWNER: lead.
