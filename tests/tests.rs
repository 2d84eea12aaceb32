//! One integration-test binary (as ripgrep and just do): modules per capability, shared `support/`.

mod memory;
mod support;

mod action;
mod apply;
mod audit;
mod cli;
mod demo;
mod economy;
mod evidence;
mod import;
mod layout;
mod manifest;
mod network;
mod plan;
mod receipt;
mod report;
mod resilience;
mod schema;
mod sim;
