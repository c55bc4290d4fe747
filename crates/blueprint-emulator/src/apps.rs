//! Applications, service principals and who may do what: `/applications` (with
//! `keyCredentials`), `/servicePrincipals` (the tenant's apps and Microsoft's first-party
//! Graph and Exchange Online), `appRoleAssignedTo` (a grant of an application permission: what
//! admin consent does), `/roleManagement/directory/roleAssignments` and `roleDefinitions`
//! (directory roles), and `/me` for a signed-in user.
//!
//! A tenant's [`App`] is both its application object and its service principal; its granted
//! permissions are the app role assignments, and its tokens' `roles` and `wids` are read from
//! them when the token is issued.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::error::{ErrorStyle, GraphError};
use crate::first_party;
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin, Query};
use crate::tenant::{App, Certificate, RoleAssignment, Tenant, new_guid, now_rfc3339};

const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

// Permissions per operation, from each operation's "Permissions" table in Microsoft's Graph
// reference (application-list, application-post-applications, application-update,
// serviceprincipal-list, serviceprincipal-post-serviceprincipals,
// serviceprincipal-post-approleassignedto, rbacapplication-list-roleassignments,
// rbacapplication-post-roleassignments, rbacapplication-list-roledefinitions).
const APPLICATION_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APPLICATION_WRITE: &[&str] = &["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"];
const SERVICE_PRINCIPAL_WRITE: &[&str] = &[
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// Granting an app role: "AppRoleAssignment.ReadWrite.All and Application.Read.All".
const GRANT: &[&str] = &["AppRoleAssignment.ReadWrite.All"];
const GRANT_ALSO: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
];
const ROLE_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ROLE_WRITE: &[&str] = &["RoleManagement.ReadWrite.Directory"];

fn require(caller: &Caller, any_of: &[&str]) -> Result<(), GraphError> {
    if caller
        .permissions()
        .iter()
        .any(|p| any_of.contains(&p.as_str()))
    {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

/// A signed-in user must also hold a role that may grant Microsoft Graph app roles and
/// directory roles: Global Administrator or Privileged Role Administrator (Cloud and
/// Application Administrators may consent to anything except Graph's app roles).
fn require_privileged_admin(caller: &Caller) -> Result<(), GraphError> {
    if caller.user_id.is_none()
        || caller.holds_role(GLOBAL_ADMINISTRATOR)
        || caller.holds_role(PRIVILEGED_ROLE_ADMINISTRATOR)
    {
        Ok(())
    } else {
        Err(GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation. The signed-in user needs the Global Administrator or Privileged Role Administrator role.",
        ))
    }
}

/// Serves the request when it is one of this module's routes.
pub fn execute(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
    query: &Query,
) -> Result<Option<GraphResponse>, GraphError> {
    let Some(first) = segs.first() else {
        return Ok(None);
    };
    let (collection, key) = split_key(first);
    let method = req.method.to_ascii_uppercase();
    let Some(tenant) = em.tenant(&caller.tenant_id) else {
        return Err(GraphError::unauthenticated("Unknown tenant."));
    };
    let mut t = tenant.lock().expect("tenant lock");
    let rest = &segs[1..];
    // `{collection}/{id}/…` or `{collection}(appId='…')/…`.
    let (key, rest) = match key {
        Some(k) => (Some(k), rest),
        None => match rest.split_first() {
            Some((id, more)) => (Some(Lookup::Id(id.to_string())), more),
            None => (None, rest),
        },
    };
    let response = match collection.to_ascii_lowercase().as_str() {
        "applications" => applications(em, caller, origin, req, query, &mut t, key, rest, &method)?,
        "serviceprincipals" => {
            service_principals(em, caller, origin, req, query, &mut t, key, rest, &method)?
        }
        "rolemanagement" => match (&key, rest) {
            (Some(Lookup::Id(dir)), [what]) if dir.eq_ignore_ascii_case("directory") => {
                role_management(em, caller, origin, req, query, &mut t, what, &method)?
            }
            _ => return Ok(None),
        },
        "me" if key.is_none() && method == "GET" => {
            let Some(user_id) = &caller.user_id else {
                return Err(GraphError::new(
                    400,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                ));
            };
            let user = t
                .find(crate::kinds::Kind::by_entity("user"), user_id)
                .cloned()
                .ok_or_else(|| GraphError::not_found(ErrorStyle::Directory, "No such user."))?;
            let mut v = json!({
                "@odata.context": format!("{}/v1.0/$metadata#users/$entity", origin.base_url),
            });
            for k in ["id", "displayName", "userPrincipalName", "mail"] {
                v[k] = user[k].clone();
            }
            GraphResponse::json(200, v)
        }
        _ => return Ok(None),
    };
    Ok(Some(response))
}

/// How a collection item is addressed: `{id}` or `(appId='…')`.
#[derive(Debug, Clone)]
enum Lookup {
    Id(String),
    AppId(String),
}

fn split_key(segment: &str) -> (&str, Option<Lookup>) {
    match segment.split_once('(') {
        Some((name, rest)) => {
            let inner = rest.trim_end_matches(')');
            let value = inner
                .split_once('=')
                .map(|(_, v)| v)
                .unwrap_or(inner)
                .trim_matches('\'');
            let lookup = if inner.to_ascii_lowercase().starts_with("appid=") {
                Lookup::AppId(value.to_string())
            } else {
                Lookup::Id(value.to_string())
            };
            (name, Some(lookup))
        }
        None => (segment, None),
    }
}

fn collection(
    origin: &Origin,
    path: &str,
    items: Vec<Value>,
    query: &Query,
) -> Result<GraphResponse, GraphError> {
    let items = filtered(items, query)?;
    Ok(GraphResponse::json(
        200,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#{path}", origin.base_url),
            "value": items,
        }),
    ))
}

fn filtered(items: Vec<Value>, query: &Query) -> Result<Vec<Value>, GraphError> {
    let filter = match &query.filter {
        Some(text) => Some(crate::odata::parse_filter(text).map_err(|e| {
            GraphError::new(
                400,
                "Request_BadRequest",
                format!("Invalid filter clause: {e}"),
            )
        })?),
        None => None,
    };
    Ok(items
        .into_iter()
        .filter(|i| filter.as_ref().is_none_or(|f| f.matches(i)))
        .map(|i| select(i, query))
        .collect())
}

fn select(mut item: Value, query: &Query) -> Value {
    if let (Some(select), Value::Object(obj)) = (&query.select, &mut item) {
        obj.retain(|k, _| select.iter().any(|s| s == k));
    }
    item
}

fn entity(origin: &Origin, path: &str, mut v: Value, query: &Query) -> GraphResponse {
    v = select(v, query);
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#{path}/$entity", origin.base_url)),
    );
    if let Value::Object(obj) = v {
        out.extend(obj);
    }
    GraphResponse::json(200, Value::Object(out))
}

fn application_json(app: &App) -> Value {
    let mut v = json!({
        "id": app.object_id,
        "appId": app.client_id,
        "displayName": app.display_name,
        "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": [],
        "tags": [],
        "keyCredentials": app.certificates.iter().map(key_credential_json).collect::<Vec<_>>(),
        "passwordCredentials": app.secrets.iter().map(|s| json!({
            "displayName": null,
            "endDateTime": s.expires,
            "hint": s.value.chars().take(3).collect::<String>(),
            "keyId": uuid_from(&s.value),
            "secretText": null,
        })).collect::<Vec<_>>(),
    });
    for (k, val) in &app.extra {
        v[k] = val.clone();
    }
    v
}

fn key_credential_json(c: &Certificate) -> Value {
    let thumb_hex = STANDARD.decode(&c.der_b64).ok().map(|der| {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        d.as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    });
    json!({
        "customKeyIdentifier": thumb_hex,
        "displayName": null,
        "endDateTime": if c.end.is_empty() { Value::Null } else { json!(c.end) },
        "key": null,
        "keyId": if c.key_id.is_empty() { uuid_from(&c.x5t_s256) } else { c.key_id.clone() },
        "startDateTime": null,
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    })
}

/// A stable GUID for something that has none of its own.
fn uuid_from(seed: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn sp_json(t: &Tenant, app: &App) -> Value {
    json!({
        "id": app.sp_id,
        "appId": app.client_id,
        "displayName": app.display_name,
        "appDisplayName": app.display_name,
        "appOwnerOrganizationId": t.id,
        "servicePrincipalType": "Application",
        "accountEnabled": true,
        "appRoles": [],
        "oauth2PermissionScopes": [],
        "keyCredentials": [],
        "passwordCredentials": [],
        "tags": [],
    })
}

fn all_service_principals(t: &Tenant) -> Vec<Value> {
    first_party::resource_app_ids()
        .filter_map(|id| first_party::service_principal(&t.id, id))
        .chain(
            t.apps
                .iter()
                .filter(|a| !a.sp_id.is_empty())
                .map(|a| sp_json(t, a)),
        )
        .collect()
}

fn find_app<'a>(t: &'a mut Tenant, key: &Lookup) -> Option<&'a mut App> {
    t.apps.iter_mut().find(|a| match key {
        Lookup::Id(id) => a.object_id.eq_ignore_ascii_case(id),
        Lookup::AppId(id) => a.client_id.eq_ignore_ascii_case(id),
    })
}

fn not_found(key: &Lookup) -> GraphError {
    let text = match key {
        Lookup::Id(id) | Lookup::AppId(id) => id,
    };
    GraphError::not_found(
        ErrorStyle::Directory,
        format!(
            "Resource '{text}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn body(req: &GraphRequest) -> Result<Map<String, Value>, GraphError> {
    match &req.body {
        Some(Value::Object(o)) => Ok(o.clone()),
        _ => Err(GraphError::bad_request(
            ErrorStyle::Directory,
            "Empty Payload. JSON content expected.",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn applications(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    query: &Query,
    t: &mut Tenant,
    key: Option<Lookup>,
    rest: &[&str],
    method: &str,
) -> Result<GraphResponse, GraphError> {
    match (key, rest, method) {
        (None, [], "GET") => {
            require(caller, APPLICATION_READ)?;
            let items = t.apps.iter().map(application_json).collect();
            collection(origin, "applications", items, query)
        }
        (None, [], "POST") => {
            require(caller, APPLICATION_WRITE)?;
            let mut body = body(req)?;
            let name = body
                .remove("displayName")
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| {
                    GraphError::bad_request(
                        ErrorStyle::Directory,
                        "Property 'displayName' is required.",
                    )
                })?;
            let keys = body.remove("keyCredentials");
            for k in ["id", "appId", "passwordCredentials"] {
                body.remove(k);
            }
            let (client_id, object_id) = em.with_rng(|rng| (new_guid(rng), new_guid(rng)));
            let mut app = App {
                display_name: name,
                client_id,
                secrets: Vec::new(),
                certificates: Vec::new(),
                permissions: Vec::new(),
                object_id,
                sp_id: String::new(),
                extra: body,
            };
            if let Some(keys) = keys {
                app.certificates = key_credentials(&keys, &[])?;
            }
            let v = application_json(&app);
            t.apps.push(app);
            em.mark_dirty();
            let mut resp = entity(origin, "applications", v, &Query::default());
            resp.status = 201;
            Ok(resp)
        }
        (Some(key), [], "GET") => {
            require(caller, APPLICATION_READ)?;
            let app = find_app(t, &key).ok_or_else(|| not_found(&key))?;
            Ok(entity(origin, "applications", application_json(app), query))
        }
        (Some(key), [], "PATCH") => {
            require(caller, APPLICATION_WRITE)?;
            let mut body = body(req)?;
            let app = find_app(t, &key).ok_or_else(|| not_found(&key))?;
            if let Some(keys) = body.remove("keyCredentials") {
                app.certificates = key_credentials(&keys, &app.certificates)?;
            }
            if let Some(name) = body.remove("displayName") {
                app.display_name = name.as_str().unwrap_or_default().to_string();
            }
            for k in ["id", "appId", "passwordCredentials"] {
                body.remove(k);
            }
            app.extra.extend(body);
            em.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (Some(key), [], "DELETE") => {
            require(caller, APPLICATION_WRITE)?;
            let before = t.apps.len();
            t.apps.retain(|a| match &key {
                Lookup::Id(id) => !a.object_id.eq_ignore_ascii_case(id),
                Lookup::AppId(id) => !a.client_id.eq_ignore_ascii_case(id),
            });
            if t.apps.len() == before {
                return Err(not_found(&key));
            }
            em.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (_, [], _) => Err(GraphError::method_not_allowed()),
        (_, [.., last], _) => Err(GraphError::unknown_segment(last)),
    }
}

/// `keyCredentials` as a PATCH replaces them: each entry a certificate (`key`, base64 DER) or
/// an existing one named by `keyId`. Only the public certificate ever reaches the directory.
fn key_credentials(
    value: &Value,
    existing: &[Certificate],
) -> Result<Vec<Certificate>, GraphError> {
    let bad = |m: String| GraphError::bad_request(ErrorStyle::Directory, m);
    let Some(items) = value.as_array() else {
        return Err(bad("Property 'keyCredentials' must be a collection.".into()));
    };
    let mut out = Vec::new();
    for item in items {
        let key_id = item["keyId"].as_str().unwrap_or_default().to_string();
        let Some(key) = item["key"].as_str().filter(|k| !k.is_empty()) else {
            match existing
                .iter()
                .find(|c| !key_id.is_empty() && c.key_id.eq_ignore_ascii_case(&key_id))
            {
                Some(c) => {
                    out.push(c.clone());
                    continue;
                }
                None => {
                    return Err(bad(
                        "Property 'key' is required for a new key credential.".into()
                    ));
                }
            }
        };
        if item["type"].as_str() != Some("AsymmetricX509Cert") {
            return Err(bad(
                "Only key credentials of type 'AsymmetricX509Cert' are supported.".into(),
            ));
        }
        if item["usage"].as_str() != Some("Verify") {
            return Err(bad(
                "A certificate for client authentication must have usage 'Verify'.".into(),
            ));
        }
        let der = STANDARD
            .decode(key.trim())
            .map_err(|_| bad("Property 'key' is not valid base64.".into()))?;
        if der.windows(11).any(|w| w == b"PRIVATE KEY") {
            return Err(bad(
                "Upload the certificate only, never its private key.".into()
            ));
        }
        let (_, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|_| bad("Property 'key' is not a DER-encoded X.509 certificate.".into()))?;
        let not_after = cert.validity().not_after.timestamp();
        if not_after <= time::OffsetDateTime::now_utc().unix_timestamp() {
            return Err(bad("Key credential end date is invalid.".into()));
        }
        let spki = cert.public_key().raw;
        let end = time::OffsetDateTime::from_unix_timestamp(not_after)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        out.push(Certificate {
            cert_pem: crate::auth::pem_wrap("CERTIFICATE", &der),
            key_pem: String::new(),
            x5t: crate::auth::thumbprint_sha1(&der),
            x5t_s256: crate::auth::thumbprint_s256(&der),
            public_key_pem: crate::auth::pem_wrap("PUBLIC KEY", spki),
            key_id: if key_id.is_empty() {
                uuid_from(&crate::auth::thumbprint_s256(&der))
            } else {
                key_id
            },
            end,
            der_b64: STANDARD.encode(&der),
        });
    }
    Ok(out)
}

/// The app whose service principal has object id `sp_id`.
fn app_by_sp<'a>(t: &'a mut Tenant, sp_id: &str) -> Option<&'a mut App> {
    t.apps
        .iter_mut()
        .find(|a| !a.sp_id.is_empty() && a.sp_id.eq_ignore_ascii_case(sp_id))
}

/// The first-party resource a service principal id or appId lookup names.
fn first_party_app_id(t: &Tenant, key: &Lookup) -> Option<&'static str> {
    first_party::resource_app_ids().find(|app_id| match key {
        Lookup::AppId(id) => id.eq_ignore_ascii_case(app_id),
        Lookup::Id(id) => first_party::sp_object_id(&t.id, app_id).eq_ignore_ascii_case(id),
    })
}

fn assignment_json(t: &Tenant, app: &App, permission: &str) -> Option<Value> {
    let resource = first_party::resource_of(permission)?;
    let resource_sp = first_party::service_principal(&t.id, resource)?;
    Some(json!({
        "id": uuid_from(&format!("{}/{permission}", app.sp_id)),
        "appRoleId": first_party::role_id(permission),
        "createdDateTime": now_rfc3339(),
        "principalDisplayName": app.display_name,
        "principalId": app.sp_id,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource_sp["displayName"],
        "resourceId": resource_sp["id"],
    }))
}

#[allow(clippy::too_many_arguments)]
fn service_principals(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    query: &Query,
    t: &mut Tenant,
    key: Option<Lookup>,
    rest: &[&str],
    method: &str,
) -> Result<GraphResponse, GraphError> {
    match (key, rest, method) {
        (None, [], "GET") => {
            require(caller, APPLICATION_READ)?;
            collection(
                origin,
                "servicePrincipals",
                all_service_principals(t),
                query,
            )
        }
        (None, [], "POST") => {
            require(caller, SERVICE_PRINCIPAL_WRITE)?;
            let body = body(req)?;
            let app_id = body["appId"].as_str().unwrap_or_default().to_string();
            let sp_id = em.with_rng(new_guid);
            let app = t
                .apps
                .iter_mut()
                .find(|a| a.client_id.eq_ignore_ascii_case(&app_id))
                .ok_or_else(|| {
                    GraphError::bad_request(
                        ErrorStyle::Directory,
                        format!("The appId '{app_id}' of the service principal does not reference a valid application object."),
                    )
                })?;
            if !app.sp_id.is_empty() {
                return Err(GraphError::new(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "The service principal cannot be created, updated, or restored because the service principal name you provided is already in use.",
                ));
            }
            app.sp_id = sp_id;
            let app = app.clone();
            em.mark_dirty();
            let mut resp = entity(
                origin,
                "servicePrincipals",
                sp_json(t, &app),
                &Query::default(),
            );
            resp.status = 201;
            Ok(resp)
        }
        (Some(key), [], "GET") => {
            require(caller, APPLICATION_READ)?;
            let v = match first_party_app_id(t, &key) {
                Some(app_id) => first_party::service_principal(&t.id, app_id),
                None => {
                    let sp = match &key {
                        Lookup::Id(id) => app_by_sp(t, id).map(|a| a.clone()),
                        Lookup::AppId(id) => t
                            .apps
                            .iter()
                            .find(|a| a.client_id.eq_ignore_ascii_case(id) && !a.sp_id.is_empty())
                            .cloned(),
                    };
                    sp.map(|a| sp_json(t, &a))
                }
            };
            let v = v.ok_or_else(|| not_found(&key))?;
            Ok(entity(origin, "servicePrincipals", v, query))
        }
        (Some(key), [nav], "GET")
            if nav.eq_ignore_ascii_case("appRoleAssignedTo")
                || nav.eq_ignore_ascii_case("appRoleAssignments") =>
        {
            let mut allowed: Vec<&str> = APPLICATION_READ.to_vec();
            allowed.extend(GRANT);
            require(caller, &allowed)?;
            let items: Vec<Value> = if nav.eq_ignore_ascii_case("appRoleAssignedTo") {
                let resource = first_party_app_id(t, &key).ok_or_else(|| not_found(&key))?;
                t.apps
                    .iter()
                    .filter(|a| !a.sp_id.is_empty())
                    .flat_map(|a| {
                        a.permissions
                            .iter()
                            .filter(|p| first_party::resource_of(p) == Some(resource))
                            .filter_map(|p| assignment_json(t, a, p))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            } else {
                let id = match &key {
                    Lookup::Id(id) => id.clone(),
                    Lookup::AppId(app_id) => {
                        t.app(app_id).map(|a| a.sp_id.clone()).unwrap_or_default()
                    }
                };
                let app = t
                    .apps
                    .iter()
                    .find(|a| !a.sp_id.is_empty() && a.sp_id.eq_ignore_ascii_case(&id))
                    .ok_or_else(|| not_found(&key))?;
                app.permissions
                    .iter()
                    .filter_map(|p| assignment_json(t, app, p))
                    .collect()
            };
            collection(
                origin,
                &format!(
                    "servicePrincipals('{}')/{nav}",
                    match &key {
                        Lookup::Id(i) | Lookup::AppId(i) => i,
                    }
                ),
                items,
                query,
            )
        }
        (Some(key), [nav], "POST") if nav.eq_ignore_ascii_case("appRoleAssignedTo") => {
            require(caller, GRANT)?;
            require(caller, GRANT_ALSO)?;
            require_privileged_admin(caller)?;
            let resource = first_party_app_id(t, &key).ok_or_else(|| not_found(&key))?;
            let body = body(req)?;
            let resource_sp_id = first_party::sp_object_id(&t.id, resource);
            if !body["resourceId"]
                .as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case(&resource_sp_id))
            {
                return Err(GraphError::bad_request(
                    ErrorStyle::Directory,
                    "The 'resourceId' must be the service principal named in the request URL.",
                ));
            }
            let role_id = body["appRoleId"].as_str().unwrap_or_default();
            let Some(permission) = first_party::role_value(resource, role_id) else {
                return Err(GraphError::bad_request(
                    ErrorStyle::Directory,
                    "Permission being assigned was not found on application",
                ));
            };
            let principal = body["principalId"].as_str().unwrap_or_default().to_string();
            let app = app_by_sp(t, &principal).ok_or_else(|| {
                GraphError::not_found(
                    ErrorStyle::Directory,
                    format!("Resource '{principal}' does not exist or one of its queried reference-property objects are not present."),
                )
            })?;
            if app.permissions.iter().any(|p| p == permission) {
                return Err(GraphError::bad_request(
                    ErrorStyle::Directory,
                    "Permission being assigned already exists on the object",
                ));
            }
            app.permissions.push(permission.to_string());
            let app = app.clone();
            em.mark_dirty();
            let v = assignment_json(t, &app, permission).unwrap_or(Value::Null);
            let mut resp = entity(
                origin,
                "servicePrincipals/appRoleAssignedTo",
                v,
                &Query::default(),
            );
            resp.status = 201;
            Ok(resp)
        }
        (_, [], _) => Err(GraphError::method_not_allowed()),
        (_, [.., last], _) => Err(GraphError::unknown_segment(last)),
    }
}

fn role_assignment_json(r: &RoleAssignment) -> Value {
    json!({
        "id": r.id,
        "principalId": r.principal_id,
        "roleDefinitionId": r.role_definition_id,
        "directoryScopeId": r.directory_scope_id,
    })
}

#[allow(clippy::too_many_arguments)]
fn role_management(
    em: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    query: &Query,
    t: &mut Tenant,
    what: &str,
    method: &str,
) -> Result<GraphResponse, GraphError> {
    let templates = crate::kinds::Kind::by_entity("directoryRoleTemplate");
    match (what.to_ascii_lowercase().as_str(), method) {
        ("roledefinitions", "GET") => {
            require(caller, ROLE_READ)?;
            let items = t
                .items(templates)
                .map(|r| {
                    json!({
                        "id": r["id"],
                        "templateId": r["id"],
                        "displayName": r["displayName"],
                        "description": r["description"],
                        "isBuiltIn": true,
                        "isEnabled": true,
                    })
                })
                .collect();
            collection(
                origin,
                "roleManagement/directory/roleDefinitions",
                items,
                query,
            )
        }
        ("roleassignments", "GET") => {
            require(caller, ROLE_READ)?;
            let items = t
                .role_assignments
                .iter()
                .map(role_assignment_json)
                .collect();
            collection(
                origin,
                "roleManagement/directory/roleAssignments",
                items,
                query,
            )
        }
        ("roleassignments", "POST") => {
            require(caller, ROLE_WRITE)?;
            require_privileged_admin(caller)?;
            let body = body(req)?;
            let principal = body["principalId"].as_str().unwrap_or_default().to_string();
            let role = body["roleDefinitionId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let scope = body["directoryScopeId"].as_str().unwrap_or("/").to_string();
            if t.find(templates, &role).is_none() {
                return Err(GraphError::bad_request(
                    ErrorStyle::Directory,
                    format!("The role definition '{role}' does not exist."),
                ));
            }
            let is_user = t
                .find(crate::kinds::Kind::by_entity("user"), &principal)
                .is_some();
            let is_sp = t
                .apps
                .iter()
                .any(|a| !a.sp_id.is_empty() && a.sp_id.eq_ignore_ascii_case(&principal));
            if !is_user && !is_sp {
                return Err(GraphError::bad_request(
                    ErrorStyle::Directory,
                    format!("The principal '{principal}' does not exist."),
                ));
            }
            if t.role_assignments.iter().any(|r| {
                r.principal_id.eq_ignore_ascii_case(&principal)
                    && r.role_definition_id.eq_ignore_ascii_case(&role)
                    && r.directory_scope_id == scope
            }) {
                return Err(GraphError::new(
                    409,
                    "Request_BadRequest",
                    "A conflicting object with one or more of the specified property values is present in the directory.",
                ));
            }
            let assignment = RoleAssignment {
                id: em.with_rng(new_guid),
                principal_id: principal,
                role_definition_id: role,
                directory_scope_id: scope,
            };
            let v = role_assignment_json(&assignment);
            t.role_assignments.push(assignment);
            em.mark_dirty();
            let mut resp = entity(
                origin,
                "roleManagement/directory/roleAssignments",
                v,
                &Query::default(),
            );
            resp.status = 201;
            Ok(resp)
        }
        (_, "GET" | "POST") => Err(GraphError::unknown_segment(what)),
        _ => Err(GraphError::method_not_allowed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::first_party::{EXCHANGE_APP_ID, GRAPH_APP_ID};

    #[test]
    fn segments_with_keys_split() {
        assert!(
            matches!(split_key("servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"), ("servicePrincipals", Some(Lookup::AppId(id))) if id == GRAPH_APP_ID)
        );
        assert!(matches!(split_key("applications"), ("applications", None)));
        assert!(first_party::app_roles(EXCHANGE_APP_ID).is_some());
    }
}
