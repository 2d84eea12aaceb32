//! Faults a test switches on and off while a client is running against the fake store, to reproduce
//! what happens between a plan and an apply, or in the middle of an apply: failing listings, a DELETE
//! that lies, a DELETE that fails after doing its work, other apps eating the shared quota.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::config::Hostile;
use super::log::lock;
use super::ratelimit::FixedWindow;

/// The current run-time fault settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultState {
    pub fail_gets: Option<u16>,
    pub fail_gets_after_delete: Option<u16>,
    pub fail_deletes: Option<u16>,
    pub lying_deletes: bool,
    pub fail_after_delete: Option<u16>,
    pub fail_next: Option<(u32, u16)>,
    pub hostile: Option<Hostile>,
}

/// A handle on the fake store's run-time faults; cheap to clone, effective from the next request.
#[derive(Debug, Clone)]
pub struct Faults {
    pub(crate) state: Arc<Mutex<FaultState>>,
    pub(crate) window: Arc<Mutex<FixedWindow>>,
}

impl Faults {
    /// Answer every customers GET with this status (and an `Error` body) from now on; `None` stops.
    pub fn fail_gets(&self, status: Option<u16>) {
        lock(&self.state).fail_gets = status;
    }

    /// Once a DELETE has removed a customer, answer every later customers GET with this status (the store
    /// breaks between an apply's deletes and its verification); `None` stops.
    pub fn fail_gets_after_delete(&self, status: Option<u16>) {
        let mut state = lock(&self.state);
        state.fail_gets_after_delete = status;
        if status.is_none() {
            state.fail_gets = None;
        }
    }

    /// Answer every customers DELETE with this status, deleting nothing; `None` stops.
    pub fn fail_deletes(&self, status: Option<u16>) {
        lock(&self.state).fail_deletes = status;
    }

    /// Make DELETE answer 204 without deleting anything (a "lying 204").
    pub fn lying_deletes(&self, on: bool) {
        lock(&self.state).lying_deletes = on;
    }

    /// Make DELETE delete as asked and then answer this status (e.g. 500) instead of 204; `None` stops.
    pub fn fail_after_delete(&self, status: Option<u16>) {
        lock(&self.state).fail_after_delete = status;
    }

    /// Answer the next `count` authenticated customers requests with `status`, then behave normally.
    pub fn fail_next(&self, count: u32, status: u16) {
        lock(&self.state).fail_next = (count > 0).then_some((count, status));
    }

    /// Switch a hostile GET mode on (or off with `None`).
    pub fn hostile(&self, mode: Option<Hostile>) {
        lock(&self.state).hostile = mode;
    }

    /// Spend `units` of the current rate-limit window, as other apps sharing the store's quota would.
    pub fn consume_quota(&self, units: u32) {
        lock(&self.window).spend(Instant::now(), units);
    }

    /// Turn every fault off.
    pub fn clear(&self) {
        *lock(&self.state) = FaultState::default();
    }
}
