//! The command line: subcommands and the flags (with their environment
//! variables) of the server. `kube-mcp plugin ...` is declared by
//! [`crate::authoring`], which runs it.
//!
//! The server's flags are declared with the rest of each setting in
//! [`crate::config::settings`]; values are kept as the text the user wrote
//! and parsed there, so that an error can say whether the bad value came
//! from a flag or from an environment variable.

use clap::{Parser, Subcommand};

pub use crate::authoring::PluginCommand;
pub use crate::config::ServerArgs;

/// MCP server for Kubernetes whose tools are sandboxed WebAssembly plugins.
///
/// Every option can also be given as a KUBE_MCP_* environment variable or as
/// a key in the --config file; a flag wins over the environment, which wins
/// over the file.
#[derive(Debug, Parser)]
#[command(
    name = "kube-mcp",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MCP over HTTP, with health and readiness endpoints.
    Serve(Box<ServerArgs>),
    /// Serve MCP over stdin and stdout, for a local client that starts the
    /// server itself. Never authenticates; the HTTP settings are ignored.
    Stdio(Box<ServerArgs>),
    /// Look at a plugin component without running a server.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every server flag has an environment variable named after it, so the
    /// two spellings of a setting are predictable.
    #[test]
    fn every_flag_has_its_kube_mcp_variable() {
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let expected = format!("KUBE_MCP_{}", long.to_uppercase().replace('-', "_"));
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            assert_eq!(env.as_deref(), Some(expected.as_str()), "--{long}");
        }
    }
}
