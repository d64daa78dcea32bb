use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use kube_mcp::cli::{Cli, Command};
use kube_mcp::config::Config;
use kube_mcp::server::{self, Shutdown};
use kube_mcp::telemetry;
use kube_mcp::traces::Traces;

/// Exit code for a command line or configuration that cannot be used (the
/// same code clap uses for usage errors).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let command = Cli::command();
    let matches = match command.clone().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return usage_error(err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };

    match cli.command {
        Command::Serve(args) | Command::Stdio(args) => {
            let stdio = matches.subcommand_name() == Some("stdio");
            let config = match Config::load(&args) {
                Ok(config) => config,
                Err(err) => {
                    eprintln!("kube-mcp: invalid configuration: {err}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            // Before the runtime: the exporter's HTTP client must not be
            // made inside it.
            let traces = match Traces::start(&config.tracing) {
                Ok(traces) => traces,
                Err(err) => {
                    eprintln!("kube-mcp: {err}");
                    return ExitCode::FAILURE;
                }
            };
            telemetry::init(&config.logging, traces.as_ref().map(Traces::tracer));
            let code = if stdio {
                serve_stdio(config)
            } else {
                serve(config)
            };
            if let Some(traces) = traces {
                traces.shutdown();
            }
            code
        }
        Command::Plugin { command } => kube_mcp::authoring::run(command),
    }
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run(config)) {
        Ok(Shutdown::Graceful) => ExitCode::SUCCESS,
        Ok(Shutdown::Forced) => ExitCode::FAILURE,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve_stdio(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run_stdio(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints clap's help and version as they are; any other error as one line.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return ExitCode::from(if err.use_stderr() { EXIT_USAGE } else { 0 });
    }
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|line| {
        !line.is_empty() && !line.starts_with("Usage:") && !line.starts_with("For more information")
    });
    let first = lines.next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match lines.next() {
        Some(tip) => eprintln!("kube-mcp: {first} ({tip}); see 'kube-mcp --help'"),
        None => eprintln!("kube-mcp: {first}; see 'kube-mcp --help'"),
    }
    ExitCode::from(EXIT_USAGE)
}
