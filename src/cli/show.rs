//! `bcprune show`. OWNER: lead.

use crate::error::Exit;

pub fn run(_global: &super::GlobalArgs, _args: &super::ShowArgs) -> Exit {
    Exit::Error
}
