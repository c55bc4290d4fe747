//! Integration tests of the catalogue: the built-in catalogue's integrity, rendered desired
//! state (snapshots), every validation error kind with its message and location, overlays, the
//! agency profile, and robustness of the loaders against arbitrary input.
//!
//! Snapshots live in `tests/snapshots/`; after an intended change, regenerate them with
//! `BLESS=1 cargo test -p blueprint-catalogue` and review the diff.

use std::collections::HashSet;
use std::path::PathBuf;

use blueprint_catalogue::catalogue::raw_identity;
use blueprint_catalogue::schema::Check;
use blueprint_catalogue::{
    AgencyProfile, Catalogue, CatalogueError, Diagnostic, ErrorKind, FeatureStatus, InputFile,
    builtin, kinds,
};
use proptest::prelude::*;

// ---- helpers ---------------------------------------------------------------------------------

const SAMPLE_PROFILE: &str = include_str!("fixtures/sample-agency.toml");

/// The sample agency, with the firewall rules file it names read as the workspace reads it.
fn sample_profile() -> AgencyProfile {
    let mut profile = AgencyProfile::from_toml("sample-agency.toml", SAMPLE_PROFILE)
        .unwrap_or_else(|e| panic!("{e}"));
    profile
        .read_firewall_rules(
            "firewall/rules.json",
            include_str!("fixtures/firewall-rules.json"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    profile
}

fn builtin_catalogue() -> Catalogue {
    Catalogue::builtin().unwrap_or_else(|e| panic!("the built-in catalogue must load:\n{e}"))
}

fn with_overlay(text: &str) -> Result<Catalogue, CatalogueError> {
    Catalogue::load(
        builtin::coverage(),
        builtin::files(),
        vec![InputFile::new("agency/overlay.yaml", text)],
    )
}

/// The diagnostics of an overlay that must not load.
fn overlay_errors(text: &str) -> Vec<Diagnostic> {
    match with_overlay(text) {
        Ok(_) => panic!("the overlay should have been refused:\n{text}"),
        Err(CatalogueError::Invalid(d)) => d.0,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// Asserts there is exactly one diagnostic, of `kind`, at `location`, whose message contains
/// `message`; returns it.
fn only_error(errors: &[Diagnostic], kind: ErrorKind, location: &str, message: &str) -> Diagnostic {
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors.len(),
        1,
        "expected one error, got:\n{}",
        rendered.join("\n\n")
    );
    let e = &errors[0];
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.location(), location, "{e}");
    assert!(
        e.message.contains(message),
        "message {:?} lacks {:?}",
        e.message,
        message
    );
    e.clone()
}

/// A complete, valid overlay feature; tests break one thing in it at a time. Line numbers
/// matter: the assertions below count them.
const VALID_FEATURE: &str = r#"features:
  - id: agency-extra-exclusion-group
    title: Extra conditional access exclusion group
    area: identity
    abac: [{ file: platform.md, heading: "Microsoft 365 groups" }]
    story: { as: agency security officer, want: a second exclusion group, so_that: service accounts are excluded }
    acceptance:
      - text: The group exists.
        checks: [{ matches: "group:grp-Extra_Exclude" }]
    licences: [entra-id-p1]
    implementation: [cloud-native]
    story_points: 1
    user_impact: None.
    resources:
      - kind: group
        desired:
          displayName: grp-Extra_Exclude
          mailEnabled: false
          mailNickname: grp-Extra_Exclude
          securityEnabled: true
    user_action: Nothing.
"#;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}: run with BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {name} differs from line {}:\nexpected: {:?}\nactual:   {:?}\n(run with BLESS=1 to accept)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

// ---- the built-in catalogue ------------------------------------------------------------------

#[test]
fn builtin_catalogue_validates() {
    let catalogue = builtin_catalogue();
    assert!(
        catalogue.features().len() >= 80,
        "{}",
        catalogue.features().len()
    );
}

/// The ABAC's twelve policies by their exact names, and the two that express Identity
/// Protection's risk policies (named by the catalogue: the ABAC's legacy policies have none).
#[test]
fn builtin_catalogue_has_all_twelve_conditional_access_policies_by_their_abac_names() {
    let catalogue = builtin_catalogue();
    let mut names: Vec<String> = catalogue
        .features()
        .iter()
        .flat_map(|f| f.doc.resources.iter())
        .filter(|r| r.kind.value == "conditionalAccessPolicy")
        .filter_map(|r| {
            r.desired
                .get("displayName")
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "BLOCK - Legacy Authentication",
            "BLOCK - Unapproved Devices",
            "BLOCK – Countries Not Allowed",
            "BLOCK – Guest Access",
            "BLOCK – High Risk Sign-Ins",
            "GRANT - Sign-in Risk Medium and Above",
            "GRANT - User Risk Medium and Above",
            "GRANT – Guest Access",
            "GRANT – Intune Enrolment",
            "GRANT – Terms of Use",
            "GRANT – Windows Device Access",
            "GRANT – iOS Device Access",
            "SESSION - Admin Sign-in Frequency",
            "SESSION - User Sign-in Frequency",
        ]
    );
}

/// The user guides print both texts for every verified feature: "What changes for me" and
/// "What I do now". A feature that changes nothing for staff must not ask them to act.
#[test]
fn every_feature_tells_staff_what_changes_and_what_to_do() {
    let catalogue = builtin_catalogue();
    for feature in catalogue.features() {
        let (impact, action) = (
            feature.doc.user_impact.trim(),
            feature.doc.user_action.trim(),
        );
        let id = feature.id();
        assert!(
            !impact.is_empty() && !action.is_empty(),
            "{id}: empty user text"
        );
        assert_ne!(impact, action, "{id}: the action repeats the impact");
        assert!(action.ends_with('.'), "{id}: `{action}` is not a sentence");
        let changes_nothing = impact.starts_with("None") && !impact.starts_with("None for staff");
        assert_eq!(
            changes_nothing,
            action.starts_with("Nothing: carry on"),
            "{id}: impact `{impact}` but action `{action}`"
        );
    }
}

#[test]
fn every_automated_resource_is_backed_by_a_check_and_manual_features_are_attested() {
    let catalogue = builtin_catalogue();
    for feature in catalogue.features() {
        let checked: HashSet<String> = feature
            .doc
            .acceptance
            .iter()
            .flat_map(|c| c.checks.iter())
            .filter_map(|c| match c {
                Check::Matches(r) | Check::Exists(r) => Some(r.value.clone()),
                _ => None,
            })
            .collect();
        match feature.status() {
            FeatureStatus::Automated => {
                for resource in &feature.doc.resources {
                    let kind = kinds::kind(&resource.kind.value).expect("known kind");
                    let id = raw_identity(kind, resource).expect("identity");
                    let text = blueprint_catalogue::catalogue::reference_text(kind.name, &id);
                    assert!(
                        checked.contains(&text),
                        "{}: {text} is not checked",
                        feature.id()
                    );
                }
            }
            FeatureStatus::Manual => {
                let attested = feature
                    .doc
                    .acceptance
                    .iter()
                    .all(|c| c.checks.iter().all(|k| matches!(k, Check::Attested(_))));
                assert!(
                    attested,
                    "{}: a manual feature is proven by attestation",
                    feature.id()
                );
            }
        }
    }
}

#[test]
fn conditional_access_policies_wait_for_the_break_glass_check() {
    let catalogue = builtin_catalogue();
    for feature in catalogue.features() {
        let is_policy = feature
            .doc
            .resources
            .iter()
            .any(|r| r.kind.value == "conditionalAccessPolicy");
        if is_policy {
            let deps = catalogue.dependencies(feature.id());
            assert!(
                deps.contains(&"identity-break-glass-accounts"),
                "{}: {deps:?}",
                feature.id()
            );
        }
    }
    // References are edges: the country block policy depends on the location it excludes.
    assert!(
        catalogue
            .dependencies("ca-block-countries-not-allowed")
            .contains(&"identity-ca-exclusion-group")
    );
}

#[test]
fn all_dependencies_is_the_transitive_closure() {
    let catalogue = builtin_catalogue();
    for feature in catalogue.features() {
        let all = catalogue.all_dependencies(feature.id());
        assert!(
            !all.contains(feature.id()),
            "{} depends on itself",
            feature.id()
        );
        for direct in catalogue.dependencies(feature.id()) {
            assert!(all.contains(direct));
            assert!(
                catalogue.all_dependencies(direct).is_subset(&all),
                "{} misses what {direct} builds on",
                feature.id()
            );
        }
    }
    // Through the break-glass feature, its policies build on the exclusion group it fills.
    let policy = catalogue.all_dependencies("ca-block-countries-not-allowed");
    assert!(policy.contains("identity-break-glass-accounts"));
    assert!(policy.contains("identity-ca-exclusion-group"));
}

#[test]
fn builtin_dependency_graph_is_acyclic() {
    let catalogue = builtin_catalogue();
    let order = catalogue.topological_order();
    assert_eq!(
        order.len(),
        catalogue.features().len(),
        "every feature is placed: no cycle"
    );
    let position = |id: &str| order.iter().position(|f| f.id() == id).expect("placed");
    for feature in catalogue.features() {
        for dependency in catalogue.dependencies(feature.id()) {
            assert!(
                position(dependency) < position(feature.id()),
                "{} before {}",
                dependency,
                feature.id()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever chain of new features an agency adds on top of built-in ones, the graph stays
    /// acyclic and ordered; closing the chain back on itself is always reported as a cycle.
    #[test]
    fn dependency_graph_stays_acyclic_and_cycles_are_caught(
        picks in proptest::collection::vec(0usize..1000, 1..6),
        close_cycle in any::<bool>(),
    ) {
        let catalogue = builtin_catalogue();
        let builtin_ids: Vec<&str> = catalogue.features().iter().map(|f| f.id()).collect();
        let mut overlay = String::from("features:\n");
        for (i, pick) in picks.iter().enumerate() {
            let mut deps = vec![builtin_ids[pick % builtin_ids.len()].to_owned()];
            if i > 0 {
                deps.push(format!("agency-step-{}", i - 1));
            }
            if close_cycle && i == 0 {
                deps.push(format!("agency-step-{}", picks.len() - 1));
            }
            overlay.push_str(&format!(
                "  - id: agency-step-{i}\n    title: Step {i}\n    area: identity\n    abac: [{{ file: platform.md, heading: \"Azure Active Directory\" }}]\n    story: {{ as: a, want: b, so_that: c }}\n    acceptance: [{{ text: done, checks: [{{ attested: evidence }}] }}]\n    depends_on: {deps:?}\n    licences: []\n    implementation: [cloud-native]\n    story_points: 1\n    user_impact: None.\n    user_action: Nothing.\n    manual: [{{ portal: somewhere, settings: [a] }}]\n"
            ));
        }
        match with_overlay(&overlay) {
            Ok(c) => {
                prop_assert!(!close_cycle);
                let order = c.topological_order();
                prop_assert_eq!(order.len(), c.features().len());
            }
            Err(CatalogueError::Invalid(d)) => {
                prop_assert!(close_cycle, "{}", d);
                prop_assert!(d.iter().all(|e| e.kind == ErrorKind::DependencyCycle), "{}", d);
                prop_assert!(d.0[0].message.contains("agency-step-0"));
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}

// ---- coverage --------------------------------------------------------------------------------

#[test]
fn coverage_accounts_for_every_abac_section() {
    let report = builtin_catalogue().coverage();
    let t = report.totals;
    assert_eq!(t.sections, t.automated + t.manual + t.out_of_scope);
    assert!(
        report
            .sections
            .iter()
            .all(|s| !s.features.is_empty() || s.reason.is_some())
    );
    snapshot(
        "coverage-totals.json",
        &format!("{}\n", serde_json::to_string_pretty(&t).expect("json")),
    );
}

/// The coverage table lists exactly the level-2 and level-3 headings of the ABAC documents
/// (kept with the tests, `tests/abac/`, CC BY 4.0).
#[test]
fn coverage_table_matches_the_abac_documents() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/abac");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the ABAC documents at {}: {e}", dir.display()));
    let mut documents = 0;
    let mut expected = HashSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".md") {
            continue;
        }
        if name == "README.md" {
            continue;
        }
        documents += 1;
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let mut in_code = false;
        let mut parent = String::new();
        let mut headings = Vec::new();
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code {
                continue;
            }
            if let Some(h) = line.strip_prefix("## ") {
                parent = h.trim().to_owned();
                headings.push((None, parent.clone()));
            } else if let Some(h) = line.strip_prefix("### ") {
                headings.push((Some(parent.clone()), h.trim().to_owned()));
            }
        }
        let repeated = |h: &str| headings.iter().filter(|(_, x)| x == h).count() > 1;
        let mut names: Vec<String> = headings
            .iter()
            .map(|(p, h)| match p {
                Some(p) if repeated(h) => format!("{p} > {h}"),
                _ => h.clone(),
            })
            .collect();
        if names.is_empty() {
            let title = text
                .lines()
                .find_map(|l| l.strip_prefix("title:"))
                .unwrap_or_default();
            names.push(title.trim().to_owned());
        }
        expected.extend(names.into_iter().map(|h| (name.clone(), h)));
    }
    assert_eq!(documents, 16, "the ABAC documents in {}", dir.display());
    let actual: HashSet<(String, String)> = builtin_catalogue()
        .sections()
        .iter()
        .map(|s| (s.file.clone(), s.heading.clone()))
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
}

// ---- rendered desired state (snapshots) -------------------------------------------------------

#[test]
fn rendered_desired_state_for_a_cloud_native_agency_matches_the_snapshot() {
    let objects = builtin_catalogue()
        .render_all(&sample_profile())
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_string_pretty(&objects).expect("json");
    snapshot("desired-state-cloud-native.json", &format!("{json}\n"));
}

#[test]
fn rendered_desired_state_for_a_hybrid_agency_matches_the_snapshot() {
    let text = SAMPLE_PROFILE.replace(
        "implementation = \"cloud-native\"",
        "implementation = \"hybrid\"",
    );
    let profile = AgencyProfile::from_toml("hybrid.toml", &text).expect("profile");
    let catalogue = builtin_catalogue();
    let mut objects = Vec::new();
    for id in [
        "identity-role-groups",
        "ca-grant-windows-device-access",
        "exchange-connectors",
    ] {
        objects.extend(
            catalogue
                .render_feature(catalogue.feature(id).expect(id), &profile)
                .expect("render"),
        );
    }
    let json = serde_json::to_string_pretty(&objects).expect("json");
    snapshot("desired-state-hybrid.json", &format!("{json}\n"));
}

#[test]
fn rendering_reports_a_parameter_the_profile_does_not_set() {
    let text = SAMPLE_PROFILE.replace("terms_of_use_expiry_start = \"2025-07-01\"\n", "");
    let profile = AgencyProfile::from_toml("p.toml", &text).expect("profile");
    let catalogue = builtin_catalogue();
    let errors = catalogue
        .render_feature(
            catalogue.feature("ca-terms-of-use").expect("feature"),
            &profile,
        )
        .expect_err("needs the expiry start");
    let e = only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "builtin:conditional-access.yaml:102:28",
        "needs `params.terms_of_use_expiry_start`",
    );
    assert!(e.help.is_some());
}

// ---- validation errors: one test per kind ------------------------------------------------------

#[test]
fn valid_overlay_feature_loads() {
    let catalogue = with_overlay(VALID_FEATURE).unwrap_or_else(|e| panic!("{e}"));
    assert!(catalogue.feature("agency-extra-exclusion-group").is_some());
}

#[test]
fn yaml_syntax_error_is_located() {
    let errors = overlay_errors("features:\n  - id: [unclosed\n");
    let e = only_error(&errors, ErrorKind::Syntax, "agency/overlay.yaml:2:9", "");
    assert!(!e.message.is_empty());
    // The rendered form shows the line and a caret under the column.
    let rendered = e.to_string();
    assert!(rendered.contains("2 |   - id: [unclosed"), "{rendered}");
    assert!(rendered.contains("  |         ^"), "{rendered}");
}

#[test]
fn unknown_field_is_located() {
    let text = VALID_FEATURE.replace(
        "    user_impact: None.\n",
        "    user_impact: None.\n    colour: blue\n",
    );
    only_error(
        &overlay_errors(&text),
        ErrorKind::UnknownField,
        "agency/overlay.yaml:14:5",
        "unknown field `colour`",
    );
}

#[test]
fn missing_field_is_located() {
    let text = VALID_FEATURE.replace("    user_impact: None.\n", "");
    // serde-saphyr places a missing field at the end of the mapping that lacks it.
    only_error(
        &overlay_errors(&text),
        ErrorKind::MissingField,
        "agency/overlay.yaml:20:5",
        "missing field `user_impact`",
    );
}

/// A DNS record whose expected value nobody would read is refused where it is written.
#[test]
fn a_dns_record_without_a_known_expected_value_is_located() {
    let dns = VALID_FEATURE
        .replace(
            r#"checks: [{ matches: "group:grp-Extra_Exclude" }]"#,
            r#"checks: [{ matches: "dnsRecord:MX lists.{{ agency.domain }}" }]"#,
        )
        .replace(
            "      - kind: group\n        desired:\n          displayName: grp-Extra_Exclude\n          mailEnabled: false\n          mailNickname: grp-Extra_Exclude\n          securityEnabled: true\n",
            "      - kind: dnsRecord\n        desired:\n          Record: \"MX lists.{{ agency.domain }}\"\n          ExpectedFrom: \"/domain/{{ agency.domain }}/records\"\n",
        );
    only_error(
        &overlay_errors(&dns),
        ErrorKind::InvalidValue,
        "agency/overlay.yaml:18:25",
        "does not say what a DNS record should be",
    );
    let both = dns.replace(
        "ExpectedFrom: \"/domain/{{ agency.domain }}/records\"",
        "ExpectedFrom: \"/exchange/DkimSigningConfig\"\n          Value: x",
    );
    only_error(
        &overlay_errors(&both),
        ErrorKind::InvalidValue,
        "agency/overlay.yaml:18:25",
        "not both",
    );
    let fine = dns.replace(
        "/domain/{{ agency.domain }}/records",
        "/domains/{{ agency.domain }}/serviceConfigurationRecords",
    );
    with_overlay(&fine).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn invalid_value_is_located() {
    let text = VALID_FEATURE.replace("area: identity", "area: kitchen");
    only_error(
        &overlay_errors(&text),
        ErrorKind::InvalidValue,
        "agency/overlay.yaml:4:11",
        "unknown variant `kitchen`",
    );
}

#[test]
fn duplicate_feature_id_is_located_and_points_at_the_first() {
    let text = VALID_FEATURE.replace("agency-extra-exclusion-group", "ca-block-guest-access");
    let e = only_error(
        &overlay_errors(&text),
        ErrorKind::DuplicateId,
        "agency/overlay.yaml:2:9",
        "duplicate feature id `ca-block-guest-access` (first defined at builtin:conditional-access.yaml:",
    );
    assert!(e.help.as_deref().unwrap_or_default().contains("overrides"));
}

#[test]
fn duplicate_resource_is_located() {
    let text = VALID_FEATURE.replace("grp-Extra_Exclude", "grp-Conditional_Access_Exclude");
    only_error(
        &overlay_errors(&text),
        ErrorKind::DuplicateResource,
        "agency/overlay.yaml:17:24",
        "`group:grp-Conditional_Access_Exclude` is already defined by feature `identity-ca-exclusion-group`",
    );
}

#[test]
fn overlapping_singleton_fields_are_a_duplicate_resource() {
    let text = VALID_FEATURE.replace(
        "      - kind: group\n        desired:\n          displayName: grp-Extra_Exclude\n          mailEnabled: false\n          mailNickname: grp-Extra_Exclude\n          securityEnabled: true\n",
        "      - kind: sharepointSettings\n        desired:\n          isSiteCreationEnabled: true\n",
    )
    .replace("group:grp-Extra_Exclude", "sharepointSettings");
    only_error(
        &overlay_errors(&text),
        ErrorKind::DuplicateResource,
        "agency/overlay.yaml:17:11",
        "`isSiteCreationEnabled` of `sharepointSettings` is already set by feature `sharepoint-site-creation-and-pages`",
    );
}

/// A beta compliance resource adds settings to a policy a v1.0 resource creates: without that
/// resource (here a misspelt name) it is refused where it names the policy, and a v1.0 setting
/// on it is refused too (the v1.0 resource owns those).
#[test]
fn a_kind_that_adds_settings_needs_its_base_resource_and_only_its_own_settings() {
    let beta = |name: &str, setting: &str| {
        VALID_FEATURE.replace(
            "      - kind: group\n        desired:\n          displayName: grp-Extra_Exclude\n          mailEnabled: false\n          mailNickname: grp-Extra_Exclude\n          securityEnabled: true\n",
            &format!(
                "      - kind: deviceCompliancePolicy\n        desired:\n          \"@odata.type\": \"#microsoft.graph.windows10CompliancePolicy\"\n          displayName: Extra Policy\n\
                 \x20     - kind: deviceCompliancePolicyBeta\n        desired:\n          \"@odata.type\": \"#microsoft.graph.windows10CompliancePolicy\"\n          displayName: {name}\n          {setting}: true\n"
            ),
        )
        .replace("group:grp-Extra_Exclude", &format!("deviceCompliancePolicyBeta:{name}"))
    };
    if let Err(e) = with_overlay(&beta("Extra Policy", "tpmRequired")) {
        panic!("{e}");
    }
    let e = only_error(
        &overlay_errors(&beta("Extra Polcy", "tpmRequired")),
        ErrorKind::UnknownReference,
        "agency/overlay.yaml:22:24",
        "`deviceCompliancePolicy:Extra Polcy` does not match any resource",
    );
    assert!(
        e.help.unwrap_or_default().contains("Extra Policy"),
        "suggests the v1.0 policy"
    );
    only_error(
        &overlay_errors(&beta("Extra Policy", "bitLockerEnabled")),
        ErrorKind::UnknownProperty,
        "agency/overlay.yaml:23:11",
        "bitLockerEnabled",
    );
}

#[test]
fn unknown_dependency_is_located_with_a_suggestion() {
    let text = VALID_FEATURE.replace(
        "    licences:",
        "    depends_on: [identity-role-group]\n    licences:",
    );
    let e = only_error(
        &overlay_errors(&text),
        ErrorKind::UnknownDependency,
        "agency/overlay.yaml:10:18",
        "depends on `identity-role-group`, which does not exist",
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `identity-role-groups`?")
    );
}

#[test]
fn unknown_reference_is_located() {
    let text = VALID_FEATURE.replace(
        "          securityEnabled: true\n",
        "          securityEnabled: true\n          description: { $ref: \"group:grp-Nowhere\" }\n",
    );
    only_error(
        &overlay_errors(&text),
        ErrorKind::UnknownReference,
        "agency/overlay.yaml:21:32",
        "`group:grp-Nowhere` does not match any resource in the catalogue",
    );
}

#[test]
fn dependency_cycle_is_printed() {
    let first = VALID_FEATURE.replace(
        "    licences:",
        "    depends_on: [agency-second]\n    licences:",
    );
    let second = VALID_FEATURE
        .replace("features:\n", "")
        .replace("agency-extra-exclusion-group", "agency-second")
        .replace("grp-Extra_Exclude", "grp-Second")
        .replace(
            "    licences:",
            "    depends_on: [agency-extra-exclusion-group]\n    licences:",
        );
    let e = only_error(
        &overlay_errors(&format!("{first}\n{second}")),
        ErrorKind::DependencyCycle,
        "agency/overlay.yaml:32:18",
        "dependency cycle: agency-extra-exclusion-group → agency-second → agency-extra-exclusion-group",
    );
    assert!(
        e.to_string()
            .contains("32 |     depends_on: [agency-extra-exclusion-group]"),
        "{e}"
    );
}

#[test]
fn unknown_resource_kind_is_located_with_a_suggestion() {
    let text = VALID_FEATURE.replace("kind: group", "kind: groups");
    // The check that names `group:grp-Extra_Exclude` is also (rightly) unresolved.
    let errors: Vec<Diagnostic> = overlay_errors(&text)
        .into_iter()
        .filter(|e| e.kind == ErrorKind::UnknownKind)
        .collect();
    let e = only_error(
        &errors,
        ErrorKind::UnknownKind,
        "agency/overlay.yaml:15:15",
        "unknown resource kind `groups`",
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `group`?"));
}

#[test]
fn desired_field_the_kind_does_not_have_is_located() {
    let text = VALID_FEATURE.replace(
        "          securityEnabled: true\n",
        "          securityEnabled: true\n          secretColour: blue\n",
    );
    only_error(
        &overlay_errors(&text),
        ErrorKind::UnknownProperty,
        "agency/overlay.yaml:21:11",
        "group has no property `secretColour` in Graph v1.0",
    );
    let typo = VALID_FEATURE.replace("mailNickname:", "mailNickName:");
    let e = only_error(
        &overlay_errors(&typo),
        ErrorKind::UnknownProperty,
        "agency/overlay.yaml:19:11",
        "mailNickName",
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `mailNickname`?"));
}

#[test]
fn unknown_template_parameter_is_located_at_the_braces() {
    let text = VALID_FEATURE
        .replace(
            "displayName: grp-Extra_Exclude",
            "displayName: \"grp-{{ agency.acronym }}-Extra\"",
        )
        .replace(
            "group:grp-Extra_Exclude",
            "group:grp-{{ agency.acronym }}-Extra",
        );
    let errors = overlay_errors(&text);
    let in_desired: Vec<Diagnostic> = errors.iter().filter(|e| e.line == 17).cloned().collect();
    let e = only_error(
        &in_desired,
        ErrorKind::UnknownTemplateParameter,
        "agency/overlay.yaml:17:29",
        "unknown template parameter `agency.acronym`",
    );
    assert!(
        e.help
            .as_deref()
            .unwrap_or_default()
            .contains("known parameters"),
        "{e}"
    );
}

#[test]
fn invalid_parameter_value_is_located_in_the_profile() {
    let text = SAMPLE_PROFILE.replace("\"203.0.113.0/24\"", "\"203.0.113.7/24\"");
    let errors = AgencyProfile::from_toml("blueprint.toml", &text).expect_err("host bits set");
    let e = only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "blueprint.toml:11:22",
        "params.trusted_ip_ranges",
    );
    assert!(e.message.contains("203.0.113.0/24"), "{e}");

    let text = SAMPLE_PROFILE.replace(
        "allowed_countries = [\"AU\"]",
        "allowed_countries = [\"AU\", \"XX\"]",
    );
    let errors = AgencyProfile::from_toml("blueprint.toml", &text).expect_err("bad country");
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "blueprint.toml:12:28",
        "not an ISO 3166-1 alpha-2 country code",
    );
}

#[test]
fn abac_reference_to_an_unlisted_section_is_located() {
    let text = VALID_FEATURE.replace("Microsoft 365 groups", "Microsoft 365 group");
    let e = only_error(
        &overlay_errors(&text),
        ErrorKind::AbacCoverage,
        "agency/overlay.yaml:5:12",
        "ABAC section `Microsoft 365 group` of platform.md is not in the coverage table",
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `Microsoft 365 groups`?")
    );
}

#[test]
fn abac_section_no_feature_accounts_for_is_located() {
    let coverage = InputFile::new(
        "coverage.yaml",
        format!(
            "{}\n  - file: platform.md\n    headings:\n      - \"A section nobody implements\"\n",
            builtin::coverage().text
        ),
    );
    let errors = match Catalogue::load(coverage, builtin::files(), Vec::new()) {
        Err(CatalogueError::Invalid(d)) => d.0,
        other => panic!("expected an error, got {other:?}"),
    };
    let lines = builtin::coverage().text.lines().count() as u64;
    only_error(
        &errors,
        ErrorKind::AbacCoverage,
        &format!("coverage.yaml:{}:9", lines + 4),
        "ABAC section `A section nobody implements` of platform.md is not accounted for",
    );
}

#[test]
fn overlay_of_an_unknown_feature_is_located() {
    let e = only_error(
        &overlay_errors("overrides:\n  - feature: ca-block-guests\n    story_points: 3\n"),
        ErrorKind::InvalidOverlay,
        "agency/overlay.yaml:2:14",
        "cannot override `ca-block-guests`: no feature has that id",
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `ca-block-guest-access`?")
    );
}

#[test]
fn disabling_without_a_justification_is_refused() {
    only_error(
        &overlay_errors(
            "disable:\n  - feature: ca-block-guest-access\n    justification: \"  \"\n",
        ),
        ErrorKind::MissingField,
        "agency/overlay.yaml:3:20",
        "disabling `ca-block-guest-access` needs a justification",
    );
    only_error(
        &overlay_errors("disable:\n  - feature: ca-block-guest-access\n"),
        ErrorKind::MissingField,
        "agency/overlay.yaml:2:5",
        "missing field `justification`",
    );
}

#[test]
fn disabling_a_feature_others_need_is_refused() {
    let e = only_error(
        &overlay_errors("disable:\n  - feature: identity-break-glass-accounts\n    justification: We have none\n")
            .into_iter()
            .filter(|e| e.message.contains("ca-block-guest-access"))
            .collect::<Vec<_>>(),
        ErrorKind::InvalidOverlay,
        "builtin:conditional-access.yaml:167:18",
        "feature `ca-block-guest-access` needs `identity-break-glass-accounts`, which the overlay disables (We have none)",
    );
    assert!(e.help.is_some());
}

// ---- overlays that apply ---------------------------------------------------------------------

#[test]
fn overlay_adds_an_exclusion_group_changes_sign_in_frequency_and_disables_a_feature() {
    let overlay = format!(
        "{VALID_FEATURE}
overrides:
  - feature: ca-block-countries-not-allowed
    reason: Service accounts used by the agency's monitoring
    append:
      conditions: {{ users: {{ excludeGroups: [ {{ $ref: \"group:grp-Extra_Exclude\" }} ] }} }}
  - feature: ca-session-user-sign-in-frequency
    merge:
      sessionControls: {{ signInFrequency: {{ value: 8 }} }}
disable:
  - feature: ca-block-unapproved-devices
    justification: Agency supports Android through a separate assessment (risk acceptance RA-12)
"
    );
    let catalogue = with_overlay(&overlay).unwrap_or_else(|e| panic!("{e}"));
    let profile = sample_profile();
    let render = |id: &str| {
        catalogue
            .render_feature(catalogue.feature(id).expect(id), &profile)
            .expect("render")
    };

    let countries = &render("ca-block-countries-not-allowed")[0];
    assert_eq!(
        countries.desired["conditions"]["users"]["excludeGroups"],
        serde_json::json!([{"$ref": "group:grp-Conditional_Access_Exclude"}, {"$ref": "group:grp-Extra_Exclude"}])
    );
    assert!(
        catalogue
            .dependencies("ca-block-countries-not-allowed")
            .contains(&"agency-extra-exclusion-group")
    );

    let frequency = &render("ca-session-user-sign-in-frequency")[0];
    assert_eq!(
        frequency.desired["sessionControls"]["signInFrequency"],
        serde_json::json!({"isEnabled": true, "type": "hours", "value": 8})
    );

    let disabled = catalogue
        .feature("ca-block-unapproved-devices")
        .expect("feature");
    assert!(
        disabled
            .disabled
            .as_deref()
            .unwrap_or_default()
            .contains("RA-12")
    );
    let all = catalogue.render_all(&profile).expect("render all");
    assert!(
        all.iter()
            .all(|o| o.feature != "ca-block-unapproved-devices")
    );
}

// ---- the agency profile ------------------------------------------------------------------------

#[test]
fn profile_reads_agency_and_params_and_fills_blueprint_defaults() {
    let profile = sample_profile();
    assert_eq!(profile.agency.prefix.as_str(), "DOE");
    assert_eq!(profile.params.trusted_ip_ranges.len(), 2);
    assert_eq!(
        profile.params.contacts.group_expiration.as_str(),
        "Office365_Group_Expiration@examples.gov.au"
    );
    assert_eq!(profile.params.group_naming_policy, "grp-[GroupName]");
    assert_eq!(
        profile.params.distribution_group_naming_policy, "grp-<GroupName>",
        "distribution groups follow the groups' naming standard, in Exchange's spelling"
    );

    let minimal = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n";
    let profile = AgencyProfile::from_toml("m.toml", minimal).expect("minimal profile");
    assert_eq!(
        profile.params.allowed_countries.len(),
        1,
        "the blueprint allows Australia"
    );
    assert_eq!(
        profile.params.sharing_allowed_domains[0].as_str(),
        "a.gov.au"
    );
}

#[test]
fn profile_errors_are_located() {
    let errors = AgencyProfile::from_toml(
        "b.toml",
        "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\nmotto = \"x\"\n",
    )
    .expect_err("unknown field");
    only_error(
        &errors.0,
        ErrorKind::UnknownField,
        "b.toml:5:1",
        "unknown field `motto`",
    );

    let errors =
        AgencyProfile::from_toml("b.toml", "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\n")
            .expect_err("no prefix");
    only_error(
        &errors.0,
        ErrorKind::MissingField,
        "b.toml:1:1",
        "missing field `prefix`",
    );

    let errors = AgencyProfile::from_toml("b.toml", "[agency\n").expect_err("syntax");
    assert_eq!(errors.0[0].kind, ErrorKind::Syntax);
    assert_eq!(errors.0[0].line, 1);

    let errors = AgencyProfile::from_toml(
        "b.toml",
        "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"A-B\"\ntenant_id = \"nope\"\n",
    )
    .expect_err("bad values");
    assert_eq!(errors.0.len(), 2);
    assert_eq!(errors.0[0].location(), "b.toml:4:10");
    assert_eq!(errors.0[1].location(), "b.toml:5:13");
}

#[test]
fn protective_markings_make_one_mail_flow_rule_each_and_refuse_until_listed() {
    let catalogue = builtin_catalogue();
    let feature = catalogue
        .feature("exchange-mail-flow-rules")
        .expect("feature");
    let rules = catalogue
        .render_feature(feature, &sample_profile())
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = rules.iter().map(|r| r.identity.as_str()).collect();
    assert_eq!(
        names,
        [
            "Outgoing X-Protective-Marker OFFICIAL",
            "Outgoing X-Protective-Marker PROTECTED"
        ]
    );
    // The label id is read lower-case, as mail carries it in msip_labels.
    assert_eq!(
        rules[0].desired["HeaderContainsWords"],
        serde_json::json!(["MSIP_Label_8260affa-0595-45d6-a83e-a3b79a9c02c4_Enabled=true"])
    );
    assert_eq!(
        rules[1].desired["SetHeaderValue"],
        "VER=2018.4, NS=gov.au, SEC=PROTECTED"
    );
    assert_eq!(
        rules[1].reference,
        "transportRule:Outgoing X-Protective-Marker PROTECTED"
    );

    // Without the list the feature refuses, at its for_each, rather than passing with no rule.
    let start = SAMPLE_PROFILE
        .find("[[params.protective_markings]]")
        .unwrap();
    let end = SAMPLE_PROFILE.find("[connection]").unwrap();
    let text = format!("{}{}", &SAMPLE_PROFILE[..start], &SAMPLE_PROFILE[end..]);
    let profile = AgencyProfile::from_toml("p.toml", &text).expect("profile");
    assert_eq!(profile.params.protective_markings, None);
    let errors = catalogue
        .render_feature(feature, &profile)
        .expect_err("needs the markings");
    let yaml = include_str!("../catalogue/office-365.yaml");
    let (line, column) = yaml
        .lines()
        .enumerate()
        .find_map(|(n, l)| {
            l.find("for_each: params.protective_markings")
                .map(|c| (n + 1, c + "for_each: ".len() + 1))
        })
        .unwrap();
    let e = only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        &format!("builtin:office-365.yaml:{line}:{column}"),
        "needs `params.protective_markings`",
    );
    assert!(e.help.is_some());
}

#[test]
fn protective_markings_are_checked_and_located() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n";
    let table = |label: &str, id: &str, marking: &str| {
        format!(
            "[[params.protective_markings]]\nlabel = \"{label}\"\nlabel_id = \"{id}\"\nmarking = \"{marking}\"\n"
        )
    };
    const ID: &str = "8260affa-0595-45d6-a83e-a3b79a9c02c4";
    const MARKING: &str = "VER=2018.4, NS=gov.au, SEC=OFFICIAL";
    let profile = AgencyProfile::from_toml(
        "m.toml",
        &format!("{base}{}", table("OFFICIAL", ID, MARKING)),
    )
    .expect("profile");
    let markings = profile.params.protective_markings.expect("listed");
    assert_eq!(markings[0].label_id, ID);
    assert_eq!(markings[0].marking, MARKING);

    // Not a GUID, and not a marking: each located at its value.
    let errors = AgencyProfile::from_toml(
        "m.toml",
        &format!("{base}{}", table("OFFICIAL", "not-a-guid", "SEC=OFFICIAL")),
    )
    .expect_err("bad values");
    let at: Vec<String> = errors.0.iter().map(|e| e.location()).collect();
    assert_eq!(at, ["m.toml:7:12", "m.toml:8:11"], "{errors}");
    assert!(
        errors.0[0].message.contains("not a sensitivity label id"),
        "{errors}"
    );
    assert!(
        errors.0[1].message.contains("VER=2018.4, NS=gov.au, SEC="),
        "{errors}"
    );

    // A label listed twice.
    let errors = AgencyProfile::from_toml(
        "m.toml",
        &format!(
            "{base}{}{}",
            table("OFFICIAL", ID, MARKING),
            table("official", "12dcf2ca-f80e-4ac2-861b-4b6557faeea3", MARKING)
        ),
    )
    .expect_err("twice");
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "m.toml:10:9",
        "listed twice",
    );

    // An empty list is no list of labels.
    let errors = AgencyProfile::from_toml(
        "m.toml",
        &format!("{base}[params]\nprotective_markings = []\n"),
    )
    .expect_err("empty");
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "m.toml:6:23",
        "the list is empty",
    );

    // A field the table does not have.
    let errors = AgencyProfile::from_toml(
        "m.toml",
        &format!("{base}{}colour = \"red\"\n", table("OFFICIAL", ID, MARKING)),
    )
    .expect_err("unknown field");
    assert_eq!(errors.0[0].kind, ErrorKind::UnknownField, "{errors}");
}

#[test]
fn for_each_over_a_list_of_tables_names_the_element_fields() {
    let walk = |list: &str, nickname: &str| {
        VALID_FEATURE
            .replace(
                "      - kind: group\n",
                &format!("      - kind: group\n        for_each: {list}\n"),
            )
            .replace(
                "mailNickname: grp-Extra_Exclude",
                &format!("mailNickname: \"x{{{{ {nickname} }}}}\""),
            )
    };
    with_overlay(&walk("params.protective_markings", "each.label"))
        .unwrap_or_else(|e| panic!("{e}"));
    let e = only_error(
        &overlay_errors(&walk("params.protective_markings", "each.colour")),
        ErrorKind::UnknownTemplateParameter,
        "agency/overlay.yaml:20:27",
        "`each.colour` is not a field",
    );
    assert_eq!(
        e.help.as_deref(),
        Some("name a field: each.label, each.label_id, each.marking")
    );
    only_error(
        &overlay_errors(&walk("params.break_glass_upns", "each.label")),
        ErrorKind::UnknownTemplateParameter,
        "agency/overlay.yaml:20:27",
        "the list's elements are text",
    );
    // Outside a for_each there is no element, and the list itself is no value.
    let plain = |nickname: &str| {
        VALID_FEATURE.replace(
            "mailNickname: grp-Extra_Exclude",
            &format!("mailNickname: \"x{{{{ {nickname} }}}}\""),
        )
    };
    only_error(
        &overlay_errors(&plain("each.label")),
        ErrorKind::UnknownTemplateParameter,
        "agency/overlay.yaml:19:27",
        "only defined inside a resource with `for_each`",
    );
    only_error(
        &overlay_errors(&plain("params.protective_markings")),
        ErrorKind::UnknownTemplateParameter,
        "agency/overlay.yaml:19:27",
        "is a list of tables",
    );
}

#[test]
fn a_distribution_group_naming_policy_follows_the_group_standard_and_must_name_the_group() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let profile = AgencyProfile::from_toml(
        "n.toml",
        &format!("{base}group_naming_policy = \"[Department]-[GroupName]-grp\"\n"),
    )
    .expect("profile");
    assert_eq!(
        profile.params.distribution_group_naming_policy,
        "<Department>-<GroupName>-grp"
    );
    let profile = AgencyProfile::from_toml(
        "n.toml",
        &format!("{base}distribution_group_naming_policy = \"DL-<GroupName>\"\n"),
    )
    .expect("profile");
    assert_eq!(
        profile.params.distribution_group_naming_policy,
        "DL-<GroupName>"
    );
    let errors = AgencyProfile::from_toml(
        "n.toml",
        &format!("{base}distribution_group_naming_policy = \"DL-[GroupName]\"\n"),
    )
    .expect_err("no <GroupName>");
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "n.toml:6:36",
        "has no <GroupName>",
    );
}

#[test]
fn iso_3166_list_is_complete() {
    assert_eq!(
        blueprint_catalogue::profile::iso_3166_alpha_2_codes().count(),
        249
    );
}

// ---- robustness --------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn loader_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let _ = with_overlay(&text);
    }

    #[test]
    fn loader_never_panics_on_yaml_shaped_input(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("features:".to_owned()),
                Just("  - id: x".to_owned()),
                Just("    resources:".to_owned()),
                Just("      - kind: group".to_owned()),
                Just("        desired: { displayName: \"{{ agency.name\" }".to_owned()),
                Just("        desired: { $ref: 1 }".to_owned()),
                Just("overrides: [{ feature: x, merge: ~ }]".to_owned()),
                Just("disable: [{ feature: ca-block-guest-access, justification: y }]".to_owned()),
                Just("&a [*a]".to_owned()),
                "[ -~]{0,30}",
            ],
            0..12,
        )
    ) {
        let _ = with_overlay(&lines.join("\n"));
    }

    #[test]
    fn profile_reader_never_panics(text in "\\PC{0,300}") {
        let _ = AgencyProfile::from_toml("p.toml", &text);
    }

    #[test]
    fn templates_never_panic(text in "[{}a-z_. |\"()]{0,40}") {
        let _ = blueprint_catalogue::template::check(&text, None);
        let _ = blueprint_catalogue::template::render(&text, &sample_profile(), None);
    }
}

// ---- the JSON Schema for editors -----------------------------------------------------------------

#[test]
fn json_schema_agrees_with_the_kinds_and_areas() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../catalogue.schema.json")).expect("the schema is JSON");
    let enum_of = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(|v| v.as_array())
            .unwrap_or_else(|| panic!("{pointer}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let kinds_in_schema = enum_of("/$defs/resource/properties/kind/enum");
    let kinds_in_code: Vec<String> = kinds::KINDS.iter().map(|k| k.name.to_owned()).collect();
    assert_eq!(kinds_in_schema, kinds_in_code);
    let areas_in_schema = enum_of("/$defs/feature/properties/area/enum");
    let areas_in_code: Vec<String> = blueprint_catalogue::schema::Area::ALL
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert_eq!(areas_in_schema, areas_in_code);
}

/// A kind's access facts must name what the kind has: the engine trusts them to route writes,
/// so a side door for a property the kind lacks (or a property with no side door) would send a
/// body Graph refuses, or drop a setting silently.
#[test]
fn every_kinds_access_facts_agree_with_its_properties() {
    use blueprint_catalogue::kinds::{Find, IdentityKey, KINDS};
    for kind in KINDS {
        let a = kind.access;
        assert_eq!(
            a.assignments,
            kind.allows("assignments", None),
            "{}: `assignments` must be a property exactly when it goes through /assign",
            kind.name
        );
        if let Some(per_item) = a.per_item {
            assert!(
                kind.allows(per_item.property, None),
                "{}: per-item {} is not a property",
                kind.name,
                per_item.property
            );
            let keyed = per_item.items.map_or(per_item.property.to_string(), |i| {
                format!("{}.{i}", per_item.property)
            });
            assert!(
                kind.keyed_arrays
                    .iter()
                    .any(|(p, key)| *p == keyed && *key == "id"),
                "{}: items written one at a time are matched by id ({keyed})",
                kind.name
            );
        }
        if let Some(expand) = a.expand {
            let property = expand.query.split('(').next().unwrap();
            assert!(
                kind.allows(property, None),
                "{}: expands {property}, which it lacks",
                kind.name
            );
        }
        if let Some(base) = a.adds_to {
            // Another service's face of the object (Exchange's of a Graph group) has its own
            // path and ids; another Graph version's is at the same path.
            if kind.api.is_cmdlet_api() {
                assert!(
                    !base.api.is_cmdlet_api(),
                    "{}: adds to another cmdlet family",
                    kind.name
                );
            } else {
                assert_eq!(
                    base.path, kind.path,
                    "{}: adds to objects at another path",
                    kind.name
                );
            }
            // Another API version's settings, or a property the base kind does not write
            // (a group's licences, written through an action).
            let side_door = a
                .written_by_action
                .is_some_and(|w| !base.allows(w.property, None));
            // Or items of a collection the base writes through the same action, which leaves
            // the items it does not name alone (an administrative template's values an agency's
            // decision adds beside the profile's own).
            let own_items = a.written_by_action.is_some_and(|w| {
                base.written_by_action()
                    .is_some_and(|b| b.property == w.property && b.action == w.action)
            });
            assert!(
                base.api != kind.api || side_door || own_items,
                "{}: adds through the same API as its base, and nothing the base lacks",
                kind.name
            );
        }
        if let Some(w) = a.set_by_action {
            assert!(
                kind.allows(w.property, None),
                "{}: writes {} through an action, which it lacks",
                kind.name,
                w.property
            );
            assert!(
                kind.keyed_arrays.contains(&(w.property, w.key)),
                "{}: the items {} sets are matched by {}",
                kind.name,
                w.action,
                w.key
            );
            assert_eq!(
                a.expand.map(|e| e.query),
                Some(w.property),
                "{}: {} is read through $expand",
                kind.name,
                w.property
            );
        }
        if let Some(w) = a.written_by_action {
            assert!(
                kind.allows(w.property, None),
                "{}: writes {} through an action, which it lacks",
                kind.name,
                w.property
            );
            assert!(
                kind.keyed_arrays
                    .iter()
                    .any(|(p, key)| *p == w.property && *key == w.key),
                "{}: items written through {} are matched by {}",
                kind.name,
                w.action,
                w.key
            );
        }
        match a.find {
            Find::ByIdentity { .. } => assert!(
                matches!(kind.identity, IdentityKey::Property(_)),
                "{}",
                kind.name
            ),
            Find::OnlyOneInCollection => {
                assert_eq!(kind.identity, IdentityKey::Singleton, "{}", kind.name)
            }
            Find::ListAll => {}
        }
        if kind.api.is_cmdlet_api() {
            assert!(
                a.per_item.is_none() && a.expand.is_none() && !a.assignments,
                "{}: Graph facts on an Exchange kind",
                kind.name
            );
        }
    }
}

#[test]
fn every_kind_declares_its_api_and_least_privileged_grants() {
    use blueprint_catalogue::kinds::{Api, Grant, KINDS};
    for kind in KINDS {
        let p = kind.permissions;
        assert!(!p.read.is_empty(), "{}: no read grant", kind.name);
        assert!(!p.write.is_empty(), "{}: no write grant", kind.name);
        for grant in p.read.iter().chain(p.write) {
            match (kind.api, grant) {
                (Api::GraphV1 | Api::GraphBeta, Grant::Graph(name)) => {
                    // Microsoft's names: Area.Operation[.Scope], e.g. Policy.ReadWrite.ConditionalAccess.
                    let parts: Vec<&str> = name.split('.').collect();
                    assert!(
                        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty()),
                        "{}: {name} is not a Graph permission name",
                        kind.name
                    );
                }
                (
                    Api::ExchangeAdmin | Api::ComplianceAdmin,
                    Grant::Exchange(_) | Grant::DirectoryRole(_) | Grant::ExchangeRole(_),
                ) => {}
                // A Graph kind the service also holds to a directory role of the caller's
                // (Intune's device platform restrictions: Intune Administrator), named as
                // `connect` assigns it.
                (Api::GraphV1 | Api::GraphBeta, Grant::DirectoryRole(role)) => {
                    assert!(
                        blueprint_catalogue::kinds::directory_role_id(role).is_some(),
                        "{}: {role} is not a role `connect` knows",
                        kind.name
                    );
                }
                // The DNS answers anyone: the grants are those of the Graph and Exchange reads
                // that say what Microsoft wants there.
                (
                    Api::PublicDns,
                    Grant::Graph(_) | Grant::Exchange(_) | Grant::DirectoryRole(_),
                ) => {}
                (api, grant) => panic!("{}: {grant:?} cannot be granted for {api:?}", kind.name),
            }
        }
        // Reading never needs write access; a prerequisite-only kind is never written.
        assert!(
            p.read.iter().all(|g| !g.name().contains("ReadWrite")),
            "{}: a read grant that writes",
            kind.name
        );
        // A Graph kind only ever evaluated writes nothing, so it asks for no more than it reads.
        if kind.is_evaluated_only() && matches!(kind.api, Api::GraphV1 | Api::PublicDns) {
            assert_eq!(p.write, p.read, "{}: an evaluated-only kind", kind.name);
        } else if !kind.is_checked_only() {
            assert!(
                p.write.iter().any(|g| g.name().contains("ReadWrite")
                    || g.name().contains("Manage")
                    || matches!(g, Grant::DirectoryRole(_))),
                "{}: write grants that cannot write",
                kind.name
            );
        }
    }
}

mod permissions {
    use blueprint_catalogue::Catalogue;
    use blueprint_catalogue::kinds::{Grant, KINDS};
    use blueprint_catalogue::permissions::{Access, Granted, missing, missing_message, required};

    fn all_needs(access: Access) -> Vec<blueprint_catalogue::permissions::Need> {
        let desired = Catalogue::builtin()
            .unwrap()
            .render_all(&super::sample_profile())
            .unwrap();
        let objects: Vec<_> = desired.iter().collect();
        required(&objects, access)
    }

    #[test]
    fn needs_follow_the_kinds_and_name_the_features() {
        let write = all_needs(Access::ReadWrite);
        let ca = write
            .iter()
            .find(|n| n.grant == Grant::Graph("Policy.ReadWrite.ConditionalAccess"))
            .expect("conditional access policies need Policy.ReadWrite.ConditionalAccess");
        assert!(ca.features.iter().any(|f| f.starts_with("ca-")), "{ca:?}");
        // Microsoft documents creating a policy as needing Application.Read.All as well.
        assert!(
            write
                .iter()
                .any(|n| n.grant == Grant::Graph("Application.Read.All"))
        );
        // Every directory role reference is resolved by listing the role templates.
        assert!(
            write
                .iter()
                .any(|n| n.grant == Grant::Graph("RoleManagement.Read.Directory"))
        );
        // Break-glass accounts are only checked: reading users is enough even to deploy.
        assert!(
            write
                .iter()
                .any(|n| n.grant == Grant::Graph("User.Read.All"))
        );
        assert!(
            !write
                .iter()
                .any(|n| n.grant == Grant::Graph("User.ReadWrite.All"))
        );

        let read = all_needs(Access::ReadOnly);
        assert!(!read.is_empty());
        assert!(
            read.iter().all(|n| !n.grant.name().contains("ReadWrite")),
            "a read-only app needs no write permission: {read:?}"
        );
    }

    #[test]
    fn every_kind_declares_its_read_and_write_grants() {
        for kind in KINDS {
            assert!(
                !kind.permissions.read.is_empty(),
                "{} declares no read grant",
                kind.name
            );
            assert!(
                !kind.permissions.write.is_empty(),
                "{} declares no write grant",
                kind.name
            );
        }
    }

    #[test]
    fn an_exchange_administrator_reads_what_a_global_reader_reads_in_exchange() {
        use blueprint_catalogue::kinds::directory_role_id;
        let holding = |role: &str| Granted {
            directory_roles: [directory_role_id(role).unwrap().to_string()].into(),
            ..Granted::default()
        };
        let admin = holding("Exchange Administrator");
        assert!(admin.holds(Grant::DirectoryRole("Exchange Administrator")));
        assert!(admin.holds(Grant::DirectoryRole("Global Reader")));
        assert!(!admin.holds(Grant::DirectoryRole("Security Administrator")));
        let reader = holding("Global Reader");
        assert!(!reader.holds(Grant::DirectoryRole("Exchange Administrator")));
        assert!(
            holding("Global Administrator").holds(Grant::DirectoryRole("Exchange Administrator"))
        );
        // No directory role brings an Exchange management role that no role group holds
        // (the Address Lists role): only a role group membership read from Exchange does.
        assert!(!holding("Global Administrator").holds(Grant::ExchangeRole("Address Lists")));
        let member = Granted {
            exchange_roles: ["address lists".to_string()].into(),
            ..Granted::default()
        };
        assert!(member.holds(Grant::ExchangeRole("Address Lists")));
    }

    #[test]
    fn a_read_write_permission_holds_its_read_and_missing_ones_are_named() {
        let needs = all_needs(Access::ReadWrite);
        let mut granted = Granted::default();
        for n in &needs {
            match n.grant {
                Grant::Graph(name) if name != "Policy.ReadWrite.ConditionalAccess" => {
                    granted.graph.insert(name.to_string());
                }
                Grant::Graph(_) => {}
                Grant::Exchange(name) => {
                    granted.exchange.insert(name.to_string());
                }
                Grant::DirectoryRole(role) => {
                    granted.directory_roles.insert(
                        blueprint_catalogue::kinds::directory_role_id(role)
                            .unwrap()
                            .into(),
                    );
                }
                Grant::ExchangeRole(role) => {
                    granted.exchange_roles.insert(role.to_string());
                }
            }
        }
        let lacking = missing(&needs, &granted);
        assert_eq!(lacking.len(), 1, "{lacking:?}");
        let message = missing_message(&lacking);
        assert!(
            message.contains("Policy.ReadWrite.ConditionalAccess"),
            "{message}"
        );
        // Each names the features needing it.
        let first = lacking[0].features.iter().next().unwrap();
        assert!(message.contains(&format!("needed by {first}")), "{message}");

        let reads = all_needs(Access::ReadOnly);
        let mut writer = Granted::default();
        for n in &reads {
            match n.grant {
                Grant::Graph(name) => {
                    writer.graph.insert(name.replace(".Read.", ".ReadWrite."));
                }
                // Exchange's reads need its permission and a reading role, as its writes do.
                Grant::Exchange(name) => {
                    writer.exchange.insert(name.to_string());
                }
                Grant::DirectoryRole(role) => {
                    writer.directory_roles.insert(
                        blueprint_catalogue::kinds::directory_role_id(role)
                            .unwrap()
                            .into(),
                    );
                }
                // Exchange management roles are held through role groups, for reads and
                // writes alike.
                Grant::ExchangeRole(role) => {
                    writer.exchange_roles.insert(role.to_lowercase());
                }
            }
        }
        assert!(missing(&reads, &writer).is_empty(), "ReadWrite holds Read");
    }
}

// ---- corrections from the coverage audit: each test would have caught the mistake ----------

/// The desired fields of the built-in resources of `kind`, rendered as written.
fn builtin_desired(kind: &str) -> Vec<(String, serde_json::Value)> {
    builtin_catalogue()
        .features()
        .iter()
        .flat_map(|f| {
            f.doc
                .resources
                .iter()
                .filter(|r| r.kind.value == kind)
                .map(move |r| (f.id().to_string(), r.desired.to_json()))
        })
        .collect()
}

#[test]
fn a_v1_compliance_policy_refuses_the_beta_only_properties() {
    let kind = kinds::kind("deviceCompliancePolicy").unwrap();
    assert_eq!(kind.api, kinds::Api::GraphV1);
    let windows = "#microsoft.graph.windows10CompliancePolicy";
    let ios = "#microsoft.graph.iosCompliancePolicy";
    for property in [
        "activeFirewallRequired",
        "defenderEnabled",
        "defenderVersion",
        "signatureOutOfDate",
        "rtpEnabled",
        "antivirusRequired",
        "antiSpywareRequired",
        "deviceThreatProtectionEnabled",
        "deviceThreatProtectionRequiredSecurityLevel",
        "configurationManagerComplianceRequired",
        "tpmRequired",
        "validOperatingSystemBuildRanges",
    ] {
        assert!(
            !kind.allows(property, Some(windows)),
            "{property} on Windows"
        );
    }
    for property in [
        "passcodeMinutesOfInactivityBeforeScreenTimeout",
        "osMinimumBuildVersion",
        "osMaximumBuildVersion",
        "advancedThreatProtectionRequiredSecurityLevel",
        "restrictedApps",
    ] {
        assert!(!kind.allows(property, Some(ios)), "{property} on iOS");
    }
    // What v1.0 has stays allowed.
    assert!(kind.allows("bitLockerEnabled", Some(windows)));
    assert!(kind.allows("deviceThreatProtectionRequiredSecurityLevel", Some(ios)));

    // And `catalogue validate` says so where the overlay writes it.
    let errors = overlay_errors(
        r##"features:
  - id: agency-firewall
    title: Firewall required
    area: intune
    abac: [{ file: intune-compliance.md, heading: "Windows 10 compliance" }]
    story: { as: a, want: b, so_that: c }
    acceptance: [{ text: t, checks: [{ matches: "deviceCompliancePolicy:Agency firewall" }] }]
    licences: [intune-plan-1]
    implementation: [cloud-native]
    story_points: 1
    user_impact: None.
    user_action: "Nothing: carry on working as usual."
    resources:
      - kind: deviceCompliancePolicy
        desired:
          "@odata.type": "#microsoft.graph.windows10CompliancePolicy"
          displayName: Agency firewall
          activeFirewallRequired: true
"##,
    );
    let e = only_error(
        &errors,
        ErrorKind::UnknownProperty,
        "agency/overlay.yaml:18:11",
        "has no property `activeFirewallRequired` in Graph v1.0",
    );
    assert!(e.to_string().contains("windows10CompliancePolicy"), "{e}");
}

#[test]
fn mfa_methods_are_the_app_and_oath_codes_not_sms() {
    let (_, desired) = builtin_desired("authenticationMethodsPolicy")
        .into_iter()
        .find(|(f, _)| f == "identity-authentication-methods")
        .expect("the feature sets the methods");
    let state = |id: &str| {
        desired["authenticationMethodConfigurations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["state"].clone())
    };
    assert_eq!(state("MicrosoftAuthenticator"), Some("enabled".into()));
    assert_eq!(state("SoftwareOath"), Some("enabled".into()));
    assert_eq!(state("Sms"), Some("disabled".into()));
    // Hardware OATH tokens, which the ABAC names, are accounted for (manual: beta-only method,
    // secrets uploaded by a person).
    let catalogue = builtin_catalogue();
    let mfa = catalogue.feature("identity-mfa-service-settings").unwrap();
    assert!(
        mfa.doc
            .manual
            .iter()
            .any(|m| m.portal.contains("OATH tokens")),
        "hardware tokens are named"
    );
}

/// Only the fields written are compared: every condition Graph v1.0 has must be written (null
/// or empty when the ABAC leaves it unconfigured), or a condition added in the portal would
/// pass unnoticed.
#[test]
fn every_conditional_access_policy_pins_every_condition() {
    let policies = builtin_desired("conditionalAccessPolicy");
    assert_eq!(policies.len(), 14);
    for (feature, p) in policies {
        let name = p["displayName"].as_str().unwrap_or_default().to_string();
        let conditions = &p["conditions"];
        for key in [
            "users",
            "applications",
            "clientAppTypes",
            "platforms",
            "locations",
            "devices",
            "clientApplications",
            "authenticationFlows",
            "signInRiskLevels",
            "userRiskLevels",
        ] {
            assert!(
                conditions.get(key).is_some(),
                "{feature} ({name}): conditions.{key} not pinned"
            );
        }
        for key in [
            "includeUsers",
            "excludeUsers",
            "includeGroups",
            "excludeGroups",
            "includeRoles",
            "excludeRoles",
            "includeGuestsOrExternalUsers",
            "excludeGuestsOrExternalUsers",
        ] {
            assert!(
                conditions["users"].get(key).is_some(),
                "{feature} ({name}): users.{key} not pinned"
            );
        }
        for key in [
            "includeApplications",
            "excludeApplications",
            "includeUserActions",
            "includeAuthenticationContextClassReferences",
            "applicationFilter",
        ] {
            assert!(
                conditions["applications"].get(key).is_some(),
                "{feature} ({name}): applications.{key} not pinned"
            );
        }
        assert!(
            p["grantControls"].get("authenticationStrength").is_some(),
            "{feature} ({name}): grantControls.authenticationStrength not pinned"
        );
        assert!(p.get("sessionControls").is_some(), "{feature} ({name})");
    }
}

#[test]
fn the_exclusion_group_sets_only_what_the_abac_names() {
    let (_, group) = builtin_desired("group")
        .into_iter()
        .find(|(_, g)| g["displayName"] == "grp-Conditional_Access_Exclude")
        .unwrap();
    assert!(group.get("description").is_none(), "{group}");
}

#[test]
fn user_texts_and_abac_filing_follow_the_abac() {
    let catalogue = builtin_catalogue();
    // The ABAC configures no retention labels: staff have nothing to apply.
    let retention = catalogue.feature("purview-retention").unwrap();
    assert!(
        !retention.doc.user_action.contains("label"),
        "{}",
        retention.doc.user_action
    );
    // "Enrolment types (preview)" is an Apple enrolment setting.
    let files = |id: &str| -> Vec<String> {
        catalogue
            .feature(id)
            .unwrap()
            .doc
            .abac
            .iter()
            .map(|r| r.value.heading.clone())
            .collect()
    };
    assert!(
        files("intune-apple-enrolment-types").contains(&"Enrolment types (preview)".to_string())
    );
    assert!(!files("intune-windows-enrolment").contains(&"Enrolment types (preview)".to_string()));
    // The iOS manual list names what is manual (build, screen timeout, MDE risk score), not
    // what the automated policy already sets (device threat level, lock "Immediately").
    let beta_only = catalogue
        .feature("intune-compliance-beta-only-settings")
        .unwrap();
    let ios = beta_only
        .doc
        .manual
        .iter()
        .find(|m| m.portal.contains("iOS"))
        .unwrap();
    let all = ios.settings.join("|");
    assert!(all.contains("18H107") && all.contains("machine risk score") && all.contains("15"));
    assert!(
        !all.contains("Device Threat Level") && !all.contains("Immediately"),
        "{all}"
    );
    // SharePoint's time zone and notifications are automated, not "settings Graph does not reach".
    assert_eq!(
        catalogue
            .feature("sharepoint-admin-center-settings")
            .unwrap()
            .status(),
        FeatureStatus::Automated
    );
    for (file, false_claim) in [
        (
            "office-365.yaml",
            "No Graph v1.0 API reaches these settings",
        ),
        ("identity.yaml", "the Entra settings no API reaches."),
    ] {
        let text = blueprint_catalogue::builtin::files()
            .into_iter()
            .find(|f| f.name.ends_with(file))
            .unwrap()
            .text;
        assert!(
            !text.contains(false_claim),
            "{file} still says {false_claim:?}"
        );
    }
}

/// `[graph] beta = false`: every feature that needs a beta kind becomes manual, with the reason,
/// renders no objects, and counts as manual in the coverage; v1.0 features are untouched.
#[test]
fn turning_beta_off_makes_the_beta_features_manual_with_the_reason() {
    let all = builtin_catalogue();
    let beta: Vec<&str> = all
        .features()
        .iter()
        .filter(|f| f.needs_beta())
        .map(|f| f.id())
        .collect();
    assert!(
        beta.contains(&"identity-report-suspicious-activity")
            && beta.contains(&"organisation-forms-todo-and-store-settings"),
        "{beta:?}"
    );
    for id in &beta {
        let f = all.feature(id).unwrap();
        assert_eq!(f.status(), FeatureStatus::Automated, "{id}");
        assert!(!f.doc.manual.is_empty(), "{id} carries its portal steps");
    }
    let off = builtin_catalogue().without_beta();
    for f in off.features() {
        if beta.contains(&f.id()) {
            assert_eq!(f.status(), FeatureStatus::Manual, "{}", f.id());
            assert!(
                f.manual_because
                    .as_deref()
                    .is_some_and(|r| r.contains("[graph] beta = false")),
                "{}",
                f.id()
            );
        } else {
            assert_eq!(
                f.status(),
                all.feature(f.id()).unwrap().status(),
                "{}",
                f.id()
            );
        }
    }
    let profile = sample_profile();
    let rendered = off.render_all(&profile).unwrap();
    assert!(rendered.iter().all(|o| !o.path.starts_with("/beta/")));
    assert!(
        all.render_all(&profile)
            .unwrap()
            .iter()
            .any(|o| o.path.starts_with("/beta/"))
    );
    // A section served only by beta features (endpoint security) turns manual; one that v1.0
    // features serve too stays automated. Never more automated than with beta on.
    let (on, off) = (all.coverage().totals, off.coverage().totals);
    assert!(off.automated <= on.automated && off.manual >= on.manual);
    let endpoint = |c: &blueprint_catalogue::CoverageReport| {
        c.sections
            .iter()
            .find(|s| s.heading == "Endpoint Security > Windows Client Devices")
            .map(|s| s.status)
    };
    assert_eq!(
        endpoint(&all.coverage()),
        Some(blueprint_catalogue::CoverageStatus::Automated)
    );
    assert_eq!(
        endpoint(&builtin_catalogue().without_beta().coverage()),
        Some(blueprint_catalogue::CoverageStatus::Manual)
    );
}

// ---- files the agency supplies: the built-in apps script and the WDAC policy ------------------

#[test]
fn the_remove_built_in_apps_script_defaults_to_the_catalogues_and_takes_the_agencys_file() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let catalogue = builtin_catalogue();
    let feature = catalogue.feature("intune-remove-built-in-apps").unwrap();
    assert_eq!(feature.status(), FeatureStatus::Automated);
    let script = |profile: &AgencyProfile| {
        let objects = catalogue.render_feature(feature, profile).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(
            objects[0].path,
            "/beta/deviceManagement/deviceManagementScripts"
        );
        assert_eq!(objects[0].desired["runAsAccount"], "system");
        assert_eq!(objects[0].desired["runAs32Bit"], true);
        assert_eq!(objects[0].desired["enforceSignatureCheck"], false);
        objects[0].desired["scriptContent"].clone()
    };
    let default = AgencyProfile::from_toml("d.toml", base).unwrap();
    assert_eq!(
        script(&default),
        serde_json::json!({"$file": "builtin:RemoveBuiltInApps.ps1"})
    );
    let own = AgencyProfile::from_toml(
        "o.toml",
        &format!("{base}remove_built_in_apps_script = \"scripts/Remove.ps1\"\n"),
    )
    .unwrap();
    assert_eq!(
        script(&own),
        serde_json::json!({"$file": "scripts/Remove.ps1"})
    );

    for (bad, why) in [
        ("../Remove.ps1", "not inside the workspace"),
        ("builtin:Other.ps1", "not one of the catalogue's files"),
    ] {
        let errors = AgencyProfile::from_toml(
            "b.toml",
            &format!("{base}remove_built_in_apps_script = \"{bad}\"\n"),
        )
        .expect_err(bad);
        only_error(&errors.0, ErrorKind::InvalidParameter, "b.toml:6:31", why);
    }
}

#[test]
fn the_wdac_deployment_is_manual_until_the_profile_names_the_policy_and_its_id() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let without = AgencyProfile::from_toml("w.toml", base).unwrap();
    let catalogue = builtin_catalogue().for_profile(&without);
    let wdac = catalogue.feature("intune-application-control").unwrap();
    assert_eq!(wdac.status(), FeatureStatus::Manual);
    let why = wdac.manual_because.as_deref().unwrap();
    assert!(
        why.contains("params.wdac_base_policy_file and params.wdac_base_policy_id"),
        "{why}"
    );
    let rendered = catalogue.render_where(&without, |f| f.id() == "intune-application-control");
    assert!(
        rendered.objects.is_empty() && rendered.unrendered.is_empty(),
        "a manual feature renders nothing and stops nothing"
    );
    // The policy and the id given: automated, the id's braces dropped in the CSP's URI.
    let with = AgencyProfile::from_toml(
        "w.toml",
        &format!("{base}wdac_base_policy_file = \"wdac/base.cip\"\nwdac_base_policy_id = \"{{a244370e-44c9-4c06-b551-f6016e563076}}\"\n"),
    )
    .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let wdac = catalogue.feature("intune-application-control").unwrap();
    assert_eq!(wdac.status(), FeatureStatus::Automated);
    let objects = catalogue.render_feature(wdac, &with).unwrap();
    let setting = &objects[0].desired["omaSettings"][0];
    assert_eq!(
        setting["omaUri"],
        "./Vendor/MSFT/ApplicationControl/Policies/A244370E-44C9-4C06-B551-F6016E563076/Policy"
    );
    assert_eq!(
        setting["value"],
        serde_json::json!({"$file": "wdac/base.cip"})
    );
    // Only one of the two: still manual, naming the one missing.
    let half = AgencyProfile::from_toml(
        "w.toml",
        &format!("{base}wdac_base_policy_file = \"wdac/base.cip\"\n"),
    )
    .unwrap();
    let catalogue = builtin_catalogue().for_profile(&half);
    let why = catalogue
        .feature("intune-application-control")
        .unwrap()
        .manual_because
        .clone()
        .unwrap();
    assert!(
        why.contains("params.wdac_base_policy_id") && !why.contains("wdac_base_policy_file"),
        "{why}"
    );
    // The building and signing stay a person's.
    assert_eq!(
        builtin_catalogue()
            .feature("intune-application-control-policy")
            .unwrap()
            .status(),
        FeatureStatus::Manual
    );

    let errors = AgencyProfile::from_toml(
        "b.toml",
        &format!("{base}wdac_base_policy_id = \"not-a-guid\"\n"),
    )
    .expect_err("bad id");
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "b.toml:6:23",
        "PolicyID",
    );
}

/// The AppLocker and "Custom - Device Restrictions" profiles carry the agency's own files and
/// pictures: manual, naming what is missing, until the profile names them; then the XML files go
/// as `$file` (their bytes) and the pictures as the URLs given. A picture that is not an http(s)
/// or file URL is refused where it is written.
#[test]
fn the_applocker_and_custom_restrictions_profiles_wait_for_the_agencys_files_and_pictures() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let without = AgencyProfile::from_toml("p.toml", base).unwrap();
    let catalogue = builtin_catalogue().for_profile(&without);
    for (id, needs) in [
        (
            "intune-windows-applocker",
            "params.applocker_admins_policy_file and params.applocker_users_policy_file",
        ),
        (
            "intune-windows-custom-device-restrictions",
            "params.start_menu_layout_file and params.lock_screen_image_url and params.desktop_image_url",
        ),
    ] {
        let feature = catalogue.feature(id).unwrap();
        assert_eq!(feature.status(), FeatureStatus::Manual, "{id}");
        let why = feature.manual_because.as_deref().unwrap();
        assert!(why.contains(needs), "{id}: {why}");
    }
    // One of the pictures only: still manual, naming the two missing.
    let some = AgencyProfile::from_toml(
        "p.toml",
        &format!("{base}desktop_image_url = \"https://intranet.a.gov.au/d.jpg\"\n"),
    )
    .unwrap();
    let why = builtin_catalogue()
        .for_profile(&some)
        .feature("intune-windows-custom-device-restrictions")
        .unwrap()
        .manual_because
        .clone()
        .unwrap();
    assert!(
        why.contains("params.start_menu_layout_file and params.lock_screen_image_url")
            && !why.contains("desktop_image_url"),
        "{why}"
    );

    let with = AgencyProfile::from_toml(
        "p.toml",
        &format!(
            "{base}applocker_admins_policy_file = \"applocker/admins.xml\"\napplocker_users_policy_file = \"applocker/users.xml\"\nstart_menu_layout_file = \"start.xml\"\nlock_screen_image_url = \"file:///C:/Windows/Web/lock.jpg\"\ndesktop_image_url = \"HTTPS://intranet.a.gov.au/d.png\"\n"
        ),
    )
    .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let applocker = catalogue.feature("intune-windows-applocker").unwrap();
    assert_eq!(applocker.status(), FeatureStatus::Automated);
    let objects = catalogue.render_feature(applocker, &with).unwrap();
    let settings = objects[0].desired["omaSettings"].as_array().unwrap();
    assert_eq!(settings.len(), 2);
    assert_eq!(
        settings[0]["omaUri"],
        "./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/BlockedExe01/EXE/Policy"
    );
    assert_eq!(
        settings[0]["@odata.type"],
        "#microsoft.graph.omaSettingStringXml"
    );
    assert_eq!(
        settings[1]["value"],
        serde_json::json!({"$file": "applocker/users.xml"})
    );
    let custom = catalogue
        .feature("intune-windows-custom-device-restrictions")
        .unwrap();
    assert_eq!(custom.status(), FeatureStatus::Automated);
    let desired = &catalogue.render_feature(custom, &with).unwrap()[0].desired;
    assert_eq!(
        desired["personalizationLockScreenImageUrl"],
        "file:///C:/Windows/Web/lock.jpg"
    );
    assert_eq!(
        desired["personalizationDesktopImageUrl"],
        "HTTPS://intranet.a.gov.au/d.png"
    );
    assert_eq!(
        desired["startMenuLayoutXml"],
        serde_json::json!({"$file": "start.xml"})
    );

    for (line, at, why) in [
        (
            "lock_screen_image_url = \"intranet/lock.jpg\"",
            "b.toml:6:25",
            "not a picture's URL",
        ),
        (
            "desktop_image_url = \"https://\"",
            "b.toml:6:21",
            "not a picture's URL",
        ),
        (
            "start_menu_layout_file = \"../start.xml\"",
            "b.toml:6:26",
            "not inside the workspace",
        ),
        (
            "applocker_users_policy_file = \"/etc/users.xml\"",
            "b.toml:6:31",
            "not inside the workspace",
        ),
    ] {
        let errors =
            AgencyProfile::from_toml("b.toml", &format!("{base}{line}\n")).expect_err(line);
        only_error(&errors.0, ErrorKind::InvalidParameter, at, why);
    }
}

/// The iOS Per App VPN profile names the agency's VPN server and provider: manual, naming what
/// is missing, until the profile names both; then the ABAC's fixed values with the agency's two,
/// in Graph beta (manual again with beta off). A server with a scheme or an unknown provider is
/// refused where it is written.
#[test]
fn the_per_app_vpn_profile_waits_for_the_agencys_vpn_server_and_provider() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let id = "intune-ios-per-app-vpn";
    let only_server =
        AgencyProfile::from_toml("v.toml", &format!("{base}vpn_server = \"203.0.113.10\"\n"))
            .unwrap();
    let catalogue = builtin_catalogue().for_profile(&only_server);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Manual);
    let why = feature.manual_because.as_deref().unwrap();
    assert!(
        why.contains("params.vpn_connection_type") && !why.contains("params.vpn_server"),
        "{why}"
    );

    let with = AgencyProfile::from_toml(
        "v.toml",
        &format!(
            "{base}vpn_server = \"VPN.A.gov.au\"\nvpn_connection_type = \"paloAltoGlobalProtectV2\"\n"
        ),
    )
    .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Automated);
    assert!(feature.needs_beta());
    let objects = catalogue.render_feature(feature, &with).unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].kind, "deviceConfigurationBeta");
    let desired = &objects[0].desired;
    assert_eq!(
        desired["@odata.type"],
        "#microsoft.graph.iosVpnConfiguration"
    );
    assert_eq!(desired["connectionType"], "paloAltoGlobalProtectV2");
    assert_eq!(desired["server"]["address"], "vpn.a.gov.au");
    assert_eq!(desired["connectionName"], "PerApp VPN");
    assert_eq!(desired["authenticationMethod"], "usernameAndPassword");
    assert_eq!(desired["enableSplitTunneling"], false);
    assert_eq!(desired["enablePerApp"], true);
    assert_eq!(desired["disableOnDemandUserOverride"], true);
    assert_eq!(desired["assignments"].as_array().unwrap().len(), 2);
    let without_beta = builtin_catalogue().without_beta().for_profile(&with);
    assert_eq!(
        without_beta.feature(id).unwrap().status(),
        FeatureStatus::Manual
    );
    // The ABAC's own placeholder shape: an IP address is a server too.
    let by_address =
        AgencyProfile::from_toml("v.toml", &format!("{base}vpn_server = \"2001:db8::10\"\n"))
            .unwrap();
    assert_eq!(
        by_address.lookup("params.vpn_server"),
        Some(serde_json::json!("2001:db8::10"))
    );

    for (line, at, why) in [
        (
            "vpn_server = \"https://vpn.a.gov.au\"",
            "b.toml:6:14",
            "not a VPN server address",
        ),
        (
            "vpn_connection_type = \"openVpn\"",
            "b.toml:6:23",
            "not an iOS VPN connection type",
        ),
        (
            "vpn_connection_type = \"CiscoAnyConnectV2\"",
            "b.toml:6:23",
            "did you mean `ciscoAnyConnectV2`?",
        ),
    ] {
        let errors =
            AgencyProfile::from_toml("b.toml", &format!("{base}{line}\n")).expect_err(line);
        only_error(&errors.0, ErrorKind::InvalidParameter, at, why);
    }
}

/// File Explorer's DEP and heap termination are the agency's decision (params.explorer_dep, no
/// default): manual, naming the parameter, until it is set; then both values, added to ACSC –
/// Windows 10 Hardening, Enabled for `abac` and Disabled for `acsc`. Another word is refused
/// where it is written, a wrong case with the right spelling.
#[test]
fn the_explorer_dep_settings_wait_for_the_agencys_decision() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let id = "intune-windows-explorer-dep";
    let without = AgencyProfile::from_toml("e.toml", base).unwrap();
    let catalogue = builtin_catalogue().for_profile(&without);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Manual);
    let why = feature.manual_because.as_deref().unwrap();
    assert!(why.contains("params.explorer_dep"), "{why}");
    assert!(
        feature.doc.manual[0]
            .settings
            .iter()
            .any(|s| s.contains("params.explorer_dep = \"abac\"")),
        "the manual step names the parameter and its choices"
    );

    for (choice, enabled) in [("abac", true), ("acsc", false)] {
        let with =
            AgencyProfile::from_toml("e.toml", &format!("{base}explorer_dep = \"{choice}\"\n"))
                .unwrap();
        let catalogue = builtin_catalogue().for_profile(&with);
        let feature = catalogue.feature(id).unwrap();
        assert_eq!(feature.status(), FeatureStatus::Automated, "{choice}");
        let objects = catalogue.render_feature(feature, &with).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].kind, "groupPolicyConfigurationValues");
        assert_eq!(objects[0].identity, "ACSC – Windows 10 Hardening");
        // Added to the profile intune-windows-hardening creates, which is referenced first.
        assert_eq!(
            objects[0].references[0],
            "groupPolicyConfiguration:ACSC – Windows 10 Hardening"
        );
        let values = objects[0].desired["definitionValues"].as_array().unwrap();
        let names: Vec<&str> = values
            .iter()
            .map(|v| v["definition"]["displayName"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Turn off Data Execution Prevention for Explorer",
                "Turn off heap termination on corruption"
            ]
        );
        for v in values {
            assert_eq!(v["definition"]["classType"], "machine");
            assert_eq!(
                v["definition"]["categoryPath"],
                "\\Windows Components\\File Explorer"
            );
            assert_eq!(v["enabled"], enabled, "{choice}");
        }
    }

    for (line, at, why) in [
        (
            "explorer_dep = \"off\"",
            "b.toml:6:16",
            "not a choice for Explorer's DEP and heap termination",
        ),
        (
            "explorer_dep = \"ACSC\"",
            "b.toml:6:16",
            "did you mean `acsc`?",
        ),
    ] {
        let errors =
            AgencyProfile::from_toml("b.toml", &format!("{base}{line}\n")).expect_err(line);
        only_error(&errors.0, ErrorKind::InvalidParameter, at, why);
    }
}

/// The Office settings whose values are the agency's (Outlook's trusted and managed add-ins,
/// PowerPoint's 97-2003 file block): manual, naming what is missing, until all three are set;
/// then added to ACSC – Microsoft Office Hardening, the lists as name/value pairs and the file
/// block as its option's value. A bad entry is refused where it is written (a bad name, a TOML
/// key, at its table).
#[test]
fn the_office_agency_settings_wait_for_the_agencys_add_ins_and_file_block() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let id = "intune-windows-office-agency-settings";
    let file_block = "powerpoint_97_2003_file_block = \"Open/Save blocked, use open policy\"\n";
    let trusted = "[params.outlook_trusted_add_ins]\n\"agencyaddin.dll\" = \"A1B2C3\"\n";
    let managed =
        "[params.outlook_managed_add_ins]\n\"Agency.Addin.1\" = \"1\"\n\"Old.Addin\" = \"0\"\n";
    let partial =
        AgencyProfile::from_toml("o.toml", &format!("{base}{file_block}{trusted}")).unwrap();
    let catalogue = builtin_catalogue().for_profile(&partial);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Manual);
    let why = feature.manual_because.as_deref().unwrap();
    assert!(
        why.contains("params.outlook_managed_add_ins")
            && !why.contains("params.outlook_trusted_add_ins")
            && !why.contains("params.powerpoint_97_2003_file_block"),
        "{why}"
    );

    let with = AgencyProfile::from_toml("o.toml", &format!("{base}{file_block}{trusted}{managed}"))
        .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Automated);
    let objects = catalogue.render_feature(feature, &with).unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].kind, "groupPolicyConfigurationValues");
    assert_eq!(
        objects[0].references[0],
        "groupPolicyConfiguration:ACSC – Microsoft Office Hardening"
    );
    let values = &objects[0].desired["definitionValues"];
    assert_eq!(
        values[0]["presentationValues"][0]["values"],
        serde_json::json!([{"name": "agencyaddin.dll", "value": "A1B2C3"}])
    );
    assert_eq!(
        values[1]["presentationValues"][0]["values"],
        serde_json::json!([
            {"name": "Agency.Addin.1", "value": "1"},
            {"name": "Old.Addin", "value": "0"}
        ])
    );
    assert_eq!(values[2]["presentationValues"][0]["value"], "2");
    for v in values.as_array().unwrap() {
        assert_eq!(v["enabled"], true);
        assert_eq!(v["definition"]["classType"], "user");
    }

    for (lines, at, why) in [
        (
            "powerpoint_97_2003_file_block = \"Always match file type\"",
            "b.toml:6:33",
            "not a file block setting of PowerPoint 97-2003 files",
        ),
        (
            "powerpoint_97_2003_file_block = \"open in protected view\"",
            "b.toml:6:33",
            "did you mean `Open in Protected View`?",
        ),
        (
            "[params.outlook_managed_add_ins]\n\"Agency.Addin.1\" = \"yes\"",
            "b.toml:7:20",
            "not a managed add-in's value",
        ),
        (
            "[params.outlook_trusted_add_ins]\n\"C:\\\\addins\\\\agency.dll\" = \"A1\"",
            "b.toml:6:1",
            "not a DLL file name",
        ),
        (
            "[params.outlook_trusted_add_ins]\n\"agency.dll\" = \"A1 B2\"",
            "b.toml:7:16",
            "not a hash",
        ),
        (
            "outlook_managed_add_ins = {}",
            "b.toml:6:27",
            "names no add-in",
        ),
    ] {
        let errors =
            AgencyProfile::from_toml("b.toml", &format!("{base}{lines}\n")).expect_err(lines);
        only_error(&errors.0, ErrorKind::InvalidParameter, at, why);
    }
}

/// `eq("…")` makes a boolean of a text parameter: a whole value only, and only of text.
#[test]
fn the_eq_filter_is_a_whole_boolean_of_a_text_parameter() {
    use blueprint_catalogue::template::{check, render};
    let whole = "{{ params.explorer_dep | eq(\"abac\") }}";
    check(whole, None).unwrap();
    let inside = check(&format!("DEP off: {whole}"), None).unwrap_err();
    assert!(
        inside.message.contains("true or false"),
        "{}",
        inside.message
    );
    let of_list = check("{{ params.allowed_countries | eq(\"AU\") }}", None).unwrap_err();
    assert!(
        of_list.message.contains("does not apply"),
        "{}",
        of_list.message
    );
    let unquoted = check("{{ params.explorer_dep | eq(abac) }}", None).unwrap_err();
    assert!(unquoted.message.contains("quoted"), "{}", unquoted.message);
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    for (choice, expected) in [("abac", true), ("acsc", false)] {
        let profile =
            AgencyProfile::from_toml("e.toml", &format!("{base}explorer_dep = \"{choice}\"\n"))
                .unwrap();
        assert_eq!(
            render(whole, &profile, None).unwrap(),
            serde_json::Value::Bool(expected)
        );
    }
}

#[test]
fn the_guest_invitation_allowlist_deploys_once_the_agency_names_its_target_domains() {
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let id = "identity-external-collaboration-domains";
    let without = AgencyProfile::from_toml("g.toml", base).unwrap();
    let catalogue = builtin_catalogue().for_profile(&without);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Manual);
    let why = feature.manual_because.as_deref().unwrap();
    assert!(why.contains("params.guest_invitation_domains"), "{why}");
    assert!(
        catalogue
            .render_where(&without, |f| f.id() == id)
            .objects
            .is_empty()
    );

    let with = AgencyProfile::from_toml(
        "g.toml",
        &format!("{base}guest_invitation_domains = [\"a.gov.au\", \"B.gov.au\"]\n"),
    )
    .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Automated);
    assert!(feature.needs_beta());
    let objects = catalogue.render_feature(feature, &with).unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].kind, "b2bManagementPolicy");
    // One JSON document, as text, that Graph keeps as given: the allowlist and nothing else.
    let definition = objects[0].desired["definition"][0].as_str().unwrap();
    let parsed: serde_json::Value = serde_json::from_str(definition).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": {
            "AllowedDomains": ["a.gov.au", "b.gov.au"]}}})
    );
    assert_eq!(objects[0].desired["isOrganizationDefault"], true);

    for (value, at, why) in [
        ("[]", "b.toml:6:28", "the list is empty"),
        (
            "[\"not a domain\"]",
            "b.toml:6:29",
            "params.guest_invitation_domains",
        ),
    ] {
        let errors = AgencyProfile::from_toml(
            "b.toml",
            &format!("{base}guest_invitation_domains = {value}\n"),
        )
        .expect_err(value);
        only_error(&errors.0, ErrorKind::InvalidParameter, at, why);
    }
}

#[test]
fn automated_when_set_names_agency_parameters_and_needs_manual_steps() {
    let errors = overlay_errors(
        r#"
features:
  - id: agency-extra
    title: Extra
    area: intune
    abac:
      - { file: intune-configuration.md, heading: "Scripts" }
    story: { as: admin, want: x, so_that: y }
    acceptance:
      - text: x
        checks:
          - attested: x
    licences: [intune-plan-1]
    implementation: [cloud-native]
    story_points: 1
    user_impact: x
    user_action: x
    automated_when_set: [params.no_such_thing]
    manual:
      - portal: x
        settings: [x]
    resources:
      - kind: group
        desired: { displayName: x, mailEnabled: false, mailNickname: x, securityEnabled: true }
"#,
    );
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.iter().any(|e| e
            .message
            .contains("`params.no_such_thing`, which is not an agency parameter")),
        "{}",
        rendered.join("\n")
    );
}

/// A rules file as the documented PowerShell command writes it (ConvertTo-Json's layout): one
/// rule per object, enumerations by name, the filters' lists as lists.
fn firewall_rule_json(name: &str) -> String {
    format!(
        r#"  {{
    "DisplayName": "{name}",
    "Description": null,
    "Direction": "Outbound",
    "Action": "Allow",
    "Enabled": "True",
    "Profile": "Domain, Private",
    "Program": "%SystemRoot%\\system32\\svchost.exe",
    "Package": null,
    "Service": "Dnscache",
    "Protocol": "UDP",
    "LocalPort": ["Any"],
    "RemotePort": ["53"],
    "LocalAddress": ["Any"],
    "RemoteAddress": ["DNS", "10.0.0.0/255.0.0.0"],
    "InterfaceType": "Any"
  }}"#
    )
}

fn firewall_rules_json(count: usize) -> String {
    let rules: Vec<String> = (0..count)
        .map(|i| firewall_rule_json(&format!("Rule {i}")))
        .collect();
    format!("[\n{}\n]\n", rules.join(",\n"))
}

/// The Windows Firewall rules import (wfw-rules-import.md): manual until the profile names the
/// rules file; with its rules, one Windows Firewall Rules policy per 150 rules (151 rules are
/// two policies, the second with one rule), each rule the Firewall CSP's settings, assigned to
/// the test group the feature creates.
#[test]
fn firewall_rules_become_policies_of_at_most_150_rules() {
    use blueprint_catalogue::firewall;
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let id = "intune-endpoint-security-firewall-rules";
    let without = AgencyProfile::from_toml("f.toml", base).unwrap();
    let catalogue = builtin_catalogue().for_profile(&without);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Manual);
    assert!(
        feature
            .manual_because
            .as_deref()
            .unwrap()
            .contains("params.firewall_rules")
    );

    let mut with = AgencyProfile::from_toml(
        "f.toml",
        &format!("{base}firewall_rules = \"firewall/rules.json\"\n"),
    )
    .unwrap();
    assert_eq!(
        with.params.firewall_rules.as_deref(),
        Some("firewall/rules.json")
    );
    with.read_firewall_rules("firewall/rules.json", &firewall_rules_json(151))
        .unwrap();
    let catalogue = builtin_catalogue().for_profile(&with);
    let feature = catalogue.feature(id).unwrap();
    assert_eq!(feature.status(), FeatureStatus::Automated);
    let objects = catalogue.render_feature(feature, &with).unwrap();
    let policies: Vec<_> = objects
        .iter()
        .filter(|o| o.kind == "configurationPolicy")
        .collect();
    let names: Vec<&str> = policies.iter().map(|o| o.identity.as_str()).collect();
    assert_eq!(
        names,
        [
            "ACSC - Defender Firewall Rules 0",
            "ACSC - Defender Firewall Rules 1"
        ]
    );
    let rules_of = |o: &blueprint_catalogue::DesiredObject| {
        let settings = o.desired["settings"].as_array().unwrap();
        assert_eq!(settings.len(), 1);
        let instance = &settings[0]["settingInstance"];
        assert_eq!(instance["settingDefinitionId"], firewall::RULES_SETTING);
        instance["groupSettingCollectionValue"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(rules_of(policies[0]).len(), 150);
    let last = rules_of(policies[1]);
    assert_eq!(last.len(), 1);
    assert_eq!(
        policies[0].desired["templateReference"]["templateId"],
        firewall::TEMPLATE_ID
    );
    assert!(
        policies[1].desired["description"]
            .as_str()
            .unwrap()
            .contains("), 1 in this policy.")
    );
    // The 151st rule, as the CSP takes it: only what the rule sets.
    let child = |rule: &serde_json::Value, suffix: &str| {
        rule["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["settingDefinitionId"] == format!("{}_{suffix}", firewall::RULES_SETTING))
            .cloned()
    };
    let rule = &last[0];
    assert_eq!(
        child(rule, "name").unwrap()["simpleSettingValue"]["value"],
        "Rule 150"
    );
    let choice = |suffix: &str| {
        child(rule, suffix).unwrap()["choiceSettingValue"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(choice("direction").ends_with("_direction_out"));
    assert!(choice("action_type").ends_with("_action_type_1"));
    assert!(choice("enabled").ends_with("_enabled_1"));
    let profiles: Vec<String> = child(rule, "profiles").unwrap()["choiceSettingCollectionValue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v["value"]
                .as_str()
                .unwrap()
                .rsplit('_')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(profiles, ["1", "2"]);
    assert_eq!(
        child(rule, "protocol").unwrap()["simpleSettingValue"]["value"],
        17
    );
    assert_eq!(
        child(rule, "app_filepath").unwrap()["simpleSettingValue"]["value"],
        "%SystemRoot%\\system32\\svchost.exe"
    );
    assert_eq!(
        child(rule, "app_servicename").unwrap()["simpleSettingValue"]["value"],
        "Dnscache"
    );
    let values = |suffix: &str| -> Vec<String> {
        child(rule, suffix).unwrap()["simpleSettingCollectionValue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(values("remoteportranges"), ["53"]);
    assert_eq!(values("remoteaddressranges"), ["DNS", "10.0.0.0/255.0.0.0"]);
    // "Any" is the setting left out.
    for absent in [
        "localportranges",
        "localaddressranges",
        "interfacetypes",
        "description",
    ] {
        assert!(child(rule, absent).is_none(), "{absent}");
    }
    // Assigned to the test group, which the feature creates.
    let group = objects.iter().find(|o| o.kind == "group").unwrap();
    assert_eq!(group.identity, "grp-AA-firewall-rules-test");
    for p in &policies {
        assert_eq!(
            p.desired["assignments"][0]["target"]["groupId"],
            serde_json::json!({"$ref": "group:grp-AA-firewall-rules-test"})
        );
    }
    // 150 rules are one policy; a single rule written as an object (ConvertTo-Json's shape for
    // one) is one policy of one rule.
    assert_eq!(
        firewall::policies(&firewall::parse("r.json", &firewall_rules_json(150)).unwrap()).len(),
        1
    );
    let one = firewall::parse("r.json", &firewall_rule_json("Only")).unwrap();
    assert_eq!(one.len(), 1);
    // PowerShell 5.1 writes UTF-8 with a byte order mark.
    assert_eq!(
        firewall::parse("r.json", &format!("\u{feff}{}", firewall_rules_json(2)))
            .unwrap()
            .len(),
        2
    );
}

/// A rules file with a rule Intune cannot take is refused at the rule's line and column, naming
/// what is wrong; nothing of it is used.
#[test]
fn firewall_rules_files_with_bad_rules_are_refused_where_the_rule_says_so() {
    use blueprint_catalogue::firewall;
    let good = firewall_rule_json("Good");
    // Line 2 is the rule's `{`, line 3 its DisplayName; each case changes one line of the
    // second rule (which starts on line 19).
    let second = |from: &str, to: &str| {
        let bad = firewall_rule_json("Second").replacen(from, to, 1);
        format!("[\n{good},\n{bad}\n]\n")
    };
    for (file, at, why) in [
        (
            second("\"Outbound\"", "\"Sideways\""),
            "r.json:22:18",
            "unknown Direction `Sideways`",
        ),
        (
            second("\"Outbound\"", "2"),
            "r.json:22:18",
            "unknown Direction `2`",
        ),
        (
            second("\"Allow\"", "\"NotConfigured\""),
            "r.json:23:15",
            "unknown Action `NotConfigured`",
        ),
        (
            second("\"UDP\"", "\"GRE-ish\""),
            "r.json:29:17",
            "unknown Protocol `GRE-ish`",
        ),
        (
            second("[\"53\"]", "[\"RPC\"]"),
            "r.json:31:20",
            "RemotePort `RPC` is not a port",
        ),
        (
            second("\"DisplayName\": \"Second\"", "\"DisplayName\": \"  \""),
            "r.json:20:20",
            "without a name",
        ),
        (
            second("\"Second\"", "\"good\""),
            "r.json:20:20",
            "a second rule named `good` (the first is at line 3)",
        ),
        (
            second("\"Package\": null", "\"Package\": \"S-1-15-2-1\""),
            "r.json:27:16",
            "by SID (S-1-15-2-1)",
        ),
        (
            second("\"Service\"", "\"Servce\""),
            "r.json:28:5",
            "`Servce` is not a field",
        ),
        (
            second(
                "[\"Any\"],\n    \"RemoteAddress\"",
                "[\"LocalSubnet\"],\n    \"RemoteAddress\"",
            ),
            "r.json:32:22",
            "LocalAddress `LocalSubnet` is not an address",
        ),
        (
            second("\"Protocol\": \"UDP\"", "\"Protocol\": \"ICMPv4\""),
            "r.json:31:19",
            "ports apply to TCP or UDP rules only",
        ),
        (
            "[\n  {\"DisplayName\": \"x\",}\n]".to_owned(),
            "r.json:2:23",
            "not JSON: key must be a string",
        ),
        ("[]".to_owned(), "r.json:1:1", "has no rules"),
    ] {
        let errors = firewall::parse("r.json", &file).expect_err(&file);
        only_error(&errors.0, errors.0[0].kind, at, why);
    }
    // An unset Direction is missing where the rule starts; every problem of a file is reported.
    let missing = second("    \"Direction\": \"Outbound\",\n", "");
    let errors = firewall::parse("r.json", &missing).unwrap_err();
    only_error(
        &errors.0,
        ErrorKind::MissingField,
        "r.json:19:3",
        "has no Direction",
    );
    let two = format!(
        "[\n{}\n]",
        firewall_rule_json("A")
            .replacen("\"Outbound\"", "\"Up\"", 1)
            .replacen("\"UDP\"", "\"XYZ\"", 1)
    );
    assert_eq!(firewall::parse("r.json", &two).unwrap_err().0.len(), 2);
    // The profile's path stays in the workspace.
    let base = "[agency]\nname = \"A\"\ndomain = \"a.gov.au\"\nprefix = \"AA\"\n[params]\n";
    let errors = AgencyProfile::from_toml(
        "b.toml",
        &format!("{base}firewall_rules = \"../rules.json\"\n"),
    )
    .unwrap_err();
    only_error(
        &errors.0,
        ErrorKind::InvalidParameter,
        "b.toml:6:18",
        "not inside the workspace",
    );
}
