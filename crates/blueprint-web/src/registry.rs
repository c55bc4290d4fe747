//! The engagements the server shows, one per agency, as the server's database registers them
//! ([`blueprint_store::StateStore::engagements`]): each one's workspace opened once at start
//! (its profile and catalogue), its state read when it has changed ([`crate::view::read`]).

use std::path::{Path, PathBuf};

use blueprint_engine::{Actor, EngineError, FrontEnd, Workspace};
use blueprint_store::{Engagement, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the server's database: {0}")]
    Store(#[from] StoreError),
    #[error("engagement `{id}` ({workspace}): {source}")]
    Workspace {
        id: String,
        workspace: String,
        source: Box<EngineError>,
    },
    #[error(
        "engagement id `{0}`: use lower-case letters, digits and dashes (it is part of every URL)"
    )]
    BadId(String),
}

/// One engagement: what the database registers, its workspace, and its state as last read.
pub struct Entry {
    pub engagement: Engagement,
    pub workspace: Workspace,
    pub(crate) cache: crate::view::ReadCache,
}

impl Entry {
    pub fn id(&self) -> &str {
        &self.engagement.id
    }

    /// The workspace opened afresh with `principal` as its actor: what the engine records an
    /// attestation or a decision under.
    pub fn acting_as(&self, principal: &crate::Principal) -> Result<Workspace, EngineError> {
        // The signed-in person acts, with the profile's connection alone: neither the server's
        // login nor its environment variables reach an engagement.
        let front = FrontEnd::acting(Actor {
            name: principal.name.clone(),
            role: principal.role,
        });
        Ok(Workspace::open_for(&self.workspace.dir, front)?
            .with_database(self.database().as_deref()))
    }

    /// The database URL the workspace's state is in, when it is not the workspace's own file.
    fn database(&self) -> Option<String> {
        match &self.workspace.state {
            blueprint_engine::StateLocation::Url(url) => Some(url.clone()),
            blueprint_engine::StateLocation::File(_) => None,
        }
    }

    /// Where uploaded evidence files are kept: beside the engagement's state.
    pub fn evidence_dir(&self) -> PathBuf {
        self.workspace
            .dir
            .join(blueprint_engine::workspace::STATE_DIR)
            .join("evidence")
    }
}

/// The engagements, by id.
pub struct Registry {
    entries: Vec<Entry>,
}

/// An id that is safe in a URL and a file name.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Registry {
    /// Reads the engagements the database registers and opens each one's workspace.
    pub async fn load(store: &Store) -> Result<Registry, RegistryError> {
        let mut entries = Vec::new();
        for engagement in store.engagements().await? {
            let workspace = Workspace::open(Path::new(&engagement.workspace)).map_err(|e| {
                RegistryError::Workspace {
                    id: engagement.id.clone(),
                    workspace: engagement.workspace.clone(),
                    source: Box::new(e),
                }
            })?;
            entries.push(Entry {
                engagement,
                workspace,
                cache: Default::default(),
            });
        }
        Ok(Registry { entries })
    }

    /// Registers the workspace in `dir` as engagement `id` (its agency named by its profile),
    /// granted to `partners`.
    pub async fn register(
        store: &Store,
        id: &str,
        dir: &Path,
        partners: &[String],
    ) -> Result<(), RegistryError> {
        if !valid_id(id) {
            return Err(RegistryError::BadId(id.to_string()));
        }
        let workspace = Workspace::open(dir).map_err(|e| RegistryError::Workspace {
            id: id.to_string(),
            workspace: dir.display().to_string(),
            source: Box::new(e),
        })?;
        let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        store
            .register_engagement(&Engagement {
                id: id.to_string(),
                agency: workspace.profile.agency.name.clone(),
                workspace: absolute.display().to_string(),
                partners: partners.to_vec(),
            })
            .await?;
        Ok(())
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id() == id)
    }

    /// Where engagement `id` is in [`Registry::entries`].
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id() == id)
    }
}
