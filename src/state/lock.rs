//! The apply lock: a file beside the state file (`<state file>.lock`) that keeps two applies from deleting
//! and writing the same state at once.
//!
//! Exclusion comes from an OS advisory lock ([`std::fs::File::try_lock`], `flock` on Unix) held for the whole
//! apply; the OS releases it when the process exits, even on `kill -9`, so a dead holder never blocks anyone.
//! The file's content (`{pid, host, started_at, run_id}`) only serves to name the holder in messages. A file
//! that is present but not locked was left by a process that died: on the same host it is taken over and the
//! previous holder reported (the caller warns); from another host it is refused, because an OS lock taken on
//! another machine may not be visible here (network file systems), so that apply may still be running.
//! [`force_unlock`] removes such a lock when given its lock ID (the holder's run ID), as Terraform's
//! `force-unlock` does; it never removes a lock an apply holds right now.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who holds (or held) the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process ID of the apply.
    pub pid: u32,
    /// Host name of the machine it ran on.
    pub host: String,
    /// When it took the lock.
    pub started_at: Timestamp,
    /// Its run ID (as in the audit log), which is also the lock ID `bcprune force-unlock` takes.
    pub run_id: String,
}

impl LockHolder {
    /// The lock ID: what `bcprune force-unlock` must be given to remove this lock.
    pub fn lock_id(&self) -> &str {
        &self.run_id
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} on host {:?}, started {}, lock ID {}",
            self.pid, self.host, self.started_at, self.run_id
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another apply holds the lock right now.
    #[error(
        "another apply holds the lock {} right now: {}. Wait for that apply to finish{}",
        path.display(),
        describe(holder.as_ref()),
        clear_hint(holder.as_ref(), path, *elsewhere)
    )]
    Held {
        path: PathBuf,
        /// The holder, as its lock file names it (`None` if it has not written it yet or it is unreadable).
        holder: Option<LockHolder>,
        /// Whether the holder is on another machine (the hint to clear the lock only applies then).
        elsewhere: bool,
    },
    /// The lock file was left by an apply on another machine; it may still be running there.
    #[error(
        "the lock {} was taken by an apply on another machine: {holder}. Its lock cannot be checked from this \
         host ({our_host:?}), so that apply may still be running. Wait for it to finish; if you are sure no \
         apply is running (the machine is gone), clear it with `bcprune force-unlock {} --state {}`",
        path.display(),
        holder.lock_id(),
        state_path_of(path).display()
    )]
    OtherHost {
        path: PathBuf,
        holder: LockHolder,
        our_host: String,
    },
    /// The lock file exists, is not locked, and does not say who wrote it.
    #[error(
        "the lock file {} exists but is not a bcprune lock ({reason}). If you are sure no apply is running, \
         delete it",
        path.display()
    )]
    Unrecognized { path: PathBuf, reason: String },
    /// The lock file could not be created, locked or written.
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How to clear a lock someone holds: only worth saying when the holder is on another machine (on this one
/// the OS lock ends with the process, and `force-unlock` refuses a lock held now).
fn clear_hint(holder: Option<&LockHolder>, path: &Path, elsewhere: bool) -> String {
    match holder {
        Some(holder) if elsewhere => format!(
            "; if its machine is gone (a CI runner that vanished), clear it with `bcprune force-unlock {} \
             --state {}`",
            holder.lock_id(),
            state_path_of(path).display()
        ),
        _ => String::new(),
    }
}

/// The state file a lock file belongs to (the lock's path without `.lock`).
fn state_path_of(lock_path: &Path) -> PathBuf {
    let text = lock_path.as_os_str().to_string_lossy();
    PathBuf::from(text.strip_suffix(".lock").unwrap_or(&text))
}

/// The warning for a stale lock taken over: what is true about its process. A lock file not locked by
/// the OS was left behind; its PID may since have been given to another process, so "gone" is said only
/// when no process has that PID.
pub fn describe_takeover(previous: &LockHolder) -> String {
    if process_is_alive(previous.pid) {
        format!(
            "took over a lock left behind by an apply that no longer holds it ({previous}); a process \
             with PID {} is running, but it does not hold the lock (the PID was reused, or that apply \
             released it without removing the file); if that apply was interrupted, this run reconciles it",
            previous.pid
        )
    } else {
        format!(
            "took over a lock left by a process that is gone ({previous}); if that apply was \
             interrupted, this run reconciles it"
        )
    }
}

/// Whether a process with `pid` exists on this host.
#[cfg(unix)]
fn process_is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence and permission only. EPERM means it exists but is another user's.
    // SAFETY: kill with signal 0 sends nothing; it only reports whether the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_is_alive(_pid: u32) -> bool {
    false
}

/// Why `force-unlock` did not remove a lock.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// There is no lock file.
    #[error("there is no lock {}: nothing to unlock", path.display())]
    NotLocked { path: PathBuf },
    /// The lock has another ID than the one given.
    #[error(
        "the lock {} has lock ID {}, not {given}: {holder}. Nothing was removed; check that this is the \
         lock you mean, then run `bcprune force-unlock {}` with its ID",
        path.display(),
        holder.lock_id(),
        holder.lock_id()
    )]
    Mismatch {
        path: PathBuf,
        given: String,
        holder: LockHolder,
    },
    /// An apply holds the lock right now: removing the file would let a second apply run beside it.
    #[error(
        "an apply holds the lock {} right now ({}); it is not removed. Wait for that apply to finish",
        path.display(),
        describe(holder.as_ref())
    )]
    InUse {
        path: PathBuf,
        holder: Option<LockHolder>,
    },
    /// The lock file does not say who wrote it, so no lock ID can match.
    #[error(
        "the lock file {} is not a bcprune lock record ({reason}); it names no lock ID. If you are sure no \
         apply is running, delete it",
        path.display()
    )]
    Unrecognized { path: PathBuf, reason: String },
    /// The lock file could not be opened, read or removed.
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Remove the lock of the state file `state_path` if its lock ID is `lock_id` and no apply holds it now;
/// returns the holder it named. The OS lock is taken while the file is checked and removed, so an apply
/// starting at the same moment either sees the old lock or makes a new one.
pub fn force_unlock(state_path: &Path, lock_id: &str) -> Result<LockHolder, UnlockError> {
    let path = Lock::path_for(state_path);
    let io = |source| UnlockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(UnlockError::NotLocked { path });
        }
        Err(e) => return Err(io(e)),
    };
    crate::fsio::check_regular(&file.metadata().map_err(io)?).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(UnlockError::InUse {
                holder: read_holder_of_locked(&mut file),
                path,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let text =
        String::from_utf8_lossy(&crate::fsio::read_open_capped(&file, LOCK_LIMIT).map_err(io)?)
            .into_owned();
    let holder =
        serde_json::from_str::<LockHolder>(&text).map_err(|e| UnlockError::Unrecognized {
            path: path.clone(),
            reason: format!("its content is not a lock record: {e}"),
        })?;
    if holder.lock_id() != lock_id {
        return Err(UnlockError::Mismatch {
            path,
            given: lock_id.to_string(),
            holder,
        });
    }
    std::fs::remove_file(&path).map_err(io)?;
    drop(file);
    Ok(holder)
}

/// Largest lock file read: a record is about 200 bytes.
const LOCK_LIMIT: u64 = 64 * 1024;

fn describe(holder: Option<&LockHolder>) -> String {
    match holder {
        Some(holder) => holder.to_string(),
        None => "a process that has not written its details yet".to_string(),
    }
}

/// The lock of one state file; see [`Lock::acquire`].
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    /// The open, OS-locked lock file. Closing it (on drop) releases the OS lock.
    file: Option<File>,
}

/// A lock just taken: the guard, and the holder of a stale lock that was taken over, if any (warn about it).
#[derive(Debug)]
pub struct Acquired {
    /// Holds the lock until dropped; dropping removes the lock file.
    pub lock: Lock,
    /// The previous holder when a stale lock of a dead process on this host was taken over.
    pub taken_over: Option<LockHolder>,
}

/// How many times to retry when the lock file was replaced between opening and locking it (bounded).
const ATTEMPTS: usize = 20;

impl Lock {
    /// The lock file of `state_path`: the same path with `.lock` appended.
    pub fn path_for(state_path: &Path) -> PathBuf {
        let mut name = state_path.as_os_str().to_os_string();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Take the lock of the state file `state_path` for the apply `run_id`, without waiting: an error if
    /// another apply holds it (naming it), or if a stale lock comes from another host. `host` is this
    /// machine's name (the CLI resolves it once, in its settings), written into the lock and compared with a
    /// stale lock's.
    pub fn acquire(state_path: &Path, run_id: &str, host: &str) -> Result<Acquired, LockError> {
        let path = Self::path_for(state_path);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let me = LockHolder {
            pid: std::process::id(),
            host: host.to_string(),
            started_at: now_to_the_second(),
            run_id: run_id.to_string(),
        };
        for _ in 0..ATTEMPTS {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(io)?;
            match lock_opened(file, &path, &me)? {
                Attempt::Locked(file, taken_over) => {
                    return Ok(Acquired {
                        lock: Lock {
                            path,
                            file: Some(file),
                        },
                        taken_over,
                    });
                }
                Attempt::Replaced => continue,
            }
        }
        Err(io(std::io::Error::other(format!(
            "the lock file kept being replaced while taking it ({ATTEMPTS} attempts); another apply is \
             starting or stopping at the same time, try again"
        ))))
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    /// Remove the lock file while still holding the OS lock, then release it by closing the file. A process
    /// that opened the old file meanwhile notices it was unlinked (see [`Lock::acquire`]) and starts again.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

/// The outcome of locking one opened lock file.
#[derive(Debug)]
enum Attempt {
    /// Locked and our record written; the stale holder taken over, if any.
    Locked(File, Option<LockHolder>),
    /// The file was removed or replaced between opening and locking it: open the one now at the path.
    Replaced,
}

/// Lock `file`, just opened at `path`, for `me`: check who held it before and write our record.
fn lock_opened(mut file: File, path: &Path, me: &LockHolder) -> Result<Attempt, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = read_holder_of_locked(&mut file);
            return Err(LockError::Held {
                elsewhere: holder.as_ref().is_some_and(|h| h.host != me.host),
                holder,
                path: path.to_path_buf(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // The holder we raced with may have removed the file between our open and our lock: then we locked an
    // unlinked file that no one else will ever see, and must start again with the file now at `path`.
    if !still_at_path(&file, path) {
        return Ok(Attempt::Replaced);
    }
    crate::fsio::check_regular(&file.metadata().map_err(io)?).map_err(io)?;
    let text =
        String::from_utf8_lossy(&crate::fsio::read_open_capped(&file, LOCK_LIMIT).map_err(io)?)
            .into_owned();
    let taken_over = if text.trim().is_empty() {
        // New, or left empty by a process killed between creating and writing it.
        None
    } else {
        match serde_json::from_str::<LockHolder>(&text) {
            Ok(previous) if previous.host == me.host => Some(previous),
            Ok(previous) => {
                return Err(LockError::OtherHost {
                    path: path.to_path_buf(),
                    holder: previous,
                    our_host: me.host.clone(),
                });
            }
            Err(e) => {
                return Err(LockError::Unrecognized {
                    path: path.to_path_buf(),
                    reason: format!("its content is not a lock record: {e}"),
                });
            }
        }
    };
    let mut record = serde_json::to_string(me).map_err(|e| io(e.into()))?;
    record.push('\n');
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(record.as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    Ok(Attempt::Locked(file, taken_over))
}

/// Read the holder of a lock someone else holds. It writes its record right after locking, so retry briefly
/// (bounded) when the file is still empty.
fn read_holder_of_locked(file: &mut File) -> Option<LockHolder> {
    for _ in 0..5 {
        if file.seek(SeekFrom::Start(0)).is_ok()
            && let Ok(bytes) = crate::fsio::read_open_capped(file, LOCK_LIMIT)
            && let Ok(holder) = serde_json::from_slice::<LockHolder>(&bytes)
        {
            return Some(holder);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

/// Whether `path` still names the file `file` has open (it may have been removed or replaced).
#[cfg(unix)]
fn still_at_path(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Windows refuses to delete an open file, so the file at `path` is the one we opened.
#[cfg(not(unix))]
fn still_at_path(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Now, to the second: enough to recognise an apply in a message.
fn now_to_the_second() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host name the tests run as.
    const HOST: &str = "this-host";

    fn state_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("bcprune.state.json")
    }

    #[test]
    fn lock_file_sits_beside_the_state_file() {
        assert_eq!(
            Lock::path_for(Path::new("ci/bcprune.state.json")),
            PathBuf::from("ci/bcprune.state.json.lock")
        );
    }

    #[test]
    fn first_acquire_writes_the_holder_and_drop_removes_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let acquired = Lock::acquire(&state, "run-1", HOST).expect("acquire");
        assert!(acquired.taken_over.is_none());
        let lock_path = Lock::path_for(&state);
        assert_eq!(acquired.lock.path(), lock_path);
        let holder: LockHolder =
            serde_json::from_str(&std::fs::read_to_string(&lock_path).expect("read"))
                .expect("json");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.host, HOST);
        assert_eq!(holder.run_id, "run-1");
        drop(acquired);
        assert!(
            !lock_path.exists(),
            "dropping the guard removes the lock file"
        );
        // And the lock is free again.
        Lock::acquire(&state, "run-2", HOST).expect("acquire again");
    }

    #[test]
    fn second_acquire_while_held_names_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let _held = Lock::acquire(&state, "run-1", HOST).expect("acquire");
        let err = Lock::acquire(&state, "run-2", HOST).expect_err("held");
        let LockError::Held { ref holder, .. } = err else {
            panic!("expected Held, got {err:?}");
        };
        let holder = holder.as_ref().expect("holder named");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.run_id, "run-1");
        let message = err.to_string();
        assert!(
            message.contains(&format!("process {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains(&format!("{HOST:?}")), "{message}");
        assert!(
            message.contains("Wait for that apply to finish"),
            "{message}"
        );
        assert!(message.contains("lock ID run-1"), "{message}");
        assert!(message.contains("right now"), "{message}");
        let lock_path = Lock::path_for(&state);
        // The refused attempt must not have removed or rewritten the holder's file.
        let text = std::fs::read_to_string(&lock_path).expect("still there");
        assert!(text.contains("run-1"), "{text}");
    }

    #[test]
    fn stale_lock_from_this_host_is_taken_over_and_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let dead = LockHolder {
            pid: 999_999,
            host: HOST.to_string(),
            started_at: "2026-11-28T20:00:00Z".parse().expect("ts"),
            run_id: "run-dead".into(),
        };
        std::fs::write(
            Lock::path_for(&state),
            serde_json::to_string(&dead).expect("json"),
        )
        .expect("write");
        let acquired = Lock::acquire(&state, "run-new", HOST).expect("take over");
        assert_eq!(acquired.taken_over, Some(dead));
        let text = std::fs::read_to_string(Lock::path_for(&state)).expect("read");
        assert!(text.contains("run-new"), "{text}");
    }

    #[test]
    fn a_takeover_says_gone_only_when_no_process_has_the_pid() {
        let mut holder = LockHolder {
            pid: std::process::id(),
            host: HOST.to_string(),
            started_at: "2026-11-28T20:00:00Z".parse().expect("ts"),
            run_id: "run-x".into(),
        };
        let live = describe_takeover(&holder);
        assert!(!live.contains("gone"), "{live}");
        assert!(
            live.contains("is running, but it does not hold the lock"),
            "{live}"
        );
        holder.pid = 999_999_999;
        assert!(describe_takeover(&holder).contains("a process that is gone"));
    }

    #[test]
    fn force_unlock_removes_only_a_matching_free_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let err = force_unlock(&state, "x").expect_err("no lock");
        assert!(matches!(err, UnlockError::NotLocked { .. }), "{err:?}");
        let other = LockHolder {
            pid: 4242,
            host: "ci-runner-gone".into(),
            started_at: "2026-11-28T20:00:00Z".parse().expect("ts"),
            run_id: "run-elsewhere".into(),
        };
        let lock_path = Lock::path_for(&state);
        std::fs::write(&lock_path, serde_json::to_string(&other).expect("json")).expect("write");
        let err = force_unlock(&state, "run-wrong").expect_err("mismatch");
        assert!(
            err.to_string()
                .contains("has lock ID run-elsewhere, not run-wrong"),
            "{err}"
        );
        assert!(lock_path.exists());
        assert_eq!(
            force_unlock(&state, "run-elsewhere").expect("unlock"),
            other
        );
        assert!(!lock_path.exists());
        // A lock held right now is never removed, even with its ID.
        let held = Lock::acquire(&state, "run-live", HOST).expect("acquire");
        let err = force_unlock(&state, "run-live").expect_err("in use");
        assert!(matches!(err, UnlockError::InUse { .. }), "{err:?}");
        assert!(lock_path.exists());
        drop(held);
    }

    #[test]
    fn empty_leftover_lock_file_is_taken_over_silently() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        std::fs::write(Lock::path_for(&state), "").expect("write");
        let acquired = Lock::acquire(&state, "run-new", HOST).expect("take over");
        assert!(acquired.taken_over.is_none());
    }

    #[test]
    fn stale_lock_from_another_host_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let other = LockHolder {
            pid: 4242,
            host: format!("not-{HOST}"),
            started_at: "2026-11-28T20:00:00Z".parse().expect("ts"),
            run_id: "run-elsewhere".into(),
        };
        let text = serde_json::to_string(&other).expect("json");
        std::fs::write(Lock::path_for(&state), &text).expect("write");
        let err = Lock::acquire(&state, "run-new", HOST).expect_err("other host");
        assert!(
            matches!(err, LockError::OtherHost { ref holder, .. } if *holder == other),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("another machine"), "{message}");
        assert!(message.contains("process 4242"), "{message}");
        assert!(
            message.contains(&format!(
                "bcprune force-unlock run-elsewhere --state {}",
                state.display()
            )),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(Lock::path_for(&state)).expect("read"),
            text
        );
    }

    #[test]
    fn garbage_lock_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        std::fs::write(Lock::path_for(&state), "hello").expect("write");
        let err = Lock::acquire(&state, "run-new", HOST).expect_err("garbage");
        assert!(matches!(err, LockError::Unrecognized { .. }), "{err:?}");
    }

    #[test]
    fn missing_directory_is_an_io_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("nope").join("bcprune.state.json");
        let err = Lock::acquire(&state, "run", HOST).expect_err("no dir");
        assert!(matches!(err, LockError::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn a_lock_file_removed_between_open_and_lock_is_not_taken() {
        // B opens the lock file while A holds it; A finishes (removes the file, unlocks). B's lock on the
        // unlinked file would exclude no one, so B must start again.
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let path = Lock::path_for(&state);
        let a = Lock::acquire(&state, "run-a", HOST).expect("acquire");
        let opened_by_b = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("open");
        drop(a);
        let me = LockHolder {
            pid: 1,
            host: HOST.to_string(),
            started_at: Timestamp::now(),
            run_id: "run-b".into(),
        };
        let attempt = lock_opened(opened_by_b, &path, &me).expect("no error");
        assert!(matches!(attempt, Attempt::Replaced), "{attempt:?}");
    }

    #[test]
    fn racing_acquires_never_both_hold_the_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_path(&dir);
        let holders = std::sync::atomic::AtomicUsize::new(0);
        let max_seen = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (state, holders, max_seen) = (&state, &holders, &max_seen);
                scope.spawn(move || {
                    for i in 0..50 {
                        if let Ok(acquired) = Lock::acquire(state, &format!("run-{t}-{i}"), HOST) {
                            let now = holders.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                            max_seen.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_micros(300));
                            holders.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                            drop(acquired);
                        }
                    }
                });
            }
        });
        assert_eq!(max_seen.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
