//! Run-and-interrupt scenarios: spawn `bcprune` against a fake store with arguments and environment, wait
//! (bounded) until a condition on the store's request log, a file or stderr holds, send a signal or kill,
//! then wait (bounded) for the exit and collect its status, stdout and stderr.
//!
//! ```ignore
//! let mut run = Run::apply(&sim, &manifest).args(["--batch-size", "5"]).spawn();
//! run.wait_until("4 DELETEs", || deletes(&sim).len() >= 4);
//! run.signal("INT");
//! let done = run.finish();
//! assert_eq!(done.code(), Some(130));
//! ```

use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bcprune::sim::{READ_WRITE_TOKEN, SimServer};

/// How long a condition may take to hold.
const CONDITION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long bcprune may take to exit once told to.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A `bcprune` invocation to spawn.
#[must_use]
pub struct Run {
    args: Vec<OsString>,
    /// The last argument, after every other.
    manifest: Option<OsString>,
    env: Vec<(String, String)>,
    prompt: bool,
}

impl Run {
    /// `bcprune` with no store settings and no arguments yet (for `bcprune sim`, which is the store).
    pub fn bare() -> Run {
        Run {
            args: Vec::new(),
            manifest: None,
            env: Vec::new(),
            prompt: false,
        }
    }

    /// `bcprune` pointed at `sim` (read-write token, store `demo42`), with no arguments yet.
    pub fn at(sim: &SimServer) -> Run {
        Run::bare()
            .env("BIGCOMMERCE_API_URL", &sim.base_url())
            .env("BIGCOMMERCE_ACCESS_TOKEN", READ_WRITE_TOKEN)
            .env("BIGCOMMERCE_STORE_HASH", "demo42")
    }

    /// `bcprune apply --auto-approve [ARGS] MANIFEST` against `sim` with fast retries: the arguments given
    /// with [`Run::args`] go before the manifest.
    pub fn apply(sim: &SimServer, manifest: &Path) -> Run {
        Run {
            manifest: Some(manifest.as_os_str().to_owned()),
            ..Run::at(sim)
                .args(["apply", "--auto-approve"])
                .env("BCPRUNE_RETRY", "base_ms=2,cap_ms=50")
        }
    }

    /// More arguments (for [`Run::apply`], before the manifest).
    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Set an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Run {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Keep standard input open (a pipe) so that bcprune can ask for approval; by default it reads nothing.
    pub fn prompt(mut self) -> Run {
        self.prompt = true;
        self
    }

    /// Start it, its stdout and stderr collected as they come.
    #[track_caller]
    pub fn spawn(self) -> Running {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("bcprune"));
        cmd.args(&self.args).args(&self.manifest);
        for var in [
            "BIGCOMMERCE_STORE_HASH",
            "BIGCOMMERCE_ACCESS_TOKEN",
            "BIGCOMMERCE_API_URL",
            "RUST_LOG",
            "NO_COLOR",
        ] {
            cmd.env_remove(var);
        }
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd.stdin(if self.prompt {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn bcprune");
        let stdout = Stream::collect(child.stdout.take().expect("piped stdout"));
        let stderr = Stream::collect(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            stdout,
            stderr,
        }
    }
}

/// Lines of one output stream, collected by a thread as they come.
struct Stream {
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Stream {
    fn collect(source: impl Read + Send + 'static) -> Stream {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(source).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("lines").push(line);
            }
        });
        Stream {
            lines,
            reader: Some(reader),
        }
    }

    fn text(&self) -> String {
        self.lines.lock().expect("lines").join("\n")
    }

    /// Everything, once the stream has ended.
    fn finish(mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.text()
    }
}

/// A running `bcprune`.
pub struct Running {
    child: Child,
    stdout: Stream,
    stderr: Stream,
}

impl Running {
    /// Wait (at most 30 s) until `condition` holds; `what` names it if it never does.
    #[track_caller]
    pub fn wait_until(&self, what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + CONDITION_TIMEOUT;
        while !condition() {
            assert!(
                Instant::now() < deadline,
                "not within {CONDITION_TIMEOUT:?}: {what}; stderr so far:\n{}",
                self.stderr.text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait (at most 30 s) until stderr contains `needle`.
    #[track_caller]
    pub fn wait_for_stderr(&self, needle: &str) {
        self.wait_until(&format!("{needle:?} on stderr"), || {
            self.stderr.text().contains(needle)
        });
    }

    /// Wait (at most 30 s) until stdout holds at least `lines` lines.
    #[track_caller]
    pub fn wait_for_stdout_lines(&self, lines: usize) {
        self.wait_until(&format!("{lines} lines on stdout"), || {
            self.stdout.text().lines().count() >= lines
        });
    }

    /// Stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Send the signal `name` (`INT`, `TERM`, …).
    #[track_caller]
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL it and collect what it wrote.
    pub fn kill(mut self) -> Finished {
        self.child.kill().expect("SIGKILL");
        self.finish()
    }

    /// Wait (at most 60 s) for it to exit, then collect its status and output. Its standard input (when
    /// [`Run::prompt`] kept one) is closed after it exits.
    #[track_caller]
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "bcprune did not exit within {EXIT_TIMEOUT:?}; stderr:\n{}",
                    self.stderr.text()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        drop(self.child.stdin.take());
        Finished {
            status,
            stdout: self.stdout.finish(),
            stderr: self.stderr.finish(),
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}
