//! Exit codes: the outcomes a user or a CI pipeline acts on, one named code each (PRODUCT.md §2).

/// The process exit codes bcprune documents. Every command maps its result to exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; with `--detailed-exitcode`, also "no changes".
    Success,
    /// An error (bad manifest, API or network failure, bad arguments); nothing was deleted by this run.
    Error,
    /// `plan --detailed-exitcode`: the plan succeeded and deletions are pending.
    ChangesPending,
    /// Refused, nothing deleted: approval not given, `max_deletes` exceeded, stale saved plan, lock held.
    Refused,
    /// Partial: some deletions were done and some failed; state and audit log say exactly which.
    Partial,
    /// Interrupted by Ctrl-C: in-flight batches finished, state and audit log written.
    Interrupted,
}

impl Exit {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Error => 1,
            Exit::ChangesPending => 2,
            Exit::Refused => 3,
            Exit::Partial => 4,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}
