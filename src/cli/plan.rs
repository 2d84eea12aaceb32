//! `bcprune plan`. OWNER: lead.

use crate::error::Exit;

pub fn run(_global: &super::GlobalArgs, _args: &super::PlanArgs) -> Exit {
    Exit::Error
}
