//! Entra ID policies Microsoft updates only with `PUT` of the whole object: each update page
//! lists the properties the request must hold, and a property left out is reset, not kept.
//! The emulator refuses a body that lacks one (as a client that PUTs a few fields would lose
//! the others against the real service), and answers PATCH as Graph does: Graph's metadata
//! says PATCH (so Microsoft's generated SDKs send it), but the service behind it has no PATCH
//! and Graph answers 404 "No HTTP resource was found…" (msgraph-metadata#218 and #583,
//! msgraph-sdk-powershell#1661).

use serde_json::Value;

use crate::error::GraphError;
use crate::kinds::Kind;
use crate::tenant::Tenant;

/// Entities written with PUT, the properties the body must hold
/// (adminconsentrequestpolicy-update: "the properties that are required when you update"), and
/// the URI of the service behind it that Graph's 404 for a PATCH names.
const REPLACED_BY_PUT: &[(&str, &[&str], &str)] = &[(
    "adminConsentRequestPolicy",
    &[
        "isEnabled",
        "notifyReviewers",
        "remindersEnabled",
        "requestDurationInDays",
        "reviewers",
    ],
    "https://api.accessreviews.identitygovernance.azure.com/accessReviews/v2.0/me/adminConsentRequestPolicy?ring=2",
)];

fn required(kind: &Kind) -> Option<&'static [&'static str]> {
    REPLACED_BY_PUT
        .iter()
        .find(|(entity, _, _)| *entity == kind.entity)
        .map(|(_, props, _)| *props)
}

/// Graph's answer to a PATCH of a kind its service updates only with PUT.
pub fn patch_refused(kind: &Kind) -> GraphError {
    let backend = REPLACED_BY_PUT
        .iter()
        .find(|(entity, _, _)| *entity == kind.entity)
        .map_or("", |(_, _, uri)| *uri);
    GraphError::new(
        404,
        "UnknownError",
        format!("No HTTP resource was found that matches the request URI '{backend}'."),
    )
}

/// Whether the kind is updated only with PUT.
pub fn is_replaced_by_put(kind: &Kind) -> bool {
    required(kind).is_some()
}

/// `PUT` of a singleton: the whole object, each required property present, validated as any
/// write is. Answers with the object as stored.
pub fn replace(t: &mut Tenant, kind: &'static Kind, body: Value) -> Result<Value, GraphError> {
    let props = required(kind).ok_or_else(GraphError::method_not_allowed)?;
    if let Some(missing) = props.iter().find(|p| body.get(**p).is_none()) {
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "The property '{missing}' is required when updating the {} (PUT takes the whole object).",
                kind.entity
            ),
        ));
    }
    t.update(kind, None, body)
}
