//! Snapshots of what a person sees of a plan, built in memory from hand-made plans (both resources, due
//! dates, overdue, recorded, reappeared), so they depend on nothing but the renderers.

use std::collections::BTreeMap;

use jiff::civil::{Date, date};

use super::*;
use crate::live::{Live, LiveCustomer};
use crate::plan::{ManifestRef, Plan, SavedPlan};
use crate::state::AuditHead;

const TODAY: Date = date(2026, 12, 1);

fn change(resource: Resource, id: u32, action: Action, reason: &str) -> Change {
    let delete = action == Action::Delete;
    Change {
        resource,
        id,
        action,
        recorded: false,
        reappeared: false,
        received: None,
        due: None,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        email_masked: delete.then(|| format!("p***@example{}.com", id % 3)),
        name_masked: delete.then(|| "P*** L***".to_string()),
        date_modified: delete.then(|| "2026-01-01T00:00:00Z".to_string()),
        retained_until: None,
        customer_id: None,
        basis: None,
        shipping_addresses: 0,
    }
}

fn delete(resource: Resource, id: u32, reason: &str) -> Change {
    change(resource, id, Action::Delete, reason)
}

fn absent(resource: Resource, id: u32, reason: &str) -> Change {
    change(resource, id, Action::Absent, reason)
}

fn due(mut change: Change, received: Date, due: Date) -> Change {
    change.received = Some(received);
    change.due = Some(due);
    change
}

/// A plan of every kind of row: customers and subscribers, overdue, due soon, due later, no deadline,
/// reappeared, recorded and listed absent.
fn mixed() -> Plan {
    let mut reappeared = delete(Resource::Customer, 104, "duplicate account");
    reappeared.reappeared = true;
    let mut recorded = absent(Resource::Customer, 9001, "GDPR erasure 2026-0031");
    recorded.recorded = true;
    Plan {
        changes: vec![
            due(
                delete(Resource::Customer, 101, "GDPR erasure 2026-0042"),
                date(2026, 10, 30),
                date(2026, 11, 30),
            ),
            due(
                delete(Resource::Customer, 102, "GDPR erasure 2026-0043"),
                date(2026, 11, 3),
                date(2026, 12, 3),
            ),
            due(
                delete(Resource::Customer, 103, "GDPR erasure 2026-0050"),
                date(2026, 11, 25),
                date(2026, 12, 25),
            ),
            reappeared,
            due(
                delete(Resource::Subscriber, 7, "GDPR erasure 2026-0042"),
                date(2026, 10, 30),
                date(2026, 11, 30),
            ),
            delete(Resource::Subscriber, 8, ""),
            due(
                absent(Resource::Customer, 9000, "GDPR erasure 2026-0030"),
                date(2026, 9, 1),
                date(2026, 10, 1),
            ),
            recorded,
            absent(Resource::Subscriber, 55, "unsubscribed guest"),
        ],
    }
}

fn saved(plan: &Plan) -> SavedPlan {
    SavedPlan {
        format_version: 1,
        tool_version: "0.1.0".into(),
        created_at: "2026-12-01T18:00:05.123456789Z".into(),
        store_hash: "acme42".into(),
        api_host: "api.bigcommerce.com".into(),
        manifest: ManifestRef {
            relative_to_plan: false,
            path: "customers/".into(),
            sha256: "ab12cd34ef56".repeat(5) + "abcd",
        },
        state: None,
        audit_head: Some(AuditHead {
            seq: 42,
            hash: "2300f193b3e3".to_string() + &"0".repeat(52),
        }),
        refresh_all: false,
        apply_cost: None,
        summary: plan.summary(),
        changes: plan.changes.clone(),
    }
}

fn github() -> Ci {
    let env: BTreeMap<&str, &str> = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/erasures"),
        ("GITHUB_RUN_ID", "123456789"),
    ]
    .into_iter()
    .collect();
    Ci::from_env(|name| env.get(name).map(|v| v.to_string()))
}

fn context() -> Context {
    Context {
        today: Some(TODAY),
        guard: Some(Guard {
            max_deletes: 1000,
            from_flag: false,
            protected: 2,
        }),
        ci: github(),
        refusals: Vec::new(),
        diff: None,
        requests: Requests::default(),
    }
}

fn render_table(plan: &Plan, options: TableOptions) -> String {
    let mut out = Vec::new();
    table_with(plan, &options, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

fn render_markdown(saved: &SavedPlan, ctx: &Context) -> String {
    let mut out = Vec::new();
    markdown(saved, ctx, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

fn options(colour: bool) -> TableOptions {
    TableOptions {
        full: false,
        colour,
        today: Some(TODAY),
    }
}

#[test]
fn table_shows_resource_due_dates_overdue_recorded_and_reappeared() {
    let text = render_table(&mixed(), options(false));
    insta::assert_snapshot!("table_plain", text);
    assert!(!text.contains('\u{1b}'), "no colour when not asked");
    assert!(text.ends_with("\nPlan: 6 to delete, 3 already absent.\n"));
}

#[test]
fn table_colours_only_the_delete_cells_red() {
    let text = render_table(&mixed(), options(true));
    insta::assert_snapshot!("table_colour", text);
    assert_eq!(text.matches("\u{1b}[31mdelete\u{1b}[0m").count(), 6);
    assert_eq!(text.matches('\u{1b}').count(), 12, "nothing else coloured");
    let plain = render_table(&mixed(), options(false));
    assert_eq!(
        text.replace("\u{1b}[31m", "").replace("\u{1b}[0m", ""),
        plain,
        "colour never moves a column"
    );
}

#[test]
fn table_without_a_date_marks_nothing_overdue() {
    let text = render_table(
        &mixed(),
        TableOptions {
            today: None,
            ..options(false)
        },
    );
    assert!(
        !text.contains("overdue") && text.contains("2026-11-30"),
        "{text}"
    );
}

#[test]
fn table_caps_rows_per_action_and_counts_the_rest() {
    let mut changes: Vec<Change> = (1..=150)
        .map(|id| delete(Resource::Customer, id, "dup"))
        .collect();
    changes.extend((1000..1003).map(|id| absent(Resource::Subscriber, id, "gone")));
    let plan = Plan { changes };
    let text = render_table(&plan, options(false));
    assert!(text.contains("(50 more to delete)"), "{text}");
    assert!(text.contains("1002"), "{text}");
    assert!(!text.contains(" 101 "), "{text}");
    assert!(text.ends_with("Plan: 150 to delete, 3 already absent.\n"));
    let full = render_table(
        &plan,
        TableOptions {
            full: true,
            ..options(false)
        },
    );
    assert!(full.contains(" 150 ") && !full.contains("more to delete"));
    // The count row is in the last column: the columns keep the widths of the rows shown.
    let id_column = |text: &str| text.lines().next().and_then(|header| header.find(" ID "));
    assert_eq!(id_column(&text), id_column(&full), "{text}");
}

#[test]
fn control_and_bidi_characters_in_a_reason_are_neutralised() {
    let plan = Plan {
        changes: vec![delete(
            Resource::Customer,
            1,
            "evil\u{1b}[2Jreason\nnext \u{202E}txt.exe\u{2066}x\u{2069}",
        )],
    };
    let text = render_table(&plan, options(true));
    assert!(!text.contains('\u{202E}') && !text.contains('\u{2066}'));
    assert!(text.contains("evil?[2Jreason?next ?txt.exe?x?"), "{text}");
    let md = render_markdown(&saved(&plan), &context());
    assert!(!md.contains('\u{202E}') && !md.contains('\u{1b}'), "{md}");
    assert!(md.contains("evil?\\[2Jreason?next ?txt.exe?x?"), "{md}");
}

#[test]
fn markdown_no_changes() {
    let plan = Plan {
        changes: vec![absent(Resource::Customer, 300, "request 300")],
    };
    let text = render_markdown(&saved(&plan), &context());
    insta::assert_snapshot!("markdown_no_changes", text);
    assert!(text.starts_with("<!-- bcprune:plan store=acme42 -->\n### ✅ No changes."));
    assert!(!text.contains("Not erased"), "nothing is deleted: no note");
    assert!(!text.contains("| Email"), "an empty section is left out");
}

#[test]
fn markdown_deletions_of_both_resources_with_deadlines() {
    let text = render_markdown(&saved(&mixed()), &context());
    insta::assert_snapshot!("markdown_deletions", text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "<!-- bcprune:plan store=acme42 -->");
    assert_eq!(
        lines[1],
        "### ⚠️ Merging deletes 4 customers and 2 subscribers from store `acme42`, irreversibly."
    );
    assert!(
        lines[3].starts_with("**Deadlines: 2 overdue**")
            && lines[3].contains("1 due within 7 days"),
        "deadlines first: {}",
        lines[3]
    );
    assert!(text.contains("- Guards: 6 of 1,000 deletions allowed by `max_deletes`; 2 protected IDs checked, none to be deleted.\n"));
    assert!(
        text.contains(
            "[CI run 123456789](https://github.com/acme/erasures/actions/runs/123456789)"
        )
    );
    assert!(text.contains("audit head `42:2300f193b3e3`"));
    assert!(
        text.contains("planned 2026-12-01 18:00:05 UTC"),
        "to the second"
    );
    assert!(text.contains("`p***@example2.com`"), "emails in code spans");
    assert!(text.trim_end().ends_with(NOT_ERASED_LINE));
}

const NOT_ERASED_LINE: &str = "stored payment instruments.";

#[test]
fn markdown_folds_deletions_past_twenty() {
    let mut changes: Vec<Change> = (1..=25)
        .map(|id| delete(Resource::Customer, id, "bulk cleanup"))
        .collect();
    changes.push(absent(Resource::Customer, 500, "gone"));
    let plan = Plan { changes };
    let text = render_markdown(&saved(&plan), &context());
    insta::assert_snapshot!("markdown_folded", text);
    let (visible, folded) = text
        .split_once("<details><summary>5 more to delete</summary>")
        .expect("the rest folded");
    assert_eq!(visible.matches("| `p***").count(), 20);
    assert_eq!(folded.matches("| `p***").count(), 5);
}

#[test]
fn markdown_groups_deletions_by_request_when_requests_are_used() {
    let mut ctx = context();
    // DSR-0042: customer 101 and subscriber 7 (one person); DSR-0043: customer 102; the rest without.
    for (resource, id, request) in [
        (Resource::Customer, 101, "DSR-0042"),
        (Resource::Subscriber, 7, "DSR-0042"),
        (Resource::Customer, 102, "DSR-0043"),
        (Resource::Customer, 9000, "DSR-0030"),
    ] {
        ctx.requests.insert((resource, id), request.to_string());
    }
    let text = render_markdown(&saved(&mixed()), &ctx);
    insta::assert_snapshot!("markdown_by_request", text);
    assert!(
        text.contains("**To delete (6, for 2 requests):**"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("| **") || l.starts_with("| customer") || l.starts_with("| subscriber")
        })
        .collect();
    let expected_starts = [
        "| **Request `DSR-0042`** | 2 to delete | | | 2026&#8209;11&#8209;30 **(overdue)** | |",
        "| customer | 101 |",
        "| subscriber | 7 |",
        "| **Request `DSR-0043`** | 1 to delete |",
        "| customer | 102 |",
        "| **Without a request** | 3 to delete | | | - | |",
        "| customer | 103 |",
        "| customer | 104 |",
        "| subscriber | 8 |",
    ];
    for (row, start) in rows.iter().zip(expected_starts) {
        assert!(
            row.starts_with(start),
            "{row:?} should start with {start:?}"
        );
    }
    // Without any request, the rows are as planned: no group rows.
    assert!(!render_markdown(&saved(&mixed()), &context()).contains("| **Request"));
}

#[test]
fn markdown_folded_counts_deletions_not_the_rows_naming_requests() {
    let mut ctx = context();
    let changes: Vec<Change> = (1..=25)
        .map(|id| delete(Resource::Customer, id, "bulk cleanup"))
        .collect();
    for id in 1..=25 {
        ctx.requests
            .insert((Resource::Customer, id), format!("R-{}", id % 5));
    }
    let text = render_markdown(&saved(&Plan { changes }), &ctx);
    assert!(
        text.contains("**To delete (25, for 5 requests):**"),
        "{text}"
    );
    let (visible, folded) = text
        .split_once("<details><summary>")
        .expect("the rest folded");
    let visible_records = visible.matches("| `p***").count();
    assert!(
        folded.starts_with(&format!(
            "{} more to delete</summary>",
            25 - visible_records
        )),
        "{folded}"
    );
}

#[test]
fn markdown_of_a_refused_plan_says_so_first() {
    let plan = Plan {
        changes: (1..=5)
            .map(|id| delete(Resource::Customer, id, "cleanup"))
            .collect(),
    };
    let ctx = Context {
        guard: Some(Guard {
            max_deletes: 3,
            from_flag: false,
            protected: 0,
        }),
        refusals: vec![RefusalNote {
            message: "refusing to delete 5 customers: the manifest's max_deletes allows at most 3"
                .into(),
            hint: Some("If this many deletions are intended, raise max_deletes in the manifest (reviewed like any change) or pass --max-deletes 5.".into()),
        }],
        ..context()
    };
    let text = render_markdown(&saved(&plan), &ctx);
    insta::assert_snapshot!("markdown_refused", text);
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("### ❌ Refused"))
    );
}

fn render_failure(failure: &Failure<'_>, ctx: &Context) -> String {
    let mut out = Vec::new();
    markdown_failure(failure, ctx, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn markdown_of_a_failed_plan_says_what_failed_under_the_marker() {
    let error = "customers/a.yaml:2:1: error: unknown key `absnet`; did you mean `absent`?\n\
                 error: 1 problem in the manifest; nothing was sent to the API.\n";
    let failure = Failure {
        store: Some("acme42"),
        error,
        exit_code: 1,
        hint: Some("Fix what it says and push again: this comment is replaced by the plan."),
        at: "2026-12-01T18:00:05.5Z".parse().expect("ts"),
        after_plan: false,
    };
    let text = render_failure(&failure, &context());
    insta::assert_snapshot!("markdown_failure", text);
    assert!(text.starts_with("<!-- bcprune:plan store=acme42 -->\n### ❌ bcprune plan failed"));

    let unknown = render_failure(
        &Failure {
            store: None,
            ..failure.clone()
        },
        &Context::default(),
    );
    assert!(
        unknown.starts_with("<!-- bcprune:plan store=unknown -->\n"),
        "{unknown}"
    );
    let hostile = render_failure(
        &Failure {
            store: Some("x --> <script>"),
            error: "```\n<b>\u{202E}",
            ..failure.clone()
        },
        &Context::default(),
    );
    assert!(
        hostile.starts_with("<!-- bcprune:plan store=unknown -->\n"),
        "{hostile}"
    );
    assert!(
        hostile.contains("\n````text\n```\n<b>?\n````\n"),
        "{hostile}"
    );

    // Saving the plan failed after the comment was printed: a section to append, no second marker.
    let after = render_failure(
        &Failure {
            after_plan: true,
            error: "error: could not save the plan to plan.json: disk full",
            ..failure.clone()
        },
        &context(),
    );
    assert!(!after.contains("<!-- bcprune:plan"), "{after}");
    assert!(
        after.starts_with(
            "\n---\n\n### ❌ bcprune plan failed after making the plan above (exit 1)"
        ),
        "{after}"
    );
    assert!(after.contains("disk full"), "{after}");

    let many: String = (1..=1000)
        .map(|i| format!("m.yaml:{i}:1: error: bad\n"))
        .collect();
    let long = render_failure(
        &Failure {
            error: &many,
            ..failure
        },
        &Context::default(),
    );
    assert!(
        long.contains("…and 960 more lines") && long.len() < 5_000,
        "{}",
        long.len()
    );
}

fn live_with_records(ids: impl Iterator<Item = u32>, fields: usize) -> Live {
    let customers = ids
        .map(|id| {
            let mut record = serde_json::Map::new();
            record.insert("id".into(), id.into());
            record.insert("email".into(), format!("person{id}@example.com").into());
            for field in 0..fields {
                record.insert(format!("notes_{field:03}"), "private".into());
            }
            (
                id,
                LiveCustomer {
                    id,
                    email: format!("person{id}@example.com"),
                    first_name: "Pat".into(),
                    last_name: "Lee".into(),
                    date_modified: "2026-01-01T00:00:00Z".into(),
                    record: serde_json::Value::Object(record),
                },
            )
        })
        .collect();
    Live {
        customers,
        ..Live::default()
    }
}

/// The comment with the diff's body lines left out: its structure, not 60,000 characters.
fn without_diff_body(text: &str) -> String {
    let mut inside = false;
    let mut kept = Vec::new();
    let mut hidden = 0;
    for line in text.lines() {
        if line.starts_with("```diff") {
            inside = true;
            kept.push(line.to_string());
            continue;
        }
        if inside && line == "```" {
            inside = false;
            kept.push(format!("[{hidden} diff lines]"));
        }
        if inside {
            hidden += 1;
        } else {
            kept.push(line.to_string());
        }
    }
    kept.join("\n")
}

#[test]
fn markdown_with_a_diff_fences_it_and_caps_it() {
    let plan = Plan {
        changes: (1..=3)
            .map(|id| delete(Resource::Customer, id, "r"))
            .collect(),
    };
    let live = live_with_records(1..=3, 2);
    let ctx = Context {
        diff: Some(diffs(&plan, &live).expect("diff")),
        ..context()
    };
    let text = render_markdown(&saved(&plan), &ctx);
    assert!(
        text.contains("\n```diff\n--- customer 1 (before)\n+++ customer 1 (after: deleted)\n"),
        "{text}"
    );
    assert!(!text.contains("person1@"), "the diff is masked");

    // A huge plan with a huge diff: still under the limit, cut with counts.
    let plan = Plan {
        changes: (1..=20_000)
            .map(|id| {
                delete(
                    Resource::Customer,
                    id,
                    "a long reason | with <b>html</b> and @team",
                )
            })
            .collect(),
    };
    let live = live_with_records(1..=20_000, 40);
    let ctx = Context {
        diff: Some(diffs(&plan, &live).expect("diff")),
        ..context()
    };
    let text = render_markdown(&saved(&plan), &ctx);
    assert!(text.len() < MARKDOWN_LIMIT, "{}", text.len());
    assert!(text.contains("more to delete, not shown"));
    assert!(text.contains("\nShown: "), "the diff is cut, with counts");
    assert!(text.contains("with &lt;b&gt;html&lt;/b&gt;") && text.contains("reason \\| with"));
    assert!(
        text.contains("@&#8203;team"),
        "no one is mentioned by a reason"
    );
    insta::assert_snapshot!("markdown_capped_diff", without_diff_body(&text));

    // One record bigger than the whole comment: its first lines, then the count.
    let plan = Plan {
        changes: vec![delete(Resource::Customer, 1, "r")],
    };
    let live = live_with_records(1..=1, 5_000);
    let ctx = Context {
        diff: Some(diffs(&plan, &live).expect("diff")),
        ..context()
    };
    let text = render_markdown(&saved(&plan), &ctx);
    assert!(text.len() < MARKDOWN_LIMIT, "{}", text.len());
    assert!(
        text.contains("Shown: 0 of 1 record, and the first lines of the next."),
        "{text}"
    );
}

#[test]
fn markdown_stays_under_the_limit_for_a_huge_plan() {
    let mut changes: Vec<Change> = (1..=100_000)
        .map(|id| delete(Resource::Customer, id, "a long reason | with <b>html</b>"))
        .collect();
    changes.extend((200_000..300_000).map(|id| absent(Resource::Subscriber, id, "gone")));
    let plan = Plan { changes };
    let text = render_markdown(&saved(&plan), &context());
    assert!(text.len() < MARKDOWN_LIMIT, "{}", text.len());
    assert!(text.contains("more to delete, not shown"));
    assert!(
        text.contains("more already absent, not shown"),
        "the absent rows get their share"
    );
    assert!(
        text.trim_end().ends_with(NOT_ERASED_LINE),
        "the closing line survives"
    );
}

#[test]
fn ci_context_takes_only_what_looks_like_github() {
    let ci = github();
    assert_eq!(
        ci.commit.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(
        ci.commit_url.as_deref(),
        Some("https://github.com/acme/erasures/commit/0123456789abcdef0123456789abcdef01234567")
    );
    let env: BTreeMap<&str, &str> = [
        ("GITHUB_SHA", "not a sha"),
        ("GITHUB_SERVER_URL", "javascript:alert(1)"),
        ("GITHUB_REPOSITORY", "acme/erasures) [x](y"),
        ("GITHUB_RUN_ID", "12"),
    ]
    .into_iter()
    .collect();
    let ci = Ci::from_env(|name| env.get(name).map(|v| v.to_string()));
    assert_eq!(
        ci,
        Ci {
            run_id: Some("12".into()),
            ..Ci::default()
        }
    );
    assert_eq!(Ci::from_env(|_| None), Ci::default());
}

#[test]
fn json_carries_resource_received_and_due() {
    let mut out = Vec::new();
    json(&saved(&mixed()), &mut out).expect("render");
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let first = &doc["changes"][0];
    assert_eq!(first["resource"], "customer");
    assert_eq!(first["received"], "2026-10-30");
    assert_eq!(first["due"], "2026-11-30");
    assert_eq!(doc["changes"][4]["resource"], "subscriber");
    assert_eq!(doc["audit_head"]["seq"], 42);
}

#[test]
fn a_subscriber_diff_shows_the_subscriber_not_the_customer_with_the_same_id() {
    let record = |email: &str| serde_json::json!({ "id": 7, "email": email, "first_name": "Ada", "source": "storefront" });
    let mut live = Live::default();
    live.customers.insert(
        7,
        LiveCustomer {
            id: 7,
            email: "customer@example.com".into(),
            first_name: "Ada".into(),
            last_name: "C".into(),
            date_modified: "2026-01-01T00:00:00Z".into(),
            record: record("customer@example.com"),
        },
    );
    live.subscribers.insert(
        7,
        crate::live::LiveSubscriber {
            id: 7,
            email: "subscriber@shop.test".into(),
            first_name: "Ada".into(),
            last_name: "S".into(),
            date_modified: "2026-01-01T00:00:00Z".into(),
            record: record("subscriber@shop.test"),
        },
    );
    let plan = Plan {
        changes: vec![delete(Resource::Subscriber, 7, "request 7")],
    };
    let mut out = Vec::new();
    diff(&plan, &live, &mut out).expect("render");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("--- subscriber 7 (before)\n"), "{text}");
    assert!(text.contains("s***@shop.test"), "{text}");
    assert!(!text.contains("c***@example.com"), "{text}");
    assert!(!text.contains("subscriber@shop.test"), "masked: {text}");
}

/// A plan with orders (PRODUCT §15): a customer deleted, an order redacted, two retained.
fn with_orders() -> Plan {
    let order = |id: u32, action: Action, until: Date| {
        let mut change = change(Resource::Order, id, action, "GDPR erasure 2026-0043");
        change.email_masked = Some("j***@example.com".into());
        change.name_masked = Some("J*** D***".into());
        change.retained_until = Some(until);
        change.basis = Some("§147 AO, §257 HGB".into());
        change.customer_id = Some(101);
        change
    };
    Plan {
        changes: vec![
            delete(Resource::Customer, 101, "GDPR erasure 2026-0043"),
            order(100, Action::Retain, date(2034, 12, 31)),
            order(101, Action::Redact, date(2025, 12, 31)),
            order(102, Action::Retain, date(2035, 12, 31)),
        ],
    }
}

#[test]
fn table_says_until_when_an_order_is_retained_without_widening_every_row() {
    let text = render_table(&with_orders(), options(true));
    let plain = render_table(&with_orders(), options(false));
    insta::assert_snapshot!("table_orders", plain);
    let lines: Vec<&str> = plain.lines().collect();
    let header = lines[0];
    // The ACTION column is as wide as its words, not as the retention text: RESOURCE starts early.
    assert!(header.find("RESOURCE").expect("RESOURCE") < 12, "{plain}");
    let retain = lines
        .iter()
        .find(|l| l.contains(" 100 "))
        .expect("order 100");
    assert!(retain.trim_start().starts_with("retain "), "{retain}");
    assert!(
        retain.contains("until 2034-12-31 (§147 AO, §257 HGB)"),
        "{retain}"
    );
    assert!(header.contains("RETENTION"), "{header}");
    assert!(
        plain.lines().all(|l| l == l.trim_end()),
        "no trailing blanks: a narrow terminal would wrap them into empty lines\n{plain:?}"
    );
    // A redaction is a change (red, like a delete); a retention is not (no colour).
    assert!(text.contains("\u{1b}[31mredact\u{1b}[0m"), "{text}");
    let retained = text
        .lines()
        .find(|l| l.contains(" 100 "))
        .expect("order 100");
    assert!(!retained.contains('\u{1b}'), "{retained}");
    // Without retained orders the column is left out.
    let none = render_table(&mixed(), options(false));
    assert!(!none.contains("RETENTION"), "{none}");
}

#[test]
fn markdown_names_the_orders_it_redacts_and_retains_and_does_not_contradict_itself() {
    let plan = with_orders();
    let mut ctx = context();
    for (resource, id) in [
        (Resource::Customer, 101),
        (Resource::Order, 100),
        (Resource::Order, 101),
        (Resource::Order, 102),
    ] {
        ctx.requests.insert((resource, id), "DSR-2026-0043".into());
    }
    let text = render_markdown(&saved(&plan), &ctx);
    insta::assert_snapshot!("markdown_orders", text);
    // The verdict names every irreversible change, the redaction too.
    assert!(
        text.contains(
            "### ⚠️ Merging deletes 1 customer and redacts 1 order in store `acme42`, irreversibly."
        ),
        "{text}"
    );
    // A reviewer approves which orders are redacted, and sees which are kept and until when.
    assert!(text.contains("**To redact (1 order):**"), "{text}");
    assert!(
        text.contains(
            "| 101 | 101 | `j***@example.com` | J\\*\\*\\*&nbsp;D\\*\\*\\* | `DSR-2026-0043` |"
        ),
        "{text}"
    );
    assert!(
        text.contains("<summary>2 orders retained for the law, the last until 2035&#8209;12&#8209;31</summary>"),
        "{text}"
    );
    assert!(
        text.contains(
            "| 100 | 101 | 2034&#8209;12&#8209;31 | §147 AO, §257 HGB | `DSR-2026-0043` |"
        ),
        "{text}"
    );
    // Orders are redacted by this plan: the closing line must not say deleting leaves them unerased
    // without saying what `orders: redact` does.
    assert!(
        !text.contains("**Not erased by deleting a customer:** their orders, which keep"),
        "{text}"
    );
    assert!(text.contains("`orders: redact`"), "{text}");
}
