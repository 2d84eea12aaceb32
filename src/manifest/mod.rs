//! The manifest: YAML files reviewed in git that list the customer and newsletter-subscriber IDs that
//! must not exist, and (PRODUCT §15) whose orders are redacted once their retention ends.
//!
//! All validation happens here, so that every later stage works on a [`Manifest`] that is known to be
//! well formed (PRODUCT.md §1, §7, §9). Every error carries `file:line:column`; all errors of a run are
//! reported together, in file order, so one edit-and-rerun cycle fixes them all. The submodules follow
//! the data: `source` finds and reads the files, `events` reads one file's YAML events, `grammar`
//! gives them meaning (one key table per mapping), with `number` (IDs and settings), `reason`,
//! `received` (dates) and `suggest` ("did you mean"); `merge` checks what spans files.

mod events;
mod grammar;
mod merge;
mod number;
mod reason;
mod received;
mod request;
mod source;
mod suggest;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use jiff::civil::Date;

use crate::retention::Retention;
use crate::{CustomerId, Resource};

/// Default for `max_deletes` when no manifest file sets it.
pub const DEFAULT_MAX_DELETES: u32 = 1000;

/// Where something is in a manifest file (1-based line and column, the column counted in characters).
///
/// The file is shown as the user gave it (joined with the file name for a directory). It is an
/// `Arc<Path>` shared by every entry of a file, so a million-entry manifest does not hold a million
/// paths. Line 0 means the problem concerns the path as a whole (a missing file, an empty directory):
/// it is then displayed as the path alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
        }
    }
}

/// One ID that must not exist (a customer's in [`Manifest::absent`], a subscriber's in
/// [`Manifest::absent_subscribers`]), with the reviewer-facing reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentEntry {
    /// The customer or subscriber ID (both are `u32`; [`Manifest::entries`] says which).
    pub id: CustomerId,
    /// Why it must be deleted: non-empty plain text, never an email address.
    pub reason: Option<Box<str>>,
    /// The day the erasure request arrived (`received:`), never after the day the manifest was read.
    pub received: Option<Date>,
    /// The erasure request this entry belongs to (`request:`, PRODUCT §16); the entries of one request
    /// agree on `received`.
    pub request: Option<RequestId>,
    /// Where the ID is written.
    pub location: Location,
}

/// A validated manifest: one file or every `*.yaml`/`*.yml` of a directory tree, merged.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The path as given on the command line (file or directory).
    pub path: PathBuf,
    /// The files read, as `path` joined with each file's path below it, sorted by that relative path
    /// (byte order): the list `-v` shows.
    pub files: Vec<PathBuf>,
    /// Lowercase hex SHA-256 over the files read (names and contents), used to detect a changed manifest.
    /// For each file in order: its path relative to the manifest directory, `/`-separated (its file name
    /// for a single file, so the same manifest checked out elsewhere hashes the same), a NUL byte, its
    /// length in bytes as decimal digits, a NUL byte, its contents.
    pub sha256: String,
    /// The store this manifest is for, when a file says so.
    pub store_hash: Option<String>,
    /// The most records one apply may delete, customers and subscribers counted together
    /// ([`DEFAULT_MAX_DELETES`] unless a file sets it; enforced by `apply`).
    pub max_deletes: u32,
    /// Customer IDs that must never be deleted. Customers only: subscriber IDs are another namespace,
    /// so a protected customer 17 does not keep subscriber 17.
    pub protect: BTreeSet<CustomerId>,
    /// Customer IDs, in file order (files sorted by relative path); unique across the whole manifest.
    pub absent: Vec<AbsentEntry>,
    /// Newsletter subscriber IDs (PRODUCT.md §7), in file order; unique across the whole manifest, and
    /// independent of `absent` (customer 17 and subscriber 17 may both be listed).
    pub absent_subscribers: Vec<AbsentEntry>,
    /// Days allowed to answer a request (`respond_within_days`, 1 to 3650), when a file sets it;
    /// otherwise a request is due one calendar month after it was received.
    pub respond_within_days: Option<u32>,
    /// What PRODUCT §15 asks of orders: whose are redacted, which guests' orders, and the retention.
    pub orders: OrderSettings,
}

/// The manifest's order keys (PRODUCT §15). Empty unless a file redacts orders; then `retention` is
/// set (the loader refuses a manifest that redacts orders without one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSettings {
    /// The customers whose `absent` entry says `orders: redact`.
    pub redact_customers: BTreeSet<CustomerId>,
    /// Guests' orders to redact (`redact_orders`): order IDs (their own namespace) with reason and
    /// `received` like any entry, in file order, each listed once.
    pub redact_orders: Vec<AbsentEntry>,
    /// `orders_retention`, the same in every file that sets it.
    pub retention: Option<Retention>,
}

impl OrderSettings {
    /// Whether any order is to be redacted.
    pub fn any(&self) -> bool {
        !self.redact_customers.is_empty() || !self.redact_orders.is_empty()
    }
}

impl Manifest {
    /// The one-line summary commands print after reading a manifest, e.g.
    /// `Read 3 manifest files: 52 customer IDs must be absent, 2 protected.`, or with subscribers
    /// `Read 3 manifest files: 52 customer IDs and 4 subscriber IDs must be absent, 2 protected.`
    pub fn summary(&self) -> String {
        let customers = plural(self.absent.len(), "customer ID", "customer IDs");
        let absent = if self.absent_subscribers.is_empty() {
            customers
        } else {
            let subscribers = plural(
                self.absent_subscribers.len(),
                "subscriber ID",
                "subscriber IDs",
            );
            format!("{customers} and {subscribers}")
        };
        format!(
            "Read {}: {absent} must be absent, {} protected.",
            plural(self.files.len(), "manifest file", "manifest files"),
            self.protect.len()
        )
    }

    /// Every entry with its resource: the customers (`absent`), then the subscribers
    /// (`absent_subscribers`), each in file order.
    pub fn entries(&self) -> impl Iterator<Item = (Resource, &AbsentEntry)> {
        let customers = self.absent.iter().map(|entry| (Resource::Customer, entry));
        let subscribers = self
            .absent_subscribers
            .iter()
            .map(|entry| (Resource::Subscriber, entry));
        customers.chain(subscribers)
    }

    /// The day a request received on `received` is due: `respond_within_days` days later when the
    /// manifest sets it, else one calendar month later (GDPR Art. 12(3)), on the same day of the month
    /// or the month's last day when it is shorter (31 January → 28 or 29 February).
    pub fn due(&self, received: Date) -> Date {
        received::due(received, self.respond_within_days)
    }
}

/// What `load_with` needs to know about the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The latest day a `received` date may name: a date after it is an error. [`Options::now`] takes
    /// today in the earliest time zone (UTC+14, [`latest_received`]): a date is a day in the calendar of
    /// whoever received the request, so a manifest valid where it was written stays valid on a UTC CI
    /// runner. Tests pass a fixed day.
    pub today: Date,
}

impl Options {
    /// Options for now, as the system clock says.
    pub fn now() -> Self {
        Options {
            today: latest_received(jiff::Timestamp::now()),
        }
    }
}

pub use reason::ReasonError;
pub use reason::{Flaw as ReasonFlaw, flaw as reason_flaw};
pub use received::ReceivedError;
pub use received::after_today as received_after;
pub use received::parse_day as parse_received;
pub use request::{RequestError, RequestId, parse as parse_request};
pub use source::NotRead;

/// The latest day a request can have been received on at instant `now`: the date in the earliest time
/// zone there is (UTC+14, Kiribati's Line Islands). The one rule for the manifest and `import`.
pub fn latest_received(now: jiff::Timestamp) -> Date {
    received::latest_day(now)
}

/// The two days a command that reads `received` dates works with: the local `today` (defaults, due
/// dates, overdue) and the `latest` day a date may name ([`latest_received`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub today: Date,
    pub latest: Date,
}

impl Days {
    /// The system clock's day in the system time zone, and today in the earliest time zone.
    pub fn now() -> Days {
        Days {
            today: jiff::ZonedDateTime::now().date(),
            latest: Options::now().today,
        }
    }

    /// One fixed day taken as both (tests, the hidden `BCPRUNE_TODAY`).
    pub fn fixed(day: Date) -> Days {
        Days {
            today: day,
            latest: day,
        }
    }

    /// The manifest options of these days.
    pub fn options(self) -> Options {
        Options { today: self.latest }
    }
}

/// `1 thing`, `2 things`.
fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem found in a manifest, in file order.
#[derive(Debug, Clone)]
pub struct ManifestErrors(pub Vec<ManifestError>);

impl fmt::Display for ManifestErrors {
    /// One error per line, `path:line:column: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

/// Whether loading a manifest directory reads the file at `relative` below it (the loader's own rule:
/// a `*.yaml` / `*.yml` name in any case, nothing hidden on the way); the error says why not.
pub fn check_read_path(relative: &Path) -> Result<(), NotRead> {
    source::check_read_path(relative)
}

/// Load and validate the manifest at `path` (a file or a directory), as of today ([`Options::now`]).
///
/// Returns every problem found (never only the first), sorted by file, line and column. A file that
/// cannot be read as YAML stops being read at that point; the other files are still checked.
pub fn load(path: &Path) -> Result<Manifest, ManifestErrors> {
    load_with(path, &Options::now())
}

/// [`load`] with explicit [`Options`] (a fixed `today` for tests).
pub fn load_with(path: &Path, options: &Options) -> Result<Manifest, ManifestErrors> {
    load_as(path, options, merge::Scope::Whole)
}

/// [`load_with`] for a new file that joins a manifest directory (the one `import` writes): every check
/// but the one the directory's other files may satisfy — `orders_retention`, required as soon as any
/// order is redacted, may stand in any file of the directory, and a file `import` writes has none
/// (PRODUCT §15). The caller makes sure the directory sets it.
pub fn load_joining(path: &Path, options: &Options) -> Result<Manifest, ManifestErrors> {
    load_as(path, options, merge::Scope::Joining)
}

fn load_as(
    path: &Path,
    options: &Options,
    scope: merge::Scope,
) -> Result<Manifest, ManifestErrors> {
    let files = source::list_files(path).map_err(|mut errors| {
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        ManifestErrors(errors)
    })?;
    let mut errors = Vec::new();
    let mut hasher = Sha256::new();
    let mut parsed = Vec::with_capacity(files.len());
    for file in &files {
        let shown: Arc<Path> = Arc::from(file.path.as_path());
        let mut named = hasher.clone();
        hash_name(&mut named, &file.relative);
        if let Some((file_parsed, file_hasher)) =
            stream_file(&shown, named, options.today, &mut errors)
        {
            hasher = file_hasher;
            parsed.push(file_parsed);
            continue;
        }
        let bytes = match source::read_file(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        hash_name(&mut hasher, &file.relative);
        hasher.update([0]);
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update([0]);
        hasher.update(&bytes);
        match source::as_text(&shown, &bytes) {
            Ok(text) => parsed.push(grammar::parse_file(
                &shown,
                text,
                options.today,
                &mut errors,
            )),
            Err(error) => errors.push(error),
        }
    }
    let merged = merge::merge(parsed, scope, &mut errors);
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        return Err(ManifestErrors(errors));
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(Manifest {
        path: path.to_path_buf(),
        files: files.into_iter().map(|file| file.path).collect(),
        sha256,
        store_hash: merged.store_hash,
        max_deletes: merged.max_deletes,
        protect: merged.protect,
        absent: merged.absent,
        absent_subscribers: merged.absent_subscribers,
        respond_within_days: merged.respond_within_days,
        orders: merged.orders,
    })
}

/// Add a file's relative path to the manifest hash, `/`-separated.
fn hash_name(hasher: &mut Sha256, relative: &Path) {
    for (index, part) in relative.iter().enumerate() {
        if index > 0 {
            hasher.update(b"/");
        }
        hasher.update(part.as_encoded_bytes());
    }
}

/// Parse one file as it is read, without holding its text (`source::StreamChars`): the fast path for
/// a valid file. Returns `None`, with `errors` as they were, when the file has any problem at all (it
/// cannot be opened, is not clean text, holds a YAML error): the caller then reads it whole, which
/// reports exactly what is wrong with every position refined. `hasher` has the file's name; the
/// returned one has the whole file.
fn stream_file(
    file: &Arc<Path>,
    hasher: Sha256,
    today: Date,
    errors: &mut Vec<ManifestError>,
) -> Option<(grammar::ParsedFile, Sha256)> {
    let state = Rc::new(RefCell::new(source::StreamState {
        hasher,
        bail: false,
        ended: false,
    }));
    let (chars, length) = source::StreamChars::open(file, Rc::clone(&state)).ok()?;
    if length > source::MAX_FILE_BYTES {
        return None;
    }
    {
        let mut state = state.borrow_mut();
        state.hasher.update([0]);
        state.hasher.update(length.to_string().as_bytes());
        state.hasher.update([0]);
    }
    let before = errors.len();
    let parsed = grammar::parse_stream(file, chars, today, errors);
    let state = state.borrow();
    if state.bail || !state.ended || errors.len() > before {
        errors.truncate(before);
        return None;
    }
    Some((parsed, state.hasher.clone()))
}

/// The shape of one manifest file, for the JSON Schema (`schemas/manifest.schema.json`) that editors use
/// to complete and check manifests. The loader checks more than a schema can say: IDs written as plain
/// decimal digits, no ID listed twice, no ID both absent and protected, settings that agree across files,
/// no email address in a reason, `received` a real day not after today.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "bcprune manifest")]
pub struct ManifestDocument {
    /// Manifest format version. Required; this bcprune reads version 1.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// The store this manifest is for (the part after `/stores/` in the API URL). When given, it must
    /// equal the target store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub store_hash: Option<String>,
    /// The most records one apply may delete, customers and subscribers counted together; default
    /// 1000. `0` means nothing may be deleted. In a directory of manifest files, every file that sets it
    /// must set the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", extend("default" = 1000))]
    pub max_deletes: Option<u32>,
    /// Days allowed to answer an erasure request: an entry with `received` is due this many days later
    /// (for example 45 under the CCPA). Without it, a request is due one calendar month after it was
    /// received (GDPR Art. 12(3)). Every file that sets it must set the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 1, max = 3650))]
    pub respond_within_days: Option<u32>,
    /// Customer IDs that must never be deleted. An ID may not be both here and in `absent`. Applies to
    /// customers only: subscriber IDs are another namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<CustomerIdDocument>")]
    pub protect: Option<Vec<CustomerIdDocument>>,
    /// Required (write `absent: []` for none): the customer IDs that must not exist in the store, each
    /// a bare ID or `{id, reason, received, request}`. An ID may be listed only once across all files of a
    /// manifest.
    pub absent: Vec<AbsentItemDocument>,
    /// The newsletter subscriber IDs that must not exist in the store (`/v3/customers/subscribers`),
    /// each a bare ID or `{id, reason, received, request}`. Their own namespace: customer 17 and subscriber 17
    /// are different records. An ID may be listed only once across all files of a manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<AbsentSubscriberItemDocument>")]
    pub absent_subscribers: Option<Vec<AbsentSubscriberItemDocument>>,
    /// Guests' orders (no customer account) whose personal fields are redacted once their retention
    /// ends, each a bare order ID or `{id, reason, received, request}`. Their own namespace. Requires
    /// `orders_retention` in some file of the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<RedactOrderItemDocument>")]
    pub redact_orders: Option<Vec<RedactOrderItemDocument>>,
    /// How long orders are kept for the law before they are redacted. Required as soon as any order
    /// is to be redacted (`orders: redact` or `redact_orders`); every file that sets it must set the
    /// same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "OrdersRetentionDocument")]
    pub orders_retention: Option<OrdersRetentionDocument>,
}

/// `orders_retention`: an order is retained until its date (or 31 December of its year) plus the
/// years, then redacted.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OrdersRetention")]
pub struct OrdersRetentionDocument {
    /// Years an order is kept; 0 redacts at once.
    #[schemars(range(min = 0, max = 100))]
    pub years: u32,
    /// Where the period starts: the order's date (default) or 31 December of its year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<RetentionStartDocument>,
    /// The legal basis, shown in plan and report (e.g. `§147 AO, §257 HGB`); never an email address.
    #[schemars(length(min = 1))]
    pub basis: String,
    /// Years by the billing address' ISO 3166-1 alpha-2 country code, overriding `years`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "std::collections::BTreeMap<CountryCodeDocument, u32>")]
    pub by_country: Option<std::collections::BTreeMap<String, u32>>,
}

/// Where an order's retention starts.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "RetentionStart")]
pub enum RetentionStartDocument {
    /// The order's `date_created`.
    OrderDate,
    /// 31 December of the order's year.
    EndOfYear,
}

/// An ISO 3166-1 alpha-2 country code: two upper-case letters.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[schemars(rename = "CountryCode")]
pub struct CountryCodeDocument(#[schemars(regex(pattern = r"^[A-Z]{2}$"))] pub String);

/// What happens to a customer's orders: only `redact` (once their retention ends).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "OrdersAction")]
pub enum OrdersActionDocument {
    /// Redact the personal fields of this customer's orders once their retention ends.
    Redact,
}

/// An order ID: a whole number from 1 to 4294967295, written as plain decimal digits.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "OrderId")]
pub struct OrderIdDocument(#[schemars(range(min = 1, max = 4294967295u32))] pub u32);

/// One entry of `redact_orders`: a bare order ID, or a mapping with the ID and the reason.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "RedactOrder")]
pub enum RedactOrderItemDocument {
    /// A bare order ID, e.g. `- 9001`.
    Id(OrderIdDocument),
    /// An order ID with a reason, e.g. `- id: 9002` and `reason: "GDPR erasure 2026-0042"`.
    Entry(RedactOrderEntryDocument),
}

/// A guest's order to redact, with the reason shown to reviewers.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RedactOrderWithReason")]
pub struct RedactOrderEntryDocument {
    /// The order ID.
    pub id: OrderIdDocument,
    /// Why this order must be redacted: non-empty text, never an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub reason: Option<String>,
    /// The day the erasure request arrived, `YYYY-MM-DD` without quotes; not after today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "date"))]
    pub received: Option<String>,
    /// The erasure request this entry belongs to (PRODUCT §16), e.g. `DSR-2026-0043`: letters,
    /// digits, `.`, `_`, `:` and `-`, never an email address. Entries of one request agree on
    /// `received`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9._:-]{1,64}$"))]
    pub request: Option<String>,
}

/// A customer ID: a whole number from 1 to 4294967295, written as plain decimal digits (no quotes, no
/// leading zero, no `_`, `0x`, exponent or sign).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CustomerId")]
pub struct CustomerIdDocument(#[schemars(range(min = 1, max = 4294967295u32))] pub u32);

/// A newsletter subscriber ID: a whole number from 1 to 4294967295, written as plain decimal digits (no
/// quotes, no leading zero, no `_`, `0x`, exponent or sign).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "SubscriberId")]
pub struct SubscriberIdDocument(#[schemars(range(min = 1, max = 4294967295u32))] pub u32);

/// One entry of `absent`: a bare customer ID, or a mapping with the ID and the reason it must be deleted.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AbsentEntry")]
pub enum AbsentItemDocument {
    /// A bare customer ID, e.g. `- 101`.
    Id(CustomerIdDocument),
    /// A customer ID with a reason, e.g. `- id: 102` and `reason: "GDPR erasure 2026-0042"`.
    Entry(AbsentEntryDocument),
}

/// A customer ID that must not exist, with the reason shown to reviewers and recorded in the state file.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AbsentEntryWithReason")]
pub struct AbsentEntryDocument {
    /// The customer ID.
    pub id: CustomerIdDocument,
    /// Why this customer must be deleted (a ticket, a request number): non-empty text, quoted if it
    /// looks like a number, never an email address (the manifest lives in git history, which cannot be
    /// erased).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub reason: Option<String>,
    /// The day the erasure request arrived, `YYYY-MM-DD` without quotes; not after today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "date"))]
    pub received: Option<String>,
    /// The erasure request this entry belongs to (PRODUCT §16), e.g. `DSR-2026-0043`: letters,
    /// digits, `.`, `_`, `:` and `-`, never an email address. Entries of one request agree on
    /// `received`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9._:-]{1,64}$"))]
    pub request: Option<String>,
    /// `redact`: this customer's orders are redacted once their retention ends (PRODUCT §15);
    /// requires `orders_retention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<OrdersActionDocument>,
}

/// One entry of `absent_subscribers`: a bare subscriber ID, or a mapping with the ID and the reason.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "AbsentSubscriber")]
pub enum AbsentSubscriberItemDocument {
    /// A bare subscriber ID, e.g. `- 5001`.
    Id(SubscriberIdDocument),
    /// A subscriber ID with a reason, e.g. `- id: 5002` and `reason: "GDPR erasure 2026-0042"`.
    Entry(AbsentSubscriberEntryDocument),
}

/// A newsletter subscriber ID that must not exist, with the reason shown to reviewers and recorded in
/// the state file.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "AbsentSubscriberWithReason")]
pub struct AbsentSubscriberEntryDocument {
    /// The subscriber ID.
    pub id: SubscriberIdDocument,
    /// Why this subscriber must be deleted (a ticket, a request number): non-empty text, quoted if it
    /// looks like a number, never an email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub reason: Option<String>,
    /// The day the erasure request arrived, `YYYY-MM-DD` without quotes; not after today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("format" = "date"))]
    pub received: Option<String>,
    /// The erasure request this entry belongs to (PRODUCT §16), e.g. `DSR-2026-0043`: letters,
    /// digits, `.`, `_`, `:` and `-`, never an email address. Entries of one request agree on
    /// `received`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9._:-]{1,64}$"))]
    pub request: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(files: usize, absent: usize, protect: usize) -> Manifest {
        let file: Arc<Path> = Arc::from(Path::new("m.yaml"));
        Manifest {
            path: PathBuf::from("m.yaml"),
            files: vec![PathBuf::from("m.yaml"); files],
            sha256: String::new(),
            store_hash: None,
            max_deletes: DEFAULT_MAX_DELETES,
            protect: (1..=protect as u32).collect(),
            absent_subscribers: Vec::new(),
            respond_within_days: None,
            orders: Default::default(),
            absent: (0..absent as u32)
                .map(|i| AbsentEntry {
                    id: 1000 + i,
                    reason: None,
                    received: None,
                    request: None,
                    location: Location {
                        file: Arc::clone(&file),
                        line: 1,
                        column: 1,
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn summary_counts_with_singular_and_plural() {
        assert_eq!(
            manifest(1, 1, 0).summary(),
            "Read 1 manifest file: 1 customer ID must be absent, 0 protected."
        );
        assert_eq!(
            manifest(3, 52, 2).summary(),
            "Read 3 manifest files: 52 customer IDs must be absent, 2 protected."
        );
        let mut both = manifest(2, 3, 0);
        both.absent_subscribers = both.absent[..1].to_vec();
        assert_eq!(
            both.summary(),
            "Read 2 manifest files: 3 customer IDs and 1 subscriber ID must be absent, 0 protected."
        );
        both.absent_subscribers = both.absent.clone();
        assert!(
            both.summary()
                .contains("3 customer IDs and 3 subscriber IDs must be absent")
        );
        let resources: Vec<(Resource, u32)> = both.entries().map(|(r, e)| (r, e.id)).collect();
        assert_eq!(
            resources,
            [
                (Resource::Customer, 1000),
                (Resource::Customer, 1001),
                (Resource::Customer, 1002),
                (Resource::Subscriber, 1000),
                (Resource::Subscriber, 1001),
                (Resource::Subscriber, 1002),
            ]
        );
    }

    #[test]
    fn due_is_a_calendar_month_or_respond_within_days_later() {
        let mut manifest = manifest(1, 0, 0);
        let received = jiff::civil::date(2026, 1, 31);
        assert_eq!(manifest.due(received), jiff::civil::date(2026, 2, 28));
        manifest.respond_within_days = Some(45);
        assert_eq!(manifest.due(received), jiff::civil::date(2026, 3, 17));
    }

    #[test]
    fn location_shows_line_and_column_or_only_the_path() {
        let file: Arc<Path> = Arc::from(Path::new("customers/gdpr.yaml"));
        let at = |line, column| Location {
            file: Arc::clone(&file),
            line,
            column,
        };
        assert_eq!(at(3, 7).to_string(), "customers/gdpr.yaml:3:7");
        assert_eq!(at(0, 0).to_string(), "customers/gdpr.yaml");
        let errors = ManifestErrors(vec![
            ManifestError {
                location: at(1, 1),
                message: "first".into(),
            },
            ManifestError {
                location: at(2, 5),
                message: "second".into(),
            },
        ]);
        assert_eq!(
            errors.to_string(),
            "customers/gdpr.yaml:1:1: first\ncustomers/gdpr.yaml:2:5: second"
        );
    }
}
