//! Connecting blueprint to a tenant: an administrator signs in, and
//! blueprint's own app registration is created or brought up to date with exactly the grants
//! the selected features need, the way Microsoft documents it and peers do it
//! (`real-tenant-and-exchange.md` §1c): `POST /applications`, `POST /servicePrincipals`, one
//! `POST …/appRoleAssignedTo` per application permission (that is admin consent; never the
//! portal's API), `POST /roleManagement/directory/roleAssignments` for a directory role, a
//! certificate made here whose public part alone goes up in `keyCredentials`, then a wait
//! until a fresh app token shows the grants, and the connection written to `blueprint.toml`.
//!
//! [`survey`] reads the tenant and lists the [`Step`]s still to do (none on a rerun with
//! nothing new), so a front end shows them before [`Connection::apply`] runs them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use blueprint_catalogue::exchange_kinds;
use blueprint_catalogue::kinds::{self, Grant};
use blueprint_catalogue::permissions::{Access, Granted, Need};
use blueprint_exchange::{Command, ExchangeClient};
use blueprint_graph::signin::{self, DeviceCodePrompt, SignInConfig};
use blueprint_graph::{Credential, GraphClient, GraphConfig, GraphError, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use crate::EngineError;
use crate::workspace::{Endpoints, Workspace};

/// Microsoft Graph's first-party application (the resource of Graph's app roles).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Office 365 Exchange Online (the resource of `Exchange.ManageAsApp`).
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
/// Microsoft Graph Command Line Tools: a public client every tenant has, so nothing needs
/// registering before the administrator signs in.
pub const SIGN_IN_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// The delegated permissions the bootstrap needs (§1c): create the app, grant its app roles,
/// and assign a directory role.
pub const ADMIN_SCOPES: &[&str] = &[
    "https://graph.microsoft.com/Application.ReadWrite.All",
    "https://graph.microsoft.com/AppRoleAssignment.ReadWrite.All",
    "https://graph.microsoft.com/RoleManagement.ReadWrite.Directory",
];
/// A certificate is replaced when it has less than this left.
const RENEW_BEFORE_DAYS: i64 = 30;
/// How long a certificate made here is valid (ScubaGear's maximum is 12 months).
const CERTIFICATE_DAYS: i64 = 365;

/// The app's name in the tenant, by what it is for.
pub fn app_name(access: Access) -> &'static str {
    match access {
        Access::ReadWrite => "blueprint",
        Access::ReadOnly => "blueprint-read-only",
    }
}

/// How the administrator signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// The device code flow: a code entered at a URL, on any device.
    DeviceCode,
    /// The authorization code flow with PKCE, the browser sent back to a loopback port: for
    /// tenants whose conditional access blocks the device code flow.
    Browser,
}

/// What the person signing in is told.
pub enum SignInPrompt<'a> {
    DeviceCode(&'a DeviceCodePrompt),
    Browser { url: &'a str },
}

fn graph_error(e: GraphError) -> EngineError {
    EngineError::from(e)
}

/// Signs the administrator in to the tenant the workspace names (or `organizations`), with
/// the delegated scopes the bootstrap needs. `prompt` tells the person what to do.
pub async fn sign_in(
    endpoints: &Endpoints,
    method: SignInMethod,
    wait: Duration,
    prompt: impl FnOnce(SignInPrompt<'_>),
) -> Result<SecretString, EngineError> {
    let config = SignInConfig {
        authority: endpoints.authority.clone(),
        tenant: endpoints
            .tenant_id
            .clone()
            .unwrap_or_else(|| "organizations".into()),
        client_id: SIGN_IN_CLIENT_ID.into(),
        scopes: ADMIN_SCOPES.iter().map(|s| s.to_string()).collect(),
        extra_ca_pem: endpoints.extra_ca_pem.clone(),
        timeout: Duration::from_secs(30),
    };
    let signed_in = match method {
        SignInMethod::DeviceCode => {
            signin::device_code(&config, |p| prompt(SignInPrompt::DeviceCode(p))).await
        }
        SignInMethod::Browser => {
            signin::authorization_code(&config, wait, |url| prompt(SignInPrompt::Browser { url }))
                .await
        }
    }
    .map_err(graph_error)?;
    Ok(signed_in.access_token)
}

/// One change `connect` makes, shown before it is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// `POST /applications`, declaring the permissions it needs.
    CreateApplication { name: String },
    /// `PATCH /applications/{id}`: declare permissions the app does not list yet.
    DeclarePermissions { permissions: Vec<String> },
    /// `POST /servicePrincipals`: the app's identity in the tenant.
    CreateServicePrincipal,
    /// `POST /servicePrincipals/{resource}/appRoleAssignedTo`: admin consent to one
    /// application permission.
    GrantPermission {
        resource: String,
        permission: String,
    },
    /// `POST /roleManagement/directory/roleAssignments`.
    AssignDirectoryRole { role: String },
    /// Exchange Online, with the app's own Exchange Administrator access once its grants show:
    /// the app's service principal reference (`New-ServicePrincipal`), a role group holding
    /// the management role (`New-RoleGroup -Roles`) and the app as its member
    /// (`Add-RoleGroupMember`), Microsoft's steps for giving an app an Exchange role no Entra
    /// role brings. (`New-ManagementRoleAssignment -App` takes only application roles.)
    AddExchangeRole { role: String, role_group: String },
    /// Make a key pair and certificate here (private key file 0600) and upload the public
    /// certificate (`PATCH /applications/{id}` `keyCredentials`).
    UploadCertificate { path: PathBuf, reason: String },
    /// Write the connection into `blueprint.toml`.
    WriteProfile { settings: Vec<String> },
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::CreateApplication { name } => write!(f, "create the app registration '{name}'"),
            Step::DeclarePermissions { permissions } => write!(
                f,
                "declare on the app registration the permissions it needs: {}",
                permissions.join(", ")
            ),
            Step::CreateServicePrincipal => write!(f, "create the app's service principal"),
            Step::GrantPermission {
                resource,
                permission,
            } => write!(
                f,
                "grant {permission} ({resource} application permission; admin consent)"
            ),
            Step::AssignDirectoryRole { role } => {
                write!(f, "assign the directory role {role} to the app")
            }
            Step::AddExchangeRole { role, role_group } => write!(
                f,
                "add the app to the Exchange Online role group '{role_group}' holding the management role {role} (New-ServicePrincipal, New-RoleGroup, Add-RoleGroupMember)"
            ),
            Step::UploadCertificate { path, reason } => write!(
                f,
                "make a certificate ({reason}): private key kept in {} (mode 0600), only the public certificate uploaded",
                path.display()
            ),
            Step::WriteProfile { settings } => write!(
                f,
                "write the connection into blueprint.toml: {}",
                settings.join(", ")
            ),
        }
    }
}

/// An application permission resolved to the app role that carries it.
#[derive(Debug, Clone)]
struct Role {
    resource_app_id: &'static str,
    resource_name: &'static str,
    resource_sp_id: String,
    permission: String,
    role_id: String,
}

/// What the tenant holds of blueprint's app, and what is still to do.
pub struct Connection {
    client: GraphClient,
    /// The tenant's id (`tid` of the administrator's token).
    pub tenant_id: String,
    pub access: Access,
    pub app_name: String,
    pub needs: Vec<Need>,
    roles: Vec<Role>,
    directory_roles: Vec<(String, String)>,
    app: Option<Value>,
    sp_id: Option<String>,
    certificate_path: PathBuf,
    workspace_dir: PathBuf,
    /// The steps still to do, in order; empty when everything is in place.
    pub steps: Vec<Step>,
    endpoints: Endpoints,
    /// Exchange Online management roles the needs name (held through a role group).
    exchange_roles: Vec<&'static str>,
    /// The Exchange admin API's base URL.
    exchange_url: String,
    /// For the read-only app, the workspace's deploying app (its Exchange Administrator role
    /// may make role group memberships; the read-only app's Global Reader may not).
    deploying_app: Option<GraphConfig>,
}

/// What [`Connection::apply`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Connected {
    pub tenant_id: String,
    pub client_id: String,
    pub certificate_path: PathBuf,
    /// The steps run, in order.
    pub changed: Vec<Step>,
    /// How long the grants took to show in a fresh token.
    pub replication_secs: Option<f64>,
    /// What connect could not do and a person must, each with the exact commands (an
    /// Exchange role group membership no app of the workspace may make).
    pub still_to_do: Vec<String>,
}

/// Reads what the tenant holds of the app for `access` and lists what is missing: the app,
/// its declared permissions, its service principal, each grant, each directory role, a
/// certificate that is valid here and there, and the profile's connection.
pub async fn survey(
    workspace: &Workspace,
    access: Access,
    admin_token: SecretString,
) -> Result<Connection, EngineError> {
    let endpoints = workspace.endpoints()?;
    let tenant_id = blueprint_graph::signin::claims_of(&admin_token)
        .and_then(|c| c["tid"].as_str().map(str::to_string))
        .or_else(|| endpoints.tenant_id.clone())
        .ok_or_else(|| EngineError::Usage("the sign-in's token names no tenant (tid)".into()))?;
    let client = GraphClient::without_observer(GraphConfig {
        authority: endpoints.authority.clone(),
        graph: endpoints.graph.clone(),
        tenant_id: tenant_id.clone(),
        client_id: SIGN_IN_CLIENT_ID.into(),
        credential: Credential::Bearer(admin_token),
        extra_ca_pem: endpoints.extra_ca_pem.clone(),
        ..GraphConfig::default()
    })?;
    let needs = workspace.required_permissions(access)?;
    let needs_for_roles = needs.clone();
    let name = app_name(access).to_string();

    // The app roles of the resources the needs name, resolved by value (never hard-coded).
    let mut roles = Vec::new();
    for (resource_app_id, resource_name, names) in [
        (
            GRAPH_APP_ID,
            "Microsoft Graph",
            names_of(&needs, |g| match g {
                Grant::Graph(n) => Some(n),
                _ => None,
            }),
        ),
        (
            EXCHANGE_APP_ID,
            "Office 365 Exchange Online",
            names_of(&needs, |g| match g {
                Grant::Exchange(n) => Some(n),
                _ => None,
            }),
        ),
    ] {
        if names.is_empty() {
            continue;
        }
        let sp = client
            .get(&format!(
                "/servicePrincipals(appId='{resource_app_id}')?$select=id,appRoles"
            ))
            .await?;
        let sp_id = sp["id"].as_str().unwrap_or_default().to_string();
        let offered: BTreeMap<&str, &str> = sp["appRoles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["allowedMemberTypes"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == "Application"))
            })
            .filter_map(|r| Some((r["value"].as_str()?, r["id"].as_str()?)))
            .collect();
        for permission in names {
            let role_id = offered.get(permission).ok_or_else(|| {
                EngineError::Usage(format!(
                    "{resource_name} offers no application permission {permission} in this tenant"
                ))
            })?;
            roles.push(Role {
                resource_app_id,
                resource_name,
                resource_sp_id: sp_id.clone(),
                permission: permission.to_string(),
                role_id: role_id.to_string(),
            });
        }
    }
    let directory_roles: Vec<(String, String)> = needs
        .iter()
        .filter_map(|n| match n.grant {
            Grant::DirectoryRole(role) => Some((
                role.to_string(),
                kinds::directory_role_id(role)?.to_string(),
            )),
            _ => None,
        })
        .collect();

    let found = client
        .list(&format!(
            "/applications?$filter=displayName eq '{name}'&$select=id,appId,displayName,requiredResourceAccess,keyCredentials"
        ))
        .await?;
    let app = found.into_iter().next();
    let sp_id = match &app {
        Some(app) => {
            let app_id = app["appId"].as_str().unwrap_or_default();
            match client
                .get(&format!("/servicePrincipals(appId='{app_id}')?$select=id"))
                .await
            {
                Ok(sp) => sp["id"].as_str().map(str::to_string),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into()),
            }
        }
        None => None,
    };

    let certificate_path = PathBuf::from(crate::workspace::STATE_DIR)
        .join("credentials")
        .join(format!("{name}.pem"));
    let mut connection = Connection {
        client,
        tenant_id,
        access,
        app_name: name,
        needs,
        roles,
        directory_roles,
        app,
        sp_id,
        certificate_path,
        workspace_dir: workspace.dir.clone(),
        steps: Vec::new(),
        endpoints,
        exchange_roles: Granted::exchange_roles_needed(&needs_for_roles),
        exchange_url: workspace.exchange_url(),
        deploying_app: match access {
            Access::ReadOnly => workspace.graph_config().ok(),
            Access::ReadWrite => None,
        },
    };
    connection.steps = connection.missing_steps(workspace).await?;
    Ok(connection)
}

fn names_of(needs: &[Need], pick: impl Fn(Grant) -> Option<&'static str>) -> Vec<&'static str> {
    needs.iter().filter_map(|n| pick(n.grant)).collect()
}

impl Connection {
    async fn missing_steps(&self, workspace: &Workspace) -> Result<Vec<Step>, EngineError> {
        let mut steps = Vec::new();
        match &self.app {
            None => steps.push(Step::CreateApplication {
                name: self.app_name.clone(),
            }),
            Some(app) => {
                let declared = declared_roles(app);
                let undeclared: Vec<String> = self
                    .roles
                    .iter()
                    .filter(|r| {
                        !declared
                            .contains(&(r.resource_app_id.to_string(), r.role_id.to_lowercase()))
                    })
                    .map(|r| r.permission.clone())
                    .collect();
                if !undeclared.is_empty() {
                    steps.push(Step::DeclarePermissions {
                        permissions: undeclared,
                    });
                }
            }
        }
        if self.sp_id.is_none() {
            steps.push(Step::CreateServicePrincipal);
        }
        let granted = self.granted_roles().await?;
        for r in &self.roles {
            if !granted.contains(&(r.resource_sp_id.to_lowercase(), r.role_id.to_lowercase())) {
                steps.push(Step::GrantPermission {
                    resource: r.resource_name.into(),
                    permission: r.permission.clone(),
                });
            }
        }
        let held = self.held_directory_roles().await?;
        for (role, id) in &self.directory_roles {
            if !held.contains(&id.to_lowercase()) {
                steps.push(Step::AssignDirectoryRole { role: role.clone() });
            }
        }
        if let Some(reason) = self.certificate_problem() {
            steps.push(Step::UploadCertificate {
                path: self.certificate_path.clone(),
                reason,
            });
        }
        if !self.exchange_roles.is_empty() {
            // Only an app that can already reach Exchange can say what it holds there.
            let ready = steps.is_empty();
            let held = if ready {
                self.exchange_roles_now().await.unwrap_or_default()
            } else {
                BTreeSet::new()
            };
            for role in &self.exchange_roles {
                if !held.contains(&role.to_lowercase()) {
                    steps.push(Step::AddExchangeRole {
                        role: role.to_string(),
                        role_group: exchange_kinds::role_group_for(role),
                    });
                }
            }
        }
        let client_id = self
            .app
            .as_ref()
            .and_then(|a| a["appId"].as_str())
            .unwrap_or("(the new app's id)");
        let settings = self.profile_settings(client_id);
        let c = &workspace.connection;
        let current = |key: &str| -> Option<String> {
            match key {
                "tenant_id" => c.tenant_id.clone(),
                "client_id" => c.client_id.clone(),
                "certificate_path" => c.certificate_path.as_ref().map(|p| p.display().to_string()),
                "private_key_path" => c.private_key_path.as_ref().map(|p| p.display().to_string()),
                "read_only_client_id" => c.read_only_client_id.clone(),
                "read_only_certificate_path" => c
                    .read_only_certificate_path
                    .as_ref()
                    .map(|p| p.display().to_string()),
                _ => None,
            }
        };
        let differing: Vec<String> = settings
            .iter()
            .filter(|(k, v)| current(k) != *v)
            .map(|(k, v)| match v {
                Some(v) => format!("{k} = \"{v}\""),
                None => format!("remove {k}"),
            })
            .collect();
        if !differing.is_empty()
            || steps
                .iter()
                .any(|s| matches!(s, Step::CreateApplication { .. }))
        {
            steps.push(Step::WriteProfile {
                settings: differing,
            });
        }
        Ok(steps)
    }

    /// The `[connection]` settings for the app `client_id`.
    fn profile_settings(&self, client_id: &str) -> Vec<(&'static str, Option<String>)> {
        let cert = Some(self.certificate_path.display().to_string());
        match self.access {
            Access::ReadWrite => vec![
                ("tenant_id", Some(self.tenant_id.clone())),
                ("client_id", Some(client_id.to_string())),
                ("certificate_path", cert),
                // The certificate file holds its key; a separate key file would be another app's.
                ("private_key_path", None),
            ],
            Access::ReadOnly => vec![
                ("tenant_id", Some(self.tenant_id.clone())),
                ("read_only_client_id", Some(client_id.to_string())),
                ("read_only_certificate_path", cert),
            ],
        }
    }

    /// (resource service principal id, app role id) of the app's grants, lower case.
    async fn granted_roles(&self) -> Result<BTreeSet<(String, String)>, EngineError> {
        let Some(sp) = &self.sp_id else {
            return Ok(BTreeSet::new());
        };
        Ok(self
            .client
            .list(&format!("/servicePrincipals/{sp}/appRoleAssignments"))
            .await?
            .iter()
            .filter_map(|a| {
                Some((
                    a["resourceId"].as_str()?.to_lowercase(),
                    a["appRoleId"].as_str()?.to_lowercase(),
                ))
            })
            .collect())
    }

    /// The directory roles (definition ids, lower case) the app's service principal holds.
    async fn held_directory_roles(&self) -> Result<BTreeSet<String>, EngineError> {
        let Some(sp) = self
            .sp_id
            .as_ref()
            .filter(|_| !self.directory_roles.is_empty())
        else {
            return Ok(BTreeSet::new());
        };
        Ok(self
            .client
            .list(&format!(
                "/roleManagement/directory/roleAssignments?$filter=principalId eq '{sp}'"
            ))
            .await?
            .iter()
            .filter_map(|a| a["roleDefinitionId"].as_str().map(str::to_lowercase))
            .collect())
    }

    /// Why a new certificate is needed, if one is: none here, unreadable, expiring, or not
    /// among the app's key credentials.
    fn certificate_problem(&self) -> Option<String> {
        let path = self.workspace_dir.join(&self.certificate_path);
        let Ok(pem) = std::fs::read_to_string(&path) else {
            return Some("none yet".into());
        };
        let Some(cert) = CertificateInfo::from_pem(&pem) else {
            return Some(format!("{} holds no readable certificate", path.display()));
        };
        if cert.days_left() < RENEW_BEFORE_DAYS {
            return Some(format!(
                "the current one has {} days left",
                cert.days_left()
            ));
        }
        let uploaded = self.app.as_ref().is_some_and(|app| {
            app["keyCredentials"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| cert.is_named_by(k["customKeyIdentifier"].as_str().unwrap_or_default()))
        });
        (!uploaded).then(|| "the app does not hold the current one".to_string())
    }

    /// Runs the steps in order, telling `progress` before each; then waits (at most
    /// `replication_wait`) until a fresh token of the app shows every grant.
    pub async fn apply(
        mut self,
        replication_wait: Duration,
        mut progress: impl FnMut(&Step),
    ) -> Result<Connected, EngineError> {
        let steps = std::mem::take(&mut self.steps);
        let mut new_pem: Option<SecretString> = None;
        for step in &steps {
            progress(step);
            match step {
                Step::CreateApplication { name } => {
                    let app = self
                        .client
                        .post(
                            "/applications",
                            &json!({
                                "displayName": name,
                                "signInAudience": "AzureADMyOrg",
                                "requiredResourceAccess": self.required_resource_access(None),
                            }),
                        )
                        .await?;
                    let id = app["id"].as_str().unwrap_or_default().to_string();
                    // Replication: read it back before using it (ScubaGear's pattern).
                    let app = self
                        .client
                        .get_known(&format!("/applications/{id}"))
                        .await?;
                    self.app = Some(app);
                }
                Step::DeclarePermissions { .. } => {
                    let app = self.app()?;
                    let id = app["id"].as_str().unwrap_or_default().to_string();
                    let rra = self.required_resource_access(Some(&app["requiredResourceAccess"]));
                    self.client
                        .patch(
                            &format!("/applications/{id}"),
                            &json!({ "requiredResourceAccess": rra }),
                        )
                        .await?;
                }
                Step::CreateServicePrincipal => {
                    let app_id = self.app()?["appId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    let sp = self
                        .client
                        .post("/servicePrincipals", &json!({ "appId": app_id }))
                        .await?;
                    let id = sp["id"].as_str().unwrap_or_default().to_string();
                    self.client
                        .get_known(&format!("/servicePrincipals/{id}"))
                        .await?;
                    self.sp_id = Some(id);
                }
                Step::GrantPermission { permission, .. } => {
                    let role = self
                        .roles
                        .iter()
                        .find(|r| &r.permission == permission)
                        .cloned()
                        .ok_or_else(|| {
                            EngineError::Internal(format!("no role for {permission}"))
                        })?;
                    let sp = self.sp()?;
                    let body = json!({
                        "principalId": sp,
                        "resourceId": role.resource_sp_id,
                        "appRoleId": role.role_id,
                    });
                    match self
                        .client
                        .post(
                            &format!(
                                "/servicePrincipals/{}/appRoleAssignedTo",
                                role.resource_sp_id
                            ),
                            &body,
                        )
                        .await
                    {
                        Ok(_) => {}
                        // Granted since the survey (or by a lost answer): what was wanted.
                        Err(GraphError::Api {
                            status: 400,
                            message,
                            ..
                        }) if message.contains("already exists") => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Step::AssignDirectoryRole { role } => {
                    let id = kinds::directory_role_id(role)
                        .ok_or_else(|| EngineError::Internal(format!("unknown role {role}")))?;
                    let body = json!({
                        "principalId": self.sp()?,
                        "roleDefinitionId": id,
                        "directoryScopeId": "/",
                    });
                    match self
                        .client
                        .post("/roleManagement/directory/roleAssignments", &body)
                        .await
                    {
                        Ok(_) => {}
                        Err(GraphError::Api { status: 409, .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Step::UploadCertificate { .. } => {
                    new_pem = Some(self.upload_certificate().await?);
                }
                // Run once the app's grants show (below): it is the app that does it.
                Step::AddExchangeRole { .. } => {}
                Step::WriteProfile { .. } => {
                    let client_id = self.app()?["appId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    crate::workspace::update_connection(
                        &self.workspace_dir,
                        &self.profile_settings(&client_id),
                    )?;
                }
            }
        }
        let client_id = self
            .app
            .as_ref()
            .and_then(|a| a["appId"].as_str())
            .unwrap_or_default()
            .to_string();
        let grants_changed = steps.iter().any(|s| {
            matches!(
                s,
                Step::GrantPermission { .. }
                    | Step::AssignDirectoryRole { .. }
                    | Step::UploadCertificate { .. }
                    | Step::CreateServicePrincipal
            )
        });
        let pem = match new_pem {
            Some(pem) => Some(pem),
            None if grants_changed
                || steps
                    .iter()
                    .any(|s| matches!(s, Step::AddExchangeRole { .. })) =>
            {
                Some(SecretString::new(
                    std::fs::read_to_string(self.workspace_dir.join(&self.certificate_path))
                        .map_err(|e| EngineError::Usage(format!("reading the certificate: {e}")))?,
                ))
            }
            None => None,
        };
        let replication_secs = match (&pem, grants_changed) {
            (Some(pem), true) => Some(
                self.await_grants(&client_id, pem.clone(), replication_wait)
                    .await?,
            ),
            _ => None,
        };
        let mut still_to_do = Vec::new();
        for step in &steps {
            if let (Step::AddExchangeRole { role, role_group }, Some(pem)) = (step, &pem) {
                // Not fatal: everything else is connected; the person is told what remains.
                if let Err(e) = self
                    .add_exchange_role(&client_id, pem, role, role_group)
                    .await
                {
                    still_to_do.push(e.to_string());
                }
            }
        }
        Ok(Connected {
            tenant_id: self.tenant_id.clone(),
            client_id,
            certificate_path: self.certificate_path.clone(),
            changed: steps,
            replication_secs,
            still_to_do,
        })
    }

    /// A client for the Exchange admin API as the app itself (its certificate).
    fn app_exchange(
        &self,
        client_id: &str,
        pem: &SecretString,
    ) -> Result<ExchangeClient, EngineError> {
        let config = GraphConfig {
            authority: self.endpoints.authority.clone(),
            graph: self.endpoints.graph.clone(),
            tenant_id: self.tenant_id.clone(),
            client_id: client_id.to_string(),
            credential: Credential::Certificate { pem: pem.clone() },
            extra_ca_pem: self.endpoints.extra_ca_pem.clone(),
            ..GraphConfig::default()
        };
        Ok(ExchangeClient::new(
            config,
            &self.exchange_url,
            std::sync::Arc::new(|_| {}),
        )?)
    }

    /// The Exchange management roles (lower case) the app holds now, read as the app.
    async fn exchange_roles_now(&self) -> Result<BTreeSet<String>, EngineError> {
        let client_id = self
            .app
            .as_ref()
            .and_then(|a| a["appId"].as_str())
            .unwrap_or_default()
            .to_string();
        let pem = SecretString::new(
            std::fs::read_to_string(self.workspace_dir.join(&self.certificate_path))
                .map_err(|e| EngineError::Usage(format!("reading the certificate: {e}")))?,
        );
        let exo = self.app_exchange(&client_id, &pem)?;
        exchange_roles_held(&exo, &client_id, &self.exchange_roles).await
    }

    /// Makes the app a member of `role_group`, which holds `role`, making the service principal
    /// reference and the group when missing. A failure says the exact commands to run instead.
    async fn add_exchange_role(
        &self,
        client_id: &str,
        pem: &SecretString,
        role: &str,
        role_group: &str,
    ) -> Result<(), EngineError> {
        let sp = self.sp()?;
        let by_hand = |why: String| {
            EngineError::Usage(format!(
                "could not give the app the Exchange Online role {role} ({why}). An Exchange administrator can, in Exchange Online PowerShell:\n  New-ServicePrincipal -AppId {client_id} -ObjectId {sp} -DisplayName \"{name}\"\n  New-RoleGroup -Name \"{role_group}\" -Roles \"{role}\"\n  Add-RoleGroupMember -Identity \"{role_group}\" -Member {sp}\nthen run connect again.",
                name = self.app_name
            ))
        };
        // The app itself when it may (Exchange Administrator), else the deploying app.
        let exo = match &self.deploying_app {
            Some(config) => ExchangeClient::new(
                config.clone(),
                &self.exchange_url,
                std::sync::Arc::new(|_| {}),
            )?,
            None => self.app_exchange(client_id, pem)?,
        };
        let run = |cmdlet: &'static str, parameters: Value| {
            let exo = exo.clone();
            async move { exo.invoke(&Command::new(cmdlet, parameters)).await }
        };
        let references = run("Get-ServicePrincipal", json!({}))
            .await
            .map_err(|e| by_hand(e.to_string()))?;
        let member = match references.iter().find(|r| {
            r["AppId"]
                .as_str()
                .is_some_and(|a| a.eq_ignore_ascii_case(client_id))
        }) {
            Some(r) => r["Identity"].as_str().unwrap_or(&sp).to_string(),
            None => {
                let made = run(
                    "New-ServicePrincipal",
                    json!({"AppId": client_id, "ObjectId": sp, "DisplayName": self.app_name}),
                )
                .await
                .map_err(|e| by_hand(e.to_string()))?;
                made.first()
                    .and_then(|r| r["Identity"].as_str())
                    .unwrap_or(&sp)
                    .to_string()
            }
        };
        match run("Get-RoleGroup", json!({ "Identity": role_group })).await {
            Ok(groups) => {
                let has_role = groups.first().is_some_and(|g| {
                    g["Roles"].as_array().into_iter().flatten().any(|r| {
                        r.as_str().is_some_and(|r| {
                            r.eq_ignore_ascii_case(role) || r.ends_with(&format!("\\{role}"))
                        })
                    })
                });
                if !has_role {
                    run(
                        "New-ManagementRoleAssignment",
                        json!({"Role": role, "SecurityGroup": role_group}),
                    )
                    .await
                    .map_err(|e| by_hand(e.to_string()))?;
                }
            }
            Err(e) if e.is_not_found() => {
                run(
                    "New-RoleGroup",
                    json!({
                        "Name": role_group,
                        "Roles": [role],
                        "Description": format!("blueprint: the {role} role for its apps"),
                    }),
                )
                .await
                .map_err(|e| by_hand(e.to_string()))?;
            }
            Err(e) => return Err(by_hand(e.to_string())),
        }
        match run(
            "Add-RoleGroupMember",
            json!({"Identity": role_group, "Member": member}),
        )
        .await
        {
            Ok(_) => Ok(()),
            // A member since the survey: what was wanted.
            Err(e) if e.to_string().contains("already a member") => Ok(()),
            Err(e) => Err(by_hand(e.to_string())),
        }
    }

    fn app(&self) -> Result<Value, EngineError> {
        self.app
            .clone()
            .ok_or_else(|| EngineError::Internal("the app registration is not known yet".into()))
    }

    fn sp(&self) -> Result<String, EngineError> {
        self.sp_id
            .clone()
            .ok_or_else(|| EngineError::Internal("the service principal is not known yet".into()))
    }

    /// `requiredResourceAccess` declaring every needed role, kept alongside what `existing`
    /// already declares.
    fn required_resource_access(&self, existing: Option<&Value>) -> Value {
        let mut by_resource: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for entry in existing.and_then(Value::as_array).into_iter().flatten() {
            if let Some(resource) = entry["resourceAppId"].as_str() {
                by_resource.entry(resource.to_string()).or_default().extend(
                    entry["resourceAccess"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        for r in &self.roles {
            let list = by_resource
                .entry(r.resource_app_id.to_string())
                .or_default();
            if !list.iter().any(|a| {
                a["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&r.role_id))
            }) {
                list.push(json!({ "id": r.role_id, "type": "Role" }));
            }
        }
        Value::Array(
            by_resource
                .into_iter()
                .map(|(resource, access)| json!({ "resourceAppId": resource, "resourceAccess": access }))
                .collect(),
        )
    }

    /// Makes an RSA key and a self-signed certificate, uploads the certificate (keeping the
    /// app's other keys), and only then moves the key file into place (0600): a failed upload
    /// leaves the previous credential as it was.
    async fn upload_certificate(&mut self) -> Result<SecretString, EngineError> {
        let app = self.app()?;
        let (cert_pem, key_pem, der) = make_certificate(&self.app_name)?;
        let path = self.workspace_dir.join(&self.certificate_path);
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| EngineError::Internal(format!("creating {}: {e}", dir.display())))?;
        restrict(&dir, 0o700)?;
        // A workspace is often kept in git for review; the key must never go with it.
        crate::state::ignore_in_git(&dir, "private keys")
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let tmp = path.with_extension("pem.new");
        let pem = SecretString::new(format!("{cert_pem}{key_pem}"));
        crate::files::write_private(&tmp, pem.expose())
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let mut keys: Vec<Value> = app["keyCredentials"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|k| !is_expired(k))
            .filter_map(|k| {
                Some(json!({
                    "keyId": k["keyId"].as_str()?,
                    "type": "AsymmetricX509Cert",
                    "usage": "Verify",
                }))
            })
            .collect();
        keys.push(json!({
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": STANDARD.encode(&der),
            "displayName": format!("CN={}", self.app_name),
        }));
        let id = app["id"].as_str().unwrap_or_default().to_string();
        if let Err(e) = self
            .client
            .patch(
                &format!("/applications/{id}"),
                &json!({ "keyCredentials": keys }),
            )
            .await
        {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        std::fs::rename(&tmp, &path)
            .map_err(|e| EngineError::Internal(format!("writing {}: {e}", path.display())))?;
        Ok(pem)
    }

    /// Polls a fresh client-credentials token of the app (a new client each time: roles are
    /// fixed when a token is issued) until it holds every need, for at most `wait`.
    async fn await_grants(
        &self,
        client_id: &str,
        pem: SecretString,
        wait: Duration,
    ) -> Result<f64, EngineError> {
        let started = tokio::time::Instant::now();
        let mut last;
        // Exchange management roles are in no token; `connect` adds them after this wait.
        let token_needs: Vec<Need> = self
            .needs
            .iter()
            .filter(|n| !matches!(n.grant, Grant::ExchangeRole(_)))
            .cloned()
            .collect();
        loop {
            match granted_to(
                &self.endpoints,
                &self.tenant_id,
                client_id,
                &pem,
                &token_needs,
            )
            .await
            {
                Ok(granted) => {
                    let missing = blueprint_catalogue::permissions::missing(&token_needs, &granted);
                    if missing.is_empty() {
                        return Ok(started.elapsed().as_secs_f64());
                    }
                    last = format!(
                        "the token does not show {} yet",
                        missing
                            .iter()
                            .map(|n| n.grant.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Err(e) => last = e.to_string(),
            }
            if started.elapsed() >= wait {
                return Err(EngineError::GrantsNotVisible {
                    waited_secs: wait.as_secs(),
                    last,
                });
            }
            tokio::time::sleep(Duration::from_millis(500).min(wait)).await;
        }
    }
}

/// What a fresh client-credentials token (and, when Exchange grants are needed, a token for
/// Exchange Online) says the app holds.
pub async fn granted_to(
    endpoints: &Endpoints,
    tenant_id: &str,
    client_id: &str,
    pem: &SecretString,
    needs: &[Need],
) -> Result<Granted, EngineError> {
    let config = GraphConfig {
        authority: endpoints.authority.clone(),
        graph: endpoints.graph.clone(),
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        credential: Credential::Certificate { pem: pem.clone() },
        extra_ca_pem: endpoints.extra_ca_pem.clone(),
        ..GraphConfig::default()
    };
    granted_by(&config, needs, None).await
}

/// What tokens of the app `config` describes hold: Graph's `roles` and `wids`, and Exchange's
/// `roles` when `needs` has Exchange grants; and, when `needs` names Exchange management roles
/// and `exchange` (the admin API's base URL) is given, the roles Exchange says the app holds.
pub async fn granted_by(
    config: &GraphConfig,
    needs: &[Need],
    exchange: Option<&str>,
) -> Result<Granted, EngineError> {
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let claims = GraphClient::without_observer(config.clone())?
        .token_claims()
        .await?;
    let mut granted = Granted {
        graph: strings(&claims["roles"]),
        exchange: BTreeSet::new(),
        directory_roles: strings(&claims["wids"]),
        exchange_roles: BTreeSet::new(),
    };
    if Granted::needs_exchange(needs) {
        let exchange = GraphClient::without_observer(GraphConfig {
            scope: Some("https://outlook.office365.com/.default".into()),
            ..config.clone()
        })?
        .token_claims()
        .await?;
        granted.exchange = strings(&exchange["roles"]);
    }
    let roles = Granted::exchange_roles_needed(needs);
    if let (false, Some(url)) = (roles.is_empty(), exchange) {
        let exo = ExchangeClient::new(config.clone(), url, std::sync::Arc::new(|_| {}))?;
        granted.exchange_roles = exchange_roles_held(&exo, &config.client_id, &roles).await?;
    }
    Ok(granted)
}

/// The Exchange Online management roles among `roles` (lower case) that the app `client_id`
/// holds: through a role group its service principal reference is a member of
/// (`Get-ManagementRoleAssignment -Role`, `Get-RoleGroupMember`), or assigned to the reference
/// itself. An app without a reference (`Get-ServicePrincipal`) holds none.
pub async fn exchange_roles_held(
    exo: &ExchangeClient,
    client_id: &str,
    roles: &[&str],
) -> Result<BTreeSet<String>, EngineError> {
    let mut held = BTreeSet::new();
    if roles.is_empty() {
        return Ok(held);
    }
    let references = exo
        .invoke(&Command::new("Get-ServicePrincipal", json!({})))
        .await?;
    let Some(reference) = references.iter().find(|r| {
        r["AppId"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(client_id))
    }) else {
        return Ok(held);
    };
    let ids: BTreeSet<String> = ["Identity", "ObjectId", "Name"]
        .iter()
        .filter_map(|k| reference[*k].as_str())
        .map(str::to_lowercase)
        .collect();
    let is_reference = |v: &Value| {
        ["Identity", "ObjectId", "Name"].iter().any(|k| {
            v[*k]
                .as_str()
                .is_some_and(|x| ids.contains(&x.to_lowercase()))
        })
    };
    for role in roles {
        let assignments = exo
            .invoke(&Command::new(
                "Get-ManagementRoleAssignment",
                json!({ "Role": role }),
            ))
            .await?;
        for assignment in assignments.iter().filter(|a| a["Enabled"] != json!(false)) {
            let assignee = assignment["RoleAssigneeName"]
                .as_str()
                .or(assignment["RoleAssignee"].as_str())
                .unwrap_or_default();
            let holds = if assignment["RoleAssigneeType"] == "RoleGroup" {
                exo.invoke(&Command::new(
                    "Get-RoleGroupMember",
                    json!({ "Identity": assignee }),
                ))
                .await?
                .iter()
                .any(is_reference)
            } else {
                ids.contains(&assignee.to_lowercase())
            };
            if holds {
                held.insert(role.to_lowercase());
                break;
            }
        }
    }
    Ok(held)
}

/// (resource appId, role id lower case) the app declares in `requiredResourceAccess`.
fn declared_roles(app: &Value) -> BTreeSet<(String, String)> {
    app["requiredResourceAccess"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| {
            let resource = entry["resourceAppId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            entry["resourceAccess"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |a| Some((resource.clone(), a["id"].as_str()?.to_lowercase())))
        })
        .collect()
}

fn is_expired(key: &Value) -> bool {
    key["endDateTime"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_some_and(|end| end <= time::OffsetDateTime::now_utc())
}

/// An RSA 2048 key and a self-signed certificate valid for a year, as PEM, with the
/// certificate's DER (what `keyCredentials` takes).
fn make_certificate(name: &str) -> Result<(String, String, Vec<u8>), EngineError> {
    let failed = |e: rcgen::Error| EngineError::Internal(format!("making the certificate: {e}"));
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(CERTIFICATE_DAYS);
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok((cert.pem(), key.serialize_pem(), cert.der().to_vec()))
}

fn restrict(path: &Path, mode: u32) -> Result<(), EngineError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| EngineError::Internal(format!("restricting {}: {e}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// What `connect` and `doctor` read of a certificate: its thumbprint and validity.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// SHA-1 of the DER, as Entra's `customKeyIdentifier` names the certificate.
    pub sha1: Vec<u8>,
    pub not_after: time::OffsetDateTime,
}

impl CertificateInfo {
    /// The first certificate in a PEM text.
    pub fn from_pem(pem: &str) -> Option<CertificateInfo> {
        let block = x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .filter_map(Result::ok)
            .find(|p| p.label == "CERTIFICATE")?;
        let (_, cert) = x509_parser::parse_x509_certificate(&block.contents).ok()?;
        let not_after =
            time::OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
                .ok()?;
        let sha1 = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &block.contents,
        )
        .as_ref()
        .to_vec();
        Some(CertificateInfo { sha1, not_after })
    }

    pub fn days_left(&self) -> i64 {
        (self.not_after - time::OffsetDateTime::now_utc()).whole_days()
    }

    /// Whether a key credential's `customKeyIdentifier` (the thumbprint, in hex or base64 as
    /// clients have seen it) names this certificate.
    fn is_named_by(&self, identifier: &str) -> bool {
        let hex: String = self.sha1.iter().map(|b| format!("{b:02X}")).collect();
        identifier.eq_ignore_ascii_case(&hex) || identifier == STANDARD.encode(&self.sha1)
    }
}
