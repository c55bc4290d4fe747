//! The engagement as the Deploy phase runs it (`reference/engagement-model/deploy.md`): the
//! execution plan recorded in the feature log, sprints deployed in dependency order, manual
//! features attested with evidence, progress with the recommended next step, and the phase
//! decisions that end a cycle (Transition, Deploy again, exit).
//!
//! Everything here reads the feature log and the workspace's selection; nothing reads the
//! tenant. The decisions (what to recommend, which sprint may start, what changed in the
//! selection) are pure functions of those, so they are tested without a tenant or a store.

mod cycle;
mod error;
mod recommend;
mod records;
mod scope;
mod selection;
mod sprints;
mod status;
#[cfg(test)]
mod tests;

pub use cycle::*;
pub use error::*;
pub use recommend::*;
pub use records::*;
pub use scope::*;
pub use selection::*;
pub use sprints::*;
pub use status::*;
