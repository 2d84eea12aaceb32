//! Masking of personal data for display: `jane@example.com` → `j***@example.com`, `Jane Doe` → `J*** D***`.
//! Masked values are all bcprune ever shows or stores about a customer besides the ID.

/// Mask an email address, keeping the first character of the local part and the domain (what follows
/// the last at sign: `a@b@c.test` shows nothing of `b`).
pub fn email(email: &str) -> String {
    match (at_signs(email).first(), at_signs(email).last()) {
        (Some(&(first_at, _)), Some(&(last_at, width))) if first_at > 0 => {
            let domain = &email[last_at + width..];
            if domain.is_empty() {
                return "***".to_string();
            }
            let first: String = email.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        _ if email.is_empty() => String::new(),
        _ => "***".to_string(),
    }
}

/// `text` with every address-like token masked as [`email`] masks one: a token is a run of characters
/// other than white space, control characters and ``,;:<>()[]{}"'`\|`` that holds an at sign (`@`,
/// fullwidth `＠`, small `﹫`, or percent-encoded `%40`); the whole token is masked, so several addresses
/// run together (`a@x.test/b@y.test`) show only the first character and the last domain. The one rule
/// for every message that may quote what a person typed or a server echoed.
pub fn addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token_start = None;
    for (index, c) in text.char_indices() {
        if is_separator(c) {
            if let Some(start) = token_start.take() {
                push_token(&mut out, &text[start..index]);
            }
            out.push(c);
        } else if token_start.is_none() {
            token_start = Some(index);
        }
    }
    if let Some(start) = token_start {
        push_token(&mut out, &text[start..]);
    }
    out
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c.is_control() || ",;:<>()[]{}\"'`\\|".contains(c)
}

fn push_token(out: &mut String, token: &str) {
    // A bare at sign (as in "the part before the @") names no one.
    if at_signs(token).is_empty() || token == "@" {
        out.push_str(token);
    } else {
        out.push_str(&email(token));
    }
}

/// The first characters of every at sign [`at_sign_len`] knows: for a quick "none here" test.
pub const AT_SIGN_STARTS: [char; 4] = ['@', '\u{FF20}', '\u{FE6B}', '%'];

/// The length in bytes of the at sign `text` starts with, if it starts with one: `@`, fullwidth `＠`,
/// small `﹫`, or percent-encoded `%40`. The one set of at signs: masking and the reason check (which
/// must refuse every address masking would hide) both use it.
pub fn at_sign_len(text: &str) -> Option<usize> {
    let c = text.chars().next()?;
    match c {
        '@' | '\u{FF20}' | '\u{FE6B}' => Some(c.len_utf8()),
        '%' if text[1..].starts_with("40") => Some(3),
        _ => None,
    }
}

/// Every at sign in `text` ([`at_sign_len`]): its byte offset and length.
fn at_signs(text: &str) -> Vec<(usize, usize)> {
    text.char_indices()
        .filter_map(|(index, _)| at_sign_len(&text[index..]).map(|len| (index, len)))
        .collect()
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
        assert_eq!(email("jane@x.test@bob@y.test"), "j***@y.test");
        assert_eq!(email("jane%40example.com"), "j***@example.com");
        assert_eq!(email("jane\u{FF20}example.com"), "j***@example.com");
        assert_eq!(email("é@x.test"), "é***@x.test");
        assert_eq!(email("not-an-email"), "***");
        assert_eq!(email("@example.com"), "***");
        assert_eq!(email(""), "");
    }

    #[test]
    fn masks_every_address_like_token_of_a_message() {
        assert_eq!(
            addresses("argument 2: `jane@x.test bob@y.test,cara@z.test` is not valid"),
            "argument 2: `j***@x.test b***@y.test,c***@z.test` is not valid"
        );
        assert_eq!(
            addresses("GET ?email:in=jane%40x.test&limit=250"),
            "GET ?email:i***@x.test&limit=250"
        );
        assert_eq!(addresses("a@b\rc@d\r"), "a***@b\rc***@d\r");
        assert_eq!(addresses("no address here."), "no address here.");
        assert_eq!(
            addresses("the part before the @ holds"),
            "the part before the @ holds"
        );
        assert_eq!(addresses("@x.test"), "***");
    }

    #[test]
    fn masks_each_word_of_a_name() {
        assert_eq!(name("Jane Doe"), "J*** D***");
        assert_eq!(name("  Ann   "), "A***");
        assert_eq!(name(""), "");
    }
}
