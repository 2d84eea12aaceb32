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

#[cfg(test)]
mod tests {
    use super::*;

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
