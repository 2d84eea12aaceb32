//! Integration tests: request economy (issue 5, point 1). The store's rate limit is the physical limit of
//! the job, so every request counts: a plan of N IDs costs ⌈N/250⌉ GETs, and an apply of M deletions adds
//! ⌈M/B⌉ DELETEs (B = batch size) and ⌈M/250⌉ verifying GETs, nothing more. Counted from the fake store's
//! own request log, not from the client's account of itself.

use std::collections::BTreeSet;

use bcprune::sim::{RecordedRequest, SimServer};

use predicates::str::contains;

use crate::support::*;

/// The requests the store received, as `(method, id:in)` in arrival order, after checking that every one
/// was an authenticated customers request that succeeded (no 429, no retry hidden in the count).
#[track_caller]
fn requests(sim: &SimServer) -> Vec<(String, Vec<u32>)> {
    sim.requests()
        .into_iter()
        .map(|r: RecordedRequest| {
            assert!(
                r.path.ends_with("/v3/customers") && r.token_valid,
                "unexpected request {r:?}"
            );
            assert!(
                matches!(r.status, 200 | 204),
                "every request succeeds first time: {r:?}"
            );
            (r.method, r.ids.unwrap_or_default())
        })
        .collect()
}

/// `(GETs, DELETEs)` of a request list.
fn tally(requests: &[(String, Vec<u32>)]) -> (usize, usize) {
    let gets = requests.iter().filter(|(m, _)| m == "GET").count();
    let deletes = requests.iter().filter(|(m, _)| m == "DELETE").count();
    (gets, deletes)
}

/// Every ID of `requests` (with `method`) exactly once, and each request within `max` IDs.
#[track_caller]
fn each_once(requests: &[(String, Vec<u32>)], max: usize) -> BTreeSet<u32> {
    let mut seen = BTreeSet::new();
    for (method, ids) in requests {
        assert!(
            !ids.is_empty() && ids.len() <= max,
            "{method} with {} IDs (1..={max} expected)",
            ids.len()
        );
        for id in ids {
            assert!(seen.insert(*id), "ID {id} sent twice in the same phase");
        }
    }
    seen
}

#[test]
fn plan_of_n_ids_costs_ceil_n_over_250_gets_and_nothing_else() {
    for n in [1u32, 250, 251, 600, 1000] {
        let sim = store(1000);
        let ws = Workspace::new();
        let ids: Vec<u32> = (1..=n).collect();
        let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
        bcprune_at(&sim)
            .arg("plan")
            .arg(&manifest)
            .assert()
            .success();
        let sent = requests(&sim);
        let expected = n.div_ceil(250) as usize;
        assert_eq!(tally(&sent), (expected, 0), "plan of {n} IDs");
        let asked = each_once(&sent, 250);
        assert_eq!(asked, ids.iter().copied().collect(), "plan of {n} IDs");
    }
}

#[test]
fn plan_costs_the_same_whether_the_ids_exist_or_not() {
    // 600 IDs, of which only 1..=100 exist: still ⌈600/250⌉ = 3 GETs (absent IDs are not re-asked).
    let sim = store(100);
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=600).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .success();
    assert_eq!(tally(&requests(&sim)), (3, 0));
}

/// Apply `manifest_ids` with `--auto-approve --batch-size batch` against a store of `customers`, and
/// check the exact request sequence: ⌈N/250⌉ plan GETs, then ⌈M/B⌉ DELETEs, then ⌈M/250⌉ verifying
/// GETs, where M counts the manifest IDs that exist.
#[track_caller]
fn apply_costs_exactly(customers: u32, manifest_ids: &[u32], batch: usize) {
    let sim = store(customers);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(manifest_ids, "max_deletes: 5000\n"));
    let output = bcprune_at(&sim)
        .args([
            "apply",
            "--auto-approve",
            "--batch-size",
            &batch.to_string(),
        ])
        .arg(&manifest)
        .output()
        .expect("run bcprune apply");
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let existing: BTreeSet<u32> = manifest_ids
        .iter()
        .copied()
        .filter(|id| (1..=customers).contains(id))
        .collect();
    let n = manifest_ids.len();
    let m = existing.len();
    let what = format!("apply of {m} deletions (manifest {n} IDs), batch size {batch}");
    let sent = requests(&sim);
    let plan_gets = n.div_ceil(250);
    let deletes = m.div_ceil(batch);
    let verify_gets = m.div_ceil(250);
    assert_eq!(
        tally(&sent),
        (plan_gets + verify_gets, deletes),
        "{what}: (GETs, DELETEs)"
    );
    // The phases come in order: plan, delete, verify.
    let (plan, rest) = sent.split_at(plan_gets);
    let (delete, verify) = rest.split_at(deletes);
    assert!(plan.iter().all(|(m, _)| m == "GET"), "{what}: {plan:?}");
    assert!(delete.iter().all(|(m, _)| m == "DELETE"), "{what}");
    assert!(verify.iter().all(|(m, _)| m == "GET"), "{what}");
    // Each phase asks for each ID once: the manifest, then the existing ones, then the deleted ones.
    assert_eq!(
        each_once(plan, 250),
        manifest_ids.iter().copied().collect(),
        "{what}"
    );
    assert_eq!(each_once(delete, batch), existing, "{what}");
    assert_eq!(each_once(verify, 250), existing, "{what}");
    assert!(
        sim.customer_ids().is_disjoint(&existing),
        "{what}: all deleted"
    );
}

#[test]
fn apply_of_600_with_batch_250_is_3_gets_3_deletes_3_verifying_gets() {
    let ids: Vec<u32> = (1..=600).collect();
    apply_costs_exactly(1000, &ids, 250);
}

#[test]
fn apply_of_600_with_batch_100_sends_6_deletes() {
    let ids: Vec<u32> = (1..=600).collect();
    apply_costs_exactly(1000, &ids, 100);
}

#[test]
fn apply_with_batch_sizes_that_do_not_divide_m() {
    let ids: Vec<u32> = (1..=251).collect();
    apply_costs_exactly(1000, &ids, 250); // 2 DELETEs, 2 verifying GETs
    let ids: Vec<u32> = (1..=7).collect();
    apply_costs_exactly(1000, &ids, 1); // 7 DELETEs, 1 verifying GET
    let ids: Vec<u32> = (1..=1).collect();
    apply_costs_exactly(1000, &ids, 250); // 1 GET, 1 DELETE, 1 GET
}

#[test]
fn ids_already_absent_cost_plan_gets_only() {
    // 800 manifest IDs, 300 of them already gone: plan ⌈800/250⌉ = 4 GETs; the 500 that exist cost
    // ⌈500/250⌉ = 2 DELETEs and 2 verifying GETs (absent IDs are neither deleted nor re-listed).
    let mut ids: Vec<u32> = (1..=500).collect();
    ids.extend(2001..=2300);
    apply_costs_exactly(1000, &ids, 250);
    apply_costs_exactly(1000, &ids, 120); // ⌈500/120⌉ = 5 DELETEs
}

#[test]
fn an_apply_with_nothing_to_delete_costs_the_plan_gets_only() {
    let sim = store(100);
    let ws = Workspace::new();
    let ids: Vec<u32> = (501..=900).collect();
    let manifest = ws.write("m.yaml", manifest_yaml(&ids, ""));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .success();
    assert_eq!(tally(&requests(&sim)), (2, 0));
}

/// The store's requests as `(method, resource, ids)`: a subscriber DELETE carries its one path ID.
/// Every request must be authenticated, succeed first time and name one of the two resources.
#[track_caller]
fn by_resource(sim: &SimServer) -> Vec<(String, bcprune::Resource, Vec<u32>)> {
    sim.requests()
        .into_iter()
        .map(|r| {
            assert!(r.token_valid && matches!(r.status, 200 | 204), "{r:?}");
            let resource = r.resource.expect("a customers or subscribers path");
            let ids = match r.subscriber_id {
                Some(id) => vec![id],
                None => r.ids.unwrap_or_default(),
            };
            (r.method, resource, ids)
        })
        .collect()
}

/// `(GETs, DELETEs)` of one resource.
fn tally_of(
    sent: &[(String, bcprune::Resource, Vec<u32>)],
    resource: bcprune::Resource,
) -> (usize, usize) {
    let of = |m: &str| {
        sent.iter()
            .filter(|(method, r, _)| method == m && *r == resource)
            .count()
    };
    (of("GET"), of("DELETE"))
}

/// A manifest of customers and subscribers.
fn mixed(customers: &[u32], subscribers: &[u32]) -> String {
    let mut text = manifest_yaml(customers, "max_deletes: 5000\n");
    if customers.is_empty() {
        text = text.replace("absent:\n", "absent: []\n");
    }
    text.push_str("absent_subscribers:\n");
    for id in subscribers {
        text.push_str(&format!(
            "  - id: {id}\n    reason: \"subscription {id}\"\n"
        ));
    }
    text
}

#[test]
fn a_mixed_apply_costs_its_listings_one_delete_per_subscriber_and_its_verifications() {
    use bcprune::Resource::{Customer, Subscriber};
    for (c, s) in [(0u32, 1u32), (0, 251), (300, 260), (1, 600)] {
        let sim = people(1000, 1000);
        let ws = Workspace::new();
        let customers: Vec<u32> = (1..=c).collect();
        let subscribers: Vec<u32> = (1..=s).collect();
        let manifest = ws.write("m.yaml", mixed(&customers, &subscribers));
        bcprune_at(&sim)
            .arg("plan")
            .arg(&manifest)
            .assert()
            .success();
        let planned = by_resource(&sim);
        assert_eq!(
            tally_of(&planned, Customer),
            (c.div_ceil(250) as usize, 0),
            "plan C={c}"
        );
        assert_eq!(
            tally_of(&planned, Subscriber),
            (s.div_ceil(250) as usize, 0),
            "plan S={s}"
        );
        let before = planned.len();
        bcprune_at(&sim)
            .args(["apply", "--auto-approve"])
            .arg(&manifest)
            .assert()
            .success();
        let applied = by_resource(&sim)[before..].to_vec();
        // List, DELETE, verify: ⌈C/250⌉ + ⌈C/250⌉ GETs and ⌈C/250⌉ DELETEs; ⌈S/250⌉ × 2 GETs, S DELETEs.
        let lists = |n: u32| 2 * n.div_ceil(250) as usize;
        assert_eq!(
            tally_of(&applied, Customer),
            (lists(c), c.div_ceil(250) as usize),
            "C={c}"
        );
        assert_eq!(
            tally_of(&applied, Subscriber),
            (lists(s), s as usize),
            "S={s}"
        );
        let deleted: BTreeSet<u32> = subscriber_deletes(&sim).into_iter().collect();
        assert_eq!(
            deleted,
            subscribers.iter().copied().collect(),
            "each subscriber once"
        );
        assert_eq!(subscriber_deletes(&sim).len(), s as usize);
        assert_no_collection_delete(&sim);
    }
}

#[test]
fn recorded_ids_are_not_listed_again_and_refresh_all_lists_them() {
    use bcprune::Resource::{Customer, Subscriber};
    let sim = people(1000, 1000);
    let ws = Workspace::new();
    let (n, k) = (300u32, 260u32);
    // N customers and N subscribers deleted and recorded by a first apply.
    let first = ws.write(
        "m.yaml",
        mixed(&(1..=n).collect::<Vec<_>>(), &(1..=n).collect::<Vec<_>>()),
    );
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&first)
        .assert()
        .success();
    let done = sim.requests().len();

    // K = 0: nothing new, no request at all.
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode", "-vv"])
        .arg(&first)
        .assert()
        .code(0)
        .stderr(contains("state read by the line scanner"))
        .stderr(contains(
            "Listed nothing in store demo42: the state records every manifest ID as gone (0 requests).",
        ))
        .stderr(contains("Not listed again: 600 IDs"));
    assert_eq!(
        sim.requests().len(),
        done,
        "a fully recorded manifest sends nothing"
    );
    // The same state reformatted by hand (compact JSON, as `jq -c` writes it) is not in the layout
    // the fast reader knows; the full parser reads it, with the same answer.
    let state_path = ws.path().join("bcprune.state.json");
    let written = std::fs::read_to_string(&state_path).expect("state");
    let value: serde_json::Value = serde_json::from_str(&written).expect("json");
    std::fs::write(&state_path, value.to_string()).expect("rewrite");
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode", "-vv"])
        .arg(&first)
        .assert()
        .code(0)
        .stderr(contains("state read by the full parser"))
        .stderr(contains("Not listed again: 600 IDs"));
    assert_eq!(sim.requests().len(), done, "nor does it reformatted");
    std::fs::write(&state_path, written).expect("restore");
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&first)
        .assert()
        .success();
    assert_eq!(sim.requests().len(), done, "nor does its apply");

    // K new IDs of each resource: ⌈K/250⌉ GETs per resource.
    let grown = mixed(
        &(1..=n + k).collect::<Vec<_>>(),
        &(1..=n + k).collect::<Vec<_>>(),
    );
    let manifest = ws.write("m.yaml", grown);
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .success();
    let sent = by_resource(&sim)[done..].to_vec();
    assert_eq!(tally_of(&sent, Customer), (k.div_ceil(250) as usize, 0));
    assert_eq!(tally_of(&sent, Subscriber), (k.div_ceil(250) as usize, 0));
    let asked: BTreeSet<u32> = sent
        .iter()
        .flat_map(|(_, _, ids)| ids.iter().copied())
        .collect();
    assert!(
        asked.iter().all(|id| *id > n),
        "no recorded ID listed again"
    );

    // --refresh-all: ⌈(N+K)/250⌉ per resource.
    let done = sim.requests().len();
    bcprune_at(&sim)
        .args(["plan", "--refresh-all"])
        .arg(&manifest)
        .assert()
        .success();
    let sent = by_resource(&sim)[done..].to_vec();
    assert_eq!(
        tally_of(&sent, Customer),
        ((n + k).div_ceil(250) as usize, 0)
    );
    assert_eq!(
        tally_of(&sent, Subscriber),
        ((n + k).div_ceil(250) as usize, 0)
    );
}

#[test]
fn a_recorded_id_that_reappeared_is_found_only_by_refresh_all() {
    let sim = people(50, 50);
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", mixed(&[1, 2], &[3]));
    bcprune_at(&sim)
        .args(["apply", "--auto-approve"])
        .arg(&manifest)
        .assert()
        .success();
    sim.insert(2);
    sim.insert_subscriber(3);
    // Incremental: under-deletes until the next full refresh, never over-deletes.
    bcprune_at(&sim)
        .args(["plan", "--detailed-exitcode"])
        .arg(&manifest)
        .assert()
        .code(0);
    let plan = ws.path().join("plan.json");
    bcprune_at(&sim)
        .args([
            "plan",
            "--refresh-all",
            "--detailed-exitcode",
            "--format",
            "json",
            "--out",
        ])
        .arg(&plan)
        .arg(&manifest)
        .assert()
        .code(2)
        .stderr(contains("Reappeared: 2 IDs"));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("json");
    assert_eq!(saved["refresh_all"], true);
    let before = sim.requests().len();
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success();
    assert!(!sim.customer_ids().contains(&2) && !sim.subscriber_ids().contains(&3));
    assert_eq!(
        sim.requests().len() - before,
        2 + 2 + 2,
        "list, DELETE and verify each resource"
    );
    assert_no_collection_delete(&sim);
}

/// PRODUCT §17: the cost `plan` states before approval (`apply_cost.requests`) is within 20 % of the
/// requests the apply that follows sends, counted in the store's own log, for several shapes: customers
/// only, subscribers only, mixed, some already absent, some recorded by an earlier apply, applied fresh
/// and from the saved plan.
#[test]
fn the_cost_a_plan_states_is_within_20_percent_of_what_the_apply_then_sends() {
    // (customers to delete, customers already absent, subscribers to delete, apply the saved plan)
    for (present, gone, subscribers, saved) in [
        (1u32, 0u32, 0u32, false),
        (600, 0, 0, true),
        (0, 0, 7, false),
        (300, 260, 12, true),
        (1, 40, 251, false),
        (740, 10, 3, true),
    ] {
        let sim = people(1000, 300);
        let ws = Workspace::new();
        let customers: Vec<u32> = (1..=present).chain(2001..2001 + gone).collect();
        let subs: Vec<u32> = (1..=subscribers).collect();
        let mut text = mixed(&customers, &subs);
        if subs.is_empty() {
            text = text.replace("absent_subscribers:\n", "");
        }
        let manifest = ws.write("m.yaml", text);
        let plan = save_plan(&sim, &ws, &manifest);
        let stated = read_json(&plan)["apply_cost"]["requests"]
            .as_u64()
            .expect("the saved plan states its cost");
        let before = sim.requests().len();
        if saved {
            bcprune_at(&sim)
                .args(["apply", "--plan"])
                .arg(&plan)
                .assert()
                .success();
        } else {
            apply_auto(&sim, &manifest, &[]).success();
        }
        let sent = (sim.requests().len() - before) as f64;
        let shape =
            format!("{present} present, {gone} gone, {subscribers} subscribers, saved {saved}");
        assert!(
            (stated as f64 - sent).abs() <= 0.2 * sent,
            "{shape}: plan said about {stated} requests, apply sent {sent}"
        );

        // A second plan after the apply: everything is recorded, and the figure is again what an
        // apply sends (nothing to list, nothing to delete).
        let plan = save_plan(&sim, &ws, &manifest);
        let stated = read_json(&plan)["apply_cost"]["requests"]
            .as_u64()
            .expect("cost");
        let before = sim.requests().len();
        apply_auto(&sim, &manifest, &[]).success();
        let sent = (sim.requests().len() - before) as u64;
        assert_eq!(stated, sent, "{shape}, second run");
    }
}

/// The table and the pull-request comment end with the cost line; the quota is the store's when its
/// headers said it, else 150 per 30 s, said to be assumed.
#[test]
fn plan_says_what_apply_costs_at_the_stores_quota() {
    let sim = store_with(
        bcprune::sim::SimConfig::default()
            .customers(20)
            .rate_limit(450, std::time::Duration::from_secs(30)),
    );
    let ws = Workspace::new();
    let manifest = ws.write("m.yaml", manifest_yaml(&[1, 2, 3, 500], ""));
    bcprune_at(&sim)
        .arg("plan")
        .arg(&manifest)
        .assert()
        .success()
        .stdout(contains(
            "Plan: 3 to delete, 1 already absent.\nApply: about 3 requests, 1 s at 450 per 30 s.\n",
        ));
    bcprune_at(&sim)
        .args(["plan", "--format", "markdown"])
        .arg(&manifest)
        .assert()
        .success()
        .stdout(contains("Apply: about 3 requests, 1 s at 450 per 30 s."));
    // At apply's approval prompt, what is left once it has listed: one DELETE, one verification.
    apply_auto(&sim, &manifest, &[]).success().stdout(contains(
        "Plan: 3 to delete, 1 already absent.\nDeleting and verifying: about 2 requests, 1 s at 450 per 30 s.\n",
    ));
}

/// The requests the store received for order `id` itself (`/v2/orders/{id}` and its shipping
/// addresses), as `(method, path)`.
fn order_traffic(log: &[RecordedRequest], id: u32) -> Vec<(String, String)> {
    let own = format!("/v2/orders/{id}");
    log.iter()
        .filter(|r| r.path.ends_with(&own) || r.path.contains(&format!("{own}/")))
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect()
}

/// Issue 19.8: what one order redaction costs, counted on the fake store's log. Discovery is one GET
/// per customer and page (a short page is read past, so a customer with 1–249 orders costs 2, once);
/// each order then costs `store::redaction_requests`: its PUT, one PUT per shipping address, and the
/// two verifying GETs — plus a GET of its shipping addresses only when no listing of this apply read
/// their IDs (a discovery page names only their count). Never a GET of the order before its PUT: the
/// listing that made the plan already read which IP fields it holds. A saved plan's apply, which
/// reads each order by ID to re-check it, sends no other GET of it.
#[test]
fn an_order_redaction_reads_nothing_apply_has_already_read() {
    use bcprune::store::redaction_requests;
    let sim = store_with(
        bcprune::sim::SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 3)
            .orders_for(6, 1)
            .guest_orders("guest@shop.test", 2),
    );
    let retention = "orders_retention:\n  years: 0\n  basis: \"test\"\n";
    let ws = Workspace::new();
    let guests: Vec<u32> = sim.orders_of(0).into_iter().collect();
    let mut text = manifest_yaml(&[5, 6], retention)
        .replace(
            "reason: \"request 5\"",
            "reason: \"request 5\"\n    orders: redact",
        )
        .replace(
            "reason: \"request 6\"",
            "reason: \"request 6\"\n    orders: redact",
        );
    text.push_str("redact_orders:\n");
    for id in &guests {
        text.push_str(&format!("  - id: {id}\n    reason: \"guest\"\n"));
    }
    let manifest = ws.write("m.yaml", text);
    let discovered: Vec<u32> = sim
        .orders_of(5)
        .into_iter()
        .chain(sim.orders_of(6))
        .collect();
    let addresses = |id: u32| sim.order_shipping_addresses(id).len();
    apply_auto(&sim, &manifest, &[]).success();
    let log = sim.requests();
    assert!(log.iter().all(|r| matches!(r.status, 200 | 204)), "{log:?}");
    // Discovery: page 1 and the empty page 2 of each customer, nothing more.
    let listings: Vec<&RecordedRequest> = log
        .iter()
        .filter(|r| r.path.ends_with("/v2/orders"))
        .collect();
    assert_eq!(listings.len(), 4, "{listings:?}");
    for &id in &discovered {
        let sent = order_traffic(&log, id);
        let k = addresses(id);
        assert_eq!(
            sent.len(),
            redaction_requests(k, false),
            "order {id}: {sent:?}"
        );
        assert_eq!(sent.len(), 4 + k, "order {id}: {sent:?}");
        // The one GET of the order itself is the verification, after its PUT.
        let order_gets: Vec<usize> = (0..sent.len())
            .filter(|&i| sent[i].0 == "GET" && sent[i].1.ends_with(&format!("/{id}")))
            .collect();
        let put = sent
            .iter()
            .position(|(m, p)| m == "PUT" && p.ends_with(&format!("/{id}")));
        assert_eq!(order_gets.len(), 1, "order {id}: {sent:?}");
        assert!(
            put.is_some_and(|p| p < order_gets[0]),
            "order {id}: {sent:?}"
        );
    }
    // Guests' orders are read by ID (the order and its addresses) to plan them: nothing is read again
    // before the PUTs.
    for &id in &guests {
        let sent = order_traffic(&log, id);
        let k = addresses(id);
        assert_eq!(
            sent.len(),
            2 + redaction_requests(k, true),
            "order {id}: {sent:?}"
        );
        assert_eq!(sent.len(), 2 + 3 + k, "order {id}: {sent:?}");
    }
    crate::orders::assert_nothing_forbidden(&sim);

    // A saved plan: plan discovers; apply --plan reads each order by ID to re-check it, then sends
    // only the PUTs and the verification.
    let sim = store_with(
        bcprune::sim::SimConfig::default()
            .customers(20)
            .unlimited()
            .orders_for(5, 3),
    );
    let ws = Workspace::new();
    let text = manifest_yaml(&[5], retention).replace(
        "reason: \"request 5\"",
        "reason: \"request 5\"\n    orders: redact",
    );
    let manifest = ws.write("m.yaml", text);
    let plan = save_plan(&sim, &ws, &manifest);
    let before = sim.requests().len();
    bcprune_at(&sim)
        .args(["apply", "--plan"])
        .arg(&plan)
        .assert()
        .success();
    let log: Vec<RecordedRequest> = sim.requests().split_off(before);
    for id in sim.orders_of(0) {
        let sent = order_traffic(&log, id);
        let k = addresses(id);
        assert_eq!(
            sent.len(),
            2 + redaction_requests(k, true),
            "order {id}: {sent:?}"
        );
    }
    assert!(
        !log.iter().any(|r| r.path.ends_with("/v2/orders")),
        "no discovery again"
    );
    crate::orders::assert_nothing_forbidden(&sim);
}

/// Order redactions spend the store's one quota with everything else an apply sends (PRODUCT §4,
/// §15): their PUTs and GETs go through the same client, so the same parallelism bound and the same
/// pacer. At a small quota and a store that answers 429 to a fourth concurrent request, an apply that
/// deletes customers and redacts their orders, parallelism 3, earns no 429 at all.
#[test]
fn order_requests_share_the_stores_quota_and_parallelism_with_the_deletes() {
    let mut config = bcprune::sim::SimConfig::default()
        .customers(20)
        .rate_limit(20, std::time::Duration::from_millis(500))
        .max_in_flight(3)
        .latency(std::time::Duration::from_millis(5));
    for id in 1..=8 {
        config = config.orders_for(id, 2);
    }
    let sim = store_with(config);
    let ws = Workspace::new();
    let ids: Vec<u32> = (1..=8).collect();
    let mut text = manifest_yaml(&ids, "orders_retention:\n  years: 0\n  basis: \"test\"\n");
    for id in ids {
        text = text.replace(
            &format!("reason: \"request {id}\"\n"),
            &format!("reason: \"request {id}\"\n    orders: redact\n"),
        );
    }
    let manifest = ws.write("m.yaml", text);
    apply_auto(&sim, &manifest, &["--parallelism", "3"]).success();
    let log = sim.requests();
    let puts = log.iter().filter(|r| r.method == "PUT").count();
    assert!(puts >= 16, "every order redacted: {puts} PUTs");
    let limited: Vec<&RecordedRequest> = log.iter().filter(|r| r.status == 429).collect();
    assert!(
        limited.is_empty(),
        "{} requests got 429: {limited:?}",
        limited.len()
    );
    crate::orders::assert_nothing_forbidden(&sim);
}
