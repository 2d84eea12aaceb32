//! Helpers shared by the commands: logging setup and error printing.

/// Set up `tracing` on stderr: `-v` info, `-vv` debug, `-vvv` trace; `RUST_LOG` overrides.
/// The access token never reaches a log line: it lives only in a header value marked sensitive.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "bcprune=info",
        2 => "bcprune=debug",
        _ => "bcprune=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
