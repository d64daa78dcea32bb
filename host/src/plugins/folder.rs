//! Plugin folders, read through a [`cap_std`] directory handle: every name
//! in a folder (a ConfigMap's `..data` links included) resolves only inside
//! it, so no symlink can make the server load a file from elsewhere.

use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Every visible `*.wasm` entry of `dir` that is a file (links followed
/// inside the folder), in name order. Hidden entries are skipped: a
/// ConfigMap keeps its real files under `..data/` and links the visible
/// names to them. A link that leads out of the folder is listed, so that
/// loading it reports why it is refused.
pub fn plugin_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let folder = Dir::open_ambient_dir(dir, ambient_authority())?;
    let mut paths = Vec::new();
    for entry in folder.entries()? {
        let name = entry?.file_name();
        let text = name.to_string_lossy();
        if text.starts_with('.') || !text.ends_with(".wasm") {
            continue;
        }
        let listed = match folder.metadata(&name) {
            Ok(meta) => meta.is_file(),
            // Dangling (a ConfigMap swap in progress): not there yet.
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(_) => folder.symlink_metadata(&name).is_ok_and(|m| m.is_symlink()),
        };
        if listed {
            paths.push(dir.join(&name));
        }
    }
    paths.sort();
    Ok(paths)
}

/// The bytes of `path`, an entry [`plugin_files`] listed, read through its
/// folder.
pub fn read_plugin(path: &Path) -> io::Result<Vec<u8>> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file in a plugin folder",
        ));
    };
    let folder = Dir::open_ambient_dir(dir, ambient_authority())?;
    folder.read(name).map_err(|e| {
        let link = folder.symlink_metadata(name).is_ok_and(|m| m.is_symlink());
        if link && e.kind() != io::ErrorKind::NotFound {
            io::Error::new(
                e.kind(),
                format!(
                    "it is a symlink that leads outside {} (plugins are read only from \
                     inside their folder)",
                    dir.display()
                ),
            )
        } else {
            e
        }
    })
}
