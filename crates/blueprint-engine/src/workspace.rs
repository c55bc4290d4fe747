//! An engagement workspace: a directory holding the agency's profile (`blueprint.toml`: who the
//! agency is, how to reach its tenant, what it selected) and the tool's state
//! (`.blueprint/state.db`). Secrets are never written here: a client secret comes from the
//! environment (`AZURE_CLIENT_SECRET`), a certificate from a file the profile points at.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use blueprint_catalogue::profile::{AgencyTable, ParamsTable};
use blueprint_catalogue::source::{Diagnostic, Diagnostics, ErrorKind};
use blueprint_catalogue::{AgencyProfile, Catalogue};
use blueprint_graph::{Credential, GraphConfig, SecretString};
use serde::Deserialize;

use crate::EngineError;
use crate::actor::{Actor, ActorSection};
use crate::state::StateLocation;

pub const PROFILE_FILE: &str = "blueprint.toml";
pub const STATE_DIR: &str = ".blueprint";

/// How to reach the tenant, as the profile gives it (environment overrides it).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSection {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub authority: Option<String>,
    pub graph: Option<String>,
    /// The Exchange admin API's host (default `https://outlook.office365.com`; an emulator's
    /// ready file names its own under `exchange`).
    pub exchange: Option<String>,
    /// Where Security & Compliance's regional endpoint is discovered (default
    /// `https://ps.compliance.protection.outlook.com`; an emulator's ready file names its own
    /// under `compliance`).
    pub compliance: Option<String>,
    /// A PEM file with the app's certificate (and its private key, unless `private_key_path`).
    pub certificate_path: Option<PathBuf>,
    pub private_key_path: Option<PathBuf>,
    /// An extra trusted CA (PEM), e.g. an emulator's.
    pub ca_file: Option<PathBuf>,
    /// The read-only app connecting made beside the deploying one (for planning, evaluating
    /// and the doctor): its client id and its certificate-and-key PEM file.
    pub read_only_client_id: Option<String>,
    pub read_only_certificate_path: Option<PathBuf>,
}

/// Where the tenant's services are, without any credential: what a sign-in needs.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The tenant as configured (id or domain); `None` when neither the environment nor the
    /// profile names one.
    pub tenant_id: Option<String>,
    pub authority: String,
    pub graph: String,
    pub extra_ca_pem: Option<Vec<u8>>,
}

/// The execution plan's selection: which features the agency implements.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSection {
    /// Feature ids; empty means every feature of the catalogue. Spanned, like every id the
    /// selection names, so that a problem is shown where it is written.
    #[serde(default)]
    pub features: Vec<toml::Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Exclusion>,
    /// Story points the team completes in one sprint: the sprint planner fills each sprint up
    /// to it. Default 20 ([`DEFAULT_CAPACITY`]) when absent; read it with
    /// [`PlanSection::capacity`]. Spanned so that a bad value is shown where it is written.
    #[serde(default)]
    pub capacity: Option<toml::Spanned<u32>>,
    /// Sprint pins (`[plan.pins]`): feature id → the sprint it must be delivered in. Spanned so
    /// that a pin the planner cannot honour is shown where it is written.
    #[serde(default)]
    pub pins: BTreeMap<toml::Spanned<String>, toml::Spanned<u32>>,
}

/// Story points per sprint when `[plan] capacity` is absent.
pub const DEFAULT_CAPACITY: u32 = 20;

impl PlanSection {
    /// Story points per sprint: `[plan] capacity`, or 20.
    pub fn capacity(&self) -> u32 {
        self.capacity
            .as_ref()
            .map_or(DEFAULT_CAPACITY, |c| *c.get_ref())
    }

    /// The sprint `[plan.pins]` pins a feature to.
    pub fn pin(&self, feature: &str) -> Option<u32> {
        self.pins.get(feature).map(|p| *p.get_ref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub feature: toml::Spanned<String>,
    pub justification: String,
}

/// `[graph]`: which Microsoft Graph versions the workspace uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSection {
    /// Graph beta (default on): `false` turns every feature that needs a beta kind into a
    /// manual one ([`Catalogue::without_beta`]).
    pub beta: Option<bool>,
}

/// The whole profile as written: every table, read from the file in one parse. The catalogue
/// checks `[agency]` and `[params]` ([`AgencyProfile::from_tables`]); the rest is the
/// workspace's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDocument {
    agency: Option<toml::Spanned<AgencyTable>>,
    #[serde(default)]
    params: Option<ParamsTable>,
    #[serde(default)]
    connection: ConnectionSection,
    #[serde(default)]
    graph: GraphSection,
    #[serde(default)]
    plan: PlanSection,
    #[serde(default)]
    actor: ActorSection,
}

impl ProfileDocument {
    /// Parses the profile `text` (the file `name`); a problem is located (file:line:col).
    fn parse(name: &str, text: &str) -> Result<ProfileDocument, EngineError> {
        toml::from_str(text).map_err(|e| {
            let Diagnostics(found) = blueprint_catalogue::profile::toml_error(name, text, &e);
            let tables =
                "the profile has [agency], [params], [connection], [graph], [plan] and [actor]";
            let located = found.into_iter().map(|mut d| {
                // An unknown key at the top is a table the profile does not have.
                if let Some(key) = unknown_table(&d.message) {
                    d.message = format!("unknown table `{key}` in the profile");
                    d.with_help(tables)
                } else if d.kind == ErrorKind::Syntax {
                    d
                } else {
                    d.with_help(format!("{tables}; the README lists their fields"))
                }
            });
            EngineError::Input(Diagnostics(located.collect()))
        })
    }
}

/// The agency's profile (`[agency]`, `[params]`) of the profile `text` (the file `name`), read
/// as a workspace reads it: what shows a feature's desired state for an agency without opening
/// its workspace.
pub fn agency_profile(name: &str, text: &str) -> Result<AgencyProfile, EngineError> {
    let document = ProfileDocument::parse(name, text)?;
    let mut profile = AgencyProfile::from_tables(name, text, document.agency, document.params)
        .map_err(EngineError::Input)?;
    let dir = Path::new(name)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    read_firewall_rules(dir, &mut profile, name, text)?;
    Ok(profile)
}

/// Reads the firewall rules file the profile names (`params.firewall_rules`, a path in the
/// workspace `dir`) into the profile: the rules policies' settings come from it. Each rule
/// Intune cannot take is reported at its line and column, a file that cannot be read (or that
/// a link leads out of the workspace) at the parameter in the profile.
fn read_firewall_rules(
    dir: &Path,
    profile: &mut AgencyProfile,
    name: &str,
    text: &str,
) -> Result<(), EngineError> {
    let Some(rules) = profile.params.firewall_rules.clone() else {
        return Ok(());
    };
    let param = "firewall_rules";
    let at = |why: String, help: &str| {
        let offset = text.find(param);
        EngineError::Input(located(
            name,
            text,
            offset.map(|o| o..o + param.len()),
            ErrorKind::InvalidParameter,
            format!("params.{param}: {why}"),
            help,
        ))
    };
    crate::files::confined(dir, &rules).map_err(|why| {
        at(
            why,
            "keep the file in the workspace directory, not behind a link that leads out of it",
        )
    })?;
    let path = dir.join(&rules);
    let rules_text = std::fs::read_to_string(&path).map_err(|e| {
        at(
            format!("{} cannot be read: {e}", path.display()),
            "export the reference computer's rules into that file (the command is in the intune-endpoint-security-firewall-rules feature's manual steps), or remove params.firewall_rules",
        )
    })?;
    profile
        .read_firewall_rules(&path.display().to_string(), &rules_text)
        .map_err(EngineError::Input)
}

/// The key of serde's "unknown field" error when it is about the profile's top level (the
/// fields it expects are the profile's tables).
fn unknown_table(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, expected) = rest.split_once('`')?;
    expected.contains("expected one of `agency`").then_some(key)
}

/// The settings a front end gives beside the profile, looked up by variable name
/// (`AZURE_TENANT_ID`, …; [`connection_config`] lists them). The command line gives the
/// process's environment; the web app gives none, so that neither the server's variables nor
/// its login reach an agency's engagement.
#[derive(Clone)]
pub struct Environment(Arc<Lookup>);

/// How an [`Environment`] finds a setting by name.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Environment {
    /// The process's environment variables.
    pub fn process() -> Environment {
        Environment(Arc::new(|name| std::env::var(name).ok()))
    }

    /// No settings: the profile alone.
    pub fn none() -> Environment {
        Environment(Arc::new(|_| None))
    }

    /// Settings looked up by `lookup`.
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Environment {
        Environment(Arc::new(lookup))
    }

    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

/// Who opens a workspace and what it gives beside the profile.
pub struct FrontEnd {
    /// Who acts, when the front end knows (a signed-in person): the profile's `[actor]` and
    /// the login name are then not consulted. `None`: the profile's `[actor]`, then the login.
    pub actor: Option<Actor>,
    pub environment: Environment,
}

impl FrontEnd {
    /// The command line: the login name (under the profile's `[actor]`) and the process's
    /// environment.
    pub fn command_line() -> FrontEnd {
        FrontEnd {
            actor: None,
            environment: Environment::process(),
        }
    }

    /// A front end that knows who acts and gives no settings beside the profile (the web app).
    pub fn acting(actor: Actor) -> FrontEnd {
        FrontEnd {
            actor: Some(actor),
            environment: Environment::none(),
        }
    }
}

/// A workspace opened for work: its profile validated, its catalogue loaded.
pub struct Workspace {
    pub dir: PathBuf,
    pub profile: AgencyProfile,
    pub connection: ConnectionSection,
    pub plan: PlanSection,
    pub catalogue: Arc<Catalogue>,
    /// Where the engagement's state lives (the workspace's file unless a database is given).
    pub state: StateLocation,
    /// Who the feature log names for what this workspace records: the profile's `[actor]`,
    /// or the login name acting for the agency; [`Workspace::acting_as`] overrides it.
    pub actor: Actor,
    /// The profile as read when the workspace was opened: where its problems are shown.
    profile_text: String,
    /// The front end's settings beside the profile ([`Workspace::graph_config`]'s rules).
    environment: Environment,
}

/// A diagnostic at a byte span of the profile (file:line:col with the line and a caret).
fn located(
    name: &str,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    kind: ErrorKind,
    message: String,
    help: &str,
) -> Diagnostics {
    Diagnostics(vec![
        Diagnostic::in_text(kind, name, text, span, message).with_help(help),
    ])
}

impl Workspace {
    pub fn profile_path(dir: &Path) -> PathBuf {
        dir.join(PROFILE_FILE)
    }

    /// Keeps the state in the database `url` names instead of the workspace's file.
    pub fn with_database(mut self, url: Option<&str>) -> Workspace {
        self.state = StateLocation::for_workspace(&self.dir, url);
        self
    }

    /// The workspace with the actor's name or role replaced where the front end gives them.
    pub fn acting_as(
        mut self,
        name: Option<&str>,
        role: Option<blueprint_store::Role>,
    ) -> Workspace {
        self.actor = self.actor.overridden(name, role);
        self
    }

    /// Opens the workspace in `dir` for the command line ([`FrontEnd::command_line`]).
    pub fn open(dir: &Path) -> Result<Workspace, EngineError> {
        Self::open_for(dir, FrontEnd::command_line())
    }

    /// Opens the workspace in `dir` for `front`: reads and validates `blueprint.toml`, loads
    /// the built-in catalogue with the agency's overlays (`catalogue/` in the workspace, when
    /// present).
    pub fn open_for(dir: &Path, front: FrontEnd) -> Result<Workspace, EngineError> {
        let path = Self::profile_path(dir);
        let text = std::fs::read_to_string(&path).map_err(|e| EngineError::NoProfile {
            dir: dir.to_path_buf(),
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let name = path.display().to_string();
        let document = ProfileDocument::parse(&name, &text)?;
        let mut profile =
            AgencyProfile::from_tables(&name, &text, document.agency, document.params)
                .map_err(EngineError::Input)?;
        // The agency's tenant is the one the workspace connects to, when `[agency]` does not
        // name it (`{{ agency.tenant_id }}`: OneDrive's known folder move names the tenant).
        if profile.agency.tenant_id.is_none() {
            profile.agency.tenant_id = document
                .connection
                .tenant_id
                .as_deref()
                .and_then(|t| blueprint_catalogue::profile::TenantId::parse(t).ok());
        }
        if let Some(pdf) = &profile.params.terms_of_use_pdf
            && let Err(why) = crate::files::confined(dir, pdf)
        {
            let offset = text.find("terms_of_use_pdf");
            return Err(EngineError::Input(located(
                &name,
                &text,
                offset.map(|o| o..o + "terms_of_use_pdf".len()),
                ErrorKind::InvalidParameter,
                format!("params.terms_of_use_pdf: {why}"),
                "keep the file in the workspace directory, not behind a link that leads out of it",
            )));
        }
        // The files the profile names for the tool to send stay in the workspace.
        let params = &profile.params;
        let sent = [
            (
                "remove_built_in_apps_script",
                Some(&params.remove_built_in_apps_script)
                    .filter(|p| !blueprint_catalogue::assets::is_builtin(p)),
            ),
            (
                "wdac_base_policy_file",
                params.wdac_base_policy_file.as_ref(),
            ),
            (
                "applocker_admins_policy_file",
                params.applocker_admins_policy_file.as_ref(),
            ),
            (
                "applocker_users_policy_file",
                params.applocker_users_policy_file.as_ref(),
            ),
            (
                "start_menu_layout_file",
                params.start_menu_layout_file.as_ref(),
            ),
        ];
        for (param, path) in sent {
            if let Some(path) = path
                && let Err(why) = crate::files::confined(dir, path)
            {
                let offset = text.find(param);
                return Err(EngineError::Input(located(
                    &name,
                    &text,
                    offset.map(|o| o..o + param.len()),
                    ErrorKind::InvalidParameter,
                    format!("params.{param}: {why}"),
                    "keep the file in the workspace directory, not behind a link that leads out of it",
                )));
            }
        }
        read_firewall_rules(dir, &mut profile, &name, &text)?;
        let overlay = dir.join("catalogue");
        let catalogue = if overlay.is_dir() {
            Catalogue::with_overlay_dir(&overlay)
        } else {
            Catalogue::builtin()
        }
        .map_err(|e| EngineError::Catalogue(e.to_string()))?;
        let catalogue = match document.graph.beta {
            Some(false) => catalogue.without_beta(),
            _ => catalogue,
        }
        .for_profile(&profile);
        let actor = match front.actor {
            // The profile's [actor] is still checked, so that it is reported wherever it is read.
            Some(given) => {
                profile_actor(&document.actor, given.clone(), &name, &text).map(|_| given)?
            }
            None => profile_actor(&document.actor, Actor::from_login(), &name, &text)?,
        };
        let ws = Workspace {
            dir: dir.to_path_buf(),
            profile,
            connection: document.connection,
            plan: document.plan,
            catalogue: Arc::new(catalogue),
            state: StateLocation::for_workspace(dir, None),
            actor,
            profile_text: text,
            environment: front.environment,
        };
        ws.check_selection(&name, &ws.profile_text)?;
        Ok(ws)
    }

    fn check_selection(&self, name: &str, text: &str) -> Result<(), EngineError> {
        let ids = self
            .plan
            .features
            .iter()
            .chain(self.plan.exclude.iter().map(|e| &e.feature));
        for spanned in ids {
            let id = spanned.get_ref();
            if self.catalogue.feature(id).is_none() {
                return Err(EngineError::Input(located(
                    name,
                    text,
                    Some(spanned.span()),
                    ErrorKind::UnknownReference,
                    format!("unknown feature `{id}` in [plan]"),
                    "the catalogue lists the feature ids",
                )));
            }
        }
        for e in &self.plan.exclude {
            if e.justification.trim().is_empty() {
                return Err(EngineError::Input(located(
                    name,
                    text,
                    Some(e.feature.span()),
                    ErrorKind::MissingField,
                    format!("excluding `{}` needs a justification", e.feature.get_ref()),
                    "say why the agency departs from the blueprint",
                )));
            }
        }
        self.check_dependencies(name, text)?;
        self.check_sprints(name, text)
    }

    /// Every selected feature's dependencies (what it `depends_on` and the owners of the
    /// objects it references) are selected too. Otherwise a deploy would write references to
    /// objects nobody manages, and a deploy allowed to delete would remove objects a selected feature
    /// still uses (the exclusion group every conditional access policy leaves out, say).
    fn check_dependencies(&self, name: &str, text: &str) -> Result<(), EngineError> {
        for feature in self.catalogue.features() {
            let id = feature.id();
            if !self.selects(id) {
                continue;
            }
            let Some(missing) = self
                .catalogue
                .dependencies(id)
                .into_iter()
                .find(|d| !self.selects(d))
            else {
                continue;
            };
            let exclusion = self.exclusion(missing);
            let (at, message, help) = if let Some(exclusion) = exclusion {
                (
                    Some(exclusion.feature.span()),
                    format!("excluding `{missing}` leaves `{id}` without what it builds on"),
                    format!(
                        "exclude `{id}` too (with its own justification), or keep `{missing}`: `{id}` would reference objects nobody manages, and a deploy allowed to delete would remove them while it still uses them"
                    ),
                )
            } else {
                (
                    self.plan
                        .features
                        .iter()
                        .find(|f| f.get_ref() == id)
                        .map(toml::Spanned::span),
                    format!(
                        "`{id}` builds on `{missing}`, which the execution plan does not select"
                    ),
                    format!(
                        "add `{missing}` to [plan] features, or leave `{id}` out: it references `{missing}`'s objects or needs it deployed first"
                    ),
                )
            };
            return Err(EngineError::Input(located(
                name,
                text,
                at,
                ErrorKind::UnknownReference,
                message,
                &help,
            )));
        }
        Ok(())
    }

    /// `[plan] capacity` and `[plan.pins]`: what the sprint planner can use.
    fn check_sprints(&self, name: &str, text: &str) -> Result<(), EngineError> {
        if let Some(capacity) = &self.plan.capacity
            && *capacity.get_ref() == 0
        {
            return Err(EngineError::Input(located(
                name,
                text,
                Some(capacity.span()),
                ErrorKind::InvalidValue,
                "the sprint capacity is 0 story points".into(),
                "set [plan] capacity to the story points the team completes in one sprint (default 20)",
            )));
        }
        for (id, sprint) in &self.plan.pins {
            let (id, span) = (id.get_ref(), id.span());
            if self.catalogue.feature(id).is_none() {
                return Err(EngineError::Input(located(
                    name,
                    text,
                    Some(span),
                    ErrorKind::UnknownReference,
                    format!("unknown feature `{id}` in [plan.pins]"),
                    "the catalogue lists the feature ids",
                )));
            }
            if !self.selects(id) {
                return Err(EngineError::Input(located(
                    name,
                    text,
                    Some(span),
                    ErrorKind::InvalidValue,
                    format!(
                        "`{id}` is pinned to a sprint but the execution plan does not select it"
                    ),
                    "remove the pin, or select the feature in [plan] (features, exclude)",
                )));
            }
            if *sprint.get_ref() == 0 {
                return Err(EngineError::Input(located(
                    name,
                    text,
                    Some(sprint.span()),
                    ErrorKind::InvalidValue,
                    format!("`{id}` is pinned to sprint 0"),
                    "sprints are numbered from 1",
                )));
            }
        }
        Ok(())
    }

    /// A problem with a sprint pin, shown at the pin in the profile (file:line:col); a plain
    /// usage error when the profile no longer has it.
    pub fn pin_error(&self, feature: &str, message: String, help: &str) -> EngineError {
        let path = Self::profile_path(&self.dir);
        match self.plan.pins.get_key_value(feature) {
            Some((_, sprint)) => EngineError::Input(located(
                &path.display().to_string(),
                &self.profile_text,
                Some(sprint.span()),
                ErrorKind::InvalidValue,
                message,
                help,
            )),
            None => EngineError::Usage(format!("{message}\n  = help: {help}")),
        }
    }

    /// Whether the execution plan selects `feature`: listed (or nothing listed), not excluded,
    /// and not disabled by a catalogue overlay.
    pub fn selects(&self, feature: &str) -> bool {
        let enabled = self
            .catalogue
            .feature(feature)
            .is_some_and(|f| f.disabled.is_none());
        let chosen = self.plan.features.is_empty()
            || self.plan.features.iter().any(|f| f.get_ref() == feature);
        enabled && chosen && self.exclusion(feature).is_none()
    }

    /// The `[plan] exclude` entry for `feature`, if the plan excludes it.
    pub fn exclusion(&self, feature: &str) -> Option<&Exclusion> {
        self.plan
            .exclude
            .iter()
            .find(|e| e.feature.get_ref() == feature)
    }

    /// The desired state of the features the execution plan selects; a feature that does not
    /// render (a parameter the profile lacks) is set aside with its reasons
    /// ([`blueprint_catalogue::Catalogue::render_where`]).
    ///
    /// Files the desired fields name (`$file`: a script, a policy binary) are read then, and put
    /// in place base64 ([`crate::files::resolve_desired`]); a feature whose file cannot be read
    /// is set aside the same way.
    pub fn render_selected(&self) -> blueprint_catalogue::Rendered {
        let selection = crate::engagement::Selection::of(self);
        let mut rendered = self
            .catalogue
            .render_where(&self.profile, |f| selection.selects(f.id()));
        let name = Self::profile_path(&self.dir).display().to_string();
        crate::files::resolve_desired(&self.dir, &mut rendered, (&name, &self.profile_text));
        check_device_names(&mut rendered, (&name, &self.profile_text));
        rendered
    }

    /// The desired objects of the features the execution plan selects; refused, naming each
    /// missing parameter, when one of them does not render.
    pub fn selected_objects(&self) -> Result<Vec<blueprint_catalogue::DesiredObject>, EngineError> {
        let rendered = self.render_selected();
        match rendered.problems_of(rendered.unrendered.keys().map(String::as_str)) {
            Some(problems) => Err(EngineError::Input(problems)),
            None => Ok(rendered.objects),
        }
    }

    /// The grants the selected features need for `access`, each with the features that need
    /// it ([`blueprint_catalogue::permissions::required_for`]): those of a feature whose
    /// parameters are not set yet too, so that setting them later needs no second consent.
    pub fn required_permissions(
        &self,
        access: blueprint_catalogue::permissions::Access,
    ) -> Result<Vec<blueprint_catalogue::permissions::Need>, EngineError> {
        Ok(blueprint_catalogue::permissions::required_for(
            &self.catalogue,
            &self.render_selected(),
            access,
        ))
    }

    /// The Graph connection: profile values, overridden by the Azure environment variables
    /// ([`connection_config`]'s rules).
    pub fn graph_config(&self) -> Result<GraphConfig, EngineError> {
        connection_config(&self.connection, &self.dir, &self.env())
    }

    /// The front end's settings, as [`connection_config`] and its kin look them up.
    fn env(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.environment.get(name)
    }

    /// Where the Exchange admin API is: `BLUEPRINT_EXCHANGE_URL`, else `[connection] exchange`,
    /// else the Graph host when that is not Microsoft's (an emulator serves both on one
    /// listener), else Microsoft's.
    pub fn exchange_url(&self) -> String {
        if let Some(url) = setting(
            &self.env(),
            "BLUEPRINT_EXCHANGE_URL",
            self.connection.exchange.as_deref(),
        ) {
            return url.trim_end_matches('/').to_string();
        }
        match setting(
            &self.env(),
            "BLUEPRINT_GRAPH_URL",
            self.connection.graph.as_deref(),
        ) {
            Some(graph) if graph.trim_end_matches('/') != blueprint_graph::DEFAULT_GRAPH => graph
                .trim_end_matches('/')
                .trim_end_matches("/v1.0")
                .to_string(),
            _ => blueprint_exchange::DEFAULT_EXCHANGE.to_string(),
        }
    }

    /// Where Security & Compliance's discovery is asked: `BLUEPRINT_COMPLIANCE_URL`, else
    /// `[connection] compliance`, else, when the Graph host is not Microsoft's (an emulator
    /// serves every API on one listener), `{graph host}/compliance`, else Microsoft's.
    pub fn compliance_url(&self) -> String {
        if let Some(url) = setting(
            &self.env(),
            "BLUEPRINT_COMPLIANCE_URL",
            self.connection.compliance.as_deref(),
        ) {
            return url.trim_end_matches('/').to_string();
        }
        match setting(
            &self.env(),
            "BLUEPRINT_GRAPH_URL",
            self.connection.graph.as_deref(),
        ) {
            Some(graph) if graph.trim_end_matches('/') != blueprint_graph::DEFAULT_GRAPH => {
                format!(
                    "{}/compliance",
                    graph.trim_end_matches('/').trim_end_matches("/v1.0")
                )
            }
            _ => blueprint_exchange::DEFAULT_COMPLIANCE.to_string(),
        }
    }

    /// The read-only app's connection ([`read_only_connection_config`]).
    pub fn read_only_graph_config(&self) -> Result<GraphConfig, EngineError> {
        read_only_connection_config(&self.connection, &self.dir, &self.env())
    }

    /// Where the tenant's services are, credential or not ([`endpoints`]).
    pub fn endpoints(&self) -> Result<Endpoints, EngineError> {
        endpoints(&self.connection, &self.dir, &self.env())
    }

    /// The tenant the workspace works on, by the same rules as [`Workspace::graph_config`]
    /// (none when neither the environment nor the profile names one).
    pub fn tenant_id(&self) -> Option<String> {
        setting(
            &self.env(),
            "AZURE_TENANT_ID",
            self.connection.tenant_id.as_deref(),
        )
    }
}

/// The profile's `[actor]` over `actor` (the login name): an empty name or an unknown role is
/// shown where it is written.
fn profile_actor(
    section: &ActorSection,
    mut actor: Actor,
    name: &str,
    text: &str,
) -> Result<Actor, EngineError> {
    if let Some(given) = &section.name {
        if given.get_ref().trim().is_empty() {
            return Err(EngineError::Input(located(
                name,
                text,
                Some(given.span()),
                ErrorKind::InvalidValue,
                "the actor's name is empty".into(),
                "name who records the feature log's entries, e.g. name = \"jo@agency.gov.au\"",
            )));
        }
        actor.name = given.get_ref().trim().to_string();
    }
    if let Some(role) = &section.role {
        actor.role = role.get_ref().parse().map_err(|e: String| {
            EngineError::Input(located(
                name,
                text,
                Some(role.span()),
                ErrorKind::InvalidValue,
                e,
                "agency (the agency itself), partner (its technology partner) or program (the program office, which changes nothing)",
            ))
        })?;
    }
    Ok(actor)
}

/// One connection setting: the environment variable `name` when set, else the profile's
/// value. Values are trimmed, and an empty one counts as unset (an empty `AZURE_TENANT_ID`
/// does not hide the profile's tenant).
fn setting(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    profile: Option<&str>,
) -> Option<String> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    given(env(name)).or_else(|| given(profile.map(str::to_string)))
}

/// Builds the Graph connection from the profile's `[connection]` and the environment
/// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` or
/// `AZURE_CLIENT_CERTIFICATE_PATH`, `AZURE_AUTHORITY_HOST`, `BLUEPRINT_GRAPH_URL`,
/// `BLUEPRINT_CA_FILE`), the one place the workspace's connection is resolved. The rules:
/// the environment overrides the profile (the command line has no connection flags; a front
/// end with its own settings passes them as `env`); values are trimmed; an empty value counts
/// as unset; relative paths in the profile start at the workspace.
pub fn connection_config(
    c: &ConnectionSection,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<GraphConfig, EngineError> {
    let endpoints = endpoints(c, base, env)?;
    let tenant_id = endpoints.tenant_id.ok_or_else(|| {
        EngineError::Usage(
            "no tenant id: set AZURE_TENANT_ID or [connection] tenant_id in blueprint.toml".into(),
        )
    })?;
    let client_id = setting(env, "AZURE_CLIENT_ID", c.client_id.as_deref()).ok_or_else(|| {
        EngineError::Usage(
            "no client id: set AZURE_CLIENT_ID or [connection] client_id in blueprint.toml".into(),
        )
    })?;
    let cert_path = setting_path(
        env,
        base,
        Some("AZURE_CLIENT_CERTIFICATE_PATH"),
        &c.certificate_path,
    );
    let credential = if let Some(secret) = setting(env, "AZURE_CLIENT_SECRET", None) {
        Credential::Secret(SecretString::new(secret))
    } else if let Some(path) = cert_path {
        let mut pem = std::fs::read_to_string(&path).map_err(|e| {
            EngineError::Usage(format!(
                "cannot read the client certificate {}: {e}",
                path.display()
            ))
        })?;
        if let Some(key) = setting_path(env, base, None, &c.private_key_path) {
            let key_pem = std::fs::read_to_string(&key).map_err(|e| {
                EngineError::Usage(format!(
                    "cannot read the certificate's private key {}: {e}",
                    key.display()
                ))
            })?;
            pem.push('\n');
            pem.push_str(&key_pem);
        }
        Credential::Certificate {
            pem: SecretString::new(pem),
        }
    } else {
        return Err(EngineError::Usage(
            "no credential: set AZURE_CLIENT_SECRET, or AZURE_CLIENT_CERTIFICATE_PATH (or [connection] certificate_path in blueprint.toml)".into(),
        ));
    };
    Ok(GraphConfig {
        tenant_id,
        client_id,
        credential,
        authority: endpoints.authority,
        graph: endpoints.graph,
        extra_ca_pem: endpoints.extra_ca_pem,
        ..GraphConfig::default()
    })
}

/// The connection of the read-only app (`[connection] read_only_client_id` and
/// `read_only_certificate_path`), by the same rules as [`connection_config`]; the Azure
/// variables still override it, so a read-only credential can also come from the environment.
pub fn read_only_connection_config(
    c: &ConnectionSection,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<GraphConfig, EngineError> {
    let read_only = ConnectionSection {
        client_id: c.read_only_client_id.clone(),
        certificate_path: c.read_only_certificate_path.clone(),
        private_key_path: None,
        ..c.clone()
    };
    connection_config(&read_only, base, env)
}

/// A path setting: the environment variable `name` when set (relative to where the command
/// runs), else the profile's value (relative to the workspace).
fn setting_path(
    env: &dyn Fn(&str) -> Option<String>,
    base: &Path,
    name: Option<&str>,
    profile: &Option<PathBuf>,
) -> Option<PathBuf> {
    let resolve = |p: &Path| {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let profile = profile.as_deref().and_then(Path::to_str);
    match name.and_then(|n| setting(env, n, None)) {
        Some(p) => Some(PathBuf::from(p)),
        None => setting(&|_| None, "", profile).map(|p| resolve(Path::new(&p))),
    }
}

/// The tenant, authority, Graph root and extra CA by [`connection_config`]'s rules; no
/// credential needed (an administrator signing in has none yet).
pub fn endpoints(
    c: &ConnectionSection,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Endpoints, EngineError> {
    let defaults = GraphConfig::default();
    let extra_ca_pem = match setting_path(env, base, Some("BLUEPRINT_CA_FILE"), &c.ca_file) {
        Some(p) => Some(std::fs::read(&p).map_err(|e| {
            EngineError::Usage(format!("cannot read the CA file {}: {e}", p.display()))
        })?),
        None => None,
    };
    Ok(Endpoints {
        tenant_id: setting(env, "AZURE_TENANT_ID", c.tenant_id.as_deref()),
        authority: setting(env, "AZURE_AUTHORITY_HOST", c.authority.as_deref())
            .map(|a| a.trim_end_matches('/').to_string())
            .unwrap_or(defaults.authority),
        graph: setting(env, "BLUEPRINT_GRAPH_URL", c.graph.as_deref())
            .map(|g| {
                g.trim_end_matches('/')
                    .trim_end_matches("/v1.0")
                    .to_string()
            })
            .unwrap_or(defaults.graph),
        extra_ca_pem,
    })
}

/// Sets (`Some`) or removes (`None`) keys of the profile's `[connection]` table, keeping every
/// other line of `blueprint.toml` as written (comments, order, the other tables). Returns
/// whether the file changed; an unchanged file is not rewritten. The result is checked to parse
/// before it replaces the file, which is replaced atomically.
pub fn update_connection(
    dir: &Path,
    entries: &[(&str, Option<String>)],
) -> Result<bool, EngineError> {
    let path = Workspace::profile_path(dir);
    let text = std::fs::read_to_string(&path).map_err(|e| EngineError::NoProfile {
        dir: dir.to_path_buf(),
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let edited = edit_connection(&text, entries);
    if edited == text {
        return Ok(false);
    }
    ProfileDocument::parse(&path.display().to_string(), &edited).map_err(|e| {
        EngineError::Internal(format!(
            "editing [connection] would break {}: {e}",
            path.display()
        ))
    })?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, &edited)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| EngineError::Internal(format!("writing {}: {e}", path.display())))?;
    Ok(true)
}

/// [`update_connection`]'s text edit.
pub(crate) fn edit_connection(text: &str, entries: &[(&str, Option<String>)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let is_header = |l: &str| l.trim_start().starts_with('[');
    let header = match lines
        .iter()
        .position(|l| l.split('#').next().unwrap_or("").trim() == "[connection]")
    {
        Some(i) => i,
        None => {
            if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                lines.push(String::new());
            }
            lines.push("[connection]".into());
            lines.len() - 1
        }
    };
    let key_of = |l: &str| -> Option<String> {
        let t = l.trim_start();
        if t.starts_with('#') {
            return None;
        }
        let (k, _) = t.split_once('=')?;
        Some(k.trim().trim_matches('"').to_string())
    };
    for (key, value) in entries {
        let end = lines[header + 1..]
            .iter()
            .position(|l| is_header(l))
            .map_or(lines.len(), |i| header + 1 + i);
        let existing = (header + 1..end).find(|&i| key_of(&lines[i]).as_deref() == Some(*key));
        match (existing, value) {
            (Some(i), Some(v)) => lines[i] = format!("{key} = {}", toml::Value::String(v.clone())),
            (Some(i), None) => {
                lines.remove(i);
            }
            (None, Some(v)) => {
                // After the table's last setting, before the blank lines that end it.
                let mut at = end;
                while at > header + 1 && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                lines.insert(at, format!("{key} = {}", toml::Value::String(v.clone())));
            }
            (None, None) => {}
        }
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') || !text.contains('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod connection_edit_tests {
    use super::edit_connection;

    #[test]
    fn connection_keys_are_set_replaced_and_removed_and_the_rest_is_kept() {
        let text = "# my agency\n[agency]\nname = \"X\"\n\n[connection]\n# a note\ntenant_id = \"old\"\nprivate_key_path = \"k.pem\"\n\n[plan]\nfeatures = [] # all\n";
        let out = edit_connection(
            text,
            &[
                ("tenant_id", Some("t-1".into())),
                ("client_id", Some("c\"2".into())),
                ("private_key_path", None),
            ],
        );
        assert_eq!(
            out,
            "# my agency\n[agency]\nname = \"X\"\n\n[connection]\n# a note\ntenant_id = \"t-1\"\nclient_id = 'c\"2'\n\n[plan]\nfeatures = [] # all\n"
        );
        assert_eq!(
            edit_connection(&out, &[("tenant_id", Some("t-1".into()))]),
            out
        );
        let added = edit_connection(
            "[plan]\nfeatures = []\n",
            &[("client_id", Some("c".into()))],
        );
        assert_eq!(
            added,
            "[plan]\nfeatures = []\n\n[connection]\nclient_id = \"c\"\n"
        );
    }
}

#[cfg(test)]
mod connection_rule_tests {
    use super::*;
    use crate::new_workspace::{ProfileValues, write_profile};

    #[test]
    fn an_empty_or_blank_setting_does_not_hide_the_profiles_and_a_set_one_wins_trimmed() {
        let profile = ConnectionSection {
            tenant_id: Some("profile-tenant".into()),
            graph: Some("https://graph.example".into()),
            ..ConnectionSection::default()
        };
        for blank in ["", "   "] {
            let env = |name: &str| {
                matches!(name, "AZURE_TENANT_ID" | "BLUEPRINT_GRAPH_URL").then(|| blank.to_string())
            };
            let found = endpoints(&profile, Path::new("."), &env).unwrap();
            assert_eq!(found.tenant_id.as_deref(), Some("profile-tenant"));
            assert_eq!(found.graph, "https://graph.example");
        }
        let set = |name: &str| (name == "AZURE_TENANT_ID").then(|| " env-tenant ".to_string());
        let found = endpoints(&profile, Path::new("."), &set).unwrap();
        assert_eq!(found.tenant_id.as_deref(), Some("env-tenant"));
    }

    #[test]
    fn a_front_end_gives_the_actor_and_the_settings_beside_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let values = ProfileValues {
            agency: "Department of Examples".into(),
            domain: "examples.gov.au".into(),
            prefix: "DOE".into(),
            connection: vec![("tenant_id".into(), "profile-tenant".into())],
            ..ProfileValues::default()
        };
        let path = write_profile(dir.path(), &values, false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            format!("{text}\n[actor]\nname = \"profile-actor\"\n"),
        )
        .unwrap();

        // The environment a front end gives is the one consulted: an empty AZURE_TENANT_ID
        // leaves the profile's tenant, a set one overrides it.
        let with_tenant = |value: &'static str| FrontEnd {
            actor: None,
            environment: Environment::from_fn(move |name| {
                (name == "AZURE_TENANT_ID").then(|| value.to_string())
            }),
        };
        let ws = Workspace::open_for(dir.path(), with_tenant("")).unwrap();
        assert_eq!(ws.tenant_id().as_deref(), Some("profile-tenant"));
        assert_eq!(ws.actor.name, "profile-actor");
        let ws = Workspace::open_for(dir.path(), with_tenant("env-tenant")).unwrap();
        assert_eq!(ws.tenant_id().as_deref(), Some("env-tenant"));

        // A front end that knows who acts: that person, whatever the profile's [actor] says,
        // and no settings beside the profile.
        let person = Actor {
            name: "kim@partner.com.au".into(),
            role: blueprint_store::Role::Partner,
        };
        let ws = Workspace::open_for(dir.path(), FrontEnd::acting(person.clone())).unwrap();
        assert_eq!(ws.actor, person);
        assert_eq!(ws.tenant_id().as_deref(), Some("profile-tenant"));
    }
}

/// Sets aside, with a located reason, a feature whose Autopilot profile's device name template
/// Intune would refuse ([`blueprint_catalogue::kinds::device_name_template_problem`]: Windows
/// limits a computer name to 15 characters). The catalogue's template is the agency prefix and
/// the serial number (`<prefix>-%SERIAL%`, the ABAC's), so a long prefix is what makes it too
/// long: the reason points at `prefix` in `[agency]`. `plan` and `deploy` then refuse the
/// selection (exit 2) before anything is sent.
fn check_device_names(rendered: &mut blueprint_catalogue::Rendered, profile: (&str, &str)) {
    let mut failed: Vec<String> = Vec::new();
    for object in &rendered.objects {
        if object.kind != "windowsAutopilotDeploymentProfile" {
            continue;
        }
        let Some(template) = object.desired["deviceNameTemplate"].as_str() else {
            continue;
        };
        let Some(why) = blueprint_catalogue::kinds::device_name_template_problem(template) else {
            continue;
        };
        let (name, text) = profile;
        let offset = prefix_offset(text).unwrap_or(0);
        let diagnostic = Diagnostic::in_text(
            ErrorKind::InvalidParameter,
            name,
            text,
            Some(offset..offset),
            format!(
                "feature `{}`: the {} `{}` names devices by the template made from agency.prefix: {why}",
                object.feature, object.kind, object.identity,
            ),
        )
            .with_help(format!(
                "use an agency prefix of at most {} characters: the template is the prefix, a hyphen and the serial number (at least one character)",
                blueprint_catalogue::kinds::DEVICE_NAME_MAX - 2
            ));
        rendered
            .unrendered
            .entry(object.feature.clone())
            .or_default()
            .push(diagnostic);
        failed.push(object.feature.clone());
    }
    rendered.objects.retain(|o| !failed.contains(&o.feature));
}

/// Where the value of `prefix` in the profile's `[agency]` table starts.
fn prefix_offset(text: &str) -> Option<usize> {
    let agency = text.find("[agency]")?;
    let mut offset = agency;
    for (n, line) in text[agency..].split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if n > 0 && trimmed.starts_with('[') {
            return None;
        }
        if let Some(after) = trimmed.strip_prefix("prefix")
            && let Some(value) = after.trim_start().strip_prefix('=')
        {
            let value_at = line.len() - value.trim_start().len();
            return Some(offset + value_at);
        }
        offset += line.len();
    }
    None
}
