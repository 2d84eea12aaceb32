//! `bcprune import` (PRODUCT.md §8): erasure requests arrive as emails; this turns them into a new
//! manifest file that holds IDs only. Emails come from arguments, a CSV file or standard input; each is
//! checked (an address, a reason, a `received` date), resolved to customer and subscriber IDs by the
//! caller (`api::Client::customers_by_email` / `subscribers_by_email`), and [`build`] writes the manifest
//! text: `version`, `store_hash`, `absent`, `absent_subscribers`, `reason` and `received` on every entry,
//! a header comment with the date, the store and how many emails matched nothing — never which, and never
//! an email. [`write_new`] creates the file atomically, only if it does not exist, after the text has
//! passed the manifest's own checks.
//!
//! Why so strict: a manifest lives in git history, which cannot be erased, so an address written into it
//! would outlive the erasure it asks for. Errors name the input line (`file:line`, `stdin:line`,
//! `argument N`) and show an address only masked.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::civil::Date;

use crate::Resource;
use crate::manifest::Days;
use crate::mask;

/// The name of the state file, whose presence marks the directory `plan` and `apply` run on.
const STATE_FILE: &str = "bcprune.state.json";

/// Where one email came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The N-th email argument (1-based).
    Argument(usize),
    /// A line of a CSV file or of standard input (`stdin`).
    Line { source: String, line: usize },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Argument(n) => write!(f, "argument {n}"),
            Origin::Line { source, line } => write!(f, "{source}:{line}"),
        }
    }
}

/// One erasure request to look up: a checked address with its reason and date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The address, trimmed, as given (never written, never printed in clear).
    pub email: String,
    pub reason: String,
    pub received: Date,
    pub origin: Origin,
}

/// A problem with one input line; the message never holds an address in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{}: {}", self.origin, self.message);
        f.write_str(&mask::addresses(&text))
    }
}

/// The flags every request falls back on (a CSV row's own values override them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    /// `--reason`.
    pub reason: Option<String>,
    /// `--received`, as typed (checked like a CSV value).
    pub received: Option<String>,
}

/// Why `import` stopped; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Some inputs are invalid: every one is listed.
    #[error("{}", render_inputs(.0))]
    Input(Vec<InputError>),
    /// No email was given.
    #[error(
        "no email to import: give addresses as arguments, --from CSV (a header naming `email`), or `-` \
         to read one per line from standard input"
    )]
    NoEmail,
    /// The target file exists.
    #[error(
        "{} already exists: import writes a new manifest file, one per request, and never changes one. \
         Pick a new file name (e.g. customers/2026/12/request-0043.yaml)",
        .0.display()
    )]
    Exists(PathBuf),
    /// An input file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The new file could not be written.
    #[error("cannot write {}: {source}. Nothing was written", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text import made did not pass the manifest's checks (a bug: please report it).
    #[error(
        "the manifest import made for {} does not pass the manifest checks ({0}); nothing was written. \
         Please report this",
        path.display()
    )]
    Invalid { path: PathBuf, message: String },
    /// FILE is not a file `plan` reads in its manifest directory.
    #[error(
        "--into {}: {why}; `plan` would never read it, so the request would be neither carried out nor \
         listed as pending. Name a .yaml file outside hidden directories (e.g. \
         customers/2026/12/request-0043.yaml); nothing was looked up or written",
        into.display()
    )]
    NotRead {
        into: PathBuf,
        why: crate::manifest::NotRead,
    },
    /// `--request ID` over requests (or entries already in the manifest directory) that arrived on
    /// different days: the entries of one request agree on `received` (PRODUCT §16).
    #[error(
        "--request {request}: {what}; the entries of one request agree on `received` (the day it \
         arrived). Import each request with its own --request, or give --received; nothing was looked \
         up or written"
    )]
    RequestDays {
        request: crate::manifest::RequestId,
        what: String,
    },
    /// Some addresses resolved only to protected customers: a file would record nothing for them, as if
    /// they had matched nothing, and the requests would look carried out.
    #[error("{}", render_only_protected(.0))]
    OnlyProtected(Vec<(String, Vec<u32>)>),
    /// `--orders redact`, but no file of the manifest directory sets `orders_retention`: the file
    /// import writes has none, so the directory would not validate (PRODUCT §15).
    #[error(
        "--orders redact: no file of the manifest directory {} sets `orders_retention` (how many years \
         the law keeps orders, and on what basis, before they may be redacted); a file import writes \
         has none, so the directory would not validate. Add it to a file there first, e.g. \
         `orders_retention: {{years: 10, basis: \"§147 AO\"}}` beside `version: 1` and `absent: []`; \
         nothing was looked up or written",
        dir.display()
    )]
    NoRetention { dir: PathBuf },
    /// `--manifest DIR` is not a directory holding FILE.
    #[error(
        "{} is not inside the manifest directory {}: the new file must be part of the manifest that \
         `plan` reads",
        into.display(),
        dir.display()
    )]
    NotInside { into: PathBuf, dir: PathBuf },
}

fn render_only_protected(addresses: &[(String, Vec<u32>)]) -> String {
    let mut lines: Vec<String> = addresses
        .iter()
        .map(|(masked, ids)| {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            format!(
                "{masked} matches only protected customer{} {} (`protect` in the manifest directory): \
                 bcprune will not erase {}",
                if ids.len() == 1 { "" } else { "s" },
                ids.join(", "),
                if ids.len() == 1 { "it" } else { "them" }
            )
        })
        .collect();
    lines.push(
        "nothing was written: remove the IDs from `protect` if the person must be erased, or leave \
         these addresses out and answer those requests another way"
            .to_string(),
    );
    lines.join("\nerror: ")
}

fn render_inputs(errors: &[InputError]) -> String {
    // `InputError`'s Display masks every address-like token.
    let mut text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    text.push(format!(
        "{} invalid input{}; nothing was looked up or written",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    ));
    text.join("\nerror: ")
}

/// Why a value is not an email address; the message shows the value masked (its first character and
/// its domain), never in clear.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing was given.
    #[error("the email is empty")]
    Empty,
    /// The value (as `shown`) breaks the rule `why` names.
    #[error("{shown} is not a valid email address: {why}")]
    Invalid {
        /// The value as an error may show it.
        shown: String,
        /// The part of the rule it breaks.
        why: &'static str,
    },
}

/// Why a reason given to `import` is refused; the message does not repeat the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// Empty or blank.
    #[error("the reason is empty: say why, e.g. `GDPR erasure request 2026-0042`")]
    Empty,
    /// A control or bidirectional-control character.
    #[error(
        "the reason holds a control or bidirectional-control character: a reason is one line of plain text"
    )]
    Control,
    /// Anything shaped like an email address.
    #[error(
        "the reason contains an email address: a manifest lives in git history, which cannot be \
         erased; write a ticket or request number instead (e.g. `GDPR erasure request 2026-0042`)"
    )]
    Email,
    /// A line feed or tab.
    #[error(
        "the reason holds a line break or tab: a reason is one line of plain text (it becomes one line \
         of the manifest)"
    )]
    LineBreak,
}

/// Check an email address (trimmed): one `@`, a local part of printable characters, a domain of
/// dot-separated labels ending in a top-level label of at least two letters. Says why not, without it.
pub fn check_email(email: &str) -> Result<(), EmailError> {
    let invalid = |why: &'static str| {
        Err(EmailError::Invalid {
            shown: shown(email),
            why,
        })
    };
    if email.is_empty() {
        return Err(EmailError::Empty);
    }
    if email.chars().count() > 254 {
        return invalid("longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid("no @");
    };
    if domain.contains('@') {
        return invalid("more than one @");
    }
    if local.is_empty() || local.chars().count() > 64 {
        return invalid("the part before the @ must have 1 to 64 characters");
    }
    let bad = |c: char| c.is_whitespace() || c.is_control() || ",;<>()[]\\\"".contains(c);
    if local.chars().any(bad) || local.starts_with('.') || local.ends_with('.') {
        return invalid(
            "the part before the @ holds a space, a comma or another character no address has",
        );
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return invalid("the domain must be names separated by dots, like example.com");
    }
    let top = labels.last().copied().unwrap_or_default();
    if top.chars().count() < 2 || !top.chars().all(char::is_alphabetic) {
        return invalid("the domain must end in a name of at least two letters, like .com");
    }
    Ok(())
}

/// An address as an error may show it: the whole value masked as one address ([`mask::email`]: its
/// first character and what follows its last at sign, so a cell holding several shows none of them),
/// and nothing of a value without an at sign (`***`).
fn shown(email: &str) -> String {
    format!("`{}`", crate::text::sanitize(&mask::email(email), Some(80)))
}

/// Check a reason: what a manifest refuses in a reason ([`crate::manifest::reason_flaw`]: a control or
/// bidirectional-control character, anything shaped like an email address), refused here by the same
/// rule; and, more than a manifest, emptiness and a line feed or tab (the reason becomes one
/// double-quoted line of the new manifest, where YAML would fold a line feed into a space). The message
/// does not repeat the reason (it may hold an address).
pub fn check_reason(reason: &str) -> Result<(), ReasonError> {
    use crate::manifest::ReasonFlaw;
    if reason.trim().is_empty() {
        return Err(ReasonError::Empty);
    }
    match crate::manifest::reason_flaw(reason) {
        Some(ReasonFlaw::Control(_) | ReasonFlaw::Bidi(_)) => Err(ReasonError::Control),
        Some(ReasonFlaw::Email) => Err(ReasonError::Email),
        None if reason.contains(['\n', '\t']) => Err(ReasonError::LineBreak),
        None => Ok(()),
    }
}

/// Read a `received` date: the manifest's one rule ([`crate::manifest::parse_received`]: `YYYY-MM-DD`,
/// a real calendar day, not after `latest`, today in the earliest time zone), on the trimmed value.
pub fn parse_date(text: &str, latest: Date) -> Result<Date, crate::manifest::ReceivedError> {
    crate::manifest::parse_received(text.trim(), latest)
}

/// Make one request from raw values, or say what is wrong with them (every problem of the line).
fn request(
    email: &str,
    reason: Option<&str>,
    received: Option<&str>,
    defaults: &Defaults,
    days: Days,
    origin: Origin,
) -> Result<Request, Vec<InputError>> {
    let email = email.trim();
    let mut problems = Vec::new();
    if let Err(why) = check_email(email) {
        problems.push(why.to_string());
    }
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .or(defaults.reason.as_deref().map(str::trim));
    let reason = match reason {
        Some(reason) => match check_reason(reason) {
            Ok(()) => Some(reason.to_string()),
            Err(why) => {
                problems.push(why.to_string());
                None
            }
        },
        None => {
            problems.push(
                "no reason: pass --reason TEXT (e.g. a ticket number) or give a `reason` column"
                    .to_string(),
            );
            None
        }
    };
    let received = received
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .or(defaults.received.as_deref());
    let received = match received {
        Some(text) => match parse_date(text, days.latest) {
            Ok(date) => Some(date),
            Err(why) => {
                problems.push(why.to_string());
                None
            }
        },
        None => Some(days.today),
    };
    match (reason, received) {
        (Some(reason), Some(received)) if problems.is_empty() => Ok(Request {
            email: email.to_string(),
            reason,
            received,
            origin,
        }),
        _ => Err(problems
            .into_iter()
            .map(|message| InputError {
                origin: origin.clone(),
                message,
            })
            .collect()),
    }
}

/// Requests from email arguments (`-` excluded by the caller).
pub fn from_arguments(
    emails: &[(usize, String)],
    defaults: &Defaults,
    days: Days,
) -> (Vec<Request>, Vec<InputError>) {
    collect(emails.iter().map(|(position, email)| {
        request(
            email,
            None,
            None,
            defaults,
            days,
            Origin::Argument(*position),
        )
    }))
}

/// Requests from text holding one email per line (standard input), lines ended by LF, CRLF or a lone
/// CR; blank lines are skipped.
pub fn from_lines(
    text: &str,
    source: &str,
    defaults: &Defaults,
    days: Days,
) -> (Vec<Request>, Vec<InputError>) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    collect(
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                let origin = Origin::Line {
                    source: source.to_string(),
                    line: index + 1,
                };
                request(line, None, None, defaults, days, origin)
            }),
    )
}

/// Requests from a CSV file (RFC 4180: quoted fields, doubled quotes, CRLF, LF or CR; a BOM is skipped): a
/// header naming `email` and optionally `reason` and `received` (any case; other columns are ignored).
pub fn from_csv(
    text: &str,
    source: &str,
    defaults: &Defaults,
    days: Days,
) -> (Vec<Request>, Vec<InputError>) {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let at = |line: usize| Origin::Line {
        source: source.to_string(),
        line,
    };
    let records = match csv_records(text) {
        Ok(records) => records,
        Err((line, message)) => {
            return (
                Vec::new(),
                vec![InputError {
                    origin: at(line),
                    message,
                }],
            );
        }
    };
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        return (
            Vec::new(),
            vec![InputError {
                origin: at(1),
                message: "the file is empty: it needs a header line naming an `email` column"
                    .into(),
            }],
        );
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let column = |name: &str| names.iter().position(|n| n == name);
    let duplicate = ["email", "reason", "received"]
        .into_iter()
        .find(|name| names.iter().filter(|n| n == name).count() > 1);
    if let Some(name) = duplicate {
        let message = format!("the header names the column `{name}` twice");
        return (
            Vec::new(),
            vec![InputError {
                origin: at(header_line),
                message,
            }],
        );
    }
    let Some(email_column) = column("email") else {
        let message = "the header line names no `email` column (columns: email, and optionally \
                       reason and received)"
            .to_string();
        return (
            Vec::new(),
            vec![InputError {
                origin: at(header_line),
                message,
            }],
        );
    };
    let (reason_column, received_column) = (column("reason"), column("received"));
    collect(
        records
            .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()))
            .map(|(line, fields)| {
                if fields.len() > names.len() {
                    return Err(vec![InputError {
                        origin: at(line),
                        message: format!(
                            "the row has {} fields but the header names {} columns (quote a value \
                             that holds a comma)",
                            fields.len(),
                            names.len()
                        ),
                    }]);
                }
                let field =
                    |index: Option<usize>| index.and_then(|i| fields.get(i)).map(String::as_str);
                let email = field(Some(email_column)).unwrap_or("");
                request(
                    email,
                    field(reason_column),
                    field(received_column),
                    defaults,
                    days,
                    at(line),
                )
            }),
    )
}

fn collect(
    results: impl Iterator<Item = Result<Request, Vec<InputError>>>,
) -> (Vec<Request>, Vec<InputError>) {
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(request) => requests.push(request),
            Err(problems) => errors.extend(problems),
        }
    }
    (requests, errors)
}

/// CSV records, each with the line it starts on.
type Records = Vec<(usize, Vec<String>)>;

/// Split CSV text into records (RFC 4180, read by the `csv` crate: LF, CRLF or a lone CR end a record;
/// blank lines are skipped; rows may have fewer or more fields than the header), each with the line it
/// starts on. A quote left open is an error naming the line it opened on.
fn csv_records(text: &str) -> Result<Records, (usize, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Records::new();
    let mut lines = LineCounter::default();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        let read = reader.read_record(&mut record);
        // The reader's position is where it stopped; the record starts after the line ends it skipped.
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(text.len());
        let start =
            start + text[start..].len() - text[start..].trim_start_matches(['\r', '\n']).len();
        let line = lines.line_at(text, start);
        match read {
            Ok(true) => records.push((line, record.iter().map(str::to_owned).collect())),
            Ok(false) => break,
            Err(error) => return Err((line, format!("the file cannot be read as CSV: {error}"))),
        }
    }
    if let Some((line, fields)) = records.last()
        && ends_in_open_quote(text, fields)
    {
        let before: usize = fields[..fields.len() - 1]
            .iter()
            .map(|f| line_breaks(f))
            .sum();
        return Err((
            line + before,
            "a quoted field is never closed (a `\"` is missing)".to_string(),
        ));
    }
    Ok(records)
}

/// Whether the CSV `text`, whose last record has `fields`, ends inside a quoted field (the `csv` crate
/// reads such a field leniently, to the end of the input). Told by closing it: `",z` appended closes an
/// open quote and adds the field `z`, and does anything else to a record whose quotes are all closed.
fn ends_in_open_quote(text: &str, fields: &[String]) -> bool {
    if !text.contains('"') {
        return false;
    }
    let closed = format!("{text}\",z");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(closed.as_bytes());
    let Some(Ok(last)) = reader.records().last() else {
        return false;
    };
    last.len() == fields.len() + 1
        && last.iter().zip(fields).all(|(a, b)| a == b)
        && last.get(fields.len()) == Some("z")
}

/// How many line ends (LF, CRLF or a lone CR, each one) `text` holds.
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || bytes[i - 1] != b'\r')))
        .count()
}

/// The 1-based line of a byte offset, counted incrementally over increasing offsets (each the start of
/// a record, so never inside a CRLF).
#[derive(Default)]
struct LineCounter {
    offset: usize,
    breaks: usize,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> usize {
        if offset > self.offset {
            self.breaks += line_breaks(&text[self.offset..offset]);
            self.offset = offset;
        }
        self.breaks + 1
    }
}

/// What one address resolved to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub customers: Vec<u32>,
    pub subscribers: Vec<u32>,
    /// With `--orders redact` ([`look_up_orders`]): the orders whose billing email is the address, as
    /// (order ID, customer ID — 0 for a guest), sorted; `None` when orders were not looked up.
    pub orders: Option<Vec<(u32, u32)>>,
}

impl Found {
    /// Whether the address matched nothing at all: no customer, no subscriber, no order.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
            && self.subscribers.is_empty()
            && self.orders.as_ref().is_none_or(Vec::is_empty)
    }

    /// The guests' orders (`customer_id` 0): what `redact_orders` lists. A customer's orders are
    /// found by the customer's own discovery once its entry says `orders: redact`.
    pub fn guest_orders(&self) -> Vec<u32> {
        self.orders_where(|customer| customer == 0)
    }

    /// The orders of the customers this address matched (redacted through their `orders: redact`).
    pub fn customer_orders(&self) -> Vec<u32> {
        self.orders_where(|customer| self.customers.contains(&customer))
    }

    /// The orders of customers this address did not match (an account whose email changed since):
    /// neither listed nor covered; shown so a reviewer can look at those customers.
    pub fn other_orders(&self) -> Vec<(u32, u32)> {
        self.orders
            .iter()
            .flatten()
            .copied()
            .filter(|&(_, customer)| customer != 0 && !self.customers.contains(&customer))
            .collect()
    }

    fn orders_where(&self, keep: impl Fn(u32) -> bool) -> Vec<u32> {
        self.orders
            .iter()
            .flatten()
            .filter(|&&(_, customer)| keep(customer))
            .map(|&(order, _)| order)
            .collect()
    }
}

/// `import --orders redact` (PRODUCT §15): each address's orders from `lookup` — orders by email →
/// (order ID, customer ID, 0 for a guest) — one address at a time, in order, into `found`'s
/// [`Found::orders`]. All or nothing: the first error stops it. A seam of its own so the rules above
/// are tested without a store; the CLI passes the API client's lookup.
pub async fn look_up_orders<F, Fut, E>(
    found: &mut [(Request, Found)],
    mut lookup: F,
) -> Result<(), E>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<(u32, u32)>, E>>,
{
    for (request, found) in found.iter_mut() {
        let mut orders = lookup(request.email.clone()).await?;
        orders.sort_unstable();
        orders.dedup();
        found.orders = Some(orders);
    }
    Ok(())
}

/// What a manifest directory already says about orders: the guests' orders it lists
/// (`redact_orders`, with where) and the customers whose entry says `orders: redact`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedOrders {
    pub orders: BTreeMap<u32, String>,
    pub redacting: BTreeSet<u32>,
}

/// The order keys of a loaded manifest, as [`build`] reads them.
pub fn listed_orders(manifest: &crate::manifest::Manifest) -> ListedOrders {
    ListedOrders {
        orders: manifest
            .orders
            .redact_orders
            .iter()
            .map(|entry| (entry.id, entry.location.to_string()))
            .collect(),
        redacting: manifest.orders.redact_customers.clone(),
    }
}

/// What `--orders redact` wrote and left out, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrdersBuilt {
    /// Whether orders were looked up at all (`--orders redact`).
    pub asked: bool,
    /// Guests' orders listed in `redact_orders`.
    pub guest_orders: usize,
    /// Customer entries written with `orders: redact`.
    pub redacting: usize,
    /// Guests' orders left out: already listed at (order ID, where).
    pub left_out: Vec<(u32, String)>,
    /// Customers left out as listed elsewhere whose entry there lacks `orders: redact`: (ID, where).
    pub not_redacting: Vec<(u32, String)>,
    /// Orders found by an address that belong to a customer it did not match: (order ID, customer ID).
    pub others: Vec<(u32, u32)>,
}

/// IDs a manifest directory already lists, with where (`file:line:column`).
pub type Listed = BTreeMap<(Resource, u32), String>;

/// One ID left out because the directory lists it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub resource: Resource,
    pub id: u32,
    /// Where it is listed.
    pub at: String,
}

/// The result of [`build`]: the file's text and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The manifest text (IDs, reasons and dates only).
    pub text: String,
    /// Per address (masked), what it resolved to (all of it, including IDs left out).
    pub resolved: Vec<(String, Found)>,
    /// IDs left out because the manifest directory lists them already.
    pub left_out: Vec<LeftOut>,
    /// How many addresses matched nothing.
    pub unmatched: usize,
    /// How many customer and subscriber IDs the file lists.
    pub customers: usize,
    pub subscribers: usize,
    /// Addresses (masked) that resolved only to customers the manifest directory protects, with those
    /// IDs: the file would say nothing about them, as if they had matched nothing ([`ImportError::OnlyProtected`]).
    pub only_protected: Vec<(String, Vec<u32>)>,
    /// What `--orders redact` wrote and left out.
    pub orders: OrdersBuilt,
}

/// The new manifest's text for `requests` (each with what it resolved to, in the same order), leaving
/// out IDs `listed` already names. Pure. An ID found through two addresses is listed once, with the
/// first one's reason and date.
///
/// With orders looked up (`--orders redact`, [`Found::orders`]), every customer entry written says
/// `orders: redact` and the guests' orders become `redact_orders` entries with the request's reason and
/// date; nothing about orders is written otherwise.
pub fn build(
    requests: &[(Request, Found)],
    listed: &Listed,
    listed_orders: &ListedOrders,
    store_hash: &str,
    today: Date,
) -> Built {
    let mut seen: BTreeSet<(Resource, u32)> = BTreeSet::new();
    let mut entries: BTreeMap<Resource, Vec<(u32, &Request)>> = BTreeMap::new();
    let mut left_out = Vec::new();
    let mut resolved = Vec::new();
    let mut unmatched = 0;
    let mut only_protected = Vec::new();
    for (request, found) in requests {
        resolved.push((mask::email(&request.email), found.clone()));
        if found.is_empty() {
            unmatched += 1;
        }
        let protected = |id: &u32| {
            listed
                .get(&(Resource::Customer, *id))
                .is_some_and(|at| at == PROTECTED)
        };
        if !found.customers.is_empty()
            && found.subscribers.is_empty()
            && found.guest_orders().is_empty()
            && found.customers.iter().all(protected)
        {
            only_protected.push((mask::email(&request.email), found.customers.clone()));
        }
        let ids = found
            .customers
            .iter()
            .map(|&id| (Resource::Customer, id))
            .chain(
                found
                    .subscribers
                    .iter()
                    .map(|&id| (Resource::Subscriber, id)),
            );
        for (resource, id) in ids {
            if !seen.insert((resource, id)) {
                continue;
            }
            if let Some(at) = listed.get(&(resource, id)) {
                left_out.push(LeftOut {
                    resource,
                    id,
                    at: at.clone(),
                });
                continue;
            }
            entries.entry(resource).or_default().push((id, request));
        }
    }
    let count = |resource| entries.get(&resource).map_or(0, Vec::len);
    let (customers, subscribers) = (count(Resource::Customer), count(Resource::Subscriber));
    let (guest_orders, mut orders) = order_entries(requests, listed, listed_orders);
    let redacting: BTreeSet<u32> = if orders.asked {
        entries
            .get(&Resource::Customer)
            .into_iter()
            .flatten()
            .map(|(id, _)| *id)
            .collect()
    } else {
        BTreeSet::new()
    };
    orders.redacting = redacting.len();
    let mut text = String::new();
    let emails = requests.len();
    text.push_str(&format!(
        "# Written by bcprune import on {today} for store {store_hash}: {emails} email{} looked up, \
         {unmatched} matched nothing.\n",
        if emails == 1 { "" } else { "s" }
    ));
    text.push_str(
        "# IDs only: the emails are not written here or in any other file (git history cannot be erased).\n",
    );
    if orders.asked {
        text.push_str(
            "# Orders: each customer's are redacted once their retention ends (`orders_retention` of the \
             manifest directory); guests' orders found by email are in redact_orders.\n",
        );
    }
    text.push_str("version: 1\n");
    text.push_str(&format!("store_hash: {}\n", yaml_string(store_hash)));
    for (resource, key) in [
        (Resource::Customer, "absent"),
        (Resource::Subscriber, "absent_subscribers"),
    ] {
        let list = entries.get(&resource).map_or(&[][..], Vec::as_slice);
        if list.is_empty() {
            text.push_str(&format!("{key}: []\n"));
            continue;
        }
        text.push_str(&format!("{key}:\n"));
        for (id, request) in list {
            text.push_str(&format!(
                "  - id: {id}\n    reason: {}\n    received: {}\n",
                yaml_string(&request.reason),
                request.received
            ));
            if resource == Resource::Customer && redacting.contains(id) {
                text.push_str("    orders: redact\n");
            }
        }
    }
    if orders.asked {
        write_redact_orders(&mut text, &guest_orders);
    }
    Built {
        text,
        resolved,
        left_out,
        unmatched,
        customers,
        subscribers,
        only_protected,
        orders,
    }
}

/// `--orders redact`: the guests' orders to list (each once, with the first request that found it),
/// and what the summary says — orders already listed in the directory left out, customers left out as
/// listed elsewhere without `orders: redact` there, orders of customers the address did not match.
fn order_entries<'a>(
    requests: &'a [(Request, Found)],
    listed: &Listed,
    listed_orders: &ListedOrders,
) -> (Vec<(u32, &'a Request)>, OrdersBuilt) {
    let mut built = OrdersBuilt::default();
    let mut entries = Vec::new();
    let mut seen = BTreeSet::new();
    let mut flagged = BTreeSet::new();
    for (request, found) in requests {
        if found.orders.is_none() {
            continue;
        }
        built.asked = true;
        for order in found.guest_orders() {
            if !seen.insert(order) {
                continue;
            }
            match listed_orders.orders.get(&order) {
                Some(at) => built.left_out.push((order, at.clone())),
                None => entries.push((order, request)),
            }
        }
        for &customer in &found.customers {
            let elsewhere = listed.get(&(Resource::Customer, customer));
            if let Some(at) = elsewhere.filter(|at| *at != PROTECTED)
                && !listed_orders.redacting.contains(&customer)
                && flagged.insert(customer)
            {
                built.not_redacting.push((customer, at.clone()));
            }
        }
        built.others.extend(found.other_orders());
    }
    built.others.sort_unstable();
    built.others.dedup();
    entries.sort_by_key(|(order, _)| *order);
    built.guest_orders = entries.len();
    (entries, built)
}

/// The `redact_orders` section: guests' orders by ID, with their request's reason and date.
fn write_redact_orders(text: &mut String, entries: &[(u32, &Request)]) {
    if entries.is_empty() {
        text.push_str("redact_orders: []\n");
        return;
    }
    text.push_str("redact_orders:\n");
    for (id, request) in entries {
        text.push_str(&format!(
            "  - id: {id}\n    reason: {}\n    received: {}\n",
            yaml_string(&request.reason),
            request.received
        ));
    }
}

/// `import --request ID` (PRODUCT §16): the manifest text [`build`] made, with `request: ID` on every
/// entry (after each entry's `received`, which every entry `build` writes carries).
pub fn with_request(text: &str, request: &crate::manifest::RequestId) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(line);
        if line.starts_with("    received: ") {
            out.push_str(&format!("    request: {}\n", yaml_string(request.as_str())));
        }
    }
    out
}

/// Check that `--request ID` can stand on every entry: the requests read all arrived on one day, and
/// the manifest directory's entries of the same request (if any) say that day too.
pub fn check_request_days(
    request: &crate::manifest::RequestId,
    requests: &[Request],
    existing: Option<&crate::manifest::Manifest>,
) -> Result<(), ImportError> {
    let error = |what: String| ImportError::RequestDays {
        request: request.clone(),
        what,
    };
    let Some(first) = requests.first() else {
        return Ok(());
    };
    if let Some(other) = requests.iter().find(|r| r.received != first.received) {
        return Err(error(format!(
            "{} says received {} but {} says {}",
            other.origin, other.received, first.origin, first.received
        )));
    }
    let listed = existing.into_iter().flat_map(|m| {
        m.entries()
            .map(|(_, entry)| entry)
            .chain(&m.orders.redact_orders)
    });
    for entry in listed {
        if entry.request.as_ref() == Some(request) && entry.received != Some(first.received) {
            let day = entry
                .received
                .map_or_else(|| "no `received`".to_string(), |d| format!("received {d}"));
            return Err(error(format!(
                "the manifest directory has it with {day} at {}, the requests say {}",
                entry.location, first.received
            )));
        }
    }
    Ok(())
}

/// A double-quoted YAML string (backslash and quote escaped; the text holds no control characters).
fn yaml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The manifest directory FILE belongs to: `explicit` (which must hold FILE), else the nearest
/// directory above FILE that holds a `bcprune.state.json` (where `plan` and `apply` run; the search
/// stops at a `.git` directory), else FILE's own directory.
pub fn manifest_dir(into: &Path, explicit: Option<&Path>) -> Result<PathBuf, ImportError> {
    let parent = crate::fsio::parent_dir(into).to_path_buf();
    if let Some(dir) = explicit {
        let canonical_dir = crate::fsio::canonical(dir);
        let canonical_parent = crate::fsio::canonical(&parent);
        if !dir.is_dir() || !canonical_parent.starts_with(&canonical_dir) {
            return Err(ImportError::NotInside {
                into: into.to_path_buf(),
                dir: dir.to_path_buf(),
            });
        }
        return Ok(dir.to_path_buf());
    }
    let mut current = Some(parent.as_path());
    let mut steps = 0;
    while let Some(dir) = current {
        if dir.join(STATE_FILE).is_file() {
            return Ok(dir.to_path_buf());
        }
        if dir.join(".git").exists() || steps > 32 {
            break;
        }
        steps += 1;
        current = dir.parent().filter(|p| !p.as_os_str().is_empty());
    }
    Ok(parent)
}

/// Refuse an `--into` that `plan` would not read in the manifest directory `dir`
/// ([`crate::manifest::check_read_path`], the loader's own rule). A relative FILE is checked as written
/// (every component: `.drafts/x.yaml` is hidden wherever the manifest directory is); an absolute one
/// below `dir` (the directories above the manifest are not the loader's to skip).
pub fn check_into(into: &Path, dir: &Path) -> Result<(), ImportError> {
    let relative = if into.is_absolute() {
        into.strip_prefix(dir).unwrap_or(into)
    } else {
        into
    };
    crate::manifest::check_read_path(relative).map_err(|why| ImportError::NotRead {
        into: into.to_path_buf(),
        why,
    })
}

/// Whether `dir` holds any file the manifest loader reads ([`crate::manifest::check_read_path`]:
/// `*.yaml` / `*.yml`, any case, hidden entries skipped).
pub fn holds_manifests(dir: &Path) -> bool {
    let mut pending = vec![dir.to_path_buf()];
    let mut visited = 0;
    while let Some(dir) = pending.pop() {
        visited += 1;
        if visited > 10_000 {
            return true;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if crate::manifest::check_read_path(Path::new(&*name)).is_ok() {
                // The loader's own rule for which files it reads.
                return true;
            }
        }
    }
    false
}

/// Where [`listed`] says a protected customer ID is: leaving it out keeps the directory valid (an ID both
/// absent and protected is an error).
pub const PROTECTED: &str = "protect";

/// The IDs a loaded manifest lists, with where; its protected customer IDs as [`PROTECTED`].
pub fn listed(manifest: &crate::manifest::Manifest) -> Listed {
    let protected = manifest
        .protect
        .iter()
        .map(|&id| ((Resource::Customer, id), PROTECTED.to_string()));
    manifest
        .entries()
        .map(|(resource, entry)| ((resource, entry.id), entry.location.to_string()))
        .chain(protected)
        .collect()
}

/// Create `path` with `text`, atomically and only if it does not exist: the text goes to a temporary file
/// beside it, is fsynced, checked by the manifest loader as a file joining its directory
/// ([`crate::manifest::load_joining`]; `received` not after `latest`), and linked into place without
/// replacing anything; the directory is fsynced.
pub fn write_new(path: &Path, text: &str, latest: Date) -> Result<(), ImportError> {
    let write_error = |source| ImportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = crate::fsio::parent_dir(path);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_error)?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(write_error)?;
    let options = crate::manifest::Options { today: latest };
    // A file import writes joins a directory: `orders_retention` stands in another of its files.
    if let Err(errors) = crate::manifest::load_joining(temp.path(), &options) {
        let message = errors
            .0
            .iter()
            .map(|e| format!("line {}: {}", e.location.line, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ImportError::Invalid {
            path: path.to_path_buf(),
            message,
        });
    }
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            ImportError::Exists(path.to_path_buf())
        } else {
            write_error(e.error)
        }
    })?;
    crate::fsio::sync_dir(dir).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 12, 1).expect("date")
    }

    #[test]
    fn emails_are_checked_and_errors_show_them_masked() {
        for good in ["jane@example.com", "J.Doe+tag@Shop.Example.CO", "a@b.de"] {
            assert_eq!(check_email(good), Ok(()), "{good}");
        }
        for bad in [
            "jane",
            "jane@",
            "@example.com",
            "ja ne@example.com",
            "jane@example",
            "a,b@x.com",
            "jane@x..com",
            "jane@x.c0m",
            "a@b@c.com",
        ] {
            let message = check_email(bad).expect_err(bad).to_string();
            if bad.len() > 4 {
                assert!(!message.contains(bad), "{message}");
            }
        }
    }

    #[test]
    fn reasons_with_an_address_or_controls_are_refused_without_repeating_them() {
        assert!(check_reason("GDPR erasure request 2026-0042").is_ok());
        let message = check_reason("from jane@example.com")
            .expect_err("email")
            .to_string();
        assert!(!message.contains("jane"), "{message}");
        assert!(check_reason("jane [at] example.com").is_err());
        assert!(check_reason("a\u{202E}b").is_err());
        assert!(check_reason("  ").is_err());
    }

    /// Issue 18: import refused any at sign (`ticket@2026`, which a manifest accepts) with its own copy
    /// of the rule. Now it refuses exactly what a manifest refuses in a reason, and more only for
    /// emptiness and line breaks, each with its own message.
    #[test]
    fn import_refuses_exactly_what_a_manifest_refuses_in_a_reason() {
        for text in [
            "GDPR erasure request 2026-0042",
            "ticket@2026",
            "v1.2@3.4",
            "meet @ 10.30",
            "see the chat (at) noon",
            "jane@example.com",
            "jane [at] example.com",
            "jane＠example.com",
            "a\u{202E}b",
            "a\u{1b}b",
            "a\u{85}b",
            "müller@bücher.de",
        ] {
            assert_eq!(
                check_reason(text).is_ok(),
                crate::manifest::reason_flaw(text).is_none(),
                "{text:?}"
            );
        }
        assert!(
            check_reason("two\nlines")
                .expect_err("newline")
                .to_string()
                .contains("line break")
        );
    }

    #[test]
    fn dates_are_real_days_not_after_today() {
        assert_eq!(
            parse_date("2026-11-30", today()),
            Ok(jiff::civil::date(2026, 11, 30))
        );
        assert!(parse_date("2026-02-30", today()).is_err());
        assert!(
            parse_date("2026-12-02", today())
                .expect_err("future")
                .to_string()
                .contains("after today")
        );
        assert!(parse_date("2026-1-3", today()).is_err());
    }

    #[test]
    fn csv_fields_may_be_quoted_hold_commas_quotes_and_newlines_and_rows_override_flags() {
        let text = "\u{FEFF}Email,Name,Reason,received\r\n\
                    jane@example.com,\"Doe, Jane\",\"ticket \"\"42\"\"\",2026-11-02\r\n\
                    \r\n\
                    bob@example.com,Bob,,\n";
        let defaults = Defaults {
            reason: Some("flag reason".into()),
            received: Some("2026-11-20".into()),
        };
        let (requests, errors) = from_csv(text, "r.csv", &defaults, Days::fixed(today()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].reason, "ticket \"42\"");
        assert_eq!(requests[0].received.to_string(), "2026-11-02");
        assert_eq!(requests[1].reason, "flag reason");
        assert_eq!(requests[1].received.to_string(), "2026-11-20");
        assert_eq!(requests[1].origin.to_string(), "r.csv:4");
    }

    #[test]
    fn csv_errors_name_the_line_and_every_bad_row() {
        let text = "email,received\njane@example.com,2026-11-02\nnot-an-email,2026-11-02\nbob@example.com,2026-13-01\n";
        let defaults = Defaults {
            reason: Some("r".into()),
            received: None,
        };
        let (_, errors) = from_csv(text, "r.csv", &defaults, Days::fixed(today()));
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(shown[0].starts_with("r.csv:3: "), "{shown:?}");
        assert!(
            shown[1].starts_with("r.csv:4: received 2026-13-01 is not a calendar date"),
            "{shown:?}"
        );
        let (_, errors) = from_csv("name\nx\n", "r.csv", &defaults, Days::fixed(today()));
        assert!(
            errors[0]
                .to_string()
                .starts_with("r.csv:1: the header line names no `email`")
        );
        let (_, errors) = from_csv("email\n\"open\n", "r.csv", &defaults, Days::fixed(today()));
        assert!(
            errors[0]
                .to_string()
                .starts_with("r.csv:2: a quoted field is never closed")
        );
    }

    /// The `csv` crate reads the file; lines are still counted as before (LF, CRLF, lone CR; a quoted
    /// line break counts), and a quote left open names the line it opened on.
    #[test]
    fn csv_lines_are_counted_for_every_line_end_and_an_open_quote_is_found() {
        let lines = |text: &str| -> Vec<usize> {
            csv_records(text)
                .expect("records")
                .iter()
                .map(|r| r.0)
                .collect()
        };
        assert_eq!(lines("email\ra\r\rb\r"), [1, 2, 4]);
        assert_eq!(lines("email\r\na\r\n\r\nb"), [1, 2, 4]);
        assert_eq!(lines("email\n\"a\r\nb\",x\nc,"), [1, 2, 4]);
        assert_eq!(
            csv_records("email\na,").expect("a trailing comma")[1].1,
            ["a", ""]
        );
        assert_eq!(
            csv_records("email\na,\"b\"").expect("closed")[1].1,
            ["a", "b"]
        );
        assert_eq!(
            csv_records("email\nx,\"two\nlines\",\"open\nmore")
                .expect_err("open")
                .0,
            3
        );
        assert_eq!(csv_records("email\n\"").expect_err("open").0, 2);
    }

    proptest::proptest! {
        /// Any records, written with RFC 4180 quoting and any line end (LF, CRLF, lone CR), read back as
        /// written, each on the line it starts on (line ends inside quoted fields counted).
        #[test]
        fn csv_records_read_back_as_written_on_their_lines(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z ,\"\r\n]{0,6}", 1..4), 1..6),
            ending in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
            tail in "[a-z ,\r\n]{0,6}",
        ) {
            let quote = |f: &String| {
                if f.is_empty() || f.contains([',', '"', '\r', '\n']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            };
            let mut text = String::new();
            let mut expected = Vec::new();
            for row in &rows {
                expected.push((1 + line_breaks(&text), row.clone()));
                let line: Vec<String> = row.iter().map(quote).collect();
                text.push_str(&line.join(","));
                text.push_str(ending);
            }
            proptest::prop_assert_eq!(csv_records(&text).expect("records"), expected, "{:?}", text);
            // A quote opened on the next line and never closed is named there.
            let open = format!("{text}\"{tail}");
            proptest::prop_assert_eq!(
                csv_records(&open).map_err(|e| e.0),
                Err(1 + line_breaks(&text)),
                "{:?}",
                open
            );
        }
    }

    #[test]
    fn a_request_goes_on_every_entry_and_its_requests_must_share_one_day() {
        let request = |line: usize, day: u32| Request {
            email: format!("p{line}@example.com"),
            reason: "GDPR".into(),
            received: Date::new(2026, 11, day as i8).expect("date"),
            origin: Origin::Line {
                source: "r.csv".into(),
                line,
            },
        };
        let found = Found {
            customers: vec![7],
            subscribers: vec![5],
            orders: None,
        };
        let built = build(
            &[(request(2, 2), found)],
            &Listed::default(),
            &ListedOrders::default(),
            "acme42",
            today(),
        );
        let id = crate::manifest::parse_request("DSR-43").expect("reference");
        let text = with_request(&built.text, &id);
        assert_eq!(
            text.matches("    request: \"DSR-43\"\n").count(),
            2,
            "{text}"
        );
        assert!(
            text.contains("    received: 2026-11-02\n    request: \"DSR-43\"\n"),
            "{text}"
        );
        assert!(check_request_days(&id, &[request(2, 2), request(3, 2)], None).is_ok());
        let error = check_request_days(&id, &[request(2, 2), request(3, 4)], None)
            .expect_err("two days")
            .to_string();
        assert!(
            error.starts_with(
                "--request DSR-43: r.csv:3 says received 2026-11-04 but r.csv:2 says 2026-11-02;"
            ),
            "{error}"
        );
    }

    #[test]
    fn build_lists_ids_once_leaves_out_listed_ones_and_writes_no_email() {
        let request = |email: &str| Request {
            email: email.into(),
            reason: "GDPR \"42\"".into(),
            received: Date::new(2026, 11, 2).expect("date"),
            origin: Origin::Argument(1),
        };
        let requests = vec![
            (
                request("jane@example.com"),
                Found {
                    customers: vec![7, 9],
                    subscribers: vec![5],
                    orders: None,
                },
            ),
            (
                request("JANE@example.com"),
                Found {
                    customers: vec![9],
                    subscribers: vec![],
                    orders: None,
                },
            ),
            (request("nobody@example.com"), Found::default()),
        ];
        let listed: Listed = [((Resource::Customer, 7), "m/a.yaml:4:5".to_string())].into();
        let built = build(
            &requests,
            &listed,
            &ListedOrders::default(),
            "acme42",
            today(),
        );
        assert_eq!(
            (built.customers, built.subscribers, built.unmatched),
            (1, 1, 1)
        );
        assert_eq!(
            built.left_out,
            [LeftOut {
                resource: Resource::Customer,
                id: 7,
                at: "m/a.yaml:4:5".into()
            }]
        );
        assert!(
            !built.text.to_lowercase().contains("example.com"),
            "{}",
            built.text
        );
        insta::assert_snapshot!(built.text, @r#"
        # Written by bcprune import on 2026-12-01 for store acme42: 3 emails looked up, 1 matched nothing.
        # IDs only: the emails are not written here or in any other file (git history cannot be erased).
        version: 1
        store_hash: "acme42"
        absent:
          - id: 9
            reason: "GDPR \"42\""
            received: 2026-11-02
        absent_subscribers:
          - id: 5
            reason: "GDPR \"42\""
            received: 2026-11-02
        "#);
    }

    fn request(email: &str, reason: &str) -> Request {
        Request {
            email: email.into(),
            reason: reason.into(),
            received: Date::new(2026, 11, 2).expect("date"),
            origin: Origin::Argument(1),
        }
    }

    /// `--orders redact`: customers get `orders: redact`, guests' orders (customer 0) become
    /// `redact_orders` entries once each, with their request's reason and date; an order listed
    /// already is left out, a customer listed elsewhere without `orders: redact` is named, an order
    /// of a customer no address matched is named and not written.
    #[test]
    fn build_with_orders_lists_guest_orders_and_marks_customers_and_names_what_it_leaves() {
        let found = |customers: Vec<u32>, orders: Vec<(u32, u32)>| Found {
            customers,
            subscribers: vec![],
            orders: Some(orders),
        };
        let requests = vec![
            (
                request("jane@example.com", "DSR 42"),
                found(vec![7, 9], vec![(100, 7), (101, 0), (102, 0), (103, 8)]),
            ),
            (
                request("j.doe@example.com", "DSR 43"),
                found(vec![], vec![(101, 0), (104, 0)]),
            ),
        ];
        let listed: Listed = [((Resource::Customer, 9), "m/a.yaml:4:5".to_string())].into();
        let listed_orders = ListedOrders {
            orders: [(104, "m/b.yaml:7:5".to_string())].into(),
            redacting: BTreeSet::new(),
        };
        let built = build(&requests, &listed, &listed_orders, "acme42", today());
        assert_eq!(
            built.orders,
            OrdersBuilt {
                asked: true,
                guest_orders: 2,
                redacting: 1,
                left_out: vec![(104, "m/b.yaml:7:5".into())],
                not_redacting: vec![(9, "m/a.yaml:4:5".into())],
                others: vec![(103, 8)],
            }
        );
        assert_eq!(requests[0].1.customer_orders(), [100]);
        insta::assert_snapshot!(built.text, @r#"
        # Written by bcprune import on 2026-12-01 for store acme42: 2 emails looked up, 0 matched nothing.
        # IDs only: the emails are not written here or in any other file (git history cannot be erased).
        # Orders: each customer's are redacted once their retention ends (`orders_retention` of the manifest directory); guests' orders found by email are in redact_orders.
        version: 1
        store_hash: "acme42"
        absent:
          - id: 7
            reason: "DSR 42"
            received: 2026-11-02
            orders: redact
        absent_subscribers: []
        redact_orders:
          - id: 101
            reason: "DSR 42"
            received: 2026-11-02
          - id: 102
            reason: "DSR 42"
            received: 2026-11-02
        "#);
        // An address whose only customer is protected but which found a guest order writes that order:
        // the file says something for it, as with a subscriber.
        let listed: Listed = [((Resource::Customer, 7), PROTECTED.to_string())].into();
        let guest = [(
            request("jane@example.com", "DSR 44"),
            found(vec![7], vec![(100, 7), (101, 0)]),
        )];
        let built = build(&guest, &listed, &ListedOrders::default(), "acme42", today());
        assert!(built.only_protected.is_empty());
        assert_eq!((built.customers, built.orders.guest_orders), (0, 1));
        let alone = [(
            request("jane@example.com", "DSR 44"),
            found(vec![7], vec![(100, 7)]),
        )];
        let built = build(&alone, &listed, &ListedOrders::default(), "acme42", today());
        assert_eq!(built.only_protected.len(), 1, "its own orders are no entry");
        // With `--request`, every entry carries it, the guests' orders' too, and the text stays valid.
        let id = crate::manifest::parse_request("DSR-42").expect("reference");
        let text = with_request(
            &build(&requests, &listed, &listed_orders, "acme42", today()).text,
            &id,
        );
        assert_eq!(
            text.matches("    request: \"DSR-42\"\n").count(),
            3,
            "{text}"
        );
        assert!(
            text.contains("    request: \"DSR-42\"\n    orders: redact\n"),
            "{text}"
        );
        // A customer listed elsewhere with `orders: redact` there is not named.
        let listed: Listed = [((Resource::Customer, 9), "m/a.yaml:4:5".to_string())].into();
        let listed_orders = ListedOrders {
            redacting: [9].into(),
            ..listed_orders
        };
        let built = build(&requests, &listed, &listed_orders, "acme42", today());
        assert!(built.orders.not_redacting.is_empty());
    }

    /// Without `--orders redact` nothing about orders is written, even for addresses whose orders are
    /// known; with it and no guest order, an empty `redact_orders` says the lookup was made.
    #[test]
    fn without_orders_nothing_about_orders_is_written_and_with_none_found_the_list_is_empty() {
        let mut found = Found {
            customers: vec![7],
            subscribers: vec![],
            orders: None,
        };
        let text = |found: &Found| {
            build(
                &[(request("jane@example.com", "DSR 42"), found.clone())],
                &Listed::new(),
                &ListedOrders::default(),
                "acme42",
                today(),
            )
            .text
        };
        let without = text(&found);
        assert!(!without.contains("orders"), "{without}");
        found.orders = Some(vec![(100, 7)]);
        let with = text(&found);
        assert!(with.contains("    orders: redact\n"), "{with}");
        assert!(with.ends_with("redact_orders: []\n"), "{with}");
    }

    /// The lookup seam: one call per address, in order, with the address as given; its orders sorted
    /// and each once; the first error stops it.
    #[test]
    fn orders_are_looked_up_once_per_address_through_the_seam() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut found = vec![
            (request("a@example.com", "r"), Found::default()),
            (request("b@example.com", "r"), Found::default()),
        ];
        let asked = std::cell::RefCell::new(Vec::new());
        let result: Result<(), &str> = runtime.block_on(look_up_orders(&mut found, |email| {
            asked.borrow_mut().push(email.clone());
            async move {
                Ok(if email.starts_with('a') {
                    vec![(12, 0), (10, 3), (12, 0)]
                } else {
                    vec![]
                })
            }
        }));
        assert_eq!(result, Ok(()));
        assert_eq!(*asked.borrow(), ["a@example.com", "b@example.com"]);
        assert_eq!(found[0].1.orders, Some(vec![(10, 3), (12, 0)]));
        assert_eq!(found[1].1.orders, Some(vec![]));
        let result: Result<(), &str> =
            runtime.block_on(look_up_orders(&mut found, |_| async { Err("down") }));
        assert_eq!(result, Err("down"));
    }
}
