//! Orders (PRODUCT §15): discovery, reading and redaction through the client against the fake store,
//! and the plan's order rows. Every test that reaches the fake store ends with
//! [`assert_nothing_forbidden`]: no `DELETE /v2/orders`, no archiving `DELETE /v2/orders/{id}`, and no
//! side effect of a body carrying more than the redaction fields.

use std::collections::BTreeSet;

use bcprune::Resource;
use bcprune::api::{Client, ClientConfig, Token};
use bcprune::plan::{self, Action};
use bcprune::sim::{OrderEvent, SimConfig, SimServer};

use crate::memory::{MemoryOrder, MemoryStore};

async fn start(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("sim starts")
}

fn client(sim: &SimServer) -> Client {
    Client::new(ClientConfig::new(
        sim.base_url(),
        "demo42",
        Token::new(bcprune::sim::READ_WRITE_TOKEN.to_string()),
    ))
    .expect("client")
}

/// What no run may ever do to a store's orders (PRODUCT §15): the collection DELETE that archives
/// every order, the DELETE that archives one, and any PUT side effect beyond the personal fields
/// (discounts cleared, fees replaced, another field set).
#[track_caller]
pub fn assert_nothing_forbidden(sim: &SimServer) {
    assert!(
        sim.order_collection_deletes().is_empty(),
        "DELETE /v2/orders was sent"
    );
    let deletes: Vec<_> = sim
        .order_requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert!(deletes.is_empty(), "an order DELETE was sent: {deletes:?}");
    let events: Vec<OrderEvent> = sim.order_events();
    assert!(
        events.is_empty(),
        "forbidden order side effects: {events:?}"
    );
}

#[tokio::test]
async fn discovery_pages_bare_arrays_to_completion_and_takes_204_as_the_end() {
    // Customer 5: 600 orders (pages of 250, 250, 100); customer 6: exactly 250 (the second page is
    // a 204); customer 7: none (204 at once).
    let sim = start(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 600)
            .orders_for(6, 250),
    )
    .await;
    let client = client(&sim);
    let live = client.orders_of(&[5, 6, 7]).await.expect("discovery");
    let of = |c: u32| -> BTreeSet<u32> {
        live.orders
            .values()
            .filter(|o| o.customer_id == c)
            .map(|o| o.id)
            .collect()
    };
    assert_eq!(of(5), sim.orders_of(5));
    assert_eq!(of(6), sim.orders_of(6));
    assert_eq!(live.orders.len(), 850);
    let gets = sim
        .order_requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(gets, 3 + 2 + 1, "one GET per page, a 204 ends a listing");
    assert!(
        sim.order_requests()
            .iter()
            .all(|r| r.query.contains("limit=250")),
        "{:?}",
        sim.order_requests()
    );
    assert_nothing_forbidden(&sim);
}

#[tokio::test]
async fn redaction_puts_only_placeholders_and_reads_back_redacted_with_the_financial_record_kept() {
    let sim = start(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 3),
    )
    .await;
    let client = client(&sim);
    let ids: Vec<u32> = sim.orders_of(5).into_iter().collect();
    let before: Vec<_> = ids
        .iter()
        .map(|&id| sim.order(id).expect("order"))
        .collect();
    let discounts: Vec<_> = ids.iter().map(|&id| sim.order_discounts(id)).collect();
    let live = client.list_orders(&ids).await.expect("read");
    assert!(live.orders.values().all(|o| !o.is_redacted()));
    for &id in &ids {
        client.redact_order(id).await.expect("redacted");
    }
    let after = client.list_orders(&ids).await.expect("read again");
    for (i, &id) in ids.iter().enumerate() {
        let order = &after.orders[&id];
        assert!(order.is_redacted(), "order {id}: {:?}", order.unredacted);
        let now = sim.order(id).expect("order");
        for kept in [
            "status_id",
            "date_created",
            "discount_amount",
            "fees",
            "customer_id",
        ] {
            assert_eq!(now[kept], before[i][kept], "order {id}: {kept} kept");
        }
        for kept in ["country", "country_iso2", "state"] {
            assert_eq!(
                now["billing_address"][kept], before[i]["billing_address"][kept],
                "order {id}: billing {kept} kept (tax)"
            );
        }
        assert_eq!(sim.order_discounts(id), discounts[i]);
        let text = serde_json::to_string(&now).expect("json");
        let email = before[i]["billing_address"]["email"]
            .as_str()
            .expect("email");
        assert!(!text.contains(email), "order {id} still holds the email");
    }
    // One PUT per order, one per shipping address.
    let puts = sim
        .order_requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .count();
    let addresses: usize = ids
        .iter()
        .map(|&id| sim.order_shipping_addresses(id).len())
        .sum();
    assert_eq!(puts, ids.len() + addresses);
    assert_nothing_forbidden(&sim);
}

#[tokio::test]
async fn orders_by_email_finds_a_guests_orders_with_their_customer_link() {
    let sim = start(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 2)
            .guest_orders("guest@example.com", 3),
    )
    .await;
    let client = client(&sim);
    let found = client
        .orders_by_email("guest@example.com")
        .await
        .expect("lookup");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|&(_, customer)| customer == 0));
    assert!(
        client
            .orders_by_email("nobody@example.com")
            .await
            .expect("lookup")
            .is_empty()
    );
    assert_nothing_forbidden(&sim);
}

fn manifest(dir: &std::path::Path, yaml: &str) -> bcprune::manifest::Manifest {
    let path = dir.join("m.yaml");
    std::fs::write(&path, yaml).expect("manifest");
    bcprune::manifest::load(&path).expect("valid manifest")
}

const ORDERS_MANIFEST: &str = "\
version: 1
orders_retention:
  years: 8
  basis: \"§147 AO\"
  by_country:
    FR: 10
absent:
  - id: 1
    reason: GDPR erasure request
    orders: redact
  - id: 2
    reason: GDPR erasure request
redact_orders:
  - id: 900
    reason: GDPR erasure request
  - id: 901
    reason: GDPR erasure request
";

fn order(customer_id: u32, created: &str, country: &str) -> MemoryOrder {
    MemoryOrder {
        customer_id,
        created: created.parse().expect("date"),
        country: Some(country.to_string()),
        redacted: false,
    }
}

#[test]
fn a_plan_redacts_orders_past_retention_retains_the_rest_and_counts_redactions_as_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let manifest = manifest(dir.path(), ORDERS_MANIFEST);
    let store = MemoryStore::new([1, 2]);
    store.insert_order(10, order(1, "2015-03-01", "DE")); // until 2023-03-01: redact
    store.insert_order(11, order(1, "2020-02-29", "DE")); // until 2028-02-29 (a leap year): retain
    store.insert_order(12, order(1, "2017-06-01", "FR")); // until 2027-06-01 (FR 10 years): retain
    store.insert_order(13, order(2, "2010-01-01", "DE")); // customer 2 keeps its orders
    store.insert_order(900, order(0, "2012-01-01", "US")); // guest, past retention: redact
    let input = plan::Input {
        manifest: &manifest,
        settled: None,
        refresh_all: false,
        max_deletes: None,
        today: "2026-12-02".parse().expect("date"),
    };
    let planned = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(plan::run(&input, &store))
        .expect("plan");
    let rows: Vec<_> = planned
        .plan
        .changes
        .iter()
        .map(|c| {
            (
                c.action,
                c.resource,
                c.id,
                c.retained_until.map(|d| d.to_string()),
            )
        })
        .collect();
    let until = |d: &str| Some(d.to_string());
    assert_eq!(
        rows,
        vec![
            (Action::Delete, Resource::Customer, 1, None),
            (Action::Delete, Resource::Customer, 2, None),
            (Action::Redact, Resource::Order, 10, until("2023-03-01")),
            (Action::Redact, Resource::Order, 900, until("2020-01-01")),
            (Action::Retain, Resource::Order, 11, until("2028-02-29")),
            (Action::Retain, Resource::Order, 12, until("2027-06-01")),
            (Action::Absent, Resource::Order, 901, None),
        ]
    );
    assert_eq!(
        planned.plan.summary().line(),
        "Plan: 2 to delete, 2 to redact, 2 retained, 1 already absent."
    );
    // Discovery ran for customer 1 only (orders: redact), once.
    assert!(planned.plan.changes.iter().all(|c| c.id != 13));
    // The JSON document names the kind, the action and the date.
    let saved = plan::SavedPlan::new(
        &planned.plan,
        &manifest,
        "acme",
        "memory",
        None,
        jiff::Timestamp::UNIX_EPOCH,
    );
    let json = serde_json::to_value(&saved).expect("json");
    let retained = json["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["id"] == 11 && c["resource"] == "order")
        .expect("order 11");
    assert_eq!(retained["action"], "retain");
    assert_eq!(retained["retained_until"], "2028-02-29");
    let text = json.to_string();
    assert!(
        !text.contains("buyer10@example.com"),
        "no order email in clear"
    );
    // A redaction counts toward max_deletes: 2 deletions + 2 redactions over a limit of 3.
    let limited = plan::Input {
        max_deletes: Some(3),
        ..input
    };
    let planned = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(plan::run(&limited, &store))
        .expect("plan");
    assert!(
        planned
            .violations
            .iter()
            .any(|v| matches!(v, plan::guards::Violation::TooMany { count: 4, .. })),
        "{:?}",
        planned.violations
    );
}
