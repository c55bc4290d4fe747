//! The permission table (`blueprint_catalogue::kinds`) against the emulator's enforcement,
//! which is written from Microsoft's per-operation permission tables independently of it:
//! every kind is read with its read grants alone and written with its write grants alone, and
//! dropping any one grant of either set is refused (least privilege, proven both ways).

use blueprint_catalogue::kinds::{Api, Grant, IdentityKey, KINDS, KindSpec, ParameterSource};
use blueprint_emulator::{App, RunningEmulator};
use blueprint_graph::{Credential, GraphClient, GraphConfig, SecretString};
use serde_json::{Value, json};

use crate::support;

/// A new app in the emulated tenant holding exactly `grants` (Graph permissions), and a client
/// for it.
fn client_with(running: &RunningEmulator, grants: &[&'static str], n: &mut u32) -> GraphClient {
    let grants: Vec<Grant> = grants.iter().map(|g| Grant::Graph(g)).collect();
    client_holding(running, &grants, n)
}

/// A new app in the emulated tenant holding exactly `grants`: its Graph permissions, and the
/// directory roles its service principal holds (Intune's device platform restrictions are
/// written only by an Intune Administrator), and a client for it.
fn client_holding(running: &RunningEmulator, grants: &[Grant], n: &mut u32) -> GraphClient {
    *n += 1;
    let info = running.info();
    let tenant = &info.tenants[0];
    let client_id = format!("00000000-0000-4000-8000-{:012}", *n);
    let secret = format!("least-privilege-secret-{n}");
    running
        .emulator()
        .tenant(&tenant.id)
        .unwrap()
        .lock()
        .unwrap()
        .apps
        .push(App {
            display_name: format!("least-privilege-{n}"),
            client_id: client_id.clone(),
            secrets: vec![blueprint_emulator::ClientSecret {
                value: secret.clone(),
                expires: "2999-01-01T00:00:00Z".into(),
            }],
            certificates: Vec::new(),
            permissions: graph_names(grants).iter().map(|g| g.to_string()).collect(),
            object_id: format!("10000000-0000-4000-8000-{:012}", *n),
            sp_id: format!("20000000-0000-4000-8000-{:012}", *n),
            extra: Default::default(),
        });
    for grant in grants {
        if let Grant::DirectoryRole(role) = grant {
            running
                .emulator()
                .tenant(&tenant.id)
                .unwrap()
                .lock()
                .unwrap()
                .role_assignments
                .push(blueprint_emulator::RoleAssignment {
                    id: format!("lp-graph-{n}-{role}"),
                    principal_id: format!("20000000-0000-4000-8000-{:012}", *n),
                    role_definition_id: blueprint_catalogue::kinds::directory_role_id(role)
                        .unwrap()
                        .to_string(),
                    directory_scope_id: "/".into(),
                });
        }
    }
    let config = GraphConfig {
        authority: info.authority.clone(),
        graph: info.graph.clone(),
        tenant_id: tenant.id.clone(),
        client_id,
        credential: Credential::Secret(SecretString::new(secret)),
        extra_ca_pem: Some(std::fs::read(info.ca_file.as_ref().unwrap()).unwrap()),
        conditional_access_interval: std::time::Duration::ZERO,
        ..GraphConfig::default()
    };
    GraphClient::without_observer(config).unwrap()
}

/// The grants a Graph kind's table holds that an app can be given through Graph: its
/// permissions and its service principal's directory roles.
fn graph_grants(grants: &[Grant]) -> Vec<Grant> {
    grants
        .iter()
        .copied()
        .filter(|g| matches!(g, Grant::Graph(_) | Grant::DirectoryRole(_)))
        .collect()
}

fn graph_names(grants: &[Grant]) -> Vec<&'static str> {
    grants
        .iter()
        .filter_map(|g| match g {
            Grant::Graph(name) => Some(*name),
            _ => None,
        })
        .collect()
}

/// A kind's read as a deploy or an evaluation makes it: the collection, and the list of the
/// keys the tenant may write when the kind has one (a group's licences: `/subscribedSkus`).
async fn read(c: &GraphClient, kind: &KindSpec, collection: &str) -> u16 {
    let listed = status(c.get(collection).await);
    match kind.written_by_action().and_then(|w| w.available) {
        Some(list) if listed == 200 => status(c.get(list.path.trim_start_matches('/')).await),
        _ => listed,
    }
}

/// The no-op write: PATCH, or PUT for a kind Graph replaces whole; for a property written
/// through an action (a group's licences), the reads a deploy makes and the action with the
/// object's items as they are.
async fn no_op_write(
    c: &GraphClient,
    kind: &KindSpec,
    object: &str,
    body: &Value,
) -> Result<(), blueprint_graph::GraphError> {
    if let Some(write) = kind.written_by_action() {
        c.get(object).await?;
        if let Some(list) = write.available {
            c.get(list.path.trim_start_matches('/')).await?;
        }
        return c
            .post_action(
                &format!("{object}/{}", write.action),
                &json!({ write.add: body[write.property], write.remove: [] }),
            )
            .await
            .map(|_| ());
    }
    if let Some(write) = kind.set_by_action() {
        // The collection as it is, through its action, beside the object's own PATCH.
        let current = c
            .get(&format!("{object}?$expand={}", write.property))
            .await?;
        c.post_action(
            &format!("{object}/{}", write.action),
            &json!({ write.parameter: current[write.property] }),
        )
        .await?;
    }
    if kind.is_replaced_whole() {
        c.put(object, body).await.map(|_| ())
    } else {
        c.patch(object, body).await.map(|_| ())
    }
}

/// The kind's path as Graph takes it, as the engine sends it: the tenant's organization id
/// filled in for an object under the organization (its company branding), the parent's id for
/// an object nested under one (the tenant's one Apple enrolment program token).
async fn request_path(admin: &GraphClient, kind: &KindSpec) -> String {
    let mut path = kind.request_path();
    if let Some(parameter) = kind.access.path_parameter {
        let value = match parameter.from {
            ParameterSource::TenantId => admin.organization_id().await.unwrap(),
            ParameterSource::Parent(parent) => {
                let listed = admin.list(&parent.request_path()).await.unwrap();
                listed[0]["id"].as_str().unwrap().to_string()
            }
        };
        path = path.replace(parameter.placeholder, &value);
    }
    path
}

fn status(result: Result<impl Sized, blueprint_graph::GraphError>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(e) => e.status().unwrap_or(0),
    }
}

/// Where one existing object of the kind lives, and a write that changes nothing: its identity
/// (or, for a singleton, its first property holding a value or an object) set to the value it
/// has.
async fn target(admin: &GraphClient, kind: &KindSpec) -> Option<(String, Value)> {
    let request_path = request_path(admin, kind).await;
    let path = request_path.trim_start_matches('/');
    if let Some(listed) =
        blueprint_engine::resources::filtered_collection(kind, "&$expand=policy($expand=rules)")
    {
        // A PIM role's policy is written one rule at a time: a rule's own PATCH, with its type
        // and one property as they are.
        let assignment = admin.list(&listed).await.ok()?.into_iter().next()?;
        let policy = assignment["policy"]["id"].as_str()?;
        let rule = assignment["policy"]["rules"]
            .as_array()?
            .iter()
            .find(|r| r["isExpirationRequired"].is_boolean())?;
        return Some((
            format!(
                "policies/roleManagementPolicies/{policy}/rules/{}",
                rule["id"].as_str()?
            ),
            json!({"@odata.type": rule["@odata.type"], "isExpirationRequired": rule["isExpirationRequired"]}),
        ));
    }
    if kind.identity == IdentityKey::Singleton {
        let (path, current) = if blueprint_engine::resources::is_collection_singleton(kind.name) {
            let first = admin.list(path).await.ok()?.into_iter().next()?;
            (format!("{path}/{}", first["id"].as_str()?), first)
        } else {
            (path.to_string(), admin.get(path).await.ok()?)
        };
        if kind.is_replaced_whole() {
            // Graph takes the whole object (PUT): every property as it is.
            let whole: serde_json::Map<String, Value> = current
                .as_object()?
                .iter()
                .filter(|(k, _)| kind.allows(k, None))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return Some((path, Value::Object(whole)));
        }
        // A value or an object; a list when the kind has nothing else (the organization's
        // notification contacts).
        let set = |lists: bool| {
            kind.properties.iter().find_map(|p| {
                current
                    .get(*p)
                    .filter(|v| !v.is_null() && (lists || !v.is_array()))
                    .map(|v| (*p, v.clone()))
            })
        };
        let (name, value) = set(false).or_else(|| set(true))?;
        return Some((path, json!({ name: value })));
    }
    let IdentityKey::Property(key) = kind.identity else {
        return None;
    };
    // A keyed array (a setting's values) is the object's content; the identity is fixed. The
    // first object that has it (of a kind with derived types, not every type has the array).
    // A collection written through an action (an app protection policy's apps) is not on the
    // list: the identity it is.
    let field = kind
        .keyed_arrays
        .first()
        .map(|(name, _)| *name)
        .filter(|name| kind.set_by_action().is_none_or(|w| w.property != *name))
        .unwrap_or(key);
    // Read as the lookup reads it: a group's licences show only on `$select`.
    let listed = match kind.access.find {
        blueprint_catalogue::kinds::Find::ByIdentity {
            select: Some(select),
        } => format!("{path}?$select={select}"),
        _ => path.to_string(),
    };
    // A counterpart as the engine finds one: of the kind's type, and of its priority for the
    // enrolment defaults (the collection holds the agency's restrictions too).
    let item = admin.list(&listed).await.ok()?.into_iter().find(|i| {
        !i[field].is_null()
            && kind
                .access
                .only_of_type
                .is_none_or(|t| i["@odata.type"] == t)
            && kind
                .access
                .only_where
                .is_none_or(|(p, v)| i[p].as_i64() == Some(v))
    })?;
    let id = item["id"].as_str()?.to_string();
    let body = match &item[field] {
        Value::Null => return None,
        v => json!({ field: v }),
    };
    let body = match item.get("@odata.type") {
        Some(t) => {
            let mut b = body;
            b["@odata.type"] = t.clone();
            b
        }
        None => body,
    };
    Some((format!("{path}/{id}"), body))
}

/// Derived types checked on an object of their own, beside their kind's first object.
const TYPES_CHECKED: &[(&str, &str)] = &[(
    "deviceConfigurationBeta",
    "#microsoft.graph.iosVpnConfiguration",
)];

/// The Graph beta kinds this test checks (under `/beta`); the others are to follow, each with
/// its own no-op write.
const BETA_KINDS_CHECKED: &[&str] = &[
    "appleUserInitiatedEnrollmentProfile",
    "b2bManagementPolicy",
    "depEnrollmentProfile",
    "depOnboardingSetting",
    "deviceConfigurationBeta",
    "deviceEnrollmentPlatformRestriction",
    "deviceManagementScript",
    "iosManagedAppProtectionBeta",
    "mobileAppBeta",
    "windowsAutopilotDeploymentProfile",
];

/// The kind read (its collection) with its read grants alone and written (`object`, a write
/// that changes nothing: `body`) with its write grants alone, and refused without any one of
/// them.
async fn grants_alone_and_none_can_go(
    running: &RunningEmulator,
    kind: &KindSpec,
    collection: &str,
    object: &str,
    body: &Value,
    n: &mut u32,
) {
    let collection = collection.trim_start_matches('/');
    let read = graph_grants(kind.permissions.read);
    let c = client_holding(running, &read, n);
    assert_eq!(
        self::read(&c, kind, collection).await,
        200,
        "{}: read with {read:?} alone",
        kind.name
    );
    for dropped in &read {
        let fewer: Vec<Grant> = read.iter().copied().filter(|g| g != dropped).collect();
        let c = client_holding(running, &fewer, n);
        assert_eq!(
            self::read(&c, kind, collection).await,
            403,
            "{}: read without {dropped:?}",
            kind.name
        );
    }
    // Objects only ever checked or evaluated are never written.
    if !kind.is_checked_only() && !kind.is_evaluated_only() {
        let write = graph_grants(kind.permissions.write);
        let c = client_holding(running, &write, n);
        assert_eq!(
            status(no_op_write(&c, kind, object, body).await),
            200,
            "{}: write with {write:?} alone ({body})",
            kind.name
        );
        for dropped in &write {
            let fewer: Vec<Grant> = write.iter().copied().filter(|g| g != dropped).collect();
            let c = client_holding(running, &fewer, n);
            assert_eq!(
                status(no_op_write(&c, kind, object, body).await),
                403,
                "{}: write without {dropped:?}",
                kind.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_works_with_its_declared_grants_alone_and_none_of_them_can_go() {
    let dir = tempfile::tempdir().unwrap();
    let running = support::emulator("empty-agency", |_| {}, dir.path()).await;
    // The whole automated catalogue, and the Per App VPN profile its agency's VPN automates.
    let mut features = support::automated_features();
    features.push("intune-ios-per-app-vpn".to_string());
    support::workspace(dir.path(), &running, &features);
    let ws = crate::with_params(&dir.path().join("workspace"), crate::VPN_PARAMS);
    let session = support::session(ws);
    let (_, report) = session
        .deploy(&blueprint_engine::DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{:?}", report.results);
    let admin = session.client.clone();
    let mut n = 0;
    let mut checked = Vec::new();
    // Every Graph v1.0 kind the catalogue deploys (a kind no automated feature uses yet has
    // nothing in the tenant to check against), and the Graph beta kinds checked so far.
    let deployed: std::collections::BTreeSet<&str> =
        session.desired.iter().map(|o| o.kind.as_str()).collect();
    for kind in KINDS.iter().filter(|k| {
        (k.api == Api::GraphV1 || BETA_KINDS_CHECKED.contains(&k.name)) && deployed.contains(k.name)
    }) {
        let Some((object, body)) = target(&admin, kind).await else {
            panic!(
                "the deployed catalogue holds no {} to check against",
                kind.name
            );
        };
        // Graph lists PIM policy assignments only under their scope filter.
        let collection = match blueprint_engine::resources::filtered_collection(kind, "") {
            Some(filtered) => filtered,
            None => request_path(&admin, kind).await,
        };
        grants_alone_and_none_can_go(&running, kind, &collection, &object, &body, &mut n).await;
        checked.push(kind.name);
    }
    // A derived type checked on its own object as well (the kind's first object, checked above,
    // may be of another type): the Per App VPN profile, whose Graph beta pages (intune-deviceconfig-
    // iosvpnconfiguration-create, -get, -list, -update) name DeviceManagementConfiguration.
    // ReadWrite.All to write and .Read.All to read, as for the kind's other types.
    for (name, odata_type) in TYPES_CHECKED {
        let kind = KINDS.iter().find(|k| k.name == *name).unwrap();
        let collection = request_path(&admin, kind).await;
        let collection = collection.trim_start_matches('/');
        let item = admin
            .list(collection)
            .await
            .unwrap()
            .into_iter()
            .find(|i| i["@odata.type"] == *odata_type)
            .unwrap_or_else(|| panic!("the deployed catalogue holds no {odata_type}"));
        let object = format!("{collection}/{}", item["id"].as_str().unwrap());
        let body = json!({"@odata.type": odata_type, "displayName": item["displayName"]});
        grants_alone_and_none_can_go(&running, kind, collection, &object, &body, &mut n).await;
        checked.push(odata_type);
    }
    assert!(checked.len() >= 10, "{checked:?}");
    for beta in BETA_KINDS_CHECKED {
        assert!(
            checked.contains(beta),
            "{beta} is deployed and checked: {checked:?}"
        );
    }
    session.close().await;
    running.shutdown().await.unwrap();
}

/// A new app in the emulated tenant holding exactly `grants` (Exchange permissions and
/// directory roles), and a Security & Compliance client for it.
fn compliance_client_with(
    running: &RunningEmulator,
    grants: &[Grant],
    n: &mut u32,
) -> blueprint_exchange::ExchangeClient {
    *n += 1;
    let info = running.info();
    let tenant = &info.tenants[0];
    let client_id = format!("00000000-0000-4000-9000-{:012}", *n);
    let sp_id = format!("20000000-0000-4000-9000-{:012}", *n);
    let secret = format!("least-privilege-compliance-{n}");
    let permissions = grants
        .iter()
        .filter_map(|g| match g {
            Grant::Exchange(name) => Some(name.to_string()),
            _ => None,
        })
        .collect();
    {
        let tenant = running.emulator().tenant(&tenant.id).unwrap();
        let mut tenant = tenant.lock().unwrap();
        tenant.apps.push(App {
            display_name: format!("least-privilege-compliance-{n}"),
            client_id: client_id.clone(),
            secrets: vec![blueprint_emulator::ClientSecret {
                value: secret.clone(),
                expires: "2999-01-01T00:00:00Z".into(),
            }],
            certificates: Vec::new(),
            permissions,
            object_id: format!("10000000-0000-4000-9000-{:012}", *n),
            sp_id: sp_id.clone(),
            extra: Default::default(),
        });
        for grant in grants {
            if let Grant::DirectoryRole(role) = grant {
                tenant
                    .role_assignments
                    .push(blueprint_emulator::RoleAssignment {
                        id: format!("lp-{n}-{role}"),
                        principal_id: sp_id.clone(),
                        role_definition_id: blueprint_catalogue::kinds::directory_role_id(role)
                            .unwrap()
                            .to_string(),
                        directory_scope_id: "/".into(),
                    });
            }
        }
    }
    let config = GraphConfig {
        authority: info.authority.clone(),
        graph: info.graph.clone(),
        tenant_id: tenant.id.clone(),
        client_id,
        credential: Credential::Secret(SecretString::new(secret)),
        extra_ca_pem: Some(std::fs::read(info.ca_file.as_ref().unwrap()).unwrap()),
        ..GraphConfig::default()
    };
    blueprint_exchange::ExchangeClient::for_endpoint(
        blueprint_exchange::AdminEndpoint::Compliance,
        config,
        &info.compliance,
        std::sync::Arc::new(|_| {}),
    )
    .unwrap()
}

/// Reads a compliance kind's family, or sets one of its objects to what it already is.
async fn compliance_op(
    c: &blueprint_exchange::ExchangeClient,
    noun: &str,
    write: Option<(&str, &Value)>,
) -> u16 {
    let result = match write {
        None => c.list(noun).await.map(|_| ()),
        Some((id, body)) => c.update(noun, Some(id), body).await,
    };
    status(result)
}

#[tokio::test(flavor = "multi_thread")]
async fn compliance_kinds_work_with_their_declared_grants_alone_and_none_of_them_can_go() {
    let dir = tempfile::tempdir().unwrap();
    let running = support::emulator("empty-agency", |_| {}, dir.path()).await;
    let ws = support::workspace(
        dir.path(),
        &running,
        &[
            "purview-audit-logging".to_string(),
            "purview-retention".to_string(),
            "purview-sensitivity-labels".to_string(),
            "purview-auto-labelling".to_string(),
        ],
    );
    let session = support::session(ws);
    let (_, report) = session
        .deploy(&blueprint_engine::DeployOptions::default())
        .await
        .unwrap();
    assert_eq!(report.failed(), 0, "{:?}", report.results);
    let admin = session.client.compliance().unwrap().clone();
    let mut n = 0;
    let mut checked = Vec::new();
    for kind in KINDS.iter().filter(|k| k.api == Api::ComplianceAdmin) {
        let noun = blueprint_catalogue::exchange_kinds::noun(kind).unwrap();
        let object = admin
            .list(noun)
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "the deployed catalogue holds no {} to check against",
                    kind.name
                )
            });
        let id = object["Name"].as_str().unwrap().to_string();
        // A no-op Set-: the object's own values of what the blueprint sets (and what Set-
        // requires).
        let body: serde_json::Map<String, Value> = [
            "Priority",
            "RetentionDuration",
            "Comment",
            "RetentionComplianceAction",
            "Tooltip",
        ]
        .iter()
        .filter(|p| kind.properties.contains(*p))
        .filter_map(|p| object.get(*p).map(|v| (p.to_string(), v.clone())))
        .collect();
        let body = Value::Object(body);
        for (grants, write) in [
            (kind.permissions.read, None),
            (kind.permissions.write, Some((id.as_str(), &body))),
        ] {
            let c = compliance_client_with(&running, grants, &mut n);
            assert_eq!(
                compliance_op(&c, noun, write).await,
                200,
                "{}: {} with {grants:?} alone",
                kind.name,
                if write.is_some() { "write" } else { "read" }
            );
            for dropped in grants {
                let fewer: Vec<Grant> = grants.iter().copied().filter(|g| g != dropped).collect();
                let c = compliance_client_with(&running, &fewer, &mut n);
                let got = compliance_op(&c, noun, write).await;
                assert!(
                    got == 401 || got == 403,
                    "{}: without {dropped:?}: {got}",
                    kind.name
                );
            }
        }
        // Exchange's own administrator role is no Purview role.
        let exchange_admin = [
            Grant::Exchange("Exchange.ManageAsApp"),
            Grant::DirectoryRole("Exchange Administrator"),
        ];
        let c = compliance_client_with(&running, &exchange_admin, &mut n);
        assert_eq!(
            compliance_op(&c, noun, Some((id.as_str(), &body))).await,
            403,
            "{}: Exchange Administrator writes",
            kind.name
        );
        checked.push(kind.name);
    }
    assert_eq!(checked.len(), 7, "{checked:?}");
    session.close().await;
    running.shutdown().await.unwrap();
}

/// The DNS records' Graph read (what Microsoft 365 asks the domain to publish, Graph's
/// serviceConfigurationRecords) works with the kind's Graph read grant alone and is refused
/// without it; the DNS itself needs no grant, and Get-DkimSigningConfig takes the Exchange read
/// grants every Exchange kind declares.
#[tokio::test(flavor = "multi_thread")]
async fn the_dns_records_expected_values_are_read_with_the_kinds_graph_grant_alone() {
    let dir = tempfile::tempdir().unwrap();
    let running = support::emulator("empty-agency", |_| {}, dir.path()).await;
    let kind = blueprint_catalogue::kinds::kind("dnsRecord").unwrap();
    let domain = running.info().tenants[0].domains.last().unwrap().clone();
    let path = blueprint_catalogue::kinds::dns::domain_records_path(&domain);
    let path = path.trim_start_matches('/');
    let read = graph_names(kind.permissions.read);
    assert_eq!(read, vec!["Domain.Read.All"]);
    let mut n = 0;
    let c = client_with(&running, &read, &mut n);
    assert_eq!(status(c.get(path).await), 200);
    let c = client_with(&running, &[], &mut n);
    assert_eq!(status(c.get(path).await), 403);
    running.shutdown().await.unwrap();
}
