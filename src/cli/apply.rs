//! `bcprune apply`: resolve the settings, hand them to [`crate::apply::run`] with the terminal's view,
//! prompt and signal handling, render the outcome and exit with the code it carries.

mod signals;
mod view;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A manifest file or directory (optional with --plan: then it replaces the plan's recorded path).
    pub manifest: Option<std::path::PathBuf>,
    /// Apply a saved plan; passing it is the approval.
    #[arg(long)]
    pub plan: Option<std::path::PathBuf>,
    /// Do not ask for approval.
    #[arg(long)]
    pub auto_approve: bool,
    /// Show every row of the table (default: the first 100 per action).
    #[arg(long)]
    pub full: bool,
    /// List every manifest ID, including those the state records as settled (see `plan --refresh-all`).
    #[arg(long, conflicts_with = "plan")]
    pub refresh_all: bool,
}

pub(super) use view::Terminal;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use crate::apply::{self, Approval, ApprovalRequest, Approver, Interrupt, Request};
use crate::exit::Exit;
use crate::plan::{PlanFile, PlanSource};

use super::common::{self, plural};
use super::error::CliError;
use super::settings::{Settings, check_distinct_files};

/// The most of an approval answer read: `yes` and its line end, with room for spaces around it.
const ANSWER_LIMIT: u64 = 256;

pub fn run(global: &Settings, args: &ApplyArgs) -> Result<Exit, CliError> {
    let (request, source, client) = prepare(global, args)?;
    let runtime = common::runtime()?;
    let interrupt = Interrupt::default();
    signals::watch(&interrupt);
    let view = view::Terminal::new(global.no_color, request.batch_size, &client);
    let prompt = Prompt {
        interrupt: interrupt.clone(),
    };
    // Reconciling and listing come first: their progress until the view hears they are listed.
    super::progress::start("Listing", None);
    let outcome = runtime.block_on(apply::run(
        &request, &source, &client, &view, &prompt, &interrupt,
    ));
    common::log_stats(&client);
    view.outcome(&outcome);
    Ok(outcome.exit())
}

/// Settings from the arguments, the environment, the manifest and the saved plan, and where the plan
/// comes from.
fn prepare(
    global: &Settings,
    args: &ApplyArgs,
) -> Result<(Request, PlanSource, crate::api::Client), CliError> {
    let saved = match &args.plan {
        Some(path) => Some(PlanFile {
            plan: crate::plan::file::read(path)?,
            path: path.clone(),
        }),
        None => None,
    };
    let manifest_path: PathBuf = match (&args.manifest, &saved) {
        (Some(path), _) => path.clone(),
        (None, Some(saved)) => saved.plan.manifest.locate(&saved.path),
        (None, None) => return Err(CliError::ApplyNeedsManifest),
    };
    let manifest = common::load_manifest(&manifest_path)?;
    let files = global.files(&manifest_path);
    check_distinct_files(
        &manifest.files,
        &files,
        args.plan.as_deref().map(|plan| ("--plan", plan)),
    )?;
    common::note(manifest.summary());
    let store_hash = match (common::store_hash(global, &manifest), &saved) {
        (Ok(hash), _) => hash,
        // A saved plan names its store: with no other source, it is the target (the offline check
        // refuses the plan if another source disagrees).
        (Err(_), Some(saved)) if global.store_hash.is_none() && manifest.store_hash.is_none() => {
            saved.plan.store_hash.clone()
        }
        (Err(e), _) => return Err(e),
    };
    let client = common::client(global, &store_hash)?;
    let request = Request {
        state_path: files.state,
        audit_path: files.audit_log,
        manifest,
        store_hash,
        batch_size: usize::from(global.batch_size),
        parallelism: usize::from(global.parallelism),
        max_deletes: global.max_deletes,
        auto_approve: args.auto_approve,
        full: args.full,
        run_id: uuid::Uuid::new_v4().to_string(),
        host: global.host.clone(),
        actor: global.actor.clone(),
    };
    let source = match saved {
        Some(file) => PlanSource::Saved(Box::new(file)),
        None => PlanSource::Fresh {
            refresh_all: args.refresh_all,
        },
    };
    Ok((request, source, client))
}

/// The approval prompt on stderr; only the literal answer `yes` on stdin approves (piped input counts;
/// end of input declines). A signal while waiting ends the prompt as interrupted.
struct Prompt {
    interrupt: Interrupt,
}

impl Approver for Prompt {
    fn approve(&self, request: &ApprovalRequest<'_>) -> Approval {
        let count = request.count;
        let deletions = match request.subscribers {
            0 => format!("{count} customer{}", plural(count)),
            subscribers => format!(
                "{count} customer{} and {subscribers} newsletter subscriber{}",
                plural(count),
                plural(subscribers)
            ),
        };
        // Redactions are said as what they are, never as deletions (PRODUCT §15).
        let redactions = format!("{} order{}", request.orders, plural(request.orders));
        let question = match (count + request.subscribers, request.orders) {
            (_, 0) => format!("Delete {deletions} from store {}", request.store_hash),
            (0, _) => format!(
                "Redact the personal fields of {redactions} in store {}",
                request.store_hash
            ),
            _ => format!(
                "Delete {deletions} from store {}, and redact the personal fields of {redactions}",
                request.store_hash
            ),
        };
        eprintln!();
        eprintln!("{question}? There is no undo.");
        eprintln!("Only 'yes' will be accepted to approve.");
        eprint!("  Enter a value: ");
        let _ = std::io::stderr().flush();
        // stdin is read on its own thread, so a signal can end the wait (the thread ends with the process).
        let (answer, answered) = mpsc::channel();
        let reader = std::thread::Builder::new().spawn(move || {
            // An answer is a word: a longer line (`< /dev/zero`) is cut, never held whole.
            let read = crate::fsio::read_line_capped(std::io::stdin().lock(), ANSWER_LIMIT);
            let _ = answer.send(read.map(|line| (line.len(), line)));
        });
        if reader.is_err() {
            return Approval::Declined;
        }
        loop {
            if self.interrupt.is_set() {
                eprintln!();
                return Approval::Interrupted;
            }
            match answered.recv_timeout(Duration::from_millis(50)) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(Ok((n, line))) if n > 0 => {
                    // A terminal echoed the answer and its Enter; piped input did not, so end the
                    // prompt's line before anything else is printed.
                    if !std::io::stdin().is_terminal() {
                        eprintln!();
                    }
                    return if line.trim() == "yes" {
                        Approval::Approved
                    } else {
                        Approval::Declined
                    };
                }
                Ok(_) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    eprintln!();
                    return Approval::Declined;
                }
            }
        }
    }
}
