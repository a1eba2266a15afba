//! Output directories that appear whole or not at all.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// A staging directory next to the final output directory. Files are written
/// into it; [`Staging::commit`] then swaps it into place with renames, so a
/// reader never sees a half-written set of tables. Dropped without commit, it
/// is removed.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    target: PathBuf,
}

impl Staging {
    /// Prepares to write `target`, failing early (before any simulation) if
    /// its parent directory is missing or not writable.
    pub fn new(target: &Path) -> Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if target.exists() && !target.is_dir() {
            bail!("output path {} exists and is not a directory", target.display());
        }
        let dir = tempfile::Builder::new()
            .prefix(".funnelsim-staging-")
            .tempdir_in(&parent)
            .with_context(|| {
                format!(
                    "cannot create output directory in {} (is it writable?)",
                    parent.display()
                )
            })?;
        Ok(Self {
            dir: Some(dir),
            target: target.to_path_buf(),
        })
    }

    /// Path of a file inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir
            .as_ref()
            .expect("staging directory exists until commit")
            .path()
            .join(name)
    }

    /// Writes a file into the staging directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(name);
        fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Moves the staged directory to the target, replacing any previous
    /// output. The old directory is first renamed aside, then the new one
    /// renamed in, then the old one deleted: at every instant the target is
    /// either the complete old output, absent, or the complete new output.
    pub fn commit(mut self) -> Result<PathBuf> {
        let staged = self.dir.take().expect("commit is called once").keep();
        // Temporary directories are private (0700); the output is not.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&staged, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot write {}", staged.display()))?;
        }
        let mut backup = None;
        if self.target.exists() {
            let aside = self.target.with_file_name(format!(
                ".{}.old-{}",
                self.target.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
                std::process::id()
            ));
            fs::rename(&self.target, &aside)
                .with_context(|| format!("cannot replace {}", self.target.display()))?;
            backup = Some(aside);
        }
        if let Err(e) = fs::rename(&staged, &self.target) {
            if let Some(b) = &backup {
                let _ = fs::rename(b, &self.target);
            }
            let _ = fs::remove_dir_all(&staged);
            return Err(e).with_context(|| format!("cannot move output into {}", self.target.display()));
        }
        if let Some(b) = backup {
            fs::remove_dir_all(&b).with_context(|| format!("cannot remove old output {}", b.display()))?;
        }
        Ok(self.target.clone())
    }
}

/// Writes one file atomically: `write` fills a temporary file next to
/// `target`, which is then renamed over it, so `target` is never half
/// written. The parent directory must exist.
pub fn write_atomic(target: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".funnelsim-")
        .tempfile_in(&parent)
        .with_context(|| format!("cannot write in {} (is it writable?)", parent.display()))?;
    write(tmp.path())?;
    // Temporary files are private (0600); the result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    tmp.persist(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}
