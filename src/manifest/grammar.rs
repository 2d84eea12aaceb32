//! The manifest grammar: which keys a file may have, what each value must be, read from the events of
//! `events` into one file's fields, with the location of every value.
//!
//! The grammar walks events instead of deserializing into types (ARCHITECTURE.md, Decisions), so every
//! scalar keeps its position and its style (`"101"` is told from `101`) and every error of the file is
//! collected. Keys come from one table per mapping ([`TOP_KEYS`], [`ENTRY_KEYS`]): the same table
//! decides what a key means, which keys are required and what "did you mean" may suggest. Checks that
//! span files (duplicates, `absent` ∧ `protect`, agreement of settings) live in `merge`.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

use jiff::civil::Date;
use yaml_rust2::parser::Event;
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::events::{Pos, Step, Walker};
use super::number::{NumberKind, parse_number, shorten};
use super::reason::check_reason;
use super::request::{RequestId, parse_yaml as parse_request};
use super::suggest::unknown_key;
use super::{AbsentEntry, Location, ManifestError, received};
use crate::CustomerId;
use crate::retention::{Retention, Start};

/// The manifest format version this build reads.
pub(super) const SUPPORTED_VERSION: u32 = 1;

/// What one file says, before the checks that span files.
#[derive(Debug, Default)]
pub(super) struct ParsedFile {
    pub store_hash: Option<(String, Location)>,
    pub max_deletes: Option<(u32, Location)>,
    pub respond_within_days: Option<(u32, Location)>,
    pub protect: Vec<(CustomerId, Location)>,
    pub absent: Vec<AbsentEntry>,
    pub absent_subscribers: Vec<AbsentEntry>,
    /// Customers whose entry says `orders: redact`, with where that is written.
    pub orders_redact: Vec<(CustomerId, Location)>,
    /// Guests' orders to redact (`redact_orders`).
    pub redact_orders: Vec<AbsentEntry>,
    /// `orders_retention`, with the place of its mapping.
    pub orders_retention: Option<(Retention, Location)>,
    /// Whether the file has an `orders_retention` key at all (valid or not): an invalid one is
    /// reported as such, not also as missing.
    pub orders_retention_written: bool,
}

/// Parse `text` (the contents of `file`, already known to be UTF-8 text) and append every problem found
/// to `errors`. `today` is the last day a `received` date may name. The returned fields hold whatever
/// was valid, for the cross-file checks.
pub(super) fn parse_file(
    file: &Arc<Path>,
    text: &str,
    today: Date,
    errors: &mut Vec<ManifestError>,
) -> ParsedFile {
    parse(Walker::new(file, text, errors), today)
}

/// [`parse_file`] over the characters of `file` as they are read (`source::StreamChars`, which has
/// checked them as `as_text` would).
pub(super) fn parse_stream(
    file: &Arc<Path>,
    chars: impl Iterator<Item = char>,
    today: Date,
    errors: &mut Vec<ManifestError>,
) -> ParsedFile {
    parse(Walker::streaming(file, chars, errors), today)
}

fn parse<I: Iterator<Item = char>>(walker: Walker<'_, '_, I>, today: Date) -> ParsedFile {
    let mut grammar = Grammar { walker, today };
    let mut parsed = ParsedFile::default();
    if grammar.tabs_in_indentation() {
        return parsed;
    }
    // `Stop` means a fatal error was recorded (the YAML cannot be read further); what was read so far is kept.
    let _ = grammar.document(&mut parsed);
    parsed
}

/// The event reader plus what the grammar needs to know about the world.
struct Grammar<'t, 'e, I> {
    walker: Walker<'t, 'e, I>,
    /// The last day a `received` date may name.
    today: Date,
}

/// The grammar reads events through the walker's methods (`next`, `skip`, `error`, ...).
impl<'t, 'e, I> Deref for Grammar<'t, 'e, I> {
    type Target = Walker<'t, 'e, I>;
    fn deref(&self) -> &Self::Target {
        &self.walker
    }
}

impl<I> DerefMut for Grammar<'_, '_, I> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.walker
    }
}

/// Which top-level key a value belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TopKey {
    Version,
    StoreHash,
    MaxDeletes,
    RespondWithinDays,
    Protect,
    Absent,
    AbsentSubscribers,
    RedactOrders,
    OrdersRetention,
}

/// The top-level keys a manifest file may have, in the order messages list them.
const TOP_KEYS: [(&str, TopKey); 9] = [
    ("version", TopKey::Version),
    ("store_hash", TopKey::StoreHash),
    ("max_deletes", TopKey::MaxDeletes),
    ("respond_within_days", TopKey::RespondWithinDays),
    ("protect", TopKey::Protect),
    ("absent", TopKey::Absent),
    ("absent_subscribers", TopKey::AbsentSubscribers),
    ("redact_orders", TopKey::RedactOrders),
    ("orders_retention", TopKey::OrdersRetention),
];

impl TopKey {
    /// The message for a file without this key, for the required keys.
    fn missing(self) -> Option<String> {
        match self {
            TopKey::Version => Some(format!(
                "missing required key `version`: add `version: {SUPPORTED_VERSION}`"
            )),
            TopKey::Absent => Some(
                "missing required key `absent`: the list of customer IDs that must not exist \
                 (write `absent: []` for none, as a file listing only `absent_subscribers` does)"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// Which key of an `{id, reason, received}` entry a value belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKey {
    Id,
    Reason,
    Received,
    Request,
    Orders,
}

/// The keys an entry of `absent_subscribers` or `redact_orders` may have.
const ENTRY_KEYS: [(&str, EntryKey); 4] = [
    ("id", EntryKey::Id),
    ("reason", EntryKey::Reason),
    ("received", EntryKey::Received),
    ("request", EntryKey::Request),
];

/// The keys an entry of `absent` may have: those of [`ENTRY_KEYS`] and `orders` (PRODUCT §15).
const CUSTOMER_ENTRY_KEYS: [(&str, EntryKey); 5] = [
    ("id", EntryKey::Id),
    ("reason", EntryKey::Reason),
    ("received", EntryKey::Received),
    ("request", EntryKey::Request),
    ("orders", EntryKey::Orders),
];

/// Which key of `orders_retention` a value belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RetentionKey {
    Years,
    From,
    Basis,
    ByCountry,
}

/// The keys of `orders_retention`.
const RETENTION_KEYS: [(&str, RetentionKey); 4] = [
    ("years", RetentionKey::Years),
    ("from", RetentionKey::From),
    ("basis", RetentionKey::Basis),
    ("by_country", RetentionKey::ByCountry),
];

/// The index and meaning of `name` in a key table.
fn lookup<K: Copy>(table: &[(&str, K)], name: &str) -> Option<(usize, K)> {
    table
        .iter()
        .enumerate()
        .find(|(_, (known, _))| *known == name)
        .map(|(index, (_, key))| (index, *key))
}

/// The names of a key table.
fn names<K>(table: &[(&'static str, K)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}

/// What an ID list is for: the records its IDs name (each list its own namespace), and how messages
/// name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdList {
    Customers,
    Subscribers,
    Orders,
}

impl IdList {
    fn key(self) -> &'static str {
        match self {
            IdList::Customers => "absent",
            IdList::Subscribers => "absent_subscribers",
            IdList::Orders => "redact_orders",
        }
    }

    fn kind(self) -> NumberKind {
        match self {
            IdList::Customers => NumberKind::CustomerId,
            IdList::Subscribers => NumberKind::SubscriberId,
            IdList::Orders => NumberKind::OrderId,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            IdList::Customers => "customer",
            IdList::Subscribers => "subscriber",
            IdList::Orders => "order",
        }
    }

    fn entry_keys(self) -> &'static [(&'static str, EntryKey)] {
        match self {
            IdList::Customers => &CUSTOMER_ENTRY_KEYS,
            _ => &ENTRY_KEYS,
        }
    }
}

impl<I: Iterator<Item = char>> Grammar<'_, '_, I> {
    fn document(&mut self, parsed: &mut ParsedFile) -> Step<()> {
        let (_stream_start, start) = self.next()?;
        let (event, mark) = self.next()?;
        match event {
            Event::DocumentStart => {}
            Event::StreamEnd => {
                return self.fatal(
                    start,
                    "the manifest file is empty (no YAML content): it needs at least `version: 1` \
                     and an `absent:` list",
                );
            }
            _ => return self.fatal(mark, "unexpected YAML content before the document"),
        }
        let (root, root_mark) = self.next()?;
        match root {
            Event::MappingStart(..) => {
                let start = self.mapping_start(root_mark);
                self.top_mapping(start, parsed)?;
            }
            Event::SequenceStart(..) => {
                self.error(
                    root_mark,
                    "the file is a YAML list, but a manifest is a mapping of keys: `version: 1`, \
                     `absent:` (a list of customer IDs) and optionally `protect`, `max_deletes`, \
                     `store_hash`",
                );
                self.skip(&root)?;
            }
            Event::Scalar(text, style, ..) => {
                if text.is_empty() && style == TScalarStyle::Plain {
                    self.error(
                        root_mark,
                        "the YAML document is empty: a manifest needs at least `version: 1` and an \
                         `absent:` list",
                    );
                } else {
                    self.error(
                        root_mark,
                        format!(
                            "the file is a single value (`{}`), but a manifest is a mapping of keys: \
                             `version: 1`, `absent:` and optionally `protect`, `max_deletes`, \
                             `store_hash`",
                            shorten(&text)
                        ),
                    );
                }
            }
            _ => {
                return self.fatal(
                    root_mark,
                    "unexpected YAML structure at the start of the document",
                );
            }
        }
        let _document_end = self.next()?;
        let (event, mark) = self.next()?;
        if let Event::DocumentStart = event {
            self.error(
                mark,
                "a second YAML document starts here: a manifest file holds exactly one document; \
                 put each manifest in its own file (a directory of files is merged)",
            );
        }
        Ok(())
    }

    /// Read a mapping key. Returns `None` (after reporting it and skipping key and value) when the key
    /// is not a plain name: a list or mapping, or a double-quoted key written with a backslash escape
    /// (`"abs\u0065nt"` reads as `absent`, which a reviewer does not see). A quoted key without escapes
    /// (`"absent":`, `'absent':`) reads exactly as written and is accepted.
    fn key(&mut self, event: Event, mark: Marker) -> Step<Option<String>> {
        match event {
            Event::Scalar(text, TScalarStyle::DoubleQuoted, ..) if self.has_escape(mark) => {
                let message = format!(
                    "the key \"{}\" is written with a backslash escape: write keys as plain \
                     names (a reviewer must read the key bcprune reads)",
                    shorten(&text)
                );
                self.error(mark, message);
                self.skip_value()?;
                Ok(None)
            }
            Event::Scalar(text, ..) => Ok(Some(text)),
            other => {
                self.error(
                    mark,
                    "a key must be a plain name such as `absent`, not a list or mapping",
                );
                self.skip(&other)?;
                self.skip_value()?;
                Ok(None)
            }
        }
    }

    /// Look a mapping key up in its table. An unknown key (with a suggestion) or a key already set in this
    /// mapping (naming where) is reported and its value skipped: `None`, go on with the next key.
    fn known_key<K: Copy>(
        &mut self,
        table: &[(&'static str, K)],
        name: &str,
        key_mark: Marker,
        seen: &mut [Option<Location>],
        context: &str,
    ) -> Step<Option<K>> {
        let Some((slot, key)) = lookup(table, name) else {
            let message = unknown_key(name, &names(table), context);
            self.error(key_mark, message);
            self.skip_value()?;
            return Ok(None);
        };
        if let Some(first) = &seen[slot] {
            let message = format!("duplicate key `{name}`: it is already set at {first}");
            self.error(key_mark, message);
            self.skip_value()?;
            return Ok(None);
        }
        seen[slot] = Some(self.location(key_mark));
        Ok(Some(key))
    }

    fn top_mapping(&mut self, start: Marker, parsed: &mut ParsedFile) -> Step<()> {
        let mut seen: [Option<Location>; TOP_KEYS.len()] = Default::default();
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let Some(name) = self.key(event, key_mark)? else {
                continue;
            };
            let context = "at the top level of a manifest";
            let Some(key) = self.known_key(&TOP_KEYS, &name, key_mark, &mut seen, context)? else {
                continue;
            };
            let (value, value_mark) = self.next()?;
            match key {
                TopKey::Version => self.version(value, value_mark, key_mark)?,
                TopKey::StoreHash => self.store_hash(value, value_mark, key_mark, parsed)?,
                TopKey::MaxDeletes => {
                    let limit =
                        self.setting(value, value_mark, key_mark, NumberKind::MaxDeletes)?;
                    parsed.max_deletes = limit;
                }
                TopKey::RespondWithinDays => {
                    let days =
                        self.setting(value, value_mark, key_mark, NumberKind::RespondWithinDays)?;
                    parsed.respond_within_days = days;
                }
                TopKey::Protect => self.protect(value, value_mark, key_mark, parsed)?,
                TopKey::Absent => {
                    let lists = (&mut parsed.absent, &mut parsed.orders_redact);
                    self.absent(IdList::Customers, value, value_mark, key_mark, lists)?;
                }
                TopKey::AbsentSubscribers => {
                    let mut none = Vec::new();
                    let lists = (&mut parsed.absent_subscribers, &mut none);
                    self.absent(IdList::Subscribers, value, value_mark, key_mark, lists)?;
                }
                TopKey::RedactOrders => {
                    let mut none = Vec::new();
                    let lists = (&mut parsed.redact_orders, &mut none);
                    self.absent(IdList::Orders, value, value_mark, key_mark, lists)?;
                }
                TopKey::OrdersRetention => {
                    parsed.orders_retention_written = true;
                    parsed.orders_retention = self.retention(value, value_mark, key_mark)?;
                }
            }
        }
        for (slot, (_, key)) in TOP_KEYS.iter().enumerate() {
            if seen[slot].is_none()
                && let Some(message) = key.missing()
            {
                self.error(start, message);
            }
        }
        Ok(())
    }

    /// Where to report a problem with a value: the value itself, or its key when the value is empty
    /// (an empty value is marked wherever the next token happens to be).
    fn value_mark(event: &Event, value_mark: Marker, key_mark: Marker) -> Marker {
        match event {
            Event::Scalar(text, TScalarStyle::Plain, ..) if text.is_empty() => key_mark,
            Event::Scalar(..) | Event::SequenceStart(..) => value_mark,
            _ => key_mark,
        }
    }

    fn version(&mut self, value: Event, value_mark: Marker, key_mark: Marker) -> Step<()> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => {
                match parse_number(&text, style, NumberKind::Version) {
                    Ok(SUPPORTED_VERSION) => {}
                    Ok(other) => self.error(
                        mark,
                        format!(
                            "unsupported manifest version {other}: this bcprune reads version \
                             {SUPPORTED_VERSION} only"
                        ),
                    ),
                    Err(message) => self.error(mark, message),
                }
                Ok(())
            }
            other => {
                self.error(
                    mark,
                    format!(
                        "version must be the number {SUPPORTED_VERSION}, not a list or mapping"
                    ),
                );
                self.skip(&other)
            }
        }
    }

    fn store_hash(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => {
                if style == TScalarStyle::Plain && (text.is_empty() || is_null_word(&text)) {
                    self.error(
                        mark,
                        "store_hash is empty: give the store hash (as in \
                         https://api.bigcommerce.com/stores/STORE_HASH/) or remove the key",
                    );
                } else if style == TScalarStyle::Plain && is_bool_word(&text) {
                    self.error(
                        mark,
                        format!("store_hash `{text}` is a boolean, not a store hash"),
                    );
                } else if text.is_empty() {
                    self.error(
                        mark,
                        "store_hash is an empty string: give the store hash or remove the key",
                    );
                } else if !text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    self.error(
                        mark,
                        format!(
                            "store_hash `{}` is not a store hash: it may contain only letters, digits, \
                             `-` and `_` (the part after /stores/ in the API URL)",
                            shorten(&text)
                        ),
                    );
                } else {
                    parsed.store_hash = Some((text, self.location(mark)));
                }
                Ok(())
            }
            other => {
                self.error(mark, "store_hash must be text, not a list or mapping");
                self.skip(&other)
            }
        }
    }

    /// A whole-number setting (`max_deletes`, `respond_within_days`) with the place it is written.
    fn setting(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        kind: NumberKind,
    ) -> Step<Option<(u32, Location)>> {
        let mark = Self::value_mark(&value, value_mark, key_mark);
        match value {
            Event::Scalar(text, style, ..) => match parse_number(&text, style, kind) {
                Ok(number) => Ok(Some((number, self.location(mark)))),
                Err(message) => {
                    self.error(mark, message);
                    Ok(None)
                }
            },
            other => {
                let message = format!("{}, not a list or mapping", kind.expected());
                self.error(mark, message);
                self.skip(&other)?;
                Ok(None)
            }
        }
    }

    /// Where a scalar list item is: its own mark, unless it is empty.
    fn item_pos(&mut self, text: &str, style: TScalarStyle, mark: Marker) -> Pos {
        if text.is_empty() && style == TScalarStyle::Plain {
            self.empty_item_pos(mark)
        } else {
            mark.into()
        }
    }

    /// Report that `key`'s value is not a list; skip it.
    fn not_a_list(
        &mut self,
        key: &str,
        noun: &str,
        value: Event,
        mark: Marker,
        example: &str,
    ) -> Step<()> {
        let what = match &value {
            Event::Scalar(text, TScalarStyle::Plain, ..)
                if text.is_empty() || is_null_word(text) =>
            {
                "has no value (null)".to_owned()
            }
            Event::Scalar(text, ..) => format!("is the single value `{}`", shorten(text)),
            Event::MappingStart(..) => "is a mapping".to_owned(),
            _ => "is not a list".to_owned(),
        };
        self.error(
            mark,
            format!("`{key}` {what}, but it must be a list of {noun} IDs, e.g. {example}"),
        );
        self.skip(&value)
    }

    fn protect(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        parsed: &mut ParsedFile,
    ) -> Step<()> {
        if !matches!(value, Event::SequenceStart(..)) {
            let mark = Self::value_mark(&value, value_mark, key_mark);
            return self.not_a_list(
                "protect",
                "customer",
                value,
                mark,
                "`protect: [1, 2]` (or `protect: []`)",
            );
        }
        loop {
            let (item, mark) = self.next()?;
            match item {
                Event::SequenceEnd => return Ok(()),
                Event::Scalar(text, style, ..) => {
                    match parse_number(&text, style, NumberKind::CustomerId) {
                        Ok(id) => parsed.protect.push((id, self.location(mark))),
                        Err(message) => {
                            let pos = self.item_pos(&text, style, mark);
                            self.error(pos, message);
                        }
                    }
                }
                other => {
                    let mark = match other {
                        Event::MappingStart(..) => self.mapping_start(mark),
                        _ => mark,
                    };
                    self.error(
                        mark,
                        "a `protect` entry must be a bare customer ID such as `- 42` (no `reason:`, \
                         no nested list)",
                    );
                    self.skip(&other)?;
                }
            }
        }
    }

    /// `absent`, `absent_subscribers` or `redact_orders`: a list of bare IDs and `{id, reason,
    /// received}` entries (`orders: redact` too in `absent`, collected in the second list).
    fn absent(
        &mut self,
        list: IdList,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
        lists: (&mut Vec<AbsentEntry>, &mut Vec<(CustomerId, Location)>),
    ) -> Step<()> {
        let (entries, redact) = lists;
        let key = list.key();
        if !matches!(value, Event::SequenceStart(..)) {
            let mark = Self::value_mark(&value, value_mark, key_mark);
            let example = format!(
                "`- 101` or `- id: 101` with `reason: ...` on the next line (or `{key}: []`)"
            );
            return self.not_a_list(key, list.noun(), value, mark, &example);
        }
        loop {
            let (item, mark) = self.next()?;
            match item {
                Event::SequenceEnd => return Ok(()),
                Event::Scalar(text, style, ..) => match parse_number(&text, style, list.kind()) {
                    Ok(id) => entries.push(AbsentEntry {
                        id,
                        reason: None,
                        received: None,
                        request: None,
                        location: self.location(mark),
                    }),
                    Err(message) => {
                        let pos = self.item_pos(&text, style, mark);
                        self.error(pos, message);
                    }
                },
                Event::MappingStart(..) => {
                    let start = self.mapping_start(mark);
                    self.absent_entry(list, start, entries, redact)?;
                }
                other => {
                    let message = format!(
                        "an `{key}` entry must be a {} ID (`- 101`) or a mapping with `id` and \
                         `reason`, not a nested list",
                        list.noun()
                    );
                    self.error(mark, message);
                    self.skip(&other)?;
                }
            }
        }
    }

    /// An `{id, reason, received}` entry; its `MappingStart` has been read.
    fn absent_entry(
        &mut self,
        list: IdList,
        start: Marker,
        entries: &mut Vec<AbsentEntry>,
        redact: &mut Vec<(CustomerId, Location)>,
    ) -> Step<()> {
        let key = list.key();
        let noun = list.noun();
        let mut seen: [Option<Location>; CUSTOMER_ENTRY_KEYS.len()] = Default::default();
        let mut orders: Option<Location> = None;
        let mut id: Option<(CustomerId, Location)> = None;
        let mut reason: Option<String> = None;
        let mut date: Option<Date> = None;
        let mut request_id: Option<RequestId> = None;
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let Some(name) = self.key(event, key_mark)? else {
                continue;
            };
            let context = format!("in an `{key}` entry");
            let Some(entry_key) =
                self.known_key(list.entry_keys(), &name, key_mark, &mut seen, &context)?
            else {
                continue;
            };
            let (value, value_mark) = self.next()?;
            let mark = Self::value_mark(&value, value_mark, key_mark);
            match (entry_key, value) {
                (EntryKey::Id, Event::Scalar(text, style, ..)) => {
                    match parse_number(&text, style, list.kind()) {
                        Ok(value) => id = Some((value, self.location(mark))),
                        Err(message) => self.error(mark, message),
                    }
                }
                (EntryKey::Reason, Event::Scalar(text, style, ..)) => {
                    match check_reason(&text, style, noun) {
                        Ok(()) => reason = Some(text),
                        Err(message) => self.error(mark, message.to_string()),
                    }
                }
                (EntryKey::Received, Event::Scalar(text, style, ..)) => {
                    match received::parse(&text, style, self.today) {
                        Ok(value) => date = Some(value),
                        Err(message) => self.error(mark, message.to_string()),
                    }
                }
                (EntryKey::Request, Event::Scalar(text, style, ..)) => {
                    match parse_request(&text, style) {
                        Ok(value) => request_id = Some(value),
                        Err(message) => self.error(mark, message.to_string()),
                    }
                }
                (EntryKey::Orders, Event::Scalar(text, style, ..)) => {
                    if text == "redact" && style == TScalarStyle::Plain {
                        orders = Some(self.location(mark));
                    } else {
                        let message = format!(
                            "`orders: {}` is not a choice: the only value is `orders: redact` (this \
                             customer's orders are redacted once their retention ends); without \
                             the key, orders are left alone",
                            shorten(&text)
                        );
                        self.error(mark, message);
                    }
                }
                (entry_key, other) => {
                    let message = match entry_key {
                        EntryKey::Id => {
                            format!("`id` must be a single {noun} ID, not a list or mapping")
                        }
                        EntryKey::Reason => {
                            "`reason` must be text, not a list or mapping".to_owned()
                        }
                        EntryKey::Received => {
                            "`received` must be a date such as 2026-11-02, not a list or mapping"
                                .to_owned()
                        }
                        EntryKey::Request => {
                            "`request` must be a reference such as DSR-2026-0043, not a list or \
                             mapping"
                                .to_owned()
                        }
                        EntryKey::Orders => {
                            "`orders` must be `redact`, not a list or mapping".to_owned()
                        }
                    };
                    self.error(mark, message);
                    self.skip(&other)?;
                }
            }
        }
        if seen[0].is_none() {
            let message = format!(
                "this `{key}` entry has no `id`: write `- id: 101` (with an optional `reason:`) \
                 or just `- 101`"
            );
            self.error(start, message);
        }
        if let Some((id, location)) = id {
            if let Some(at) = orders {
                redact.push((id, at));
            }
            entries.push(AbsentEntry {
                id,
                reason: reason.map(String::into_boxed_str),
                received: date,
                request: request_id,
                location,
            });
        }
        Ok(())
    }
}

impl<I: Iterator<Item = char>> Grammar<'_, '_, I> {
    /// `orders_retention: {years, from, basis, by_country}` (PRODUCT §15). `years` and `basis` are
    /// required: a retention without its legal basis cannot be shown to a reviewer.
    fn retention(
        &mut self,
        value: Event,
        value_mark: Marker,
        key_mark: Marker,
    ) -> Step<Option<(Retention, Location)>> {
        if !matches!(value, Event::MappingStart(..)) {
            let mark = Self::value_mark(&value, value_mark, key_mark);
            self.error(
                mark,
                "`orders_retention` must be a mapping: `years: 8`, `basis: \"§147 AO\"`, and \
                 optionally `from: end_of_year` and `by_country: {FR: 10}`",
            );
            self.skip(&value)?;
            return Ok(None);
        }
        let start = self.mapping_start(value_mark);
        let mut seen: [Option<Location>; RETENTION_KEYS.len()] = Default::default();
        let mut retention = Retention::default();
        let mut ok = true;
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                break;
            }
            let Some(name) = self.key(event, key_mark)? else {
                ok = false;
                continue;
            };
            let context = "in `orders_retention`";
            let Some(key) = self.known_key(&RETENTION_KEYS, &name, key_mark, &mut seen, context)?
            else {
                ok = false;
                continue;
            };
            let (value, value_mark) = self.next()?;
            let mark = Self::value_mark(&value, value_mark, key_mark);
            match (key, value) {
                (RetentionKey::Years, value) => {
                    match self.setting(value, value_mark, key_mark, NumberKind::RetentionYears)? {
                        Some((years, _)) => retention.years = years,
                        None => ok = false,
                    }
                }
                (RetentionKey::From, Event::Scalar(text, TScalarStyle::Plain, ..))
                    if text == "order_date" || text == "end_of_year" =>
                {
                    retention.from = if text == "order_date" {
                        Start::OrderDate
                    } else {
                        Start::EndOfYear
                    };
                }
                (RetentionKey::From, other) => {
                    let what = match &other {
                        Event::Scalar(text, ..) => format!("`from: {}`", shorten(text)),
                        _ => "a list or mapping".to_owned(),
                    };
                    self.error(
                        mark,
                        format!(
                            "{what} is not a choice: write `from: order_date` (the default: from \
                             the order's date) or `from: end_of_year` (from 31 December of the \
                             order's year)"
                        ),
                    );
                    self.skip(&other)?;
                    ok = false;
                }
                (RetentionKey::Basis, Event::Scalar(text, style, ..)) => {
                    match check_reason(&text, style, "order") {
                        Ok(()) => retention.basis = text,
                        Err(message) => {
                            let message = message
                                .to_string()
                                .replace("`reason", "`basis")
                                .replace("say why this order must be deleted", "name the law");
                            self.error(mark, message);
                            ok = false;
                        }
                    }
                }
                (RetentionKey::Basis, other) => {
                    self.error(mark, "`basis` must be text, not a list or mapping");
                    self.skip(&other)?;
                    ok = false;
                }
                (RetentionKey::ByCountry, Event::MappingStart(..)) => {
                    ok &= self.by_country(&mut retention)?;
                }
                (RetentionKey::ByCountry, other) => {
                    self.error(
                        mark,
                        "`by_country` must be a mapping of country codes to years, e.g. \
                         `by_country: {FR: 10}`",
                    );
                    self.skip(&other)?;
                    ok = false;
                }
            }
        }
        for (slot, name) in [(0, "years: 8"), (2, "basis: \"§147 AO, §257 HGB\"")] {
            if seen[slot].is_none() {
                self.error(
                    start,
                    format!(
                        "`orders_retention` has no `{}`: add `{name}`",
                        RETENTION_KEYS[slot].0
                    ),
                );
                ok = false;
            }
        }
        Ok(ok.then(|| (retention, self.location(start))))
    }

    /// The entries of `by_country` (its `MappingStart` read): ISO 3166-1 alpha-2 codes, two upper-case
    /// ASCII letters, each once, to years. Whether all were valid.
    fn by_country(&mut self, retention: &mut Retention) -> Step<bool> {
        let mut ok = true;
        let mut places: Vec<(String, Location)> = Vec::new();
        loop {
            let (event, key_mark) = self.next()?;
            if let Event::MappingEnd = event {
                return Ok(ok);
            }
            let Some(code) = self.key(event, key_mark)? else {
                ok = false;
                continue;
            };
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                self.error(
                    key_mark,
                    format!(
                        "`{}` is not a country code: write the billing country's ISO 3166-1 \
                         alpha-2 code, two upper-case letters such as `DE` or `FR`",
                        shorten(&code)
                    ),
                );
                self.skip_value()?;
                ok = false;
                continue;
            }
            if let Some((_, first)) = places.iter().find(|(c, _)| *c == code) {
                let message = format!("country `{code}` is listed twice: also at {first}");
                self.error(key_mark, message);
                self.skip_value()?;
                ok = false;
                continue;
            }
            places.push((code.clone(), self.location(key_mark)));
            let (value, value_mark) = self.next()?;
            match self.setting(value, value_mark, key_mark, NumberKind::RetentionYears)? {
                Some((years, _)) => {
                    retention.by_country.insert(code, years);
                }
                None => ok = false,
            }
        }
    }
}

fn is_null_word(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn is_bool_word(text: &str) -> bool {
    matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
}
