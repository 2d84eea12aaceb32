//! `bcprune demo`. OWNER: lead.

use crate::error::Exit;

pub fn run(_global: &super::GlobalArgs) -> Exit {
    Exit::Error
}
