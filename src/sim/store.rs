//! The fake store's customers: realistic records generated deterministically from (seed, ID), held in a
//! `BTreeMap` so listings come out sorted by ID and an `id:in` of 250 IDs is 250 lookups, never a scan.
//! Each customer depends only on the seed and its own ID, so `insert(id)` re-creates the same person and
//! two stores with the same seed are identical whatever happened to them since.
//! The same `Store` also holds the newsletter subscribers ([`super::subscribers`]): one lock over the
//! whole world, so a test never sees a customer deleted and its subscriber half-updated.
//! Emails are indexed lower-cased, with every ID per address: several customers may share an email
//! (one account per channel, API-NOTES §10 / PRODUCT §8), and the handler decides whether a lookup
//! compares exactly or without regard to case ([`super::EmailMatch`]).
//! All addresses use reserved domains (`example.com`, `.test`) and documentation IP ranges: nothing here
//! can reach a real person.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::config::SeededEmail;
use super::subscribers::{Subscriber, Subscribers};

const FIRST_NAMES: &[&str] = &[
    "Jane", "John", "Amira", "Lucas", "Mei", "Olivia", "Noah", "Sofia", "Mateo", "Aisha", "Liam",
    "Yuki", "Emma", "Kwame", "Chloe", "Ravi", "Isabella", "Hugo", "Zara", "Elias", "Nina", "Omar",
    "Freya", "Diego", "Hana", "Leon", "Maya", "Tariq", "Ingrid", "Sam", "Priya", "Jonas", "Lea",
    "Mohammed", "Grace", "Kenji", "Ana", "Felix", "Fatima", "Oscar",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Doe",
    "Garcia",
    "Nguyen",
    "Müller",
    "Rossi",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Silva",
    "Johansson",
    "Dubois",
    "Khan",
    "O'Brien",
    "Martin",
    "Lopez",
    "Schmidt",
    "Kim",
    "Novak",
    "Haddad",
    "Andersen",
    "Moreau",
    "Patel",
    "Ivanova",
    "Costa",
    "Yilmaz",
    "Fischer",
    "Sato",
    "Brown",
    "Wilson",
    "Mensah",
    "Bauer",
    "Jensen",
    "Ferreira",
    "Chen",
    "Hughes",
    "Larsen",
    "Romero",
    "Weber",
    "Park",
];

const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Supplies",
    "Stark Retail",
    "Wayne Outfitters",
    "Northwind Traders",
    "Contoso",
    "Fabrikam",
    "Tailspin Toys",
];

const DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "shop.test",
    "mail.test",
];

const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Harbour Rd",
    "Station Way",
    "Maple Dr",
    "High St",
];

const CITIES: &[(&str, &str, &str, &str)] = &[
    ("Austin", "Texas", "US", "United States"),
    ("Portland", "Oregon", "US", "United States"),
    ("Leeds", "West Yorkshire", "GB", "United Kingdom"),
    ("Lyon", "Auvergne-Rhône-Alpes", "FR", "France"),
    ("Sydney", "New South Wales", "AU", "Australia"),
];

/// Earliest seeded `date_created`: 2019-01-01T00:00:00Z.
const CREATED_FROM: i64 = 1_546_300_800;
/// Latest seeded `date_created`: 2025-06-30T00:00:00Z.
const CREATED_TO: i64 = 1_751_241_600;
/// Latest seeded `date_modified`: 2025-12-31T00:00:00Z.
const MODIFIED_TO: i64 = 1_767_139_200;

/// One customer record, as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: u32,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: String,
    pub registration_ip_address: String,
    pub notes: String,
    pub customer_group_id: u32,
    /// Seconds since the Unix epoch.
    pub date_created: i64,
    /// Seconds since the Unix epoch.
    pub date_modified: i64,
    pub address_count: u32,
    pub force_password_reset: bool,
    pub accepts_emails: bool,
    /// Store credit in cents.
    pub store_credit_cents: u32,
    /// The channel the account belongs to (`origin_channel_id`, and the only entry of `channel_ids`).
    pub channel_id: u32,
}

/// Which optional sub-resources a GET asked for with `include=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    pub addresses: bool,
    pub attributes: bool,
    pub formfields: bool,
    pub shopper_profile_id: bool,
    pub segment_ids: bool,
}

impl Customer {
    /// The customer with this ID in a store seeded with `seed`: always the same record.
    pub fn generate(seed: u64, id: u32) -> Customer {
        let mut rng = fastrand::Rng::with_seed(
            seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ u64::from(id).wrapping_mul(0xD1B5_4A32_D192_ED03),
        );
        let first = pick(&mut rng, FIRST_NAMES);
        let last = pick(&mut rng, LAST_NAMES);
        let domain = pick(&mut rng, DOMAINS);
        let local_last: String = last
            .chars()
            .filter(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_lowercase();
        // The ID in the address keeps every email unique, as the real API requires.
        let email = format!("{}.{}{}@{}", first.to_lowercase(), local_last, id, domain);
        let company = if rng.u8(0..10) < 3 {
            pick(&mut rng, COMPANIES).to_string()
        } else {
            String::new()
        };
        let phone = if rng.u8(0..10) < 7 {
            format!("555-{:03}-{:04}", rng.u16(100..1000), rng.u16(0..10_000))
        } else {
            String::new()
        };
        let registration_ip_address = if rng.bool() {
            let net = pick(&mut rng, &["192.0.2", "198.51.100", "203.0.113"]);
            format!("{}.{}", net, rng.u8(1..255))
        } else {
            String::new()
        };
        let notes = if rng.u8(0..10) == 0 {
            "VIP customer".to_string()
        } else {
            String::new()
        };
        let date_created = rng.i64(CREATED_FROM..CREATED_TO);
        let date_modified = rng.i64(date_created..=MODIFIED_TO);
        Customer {
            id,
            email,
            first_name: first.to_string(),
            last_name: last.to_string(),
            company,
            phone,
            registration_ip_address,
            notes,
            customer_group_id: if rng.u8(0..4) == 0 { rng.u32(1..4) } else { 0 },
            date_created,
            date_modified,
            address_count: rng.u32(0..3),
            force_password_reset: rng.u8(0..20) == 0,
            accepts_emails: rng.bool(),
            store_credit_cents: if rng.u8(0..10) == 0 {
                rng.u32(100..10_000)
            } else {
                0
            },
            channel_id: 1,
        }
    }

    /// `first_name last_name`, as `name:in` and `name:like` compare it.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The record as the API returns it (`customer_Full`), with the sub-resources `include` asked for.
    pub fn to_json(&self, include: Include) -> Value {
        let mut value = json!({
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "phone": self.phone,
            "registration_ip_address": self.registration_ip_address,
            "notes": self.notes,
            "tax_exempt_category": "",
            "customer_group_id": self.customer_group_id,
            "date_created": format_time(self.date_created),
            "date_modified": format_time(self.date_modified),
            "address_count": self.address_count,
            "attribute_count": 0,
            "authentication": { "force_password_reset": self.force_password_reset },
            "accepts_product_review_abandoned_cart_emails": self.accepts_emails,
            "store_credit_amounts": [{ "amount": f64::from(self.store_credit_cents) / 100.0 }],
            "origin_channel_id": self.channel_id,
            "channel_ids": [self.channel_id],
        });
        if let Some(object) = value.as_object_mut() {
            if include.addresses {
                object.insert("addresses".into(), Value::Array(self.addresses()));
            }
            if include.attributes {
                object.insert("attributes".into(), json!([]));
            }
            if include.formfields {
                object.insert("form_fields".into(), json!([]));
            }
            if include.shopper_profile_id {
                let profile = format!("00000000-0000-4000-8000-{:012x}", self.id);
                object.insert("shopper_profile_id".into(), Value::String(profile));
            }
            if include.segment_ids {
                object.insert("segment_ids".into(), json!([]));
            }
        }
        value
    }

    fn addresses(&self) -> Vec<Value> {
        (0..self.address_count)
            .map(|n| {
                let (city, state, code, country) = CITIES[(self.id as usize + n as usize) % CITIES.len()];
                json!({
                    "id": self.id * 3 + n,
                    "customer_id": self.id,
                    "first_name": self.first_name,
                    "last_name": self.last_name,
                    "company": self.company,
                    "address1": format!("{} {}", 10 + self.id % 90 + n, STREETS[(self.id as usize) % STREETS.len()]),
                    "address2": "",
                    "city": city,
                    "state_or_province": state,
                    "postal_code": format!("{:05}", (self.id * 7 + n) % 100_000),
                    "country_code": code,
                    "country": country,
                    "phone": self.phone,
                    "address_type": if n == 0 { "residential" } else { "commercial" },
                })
            })
            .collect()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the API's timestamp format.
pub fn format_time(seconds: i64) -> String {
    match jiff::Timestamp::from_second(seconds) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        // Unreachable for the seeded range; keep a valid-looking value rather than panic.
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(0..items.len())]
}

/// What the store needs to (re-)create any seeded record: the seed, the counts and the overrides.
#[derive(Debug, Clone, Default)]
pub struct Seeding {
    pub seed: u64,
    pub customers: u32,
    pub subscribers: u32,
    pub customer_emails: Vec<SeededEmail>,
    pub subscriber_emails: Vec<SeededEmail>,
}

impl Seeding {
    /// The customer with this ID as seeded: generated from the seed, then the test's override, if any.
    pub fn customer(&self, id: u32) -> Customer {
        let mut customer = Customer::generate(self.seed, id);
        if let Some(o) = self.customer_emails.iter().rev().find(|o| o.id == id) {
            customer.email = o.email.clone();
            customer.channel_id = o.channel_id;
        }
        customer
    }

    /// The subscriber with this ID as seeded (see [`Subscriber::generate`]), then the override, if any.
    pub fn subscriber(&self, id: u32) -> Subscriber {
        let mut subscriber = Subscriber::generate(self, id);
        if let Some(o) = self.subscriber_emails.iter().rev().find(|o| o.id == id) {
            subscriber.email = o.email.clone();
            subscriber.channel_id = o.channel_id;
        }
        subscriber
    }
}

/// The customers and subscribers that exist now, by ID, each with an index by lower-cased email.
#[derive(Debug, Clone)]
pub struct Store {
    seeding: Seeding,
    customers: BTreeMap<u32, Customer>,
    by_email: HashMap<String, BTreeSet<u32>>,
    /// The newsletter subscribers: their own ID namespace.
    pub subscribers: Subscribers,
}

impl Store {
    /// A store holding customers `1..=seeding.customers` and subscribers `1..=seeding.subscribers`,
    /// plus every overridden ID.
    pub fn seeded(seeding: Seeding) -> Store {
        let mut store = Store {
            customers: BTreeMap::new(),
            by_email: HashMap::with_capacity(seeding.customers as usize),
            subscribers: Subscribers::default(),
            seeding,
        };
        let extra: Vec<u32> = store.seeding.customer_emails.iter().map(|o| o.id).collect();
        for id in (1..=store.seeding.customers).chain(extra) {
            store.put(store.seeding.customer(id));
        }
        let extra: Vec<u32> = store
            .seeding
            .subscriber_emails
            .iter()
            .map(|o| o.id)
            .collect();
        for id in (1..=store.seeding.subscribers).chain(extra) {
            store.subscribers.put(store.seeding.subscriber(id));
        }
        store
    }

    fn put(&mut self, customer: Customer) {
        if let Some(old) = self.customers.get(&customer.id) {
            let key = old.email.to_lowercase();
            if let Some(ids) = self.by_email.get_mut(&key) {
                ids.remove(&customer.id);
            }
        }
        self.by_email
            .entry(customer.email.to_lowercase())
            .or_default()
            .insert(customer.id);
        self.customers.insert(customer.id, customer);
    }

    /// How records are (re-)created.
    pub fn seeding(&self) -> &Seeding {
        &self.seeding
    }

    /// The customer with this ID, if it exists.
    pub fn get(&self, id: u32) -> Option<&Customer> {
        self.customers.get(&id)
    }

    /// Every customer whose email equals `email` (exactly, or ignoring case with `fold`), by ID.
    pub fn by_email(&self, email: &str, fold: bool) -> Vec<&Customer> {
        self.by_email
            .get(&email.to_lowercase())
            .into_iter()
            .flatten()
            .filter_map(|id| self.customers.get(id))
            .filter(|c| fold || c.email == email)
            .collect()
    }

    /// Every customer, sorted by ID.
    pub fn all(&self) -> impl Iterator<Item = &Customer> {
        self.customers.values()
    }

    /// Every ID that exists now.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.customers.keys().copied()
    }

    /// Delete a customer; whether it existed.
    pub fn remove(&mut self, id: u32) -> bool {
        match self.customers.remove(&id) {
            Some(customer) => {
                let key = customer.email.to_lowercase();
                if let Some(ids) = self.by_email.get_mut(&key) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        self.by_email.remove(&key);
                    }
                }
                true
            }
            None => false,
        }
    }

    /// (Re-)create the customer with this ID, as a new record created and modified at `now` (or later
    /// than its seeded dates). A customer that exists already is left alone.
    pub fn insert(&mut self, id: u32, now: i64) {
        if self.customers.contains_key(&id) {
            return;
        }
        let mut customer = self.seeding.customer(id);
        let at = now.max(customer.date_modified + 1);
        customer.date_created = at;
        customer.date_modified = at;
        self.put(customer);
    }

    /// Another actor edited the customer: its `date_modified` moves to `now`, and always forward.
    pub fn touch(&mut self, id: u32, now: i64) {
        if let Some(customer) = self.customers.get_mut(&id) {
            customer.date_modified = now.max(customer.date_modified + 1);
        }
    }

    /// (Re-)create the subscriber with this ID (as [`Store::insert`] does for customers).
    pub fn insert_subscriber(&mut self, id: u32, now: i64) {
        if self.subscribers.get(id).is_some() {
            return;
        }
        let mut subscriber = self.seeding.subscriber(id);
        let at = now.max(subscriber.date_modified + 1);
        subscriber.date_created = at;
        subscriber.date_modified = at;
        self.subscribers.put(subscriber);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_customer_and_different_seed_differs() {
        assert_eq!(Customer::generate(7, 12), Customer::generate(7, 12));
        assert_ne!(Customer::generate(7, 12), Customer::generate(8, 12));
    }

    #[test]
    fn emails_are_unique_and_indexed() {
        let store = Store::seeded(seeding(1, 2000));
        assert_eq!(store.by_email.len(), 2000);
        let c = store.get(1234).expect("seeded");
        let found: Vec<u32> = store
            .by_email(&c.email, false)
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(found, vec![1234]);
    }

    #[test]
    fn touch_moves_date_modified_forward_and_remove_insert_round_trip() {
        let mut store = Store::seeded(seeding(1, 3));
        let before = store.get(2).expect("seeded").date_modified;
        store.touch(2, 0);
        assert!(store.get(2).expect("seeded").date_modified > before);
        assert!(store.remove(2));
        assert!(!store.remove(2));
        assert!(
            store
                .by_email(&Customer::generate(1, 2).email, true)
                .is_empty()
        );
        store.insert(2, 0);
        assert_eq!(
            store.get(2).map(|c| c.email.clone()),
            Some(Customer::generate(1, 2).email)
        );
    }

    fn seeding(seed: u64, customers: u32) -> Seeding {
        Seeding {
            seed,
            customers,
            ..Seeding::default()
        }
    }

    #[test]
    fn one_email_may_name_several_customers_and_case_is_the_callers_choice() {
        let shared = "Jane.Doe@example.com";
        let mut s = seeding(1, 5);
        for (id, channel) in [(2, 1), (9, 2)] {
            s.customer_emails.push(SeededEmail {
                id,
                email: shared.to_string(),
                channel_id: channel,
            });
        }
        let mut store = Store::seeded(s);
        let ids = |v: Vec<&Customer>| v.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(store.by_email(shared, false)), vec![2, 9]);
        assert_eq!(
            ids(store.by_email("jane.doe@example.com", false)),
            Vec::<u32>::new()
        );
        assert_eq!(
            ids(store.by_email("jane.doe@example.com", true)),
            vec![2, 9]
        );
        assert_eq!(store.get(9).map(|c| c.channel_id), Some(2));
        assert!(store.remove(2));
        store.insert(2, 0);
        assert_eq!(
            store.get(2).map(|c| c.email.as_str()),
            Some(shared),
            "re-created as seeded"
        );
    }

    #[test]
    fn dates_use_the_api_format() {
        assert_eq!(format_time(1_580_998_793), "2020-02-06T14:19:53Z");
    }
}
