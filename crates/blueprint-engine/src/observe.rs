//! Reading the tenant: the counterpart of every desired object, in as few round trips as Graph
//! allows (one `$batch` of up to 20 reads per round, filtered queries for large collections,
//! whole small collections once).

use std::collections::{BTreeMap, HashMap};

use blueprint_catalogue::DesiredObject;
use serde_json::Value;

use crate::EngineError;
use crate::resources::{self, Lookup};
use crate::route::TenantApis;

/// The tenant as the engine saw it.
#[derive(Debug, Default, Clone)]
pub struct Observation {
    /// Tenant objects matching each desired object's identity, by reference.
    pub matches: BTreeMap<String, Vec<Value>>,
    /// Intune assignments by policy id.
    pub assignments: HashMap<String, Vec<Value>>,
    /// Directory role template ids, when a desired object names every role.
    pub role_templates: Vec<String>,
    /// The collections listing the item keys a tenant may write, by path, when a desired
    /// object's kind has one ([`blueprint_catalogue::kinds::Available`]: `/subscribedSkus`),
    /// and the definitions desired items name ([`blueprint_catalogue::kinds::Definitions`]:
    /// Intune's administrative template settings, by the query that lists them).
    pub available: BTreeMap<String, Vec<Value>>,
}

impl crate::plan::RefLookup for Observation {
    fn id(&self, reference: &str) -> Option<String> {
        self.id_of(reference)
    }

    fn all(&self, kind: &str) -> Vec<String> {
        match kind {
            "directoryRoleTemplate" => self.role_templates.clone(),
            _ => Vec::new(),
        }
    }
}

const ROLE_TEMPLATES_PATH: &str = "directoryRoleTemplates?$select=id,displayName";

impl Observation {
    /// The single counterpart of a reference; more than one is ambiguous.
    pub fn single(&self, reference: &str) -> Result<Option<&Value>, usize> {
        match self.matches.get(reference).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one)),
            Some(many) => Err(many.len()),
        }
    }

    pub fn id_of(&self, reference: &str) -> Option<String> {
        self.single(reference)
            .ok()
            .flatten()
            .and_then(|v| v["id"].as_str())
            .map(str::to_string)
    }
}

/// What a reading is for. A plan also needs what the tenant could hold, to bind items to it
/// and to block what it lacks: the licences it bought and the administrative template
/// definitions the blueprint's values name (one query per category path: 67 for the
/// catalogue's five templates, more than three `$batch`es). An evaluation compares only what
/// the tenant holds (a value whose definition the tenant lacks is simply not there), so it
/// leaves those reads out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Plan,
    Evaluate,
}

/// Reads the counterparts of `objects`, for a plan.
pub async fn observe(
    client: &TenantApis,
    objects: &[&DesiredObject],
) -> Result<Observation, EngineError> {
    observe_known(client, objects, &HashMap::new(), Purpose::Plan).await
}

/// Reads the counterparts of `objects`, given the ids the journal holds for some of them
/// (`known`, by reference: objects this tool created or changed). The reads that need an
/// object's id (its assignments, the object read whole) go with the first round for a known
/// id instead of waiting for the first round to find it, and are kept only when the first
/// round finds the object under that very id; an object found under another id, or such a
/// read that failed, is read in a second round as if nothing were known.
pub async fn observe_known(
    client: &TenantApis,
    objects: &[&DesiredObject],
    known: &HashMap<String, String>,
    purpose: Purpose,
) -> Result<Observation, EngineError> {
    // A plan never writes the public DNS and evaluate compares it, so a plan does not ask it:
    // a DNS server the planning machine cannot reach must not stop a deploy of everything else.
    let objects: Vec<&DesiredObject> = objects
        .iter()
        .copied()
        .filter(|o| purpose == Purpose::Evaluate || !is_public_dns(o))
        .collect();
    let objects = objects.as_slice();
    // An object nested under a parent's id is read once the first round has found the parent,
    // or with the first round under the parent's journalled id (kept only when the first round
    // finds the parent under that very id).
    let (nested, objects_first): (Vec<&DesiredObject>, Vec<&DesiredObject>) = objects
        .iter()
        .copied()
        .partition(|o| resources::nested_under(o).is_some());
    let mut paths: Vec<String> = objects_first
        .iter()
        .map(|o| resources::read_path(o))
        .collect();
    let wants_roles = objects
        .iter()
        .any(|o| o.references.iter().any(|r| r == "directoryRoleTemplate:*"));
    if wants_roles {
        paths.push(ROLE_TEMPLATES_PATH.to_string());
    }
    let to_plan = purpose == Purpose::Plan;
    let available: Vec<&'static str> = objects
        .iter()
        .filter(|_| to_plan)
        .filter_map(|o| resources::written_by_action(&o.kind)?.available)
        .map(|a| a.path)
        .collect();
    paths.extend(available.iter().map(|p| p.to_string()));
    // Read ahead by the journalled id: only what no first-round read asks for already.
    let mut ahead: std::collections::HashSet<String> = objects_first
        .iter()
        .filter_map(|o| Some((*o, known.get(&o.reference)?)))
        .flat_map(|(o, id)| second_reads(o, id))
        .map(|(_, path)| path)
        .filter(|path| !paths.contains(path))
        .collect();
    // Each nested object's collection under its parent's journalled id, by reference.
    let nested_ahead: HashMap<String, (String, String)> = nested
        .iter()
        .filter_map(|o| {
            let (parameter, parent) = resources::nested_under(o)?;
            let parent_id = known.get(&parent?)?;
            let path = resources::read_path(o).replace(parameter.placeholder, parent_id);
            Some((o.reference.clone(), (parent_id.clone(), path)))
        })
        .collect();
    ahead.extend(nested_ahead.values().map(|(_, path)| path.clone()));
    paths.extend(ahead.iter().cloned());
    // The definitions administrative template values name (Intune's, by category path).
    let definitions: Vec<String> = objects
        .iter()
        .filter(|_| to_plan)
        .filter_map(|o| {
            let write = resources::written_by_action(&o.kind)?;
            Some(crate::definitions::queries(write, &o.desired))
        })
        .flatten()
        .collect();
    paths.extend(definitions.iter().cloned());
    // What Microsoft wants of the agency's DNS records (Graph's serviceConfigurationRecords,
    // Exchange's DKIM selectors): read beside the records, in the same round.
    let what_microsoft_lists: Vec<String> = objects
        .iter()
        .filter_map(|o| expected_from(o).map(str::to_string))
        .collect();
    paths.extend(what_microsoft_lists.iter().cloned());
    paths.sort();
    paths.dedup();
    let results = client.get_many(&paths).await;
    let mut by_path: HashMap<String, Value> = HashMap::new();
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(v) => {
                by_path.insert(path.clone(), v);
            }
            // A read ahead that failed is made again once the object's id is known.
            Err(_) if ahead.contains(path) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut observation = Observation::default();
    if let Some(roles) = by_path.get(ROLE_TEMPLATES_PATH) {
        observation.role_templates = items(roles)
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect();
    }
    for path in available {
        let listed = by_path.get(path).map(items).unwrap_or_default();
        observation.available.insert(path.to_string(), listed);
    }
    for path in definitions.into_iter().chain(what_microsoft_lists) {
        let listed = by_path.get(&path).map(items).unwrap_or_default();
        observation.available.insert(path, listed);
    }
    for object in objects {
        let found = by_path.get(&resources::read_path(object));
        let matches: Vec<Value> = match (resources::lookup(object), found) {
            (_, None) => Vec::new(),
            (Lookup::Singleton, Some(v)) => vec![v.clone()],
            (_, Some(v)) => items(v)
                .into_iter()
                .filter(|c| resources::is_counterpart(object, c))
                .collect(),
        };
        observation
            .matches
            .insert(object.reference.clone(), matches);
    }
    // A second round, for the policies that exist: their assignments, the settings a settings
    // catalog policy returns only when expanded, and the properties Graph returns only when one
    // object is read by id (a script's content), in one batch; each already read ahead under
    // the id the first round found is taken as read.
    let mut read = Vec::new();
    let mut second = Vec::new();
    // Each nested object's collection, under the parent the first round found; none without
    // one (the plan blocks the object on its parent).
    for object in &nested {
        let Some((parameter, parent_reference)) = resources::nested_under(object) else {
            continue;
        };
        // Observed with its parent, the parent the tenant has now; observed alone (a create
        // looked for after a lost answer), the one this run found.
        let parent = match parent_reference {
            Some(r) if objects.iter().any(|o| o.reference == r) => {
                let parent = observation.id_of(&r);
                client.bind(parameter.placeholder, parent.as_deref());
                parent
            }
            _ => client.bound(parameter.placeholder),
        };
        let Some(parent) = parent else {
            continue;
        };
        match nested_ahead.get(&object.reference) {
            Some((journalled, path)) if *journalled == parent && by_path.contains_key(path) => {
                read.push((
                    Second::Nested(object.reference.clone()),
                    by_path[path].clone(),
                ));
            }
            _ => second.push((
                Second::Nested(object.reference.clone()),
                resources::read_path(object).replace(parameter.placeholder, &parent),
            )),
        }
    }
    for object in objects_first.iter() {
        let Some(id) = observation.id_of(&object.reference) else {
            continue;
        };
        let read_ahead = known.get(&object.reference) == Some(&id);
        for (what, path) in second_reads(object, &id) {
            match by_path.get(&path) {
                Some(value) if read_ahead && ahead.contains(&path) => {
                    read.push((what, value.clone()))
                }
                _ => second.push((what, path)),
            }
        }
    }
    if !second.is_empty() {
        let paths: Vec<String> = second.iter().map(|(_, p)| p.clone()).collect();
        for ((what, _), result) in second.into_iter().zip(client.get_many(&paths).await) {
            match (what, result) {
                // The parent went between the rounds: nothing under it.
                (Second::Nested(reference), Err(e)) if e.is_not_found() => {
                    observation.matches.insert(reference, Vec::new());
                }
                (what, result) => read.push((what, result?)),
            }
        }
    }
    // The nested objects found in the second round, and what they need read after that.
    let mut third = Vec::new();
    for (what, value) in &read {
        let Second::Nested(reference) = what else {
            continue;
        };
        let Some(object) = nested.iter().find(|o| &o.reference == reference) else {
            continue;
        };
        let matches: Vec<Value> = match resources::lookup(object) {
            Lookup::Singleton => vec![value.clone()],
            _ => items(value)
                .into_iter()
                .filter(|c| resources::is_counterpart(object, c))
                .collect(),
        };
        observation.matches.insert(reference.clone(), matches);
        if let Some(id) = observation.id_of(reference) {
            third.extend(second_reads(object, &id));
        }
    }
    read.retain(|(what, _)| !matches!(what, Second::Nested(_)));
    if !third.is_empty() {
        let paths: Vec<String> = third.iter().map(|(_, p)| p.clone()).collect();
        for ((what, _), result) in third.into_iter().zip(client.get_many(&paths).await) {
            read.push((what, result?));
        }
    }
    for (what, mut value) in read {
        match what {
            Second::Assignments(id) => {
                observation.assignments.insert(id, items(&value));
            }
            Second::Whole(reference) => {
                if let Some(map) = value.as_object_mut() {
                    map.remove("@odata.context");
                }
                observation.matches.insert(reference, vec![value]);
            }
            Second::Nested(_) => {}
        }
    }
    Ok(observation)
}

/// A record of the agency's public DNS, which only evaluate reads.
pub fn is_public_dns(object: &DesiredObject) -> bool {
    blueprint_catalogue::kinds::kind(&object.kind)
        .is_some_and(|k| k.api == blueprint_catalogue::kinds::Api::PublicDns)
}

/// The read that says what a `dnsRecord` should hold, when Microsoft decides it
/// ([`blueprint_catalogue::kinds::dns::EXPECTED_FROM`]).
pub fn expected_from(object: &DesiredObject) -> Option<&str> {
    if object.kind != blueprint_catalogue::kinds::dns::DNS_RECORD.name {
        return None;
    }
    object.desired[blueprint_catalogue::kinds::dns::EXPECTED_FROM].as_str()
}

/// The reads an object found under `id` needs after the read that found it: its
/// assignments, and the object read whole (expanded, or by id for what only that returns).
fn second_reads(object: &DesiredObject, id: &str) -> Vec<(Second, String)> {
    let mut reads = Vec::new();
    let path = format!("{}/{id}", object.path);
    if resources::has_assignments(&object.kind) {
        reads.push((
            Second::Assignments(id.to_string()),
            format!("{path}/assignments"),
        ));
    }
    if resources::expanded(&object.kind).is_some() || resources::reads_by_id(&object.kind) {
        let whole = resources::read_one(&object.kind, &path);
        reads.push((Second::Whole(object.reference.clone()), whole));
    }
    reads
}

/// What a second-round read is for.
enum Second {
    /// A policy's assignments, by policy id.
    Assignments(String),
    /// An object read whole (expanded), replacing its match, by reference.
    Whole(String),
    /// The collection of an object nested under its parent's id, by the object's reference.
    Nested(String),
}

/// The items of a collection response (or of an already merged list).
fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}
