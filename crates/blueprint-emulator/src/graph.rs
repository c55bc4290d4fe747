//! Microsoft Graph's request semantics over the tenant model: routing of `/v1.0/…` paths to
//! resources, permission checks, OData query options, paging, and response shapes. The HTTP
//! layer and `$batch` both come through [`execute`].

use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::error::{ErrorStyle, GraphError};
use crate::kinds::{Kind, Shape};
use crate::odata::{self, Filter};
use crate::rules::USER_DEFAULT_PROPS;
use crate::tenant::{Tenant, not_found};

/// Who is calling: established from the access token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: String,
    pub app_id: String,
    /// Application permissions (app-only tokens).
    pub roles: Vec<String>,
    /// Delegated permissions (user tokens).
    pub scopes: Vec<String>,
    /// The principal's directory roles (role template ids).
    pub wids: Vec<String>,
    /// The signed-in user's object id, for a delegated token.
    pub user_id: Option<String>,
}

impl Caller {
    /// The permissions Graph checks a request against: the app's roles, or for a delegated
    /// token the scopes it was consented (the user's own roles are checked where Graph
    /// checks them).
    pub fn permissions(&self) -> &[String] {
        if self.user_id.is_some() {
            &self.scopes
        } else {
            &self.roles
        }
    }

    pub fn holds_role(&self, template_id: &str) -> bool {
        self.wids
            .iter()
            .any(|w| w.eq_ignore_ascii_case(template_id))
    }
}

/// One Graph request, from HTTP or from a `$batch` item.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    pub method: String,
    /// The path after `/v1.0/`, percent-decoded per segment later.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// Lower-cased header names.
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl GraphRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(Value),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct GraphResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl GraphResponse {
    pub fn json(status: u16, body: Value) -> Self {
        GraphResponse {
            status,
            headers: Vec::new(),
            body: Body::Json(body),
        }
    }

    pub fn empty(status: u16) -> Self {
        GraphResponse {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn error(err: &GraphError, request_id: &str, client_request_id: &str) -> Self {
        let date = crate::tenant::now_rfc3339();
        GraphResponse {
            status: err.status,
            headers: err.headers.clone(),
            body: Body::Json(err.body(request_id, client_request_id, &date)),
        }
    }
}

/// Where the emulator is reached, for `@odata.context` and `@odata.nextLink`.
#[derive(Debug, Clone)]
pub struct Origin {
    pub base_url: String,
}

/// Runs one Graph request for an authenticated caller (no throttling or faults here: those
/// wrap this in the HTTP and batch layers).
pub fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
) -> Result<GraphResponse, GraphError> {
    let segments: Vec<String> = req
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            urlencoding::decode(s)
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| s.to_string())
        })
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some(tenant) = emulator.tenant(&caller.tenant_id) else {
        return Err(GraphError::unauthenticated(
            "The tenant for this token does not exist.",
        ));
    };
    let query = Query::parse(&req.query)?;
    if let Some(response) = crate::role_policies::execute(
        emulator,
        caller,
        origin,
        req,
        &segs,
        query.filter.as_deref(),
        query.expand.as_deref(),
    )? {
        return Ok(response);
    }
    if let Some(response) = crate::branding::execute(emulator, caller, origin, req, &segs, &query)?
    {
        return Ok(response);
    }
    if let Some(response) = crate::dep::execute(emulator, caller, origin, req, &segs, &query)? {
        return Ok(response);
    }
    if let Some(response) = crate::group_policy::execute(
        emulator,
        caller,
        origin,
        req,
        &segs,
        query.filter.as_deref(),
    )? {
        return Ok(response);
    }
    if let Some(nav) = &query.expand
        && !Kind::route(&segs).is_some_and(|(k, _)| {
            crate::settings_catalog::expandable(k, nav)
                || crate::group_policy::expandable(k, nav)
                || crate::app_protection::expandable(k, nav)
        })
    {
        return Err(GraphError::new(
            400,
            "BadRequest",
            "Query option '$expand' is not supported by this resource in the emulator's model of Microsoft Graph.",
        ));
    }
    if let Some(response) = crate::dns::execute(emulator, caller, origin, req, &segs)? {
        return Ok(response);
    }
    if let Some(response) = crate::licensing::execute(emulator, caller, origin, req, &segs)? {
        return Ok(response);
    }
    if let Some(response) = crate::apps::execute(emulator, caller, origin, req, &segs, &query)? {
        return Ok(response);
    }
    let Some((kind, rest)) = Kind::route(&segs) else {
        let first = segs.first().copied().unwrap_or("");
        return Err(GraphError::unknown_segment(first));
    };
    let method = req.method.to_ascii_uppercase();
    kind.authorize(&method, caller.permissions())?;
    let mut t = tenant.lock().expect("tenant lock");
    crate::rules::refuse_platform_restriction_writer(
        &t,
        kind,
        rest,
        &method,
        req.body.as_ref(),
        caller,
    )?;
    match (kind.shape, rest, method.as_str()) {
        (Shape::Singleton, [], "GET") => {
            query.reject_collection_options(kind)?;
            let mut v = read_shape(kind, &t, t.singleton(kind), &query)?;
            insert_context(
                &mut v,
                origin,
                kind,
                &format!("{}/$entity", kind.path),
                &query,
            );
            Ok(GraphResponse::json(200, v))
        }
        (Shape::Singleton, [], "PUT") if crate::identity::is_replaced_by_put(kind) => {
            let body = require_body(kind, req)?;
            let replaced = crate::identity::replace(&mut t, kind, body)?;
            emulator.mark_dirty();
            entity_response(
                kind,
                &t,
                &replaced,
                origin,
                crate::identity::put_returns_body(kind),
            )
        }
        (Shape::Singleton, [], "PATCH") if crate::identity::is_replaced_by_put(kind) => {
            Err(crate::identity::patch_refused(kind))
        }
        (Shape::Singleton, [], "PATCH") => {
            let body = require_body(kind, req)?;
            let updated = t.update(kind, None, body)?;
            emulator.mark_dirty();
            patch_response(kind, &t, &updated, origin)
        }
        (Shape::Collection, [], "GET") => list(emulator, kind, &t, origin, req, &query),
        (Shape::Collection, [], "POST") => {
            let body = require_body(kind, req)?;
            let created = emulator.with_rng(|rng| t.create(kind, body, rng))?;
            emulator.mark_dirty();
            if let Some(id) = created["id"].as_str() {
                emulator.replication.created(id);
                // Exchange shows a new Microsoft 365 group once it has provisioned its mailbox.
                let unified = created["groupTypes"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("Unified")));
                if kind.entity == "group" && unified && !emulator.group_provisioning.is_zero() {
                    let ready = std::time::Instant::now() + emulator.group_provisioning;
                    t.exchange.provisioning.insert(id.to_string(), ready);
                }
            }
            let mut v = read_shape(kind, &t, &created, &Query::default())?;
            insert_context(
                &mut v,
                origin,
                kind,
                &format!("{}/$entity", kind.path),
                &Query::default(),
            );
            let mut resp = GraphResponse::json(201, v);
            if let Some(id) = created["id"].as_str() {
                resp.headers.push((
                    "Location".into(),
                    format!("{}/{}/{}/{id}", origin.base_url, kind.version(), kind.path),
                ));
            }
            Ok(resp)
        }
        (Shape::Collection, ["$count"], "GET") => {
            if kind.count_needs_eventual && !req_eventual(req) {
                return Err(count_needs_eventual(kind));
            }
            let filter = query.filter_for(kind, req)?;
            let n = t
                .items(kind)
                .filter(|i| !emulator.replication.hides_item(i))
                .filter(|i| of_a_type_this_version_has(kind, i))
                .filter(|i| filter.as_ref().is_none_or(|f| f.matches(i)))
                .count();
            Ok(GraphResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: Body::Text(n.to_string()),
            })
        }
        (Shape::Collection, [key], "GET") => {
            query.reject_collection_options(kind)?;
            let item = t
                .find(kind, key)
                .filter(|i| !emulator.replication.hides_item(i))
                .ok_or_else(|| not_found(kind, key))?
                .clone();
            let mut v = read_shape(kind, &t, &item, &query)?;
            insert_context(
                &mut v,
                origin,
                kind,
                &format!("{}/$entity", kind.path),
                &query,
            );
            Ok(GraphResponse::json(200, v))
        }
        (Shape::Collection, [key], "PATCH") => {
            let body = require_body(kind, req)?;
            let updated = t.update(kind, Some(key), body)?;
            emulator.mark_dirty();
            patch_response(kind, &t, &updated, origin)
        }
        (Shape::Collection, [key], "DELETE") => {
            t.delete(kind, key)?;
            emulator.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (Shape::Collection, [key, "assignments"], "POST")
            if kind.assignable && crate::tenant::assigned_one_by_one(kind) =>
        {
            let body = require_body(kind, req)?;
            let mut assignment = emulator.with_rng(|rng| t.add_assignment(kind, key, body, rng))?;
            emulator.mark_dirty();
            insert_context(
                &mut assignment,
                origin,
                kind,
                &format!("{}('{key}')/assignments/$entity", kind.path),
                &Query::default(),
            );
            Ok(GraphResponse::json(201, assignment))
        }
        (Shape::Collection, [key, "assignments", assignment], "DELETE")
            if kind.assignable && crate::tenant::assigned_one_by_one(kind) =>
        {
            t.remove_assignment(kind, key, assignment)?;
            emulator.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (Shape::Collection, [key, "assign"], "POST")
            if kind.assignable && !crate::tenant::assigned_one_by_one(kind) =>
        {
            let body = require_body(kind, req)?;
            let assigned = emulator.with_rng(|rng| t.assign(kind, key, body, rng))?;
            emulator.mark_dirty();
            // `assign` answers 204 No Content for apps, scripts and enrolment configurations
            // (intune-apps-mobileapp-assign, intune-shared-devicemanagementscript-assign,
            // intune-onboarding-deviceenrollmentconfiguration-assign).
            // So does an app protection policy's (intune-mam-targetedmanagedappprotection-assign).
            if matches!(
                kind.entity,
                "mobileApp"
                    | "deviceManagementScript"
                    | "deviceEnrollmentConfiguration"
                    | "iosManagedAppProtection"
            ) {
                return Ok(GraphResponse::empty(204));
            }
            let context = format!(
                "{}/{}/$metadata#Collection(microsoft.graph.{})",
                origin.base_url,
                kind.version(),
                crate::tenant::assignment_type(kind)
            );
            Ok(GraphResponse::json(
                200,
                json!({"@odata.context": context, "value": assigned}),
            ))
        }
        (Shape::Collection, [key, "targetApps"], "POST")
            if crate::app_protection::has_apps(kind) =>
        {
            let body = require_body(kind, req)?;
            crate::app_protection::target_apps(&mut t, kind, key, &body)?;
            emulator.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (Shape::Collection, [key, "apps"], "GET") if crate::app_protection::has_apps(kind) => {
            let item = t
                .find(kind, key)
                .filter(|i| !emulator.replication.hides_item(i))
                .ok_or_else(|| not_found(kind, key))?;
            let context = format!(
                "{}/{}/$metadata#{}('{key}')/apps",
                origin.base_url,
                kind.version(),
                kind.path
            );
            Ok(GraphResponse::json(
                200,
                json!({"@odata.context": context, "value": crate::app_protection::apps_of(item)}),
            ))
        }
        (Shape::Collection, [key, "assignments"], "GET") if kind.assignable => {
            if emulator.replication.hides(key) {
                return Err(not_found(kind, key));
            }
            let items = t.assignments_of(kind, key)?;
            let context = format!(
                "{}/{}/$metadata#{}('{key}')/assignments",
                origin.base_url,
                kind.version(),
                kind.path
            );
            Ok(GraphResponse::json(
                200,
                json!({"@odata.context": context, "value": items}),
            ))
        }
        (Shape::Collection, [key], "PUT") if crate::settings_catalog::is_settings_catalog(kind) => {
            let body = require_body(kind, req)?;
            t.replace(kind, key, body)?;
            emulator.mark_dirty();
            Ok(GraphResponse::empty(204))
        }
        (Shape::Collection, [key, "settings"], "GET")
            if crate::settings_catalog::is_settings_catalog(kind) =>
        {
            let item = t
                .find(kind, key)
                .filter(|i| !emulator.replication.hides_item(i))
                .ok_or_else(|| not_found(kind, key))?;
            let context = format!(
                "{}/{}/$metadata#{}('{key}')/settings",
                origin.base_url,
                kind.version(),
                kind.path
            );
            Ok(GraphResponse::json(
                200,
                json!({"@odata.context": context, "value": crate::settings_catalog::settings_of(item)}),
            ))
        }
        (_, [], _) | (Shape::Collection, [_], _) => Err(GraphError::method_not_allowed()),
        (_, [.., last], _) => Err(GraphError::unknown_segment(last)),
    }
}

fn require_body(kind: &Kind, req: &GraphRequest) -> Result<Value, GraphError> {
    match &req.body {
        Some(v) => Ok(v.clone()),
        None => Err(GraphError::bad_request(
            kind.style,
            "Empty Payload. JSON content expected.",
        )),
    }
}

fn req_eventual(req: &GraphRequest) -> bool {
    req.header("consistencylevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

fn count_needs_eventual(kind: &Kind) -> GraphError {
    GraphError::new(
        400,
        kind.style.bad_request_code(),
        "Count is not currently supported without the header 'ConsistencyLevel: eventual'.",
    )
}

fn patch_response(
    kind: &Kind,
    t: &Tenant,
    updated: &Value,
    origin: &Origin,
) -> Result<GraphResponse, GraphError> {
    entity_response(kind, t, updated, origin, kind.patch_returns_body)
}

/// An update's answer: the object as a GET shows it (200) when Graph returns one, else 204.
fn entity_response(
    kind: &Kind,
    t: &Tenant,
    updated: &Value,
    origin: &Origin,
    returns_body: bool,
) -> Result<GraphResponse, GraphError> {
    if returns_body {
        let mut v = read_shape(kind, t, updated, &Query::default())?;
        insert_context(
            &mut v,
            origin,
            kind,
            &format!("{}/$entity", kind.path),
            &Query::default(),
        );
        Ok(GraphResponse::json(200, v))
    } else {
        Ok(GraphResponse::empty(204))
    }
}

/// A stored object as Graph returns it: normalised, write-only properties hidden, the
/// default property set for users, `$select` applied.
pub(crate) fn read_shape(
    kind: &Kind,
    t: &Tenant,
    stored: &Value,
    query: &Query,
) -> Result<Value, GraphError> {
    let schema = kind.schema();
    let mut v = schema.normalise(kind.entity, stored, kind.tags_type());
    // An object both versions show (the authentication methods policy) reads with this
    // version's properties only: what beta stored is not v1.0's to return.
    if let Some(obj) = v.as_object_mut() {
        let concrete = obj
            .get("@odata.type")
            .and_then(Value::as_str)
            .map(|t| t.trim_start_matches("#microsoft.graph.").to_string())
            .unwrap_or_else(|| kind.entity.to_string());
        obj.retain(|k, _| {
            k.starts_with('@')
                || schema.prop_type(&concrete, k).is_some()
                || schema.prop_type(kind.entity, k).is_some()
                || kind.inline_nav.contains(&k.as_str())
        });
    }
    // The configurations are modelled in the v1.0 schema only; beta shows the policy's own
    // properties.
    if kind.entity == "authenticationMethodsPolicy" && !kind.is_beta() {
        let configs = Kind::by_entity("authenticationMethodConfiguration");
        let items: Vec<Value> = t
            .items(configs)
            .map(|c| schema.normalise(configs.entity, c, true))
            .collect();
        v["authenticationMethodConfigurations"] = Value::Array(items);
    }
    let obj = v.as_object_mut().expect("normalised objects are objects");
    crate::settings_catalog::shape(kind, obj, query.expand.as_deref());
    crate::group_policy::shape(kind, stored, obj, query.expand.as_deref());
    crate::app_protection::shape(kind, stored, obj, query.expand.as_deref());
    for prop in kind.write_only {
        if let Some(slot) = obj.get_mut(*prop) {
            *slot = if slot.is_array() {
                json!([])
            } else {
                Value::Null
            };
        }
    }
    match &query.select {
        Some(select) => {
            let concrete = obj
                .get("@odata.type")
                .and_then(Value::as_str)
                .map(|t| t.trim_start_matches("#microsoft.graph.").to_string())
                .unwrap_or_else(|| kind.entity.to_string());
            for name in select {
                if schema.prop_type(&concrete, name).is_none()
                    && schema.prop_type(kind.entity, name).is_none()
                    && !obj.contains_key(name)
                {
                    return Err(GraphError::bad_request(
                        kind.style,
                        format!(
                            "Could not find a property named '{name}' on type 'microsoft.graph.{}'.",
                            kind.entity
                        ),
                    ));
                }
            }
            obj.retain(|k, _| k == "@odata.type" || select.iter().any(|s| s == k));
        }
        None if kind.entity == "user" => {
            obj.retain(|k, _| USER_DEFAULT_PROPS.contains(&k.as_str()));
        }
        // "Returned only on `$select`" (group resource, v1.0).
        None if kind.entity == "group" => {
            obj.remove(crate::licensing::ASSIGNED_LICENSES);
        }
        None => {}
    }
    Ok(v)
}

fn insert_context(v: &mut Value, origin: &Origin, kind: &Kind, path: &str, query: &Query) {
    let path = match &query.select {
        Some(select) => match path.strip_suffix("/$entity") {
            Some(p) => format!("{p}({})/$entity", select.join(",")),
            None => format!("{path}({})", select.join(",")),
        },
        None => path.to_string(),
    };
    if let Value::Object(obj) = v {
        let mut out = Map::new();
        out.insert(
            "@odata.context".into(),
            Value::String(format!(
                "{}/{}/$metadata#{path}",
                origin.base_url,
                kind.version()
            )),
        );
        out.append(obj);
        *obj = out;
    }
}

fn list(
    emulator: &Emulator,
    kind: &Kind,
    t: &Tenant,
    origin: &Origin,
    req: &GraphRequest,
    query: &Query,
) -> Result<GraphResponse, GraphError> {
    if query.count && kind.count_needs_eventual && !req_eventual(req) {
        return Err(count_needs_eventual(kind));
    }
    let filter = query.filter_for(kind, req)?;
    let matching: Vec<&Value> = t
        .items(kind)
        .filter(|i| !emulator.replication.hides_item(i))
        .filter(|i| of_a_type_this_version_has(kind, i))
        .filter(|i| filter.as_ref().is_none_or(|f| f.matches(i)))
        .collect();
    let page_size = match query.top {
        Some(n) if n > kind.page_max => {
            return Err(GraphError::bad_request(
                kind.style,
                format!(
                    "Invalid page size specified: '{n}'. Must be between 1 and {}.",
                    kind.page_max
                ),
            ));
        }
        Some(0) => {
            return Err(GraphError::bad_request(
                kind.style,
                "Invalid page size specified: '0'. Must be at least 1.",
            ));
        }
        Some(n) => n,
        None => kind.page_default,
    };
    let start = query.skip_token.unwrap_or(0).min(matching.len());
    let end = (start + page_size).min(matching.len());
    let mut items = Vec::with_capacity(end - start);
    for item in &matching[start..end] {
        let mut v = read_shape(kind, t, item, query)?;
        if let Some(lazy) = lazy_property(kind)
            && let Some(map) = v.as_object_mut()
            && map.contains_key(lazy)
        {
            map.insert(lazy.to_string(), Value::Null);
        }
        items.push(v);
    }
    let mut out = Map::new();
    let context_path = match &query.select {
        Some(select) => format!("{}({})", kind.path, select.join(",")),
        None => kind.path.to_string(),
    };
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/{}/$metadata#{context_path}",
            origin.base_url,
            kind.version()
        )),
    );
    if query.count {
        out.insert("@odata.count".into(), json!(matching.len()));
    }
    if end < matching.len() {
        out.insert(
            "@odata.nextLink".into(),
            json!(next_link(origin, kind, &req.query, page_size, end)),
        );
    }
    out.insert("value".into(), Value::Array(items));
    Ok(GraphResponse::json(200, Value::Object(out)))
}

/// Whether an item's derived type is one this version's schema has: v1.0's list of Intune
/// apps leaves out the app types only beta has (Microsoft 365 Apps, `officeSuiteApp`), which
/// beta's list of the same collection shows (Microsoft's Intune PowerShell SDK issue 11: the
/// v1.0 list lacked an officeSuiteApp the beta list had; its GET by id still answered).
pub(crate) fn of_a_type_this_version_has(kind: &Kind, item: &Value) -> bool {
    if !kind.derived {
        return true;
    }
    item["@odata.type"]
        .as_str()
        .and_then(|t| t.trim_start_matches('#').strip_prefix("microsoft.graph."))
        .is_none_or(|t| kind.schema().is_a(t, kind.entity))
}

/// The next page's URL: the original query options with `$top` pinned and an opaque
/// `$skiptoken` holding the offset.
fn next_link(origin: &Origin, kind: &Kind, raw_query: &str, page: usize, offset: usize) -> String {
    let mut parts: Vec<String> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            let key = urlencoding::decode(key)
                .map(|k| k.into_owned())
                .unwrap_or_default();
            key != "$skiptoken" && key != "$top"
        })
        .map(str::to_string)
        .collect();
    parts.push(format!("$top={page}"));
    parts.push(format!("$skiptoken={}", encode_skip_token(offset)));
    format!(
        "{}/{}/{}?{}",
        origin.base_url,
        kind.version(),
        kind.path,
        parts.join("&")
    )
}

fn encode_skip_token(offset: usize) -> String {
    use base64::Engine;
    let raw = format!("emu-offset:{offset}");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    format!("RFNwdAIAAQAAA{b64}")
}

fn decode_skip_token(token: &str) -> Option<usize> {
    use base64::Engine;
    let b64 = token.strip_prefix("RFNwdAIAAQAAA")?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("emu-offset:")?
        .parse()
        .ok()
}

/// The query options of one request.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pub(crate) top: Option<usize>,
    pub(crate) filter: Option<String>,
    pub(crate) select: Option<Vec<String>>,
    pub(crate) count: bool,
    pub(crate) skip_token: Option<usize>,
    /// `$expand`: only the navigation properties a kind returns expanded (the settings
    /// catalog's `settings`) are accepted.
    pub(crate) expand: Option<String>,
}

impl Query {
    fn parse(raw: &str) -> Result<Query, GraphError> {
        let mut q = Query::default();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_query(k);
            let value = decode_query(v);
            let bad = |msg: String| Err(GraphError::new(400, "BadRequest", msg));
            match key.as_str() {
                "$top" => match value.parse::<usize>() {
                    Ok(n) => q.top = Some(n),
                    Err(_) => {
                        return bad(format!("Invalid value '{value}' for query option '$top'."));
                    }
                },
                "$filter" => q.filter = Some(value),
                "$select" => {
                    q.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "$count" => match value.as_str() {
                    "true" => q.count = true,
                    "false" => q.count = false,
                    _ => {
                        return bad(format!(
                            "Invalid value '{value}' for query option '$count'."
                        ));
                    }
                },
                "$skiptoken" => match decode_skip_token(&value) {
                    Some(n) => q.skip_token = Some(n),
                    None => return bad("The '$skiptoken' value is invalid or has expired.".into()),
                },
                "$skip" => return bad("'$skip' is not supported by the service.".into()),
                "$expand" => q.expand = Some(value),
                "$orderby" | "$search" | "$format" | "$apply" | "$compute" => {
                    return bad(format!(
                        "Query option '{key}' is not supported by this resource in the emulator's model of Microsoft Graph."
                    ));
                }
                other if other.starts_with('$') => {
                    return bad(format!(
                        "Query option '{other}' is not allowed. Make sure the query option is a supported OData system query option."
                    ));
                }
                _ => {}
            }
        }
        Ok(q)
    }

    /// Single-object reads take only `$select`.
    pub(crate) fn reject_collection_options(&self, kind: &Kind) -> Result<(), GraphError> {
        if self.filter.is_some() || self.top.is_some() || self.skip_token.is_some() {
            return Err(GraphError::bad_request(
                kind.style,
                "Query options '$filter', '$top' and '$skiptoken' apply only to collections.",
            ));
        }
        Ok(())
    }

    pub(crate) fn filter_for(
        &self,
        kind: &Kind,
        req: &GraphRequest,
    ) -> Result<Option<Filter>, GraphError> {
        let Some(text) = &self.filter else {
            return Ok(None);
        };
        let unsupported_code = match kind.style {
            ErrorStyle::Directory => "Request_UnsupportedQuery",
            ErrorStyle::Service => "BadRequest",
        };
        let filter = odata::parse_filter(text).map_err(|e| {
            GraphError::new(
                400,
                kind.style.bad_request_code(),
                format!("Invalid filter clause: {e}"),
            )
        })?;
        for prop in filter.properties() {
            let top = prop.split('/').next().unwrap_or(prop);
            if top != "id" && !kind.filterable.contains(&top) {
                return Err(GraphError::new(
                    400,
                    unsupported_code,
                    format!(
                        "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
                        kind.entity
                    ),
                ));
            }
        }
        if kind.count_needs_eventual && filter.is_advanced() && !req_eventual(req) {
            return Err(GraphError::new(
                400,
                unsupported_code,
                "Unsupported query: 'ne', 'not' and 'endsWith' need the header 'ConsistencyLevel: eventual' and '$count=true'.",
            ));
        }
        Ok(Some(filter))
    }
}

fn decode_query(s: &str) -> String {
    let plus = s.replace('+', " ");
    urlencoding::decode(&plus)
        .map(|c| c.into_owned())
        .unwrap_or(plus)
}

/// A property Graph leaves out of a collection's list and returns only when one object is read:
/// a device management script's `scriptContent` (null on the list, as tools that export
/// scripts find: they read each script by id for its content).
fn lazy_property(kind: &Kind) -> Option<&'static str> {
    (kind.entity == "deviceManagementScript").then_some("scriptContent")
}
