//! The fast path of `Summary::load`: what a plan needs of a state file (its
//! identity and the settled set) read straight from the layout [`State::save`](super::State::save) writes,
//! without building a record.
//!
//! A state of a million records is about 215 MB of pretty JSON. Parsing it into a [`State`](super::State)
//! takes about a second and 370 MiB; a plan needs none of its times, run IDs or reasons, only which IDs
//! are settled. This reader walks the file line by line through a 1 MiB buffer, checks every line against
//! the template bcprune writes for it, and keeps one `u64` per settled ID.
//!
//! It can only decline, never disagree. It accepts a file only when it is in exactly the layout bcprune
//! writes (serde_json's pretty printer: two-space indent, fields in declaration order, `deleted`,
//! `absent` and `orders` strictly sorted; a state with `reappeared` records is declined; CRLF line ends
//! from a Windows checkout are tolerated) and every value in it is
//! one the full parser accepts: IDs fit in `u32`, times have the shape bcprune writes and a real calendar
//! date, strings are valid JSON strings. Anything else (a file edited or reformatted by hand, a wrong
//! version, an invalid value, a read error) makes it return `None`, and the caller parses the file with
//! [`State::load`](super::State::load), which reports what is wrong and where. The differential tests
//! in `summary.rs` (`state::summary::tests`) hold the two readers to the same answer.
//!
//! It rests on one property of JSON: a raw line feed never occurs inside a string (RFC 8259 §7: control
//! characters must be escaped), so each line of a valid file holds whole tokens. A large file is read in
//! two halves on two threads, split where a line `    {` opens a record; each half is checked on its own
//! and the halves must meet at a record boundary with the keys still increasing, so the two halves accept
//! exactly what one pass would.

use std::fs::File;
use std::io::Read;

use uuid::Uuid;

use super::AuditHead;

/// What a scan read: the state's identity, the keys of its settled records and its order records.
#[derive(Debug, PartialEq, Eq)]
pub struct Scanned {
    pub lineage: Uuid,
    pub serial: u64,
    pub store_hash: String,
    pub audit_head: Option<AuditHead>,
    /// Keys ([`key`]) of the `deleted` records with `verified: true`, strictly increasing.
    pub verified: Vec<u64>,
    /// Keys of the `absent` records, strictly increasing.
    pub absent: Vec<u64>,
    /// The `orders` records (PRODUCT §15): (order, customer, retained until), IDs strictly increasing.
    pub orders: Vec<(u32, u32, jiff::civil::Date)>,
}

/// The key of a record: the resource in bit 32 (customers first, as the file is sorted), the ID below.
pub fn key(resource: crate::Resource, id: u32) -> u64 {
    match resource {
        crate::Resource::Customer => u64::from(id),
        crate::Resource::Subscriber => SUBSCRIBER | u64::from(id),
        crate::Resource::Order => ORDER | u64::from(id),
    }
}

const SUBSCRIBER: u64 = 1 << 32;
const ORDER: u64 = 2 << 32;

/// The record a [`key`] names.
pub fn unkey(key: u64) -> (crate::Resource, u32) {
    let resource = match key >> 32 {
        0 => crate::Resource::Customer,
        1 => crate::Resource::Subscriber,
        _ => crate::Resource::Order,
    };
    (resource, (key & u64::from(u32::MAX)) as u32)
}

/// Files smaller than this are read in one pass: a second thread would not pay for itself.
pub(super) const SPLIT_FROM: u64 = 8 * 1024 * 1024;

/// Read `file` (`len` bytes, a regular file already opened and checked by the caller) if it is in the
/// layout bcprune writes; `None` otherwise. `None` is never an answer about the file's content: the caller
/// must then read it with the full parser.
pub fn scan(file: &File, len: u64) -> Option<Scanned> {
    scan_splitting_from(file, len, SPLIT_FROM)
}

/// [`scan`], in two halves when the file has at least `split_from` bytes (tests split small files).
pub(super) fn scan_splitting_from(file: &File, len: u64, split_from: u64) -> Option<Scanned> {
    if len >= split_from
        && let Some(split) = split_point(file, len)
        && let Some(answer) = scan_halves(file, split, len)
    {
        return answer;
    }
    let mut part = Part::default();
    let mut lines = Lines::new(Range::new(file, 0, len));
    match walk(&mut lines, true, &mut part)? {
        Stop::End { audit_head } => part.into_scanned(audit_head),
        Stop::Cut(_) => None,
    }
}

/// Where the second half starts: the first line `    {` (a record's opening brace) after the middle.
fn split_point(file: &File, len: u64) -> Option<u64> {
    const WINDOW: usize = 64 * 1024;
    let middle = len / 2;
    let mut window = vec![0; WINDOW];
    let mut range = Range::new(file, middle, len);
    let mut filled = 0;
    while filled < WINDOW {
        match range.read(&mut window[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(_) => return None,
        }
    }
    let window = &window[..filled];
    memchr::memmem::find_iter(window, b"\n    {")
        .find(|&at| {
            matches!(
                window.get(at + 6..at + 8),
                Some([b'\n', _] | [b'\r', b'\n'])
            )
        })
        .map(|at| middle + at as u64 + 1)
}

/// Read `[0, split)` here and `[split, len)` on a second thread. `None` when no thread could be started
/// (read it in one pass then); otherwise the answer, which one pass would give too.
pub(super) fn scan_halves(file: &File, split: u64, len: u64) -> Option<Option<Scanned>> {
    let halves = std::thread::scope(|scope| {
        let second = std::thread::Builder::new()
            .name("state-scan".into())
            .spawn_scoped(scope, || {
                let mut part = Part::default();
                let mut lines = Lines::new(Range::new(file, split, len));
                let stop = walk(&mut lines, false, &mut part);
                (stop, part)
            })
            .ok()?;
        let mut part = Part::default();
        let mut lines = Lines::new(Range::new(file, 0, split));
        let stop = walk(&mut lines, true, &mut part);
        Some(((stop, part), second.join().ok()))
    })?;
    Some(joined(halves))
}

/// How a walk of one half ended, and what it collected.
type Half = (Option<Stop>, Part);

/// The answer of two halves (the second `None` if its thread failed): both in the layout, meeting at a
/// record boundary.
fn joined(halves: (Half, Option<Half>)) -> Option<Scanned> {
    let ((Some(Stop::Cut(section)), mut head), Some((Some(Stop::End { audit_head }), tail))) =
        halves
    else {
        return None;
    };
    // The halves meet inside one array, the second opening a record, with the keys still increasing
    // across the seam.
    if tail.started != Some(section) {
        return None;
    }
    let (last, first) = (head.last[section as usize], tail.first[section as usize]);
    let increasing = match (last, first) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(last), Some(first)) => last < first,
    };
    if !increasing {
        return None;
    }
    head.verified.extend(tail.verified);
    head.absent.extend(tail.absent);
    head.orders.extend(tail.orders);
    head.into_scanned(audit_head)
}

/// The arrays of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Deleted = 0,
    Absent = 1,
    Orders = 2,
}

/// How a walk ended.
enum Stop {
    /// At the file's closing brace, which was its last line.
    End { audit_head: Option<AuditHead> },
    /// The input ended at a record boundary inside `section` (the first half of a split file; anywhere
    /// else this is a truncated file).
    Cut(Section),
}

#[derive(Debug)]
struct Header {
    lineage: Uuid,
    serial: u64,
    store_hash: String,
}

/// What one walk collected.
#[derive(Default)]
struct Part {
    header: Option<Header>,
    verified: Vec<u64>,
    absent: Vec<u64>,
    orders: Vec<(u32, u32, jiff::civil::Date)>,
    /// The first and last key seen in each section, for the sort checks.
    first: [Option<u64>; 3],
    last: [Option<u64>; 3],
    /// The section of the first record of a resumed walk.
    started: Option<Section>,
}

impl Part {
    /// `None` without a header (a walk that did not start at the top of the file).
    fn into_scanned(self, audit_head: Option<AuditHead>) -> Option<Scanned> {
        let header = self.header?;
        Some(Scanned {
            lineage: header.lineage,
            serial: header.serial,
            store_hash: header.store_hash,
            audit_head,
            verified: self.verified,
            absent: self.absent,
            orders: self.orders,
        })
    }

    /// Note a record's key; `false` unless it is greater than the section's previous one.
    fn push(&mut self, section: Section, key: u64) -> bool {
        let i = section as usize;
        if self.last[i].is_some_and(|last| last >= key) {
            return false;
        }
        self.first[i].get_or_insert(key);
        self.last[i] = Some(key);
        true
    }
}

/// Walk the lines from the top of the file, or (`from_top` false) from a line `    {` opening a record of
/// either array, to the end of the input. `None`: not in bcprune's layout.
fn walk<R: Read>(lines: &mut Lines<R>, from_top: bool, part: &mut Part) -> Option<Stop> {
    let mut section = None;
    if from_top {
        part.header = Some(header(lines)?);
        let (value, more) = field(lines.line()?, b"  \"deleted\": ")?;
        match value {
            b"[" => section = Some(Section::Deleted),
            b"[]" => return after_deleted(lines, more, part),
            _ => return None,
        }
    }
    match records(lines, &mut section, part)? {
        Ended::Cut => Some(Stop::Cut(section?)),
        Ended::Closed { more } => match section? {
            Section::Deleted => after_deleted(lines, more, part),
            Section::Absent => after_absent(lines, more, part),
            Section::Orders => after_orders(lines, more),
        },
    }
}

/// The top-level fields before `deleted`.
fn header<R: Read>(lines: &mut Lines<R>) -> Option<Header> {
    if lines.line()? != b"{" {
        return None;
    }
    let version = continued(lines.line()?, b"  \"version\": ")?;
    if version != b"1" {
        return None;
    }
    let lineage = continued(lines.line()?, b"  \"lineage\": ")?;
    let lineage = Uuid::parse_str(&string(lineage)?).ok()?;
    let serial = number(continued(lines.line()?, b"  \"serial\": ")?)?;
    let store_hash = string(continued(lines.line()?, b"  \"store_hash\": ")?)?.into_owned();
    let updated_at = continued(lines.line()?, b"  \"updated_at\": ")?;
    string(updated_at)?.parse::<jiff::Timestamp>().ok()?;
    let manifest_sha256 = continued(lines.line()?, b"  \"manifest_sha256\": ")?;
    string(manifest_sha256)?;
    Some(Header {
        lineage,
        serial,
        store_hash,
    })
}

/// After the `deleted` array closed: `absent`, then the rest.
fn after_deleted<R: Read>(lines: &mut Lines<R>, more: bool, part: &mut Part) -> Option<Stop> {
    if !more {
        return end(lines, None);
    }
    let line = lines.line()?.to_vec();
    let Some((value, more)) = field(&line, b"  \"absent\": ") else {
        return orders(lines, &line, part);
    };
    match value {
        b"[]" => after_absent(lines, more, part),
        b"[" => {
            let mut section = Some(Section::Absent);
            match records(lines, &mut section, part)? {
                Ended::Cut => Some(Stop::Cut(Section::Absent)),
                Ended::Closed { more } => after_absent(lines, more, part),
            }
        }
        _ => None,
    }
}

/// After the `absent` array closed: `orders` and `audit_head` if a comma says more follows, then
/// the end. (A state with `reappeared` records is left to the full parser.)
fn after_absent<R: Read>(lines: &mut Lines<R>, more: bool, part: &mut Part) -> Option<Stop> {
    if !more {
        return end(lines, None);
    }
    let line = lines.line()?.to_vec();
    orders(lines, &line, part)
}

/// `orders` (PRODUCT §15), whose first line was already read, if it is that array; then the rest.
fn orders<R: Read>(lines: &mut Lines<R>, first: &[u8], part: &mut Part) -> Option<Stop> {
    let Some((value, more)) = field(first, b"  \"orders\": ") else {
        return audit_head(lines, first);
    };
    match value {
        b"[]" => after_orders(lines, more),
        b"[" => {
            let mut section = Some(Section::Orders);
            match records(lines, &mut section, part)? {
                Ended::Cut => Some(Stop::Cut(Section::Orders)),
                Ended::Closed { more } => after_orders(lines, more),
            }
        }
        _ => None,
    }
}

/// After the `orders` array closed: `audit_head` if a comma says more follows, then the end.
fn after_orders<R: Read>(lines: &mut Lines<R>, more: bool) -> Option<Stop> {
    if !more {
        return end(lines, None);
    }
    let line = lines.line()?.to_vec();
    audit_head(lines, &line)
}

/// `audit_head`, whose first line was already read, then the end.
fn audit_head<R: Read>(lines: &mut Lines<R>, first: &[u8]) -> Option<Stop> {
    if first != b"  \"audit_head\": {" {
        return None;
    }
    let seq = number(continued(lines.line()?, b"    \"seq\": ")?)?;
    let hash = string(last(lines.line()?, b"    \"hash\": ")?)?.into_owned();
    if lines.line()? != b"  }" {
        return None;
    }
    end(lines, Some(AuditHead { seq, hash }))
}

/// The closing brace, and nothing after it.
fn end<R: Read>(lines: &mut Lines<R>, audit_head: Option<AuditHead>) -> Option<Stop> {
    if lines.line()? != b"}" || lines.next()?.is_some() {
        return None;
    }
    Some(Stop::End { audit_head })
}

enum Ended {
    /// The array's closing bracket; `more`: a comma after it.
    Closed { more: bool },
    /// The input ended at a record boundary: after the opening bracket or a record and its comma.
    Cut,
}

/// The records of an array, from a line `    {` to its closing `  ]`. `section` is `None` for a resumed
/// walk, set from the first record's fields.
fn records<R: Read>(
    lines: &mut Lines<R>,
    section: &mut Option<Section>,
    part: &mut Part,
) -> Option<Ended> {
    // A resumed walk starts at a record; any other ends at a record boundary: after the bracket that
    // opened the array or after a record and its comma.
    let mut at_start_of_resumed = section.is_none();
    loop {
        match lines.next()? {
            Some(b"    {") => {}
            None if !at_start_of_resumed => return Some(Ended::Cut),
            _ => return None,
        }
        at_start_of_resumed = false;
        let order_id = id(continued(lines.line()?, b"      \"id\": ")?)?;
        let mut key = u64::from(order_id);
        let mut line = lines.line()?;
        if let Some(resource) = continued(line, b"      \"resource\": ") {
            key |= match resource {
                b"\"customer\"" => 0,
                b"\"subscriber\"" => SUBSCRIBER,
                b"\"order\"" => ORDER,
                _ => return None,
            };
            line = lines.line()?;
        }
        let this = match *section {
            Some(known) => known,
            None if line.starts_with(b"      \"deleted_at\": ") => Section::Deleted,
            None if line.starts_with(b"      \"customer_id\": ") => Section::Orders,
            None => Section::Absent,
        };
        if this == Section::Orders && key != u64::from(order_id) {
            return None; // an order record names no resource
        }
        if section.replace(this).is_none() {
            part.started = Some(this);
        }
        match this {
            Section::Deleted => {
                if !timestamp(continued(line, b"      \"deleted_at\": ")?) {
                    return None;
                }
                if !is_string(continued(lines.line()?, b"      \"run_id\": ")?) {
                    return None;
                }
                let reason = continued(lines.line()?, b"      \"reason\": ")?;
                if reason != b"null" && !is_string(reason) {
                    return None;
                }
                let verified = match last(lines.line()?, b"      \"verified\": ")? {
                    b"true" => true,
                    b"false" => false,
                    _ => return None,
                };
                if !part.push(this, key) {
                    return None;
                }
                if verified {
                    part.verified.push(key);
                }
            }
            Section::Absent => {
                if !timestamp(continued(line, b"      \"seen_at\": ")?) {
                    return None;
                }
                if !is_string(last(lines.line()?, b"      \"run_id\": ")?) {
                    return None;
                }
                if !part.push(this, key) {
                    return None;
                }
                part.absent.push(key);
            }
            Section::Orders => {
                let customer = id(continued(line, b"      \"customer_id\": ")?)?;
                let until = date(continued(lines.line()?, b"      \"retained_until\": ")?)?;
                if !timestamp(continued(lines.line()?, b"      \"recorded_at\": ")?) {
                    return None;
                }
                if !is_string(last(lines.line()?, b"      \"run_id\": ")?) {
                    return None;
                }
                if !part.push(this, key) {
                    return None;
                }
                part.orders.push((order_id, customer, until));
            }
        }
        match lines.line()? {
            b"    }," => continue,
            b"    }" => {}
            _ => return None,
        }
        let (close, more) = comma(lines.line()?);
        return (close == b"  ]").then_some(Ended::Closed { more });
    }
}

/// The lines of the input, each without its line feed (and a carriage return before it).
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Lines<R> {
    fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: vec![0; 1 << 20],
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// The next line, `Some(None)` at the end of the input, `None` on a read error.
    fn next(&mut self) -> Option<Option<&[u8]>> {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line = &self.buf[self.start..self.start + at];
                self.start += at + 1;
                return Some(Some(line.strip_suffix(b"\r").unwrap_or(line)));
            }
            if self.eof {
                let line = &self.buf[self.start..self.end];
                self.start = self.end;
                return Some((!line.is_empty()).then_some(line));
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end == self.buf.len() {
                // A line longer than the buffer (a very long reason): grow. The caller capped the file.
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
    }

    /// The next line; `None` at the end of the input or on a read error.
    fn line(&mut self) -> Option<&[u8]> {
        self.next()?
    }
}

/// `len - start` bytes of a file from `start`, read at explicit offsets so two threads can share the file.
struct Range<'f> {
    file: &'f File,
    at: u64,
    end: u64,
}

impl<'f> Range<'f> {
    fn new(file: &'f File, at: u64, end: u64) -> Self {
        Range { file, at, end }
    }
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.at)).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = read_at(self.file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_file: &File, _buf: &mut [u8], _offset: u64) -> std::io::Result<usize> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// A line minus one trailing comma, and whether it had one.
fn comma(line: &[u8]) -> (&[u8], bool) {
    match line.strip_suffix(b",") {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}

/// The value of a line `prefix value` with or without a comma after it, and whether it had one.
fn field<'l>(line: &'l [u8], prefix: &[u8]) -> Option<(&'l [u8], bool)> {
    line.strip_prefix(prefix).map(comma)
}

/// The value of a line `prefix value,` (a field another follows).
fn continued<'l>(line: &'l [u8], prefix: &[u8]) -> Option<&'l [u8]> {
    match field(line, prefix)? {
        (value, true) => Some(value),
        (_, false) => None,
    }
}

/// The value of a line `prefix value` (the last field of its object).
fn last<'l>(line: &'l [u8], prefix: &[u8]) -> Option<&'l [u8]> {
    match field(line, prefix)? {
        (value, false) => Some(value),
        (_, true) => None,
    }
}

/// A JSON unsigned integer as serde_json reads one into a `u64`: digits, no leading zero.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
            .flatten()
    })
}

fn id(digits: &[u8]) -> Option<u32> {
    number(digits).and_then(|n| u32::try_from(n).ok())
}

/// Whether a string's content needs the full JSON reader: an escape, a quote, a control character or
/// a byte outside ASCII. Written without early exit so it vectorizes.
fn needs_decoding(content: &[u8]) -> bool {
    content.iter().fold(false, |odd, &b| {
        odd | !(0x20..0x80).contains(&b) | (b == b'"') | (b == b'\\')
    })
}

/// A JSON string token's value, if the token is exactly one valid JSON string.
fn string(token: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    let content = token.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if !needs_decoding(content) {
        return std::str::from_utf8(content)
            .ok()
            .map(std::borrow::Cow::Borrowed);
    }
    serde_json::from_slice::<String>(token)
        .ok()
        .map(std::borrow::Cow::Owned)
}

/// Whether `token` is exactly one valid JSON string.
fn is_string(token: &[u8]) -> bool {
    match token
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
    {
        Some(content) if !needs_decoding(content) => true,
        Some(_) => serde_json::from_slice::<String>(token).is_ok(),
        None => false,
    }
}

/// A date as bcprune writes one (`"2033-01-01"`: a four-digit year, two-digit month and day) that
/// jiff reads; other spellings send the file to the full parser.
fn date(token: &[u8]) -> Option<jiff::civil::Date> {
    let text = token.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let shape = text.len() == 10
        && text.iter().enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `token` is a time as bcprune writes one (`"2025-01-31T12:34:56.123456789Z"`, zero to nine
/// fraction digits) on a real calendar date in years 1000–9998, which jiff always reads. Other spellings
/// jiff accepts (offsets, a space for `T`) send the file to the full parser.
pub(super) fn timestamp(token: &[u8]) -> bool {
    let Some(text) = token
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"Z\""))
    else {
        return false;
    };
    let Some((main, fraction)) = text.split_at_checked(19) else {
        return false;
    };
    let digit = |i: usize| u32::from(main[i].wrapping_sub(b'0'));
    let pair = |i: usize| match (digit(i), digit(i + 1)) {
        (a @ 0..=9, b @ 0..=9) => a * 10 + b,
        _ => 100,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| main[i] != c) {
        return false;
    }
    let (century, year) = (pair(0), pair(2));
    if century > 99 || year > 99 {
        return false;
    }
    let year = century * 100 + year;
    let (month, day) = (pair(5), pair(8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let fraction_ok = match fraction {
        [] => true,
        [b'.', digits @ ..] => {
            (1..=9).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    (1000..=9998).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days).contains(&day)
        && pair(11) <= 23
        && pair(14) <= 59
        && pair(17) <= 59
        && fraction_ok
}
