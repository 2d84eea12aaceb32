//! The Customers V3 API client. OWNER: api helper.

use std::collections::BTreeMap;

use crate::CustomerId;

/// One customer as listed live. Holds personal data in memory only: it is masked before display and
/// never written to any file.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCustomer {
    pub id: CustomerId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// As the API sent it (RFC 3339), compared verbatim for staleness.
    pub date_modified: String,
    /// The full record as returned, for `plan --diff`.
    pub record: serde_json::Value,
}

/// The customers that exist now, of those asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Live {
    pub customers: BTreeMap<CustomerId, LiveCustomer>,
}
