//! The engine: from the catalogue and the agency's profile to a desired state; from the
//! tenant to an observation; a plan of the differences as a dependency graph; the deploy walk
//! that applies it safely; and the evaluation that proves each feature is in place.
//!
//! It knows nothing of the command line or the web server: they call [`Session`].

pub mod actor;
pub mod apply;
pub mod approved;
pub mod compare;
pub mod connect;
mod definitions;
pub mod doctor;
pub mod engagement;
pub mod evaluate;
pub mod files;
pub mod new_workspace;
pub mod observe;
pub mod plan;
pub mod progress;
pub mod rehearsal;
pub mod report;
pub mod resources;
pub mod rollback;
pub mod route;
pub mod state;
pub mod unlock;
pub mod workspace;

use blueprint_catalogue::DesiredObject;
use blueprint_catalogue::source::Diagnostics;
use blueprint_graph::GraphClient;
use route::TenantApis;
use serde_json::Value;

pub use actor::Actor;
pub use apply::{DeployOptions, DeployReport, Outcome};
pub use approved::{ApprovedPlan, PlanDifference, PlannedDeploy};
pub use evaluate::{Evaluation, Verdict};
pub use plan::{Op, Plan};
pub use progress::{Progress, ProgressEvent};
pub use state::StateLocation;
pub use workspace::{Environment, FrontEnd, Workspace};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An input file is wrong: located diagnostics (file:line:col).
    #[error("{0}")]
    Input(Diagnostics),
    /// Bad usage or configuration (missing credential, no profile).
    #[error("{0}")]
    Usage(String),
    #[error("catalogue: {0}")]
    Catalogue(String),
    #[error(transparent)]
    Graph(Box<blueprint_graph::GraphError>),
    #[error(transparent)]
    Store(#[from] blueprint_store::StoreError),
    /// An engagement step that cannot go ahead yet (a sprint's dependencies, an attestation).
    #[error(transparent)]
    Engagement(#[from] engagement::EngagementError),
    #[error("{0}")]
    Internal(String),
    /// The app's token lacks grants the selected features need: the message names each and the
    /// features needing it (a front end says how to grant them). Nothing was read or changed.
    #[error("{0}")]
    MissingPermissions(String),
    /// The workspace has no profile to open.
    #[error("no profile at {} ({reason})", path.display())]
    NoProfile {
        dir: std::path::PathBuf,
        path: std::path::PathBuf,
        reason: String,
    },
    /// The app's new grants did not show in its token in the time waited: Entra may still be
    /// replicating them (checking the connection again a minute later tells).
    #[error(
        "the grants did not show in the app's token within {waited_secs} s ({last}); Entra may still be replicating them"
    )]
    GrantsNotVisible { waited_secs: u64, last: String },
    /// A new workspace would replace the profile already there (the caller did not ask to).
    #[error("{} already exists", path.display())]
    ProfileExists { path: std::path::PathBuf },
    /// A rollback refused because later sprints' deployed features build on this sprint's.
    #[error(
        "sprint {sprint} cannot be rolled back while later sprints build on it: {}",
        dependants.join(", ")
    )]
    LaterSprintsBuildOn {
        sprint: i64,
        dependants: Vec<String>,
    },
    /// The approved plan is not what planning gives now: the tenant, the selection or the
    /// profile changed since. Nothing was changed.
    #[error(
        "the plan is stale: the tenant or the selection changed since it was approved\n{}",
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    StalePlan { differences: Vec<PlanDifference> },
}

impl EngineError {
    /// Whether the error is the user's input or configuration (exit code 2).
    pub fn is_input(&self) -> bool {
        match self {
            EngineError::Input(_)
            | EngineError::Usage(_)
            | EngineError::NoProfile { .. }
            | EngineError::ProfileExists { .. }
            | EngineError::GrantsNotVisible { .. }
            | EngineError::LaterSprintsBuildOn { .. }
            | EngineError::Catalogue(_)
            | EngineError::MissingPermissions(_)
            | EngineError::Engagement(_) => true,
            // A wrong credential, a bad endpoint or an unreachable host is configuration.
            EngineError::Graph(e) => matches!(
                e.as_ref(),
                blueprint_graph::GraphError::Config(_)
                    | blueprint_graph::GraphError::Auth { .. }
                    | blueprint_graph::GraphError::Transport { .. }
            ),
            _ => false,
        }
    }
}

impl From<blueprint_graph::GraphError> for EngineError {
    fn from(e: blueprint_graph::GraphError) -> Self {
        EngineError::Graph(Box::new(e))
    }
}

/// Deep-merges `patch` into `target` (objects merge, everything else is replaced).
pub(crate) fn merge_into(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(slot @ Value::Object(_)) if v.is_object() => merge_into(slot, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// One `deployed` entry per feature this run changed, with digests of its objects before and
/// after, taken from the journal, and the sprint the run deployed.
async fn record_deployed(
    store: &blueprint_store::Store,
    tenant: &str,
    report: &DeployReport,
    sprint: Option<i64>,
    actor: &Actor,
    plan_digest: Option<&str>,
) -> Result<(), EngineError> {
    use blueprint_store::{EventKind, LogEvent, digest_json};
    let Actor { name, role } = actor;
    let changes = store.changes(tenant).await?;
    let mut by_feature: std::collections::BTreeMap<&str, Vec<&blueprint_store::Change>> =
        Default::default();
    for c in changes
        .iter()
        .filter(|c| c.run_id == report.run_id && c.status == "done")
    {
        by_feature.entry(c.feature.as_str()).or_default().push(c);
    }
    let events: Vec<LogEvent> = by_feature
        .into_iter()
        .map(|(feature, changes)| {
            let before: Vec<Value> = changes
                .iter()
                .map(|c| c.before.clone().unwrap_or(Value::Null))
                .collect();
            let after: Vec<Value> = changes
                .iter()
                .map(|c| c.after.clone().unwrap_or(Value::Null))
                .collect();
            let ops: Vec<Value> = changes
                .iter()
                .map(|c| serde_json::json!({"reference": c.reference, "op": c.op}))
                .collect();
            let event = LogEvent::new(EventKind::Deployed, name.as_str(), *role)
                .feature(feature)
                .sprint(sprint)
                .with("run", report.run_id);
            match plan_digest {
                Some(digest) => event.with("plan", digest),
                None => event,
            }
            .with("changes", Value::Array(ops))
            .before(digest_json(&Value::Array(before)))
            .after(digest_json(&Value::Array(after)))
        })
        .collect();
    if !events.is_empty() {
        store.append_events(&events).await?;
    }
    Ok(())
}

/// An evaluation and the report model made of it.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub evaluation: Evaluation,
    pub report: blueprint_report::ReportInput,
}

impl Evaluated {
    /// Every selected feature is done: verified, or attested when manual.
    pub fn all_done(&self) -> bool {
        self.report.all_done()
    }
}

/// A workspace connected to its tenant: the unit the commands work with.
pub struct Session {
    pub workspace: Workspace,
    /// Graph, and the Exchange admin API for the Exchange kinds ([`route`]).
    pub client: TenantApis,
    tenant_id: String,
    pub desired: Vec<DesiredObject>,
    /// Selected features that did not render (a parameter the profile does not set), and why:
    /// work on them is refused ([`Session::objects`]), work on the others goes ahead.
    unrendered: std::collections::BTreeMap<String, blueprint_catalogue::Diagnostics>,
    pub selected: Vec<String>,
    /// Set by [`Session::restrict_to`]: only these features are planned and deployed.
    scope: Option<std::collections::BTreeSet<String>>,
    /// Set by [`Session::restrict_to_sprint`]: the sprint a deploy records.
    sprint: Option<i64>,
    /// Where the session's progress goes (Graph's waits, each deploy step).
    progress: std::sync::Arc<dyn Progress>,
    /// The engagement's state, opened on first use and kept until [`Session::close`]: a
    /// command sets up its connection once, not once per step (on PostgreSQL each set-up is a
    /// TLS handshake).
    store: tokio::sync::Mutex<Option<blueprint_store::Store>>,
    /// The tenant's organization id, resolved once ([`Session::tenant`]).
    organization: tokio::sync::OnceCell<String>,
}

impl Session {
    /// Renders the desired state of the selected features and connects to the tenant; the
    /// session's work is reported to `progress`.
    pub fn open(
        workspace: Workspace,
        progress: std::sync::Arc<dyn Progress>,
    ) -> Result<Session, EngineError> {
        let selected = engagement::Selection::of(&workspace).selected;
        let rendered = workspace.render_selected();
        let unrendered = rendered.unrendered;
        let desired = rendered.objects;
        let config = workspace.graph_config()?;
        let tenant_id = config.tenant_id.clone();
        let exchange = blueprint_exchange::ExchangeClient::new(
            config.clone(),
            &workspace.exchange_url(),
            progress::graph_observer(progress.clone()),
        )?;
        let compliance = blueprint_exchange::ExchangeClient::for_endpoint(
            blueprint_exchange::AdminEndpoint::Compliance,
            config.clone(),
            &workspace.compliance_url(),
            progress::graph_observer(progress.clone()),
        )?;
        let client = TenantApis::new(
            GraphClient::new(config, progress::graph_observer(progress.clone()))?,
            exchange,
        )
        .with_compliance(compliance);
        Ok(Session {
            workspace,
            client,
            tenant_id,
            desired,
            unrendered,
            selected,
            scope: None,
            sprint: None,
            progress,
            store: tokio::sync::Mutex::new(None),
            organization: tokio::sync::OnceCell::new(),
        })
    }

    /// The engagement's store, created if the workspace has none yet.
    async fn store(&self) -> Result<blueprint_store::Store, EngineError> {
        Ok(self.cached_store(true).await?.expect("opened to create"))
    }

    /// The engagement's store if the workspace has one (reading never creates it).
    async fn existing_store(&self) -> Result<Option<blueprint_store::Store>, EngineError> {
        self.cached_store(false).await
    }

    /// The session's store, opening it (and with `create`, creating it) on first use.
    async fn cached_store(
        &self,
        create: bool,
    ) -> Result<Option<blueprint_store::Store>, EngineError> {
        let mut slot = self.store.lock().await;
        if slot.is_none() {
            *slot = match create {
                true => Some(self.workspace.state.open().await?),
                false => self.workspace.state.open_existing().await?,
            };
        }
        Ok(slot.clone())
    }

    /// The whole feature log; empty when the workspace has no state yet.
    pub async fn read_log(&self) -> Result<Vec<blueprint_store::LogEntry>, EngineError> {
        match self.existing_store().await? {
            Some(store) => Ok(store.log(None).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Closes the store if the session opened it. Call it when the command is done.
    pub async fn close(&self) {
        if let Some(store) = self.store.lock().await.take() {
            store.close().await;
        }
    }

    /// Plans and deploys only `features` (of those selected). Objects of other features are
    /// still read, so references to them resolve, but never changed; objects of deselected
    /// features are left for an unrestricted deploy to clean up.
    pub fn restrict_to(&mut self, features: &std::collections::BTreeSet<String>) {
        self.selected.retain(|f| features.contains(f));
        self.scope = Some(features.clone());
    }

    /// Restricts the session to the features the feature log schedules into `sprint`
    /// ([`engagement::sprint_scope`]): refused while one of them depends on unfinished work of
    /// another sprint, or when no sprint plan is recorded. A deploy then records the sprint.
    pub async fn restrict_to_sprint(
        &mut self,
        sprint: i64,
    ) -> Result<engagement::SprintScope, EngineError> {
        let entries = self.read_log().await?;
        let scope = engagement::sprint_scope(
            &self.workspace.catalogue,
            &engagement::Selection::of(&self.workspace),
            &blueprint_store::feature_status(&entries),
            sprint,
        )?;
        self.restrict_to(&scope.features.iter().cloned().collect());
        self.sprint = Some(sprint);
        Ok(scope)
    }

    /// Refuses, before the tenant is read, when the app's token lacks grants the selected
    /// features need for `access`, with doctor's message ([`doctor::check_permissions`]).
    pub async fn check_permissions(
        &self,
        access: blueprint_catalogue::permissions::Access,
    ) -> Result<(), EngineError> {
        let needs = self.workspace.required_permissions(access)?;
        doctor::check_permissions(&self.client, &needs).await
    }

    /// The sprint the session is restricted to.
    pub fn sprint(&self) -> Option<i64> {
        self.sprint
    }

    /// The tenant as configured (a GUID or a domain): for messages.
    pub fn tenant_id(&self) -> String {
        self.tenant_id.clone()
    }

    /// The tenant's organization id, which keys its lock, journal and managed objects: a
    /// tenant configured by its domain and by its GUID is one tenant. Resolved once per session
    /// from the access token's `tid` claim; state an earlier run kept under the configured
    /// name is moved to it then ([`blueprint_store::StateStore::adopt_tenant_alias`]).
    pub async fn tenant(&self) -> Result<String, EngineError> {
        self.organization
            .get_or_try_init(|| async {
                let organization = self.client.organization_id().await?;
                if let Some(store) = self.existing_store().await? {
                    store
                        .adopt_tenant_alias(&self.tenant_id, &organization)
                        .await?;
                }
                Ok::<_, EngineError>(organization)
            })
            .await
            .cloned()
    }

    /// The ids the journal holds for the tenant's managed objects, by reference (none without
    /// a store): reading the tenant asks for what needs an id (assignments, expanded
    /// settings) in its first round under these, and checks them against what it finds.
    async fn journalled_ids(
        &self,
        store: Option<&blueprint_store::Store>,
    ) -> Result<std::collections::HashMap<String, String>, EngineError> {
        let Some(store) = store else {
            return Ok(Default::default());
        };
        Ok(store
            .managed_objects(&self.tenant().await?)
            .await?
            .into_iter()
            .map(|m| (m.reference, m.object_id))
            .collect())
    }

    /// The objects to plan: every desired object, or when restricted, the scope's objects and
    /// those they reference (read only to resolve the references). Refused, naming each
    /// missing parameter, when a feature of the scope did not render.
    fn objects(&self) -> Result<Vec<&DesiredObject>, EngineError> {
        let in_scope = |feature: &str| self.scope.as_ref().is_none_or(|s| s.contains(feature));
        let unrendered = self
            .unrendered
            .keys()
            .map(String::as_str)
            .filter(|f| in_scope(f));
        let problems = blueprint_catalogue::Rendered::problems_in(&self.unrendered, unrendered);
        match problems {
            Some(problems) => Err(EngineError::Input(problems)),
            None => Ok(self.rendered_objects()),
        }
    }

    /// [`Session::objects`] of the features that rendered, without refusing for the others.
    fn rendered_objects(&self) -> Vec<&DesiredObject> {
        let Some(scope) = &self.scope else {
            return self.desired.iter().collect();
        };
        let referenced: std::collections::HashSet<&str> = self
            .desired
            .iter()
            .filter(|o| scope.contains(&o.feature))
            .flat_map(|o| o.references.iter().map(String::as_str))
            .collect();
        self.desired
            .iter()
            .filter(|o| scope.contains(&o.feature) || referenced.contains(o.reference.as_str()))
            .collect()
    }

    /// Reads the tenant and plans.
    pub async fn plan(&self, enforce: bool) -> Result<(Plan, observe::Observation), EngineError> {
        self.plan_with(enforce, false).await
    }

    /// Reads the tenant and plans; with `allow_delete`, objects this tool created for features
    /// since deselected are planned for deletion (otherwise they are listed and kept).
    pub async fn plan_with(
        &self,
        enforce: bool,
        allow_delete: bool,
    ) -> Result<(Plan, observe::Observation), EngineError> {
        let store = self.existing_store().await?;
        self.plan_in(store.as_ref(), enforce, allow_delete).await
    }

    async fn plan_in(
        &self,
        store: Option<&blueprint_store::Store>,
        enforce: bool,
        allow_delete: bool,
    ) -> Result<(Plan, observe::Observation), EngineError> {
        let objects = self.objects()?;
        let known = self.journalled_ids(store).await?;
        let observation =
            observe::observe_known(&self.client, &objects, &known, observe::Purpose::Plan).await?;
        let mut plan = plan::plan(&objects, &observation, enforce);
        plan.allow_delete = allow_delete;
        if let Some(scope) = &self.scope {
            plan.actions.retain(|a| scope.contains(&a.feature));
            return Ok((plan, observation));
        }
        if let Some(store) = store {
            let desired: std::collections::HashSet<&str> =
                objects.iter().map(|o| o.reference.as_str()).collect();
            plan.orphans = store
                .managed_objects(&self.tenant().await?)
                .await?
                .into_iter()
                .filter(|m| m.created_by_tool && !desired.contains(m.reference.as_str()))
                .map(|m| plan::Orphan {
                    feature: m.feature,
                    kind: m.kind,
                    reference: m.reference,
                    object_id: m.object_id,
                })
                .collect();
        }
        Ok((plan, observation))
    }

    /// Plans afresh and applies, holding the tenant's deploy lock.
    pub async fn deploy(
        &self,
        options: &DeployOptions,
    ) -> Result<(Plan, DeployReport), EngineError> {
        self.may_deploy()?;
        let store = self.store().await?;
        let tenant = self.tenant().await?;
        let lock = self.lock(&store, &tenant, "deploy").await?;
        // Written through the lock's handle: a lost lease stops the walk's next change.
        let store = lock.store().clone();
        let options = DeployOptions {
            files_dir: self.workspace.dir.clone(),
            sprint: options.sprint.or(self.sprint),
            ..options.clone()
        };
        let options = &options;
        let result = async {
            engagement::record_execution_plan(&self.workspace, &store).await?;
            let (plan, observation) = self
                .plan_in(Some(&store), options.enforce, options.allow_delete)
                .await?;
            let report = apply::apply(
                &self.client,
                &store,
                &tenant,
                &plan,
                &observation,
                options,
                &*self.progress,
            )
            .await?;
            record_deployed(
                &store,
                &tenant,
                &report,
                options.sprint,
                &self.workspace.actor,
                None,
            )
            .await?;
            Ok((plan, report))
        }
        .await;
        lock.release().await?;
        result
    }

    /// What a deploy would change, read from the tenant now, with what produced it: the plan
    /// a person approves ([`Session::apply`] applies exactly that).
    pub async fn preview(
        &self,
        enforce: bool,
        allow_delete: bool,
    ) -> Result<PlannedDeploy, EngineError> {
        let store = self.existing_store().await?;
        let (plan, observation) = self.plan_in(store.as_ref(), enforce, allow_delete).await?;
        let tenant = self.tenant().await?;
        let fingerprint = self.fingerprint(&tenant, &observation, enforce, allow_delete)?;
        Ok(PlannedDeploy { fingerprint, plan })
    }

    /// [`Session::preview`] for one sprint when `sprint` is given: the session restricted to
    /// it first (refused while a sprint it builds on is unfinished), and the sprint's scope
    /// returned beside the plan. What a person looks at before approving a deploy.
    pub async fn preview_sprint(
        &mut self,
        sprint: Option<i64>,
        enforce: bool,
        allow_delete: bool,
    ) -> Result<(Option<engagement::SprintScope>, PlannedDeploy), EngineError> {
        let scope = match sprint {
            Some(n) => Some(self.restrict_to_sprint(n).await?),
            None => None,
        };
        Ok((scope, self.preview(enforce, allow_delete).await?))
    }

    fn fingerprint(
        &self,
        tenant: &str,
        observation: &observe::Observation,
        enforce: bool,
        allow_delete: bool,
    ) -> Result<approved::Fingerprint, EngineError> {
        Ok(approved::fingerprint(
            tenant,
            (self.sprint, enforce, allow_delete),
            &self.selected,
            &self.objects()?,
            observation,
        ))
    }

    /// Applies an approved plan (a preview, or a plan file): under the tenant's deploy lock it
    /// reads the tenant again and plans again, and refuses ([`EngineError::StalePlan`], naming
    /// each difference, nothing changed) unless that gives exactly the approved plan. The
    /// feature log's `deployed` entries carry the plan's digest.
    pub async fn apply(
        &self,
        approved: &ApprovedPlan,
        options: &DeployOptions,
    ) -> Result<DeployReport, EngineError> {
        self.may_deploy()?;
        let store = self.store().await?;
        let tenant = self.tenant().await?;
        let lock = self.lock(&store, &tenant, "deploy").await?;
        // Written through the lock's handle: a lost lease stops the walk's next change.
        let store = lock.store().clone();
        let approval = &approved.fingerprint;
        let options = DeployOptions {
            files_dir: self.workspace.dir.clone(),
            sprint: options.sprint.or(self.sprint),
            enforce: approval.enforce,
            allow_delete: approval.allow_delete,
            ..options.clone()
        };
        let options = &options;
        let result = async {
            let (plan, observation) = self
                .plan_in(Some(&store), options.enforce, options.allow_delete)
                .await?;
            let fresh = PlannedDeploy {
                fingerprint: self.fingerprint(
                    &tenant,
                    &observation,
                    options.enforce,
                    options.allow_delete,
                )?,
                plan,
            };
            let differences = approved.differences(&fresh.approved());
            if !differences.is_empty() {
                return Err(EngineError::StalePlan { differences });
            }
            engagement::record_execution_plan(&self.workspace, &store).await?;
            let report = apply::apply(
                &self.client,
                &store,
                &tenant,
                &fresh.plan,
                &observation,
                options,
                &*self.progress,
            )
            .await?;
            record_deployed(
                &store,
                &tenant,
                &report,
                options.sprint,
                &self.workspace.actor,
                Some(&approved.digest()),
            )
            .await?;
            Ok(report)
        }
        .await;
        lock.release().await?;
        result
    }

    /// Takes the tenant's deploy lock for `purpose` (`deploy`, `rollback`), naming the actor.
    async fn lock(
        &self,
        store: &blueprint_store::Store,
        tenant: &str,
        purpose: &str,
    ) -> Result<blueprint_store::DeployLock, EngineError> {
        let request = blueprint_store::LockRequest {
            tenant,
            purpose,
            actor: &self.workspace.actor.name,
        };
        Ok(store.acquire_lock(&request).await?)
    }

    /// Records in the feature log what changed in the execution plan
    /// ([`engagement::record_execution_plan`]), outside a deploy (one that finds nothing to
    /// change still acts on the current selection).
    pub async fn record_execution_plan(&self) -> Result<(), EngineError> {
        self.may_deploy()?;
        let store = self.store().await?;
        engagement::record_execution_plan(&self.workspace, &store)
            .await
            .map(drop)
    }

    /// Refuses the program office a deploy, and a deploy that would send a new workspace's
    /// placeholder terms of use to a real tenant ([`files::refuse_placeholder`]): check before
    /// anything is shown or asked.
    pub fn may_deploy(&self) -> Result<(), EngineError> {
        self.workspace
            .actor
            .may_change(engagement::Activity::Deploy)?;
        let profile = std::fs::read_to_string(Workspace::profile_path(&self.workspace.dir)).ok();
        files::refuse_placeholder(
            &self.workspace.dir,
            profile.as_deref(),
            self.client.graph_root(),
            // Before a sprint restricts the session, so of what renders: a feature that does
            // not render sends nothing, and planning it is refused anyway.
            &self.rendered_objects(),
        )
    }

    /// Reads the tenant and evaluates every selected feature.
    pub async fn evaluate(&self) -> Result<Evaluation, EngineError> {
        let objects = self.objects()?;
        let store = self.existing_store().await?;
        let known = self.journalled_ids(store.as_ref()).await?;
        let observation =
            observe::observe_known(&self.client, &objects, &known, observe::Purpose::Evaluate)
                .await?;
        let evaluation = evaluate::evaluate(
            &self.workspace.catalogue,
            &self.selected,
            &objects,
            &observation,
        );
        self.record_evaluation(&evaluation).await?;
        Ok(evaluation)
    }

    /// Evaluates (as [`Session::evaluate`] does) and fills the report model the front ends
    /// render: each feature with what the catalogue says of it and the attestations that
    /// stand, and the sprint burn-up.
    pub async fn evaluate_report(&self) -> Result<Evaluated, EngineError> {
        let evaluation = self.evaluate().await?;
        let report = report::report_input(self, &evaluation).await?;
        Ok(Evaluated { evaluation, report })
    }

    /// Records the evaluation in the feature log: `verified` or `drifted` for each automated
    /// feature in the tenant whose state that changes (a feature verified yesterday and
    /// today gets no second entry; features not deployed and manual ones record nothing
    /// here), then one `evaluated` entry for the run, with its counts. Years of daily
    /// evaluations stay readable, and the log still shows when each one ran.
    async fn record_evaluation(&self, evaluation: &Evaluation) -> Result<(), EngineError> {
        let store = self.store().await?;
        let status = blueprint_store::feature_status(&store.log(None).await?);
        let events = evaluation_events(evaluation, &status, &self.workspace.actor);
        store.append_events(&events).await?;
        Ok(())
    }
}

/// The feature log entries an evaluation adds, given each feature's state in the log now:
/// see [`Session::evaluate`].
fn evaluation_events(
    evaluation: &Evaluation,
    status: &std::collections::BTreeMap<String, blueprint_store::FeatureLogStatus>,
    actor: &Actor,
) -> Vec<blueprint_store::LogEvent> {
    use blueprint_store::{EventKind, FeatureState, LogEvent};
    let Actor { name, role } = actor;
    let mut changed = 0i64;
    let mut events: Vec<LogEvent> = evaluation
        .features
        .iter()
        .filter_map(|f| {
            let (kind, state) = match f.verdict {
                Verdict::Pass => (EventKind::Verified, FeatureState::Verified),
                Verdict::Fail => (EventKind::Drifted, FeatureState::Drifted),
                Verdict::NotDeployed | Verdict::Manual => return None,
            };
            if status.get(&f.id).is_some_and(|s| s.state == state) {
                return None;
            }
            changed += 1;
            Some(
                LogEvent::new(kind, name.as_str(), *role)
                    .feature(f.id.as_str())
                    .with("findings", f.findings.len() as i64)
                    .with("missing", f.missing.len() as i64),
            )
        })
        .collect();
    let count = |v: Verdict| evaluation.count(v) as i64;
    events.push(
        LogEvent::new(EventKind::Evaluated, name.as_str(), *role)
            .with("pass", count(Verdict::Pass))
            .with("fail", count(Verdict::Fail))
            .with("not_deployed", count(Verdict::NotDeployed))
            .with("manual", count(Verdict::Manual))
            .with("changed", changed),
    );
    events
}

#[cfg(test)]
mod evaluation_log_tests {
    use std::collections::BTreeMap;

    use blueprint_store::{EventKind, FeatureLogStatus, FeatureState, Role};

    use super::*;
    use crate::evaluate::FeatureResult;

    fn result(id: &str, verdict: Verdict) -> FeatureResult {
        FeatureResult {
            id: id.into(),
            title: id.into(),
            area: "identity".into(),
            verdict,
            findings: vec![],
            missing: vec![],
        }
    }

    fn at(state: FeatureState) -> FeatureLogStatus {
        FeatureLogStatus {
            state,
            sprint: Some(1),
            since_seq: 1,
            since: "2026-11-30T00:00:00Z".into(),
            reason: None,
        }
    }

    #[test]
    fn an_evaluation_logs_only_the_features_whose_state_changes_and_one_entry_for_the_run() {
        let evaluation = Evaluation {
            features: vec![
                result("still-verified", Verdict::Pass),
                result("newly-verified", Verdict::Pass),
                result("repaired", Verdict::Pass),
                result("newly-drifted", Verdict::Fail),
                result("still-drifted", Verdict::Fail),
                result("not-deployed", Verdict::NotDeployed),
                result("manual", Verdict::Manual),
            ],
        };
        let status: BTreeMap<String, FeatureLogStatus> = [
            ("still-verified", FeatureState::Verified),
            ("newly-verified", FeatureState::Deployed),
            ("repaired", FeatureState::Drifted),
            ("newly-drifted", FeatureState::Verified),
            ("still-drifted", FeatureState::Drifted),
        ]
        .into_iter()
        .map(|(id, state)| (id.to_string(), at(state)))
        .collect();
        let actor = Actor {
            name: "evaluate".into(),
            role: Role::Agency,
        };
        let events = evaluation_events(&evaluation, &status, &actor);
        let logged: Vec<(EventKind, Option<&str>)> = events
            .iter()
            .map(|e| (e.kind, e.feature.as_deref()))
            .collect();
        assert_eq!(
            logged,
            vec![
                (EventKind::Verified, Some("newly-verified")),
                (EventKind::Verified, Some("repaired")),
                (EventKind::Drifted, Some("newly-drifted")),
                (EventKind::Evaluated, None),
            ]
        );
        let run = &events[3].detail;
        assert_eq!(
            (
                run["pass"].as_i64(),
                run["fail"].as_i64(),
                run["not_deployed"].as_i64(),
                run["manual"].as_i64(),
                run["changed"].as_i64()
            ),
            (Some(3), Some(2), Some(1), Some(1), Some(3))
        );
        // The same evaluation again, the log now up to date: the run's entry only.
        let mut status = status;
        for (id, state) in [
            ("newly-verified", FeatureState::Verified),
            ("repaired", FeatureState::Verified),
            ("newly-drifted", FeatureState::Drifted),
        ] {
            status.insert(id.into(), at(state));
        }
        let again = evaluation_events(&evaluation, &status, &actor);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].kind, EventKind::Evaluated);
        assert_eq!(again[0].detail["changed"].as_i64(), Some(0));
    }
}
