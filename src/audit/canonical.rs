//! The canonical form of an audit line, which its hash is computed over, and a strict JSON reader.
//!
//! Canonical form: the JSON object without its `hash` key, keys sorted by their UTF-8 bytes at every level,
//! no whitespace, strings escaped as serde_json (and `JSON.stringify`) do: only `"`, `\` and control
//! characters, non-ASCII left as UTF-8. Anyone can recompute it, e.g. for one line
//! `jq -jcS 'del(.hash)' | sha256sum` (jq agrees for every line bcprune writes, except that it escapes the
//! DEL character) or Python's `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
//!
//! The reader rejects duplicate keys: `{"ids":[1],"ids":[2]}` would show a reader one value while every JSON
//! library hashes the other, so a line with duplicate keys cannot be trusted.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `value` in canonical form: keys sorted recursively, no whitespace.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(key));
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        // Scalars: serde_json's compact form (serializing a scalar `Value` cannot fail).
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap_or_default()),
    }
}

/// A JSON string literal for `text`.
pub fn json_string(text: &str) -> String {
    // Serializing a `&str` cannot fail.
    serde_json::to_string(text).unwrap_or_default()
}

/// Lowercase hex SHA-256 of `bytes` (sha2 0.11 digests do not format with `{:x}`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The hash of an audit line: SHA-256 of the canonical form of `object` without its `hash` key.
pub fn line_hash(object: &Map<String, Value>) -> String {
    let mut without_hash = object.clone();
    without_hash.remove("hash");
    sha256_hex(canonical(&Value::Object(without_hash)).as_bytes())
}

/// Parse one JSON document, rejecting duplicate keys in any object.
pub fn parse_strict(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<Strict>(text).map(|strict| strict.0)
}

/// A `serde_json::Value` that refuses duplicate object keys while deserializing.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Strict, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key {key:?}"
                )));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Strict(Value::Object(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_recursively_without_whitespace() {
        let value: Value = serde_json::from_str(
            r#"{ "b": 1, "a": {"z": [3, {"y": null, "x": "é\n"}], "c": true} }"#,
        )
        .expect("json");
        assert_eq!(
            canonical(&value),
            r#"{"a":{"c":true,"z":[3,{"x":"é\n","y":null}]},"b":1}"#
        );
    }

    #[test]
    fn sha256_hex_matches_a_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn strict_parse_rejects_duplicate_keys_at_any_depth() {
        assert!(parse_strict(r#"{"a":1,"b":{"c":1}}"#).is_ok());
        let top = parse_strict(r#"{"ids":[1],"ids":[2]}"#).expect_err("dup");
        assert!(top.to_string().contains("duplicate key \"ids\""), "{top}");
        assert!(parse_strict(r#"{"a":{"c":1,"c":2}}"#).is_err());
        assert!(parse_strict(r#"[{"c":1,"c":2}]"#).is_err());
    }
}
