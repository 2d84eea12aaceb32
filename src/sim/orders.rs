//! The fake store's V2 orders (API-NOTES §11, `orders.v2.yml`): records generated deterministically
//! from (seed, order ID, owner), and the collection with the behaviours a client must not trigger
//! modelled — and recorded as [`OrderEvent`]s, so a test can prove bcprune never caused one:
//!
//! - a `PUT` carrying `products` clears the discounts of the line items it names ("the PUT request
//!   clears all discounts and promotions applied to the changed order line items", \[V\]);
//! - a `PUT` carrying `fees` replaces every fee, a fee left out is gone (\[V\]);
//! - `is_deleted: true` in a `PUT`, `DELETE /orders/{id}` and `DELETE /orders` archive — every field
//!   kept (\[V\]); the collection one archives every order of the store;
//! - any `PUT` field beyond the personal ones of PRODUCT §15 ([`crate::order_redaction`]) is recorded.
//!
//! **The customer link after a deletion.** Whether `GET /orders?customer_id=` still finds a deleted
//! customer's orders is **\[U\]** in the notes. The sim takes the reading a client must survive: when a
//! customer is deleted, each of its orders' `customer_id` becomes 0 — as a guest's — so only order IDs
//! recorded before the deletion still reach them ([`Orders::unlink_customer`]).
//!
//! Archived orders are left out of listings and still answer `GET /orders/{id}` with `is_deleted:
//! true` ([I]: the spec says archiving keeps the order; the control panel lists archived orders
//! apart). Generated orders use reserved domains and documentation IP ranges, like the customers;
//! their dates span 2015–2026 and every fifth order is dated 29 February of a leap year; billing
//! countries rotate over DE, FR, US and GB.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::customers::{COMPANIES, Customer, STREETS, pick};
use crate::order_redaction::address_placeholder;
use crate::retention::format_order_date;

/// Billing countries, by order ID modulo 4: (code, name, state, city).
const COUNTRIES: [(&str, &str, &str, &str); 4] = [
    ("DE", "Germany", "Berlin", "Berlin"),
    ("FR", "France", "Auvergne-Rhône-Alpes", "Lyon"),
    ("US", "United States", "Texas", "Austin"),
    ("GB", "United Kingdom", "West Yorkshire", "Leeds"),
];

/// Earliest generated `date_created`: 2015-01-01T00:00:00Z.
const ORDERS_FROM: i64 = 1_420_070_400;
/// Latest generated `date_created`: 2026-11-30T00:00:00Z.
const ORDERS_TO: i64 = 1_795_910_400;
/// 29 February 2016, 2020 and 2024 at 10:15:00 UTC.
const LEAP_DAYS: [i64; 3] = [1_456_740_900, 1_582_971_300, 1_709_201_700];

/// One line item: its ID and the discount applied to it, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub id: u32,
    pub discount_cents: u32,
}

/// One order, as the store holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub id: u32,
    /// 0 for a guest, or once the customer was deleted (see the module doc).
    pub customer_id: u32,
    /// Seconds since the Unix epoch.
    pub date_created: i64,
    pub status_id: u64,
    pub billing_address: Map<String, Value>,
    pub customer_message: String,
    pub staff_notes: String,
    pub ip_address: String,
    pub ip_address_v6: String,
    pub products: Vec<LineItem>,
    pub fees: Vec<Value>,
    /// Each with its `id` and `order_id`.
    pub shipping_addresses: Vec<Map<String, Value>>,
    /// Archived (`DELETE`, or a `PUT` with `is_deleted: true`): every field kept.
    pub is_deleted: bool,
    /// Any other field a `PUT` set, kept as sent.
    pub other: Map<String, Value>,
}

/// Who an order belongs to when it is generated.
#[derive(Debug, Clone)]
pub enum Owner {
    /// A customer account (its name, email and phone are on the order).
    Customer(Customer),
    /// A guest checkout with this email.
    Guest(String),
}

/// Something a request did to orders beyond the personal fields of PRODUCT §15.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// A `PUT` carrying `products` cleared the discounts of these line items.
    DiscountsCleared { order: u32, line_items: Vec<u32> },
    /// A `PUT` carrying `fees` replaced all `before` fees with `after` new ones.
    FeesReplaced {
        order: u32,
        before: usize,
        after: usize,
    },
    /// A `PUT` set a field that is not one of §15's personal fields (`billing_address.country`,
    /// `status_id`, …; on a shipping address `shipping_addresses.{field}`).
    OtherField { order: u32, field: String },
    /// `DELETE /orders/{id}` or `PUT` with `is_deleted: true` archived the order.
    Archived { order: u32 },
    /// `DELETE /orders` archived every order of the store: their IDs.
    ArchivedAll { orders: Vec<u32> },
}

fn address(
    rng: &mut fastrand::Rng,
    first: &str,
    last: &str,
    email: &str,
    phone: &str,
    country: (&str, &str, &str, &str),
) -> Map<String, Value> {
    let (code, name, state, city) = country;
    let value = json!({
        "first_name": first,
        "last_name": last,
        "company": if rng.bool() { pick(rng, COMPANIES) } else { "" },
        "street_1": format!("{} {}", rng.u32(1..500), pick(rng, STREETS)),
        "street_2": if rng.bool() { format!("Apt {}", rng.u32(1..40)) } else { String::new() },
        "city": city,
        "state": state,
        "zip": format!("{:05}", rng.u32(1000..99_999)),
        "country": name,
        "country_iso2": code,
        "phone": phone,
        "email": email,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl Order {
    /// The order with this ID for `owner`, the same for the same (seed, id, owner).
    pub fn generate(seed: u64, id: u32, owner: &Owner) -> Order {
        let mut rng =
            fastrand::Rng::with_seed(seed ^ u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (customer_id, first, last, email, phone) = match owner {
            Owner::Customer(c) => (
                c.id,
                c.first_name.clone(),
                c.last_name.clone(),
                c.email.clone(),
                c.phone.clone(),
            ),
            Owner::Guest(email) => (
                0,
                format!("Guest{}", rng.u32(1..1000)),
                "Shopper".to_string(),
                email.clone(),
                format!("+1-555-01{:02}", rng.u32(0..100)),
            ),
        };
        let country = COUNTRIES[(id % 4) as usize];
        let date_created = if id.is_multiple_of(5) {
            LEAP_DAYS[(id as usize / 5) % LEAP_DAYS.len()]
        } else {
            rng.i64(ORDERS_FROM..ORDERS_TO)
        };
        let billing_address = address(&mut rng, &first, &last, &email, &phone, country);
        let shipping_count = if id.is_multiple_of(3) { 2 } else { 1 };
        let shipping_addresses = (0..shipping_count)
            .map(|k| {
                let mut a = address(&mut rng, &first, &last, &email, &phone, country);
                a.insert("id".into(), json!(id * 10 + k + 1));
                a.insert("order_id".into(), json!(id));
                a
            })
            .collect();
        Order {
            id,
            customer_id,
            date_created,
            status_id: 10,
            billing_address,
            customer_message: format!("Please ring twice, {first}."),
            staff_notes: String::new(),
            ip_address: format!("192.0.2.{}", rng.u32(1..255)),
            ip_address_v6: if id.is_multiple_of(2) {
                format!("2001:db8::{:x}", rng.u32(1..0xffff))
            } else {
                String::new()
            },
            products: (0..rng.u32(1..=3))
                .map(|k| LineItem {
                    id: id * 10 + k + 1,
                    discount_cents: rng.u32(1..2000),
                })
                .collect(),
            fees: vec![
                json!({"id": 1, "type": "custom_fee", "name": "Handling", "total_inc_tax": 2.5}),
            ],
            shipping_addresses,
            is_deleted: false,
            other: Map::new(),
        }
    }

    /// The order as `GET /v2/orders[/{id}]` returns it (sub-resources as `{url, resource}` links).
    pub fn to_json(&self, base: &str) -> Value {
        let discount: u32 = self.products.iter().map(|p| p.discount_cents).sum();
        let mut value = json!({
            "id": self.id,
            "customer_id": self.customer_id,
            "date_created": format_order_date(self.date_created),
            "status_id": self.status_id,
            "billing_address": self.billing_address,
            "customer_message": self.customer_message,
            "staff_notes": self.staff_notes,
            "ip_address": self.ip_address,
            "ip_address_v6": self.ip_address_v6,
            "geoip_country_iso2": self.billing_address.get("country_iso2"),
            "discount_amount": format!("{}.{:02}00", discount / 100, discount % 100),
            "is_deleted": self.is_deleted,
            "shipping_address_count": self.shipping_addresses.len(),
            "products": {
                "url": format!("{base}/orders/{}/products", self.id),
                "resource": format!("/orders/{}/products", self.id),
            },
            "shipping_addresses": {
                "url": format!("{base}/orders/{}/shipping_addresses", self.id),
                "resource": format!("/orders/{}/shipping_addresses", self.id),
            },
            "fees": self.fees,
        });
        if let Value::Object(map) = &mut value {
            for (k, v) in &self.other {
                map.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        value
    }

    /// Apply a `PUT /orders/{id}` body (an object): each given field set, sub-objects merged; the
    /// side effects of `products`, `fees` and `is_deleted`; every event returned.
    pub fn put(&mut self, body: &Map<String, Value>) -> Vec<OrderEvent> {
        let order = self.id;
        let mut events = Vec::new();
        let other = |field: String| OrderEvent::OtherField { order, field };
        for (key, value) in body {
            match key.as_str() {
                "billing_address" => {
                    for (k, v) in value.as_object().into_iter().flatten() {
                        if address_placeholder(k).is_none() {
                            events.push(other(format!("billing_address.{k}")));
                        }
                        self.billing_address.insert(k.clone(), v.clone());
                    }
                }
                "customer_message" => self.customer_message = text(value),
                "ip_address" => self.ip_address = text(value),
                "ip_address_v6" => self.ip_address_v6 = text(value),
                _ => {
                    events.push(other(key.clone()));
                    events.extend(self.side_effect(key, value));
                }
            }
        }
        events
    }

    fn side_effect(&mut self, key: &str, value: &Value) -> Option<OrderEvent> {
        let order = self.id;
        match key {
            "staff_notes" => self.staff_notes = text(value),
            "status_id" => self.status_id = value.as_u64().unwrap_or(self.status_id),
            "products" => {
                let named: Vec<u32> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.get("id").and_then(Value::as_u64))
                    .filter_map(|id| u32::try_from(id).ok())
                    .collect();
                let mut cleared = Vec::new();
                for item in &mut self.products {
                    if named.contains(&item.id) {
                        item.discount_cents = 0;
                        cleared.push(item.id);
                    }
                }
                return Some(OrderEvent::DiscountsCleared {
                    order,
                    line_items: cleared,
                });
            }
            "fees" => {
                let before = self.fees.len();
                self.fees = value.as_array().cloned().unwrap_or_default();
                return Some(OrderEvent::FeesReplaced {
                    order,
                    before,
                    after: self.fees.len(),
                });
            }
            "is_deleted" => {
                if value.as_bool() == Some(true) {
                    self.is_deleted = true;
                    return Some(OrderEvent::Archived { order });
                }
                self.is_deleted = false;
            }
            _ => {
                self.other.insert(key.to_string(), value.clone());
            }
        }
        None
    }

    /// Apply a `PUT /orders/{id}/shipping_addresses/{sid}` body; whether the address exists, and the
    /// events (fields beyond the personal ones).
    pub fn put_shipping(&mut self, sid: u32, body: &Map<String, Value>) -> Option<Vec<OrderEvent>> {
        let order = self.id;
        let address = self
            .shipping_addresses
            .iter_mut()
            .find(|a| a.get("id").and_then(Value::as_u64) == Some(u64::from(sid)))?;
        let mut events = Vec::new();
        for (k, v) in body {
            if k == "id" || k == "order_id" {
                continue;
            }
            if address_placeholder(k).is_none() {
                events.push(OrderEvent::OtherField {
                    order,
                    field: format!("shipping_addresses.{k}"),
                });
            }
            address.insert(k.clone(), v.clone());
        }
        Some(events)
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Every order of the store (archived ones included), by ID, and what requests did to them.
#[derive(Debug, Clone, Default)]
pub struct Orders {
    by_id: BTreeMap<u32, Order>,
    /// Every [`OrderEvent`], in order.
    pub events: Vec<OrderEvent>,
}

impl Orders {
    /// Add (or replace) an order.
    pub fn put(&mut self, order: Order) {
        self.by_id.insert(order.id, order);
    }

    /// The order with this ID, archived or not.
    pub fn get(&self, id: u32) -> Option<&Order> {
        self.by_id.get(&id)
    }

    /// The order with this ID, to change it.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Order> {
        self.by_id.get_mut(&id)
    }

    /// Every order, archived ones included, by ID.
    pub fn all(&self) -> impl Iterator<Item = &Order> {
        self.by_id.values()
    }

    /// The customer was deleted: its orders' `customer_id` becomes 0 (see the module doc).
    pub fn unlink_customer(&mut self, customer: u32) {
        for order in self.by_id.values_mut() {
            if order.customer_id == customer {
                order.customer_id = 0;
            }
        }
    }

    /// `DELETE /orders`: archive every order; their IDs.
    pub fn archive_all(&mut self) -> Vec<u32> {
        let ids: Vec<u32> = self.by_id.keys().copied().collect();
        for order in self.by_id.values_mut() {
            order.is_deleted = true;
        }
        self.events.push(OrderEvent::ArchivedAll {
            orders: ids.clone(),
        });
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_redaction::{Present, address_body, order_body};
    use crate::retention::parse_order_date;

    fn customer() -> Customer {
        Customer::generate(7, 3)
    }

    #[test]
    fn generated_orders_are_deterministic_and_varied() {
        let owner = Owner::Customer(customer());
        assert_eq!(
            Order::generate(1, 10, &owner),
            Order::generate(1, 10, &owner)
        );
        let orders: Vec<Order> = (1..=40).map(|id| Order::generate(1, id, &owner)).collect();
        let codes: Vec<&str> = orders
            .iter()
            .filter_map(|o| {
                o.billing_address
                    .get("country_iso2")
                    .and_then(Value::as_str)
            })
            .collect();
        for cc in ["DE", "FR", "US"] {
            assert!(codes.contains(&cc), "{cc}");
        }
        let dates: Vec<String> = orders
            .iter()
            .map(|o| {
                parse_order_date(&format_order_date(o.date_created))
                    .expect("rfc 2822")
                    .to_string()
            })
            .collect();
        assert!(dates.iter().any(|d| d.ends_with("-02-29")));
        let years: std::collections::BTreeSet<&str> = dates.iter().map(|d| &d[..4]).collect();
        assert!(years.len() >= 4, "{years:?}");
        assert!(orders.iter().any(|o| o.shipping_addresses.len() == 2));
        assert!(orders.iter().all(|o| !o.shipping_addresses.is_empty()));
        assert!(orders.iter().any(|o| !o.ip_address_v6.is_empty()));
        assert!(orders.iter().all(|o| o.customer_id == 3));
    }

    #[test]
    fn a_redaction_body_has_no_side_effect_and_products_or_fees_do() {
        let mut order = Order::generate(1, 12, &Owner::Guest("g@example.com".into()));
        let fees = order.fees.clone();
        let discounts: Vec<u32> = order.products.iter().map(|p| p.discount_cents).collect();
        let body = order_body(Present::of(&order.to_json("")));
        let events = order.put(body.as_object().expect("object"));
        assert_eq!(events, vec![]);
        assert_eq!(order.fees, fees);
        assert_eq!(
            order
                .products
                .iter()
                .map(|p| p.discount_cents)
                .collect::<Vec<_>>(),
            discounts
        );
        assert_eq!(order.billing_address["country_iso2"], "DE", "country stays");
        let sid = order.shipping_addresses[0]["id"].as_u64().expect("id") as u32;
        let shipping = order.put_shipping(sid, address_body().as_object().expect("object"));
        assert_eq!(shipping, Some(vec![]));

        let first = order.products[0].id;
        let body = json!({"products": [{"id": first, "quantity": 1}], "fees": []});
        let events = order.put(body.as_object().expect("object"));
        assert!(events.contains(&OrderEvent::DiscountsCleared {
            order: 12,
            line_items: vec![first]
        }));
        assert!(events.contains(&OrderEvent::FeesReplaced {
            order: 12,
            before: 1,
            after: 0
        }));
        assert_eq!(order.products[0].discount_cents, 0);
        assert!(order.fees.is_empty());
    }
}
