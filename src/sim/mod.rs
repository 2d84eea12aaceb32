//! The fake BigCommerce store: a faithful, stateful stand-in for `GET`/`DELETE
//! /stores/{hash}/v3/customers` (API-NOTES §7) and for the newsletter subscribers,
//! `/v3/customers/subscribers[/{id}]` (API-NOTES §10, `subscribers.v3.yml`) and for V2 orders,
//! `/stores/{hash}/v2/orders…` (API-NOTES §11), so tests, `bcprune demo`
//! and `bcprune sim` can exercise every behaviour a client must survive — quirks, rate limits, faults
//! and hostile responses — on 127.0.0.1 without a real store or credentials.
//!
//! Dangers are modelled, not softened: `DELETE /v3/customers/subscribers` (the collection) deletes
//! every subscriber, as the spec says, and every such request is in the log
//! ([`SimServer::collection_deletes`]) so a test can prove a client never sends it. Likewise
//! `DELETE /v2/orders` archives every order ([`SimServer::order_collection_deletes`]), and an order
//! `PUT`'s side effects are recorded ([`SimServer::order_events`]).
//!
//! Where the real API is undocumented (\[U\] in the notes) the sim picks the reading a client must
//! survive and makes the others a knob: emails compare exactly ([`EmailMatch`]); an unknown subscriber
//! ID deletes with 204 ([`UnknownSubscriber`]); the collection DELETE ignores parameters the spec does
//! not list for it (so `?id:in=…` still wipes everything); `limit` over 250 as for customers.
//!
//! [`SimServer`] runs it (on the caller's tokio runtime or on its own thread), records every request,
//! and lets a test change the world mid-run: other actors editing or deleting customers
//! ([`SimServer::touch`], [`SimServer::remove`], [`SimServer::insert`]) and subscribers (the
//! `*_subscriber` twins) and run-time faults ([`SimServer::faults`]). What is fixed at start is in
//! [`SimConfig`].

mod config;
mod customers;
mod faults;
mod handlers;
mod log;
mod order_api;
mod orders;
mod params;
mod ratelimit;
mod records;
mod respond;
mod subscriber_api;
mod subscribers;

use std::collections::BTreeSet;
use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use config::{
    ENDLESS_ORDER_ID, ENDLESS_ORDER_ID_LAST, EmailMatch, FIRST_ORDER_ID, Hostile, HostileOrders,
    InvalidIdIn, OrderOwner, OverLimit, SeededEmail, SeededOrders, SimConfig, UnknownIds,
    UnknownPath, UnknownSubscriber,
};
pub use faults::Faults;
pub use log::RecordedRequest;
pub use orders::OrderEvent;
pub use params::{DEFAULT_LIMIT, MAX_LIMIT, encode_cursor};

/// The key under which [`EmailMatch::IgnoreCase`] compares emails, folding as a database collation
/// may: fullwidth forms (U+FF01–U+FF5E) as their ASCII letters, `ſ` (U+017F) as `s`, then Unicode
/// lower case (so `K` U+212A is `k`). The store's own index uses it too, so an exact lookup is the
/// key's bucket filtered byte for byte.
pub fn collate(email: &str) -> String {
    email
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{017F}' => 's',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

use customers::Include;
use faults::FaultState;
use log::{RequestLog, lock};
use ratelimit::FixedWindow;
use records::{Records, Seeding};

/// A token with the `store_v2_customers` scope: may GET and DELETE (customers and subscribers).
pub const READ_WRITE_TOKEN: &str = "sim-token";
/// A token with only `store_v2_customers_read_only`: may GET; DELETE answers 403.
pub const READ_ONLY_TOKEN: &str = "sim-read-only-token";

/// How long a stopping background server waits for in-flight requests before it is torn down.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// State shared by every request handler and the [`SimServer`] handle.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) started: Instant,
    pub(crate) records: Mutex<Records>,
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
            hostile_orders: config.hostile_orders,
            ..FaultState::default()
        })),
        window: Arc::clone(&window),
        held: Arc::new(watch::channel(false).0),
    };
    let seeding = Seeding {
        seed: config.seed,
        customers: config.customers,
        subscribers: config.subscribers,
        customer_emails: config.customer_emails.clone(),
        subscriber_emails: config.subscriber_emails.clone(),
        orders: config.orders.clone(),
    };
    let shared = Shared {
        records: Mutex::new(Records::seeded(seeding)),
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

    /// `{base}/stores/{hash}/v2/orders`: the V2 orders collection (GET lists; DELETE archives all).
    pub fn orders_url(&self) -> String {
        format!(
            "{}/stores/{}/v2/orders",
            self.base_url(),
            self.shared.config.store_hash
        )
    }

    /// `{base}/stores/{hash}/v3/customers/subscribers`: the collection (GET lists; DELETE wipes).
    pub fn subscribers_url(&self) -> String {
        format!("{}/subscribers", self.customers_url())
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

    /// Every `DELETE` of the subscribers collection received so far, whatever its query or answer
    /// ([`RecordedRequest::is_subscriber_collection_delete`]): bcprune must never send one.
    pub fn collection_deletes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_subscriber_collection_delete)
            .collect()
    }

    /// Every `DELETE` of the orders *collection* (`/v2/orders`, any store, any query, whatever it was
    /// answered): the request that archives every order of the store, which bcprune must never send.
    pub fn order_collection_deletes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_order_collection_delete)
            .collect()
    }

    /// Every request on `/v2/orders…` so far, in arrival order.
    pub fn order_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_order_request)
            .collect()
    }

    /// Everything requests did to orders beyond §15's personal fields (discounts cleared, fees
    /// replaced, other fields set, archiving), in order: a test of a client asserts it is empty.
    pub fn order_events(&self) -> Vec<OrderEvent> {
        lock(&self.shared.records).orders.events.clone()
    }

    /// The order exactly as `GET /v2/orders/{id}` would return it now (archived ones too).
    pub fn order(&self, id: u32) -> Option<serde_json::Value> {
        let base = format!("/stores/{}/v2", self.shared.config.store_hash);
        lock(&self.shared.records)
            .orders
            .get(id)
            .map(|o| o.to_json(&base))
    }

    /// The order's shipping addresses, as `GET /v2/orders/{id}/shipping_addresses` returns them.
    pub fn order_shipping_addresses(&self, id: u32) -> Vec<serde_json::Value> {
        lock(&self.shared.records)
            .orders
            .get(id)
            .map(|o| {
                o.shipping_addresses
                    .iter()
                    .map(|a| serde_json::Value::Object(a.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The discount of each line item of the order, in cents (what a `products` PUT clears).
    pub fn order_discounts(&self, id: u32) -> Vec<u32> {
        lock(&self.shared.records)
            .orders
            .get(id)
            .map(|o| o.products.iter().map(|p| p.discount_cents).collect())
            .unwrap_or_default()
    }

    /// The IDs of every order (archived ones too) whose `customer_id` is now `customer`.
    pub fn orders_of(&self, customer: u32) -> BTreeSet<u32> {
        lock(&self.shared.records)
            .orders
            .all()
            .filter(|o| o.customer_id == customer)
            .map(|o| o.id)
            .collect()
    }

    /// The IDs of the orders that are archived now.
    pub fn archived_orders(&self) -> BTreeSet<u32> {
        lock(&self.shared.records)
            .orders
            .all()
            .filter(|o| o.is_deleted)
            .map(|o| o.id)
            .collect()
    }

    /// The IDs of the subscribers that exist now.
    pub fn subscriber_ids(&self) -> BTreeSet<u32> {
        lock(&self.shared.records).subscribers.ids().collect()
    }

    /// The subscriber's record exactly as a GET would return it now, if it exists.
    pub fn subscriber(&self, id: u32) -> Option<serde_json::Value> {
        lock(&self.shared.records)
            .subscribers
            .get(id)
            .map(subscribers::Subscriber::to_json)
    }

    /// Every subscriber now, as a GET would return them, by ID.
    pub fn subscribers(&self) -> Vec<serde_json::Value> {
        lock(&self.shared.records)
            .subscribers
            .all()
            .map(subscribers::Subscriber::to_json)
            .collect()
    }

    /// The seeded customer a subscriber is the same person as (same email), if it was seeded as one.
    pub fn subscriber_customer(&self, id: u32) -> Option<u32> {
        lock(&self.shared.records)
            .subscribers
            .get(id)
            .and_then(|s| s.customer_id)
    }

    /// The IDs of the customers whose email is exactly `email`.
    pub fn customers_with_email(&self, email: &str) -> BTreeSet<u32> {
        lock(&self.shared.records)
            .by_email(email, false)
            .iter()
            .map(|c| c.id)
            .collect()
    }

    /// The IDs of the subscribers whose email is exactly `email`.
    pub fn subscribers_with_email(&self, email: &str) -> BTreeSet<u32> {
        lock(&self.shared.records)
            .subscribers
            .by_email(email, false)
            .iter()
            .map(|s| s.id)
            .collect()
    }

    /// Another actor edited the subscriber: its `date_modified` moves forward.
    pub fn touch_subscriber(&self, id: u32) {
        lock(&self.shared.records)
            .subscribers
            .touch(id, now_seconds());
    }

    /// Another actor deleted the subscriber (e.g. the person unsubscribed in the control panel).
    pub fn remove_subscriber(&self, id: u32) {
        lock(&self.shared.records).subscribers.remove(id);
    }

    /// A subscriber with this ID (re)appears: the seeded record, created and modified now.
    pub fn insert_subscriber(&self, id: u32) {
        lock(&self.shared.records).insert_subscriber(id, now_seconds());
    }

    /// The IDs of the customers that exist now.
    pub fn customer_ids(&self) -> BTreeSet<u32> {
        lock(&self.shared.records).ids().collect()
    }

    /// The customer's record exactly as a GET would return it now (without `include`), if it exists.
    pub fn customer(&self, id: u32) -> Option<serde_json::Value> {
        lock(&self.shared.records)
            .get(id)
            .map(|c| c.to_json(Include::default()))
    }

    /// Another actor edited the customer: its `date_modified` moves forward (to now, or by a second).
    pub fn touch(&self, id: u32) {
        lock(&self.shared.records).touch(id, now_seconds());
    }

    /// Another actor deleted the customer.
    pub fn remove(&self, id: u32) {
        lock(&self.shared.records).remove(id);
    }

    /// A customer with this ID (re)appears: the seeded record for the ID, created and modified now.
    pub fn insert(&self, id: u32) {
        lock(&self.shared.records).insert(id, now_seconds());
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
