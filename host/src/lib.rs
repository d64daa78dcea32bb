//! kube-mcp: an MCP server for Kubernetes whose tools are sandboxed
//! WebAssembly components.
//!
//! The binary's `main` parses the command line ([`cli`]), resolves the
//! [`config`], starts logging ([`telemetry`]) and runs the [`server`].

pub mod answer;
pub mod auth;
pub mod cli;
pub mod config;
pub mod health;
pub mod inspect;
pub mod kube;
pub mod mcp;
pub mod metrics;
pub mod plugins;
pub mod policy;
pub mod server;
pub mod shutdown;
pub mod telemetry;
