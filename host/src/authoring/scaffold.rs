//! `kube-mcp plugin new`: a plugin project that builds on its own.
//!
//! The templates (`sdk/templates/`), the SDKs (`sdk/`) and the WIT package
//! (`wit/`) are compiled into the binary, so a project can be made anywhere
//! the binary runs, with no checkout of this repository: the project gets
//! its own copy of `wit/` and of the SDK (in `vendor/`), and depends on
//! nothing of this workspace.

use std::path::{Path, PathBuf};

/// A language a plugin can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    #[value(alias = "ts", alias = "javascript", alias = "js")]
    Typescript,
    #[value(alias = "py")]
    Python,
}

/// One file of a project: where it goes, what it holds, and whether the
/// `{{...}}` placeholders are filled in (templates) or not (SDK, WIT).
#[derive(Clone, Copy)]
struct File {
    path: &'static str,
    text: &'static str,
    template: bool,
}

macro_rules! files {
    ($($kind:ident $to:literal <- $from:literal),* $(,)?) => {
        &[$(File {
            path: $to,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../", $from)),
            template: files!(@$kind),
        }),*]
    };
    (@template) => { true };
    (@copy) => { false };
}

const README: File = File {
    path: "README.md",
    text: include_str!("../../../sdk/templates/README.md"),
    template: true,
};

/// The WIT package, from [`crate::wit::SOURCES`].
const WIT: &[File] = &{
    let sources = crate::wit::SOURCES;
    let mut files = [File {
        path: "",
        text: "",
        template: false,
    }; crate::wit::SOURCES.len()];
    let mut i = 0;
    while i < files.len() {
        files[i] = File {
            path: sources[i].0,
            text: sources[i].1,
            template: false,
        };
        i += 1;
    }
    files
};

const RUST: &[File] = files![
    template "Cargo.toml" <- "sdk/templates/rust/Cargo.toml",
    template "Makefile" <- "sdk/templates/rust/Makefile",
    template "src/lib.rs" <- "sdk/templates/rust/src/lib.rs",
    template ".gitignore" <- "sdk/templates/rust/.gitignore",
    copy "vendor/kube-mcp-plugin/Cargo.toml" <- "sdk/rust/Cargo.toml",
    copy "vendor/kube-mcp-plugin/src/lib.rs" <- "sdk/rust/src/lib.rs",
    copy "vendor/kube-mcp-plugin/src/args.rs" <- "sdk/rust/src/args.rs",
    copy "vendor/kube-mcp-plugin/src/builder.rs" <- "sdk/rust/src/builder.rs",
    copy "vendor/kube-mcp-plugin/src/confirm.rs" <- "sdk/rust/src/confirm.rs",
    copy "vendor/kube-mcp-plugin/src/kube.rs" <- "sdk/rust/src/kube.rs",
    copy "vendor/kube-mcp-plugin/src/plugin.rs" <- "sdk/rust/src/plugin.rs",
    copy "vendor/kube-mcp-plugin/src/rollout.rs" <- "sdk/rust/src/rollout.rs",
    copy "vendor/kube-mcp-plugin/src/wait.rs" <- "sdk/rust/src/wait.rs",
    copy "vendor/kube-mcp-plugin/src/view.rs" <- "sdk/rust/src/view.rs",
];

const TYPESCRIPT: &[File] = files![
    template "package.json" <- "sdk/templates/typescript/package.json",
    template "build.mjs" <- "sdk/templates/typescript/build.mjs",
    template "tsconfig.json" <- "sdk/templates/typescript/tsconfig.json",
    template "src/plugin.ts" <- "sdk/templates/typescript/src/plugin.ts",
    template "src/view.html" <- "sdk/templates/typescript/src/view.html",
    template "src/html.d.ts" <- "sdk/templates/typescript/src/html.d.ts",
    template ".gitignore" <- "sdk/templates/typescript/.gitignore",
    copy "vendor/kube-mcp-plugin/package.json" <- "sdk/js/package.json",
    copy "vendor/kube-mcp-plugin/README.md" <- "sdk/js/README.md",
    copy "vendor/kube-mcp-plugin/src/index.ts" <- "sdk/js/src/index.ts",
    copy "vendor/kube-mcp-plugin/src/wit/app-plugin.d.ts" <- "sdk/js/src/wit/app-plugin.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-app-provider.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-app-provider.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-client.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-client.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-config.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-config.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-kubernetes.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-kubernetes.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-log.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-log.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-progress.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-progress.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-tool-execution.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-tool-execution.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-tool-provider.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-tool-provider.d.ts",
    copy "vendor/kube-mcp-plugin/src/wit/interfaces/kube-mcp-plugin-types.d.ts" <- "sdk/js/src/wit/interfaces/kube-mcp-plugin-types.d.ts",
];

const PYTHON: &[File] = files![
    template "app.py" <- "sdk/templates/python/app.py",
    template "build.sh" <- "sdk/templates/python/build.sh",
    template ".gitignore" <- "sdk/templates/python/.gitignore",
    copy "vendor/kube_mcp_plugin/__init__.py" <- "sdk/python/kube_mcp_plugin/__init__.py",
    copy "vendor/kube_mcp_plugin/_schema.py" <- "sdk/python/kube_mcp_plugin/_schema.py",
    copy "vendor/kube_mcp_plugin/py.typed" <- "sdk/python/kube_mcp_plugin/py.typed",
];

/// Files that must be executable.
const EXECUTABLE: &[&str] = &["build.sh"];

impl Lang {
    fn files(self) -> &'static [File] {
        match self {
            Lang::Rust => RUST,
            Lang::Typescript => TYPESCRIPT,
            Lang::Python => PYTHON,
        }
    }

    /// The language's name in prose.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Typescript => "TypeScript",
            Lang::Python => "Python",
        }
    }

    /// The one command that builds the project, run in its directory.
    pub fn build_command(self) -> &'static str {
        match self {
            Lang::Rust => "make",
            Lang::Typescript => "npm install && npm run build",
            Lang::Python => "./build.sh",
        }
    }

    fn placeholders(self) -> [(&'static str, &'static str); 6] {
        match self {
            Lang::Rust => [
                ("language", "Rust"),
                ("lang", "rust"),
                (
                    "build",
                    "```sh\nmake            # cargo build --release --target wasm32-wasip2\n```\n\nNeeds Rust 1.85 or later; `make` adds the `wasm32-wasip2` target\nwith rustup if it is missing.",
                ),
                ("memory", "64MiB"),
                (
                    "memory_note",
                    "A Rust plugin starts with about 1 MiB of memory; the default limit\n(64 MiB) leaves room for large answers.",
                ),
                (
                    "layout",
                    "- `src/lib.rs`: the plugin: its description, its tools, their calls.\n- `Cargo.toml`, `Makefile`: the build.",
                ),
            ],
            Lang::Typescript => [
                ("language", "TypeScript"),
                ("lang", "typescript"),
                (
                    "build",
                    "```sh\nnpm install\nnpm run build   # tsc --noEmit, esbuild, componentize-js\n```\n\nNeeds Node.js 22.18 or later. The build type-checks `src/`, bundles it\nwith the SDK into `dist/plugin.js`, and makes the component with\ncomponentize-js (StarlingMonkey: about 12 MB, in a few seconds).",
                ),
                ("memory", "256MiB"),
                (
                    "memory_note",
                    "A JavaScript plugin's engine holds 9-12 MiB before it runs a line, and\nlisting a few MiB of objects can take 128-256 MiB: the override above\nraises its limit from the default 64 MiB. `kube-mcp plugin validate`\nwarns when a fresh instance already holds more than half the limit.",
                ),
                (
                    "layout",
                    "- `src/plugin.ts`: the plugin: its description, its tools, their calls.\n- `src/view.html`: its view (MCP Apps): clients that support them render the tool's rows with it.\n- `build.mjs`, `package.json`, `tsconfig.json`: the build.",
                ),
            ],
            Lang::Python => [
                ("language", "Python"),
                ("lang", "python"),
                (
                    "build",
                    "```sh\n./build.sh      # componentize-py, installed into .venv on first use\n```\n\nNeeds Python 3.11 or later and pip. The component carries its own\nCPython (about 18 MB; under 10 s to build).",
                ),
                ("memory", "256MiB"),
                (
                    "memory_note",
                    "A Python plugin's interpreter holds 9-12 MiB before it runs a line, and\nlisting a few MiB of objects can take 128-256 MiB: the override above\nraises its limit from the default 64 MiB. `kube-mcp plugin validate`\nwarns when a fresh instance already holds more than half the limit.",
                ),
                (
                    "layout",
                    "- `app.py`: the plugin: its description, its tools, their calls.\n- `build.sh`: the build.",
                ),
            ],
        }
    }
}

/// Why a project could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error(
        "plugin name '{0}' must be 1-63 lowercase letters, digits and '-', starting with a letter"
    )]
    Name(String),
    #[error("{} already exists and is not empty; choose another --dir", .0.display())]
    NotEmpty(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes a new plugin project named `name` in `lang` to `dir`; returns the
/// files written, relative to `dir`.
pub fn create(name: &str, lang: Lang, dir: &Path) -> Result<Vec<String>, ScaffoldError> {
    check_name(name)?;
    ensure_empty(dir)?;
    let snake = name.replace('-', "_");
    let tool = format!("{snake}_pods");
    let mut values: Vec<(&str, &str)> = vec![
        ("name", name),
        ("snake", &snake),
        ("tool", &tool),
        ("sdk_version", env!("CARGO_PKG_VERSION")),
    ];
    values.extend(lang.placeholders());

    let mut written = Vec::new();
    for file in std::iter::once(&README)
        .chain(lang.files())
        .chain(if lang == Lang::Rust {
            // The Rust SDK carries the WIT package inside its crate.
            &[][..]
        } else {
            WIT
        })
    {
        let text = if file.template {
            fill(file.text, &values)
        } else {
            file.text.to_owned()
        };
        write(dir, file.path, &text)?;
        written.push(file.path.to_owned());
    }
    if lang == Lang::Rust {
        for file in WIT {
            let path = format!("vendor/kube-mcp-plugin/{}", file.path);
            write(dir, &path, file.text)?;
            written.push(path);
        }
    }
    Ok(written)
}

fn write(dir: &Path, relative: &str, text: &str) -> Result<(), ScaffoldError> {
    let path = dir.join(relative);
    let error = |source| ScaffoldError::Write {
        path: path.clone(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(error)?;
    }
    std::fs::write(&path, text).map_err(error)?;
    if EXECUTABLE.contains(&relative) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(error)?;
    }
    Ok(())
}

/// Writes the WIT package into `dir` (new or empty); returns the files.
/// `kube-mcp:plugin@0.1.3`: the package this binary speaks, from its
/// `world.wit`.
pub fn wit_package() -> &'static str {
    WIT.iter()
        .find(|f| f.path == "wit/world.wit")
        .and_then(|f| {
            f.text
                .lines()
                .find_map(|l| l.trim().strip_prefix("package "))
        })
        .map(|l| l.trim_end_matches(';').trim())
        .expect("world.wit names its package")
}

pub fn write_wit(dir: &Path) -> Result<Vec<String>, ScaffoldError> {
    ensure_empty(dir)?;
    let mut written = Vec::new();
    for file in WIT {
        let name = file.path.trim_start_matches("wit/");
        write(dir, name, file.text)?;
        written.push(name.to_owned());
    }
    Ok(written)
}

fn ensure_empty(dir: &Path) -> Result<(), ScaffoldError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| ScaffoldError::Write {
                path: dir.to_owned(),
                source: e,
            })?
            .next()
            .is_some()
    {
        return Err(ScaffoldError::NotEmpty(dir.to_owned()));
    }
    Ok(())
}

/// The plugin-name rule of the loader, plus a leading letter (the name
/// also names a crate, a package and a module).
fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ScaffoldError::Name(name.to_owned()))
    }
}

/// Replaces each `{{key}}` of `values` in `text`.
fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (key, value) in values {
        out = out.replace(&format!("{{{{{key}}}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Rust project vendors the whole SDK: a source file left out would
    /// only show when a user builds the scaffold.
    #[test]
    fn the_rust_project_vendors_every_sdk_source_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/rust/src");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".rs") {
                continue;
            }
            let vendored = format!("vendor/kube-mcp-plugin/src/{name}");
            assert!(
                RUST.iter().any(|f| f.path == vendored),
                "sdk/rust/src/{name} is not in the Rust project"
            );
        }
    }

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        for lang in [Lang::Rust, Lang::Typescript, Lang::Python] {
            let dir = tempfile::tempdir().unwrap();
            let written = create("team-pods", lang, dir.path()).unwrap();
            for path in &written {
                let text = std::fs::read_to_string(dir.path().join(path)).unwrap();
                assert!(
                    !text.contains("{{") || path.ends_with(".wit") || path.contains("vendor/"),
                    "{lang:?}: {path} keeps a placeholder"
                );
                assert!(!text.contains("{{name}}"), "{lang:?}: {path}");
            }
            let readme = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
            assert!(readme.contains("team_pods_pods"), "{readme}");
        }
    }

    #[test]
    fn names_and_directories_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "Team", "9lives", "a_b", "trailing-", &"a".repeat(64)] {
            let err = create(bad, Lang::Rust, &dir.path().join("x")).unwrap_err();
            assert!(
                matches!(err, ScaffoldError::Name(_)),
                "{bad:?} was accepted"
            );
        }
        std::fs::write(dir.path().join("taken"), "").unwrap();
        let err = create("ok", Lang::Python, dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("already exists and is not empty"),
            "{err}"
        );
    }

    #[test]
    fn the_build_script_is_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        create("py", Lang::Python, dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join("build.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}
