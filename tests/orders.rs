//! Orders (PRODUCT §15): discovery, reading and redaction through the client against the fake store,
//! and the plan's order rows. Every test that reaches the fake store ends with
//! [`assert_nothing_forbidden`]: no `DELETE /v2/orders`, no archiving `DELETE /v2/orders/{id}`, and no
//! side effect of a body carrying more than the redaction fields.

use std::collections::BTreeSet;

use bcprune::Resource;
use bcprune::api::{Client, ClientConfig, Token};
use bcprune::plan::{self, Action, PlanSource};

/// A plan made now, as `bcprune apply` without `--plan`.
const FRESH: PlanSource = PlanSource::Fresh { refresh_all: false };
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

/// Discovery against a store whose V2 pages misbehave (the sim's hostile order modes): a repeated
/// page and a listing that never ends are refused (all or nothing, bounded), and a page short of the
/// limit with more after it hides no order: only an empty page ends a V2 listing (API-NOTES §11: the
/// largest `limit` the store honours is not known).
#[tokio::test]
async fn discovery_refuses_repeated_or_endless_pages_and_reads_past_a_short_one() {
    use bcprune::sim::HostileOrders;
    for mode in [
        HostileOrders::RepeatedPage,
        HostileOrders::EndlessPages,
        HostileOrders::ShortPageThenMore,
    ] {
        let sim = start(
            SimConfig::default()
                .customers(20)
                .unlimited()
                .orders_for(5, 600)
                .hostile_orders(mode),
        )
        .await;
        let found = client(&sim).orders_of(&[5]).await;
        match mode {
            HostileOrders::ShortPageThenMore => {
                let live = found.expect("discovery");
                let ids: BTreeSet<u32> = live.orders.keys().copied().collect();
                assert_eq!(
                    ids,
                    sim.orders_of(5),
                    "{mode:?}: every order, not the first page's"
                );
            }
            _ => {
                let error = found.expect_err("refused").to_string();
                assert!(
                    error.contains("the pages repeat") || error.contains("does not end"),
                    "{mode:?}: {error}"
                );
            }
        }
        assert_nothing_forbidden(&sim);
    }
}

#[tokio::test]
async fn discovery_pages_bare_arrays_to_completion_and_takes_204_as_the_end() {
    // Customer 5: 600 orders (pages of 250, 250, 100, then a 204: a short page does not end a V2
    // listing, API-NOTES §11); customer 6: exactly 250 (the second page is a 204); customer 7: none
    // (204 at once).
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
    assert_eq!(
        gets,
        4 + 2 + 1,
        "one GET per page, only an empty page ends a listing"
    );
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
        client
            .redact_order(id, live.orders.get(&id))
            .await
            .expect("redacted");
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
    let refusal = planned.violations[0].to_string();
    assert!(
        refusal.starts_with("refusing to delete 2 customers and redact 2 orders"),
        "{refusal}"
    );
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn audit_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect()
}

#[test]
fn apply_records_the_orders_before_the_customer_is_deleted_redacts_what_is_due_and_later_runs_work_from_the_state()
 {
    use crate::apply::{request, run_unlocked, runtime};
    use bcprune::exit::Exit;
    let dir = tempfile::tempdir().expect("dir");
    let manifest = manifest(dir.path(), ORDERS_MANIFEST);
    let store = MemoryStore::new([1, 2]);
    store.insert_order(10, order(1, "2015-03-01", "DE")); // past retention: redact
    store.insert_order(11, order(1, "2025-01-01", "DE")); // retained until 2033-01-01
    store.insert_order(900, order(0, "2012-01-01", "US")); // a guest's, past retention: redact
    let request = request(dir.path(), manifest, 250, 2);
    let runtime = runtime();
    let outcome = run_unlocked(&runtime, &request, &FRESH, &store);
    assert_eq!(outcome.exit(), Exit::Success, "{outcome:?}");
    assert!(store.order(10).expect("10").redacted && store.order(900).expect("900").redacted);
    assert!(!store.order(11).expect("11").redacted, "retained");
    assert_eq!(
        store.order(11).expect("11").customer_id,
        0,
        "the link is gone"
    );
    // Only the orders due were sent, one per request.
    let orders_sent: Vec<Vec<u32>> = store
        .deletes()
        .into_iter()
        .filter(|(r, _)| *r == Resource::Order)
        .map(|(_, ids)| ids)
        .collect();
    assert_eq!(orders_sent, vec![vec![10], vec![900]]);

    let state = read_json(&request.state_path);
    let orders: Vec<(u64, u64, &str)> = state["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| {
            (
                o["id"].as_u64().expect("id"),
                o["customer_id"].as_u64().expect("customer"),
                o["retained_until"].as_str().expect("date"),
            )
        })
        .collect();
    // A guest's order is recorded too, with customer 0 (PRODUCT §15: report shows its date).
    assert_eq!(
        orders,
        vec![
            (10, 1, "2023-03-01"),
            (11, 1, "2033-01-01"),
            (900, 0, "2020-01-01")
        ]
    );
    let redacted: BTreeSet<u64> = state["deleted"]
        .as_array()
        .expect("deleted")
        .iter()
        .filter(|r| r["resource"] == "order" && r["verified"] == true)
        .map(|r| r["id"].as_u64().expect("id"))
        .collect();
    assert_eq!(redacted, BTreeSet::from([10, 900]));

    // The audit log: the orders recorded before the first request, then intent → redacted → verify.
    let lines = audit_lines(&request.audit_path);
    let at = |event: &str, resource: Option<&str>| {
        lines
            .iter()
            .position(|l| {
                l["event"] == event && l.get("resource").and_then(|r| r.as_str()) == resource
            })
            .unwrap_or_else(|| panic!("no {event} {resource:?} line"))
    };
    let recorded = at("orders_recorded", Some("order"));
    // The opening line counts redactions apart from deletions (customers 1 and 2; orders 10, 900).
    let started = &lines[at("apply_started", None)];
    assert!(
        started["message"]
            .as_str()
            .expect("message")
            .contains(": 2 to delete, 2 to redact, "),
        "{started}"
    );
    assert_eq!(started["to_redact"], 2);
    assert_eq!(started["order_ids"], serde_json::json!([10, 900]));
    assert!(
        recorded < at("batch_intent", None),
        "recorded before the customer's DELETE"
    );
    assert!(recorded < at("batch_intent", Some("order")));
    assert!(at("batch_intent", Some("order")) < at("redacted", Some("order")));
    assert!(at("redacted", Some("order")) < at("verify", Some("order")));
    assert_eq!(
        lines[recorded]["retained_until"],
        serde_json::json!(["2023-03-01", "2020-01-01", "2033-01-01"])
    );
    let text = std::fs::read_to_string(&request.audit_path).expect("log")
        + &std::fs::read_to_string(&request.state_path).expect("state");
    assert!(!text.contains("@example.com"), "no address in any file");

    // A later run works from the state: order 11 (no link any more) is still retained; nothing sent.
    let sent = store.deletes().len();
    let again = run_unlocked(&runtime, &request, &FRESH, &store);
    assert_eq!(again.exit(), Exit::Success, "{again:?}");
    assert_eq!(store.deletes().len(), sent, "nothing to change");
    let proven =
        plan::load_state(&request.state_path, &request.audit_path, "demo42", true).expect("state");
    let settled = proven.settled().expect("settled");
    assert_eq!(
        settled.orders.keys().copied().collect::<Vec<_>>(),
        vec![10, 11, 900]
    );
    let input = plan::Input {
        manifest: &request.manifest,
        settled: Some(settled),
        refresh_all: false,
        max_deletes: None,
        today: "2026-12-02".parse().expect("date"),
    };
    let planned = runtime.block_on(plan::run(&input, &store)).expect("plan");
    let row = |id: u32| {
        planned
            .plan
            .changes
            .iter()
            .find(|c| c.resource == Resource::Order && c.id == id)
            .map(|c| (c.action, c.recorded))
    };
    assert_eq!(
        row(11),
        Some((Action::Retain, false)),
        "retained, from the state"
    );
    assert_eq!(row(10), Some((Action::Absent, true)), "redacted and proven");
    // Once order 11's retention has ended, it is redacted although its customer link is gone.
    let later = plan::Input {
        today: "2033-01-02".parse().expect("date"),
        ..input
    };
    let planned = runtime.block_on(plan::run(&later, &store)).expect("plan");
    assert!(
        planned
            .plan
            .changes
            .iter()
            .any(|c| c.id == 11 && c.resource == Resource::Order && c.action == Action::Redact)
    );
}

#[test]
fn an_order_record_edited_or_added_in_the_state_is_not_used() {
    use crate::apply::{request, run_unlocked, runtime};
    let dir = tempfile::tempdir().expect("dir");
    let manifest = manifest(dir.path(), ORDERS_MANIFEST);
    let store = MemoryStore::new([1, 2]);
    store.insert_order(11, order(1, "2025-01-01", "DE"));
    store.insert_order(12, order(2, "2010-01-01", "DE")); // customer 2's: never to be touched
    let request = request(dir.path(), manifest, 250, 2);
    let runtime = runtime();
    let outcome = run_unlocked(&runtime, &request, &FRESH, &store);
    assert_eq!(outcome.exit(), bcprune::exit::Exit::Success, "{outcome:?}");
    // Someone edits the state: order 11's date moved earlier, customer 2's order 12 claimed for 1.
    let mut state = read_json(&request.state_path);
    let orders = state["orders"].as_array_mut().expect("orders");
    orders[0]["retained_until"] = serde_json::json!("2020-01-01");
    let mut added = orders[0].clone();
    added["id"] = serde_json::json!(12);
    orders.push(added);
    std::fs::write(
        &request.state_path,
        serde_json::to_vec_pretty(&state).expect("json"),
    )
    .expect("write");
    let proven =
        plan::load_state(&request.state_path, &request.audit_path, "demo42", true).expect("state");
    let settled = proven.settled().expect("settled");
    // The log's record stands: order 11 of customer 1 until 2033-01-01; order 12 is not taken.
    assert_eq!(
        settled
            .orders
            .iter()
            .map(|(&id, &(c, d))| (id, c, d.to_string()))
            .collect::<Vec<_>>(),
        vec![(11, 1, "2033-01-01".to_string())]
    );
    assert!(
        proven
            .warning
            .clone()
            .expect("a warning")
            .contains("orders 11, 12")
    );
    let sent = store.deletes().len();
    let again = run_unlocked(&runtime, &request, &FRESH, &store);
    assert!(again.exit() != bcprune::exit::Exit::Partial, "{again:?}");
    assert_eq!(
        store.deletes().len(),
        sent,
        "nothing redacted on an edited state's say-so"
    );
    assert!(!store.order(12).expect("12").redacted);
}

/// The whole path through the CLI against the fake store: plan shows each order's row, apply records
/// and redacts, a second plan works from the state; no forbidden request, and no original personal
/// value of an order in any output or file.
#[test]
fn plan_and_apply_carry_out_orders_end_to_end_and_no_order_value_reaches_a_file_or_output() {
    use crate::support::*;
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 6),
    );
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 8\n  from: end_of_year\n  basis: \"§147 AO\"\n  by_country:\n    FR: 10\n\
         absent:\n  - id: 5\n    reason: GDPR erasure request\n    orders: redact\n",
    );
    let orders: Vec<u32> = sim.orders_of(5).into_iter().collect();
    let originals: Vec<serde_json::Value> = orders
        .iter()
        .map(|&id| sim.order(id).expect("order"))
        .collect();
    let plan = bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .output()
        .expect("plan");
    assert_eq!(plan.status.code(), Some(0), "{plan:?}");
    let stdout = String::from_utf8_lossy(&plan.stdout).to_string();
    assert!(stdout.contains("to redact,"), "{stdout}");
    let apply = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("apply");
    assert_eq!(apply.status.code(), Some(0), "{apply:?}");
    assert_nothing_forbidden(&sim);
    let again = bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .output()
        .expect("plan");
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    let again_out = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(again_out.contains("0 to redact"), "{again_out}");
    // Every order was either redacted (and reads back so) or is retained and listed as such.
    let state = read_json(&ws.path().join("bcprune.state.json"));
    assert_eq!(
        state["orders"].as_array().map(Vec::len),
        Some(orders.len()),
        "{state}"
    );
    let saved = ws.path().join("plan.json");
    let json = bcprune_at(&sim)
        .args(["plan", "--format", "json", "--out"])
        .arg(&saved)
        .arg(&manifest)
        .output()
        .expect("json");
    let markdown = bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&manifest)
        .output()
        .expect("markdown");
    let comment = String::from_utf8_lossy(&markdown.stdout).to_string();
    assert!(
        comment.contains("4 retained for the law, the last until"),
        "{comment}"
    );
    assert!(comment.contains("What stays of an order"), "{comment}");
    let report_json = bcprune_at(&sim)
        .args(["report", "--format", "json"])
        .arg(&manifest)
        .output()
        .expect("report");
    let mut outputs = std::fs::read_to_string(&saved).expect("saved plan");
    for o in [&plan, &apply, &again, &json, &markdown, &report_json] {
        outputs.push_str(&String::from_utf8_lossy(&o.stdout));
        outputs.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    for file in ["bcprune.state.json", "bcprune.audit.jsonl"] {
        outputs.push_str(&std::fs::read_to_string(ws.path().join(file)).expect("file"));
    }
    for original in &originals {
        let billing = &original["billing_address"];
        for field in [
            "first_name",
            "last_name",
            "street_1",
            "city",
            "zip",
            "phone",
            "email",
        ] {
            let value = billing[field].as_str().unwrap_or("");
            if value.len() >= 4 {
                assert!(
                    !outputs.contains(value),
                    "{field} of an order reached an output or file"
                );
            }
        }
        for field in ["customer_message", "ip_address", "ip_address_v6"] {
            let value = original[field].as_str().unwrap_or("");
            if value.len() >= 4 {
                assert!(
                    !outputs.contains(value),
                    "{field} of an order reached an output or file"
                );
            }
        }
    }
    let applied = String::from_utf8_lossy(&apply.stdout).to_string();
    assert!(
        applied.contains("1 deleted, 2 orders redacted,"),
        "{applied}"
    );
    assert!(applied.contains("Verified: 2 orders redacted"), "{applied}");
    // The report: every order redacted or retained until its date; once a retention has ended (a
    // later "today"), the weekly job's `report --overdue-exitcode` exits 2.
    let report = bcprune_at(&sim)
        .env("BCPRUNE_TODAY", "2026-12-02")
        .args(["report", "--overdue-exitcode"])
        .arg(&manifest)
        .output()
        .expect("report");
    assert_eq!(report.status.code(), Some(0), "{report:?}");
    let text = String::from_utf8_lossy(&report.stdout).to_string();
    assert!(text.contains("2 orders redacted, 4 retained"), "{text}");
    assert!(text.contains("retained until 2026-12-31"), "{text}");
    bcprune_at(&sim)
        .env("BCPRUNE_TODAY", "2027-01-01")
        .args(["report", "--overdue-exitcode"])
        .arg(&manifest)
        .assert()
        .code(2);
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 100, ..Default::default() })]

    /// `apply::run` over random orders (due or retained, a customer's and guests'), random faults on
    /// the redactions — most after the store acted — and a failing verification, three applies each:
    /// no request for an order that is not due or not the manifest's; the state never claims a
    /// verified redaction the store did not make; and after a clean last run every due order is redacted and
    /// recorded, every retained one untouched, every order of the customer and every guest's recorded with its date.
    #[test]
    fn apply_redacts_exactly_the_due_orders_whatever_fails_on_the_way(
        customer_orders in proptest::collection::vec(proptest::bool::ANY, 0..8),
        guest_orders in proptest::collection::vec(proptest::bool::ANY, 0..4),
        first in proptest::collection::vec(crate::apply::fault(), 0..8),
        second in proptest::collection::vec(crate::apply::fault(), 0..8),
        verify_fails in proptest::bool::weighted(0.3),
        parallelism in 1usize..3,
    ) {
        use crate::apply::{request, run_unlocked, runtime};
        let dir = tempfile::tempdir().expect("dir");
        let guests: Vec<u32> = (0..guest_orders.len() as u32).map(|i| 900 + i).collect();
        let mut yaml = String::from(ORDERS_MANIFEST.split("redact_orders:").next().expect("head"));
        yaml.push_str("redact_orders:\n");
        for id in &guests {
            yaml.push_str(&format!("  - id: {id}\n    reason: GDPR erasure request\n"));
        }
        if guests.is_empty() {
            yaml = yaml.replace("redact_orders:\n", "");
        }
        let manifest = manifest(dir.path(), &yaml);
        let store = MemoryStore::new([1, 2]);
        let mut due = BTreeSet::new();
        let mut kept = BTreeSet::new();
        let date = |is_due: bool| if is_due { "2012-05-05" } else { "2024-05-05" };
        for (i, &is_due) in customer_orders.iter().enumerate() {
            let id = 10 + i as u32;
            store.insert_order(id, order(1, date(is_due), "DE"));
            if is_due { due.insert(id) } else { kept.insert(id) };
        }
        for (&id, &is_due) in guests.iter().zip(&guest_orders) {
            store.insert_order(id, order(0, date(is_due), "US"));
            if is_due { due.insert(id) } else { kept.insert(id) };
        }
        store.insert_order(50, order(2, "2010-01-01", "DE")); // customer 2's: never touched
        let runtime = runtime();
        let state_path = dir.path().join("bcprune.state.json");
        for (round, faults) in [first, second, Vec::new()].into_iter().enumerate() {
            store.script_deletes(faults);
            store.script_lists(if round == 0 { vec![false, false, false, verify_fails] } else { vec![] });
            let request = request(dir.path(), manifest.clone(), 250, parallelism);
            let _ = run_unlocked(&runtime, &request, &FRESH, &store);
            for (resource, ids) in store.deletes() {
                if resource == Resource::Order {
                    proptest::prop_assert_eq!(ids.len(), 1);
                    proptest::prop_assert!(due.contains(&ids[0]), "order {} sent", ids[0]);
                }
            }
            // No state yet when the first request was refused (nothing was done).
            let state = if state_path.exists() { read_json(&state_path) } else { serde_json::Value::Null };
            let claimed: BTreeSet<u32> = state["deleted"]
                .as_array()
                .map(|a| a.iter()
                    .filter(|r| r["resource"] == "order" && r["verified"] == true)
                    .map(|r| r["id"].as_u64().expect("id") as u32)
                    .collect())
                .unwrap_or_default();
            for id in &claimed {
                proptest::prop_assert!(store.order(*id).expect("order").redacted, "state claims {}", id);
            }
        }
        for id in &due {
            proptest::prop_assert!(store.order(*id).expect("order").redacted, "due order {} kept", id);
        }
        for id in kept.iter().chain([&50]) {
            proptest::prop_assert!(!store.order(*id).expect("order").redacted, "order {} redacted early", id);
        }
        let state = read_json(&state_path);
        let verified: BTreeSet<u32> = state["deleted"]
            .as_array()
            .expect("deleted")
            .iter()
            .filter(|r| r["resource"] == "order" && r["verified"] == true)
            .map(|r| r["id"].as_u64().expect("id") as u32)
            .collect();
        proptest::prop_assert_eq!(&verified, &due);
        let recorded: BTreeSet<u32> = state["orders"]
            .as_array()
            .map(|a| a.iter().map(|o| o["id"].as_u64().expect("id") as u32).collect())
            .unwrap_or_default();
        let mut listed: BTreeSet<u32> = (0..customer_orders.len() as u32).map(|i| 10 + i).collect();
        listed.extend(&guests);
        proptest::prop_assert_eq!(recorded, listed);
    }
}

/// A saved plan is a proposal (PRODUCT §14): one edited to redact a retained order, or another
/// customer's order, is refused (exit 3) and nothing is sent; the honest plan applies.
#[test]
fn a_saved_plan_that_redacts_a_retained_or_foreign_order_is_refused() {
    use crate::apply::{request, run_unlocked, runtime};
    let dir = tempfile::tempdir().expect("dir");
    let manifest = manifest(dir.path(), ORDERS_MANIFEST);
    let store = MemoryStore::new([1, 2]);
    store.insert_order(10, order(1, "2015-03-01", "DE")); // due
    store.insert_order(11, order(1, "2025-01-01", "DE")); // retained
    store.insert_order(12, order(2, "2010-01-01", "DE")); // customer 2's
    let runtime = runtime();
    let input = plan::Input {
        manifest: &manifest,
        settled: None,
        refresh_all: false,
        max_deletes: None,
        today: plan::today_utc(),
    };
    let planned = runtime.block_on(plan::run(&input, &store)).expect("plan");
    let honest = plan::SavedPlan::new(
        &planned.plan,
        &manifest,
        "demo42",
        "memory",
        None,
        jiff::Timestamp::now(),
    );
    for tamper in [11u32, 12] {
        let mut saved = honest.clone();
        match saved
            .changes
            .iter_mut()
            .find(|c| c.resource == Resource::Order && c.id == tamper)
        {
            Some(change) => change.action = Action::Redact,
            None => {
                let mut change = saved
                    .changes
                    .iter()
                    .find(|c| c.resource == Resource::Order)
                    .expect("an order row")
                    .clone();
                change.id = tamper;
                change.action = Action::Redact;
                saved.changes.push(change);
            }
        }
        saved.summary = saved.plan().summary();
        let request = request(dir.path(), manifest.clone(), 250, 2);
        let source = PlanSource::Saved(Box::new(bcprune::apply::PlanFile {
            path: dir.path().join("plan.json"),
            plan: saved,
        }));
        let outcome = run_unlocked(&runtime, &request, &source, &store);
        assert_eq!(
            outcome.exit(),
            bcprune::exit::Exit::Refused,
            "{tamper}: {outcome:?}"
        );
        assert!(
            format!("{outcome:?}").contains("OrdersNotDue"),
            "{outcome:?}"
        );
        assert!(store.deletes().is_empty(), "nothing sent");
    }
    let request = request(dir.path(), manifest, 250, 2);
    let source = PlanSource::Saved(Box::new(bcprune::apply::PlanFile {
        path: dir.path().join("plan.json"),
        plan: honest,
    }));
    let outcome = run_unlocked(&runtime, &request, &source, &store);
    assert_eq!(outcome.exit(), bcprune::exit::Exit::Success, "{outcome:?}");
    assert!(store.order(10).expect("10").redacted);
    assert!(!store.order(11).expect("11").redacted && !store.order(12).expect("12").redacted);
}

/// An edit of the state's order records outside bcprune (PRODUCT §14, §15).
#[derive(Debug, Clone)]
enum OrderEdit {
    /// One record removed.
    Remove(proptest::sample::Index),
    /// Every record removed (or a state from before they were recorded restored).
    RemoveAll,
    /// A record's retained-until date moved by this many days.
    Date(proptest::sample::Index, i32),
    /// A record's customer changed.
    Customer(proptest::sample::Index, u32),
    /// A record added: customer 2's order 50 claimed for customer 1, or a made-up order.
    Add(bool),
    /// The customer's deletion record removed: the customer is listed and its orders discovered
    /// again, which no longer finds them (the deletion severed their link).
    ForgetCustomer,
}

fn order_edit() -> impl proptest::strategy::Strategy<Value = OrderEdit> {
    use proptest::prelude::*;
    let index = any::<proptest::sample::Index>;
    prop_oneof![
        index().prop_map(OrderEdit::Remove),
        Just(OrderEdit::RemoveAll),
        (index(), -4000i32..4000).prop_map(|(at, days)| OrderEdit::Date(at, days)),
        (index(), 1u32..4).prop_map(|(at, c)| OrderEdit::Customer(at, c)),
        any::<bool>().prop_map(OrderEdit::Add),
        Just(OrderEdit::ForgetCustomer),
    ]
}

fn edit_orders(state: &mut serde_json::Value, edit: &OrderEdit) {
    if let OrderEdit::ForgetCustomer = edit
        && let Some(deleted) = state["deleted"].as_array_mut()
    {
        deleted.retain(|r| r.get("resource").is_some());
    }
    if !state["orders"].is_array() {
        state["orders"] = serde_json::json!([]);
    }
    let Some(orders) = state["orders"].as_array_mut() else {
        return;
    };
    let len = orders.len();
    match edit {
        OrderEdit::Remove(at) if len > 0 => {
            orders.remove(at.index(len));
        }
        OrderEdit::RemoveAll => orders.clear(),
        OrderEdit::Date(at, days) if len > 0 => {
            let record = &mut orders[at.index(len)];
            let date: jiff::civil::Date = record["retained_until"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .expect("a date");
            let moved = date.saturating_add(jiff::Span::new().days(i64::from(*days)));
            record["retained_until"] = moved.to_string().into();
        }
        OrderEdit::Customer(at, customer) if len > 0 => {
            orders[at.index(len)]["customer_id"] = (*customer).into();
        }
        OrderEdit::Add(real) => {
            let id = if *real { 50 } else { 77 };
            if orders.iter().all(|o| o["id"] != id) {
                orders.push(serde_json::json!({
                    "id": id, "customer_id": 1, "retained_until": "2000-01-01",
                    "recorded_at": "2026-01-01T00:00:00Z", "run_id": "forged"}));
                orders.sort_by_key(|o| o["id"].as_u64());
            }
        }
        _ => {}
    }
    if orders.is_empty()
        && let Some(object) = state.as_object_mut()
    {
        object.remove("orders");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 48, ..Default::default() })]

    /// The audit log, not the state, says which orders were found of an erased customer (PRODUCT
    /// §14, §15): after an apply recorded them (and the customer's deletion severed their link),
    /// random edits of the state's order records — removed, all removed, date or customer changed,
    /// added — never change which orders a plan redacts or retains, nor until when, on any day; a
    /// record the state lost is restored from the log and named.
    #[test]
    fn edits_to_the_states_order_records_never_change_which_orders_are_planned_or_when(
        dues in proptest::collection::vec(proptest::bool::ANY, 1..6),
        edits in proptest::collection::vec(order_edit(), 1..4),
        day in 0i64..6000,
    ) {
        use crate::apply::{request, run_unlocked, runtime};
        let dir = tempfile::tempdir().expect("dir");
        let manifest = manifest(dir.path(), ORDERS_MANIFEST);
        let store = MemoryStore::new([1, 2]);
        for (i, &due) in dues.iter().enumerate() {
            let created = if due { "2012-05-05" } else { "2024-05-05" };
            store.insert_order(10 + i as u32, order(1, created, "DE"));
        }
        store.insert_order(50, order(2, "2010-01-01", "DE")); // customer 2's: never to be touched
        let request = request(dir.path(), manifest, 250, 2);
        let runtime = runtime();
        let outcome = run_unlocked(&runtime, &request, &FRESH, &store);
        proptest::prop_assert_eq!(outcome.exit(), bcprune::exit::Exit::Success, "{:?}", outcome);
        proptest::prop_assert!(store.ids(Resource::Customer).iter().all(|&c| c != 1));

        let today = jiff::civil::date(2026, 1, 1).saturating_add(jiff::Span::new().days(day));
        let rows = |warning: bool| {
            let proven = plan::load_state(&request.state_path, &request.audit_path, "demo42", true)
                .expect("state");
            let input = plan::Input {
                manifest: &request.manifest,
                settled: proven.settled(),
                refresh_all: false,
                max_deletes: None,
                today,
            };
            let planned = runtime.block_on(plan::run(&input, &store)).expect("plan");
            let rows: Vec<_> = planned
                .plan
                .changes
                .iter()
                .filter(|c| c.resource == Resource::Order)
                .map(|c| (c.id, c.action, c.retained_until))
                .collect();
            (rows, if warning { proven.warning } else { None })
        };
        let (before, _) = rows(false);
        let recorded: Vec<u64> = read_json(&request.state_path)["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .map(|o| o["id"].as_u64().expect("id"))
            .collect();
        let mut state = read_json(&request.state_path);
        for edit in &edits {
            edit_orders(&mut state, edit);
        }
        let left: Vec<u64> = state["orders"]
            .as_array()
            .map(|a| a.iter().map(|o| o["id"].as_u64().expect("id")).collect())
            .unwrap_or_default();
        std::fs::write(&request.state_path, serde_json::to_vec_pretty(&state).expect("json"))
            .expect("write");
        let (after, warning) = rows(true);
        proptest::prop_assert_eq!(&after, &before, "edits {:?}", edits);
        for id in recorded.iter().filter(|id| !left.contains(id)) {
            let warning = warning.clone().unwrap_or_default();
            proptest::prop_assert!(
                warning.contains("restored") && warning.contains(&id.to_string()),
                "order {} lost from the state, not named: {:?}", id, warning
            );
        }
        // And an apply on the edited state redacts nothing the log does not record as due.
        let _ = run_unlocked(&runtime, &request, &FRESH, &store);
        proptest::prop_assert!(!store.order(50).expect("50").redacted, "customer 2's order redacted");
    }
}

/// PRODUCT §17: the cost a plan states counts what apply sends for orders, in the fake store's own
/// log: discovery (a page of the customer's orders and the empty page that ends it), each redaction
/// (a read, the order's PUT, a read of its shipping addresses, a PUT per shipping address, two
/// verifying reads); then, with the orders recorded, a plan whose apply reads the retained ones by ID.
#[test]
fn the_cost_a_plan_states_for_orders_is_what_the_apply_then_sends() {
    use crate::support::*;
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 6),
    );
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 8\n  from: end_of_year\n  basis: \"§147 AO\"\n  by_country:\n    FR: 10\n\
         absent:\n  - id: 5\n    reason: GDPR erasure request\n    orders: redact\n  - id: 6\n    reason: GDPR erasure request\n",
    );
    for round in ["first apply", "second apply (orders recorded)"] {
        let saved = ws.path().join("plan.json");
        bcprune_at(&sim)
            .args(["plan", "--out"])
            .arg(&saved)
            .arg(&manifest)
            .assert()
            .success();
        let stated = read_json(&saved)["apply_cost"]["requests"]
            .as_u64()
            .expect("the saved plan states its cost");
        let before = sim.requests().len();
        bcprune_at(&sim)
            .args(["apply", "--auto-approve"])
            .arg(&manifest)
            .assert()
            .success();
        let sent = (sim.requests().len() - before) as u64;
        assert_eq!(stated, sent, "{round}: the plan said {stated} requests");
    }
    assert_nothing_forbidden(&sim);
}

#[test]
fn apply_names_redacting_in_its_cost_line_and_progress_when_orders_are_redacted() {
    use crate::support::*;
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 2),
    );
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        "version: 1\n\
         orders_retention:\n  years: 0\n  basis: none\n\
         absent:\n  - id: 5\n    reason: GDPR erasure request\n    orders: redact\n",
    );
    let apply = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("apply");
    assert_eq!(apply.status.code(), Some(0), "{apply:?}");
    let stdout = String::from_utf8_lossy(&apply.stdout).to_string();
    let stderr = String::from_utf8_lossy(&apply.stderr).to_string();
    assert!(
        stdout.contains("Deleting, redacting and verifying: about "),
        "{stdout}"
    );
    // Without a terminal the last progress line says where the work ended, under the same name.
    assert!(stderr.contains("Deleting and redacting: 3/3"), "{stderr}");
    // Only redactions: no word of deleting.
    let sim = store_with(
        SimConfig::default()
            .customers(20)
            .unlimited()
            .guest_orders("g@example.com", 1),
    );
    let order = 100; // the first seeded order (`bcprune sim --help`: order IDs from 100 on)
    assert!(sim.order(order).is_some());
    let ws = Workspace::new();
    let manifest = ws.write(
        "m.yaml",
        format!(
            "version: 1\norders_retention:\n  years: 0\n  basis: none\nabsent: []\nredact_orders:\n  - id: {order}\n    reason: GDPR erasure request\n"
        ),
    );
    let apply = bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .output()
        .expect("apply");
    assert_eq!(apply.status.code(), Some(0), "{apply:?}");
    let stdout = String::from_utf8_lossy(&apply.stdout).to_string();
    let stderr = String::from_utf8_lossy(&apply.stderr).to_string();
    assert!(
        stdout.contains("Redacting and verifying: about "),
        "{stdout}"
    );
    assert!(stderr.contains("Redacting: 1/1"), "{stderr}");
    assert!(!stderr.contains("Deleting"), "{stderr}");
}
