//! bcprune: a declarative reconciler that deletes BigCommerce customers a reviewed manifest says must not
//! exist, Terraform-style: `plan` reads the store and shows what would change, `apply` does exactly that
//! after approval, verifies it, and records it in a state file and a hash-chained audit log.
//!
//! Data flows one way through the stages, one module each:
//! [`manifest`] (files → validated [`manifest::Manifest`]) → [`api`] (live read-only snapshot) →
//! [`plan::compute`] (pure) → [`render`] (table / JSON / markdown / diff) → [`apply`] (approved deletes,
//! with [`state`] and [`audit`] records). [`sim`] is the in-repo fake store used by tests and `demo`.
//! [`cli`] is the only layer that prints.

pub mod api;
pub mod apply;
pub mod audit;
pub mod by_request;
pub mod cli;
pub mod demo_manifests;
pub mod evidence;
pub mod exit;
pub mod fsio;
pub mod import;
pub mod live;
pub mod manifest;
pub mod mask;
pub mod order_redaction;
pub mod plan;
pub mod receipt;
pub mod render;
pub mod report;
pub mod resource;
pub mod retention;
pub mod schema;
pub mod sim;
pub mod state;
pub mod store;
pub mod text;

pub use resource::{CustomerId, Resource, SubscriberId};
