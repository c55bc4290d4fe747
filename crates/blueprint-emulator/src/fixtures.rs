//! Fixtures: declarations of tenants (id, domains, size class), their app registrations
//! (secrets, certificates, granted permissions) and the objects they already hold. Objects are
//! created through the same rules as a client's POST, so a fixture cannot hold what Graph
//! would refuse.

use std::path::Path;

use rand::Rng;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::generate_app_certificate;
use crate::kinds::{Kind, Shape};
use crate::tenant::{App, ClientSecret, SizeClass, Tenant, new_guid};

const BUILT_IN: &[(&str, &str)] = &[
    (
        "empty-agency",
        include_str!("../fixtures/empty-agency.yaml"),
    ),
    (
        "legacy-agency",
        include_str!("../fixtures/legacy-agency.yaml"),
    ),
];

/// The names of the fixtures compiled into the emulator.
pub fn built_in_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub tenants: Vec<TenantSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    pub domains: Vec<String>,
    #[serde(default)]
    pub size: SizeClass,
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    #[serde(default)]
    pub objects: Vec<ObjectSpec>,
    /// Directory roles held by the tenant's users or apps, e.g. an administrator who signs
    /// in to connect blueprint.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignmentSpec>,
    /// Exchange Online configuration made by hand before the blueprint arrived: cmdlets run
    /// in order on the new organisation, as an administrator would have run them.
    #[serde(default)]
    pub exchange: Vec<ExchangeCommandSpec>,
    /// Apple VPP tokens the tenant has uploaded and synced, with the apps their licences
    /// brought (crate::vpp).
    #[serde(default)]
    pub vpp_tokens: Vec<crate::vpp::VppTokenSpec>,
    /// Licences the tenant bought (`GET /subscribedSkus`), by SKU part number.
    #[serde(default)]
    pub subscriptions: Vec<crate::licensing::SubscriptionSpec>,
    /// Record sets of the tenant's public DNS zone that differ from what Microsoft asks for
    /// (crate::dns): each replaces the set of its name and type; no values remove it.
    #[serde(default)]
    pub dns: Vec<crate::dns::DnsRecordSet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeCommandSpec {
    pub cmdlet: String,
    #[serde(default)]
    pub parameters: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignmentSpec {
    /// A user's UPN (`{{domain}}` allowed) or an app's name.
    pub principal: String,
    /// The role's display name, e.g. `Global Administrator`.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub name: String,
    #[serde(default)]
    pub client_id: Option<String>,
    /// `true` (a valid secret), `false` (none), or `expired`.
    #[serde(default = "default_secret")]
    pub secret: SecretSpec,
    #[serde(default)]
    pub certificate: bool,
    #[serde(default)]
    pub permissions: Vec<String>,
}

fn default_secret() -> SecretSpec {
    SecretSpec::Flag(true)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SecretSpec {
    Flag(bool),
    Word(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSpec {
    /// The entity type, e.g. `group` or `conditionalAccessPolicy`.
    pub kind: String,
    /// A create body (collections).
    #[serde(default)]
    pub body: Option<Value>,
    /// A PATCH body (singletons, or with `id` an object the service made itself).
    #[serde(default)]
    pub patch: Option<Value>,
    /// The id of an object every tenant has from the start (Intune's default enrolment
    /// configurations), which `patch` changes by hand; `{{tenant}}` stands for the tenant's id.
    #[serde(default)]
    pub id: Option<String>,
    /// Made through Graph beta: an object of a type only beta has (Microsoft 365 Apps'
    /// `officeSuiteApp` among the Intune apps).
    #[serde(default)]
    pub beta: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("unknown fixture '{0}': built-in fixtures are {1}, or give the path of a YAML file")]
    Unknown(String, String),
    #[error("reading fixture {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("fixture {origin}: {message}")]
    Invalid { origin: String, message: String },
}

impl Fixture {
    /// A built-in fixture by name, or a YAML file by path.
    pub fn load(name_or_path: &str) -> Result<Fixture, FixtureError> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Fixture::parse(text, name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.extension().is_some() || path.exists() {
            let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
                path: name_or_path.to_string(),
                source,
            })?;
            return Fixture::parse(&text, name_or_path);
        }
        Err(FixtureError::Unknown(
            name_or_path.to_string(),
            built_in_names().join(", "),
        ))
    }

    pub fn parse(text: &str, origin: &str) -> Result<Fixture, FixtureError> {
        serde_saphyr::from_str(text).map_err(|e| FixtureError::Invalid {
            origin: origin.to_string(),
            message: e.to_string(),
        })
    }

    /// Builds the fixture's tenants: generates what it leaves to the emulator (ids, secrets,
    /// certificates) from `rng`, then creates its objects in order.
    pub fn build(&self, rng: &mut impl Rng) -> Result<Vec<Tenant>, FixtureError> {
        let invalid = |message: String| FixtureError::Invalid {
            origin: self.name.clone(),
            message,
        };
        let mut tenants = Vec::new();
        for spec in &self.tenants {
            if spec.domains.is_empty() {
                return Err(invalid(format!(
                    "tenant '{}' needs at least one domain",
                    spec.name
                )));
            }
            let id = spec.id.clone().unwrap_or_else(|| new_guid(rng));
            let mut tenant = Tenant::new(id, spec.name.clone(), spec.domains.clone(), spec.size);
            for app in &spec.apps {
                tenant.apps.push(build_app(app, rng).map_err(&invalid)?);
            }
            for (i, object) in spec.objects.iter().enumerate() {
                create_object(&mut tenant, object, rng).map_err(|m| {
                    invalid(format!(
                        "tenant '{}', object {} ({}): {m}",
                        spec.name,
                        i + 1,
                        object.kind
                    ))
                })?;
            }
            for subscription in &spec.subscriptions {
                crate::licensing::subscribe(&mut tenant, subscription)
                    .map_err(|m| invalid(format!("tenant '{}', subscription: {m}", spec.name)))?;
            }
            for token in &spec.vpp_tokens {
                sync_vpp_token(&mut tenant, token, rng).map_err(|m| {
                    invalid(format!(
                        "tenant '{}', VPP token of {}: {m}",
                        spec.name, token.organization
                    ))
                })?;
            }
            for set in &spec.dns {
                crate::dns::set(&mut tenant, set.clone()).map_err(|m| {
                    invalid(format!(
                        "tenant '{}', DNS record {}: {m}",
                        spec.name, set.name
                    ))
                })?;
            }
            crate::exchange::install_defaults(&mut tenant, rng);
            for (i, command) in spec.exchange.iter().enumerate() {
                let parameters = app_placeholders(&tenant, &command.parameters);
                crate::exchange::execute(&mut tenant, &command.cmdlet, &parameters, rng).map_err(
                    |e| {
                        invalid(format!(
                            "tenant '{}', exchange command {} ({}): {}",
                            spec.name,
                            i + 1,
                            command.cmdlet,
                            e.message
                        ))
                    },
                )?;
            }
            for r in &spec.role_assignments {
                assign_role(&mut tenant, r, rng).map_err(|m| {
                    invalid(format!(
                        "tenant '{}', role assignment {}: {m}",
                        spec.name, r.principal
                    ))
                })?;
            }
            tenant.store_defaults();
            tenants.push(tenant);
        }
        Ok(tenants)
    }
}

/// A secret in the shape Entra generates (`xxx8Q~` followed by 34 characters).
fn generate_secret(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";
    let mut pick = |n: usize| -> String {
        (0..n)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect()
    };
    format!("{}8Q~{}", pick(3), pick(34))
}

fn build_app(spec: &AppSpec, rng: &mut impl Rng) -> Result<App, String> {
    let client_id = spec.client_id.clone().unwrap_or_else(|| new_guid(rng));
    let now = time::OffsetDateTime::now_utc();
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let secrets = match &spec.secret {
        SecretSpec::Flag(false) => vec![],
        SecretSpec::Flag(true) => vec![ClientSecret {
            value: generate_secret(rng),
            expires: rfc(now + time::Duration::days(365)),
        }],
        SecretSpec::Word(w) if w == "expired" => vec![ClientSecret {
            value: generate_secret(rng),
            expires: rfc(now - time::Duration::days(30)),
        }],
        SecretSpec::Word(other) => {
            return Err(format!(
                "app '{}': secret must be true, false or expired, not '{other}'",
                spec.name
            ));
        }
    };
    let certificates = if spec.certificate {
        vec![generate_app_certificate(&spec.name)?]
    } else {
        vec![]
    };
    Ok(App {
        display_name: spec.name.clone(),
        client_id,
        secrets,
        certificates,
        permissions: spec.permissions.clone(),
        object_id: new_guid(rng),
        sp_id: new_guid(rng),
        extra: serde_json::Map::new(),
    })
}

/// An Exchange command's string parameters with `{{app-id:NAME}}` and `{{sp-id:NAME}}`
/// replaced by the client id and the service principal's object id of the fixture's app NAME
/// (what New-ServicePrincipal takes).
fn app_placeholders(
    tenant: &Tenant,
    parameters: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let fill = |text: &str| {
        let mut out = text.to_string();
        for app in &tenant.apps {
            out = out
                .replace(
                    &format!("{{{{app-id:{}}}}}", app.display_name),
                    &app.client_id,
                )
                .replace(&format!("{{{{sp-id:{}}}}}", app.display_name), &app.sp_id);
        }
        out
    };
    parameters
        .iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => serde_json::Value::String(fill(s)),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn assign_role(
    tenant: &mut Tenant,
    spec: &RoleAssignmentSpec,
    rng: &mut impl Rng,
) -> Result<(), String> {
    let principal = spec
        .principal
        .replace("{{domain}}", tenant.initial_domain());
    let principal_id = match tenant.find(Kind::by_entity("user"), &principal) {
        Some(user) => user["id"].as_str().unwrap_or_default().to_string(),
        None => tenant
            .apps
            .iter()
            .find(|a| a.display_name == principal)
            .map(|a| a.sp_id.clone())
            .ok_or_else(|| format!("no user or app named '{principal}'"))?,
    };
    let role_id = tenant
        .items(Kind::by_entity("directoryRoleTemplate"))
        .find(|r| r["displayName"].as_str() == Some(spec.role.as_str()))
        .and_then(|r| r["id"].as_str())
        .ok_or_else(|| format!("no directory role named '{}'", spec.role))?
        .to_string();
    tenant.role_assignments.push(crate::tenant::RoleAssignment {
        id: new_guid(rng),
        principal_id,
        role_definition_id: role_id,
        directory_scope_id: "/".into(),
    });
    Ok(())
}

fn create_object(tenant: &mut Tenant, spec: &ObjectSpec, rng: &mut impl Rng) -> Result<(), String> {
    // v1.0's kinds first: an entity both versions serve is seeded through v1.0, unless the
    // object is beta's.
    let (first, then) = if spec.beta {
        (crate::kinds::BETA_KINDS, crate::kinds::KINDS)
    } else {
        (crate::kinds::KINDS, crate::kinds::BETA_KINDS)
    };
    let kind = first
        .iter()
        .chain(then)
        .find(|k| k.entity == spec.kind)
        .ok_or_else(|| format!("unknown kind '{}'", spec.kind))?;
    let password = format!("Fx-{}!a9", new_guid(rng));
    match (kind.shape, &spec.body, &spec.patch) {
        (Shape::Collection, None, Some(patch)) if spec.id.is_some() => {
            let id = spec.id.as_deref().unwrap_or_default();
            let id = id.replace("{{tenant}}", &tenant.id);
            let patch = substitute(tenant, patch, &password)?;
            tenant
                .update(kind, Some(&id), patch)
                .map_err(|e| e.message)?;
        }
        (Shape::Collection, Some(body), None) => {
            let body = substitute(tenant, body, &password)?;
            // What a client cannot create, the service made (an Apple enrolment program
            // token, from the token Apple issued).
            let created = if kind.can_create {
                tenant.create(kind, body.clone(), rng)
            } else {
                tenant.seed(kind, body.clone(), rng)
            }
            .map_err(|e| e.message)?;
            if let (Some(upn), Some(p)) = (
                created["userPrincipalName"].as_str(),
                body["passwordProfile"]["password"].as_str(),
            ) {
                tenant
                    .fixture_passwords
                    .insert(upn.to_ascii_lowercase(), p.to_string());
            }
        }
        (Shape::Singleton, None, Some(patch)) => {
            let patch = substitute(tenant, patch, &password)?;
            tenant.update(kind, None, patch).map_err(|e| e.message)?;
        }
        (Shape::Collection, _, _) => {
            return Err(
                "a collection object needs 'body', or 'id' and 'patch' for one the service made"
                    .into(),
            );
        }
        (Shape::Singleton, _, _) => return Err("a singleton needs 'patch' (and no 'body')".into()),
    }
    Ok(())
}

/// Stores a synced VPP token and its apps, then what an administrator did to the apps by hand
/// (through the same rules as a client's PATCH and `assign`).
fn sync_vpp_token(
    tenant: &mut Tenant,
    token: &crate::vpp::VppTokenSpec,
    rng: &mut impl Rng,
) -> Result<(), String> {
    crate::vpp::sync(tenant, token, rng)?;
    let kind = Kind::by_entity("mobileApp");
    let password = String::new();
    for app in &token.apps {
        if app.patch.is_none() && app.assignments.is_empty() {
            continue;
        }
        let id = tenant
            .items(kind)
            .find(|a| a["bundleId"] == app.bundle_id.as_str())
            .and_then(|a| a["id"].as_str())
            .ok_or_else(|| format!("app {} did not sync (is the token valid?)", app.bundle_id))?
            .to_string();
        if let Some(patch) = &app.patch {
            let mut patch = substitute(tenant, patch, &password)?;
            patch["@odata.type"] = "#microsoft.graph.iosVppApp".into();
            tenant
                .update(kind, Some(&id), patch)
                .map_err(|e| format!("{}: {}", app.bundle_id, e.message))?;
        }
        if !app.assignments.is_empty() {
            let items = substitute(tenant, &Value::Array(app.assignments.clone()), &password)?;
            let body = serde_json::json!({ crate::tenant::assign_parameter(kind): items });
            tenant
                .assign(kind, &id, body, rng)
                .map_err(|e| format!("{}: {}", app.bundle_id, e.message))?;
        }
    }
    Ok(())
}

/// Replaces `{{domain}}`, `{{password}}` and `{{id:KIND:NAME}}` (the id of an earlier object
/// by display name, or a user by UPN) in every string of `value`.
fn substitute(tenant: &Tenant, value: &Value, password: &str) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            let mut s = s
                .replace("{{domain}}", tenant.initial_domain())
                .replace("{{password}}", password);
            while let Some(start) = s.find("{{id:") {
                let end = s[start..].find("}}").ok_or("unclosed {{id:…}}")? + start;
                let reference = &s[start + 5..end];
                let (kind_name, key) = reference
                    .split_once(':')
                    .ok_or_else(|| format!("'{reference}' should be KIND:NAME"))?;
                let kind = Kind::by_entity_opt(kind_name)
                    .ok_or_else(|| format!("unknown kind '{kind_name}' in reference"))?;
                let id = tenant
                    .items(kind)
                    .find(|o| {
                        o["displayName"].as_str() == Some(key)
                            || o["userPrincipalName"]
                                .as_str()
                                .is_some_and(|u| u.eq_ignore_ascii_case(key))
                    })
                    .and_then(|o| o["id"].as_str())
                    .ok_or_else(|| format!("no {kind_name} named '{key}' before this object"))?
                    .to_string();
                s.replace_range(start..end + 2, &id);
            }
            Value::String(s)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute(tenant, i, password))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(tenant, v, password)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}
