//! `bcprune validate`: offline manifest check. OWNER: manifest helper.

use std::path::Path;

use crate::error::Exit;

pub fn run(_manifest: &Path) -> Exit {
    Exit::Error
}
