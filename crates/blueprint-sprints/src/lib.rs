//! The sprint planner: the agency's selected features, placed into sprints.
//!
//! Pure and deterministic: the same [`Request`] always gives the same [`SprintPlan`], so a plan
//! recomputed from unchanged inputs changes nothing in the feature log. The rules — the first
//! three are never bent (pins that make them impossible are an error), the last two decide
//! the rest:
//!
//! 1. every dependency sits in an earlier sprint than its dependant, or the same one;
//! 2. a sprint's story points never exceed the capacity, unless a single feature alone exceeds
//!    it — that feature then sits alone in a sprint of its own;
//! 3. explicit pins are honoured;
//! 4. features of one area are kept together where possible: a sprint is filled first with the
//!    areas already started in it;
//! 5. otherwise the input (catalogue) order decides.
//!
//! Features already delivered in this cycle keep their sprint ([`Item::delivered_in`]): they
//! count toward its points, but what was delivered is history, so a sprint that delivered more
//! than today's capacity, or a feature that went ahead of what it needs, is no error.
//!
//! How it gets there: pinned and delivered features are placed first, then the unpinned
//! features they need (earliest deadline first, each into the earliest sprint with room, so that
//! pins stay reachable), then everything else sprint by sprint, filling each sprint before
//! opening the next. Each placement carries the reasons it landed where it did ([`Reason`]).
//!
//! What cannot be planned is an error that names the features involved and says what to change
//! ([`PlanError`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

/// One feature to place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub title: String,
    /// The blueprint area (`identity`, `intune`, …): features of one area are kept together.
    pub area: String,
    /// Story points.
    pub points: u32,
    /// Ids of the features it needs; each must be among the items or done.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// The sprint it must be in, when the agency decided so.
    #[serde(default)]
    pub pin: Option<u32>,
    /// The pin is history, not a choice: the feature was already delivered in that sprint.
    /// It still counts toward the sprint's points, but a sprint that delivered more than
    /// today's capacity is no error.
    #[serde(default)]
    pub delivered: bool,
}

impl Item {
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        area: impl Into<String>,
        points: u32,
    ) -> Item {
        Item {
            id: id.into(),
            title: title.into(),
            area: area.into(),
            points,
            depends_on: Vec::new(),
            pin: None,
            delivered: false,
        }
    }

    pub fn depends_on<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Item {
        self.depends_on.extend(ids.into_iter().map(Into::into));
        self
    }

    pub fn pinned(mut self, sprint: u32) -> Item {
        self.pin = Some(sprint);
        self
    }

    /// Already delivered in `sprint` (in this cycle): it stays there.
    pub fn delivered_in(mut self, sprint: u32) -> Item {
        self.pin = Some(sprint);
        self.delivered = true;
        self
    }
}

/// What to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The features to place, in catalogue order (the order breaks ties).
    pub items: Vec<Item>,
    /// Story points per sprint; at least 1.
    pub capacity: u32,
    /// The number of the first sprint this plan may use: 1, or for a later cycle ("deploy
    /// again") the sprint after the last one of the previous cycle.
    pub first_sprint: u32,
    /// Features done in an earlier cycle: dependencies on them are satisfied, and they are not
    /// placed (an item listed here too is left out).
    pub done: BTreeSet<String>,
}

impl Request {
    /// A request starting at sprint 1 with nothing done.
    pub fn new(items: Vec<Item>, capacity: u32) -> Request {
        Request {
            items,
            capacity,
            first_sprint: 1,
            done: BTreeSet::new(),
        }
    }

    pub fn first_sprint(mut self, sprint: u32) -> Request {
        self.first_sprint = sprint;
        self
    }

    pub fn done<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Request {
        self.done.extend(ids.into_iter().map(Into::into));
        self
    }
}

/// The plan: sprints in order, each with its features in the order to deliver them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprintPlan {
    pub capacity: u32,
    pub first_sprint: u32,
    /// Only sprints that hold something; numbers may skip when pins leave a gap.
    pub sprints: Vec<Sprint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sprint {
    pub number: u32,
    /// Story points placed in it.
    pub points: u32,
    /// Dependencies before their dependants; otherwise in the order they were placed.
    pub features: Vec<Placement>,
}

/// One feature in its sprint, and why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub id: String,
    pub title: String,
    pub area: String,
    pub points: u32,
    pub sprint: u32,
    pub reasons: Vec<Reason>,
}

impl Placement {
    /// The reasons as one sentence a person reads.
    pub fn explanation(&self) -> String {
        self.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl SprintPlan {
    pub fn placements(&self) -> impl Iterator<Item = &Placement> {
        self.sprints.iter().flat_map(|s| s.features.iter())
    }

    pub fn sprint_of(&self, id: &str) -> Option<u32> {
        self.placements().find(|p| p.id == id).map(|p| p.sprint)
    }
}

/// Why a feature is in its sprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The agency pinned it there.
    Pinned { sprint: u32 },
    /// It was delivered there already.
    Delivered { sprint: u32 },
    /// It is bigger than a sprint, so it has one to itself.
    Alone {
        points: u32,
        capacity: u32,
        sprint: u32,
    },
    /// It cannot come before this dependency (the one placed latest).
    Needs { dependency: String, sprint: u32 },
    /// A pinned (or delivered) feature needs it, so it had to fit by that sprint.
    NeededBy {
        feature: String,
        sprint: u32,
        delivered: bool,
    },
    /// The sprint before had no room left for it.
    Full {
        sprint: u32,
        used: u32,
        capacity: u32,
    },
    /// The sprint before holds a feature bigger than a sprint.
    TakenAlone { sprint: u32, feature: String },
    /// The sprint already held features of its area.
    KeptWithArea { area: String },
    /// Nothing held it back: it went in catalogue order into the first sprint with room.
    CatalogueOrder { sprint: u32 },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Pinned { sprint } => write!(f, "pinned to sprint {sprint}"),
            Reason::Delivered { sprint } => write!(f, "delivered in sprint {sprint}"),
            Reason::Alone {
                points,
                capacity,
                sprint,
            } => write!(
                f,
                "exceeds the capacity on its own ({points} > {capacity} points): alone in sprint {sprint}"
            ),
            Reason::Needs { dependency, sprint } => {
                write!(f, "needs {dependency} (sprint {sprint})")
            }
            Reason::NeededBy {
                feature,
                sprint,
                delivered,
            } => {
                let how = if *delivered {
                    "delivered in"
                } else {
                    "pinned to"
                };
                write!(f, "needed by {feature} ({how} sprint {sprint})")
            }
            Reason::Full {
                sprint,
                used,
                capacity,
            } => write!(f, "sprint {sprint} was full ({used} of {capacity} points)"),
            Reason::TakenAlone { sprint, feature } => write!(
                f,
                "sprint {sprint} holds {feature} alone (it exceeds the capacity)"
            ),
            Reason::KeptWithArea { area } => {
                write!(f, "kept with the {area} features of this sprint")
            }
            Reason::CatalogueOrder { sprint } => {
                write!(f, "next in catalogue order; sprint {sprint} had room")
            }
        }
    }
}

/// Why a plan cannot be made. Each names the features involved and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "the sprint capacity is 0 story points: set it to the story points the team completes in one sprint (at least 1)"
    )]
    ZeroCapacity,
    #[error("the first sprint is numbered 0: sprints are numbered from 1")]
    FirstSprintZero,
    #[error("`{feature}` is listed twice among the features to plan: list it once")]
    Duplicate { feature: String },
    #[error(
        "`{feature}` is pinned to sprint 0: sprints are numbered from 1; pin it to sprint 1 or later"
    )]
    PinZero { feature: String },
    #[error(
        "`{feature}` is pinned to sprint {sprint}, but this cycle starts at sprint {first}: pin it to sprint {first} or later, or remove the pin"
    )]
    PinBeforeFirstSprint {
        feature: String,
        sprint: u32,
        first: u32,
    },
    #[error(
        "`{feature}` needs `{dependency}`, which is neither selected nor done: select `{dependency}` too, or leave `{feature}` out"
    )]
    MissingDependency { feature: String, dependency: String },
    #[error(
        "the dependencies form a cycle ({}; each needs the next): remove one of these dependencies",
        .path.join(" → ")
    )]
    Cycle { path: Vec<String> },
    #[error(
        "`{feature}` is pinned to sprint {sprint}, but it needs `{dependency}`{}, which {} sprint {dependency_sprint}: pin `{feature}` to sprint {dependency_sprint} or later{}",
        .via.as_ref().map(|v| format!(" (through `{v}`)")).unwrap_or_default(),
        if *.dependency_delivered { "was delivered in" } else { "is pinned to" },
        if *.dependency_delivered { String::new() } else { format!(", or `{dependency}` to sprint {sprint} or earlier") }
    )]
    PinBeforeDependency {
        feature: String,
        sprint: u32,
        dependency: String,
        dependency_sprint: u32,
        dependency_delivered: bool,
        /// The direct dependency through which it needs `dependency`, when not directly.
        via: Option<String>,
    },
    #[error(
        "`{feature}` is pinned to sprint {sprint}, but `{dependant}`, which needs it{}, was delivered in sprint {delivered_sprint}: pin `{feature}` to sprint {delivered_sprint} or earlier, or remove the pin",
        .via.as_ref().map(|v| format!(" (through `{v}`)")).unwrap_or_default()
    )]
    PinAfterDelivered {
        feature: String,
        sprint: u32,
        dependant: String,
        delivered_sprint: u32,
        via: Option<String>,
    },
    #[error(
        "the features pinned to sprint {sprint} ({}) add up to {points} story points, over the capacity of {capacity}{}: pin some of them to another sprint, or raise the capacity",
        quoted(.features),
        if .delivered.is_empty() { String::new() } else { format!(" ({} already delivered there)", quoted(.delivered)) }
    )]
    PinnedOverCapacity {
        sprint: u32,
        /// Every feature in the sprint, delivered ones too.
        features: Vec<String>,
        /// Those of `features` delivered there already (their sprint cannot change).
        delivered: Vec<String>,
        points: u32,
        capacity: u32,
    },
    #[error(
        "`{feature}` is pinned to sprint {sprint}, but the unpinned features it needs ({}) do not fit in {}: pin `{feature}` later, pin some of them into other sprints, or raise the capacity",
        quoted(.dependencies),
        sprint_range(*.first, *.sprint)
    )]
    DependenciesDoNotFit {
        feature: String,
        sprint: u32,
        first: u32,
        dependencies: Vec<String>,
    },
}

impl PlanError {
    /// The feature whose pin the agency would change, when the error is about a pin: the CLI
    /// points at it in the profile.
    pub fn pinned_feature(&self) -> Option<&str> {
        match self {
            PlanError::PinZero { feature }
            | PlanError::PinBeforeFirstSprint { feature, .. }
            | PlanError::PinBeforeDependency { feature, .. }
            | PlanError::PinAfterDelivered { feature, .. }
            | PlanError::DependenciesDoNotFit { feature, .. } => Some(feature),
            PlanError::PinnedOverCapacity {
                features,
                delivered,
                ..
            } => features
                .iter()
                .rev()
                .find(|f| !delivered.contains(f))
                .map(String::as_str),
            _ => None,
        }
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sprint_range(first: u32, last: u32) -> String {
    if first == last {
        format!("sprint {first}")
    } else {
        format!("sprints {first} to {last}")
    }
}

/// Places the request's items into sprints.
pub fn plan(request: &Request) -> Result<SprintPlan, PlanError> {
    let graph = Graph::build(request)?;
    graph.check_pins()?;
    let mut board = Board::new(&graph);
    board.place_pinned();
    board.place_needed_by_pins()?;
    board.place_the_rest();
    Ok(board.finish())
}

/// The items to place (done ones left out) and their dependency edges, by input index.
struct Graph<'a> {
    items: Vec<&'a Item>,
    capacity: u32,
    first: u32,
    deps: Vec<Vec<usize>>,
    dependants: Vec<Vec<usize>>,
    /// Dependencies before dependants, ties in input order.
    topo: Vec<usize>,
}

impl<'a> Graph<'a> {
    fn build(request: &'a Request) -> Result<Graph<'a>, PlanError> {
        if request.capacity == 0 {
            return Err(PlanError::ZeroCapacity);
        }
        if request.first_sprint == 0 {
            return Err(PlanError::FirstSprintZero);
        }
        let first = request.first_sprint;
        let items: Vec<&Item> = request
            .items
            .iter()
            .filter(|i| !request.done.contains(&i.id))
            .collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, item) in items.iter().enumerate() {
            if index.insert(item.id.as_str(), k).is_some() {
                return Err(PlanError::Duplicate {
                    feature: item.id.clone(),
                });
            }
        }
        for item in &items {
            match item.pin {
                Some(0) => {
                    return Err(PlanError::PinZero {
                        feature: item.id.clone(),
                    });
                }
                Some(sprint) if sprint < first => {
                    return Err(PlanError::PinBeforeFirstSprint {
                        feature: item.id.clone(),
                        sprint,
                        first,
                    });
                }
                _ => {}
            }
        }
        let mut deps = vec![Vec::new(); items.len()];
        let mut dependants = vec![Vec::new(); items.len()];
        for (k, item) in items.iter().enumerate() {
            for dep in &item.depends_on {
                match index.get(dep.as_str()) {
                    Some(&j) if !deps[k].contains(&j) => {
                        deps[k].push(j);
                        dependants[j].push(k);
                    }
                    Some(_) => {}
                    None if request.done.contains(dep) => {}
                    None => {
                        return Err(PlanError::MissingDependency {
                            feature: item.id.clone(),
                            dependency: dep.clone(),
                        });
                    }
                }
            }
        }
        if let Some(cycle) = find_cycle(&deps) {
            return Err(PlanError::Cycle {
                path: cycle.into_iter().map(|k| items[k].id.clone()).collect(),
            });
        }
        let topo = topological(&deps, &dependants);
        Ok(Graph {
            items,
            capacity: request.capacity,
            first,
            deps,
            dependants,
            topo,
        })
    }

    fn id(&self, k: usize) -> String {
        self.items[k].id.clone()
    }

    /// Pins that contradict each other: a pin before a (transitive) dependency's pin, and
    /// pinned features that overfill their sprint together.
    fn check_pins(&self) -> Result<(), PlanError> {
        let n = self.items.len();
        // For each item, the latest pin among everything it needs: (sprint, pinned item, the
        // direct dependency it comes through). Computed in dependency order.
        let mut floor: Vec<Option<(u32, usize, usize)>> = vec![None; n];
        for &k in &self.topo {
            let mut best: Option<(u32, usize, usize)> = None;
            for &d in &self.deps[k] {
                let candidates = self.items[d]
                    .pin
                    .map(|p| (p, d, d))
                    .into_iter()
                    .chain(floor[d].map(|(p, src, _)| (p, src, d)));
                for c in candidates {
                    if best.is_none_or(|b| c.0 > b.0) {
                        best = Some(c);
                    }
                }
            }
            floor[k] = best;
        }
        for (k, item) in self.items.iter().enumerate() {
            let Some((pin, Some((needed, src, via)))) = item.pin.map(|p| (p, floor[k])) else {
                continue;
            };
            let via = (via != src).then(|| self.id(via));
            match (pin < needed, item.delivered, self.items[src].delivered) {
                // History the catalogue has since contradicted: nothing left to choose.
                (false, ..) | (true, true, true) => {}
                (true, true, false) => {
                    return Err(PlanError::PinAfterDelivered {
                        feature: self.id(src),
                        sprint: needed,
                        dependant: item.id.clone(),
                        delivered_sprint: pin,
                        via,
                    });
                }
                (true, false, dependency_delivered) => {
                    return Err(PlanError::PinBeforeDependency {
                        feature: item.id.clone(),
                        sprint: pin,
                        dependency: self.id(src),
                        dependency_sprint: needed,
                        dependency_delivered,
                        via,
                    });
                }
            }
        }
        let mut pinned: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (k, item) in self.items.iter().enumerate() {
            if let Some(pin) = item.pin {
                pinned.entry(pin).or_default().push(k);
            }
        }
        for (sprint, ks) in pinned {
            let points: u32 = ks.iter().map(|&k| self.items[k].points).sum();
            // What was delivered is history: only a pin the agency can still move is at fault.
            let choice = ks.iter().any(|&k| !self.items[k].delivered);
            if ks.len() > 1 && points > self.capacity && choice {
                return Err(PlanError::PinnedOverCapacity {
                    sprint,
                    features: ks.iter().map(|&k| self.id(k)).collect(),
                    delivered: ks
                        .iter()
                        .filter(|&&k| self.items[k].delivered)
                        .map(|&k| self.id(k))
                        .collect(),
                    points,
                    capacity: self.capacity,
                });
            }
        }
        Ok(())
    }

    /// For each unpinned item a pinned one needs (transitively): by when.
    fn deadlines(&self) -> Vec<Option<Deadline>> {
        let mut deadline: Vec<Option<Deadline>> = vec![None; self.items.len()];
        for &k in self.topo.iter().rev() {
            if self.items[k].pin.is_some() {
                continue;
            }
            let mut want: Option<(u32, usize)> = None;
            let mut must: Option<(u32, usize)> = None;
            for &j in &self.dependants[k] {
                let (w, m) = match (self.items[j].pin, deadline[j]) {
                    (Some(p), _) => (Some((p, j)), (!self.items[j].delivered).then_some((p, j))),
                    (None, Some(d)) => (Some(d.want), d.must),
                    (None, None) => (None, None),
                };
                if let Some(w) = w
                    && want.is_none_or(|b| w.0 < b.0)
                {
                    want = Some(w);
                }
                if let Some(m) = m
                    && must.is_none_or(|b| m.0 < b.0)
                {
                    must = Some(m);
                }
            }
            deadline[k] = want.map(|want| Deadline { want, must });
        }
        deadline
    }

    /// The unpinned items `k` needs, transitively, in input order.
    fn unpinned_ancestors(&self, k: usize) -> Vec<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = self.deps[k].clone();
        while let Some(d) = stack.pop() {
            if seen.insert(d) {
                stack.extend(self.deps[d].iter().copied());
            }
        }
        seen.into_iter()
            .filter(|&d| self.items[d].pin.is_none())
            .collect()
    }
}

/// A dependency cycle as a path `a → b → … → a`, if there is one.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Closed,
    }
    fn visit(
        k: usize,
        deps: &[Vec<usize>],
        mark: &mut [Mark],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        mark[k] = Mark::Open;
        stack.push(k);
        for &d in &deps[k] {
            match mark[d] {
                Mark::Open => {
                    let at = stack.iter().position(|&s| s == d).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(d);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(d, deps, mark, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Closed => {}
            }
        }
        stack.pop();
        mark[k] = Mark::Closed;
        None
    }
    let mut mark = vec![Mark::New; deps.len()];
    let mut stack = Vec::new();
    for k in 0..deps.len() {
        if mark[k] == Mark::New
            && let Some(cycle) = visit(k, deps, &mut mark, &mut stack)
        {
            return Some(cycle);
        }
    }
    None
}

/// Kahn's order, always taking the earliest ready item in input order.
fn topological(deps: &[Vec<usize>], dependants: &[Vec<usize>]) -> Vec<usize> {
    let mut missing: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: BTreeSet<usize> = (0..deps.len()).filter(|&k| missing[k] == 0).collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(k) = ready.pop_first() {
        order.push(k);
        for &j in &dependants[k] {
            missing[j] -= 1;
            if missing[j] == 0 {
                ready.insert(j);
            }
        }
    }
    order
}

/// By when an unpinned feature that pinned ones need should be placed: (sprint, pinned item).
#[derive(Debug, Clone, Copy)]
struct Deadline {
    /// The earliest sprint of the pinned features that need it, delivered ones included: it
    /// goes as early as it fits, so ideally by then.
    want: (u32, usize),
    /// The earliest sprint the agency pinned a feature needing it to: a hard limit. A
    /// delivered dependant sets none — it went ahead without this one, which is history.
    must: Option<(u32, usize)>,
}

/// How many placements the search for a fit before pins may undo before giving up.
const SEARCH_BUDGET: u32 = 100_000;

struct Search {
    budget: u32,
    /// The first feature no sprint had room for: the error names its pinned dependant.
    first_dead_end: Option<usize>,
}

/// Sprints being filled.
struct Board<'g, 'a> {
    graph: &'g Graph<'a>,
    sprint_of: Vec<Option<u32>>,
    load: BTreeMap<u32, u32>,
    /// Each sprint's items, in the order they were placed.
    members: BTreeMap<u32, Vec<usize>>,
    /// Sprints holding a feature bigger than the capacity: nothing else goes in.
    alone: BTreeSet<u32>,
    /// Whether the sprint already held the item's area when it was chosen.
    kept_with_area: Vec<bool>,
    /// The pinned item that forced an early placement.
    needed_by: Vec<Option<(u32, usize)>>,
}

impl<'g, 'a> Board<'g, 'a> {
    fn new(graph: &'g Graph<'a>) -> Board<'g, 'a> {
        let n = graph.items.len();
        Board {
            graph,
            sprint_of: vec![None; n],
            load: BTreeMap::new(),
            members: BTreeMap::new(),
            alone: BTreeSet::new(),
            kept_with_area: vec![false; n],
            needed_by: vec![None; n],
        }
    }

    fn oversize(&self, k: usize) -> bool {
        self.graph.items[k].points > self.graph.capacity
    }

    fn fits(&self, sprint: u32, k: usize) -> bool {
        if self.alone.contains(&sprint) {
            return false;
        }
        if self.oversize(k) {
            self.members.get(&sprint).is_none_or(Vec::is_empty)
        } else {
            self.load.get(&sprint).copied().unwrap_or(0) + self.graph.items[k].points
                <= self.graph.capacity
        }
    }

    fn place(&mut self, k: usize, sprint: u32) {
        self.sprint_of[k] = Some(sprint);
        *self.load.entry(sprint).or_default() += self.graph.items[k].points;
        self.members.entry(sprint).or_default().push(k);
        if self.oversize(k) {
            self.alone.insert(sprint);
        }
    }

    /// Undoes the latest [`Board::place`] (of `k` into `sprint`).
    fn unplace(&mut self, k: usize, sprint: u32) {
        self.sprint_of[k] = None;
        self.needed_by[k] = None;
        if let Some(load) = self.load.get_mut(&sprint) {
            *load -= self.graph.items[k].points;
        }
        if let Some(m) = self.members.get_mut(&sprint) {
            m.retain(|&j| j != k);
            if m.is_empty() {
                self.members.remove(&sprint);
                self.load.remove(&sprint);
            }
        }
        if self.oversize(k) {
            self.alone.remove(&sprint);
        }
    }

    /// The sprint of `k`'s latest dependency, and that dependency (first of equals).
    fn latest_dependency(&self, k: usize) -> Option<(u32, usize)> {
        let mut best: Option<(u32, usize)> = None;
        for &d in &self.graph.deps[k] {
            if let Some(s) = self.sprint_of[d]
                && best.is_none_or(|b| s > b.0)
            {
                best = Some((s, d));
            }
        }
        best
    }

    fn earliest(&self, k: usize) -> u32 {
        self.latest_dependency(k)
            .map_or(self.graph.first, |(s, _)| s.max(self.graph.first))
    }

    fn place_pinned(&mut self) {
        for k in 0..self.graph.items.len() {
            if let Some(pin) = self.graph.items[k].pin {
                self.place(k, pin);
            }
        }
    }

    /// The unpinned features a pinned one needs go first, earliest deadline first, each into
    /// the earliest sprint with room: anything placed before them could take the room they
    /// need before their pinned dependant. Earliest-fit can still paint itself into a corner
    /// (bin packing), so a dead end backtracks to the next sprint with room; the search is
    /// small in practice (only these features, only up to their deadlines) and bounded.
    fn place_needed_by_pins(&mut self) -> Result<(), PlanError> {
        let deadlines = self.graph.deadlines();
        let order = self.deadline_order(&deadlines);
        let mut search = Search {
            budget: SEARCH_BUDGET,
            first_dead_end: None,
        };
        if self.search(&order, 0, &deadlines, &mut search) {
            return Ok(());
        }
        let stuck = search.first_dead_end.unwrap_or(order[0]);
        let (sprint, pinned) = deadlines[stuck]
            .and_then(|d| d.must)
            .unwrap_or((self.graph.first, stuck));
        Err(PlanError::DependenciesDoNotFit {
            feature: self.graph.id(pinned),
            sprint,
            first: self.graph.first,
            dependencies: self
                .graph
                .unpinned_ancestors(pinned)
                .into_iter()
                .map(|d| self.graph.id(d))
                .collect(),
        })
    }

    /// The features with a deadline, dependencies first, then by deadline, then input order.
    fn deadline_order(&self, deadlines: &[Option<Deadline>]) -> Vec<usize> {
        let mut order = Vec::new();
        let mut left: BTreeSet<(u32, usize)> = (0..self.graph.items.len())
            .filter_map(|k| deadlines[k].map(|d| (d.want.0, k)))
            .collect();
        while let Some(&(d, k)) = left.iter().find(|&&(_, k)| {
            self.graph.deps[k]
                .iter()
                .all(|&j| deadlines[j].is_none() || order.contains(&j))
        }) {
            left.remove(&(d, k));
            order.push(k);
        }
        order
    }

    fn search(
        &mut self,
        order: &[usize],
        at: usize,
        deadlines: &[Option<Deadline>],
        search: &mut Search,
    ) -> bool {
        let Some(&k) = order.get(at) else {
            return true;
        };
        let Some(deadline) = deadlines[k] else {
            return self.search(order, at + 1, deadlines, search);
        };
        let lo = self.earliest(k);
        // Without a hard limit, the first sprint after every used one is empty and takes it.
        let open = self
            .members
            .keys()
            .next_back()
            .map_or(lo, |&s| s + 1)
            .max(lo);
        let hi = deadline.must.map_or(open, |m| m.0);
        for sprint in lo..=hi {
            if !self.fits(sprint, k) {
                continue;
            }
            self.place(k, sprint);
            self.needed_by[k] = Some(deadline.want);
            if self.search(order, at + 1, deadlines, search) {
                return true;
            }
            self.unplace(k, sprint);
            search.budget = search.budget.saturating_sub(1);
            if search.budget == 0 {
                return false;
            }
        }
        search.first_dead_end.get_or_insert(k);
        false
    }

    /// Everything else, sprint by sprint: fill the current sprint while anything ready fits,
    /// preferring the areas already in it, then open the next.
    fn place_the_rest(&mut self) {
        let mut left: Vec<usize> = (0..self.graph.items.len())
            .filter(|&k| self.sprint_of[k].is_none())
            .collect();
        let mut sprint = self.graph.first;
        while !left.is_empty() {
            loop {
                let mut same_area = None;
                let mut first_ready = None;
                for &k in &left {
                    let ready = self.graph.deps[k]
                        .iter()
                        .all(|&d| self.sprint_of[d].is_some_and(|s| s <= sprint));
                    if !ready || !self.fits(sprint, k) {
                        continue;
                    }
                    if self.has_area(sprint, &self.graph.items[k].area) {
                        same_area = Some(k);
                        break;
                    }
                    first_ready.get_or_insert(k);
                }
                let Some(k) = same_area.or(first_ready) else {
                    break;
                };
                self.kept_with_area[k] = same_area.is_some();
                self.place(k, sprint);
                left.retain(|&x| x != k);
            }
            sprint += 1;
        }
    }

    fn has_area(&self, sprint: u32, area: &str) -> bool {
        self.members
            .get(&sprint)
            .is_some_and(|m| m.iter().any(|&j| self.graph.items[j].area == area))
    }

    /// Why `k` is where it is, from the finished board. Loads only grow while placing, so a
    /// sprint too full for `k` when it was passed over is still too full at the end.
    fn reasons(&self, k: usize) -> Vec<Reason> {
        let item = self.graph.items[k];
        let capacity = self.graph.capacity;
        let sprint = self.sprint_of[k].unwrap_or(self.graph.first);
        let mut reasons = Vec::new();
        match item.pin {
            Some(sprint) if item.delivered => reasons.push(Reason::Delivered { sprint }),
            Some(sprint) => reasons.push(Reason::Pinned { sprint }),
            None => {}
        }
        if self.oversize(k) {
            reasons.push(Reason::Alone {
                points: item.points,
                capacity,
                sprint,
            });
        }
        if item.pin.is_some() {
            return reasons;
        }
        if let Some((s, d)) = self.latest_dependency(k) {
            reasons.push(Reason::Needs {
                dependency: self.graph.id(d),
                sprint: s,
            });
        }
        if let Some((s, pinned)) = self.needed_by[k] {
            reasons.push(Reason::NeededBy {
                feature: self.graph.id(pinned),
                sprint: s,
                delivered: self.graph.items[pinned].delivered,
            });
        }
        if !self.oversize(k) && sprint > self.earliest(k) {
            let before = sprint - 1;
            match self.members.get(&before) {
                Some(m) if self.alone.contains(&before) => reasons.push(Reason::TakenAlone {
                    sprint: before,
                    feature: self.graph.id(m[0]),
                }),
                _ => reasons.push(Reason::Full {
                    sprint: before,
                    used: self.load.get(&before).copied().unwrap_or(0),
                    capacity,
                }),
            }
        }
        if self.kept_with_area[k] {
            reasons.push(Reason::KeptWithArea {
                area: item.area.clone(),
            });
        }
        if reasons.is_empty() {
            reasons.push(Reason::CatalogueOrder { sprint });
        }
        reasons
    }

    fn finish(self) -> SprintPlan {
        let sprints = self
            .members
            .iter()
            .map(|(&number, members)| {
                let features = self
                    .delivery_order(members)
                    .into_iter()
                    .map(|k| {
                        let item = self.graph.items[k];
                        Placement {
                            id: item.id.clone(),
                            title: item.title.clone(),
                            area: item.area.clone(),
                            points: item.points,
                            sprint: number,
                            reasons: self.reasons(k),
                        }
                    })
                    .collect();
                Sprint {
                    number,
                    points: self.load.get(&number).copied().unwrap_or(0),
                    features,
                }
            })
            .collect();
        SprintPlan {
            capacity: self.graph.capacity,
            first_sprint: self.graph.first,
            sprints,
        }
    }

    /// A sprint's features with each after its same-sprint dependencies, otherwise in the
    /// order they were placed (pinned features are placed first but may need others).
    fn delivery_order(&self, members: &[usize]) -> Vec<usize> {
        // `members` is in placement order: `place` appends, `unplace` keeps the order.
        let mut left: Vec<usize> = members.to_vec();
        let mut order = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let at = left
                .iter()
                .position(|&k| {
                    // A dependency still in `left` is in this sprint and not yet listed.
                    self.graph.deps[k].iter().all(|d| !left.contains(d))
                })
                .unwrap_or(0);
            order.push(left.remove(at));
        }
        order
    }
}
