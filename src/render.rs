//! Rendering a plan: table, JSON, markdown, diff. OWNER: lead.
