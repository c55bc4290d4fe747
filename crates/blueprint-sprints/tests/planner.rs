//! The planner's rules, its explanations, every error, and properties over random dependency
//! graphs, story points, capacities and pins.

use std::collections::{BTreeMap, BTreeSet};

use blueprint_sprints::{Item, PlanError, Reason, Request, SprintPlan, plan};
use proptest::prelude::*;

fn item(id: &str, area: &str, points: u32) -> Item {
    Item::new(id, format!("Title of {id}"), area, points)
}

/// (sprint, id, explanation) per placement, in plan order.
fn layout(plan: &SprintPlan) -> Vec<(u32, String, String)> {
    plan.placements()
        .map(|p| (p.sprint, p.id.clone(), p.explanation()))
        .collect()
}

fn row(sprint: u32, id: &str, why: &str) -> (u32, String, String) {
    (sprint, id.to_string(), why.to_string())
}

#[test]
fn fills_sprints_in_order_and_explains_each_placement() {
    let items = vec![
        item("a", "identity", 5),
        item("b", "identity", 5).depends_on(["a"]),
        item("c", "intune", 8),
        item("d", "identity", 8),
    ];
    let plan = plan(&Request::new(items, 10)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "a", "next in catalogue order; sprint 1 had room"),
            row(
                1,
                "b",
                "needs a (sprint 1); kept with the identity features of this sprint"
            ),
            row(2, "c", "sprint 1 was full (10 of 10 points)"),
            row(3, "d", "sprint 2 was full (8 of 10 points)"),
        ]
    );
    let points: Vec<u32> = plan.sprints.iter().map(|s| s.points).collect();
    assert_eq!(points, [10, 8, 8]);
    assert_eq!(plan.sprint_of("d"), Some(3));
}

#[test]
fn keeps_an_area_together_before_catalogue_order() {
    let items = vec![
        item("id-1", "identity", 3),
        item("intune-1", "intune", 3),
        item("id-2", "identity", 3),
    ];
    let plan = plan(&Request::new(items, 6)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "id-1", "next in catalogue order; sprint 1 had room"),
            row(1, "id-2", "kept with the identity features of this sprint"),
            row(2, "intune-1", "sprint 1 was full (6 of 6 points)"),
        ]
    );
}

#[test]
fn a_feature_bigger_than_a_sprint_sits_alone() {
    let items = vec![
        item("a", "identity", 3),
        item("big", "intune", 25),
        item("c", "identity", 3),
        item("after-big", "intune", 2).depends_on(["big"]),
    ];
    let plan = plan(&Request::new(items, 20)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "a", "next in catalogue order; sprint 1 had room"),
            row(1, "c", "kept with the identity features of this sprint"),
            row(
                2,
                "big",
                "exceeds the capacity on its own (25 > 20 points): alone in sprint 2"
            ),
            row(
                3,
                "after-big",
                "needs big (sprint 2); sprint 2 holds big alone (it exceeds the capacity)"
            ),
        ]
    );
    assert_eq!(plan.sprints[1].points, 25);
}

#[test]
fn pins_are_honoured_and_what_they_need_comes_first() {
    let items = vec![
        item("filler", "identity", 8),
        item("base", "identity", 4),
        item("pinned", "intune", 3).depends_on(["base"]).pinned(1),
        item("late", "exchange", 2).pinned(3),
    ];
    let plan = plan(&Request::new(items, 10)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "base", "needed by pinned (pinned to sprint 1)"),
            row(1, "pinned", "pinned to sprint 1"),
            row(2, "filler", "sprint 1 was full (7 of 10 points)"),
            row(3, "late", "pinned to sprint 3"),
        ],
        "the dependency is listed before the pinned feature in their sprint"
    );
    assert_eq!(
        plan.sprints[0].features[0].reasons,
        [Reason::NeededBy {
            feature: "pinned".into(),
            sprint: 1,
            delivered: false,
        }],
        "reasons are data too, for a caller that wants them structured"
    );
}

#[test]
fn done_features_satisfy_dependencies_and_a_later_cycle_starts_after_the_last() {
    let items = vec![
        item("old", "identity", 3),
        item("new", "identity", 3).depends_on(["old", "older"]),
    ];
    let request = Request::new(items, 10)
        .first_sprint(4)
        .done(["old", "older"]);
    let plan = plan(&request).unwrap();
    assert_eq!(
        layout(&plan),
        [row(4, "new", "next in catalogue order; sprint 4 had room")]
    );
    assert_eq!(plan.first_sprint, 4);
}

#[test]
fn identical_input_gives_identical_plans() {
    let items: Vec<Item> = (0..30)
        .map(|i| {
            let it = item(
                &format!("f{i}"),
                ["identity", "intune", "exchange"][i % 3],
                1 + (i as u32 * 7) % 9,
            );
            if i > 2 {
                it.depends_on([format!("f{}", i / 2)])
            } else {
                it
            }
        })
        .collect();
    let request = Request::new(items, 12);
    assert_eq!(plan(&request).unwrap(), plan(&request.clone()).unwrap());
}

// ---- errors: each names the features and says what to do ----

fn error(items: Vec<Item>, capacity: u32) -> PlanError {
    plan(&Request::new(items, capacity)).unwrap_err()
}

#[test]
fn zero_capacity_is_refused() {
    let e = error(vec![item("a", "identity", 1)], 0);
    assert_eq!(e, PlanError::ZeroCapacity);
    assert!(e.to_string().contains("at least 1"), "{e}");
}

#[test]
fn a_first_sprint_of_zero_is_refused() {
    let e = plan(&Request::new(vec![item("a", "identity", 1)], 5).first_sprint(0)).unwrap_err();
    assert_eq!(e, PlanError::FirstSprintZero);
}

#[test]
fn a_duplicate_item_is_refused() {
    let e = error(vec![item("a", "identity", 1), item("a", "intune", 1)], 5);
    assert_eq!(
        e.to_string(),
        "`a` is listed twice among the features to plan: list it once"
    );
}

#[test]
fn a_pin_to_sprint_zero_is_refused() {
    let e = error(vec![item("a", "identity", 1).pinned(0)], 5);
    assert_eq!(
        e,
        PlanError::PinZero {
            feature: "a".into()
        }
    );
    assert!(e.to_string().contains("pin it to sprint 1 or later"), "{e}");
    assert_eq!(e.pinned_feature(), Some("a"));
}

#[test]
fn a_pin_before_the_first_sprint_is_refused() {
    let e = plan(&Request::new(vec![item("a", "identity", 1).pinned(2)], 5).first_sprint(3))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`a` is pinned to sprint 2, but this cycle starts at sprint 3: pin it to sprint 3 or later, or remove the pin"
    );
}

#[test]
fn a_dependency_neither_selected_nor_done_names_both() {
    let e = error(vec![item("a", "identity", 1).depends_on(["ghost"])], 5);
    assert_eq!(
        e.to_string(),
        "`a` needs `ghost`, which is neither selected nor done: select `ghost` too, or leave `a` out"
    );
    assert_eq!(e.pinned_feature(), None);
}

#[test]
fn a_dependency_cycle_is_shown_as_a_path() {
    let e = error(
        vec![
            item("a", "identity", 1).depends_on(["b"]),
            item("b", "identity", 1).depends_on(["c"]),
            item("c", "identity", 1).depends_on(["a"]),
            item("d", "identity", 1),
        ],
        5,
    );
    assert_eq!(
        e,
        PlanError::Cycle {
            path: vec!["a".into(), "b".into(), "c".into(), "a".into()]
        }
    );
    assert!(e.to_string().contains("a → b → c → a"), "{e}");
    let own = error(vec![item("self", "identity", 1).depends_on(["self"])], 5);
    assert!(own.to_string().contains("self → self"), "{own}");
}

#[test]
fn a_pin_earlier_than_a_dependencys_pin_is_refused() {
    let e = error(
        vec![
            item("base", "identity", 1).pinned(3),
            item("a", "identity", 1).depends_on(["base"]).pinned(2),
        ],
        5,
    );
    assert_eq!(
        e.to_string(),
        "`a` is pinned to sprint 2, but it needs `base`, which is pinned to sprint 3: pin `a` to sprint 3 or later, or `base` to sprint 2 or earlier"
    );
    let through = error(
        vec![
            item("base", "identity", 1).pinned(3),
            item("middle", "identity", 1).depends_on(["base"]),
            item("a", "identity", 1).depends_on(["middle"]).pinned(1),
        ],
        5,
    );
    assert!(
        through
            .to_string()
            .starts_with("`a` is pinned to sprint 1, but it needs `base` (through `middle`), which is pinned to sprint 3"),
        "{through}"
    );
    assert_eq!(through.pinned_feature(), Some("a"));
}

#[test]
fn pinned_features_over_capacity_together_are_refused() {
    let e = error(
        vec![
            item("a", "identity", 4).pinned(1),
            item("b", "identity", 3).pinned(2),
            item("c", "intune", 4).pinned(1),
        ],
        6,
    );
    assert_eq!(
        e.to_string(),
        "the features pinned to sprint 1 (`a`, `c`) add up to 8 story points, over the capacity of 6: pin some of them to another sprint, or raise the capacity"
    );
    // One feature alone may exceed the capacity: it has the sprint to itself.
    let alone = plan(&Request::new(vec![item("big", "identity", 9).pinned(1)], 6)).unwrap();
    assert_eq!(
        alone.sprints[0].features[0].explanation(),
        "pinned to sprint 1; exceeds the capacity on its own (9 > 6 points): alone in sprint 1"
    );
}

#[test]
fn unpinned_dependencies_that_cannot_fit_before_their_pin_are_refused() {
    let e = error(
        vec![
            item("x", "identity", 4),
            item("y", "identity", 4).depends_on(["x"]),
            item("p", "intune", 3).depends_on(["y"]).pinned(1),
        ],
        8,
    );
    assert_eq!(
        e.to_string(),
        "`p` is pinned to sprint 1, but the unpinned features it needs (`x`, `y`) do not fit in sprint 1: pin `p` later, pin some of them into other sprints, or raise the capacity"
    );
    assert_eq!(e.pinned_feature(), Some("p"));
    // A dependency bigger than a sprint needs an empty sprint of its own before the pin.
    let big = plan(&Request::new(
        vec![
            item("big", "identity", 9),
            item("p", "intune", 3).depends_on(["big"]).pinned(2),
            item("q", "intune", 3).pinned(1),
        ],
        8,
    ))
    .unwrap_err();
    assert!(
        big.to_string()
            .contains("(`big`) do not fit in sprints 1 to 2"),
        "{big}"
    );
}

#[test]
fn delivered_features_stay_and_may_overfill_their_sprint() {
    let items = vec![
        item("a", "identity", 3).delivered_in(1),
        item("b", "identity", 3).delivered_in(1),
        item("c", "identity", 1).depends_on(["a"]),
    ];
    let plan = plan(&Request::new(items, 4)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "a", "delivered in sprint 1"),
            row(1, "b", "delivered in sprint 1"),
            row(
                2,
                "c",
                "needs a (sprint 1); sprint 1 was full (6 of 4 points)"
            ),
        ],
        "what was delivered is history, whatever today's capacity"
    );
    // A new pin into that sprint is still a choice the agency can change.
    let e = plan_error(vec![
        item("a", "identity", 3).delivered_in(1),
        item("n", "identity", 2).pinned(1),
    ]);
    assert_eq!(
        e.to_string(),
        "the features pinned to sprint 1 (`a`, `n`) add up to 5 story points, over the capacity of 4 (`a` already delivered there): pin some of them to another sprint, or raise the capacity"
    );
    assert_eq!(e.pinned_feature(), Some("n"));
}

#[test]
fn a_pin_later_than_a_delivered_dependant_is_refused() {
    let e = plan_error(vec![
        item("base", "identity", 1).pinned(3),
        item("done-early", "identity", 1)
            .depends_on(["base"])
            .delivered_in(1),
    ]);
    assert_eq!(
        e.to_string(),
        "`base` is pinned to sprint 3, but `done-early`, which needs it, was delivered in sprint 1: pin `base` to sprint 1 or earlier, or remove the pin"
    );
    assert_eq!(e.pinned_feature(), Some("base"));
    let e = plan_error(vec![
        item("base", "identity", 1).delivered_in(3),
        item("new", "identity", 1).depends_on(["base"]).pinned(2),
    ]);
    assert_eq!(
        e.to_string(),
        "`new` is pinned to sprint 2, but it needs `base`, which was delivered in sprint 3: pin `new` to sprint 3 or later"
    );
}

#[test]
fn what_a_delivered_feature_needs_comes_as_early_as_it_fits() {
    let items = vec![
        item("later", "intune", 2),
        item("manual-step", "identity", 2),
        item("a", "identity", 3)
            .depends_on(["manual-step"])
            .delivered_in(1),
    ];
    let plan = plan(&Request::new(items.clone(), 4)).unwrap();
    assert_eq!(
        layout(&plan),
        [
            row(1, "a", "delivered in sprint 1"),
            row(
                2,
                "manual-step",
                "needed by a (delivered in sprint 1); sprint 1 was full (3 of 4 points)"
            ),
            row(2, "later", "sprint 1 was full (3 of 4 points)"),
        ],
        "no error: the delivered feature went ahead without it; it goes first where it fits"
    );
    let roomy = plan_with(items, 5);
    assert_eq!(roomy.sprint_of("manual-step"), Some(1));
}

fn plan_with(items: Vec<Item>, capacity: u32) -> SprintPlan {
    plan(&Request::new(items, capacity)).unwrap()
}

fn plan_error(items: Vec<Item>) -> PlanError {
    plan(&Request::new(items, 4)).unwrap_err()
}

// ---- properties ----

const AREAS: [&str; 3] = ["identity", "intune", "exchange"];

/// A random request: features `f0..fn` where `fi` may need any `fj` with j < i (so the graph is
/// acyclic), listed in a random order, some pinned (some of those delivered already), some
/// done.
fn requests(with_pins: bool) -> impl Strategy<Value = Request> {
    (1usize..18, 1u32..12, 1u32..4).prop_flat_map(move |(n, capacity, first)| {
        (
            prop::collection::vec(1u32..=14, n),
            prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.2), n), n),
            prop::collection::vec(prop::option::weighted(0.25, first..first + 5), n),
            prop::collection::vec(prop::bool::weighted(0.1), n),
            prop::collection::vec(prop::bool::weighted(0.3), n),
            prop::collection::vec(0usize..3, n),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
        )
            .prop_map(
                move |(points, edges, pins, done, delivered, areas, order)| {
                    let mut items = Vec::new();
                    for &i in &order {
                        let mut it = item(&format!("f{i}"), AREAS[areas[i]], points[i])
                            .depends_on((0..i).filter(|&j| edges[i][j]).map(|j| format!("f{j}")));
                        it.pin = pins[i].filter(|_| with_pins);
                        it.delivered = it.pin.is_some() && delivered[i];
                        items.push(it);
                    }
                    let done = (0..n).filter(|&i| done[i]).map(|i| format!("f{i}"));
                    Request::new(items, capacity).first_sprint(first).done(done)
                },
            )
    })
}

/// Every rule the planner promises, checked on a plan it returned.
fn check_rules(request: &Request, plan: &SprintPlan) -> Result<(), TestCaseError> {
    let expected: BTreeSet<&str> = request
        .items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !request.done.contains(*id))
        .collect();
    let placed: Vec<&str> = plan.placements().map(|p| p.id.as_str()).collect();
    let unique: BTreeSet<&str> = placed.iter().copied().collect();
    prop_assert_eq!(placed.len(), unique.len(), "an item placed twice");
    prop_assert_eq!(&unique, &expected, "every item placed, done ones left out");

    let sprint_of: BTreeMap<&str, u32> = plan
        .placements()
        .map(|p| (p.id.as_str(), p.sprint))
        .collect();
    for item in request
        .items
        .iter()
        .filter(|i| !request.done.contains(&i.id))
    {
        let s = sprint_of[item.id.as_str()];
        prop_assert!(
            s >= request.first_sprint,
            "{} before the first sprint",
            item.id
        );
        if let Some(pin) = item.pin {
            prop_assert_eq!(s, pin, "pin of {} not honoured", &item.id);
        }
        for dep in &item.depends_on {
            // A delivered feature went ahead without what it needs: history, not a choice.
            if item.delivered {
                continue;
            }
            if let Some(&d) = sprint_of.get(dep.as_str()) {
                prop_assert!(
                    d <= s,
                    "{} (sprint {}) needs {} (sprint {})",
                    item.id,
                    s,
                    dep,
                    d
                );
            }
        }
    }
    for sprint in &plan.sprints {
        let sum: u32 = sprint.features.iter().map(|p| p.points).sum();
        prop_assert_eq!(sum, sprint.points);
        prop_assert!(sprint.features.iter().all(|p| p.sprint == sprint.number));
        let delivered = |id: &str| request.items.iter().any(|i| i.id == id && i.delivered);
        prop_assert!(
            sum <= request.capacity
                || sprint.features.len() == 1
                || sprint.features.iter().all(|p| delivered(&p.id)),
            "sprint {} holds {} points over capacity {} with {} features",
            sprint.number,
            sum,
            request.capacity,
            sprint.features.len()
        );
        prop_assert!(sprint.features.iter().all(|p| !p.reasons.is_empty()));
    }
    let numbers: Vec<u32> = plan.sprints.iter().map(|s| s.number).collect();
    prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "sprints in order");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn without_pins_every_request_is_planned_by_the_rules(request in requests(false)) {
        let plan = plan(&request).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_rules(&request, &plan)?;
    }

    #[test]
    fn with_pins_a_plan_keeps_the_rules_or_a_pin_is_at_fault(request in requests(true)) {
        match plan(&request) {
            Ok(plan) => check_rules(&request, &plan)?,
            Err(e) => prop_assert!(
                e.pinned_feature().is_some(),
                "only pins can make a valid graph unplannable, got: {}", e
            ),
        }
    }

    #[test]
    fn the_same_request_gives_the_same_plan(request in requests(true)) {
        prop_assert_eq!(plan(&request), plan(&request.clone()));
    }

    #[test]
    fn pinning_features_where_a_plan_put_them_keeps_it_plannable(
        request in requests(false),
        chosen in prop::collection::vec(prop::bool::ANY, 18),
    ) {
        let first = plan(&request).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut pinned = request.clone();
        for (k, item) in pinned.items.iter_mut().enumerate() {
            if chosen[k] {
                item.pin = first.sprint_of(&item.id);
            }
        }
        let again = plan(&pinned).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_rules(&pinned, &again)?;
    }

    #[test]
    fn features_delivered_where_a_plan_put_them_never_make_it_unplannable(
        request in requests(false),
        chosen in prop::collection::vec(prop::bool::ANY, 18),
        capacity in 1u32..12,
    ) {
        let first = plan(&request).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut next = request.clone();
        next.capacity = capacity;
        for (k, item) in next.items.iter_mut().enumerate() {
            if let Some(sprint) = first.sprint_of(&item.id).filter(|_| chosen[k]) {
                *item = item.clone().delivered_in(sprint);
            }
        }
        let again = plan(&next).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_rules(&next, &again)?;
        for item in next.items.iter().filter(|i| i.delivered) {
            prop_assert_eq!(again.sprint_of(&item.id), item.pin, "delivered features stay");
        }
    }
}
