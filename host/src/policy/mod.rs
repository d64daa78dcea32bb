//! Access decisions as pure functions over data: easy to test, easy to read.
//!
//! - [`tools`]: which tools (and prompts, resources) a caller may see and
//!   call.
//!
//! What a plugin may do in Kubernetes is decided by the gateway
//! ([`crate::kube::grants`]).

pub mod tools;
