//! The fake store's customer records (`customer_Full`, API-NOTES §7): realistic people generated
//! deterministically from (seed, ID), so `Customer::generate` re-creates the same person whenever a
//! test puts a deleted customer back, and two stores with the same seed are identical. All addresses
//! use reserved domains (`example.com`, `.test`) and documentation IP ranges: nothing here can reach a
//! real person. [`super::records`] holds the customers that exist now.

use serde_json::{Value, json};

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

pub(super) const COMPANIES: &[&str] = &[
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

pub(super) const STREETS: &[&str] = &[
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

pub(super) fn pick<'a>(rng: &mut fastrand::Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(0..items.len())]
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
    fn dates_use_the_api_format() {
        assert_eq!(format_time(1_580_998_793), "2020-02-06T14:19:53Z");
    }
}
