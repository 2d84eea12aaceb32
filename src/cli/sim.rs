//! `bcprune sim`: run the fake store in the foreground. OWNER: sim helper.

use crate::error::Exit;

pub fn run(_args: &super::SimArgs) -> Exit {
    Exit::Error
}
