//! Apple enrolment (DEP) profiles, which Graph beta serves only under the Apple enrolment
//! program token they belong to: `deviceManagement/depOnboardingSettings/{token id}/
//! enrollmentProfiles[/{id}]` (intune-enrollment-depiosenrollmentprofile-list, -get, -create,
//! -update, -delete), as Microsoft documents them:
//! - the token must exist: a profile under an id the tenant has no token for is not found;
//! - a profile is one of `enrollmentProfile`'s derived types (`depIOSEnrollmentProfile`, …),
//!   named by `@odata.type` on create and returned with it; create answers 201 with the
//!   profile, update 200 with it, delete 204;
//! - each token lists only its own profiles;
//! - permissions are the kind's entry in [`crate::kinds`].
//!
//! Each stored profile remembers its token under [`TOKEN`], which no answer shows. Not
//! modelled: the token's `setDefaultProfile` and the profile's `updateDeviceProfileAssignment`
//! and `exportMobileConfig`.

use serde_json::{Value, json};

use crate::Emulator;
use crate::error::GraphError;
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin, Query};
use crate::kinds::{BETA_KINDS, Kind};
use crate::tenant::{Tenant, not_found};

/// The stored profile's token id (never returned).
const TOKEN: &str = "@emulator.depOnboardingSettingId";

fn beta_kind(entity: &str) -> &'static Kind {
    BETA_KINDS
        .iter()
        .find(|k| k.entity == entity)
        .unwrap_or_else(|| panic!("BETA_KINDS serves {entity}"))
}

/// Answers a request for a token's enrolment profiles; `None` for any other path.
pub(crate) fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
    query: &Query,
) -> Result<Option<GraphResponse>, GraphError> {
    let ["beta", management, settings, token, profiles, rest @ ..] = segs else {
        return Ok(None);
    };
    if !management.eq_ignore_ascii_case("deviceManagement")
        || !settings.eq_ignore_ascii_case("depOnboardingSettings")
        || !profiles.eq_ignore_ascii_case("enrollmentProfiles")
    {
        return Ok(None);
    }
    let kind = beta_kind("enrollmentProfile");
    let method = req.method.to_ascii_uppercase();
    kind.authorize(&method, caller.permissions())?;
    let tenant = emulator
        .tenant(&caller.tenant_id)
        .ok_or_else(|| GraphError::unauthenticated("The tenant for this token does not exist."))?;
    let mut t = tenant.lock().expect("tenant lock");
    let token_kind = beta_kind("depOnboardingSetting");
    let token = t
        .find(token_kind, token)
        .and_then(|v| v["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| not_found(token_kind, token))?;
    let collection =
        format!("deviceManagement/depOnboardingSettings('{token}')/enrollmentProfiles");
    let context = |what: &str| format!("{}/{}/$metadata#{what}", origin.base_url, kind.version());
    match (rest, method.as_str()) {
        ([], "GET") => {
            let filter = query.filter_for(kind, req)?;
            let mut items = Vec::new();
            for item in t
                .items(kind)
                .filter(|i| i[TOKEN] == token.as_str())
                .filter(|i| !emulator.replication.hides_item(i))
                .filter(|i| crate::graph::of_a_type_this_version_has(kind, i))
                .filter(|i| filter.as_ref().is_none_or(|f| f.matches(i)))
            {
                items.push(shown(kind, &t, item, query)?);
            }
            Ok(Some(GraphResponse::json(
                200,
                json!({"@odata.context": context(&collection), "value": items}),
            )))
        }
        ([], "POST") => {
            let body = req.body.clone().ok_or_else(|| {
                GraphError::bad_request(kind.style, "Empty Payload. JSON content expected.")
            })?;
            let created = emulator.with_rng(|rng| t.create(kind, body, rng))?;
            let id = created["id"].as_str().unwrap_or_default().to_string();
            if let Some(stored) = t
                .collections
                .get_mut(kind.entity)
                .and_then(|c| c.get_mut(&id))
            {
                stored[TOKEN] = json!(token);
            }
            emulator.mark_dirty();
            emulator.replication.created(&id);
            let mut v = shown(kind, &t, &created, &Query::default())?;
            put_context(&mut v, context(&format!("{collection}/$entity")));
            let mut resp = GraphResponse::json(201, v);
            resp.headers.push((
                "Location".into(),
                format!(
                    "{}/{}/deviceManagement/depOnboardingSettings/{token}/enrollmentProfiles/{id}",
                    origin.base_url,
                    kind.version()
                ),
            ));
            Ok(Some(resp))
        }
        ([id], "GET") => {
            query.reject_collection_options(kind)?;
            let item = profile(emulator, &t, kind, &token, id)?.clone();
            let mut v = shown(kind, &t, &item, query)?;
            put_context(&mut v, context(&format!("{collection}/$entity")));
            Ok(Some(GraphResponse::json(200, v)))
        }
        ([id], "PATCH") => {
            profile(emulator, &t, kind, &token, id)?;
            let body = req.body.clone().ok_or_else(|| {
                GraphError::bad_request(kind.style, "Empty Payload. JSON content expected.")
            })?;
            let updated = t.update(kind, Some(id), body)?;
            emulator.mark_dirty();
            let mut v = shown(kind, &t, &updated, &Query::default())?;
            put_context(&mut v, context(&format!("{collection}/$entity")));
            Ok(Some(GraphResponse::json(200, v)))
        }
        ([id], "DELETE") => {
            profile(emulator, &t, kind, &token, id)?;
            t.delete(kind, id)?;
            emulator.mark_dirty();
            Ok(Some(GraphResponse::empty(204)))
        }
        ([], _) | ([_], _) => Err(GraphError::method_not_allowed()),
        ([.., last], _) => Err(GraphError::unknown_segment(last)),
    }
}

/// The token's profile `id`: not found under another token (or none).
fn profile<'t>(
    emulator: &Emulator,
    t: &'t Tenant,
    kind: &Kind,
    token: &str,
    id: &str,
) -> Result<&'t Value, GraphError> {
    t.find(kind, id)
        .filter(|i| i[TOKEN] == token)
        .filter(|i| !emulator.replication.hides_item(i))
        .ok_or_else(|| not_found(kind, id))
}

/// A stored profile as Graph returns it, without the token it is kept with.
fn shown(kind: &Kind, t: &Tenant, stored: &Value, query: &Query) -> Result<Value, GraphError> {
    let mut v = crate::graph::read_shape(kind, t, stored, query)?;
    if let Some(map) = v.as_object_mut() {
        map.remove(TOKEN);
    }
    Ok(v)
}

fn put_context(v: &mut Value, context: String) {
    if let Some(obj) = v.as_object_mut() {
        let mut out = serde_json::Map::new();
        out.insert("@odata.context".into(), json!(context));
        out.append(obj);
        *obj = out;
    }
}
