//! `bcprune audit verify`. OWNER: state/audit helper.

use std::path::Path;

use crate::error::Exit;

pub fn verify(_log: &Path) -> Exit {
    Exit::Error
}
