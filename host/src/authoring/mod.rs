//! The `kube-mcp plugin` commands: what a plugin author (or an operator
//! checking a plugin) runs, with no server.
//!
//! - [`inspect`]: what a plugin says about itself, checked as the server
//!   checks it (`inspect`, `validate`);
//! - [`call`]: one call against the configured cluster (`call`);
//! - [`scaffold`]: a new project in Rust, TypeScript or Python (`new`);
//! - `compile`: fills the compiled-code cache ahead of time.

pub mod call;
pub mod command;
pub mod distribute;
pub mod inspect;
pub mod scaffold;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

pub use self::command::{LocalConfig, PluginCommand};
pub use self::scaffold::Lang;
use crate::config::{Config, ServerArgs};

/// Runs one `kube-mcp plugin` command; exits 1 with the reason on failure.
pub fn run(command: PluginCommand) -> ExitCode {
    match command {
        PluginCommand::Inspect { file, json, config } => {
            let Some(plugin) = load_for(&file, &config) else {
                return ExitCode::FAILURE;
            };
            if json {
                println!("{:#}", inspect::to_json(&plugin));
            } else {
                print!("{}", inspect::to_text(&plugin));
            }
            ExitCode::SUCCESS
        }
        PluginCommand::Validate { file, config } => {
            let Some(plugin) = load_for(&file, &config) else {
                return ExitCode::FAILURE;
            };
            let shown = file.display();
            let problems = inspect::schema_problems(&plugin);
            if !problems.is_empty() {
                for problem in problems {
                    eprintln!("kube-mcp: {shown}: {problem}");
                }
                return ExitCode::FAILURE;
            }
            for warning in inspect::warnings(&plugin, config.config.is_some()) {
                eprintln!("kube-mcp: {shown}: warning: {warning}");
            }
            let views = match plugin.views.views.len() {
                0 => String::new(),
                n => format!(" and {n} view(s)"),
            };
            println!(
                "{shown}: valid plugin '{}' {} with {} tool(s){views}",
                plugin.info.name,
                plugin.info.version,
                plugin.tools.len()
            );
            ExitCode::SUCCESS
        }
        PluginCommand::Call {
            file,
            tool,
            args,
            json,
            server,
        } => call::run(&file, &tool, &args, json, &server),
        PluginCommand::New { name, lang, dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            match scaffold::create(&name, lang, &dir) {
                Ok(files) => {
                    println!(
                        "created {} ({} files): a {} plugin with one tool, {}_pods",
                        dir.display(),
                        files.len(),
                        lang.name(),
                        name.replace('-', "_")
                    );
                    println!(
                        "next: cd {} && {}   # writes {name}.wasm; see README.md",
                        dir.display(),
                        lang.build_command()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("kube-mcp: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        PluginCommand::Wit { dir } => match scaffold::write_wit(&dir) {
            Ok(files) => {
                println!(
                    "wrote kube-mcp:plugin@0.1.3 to {} ({})",
                    dir.display(),
                    files.join(", ")
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kube-mcp: {e}");
                ExitCode::FAILURE
            }
        },
        PluginCommand::Compile { files, config } => compile(&expand(&files), &config),
        PluginCommand::Push {
            file,
            reference,
            registry,
        } => distribute::push(&file, &reference, &registry),
        PluginCommand::PushWit {
            reference,
            registry,
        } => distribute::push_wit(&reference, &registry),
        PluginCommand::Pull {
            reference,
            output,
            no_verify,
            trust,
            registry,
        } => distribute::pull(&reference, output.as_deref(), no_verify, &trust, &registry),
        PluginCommand::Sign {
            target,
            key,
            registry,
        } => distribute::sign(&target, &key, &registry),
        PluginCommand::Verify {
            target,
            trust,
            registry,
        } => distribute::verify(&target, &trust, &registry),
        PluginCommand::Keygen { output, algorithm } => distribute::keygen(&output, algorithm),
    }
}

/// The `.wasm` files of each directory in `paths` (sorted), and the other
/// paths as they are.
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                    .collect();
                found.sort();
                files.extend(found);
            }
            Err(_) => files.push(path.clone()),
        }
    }
    files
}

/// `plugin compile`: loads each file, which compiles it into the cache.
fn compile(files: &[PathBuf], local: &LocalConfig) -> ExitCode {
    let Some(first) = files.first() else {
        println!("no plugins to compile");
        return ExitCode::SUCCESS;
    };
    let config = match local_config(first, local) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("kube-mcp: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    if config.plugins.cache_dir.is_none() {
        eprintln!("kube-mcp: the compiled-code cache is off: nothing to compile into");
        return ExitCode::FAILURE;
    }
    let mut failed = false;
    for file in files {
        let started = Instant::now();
        match inspect::load(file, &config) {
            Ok((plugin, compiled)) => println!(
                "{}: {} '{}' in {:.1} s",
                file.display(),
                if compiled {
                    "compiled"
                } else {
                    "already cached:"
                },
                plugin.info.name,
                started.elapsed().as_secs_f64()
            ),
            Err(reason) => {
                eprintln!("kube-mcp: {}: {reason}", file.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Loads `file` with the configuration of `local`, or says why not.
fn load_for(file: &Path, local: &LocalConfig) -> Option<crate::plugins::Plugin> {
    let config = match local_config(file, local) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("kube-mcp: invalid configuration: {e}");
            return None;
        }
    };
    match inspect::load(file, &config) {
        Ok((plugin, _)) => Some(plugin),
        Err(reason) => {
            eprintln!("kube-mcp: {}: {reason}", file.display());
            None
        }
    }
}

/// The server configuration these commands read: `--config` and the cache
/// directory, with the plugin's own directory and no authentication (no
/// server runs).
pub(crate) fn local_config(
    file: &Path,
    local: &LocalConfig,
) -> Result<Config, crate::config::ConfigError> {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut given = vec![
        ("plugins_dir", dir.display().to_string(), false),
        ("no_auth", "true".to_owned(), false),
    ];
    if let Some(cache) = &local.plugin_cache_dir {
        given.push(("plugin_cache_dir", cache.clone(), false));
    }
    Config::load(&ServerArgs {
        config: local.config.clone(),
        given,
    })
}
