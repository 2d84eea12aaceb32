//! Faults a test switches on and off while a client is running against the fake store, to reproduce
//! what happens between a plan and an apply, or in the middle of an apply: failing listings, a DELETE
//! that lies, a DELETE that fails (or drops the connection) after doing its work, a request held in
//! flight, other apps eating the shared quota. Every fault applies to customers and subscribers alike
//! unless [`Faults::only`] narrows them to one resource.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use crate::Resource;

use super::config::{Hostile, HostileOrders};
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
    /// Armed by [`Faults::act_then_refuse`]: once a DELETE has acted and answered
    /// `fail_after_delete`, every later DELETE answers this and deletes nothing.
    pub then_fail_deletes: Option<u16>,
    pub fail_next: Option<(u32, u16)>,
    pub hostile: Option<Hostile>,
    /// The V2 order listings' hostile mode (orders only; [`Faults::only`] does not narrow it).
    pub hostile_orders: Option<HostileOrders>,
    /// Armed by [`Faults::hostile_after_delete`]: the hostile mode switched on by the first DELETE
    /// that removes a record.
    pub hostile_after_delete: Option<Hostile>,
    pub drop_after_delete: bool,
    pub echo_token: bool,
    pub only: Option<Resource>,
}

impl FaultState {
    /// Whether the run-time faults apply to a request on `resource`.
    pub fn applies_to(&self, resource: Resource) -> bool {
        self.only.is_none_or(|r| r == resource)
    }
}

/// A handle on the fake store's run-time faults; cheap to clone, effective from the next request.
#[derive(Debug, Clone)]
pub struct Faults {
    pub(crate) state: Arc<Mutex<FaultState>>,
    pub(crate) window: Arc<Mutex<FixedWindow>>,
    /// `true` while requests are held (see [`Faults::hold`]).
    pub(crate) held: Arc<watch::Sender<bool>>,
}

impl Faults {
    /// Answer every GET (customers or subscribers) with this status (and an `Error` body) from now
    /// on; `None` stops.
    pub fn fail_gets(&self, status: Option<u16>) {
        lock(&self.state).fail_gets = status;
    }

    /// Once a DELETE has removed a record, answer every later GET (customers or subscribers) with
    /// this status (the store breaks between an apply's deletes and its verification); `None` stops.
    pub fn fail_gets_after_delete(&self, status: Option<u16>) {
        let mut state = lock(&self.state);
        state.fail_gets_after_delete = status;
        if status.is_none() {
            state.fail_gets = None;
        }
    }

    /// Answer every DELETE (customers or subscribers) with this status, deleting nothing; `None` stops.
    pub fn fail_deletes(&self, status: Option<u16>) {
        lock(&self.state).fail_deletes = status;
    }

    /// Make DELETE answer 204 without deleting anything (a "lying 204").
    pub fn lying_deletes(&self, on: bool) {
        lock(&self.state).lying_deletes = on;
    }

    /// Make DELETE delete as asked and then answer this status (e.g. 500) instead of 204; `None` stops.
    /// For a subscriber, the per-ID and the collection DELETE alike.
    pub fn fail_after_delete(&self, status: Option<u16>) {
        lock(&self.state).fail_after_delete = status;
    }

    /// The next DELETE deletes as asked and answers `acted` (a 500, say); every DELETE after it
    /// deletes nothing and answers `then` (a 422, a 403): a retry refused although the first attempt
    /// was carried out, so a client that believes the last answer thinks nothing was deleted.
    pub fn act_then_refuse(&self, acted: u16, then: u16) {
        let mut state = lock(&self.state);
        state.fail_after_delete = Some(acted);
        state.then_fail_deletes = Some(then);
    }

    /// Make DELETE delete as asked and then close the connection without any answer (the client sees
    /// the connection end before a response: the outcome of its request is unknown to it).
    pub fn drop_after_delete(&self, on: bool) {
        lock(&self.state).drop_after_delete = on;
    }

    /// Answer every DELETE with a 403 whose title and `errors` quote the request's `X-Auth-Token`, as a
    /// careless gateway might: a client that shows, logs or stores server text as it came would leak
    /// the token (issue 9.1). Nothing is deleted.
    pub fn echo_token(&self, on: bool) {
        lock(&self.state).echo_token = on;
    }

    /// Narrow every run-time fault above (and the hostile mode) to one resource; `None`: both.
    /// The random `fail_rate`, rate limit and concurrency limit always apply to both.
    pub fn only(&self, resource: Option<Resource>) {
        lock(&self.state).only = resource;
    }

    /// Hold every request that passes the rate and concurrency limits in flight (they wait, counted as
    /// in flight, without an answer) until `hold(false)`; requests arriving meanwhile are held too.
    /// Lets a test put a request in flight deterministically, without timing.
    pub fn hold(&self, on: bool) {
        self.held.send_replace(on);
    }

    /// End the current rate-limit window now: the next request starts a fresh one (as if the window's
    /// time had run out), so a test can check the reset without sleeping through a window.
    pub fn end_window(&self) {
        lock(&self.window).reset();
    }

    /// Answer the next `count` authenticated requests with `status`, then behave normally.
    pub fn fail_next(&self, count: u32, status: u16) {
        lock(&self.state).fail_next = (count > 0).then_some((count, status));
    }

    /// Once a DELETE has removed a record, switch this hostile GET mode on (the store turns hostile
    /// between an apply's deletes and its verification); `None` disarms it.
    pub fn hostile_after_delete(&self, mode: Option<Hostile>) {
        lock(&self.state).hostile_after_delete = mode;
    }

    /// Switch a hostile GET mode on (or off with `None`).
    pub fn hostile(&self, mode: Option<Hostile>) {
        lock(&self.state).hostile = mode;
    }

    /// Switch a hostile mode of the V2 order listings on (or off with `None`).
    pub fn hostile_orders(&self, mode: Option<HostileOrders>) {
        lock(&self.state).hostile_orders = mode;
    }

    /// Spend `units` of the current rate-limit window, as other apps sharing the store's quota would.
    pub fn consume_quota(&self, units: u32) {
        lock(&self.window).spend(Instant::now(), units);
    }

    /// Turn every fault off (and release held requests).
    pub fn clear(&self) {
        *lock(&self.state) = FaultState::default();
        self.held.send_replace(false);
    }
}
