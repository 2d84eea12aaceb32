//! `bcprune apply`. OWNER: lead.

use crate::error::Exit;

pub fn run(_global: &super::GlobalArgs, _args: &super::ApplyArgs) -> Exit {
    Exit::Error
}
