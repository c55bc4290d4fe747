//! Rehearsing an engagement on an emulated tenant, as the demos do: each sprint run the way a
//! person runs it (the same engine calls as a sprint's deploy, its enforcing deploy and an
//! evaluation), its manual features attested with a note saying nobody performed them. An
//! emulated tenant has no portal to take evidence from; without the attestations, later
//! sprints that build on manual features could not go ahead.

use std::path::Path;
use std::sync::Arc;

use crate::engagement::{self, Evidence};
use crate::{DeployOptions, DeployReport, EngineError, Evaluation, Progress, Session, Workspace};

/// The evidence file a rehearsal attests with, in the workspace.
pub const EVIDENCE_FILE: &str = "rehearsal-evidence.txt";
const EVIDENCE_TEXT: &str =
    "Rehearsal on blueprint's emulated tenant: manual steps were not performed.\n";
/// The note of each rehearsal attestation.
const NOTE: &str = "rehearsal on the emulated tenant: no real evidence";

/// Writes the rehearsal's evidence file into the workspace `dir`, and names it as evidence.
pub fn evidence(dir: &Path) -> Result<Evidence, EngineError> {
    let path = dir.join(EVIDENCE_FILE);
    std::fs::write(&path, EVIDENCE_TEXT)
        .map_err(|e| EngineError::Internal(format!("writing {}: {e}", path.display())))?;
    Ok(Evidence::from_arg(&path.display().to_string())?)
}

/// What rehearsing one sprint did.
pub struct SprintRehearsal {
    /// The sprint's manual features attested for the rehearsal.
    pub attested: usize,
    /// The deploys and the evaluation; `None` when the sprint has only manual features.
    pub deployed: Option<Deployed>,
}

/// A sprint's automated features deployed report-only, then enforced, then evaluated.
pub struct Deployed {
    pub report_only: DeployReport,
    pub enforced: DeployReport,
    pub evaluation: Evaluation,
}

impl Deployed {
    /// The changes that failed, in both deploys.
    pub fn failed(&self) -> usize {
        self.report_only.failed() + self.enforced.failed()
    }
}

/// Rehearses `sprint` of the workspace in `dir`: its manual features attested with `evidence`,
/// then its automated ones deployed report-only, enforced and evaluated.
pub async fn rehearse_sprint(
    dir: &Path,
    sprint: u32,
    evidence: &Evidence,
    progress: Arc<dyn Progress>,
) -> Result<SprintRehearsal, EngineError> {
    let mut session = Session::open(Workspace::open(dir)?, progress)?;
    let result = async {
        let scope = session.restrict_to_sprint(i64::from(sprint)).await?;
        for feature in &scope.needs_attestation {
            engagement::attest(&session.workspace, feature, evidence, NOTE).await?;
        }
        let attested = scope.needs_attestation.len();
        if attested == scope.features.len() {
            return Ok(SprintRehearsal {
                attested,
                deployed: None,
            });
        }
        let options = DeployOptions {
            sprint: session.sprint(),
            ..DeployOptions::default()
        };
        let (_, report_only) = session.deploy(&options).await?;
        let enforce = DeployOptions {
            enforce: true,
            ..options
        };
        let (_, enforced) = session.deploy(&enforce).await?;
        let evaluation = session.evaluate().await?;
        Ok(SprintRehearsal {
            attested,
            deployed: Some(Deployed {
                report_only,
                enforced,
                evaluation,
            }),
        })
    }
    .await;
    session.close().await;
    result
}
