//! One emulated tenant: its identity (id, domains, size), its registered applications, and its
//! directory and service objects. Operations here are the semantics of Graph's verbs, free of
//! HTTP: the router and `$batch` both call them.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{ErrorStyle, GraphError};
use crate::kinds::{Kind, Shape};
use crate::rules;

/// Tenant size class, which sets the identity throttling budget (graph-notes §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SizeClass {
    #[default]
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientSecret {
    pub value: String,
    /// RFC 3339; a secret past this is refused with AADSTS7000222.
    pub expires: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    /// PEM of the X.509 certificate registered on the app.
    pub cert_pem: String,
    /// PEM (PKCS#8) of its private key: the app's, kept so the ready file can hand it out.
    pub key_pem: String,
    /// base64url SHA-1 of the DER certificate (`x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER certificate (`x5t#S256`).
    pub x5t_s256: String,
    /// SubjectPublicKeyInfo PEM, for verifying assertions.
    pub public_key_pem: String,
    /// The key credential's id on the application (`keyCredentials[].keyId`).
    #[serde(default)]
    pub key_id: String,
    /// When the certificate stops being valid (RFC 3339); empty when unknown.
    #[serde(default)]
    pub end: String,
    /// The base64 DER of the certificate as uploaded in `keyCredentials[].key`.
    #[serde(default)]
    pub der_b64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub display_name: String,
    pub client_id: String,
    pub secrets: Vec<ClientSecret>,
    pub certificates: Vec<Certificate>,
    /// Granted application permissions (app roles), e.g. `Group.ReadWrite.All` or
    /// `Exchange.ManageAsApp`: the app role assignments of the app's service principal. A token
    /// carries those of its resource in `roles`.
    pub permissions: Vec<String>,
    /// The application object's id (`/applications/{id}`).
    #[serde(default)]
    pub object_id: String,
    /// The service principal's object id; empty until one is created.
    #[serde(default)]
    pub sp_id: String,
    /// The rest of the application object as a client wrote it (`requiredResourceAccess`,
    /// `signInAudience`, `tags`, `description`, …).
    #[serde(default)]
    pub extra: Map<String, Value>,
}

/// A directory role held by a user or a service principal
/// (`/roleManagement/directory/roleAssignments`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub id: String,
    pub principal_id: String,
    /// The role definition's id, which for built-in roles is the role template's id.
    pub role_definition_id: String,
    pub directory_scope_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub display_name: String,
    /// Verified domains; the first is the initial `*.onmicrosoft.com` domain.
    pub domains: Vec<String>,
    pub size: SizeClass,
    pub apps: Vec<App>,
    /// Collections by entity type, items by id in creation order.
    pub collections: BTreeMap<String, IndexMap<String, Value>>,
    /// Singletons by entity type.
    pub singletons: BTreeMap<String, Value>,
    /// Intune assignments by policy id.
    pub assignments: BTreeMap<String, Vec<Value>>,
    /// Directory role assignments of users and service principals.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    /// Salted SHA-256 of each user's password, by user id: what the sign-in form checks (Graph
    /// never returns a password, and the emulator keeps none).
    #[serde(default)]
    pub password_hashes: BTreeMap<String, String>,
    /// Passwords the fixture generated for its users, by UPN: test material handed out in the
    /// ready file like the fixture apps' secrets, so a rehearsal can sign in.
    #[serde(default)]
    pub fixture_passwords: BTreeMap<String, String>,
    /// The Exchange Online organisation (the admin API's objects).
    #[serde(default)]
    pub exchange: crate::exchange::ExchangeState,
    /// The public DNS zone of the tenant's custom domains, as its DNS host publishes it
    /// (crate::dns).
    #[serde(default)]
    pub dns: Vec<crate::dns::DnsRecordSet>,
}

/// The stored form of a password.
pub fn password_hash(user_id: &str, password: &str) -> String {
    let d = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("{user_id}\u{0}{password}").as_bytes(),
    );
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn new_guid(rng: &mut impl Rng) -> String {
    let bytes: [u8; 16] = rng.random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

impl Tenant {
    pub fn new(id: String, display_name: String, domains: Vec<String>, size: SizeClass) -> Self {
        let mut tenant = Tenant {
            id,
            display_name,
            domains,
            size,
            apps: Vec::new(),
            collections: BTreeMap::new(),
            singletons: BTreeMap::new(),
            assignments: BTreeMap::new(),
            role_assignments: Vec::new(),
            password_hashes: BTreeMap::new(),
            fixture_passwords: BTreeMap::new(),
            exchange: Default::default(),
            dns: Vec::new(),
        };
        crate::defaults::install(&mut tenant);
        crate::dns::install_zone(&mut tenant);
        tenant
    }

    pub fn initial_domain(&self) -> &str {
        self.domains.first().map(String::as_str).unwrap_or("")
    }

    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.apps
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    /// The values of the app roles of `client_id`'s application (its `appRoles`, as a client
    /// wrote the application object) assigned to the user `user_id`: the tenant's
    /// `appRoleAssignment` objects naming the user as `principalId`, the application's service
    /// principal (or, before it has one, the application object) as `resourceId`, and one of
    /// its roles' ids as `appRoleId`. What Entra puts in an ID token's `roles` claim.
    pub fn app_roles_of(&self, client_id: &str, user_id: &str) -> Vec<String> {
        let Some(app) = self.app(client_id) else {
            return Vec::new();
        };
        let same = |v: &Value, s: &str| {
            v.as_str()
                .is_some_and(|v| !s.is_empty() && v.eq_ignore_ascii_case(s))
        };
        let defined: Vec<&Value> = app
            .extra
            .get("appRoles")
            .and_then(Value::as_array)
            .map(|roles| roles.iter().filter(|r| r["isEnabled"] != false).collect())
            .unwrap_or_default();
        let mut values: Vec<String> = self
            .collections
            .get("appRoleAssignment")
            .into_iter()
            .flat_map(|items| items.values())
            .filter(|a| {
                same(&a["principalId"], user_id)
                    && (same(&a["resourceId"], &app.sp_id)
                        || same(&a["resourceId"], &app.object_id))
            })
            .filter_map(|a| defined.iter().find(|r| r["id"] == a["appRoleId"]))
            .filter_map(|r| r["value"].as_str().map(str::to_string))
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// Assigns the app role `value` of `client_id`'s application to the user `user` (an id or
    /// a UPN), defining the role on the application first if it has none by that value: a
    /// test's or a demo's shortcut for `POST /users/{id}/appRoleAssignments`. None when there
    /// is no such application or user.
    pub fn assign_app_role(&mut self, client_id: &str, user: &str, value: &str) -> Option<String> {
        let user = self.find(Kind::by_entity("user"), user)?;
        let (user_id, user_name) = (
            user["id"].as_str()?.to_string(),
            user["displayName"].as_str().unwrap_or_default().to_string(),
        );
        let mut rng = rand::rng();
        let app = self
            .apps
            .iter_mut()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))?;
        let roles = app
            .extra
            .entry("appRoles")
            .or_insert_with(|| Value::Array(Vec::new()));
        let roles = roles.as_array_mut()?;
        let role_id = match roles.iter().find(|r| r["value"] == value) {
            Some(r) => r["id"].as_str()?.to_string(),
            None => {
                let id = new_guid(&mut rng);
                roles.push(json!({
                    "allowedMemberTypes": ["User"],
                    "description": value,
                    "displayName": value,
                    "id": id,
                    "isEnabled": true,
                    "value": value,
                }));
                id
            }
        };
        let resource = if app.sp_id.is_empty() {
            app.object_id.clone()
        } else {
            app.sp_id.clone()
        };
        let resource_name = app.display_name.clone();
        let id = new_guid(&mut rng);
        self.collections
            .entry("appRoleAssignment".into())
            .or_default()
            .insert(
                id.clone(),
                json!({
                    "id": id,
                    "appRoleId": role_id,
                    "createdDateTime": now_rfc3339(),
                    "principalDisplayName": user_name,
                    "principalId": user_id,
                    "principalType": "User",
                    "resourceDisplayName": resource_name,
                    "resourceId": resource,
                }),
            );
        Some(id)
    }

    /// The role template ids a principal (user or service principal object id) holds: a
    /// token's `wids`.
    pub fn roles_of(&self, principal_id: &str) -> Vec<String> {
        let mut wids: Vec<String> = self
            .role_assignments
            .iter()
            .filter(|r| {
                !principal_id.is_empty() && r.principal_id.eq_ignore_ascii_case(principal_id)
            })
            .map(|r| r.role_definition_id.clone())
            .collect();
        wids.sort();
        wids.dedup();
        wids
    }

    pub fn items(&self, kind: &Kind) -> impl Iterator<Item = &Value> {
        self.collections
            .get(kind.entity)
            .into_iter()
            .flat_map(|c| c.values())
    }

    /// Looks an item up by id (users also by userPrincipalName).
    pub fn find(&self, kind: &Kind, key: &str) -> Option<&Value> {
        let coll = self.collections.get(kind.entity)?;
        if let Some(v) = coll.get(key) {
            return Some(v);
        }
        let lower = key.to_ascii_lowercase();
        coll.get(&lower).or_else(|| {
            if kind.entity == "user" {
                coll.values().find(|u| {
                    u["userPrincipalName"]
                        .as_str()
                        .is_some_and(|upn| upn.eq_ignore_ascii_case(key))
                })
            } else {
                None
            }
        })
    }

    fn find_id(&self, kind: &Kind, key: &str) -> Option<String> {
        self.find(kind, key)
            .and_then(|v| v["id"].as_str())
            .map(str::to_string)
    }

    pub fn singleton(&self, kind: &Kind) -> &Value {
        self.singletons.get(kind.entity).unwrap_or(&Value::Null)
    }

    /// Every object as Graph stores it: each non-nullable property it leaves out holds its
    /// default, as in the objects a create makes. For objects put in the tenant other than by
    /// a request (its seeded objects, a test's hand-made ones).
    pub fn store_defaults(&mut self) {
        for (entity, items) in &mut self.collections {
            items
                .values_mut()
                .for_each(|item| store_defaults(entity, item));
        }
        for (entity, singleton) in &mut self.singletons {
            store_defaults(entity, singleton);
        }
    }

    /// POST to a collection: validate, assign server properties, store. Returns the stored
    /// object.
    pub fn create(
        &mut self,
        kind: &'static Kind,
        body: Value,
        rng: &mut impl Rng,
    ) -> Result<Value, GraphError> {
        if kind.shape != Shape::Collection || !kind.can_create {
            return Err(GraphError::method_not_allowed());
        }
        self.insert_new(kind, body, rng)
    }

    /// Stores an object a client cannot create (an Apple enrolment program token, which the
    /// service makes from the token Apple issued): validated and given its id as a create is.
    /// For fixtures.
    pub fn seed(
        &mut self,
        kind: &'static Kind,
        body: Value,
        rng: &mut impl Rng,
    ) -> Result<Value, GraphError> {
        if kind.shape != Shape::Collection {
            return Err(GraphError::method_not_allowed());
        }
        self.insert_new(kind, body, rng)
    }

    fn insert_new(
        &mut self,
        kind: &'static Kind,
        body: Value,
        rng: &mut impl Rng,
    ) -> Result<Value, GraphError> {
        let mut obj = check_body(kind, body, None)?;
        let id = new_guid(rng);
        let password = new_password(kind, &obj);
        rules::before_create(self, kind, &mut obj, rng)?;
        if let Some(p) = password {
            self.password_hashes
                .insert(id.clone(), password_hash(&id, &p));
        }
        obj.insert("id".into(), Value::String(id.clone()));
        let mut value = Value::Object(obj);
        store_defaults(kind.entity, &mut value);
        reorder_id_first(&mut value);
        self.collections
            .entry(kind.entity.to_string())
            .or_default()
            .insert(id, value.clone());
        Ok(value)
    }

    /// PATCH an item (or a singleton when `key` is `None`). Returns the updated object.
    pub fn update(
        &mut self,
        kind: &'static Kind,
        key: Option<&str>,
        body: Value,
    ) -> Result<Value, GraphError> {
        let current = match (kind.shape, key) {
            (Shape::Singleton, None) => self.singleton(kind).clone(),
            (Shape::Collection, Some(key)) => self
                .find(kind, key)
                .cloned()
                .ok_or_else(|| not_found(kind, key))?,
            _ => return Err(GraphError::method_not_allowed()),
        };
        let current_type = current
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches("#microsoft.graph.").to_string());
        let patch = check_body(kind, body, current_type.as_deref())?;
        let password = new_password(kind, &patch);
        let mut merged = current.clone();
        merge(&mut merged, &Value::Object(patch.clone()));
        rules::before_update(self, kind, &current, &mut merged, &patch)?;
        if let (Some(p), Some(id)) = (password, current["id"].as_str()) {
            self.password_hashes
                .insert(id.to_string(), password_hash(id, &p));
        }
        match key {
            None => {
                self.singletons
                    .insert(kind.entity.to_string(), merged.clone());
            }
            Some(_) => {
                let id = current["id"].as_str().unwrap_or_default().to_string();
                self.collections
                    .entry(kind.entity.to_string())
                    .or_default()
                    .insert(id, merged.clone());
            }
        }
        Ok(merged)
    }

    /// PUT an item: the body replaces everything a client may write (the kinds Graph updates
    /// only as a whole, the settings catalog). The service's own properties stay.
    pub fn replace(
        &mut self,
        kind: &'static Kind,
        key: &str,
        body: Value,
    ) -> Result<Value, GraphError> {
        let current = self
            .find(kind, key)
            .cloned()
            .ok_or_else(|| not_found(kind, key))?;
        let merged = self.replacement(kind, &current, body)?;
        let id = current["id"].as_str().unwrap_or_default().to_string();
        self.collections
            .entry(kind.entity.to_string())
            .or_default()
            .insert(id, merged.clone());
        Ok(merged)
    }

    /// PUT a singleton: the body replaces everything a client may write, nested objects
    /// included (what the body leaves out is reset, as Graph's whole-object updates do); the
    /// service's own properties stay.
    pub fn replace_singleton(
        &mut self,
        kind: &'static Kind,
        body: Value,
    ) -> Result<Value, GraphError> {
        let current = self.singleton(kind).clone();
        let merged = self.replacement(kind, &current, body)?;
        self.singletons
            .insert(kind.entity.to_string(), merged.clone());
        Ok(merged)
    }

    /// What a PUT of `body` makes of `current`: the service's own properties kept, everything
    /// a client writes taken from the body (left out is reset), the kind's rules applied.
    fn replacement(
        &mut self,
        kind: &'static Kind,
        current: &Value,
        body: Value,
    ) -> Result<Value, GraphError> {
        let replacement = check_body(kind, body, None)?;
        let mut merged = Map::new();
        for prop in kind.server_props {
            if let Some(v) = current.get(*prop) {
                merged.insert((*prop).to_string(), v.clone());
            }
        }
        merged.extend(replacement.clone());
        let mut merged = Value::Object(merged);
        rules::before_update(self, kind, current, &mut merged, &replacement)?;
        reorder_id_first(&mut merged);
        Ok(merged)
    }

    pub fn delete(&mut self, kind: &'static Kind, key: &str) -> Result<(), GraphError> {
        if !kind.can_delete {
            return Err(GraphError::method_not_allowed());
        }
        let id = self
            .find_id(kind, key)
            .ok_or_else(|| not_found(kind, key))?;
        rules::before_delete(self, kind, &id)?;
        if let Some(coll) = self.collections.get_mut(kind.entity) {
            coll.shift_remove(&id);
        }
        self.assignments.remove(&id);
        if kind.entity == "group" {
            // A Microsoft 365 group's Exchange face goes with it.
            crate::exchange::forget_group(self, &id);
        }
        Ok(())
    }

    /// `POST {id}/assign`: replaces the policy's assignments. Returns them.
    pub fn assign(
        &mut self,
        kind: &'static Kind,
        key: &str,
        body: Value,
        rng: &mut impl Rng,
    ) -> Result<Vec<Value>, GraphError> {
        let id = self
            .find_id(kind, key)
            .ok_or_else(|| not_found(kind, key))?;
        let style = kind.style;
        let parameter = assign_parameter(kind);
        let Some(items) = body.get(parameter).and_then(Value::as_array) else {
            return Err(GraphError::bad_request(
                style,
                format!("The request body must contain '{parameter}'."),
            ));
        };
        // A script's assign also takes its legacy group assignments (targetGroupId), which the
        // emulator accepts and does not keep.
        let also = match kind.entity {
            "deviceManagementScript" => "deviceManagementScriptGroupAssignments",
            _ => parameter,
        };
        if let Some(extra) = body
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != parameter && *k != also))
        {
            return Err(GraphError::bad_request(
                style,
                format!(
                    "The parameter '{extra}' in the request payload is not a valid parameter for the operation 'assign'."
                ),
            ));
        }
        let mut stored = Vec::new();
        for item in items {
            stored.push(self.new_assignment(kind, &id, item, rng)?);
        }
        // An object that says whether it is assigned (beta's mobileApp) says so from now on.
        if let Some(object) = self
            .collections
            .get_mut(kind.entity)
            .and_then(|c| c.get_mut(&id))
            .filter(|o| o.get("isAssigned").is_some())
        {
            object["isAssigned"] = json!(!stored.is_empty());
        }
        self.assignments.insert(id, stored.clone());
        Ok(stored)
    }

    /// One assignment as the service stores it, from a client's: checked against the kind's
    /// assignment type, its target's group looked up.
    fn new_assignment(
        &self,
        kind: &Kind,
        id: &str,
        item: &Value,
        rng: &mut impl Rng,
    ) -> Result<Value, GraphError> {
        let style = kind.style;
        kind.schema()
            .validate_object(assignment_type(kind), item, style)?;
        let target = item.get("target").cloned().unwrap_or(Value::Null);
        if target.is_null() {
            return Err(GraphError::bad_request(
                style,
                "An assignment must have a target.",
            ));
        }
        if let Some(group_id) = target.get("groupId").and_then(Value::as_str)
            && self.find(Kind::by_entity("group"), group_id).is_none()
        {
            return Err(GraphError::bad_request(
                style,
                format!("Group '{group_id}' was not found."),
            ));
        }
        let assignment_id = format!("{id}_{}", new_guid(rng));
        let mut assignment = json!({"id": assignment_id, "target": target});
        if kind.entity == "groupPolicyConfiguration" {
            // An administrative template's assignment says when it was made
            // (intune-grouppolicy-grouppolicyconfigurationassignment: lastModifiedDateTime).
            assignment["lastModifiedDateTime"] = json!(now_rfc3339());
        }
        if kind.entity == "mobileApp" {
            // An app's assignment says how it is installed (installIntent, not nullable).
            let intent = item.get("intent").filter(|i| !i.is_null()).ok_or_else(|| {
                GraphError::bad_request(style, "An app assignment must have an intent.")
            })?;
            assignment["intent"] = intent.clone();
            assignment["settings"] = item.get("settings").cloned().unwrap_or(Value::Null);
        }
        if kind.is_beta()
            && !matches!(
                kind.entity,
                "deviceManagementScript"
                    | "groupPolicyConfiguration"
                    | "appleUserInitiatedEnrollmentProfile"
            )
        {
            // The settings catalog's assignments say where they came from.
            assignment["source"] = json!("direct");
            assignment["sourceId"] = json!(id);
        }
        Ok(assignment)
    }

    /// `POST {id}/assignments` of a kind whose assignments are objects of their own
    /// ([`assigned_one_by_one`]): adds one. Returns it.
    pub fn add_assignment(
        &mut self,
        kind: &'static Kind,
        key: &str,
        body: Value,
        rng: &mut impl Rng,
    ) -> Result<Value, GraphError> {
        let id = self
            .find_id(kind, key)
            .ok_or_else(|| not_found(kind, key))?;
        let assignment = self.new_assignment(kind, &id, &body, rng)?;
        self.assignments
            .entry(id)
            .or_default()
            .push(assignment.clone());
        Ok(assignment)
    }

    /// `DELETE {id}/assignments/{assignment id}` of a kind whose assignments are objects of
    /// their own.
    pub fn remove_assignment(
        &mut self,
        kind: &'static Kind,
        key: &str,
        assignment_id: &str,
    ) -> Result<(), GraphError> {
        let id = self
            .find_id(kind, key)
            .ok_or_else(|| not_found(kind, key))?;
        let assigned = self.assignments.entry(id).or_default();
        let before = assigned.len();
        assigned.retain(|a| a["id"].as_str() != Some(assignment_id));
        if assigned.len() == before {
            return Err(GraphError::not_found(
                kind.style,
                format!(
                    "The {} with id '{assignment_id}' was not found.",
                    assignment_type(kind)
                ),
            ));
        }
        Ok(())
    }

    pub fn assignments_of(&self, kind: &Kind, key: &str) -> Result<Vec<Value>, GraphError> {
        let id = self
            .find_id(kind, key)
            .ok_or_else(|| not_found(kind, key))?;
        Ok(self.assignments.get(&id).cloned().unwrap_or_default())
    }
}

/// The parameter of an assignable kind's `assign` action that carries the assignments
/// (Microsoft's metadata: `mobileAppAssignments` for apps, `deviceManagementScriptAssignments`
/// for scripts (beta), `enrollmentConfigurationAssignments` for enrolment configurations
/// (intune-onboarding-deviceenrollmentconfiguration-assign), `assignments` for policies).
pub fn assign_parameter(kind: &Kind) -> &'static str {
    match kind.entity {
        "deviceEnrollmentConfiguration" => "enrollmentConfigurationAssignments",
        "mobileApp" => "mobileAppAssignments",
        "deviceManagementScript" => "deviceManagementScriptAssignments",
        _ => "assignments",
    }
}

/// Whether an assignable kind's assignments are objects of their own, created with
/// `POST {id}/assignments` and removed with `DELETE {id}/assignments/{id}`, with no `assign`
/// action taking them (Windows Autopilot deployment profiles, whose `assign` takes device ids:
/// intune-enrollment-windowsautopilotdeploymentprofileassignment-create/-delete; Apple enrolment
/// type profiles, which have no `assign`: intune-enrollment-appleenrollmentprofileassignment-
/// create/-delete).
pub fn assigned_one_by_one(kind: &Kind) -> bool {
    matches!(
        kind.entity,
        "windowsAutopilotDeploymentProfile" | "appleUserInitiatedEnrollmentProfile"
    )
}

/// The entity type of an assignable kind's assignments.
pub fn assignment_type(kind: &Kind) -> &'static str {
    match kind.entity {
        "windowsAutopilotDeploymentProfile" => "windowsAutopilotDeploymentProfileAssignment",
        "appleUserInitiatedEnrollmentProfile" => "appleEnrollmentProfileAssignment",
        "mobileApp" => "mobileAppAssignment",
        "deviceManagementScript" => "deviceManagementScriptAssignment",
        "deviceCompliancePolicy" => "deviceCompliancePolicyAssignment",
        "deviceEnrollmentConfiguration" => "enrollmentConfigurationAssignment",
        "deviceManagementConfigurationPolicy" => "deviceManagementConfigurationPolicyAssignment",
        "groupPolicyConfiguration" => "groupPolicyConfigurationAssignment",
        "iosManagedAppProtection" => "targetedManagedAppPolicyAssignment",
        _ => "deviceConfigurationAssignment",
    }
}

/// The password a user create or update sets.
fn new_password(kind: &Kind, obj: &Map<String, Value>) -> Option<String> {
    (kind.entity == "user")
        .then(|| {
            obj.get("passwordProfile")?
                .get("password")?
                .as_str()
                .map(str::to_string)
        })
        .flatten()
}

/// What Graph stores for the non-nullable properties an object of `entity` leaves out (by
/// v1.0's schema, then beta's for what only beta has).
fn store_defaults(entity: &str, value: &mut Value) {
    for table in [crate::kinds::KINDS, crate::kinds::BETA_KINDS] {
        if let Some(kind) = table.iter().find(|k| k.entity == entity) {
            kind.schema().fill_defaults(entity, value);
        }
    }
}

pub fn not_found(kind: &Kind, key: &str) -> GraphError {
    match kind.style {
        ErrorStyle::Directory => GraphError::not_found(
            kind.style,
            format!(
                "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
            ),
        ),
        ErrorStyle::Service => GraphError::not_found(
            kind.style,
            format!("The {} with id '{key}' was not found.", kind.entity),
        ),
    }
}

/// Parses a write body against the schema: it must be an object of the kind's type (or a
/// derived type named by `@odata.type`); server-set properties are dropped.
fn check_body(
    kind: &Kind,
    body: Value,
    current_type: Option<&str>,
) -> Result<Map<String, Value>, GraphError> {
    let style = kind.style;
    let Value::Object(mut obj) = body else {
        return Err(GraphError::bad_request(
            style,
            "The request body must be a JSON object.",
        ));
    };
    if kind.derived && !obj.contains_key("@odata.type") {
        return Err(GraphError::bad_request(
            style,
            format!(
                "A value without a type name was found and no expected type is available. The \
                 '@odata.type' property is required for '{}'.",
                kind.entity
            ),
        ));
    }
    let declared = current_type.unwrap_or(kind.entity);
    if let (Some(current), Some(sent)) =
        (current_type, obj.get("@odata.type").and_then(Value::as_str))
        && sent.trim_start_matches("#microsoft.graph.") != current
    {
        return Err(GraphError::bad_request(
            style,
            format!(
                "The '@odata.type' '{sent}' does not match the type of the existing object '#microsoft.graph.{current}'."
            ),
        ));
    }
    for prop in kind.server_props {
        obj.remove(*prop);
    }
    kind.schema().validate_object_except(
        declared,
        &Value::Object(obj.clone()),
        style,
        kind.inline_nav,
    )?;
    if !kind.derived {
        obj.remove("@odata.type");
    }
    Ok(obj)
}

/// Graph's PATCH: top-level and nested complex values merge; collections and primitives are
/// replaced.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match (t.get_mut(k), v) {
                    (Some(existing @ Value::Object(_)), Value::Object(_)) => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn reorder_id_first(value: &mut Value) {
    if let Value::Object(obj) = value {
        let mut out = Map::new();
        if let Some(t) = obj.remove("@odata.type") {
            out.insert("@odata.type".into(), t);
        }
        if let Some(id) = obj.remove("id") {
            out.insert("id".into(), id);
        }
        out.append(obj);
        *obj = out;
    }
}
