//! The feature schema: what a catalogue file may say, exactly as it is written in YAML.
//!
//! Fields that validation must point at are `Spanned`; free-form Graph properties are
//! [`Node`]s. Unknown fields are refused everywhere (`deny_unknown_fields`), so a typo is an
//! error rather than a silently ignored setting. The JSON Schema for editors
//! (`catalogue.schema.json`) describes the same shape.

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::node::Node;

/// One catalogue file. Built-in files hold `features`; an agency's overlay files may also hold
/// `overrides` and `disable`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFileDoc {
    #[serde(default)]
    pub features: Vec<FeatureDoc>,
    #[serde(default)]
    pub overrides: Vec<OverrideDoc>,
    #[serde(default)]
    pub disable: Vec<DisableDoc>,
}

/// One blueprint capability (DESIGN.md, "Concepts").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureDoc {
    /// Stable, lower-case, dash-separated: the feature log and sprint plans refer to it.
    pub id: Spanned<String>,
    pub title: String,
    pub area: Area,
    /// The ABAC sections this feature implements; the first is the primary one.
    pub abac: Vec<Spanned<AbacRef>>,
    pub story: UserStory,
    pub acceptance: Vec<CriterionDoc>,
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    pub licences: Vec<Licence>,
    pub implementation: Vec<ImplementationType>,
    #[serde(default)]
    pub essential_eight: Vec<EssentialEight>,
    pub story_points: Spanned<u8>,
    /// What changes for staff, in plain words: the user guide's "What changes for me".
    pub user_impact: String,
    /// What staff do about it, in plain words: the user guide's "What I do now".
    pub user_action: String,
    /// Desired tenant objects (an automated feature)…
    #[serde(default)]
    pub resources: Vec<ResourceDoc>,
    /// …or steps a person performs and attests (a manual feature). A feature with resources
    /// may carry manual steps too: what a person does when the workspace cannot automate it
    /// (Graph beta turned off, a parameter below unset).
    #[serde(default)]
    pub manual: Vec<ManualStep>,
    /// Parameters without which the feature is manual rather than refused: the agency's own
    /// content the blueprint cannot supply (a signed WDAC policy binary and its id). Until the
    /// profile sets each of them, the workspace treats the feature as manual, with the reason
    /// naming them ([`crate::Catalogue::for_profile`]).
    #[serde(default)]
    pub automated_when_set: Vec<Spanned<String>>,
}

/// Where in the blueprint's As Built As Configured documents a setting comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AbacRef {
    /// File name in the ABAC folder, e.g. `conditional-access-policies.md`.
    pub file: String,
    /// Heading text as written in that file (level 2 or 3).
    pub heading: String,
}

/// As a …, I want …, so that ….
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserStory {
    #[serde(rename = "as")]
    pub as_a: String,
    pub want: String,
    pub so_that: String,
}

/// One acceptance criterion: the sentence a person reads and the checks that prove it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionDoc {
    pub text: String,
    pub checks: Vec<Check>,
}

/// A check the engine runs at evaluation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The referenced tenant object exists and its fields match the desired fields.
    Matches(Spanned<String>),
    /// The referenced tenant object exists (prerequisites the tool never creates).
    Exists(Spanned<String>),
    /// A user (or every instance of a `for_each` user resource) is a member of a group.
    MemberOf {
        member: Spanned<String>,
        group: Spanned<String>,
    },
    /// A person attests it in the feature log, with the evidence described here.
    Attested(String),
}

/// A step a person performs in an admin portal because no API reaches the setting.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManualStep {
    /// Where, in the portal's own breadcrumb, e.g. `Exchange admin center > Mail flow > Rules`.
    pub portal: String,
    /// What to set, as `setting: value` lines.
    pub settings: Vec<String>,
}

/// One desired tenant object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDoc {
    /// A Graph resource kind from the kinds table (e.g. `conditionalAccessPolicy`).
    pub kind: Spanned<String>,
    /// Checked to exist, never created or changed by the tool.
    #[serde(default)]
    pub prerequisite: Option<Prerequisite>,
    /// One object per element of a list parameter; `{{ each }}` is the element.
    #[serde(default)]
    pub for_each: Option<Spanned<String>>,
    /// The Graph properties the blueprint sets, exactly as Graph v1.0 names them. Only these
    /// are compared with the tenant.
    pub desired: Node,
    /// Properties sent only when creating (Graph requires them on POST but does not return
    /// them on GET, so they cannot be compared).
    #[serde(default)]
    pub create_only: Option<Node>,
    /// A merge patch onto `desired` for hybrid implementation types.
    #[serde(default)]
    pub hybrid: Option<Node>,
    /// Only agencies of this implementation type have the object (a hybrid agency's mail
    /// connectors to its on-premises servers); for the others the feature sets nothing.
    #[serde(default)]
    pub only: Option<ImplementationType>,
}

/// When a resource is a prerequisite rather than something the tool creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prerequisite {
    /// Always: the tool only checks it (break-glass accounts).
    Always,
    /// Only for hybrid agencies, where the object is synchronised from on-premises AD.
    Hybrid,
}

/// An overlay's change to a built-in feature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideDoc {
    pub feature: Spanned<String>,
    /// `kind:identity` of the resource to change; may be left out when the feature has one.
    #[serde(default)]
    pub resource: Option<Spanned<String>>,
    /// Merge patch (RFC 7386) onto the resource's desired fields.
    #[serde(default)]
    pub merge: Option<Node>,
    /// Like `merge`, but lists are extended (e.g. one more exclusion group).
    #[serde(default)]
    pub append: Option<Node>,
    #[serde(default)]
    pub story_points: Option<Spanned<u8>>,
    /// Why the agency departs from the blueprint; recorded with the feature.
    #[serde(default)]
    pub reason: Option<String>,
}

/// An overlay's decision not to implement a built-in feature.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableDoc {
    pub feature: Spanned<String>,
    pub justification: Spanned<String>,
}

/// The blueprint area a feature belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Entra ID: identity, conditional access, groups, authentication.
    Identity,
    /// Microsoft 365 organisation settings, licensing, branding.
    Organisation,
    Exchange,
    /// Exchange Online Protection.
    Eop,
    Teams,
    Sharepoint,
    /// Microsoft Purview: audit, retention, sensitivity labels, DLP.
    Purview,
    /// Microsoft 365 Defender: Office 365, Endpoint, Cloud Apps.
    Defender,
    /// Microsoft Intune (Endpoint Manager).
    Intune,
}

impl Area {
    pub const ALL: [Area; 9] = [
        Area::Identity,
        Area::Organisation,
        Area::Exchange,
        Area::Eop,
        Area::Teams,
        Area::Sharepoint,
        Area::Purview,
        Area::Defender,
        Area::Intune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Identity => "identity",
            Area::Organisation => "organisation",
            Area::Exchange => "exchange",
            Area::Eop => "eop",
            Area::Teams => "teams",
            Area::Sharepoint => "sharepoint",
            Area::Purview => "purview",
            Area::Defender => "defender",
            Area::Intune => "intune",
        }
    }

    pub fn parse(text: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Licences a feature needs (the blueprint assumes Microsoft 365 E5; these say which part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Licence {
    #[serde(rename = "microsoft-365-e5")]
    Microsoft365E5,
    EntraIdP1,
    EntraIdP2,
    #[serde(rename = "intune-plan-1")]
    IntunePlan1,
    #[serde(rename = "exchange-online-plan-2")]
    ExchangeOnlinePlan2,
    #[serde(rename = "sharepoint-plan-2")]
    SharepointPlan2,
    Teams,
    #[serde(rename = "defender-for-office-365-p2")]
    DefenderForOffice365P2,
    DefenderForEndpointP2,
    DefenderForCloudApps,
    PurviewInformationProtection,
}

/// The blueprint's implementation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImplementationType {
    CloudNative,
    Hybrid,
}

impl ImplementationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationType::CloudNative => "cloud-native",
            ImplementationType::Hybrid => "hybrid",
        }
    }
}

/// The ASD Essential Eight mitigation strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EssentialEight {
    ApplicationControl,
    PatchApplications,
    MacroSettings,
    UserApplicationHardening,
    RestrictAdminPrivileges,
    PatchOperatingSystems,
    MultiFactorAuthentication,
    RegularBackups,
}
