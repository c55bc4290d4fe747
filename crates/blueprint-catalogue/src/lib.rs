//! The secure Microsoft 365 blueprint as data.
//!
//! A catalogue is a set of **features** (blueprint capabilities), each traced to the ABAC section
//! it implements and either automated (desired Graph **resources**, templated with agency
//! parameters, referring to each other by `kind:identity`) or manual (steps a person performs
//! and attests). The built-in catalogue is embedded; an agency's overlay directory can add
//! features, override fields of built-in ones, or disable them with a justification.
//!
//! Loading validates everything and reports each problem at its file:line:col
//! ([`source::Diagnostic`]). Rendering for an [`profile::AgencyProfile`] yields the desired
//! state ([`render::DesiredObject`]) the engine plans from.
//!
//! The data derives from the blueprint's ABAC documents: see [`ATTRIBUTION`].

pub mod assets;
pub mod builtin;
pub mod catalogue;
pub mod coverage;
pub mod exchange_kinds;
pub mod firewall;
pub mod kinds;
mod loader;
pub mod node;
pub mod permissions;
pub mod profile;
pub mod render;
pub mod schema;
pub mod source;
pub mod template;

pub use catalogue::{Catalogue, CatalogueError, Feature, FeatureStatus, InputFile, Origin};
pub use coverage::{CoverageReport, CoverageStatus};
pub use profile::AgencyProfile;
pub use render::{DesiredObject, Rendered};
pub use source::{Diagnostic, Diagnostics, ErrorKind};

/// Version of the built-in catalogue. Bump it whenever a feature's resources or checks change,
/// so the feature log can tell which blueprint a deployment followed.
pub const CATALOGUE_VERSION: &str = "2024.1.0";

/// Date of the ABAC documents the catalogue encodes.
pub const ABAC_SOURCE_DATE: &str = "2023-12";

/// Commit of the desktop.gov.au repository the ABAC documents were taken from.
pub const ABAC_SOURCE_COMMIT: &str = "320d9b3";

/// The attribution the CC BY 4.0 licence requires wherever catalogue data is shown (reports,
/// user guides, `catalogue` command output).
pub const ATTRIBUTION: &str = "Catalogue data derived from the Australian Government's Blueprint for Secure Cloud \
(Protected Utility blueprint) As Built As Configured documents, © Commonwealth of Australia, \
licensed under Creative Commons Attribution 4.0 International (CC BY 4.0, \
https://creativecommons.org/licenses/by/4.0/). Source: GitHub ASD-Blueprint/desktop.gov.au, \
commit 320d9b3 (December 2023). Changed: settings re-expressed as Microsoft Graph resources and manual steps.";
