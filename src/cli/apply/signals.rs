//! Signal handling for `apply`: Ctrl-C and SIGTERM become [`Interrupt`] requests the run acts on, on
//! a thread of their own (the run's thread may be blocked at the approval prompt).

use std::sync::mpsc;
use std::time::Duration;

use crate::apply::Interrupt;

/// Ctrl-C and SIGTERM (what CI runners send on cancel) both trigger `interrupt`: the first lets the
/// requests in flight finish and starts nothing new, the second stops waiting for them. Neither exits
/// the process: the run ends normally, so the state and audit log are written and the lock released.
/// The handlers are installed before this returns.
pub(super) fn watch(interrupt: &Interrupt) {
    let interrupt = interrupt.clone();
    let (ready, installed) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready.send(());
                return;
            };
            runtime.block_on(async move {
                let mut signals = Signals::install();
                let _ = ready.send(());
                for count in 1..=2 {
                    if !signals.next().await {
                        return;
                    }
                    interrupt.trigger();
                    if count == 1 {
                        eprintln!(
                            "\nInterrupted: finishing the requests in flight, starting no new ones. Press Ctrl-C again to stop at once."
                        );
                    } else {
                        eprintln!(
                            "\nStopping at once: the requests in flight are abandoned; the state stays valid and the next apply settles them."
                        );
                    }
                }
            });
        });
    if spawned.is_ok() {
        let _ = installed.recv_timeout(Duration::from_secs(5));
    }
}

/// SIGINT and SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let streams = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Signals { streams }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal; `false` if none can be received.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        {
            let Some((int, term)) = &mut self.streams else {
                return false;
            };
            tokio::select! {
                got = int.recv() => got.is_some(),
                got = term.recv() => got.is_some(),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.is_ok()
    }
}
