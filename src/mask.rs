//! Masking of personal data for display: `jane@example.com` → `j***@example.com`, `Jane Doe` → `J*** D***`.
//! Masked values are all bcprune ever shows or stores about a customer besides the ID.

/// Mask an email address, keeping the first character of the local part and the domain.
pub fn email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ if email.is_empty() => String::new(),
        _ => "***".to_string(),
    }
}

/// Mask a name, keeping the first character of each word.
pub fn name(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            let first: String = word.chars().take(1).collect();
            format!("{first}***")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fields of a customer record that hold no personal data and are shown as they are in `plan --diff`.
const NOT_PERSONAL: &[&str] = &[
    "id",
    "customer_group_id",
    "date_created",
    "date_modified",
    "address_count",
    "attribute_count",
    "origin_channel_id",
    "channel_ids",
    "accepts_product_review_abandoned_cart_emails",
    "tax_exempt_category",
    "authentication",
    "store_credit_amounts",
];

/// Mask a whole customer record for display: emails and names as above, every other field that is not
/// known to be free of personal data (phone, company, notes, addresses, unknown future fields) as `***`.
pub fn record(record: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    let Value::Object(fields) = record else {
        return Value::String("***".into());
    };
    let masked = fields
        .iter()
        .map(|(key, value)| {
            let shown = match (key.as_str(), value) {
                ("email", Value::String(text)) => Value::String(email(text)),
                ("first_name" | "last_name", Value::String(text)) => Value::String(name(text)),
                (key, value) if NOT_PERSONAL.contains(&key) => value.clone(),
                (_, Value::String(text)) if text.is_empty() => Value::String(String::new()),
                (_, Value::Null) => Value::Null,
                _ => Value::String("***".into()),
            };
            (key.clone(), shown)
        })
        .collect();
    Value::Object(masked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_personal_field_of_a_record() {
        let masked = record(&serde_json::json!({
            "id": 7, "email": "jane@shop.test", "first_name": "Jane", "last_name": "Doe",
            "phone": "+1 555 0100", "company": "", "notes": "VIP", "addresses": [{"city": "Paris"}],
            "date_modified": "2026-01-01T00:00:00Z", "customer_group_id": 0
        }));
        assert_eq!(
            masked,
            serde_json::json!({
                "id": 7, "email": "j***@shop.test", "first_name": "J***", "last_name": "D***",
                "phone": "***", "company": "", "notes": "***", "addresses": "***",
                "date_modified": "2026-01-01T00:00:00Z", "customer_group_id": 0
            })
        );
    }

    #[test]
    fn masks_email_keeping_first_letter_and_domain() {
        assert_eq!(email("jane.doe@example.com"), "j***@example.com");
        assert_eq!(email("é@x.test"), "é***@x.test");
        assert_eq!(email("not-an-email"), "***");
        assert_eq!(email("@example.com"), "***");
        assert_eq!(email(""), "");
    }

    #[test]
    fn masks_each_word_of_a_name() {
        assert_eq!(name("Jane Doe"), "J*** D***");
        assert_eq!(name("  Ann   "), "A***");
        assert_eq!(name(""), "");
    }
}
