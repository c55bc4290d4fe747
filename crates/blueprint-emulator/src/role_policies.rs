//! Privileged Identity Management's role settings: one role management policy per directory
//! role, which Microsoft creates with the tenant and nobody creates or deletes, assigned to its
//! role by a policy assignment. Graph v1.0 serves them under `/policies`:
//! - `GET roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq
//!   'DirectoryRole'` (the filter is required), optionally `$expand=policy($expand=rules)`;
//!   `GET roleManagementPolicyAssignments/{id}` likewise;
//! - `GET roleManagementPolicies` (same filter), `GET roleManagementPolicies/{id}`, optionally
//!   `$expand=rules`; `GET roleManagementPolicies/{id}/rules[/{ruleId}]`;
//! - `PATCH roleManagementPolicies/{id}/rules/{ruleId}`: the rule's derived type must be named
//!   (`@odata.type`), its properties are validated by the schema, and what the body leaves out
//!   keeps its value (unifiedrolemanagementpolicyrule-update).
//!
//! Permissions (unifiedrolemanagementpolicy-list-rules, unifiedrolemanagementpolicyrule-update):
//! read with RoleManagementPolicy.Read.Directory, RoleManagement.Read.Directory,
//! RoleManagement.Read.All or either write permission; write with
//! RoleManagementPolicy.ReadWrite.Directory or RoleManagement.ReadWrite.Directory.

use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::error::{ErrorStyle, GraphError};
use crate::graph::{Caller, GraphRequest, GraphResponse, Origin};
use crate::schema::schema;
use crate::tenant::{Tenant, merge};

const POLICIES: &str = "unifiedRoleManagementPolicy";
const ASSIGNMENTS: &str = "unifiedRoleManagementPolicyAssignment";
const RULE: &str = "unifiedRoleManagementPolicyRule";
const READ: &[&str] = &[
    "RoleManagementPolicy.Read.Directory",
    "RoleManagement.Read.Directory",
    "RoleManagement.Read.All",
];
const WRITE: &[&str] = &[
    "RoleManagementPolicy.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
];
/// The only expansions these resources answer: an assignment's policy with its rules, and a
/// policy's rules.
const EXPAND_POLICY: &str = "policy($expand=rules)";
const EXPAND_RULES: &str = "rules";

/// Gives every directory role of a new tenant its role management policy, with Microsoft's
/// out-of-the-box rules, and the assignment that ties the two.
pub fn install(tenant: &mut Tenant, role_ids: &[&str]) {
    for (n, role) in role_ids.iter().enumerate() {
        // Microsoft's policy ids are `Directory_{tenant}_{guid}`; the emulator's guid is the
        // role's position, which is unique and stable across restarts.
        let policy_id = format!(
            "Directory_{}_{n:08x}-0000-4000-8000-000000000000",
            tenant.id
        );
        let assignment_id = format!("{policy_id}_{role}");
        let policy = json!({
            "id": policy_id,
            "displayName": "Directory",
            "description": "Directory",
            "isOrganizationDefault": false,
            "scopeId": "/",
            "scopeType": "Directory",
            "lastModifiedDateTime": null,
            "lastModifiedBy": {"displayName": null, "id": null},
            "rules": default_rules(),
        });
        let assignment = json!({
            "id": assignment_id,
            "policyId": policy_id,
            "roleDefinitionId": role,
            "scopeId": "/",
            "scopeType": "DirectoryRole",
        });
        tenant
            .collections
            .entry(POLICIES.into())
            .or_default()
            .insert(policy_id.clone(), policy);
        tenant
            .collections
            .entry(ASSIGNMENTS.into())
            .or_default()
            .insert(assignment_id, assignment);
    }
}

fn target(caller: &str, level: &str) -> Value {
    json!({"caller": caller, "operations": ["all"], "level": level, "inheritableSettings": [], "enforcedSettings": []})
}

fn expiration(id: &str, caller: &str, level: &str, required: bool, duration: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule", "id": id, "isExpirationRequired": required, "maximumDuration": duration, "target": target(caller, level)})
}

fn enablement(id: &str, caller: &str, level: &str, rules: &[&str]) -> Value {
    json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule", "id": id, "enabledRules": rules, "target": target(caller, level)})
}

fn notifications(caller: &str, level: &str, suffix: &str) -> Vec<Value> {
    ["Admin", "Requestor", "Approver"]
        .iter()
        .map(|recipient| {
            json!({"@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule", "id": format!("Notification_{recipient}_{suffix}"), "notificationType": "Email", "recipientType": recipient, "notificationLevel": "All", "isDefaultRecipientsEnabled": true, "notificationRecipients": [], "target": target(caller, level)})
        })
        .collect()
}

/// A new tenant's rules for every role: eligible assignments may be permanent, active ones
/// expire after 180 days and need a justification and MFA; activation lasts at most 8 hours,
/// needs MFA and a justification, and no approval; default recipients get every notification.
fn default_rules() -> Vec<Value> {
    let mut rules = vec![
        expiration(
            "Expiration_Admin_Eligibility",
            "Admin",
            "Eligibility",
            false,
            "P365D",
        ),
        enablement("Enablement_Admin_Eligibility", "Admin", "Eligibility", &[]),
    ];
    rules.extend(notifications("Admin", "Eligibility", "Admin_Eligibility"));
    rules.push(expiration(
        "Expiration_Admin_Assignment",
        "Admin",
        "Assignment",
        true,
        "P180D",
    ));
    rules.push(enablement(
        "Enablement_Admin_Assignment",
        "Admin",
        "Assignment",
        &["Justification", "MultiFactorAuthentication"],
    ));
    rules.extend(notifications("Admin", "Assignment", "Admin_Assignment"));
    rules.push(expiration(
        "Expiration_EndUser_Assignment",
        "EndUser",
        "Assignment",
        true,
        "PT8H",
    ));
    rules.push(enablement(
        "Enablement_EndUser_Assignment",
        "EndUser",
        "Assignment",
        &["MultiFactorAuthentication", "Justification"],
    ));
    rules.push(json!({
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
        "id": "Approval_EndUser_Assignment",
        "target": target("EndUser", "Assignment"),
        "setting": {"isApprovalRequired": false, "isApprovalRequiredForExtension": false, "isRequestorJustificationRequired": true, "approvalMode": "SingleStage", "approvalStages": [{"approvalStageTimeOutInDays": 1, "isApproverJustificationRequired": true, "escalationTimeInMinutes": 0, "isEscalationEnabled": false, "primaryApprovers": [], "escalationApprovers": []}]}
    }));
    rules.push(json!({
        "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule",
        "id": "AuthenticationContext_EndUser_Assignment",
        "isEnabled": false,
        "claimValue": "",
        "target": target("EndUser", "Assignment"),
    }));
    rules.extend(notifications("EndUser", "Assignment", "EndUser_Assignment"));
    rules
}

/// Answers a request under `/policies/roleManagementPolicy…`, or None for any other path.
pub fn execute(
    emulator: &Emulator,
    caller: &Caller,
    origin: &Origin,
    req: &GraphRequest,
    segs: &[&str],
    filter: Option<&str>,
    expand: Option<&str>,
) -> Result<Option<GraphResponse>, GraphError> {
    let (collection, rest) = match segs {
        [p, c, rest @ ..] if p.eq_ignore_ascii_case("policies") => (c.to_ascii_lowercase(), rest),
        _ => return Ok(None),
    };
    let assignments = match collection.as_str() {
        "rolemanagementpolicyassignments" => true,
        "rolemanagementpolicies" => false,
        _ => return Ok(None),
    };
    let method = req.method.to_ascii_uppercase();
    let writing = method != "GET";
    let permissions = caller.permissions();
    let held = |names: &[&str]| permissions.iter().any(|p| names.contains(&p.as_str()));
    if !(held(WRITE) || (!writing && held(READ))) {
        return Err(GraphError::forbidden());
    }
    let Some(tenant) = emulator.tenant(&caller.tenant_id) else {
        return Err(GraphError::unauthenticated("Unknown tenant."));
    };
    let mut t = tenant.lock().expect("tenant lock");
    let base = format!("{}/v1.0/$metadata#policies", origin.base_url);
    let wanted = |allowed: &str| match expand {
        None => Ok(false),
        Some(e) if e.replace(' ', "") == allowed => Ok(true),
        Some(e) => Err(GraphError::new(
            400,
            "BadRequest",
            format!("Query option '$expand={e}' is not supported here; use '{allowed}'."),
        )),
    };
    let response = match (assignments, rest, method.as_str()) {
        (true, [], "GET") => {
            let expanded = wanted(EXPAND_POLICY)?;
            let scope = scope_filter(filter, "DirectoryRole")?;
            let items: Vec<Value> = t
                .collections
                .get(ASSIGNMENTS)
                .into_iter()
                .flat_map(|c| c.values())
                .filter(|a| scope(a))
                .map(|a| assignment_read(&t, a, expanded))
                .collect();
            let context = if expanded {
                format!("{base}/roleManagementPolicyAssignments(policy(rules()))")
            } else {
                format!("{base}/roleManagementPolicyAssignments")
            };
            json!({"@odata.context": context, "value": items})
        }
        (true, [id], "GET") => {
            let expanded = wanted(EXPAND_POLICY)?;
            let a = find(&t, ASSIGNMENTS, id)?;
            with_context(
                assignment_read(&t, a, expanded),
                format!("{base}/roleManagementPolicyAssignments/$entity"),
            )
        }
        (false, [], "GET") => {
            let expanded = wanted(EXPAND_RULES)?;
            let scope = scope_filter(filter, "Directory")?;
            let items: Vec<Value> = t
                .collections
                .get(POLICIES)
                .into_iter()
                .flat_map(|c| c.values())
                .filter(|p| scope(p))
                .map(|p| policy_read(p, expanded))
                .collect();
            json!({"@odata.context": format!("{base}/roleManagementPolicies"), "value": items})
        }
        (false, [id], "GET") => {
            let expanded = wanted(EXPAND_RULES)?;
            let p = find(&t, POLICIES, id)?;
            with_context(
                policy_read(p, expanded),
                format!("{base}/roleManagementPolicies/$entity"),
            )
        }
        (false, [id, rules], "GET") if rules.eq_ignore_ascii_case("rules") => {
            let p = find(&t, POLICIES, id)?;
            json!({"@odata.context": format!("{base}/roleManagementPolicies('{id}')/rules"), "value": rules_read(p)})
        }
        (false, [id, rules, rule], "GET") if rules.eq_ignore_ascii_case("rules") => {
            let p = find(&t, POLICIES, id)?;
            let found = rules_read(p)
                .into_iter()
                .find(|r| r["id"].as_str() == Some(*rule))
                .ok_or_else(|| rule_not_found(rule))?;
            with_context(
                found,
                format!("{base}/roleManagementPolicies('{id}')/rules/$entity"),
            )
        }
        (false, [id, rules, rule], "PATCH") if rules.eq_ignore_ascii_case("rules") => {
            let body = req.body.clone().ok_or_else(|| {
                GraphError::bad_request(
                    ErrorStyle::Service,
                    "Empty Payload. JSON content expected.",
                )
            })?;
            update_rule(&mut t, id, rule, body)?;
            emulator.mark_dirty();
            return Ok(Some(GraphResponse::empty(204)));
        }
        (_, [] | [_], _) | (false, [_, _, _], _) => return Err(GraphError::method_not_allowed()),
        (_, [.., last], _) => return Err(GraphError::unknown_segment(last)),
    };
    Ok(Some(GraphResponse::json(200, response)))
}

/// A route label for metrics (`/v1.0/policies/roleManagementPolicies/{id}/rules/{id}`), or
/// None for another path.
pub fn route_label(segs: &[&str]) -> Option<String> {
    match segs {
        [p, c, rest @ ..]
            if p.eq_ignore_ascii_case("policies")
                && (c.eq_ignore_ascii_case("roleManagementPolicies")
                    || c.eq_ignore_ascii_case("roleManagementPolicyAssignments")) =>
        {
            let mut label = format!("/v1.0/policies/{c}");
            for (i, seg) in rest.iter().enumerate() {
                label.push_str(if i % 2 == 0 { "/{id}" } else { "/" });
                if i % 2 == 1 {
                    label.push_str(seg);
                }
            }
            Some(label)
        }
        _ => None,
    }
}

/// The scope filter these lists require (`scopeId eq '/' and scopeType eq '…'`), as a test of
/// an item. Graph refuses the list without it.
fn scope_filter(
    filter: Option<&str>,
    scope_type: &str,
) -> Result<impl Fn(&Value) -> bool, GraphError> {
    let refused = || {
        GraphError::new(
            400,
            "BadRequest",
            format!(
                "The filter must name the scope: $filter=scopeId eq '/' and scopeType eq '{scope_type}'."
            ),
        )
    };
    let text = filter.ok_or_else(refused)?;
    let parsed = crate::odata::parse_filter(text)
        .map_err(|e| GraphError::new(400, "BadRequest", format!("Invalid filter clause: {e}")))?;
    let props = parsed.properties();
    if !(props.contains(&"scopeId") && props.contains(&"scopeType")) {
        return Err(refused());
    }
    Ok(move |item: &Value| parsed.matches(item))
}

fn find<'t>(t: &'t Tenant, collection: &str, id: &str) -> Result<&'t Value, GraphError> {
    t.collections
        .get(collection)
        .and_then(|c| c.get(id))
        .ok_or_else(|| {
            GraphError::not_found(
                ErrorStyle::Service,
                format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
            )
        })
}

fn rule_not_found(rule: &str) -> GraphError {
    GraphError::not_found(
        ErrorStyle::Service,
        format!("The rule '{rule}' does not exist in the policy."),
    )
}

fn with_context(mut v: Value, context: String) -> Value {
    if let Value::Object(obj) = &mut v {
        let mut out = Map::new();
        out.insert("@odata.context".into(), Value::String(context));
        out.append(obj);
        *obj = out;
    }
    v
}

fn rules_read(policy: &Value) -> Vec<Value> {
    policy["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| schema().normalise(RULE, r, true))
        .collect()
}

fn policy_read(policy: &Value, expanded: bool) -> Value {
    let mut v = schema().normalise(POLICIES, policy, false);
    if let Some(obj) = v.as_object_mut() {
        obj.remove("rules");
        if expanded {
            obj.insert("rules".into(), Value::Array(rules_read(policy)));
        }
    }
    v
}

fn assignment_read(t: &Tenant, assignment: &Value, expanded: bool) -> Value {
    let mut v = schema().normalise(ASSIGNMENTS, assignment, false);
    if expanded && let Some(obj) = v.as_object_mut() {
        let policy = assignment["policyId"]
            .as_str()
            .and_then(|id| t.collections.get(POLICIES)?.get(id));
        obj.insert(
            "policy".into(),
            policy.map_or(Value::Null, |p| policy_read(p, true)),
        );
    }
    v
}

/// PATCH of one rule: the body names the rule's own derived type, its properties are the
/// type's, and the rule's id and target's kind stay what they are.
fn update_rule(
    t: &mut Tenant,
    policy_id: &str,
    rule_id: &str,
    body: Value,
) -> Result<(), GraphError> {
    let policy = t
        .collections
        .get_mut(POLICIES)
        .and_then(|c| c.get_mut(policy_id))
        .ok_or_else(|| {
            GraphError::not_found(
                ErrorStyle::Service,
                format!("Resource '{policy_id}' does not exist."),
            )
        })?;
    let rules = policy["rules"]
        .as_array_mut()
        .ok_or_else(|| rule_not_found(rule_id))?;
    let rule = rules
        .iter_mut()
        .find(|r| r["id"].as_str() == Some(rule_id))
        .ok_or_else(|| rule_not_found(rule_id))?;
    if body.get("@odata.type").is_none() {
        return Err(GraphError::bad_request(
            ErrorStyle::Service,
            "The rule's type must be named in '@odata.type'.",
        ));
    }
    let concrete = schema().validate_object(RULE, &body, ErrorStyle::Service)?;
    let stored = rule["@odata.type"]
        .as_str()
        .map(|t| t.trim_start_matches("#microsoft.graph.").to_string());
    if stored.as_deref() != Some(concrete.as_str()) {
        return Err(GraphError::bad_request(
            ErrorStyle::Service,
            format!(
                "The rule '{rule_id}' is a {}, not a {concrete}.",
                stored.unwrap_or_default()
            ),
        ));
    }
    if body
        .get("id")
        .is_some_and(|id| id.as_str() != Some(rule_id))
    {
        return Err(GraphError::bad_request(
            ErrorStyle::Service,
            "A rule's id cannot be changed.",
        ));
    }
    merge(rule, &body);
    policy["lastModifiedDateTime"] = Value::String(crate::tenant::now_rfc3339());
    Ok(())
}
