//! Entra ID policies Microsoft updates only with `PUT` of the whole object: each update page
//! lists the properties the request must hold, and a property left out is reset, not kept.
//! The emulator refuses a body that lacks one (as a client that PUTs a few fields would lose
//! the others against the real service), and answers PATCH as Graph does for each:
//! - the admin consent request policy: Graph's metadata says PATCH (so Microsoft's generated
//!   SDKs send it), but the service behind it has no PATCH and Graph answers 404 "No HTTP
//!   resource was found…" (msgraph-metadata#218 and #583, msgraph-sdk-powershell#1661);
//! - the device registration policy: the metadata marks it not updatable (the SDKs have no
//!   update at all) and the reference documents only PUT; what Graph answers a PATCH is not
//!   documented, so the emulator answers 405, the HTTP answer for a method a resource lacks.

use serde_json::Value;

use crate::error::GraphError;
use crate::kinds::Kind;
use crate::tenant::Tenant;

/// How Graph answers a PATCH of a policy it updates only with PUT.
enum PatchAnswer {
    /// 404 naming the URI of the service behind Graph.
    NotFound(&'static str),
    /// 405 Method Not Allowed.
    MethodNotAllowed,
}

/// A policy written with PUT.
struct ReplacedByPut {
    entity: &'static str,
    /// The properties the body must hold (the update page's "Required" properties).
    required: &'static [&'static str],
    patch: PatchAnswer,
    /// PUT answers 200 with the policy (else 204).
    returns_body: bool,
    /// Graph's own answer, where it is known, to a body missing a required property:
    /// (property, code, message).
    missing: &'static [(&'static str, &'static str, &'static str)],
}

const REPLACED_BY_PUT: &[ReplacedByPut] = &[
    // adminconsentrequestpolicy-update: "the properties that are required when you update"; 204.
    ReplacedByPut {
        entity: "adminConsentRequestPolicy",
        required: &[
            "isEnabled",
            "notifyReviewers",
            "remindersEnabled",
            "requestDurationInDays",
            "reviewers",
        ],
        patch: PatchAnswer::NotFound(
            "https://api.accessreviews.identitygovernance.azure.com/accessReviews/v2.0/me/adminConsentRequestPolicy?ring=2",
        ),
        returns_body: false,
        missing: &[],
    },
    // deviceregistrationpolicy-update: each of the five is "Required" (a PUT without
    // userDeviceQuota gets 400 "Tenant registration policy is missing a value for quota",
    // microsoft-graph-docs-contrib#8532); 200 with the updated policy.
    ReplacedByPut {
        entity: "deviceRegistrationPolicy",
        required: &[
            "userDeviceQuota",
            "multiFactorAuthConfiguration",
            "azureADRegistration",
            "azureADJoin",
            "localAdminPassword",
        ],
        patch: PatchAnswer::MethodNotAllowed,
        returns_body: true,
        missing: &[(
            "userDeviceQuota",
            "invalid_request",
            "Tenant registration policy is missing a value for quota",
        )],
    },
];

fn entry(kind: &Kind) -> Option<&'static ReplacedByPut> {
    REPLACED_BY_PUT.iter().find(|e| e.entity == kind.entity)
}

/// Graph's answer to a PATCH of a kind its service updates only with PUT.
pub fn patch_refused(kind: &Kind) -> GraphError {
    match entry(kind).map(|e| &e.patch) {
        Some(PatchAnswer::NotFound(backend)) => GraphError::new(
            404,
            "UnknownError",
            format!("No HTTP resource was found that matches the request URI '{backend}'."),
        ),
        _ => GraphError::method_not_allowed(),
    }
}

/// Whether the kind is updated only with PUT.
pub fn is_replaced_by_put(kind: &Kind) -> bool {
    entry(kind).is_some()
}

/// Whether a PUT of the kind answers with the object (200) rather than 204.
pub fn put_returns_body(kind: &Kind) -> bool {
    entry(kind).is_some_and(|e| e.returns_body)
}

/// `PUT` of a singleton: the whole object, each required property present, validated as any
/// write is, replacing what was stored (a nested property the body leaves out is gone).
/// Answers with the object as stored.
pub fn replace(t: &mut Tenant, kind: &'static Kind, body: Value) -> Result<Value, GraphError> {
    let entry = entry(kind).ok_or_else(GraphError::method_not_allowed)?;
    if let Some(missing) = entry.required.iter().find(|p| body.get(**p).is_none()) {
        if let Some((_, code, message)) = entry.missing.iter().find(|(p, _, _)| p == missing) {
            return Err(GraphError::new(400, *code, *message));
        }
        return Err(GraphError::bad_request(
            kind.style,
            format!(
                "The property '{missing}' is required when updating the {} (PUT takes the whole object).",
                kind.entity
            ),
        ));
    }
    t.replace_singleton(kind, body)
}
