//! "Did you mean": the message for an unknown key, with the closest known key when it looks like a typo
//! (`absnet` → `absent`), so a misspelt key is an error that says how to fix it.

use super::number::shorten;

/// The message for an unknown key, with a suggestion when it looks like a typo of a known one.
pub(super) fn unknown_key(name: &str, known: &[&str], place: &str) -> String {
    let shown = shorten(name);
    let suggestion = known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance);
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match suggestion {
        Some((_, candidate)) => {
            format!("unknown key `{shown}` {place}: did you mean `{candidate}`? (allowed: {list})")
        }
        None => format!("unknown key `{shown}` {place} (allowed: {list})"),
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transposition), for typo suggestions.
/// Long inputs are not compared (they are not typos of short key names).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 32 || b.len() > 32 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 5] = ["version", "store_hash", "max_deletes", "protect", "absent"];

    #[test]
    fn edit_distance_catches_typos_of_key_names() {
        assert_eq!(edit_distance("absnet", "absent"), 1);
        assert_eq!(edit_distance("protec", "protect"), 1);
        assert_eq!(edit_distance("versoin", "version"), 1);
        assert!(edit_distance("customers", "absent") > 2);
    }

    #[test]
    fn unknown_key_suggests_the_closest_known_key() {
        let message = unknown_key("absnet", &KEYS, "at the top level of a manifest");
        assert!(message.contains("did you mean `absent`?"), "{message}");
        let message = unknown_key("customers", &KEYS, "at the top level of a manifest");
        assert!(!message.contains("did you mean"), "{message}");
    }
}
