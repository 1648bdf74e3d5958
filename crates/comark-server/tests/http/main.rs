//! The HTTP suite: the real server on a random port, on SQLite and on PostgreSQL.

mod account;
mod accounts;
mod accuracy;
mod assessment;
mod auth;
mod authz;
mod connections;
mod contract;
mod engagement;
mod exports;
mod hostile;
mod intake;
mod lifecycle;
mod maturity;
mod ops;
mod orgs;
mod partnerships;
mod profiles;
mod web;

pub use comark_testkit::{both_backends, TestApp, PASSWORD};
pub use serde_json::json;
