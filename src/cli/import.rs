//! `bcprune import`: read erasure requests' emails (arguments, `--from CSV`, `-` for stdin), resolve them
//! to customer and subscriber IDs with read-only lookups, and write a new manifest file holding IDs only
//! (PRODUCT.md §8). The checks and the file are [`crate::import`]'s; this prints what was found, the
//! addresses masked.

use std::io::Write;
use std::path::Path;

use crate::exit::Exit;
use crate::import::{self, Defaults, Found, ImportError, Request};
use crate::manifest::Days;

use super::common::{self, plural};
use super::error::CliError;
use super::settings::Settings;

/// `bcprune import` options.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The new manifest file to write (it must not exist).
    #[arg(long, value_name = "FILE")]
    pub into: std::path::PathBuf,
    /// The reason on every entry (a ticket or request number, never an email); a CSV `reason` column
    /// overrides it. Required unless every CSV row has one.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The day the request arrived (YYYY-MM-DD, default today); a CSV `received` column overrides it.
    #[arg(long, value_name = "DATE")]
    pub received: Option<String>,
    /// The erasure request's reference (e.g. DSR-2026-0043; letters, digits, `.`, `_`, `:`, `-`), written
    /// as `request:` on every entry; the requests must share one `received` day.
    #[arg(long, value_name = "ID")]
    pub request: Option<String>,
    /// A CSV file with a header naming `email` and optionally `reason` and `received`.
    #[arg(long, value_name = "CSV")]
    pub from: Option<std::path::PathBuf>,
    /// The manifest directory FILE joins (IDs it lists already are left out); default: the nearest
    /// directory above FILE holding a bcprune.state.json, else FILE's directory.
    #[arg(long, value_name = "DIR")]
    pub manifest: Option<std::path::PathBuf>,
    /// `--orders redact`: the customers written get `orders: redact` (their orders are redacted once
    /// their retention ends), and the guests' orders found by email (`GET /v2/orders?email=`) are
    /// listed in `redact_orders`. Needs `orders_retention` in a file of the manifest directory.
    #[arg(long, value_enum, value_name = "redact")]
    pub orders: Option<OrdersMode>,
    /// Emails to look up; `-` reads one per line from standard input (arguments may be kept in your
    /// shell history: prefer --from or `-`).
    #[arg(value_name = "EMAIL")]
    pub emails: Vec<String>,
}

/// `--orders` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrdersMode {
    /// Redact the orders once their retention ends (`orders_retention`).
    Redact,
}

/// The most bytes read from `--from` or standard input (a request file, not a customer database).
const INPUT_LIMIT: u64 = 64 * 1024 * 1024;

pub fn run(settings: &Settings, args: &ImportArgs, days: Days) -> Result<Exit, CliError> {
    let today = days.today;
    let into = &args.into;
    if into.exists() || into.is_symlink() {
        return Err(ImportError::Exists(into.clone()).into());
    }
    // The manifest directory the new file joins (IDs it lists already are left out); FILE must be one
    // that `plan` reads there.
    let dir = import::manifest_dir(into, args.manifest.as_deref())?;
    import::check_into(into, &dir)?;
    let request = request_flag(args)?;
    let requests = read_requests(args, days)?;

    let existing = if import::holds_manifests(&dir) {
        Some(crate::manifest::load_with(&dir, &days.options()).map_err(CliError::Manifest)?)
    } else {
        None
    };
    let store_hash = match (
        &settings.store_hash,
        existing.as_ref().and_then(|m| m.store_hash.as_ref()),
    ) {
        (Some(flag), Some(file)) if flag != file => {
            return Err(CliError::StoreConflict {
                flag: flag.clone(),
                file: file.clone(),
            });
        }
        (Some(hash), _) | (None, Some(hash)) => hash.clone(),
        (None, None) => return Err(CliError::NoStore),
    };
    if let Some(request) = &request {
        import::check_request_days(request, &requests, existing.as_ref())?;
    }
    let listed = existing.as_ref().map(import::listed).unwrap_or_default();
    let listed_orders = existing
        .as_ref()
        .map(import::listed_orders)
        .unwrap_or_default();
    if args.orders.is_some()
        && existing
            .as_ref()
            .is_none_or(|m| m.orders.retention.is_none())
    {
        return Err(ImportError::NoRetention { dir: dir.clone() }.into());
    }

    let client = common::client(settings, &store_hash)?;
    let runtime = common::runtime()?;
    let emails: Vec<String> = requests.iter().map(|r| r.email.clone()).collect();
    let found: Vec<(Request, Found)> = runtime
        .block_on(async {
            let customers = client.customers_by_email(&emails).await?;
            let mut found = Vec::with_capacity(requests.len());
            for request in requests {
                let subscribers = client.subscribers_by_email(&request.email).await?;
                let customers = customers
                    .get(&request.email)
                    .map(|list| list.iter().map(|c| c.id).collect())
                    .unwrap_or_default();
                let subscribers = subscribers.iter().map(|s| s.id).collect();
                found.push((
                    request,
                    Found {
                        customers,
                        subscribers,
                        orders: None,
                    },
                ));
            }
            if args.orders.is_some() {
                look_up_orders(&client, &mut found).await?;
            }
            Ok::<_, crate::api::ApiError>(found)
        })
        .map_err(CliError::Lookup)?;
    let requests_sent = common::requests_sent(&client);
    common::log_stats(&client);

    let built = import::build(&found, &listed, &listed_orders, &store_hash, today);
    if !built.only_protected.is_empty() {
        return Err(ImportError::OnlyProtected(built.only_protected).into());
    }
    let text = match &request {
        Some(request) => import::with_request(&built.text, request),
        None => built.text.clone(),
    };
    import::write_new(into, &text, days.latest)?;

    // Every line masked once more as a whole (a path or anything else that holds an at sign).
    let mut text = Vec::new();
    print(&mut text, &built, into, &dir, &store_hash, requests_sent).map_err(CliError::output)?;
    let text = crate::mask::addresses(&String::from_utf8_lossy(&text));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(CliError::output)?;
    Ok(Exit::Success)
}

/// `--request ID`, checked by the manifest's own rule before anything is read or looked up.
fn request_flag(args: &ImportArgs) -> Result<Option<crate::manifest::RequestId>, CliError> {
    args.request
        .as_deref()
        .map(|text| {
            crate::manifest::parse_request(text)
                .map_err(|why| CliError::ImportFlag(format!("--request: {why}")))
        })
        .transpose()
}

/// Every request from the arguments, the CSV and standard input; all errors at once, nothing looked up
/// when any.
fn read_requests(args: &ImportArgs, days: Days) -> Result<Vec<Request>, CliError> {
    let today = days.today;
    let defaults = Defaults {
        reason: args.reason.clone(),
        received: args.received.clone(),
    };
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    // A bad --reason or --received is one error, not one per email.
    if let Some(reason) = &args.reason
        && let Err(why) = import::check_reason(reason)
    {
        return Err(CliError::ImportFlag(format!("--reason: {why}")));
    }
    if let Some(received) = &args.received
        && let Err(why) = import::parse_date(received, days.latest)
    {
        return Err(CliError::ImportFlag(format!("--received: {why}")));
    }
    let arguments: Vec<(usize, String)> = args
        .emails
        .iter()
        .enumerate()
        .filter(|(_, e)| e.as_str() != "-")
        .map(|(i, e)| (i + 1, e.clone()))
        .collect();
    let (from_args, bad) = import::from_arguments(&arguments, &defaults, days);
    requests.extend(from_args);
    errors.extend(bad);
    if let Some(csv) = &args.from {
        let text = read_text(csv)?;
        let (rows, bad) = import::from_csv(&text, &csv.display().to_string(), &defaults, days);
        requests.extend(rows);
        errors.extend(bad);
    }
    if args.emails.iter().any(|e| e == "-") {
        let bytes =
            crate::fsio::read_stdin_capped(INPUT_LIMIT).map_err(|source| ImportError::Read {
                path: "standard input".into(),
                source,
            })?;
        let text = String::from_utf8(bytes).map_err(|_| ImportError::Read {
            path: "standard input".into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })?;
        let (lines, bad) = import::from_lines(&text, "stdin", &defaults, days);
        requests.extend(lines);
        errors.extend(bad);
    }
    if !errors.is_empty() {
        return Err(ImportError::Input(errors).into());
    }
    // One lookup per address, ASCII case ignored (`api::same_address`: `\u{212A}ane@` is not
    // `kane@`); the first request for it gives reason and date.
    let mut seen = std::collections::BTreeSet::new();
    requests.retain(|r| seen.insert(r.email.to_ascii_lowercase()));
    if requests.is_empty() {
        return Err(ImportError::NoEmail.into());
    }
    if args.received.is_none() && requests.iter().any(|r| r.received == today) {
        common::note(format_args!(
            "received: {today} (today) where no date was given; pass --received or a `received` column \
             if the request arrived earlier"
        ));
    }
    Ok(requests)
}

/// `--orders redact`: each address's orders, through the API client's lookup.
async fn look_up_orders(
    client: &crate::api::Client,
    found: &mut [(Request, Found)],
) -> Result<(), crate::api::ApiError> {
    import::look_up_orders(found, |email| async move {
        client.orders_by_email(&email).await
    })
    .await
}

fn read_text(path: &Path) -> Result<String, ImportError> {
    crate::fsio::read_capped_to_string(path, INPUT_LIMIT).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn ids(noun: &str, ids: &[u32]) -> Option<String> {
    (!ids.is_empty()).then(|| {
        let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
        format!("{noun}{} {}", plural(ids.len()), list.join(", "))
    })
}

fn print(
    out: &mut dyn Write,
    built: &import::Built,
    into: &Path,
    dir: &Path,
    store_hash: &str,
    requests: u64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Looked up {} email{} in store {store_hash} ({requests} request{}):",
        built.resolved.len(),
        plural(built.resolved.len()),
        plural(requests as usize)
    )?;
    for (masked, found) in &built.resolved {
        let parts: Vec<String> = [
            ids("customer", &found.customers),
            ids("subscriber", &found.subscribers),
            ids("guest order", &found.guest_orders()),
            ids("order", &found.customer_orders()).map(|o| format!("{o} (of those customers)")),
            ids(
                "order",
                &found.other_orders().iter().map(|o| o.0).collect::<Vec<_>>(),
            )
            .map(|o| format!("{o} (of other customers)")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let what = if parts.is_empty() {
            "nothing found".to_string()
        } else {
            parts.join("; ")
        };
        writeln!(out, "  {masked}: {what}")?;
    }
    for left in &built.left_out {
        if left.at == import::PROTECTED {
            writeln!(
                out,
                "Left out {} {}: it is protected (`protect` in the manifest directory {}); remove it \
                 there first if it must be erased.",
                left.resource,
                left.id,
                dir.display()
            )?;
            continue;
        }
        writeln!(
            out,
            "Left out {} {}: already listed at {} (in the manifest directory {}).",
            left.resource,
            left.id,
            left.at,
            dir.display()
        )?;
    }
    print_orders(out, &built.orders, dir)?;
    writeln!(
        out,
        "Wrote {}: {} customer ID{} and {} subscriber ID{}; {} email{} matched nothing.",
        into.display(),
        built.customers,
        plural(built.customers),
        built.subscribers,
        plural(built.subscribers),
        built.unmatched,
        plural(built.unmatched),
    )?;
    writeln!(
        out,
        "Review it and commit it; `bcprune plan {}` shows what would be deleted.",
        dir.display()
    )?;
    Ok(())
}

/// What `--orders redact` wrote and left out (IDs only).
fn print_orders(
    out: &mut dyn Write,
    orders: &import::OrdersBuilt,
    dir: &Path,
) -> std::io::Result<()> {
    if !orders.asked {
        return Ok(());
    }
    for (order, at) in &orders.left_out {
        writeln!(
            out,
            "Left out order {order}: already listed at {at} (in the manifest directory {}).",
            dir.display()
        )?;
    }
    for (customer, at) in &orders.not_redacting {
        writeln!(
            out,
            "Customer {customer} is already listed at {at} without `orders: redact`: add it to that \
             entry if this customer's orders must be redacted too."
        )?;
    }
    for (order, customer) in &orders.others {
        writeln!(
            out,
            "Order {order} carries a looked-up address but belongs to customer {customer}, whom no \
             address matched: not listed; review customer {customer}."
        )?;
    }
    writeln!(
        out,
        "Orders: {} customer{} with `orders: redact` (each one's orders found and redacted once its \
         retention ends), {} guest order{} in redact_orders.",
        orders.redacting,
        plural(orders.redacting),
        orders.guest_orders,
        plural(orders.guest_orders)
    )
}
