//! `bcprune sim`: run the fake store in the foreground so a user can rehearse a pipeline (plan, apply,
//! rate limits, faults) without a real store. Prints where it listens and how to point bcprune at it;
//! stops on Ctrl-C.

use std::io::Write;
use std::time::Duration;

use super::error::CliError;
use crate::exit::Exit;
use crate::sim::{
    FIRST_ORDER_ID, HostileOrders, READ_ONLY_TOKEN, READ_WRITE_TOKEN, SimConfig, SimServer,
};

/// `bcprune sim` options: the fake store's knobs.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Number of seeded customers (IDs 1..=N).
    #[arg(long, default_value_t = 1000)]
    pub customers: u32,
    /// Number of seeded newsletter subscribers (IDs 1..=N, their own namespace; some are customers too).
    #[arg(long, default_value_t = 200)]
    pub subscribers: u32,
    /// Requests allowed per rate-limit window.
    #[arg(long, default_value_t = 150)]
    pub quota: u32,
    /// Rate-limit window in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub window_ms: u64,
    /// Store hash to serve.
    #[arg(long, default_value = "demo42")]
    pub store: String,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction (0..1) of requests answered with an injected 5xx.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Seed for customer data and injected faults.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Most customer IDs one DELETE may carry (more answers 413); unlimited when not given.
    #[arg(long)]
    pub max_ids_per_delete: Option<usize>,
    /// Most requests in flight at once (excess ones get a 429); unlimited when not given.
    #[arg(long)]
    pub max_in_flight: Option<usize>,
    /// Seed N V2 orders of customer ID (`ID:N`, repeatable), with its name, email and phone; order IDs
    /// from 100 on, customers' orders first, then guests', in the order given.
    #[arg(long = "orders", value_name = "ID:N")]
    pub orders: Vec<String>,
    /// Seed N guest orders (no customer account, `customer_id` 0) with this email (`EMAIL:N`,
    /// repeatable).
    #[arg(long = "guest-orders", value_name = "EMAIL:N")]
    pub guest_orders: Vec<String>,
    /// Make V2 order listings misbehave as a server could: a page repeated, a short page or a 204
    /// with more after it, pages that never end.
    #[arg(long, value_enum, value_name = "MODE")]
    pub hostile_orders: Option<HostileOrdersMode>,
}

/// `--hostile-orders` values ([`HostileOrders`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HostileOrdersMode {
    /// Every page answers page 1's orders (a cache that ignores `page`).
    RepeatedPage,
    /// Every page holds one order fewer than `limit` while more follow.
    ShortPageThenMore,
    /// Page 2 answers 204 while later pages hold orders.
    EmptyPageThenMore,
    /// Every page is full, with made-up orders past the real ones: the listing never ends.
    EndlessPages,
}

impl From<HostileOrdersMode> for HostileOrders {
    fn from(mode: HostileOrdersMode) -> Self {
        match mode {
            HostileOrdersMode::RepeatedPage => HostileOrders::RepeatedPage,
            HostileOrdersMode::ShortPageThenMore => HostileOrders::ShortPageThenMore,
            HostileOrdersMode::EmptyPageThenMore => HostileOrders::EmptyPageThenMore,
            HostileOrdersMode::EndlessPages => HostileOrders::EndlessPages,
        }
    }
}

/// The most orders `bcprune sim` seeds in all (their IDs and their shipping addresses' stay in range).
const MOST_ORDERS: u32 = 1_000_000;

/// `OWNER:N` → (owner, N), split at the last `:`; `what` names the owner in the message.
fn owner_and_count<'a>(
    flag: &'static str,
    value: &'a str,
    what: &str,
) -> Result<(&'a str, u32), CliError> {
    let bad = |why: &str| CliError::SimFlag {
        flag,
        message: format!("{why}: give {what}:N, e.g. {flag} {}", example(flag)),
    };
    let (owner, count) = value.rsplit_once(':').ok_or_else(|| bad("no `:N`"))?;
    let count = count
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| bad("N must be a whole number of orders, at least 1"))?;
    if owner.is_empty() {
        return Err(bad("nothing before the `:`"));
    }
    Ok((owner, count))
}

fn example(flag: &str) -> &'static str {
    if flag == "--orders" {
        "5:3"
    } else {
        "guest@example.com:2"
    }
}

/// The orders the flags seed, customers' then guests', onto `config`.
fn seed_orders(args: &SimArgs, mut config: SimConfig) -> Result<SimConfig, CliError> {
    let mut total: u64 = 0;
    for value in &args.orders {
        let (id, count) = owner_and_count("--orders", value, "a customer ID")?;
        let id = id
            .parse::<u32>()
            .ok()
            .filter(|id| *id >= 1)
            .ok_or_else(|| CliError::SimFlag {
                flag: "--orders",
                message: format!("{id:?} is not a customer ID (a whole number, at least 1)"),
            })?;
        total += u64::from(count);
        config = config.orders_for(id, count);
    }
    for value in &args.guest_orders {
        let (email, count) = owner_and_count("--guest-orders", value, "an email")?;
        total += u64::from(count);
        config = config.guest_orders(email, count);
    }
    if total > u64::from(MOST_ORDERS) {
        return Err(CliError::SimFlag {
            flag: "--orders",
            message: format!(
                "at most {MOST_ORDERS} orders in all (--orders and --guest-orders), got {total}"
            ),
        });
    }
    if let Some(mode) = args.hostile_orders {
        config = config.hostile_orders(mode.into());
    }
    Ok(config)
}

/// What the banner says of the seeded orders.
fn orders_line(config: &SimConfig) -> String {
    let total: u32 = config.orders.iter().map(|o| o.count).sum();
    let hostile = match config.hostile_orders {
        Some(mode) => format!("; listings hostile: {mode:?}"),
        None => String::new(),
    };
    if total == 0 {
        return format!("none (seed some with --orders ID:N, --guest-orders EMAIL:N){hostile}");
    }
    let last = FIRST_ORDER_ID + total - 1;
    format!("IDs {FIRST_ORDER_ID}..={last} (V2: /stores/{{hash}}/v2/orders){hostile}")
}

/// Turn the command-line knobs into a [`SimConfig`], or say which one is wrong.
fn config(args: &SimArgs) -> Result<SimConfig, CliError> {
    let flag = |flag, message: String| Err(CliError::SimFlag { flag, message });
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return flag(
            "--fail-rate",
            format!(
                "must be between 0 and 1 (a fraction of requests), got {}",
                args.fail_rate
            ),
        );
    }
    if args.quota == 0 {
        return flag("--quota", "must be at least 1 request per window".into());
    }
    if args.window_ms == 0 {
        return flag("--window-ms", "must be at least 1 millisecond".into());
    }
    if args.store.is_empty() || args.store.contains('/') {
        return flag(
            "--store",
            format!("must be a store hash without '/', got {:?}", args.store),
        );
    }
    if args.max_ids_per_delete == Some(0) {
        return flag("--max-ids-per-delete", "must be at least 1".into());
    }
    if args.max_in_flight == Some(0) {
        return flag("--max-in-flight", "must be at least 1".into());
    }
    let mut config = SimConfig::default()
        .port(args.port)
        .store_hash(args.store.clone())
        .customers(args.customers)
        .subscribers(args.subscribers)
        .seed(args.seed)
        .rate_limit(args.quota, Duration::from_millis(args.window_ms))
        .latency(Duration::from_millis(args.latency_ms))
        .fail_rate(args.fail_rate);
    config.max_ids_per_delete = args.max_ids_per_delete;
    config.max_in_flight = args.max_in_flight;
    seed_orders(args, config)
}

/// Run `bcprune sim` until Ctrl-C.
pub fn run(args: &SimArgs) -> Result<Exit, CliError> {
    let config = config(args)?;
    let runtime = super::common::runtime()?;
    runtime.block_on(async {
        let summary = format!(
            "IDs 1..={} (seed {}), {} requests per {} ms",
            config.customers, config.seed, config.quota, args.window_ms
        );
        let subscribers = format!(
            "IDs 1..={} (some are also customers, under other IDs)",
            config.subscribers
        );
        let orders = orders_line(&config);
        let port = config.port;
        let store = config.store_hash.clone();
        let server = SimServer::start(config)
            .await
            .map_err(|source| CliError::SimListen { port, source })?;
        let base = server.base_url();
        let mut out = std::io::stdout().lock();
        // The first line carries the URL so scripts can read it; the rest is for people.
        writeln!(
            out,
            "Fake BigCommerce store listening on {base} (Ctrl-C to stop)"
        )
        .and_then(|()| writeln!(out, "  store hash:       {store}"))
        .and_then(|()| writeln!(out, "  read-write token: {READ_WRITE_TOKEN}"))
        .and_then(|()| writeln!(out, "  read-only token:  {READ_ONLY_TOKEN}"))
        .and_then(|()| writeln!(out, "  customers:        {summary}"))
        .and_then(|()| writeln!(out, "  subscribers:      {subscribers}"))
        .and_then(|()| writeln!(out, "  orders:           {orders}"))
        .and_then(|()| writeln!(out, "Try:"))
        .and_then(|()| {
            writeln!(
                out,
                "  BIGCOMMERCE_API_URL={base} BIGCOMMERCE_ACCESS_TOKEN={READ_WRITE_TOKEN} \
                     bcprune plan examples/manifest.yaml --store-hash {store}"
            )
        })
        .and_then(|()| out.flush())
        .map_err(CliError::output)?;
        drop(out);
        tokio::signal::ctrl_c().await.map_err(CliError::Signal)?;
        super::common::note("Stopping the fake store.");
        drop(server);
        Ok(Exit::Success)
    })
}
