//! Writing a file back: whole or not at all, and never over a change another program made
//! meanwhile (docs/reliability.md).

use std::io::Write;
use std::path::Path;

use crate::input;

/// Write `bytes` to `path` whole or not at all: a temporary file in the same directory, the original's
/// permissions, then a rename over the original (the target of a symlink, not the link).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, None)
}

/// [`write_atomic`], only if the file still holds what was read (`read`): if another program wrote
/// to it meanwhile, nothing is written and the error is [`ChangedUnderneath`]. The file is compared
/// just before the rename and, through a handle on the replaced file, just after it (a write that
/// landed in between went to the replaced file: it is put back). docs/reliability.md has the window
/// that remains.
pub fn write_atomic_unless_changed(path: &Path, bytes: &[u8], read: &input::Fingerprint) -> std::io::Result<()> {
    replace(path, bytes, Some(read))
}

/// Another program wrote to the file while podsec was fixing it. `saved`: it wrote both to the file
/// podsec replaced and to podsec's (in the instant of the rename): the replaced file's content is
/// saved there.
#[derive(Debug)]
pub struct ChangedUnderneath {
    saved: Option<std::path::PathBuf>,
}

impl std::fmt::Display for ChangedUnderneath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.saved {
            None => f.write_str(
                "it changed while podsec was fixing it (another program wrote to it); podsec wrote nothing, the file is as that program left it: run podsec again",
            ),
            Some(saved) => write!(
                f,
                "another program wrote to it while podsec replaced it: the file holds podsec's fix and that program's later writes; its content just before, with that program's earlier writes, is saved as {}",
                saved.display()
            ),
        }
    }
}

impl std::error::Error for ChangedUnderneath {}

fn changed() -> std::io::Error {
    std::io::Error::other(ChangedUnderneath { saved: None })
}

/// Temporary files are `.podsec-PID-XXXXXX.tmp`: hidden (discovery skips hidden entries), and the
/// next `fix` that writes into the directory removes those of a process that no longer runs (one
/// killed while writing).
fn temp_prefix() -> String {
    format!(".podsec-{}-", std::process::id())
}

/// Remove the temporary files a killed `podsec fix` left in `dir` (once per directory and run). Only
/// where /proc tells which processes run (Linux): a temporary file of a live process is its own.
fn clean_stale_temps(dir: &Path) {
    static DONE: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    {
        let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
        if done.iter().any(|d| d == dir) {
            return;
        }
        done.push(dir.to_path_buf());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".podsec-"))
            .filter(|n| n.ends_with(".tmp"))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn replace(path: &Path, bytes: &[u8], read: Option<&input::Fingerprint>) -> std::io::Result<()> {
    use std::io::{Read, Seek};
    // Through a symlink, the file to replace is its target (the link stays a link).
    let real = std::fs::canonicalize(path)?;
    let path = real.as_path();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    clean_stale_temps(dir);
    let mut tmp = tempfile::Builder::new().prefix(&temp_prefix()).suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    let perms = std::fs::metadata(path)?.permissions();
    std::fs::set_permissions(tmp.path(), perms.clone())?;
    let Some(read) = read else {
        tmp.persist(path).map_err(|e| e.error)?;
        return Ok(());
    };
    let content = |f: &mut std::fs::File| -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        f.seek(std::io::SeekFrom::Start(0))?;
        f.read_to_end(&mut buf)?;
        Ok(buf)
    };
    // The file must still hold what was read (if not, the temporary file is removed as it is
    // dropped). Its content is compared first, then, just before the rename, its size and times
    // (a write since the comparison changes them): the window left is the few microseconds from
    // that last look to the rename.
    let mut old = std::fs::File::open(path)?;
    let stamp = |f: &std::fs::File| -> std::io::Result<_> {
        let m = f.metadata()?;
        #[cfg(unix)]
        let changed = std::os::unix::fs::MetadataExt::ctime_nsec(&m);
        #[cfg(not(unix))]
        let changed = 0;
        Ok((m.len(), m.modified().ok(), changed))
    };
    let seen = stamp(&old)?;
    if input::Fingerprint::of(&content(&mut old)?) != *read || stamp(&old)? != seen {
        return Err(changed());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    // A write between that look and the rename went to the file just replaced (still open here):
    // put it back, unless the new file has been written to as well (then its old content is kept
    // beside it, so that neither write is lost).
    let before = content(&mut old)?;
    if input::Fingerprint::of(&before) == *read {
        return Ok(());
    }
    if std::fs::read(path).is_ok_and(|now| now == bytes) {
        let mut back = tempfile::Builder::new().prefix(&temp_prefix()).suffix(".tmp").tempfile_in(dir)?;
        back.write_all(&before)?;
        back.as_file().sync_all()?;
        std::fs::set_permissions(back.path(), perms)?;
        back.persist(path).map_err(|e| e.error)?;
        return Err(changed());
    }
    let mut saved = path.as_os_str().to_owned();
    saved.push(".podsec-before");
    std::fs::write(&saved, &before)?;
    Err(std::io::Error::other(ChangedUnderneath { saved: Some(saved.into()) }))
}
