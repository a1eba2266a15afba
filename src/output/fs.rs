//! Output that appears whole or not at all, and replaces only what funnelsim
//! wrote.
//!
//! Two promises hold for every file and directory a command writes:
//!
//! * **Atomic.** A directory is filled in a staging directory beside it and
//!   swapped in with renames; a file is written to a temporary file and
//!   renamed over. A reader never sees half an output, and a failed or
//!   interrupted command leaves nothing behind (a staging area left by a
//!   killed process is recognised by its process id and cleared by the next
//!   command that writes to the same place).
//! * **Ownership.** An existing output is replaced only when funnelsim wrote
//!   it: a directory that is empty or holds funnelsim's `manifest.json` (and
//!   nothing the manifest does not list), a file whose contents say funnelsim
//!   wrote it. Anything else is refused with [`Refused`] unless the user
//!   passes `--force`. An output never replaces or contains an input of the
//!   same command, forced or not, and never replaces the current directory,
//!   one of its ancestors or a mount point.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// Name of the manifest every output directory holds. Its presence (with a
/// `funnelsim_version` key) marks the directory as funnelsim's.
pub const MANIFEST: &str = "manifest.json";

/// Prefix of staging directories and temporary files; the writer's process
/// id follows, so a later run can tell a dead writer's leftovers from a live
/// one's.
const STAGING_PREFIX: &str = ".funnelsim-staging-";
const TEMP_FILE_PREFIX: &str = ".funnelsim-tmp-";

/// Staging directories and temporary files of this process not yet
/// committed, so that a forced exit can remove them ([`abandon_staged`]).
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves a usable list.
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn track(path: &Path) {
    live().push(path.to_path_buf());
}

fn untrack(path: &Path) {
    live().retain(|p| p != path);
}

/// Held while an output is swapped into place, so that a forced exit
/// ([`abandon_staged`]) never cuts a commit in half.
static COMMITTING: Mutex<()> = Mutex::new(());

/// Outputs this process has committed, so an interrupted command can say
/// what it did write.
static WRITTEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn written_list() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    WRITTEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The outputs this process has committed so far.
pub fn written() -> Vec<PathBuf> {
    written_list().clone()
}

/// Removes every staging directory and temporary file this process has not
/// committed, after waiting for a commit in progress to finish. For an exit
/// that cannot wait for the normal clean-up (an interrupt during a phase
/// that cannot check for it). Another thread may still be writing into a
/// staging directory: it is renamed away first, so those writes fail
/// instead of recreating files behind the removal.
pub fn abandon_staged() {
    let _commit = COMMITTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (k, p) in live().drain(..).enumerate() {
        if p.is_dir() {
            let doomed = p.with_file_name(format!("{STAGING_PREFIX}{}-abandoned-{k}", std::process::id()));
            let gone = if fs::rename(&p, &doomed).is_ok() {
                doomed
            } else {
                p
            };
            // A writer that had a file open may finish it; try again then.
            for _ in 0..20 {
                if fs::remove_dir_all(&gone).is_ok() || !gone.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        } else {
            let _ = fs::remove_file(&p);
        }
    }
}

/// A temporary-file builder whose files and directories get the
/// permissions an ordinary file or directory would (`mode` less the user's
/// umask), instead of tempfile's private 0600/0700: they become the output.
fn output_builder<'a>(mode: u32) -> tempfile::Builder<'a, 'a> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    b
}

/// `target` as a path to a directory entry: trailing `/` and `.` parts
/// dropped (`out/` and `out/.` name `out`).
///
/// # Errors
/// A path ending in `..` names a parent, not the entry it seems to.
fn entry_path(target: &Path) -> Result<PathBuf> {
    let parts: Vec<_> = target.components().collect();
    if parts.len() > 1 && matches!(parts.last(), Some(std::path::Component::ParentDir)) {
        return refuse(format!(
            "output path {} ends in '..'; name the directory itself",
            target.display()
        ));
    }
    Ok(parts.iter().collect())
}

/// An output location funnelsim will not write to, and why; the command exits
/// with status 2 (bad input) and writes nothing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse<T>(message: String) -> Result<T> {
    Err(Refused(message).into())
}

/// What a command may replace: its inputs (never replaced) and whether the
/// user forced replacing outputs funnelsim did not write.
#[derive(Debug, Clone, Copy)]
pub struct Guard<'a> {
    /// Files the command reads; no output may replace or contain one.
    pub inputs: &'a [&'a Path],
    /// `--force`: replace an existing output even if funnelsim did not
    /// write it.
    pub force: bool,
}

fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `path` made absolute with symbolic links resolved, if it exists.
fn canonical(path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok()
}

/// Process id encoded after `prefix` in a leftover's name, if any.
fn writer_pid(name: &OsStr, prefix: &str) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix(prefix)?;
    rest.split('-').next()?.parse().ok()
}

/// Whether a process with this id is running. Where this cannot be told,
/// the answer is "yes", so nothing that may belong to a live run is removed.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Whether a live writer holds the lock on a staging directory (see
/// [`Staging`]): a process id says nothing about a writer in another
/// container sharing the directory.
fn locked(path: &Path) -> bool {
    fs::File::open(path).is_ok_and(|f| matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)))
}

/// Removes staging directories, set-aside old outputs and temporary files
/// that a killed funnelsim process left in `dir`. Only names funnelsim gives
/// its own leftovers, with the id of a process that no longer runs, are
/// touched.
fn clear_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = [STAGING_PREFIX, TEMP_FILE_PREFIX]
            .iter()
            .find_map(|p| writer_pid(&name, p))
            .or_else(|| set_aside_pid(&name));
        let Some(pid) = pid else { continue };
        let path = entry.path();
        if alive(pid) || locked(&path) {
            continue;
        }
        let _ = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
    }
}

/// The name an old output directory is renamed to while the new one moves
/// in: `.NAME.funnelsim-old-PID`.
fn set_aside_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    target.with_file_name(format!(".{name}.funnelsim-old-{}", std::process::id()))
}

fn set_aside_pid(name: &OsStr) -> Option<u32> {
    let name = name.to_str()?;
    let (_, pid) = name.strip_prefix('.')?.rsplit_once(".funnelsim-old-")?;
    pid.parse().ok()
}

/// Extensions of the files funnelsim writes into an output directory.
const OUTPUT_EXTENSIONS: [&str; 6] = ["csv", "parquet", "svg", "png", "json", "html"];

/// Whether an entry is what funnelsim writes into an output directory: a
/// plain file with one of [`OUTPUT_EXTENSIONS`].
fn looks_like_output(dir: &Path, name: &str) -> bool {
    let p = dir.join(name);
    fs::symlink_metadata(&p).is_ok_and(|m| m.is_file())
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| OUTPUT_EXTENSIONS.contains(&e))
}

/// The manifest of an output directory, if funnelsim wrote it.
fn funnelsim_manifest(dir: &Path) -> Option<serde_json::Value> {
    fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .filter(|m| m.get("funnelsim_version").is_some())
}

/// Names in an output directory that funnelsim did not write: everything
/// when there is no funnelsim manifest, else the entries the manifest does
/// not list. A manifest without a file list (written by an older version)
/// vouches only for plain files of the kinds funnelsim writes.
fn foreign_entries(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    names.sort();
    let Some(manifest) = funnelsim_manifest(dir) else {
        return Ok(names);
    };
    let Some(files) = manifest.get("files").and_then(|f| f.as_array()) else {
        return Ok(names.into_iter().filter(|n| !looks_like_output(dir, n)).collect());
    };
    let listed: Vec<&str> = files.iter().filter_map(|f| f.as_str()).collect();
    Ok(names
        .into_iter()
        .filter(|n| n != MANIFEST && !listed.contains(&n.as_str()))
        .collect())
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// Checks that `target` may become (or be replaced by) an output directory.
fn check_dir_target(target: &Path, guard: Guard<'_>) -> Result<()> {
    let shown = target.display();
    for input in guard.inputs {
        let (Some(dir), Some(file)) = (canonical(target), canonical(input)) else {
            continue;
        };
        if file == dir {
            return refuse(format!(
                "output directory {shown} is {}, an input of this command; choose another name",
                input.display()
            ));
        }
        if file.starts_with(&dir) {
            return refuse(format!(
                "output directory {shown} holds {}, an input of this command; funnelsim replaces the whole directory, so choose another one",
                input.display()
            ));
        }
    }
    let meta = match fs::symlink_metadata(target) {
        Ok(meta) => meta,
        // Does not exist yet: nothing to replace.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return refuse(format!("cannot use {shown} as the output directory: {e}")),
    };
    if meta.file_type().is_symlink() {
        return refuse(format!(
            "output path {shown} is a symbolic link; name the directory itself"
        ));
    }
    if !meta.is_dir() {
        return refuse(format!(
            "output path {shown} exists and is not a directory; choose another name"
        ));
    }
    let dir = canonical(target).with_context(|| format!("cannot resolve {shown}"))?;
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
        && cwd.starts_with(&dir)
    {
        return refuse(format!(
            "output directory {shown} is the current directory or one of its parents, which funnelsim will not replace; name a new directory, e.g. {}",
            target.join("results").display()
        ));
    }
    let Some(parent) = dir.parent() else {
        return refuse(format!("output directory {shown} is the root directory"));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let same_device = fs::metadata(parent).is_ok_and(|p| p.dev() == meta.dev());
        if !same_device {
            return refuse(format!(
                "output directory {shown} is a mount point, which cannot be replaced; name a directory inside it, e.g. {}",
                target.join("results").display()
            ));
        }
    }
    let foreign = foreign_entries(target)?;
    if !foreign.is_empty() && !guard.force {
        let has_manifest = funnelsim_manifest(target).is_some();
        let what = if has_manifest {
            format!("it holds files funnelsim did not write ({})", list(&foreign))
        } else {
            format!(
                "it already exists, is not empty and was not written by funnelsim (no funnelsim {MANIFEST}; it holds {})",
                list(&foreign)
            )
        };
        return refuse(format!(
            "will not replace output directory {shown}: {what}; choose a new directory, or pass --force to replace it and everything in it"
        ));
    }
    Ok(())
}

/// A staging directory next to the final output directory. Files are written
/// into it; [`Staging::commit`] then swaps it into place with renames, so a
/// reader never sees a half-written set of tables. Dropped without commit,
/// or when the commit fails, it is removed.
pub struct Staging {
    /// `None` once committed.
    dir: Option<tempfile::TempDir>,
    /// An open handle on the staging directory, locked while this process
    /// writes it: another funnelsim (in another container, say, where its
    /// process id means nothing) sees the lock and leaves the directory be.
    _lock: Option<fs::File>,
    target: PathBuf,
    /// The inputs and `--force`, to check the target again at commit.
    inputs: Vec<PathBuf>,
    force: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            untrack(d.path());
        }
    }
}

impl Staging {
    /// Prepares to write `target`, failing early (before any simulation) if
    /// funnelsim may not replace it (see the [module docs](self)) or its
    /// parent directory is missing or not writable.
    pub fn new(target: &Path, guard: Guard<'_>) -> Result<Self> {
        let target = &entry_path(target)?;
        check_dir_target(target, guard)?;
        let parent = parent_of(target);
        if !parent.is_dir() {
            bail!(
                "cannot create output directory {}: directory {} does not exist",
                target.display(),
                parent.display()
            );
        }
        clear_stale(&parent);
        let dir = output_builder(0o777)
            .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
            .tempdir_in(&parent)
            .with_context(|| {
                format!(
                    "cannot create output directory in {} (is it writable?)",
                    parent.display()
                )
            })?;
        track(dir.path());
        let lock = fs::File::open(dir.path()).ok().filter(|f| f.try_lock().is_ok());
        Ok(Self {
            dir: Some(dir),
            _lock: lock,
            target: target.to_path_buf(),
            inputs: guard.inputs.iter().map(|p| p.to_path_buf()).collect(),
            force: guard.force,
        })
    }

    /// The output directory this staging directory becomes at commit.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn staged(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("staging directory exists until commit")
            .path()
    }

    /// Path of a file inside the staging directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staged().join(name)
    }

    /// Writes a file into the staging directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(name);
        fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Writes `manifest` as `manifest.json`, with a `files` list naming every
    /// file staged so far (what a later run may replace), then moves the
    /// staged directory to the target, replacing the previous output. The
    /// old directory is first renamed aside, then the new one renamed in,
    /// then the old one deleted: at every instant the target is either the
    /// complete old output, absent, or the complete new output. On failure
    /// the previous output is restored and the staged one removed.
    pub fn commit(mut self, mut manifest: serde_json::Value) -> Result<PathBuf> {
        let staged = self.staged().to_path_buf();
        let _commit = COMMITTING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The target was checked before the run; the user may have put files
        // there since (a long sweep is plenty of time).
        let inputs: Vec<&Path> = self.inputs.iter().map(PathBuf::as_path).collect();
        check_dir_target(
            &self.target,
            Guard {
                inputs: &inputs,
                force: self.force,
            },
        )?;
        let mut files: Vec<String> = fs::read_dir(&staged)
            .and_then(|d| {
                d.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .with_context(|| format!("cannot read {}", staged.display()))?;
        files.sort();
        manifest["files"] = serde_json::json!(files);
        self.write(MANIFEST, serde_json::to_string_pretty(&manifest)?.as_bytes())?;
        // Temporary directories are private (0700); the output is not.
        let mut backup = None;
        if fs::symlink_metadata(&self.target).is_ok() {
            let aside = set_aside_name(&self.target);
            fs::rename(&self.target, &aside)
                .with_context(|| format!("cannot replace {}", self.target.display()))?;
            backup = Some(aside);
        }
        if let Err(e) = fs::rename(&staged, &self.target) {
            if let Some(b) = &backup
                && fs::rename(b, &self.target).is_err()
            {
                return Err(e).with_context(|| {
                    format!(
                        "cannot move output into {}; the previous output is kept in {}",
                        self.target.display(),
                        b.display()
                    )
                });
            }
            // Dropping `self` removes the staged directory.
            return Err(e).with_context(|| format!("cannot move output into {}", self.target.display()));
        }
        // The staged path is now the target; keep `TempDir` from deleting it.
        untrack(&staged);
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        written_list().push(self.target.clone());
        if let Some(b) = backup {
            // The new output is in place; an old one that cannot be removed
            // now is a leftover the next run into this place clears.
            let _ = fs::remove_dir_all(&b);
        }
        Ok(self.target.clone())
    }
}

/// How to tell an existing file at an output path was written by funnelsim
/// (and so may be replaced without `--force`).
#[derive(Debug, Clone, Copy)]
pub enum Ownership {
    /// funnelsim's files of this kind start with this text.
    StartsWith(&'static str),
    /// The kind of file carries no mark; an existing file is replaced only
    /// with `--force`.
    Unmarked,
}

/// Checks, before any work, that `target` may be written as a file: it is
/// not an input of the command, not a directory, and either absent, written
/// by funnelsim (per `ownership`) or forced.
pub fn check_file_target(target: &Path, guard: Guard<'_>, ownership: Ownership) -> Result<()> {
    let normal = entry_path(target)?;
    let target = normal.as_path();
    let shown = target.display();
    if let Some(input) = guard
        .inputs
        .iter()
        .find(|i| same_file::is_same_file(target, i).unwrap_or(false))
    {
        let also = if input == &target {
            String::new()
        } else {
            format!(" ({})", input.display())
        };
        return refuse(format!(
            "output file {shown} is an input of this command{also}; choose another name"
        ));
    }
    let meta = match fs::metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = parent_of(target);
            if !parent.is_dir() {
                bail!(
                    "cannot write {shown}: directory {} does not exist",
                    parent.display()
                );
            }
            return Ok(());
        }
        Err(e) => return refuse(format!("cannot write {shown}: {e}")),
    };
    if meta.is_dir() {
        return refuse(format!("output file {shown} is a directory; choose a file name"));
    }
    if guard.force {
        return Ok(());
    }
    let ours = match ownership {
        Ownership::StartsWith(mark) => {
            let mut head = vec![0; mark.len()];
            fs::File::open(target)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok_and(|()| head == mark.as_bytes())
        }
        Ownership::Unmarked => false,
    };
    if ours {
        return Ok(());
    }
    let why = match ownership {
        Ownership::StartsWith(_) => "funnelsim did not write it",
        Ownership::Unmarked => {
            "files of this kind carry no mark of their writer, so funnelsim cannot tell it wrote it"
        }
    };
    refuse(format!(
        "will not replace {shown}: it already exists and {why}; choose a new name, or pass --force to replace it"
    ))
}

/// Writes one file atomically after [`check_file_target`]: `write` fills a
/// temporary file next to `target`, which is then renamed over it, so
/// `target` is never half written. The parent directory must exist.
pub fn write_atomic(
    target: &Path,
    guard: Guard<'_>,
    ownership: Ownership,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    check_file_target(target, guard, ownership)?;
    let normal = entry_path(target)?;
    let target = normal.as_path();
    let parent = parent_of(target);
    clear_stale(&parent);
    let tmp = output_builder(0o666)
        .prefix(&format!("{TEMP_FILE_PREFIX}{}-", std::process::id()))
        .tempfile_in(&parent)
        .with_context(|| format!("cannot write in {} (is it writable?)", parent.display()))?;
    track(tmp.path());
    let written = write(tmp.path());
    untrack(tmp.path());
    written?;
    let _commit = COMMITTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tmp.persist(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    written_list().push(target.to_path_buf());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_inputs() -> Guard<'static> {
        Guard {
            inputs: &[],
            force: false,
        }
    }

    #[test]
    fn leftover_names_carry_the_writer_pid() {
        assert_eq!(
            writer_pid(OsStr::new(".funnelsim-staging-4242-abcd"), STAGING_PREFIX),
            Some(4242)
        );
        assert_eq!(
            writer_pid(OsStr::new(".funnelsim-staging-abcd"), STAGING_PREFIX),
            None
        );
        assert_eq!(writer_pid(OsStr::new("results"), STAGING_PREFIX), None);
        assert_eq!(set_aside_pid(OsStr::new(".out.funnelsim-old-77")), Some(77));
        assert_eq!(set_aside_pid(OsStr::new(".out.old-77")), None);
    }

    #[test]
    fn a_foreign_directory_survives_and_a_forced_one_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("d");
        fs::create_dir(&d).unwrap();
        fs::write(d.join("precious.txt"), "x").unwrap();
        let err = Staging::new(&d, no_inputs()).err().unwrap();
        assert!(err.downcast_ref::<Refused>().is_some(), "{err}");
        assert!(d.join("precious.txt").exists());
        let forced = Guard {
            inputs: &[],
            force: true,
        };
        Staging::new(&d, forced)
            .unwrap()
            .commit(serde_json::json!({"funnelsim_version": "t"}))
            .unwrap();
        assert!(!d.join("precious.txt").exists());
        assert!(d.join(MANIFEST).exists());
    }

    #[test]
    fn an_owned_directory_is_replaced_unless_a_file_was_added() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("d");
        let m = serde_json::json!({"funnelsim_version": "t"});
        let s = Staging::new(&d, no_inputs()).unwrap();
        s.write("a.csv", b"1").unwrap();
        s.commit(m.clone()).unwrap();
        Staging::new(&d, no_inputs()).unwrap().commit(m).unwrap();
        assert!(!d.join("a.csv").exists(), "replaced whole");
        fs::write(d.join("notes.txt"), "mine").unwrap();
        let err = Staging::new(&d, no_inputs()).err().unwrap();
        assert!(err.to_string().contains("notes.txt"), "{err}");
    }

    #[test]
    fn files_added_while_the_run_was_running_survive_the_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("results");
        let s = Staging::new(&d, no_inputs()).unwrap();
        s.write("summary.csv", b"1").unwrap();
        fs::create_dir(&d).unwrap();
        fs::write(d.join("notes.txt"), "added meanwhile").unwrap();
        let err = s
            .commit(serde_json::json!({"funnelsim_version": "t"}))
            .unwrap_err();
        assert!(err.downcast_ref::<Refused>().is_some(), "{err}");
        assert_eq!(
            fs::read_to_string(d.join("notes.txt")).unwrap(),
            "added meanwhile"
        );
        let left: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["results"], "the staged directory is removed");
    }

    #[test]
    fn an_old_manifest_vouches_only_for_what_funnelsim_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("old");
        fs::create_dir_all(d.join("my_subdir")).unwrap();
        fs::write(d.join(MANIFEST), r#"{"funnelsim_version":"0.1.0"}"#).unwrap();
        for f in ["summary.csv", "funnel.svg", "notes.md"] {
            fs::write(d.join(f), "x").unwrap();
        }
        assert_eq!(foreign_entries(&d).unwrap(), ["my_subdir", "notes.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_permissions_of_ordinary_files() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // What the user's umask makes of a new file and directory.
        let plain = tmp.path().join("plain");
        fs::write(&plain, "x").unwrap();
        let plain_dir = tmp.path().join("plain_dir");
        fs::create_dir(&plain_dir).unwrap();
        let file = tmp.path().join("out.csv");
        write_atomic(&file, no_inputs(), Ownership::Unmarked, |p| {
            Ok(fs::write(p, "x")?)
        })
        .unwrap();
        assert_eq!(mode(&file), mode(&plain));
        let dir = tmp.path().join("results");
        Staging::new(&dir, no_inputs())
            .unwrap()
            .commit(serde_json::json!({"funnelsim_version": "t"}))
            .unwrap();
        assert_eq!(mode(&dir), mode(&plain_dir));
        assert_eq!(mode(&dir.join(MANIFEST)), mode(&plain));
    }

    #[test]
    fn a_directory_path_is_its_entry_and_a_final_dotdot_is_refused() {
        assert_eq!(entry_path(Path::new("out/")).unwrap(), Path::new("out"));
        assert_eq!(entry_path(Path::new("a/out/.")).unwrap(), Path::new("a/out"));
        assert!(entry_path(Path::new("a/..")).is_err());
        assert_eq!(entry_path(Path::new("..")).unwrap(), Path::new(".."));
    }

    #[test]
    fn a_locked_staging_directory_is_left_alone_whatever_its_pid() {
        let tmp = tempfile::tempdir().unwrap();
        let busy = tmp.path().join(format!("{STAGING_PREFIX}4000000001-z"));
        fs::create_dir(&busy).unwrap();
        let lock = fs::File::open(&busy).unwrap();
        lock.lock().unwrap();
        clear_stale(tmp.path());
        assert!(busy.exists(), "a writer elsewhere holds the lock");
        drop(lock);
        clear_stale(tmp.path());
        assert_eq!(busy.exists(), !cfg!(target_os = "linux"));
    }

    #[test]
    fn stale_leftovers_of_dead_writers_are_cleared_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // No process has id 4_000_000_000 (ids are below 2^22 on Linux).
        let dead = tmp.path().join(format!("{STAGING_PREFIX}4000000000-x"));
        let live = tmp
            .path()
            .join(format!("{STAGING_PREFIX}{}-y", std::process::id()));
        let user = tmp.path().join(".funnelsim-staging-notes");
        for d in [&dead, &live, &user] {
            fs::create_dir(d).unwrap();
        }
        clear_stale(tmp.path());
        assert_eq!(dead.exists(), !cfg!(target_os = "linux"));
        assert!(live.exists() && user.exists());
    }

    #[test]
    fn a_file_output_never_replaces_an_input_or_a_foreign_file() {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in.csv");
        fs::write(&input, "history").unwrap();
        let inputs = [input.as_path()];
        let forced = Guard {
            inputs: &inputs,
            force: true,
        };
        let e = check_file_target(&input, forced, Ownership::Unmarked).unwrap_err();
        assert!(e.to_string().contains("an input"), "{e}");
        let other = tmp.path().join("mine.toml");
        fs::write(&other, "name = 'mine'").unwrap();
        let mark = Ownership::StartsWith("# by funnelsim");
        assert!(check_file_target(&other, no_inputs(), mark).is_err());
        assert!(
            check_file_target(
                &other,
                Guard {
                    inputs: &[],
                    force: true
                },
                mark
            )
            .is_ok()
        );
        fs::write(&other, "# by funnelsim\nname = 'x'").unwrap();
        assert!(check_file_target(&other, no_inputs(), mark).is_ok());
    }
}
