//! Plugins distributed through OCI registries, signed and pinned.
//!
//! An operator names a plugin by reference (`plugins.sources`); the server
//! [resolves and pulls](fetch) it, checks every byte against its digest,
//! requires a pin or a [signature](signature) by a key the [trust
//! policy](trust) lets sign that plugin, and keeps what it verified in a
//! content-addressed [store]. The same pieces push, sign and verify from
//! the command line (`kube-mcp plugin push|pull|sign|verify`).

pub mod artifact;
pub mod auth;
pub mod fetch;
pub mod reference;
pub mod registry;
pub mod settings;
pub mod signature;
pub mod store;
pub mod trust;

pub use self::auth::RegistryCredentials;
pub use self::fetch::{Fetched, Fetcher, TrustedBy};
pub use self::reference::PluginRef;
pub use self::registry::{Registries, RegistryError};
pub use self::settings::{DEFAULT_POLL_INTERVAL, DistributionConfig, Source};
pub use self::store::Store;
pub use self::trust::{TrustPolicy, TrustRefusal, TrustedKey};
