//! `bcprune sim`: run the fake store in the foreground so a user can rehearse a pipeline (plan, apply,
//! rate limits, faults) without a real store. Prints where it listens and how to point bcprune at it;
//! stops on Ctrl-C.

use std::io::Write;
use std::time::Duration;

use super::error::CliError;
use crate::exit::Exit;
use crate::sim::{READ_ONLY_TOKEN, READ_WRITE_TOKEN, SimConfig, SimServer};

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
    Ok(config)
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
