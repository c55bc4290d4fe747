//! Where an engagement's state lives: the workspace's SQLite file (`.blueprint/state.db`, the
//! default) or a database URL (the front end's database setting: PostgreSQL for a server
//! several people share).

use std::path::{Path, PathBuf};

use blueprint_store::{Store, StoreError, redact_url};

use crate::workspace::STATE_DIR;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    File(PathBuf),
    Url(String),
}

impl StateLocation {
    /// The workspace's own file unless a database URL is given.
    pub fn for_workspace(dir: &Path, database: Option<&str>) -> StateLocation {
        match database.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => StateLocation::Url(url.to_string()),
            None => StateLocation::File(dir.join(STATE_DIR).join("state.db")),
        }
    }

    /// Opens the store, creating it (the file and its directory, or the tables) if needed.
    pub async fn open(&self) -> Result<Store, StoreError> {
        match self {
            StateLocation::File(path) => {
                // A workspace made before `init` wrote the `.gitignore` gets it here.
                if let Some(dir) = path.parent() {
                    private_dir(dir)
                        .and_then(|()| ignore_in_git(dir, "blueprint's state and credentials"))
                        .map_err(|e| {
                            StoreError::Sqlite(format!("creating {}: {e}", dir.display()))
                        })?;
                }
                Store::open(path).await
            }
            StateLocation::Url(url) => Store::connect(url).await,
        }
    }

    /// Opens the store when there is one: reading (the log, the journal) never creates a file.
    /// A database URL always names a store.
    pub async fn open_existing(&self) -> Result<Option<Store>, StoreError> {
        match self {
            StateLocation::File(path) if !path.exists() => Ok(None),
            _ => self.open().await.map(Some),
        }
    }

    /// Opens the store (creating it if needed), runs `work` on it, and closes it whatever
    /// `work` returned.
    pub async fn using<T, E: From<StoreError>>(
        &self,
        work: impl AsyncFnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let store = self.open().await?;
        let result = work(&store).await;
        store.close().await;
        result
    }

    /// [`StateLocation::using`] when there is a store; `None` without running `work` when
    /// there is none (reading never creates one).
    pub async fn using_existing<T, E: From<StoreError>>(
        &self,
        work: impl AsyncFnOnce(&Store) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        let Some(store) = self.open_existing().await? else {
            return Ok(None);
        };
        let result = work(&store).await;
        store.close().await;
        result.map(Some)
    }
}

/// Creates the workspace's state directory (`.blueprint/`: the state store, credentials),
/// readable by its owner only, with a `.gitignore` that keeps all of it out of git: a
/// workspace is often kept in git for review, and the journal's snapshots of the tenant and
/// the keys must never go with it. Idempotent: a `.gitignore` already there is left as it is.
pub fn prepare_state_dir(workspace: &Path) -> std::io::Result<PathBuf> {
    let dir = workspace.join(STATE_DIR);
    private_dir(&dir)?;
    ignore_in_git(&dir, "blueprint's state and credentials")?;
    Ok(dir)
}

/// Writes a `.gitignore` in `dir` that ignores everything in it (`what` says what, in its
/// comment), unless one is there already.
pub fn ignore_in_git(dir: &Path, what: &str) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(".gitignore");
    let context = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display()))
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => file
            .write_all(format!("# {what}: never commit them\n*\n").as_bytes())
            .map_err(context),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(context(e)),
    }
}

/// Creates the state directory readable by its owner only (0700), or makes an existing one so.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

impl std::fmt::Display for StateLocation {
    /// The path, or the URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateLocation::File(path) => write!(f, "{}", path.display()),
            StateLocation::Url(url) => f.write_str(&redact_url(url)),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn the_state_directory_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let location = StateLocation::for_workspace(dir.path(), None);
        let store = location.open().await.unwrap();
        store.begin_run("t", "deploy", None).await.unwrap();
        let state = dir.path().join(STATE_DIR);
        assert_eq!(mode(&state), 0o700);
        let ignore = std::fs::read_to_string(state.join(".gitignore")).unwrap();
        assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
        for file in ["state.db", "state.db-wal", "state.db-shm"] {
            assert_eq!(mode(&state.join(file)) & 0o077, 0, "{file}");
        }
        store.close().await;
        // A store an older blueprint left readable by others is tightened when opened.
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            state.join("state.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        location.open().await.unwrap().close().await;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("state.db")), 0o600);
    }
}
