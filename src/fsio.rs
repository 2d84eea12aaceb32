//! File input and output with the guarantees bcprune's files need, written once: atomic replacement
//! (state file, saved plan), capped reads of regular files only (manifest, saved plan, state, audit log,
//! lock, import's CSV and standard input), and the check that no two of the files a command touches are
//! the same file.
//!
//! Why here and not in each module: a second copy of the atomic write skipped the directory fsync;
//! `show /dev/zero` or a FIFO named like a plan hung or grew without bound; and `show` of a 3 GiB file
//! read 1 GiB into memory before refusing it. The rule for every read is: the size is checked by the
//! open file's metadata first (a file over its cap is refused without reading a byte), and the bytes are
//! read through [`CappedReader`], which cannot hand out more than the cap (a file that grows between
//! the check and the read is still refused), so memory stays bounded by the cap. Every read of a file
//! goes through [`read_capped`] / [`read_open_capped`] (or streams through [`CappedReader`]); standard
//! input through [`read_stdin_capped`] / [`read_line_capped`]; every replacement through
//! [`write_atomically`].

use std::fs::{File, Metadata};
use std::io::{BufRead, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// Largest saved plan read: a plan of 100,000 deletions with reasons and `received` dates is 32 MB, so
/// a million changes are about 320 MB (a manifest of a million recorded IDs plans a million `absent`
/// changes); this holds about three million.
pub const PLAN_LIMIT: u64 = 1024 * 1024 * 1024;
/// Largest state file read: a million deletion records, each with a reason of its own, are about 215 MB
/// (BENCHMARKS.md §6), so this holds about five million; `plan` reads it in a few MiB of memory.
pub const STATE_LIMIT: u64 = 1024 * 1024 * 1024;
/// Largest audit log read: years of applies of a million IDs each stay well below it.
pub const AUDIT_LIMIT: u64 = 1024 * 1024 * 1024;

/// Read the whole regular file at `path`, refusing a FIFO, a device, a socket or a directory (reading them
/// would hang or never end) and a file larger than `limit` bytes. Errors keep their [`ErrorKind`]
/// (`NotFound` stays `NotFound`); a refused file is [`ErrorKind::InvalidInput`] or
/// [`ErrorKind::FileTooLarge`], with a message saying why and what to do.
pub fn read_capped(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    read_open_capped(&file, limit)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_capped_to_string(path: &Path, limit: u64) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, limit)?)
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "the file is not UTF-8 text"))
}

/// Open `path` for reading only if it is a regular file. On Unix the file is opened non-blocking, so a FIFO
/// swapped in after the check cannot hang the open; the opened file is checked again.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    check_regular(&std::fs::metadata(path)?)?;
    let file = open_nonblocking(path)?;
    check_regular(&file.metadata()?)?;
    Ok(file)
}

/// Read an already open file from its current position to its end, at most `limit` bytes in all. The
/// file must be regular (see [`check_regular`]). Its metadata is checked first: a file larger than `limit`
/// is refused before a byte is read; then it is read through a [`CappedReader`], so a file that grew
/// since is refused too, after at most `limit` bytes.
pub fn read_open_capped(file: &File, limit: u64) -> std::io::Result<Vec<u8>> {
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_large(limit));
    }
    read_all_capped(file, limit, len)
}

/// Read all of `reader`, refusing it ([`ErrorKind::FileTooLarge`]) as soon as it yields more than
/// `limit` bytes. `expected` (the size the metadata announced, 0 when unknown) sizes the buffer; past
/// it, the buffer doubles but never beyond `limit` bytes, so an endless pipe costs at most the cap in
/// memory (`read_to_end` would double a full 64 MiB buffer to 128 MiB before learning the input is over).
fn read_all_capped(reader: impl Read, limit: u64, expected: u64) -> std::io::Result<Vec<u8>> {
    let most = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut reader = CappedReader::new(reader, limit);
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).min(most));
    // What the metadata announced is read straight into the buffer.
    (&mut reader)
        .take(bytes.capacity() as u64)
        .read_to_end(&mut bytes)?;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if bytes.capacity() - bytes.len() < n {
            // The reader hands out at most `most` bytes in all, so `most - len >= n`.
            let room = most - bytes.len();
            bytes.reserve_exact(bytes.capacity().clamp(n, room.max(n)));
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

/// A reader that hands out at most `limit` bytes of the one it wraps: the read that would go past the
/// limit is an [`ErrorKind::FileTooLarge`] error instead (it reads one byte further to tell "exactly at
/// the limit" from "over it", and never returns that byte). Whatever reads through it, a `Vec` it fills
/// cannot grow past the limit.
pub struct CappedReader<R> {
    inner: R,
    limit: u64,
    read: u64,
}

impl<R: Read> CappedReader<R> {
    /// Wrap `inner`, allowing `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Self {
        CappedReader {
            inner,
            limit,
            read: 0,
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let left = self.limit - self.read;
        if left == 0 {
            // At the limit: one more byte means over it.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large(self.limit)),
            };
        }
        let room = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// All of standard input, at most `limit` bytes: when it is a regular file (`< file`) its size is
/// checked first, as for [`read_open_capped`]; a pipe is read through a [`CappedReader`] and refused
/// as soon as it passes the limit (never silently cut short).
pub fn read_stdin_capped(limit: u64) -> std::io::Result<Vec<u8>> {
    let stdin = std::io::stdin();
    let expected = stdin_regular_len()?.unwrap_or(0);
    if expected > limit {
        return Err(too_large(limit));
    }
    read_all_capped(stdin.lock(), limit, expected)
}

/// The size of standard input when it is a regular file, `None` otherwise (a pipe, a terminal).
#[cfg(unix)]
fn stdin_regular_len() -> std::io::Result<Option<u64>> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned()?;
    let metadata = File::from(fd).metadata()?;
    Ok(metadata.is_file().then_some(metadata.len()))
}

#[cfg(not(unix))]
fn stdin_regular_len() -> std::io::Result<Option<u64>> {
    Ok(None)
}

/// One line of `reader` (with its line feed), at most `limit` bytes of it: a longer line is cut at the
/// limit (the rest is left unread), so an answer piped from `/dev/zero` cannot grow without bound. For a
/// prompt's answer, where anything but a short word declines.
pub fn read_line_capped(reader: impl BufRead, limit: u64) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(limit).read_until(b'\n', &mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// An error unless `metadata` describes a regular file, naming what it is ([`file_kind`]).
pub fn check_regular(metadata: &Metadata) -> std::io::Result<()> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        ErrorKind::InvalidInput,
        format!(
            "it is {}, not a regular file; bcprune reads only regular files, pass a regular file",
            file_kind(metadata)
        ),
    ))
}

/// What a file that is not regular is, in words: the one naming every reader's refusal uses.
#[cfg(unix)]
pub fn file_kind(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// What a file that is not regular is, in words.
#[cfg(not(unix))]
pub fn file_kind(metadata: &Metadata) -> &'static str {
    if metadata.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// The error for input over its cap: [`ErrorKind::FileTooLarge`], saying the cap.
pub fn too_large(limit: u64) -> std::io::Error {
    const MIB: u64 = 1024 * 1024;
    let cap = if limit >= MIB && limit.is_multiple_of(MIB) {
        format!("{} MiB", limit / MIB)
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB", limit / 1024)
    } else {
        format!("{limit} bytes")
    };
    std::io::Error::new(
        ErrorKind::FileTooLarge,
        format!(
            "it is larger than {cap}, the most bcprune reads of it; check that this is the right file"
        ),
    )
}

/// Open `path` for reading without ever blocking on it: `O_NONBLOCK` makes opening a FIFO return at
/// once, so a file checked to be regular but replaced since by a FIFO cannot hang the open; the caller
/// checks the opened file ([`check_regular`]). The one place a file is opened so.
#[cfg(unix)]
pub fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Open `path` for reading.
#[cfg(not(unix))]
pub fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// Refuse a symbolic link at `path` (a missing path is fine). bcprune replaces the files it owns by
/// renaming a new file over them, which would replace the link itself and leave its target stale; see
/// ARCHITECTURE.md, Decisions.
pub fn refuse_symlink(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".to_string());
            Err(std::io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "it is a symbolic link (to {target}); bcprune replaces this file atomically and would \
                     replace the link, not update its target: pass the target's path instead"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Replace `path` with `bytes` so that a crash at any moment leaves the old or the new complete file.
///
/// Write a temporary file in the same directory (a rename is only atomic within one file system), fsync it
/// so its content is on disk before the rename makes it visible, rename it over `path`, then fsync the
/// directory so the rename itself survives a power loss. The temporary file is `.<name>.<random>.tmp`; those
/// left by a process killed mid-write are removed after the next successful write of the same file (the
/// apply lock keeps two writers of one state apart, so they cannot belong to a write in progress). The
/// replaced file's permissions are kept (a new file gets 0644). A symbolic link at `path` is refused
/// ([`refuse_symlink`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    refuse_symlink(path)?;
    let dir = parent_dir(path);
    let prefix = temp_prefix(path);
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    // Keep the permissions of the file being replaced (tempfile creates 0600 files).
    if let Ok(metadata) = std::fs::metadata(path) {
        temp.as_file().set_permissions(metadata.permissions())?;
    } else {
        set_default_permissions(temp.as_file())?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)?;
    remove_leftover_temp_files(dir, &prefix);
    Ok(())
}

/// The directory `path` lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The prefix of `path`'s temporary files: `.<file name>.`.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.")
}

/// Best effort: remove temporary files of earlier writes of the same file that were killed before renaming.
fn remove_leftover_temp_files(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn set_default_permissions(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_default_permissions(_file: &File) -> std::io::Result<()> {
    Ok(())
}

/// Fsync a directory, making a rename or a file creation in it durable.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened (nor synced) this way on other systems; NTFS journals renames itself.
#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// What a file is to a command, for [`check_distinct`]'s message (`"the state file"`, `"--out"`, …).
pub type Role = &'static str;

/// Two roles given the same file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{first} and {second} are the same file ({}); each must be its own file, or one would overwrite the \
     other. Nothing was read or written",
    path.display()
)]
pub struct SameFile {
    /// The first role, in the order given.
    pub first: Role,
    /// The second role.
    pub second: Role,
    /// The file, canonicalized.
    pub path: PathBuf,
}

/// Refuse when any two of `files` resolve to the same file: canonicalized (symbolic links and `..`
/// resolved), a file that does not exist yet by its canonical directory and its name, and on Unix two
/// names of one existing file (hard links) by device and inode. Run before anything is written.
pub fn check_distinct(files: &[(Role, &Path)]) -> Result<(), SameFile> {
    let identities: Vec<(Role, Identity)> = files
        .iter()
        .map(|(role, path)| (*role, Identity::of(path)))
        .collect();
    for (i, (first, a)) in identities.iter().enumerate() {
        for (second, b) in &identities[i + 1..] {
            if a.same_as(b) {
                return Err(SameFile {
                    first,
                    second,
                    path: a.path.clone(),
                });
            }
        }
    }
    Ok(())
}

/// How a path is compared: its canonical form, and for an existing file its device and inode.
struct Identity {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        Identity {
            path: canonical(path),
            inode: inode(path),
        }
    }

    fn same_as(&self, other: &Identity) -> bool {
        self.path == other.path || (self.inode.is_some() && self.inode == other.inode)
    }
}

/// `path` canonicalized; a path that does not exist yet as its canonical parent joined with its name
/// (as given, when even the parent cannot be resolved).
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(path) {
        return path;
    }
    match (std::fs::canonicalize(parent_dir(path)), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18: the manifest named what a non-regular file is (a socket, a device) while every other
    /// reader said "a device or a socket": two homes for one rule. Now both name it alike.
    #[cfg(unix)]
    #[test]
    fn a_file_that_is_not_regular_is_named_for_what_it_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("s");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
        let err = open_regular(&socket).expect_err("a socket");
        assert!(
            err.to_string()
                .contains("it is a socket, not a regular file"),
            "{err}"
        );
        let err = open_regular(dir.path()).expect_err("a directory");
        assert!(
            err.to_string()
                .contains("it is a directory, not a regular file"),
            "{err}"
        );
        if let Ok(null) = std::fs::metadata("/dev/null") {
            let err = check_regular(&null).expect_err("a device");
            assert!(
                err.to_string()
                    .contains("it is a device, not a regular file"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_capped_read_refuses_more_than_the_limit_and_accepts_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").expect("write");
        assert_eq!(read_capped(&path, 5).expect("at the limit"), b"12345");
        let err = read_capped(&path, 4).expect_err("over the limit");
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
    }

    #[test]
    fn a_file_over_the_cap_by_its_metadata_is_refused_before_a_byte_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sparse");
        let file = File::create(&path).expect("create");
        file.set_len(3 * 1024 * 1024 * 1024).expect("set_len");
        let file = open_regular(&path).expect("open");
        let err = read_open_capped(&file, 1024).expect_err("over the cap");
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
        // Nothing was read: the file's position has not moved.
        let mut file = file;
        assert_eq!(
            std::io::Seek::stream_position(&mut file).expect("position"),
            0
        );
    }

    #[test]
    fn the_capped_reader_refuses_input_that_grows_past_the_cap_without_holding_it() {
        // A file that grew after its size was checked reads like this endless input.
        let mut bytes = Vec::new();
        let err = CappedReader::new(std::io::repeat(b'x'), 1000)
            .read_to_end(&mut bytes)
            .expect_err("endless input");
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        assert!(bytes.len() <= 1000, "{}", bytes.len());
        // The whole-input reader never even reserves past the cap, whatever the input's size.
        for (size, announced) in [
            (0, 0),
            (999, 0),
            (1000, 0),
            (1000, 1000),
            (500, 1000),
            (1000, 7),
        ] {
            let input = vec![7u8; size];
            let read = read_all_capped(&input[..], 1000, announced).expect("within the cap");
            assert_eq!(read, input);
            assert!(
                read.capacity() <= 1000,
                "{size}/{announced}: {}",
                read.capacity()
            );
        }
        for announced in [0, 1000, 5000] {
            let err = read_all_capped(std::io::repeat(1), 1000, announced).expect_err("endless");
            assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        }
        // A big cap: the buffer still grows by doubling (not by 64 KiB steps) and stops at the cap.
        let input = vec![1u8; 3 * 1024 * 1024 + 5];
        let err = read_all_capped(&input[..], 3 * 1024 * 1024, 0).expect_err("over");
        assert_eq!(err.kind(), ErrorKind::FileTooLarge);
        let read = read_all_capped(&input[..], 4 * 1024 * 1024, 0).expect("under");
        assert_eq!(read.len(), input.len());
        assert!(read.capacity() <= 4 * 1024 * 1024);
        // Exactly at the cap is fine; one byte over is not.
        let mut bytes = Vec::new();
        CappedReader::new(&[7u8; 1000][..], 1000)
            .read_to_end(&mut bytes)
            .expect("at the cap");
        assert_eq!(bytes.len(), 1000);
        assert!(
            CappedReader::new(&[7u8; 1001][..], 1000)
                .read_to_end(&mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn a_prompt_answer_is_one_short_line_however_long_the_input() {
        let endless = std::io::BufReader::new(std::io::repeat(0));
        assert_eq!(read_line_capped(endless, 256).expect("read").len(), 256);
        let answer = read_line_capped(&b"yes\nmore\n"[..], 256).expect("read");
        assert_eq!(answer, "yes\n");
    }

    #[test]
    fn a_directory_and_a_device_are_refused_and_a_missing_file_stays_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = read_capped(dir.path(), 10).expect_err("a directory");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a directory"), "{err}");
        let err = read_capped(Path::new("/dev/zero"), 10).expect_err("a device");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let err = read_capped(&dir.path().join("nope"), 10).expect_err("missing");
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn atomic_writes_refuse_a_symlink_and_leave_its_target_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target");
        std::fs::write(&target, "old").expect("write");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = write_atomically(&link, b"new").expect_err("a symlink");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "old");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn the_same_file_under_two_names_is_refused_naming_both_roles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let existing = dir.path().join("a.json");
        std::fs::write(&existing, "{}").expect("write");
        let dotted = dir.path().join(".").join("a.json");
        let err = check_distinct(&[("the state file", &existing), ("the audit log", &dotted)])
            .expect_err("same file");
        assert_eq!((err.first, err.second), ("the state file", "the audit log"));
        // Not yet existing: compared by canonical parent and name.
        let new = dir.path().join("new.json");
        let new_dotted = dir.path().join("sub").join("..").join("new.json");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        assert!(check_distinct(&[("--out", &new), ("the state file", &new_dotted)]).is_err());
        // Hard links are one file.
        let hard = dir.path().join("hard.json");
        std::fs::hard_link(&existing, &hard).expect("link");
        assert!(check_distinct(&[("a", &existing), ("b", &hard)]).is_err());
        assert!(check_distinct(&[("a", &existing), ("b", &new)]).is_ok());
    }
}
