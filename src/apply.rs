//! Executing an approved plan. OWNER: lead.
