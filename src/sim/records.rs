//! The fake store's world: the customers that exist now (records from [`super::customers`]), held in a
//! `BTreeMap` so listings come out sorted by ID and an `id:in` of 250 IDs is 250 lookups, never a scan,
//! and the [`Seeding`] that re-creates any of them: `insert(id)` puts back the same person, and two
//! stores with the same seed are identical whatever happened to them since.
//! The same `Records` also holds the newsletter subscribers ([`super::subscribers`]): one lock over the
//! whole world, so a test never sees a customer deleted and its subscriber half-updated.
//! Emails are indexed lower-cased, with every ID per address: several customers may share an email
//! (one account per channel, API-NOTES §10 / PRODUCT §8), and the handler decides whether a lookup
//! compares exactly or without regard to case ([`super::EmailMatch`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::config::{FIRST_ORDER_ID, OrderOwner, SeededEmail, SeededOrders};
use super::customers::Customer;
use super::orders::{Order, Orders, Owner};
use super::subscribers::{Subscriber, Subscribers};

/// What the store needs to (re-)create any seeded record: the seed, the counts and the overrides.
#[derive(Debug, Clone, Default)]
pub struct Seeding {
    pub seed: u64,
    pub customers: u32,
    pub subscribers: u32,
    pub customer_emails: Vec<SeededEmail>,
    pub subscriber_emails: Vec<SeededEmail>,
    pub orders: Vec<SeededOrders>,
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
        let mut subscriber =
            Subscriber::generate(self.seed, self.customers, id, |c| self.customer(c));
        if let Some(o) = self.subscriber_emails.iter().rev().find(|o| o.id == id) {
            subscriber.email = o.email.clone();
            subscriber.channel_id = o.channel_id;
        }
        subscriber
    }

    /// Every seeded order, IDs from [`FIRST_ORDER_ID`] on in the configured order.
    pub fn orders(&self) -> Vec<Order> {
        let mut id = FIRST_ORDER_ID;
        let mut all = Vec::new();
        for seeded in &self.orders {
            let owner = match &seeded.owner {
                OrderOwner::Customer(c) => Owner::Customer(self.customer(*c)),
                OrderOwner::Guest(email) => Owner::Guest(email.clone()),
            };
            for _ in 0..seeded.count {
                all.push(Order::generate(self.seed, id, &owner));
                id += 1;
            }
        }
        all
    }
}

/// The customers and subscribers that exist now, by ID, each with an index by lower-cased email.
#[derive(Debug, Clone)]
pub struct Records {
    seeding: Seeding,
    customers: BTreeMap<u32, Customer>,
    by_email: HashMap<String, BTreeSet<u32>>,
    /// The newsletter subscribers: their own ID namespace.
    pub subscribers: Subscribers,
    /// The V2 orders: their own ID namespace.
    pub orders: Orders,
}

impl Records {
    /// The records holding customers `1..=seeding.customers` and subscribers `1..=seeding.subscribers`,
    /// plus every overridden ID.
    pub fn seeded(seeding: Seeding) -> Records {
        let mut records = Records {
            customers: BTreeMap::new(),
            by_email: HashMap::with_capacity(seeding.customers as usize),
            subscribers: Subscribers::default(),
            orders: Orders::default(),
            seeding,
        };
        let extra: Vec<u32> = records
            .seeding
            .customer_emails
            .iter()
            .map(|o| o.id)
            .collect();
        for id in (1..=records.seeding.customers).chain(extra) {
            records.put(records.seeding.customer(id));
        }
        let extra: Vec<u32> = records
            .seeding
            .subscriber_emails
            .iter()
            .map(|o| o.id)
            .collect();
        for id in (1..=records.seeding.subscribers).chain(extra) {
            records.subscribers.put(records.seeding.subscriber(id));
        }
        for order in records.seeding.orders() {
            records.orders.put(order);
        }
        records
    }

    fn put(&mut self, customer: Customer) {
        if let Some(old) = self.customers.get(&customer.id) {
            let key = crate::sim::collate(&old.email);
            if let Some(ids) = self.by_email.get_mut(&key) {
                ids.remove(&customer.id);
            }
        }
        self.by_email
            .entry(crate::sim::collate(&customer.email))
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
            .get(&crate::sim::collate(email))
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

    /// Delete a customer (its orders lose their link: `customer_id` 0); whether it existed.
    pub fn remove(&mut self, id: u32) -> bool {
        match self.customers.remove(&id) {
            Some(customer) => {
                self.orders.unlink_customer(id);
                let key = crate::sim::collate(&customer.email);
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

    /// (Re-)create the subscriber with this ID (as [`Records::insert`] does for customers).
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
    fn emails_are_unique_and_indexed() {
        let records = Records::seeded(seeding(1, 2000));
        assert_eq!(records.by_email.len(), 2000);
        let c = records.get(1234).expect("seeded");
        let found: Vec<u32> = records
            .by_email(&c.email, false)
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(found, vec![1234]);
    }

    #[test]
    fn touch_moves_date_modified_forward_and_remove_insert_round_trip() {
        let mut records = Records::seeded(seeding(1, 3));
        let before = records.get(2).expect("seeded").date_modified;
        records.touch(2, 0);
        assert!(records.get(2).expect("seeded").date_modified > before);
        assert!(records.remove(2));
        assert!(!records.remove(2));
        assert!(
            records
                .by_email(&Customer::generate(1, 2).email, true)
                .is_empty()
        );
        records.insert(2, 0);
        assert_eq!(
            records.get(2).map(|c| c.email.clone()),
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
        let mut records = Records::seeded(s);
        let ids = |v: Vec<&Customer>| v.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(records.by_email(shared, false)), vec![2, 9]);
        assert_eq!(
            ids(records.by_email("jane.doe@example.com", false)),
            Vec::<u32>::new()
        );
        assert_eq!(
            ids(records.by_email("jane.doe@example.com", true)),
            vec![2, 9]
        );
        assert_eq!(records.get(9).map(|c| c.channel_id), Some(2));
        assert!(records.remove(2));
        records.insert(2, 0);
        assert_eq!(
            records.get(2).map(|c| c.email.as_str()),
            Some(shared),
            "re-created as seeded"
        );
    }
}
