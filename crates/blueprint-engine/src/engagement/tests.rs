//! The engagement's decisions, tested without a tenant or a store.

use std::collections::BTreeMap;

use blueprint_catalogue::Catalogue;
use blueprint_store::{EventKind, GENESIS, LogEntry, LogEvent, Role, digest_bytes, feature_status};
use serde_json::Value;

use super::*;

fn catalogue() -> Catalogue {
    Catalogue::builtin().expect("the built-in catalogue loads")
}

/// A log from events, numbered and timed in order (hashes are not checked here).
fn log(events: Vec<LogEvent>) -> Vec<LogEntry> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| LogEntry {
            seq: i as i64 + 1,
            time: format!("2024-03-{:02}T00:00:00Z", i % 28 + 1),
            event,
            prev_hash: GENESIS.into(),
            hash: GENESIS.into(),
        })
        .collect()
}

fn ev(kind: EventKind, feature: &str) -> LogEvent {
    LogEvent::new(kind, "jo", Role::Agency).feature(feature)
}

fn scheduled(feature: &str, sprint: i64) -> LogEvent {
    ev(EventKind::Scheduled, feature).sprint(sprint)
}

fn decision(d: PhaseDecision) -> LogEvent {
    LogEvent::phase_decision(d.as_str(), "board approved", "jo", Role::Agency)
}

fn selection(selected: &[&str], excluded: &[(&str, &str)], not_selected: &[&str]) -> Selection {
    Selection {
        selected: selected.iter().map(|s| s.to_string()).collect(),
        excluded: excluded
            .iter()
            .map(|(f, j)| (f.to_string(), j.to_string()))
            .collect(),
        not_selected: not_selected.iter().map(|s| s.to_string()).collect(),
    }
}

fn kinds(events: &[LogEvent]) -> Vec<(String, String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                e.kind.to_string(),
                e.feature.clone().unwrap_or_default(),
                e.detail
                    .get("reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        })
        .collect()
}

const GROUP: &str = "identity-ca-exclusion-group";
const BREAK_GLASS: &str = "identity-break-glass-accounts";
const GUEST: &str = "ca-block-guest-access";
const TENANT: &str = "identity-tenant-properties"; // manual, no dependencies
const PROTECTION: &str = "identity-azure-ad-connect"; // manual, needs GROUP

#[test]
fn a_first_selection_records_each_feature_and_each_exclusion_with_its_reason() {
    let sel = selection(
        &[GROUP, BREAK_GLASS],
        &[(GUEST, "guests are not allowed")],
        &[TENANT],
    );
    let events = selection_changes(&sel, &BTreeMap::new(), "jo", Role::Agency);
    assert_eq!(
        kinds(&events),
        vec![
            ("selected".into(), GROUP.into(), None),
            ("selected".into(), BREAK_GLASS.into(), None),
            (
                "excluded".into(),
                GUEST.into(),
                Some("guests are not allowed".into())
            ),
        ]
    );
    // Recorded, nothing changes the second time.
    let status = feature_status(&log(events));
    assert!(selection_changes(&sel, &status, "jo", Role::Agency).is_empty());
}

#[test]
fn a_changed_selection_records_only_what_changed() {
    let before = selection(&[GROUP, BREAK_GLASS, TENANT], &[(GUEST, "no guests")], &[]);
    let mut events = selection_changes(&before, &BTreeMap::new(), "jo", Role::Agency);
    events.push(scheduled(GROUP, 1));
    events.push(ev(EventKind::Verified, GROUP));
    let status = feature_status(&log(events));
    // GUEST selected again, TENANT dropped from [plan] features, BREAK_GLASS now excluded
    // with a reason, GROUP (verified) unchanged.
    let after = selection(
        &[GROUP, GUEST],
        &[(BREAK_GLASS, "done by the identity team")],
        &[TENANT],
    );
    assert_eq!(
        kinds(&selection_changes(&after, &status, "jo", Role::Agency)),
        vec![
            ("selected".into(), GUEST.into(), None),
            (
                "excluded".into(),
                BREAK_GLASS.into(),
                Some("done by the identity team".into())
            ),
            (
                "excluded".into(),
                TENANT.into(),
                Some(NO_LONGER_SELECTED.into())
            ),
        ]
    );
}

#[test]
fn a_new_justification_for_an_exclusion_is_recorded() {
    let status = feature_status(&log(vec![LogEvent::excluded(
        GUEST,
        "old reason",
        "jo",
        Role::Agency,
    )]));
    let sel = selection(&[], &[(GUEST, "new reason")], &[]);
    assert_eq!(
        kinds(&selection_changes(&sel, &status, "jo", Role::Agency)),
        vec![("excluded".into(), GUEST.into(), Some("new reason".into()))]
    );
}

#[test]
fn a_sprint_starts_only_when_its_dependencies_in_earlier_sprints_are_finished() {
    let cat = catalogue();
    let sel = selection(&[GROUP, BREAK_GLASS, PROTECTION], &[], &[]);
    let mut events = vec![
        scheduled(GROUP, 1),
        scheduled(BREAK_GLASS, 2),
        scheduled(PROTECTION, 2),
    ];
    let status = feature_status(&log(events.clone()));
    match sprint_scope(&cat, &sel, &status, 2) {
        Err(EngagementError::Blocked {
            sprint: 2,
            blockers,
        }) => {
            let pairs: Vec<(&str, &str)> = blockers
                .iter()
                .map(|b| (b.feature.as_str(), b.dependency.as_str()))
                .collect();
            assert_eq!(pairs, vec![(BREAK_GLASS, GROUP), (PROTECTION, GROUP)]);
            assert!(blockers[0].to_string().contains("(sprint 1)"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Sprint 1 has nothing outside it to wait for.
    let one = sprint_scope(&cat, &sel, &status, 1).unwrap();
    assert_eq!(one.features, vec![GROUP.to_string()]);

    events.push(ev(EventKind::Deployed, GROUP).sprint(1));
    let status = feature_status(&log(events.clone()));
    let err = sprint_scope(&cat, &sel, &status, 2).unwrap_err();
    match &err {
        EngagementError::Blocked { blockers, .. } => {
            assert_eq!(blockers[0].missing(), "deployed, not verified yet", "{err}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    events.push(ev(EventKind::Verified, GROUP));
    let status = feature_status(&log(events));
    let two = sprint_scope(&cat, &sel, &status, 2).unwrap();
    assert_eq!(
        two.features,
        vec![BREAK_GLASS.to_string(), PROTECTION.to_string()]
    );
    assert_eq!(two.needs_attestation, vec![PROTECTION.to_string()]);
}

#[test]
fn no_plan_and_an_empty_sprint_are_refused_with_the_way_forward() {
    let cat = catalogue();
    let sel = selection(&[GROUP], &[], &[]);
    let err = sprint_scope(&cat, &sel, &BTreeMap::new(), 1).unwrap_err();
    assert!(matches!(err, EngagementError::NoSprintPlan));

    let status = feature_status(&log(vec![scheduled(GROUP, 1)]));
    let err = sprint_scope(&cat, &sel, &status, 3).unwrap_err();
    assert!(matches!(
        err,
        EngagementError::EmptySprint { sprint: 3, .. }
    ));
    assert!(err.to_string().contains("sprint 1 only"), "{err}");
}

#[test]
fn a_new_cycle_starts_after_the_last_sprint_used() {
    let entries = log(vec![
        scheduled(GROUP, 1),
        scheduled(BREAK_GLASS, 2),
        ev(EventKind::Deployed, GROUP).sprint(1),
        ev(EventKind::Verified, GROUP),
        ev(EventKind::Deployed, BREAK_GLASS).sprint(2),
        ev(EventKind::Drifted, BREAK_GLASS),
    ]);
    let start = cycle_start(&entries);
    assert_eq!((start.cycle, start.first_sprint), (1, 1));
    assert_eq!(
        start.delivered,
        [BREAK_GLASS.to_string(), GROUP.to_string()].into()
    );
    let mut events: Vec<LogEvent> = entries.into_iter().map(|e| e.event).collect();
    events.push(decision(PhaseDecision::DeployAgain));
    let start = cycle_start(&log(events.clone()));
    assert_eq!((start.cycle, start.first_sprint), (2, 3));
    // Planning the new cycle does not move its start.
    events.push(scheduled(GUEST, 3));
    assert_eq!(cycle_start(&log(events)).first_sprint, 3);
}

fn status_of(sel: &Selection, events: Vec<LogEvent>) -> EngagementStatus {
    engagement_status(&catalogue(), sel, &log(events))
}

#[test]
fn with_no_log_the_recommendation_is_to_plan_sprints() {
    let status = status_of(&selection(&[GROUP, BREAK_GLASS], &[], &[]), vec![]);
    assert_eq!(status.phase.name, PhaseName::Deploy);
    assert_eq!(status.phase.cycle, 1);
    assert_eq!(status.execution_plan.unrecorded, 2);
    assert_eq!(status.recommendation.step, NextStep::PlanSprints);
    assert_eq!(status.recommendation.action, Some(Action::PlanSprints));
}

#[test]
fn an_unfinished_sprint_is_continued_with_the_command_that_finishes_it() {
    let sel = selection(&[GROUP, BREAK_GLASS, TENANT], &[], &[]);
    let mut events = vec![
        scheduled(GROUP, 1),
        scheduled(TENANT, 1),
        scheduled(BREAK_GLASS, 2),
    ];
    let status = status_of(&sel, events.clone());
    let r = &status.recommendation;
    assert_eq!(r.step, NextStep::ContinueDeploy);
    assert!(
        r.reason
            .starts_with("sprint 1 has 2 features not yet verified"),
        "{r}"
    );
    assert_eq!(r.action, Some(Action::Deploy { sprint: Some(1) }));

    events.push(ev(EventKind::Deployed, GROUP).sprint(1));
    let r = status_of(&sel, events.clone()).recommendation;
    assert_eq!(r.action, Some(Action::Evaluate));

    events.push(ev(EventKind::Verified, GROUP));
    let r = status_of(&sel, events.clone()).recommendation;
    assert_eq!(
        r.action,
        Some(Action::Attest {
            feature: "identity-tenant-properties".into()
        })
    );

    events.push(ev(EventKind::Attested, TENANT).sprint(1));
    let status = status_of(&sel, events);
    assert!(
        status
            .recommendation
            .reason
            .starts_with("sprint 2 has 1 feature")
    );
    let one = &status.sprints[0];
    assert_eq!((one.features, one.done), (2, 2));
    assert_eq!((one.points, one.points_done), (3, 3));
}

#[test]
fn drift_comes_before_new_work() {
    let sel = selection(&[GROUP, BREAK_GLASS], &[], &[]);
    let status = status_of(
        &sel,
        vec![
            scheduled(GROUP, 1),
            scheduled(BREAK_GLASS, 2),
            ev(EventKind::Deployed, GROUP).sprint(1),
            ev(EventKind::Drifted, GROUP),
        ],
    );
    assert_eq!(status.drifted, vec![GROUP.to_string()]);
    let r = status.recommendation;
    assert_eq!(r.step, NextStep::FixDrift);
    assert!(r.reason.contains(GROUP), "{r}");
    assert_eq!(r.action, Some(Action::Deploy { sprint: Some(1) }));
}

#[test]
fn features_added_after_planning_are_sent_back_to_the_planner() {
    let sel = selection(&[GROUP, GUEST], &[], &[]);
    let r = status_of(
        &sel,
        vec![scheduled(GROUP, 1), ev(EventKind::Verified, GROUP)],
    )
    .recommendation;
    assert_eq!(r.step, NextStep::PlanSprints);
    assert!(r.reason.contains(GUEST), "{r}");
}

fn all_done() -> Vec<LogEvent> {
    vec![
        scheduled(GROUP, 1),
        scheduled(TENANT, 1),
        ev(EventKind::Verified, GROUP),
        ev(EventKind::Attested, TENANT),
    ]
}

#[test]
fn everything_finished_and_everything_selected_recommends_transition() {
    let r = status_of(
        &selection(&[GROUP, TENANT], &[(GUEST, "no")], &[]),
        all_done(),
    )
    .recommendation;
    assert_eq!(r.step, NextStep::Transition);
    assert_eq!(r.reason, "every selected feature is verified or attested");
}

#[test]
fn everything_finished_with_features_left_recommends_deploy_again() {
    let sel = selection(&[GROUP, TENANT], &[], &[GUEST, BREAK_GLASS]);
    let r = status_of(&sel, all_done()).recommendation;
    assert_eq!(r.step, NextStep::DeployAgain);
    assert!(
        r.reason
            .contains("2 catalogue features are not selected yet"),
        "{r}"
    );

    // Once decided, the new cycle asks for its features.
    let mut events = all_done();
    events.push(decision(PhaseDecision::DeployAgain));
    let status = status_of(&sel, events);
    assert_eq!(status.phase.cycle, 2);
    assert_eq!(status.recommendation.step, NextStep::SelectFeatures);
}

#[test]
fn after_transition_the_recommendation_is_to_watch_for_drift() {
    let mut events = all_done();
    events.push(decision(PhaseDecision::Transition));
    let status = status_of(&selection(&[GROUP, TENANT], &[], &[]), events);
    assert_eq!(status.phase.name, PhaseName::Transition);
    assert_eq!(status.recommendation.step, NextStep::Transition);
    assert_eq!(status.recommendation.action, Some(Action::Evaluate));
}

#[test]
fn exit_stands_once_decided_and_is_recommended_when_nothing_is_selected() {
    let mut events = all_done();
    events.push(decision(PhaseDecision::Exit));
    let status = status_of(&selection(&[GROUP, TENANT], &[], &[]), events);
    assert_eq!(status.phase.name, PhaseName::Exit);
    assert_eq!(status.recommendation.step, NextStep::Exit);
    assert!(status.recommendation.reason.contains("board approved"));

    let r = status_of(&selection(&[], &[(GROUP, "not now")], &[]), vec![]).recommendation;
    assert_eq!(r.step, NextStep::Exit);
    assert!(r.reason.contains("selects no feature"), "{r}");
}

#[test]
fn url_evidence_is_digested_as_text_and_a_missing_file_is_named() {
    let e = Evidence::from_arg("https://intranet.example.gov.au/change/42").unwrap();
    assert_eq!(e.kind, "url");
    assert_eq!(
        e.digest,
        digest_bytes(b"https://intranet.example.gov.au/change/42")
    );
    let err = Evidence::from_arg("/no/such/evidence.pdf").unwrap_err();
    assert!(err.to_string().contains("/no/such/evidence.pdf"), "{err}");
}

#[test]
fn an_attestation_stands_until_the_log_says_something_later_of_its_feature() {
    let entries = log(vec![
        ev(EventKind::Attested, "a"),
        ev(EventKind::Attested, "b"),
        ev(EventKind::Attested, "b"),
        ev(EventKind::Attested, "c"),
        scheduled("c", 2),
        decision(PhaseDecision::Transition),
    ]);
    let standing: Vec<(&str, i64)> = standing_attestations(&entries)
        .into_iter()
        .map(|(f, e)| (f, e.seq))
        .collect();
    assert_eq!(
        standing,
        [("a", 1), ("b", 3)],
        "the latest of b's; c's superseded by its rescheduling, not by a phase decision"
    );
}
