//! Company branding: the tenant's default organizationalBranding, which Graph v1.0 serves under
//! the organization, `/organization/{organization id}/branding`, as Microsoft documents it:
//! - the request names its locale in `Accept-Language` ("A valid ISO 639-1 locale. Required."
//!   on organizationalbranding-get and -update), `0` or `default` for the default branding;
//!   the emulator holds only the default, so another locale is not found. What Graph answers
//!   without the header is not documented: the emulator refuses it, so a client that leaves
//!   out a required header is caught;
//! - a tenant has no default branding until one is made: `GET` answers 404 ("If no default
//!   branding object exists, this method returns a 404 Not Found error"), and so does `PATCH`
//!   (Request_ResourceNotFound, microsoft-graph-docs issue 12855); Graph makes it only beside a
//!   localized branding (organizationalbranding-post-localizations), which the emulator does
//!   not model: a fixture seeds it, as a person uploading the sign-in images would;
//! - `GET` returns the non-Stream properties, `id` `0` (the images only on `$select`);
//!   `PATCH` writes the text properties and answers 204; the images (Stream properties) are
//!   written one at a time with `PUT` and cannot go in a `PATCH` with other properties
//!   ("You can't update Stream types with other data types in the same request");
//! - `signInPageText` holds at most 1024 characters and `usernameHintText` at most 64
//!   (organizationalBranding resource);
//! - permissions: read with OrganizationalBranding.Read.All (or Organization.Read.All, either
//!   ReadWrite), write with OrganizationalBranding.ReadWrite.All or Organization.ReadWrite.All
//!   (the kind's entry in [`crate::kinds`]).
//!
//! Not modelled: the localizations, the Stream `PUT`s and `DELETE`.

use serde_json::{Value, json};

use crate::Emulator;
use crate::error::GraphError;
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin, Query};
use crate::kinds::Kind;
use crate::schema::{Primitive, TypeRef};
use crate::tenant::not_found;

const ENTITY: &str = "organizationalBranding";

/// The default branding's id (Graph also accepts `default` for it in `Accept-Language`).
const DEFAULT_LOCALE: &str = "0";

/// The most characters Graph takes in each text property that has a limit.
const LIMITS: &[(&str, usize)] = &[("signInPageText", 1024), ("usernameHintText", 64)];

/// Answers a request for `organization/{id}/branding`; `None` for any other path.
pub(crate) fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
    query: &Query,
) -> Result<Option<GraphResponse>, GraphError> {
    let [organization, organization_id, branding] = segs else {
        return Ok(None);
    };
    if !organization.eq_ignore_ascii_case("organization")
        || !branding.eq_ignore_ascii_case("branding")
    {
        return Ok(None);
    }
    let kind = Kind::by_entity(ENTITY);
    let method = req.method.to_ascii_uppercase();
    kind.authorize(&method, caller.permissions())?;
    let tenant = emulator
        .tenant(&caller.tenant_id)
        .ok_or_else(|| GraphError::unauthenticated("The tenant for this token does not exist."))?;
    let mut t = tenant.lock().expect("tenant lock");
    let organization_kind = Kind::by_entity("organization");
    if !t.id.eq_ignore_ascii_case(organization_id) {
        return Err(not_found(organization_kind, organization_id));
    }
    let Some(locale) = req.header("Accept-Language") else {
        return Err(GraphError::bad_request(
            kind.style,
            "The Accept-Language header is required: 0 or default for the default branding, or the locale of a localized branding.",
        ));
    };
    let is_default = locale
        .split([',', ';'])
        .next()
        .map(str::trim)
        .is_some_and(|l| l == DEFAULT_LOCALE || l.eq_ignore_ascii_case("default"));
    // No default branding yet, or a locale the tenant has no branding for: not found.
    let exists = t.singleton(kind).is_object();
    if !is_default || !exists {
        return Err(not_found(organization_kind, organization_id));
    }
    match method.as_str() {
        "GET" => {
            let mut v = crate::graph::read_shape(kind, &t, &stored(&t, kind), query)?;
            if query.select.is_none()
                && let Some(obj) = v.as_object_mut()
            {
                // The images are returned only on `$select`.
                let schema = kind.schema();
                obj.retain(|k, _| !is_stream(schema.prop_type(ENTITY, k)));
            }
            if let Some(obj) = v.as_object_mut() {
                let mut out = serde_json::Map::new();
                out.insert(
                    "@odata.context".into(),
                    json!(format!(
                        "{}/{}/$metadata#branding",
                        origin.base_url,
                        kind.version()
                    )),
                );
                out.append(obj);
                *obj = out;
            }
            Ok(Some(GraphResponse::json(200, v)))
        }
        "PATCH" => {
            let body = req.body.clone().ok_or_else(|| {
                GraphError::bad_request(kind.style, "The request body is missing.")
            })?;
            check_text(kind, &body)?;
            t.update(kind, None, body)?;
            emulator.mark_dirty();
            Ok(Some(GraphResponse::empty(204)))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// The stored default branding with what the service sets on it: its id and CDN list.
fn stored(t: &crate::tenant::Tenant, kind: &Kind) -> Value {
    let mut v = t.singleton(kind).clone();
    v["id"] = json!(DEFAULT_LOCALE);
    if v.get("cdnList").is_none_or(Value::is_null) {
        v["cdnList"] = json!([]);
    }
    v
}

/// An image or style sheet (Edm.Stream, which the schema holds as binary).
fn is_stream(property: Option<&TypeRef>) -> bool {
    matches!(property, Some(TypeRef::Primitive(Primitive::Binary)))
}

/// A `PATCH` takes text only, within Graph's limits: an image goes on its own with `PUT`.
fn check_text(kind: &Kind, body: &Value) -> Result<(), GraphError> {
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let schema = kind.schema();
    if let Some(image) = obj.keys().find(|k| is_stream(schema.prop_type(ENTITY, k))) {
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "'{image}' is a Stream property: it is written on its own with PUT, not in a PATCH with other properties."
            ),
        ));
    }
    for (property, most) in LIMITS {
        if let Some(text) = obj.get(*property).and_then(Value::as_str)
            && text.chars().count() > *most
        {
            return Err(GraphError::bad_request(
                kind.style,
                format!("'{property}' must not exceed {most} characters."),
            ));
        }
    }
    Ok(())
}
