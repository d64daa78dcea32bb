//! `kube-mcp plugin ...`: the subcommands that write, check, run and
//! distribute plugins, and their flags.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::ServerArgs;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Print a plugin's description, tools (with their arguments) and
    /// requested capabilities.
    Inspect {
        /// The plugin component (.wasm).
        file: PathBuf,
        /// Print JSON (with the whole schemas) instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: LocalConfig,
    },
    /// Check that a file is a plugin the server can load; exits 1 with the
    /// reason when it is not, and warns about what would hurt it in use.
    Validate {
        /// The plugin component (.wasm).
        file: PathBuf,
        #[command(flatten)]
        config: LocalConfig,
    },
    /// Call one tool of a plugin against the cluster of your kubeconfig,
    /// with no server: the same sandbox, limits and Kubernetes gateway.
    /// Grants come from --config; without one for the plugin, it gets what
    /// it requests (the cluster's RBAC still applies).
    Call {
        /// The plugin component (.wasm).
        file: PathBuf,
        /// The tool to call.
        tool: String,
        /// The arguments, as a JSON object.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        args: String,
        /// Print the whole MCP result as JSON instead of its text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Box<ServerArgs>,
    },
    /// Create a plugin project in Rust, TypeScript or Python that builds
    /// with one command and passes `plugin validate`.
    New {
        /// The plugin's name (lowercase letters, digits and '-'); grants
        /// refer to it.
        name: String,
        /// The language.
        #[arg(long, value_enum)]
        lang: super::scaffold::Lang,
        /// Where to create it (default: ./NAME); must be new or empty.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write the kube-mcp:plugin WIT package this server speaks into DIR
    /// (for wit-bindgen, componentize-py, componentize-js or wkg).
    Wit {
        /// Where to write it; must be new or empty.
        dir: PathBuf,
    },
    /// Compile plugins into the compiled-code cache ahead of time (in an
    /// image build or an init container), so the server starts without
    /// compiling.
    Compile {
        /// Plugin components (.wasm), or directories of them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        config: LocalConfig,
    },
    /// Push a plugin to an OCI registry as a Wasm artifact (the layout wkg
    /// and oci-wasm use), annotated with its name, version, WIT package,
    /// tools and requested capabilities. Prints the digest to pin or sign.
    Push {
        /// The plugin component (.wasm).
        file: PathBuf,
        /// Where: oci://REGISTRY/REPOSITORY:TAG.
        reference: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Push the kube-mcp:plugin WIT package this binary speaks, encoded as
    /// wkg publishes WIT packages, so plugin authors can fetch it.
    PushWit {
        /// Where: oci://REGISTRY/REPOSITORY:TAG.
        reference: String,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Pull a plugin from a registry into a file, verified: by the digest
    /// the reference pins, or by a signature from --key or --config's
    /// plugins.trust.
    Pull {
        /// oci://REGISTRY/REPOSITORY:TAG or @sha256:DIGEST.
        reference: String,
        /// The file to write (default: ./NAME.wasm).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write it without verifying (for inspection only).
        #[arg(long)]
        no_verify: bool,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Sign a plugin with a private key, as cosign does: in the registry
    /// (the sha256-DIGEST.sig tag) for oci://…, or a detached FILE.wasm.sig
    /// for a file.
    Sign {
        /// oci://REGISTRY/REPOSITORY:TAG (or @sha256:DIGEST), or FILE.wasm.
        target: String,
        /// PKCS#8 PEM private key (ECDSA P-256 or Ed25519).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Check that a plugin in a registry or a folder is signed by a trusted
    /// key, as the server would; exits 1 with the reason when it is not.
    Verify {
        /// oci://REGISTRY/REPOSITORY:TAG (or @sha256:DIGEST), or FILE.wasm.
        target: String,
        #[command(flatten)]
        trust: TrustArgs,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Generate a signing key pair: PREFIX.key (PKCS#8, keep it secret)
    /// and PREFIX.pub (for plugins.trust).
    Keygen {
        /// Where to write the pair (PREFIX.key and PREFIX.pub).
        #[arg(long, value_name = "PREFIX", default_value = "kube-mcp")]
        output: PathBuf,
        #[arg(long, value_enum, default_value = "ecdsa-p256")]
        algorithm: KeyAlgorithm,
    },
}

/// The key algorithms cosign-compatible keys use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KeyAlgorithm {
    EcdsaP256,
    Ed25519,
}

/// How to reach registries.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Docker config file with registry credentials (default:
    /// $DOCKER_CONFIG/config.json or ~/.docker/config.json when present).
    #[arg(long, env = "KUBE_MCP_REGISTRY_AUTH", value_name = "FILE")]
    pub registry_auth: Option<PathBuf>,
}

/// Which keys to trust when verifying.
#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    /// A trusted public key (PEM), allowed to sign anything; repeatable.
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    /// The server configuration whose plugins.trust (and plugins.sources
    /// names) apply.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The plugin name to check the keys' scope against (default: the
    /// source's name in --config, else the file or repository name).
    #[arg(long)]
    pub name: Option<String>,
}

/// The server configuration `inspect`, `validate` and `compile` read: its
/// plugin limits, and where compiled code is cached.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LocalConfig {
    /// The server's YAML configuration (its plugins.limits, overrides and
    /// cacheDir apply).
    #[arg(long, env = "KUBE_MCP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of compiled plugin code (default: the server's,
    /// ~/.cache/kube-mcp/compiled); `none` turns the cache off.
    #[arg(long, env = "KUBE_MCP_PLUGIN_CACHE_DIR", value_name = "DIR")]
    pub plugin_cache_dir: Option<String>,
}
