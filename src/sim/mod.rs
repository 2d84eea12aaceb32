//! The fake BigCommerce store: a faithful, stateful stand-in for `GET`/`DELETE
//! /stores/{hash}/v3/customers` (API-NOTES §7), so tests, `bcprune demo` and `bcprune sim` can exercise
//! every behaviour a client must survive — quirks, rate limits, faults and hostile responses — on
//! 127.0.0.1 without a real store or credentials.
//!
//! [`SimServer`] runs it (on the caller's tokio runtime or on its own thread), records every request,
//! and lets a test change the world mid-run: other actors editing or deleting customers
//! ([`SimServer::touch`], [`SimServer::remove`], [`SimServer::insert`]) and run-time faults
//! ([`SimServer::faults`]). What is fixed at start is in [`SimConfig`].

mod config;
mod faults;
mod handlers;
mod log;
mod params;
mod ratelimit;
mod store;

use std::collections::BTreeSet;
use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use config::{Hostile, InvalidIdIn, OverLimit, SimConfig, UnknownIds, UnknownPath};
pub use faults::Faults;
pub use log::RecordedRequest;
pub use params::{DEFAULT_LIMIT, MAX_LIMIT, encode_cursor};

use faults::FaultState;
use log::{RequestLog, lock};
use ratelimit::FixedWindow;
use store::{Include, Store};

/// A token with the `store_v2_customers` scope: may GET and DELETE.
pub const READ_WRITE_TOKEN: &str = "sim-token";
/// A token with only `store_v2_customers_read_only`: may GET; DELETE answers 403.
pub const READ_ONLY_TOKEN: &str = "sim-read-only-token";

/// How long a stopping background server waits for in-flight requests before it is torn down.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// State shared by every request handler and the [`SimServer`] handle.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) started: Instant,
    pub(crate) store: Mutex<Store>,
    pub(crate) window: Arc<Mutex<FixedWindow>>,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) rng: Mutex<fastrand::Rng>,
    pub(crate) in_flight: AtomicUsize,
    /// Becomes `true` when the server is stopping; long-running responses (latency, hangs) end then.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// A running fake store on 127.0.0.1. Dropping it stops the server, hanging responses included.
pub struct SimServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn build(config: SimConfig) -> (Arc<Shared>, watch::Sender<bool>) {
    let (stop, shutdown) = watch::channel(false);
    let window = Arc::new(Mutex::new(FixedWindow::new(config.quota, config.window)));
    let faults = Faults {
        state: Arc::new(Mutex::new(FaultState {
            hostile: config.hostile,
            ..FaultState::default()
        })),
        window: Arc::clone(&window),
    };
    let shared = Shared {
        store: Mutex::new(Store::seeded(config.seed, config.customers)),
        rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
        started: Instant::now(),
        window,
        faults,
        log: RequestLog::default(),
        in_flight: AtomicUsize::new(0),
        shutdown,
        config,
    };
    (Arc::new(shared), stop)
}

fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .fallback(handlers::handle)
        .with_state(shared)
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    // An error means the sender is gone: the server handle was dropped, so stop too.
    let _ = rx.wait_for(|s| *s).await;
}

impl SimServer {
    /// Start on the current tokio runtime, listening on 127.0.0.1 (`config.port`, 0 for any free port).
    pub async fn start(config: SimConfig) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let (shared, stop) = build(config);
        let serve = axum::serve(listener, router(Arc::clone(&shared)))
            .with_graceful_shutdown(stopped(shared.shutdown.clone()));
        tokio::spawn(serve.into_future());
        Ok(SimServer {
            shared,
            addr,
            stop,
            thread: None,
        })
    }

    /// Start on a thread of its own with its own runtime: for synchronous tests (assert_cmd) and
    /// `bcprune demo`. Returns once the port is bound.
    pub fn start_background(config: SimConfig) -> std::io::Result<SimServer> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shared, stop) = build(config);
        let app = router(Arc::clone(&shared));
        let shutdown = shared.shutdown.clone();
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let thread = std::thread::Builder::new()
            .name(format!("bcprune-sim-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let serve = axum::serve(listener, app)
                        .with_graceful_shutdown(stopped(shutdown.clone()))
                        .into_future();
                    tokio::select! {
                        _ = serve => {}
                        () = async { stopped(shutdown).await; tokio::time::sleep(STOP_GRACE).await } => {}
                    }
                });
                // Dropping the runtime cancels whatever is still running.
                drop(runtime);
            })?;
        Ok(SimServer {
            shared,
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the `--api-url`; customers are at `{base}/stores/{hash}/v3/customers`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `{base}/stores/{hash}/v3/customers`.
    pub fn customers_url(&self) -> String {
        format!(
            "{}/stores/{}/v3/customers",
            self.base_url(),
            self.shared.config.store_hash
        )
    }

    /// The socket address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration the server started with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.snapshot()
    }

    /// The IDs of the customers that exist now.
    pub fn customer_ids(&self) -> BTreeSet<u32> {
        lock(&self.shared.store).ids().collect()
    }

    /// The customer's record exactly as a GET would return it now (without `include`), if it exists.
    pub fn customer(&self, id: u32) -> Option<serde_json::Value> {
        lock(&self.shared.store)
            .get(id)
            .map(|c| c.to_json(Include::default()))
    }

    /// Another actor edited the customer: its `date_modified` moves forward (to now, or by a second).
    pub fn touch(&self, id: u32) {
        lock(&self.shared.store).touch(id, now_seconds());
    }

    /// Another actor deleted the customer.
    pub fn remove(&self, id: u32) {
        lock(&self.shared.store).remove(id);
    }

    /// A customer with this ID (re)appears: the seeded record for the ID, created and modified now.
    pub fn insert(&self, id: u32) {
        lock(&self.shared.store).insert(id, now_seconds());
    }

    /// The run-time fault switches.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// Stop serving. Also done on drop.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}
