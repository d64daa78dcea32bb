//! `kube-mcp plugin push|push-wit|pull|sign|verify|keygen`: publishing
//! plugins to OCI registries and checking them the way the server does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::command::{KeyAlgorithm, RegistryArgs, TrustArgs};
use crate::authoring::scaffold;
use crate::config::{Config, ServerArgs};
use crate::distribution::artifact::{self, Artifact};
use crate::distribution::signature::{
    Algorithm, PublicKey, SigningKey, SimpleSigning, decode_detached, detached_path, encode_base64,
};
use crate::distribution::{
    Fetcher, PluginRef, Registries, RegistryCredentials, Store, TrustPolicy, TrustedKey,
};

/// Why a command failed, for the one line it prints.
type Failure = String;

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

fn registries(args: &RegistryArgs) -> Result<Registries, Failure> {
    let path = args.registry_auth.clone().or_else(|| {
        let default = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))?
            .join("config.json");
        default.is_file().then_some(default)
    });
    let credentials = match path {
        Some(path) => RegistryCredentials::from_file(&path)?,
        None => RegistryCredentials::default(),
    };
    Ok(Registries::new(credentials))
}

/// `reference: error`, unless the error already names it.
fn registry_error(reference: &PluginRef, error: crate::distribution::RegistryError) -> Failure {
    match error {
        crate::distribution::RegistryError::NotFound(_) => error.to_string(),
        error => format!("{reference}: {error}"),
    }
}

/// `plugin push FILE oci://…`.
pub fn push(file: &Path, reference: &str, args: &RegistryArgs) -> ExitCode {
    finish((|| {
        let reference = PluginRef::parse(reference)?;
        if reference.digest().is_some() {
            return Err("push to a tag (oci://…:TAG); the digest is what the push prints".into());
        }
        let wasm = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let (plugin, _) = super::inspect::load(
            file,
            &super::local_config(file, &Default::default()).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", file.display()))?;
        let (imports, exports) = plugin.interfaces();
        // The capabilities as `plugin inspect --json` shows them.
        let capabilities = super::inspect::to_json(&plugin)["capabilities"].to_string();
        let tools: Vec<&str> = plugin.tools.iter().map(|t| t.name.as_str()).collect();
        let annotations = BTreeMap::from([
            (
                artifact::TITLE_ANNOTATION.to_owned(),
                plugin.info.name.clone(),
            ),
            (
                artifact::NAME_ANNOTATION.to_owned(),
                plugin.info.name.clone(),
            ),
            (
                artifact::VERSION_ANNOTATION.to_owned(),
                plugin.info.version.clone(),
            ),
            (
                artifact::DESCRIPTION_ANNOTATION.to_owned(),
                plugin.info.description.clone(),
            ),
            (
                artifact::WIT_ANNOTATION.to_owned(),
                scaffold::wit_package().to_owned(),
            ),
            (artifact::CAPABILITIES_ANNOTATION.to_owned(), capabilities),
            (artifact::TOOLS_ANNOTATION.to_owned(), tools.join(",")),
        ]);
        let registries = registries(args)?;
        let artifact = Artifact {
            wasm,
            annotations,
            imports,
            exports,
            target: Some(world()),
        };
        let digest = block_on(artifact::push(&registries, &reference, artifact))
            .map_err(|e| e.to_string())?;
        eprintln!(
            "pushed plugin '{}' {} ({} tools) to {reference}",
            plugin.info.name,
            plugin.info.version,
            plugin.tools.len()
        );
        println!("{}", reference.at_digest(&digest));
        Ok(())
    })())
}

/// `kube-mcp:plugin/tool-plugin@0.1.3`: the world plugins target.
fn world() -> String {
    let (package, version) = scaffold::wit_package()
        .split_once('@')
        .unwrap_or((scaffold::wit_package(), ""));
    format!("{package}/tool-plugin@{version}")
}

/// `0.1.3` of `kube-mcp:plugin@0.1.3`.
fn wit_version() -> &'static str {
    scaffold::wit_package()
        .split('@')
        .nth(1)
        .unwrap_or_default()
}

/// `plugin push-wit oci://…`.
pub fn push_wit(reference: &str, args: &RegistryArgs) -> ExitCode {
    finish((|| {
        let reference = PluginRef::parse(reference)?;
        let wasm = encode_wit()?;
        let package = scaffold::wit_package();
        let annotations = BTreeMap::from([
            (
                artifact::TITLE_ANNOTATION.to_owned(),
                package.split('@').next().unwrap_or_default().to_owned(),
            ),
            (
                artifact::VERSION_ANNOTATION.to_owned(),
                wit_version().to_owned(),
            ),
            (
                artifact::DESCRIPTION_ANNOTATION.to_owned(),
                "The WIT package kube-mcp tool plugins target".to_owned(),
            ),
            (artifact::WIT_ANNOTATION.to_owned(), package.to_owned()),
        ]);
        let registries = registries(args)?;
        let digest = block_on(artifact::push(
            &registries,
            &reference,
            Artifact {
                wasm,
                annotations,
                ..Artifact::default()
            },
        ))
        .map_err(|e| e.to_string())?;
        eprintln!("pushed WIT package {package} to {reference}");
        println!("{}", reference.at_digest(&digest));
        Ok(())
    })())
}

/// The WIT package as a wasm-encoded package (`wasm-tools component wit
/// --wasm`, what `wkg publish` uploads).
pub fn encode_wit() -> Result<Vec<u8>, Failure> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    scaffold::write_wit(&dir.path().join("wit")).map_err(|e| e.to_string())?;
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(dir.path().join("wit"))
        .map_err(|e| format!("the built-in WIT does not parse: {e:#}"))?;
    wit_component::encode(&resolve, package)
        .map_err(|e| format!("cannot encode the WIT package: {e:#}"))
}

/// The trust policy `args` give, and the plugin name to check against.
fn trust(
    args: &TrustArgs,
    target_name: &str,
    repository: Option<&str>,
) -> Result<(TrustPolicy, String), Failure> {
    let mut policy = TrustPolicy::default();
    let mut name = args.name.clone();
    if let Some(path) = &args.config {
        let config = Config::load(&ServerArgs {
            config: Some(path.clone()),
            given: vec![
                ("plugins_dir", ".".to_owned(), false),
                ("no_auth", "true".to_owned(), false),
            ],
        })
        .map_err(|e| format!("invalid configuration: {e}"))?;
        let distribution = config.plugins.distribution;
        if name.is_none()
            && let Some(repository) = repository
        {
            name = distribution
                .sources
                .iter()
                .find(|s| s.reference.repository() == repository)
                .map(|s| s.name.clone());
        }
        policy.keys.extend(distribution.trust.keys);
    }
    for path in &args.keys {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = PublicKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        policy.keys.push(TrustedKey {
            name: path.display().to_string(),
            key,
            plugins: vec!["*".into()],
            repositories: Vec::new(),
        });
    }
    if policy.keys.is_empty() {
        return Err("no trusted keys: give --key PUBLIC.pem or --config with plugins.trust".into());
    }
    Ok((policy, name.unwrap_or_else(|| target_name.to_owned())))
}

/// The name a repository suggests: its last path segment.
fn repository_name(reference: &PluginRef) -> String {
    reference
        .repository()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn file_name(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `plugin pull oci://… [-o FILE]`.
pub fn pull(
    reference: &str,
    output: Option<&Path>,
    no_verify: bool,
    trust_args: &TrustArgs,
    args: &RegistryArgs,
) -> ExitCode {
    finish((|| {
        let reference = PluginRef::parse(reference)?;
        let repository = reference.repository();
        let verify = !no_verify && reference.digest().is_none();
        let (trust, name) = if verify {
            trust(trust_args, &repository_name(&reference), Some(&repository))?
        } else {
            (
                TrustPolicy::default(),
                trust_args
                    .name
                    .clone()
                    .unwrap_or_else(|| repository_name(&reference)),
            )
        };
        let store = tempfile::tempdir().map_err(|e| e.to_string())?;
        let fetcher = Fetcher {
            registries: registries(args)?,
            store: Store::new(store.path().to_owned()),
            trust,
        };
        let fetched = block_on(fetcher.fetch(&name, &reference, verify))
            .map_err(|e| registry_error(&reference, e))?;
        let output = output
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from(format!("{name}.wasm")));
        std::fs::write(&output, &fetched.component)
            .map_err(|e| format!("{}: {e}", output.display()))?;
        eprintln!(
            "pulled {} ({} bytes, {}) into {}",
            reference.at_digest(&fetched.digest),
            fetched.component.len(),
            fetched.trusted_by,
            output.display()
        );
        Ok(())
    })())
}

/// `plugin sign --key KEY (oci://… | FILE.wasm)`.
pub fn sign(target: &str, key: &Path, args: &RegistryArgs) -> ExitCode {
    finish((|| {
        let text = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
        let signer = SigningKey::from_pem(&text).map_err(|e| format!("{}: {e}", key.display()))?;
        let fingerprint = signer.public_key().fingerprint();
        if !target.starts_with("oci://") {
            let file = Path::new(target);
            let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let signature = signer.sign(&bytes)?;
            let path = detached_path(file);
            std::fs::write(&path, encode_base64(&signature) + "\n")
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("signed {} with key {fingerprint}", file.display());
            println!("{}", path.display());
            return Ok(());
        }
        let reference = PluginRef::parse(target)?;
        let registries = registries(args)?;
        block_on(async {
            let manifest = registries
                .manifest(&reference)
                .await
                .map_err(|e| registry_error(&reference, e))?;
            // Sign only what is a plugin artifact.
            manifest
                .component_layer()
                .map_err(|e| registry_error(&reference, e))?;
            let payload = SimpleSigning {
                digest: manifest.digest.clone(),
                repository: reference.repository(),
            }
            .to_bytes();
            let signature = signer.sign(&payload)?;
            registries
                .push_signature(&reference, &manifest.digest, payload, &signature)
                .await
                .map_err(|e| registry_error(&reference, e))?;
            eprintln!(
                "signed {} with key {fingerprint}",
                reference.at_digest(&manifest.digest)
            );
            println!(
                "{}",
                reference.at_tag(&crate::distribution::signature::signature_tag(
                    &manifest.digest
                ))
            );
            Ok(())
        })
    })())
}

/// `plugin verify (oci://… | FILE.wasm) --key PUB | --config FILE`.
pub fn verify(target: &str, trust_args: &TrustArgs, args: &RegistryArgs) -> ExitCode {
    finish((|| {
        if !target.starts_with("oci://") {
            let file = Path::new(target);
            let (policy, name) = trust(trust_args, &file_name(file), None)?;
            let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let signature_path = detached_path(file);
            let text = std::fs::read(&signature_path)
                .map_err(|e| format!("{}: not signed: {e}", signature_path.display()))?;
            let signature = decode_detached(&text)?;
            let key = policy
                .verify_file(&name, &bytes, &signature)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            println!(
                "{}: plugin '{name}' is signed by trusted key '{key}'",
                file.display()
            );
            return Ok(());
        }
        let reference = PluginRef::parse(target)?;
        let repository = reference.repository();
        let (policy, name) = trust(trust_args, &repository_name(&reference), Some(&repository))?;
        let registries = registries(args)?;
        block_on(async {
            let manifest = registries
                .manifest(&reference)
                .await
                .map_err(|e| registry_error(&reference, e))?;
            let signatures = registries
                .signatures(&reference, &manifest.digest)
                .await
                .map_err(|e| registry_error(&reference, e))?;
            let key = policy
                .verify_artifact(&name, &repository, &manifest.digest, &signatures)
                .map_err(|e| registry_error(&reference, e.into()))?;
            println!(
                "{}: plugin '{name}' is signed by trusted key '{key}'",
                reference.at_digest(&manifest.digest)
            );
            Ok(())
        })
    })())
}

/// `plugin keygen`.
pub fn keygen(output: &Path, algorithm: KeyAlgorithm) -> ExitCode {
    finish((|| {
        let algorithm = match algorithm {
            KeyAlgorithm::EcdsaP256 => Algorithm::EcdsaP256,
            KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
        };
        let private = SigningKey::generate(algorithm)?;
        let public = SigningKey::from_pem(&private)?.public_key();
        let with = |ext: &str| {
            let mut name = output.as_os_str().to_owned();
            name.push(ext);
            PathBuf::from(name)
        };
        let (key_path, pub_path) = (with(".key"), with(".pub"));
        if key_path.exists() {
            return Err(format!(
                "{} exists; not overwriting a key",
                key_path.display()
            ));
        }
        write_private(&key_path, &private)?;
        std::fs::write(&pub_path, public.to_pem())
            .map_err(|e| format!("{}: {e}", pub_path.display()))?;
        eprintln!("{algorithm} key {}", public.fingerprint());
        println!("{}\n{}", key_path.display(), pub_path.display());
        Ok(())
    })())
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}
