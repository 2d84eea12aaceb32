//! The newsletter subscribers endpoints of the fake store (`subscribers.v3.yml`, API-NOTES §10), after
//! the shared pipeline of [`super::handlers`] (concurrency and rate limit, faults, latency, routing,
//! auth with the customers scopes, read-only → 403):
//!
//! - `GET /customers/subscribers`: filters `id`, `id:in`, `email`, `first_name`, `last_name`, `source`,
//!   `order_id`, `date_created[:min|:max]`, `date_modified[:min|:max]`, `page`, `limit` (default 50,
//!   above 250 as [`super::OverLimit`] says — the spec gives no maximum); `meta` holds only
//!   `pagination` (the spec's `CollectionMeta`: no cursor pagination); unknown filters → the customers'
//!   observed 422 ([I]); every [`super::Hostile`] mode, as for customers.
//! - `GET /customers/subscribers/{id}`: `{"data":…,"meta":{}}`, or the spec's 404 `NotFound`.
//! - `DELETE /customers/subscribers/{id}`: 204 (the only status the spec lists; also for an unknown ID
//!   unless [`super::UnknownSubscriber::NotFound404`]); the lying, failing and dropping faults.
//! - `DELETE /customers/subscribers` **(the hazard)**: "By default, it deletes all subscribers". With
//!   none of the spec's filters (`email`, `first_name`, `last_name`, `source`, `order_id`,
//!   `date_created`, `date_modified`) it deletes every subscriber; with them, every match. Parameters
//!   the spec does not list for this operation — `id:in`, `id`, `page`, `limit`, `date_*:min|max` — are
//!   ignored, so `?id:in=5` wipes the store too: whether the real API ignores or refuses them is [U],
//!   and the pessimistic reading is the one a client must survive. A listed filter with a bad value
//!   (`order_id=x`) is refused with 422.
//!
//! `email` is one address (no list); repeated, the last one counts (as most web frameworks do, [I]);
//! compared as [`super::EmailMatch`] says (exactly by default).

use serde_json::{Value, json};

use crate::Resource;

use super::Shared;
use super::config::{Hostile, UnknownSubscriber};
use super::log::lock;
use super::params::{self, DEFAULT_LIMIT, DateFilter};
use super::records::Records;
use super::respond::{
    Replied, TYPE_STATUS_CODES, after_delete, effective_faults, empty, error, filter_error,
    hostile_for, hostile_response, json_response, over_limit, page_size, pagination,
};
use super::subscribers::Subscriber;

/// The filters of a subscribers GET or collection DELETE.
#[derive(Debug, Clone, Default)]
struct Filter {
    ids: Option<Vec<u32>>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    source: Option<String>,
    order_id: Option<u32>,
    date_created: DateFilter,
    date_modified: DateFilter,
    page: u32,
    limit: u32,
    fold_emails: bool,
}

/// Which operation a query is parsed for: they accept different parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    List,
    DeleteCollection,
}

impl Filter {
    /// Parse a query. `List`: unknown parameters and bad values are refused (their names returned).
    /// `DeleteCollection`: only the spec's seven filters count; others are ignored (see the module doc).
    fn parse(pairs: &[(String, String)], op: Op) -> Result<Filter, Vec<String>> {
        let mut f = Filter {
            page: 1,
            limit: DEFAULT_LIMIT,
            ..Filter::default()
        };
        let mut bad: Vec<String> = Vec::new();
        let list = op == Op::List;
        for (key, value) in pairs {
            let text = |slot: &mut Option<String>| {
                *slot = Some(value.clone());
                true
            };
            let ok = match key.as_str() {
                "email" => text(&mut f.email),
                "first_name" => text(&mut f.first_name),
                "last_name" => text(&mut f.last_name),
                "source" => text(&mut f.source),
                "order_id" => match params::positive(value) {
                    Some(n) => {
                        f.order_id = Some(n);
                        true
                    }
                    None => false,
                },
                "date_created" => params::set_date(&mut f.date_created.exact, value),
                "date_modified" => params::set_date(&mut f.date_modified.exact, value),
                _ if !list => true,
                "date_created:min" => params::set_date(&mut f.date_created.min, value),
                "date_created:max" => params::set_date(&mut f.date_created.max, value),
                "date_modified:min" => params::set_date(&mut f.date_modified.min, value),
                "date_modified:max" => params::set_date(&mut f.date_modified.max, value),
                "id" => match params::positive(value) {
                    Some(n) => {
                        f.ids.get_or_insert_with(Vec::new).push(n);
                        true
                    }
                    None => false,
                },
                "id:in" => true, // all occurrences together, below
                "page" => params::positive(value).map(|n| f.page = n).is_some(),
                "limit" => params::positive(value).map(|n| f.limit = n).is_some(),
                _ => false,
            };
            if !ok && !bad.contains(key) {
                bad.push(key.clone());
            }
        }
        if list {
            match params::id_in(pairs) {
                None => {}
                Some(Ok(ids)) => f.ids.get_or_insert_with(Vec::new).extend(ids),
                Some(Err(())) => bad.push("id:in".to_string()),
            }
        }
        if bad.is_empty() { Ok(f) } else { Err(bad) }
    }

    fn matches(&self, s: &Subscriber) -> bool {
        let same = |want: &Option<String>, have: &str| want.as_ref().is_none_or(|w| w == have);
        let email_ok = self.email.as_ref().is_none_or(|e| {
            if self.fold_emails {
                super::collate(e) == super::collate(&s.email)
            } else {
                *e == s.email
            }
        });
        email_ok
            && same(&self.first_name, &s.first_name)
            && same(&self.last_name, &s.last_name)
            && same(&self.source, s.source)
            && self.order_id.is_none_or(|o| s.order_id == Some(o))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&s.id))
            && self.date_created.matches(s.date_created)
            && self.date_modified.matches(s.date_modified)
    }

    /// The matching subscribers, by ID (an `id:in` or `email` looks up, never scans).
    fn select<'a>(&self, records: &'a Records) -> Vec<&'a Subscriber> {
        let subs = &records.subscribers;
        let mut rows: Vec<&Subscriber> = if let Some(ids) = &self.ids {
            let unique: std::collections::BTreeSet<u32> = ids.iter().copied().collect();
            unique.into_iter().filter_map(|id| subs.get(id)).collect()
        } else if let Some(email) = &self.email {
            subs.by_email(email, self.fold_emails)
        } else {
            subs.all().collect()
        };
        rows.retain(|s| self.matches(s));
        rows
    }
}

fn fold(shared: &Shared) -> bool {
    shared.config.email_match == super::config::EmailMatch::IgnoreCase
}

/// `GET /customers/subscribers`.
pub(super) async fn list(shared: &Shared, pairs: &[(String, String)]) -> Replied {
    let mut f = match Filter::parse(pairs, Op::List) {
        Ok(f) => f,
        Err(bad) => return filter_error(&bad).into(),
    };
    f.fold_emails = fold(shared);
    if let Some(refused) = over_limit(shared, &mut f.limit) {
        return refused;
    }
    let hostile = hostile_for(shared, Resource::Subscriber);
    let mut body = {
        let records = lock(&shared.records);
        list_body(&records, &f, hostile)
    };
    match hostile {
        None => json_response(200, &body),
        Some(mode) => hostile_response(shared, mode, &mut body).await,
    }
}

/// `{"data":[…],"meta":{"pagination":{…}}}`, with the hostile modes that alter data or meta.
fn list_body(records: &Records, f: &Filter, hostile: Option<Hostile>) -> Value {
    let rows = f.select(records);
    let per_page = page_size(hostile, f.limit);
    let limit = per_page as usize;
    let total = rows.len();
    let start = (f.page as usize - 1).saturating_mul(limit).min(total);
    let end = start.saturating_add(limit).min(total);
    let mut data: Vec<Value> = rows[start..end].iter().map(|s| s.to_json()).collect();
    let pagination = pagination(hostile, total, data.len(), per_page, f.page as usize);
    match hostile {
        Some(Hostile::ExtraCustomer) => {
            let asked = f.ids.clone().unwrap_or_default();
            let mut extra = records
                .subscribers
                .ids()
                .last()
                .map_or(1, |id| id.saturating_add(1000));
            // Bounded: at most |asked| + 1 steps find an ID that was not asked for.
            for _ in 0..=asked.len() {
                if !asked.contains(&extra) {
                    break;
                }
                extra = extra.wrapping_add(1).max(1);
            }
            data.push(records.seeding().subscriber(extra).to_json());
        }
        Some(Hostile::MissingId) => {
            if let Some(first) = data.first_mut().and_then(Value::as_object_mut) {
                first.remove("id");
            }
        }
        _ => {}
    }
    json!({"data": data, "meta": {"pagination": pagination}})
}

/// `GET /customers/subscribers/{id}`.
pub(super) fn get_one(shared: &Shared, id: u32) -> Replied {
    match lock(&shared.records).subscribers.get(id) {
        Some(s) => json_response(200, &json!({ "data": s.to_json(), "meta": {} })),
        None => not_found().into(),
    }
}

fn not_found() -> axum::response::Response {
    error(404, "The resource was not found.", TYPE_STATUS_CODES, None)
}

/// `DELETE /customers/subscribers/{id}`.
pub(super) fn delete_one(shared: &Shared, id: u32) -> Replied {
    if shared.config.reject_subscriber_ids.contains(&id) {
        return error(
            422,
            "Subscriber could not be deleted",
            TYPE_STATUS_CODES,
            Some(json!({ id.to_string(): "Unauthorized to delete" })),
        )
        .into();
    }
    let faults = effective_faults(shared, Resource::Subscriber);
    let mut records = lock(&shared.records);
    if records.subscribers.get(id).is_none() {
        return match shared.config.unknown_subscriber {
            UnknownSubscriber::NoContent204 => empty(204).into(),
            UnknownSubscriber::NotFound404 => not_found().into(),
        };
    }
    if faults.lying_deletes {
        return empty(204).into();
    }
    records.subscribers.remove(id);
    drop(records);
    after_delete(shared, &faults, vec![id])
}

/// `DELETE /customers/subscribers`: deletes every subscriber the filters match — all of them without
/// a filter — and answers 204.
pub(super) fn delete_collection(shared: &Shared, pairs: &[(String, String)]) -> Replied {
    let mut f = match Filter::parse(pairs, Op::DeleteCollection) {
        Ok(f) => f,
        Err(bad) => return filter_error(&bad).into(),
    };
    f.fold_emails = fold(shared);
    let faults = effective_faults(shared, Resource::Subscriber);
    let mut records = lock(&shared.records);
    let doomed: Vec<u32> = f.select(&records).iter().map(|s| s.id).collect();
    if faults.lying_deletes {
        return empty(204).into();
    }
    let deleted: Vec<u32> = doomed
        .into_iter()
        .filter(|&id| records.subscribers.remove(id))
        .collect();
    drop(records);
    after_delete(shared, &faults, deleted)
}
