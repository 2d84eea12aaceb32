//! The fake store's newsletter subscribers (`/v3/customers/subscribers`, API-NOTES §10): records of
//! their own, with their own ID namespace, generated deterministically from (seed, ID) like customers.
//! Part of them share an email and a name with a seeded customer, so one person has both records
//! (the case an erasure must not half-do); the rest are guests who never had an account.
//! Subscriber `s` is paired, when it is, with customer `customers + 1 - s`: never the same number, so a
//! client that mixes the two namespaces up cannot pass a test by luck.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::customers::{Customer, format_time};

const FIRST_NAMES: &[&str] = &[
    "Ada", "Bruno", "Carmen", "Dmitri", "Elif", "Farah", "Gustav", "Hiro", "Imani", "Joaquin",
    "Katya", "Lars", "Mina", "Nikolai", "Oona", "Pablo",
];
const LAST_NAMES: &[&str] = &[
    "Achebe",
    "Berg",
    "Castro",
    "Dahl",
    "Eriksen",
    "Fontaine",
    "Gomez",
    "Horvat",
    "Ito",
    "Jovanovic",
    "Keller",
    "Lindqvist",
    "Mwangi",
    "Nakamura",
    "Ortiz",
    "Petrov",
];
const DOMAINS: &[&str] = &["example.com", "example.net", "news.test"];

/// Earliest seeded `date_created`: 2020-01-01T00:00:00Z.
const CREATED_FROM: i64 = 1_577_836_800;
/// Latest seeded `date_created`: 2025-06-30T00:00:00Z.
const CREATED_TO: i64 = 1_751_241_600;
/// Latest seeded `date_modified`: 2025-12-31T00:00:00Z.
const MODIFIED_TO: i64 = 1_767_139_200;

/// One subscriber record, as the store holds it (`subscriber_Full`).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub id: u32,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `storefront`, `order` or `custom`.
    pub source: &'static str,
    /// The source order when `source` is `order`.
    pub order_id: Option<u32>,
    pub channel_id: u32,
    /// Seconds since the Unix epoch.
    pub date_created: i64,
    /// Seconds since the Unix epoch.
    pub date_modified: i64,
    /// `marketing_newsletter`, `abandoned_cart`; empty once unsubscribed.
    pub consents: Vec<&'static str>,
    /// The seeded customer this person also is, if any (not part of the API record).
    pub customer_id: Option<u32>,
}

impl Subscriber {
    /// The subscriber with this ID in a store seeded with `seed` and `customers` customers: always the
    /// same record. About 60% share the email, name and channel of customer `customers + 1 - id` (when
    /// that exists), as `customer` (the seeded customer of an ID) gives it.
    pub fn generate(
        seed: u64,
        customers: u32,
        id: u32,
        customer: impl Fn(u32) -> Customer,
    ) -> Subscriber {
        let mut rng = fastrand::Rng::with_seed(
            seed.wrapping_mul(0xA24B_AED4_963E_E407)
                ^ u64::from(id).wrapping_mul(0x9FB2_1C65_1E98_DF25),
        );
        let paired = (id <= customers && rng.u8(0..10) < 6)
            .then(|| customers + 1 - id)
            .filter(|&c| c >= 1);
        let (email, first_name, last_name, channel_id) = match paired {
            Some(cid) => {
                let c = customer(cid);
                (c.email, c.first_name, c.last_name, c.channel_id)
            }
            None => {
                let first = pick(&mut rng, FIRST_NAMES);
                let last = pick(&mut rng, LAST_NAMES);
                let domain = pick(&mut rng, DOMAINS);
                // `_` never appears in a seeded customer's address, so a guest never collides with one.
                let email = format!("{}_{}{}@{}", first, last, id, domain).to_lowercase();
                (email, first.to_string(), last.to_string(), 1)
            }
        };
        let (source, order_id) = match rng.u8(0..10) {
            0..=5 => ("storefront", None),
            6..=8 => ("order", Some(rng.u32(100..100_000))),
            _ => ("custom", None),
        };
        let consents = match rng.u8(0..10) {
            0..=5 => vec!["marketing_newsletter"],
            6..=8 => vec!["marketing_newsletter", "abandoned_cart"],
            _ => Vec::new(),
        };
        let date_created = rng.i64(CREATED_FROM..CREATED_TO);
        let date_modified = rng.i64(date_created..=MODIFIED_TO);
        Subscriber {
            id,
            email,
            first_name,
            last_name,
            source,
            order_id,
            channel_id,
            date_created,
            date_modified,
            consents,
            customer_id: paired,
        }
    }

    /// The record as the API returns it (`subscriber_Full`; `order_id` is `null` unless from an order).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "source": self.source,
            "order_id": self.order_id,
            "channel_id": self.channel_id,
            "date_created": format_time(self.date_created),
            "date_modified": format_time(self.date_modified),
            "consents": self.consents,
        })
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(0..items.len())]
}

/// The subscribers that exist now, by ID, with an index by lower-cased email.
#[derive(Debug, Clone, Default)]
pub struct Subscribers {
    records: BTreeMap<u32, Subscriber>,
    by_email: HashMap<String, BTreeSet<u32>>,
}

impl Subscribers {
    /// Add or replace a record.
    pub fn put(&mut self, subscriber: Subscriber) {
        self.remove(subscriber.id);
        self.by_email
            .entry(crate::sim::collate(&subscriber.email))
            .or_default()
            .insert(subscriber.id);
        self.records.insert(subscriber.id, subscriber);
    }

    /// The subscriber with this ID, if it exists.
    pub fn get(&self, id: u32) -> Option<&Subscriber> {
        self.records.get(&id)
    }

    /// Every subscriber whose email equals `email` (exactly, or ignoring case with `fold`), by ID.
    pub fn by_email(&self, email: &str, fold: bool) -> Vec<&Subscriber> {
        self.by_email
            .get(&crate::sim::collate(email))
            .into_iter()
            .flatten()
            .filter_map(|id| self.records.get(id))
            .filter(|s| fold || s.email == email)
            .collect()
    }

    /// Every subscriber, sorted by ID.
    pub fn all(&self) -> impl Iterator<Item = &Subscriber> {
        self.records.values()
    }

    /// Every ID that exists now.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.records.keys().copied()
    }

    /// Delete a subscriber; whether it existed.
    pub fn remove(&mut self, id: u32) -> bool {
        let Some(old) = self.records.remove(&id) else {
            return false;
        };
        let key = crate::sim::collate(&old.email);
        if let Some(ids) = self.by_email.get_mut(&key) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_email.remove(&key);
            }
        }
        true
    }

    /// Another actor edited the subscriber: `date_modified` moves to `now`, and always forward.
    pub fn touch(&mut self, id: u32, now: i64) {
        if let Some(s) = self.records.get_mut(&id) {
            s.date_modified = now.max(s.date_modified + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::records::Seeding;

    fn seeding(customers: u32, subscribers: u32) -> Seeding {
        Seeding {
            seed: 3,
            customers,
            subscribers,
            ..Seeding::default()
        }
    }

    #[test]
    fn some_subscribers_are_customers_under_another_id_and_the_rest_are_guests() {
        let s = seeding(100, 100);
        let all: Vec<Subscriber> = (1..=100).map(|id| s.subscriber(id)).collect();
        let paired: Vec<&Subscriber> = all.iter().filter(|x| x.customer_id.is_some()).collect();
        assert!((30..=90).contains(&paired.len()), "{}", paired.len());
        for sub in &paired {
            let cid = sub.customer_id.expect("paired");
            assert_ne!(cid, sub.id, "never the same number");
            assert_eq!(sub.email, s.customer(cid).email);
        }
        let emails: BTreeSet<&str> = all.iter().map(|x| x.email.as_str()).collect();
        assert_eq!(emails.len(), 100, "subscriber emails are unique");
        assert_eq!(s.subscriber(7), s.subscriber(7));
        assert!(
            seeding(0, 5).subscriber(1).customer_id.is_none(),
            "no customers, only guests"
        );
    }

    #[test]
    fn remove_touch_and_email_index() {
        let s = seeding(0, 3);
        let mut subs = Subscribers::default();
        for id in 1..=3 {
            subs.put(s.subscriber(id));
        }
        let email = subs.get(2).expect("seeded").email.clone();
        assert_eq!(subs.by_email(&email.to_uppercase(), true).len(), 1);
        assert!(subs.by_email(&email.to_uppercase(), false).is_empty());
        let before = subs.get(2).expect("seeded").date_modified;
        subs.touch(2, 0);
        assert!(subs.get(2).expect("seeded").date_modified > before);
        assert!(subs.remove(2) && !subs.remove(2));
        assert!(subs.by_email(&email, true).is_empty());
        assert_eq!(subs.ids().collect::<Vec<_>>(), vec![1, 3]);
    }
}
