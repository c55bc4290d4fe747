//! Entra ID policies Graph updates only as a whole: `PUT` with every writable property, where a
//! property left out is reset rather than kept (Microsoft's update pages require each one).
//! The engine writes them by laying the blueprint's fields over the tenant's object
//! ([`KindSpec::is_replaced_whole`]), so the settings the blueprint does not name keep the
//! agency's values.

use super::{Api, Grant, KindSpec, Permissions, singleton};

/// Whether users may ask an administrator to consent to an app they cannot consent to (the
/// admin consent workflow). `PUT /policies/adminConsentRequestPolicy` requires all five
/// properties (adminconsentrequestpolicy-update); `version` is the service's.
pub(super) const ADMIN_CONSENT_REQUEST_POLICY: KindSpec = singleton(
    "adminConsentRequestPolicy",
    "/policies/adminConsentRequestPolicy",
    &[
        "isEnabled",
        "notifyReviewers",
        "remindersEnabled",
        "requestDurationInDays",
        "reviewers",
    ],
    Api::GraphV1,
    Permissions {
        // adminconsentrequestpolicy-get: Policy.Read.All; -update: Policy.ReadWrite.ConsentRequest
        // (which reads it too).
        read: &[Grant::Graph("Policy.Read.All")],
        write: &[Grant::Graph("Policy.ReadWrite.ConsentRequest")],
    },
);
