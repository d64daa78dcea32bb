//! Access decisions as pure functions over data: easy to test, easy to read.
//!
//! - [`grants`]: what a plugin may do in Kubernetes — what it requested
//!   intersected with what the operator granted.
//! - [`tools`]: which tools a caller may see and call.

pub mod grants;
pub mod tools;
