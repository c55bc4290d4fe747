//! The resource kinds a catalogue may describe, and what each one allows, which API reaches it
//! and what an application must be granted to read and to write it.
//!
//! The engine PATCHes and POSTs desired fields to Graph verbatim, so a property name that Graph
//! does not have would fail only at deploy time, against a live tenant. Checking names here
//! moves that failure to `catalogue validate`. Property lists follow the CSDL of the kind's API
//! version (see `graph-notes.md` §5): a v1.0 kind lists only what Microsoft's v1.0 metadata has,
//! and a setting that exists only in beta belongs to a beta kind. Only top-level properties are
//! checked.
//!
//! Adding a kind is one entry in [`KINDS`]: its name, path (without the version: the API says
//! which), identity, properties and permissions. A Graph beta kind is the same entry with
//! `api: Api::GraphBeta`; requests for it go under `/beta` ([`KindSpec::request_path`]), `plan`
//! and reports mark it, and `[graph] beta = false` turns its features into manual ones.
//!
//! Permissions are the least-privileged application permissions Microsoft documents for each
//! operation (`real-tenant-and-exchange.md` §1a, checked against each operation's
//! "Permissions" table in Microsoft's Graph reference: conditional access policies "Policy.Read.All,
//! Policy.ReadWrite.ConditionalAccess and Application.Read.All"; named locations "Policy.Read.All
//! and Policy.ReadWrite.ConditionalAccess"; group settings GroupSettings.Read.All and
//! GroupSettings.ReadWrite.All; group lifecycle policies Directory.Read.All and
//! Directory.ReadWrite.All, nothing narrower). `write` holds everything a deploy of the kind
//! needs and nothing more (a write permission reads too): the emulator enforces Microsoft's
//! table independently and a test proves each set works and that none of its grants can go.
//! The permissions a workspace needs are derived from its selected features' kinds
//! ([`crate::permissions`]), never listed by hand.

pub mod dns;
mod identity;
mod intune;

pub use identity::ORGANIZATION_ID;
pub use intune::DEP_ONBOARDING_SETTING_ID;

pub use intune::{DEVICE_NAME_MAX, device_name_template_problem};

/// How a kind's objects are identified in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKey {
    /// Matched by the value of this property (adopt an existing object with the same value
    /// instead of creating a duplicate).
    Property(&'static str),
    /// One object per tenant: there is nothing to match, only fields to compare.
    Singleton,
}

/// The Microsoft API a kind is read and written through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// Microsoft Graph v1.0 (`https://graph.microsoft.com/v1.0`).
    GraphV1,
    /// Microsoft Graph beta: settings Microsoft has not (yet) put in v1.0. Deployed by default;
    /// `[graph] beta = false` in `blueprint.toml` turns the features that need it into manual ones.
    GraphBeta,
    /// The Exchange Online admin API (`/adminapi/beta/{tenant}/InvokeCommand`): Exchange and
    /// Defender for Office 365 cmdlets.
    ExchangeAdmin,
    /// The same admin API at Security & Compliance (`Connect-IPPSSession`'s endpoint, found
    /// through `EXOBanner('AutogenSession')`, tokens for
    /// `https://ps.compliance.protection.outlook.com`): Microsoft Purview's cmdlets.
    ComplianceAdmin,
    /// The agency's public DNS zone, read with DNS queries (MX, TXT, CNAME) to the system's
    /// resolver or the connection's `dns` server: records that live at the agency's registrar,
    /// which no Microsoft API writes, compared with what Microsoft lists for the domain.
    PublicDns,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::GraphV1 => "graph-v1.0",
            Api::GraphBeta => "graph-beta",
            Api::ExchangeAdmin => "exchange-admin",
            Api::ComplianceAdmin => "compliance-admin",
            Api::PublicDns => "public-dns",
        }
    }

    /// How a person names the API ("Graph v1.0", "Graph beta").
    pub fn label(self) -> &'static str {
        match self {
            Api::GraphV1 => "Graph v1.0",
            Api::GraphBeta => "Graph beta",
            Api::ExchangeAdmin => "the Exchange admin API",
            Api::ComplianceAdmin => "the Security & Compliance admin API",
            Api::PublicDns => "the public DNS",
        }
    }

    /// The version segment Graph requests for this API start with.
    pub fn graph_version(self) -> Option<&'static str> {
        match self {
            Api::GraphV1 => Some("v1.0"),
            Api::GraphBeta => Some("beta"),
            Api::ExchangeAdmin | Api::ComplianceAdmin | Api::PublicDns => None,
        }
    }

    /// Whether the API is the cmdlet admin API (`InvokeCommand`), at Exchange or at Security
    /// & Compliance: one family per kind, objects by `Identity`.
    pub fn is_cmdlet_api(self) -> bool {
        matches!(self, Api::ExchangeAdmin | Api::ComplianceAdmin)
    }
}

/// One grant an application needs: the unit `blueprint permissions`, `connect` and `doctor`
/// speak in. Names are Microsoft's own, so a person can find them in the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// A Microsoft Graph application permission (app role), e.g. `Policy.Read.All`.
    Graph(&'static str),
    /// An Office 365 Exchange Online application permission, e.g. `Exchange.ManageAsApp`.
    Exchange(&'static str),
    /// A Microsoft Entra directory role the application's service principal holds, e.g.
    /// `Exchange Administrator` (Exchange's app-only access needs a role as well as the
    /// permission).
    DirectoryRole(&'static str),
    /// An Exchange Online management role the app holds through an Exchange role group it is
    /// a member of, e.g. `Address Lists`: a role that no Entra role brings (Microsoft: in
    /// Exchange Online every `*-AddressList` cmdlet is "available only in the Address Lists
    /// role, and by default, the role isn't assigned to any role groups"). No token shows it:
    /// `connect` adds the app's service principal to a role group holding the role
    /// (`New-ServicePrincipal`, `New-RoleGroup -Roles`, `Add-RoleGroupMember`, Microsoft's
    /// app-only authentication steps) and `doctor` reads it back
    /// (`Get-ManagementRoleAssignment -Role`, `Get-RoleGroupMember`).
    ExchangeRole(&'static str),
}

impl Grant {
    pub fn name(self) -> &'static str {
        match self {
            Grant::Graph(n)
            | Grant::Exchange(n)
            | Grant::DirectoryRole(n)
            | Grant::ExchangeRole(n) => n,
        }
    }
}

/// The least-privileged grants that read, and that write, a kind's objects. `write` holds
/// everything a deploy needs (a deploy reads before it writes), not only the write permission.
#[derive(Debug, Clone, Copy)]
pub struct Permissions {
    pub read: &'static [Grant],
    pub write: &'static [Grant],
}

/// What the tool may do with a kind's objects. One rule for every kind the tool must not
/// create: the plan blocks a missing object of an adopted-only or checked-only kind with the
/// reason, and nothing but a create of the tool's own is ever removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Created when the tenant has no object with the identity, set when it has one; removed
    /// (by a rollback or `--allow-delete`) only when the tool created it.
    Managed,
    /// Found by identity and set, never created or removed: the service makes these objects
    /// itself, for the reason given (Exchange Online's accepted domains are the tenant's
    /// verified domains). A rollback restores what the tool set from its snapshot.
    AdoptedOnly(&'static str),
    /// Checked to exist, never created or changed (user accounts: the tool must not create
    /// accounts with passwords).
    CheckedOnly,
    /// Read and compared, never written: a difference is a finding for a person to act on,
    /// for the reason given. The agency's organisational add-ins are its own: the blueprint
    /// wants none beyond Microsoft's defaults, and the tool never removes what it did not
    /// create (no `--enforce` or `--allow-delete` reaches them).
    EvaluatedOnly(&'static str),
}

/// How the engine reaches a kind's objects beyond its path: what Graph needs to list them, what
/// it returns only when asked, and which parts it writes through side doors. Facts about
/// Microsoft's API, kept beside the kind so a new kind needs no change in the engine.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// How an object is found in the tenant.
    pub find: Find,
    /// A filter Graph requires on the collection: it refuses the bare list (the role
    /// management policy assignments' scope).
    pub required_filter: Option<&'static str>,
    /// A navigation property Graph returns only through `$expand`, which the blueprint sets.
    pub expand: Option<Expand>,
    /// Identity values are compared ignoring case (user principal names).
    pub identity_ignores_case: bool,
    /// Only objects whose integer property has this value are counterparts (Intune's default
    /// enrolment configurations, priority 0, beside an agency's own of the same type).
    pub only_where: Option<(&'static str, i64)>,
    /// Only objects of this derived type (`@odata.type`) are counterparts: an iOS VPP app
    /// among every app in `mobileApps`, where an iOS store app or line-of-business app may carry
    /// the same bundle id.
    pub only_of_type: Option<&'static str>,
    /// Only objects of the desired object's own derived type (`@odata.type`) are counterparts:
    /// Intune's beta-only profile types, each found among the profiles of its type.
    pub only_of_own_type: bool,
    /// `assignments` goes through `POST {id}/assign` and is read from `{id}/assignments`
    /// (Intune's policies and profiles).
    pub assignments: bool,
    /// The parameter of `POST {id}/assign` that carries the assignments: `assignments` for
    /// policies and profiles, the assignment type's name for apps (`mobileAppAssignments`,
    /// Microsoft's v1.0 metadata).
    pub assign_parameter: &'static str,
    /// Graph has no `assign` action that takes the whole set: each assignment is its own
    /// object, created with `POST {id}/assignments` and removed with
    /// `DELETE {id}/assignments/{assignment id}` (Windows Autopilot deployment profiles, whose
    /// `assign` action takes device ids). Read from `{id}/assignments` all the same.
    pub assigned_one_by_one: bool,
    /// A property whose keyed items Graph writes one at a time, each at its own path.
    pub per_item: Option<PerItem>,
    /// Graph updates the object only with `PUT` of every writable property (a property left
    /// out is reset): the engine sends the tenant's object with the blueprint's fields over it.
    pub replaced_whole: bool,
    /// The kind whose objects this kind's resources add settings to ([`KindSpec::adds_to`]).
    pub adds_to: Option<&'static KindSpec>,
    /// Properties Graph leaves out of (or nulls on) the collection's list and returns only when
    /// one object is read by id (a device management script's `scriptContent`): when the
    /// blueprint sets one, the engine reads each object it found again by id before comparing,
    /// or the list's null would be drift that no deploy could mend.
    pub read_by_id: &'static [&'static str],
    /// A property Graph returns (on `$select`) but writes only through an action on the
    /// object, item by item ([`ActionWrite`]: a group's licences through `assignLicense`).
    pub written_by_action: Option<ActionWrite>,
    /// A collection navigation property Graph writes only through an action of the object
    /// that replaces the whole collection ([`SetByAction`]: an app protection policy's `apps`
    /// through `targetApps`).
    pub set_by_action: Option<&'static SetByAction>,
    /// A placeholder the kind's path holds, which the engine fills in when it sends a request
    /// ([`PathParameter`]: the organization's id, an Apple enrolment program token's id).
    pub path_parameter: Option<PathParameter>,
    /// A second property that, with the identity property, identifies an object: Intune's
    /// device platform restrictions are one object per platform, and the portal names the
    /// restrictions on each platform's tab alike, so a restriction is its `displayName` on its
    /// `platformType`. The identity (and the reference) reads `name (qualifier)`
    /// ([`qualified_identity`]); the desired fields must set both.
    pub identity_qualifier: Option<&'static str>,
}

/// The identity of an object whose kind has an [`Access::identity_qualifier`]: its identity
/// property's value and the qualifier's, `Organisation Restrictions (windows)`.
pub fn qualified_identity(name: &str, qualifier: &str) -> String {
    format!("{name} ({qualifier})")
}

/// A placeholder in a kind's path (`{organizationId}`), and where its value comes from: the
/// objects of such a kind live under another object, whose id Graph's path names. The
/// catalogue and the journal keep the placeholder (paths stay tenant-neutral); the engine
/// fills it in when it sends a request.
#[derive(Debug, Clone, Copy)]
pub struct PathParameter {
    /// The placeholder as the path holds it (`{depOnboardingSettingId}`).
    pub placeholder: &'static str,
    /// Where its value comes from.
    pub from: ParameterSource,
}

/// Where the value of a [`PathParameter`] comes from.
#[derive(Debug, Clone, Copy)]
pub enum ParameterSource {
    /// The tenant id the access token names (the organization's id is the tenant id).
    TenantId,
    /// The id of the tenant's object of this kind that a resource of the same feature finds
    /// (the parent Graph nests the objects under: an enrolment profile under its Apple
    /// enrolment program token). The engine reads the parent with the first round of reads and
    /// the nested collection with the second; a resource of the nested kind depends on the
    /// parent's, so a missing (or ambiguous) parent blocks it with the parent's reason.
    Parent(&'static KindSpec),
}

impl PathParameter {
    /// The parent kind whose object's id fills the placeholder, when it is one.
    pub fn parent(&self) -> Option<&'static KindSpec> {
        match self.from {
            ParameterSource::Parent(kind) => Some(kind),
            ParameterSource::TenantId => None,
        }
    }
}

/// Every path parameter the kinds declare, each once.
pub fn path_parameters() -> impl Iterator<Item = PathParameter> {
    KINDS
        .iter()
        .filter_map(|k| k.access.path_parameter)
        .enumerate()
        .filter(|(i, p)| {
            !KINDS
                .iter()
                .filter_map(|k| k.access.path_parameter)
                .take(*i)
                .any(|q| q.placeholder == p.placeholder)
        })
        .map(|(_, p)| p)
}

/// A collection navigation property written through an action of its object that takes the
/// whole collection: `POST {object}/{action}` with `{parameter: [items]}`, every item the
/// object is to keep (Graph's `targetedManagedAppProtection: targetApps`, `{"apps":
/// [managedMobileApp]}`, answering 204). Read through `$expand` ([`Access::expand`]). The items
/// are matched by `key`, which the kind also lists in `keyed_arrays`: the engine sends the
/// tenant's items with the blueprint's laid over them, so an item someone added by hand stays,
/// and a rollback sends back the items the snapshot held (and those added by hand since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetByAction {
    /// The navigation property (`apps`).
    pub property: &'static str,
    /// The action's name (`targetApps`).
    pub action: &'static str,
    /// The parameter carrying the items (`apps`).
    pub parameter: &'static str,
    /// The items' key, a dotted path (`mobileAppIdentifier.bundleId`).
    pub key: &'static str,
}

/// A keyed collection property written through an action of its object:
/// `POST {object}/{action}` with the items to add or change under `add` and the keys of the
/// items to remove under `remove` (Graph's `group: assignLicense`, `{"addLicenses":
/// [{skuId, disabledPlans}], "removeLicenses": [skuId]}`). Items the body does not name are
/// left as they are, so the engine sends the blueprint's items only, and a rollback removes
/// only an item the tool added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionWrite {
    /// The property (`assignedLicenses`), a collection of items with a key.
    pub property: &'static str,
    /// The action's name (`assignLicense`).
    pub action: &'static str,
    /// The parameter listing the items to add or change (`addLicenses`).
    pub add: &'static str,
    /// The parameter listing the keys of the items to remove (`removeLicenses`).
    pub remove: &'static str,
    /// The items' key (`skuId`).
    pub key: &'static str,
    /// Where the tenant lists the keys it may use, when only those may be written: the plan
    /// blocks an item whose key is not there, with the reason.
    pub available: Option<Available>,
    /// The items set a definition the service defines and names by a GUID only it knows
    /// (Intune's administrative template settings): the blueprint names each definition by
    /// the properties in its key, the engine finds it ([`Definitions`]) and writes the item
    /// bound to it. With definitions, `remove` takes the tenant's item ids, and an item the
    /// tenant already holds is changed through `updated` (by its id), as Intune's
    /// `updateDefinitionValues` takes them.
    pub definitions: Option<&'static Definitions>,
}

/// Where a service's definitions live, for items written bound to one ([`ActionWrite::definitions`]):
/// Intune's `groupPolicyDefinitions` (Graph beta), each with a `classType`, `categoryPath` and
/// `displayName` and its `presentations` (the options of the setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definitions {
    /// The collection (Graph beta path without the version).
    pub path: &'static str,
    /// The item property that holds the definition (`definition`), named in the blueprint by
    /// the key's properties and bound on writes (`definition@odata.bind`).
    pub property: &'static str,
    /// The definition property the collection is queried by (`$filter=categoryPath eq '…'`):
    /// one query per value the blueprint uses, the rest of the key matched locally.
    pub filter_by: &'static str,
    /// The parameter listing changed items by id (`updated`).
    pub updated: &'static str,
    /// The item property holding the option values (`presentationValues`), each naming its
    /// option (`presentation`, by `label`) among the definition's `presentations`.
    pub values: &'static str,
    /// What a person does when the tenant lacks a definition.
    pub remedy: &'static str,
}

/// A collection listing the item keys a tenant may write ([`ActionWrite::available`]): the
/// licences a tenant bought (`/subscribedSkus`, by `skuId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Available {
    /// The collection's path (Graph v1.0).
    pub path: &'static str,
    /// The property of its items that holds a usable key.
    pub key: &'static str,
    /// What a person does when a key is missing.
    pub remedy: &'static str,
    /// What the collection's items are called (`licence`), for the reason.
    pub noun: &'static str,
}

impl Access {
    /// A kind Graph lists whole and writes with `PATCH`/`POST` of its own properties.
    pub const PLAIN: Access = Access {
        find: Find::ListAll,
        required_filter: None,
        expand: None,
        identity_ignores_case: false,
        only_where: None,
        only_of_type: None,
        only_of_own_type: false,
        assignments: false,
        assign_parameter: "assignments",
        assigned_one_by_one: false,
        per_item: None,
        replaced_whole: false,
        adds_to: None,
        read_by_id: &[],
        written_by_action: None,
        set_by_action: None,
        path_parameter: None,
        identity_qualifier: None,
    };

    /// An Intune kind whose assignments go through `/assign`.
    pub const ASSIGNED: Access = Access {
        assignments: true,
        ..Access::PLAIN
    };
}

/// How the engine finds an object of a kind in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// The whole collection, matched locally (small collections: policies, settings).
    ListAll,
    /// A filtered query by the identity property (large collections: groups, users), with
    /// `$select` of these properties when given.
    ByIdentity { select: Option<&'static str> },
    /// One object per tenant that Graph keeps in a collection (a tenant may hold one group
    /// lifecycle policy): found by listing, created by POST when absent, patched by id.
    OnlyOneInCollection,
}

/// A navigation property read through `$expand`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expand {
    /// The `$expand` value (`settings`, `policy($expand=rules)`).
    pub query: &'static str,
    /// Graph expands it on the collection's list, so the list read is whole; otherwise each
    /// object is read again on its own with `$expand`.
    pub on_list: bool,
}

/// A property whose items Graph writes one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerItem {
    /// The property (`authenticationMethodConfigurations`, `policy`).
    pub property: &'static str,
    /// The array inside the property's value that holds the items, when the value is not the
    /// array itself (a PIM policy's `rules`).
    pub items: Option<&'static str>,
    /// Where each item is written.
    pub at: ItemPath,
}

/// Where an item written on its own lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemPath {
    /// `{object}/{property}/{item id}`, with the blueprint's fields of the item.
    UnderObject,
    /// `/policies/roleManagementPolicies/{policy id}/rules/{rule id}`, the rule sent whole
    /// (Graph requires its type and its complete setting): the tenant's rule with the
    /// blueprint's fields over it.
    RoleManagementPolicyRule,
}

/// One resource kind.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    /// The catalogue's name for the kind; also the prefix of references (`group:…`).
    pub name: &'static str,
    /// Path of the collection (or of the singleton) under the API's version, which
    /// [`KindSpec::request_path`] puts in front. It may hold the placeholder of the kind's
    /// [`Access::path_parameter`] ([`ORGANIZATION_ID`] for an object under the tenant's
    /// organization), which the engine fills in when it sends the request.
    pub path: &'static str,
    pub identity: IdentityKey,
    /// Properties every object of the kind may have.
    pub properties: &'static [&'static str],
    /// Derived types: when non-empty, `@odata.type` is required and must be one of these, and
    /// each adds its own properties.
    pub derived: &'static [(&'static str, &'static [&'static str])],
    /// Properties allowed only under `create_only` (POST-only, not returned on GET).
    pub create_only: &'static [&'static str],
    /// Arrays whose items are matched by a key property rather than by position, so two
    /// features may each own different items of a singleton's array. The key may be a dotted
    /// path into the item (`settingInstance.settingDefinitionId`); an array inside a keyed
    /// array's items is named with `[]` (`definitionValues[].presentationValues`).
    pub keyed_arrays: &'static [(&'static str, &'static str)],
    /// What the tool may do with the kind's objects: create and set them, only set the ones
    /// the service made, or only check them.
    pub lifecycle: Lifecycle,
    /// The API the kind is reached through.
    pub api: Api,
    /// What an application must be granted to read and to write the kind.
    pub permissions: Permissions,
    /// How the engine reaches the kind's objects beyond its path.
    pub access: Access,
}

impl KindSpec {
    /// The properties allowed for an object of derived type `odata_type` (or the base type).
    pub fn allows(&self, property: &str, odata_type: Option<&str>) -> bool {
        if property == "@odata.type" {
            return !self.derived.is_empty();
        }
        self.properties.contains(&property)
            || odata_type
                .and_then(|t| self.derived.iter().find(|(name, _)| *name == t))
                .is_some_and(|(_, extra)| extra.contains(&property))
    }

    /// Every property name the kind could have, for "did you mean" hints.
    pub fn all_properties(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.properties
            .iter()
            .copied()
            .chain(self.derived.iter().flat_map(|(_, p)| p.iter().copied()))
    }

    /// Objects of this kind are only ever checked, never created or changed.
    pub fn is_checked_only(&self) -> bool {
        self.lifecycle == Lifecycle::CheckedOnly
    }

    /// Objects of this kind are compared by `evaluate` and never written by a deploy.
    pub fn is_evaluated_only(&self) -> bool {
        matches!(self.lifecycle, Lifecycle::EvaluatedOnly(_))
    }

    /// Why the tool never creates an object of this kind (None: it creates what is missing).
    pub fn never_created(&self) -> Option<&'static str> {
        match self.lifecycle {
            Lifecycle::Managed => None,
            Lifecycle::AdoptedOnly(why) => Some(why),
            Lifecycle::CheckedOnly => Some("the tool only checks that it exists"),
            Lifecycle::EvaluatedOnly(why) => Some(why),
        }
    }

    pub fn is_singleton(&self) -> bool {
        self.identity == IdentityKey::Singleton
    }

    /// The path requests use: `path` for Graph v1.0 (the client's default version), under
    /// `/beta` for a beta kind. The one place a kind's version enters a request.
    pub fn request_path(&self) -> String {
        match self.api {
            Api::GraphBeta => format!("/beta{}", self.path),
            _ => self.path.to_string(),
        }
    }

    pub fn is_beta(&self) -> bool {
        self.api == Api::GraphBeta
    }

    /// Graph updates the object only with `PUT` of every writable property (a property left
    /// out is reset): the engine sends the tenant's object with the blueprint's fields over it.
    pub fn is_replaced_whole(&self) -> bool {
        self.access.replaced_whole
    }

    /// The parameter of `POST {id}/assign` that carries an assignable kind's assignments
    /// ([`Access::assign_parameter`]).
    pub fn assign_parameter(&self) -> &'static str {
        self.access.assign_parameter
    }

    /// The kind whose object a resource of this kind, of derived type `odata_type`, adds
    /// settings to: the same object, read and written through another API version (Graph
    /// beta's compliance and profile settings that v1.0 lacks). Such a resource never creates
    /// its object: the base kind's resource of the same identity does, which the catalogue must
    /// hold, and the engine PATCHes it after that one. Only an object of a type the base kind
    /// has too: a type only this kind has (beta's Delivery Optimisation profile) is its own
    /// object, which it creates.
    pub fn adds_to(&self, odata_type: Option<&str>) -> Option<&'static KindSpec> {
        let base = self.access.adds_to?;
        let base_has_type = base.derived.is_empty()
            || odata_type.is_some_and(|t| base.derived.iter().any(|(name, _)| *name == t));
        base_has_type.then_some(base)
    }

    /// Whether Graph returns some of the kind's properties only when one object is read by id
    /// ([`Access::read_by_id`]).
    pub fn reads_by_id(&self) -> bool {
        !self.access.read_by_id.is_empty()
    }

    /// The property written through an action of the object ([`Access::written_by_action`]).
    pub fn written_by_action(&self) -> Option<ActionWrite> {
        self.access.written_by_action
    }

    /// The collection written through an action that replaces it ([`Access::set_by_action`]).
    pub fn set_by_action(&self) -> Option<SetByAction> {
        self.access.set_by_action.copied()
    }

    /// The kind whose object's id the kind's path names ([`ParameterSource::Parent`]).
    pub fn parent(&self) -> Option<&'static KindSpec> {
        self.access.path_parameter?.parent()
    }

    /// Whether `assignments` goes through `/assign` ([`Access::assignments`]).
    pub fn has_assignments(&self) -> bool {
        self.access.assignments
    }

    /// Whether each assignment is created and removed on its own
    /// ([`Access::assigned_one_by_one`]) instead of through `/assign`.
    pub fn is_assigned_one_by_one(&self) -> bool {
        self.access.assignments && self.access.assigned_one_by_one
    }
}

const CA_POLICY: KindSpec = KindSpec {
    name: "conditionalAccessPolicy",
    path: "/identity/conditionalAccess/policies",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "state",
        "conditions",
        "grantControls",
        "sessionControls",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Policy.Read.All")],
        write: &[
            Grant::Graph("Policy.Read.All"),
            Grant::Graph("Policy.ReadWrite.ConditionalAccess"),
            Grant::Graph("Application.Read.All"),
        ],
    },
    access: Access::PLAIN,
};

const NAMED_LOCATION: KindSpec = KindSpec {
    name: "namedLocation",
    path: "/identity/conditionalAccess/namedLocations",
    identity: IdentityKey::Property("displayName"),
    properties: &["displayName"],
    derived: &[
        (
            "#microsoft.graph.ipNamedLocation",
            &["ipRanges", "isTrusted"],
        ),
        (
            "#microsoft.graph.countryNamedLocation",
            &[
                "countriesAndRegions",
                "includeUnknownCountriesAndRegions",
                "countryLookupMethod",
            ],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Policy.Read.All")],
        write: &[
            Grant::Graph("Policy.Read.All"),
            Grant::Graph("Policy.ReadWrite.ConditionalAccess"),
        ],
    },
    access: Access::PLAIN,
};

pub(crate) const GROUP: KindSpec = KindSpec {
    name: "group",
    path: "/groups",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "mailEnabled",
        "mailNickname",
        "securityEnabled",
        "groupTypes",
        "isAssignableToRole",
        "visibility",
        "membershipRule",
        "membershipRuleProcessingState",
    ],
    derived: &[],
    create_only: &["owners@odata.bind", "members@odata.bind"],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Group.Read.All")],
        write: &[Grant::Graph("Group.ReadWrite.All")],
    },
    access: Access {
        find: Find::ByIdentity { select: None },
        ..Access::PLAIN
    },
};

const GROUP_SETTING: KindSpec = KindSpec {
    name: "groupSetting",
    path: "/groupSettings",
    // A tenant holds at most one setting object per template, so the template id is the key.
    identity: IdentityKey::Property("templateId"),
    properties: &["templateId", "values"],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("values", "name")],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("GroupSettings.Read.All")],
        write: &[Grant::Graph("GroupSettings.ReadWrite.All")],
    },
    access: Access::PLAIN,
};

const GROUP_LIFECYCLE_POLICY: KindSpec = KindSpec {
    name: "groupLifecyclePolicy",
    path: "/groupLifecyclePolicies",
    // Graph exposes a collection, but a tenant may hold only one policy.
    identity: IdentityKey::Singleton,
    properties: &[
        "groupLifetimeInDays",
        "managedGroupTypes",
        "alternateNotificationEmails",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Directory.Read.All")],
        write: &[Grant::Graph("Directory.ReadWrite.All")],
    },
    access: Access {
        find: Find::OnlyOneInCollection,
        ..Access::PLAIN
    },
};

const AUTHORIZATION_POLICY: KindSpec = KindSpec {
    name: "authorizationPolicy",
    path: "/policies/authorizationPolicy",
    identity: IdentityKey::Singleton,
    properties: &[
        "allowInvitesFrom",
        "allowedToSignUpEmailBasedSubscriptions",
        "allowedToUseSSPR",
        "allowEmailVerifiedUsersToJoinOrganization",
        "allowUserConsentForRiskyApps",
        "blockMsolPowerShell",
        "guestUserRoleId",
        "defaultUserRolePermissions",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Policy.Read.All")],
        // authorizationpolicy-update: Policy.ReadWrite.Authorization, which reads it too.
        write: &[Grant::Graph("Policy.ReadWrite.Authorization")],
    },
    access: Access::PLAIN,
};

const AUTHENTICATION_METHODS_POLICY: KindSpec = KindSpec {
    name: "authenticationMethodsPolicy",
    path: "/policies/authenticationMethodsPolicy",
    identity: IdentityKey::Singleton,
    properties: &[
        "registrationEnforcement",
        "authenticationMethodConfigurations",
        "policyMigrationState",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("authenticationMethodConfigurations", "id")],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Policy.Read.AuthenticationMethod")],
        write: &[Grant::Graph("Policy.ReadWrite.AuthenticationMethod")],
    },
    access: Access {
        per_item: Some(PerItem {
            property: "authenticationMethodConfigurations",
            items: None,
            at: ItemPath::UnderObject,
        }),
        ..Access::PLAIN
    },
};

const SHAREPOINT_SETTINGS: KindSpec = KindSpec {
    name: "sharepointSettings",
    path: "/admin/sharepoint/settings",
    identity: IdentityKey::Singleton,
    properties: &[
        "allowedDomainGuidsForSyncApp",
        "availableManagedPathsForSiteCreation",
        "deletedUserPersonalSiteRetentionPeriodInDays",
        "excludedFileExtensionsForSyncApp",
        "idleSessionSignOut",
        "imageTaggingOption",
        "isCommentingOnSitePagesEnabled",
        "isFileActivityNotificationEnabled",
        "isLegacyAuthProtocolsEnabled",
        "isLoopEnabled",
        "isMacSyncAppEnabled",
        "isRequireAcceptingUserToMatchInvitedUserEnabled",
        "isResharingByExternalUsersEnabled",
        "isSharePointMobileNotificationEnabled",
        "isSharePointNewsfeedEnabled",
        "isSiteCreationEnabled",
        "isSiteCreationUIEnabled",
        "isSitePagesCreationEnabled",
        "isSitesStorageLimitAutomatic",
        "isSyncButtonHiddenOnPersonalSite",
        "isUnmanagedSyncAppForTenantRestricted",
        "personalSiteDefaultStorageLimitInMB",
        "sharingAllowedDomainList",
        "sharingBlockedDomainList",
        "sharingCapability",
        "sharingDomainRestrictionMode",
        "siteCreationDefaultManagedPath",
        "siteCreationDefaultStorageLimitInMB",
        "tenantDefaultTimezone",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("SharePointTenantSettings.Read.All")],
        write: &[Grant::Graph("SharePointTenantSettings.ReadWrite.All")],
    },
    access: Access::PLAIN,
};

const DEVICE_COMPLIANCE_POLICY: KindSpec = KindSpec {
    name: "deviceCompliancePolicy",
    path: "/deviceManagement/deviceCompliancePolicies",
    identity: IdentityKey::Property("displayName"),
    // `assignments` is a navigation property: the engine sends it with `POST {id}/assign`.
    properties: &[
        "displayName",
        "description",
        "roleScopeTagIds",
        "assignments",
    ],
    derived: &[
        (
            "#microsoft.graph.windows10CompliancePolicy",
            &[
                "passwordRequired",
                "passwordBlockSimple",
                "passwordRequiredToUnlockFromIdle",
                "passwordMinutesOfInactivityBeforeLock",
                "passwordExpirationDays",
                "passwordMinimumLength",
                "passwordMinimumCharacterSetCount",
                "passwordRequiredType",
                "passwordPreviousPasswordBlockCount",
                "requireHealthyDeviceReport",
                "osMinimumVersion",
                "osMaximumVersion",
                "mobileOsMinimumVersion",
                "mobileOsMaximumVersion",
                "earlyLaunchAntiMalwareDriverEnabled",
                "bitLockerEnabled",
                "secureBootEnabled",
                "codeIntegrityEnabled",
                "storageRequireEncryption",
            ],
        ),
        (
            "#microsoft.graph.iosCompliancePolicy",
            &[
                "passcodeBlockSimple",
                "passcodeExpirationDays",
                "passcodeMinimumLength",
                "passcodeMinutesOfInactivityBeforeLock",
                "passcodePreviousPasscodeBlockCount",
                "passcodeMinimumCharacterSetCount",
                "passcodeRequiredType",
                "passcodeRequired",
                "osMinimumVersion",
                "osMaximumVersion",
                "securityBlockJailbrokenDevices",
                "deviceThreatProtectionEnabled",
                "deviceThreatProtectionRequiredSecurityLevel",
                "managedEmailProfileRequired",
            ],
        ),
    ],
    create_only: &["scheduledActionsForRule"],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access::ASSIGNED,
};

const AGREEMENT: KindSpec = KindSpec {
    name: "agreement",
    path: "/identityGovernance/termsOfUse/agreements",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "isViewingBeforeAcceptanceRequired",
        "isPerDeviceAcceptanceRequired",
        "termsExpiration",
        "userReacceptRequiredFrequency",
    ],
    derived: &[],
    // The agreement's PDF: sent once, and Graph does not return file data on GET.
    create_only: &["files"],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("Agreement.Read.All")],
        write: &[Grant::Graph("Agreement.ReadWrite.All")],
    },
    access: Access::PLAIN,
};

const USER: KindSpec = KindSpec {
    name: "user",
    path: "/users",
    identity: IdentityKey::Property("userPrincipalName"),
    properties: &[
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "userType",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::CheckedOnly,
    api: Api::GraphV1,
    permissions: Permissions {
        read: &[Grant::Graph("User.Read.All")],
        write: &[Grant::Graph("User.Read.All")],
    },
    access: Access {
        find: Find::ByIdentity {
            select: Some("id,displayName,userPrincipalName,accountEnabled"),
        },
        identity_ignores_case: true,
        ..Access::PLAIN
    },
};

/// A kind with one object per tenant (or per path) and no derived types: most settings objects.
const fn singleton(
    name: &'static str,
    path: &'static str,
    properties: &'static [&'static str],
    api: Api,
    permissions: Permissions,
) -> KindSpec {
    KindSpec {
        name,
        path,
        identity: IdentityKey::Singleton,
        properties,
        derived: &[],
        create_only: &[],
        keyed_arrays: &[],
        lifecycle: Lifecycle::Managed,
        api,
        permissions,
        access: Access::PLAIN,
    }
}

/// Self-service sign-up for guests through user flows.
const AUTHENTICATION_FLOWS_POLICY: KindSpec = singleton(
    "authenticationFlowsPolicy",
    "/policies/authenticationFlowsPolicy",
    &["selfServiceSignUp"],
    Api::GraphV1,
    Permissions {
        read: &[Grant::Graph("Policy.Read.All")],
        write: &[Grant::Graph("Policy.ReadWrite.AuthenticationFlows")],
    },
);

/// The authentication methods policy's beta-only settings: reporting suspicious activity
/// (the successor of the MFA fraud alert). The same object as `authenticationMethodsPolicy`,
/// read and written under `/beta`, where Graph has these properties.
const AUTHENTICATION_METHODS_POLICY_BETA: KindSpec = singleton(
    "authenticationMethodsPolicyBeta",
    "/policies/authenticationMethodsPolicy",
    &[
        "reportSuspiciousActivitySettings",
        "systemCredentialPreferences",
    ],
    Api::GraphBeta,
    Permissions {
        read: &[Grant::Graph("Policy.Read.AuthenticationMethod")],
        write: &[Grant::Graph("Policy.ReadWrite.AuthenticationMethod")],
    },
);

/// Microsoft 365 usage reports: whether they conceal user, group and site names.
const ADMIN_REPORT_SETTINGS: KindSpec = singleton(
    "adminReportSettings",
    "/admin/reportSettings",
    &["displayConcealedNames"],
    Api::GraphV1,
    Permissions {
        read: &[Grant::Graph("ReportSettings.Read.All")],
        write: &[Grant::Graph("ReportSettings.ReadWrite.All")],
    },
);

/// Microsoft 365 Apps installation options: update channel and what users may install.
const M365_APPS_INSTALLATION_OPTIONS: KindSpec = singleton(
    "m365AppsInstallationOptions",
    "/admin/microsoft365Apps/installationOptions",
    &["updateChannel", "appsForWindows", "appsForMac"],
    Api::GraphV1,
    Permissions {
        read: &[Grant::Graph("OrgSettings-Microsoft365Install.Read.All")],
        write: &[Grant::Graph(
            "OrgSettings-Microsoft365Install.ReadWrite.All",
        )],
    },
);

/// Microsoft Forms organisation settings (beta).
const ADMIN_FORMS: KindSpec = singleton(
    "adminForms",
    "/admin/forms",
    &["settings"],
    Api::GraphBeta,
    Permissions {
        read: &[Grant::Graph("OrgSettings-Forms.Read.All")],
        write: &[Grant::Graph("OrgSettings-Forms.ReadWrite.All")],
    },
);

/// Microsoft To Do organisation settings (beta).
const ADMIN_TODO: KindSpec = singleton(
    "adminTodo",
    "/admin/todo",
    &["settings"],
    Api::GraphBeta,
    Permissions {
        read: &[Grant::Graph("OrgSettings-Todo.Read.All")],
        write: &[Grant::Graph("OrgSettings-Todo.ReadWrite.All")],
    },
);

/// "User owned apps and services": the Office Store and trials users may start (beta).
const ADMIN_APPS_AND_SERVICES: KindSpec = singleton(
    "adminAppsAndServices",
    "/admin/appsAndServices",
    &["settings"],
    Api::GraphBeta,
    Permissions {
        read: &[Grant::Graph("OrgSettings-AppsAndServices.Read.All")],
        write: &[Grant::Graph("OrgSettings-AppsAndServices.ReadWrite.All")],
    },
);

/// Intune's tenant object: the Company Portal branding (`intuneBrand`) and the tenant-wide
/// compliance settings (`settings`).
const DEVICE_MANAGEMENT: KindSpec = singleton(
    "deviceManagement",
    "/deviceManagement",
    // `settings`: the tenant-wide compliance settings (secureByDefault, check-in threshold).
    &["intuneBrand", "settings"],
    Api::GraphV1,
    Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
);

/// Every kind a catalogue resource may have.
pub const KINDS: &[KindSpec] = &[
    CA_POLICY,
    NAMED_LOCATION,
    GROUP,
    GROUP_SETTING,
    GROUP_LIFECYCLE_POLICY,
    AUTHORIZATION_POLICY,
    AUTHENTICATION_METHODS_POLICY,
    SHAREPOINT_SETTINGS,
    DEVICE_COMPLIANCE_POLICY,
    AGREEMENT,
    USER,
    AUTHENTICATION_FLOWS_POLICY,
    AUTHENTICATION_METHODS_POLICY_BETA,
    ADMIN_REPORT_SETTINGS,
    M365_APPS_INSTALLATION_OPTIONS,
    ADMIN_FORMS,
    ADMIN_TODO,
    ADMIN_APPS_AND_SERVICES,
    DEVICE_MANAGEMENT,
    intune::DEVICE_CONFIGURATION,
    identity::ADMIN_CONSENT_REQUEST_POLICY,
    intune::CONFIGURATION_POLICY,
    identity::ROLE_MANAGEMENT_POLICY_ASSIGNMENT,
    identity::DEVICE_REGISTRATION_POLICY,
    identity::ORGANIZATION,
    identity::DOMAIN,
    intune::DEVICE_COMPLIANCE_POLICY_BETA,
    intune::DEVICE_MANAGEMENT_BETA,
    intune::DEVICE_ENROLLMENT_DEFAULT,
    intune::MOBILE_APP,
    intune::DEVICE_ENROLLMENT_DEFAULT_BETA,
    intune::IOS_VPP_APP,
    intune::DEVICE_MANAGEMENT_SCRIPT,
    intune::MOBILE_APP_BETA,
    intune::WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILE,
    intune::DEVICE_CONFIGURATION_BETA,
    identity::GROUP_LICENSES,
    intune::GROUP_POLICY_CONFIGURATION,
    intune::GROUP_POLICY_CONFIGURATION_VALUES,
    intune::IOS_MANAGED_APP_PROTECTION,
    intune::IOS_MANAGED_APP_PROTECTION_BETA,
    intune::APPLE_USER_INITIATED_ENROLLMENT_PROFILE,
    intune::DEVICE_ENROLLMENT_PLATFORM_RESTRICTION,
    intune::DEP_ONBOARDING_SETTING,
    intune::DEP_ENROLLMENT_PROFILE,
    identity::B2B_MANAGEMENT_POLICY,
    identity::ORGANIZATION_FACTS,
    identity::ORGANIZATIONAL_BRANDING,
    // Exchange Online and Defender for Office 365 (crate::exchange_kinds).
    crate::exchange_kinds::REMOTE_DOMAIN,
    crate::exchange_kinds::ACCEPTED_DOMAIN,
    crate::exchange_kinds::HOSTED_CONNECTION_FILTER_POLICY,
    crate::exchange_kinds::HOSTED_CONTENT_FILTER_POLICY,
    crate::exchange_kinds::HOSTED_OUTBOUND_SPAM_FILTER_POLICY,
    crate::exchange_kinds::MALWARE_FILTER_POLICY,
    crate::exchange_kinds::ATP_POLICY_FOR_O365,
    crate::exchange_kinds::SAFE_LINKS_POLICY,
    crate::exchange_kinds::SAFE_LINKS_RULE,
    crate::exchange_kinds::SAFE_ATTACHMENT_POLICY,
    crate::exchange_kinds::SAFE_ATTACHMENT_RULE,
    crate::exchange_kinds::ANTI_PHISH_POLICY,
    crate::exchange_kinds::ANTI_PHISH_RULE,
    crate::exchange_kinds::DKIM_SIGNING_CONFIG,
    crate::exchange_kinds::OWA_MAILBOX_POLICY,
    crate::exchange_kinds::ORGANIZATION_CONFIG,
    crate::exchange_kinds::TRANSPORT_CONFIG,
    crate::exchange_kinds::AUTHENTICATION_POLICY,
    crate::exchange_kinds::CAS_MAILBOX_PLAN,
    crate::exchange_kinds::TRANSPORT_RULE,
    crate::exchange_kinds::RETENTION_POLICY_TAG,
    crate::exchange_kinds::RETENTION_POLICY,
    crate::exchange_kinds::INBOUND_CONNECTOR,
    crate::exchange_kinds::OUTBOUND_CONNECTOR,
    crate::exchange_kinds::ADDRESS_LIST,
    crate::exchange_kinds::GLOBAL_ADDRESS_LIST,
    crate::exchange_kinds::ORGANIZATION_ADD_INS,
    crate::exchange_kinds::JOURNAL_RULES,
    crate::exchange_kinds::ADMIN_AUDIT_LOG_CONFIG,
    crate::exchange_kinds::UNIFIED_AUDIT_LOG_RETENTION_POLICY,
    crate::exchange_kinds::RETENTION_COMPLIANCE_POLICY,
    crate::exchange_kinds::RETENTION_COMPLIANCE_RULE,
    crate::exchange_kinds::MAILBOX_PLAN,
    crate::exchange_kinds::LABEL,
    crate::exchange_kinds::LABEL_POLICY,
    crate::exchange_kinds::AUTO_SENSITIVITY_LABEL_POLICY,
    crate::exchange_kinds::AUTO_SENSITIVITY_LABEL_RULE,
    crate::exchange_kinds::MAILBOXES,
    crate::exchange_kinds::MAILBOX_USERS,
    crate::exchange_kinds::MAILBOX_REGIONAL_CONFIGURATIONS,
    // The agency's public DNS (kinds::dns).
    dns::DNS_RECORD,
    crate::exchange_kinds::UNIFIED_GROUP,
];

/// Kinds a reference may name that no catalogue resource defines: the engine looks them up in
/// the tenant. `directoryRoleTemplate:*` stands for every directory role (the blueprint's
/// "Select all directory roles"), spliced into the list that holds it.
pub const TENANT_REFERENCE_KINDS: &[&str] = &["directoryRoleTemplate"];

/// What the engine needs to read a tenant reference kind: listing directory role templates
/// takes RoleManagement.Read.Directory (directoryroletemplate-list, least privileged).
pub fn tenant_reference_grants(kind: &str) -> &'static [Grant] {
    match kind {
        "directoryRoleTemplate" => &[Grant::Graph("RoleManagement.Read.Directory")],
        _ => &[],
    }
}

/// Microsoft Entra built-in roles an app may need, with their template ids, which are the
/// same in every tenant (Microsoft's "Microsoft Entra built-in roles" reference). A token's
/// `wids` lists template ids.
pub const DIRECTORY_ROLES: &[(&str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
    ),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
    ),
    ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
    (
        "Compliance Administrator",
        "17315797-102d-40b4-93e0-432062caca18",
    ),
    ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
    // Intune's device platform restrictions are written only by Intune Administrator or Global
    // Administrator (create-platform-restrictions: "you must be signed in as Intune
    // Administrator"), an app's service principal as much as a person.
    (
        "Intune Administrator",
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
    ),
];

/// A built-in role's template id from its name.
pub fn directory_role_id(name: &str) -> Option<&'static str> {
    DIRECTORY_ROLES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, id)| *id)
}

pub fn kind(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
