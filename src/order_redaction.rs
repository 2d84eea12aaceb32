//! What an order redaction may send, defined once (PRODUCT §15): the only keys a `PUT /v2/orders/{id}`
//! or `PUT /v2/orders/{id}/shipping_addresses/{sid}` body of bcprune can hold, their placeholder
//! values, and the builders that make the bodies from nothing but those keys.
//!
//! Why so narrow: a V2 order `PUT` carrying `products` clears the discounts of the changed line items,
//! and one carrying `fees` replaces every fee (API-NOTES §11 \[V\]); status, totals and dates are the
//! financial record the law keeps. The builders take no caller data at all — only which of the two
//! optional IP fields the order holds — so no other key, and no original value, can reach a body.
//! [`is_redaction_body`] is the check a client (and the fake store's tests) apply to a body before it
//! is sent. Country, state and country code stay (tax); they are not in the lists.

use serde_json::{Map, Value};

/// The only top-level keys of an order redaction `PUT` body.
pub const ORDER_KEYS: [&str; 4] = [
    "billing_address",
    "customer_message",
    "ip_address",
    "ip_address_v6",
];

/// The only keys of a redacted address (the order's `billing_address`, or a shipping address body):
/// the fields that identify a person.
pub const ADDRESS_KEYS: [&str; 9] = [
    "first_name",
    "last_name",
    "company",
    "street_1",
    "street_2",
    "city",
    "zip",
    "phone",
    "email",
];

/// The placeholder of every text field but those below.
pub const TEXT: &str = "redacted";
/// The email placeholder: a valid address at a reserved domain (RFC 2606 `.invalid`) that can reach
/// nobody.
pub const EMAIL: &str = "redacted@redacted.invalid";
/// The postcode placeholder: `zip` is the one required address field, at least two characters.
pub const ZIP: &str = "00";
/// The IPv4 placeholder.
pub const IP_V4: &str = "0.0.0.0";
/// The IPv6 placeholder.
pub const IP_V6: &str = "::";

/// The placeholder for an address key (`None` for a key not in [`ADDRESS_KEYS`]).
pub fn address_placeholder(key: &str) -> Option<&'static str> {
    match key {
        "email" => Some(EMAIL),
        "zip" => Some(ZIP),
        k if ADDRESS_KEYS.contains(&k) => Some(TEXT),
        _ => None,
    }
}

/// Which optional fields the order holds (`ip_address` / `ip_address_v6` are sent "where present").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Present {
    /// The order has a non-empty `ip_address`.
    pub ip_address: bool,
    /// The order has a non-empty `ip_address_v6`.
    pub ip_address_v6: bool,
}

impl Present {
    /// Read from an order as `GET /v2/orders/{id}` returns it.
    pub fn of(order: &Value) -> Present {
        let set = |k: &str| {
            order
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        Present {
            ip_address: set("ip_address"),
            ip_address_v6: set("ip_address_v6"),
        }
    }
}

/// A redacted address: every key of [`ADDRESS_KEYS`] with its placeholder, nothing else.
pub fn address_body() -> Value {
    let mut map = Map::new();
    for key in ADDRESS_KEYS {
        if let Some(p) = address_placeholder(key) {
            map.insert(key.to_string(), Value::from(p));
        }
    }
    Value::Object(map)
}

/// The `PUT /v2/orders/{id}` body: `billing_address` and `customer_message` placeholders, and the IP
/// fields the order holds.
pub fn order_body(present: Present) -> Value {
    let mut map = Map::new();
    map.insert("billing_address".to_string(), address_body());
    map.insert("customer_message".to_string(), Value::from(TEXT));
    if present.ip_address {
        map.insert("ip_address".to_string(), Value::from(IP_V4));
    }
    if present.ip_address_v6 {
        map.insert("ip_address_v6".to_string(), Value::from(IP_V6));
    }
    Value::Object(map)
}

/// Whether `body` is one a redaction may send: an object of [`ORDER_KEYS`] only, whose
/// `billing_address` holds [`ADDRESS_KEYS`] only, every value its placeholder (for an order body);
/// or, with `shipping`, an address of placeholders only.
pub fn is_redaction_body(body: &Value, shipping: bool) -> bool {
    let address_ok = |v: &Value| {
        v.as_object().is_some_and(|m| {
            m.iter()
                .all(|(k, v)| address_placeholder(k).is_some_and(|p| v.as_str() == Some(p)))
        })
    };
    if shipping {
        return address_ok(body);
    }
    body.as_object().is_some_and(|m| {
        m.iter().all(|(k, v)| match k.as_str() {
            "billing_address" => address_ok(v),
            "customer_message" => v.as_str() == Some(TEXT),
            "ip_address" => v.as_str() == Some(IP_V4),
            "ip_address_v6" => v.as_str() == Some(IP_V6),
            _ => false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn placeholders_are_what_the_contract_requires() {
        assert!(ZIP.chars().count() >= 2);
        assert!(EMAIL.ends_with(".invalid") && EMAIL.contains('@'));
        for key in ADDRESS_KEYS {
            assert!(address_placeholder(key).is_some(), "{key}");
        }
        for kept in ["country", "country_iso2", "state", "form_fields"] {
            assert_eq!(address_placeholder(kept), None, "{kept} stays (tax)");
        }
    }

    #[test]
    fn a_body_with_any_other_key_is_refused() {
        for key in [
            "products",
            "fees",
            "consignments",
            "status_id",
            "total_inc_tax",
            "date_created",
            "staff_notes",
            "shipping_addresses",
            "customer_id",
        ] {
            let mut body = order_body(Present::default());
            body[key] = Value::from(1);
            assert!(!is_redaction_body(&body, false), "{key}");
        }
        let mut body = order_body(Present::default());
        body["billing_address"]["country"] = Value::from("Germany");
        assert!(!is_redaction_body(&body, false));
        let mut body = order_body(Present::default());
        body["billing_address"]["first_name"] = Value::from("Jane");
        assert!(!is_redaction_body(&body, false), "an original value");
        let mut address = address_body();
        address["country_iso2"] = Value::from("DE");
        assert!(!is_redaction_body(&address, true));
    }

    proptest! {
        #[test]
        fn the_built_bodies_hold_only_the_listed_keys(v4 in any::<bool>(), v6 in any::<bool>()) {
            let present = Present { ip_address: v4, ip_address_v6: v6 };
            let body = order_body(present);
            prop_assert!(is_redaction_body(&body, false));
            let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
            prop_assert!(keys.iter().all(|k| ORDER_KEYS.contains(k)));
            prop_assert_eq!(keys.contains(&"ip_address"), v4);
            prop_assert_eq!(keys.contains(&"ip_address_v6"), v6);
            let address = body["billing_address"].as_object().expect("object");
            prop_assert_eq!(address.len(), ADDRESS_KEYS.len());
            prop_assert!(is_redaction_body(&address_body(), true));
            prop_assert!(!is_redaction_body(&body, true), "an order body is no address");
        }
    }
}
