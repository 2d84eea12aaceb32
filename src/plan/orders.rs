//! The orders' rows of a plan (PRODUCT §15), pure: for every order the listing found of an
//! `orders: redact` customer or among the guests' `redact_orders`, `redact` when its retention has
//! ended on `today` (UTC), `retain` with its `retained_until` date while it has not, `absent` when it
//! is already redacted (or a guest order the store does not have).
//!
//! Nothing is redacted early: without a retention (which the manifest loader requires as soon as any
//! order is redacted) an order is retained with no date.

use jiff::civil::Date;

use super::{Action, Change};
use crate::Resource;
use crate::live::{Live, LiveOrder};
use crate::manifest::{AbsentEntry, Manifest};
use crate::mask;
use crate::retention;
use crate::state::Settled;

/// The order rows for `manifest`, from what `live` holds of its orders. A guest order the state
/// settles (redacted and proven) was not listed: it is `absent` with `recorded: true`, unless
/// `refresh_all`.
pub fn changes(
    manifest: &Manifest,
    live: &Live,
    settled: Option<&Settled>,
    refresh_all: bool,
    today: Date,
) -> Vec<Change> {
    let settings = &manifest.orders;
    let guest = |id: u32| settings.redact_orders.iter().find(|e| e.id == id);
    let customer = |id: u32| {
        settings
            .redact_customers
            .contains(&id)
            .then(|| manifest.absent.iter().find(|e| e.id == id))
            .flatten()
    };
    // The customer the state records an order found of (its link may be gone since).
    let recorded = |id: u32| settled.and_then(|s| s.orders.get(&id)).map(|&(c, _)| c);
    let mut changes = Vec::new();
    for order in live.orders.values() {
        let owner = recorded(order.id).unwrap_or(order.customer_id);
        let entry = guest(order.id).or_else(|| customer(owner));
        if let Some(entry) = entry {
            let mut row = change(manifest, entry, order, today);
            row.customer_id = crate::evidence::owner(owner);
            changes.push(row);
        }
    }
    // Recorded orders already redacted and proven (settled): not read again.
    if let Some(settled) = settled.filter(|_| !refresh_all) {
        for (&id, &(owner, until)) in &settled.orders {
            if live.orders.contains_key(&id) || !settled.contains(Resource::Order, id) {
                continue;
            }
            if let Some(entry) = customer(owner).filter(|_| guest(id).is_none()) {
                changes.push(Change {
                    id,
                    recorded: true,
                    customer_id: Some(owner),
                    retained_until: Some(until),
                    ..Change::absent(Resource::Order, entry, manifest)
                });
            }
        }
    }
    for entry in &settings.redact_orders {
        if !live.orders.contains_key(&entry.id) {
            let recorded =
                !refresh_all && settled.is_some_and(|s| s.contains(Resource::Order, entry.id));
            changes.push(Change {
                recorded,
                ..Change::absent(Resource::Order, entry, manifest)
            });
        }
    }
    changes
}

/// The row of one order listed live.
pub fn change(manifest: &Manifest, entry: &AbsentEntry, order: &LiveOrder, today: Date) -> Change {
    let base = Change {
        id: order.id,
        customer_id: crate::evidence::owner(order.customer_id),
        ..Change::absent(Resource::Order, entry, manifest)
    };
    let retention = manifest.orders.retention.as_ref();
    let until = retention
        .map(|r| retention::retained_until(order.created, order.billing_country.as_deref(), r));
    if order.is_redacted() {
        return Change {
            retained_until: until,
            ..base
        };
    }
    let action = match until {
        Some(until) if retention::is_due(until, today) => Action::Redact,
        _ => Action::Retain,
    };
    Change {
        action,
        retained_until: until,
        basis: retention.map(|r| r.basis.clone()),
        email_masked: Some(mask::email(&order.email)),
        name_masked: Some(mask::name(&order.name)),
        date_modified: Some(order.date_modified.clone()),
        shipping_addresses: order.shipping_address_count,
        ..base
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;
    use crate::manifest::{Location, OrderSettings};
    use crate::order_redaction::Present;
    use crate::retention::{Retention, Start};

    fn entry(id: u32) -> AbsentEntry {
        AbsentEntry {
            id,
            reason: Some("erasure".into()),
            received: None,
            request: None,
            location: Location {
                file: Arc::from(Path::new("m.yaml")),
                line: 1,
                column: 1,
            },
        }
    }

    fn manifest(retention: Retention, customers: &[u32], guests: &[u32]) -> Manifest {
        Manifest {
            path: PathBuf::from("m.yaml"),
            files: vec![PathBuf::from("m.yaml")],
            sha256: "0".repeat(64),
            store_hash: None,
            max_deletes: 1000,
            protect: Default::default(),
            absent_subscribers: Vec::new(),
            respond_within_days: None,
            absent: customers.iter().map(|&id| entry(id)).collect(),
            orders: OrderSettings {
                redact_customers: customers.iter().copied().collect(),
                redact_orders: guests.iter().map(|&id| entry(id)).collect(),
                retention: Some(retention),
            },
        }
    }

    fn order(id: u32, customer_id: u32, created: Date, country: &str, redacted: bool) -> LiveOrder {
        LiveOrder {
            id,
            customer_id,
            created,
            date_modified: String::new(),
            billing_country: Some(country.into()),
            email: format!("buyer{id}@example.com"),
            name: "Pat Lee".into(),
            present: Present::default(),
            unredacted: if redacted {
                Vec::new()
            } else {
                vec!["billing_address.email".into()]
            },
            shipping_address_ids: Some(Vec::new()),
            shipping_address_count: 0,
        }
    }

    proptest! {
        /// Over random orders, dates, countries and retention settings: an order is redacted exactly
        /// when today is after its retention date, retained (with that date) before, and an order
        /// already redacted is never sent again; only the manifest's customers' and guests' orders
        /// get a row.
        #[test]
        fn nothing_is_redacted_early_and_nothing_kept_late(
            orders in proptest::collection::vec(
                (1u32..4, 0i16..4000, 0usize..4, any::<bool>()), 0..40),
            years in 0u32..12,
            fr in proptest::option::of(0u32..15),
            end_of_year in any::<bool>(),
            today in 0i16..6000,
        ) {
            let base = jiff::civil::date(2010, 1, 1);
            let today = base.saturating_add(jiff::Span::new().days(i64::from(today)));
            let retention = Retention {
                years,
                from: if end_of_year { Start::EndOfYear } else { Start::OrderDate },
                basis: "law".into(),
                by_country: fr.map(|y| BTreeMap::from([("FR".to_string(), y)])).unwrap_or_default(),
            };
            // Customers 1 and 2 redact their orders; customer 3 does not.
            let m = manifest(retention.clone(), &[1, 2], &[]);
            let mut live = Live::default();
            for (i, &(customer, day, country, redacted)) in orders.iter().enumerate() {
                let id = 100 + i as u32;
                let created = base.saturating_add(jiff::Span::new().days(i64::from(day)));
                let country = ["DE", "FR", "US", "GB"][country];
                live.orders.insert(id, order(id, customer, created, country, redacted));
            }
            let rows = changes(&m, &live, None, false, today);
            for o in live.orders.values() {
                let row = rows.iter().find(|c| c.id == o.id);
                if o.customer_id == 3 {
                    prop_assert!(row.is_none(), "customer 3's order {} planned", o.id);
                    continue;
                }
                let row = row.expect("a row per order");
                let until = retention::retained_until(o.created, o.billing_country.as_deref(), &retention);
                prop_assert_eq!(row.retained_until, Some(until));
                let expected = if o.is_redacted() {
                    Action::Absent
                } else if today > until {
                    Action::Redact
                } else {
                    Action::Retain
                };
                prop_assert_eq!(row.action, expected, "order {} until {} today {}", o.id, until, today);
                prop_assert!(row.action != Action::Redact || until < today, "redacted early");
            }
        }
    }

    #[test]
    fn a_guest_order_the_store_does_not_have_is_absent_and_a_settled_one_recorded() {
        let m = manifest(Retention::default(), &[], &[900, 901]);
        let mut state = crate::state::State::new("acme", "0".repeat(64));
        state.record_deleted_as(
            Resource::Order,
            901,
            jiff::Timestamp::UNIX_EPOCH,
            "r",
            None,
            true,
        );
        let settled = state.settled();
        let rows = changes(
            &m,
            &Live::default(),
            Some(&settled),
            false,
            jiff::civil::date(2026, 1, 1),
        );
        let got: Vec<_> = rows.iter().map(|c| (c.id, c.action, c.recorded)).collect();
        assert_eq!(
            got,
            vec![(900, Action::Absent, false), (901, Action::Absent, true)]
        );
    }
}
