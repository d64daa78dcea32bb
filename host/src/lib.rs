//! kube-mcp: an MCP server for Kubernetes whose tools are sandboxed
//! WebAssembly components.
//!
//! The binary's `main` parses the command line ([`cli`]), resolves the
//! [`config`], starts logging ([`telemetry`]) and runs the [`server`].

pub mod answer;
pub mod apps;
pub mod auth;
pub mod authoring;
pub mod cli;
pub mod config;
pub mod distribution;
pub mod health;
pub mod in_flight;
pub mod kube;
pub mod mcp;
pub mod metrics;
pub mod plugins;
pub mod policy;
pub mod schema_dialect;
pub mod server;
pub mod shutdown;
pub mod telemetry;
pub mod text;
pub mod traces;
pub mod wit;

/// A boxed future, so that traits with async methods (a cluster, a client
/// peer) can be used as trait objects.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
