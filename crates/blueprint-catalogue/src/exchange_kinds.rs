//! The Exchange Online and Defender for Office 365 kinds, reached through the Exchange admin
//! API (`Api::ExchangeAdmin`): one kind per cmdlet family (`RemoteDomain`: `Get-`, `New-`,
//! `Set-`, `Remove-RemoteDomain`). A kind's `path` is `/exchange/{Noun}`: the engine routes it
//! to the Exchange client by its API, and the noun names the cmdlets.
//!
//! Desired fields are cmdlet parameters, which `Get-` returns as properties of the same name.
//! The property lists are the `Set-` and `New-` parameters Microsoft's cmdlet reference marks
//! applicable to Exchange Online (MicrosoftDocs/office-docs-powershell,
//! `exchange/exchange-ps/ExchangePowerShell/{Set,New}-{Noun}.md`), so `catalogue validate`
//! refuses a parameter Exchange would refuse. [`new_parameters`] lists what each `New-` takes;
//! the rest of a new object's fields are set by `Set-` after it.
//!
//! Permissions: app-only Exchange access needs the `Exchange.ManageAsApp` application
//! permission of Office 365 Exchange Online and a directory role: Exchange Administrator to
//! change these settings (Microsoft: Security Administrator "doesn't have the necessary
//! permissions" for anti-spam, anti-malware and anti-phishing), Global Reader to read them
//! (office-docs `app-only-auth-powershell-v2.md`; `real-tenant-and-exchange.md` §2a).

use crate::kinds::{Access, Api, Grant, IdentityKey, KindSpec, Lifecycle, Permissions};

/// The Exchange Online management role every `*-AddressList` cmdlet is in, `Get-` included,
/// and that no role group holds by default (Microsoft's Get-/Set-/New-AddressList reference):
/// the app holds it through a role group `connect` makes ([`Grant::ExchangeRole`]).
pub const ADDRESS_LISTS_ROLE: &str = "Address Lists";

/// The role group `connect` makes to hold an Exchange management role for blueprint's apps,
/// and nothing else ("blueprint Address Lists"): adding the role to Organization Management
/// instead would give it to every Exchange administrator.
pub fn role_group_for(role: &str) -> String {
    format!("blueprint {role}")
}

const EXCHANGE_PERMISSIONS: Permissions = Permissions {
    read: &[
        Grant::Exchange("Exchange.ManageAsApp"),
        Grant::DirectoryRole("Global Reader"),
    ],
    write: &[
        Grant::Exchange("Exchange.ManageAsApp"),
        Grant::DirectoryRole("Exchange Administrator"),
    ],
};

const fn exchange_kind(
    name: &'static str,
    path: &'static str,
    identity: IdentityKey,
    properties: &'static [&'static str],
) -> KindSpec {
    KindSpec {
        name,
        path,
        identity,
        properties,
        derived: &[],
        create_only: &[],
        keyed_arrays: &[],
        lifecycle: Lifecycle::Managed,
        api: Api::ExchangeAdmin,
        permissions: EXCHANGE_PERMISSIONS,
        access: Access::PLAIN,
    }
}

/// A kind Exchange Online makes objects of itself (no `New-` cmdlet there): the tool finds
/// them by identity and sets them, never creates or removes them, for the reason `why`.
const fn adopted_only(mut kind: KindSpec, why: &'static str) -> KindSpec {
    kind.lifecycle = Lifecycle::AdoptedOnly(why);
    kind
}

/// Remote domains: how mail to other organisations is formatted, and whether automatic replies and forwarding reach them.
pub const REMOTE_DOMAIN: KindSpec = exchange_kind(
    "remoteDomain",
    "/exchange/RemoteDomain",
    IdentityKey::Property("Name"),
    &[
        "AllowedOOFType",
        "AutoForwardEnabled",
        "AutoReplyEnabled",
        "ByteEncoderTypeFor7BitCharsets",
        "CharacterSet",
        "ContentType",
        "DeliveryReportEnabled",
        "DisplaySenderName",
        "IsInternal",
        "LineWrapSize",
        "MeetingForwardNotificationEnabled",
        "Name",
        "NDRDiagnosticInfoEnabled",
        "NDREnabled",
        "NonMimeCharacterSet",
        "PreferredInternetCodePageForShiftJis",
        "RequiredCharsetCoverage",
        "TargetDeliveryDomain",
        "TNEFEnabled",
        "TrustedMailInboundEnabled",
        "TrustedMailOutboundEnabled",
        "UseSimpleDisplayName",
        "DomainName",
    ],
);

/// Accepted domains: the domains the organisation receives mail for (one per verified domain; adopted, never created).
pub const ACCEPTED_DOMAIN: KindSpec = adopted_only(
    exchange_kind(
        "acceptedDomain",
        "/exchange/AcceptedDomain",
        IdentityKey::Property("Name"),
        &[
            "Name",
            "CanHaveCloudCache",
            "DomainType",
            "EnableNego2Authentication",
            "MailFlowRegion",
            "MatchSubDomains",
            "OutboundOnly",
            "SendingFromDomainDisabled",
            "SendingToDomainDisabled",
        ],
    ),
    "Exchange Online makes one accepted domain per domain verified in Microsoft Entra ID, and has no New-AcceptedDomain: add and verify the domain in the Microsoft 365 admin center (Settings > Domains)",
);

/// The connection filter policy: IP allow and block lists, the safe list (only the Default exists).
pub const HOSTED_CONNECTION_FILTER_POLICY: KindSpec = adopted_only(
    exchange_kind(
        "hostedConnectionFilterPolicy",
        "/exchange/HostedConnectionFilterPolicy",
        IdentityKey::Property("Name"),
        &[
            "Name",
            "AdminDisplayName",
            "ConfigurationXmlRaw",
            "EnableSafeList",
            "IPAllowList",
            "IPBlockList",
            "MakeDefault",
        ],
    ),
    "Exchange Online keeps one connection filter policy per organisation, the Default, and makes it itself",
);

/// Anti-spam inbound policies.
pub const HOSTED_CONTENT_FILTER_POLICY: KindSpec = exchange_kind(
    "hostedContentFilterPolicy",
    "/exchange/HostedContentFilterPolicy",
    IdentityKey::Property("Name"),
    &[
        "AddXHeaderValue",
        "AdminDisplayName",
        "AllowedSenderDomains",
        "AllowedSenders",
        "BlockedSenderDomains",
        "BlockedSenders",
        "BulkMovesEnabled",
        "BulkQuarantineTag",
        "BulkSpamAction",
        "BulkThreshold",
        "DownloadLink",
        "EnableEndUserSpamNotifications",
        "EnableLanguageBlockList",
        "EnableRegionBlockList",
        "EndUserSpamNotificationCustomFromAddress",
        "EndUserSpamNotificationCustomFromName",
        "EndUserSpamNotificationCustomSubject",
        "EndUserSpamNotificationFrequency",
        "EndUserSpamNotificationLanguage",
        "EndUserSpamNotificationLimit",
        "HighConfidencePhishAction",
        "HighConfidencePhishQuarantineTag",
        "HighConfidenceSpamAction",
        "HighConfidenceSpamQuarantineTag",
        "IncreaseScoreWithBizOrInfoUrls",
        "IncreaseScoreWithImageLinks",
        "IncreaseScoreWithNumericIps",
        "IncreaseScoreWithRedirectToOtherPort",
        "InlineSafetyTipsEnabled",
        "IntraOrgFilterState",
        "LanguageBlockList",
        "MakeDefault",
        "MarkAsSpamBulkMail",
        "MarkAsSpamEmbedTagsInHtml",
        "MarkAsSpamEmptyMessages",
        "MarkAsSpamFormTagsInHtml",
        "MarkAsSpamFramesInHtml",
        "MarkAsSpamFromAddressAuthFail",
        "MarkAsSpamJavaScriptInHtml",
        "MarkAsSpamNdrBackscatter",
        "MarkAsSpamObjectTagsInHtml",
        "MarkAsSpamSensitiveWordList",
        "MarkAsSpamSpfRecordHardFail",
        "MarkAsSpamWebBugsInHtml",
        "ModifySubjectValue",
        "PhishQuarantineTag",
        "PhishSpamAction",
        "PhishZapEnabled",
        "QuarantineRetentionPeriod",
        "RedirectToRecipients",
        "RegionBlockList",
        "SpamAction",
        "SpamQuarantineTag",
        "SpamZapEnabled",
        "TestModeAction",
        "TestModeBccToRecipients",
        "Name",
        "RecommendedPolicyType",
    ],
);

/// Anti-spam outbound policies: sending limits and automatic forwarding.
pub const HOSTED_OUTBOUND_SPAM_FILTER_POLICY: KindSpec = exchange_kind(
    "hostedOutboundSpamFilterPolicy",
    "/exchange/HostedOutboundSpamFilterPolicy",
    IdentityKey::Property("Name"),
    &[
        "ActionWhenThresholdReached",
        "AdminDisplayName",
        "AutoForwardingMode",
        "BccSuspiciousOutboundAdditionalRecipients",
        "BccSuspiciousOutboundMail",
        "NotifyOutboundSpam",
        "NotifyOutboundSpamRecipients",
        "RecipientLimitExternalPerHour",
        "RecipientLimitInternalPerHour",
        "RecipientLimitPerDay",
        "Name",
        "RecommendedPolicyType",
    ],
);

/// Anti-malware policies: the common attachments filter, zero-hour purge, notifications.
pub const MALWARE_FILTER_POLICY: KindSpec = exchange_kind(
    "malwareFilterPolicy",
    "/exchange/MalwareFilterPolicy",
    IdentityKey::Property("Name"),
    &[
        "AdminDisplayName",
        "CustomExternalBody",
        "CustomExternalSubject",
        "CustomFromAddress",
        "CustomFromName",
        "CustomInternalBody",
        "CustomInternalSubject",
        "CustomNotifications",
        "EnableExternalSenderAdminNotifications",
        "EnableFileFilter",
        "EnableInternalSenderAdminNotifications",
        "ExternalSenderAdminAddress",
        "FileTypeAction",
        "FileTypes",
        "InternalSenderAdminAddress",
        "IsPolicyOverrideApplied",
        "MakeDefault",
        "QuarantineTag",
        "ZapEnabled",
        "Name",
        "RecommendedPolicyType",
    ],
);

/// Defender for Office 365's global settings: Safe Attachments for SharePoint, OneDrive and Teams, Safe Documents.
pub const ATP_POLICY_FOR_O365: KindSpec = exchange_kind(
    "atpPolicyForO365",
    "/exchange/AtpPolicyForO365",
    IdentityKey::Singleton,
    &[
        "AllowSafeDocsOpen",
        "EnableATPForSPOTeamsODB",
        "EnableSafeDocs",
    ],
);

/// Safe Links policies (Defender for Office 365).
pub const SAFE_LINKS_POLICY: KindSpec = exchange_kind(
    "safeLinksPolicy",
    "/exchange/SafeLinksPolicy",
    IdentityKey::Property("Name"),
    &[
        "AdminDisplayName",
        "AllowClickThrough",
        "CustomNotificationText",
        "DeliverMessageAfterScan",
        "DisableUrlRewrite",
        "DoNotRewriteUrls",
        "EnableForInternalSenders",
        "EnableOrganizationBranding",
        "EnableSafeLinksForEmail",
        "EnableSafeLinksForOffice",
        "EnableSafeLinksForTeams",
        "LocalizedNotificationTextList",
        "ScanUrls",
        "TrackClicks",
        "UseTranslatedNotificationText",
        "Name",
        "MakeBuiltInProtection",
        "RecommendedPolicyType",
    ],
);

/// Safe Links rules: who a Safe Links policy applies to.
pub const SAFE_LINKS_RULE: KindSpec = exchange_kind(
    "safeLinksRule",
    "/exchange/SafeLinksRule",
    IdentityKey::Property("Name"),
    &[
        "Comments",
        "ExceptIfRecipientDomainIs",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "Name",
        "Priority",
        "RecipientDomainIs",
        "SafeLinksPolicy",
        "SentTo",
        "SentToMemberOf",
        "State",
    ],
);

/// Safe Attachments policies (Defender for Office 365).
pub const SAFE_ATTACHMENT_POLICY: KindSpec = exchange_kind(
    "safeAttachmentPolicy",
    "/exchange/SafeAttachmentPolicy",
    IdentityKey::Property("Name"),
    &[
        "Action",
        "AdminDisplayName",
        "Enable",
        "QuarantineTag",
        "Redirect",
        "RedirectAddress",
        "Name",
        "MakeBuiltInProtection",
        "RecommendedPolicyType",
    ],
);

/// Safe Attachments rules: who a Safe Attachments policy applies to.
pub const SAFE_ATTACHMENT_RULE: KindSpec = exchange_kind(
    "safeAttachmentRule",
    "/exchange/SafeAttachmentRule",
    IdentityKey::Property("Name"),
    &[
        "Comments",
        "ExceptIfRecipientDomainIs",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "Name",
        "Priority",
        "RecipientDomainIs",
        "SafeAttachmentPolicy",
        "SentTo",
        "SentToMemberOf",
        "State",
    ],
);

/// Anti-phishing policies (impersonation, spoof and mailbox intelligence).
pub const ANTI_PHISH_POLICY: KindSpec = exchange_kind(
    "antiPhishPolicy",
    "/exchange/AntiPhishPolicy",
    IdentityKey::Property("Name"),
    &[
        "AdminDisplayName",
        "AuthenticationFailAction",
        "DmarcQuarantineAction",
        "DmarcRejectAction",
        "Enabled",
        "EnableFirstContactSafetyTips",
        "EnableMailboxIntelligence",
        "EnableMailboxIntelligenceProtection",
        "EnableOrganizationDomainsProtection",
        "EnableSimilarDomainsSafetyTips",
        "EnableSimilarUsersSafetyTips",
        "EnableSpoofIntelligence",
        "EnableTargetedDomainsProtection",
        "EnableTargetedUserProtection",
        "EnableUnauthenticatedSender",
        "EnableUnusualCharactersSafetyTips",
        "EnableViaTag",
        "ExcludedDomains",
        "ExcludedSenders",
        "HonorDmarcPolicy",
        "ImpersonationProtectionState",
        "MailboxIntelligenceProtectionAction",
        "MailboxIntelligenceProtectionActionRecipients",
        "MailboxIntelligenceQuarantineTag",
        "MakeDefault",
        "PhishThresholdLevel",
        "PolicyTag",
        "SpoofQuarantineTag",
        "TargetedDomainActionRecipients",
        "TargetedDomainProtectionAction",
        "TargetedDomainQuarantineTag",
        "TargetedDomainsToProtect",
        "TargetedUserActionRecipients",
        "TargetedUserProtectionAction",
        "TargetedUserQuarantineTag",
        "TargetedUsersToProtect",
        "Name",
        "RecommendedPolicyType",
        "SimilarUsersSafetyTipsCustomText",
        "UnusualCharactersSafetyTipsCustomText",
    ],
);

/// Anti-phishing rules: who a custom anti-phishing policy applies to.
pub const ANTI_PHISH_RULE: KindSpec = exchange_kind(
    "antiPhishRule",
    "/exchange/AntiPhishRule",
    IdentityKey::Property("Name"),
    &[
        "AntiPhishPolicy",
        "Comments",
        "ExceptIfRecipientDomainIs",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "Name",
        "Priority",
        "RecipientDomainIs",
        "SentTo",
        "SentToMemberOf",
        "State",
    ],
);

/// DKIM signing per domain.
pub const DKIM_SIGNING_CONFIG: KindSpec = exchange_kind(
    "dkimSigningConfig",
    "/exchange/DkimSigningConfig",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "AdminDisplayName",
        "BodyCanonicalization",
        "Enabled",
        "HeaderCanonicalization",
        "PublishTxtRecords",
        "DomainName",
        "KeySize",
    ],
);

/// Outlook on the web mailbox policies.
pub const OWA_MAILBOX_POLICY: KindSpec = exchange_kind(
    "owaMailboxPolicy",
    "/exchange/OwaMailboxPolicy",
    IdentityKey::Property("Name"),
    &[
        "AccountTransferEnabled",
        "ActionForUnknownFileAndMIMETypes",
        "AdditionalStorageProvidersAvailable",
        "ActiveSyncIntegrationEnabled",
        "AdditionalAccountsEnabled",
        "AllAddressListsEnabled",
        "AllowCopyContactsToDeviceAddressBook",
        "AllowedFileTypes",
        "AllowedMimeTypes",
        "AllowedOrganizationAccountDomains",
        "AllowOfflineOn",
        "AttachmentsOfflineEnabledWin",
        "BizBarEnabled",
        "BlockedFileTypes",
        "BlockedMimeTypes",
        "BookingsMailboxCreationEnabled",
        "BookingsMailboxDomain",
        "BulkImportEMLEnabled",
        "CalendarEnabled",
        "ChangePasswordEnabled",
        "ChangeSettingsAccountEnabled",
        "ClassicAttachmentsEnabled",
        "ConditionalAccessPolicy",
        "ContactsEnabled",
        "DefaultClientLanguage",
        "DefaultTheme",
        "DelegateAccessEnabled",
        "DirectFileAccessOnPrivateComputersEnabled",
        "DirectFileAccessOnPublicComputersEnabled",
        "DisableFacebook",
        "DisplayPhotosEnabled",
        "EmptyStateEnabled",
        "ExplicitLogonEnabled",
        "ExternalImageProxyEnabled",
        "ExternalSPMySiteHostURL",
        "FeedbackEnabled",
        "ForceSaveAttachmentFilteringEnabled",
        "ForceSaveFileTypes",
        "ForceSaveMimeTypes",
        "ForceWacViewingFirstOnPrivateComputers",
        "ForceWacViewingFirstOnPublicComputers",
        "FreCardsEnabled",
        "GlobalAddressListEnabled",
        "GroupCreationEnabled",
        "HideClassicOutlookToggleOut",
        "InstantMessagingEnabled",
        "InstantMessagingType",
        "InterestingCalendarsEnabled",
        "InternalSPMySiteHostURL",
        "IRMEnabled",
        "IsDefault",
        "ItemsToOtherAccountsEnabled",
        "JournalEnabled",
        "LinkedInEnabled",
        "LocalEventsEnabled",
        "LogonAndErrorLanguage",
        "MessagePreviewsDisabled",
        "MonthlyUpdatesEnabled",
        "Name",
        "NotesEnabled",
        "NpsSurveysEnabled",
        "OfflineEnabledWeb",
        "OfflineEnabledWin",
        "OneDriveAttachmentsEnabled",
        "OneWinNativeOutlookEnabled",
        "OnSendAddinsEnabled",
        "OrganizationEnabled",
        "OutboundCharset",
        "OutlookBetaToggleEnabled",
        "OutlookNewslettersAccessLevel",
        "OutlookDataFile",
        "OutlookNewslettersReactions",
        "OutlookNewslettersShowMore",
        "OWALightEnabled",
        "PersonalAccountCalendarsEnabled",
        "PersonalAccountsEnabled",
        "PersonalBookingsDisabled",
        "PhoneticSupportEnabled",
        "PlacesEnabled",
        "PremiumClientEnabled",
        "PrintWithoutDownloadEnabled",
        "ProjectMocaEnabled",
        "PublicFoldersEnabled",
        "RecoverDeletedItemsEnabled",
        "ReferenceAttachmentsEnabled",
        "RemindersAndNotificationsEnabled",
        "ReportJunkEmailEnabled",
        "RulesEnabled",
        "SatisfactionEnabled",
        "SaveAttachmentsToCloudEnabled",
        "SearchFoldersEnabled",
        "SetPhotoEnabled",
        "SetPhotoURL",
        "ShowOnlineArchiveEnabled",
        "SignaturesEnabled",
        "SilverlightEnabled",
        "SkipCreateUnifiedGroupCustomSharepointClassification",
        "SMimeSuppressNameChecksEnabled",
        "SpellCheckerEnabled",
        "TasksEnabled",
        "TeamSnapCalendarsEnabled",
        "TextMessagingEnabled",
        "ThemeSelectionEnabled",
        "UMIntegrationEnabled",
        "UseGB18030",
        "UseISO885915",
        "UserVoiceEnabled",
        "WacEditingEnabled",
        "WacExternalServicesEnabled",
        "WacOMEXEnabled",
        "WacViewingOnPrivateComputersEnabled",
        "WacViewingOnPublicComputersEnabled",
        "WeatherEnabled",
        "WebPartsFrameOptionsType",
        "WSSAccessOnPrivateComputersEnabled",
        "WSSAccessOnPublicComputersEnabled",
    ],
);

/// The organisation's configuration: auditing, the default authentication policy, archives, group naming.
pub const ORGANIZATION_CONFIG: KindSpec = exchange_kind(
    "organizationConfig",
    "/exchange/OrganizationConfig",
    IdentityKey::Singleton,
    &[
        "ShortenEventScopeDefault",
        "ActionableMessagesExtenalAccessTokenEnabled",
        "ActivityBasedAuthenticationTimeoutEnabled",
        "ActivityBasedAuthenticationTimeoutInterval",
        "ActivityBasedAuthenticationTimeoutWithSingleSignOnEnabled",
        "AppsForOfficeEnabled",
        "AsyncSendEnabled",
        "AuditDisabled",
        "AutoArchivingThresholdPercentage",
        "AutodiscoverPartialDirSync",
        "AutoEnableArchiveMailbox",
        "AutoExpandingArchive",
        "AutomaticForcedReadReceiptEnabled",
        "BlockMoveMessagesForGroupFolders",
        "BookingsAddressEntryRestricted",
        "BookingsAuthEnabled",
        "BookingsBlockedWordsEnabled",
        "BookingsCreationOfCustomQuestionsRestricted",
        "BookingsEnabled",
        "BookingsExposureOfStaffDetailsRestricted",
        "BookingsMembershipApprovalRequired",
        "BookingsNamingPolicyEnabled",
        "BookingsNamingPolicyPrefix",
        "BookingsNamingPolicyPrefixEnabled",
        "BookingsNamingPolicySuffix",
        "BookingsNamingPolicySuffixEnabled",
        "BookingsNotesEntryRestricted",
        "BookingsPaymentsEnabled",
        "BookingsPhoneNumberEntryRestricted",
        "BookingsSearchEngineIndexDisabled",
        "BookingsSmsMicrosoftEnabled",
        "BookingsSocialSharingRestricted",
        "ByteEncoderTypeFor7BitCharsets",
        "CalendarVersionStoreEnabled",
        "ComplianceMLBgdCrawlEnabled",
        "ConnectorsActionableMessagesEnabled",
        "ConnectorsEnabled",
        "ConnectorsEnabledForOutlook",
        "ConnectorsEnabledForSharepoint",
        "ConnectorsEnabledForTeams",
        "ConnectorsEnabledForYammer",
        "CustomerLockboxEnabled",
        "DefaultAuthenticationPolicy",
        "DefaultFolderPermissionRestricted",
        "DefaultGroupAccessType",
        "DefaultMinutesToReduceLongEventsBy",
        "DefaultMinutesToReduceShortEventsBy",
        "DefaultPublicFolderAgeLimit",
        "DefaultPublicFolderDeletedItemRetention",
        "DefaultPublicFolderIssueWarningQuota",
        "DefaultPublicFolderMaxItemSize",
        "DefaultPublicFolderMovedItemRetention",
        "DefaultPublicFolderProhibitPostQuota",
        "DelayedDelicensingEnabled",
        "DirectReportsGroupAutoCreationEnabled",
        "DisablePlusAddressInRecipients",
        "DistributionGroupDefaultOU",
        "DistributionGroupNameBlockedWordsList",
        "DistributionGroupNamingPolicy",
        "DLPViaDcsEnabled",
        "DLPWaitOnSendEnabled",
        "DLPWaitOnSendTimeout",
        "ElcProcessingDisabled",
        "EnableForwardingAddressSyncForMailboxes",
        "EnableOutlookEvents",
        "EndUserDLUpgradeFlowsDisabled",
        "EndUserMailNotificationForDelayedDelicensingEnabled",
        "EnforceExoAppRbacPermissions",
        "EnforceShortenEventSetting",
        "EwsAllowEntourage",
        "EwsAllowList",
        "EwsAllowMacOutlook",
        "EwsAllowOutlook",
        "EwsAllowedAppIDs",
        "EwsApplicationAccessPolicy",
        "EwsBlockList",
        "EwsEnabled",
        "ExchangeAttributesCloudManagedByDefault",
        "ExchangeAttributesServerManagedByDefault",
        "ExchangeNotificationEnabled",
        "ExchangeNotificationRecipients",
        "FindTimeAttendeeAuthenticationEnabled",
        "FindTimeAutoScheduleDisabled",
        "FindTimeLockPollForAttendeesEnabled",
        "FindTimeOnlineMeetingOptionDisabled",
        "FocusedInboxOn",
        "HierarchicalAddressBookRoot",
        "HybridRSVPEnabled",
        "InRegionRoutingEnabled",
        "IPListBlocked",
        "IsAgendaMailEnabled",
        "IsGroupFoldersAndRulesEnabled",
        "IsGroupMemberAllowedToEditContent",
        "LeanPopoutEnabled",
        "LinkPreviewEnabled",
        "MailTipsAllTipsEnabled",
        "MailTipsExternalRecipientsTipsEnabled",
        "MailTipsGroupMetricsEnabled",
        "MailTipsLargeAudienceThreshold",
        "MailTipsMailboxSourcedTipsEnabled",
        "MaskClientIpInReceivedHeadersEnabled",
        "MatchSenderOrganizerProperties",
        "MessageHighlightsEnabled",
        "MessageRecallAlertRecipientsEnabled",
        "MessageRecallAlertRecipientsReadMessagesOnlyEnabled",
        "MessageRecallEnabled",
        "MessageRecallMaxRecallableAge",
        "MessageRemindersEnabled",
        "MobileAppEducationEnabled",
        "OAuth2ClientProfileEnabled",
        "OnlineMeetingsByDefaultEnabled",
        "OutlookGifPickerDisabled",
        "OutlookMobileGCCRestrictionsEnabled",
        "OutlookMobileHelpShiftEnabled",
        "OutlookMobileSingleAccountEnabled",
        "OutlookPayEnabled",
        "OutlookTextPredictionDisabled",
        "PerTenantSwitchToESTSEnabled",
        "PostponeRoamingSignaturesUntilLater",
        "PreferredInternetCodePageForShiftJis",
        "PublicComputersDetectionEnabled",
        "PublicFoldersEnabled",
        "PublicFolderShowClientControl",
        "ReadTrackingEnabled",
        "RecallReadMessagesEnabled",
        "RefreshSessionEnabled",
        "RejectDirectSend",
        "RecipientDelimiters",
        "RemotePublicFolderMailboxes",
        "RequiredCharsetCoverage",
        "SendFromAliasEnabled",
        "SharedDomainEmailAddressFlowEnabled",
        "SiteMailboxCreationURL",
        "SmtpActionableMessagesEnabled",
        "TenantAdminNotificationForDelayedDelicensingEnabled",
        "TwoClickMailPreviewEnabled",
        "UnblockUnsafeSenderPromptEnabled",
        "VisibleMeetingUpdateProperties",
        "WebPushNotificationsDisabled",
        "WebSuggestedRepliesDisabled",
        "WorkspaceTenantEnabled",
    ],
);

/// The organisation's transport configuration (SMTP client authentication, among others).
pub const TRANSPORT_CONFIG: KindSpec = exchange_kind(
    "transportConfig",
    "/exchange/TransportConfig",
    IdentityKey::Singleton,
    &[
        "AddressBookPolicyRoutingEnabled",
        "AllowLegacyTLSClients",
        "ClearCategories",
        "ConvertDisclaimerWrapperToEml",
        "DSNConversionMode",
        "ExternalDelayDsnEnabled",
        "ExternalDsnDefaultLanguage",
        "ExternalDsnLanguageDetectionEnabled",
        "ExternalDsnReportingAuthority",
        "ExternalDsnSendHtml",
        "ExternalPostmasterAddress",
        "HeaderPromotionModeSetting",
        "InternalDelayDsnEnabled",
        "InternalDsnDefaultLanguage",
        "InternalDsnLanguageDetectionEnabled",
        "InternalDsnReportingAuthority",
        "InternalDsnSendHtml",
        "JournalMessageExpirationDays",
        "JournalingReportNdrTo",
        "MaxRecipientEnvelopeLimit",
        "MessageExpiration",
        "PreventDuplicateJournalingEnabled",
        "ReplyAllStormBlockDurationHours",
        "ReplyAllStormDetectionMinimumRecipients",
        "ReplyAllStormDetectionMinimumReplies",
        "ReplyAllStormProtectionEnabled",
        "Rfc2231EncodingEnabled",
        "SmtpClientAuthenticationDisabled",
        "VoicemailJournalingEnabled",
    ],
);

/// Authentication policies: which protocols may use basic authentication.
pub const AUTHENTICATION_POLICY: KindSpec = exchange_kind(
    "authenticationPolicy",
    "/exchange/AuthenticationPolicy",
    IdentityKey::Property("Name"),
    &[
        "AllowBasicAuthActiveSync",
        "AllowBasicAuthAutodiscover",
        "AllowBasicAuthImap",
        "AllowBasicAuthMapi",
        "AllowBasicAuthOfflineAddressBook",
        "AllowBasicAuthOutlookService",
        "AllowBasicAuthPop",
        "AllowBasicAuthPowershell",
        "AllowBasicAuthReportingWebServices",
        "AllowBasicAuthRpc",
        "AllowBasicAuthSmtp",
        "AllowBasicAuthWebServices",
        "AllowLegacyExchangeTokens",
        "BlockLegacyExchangeTokens",
        "TenantId",
        "Name",
    ],
);

/// CAS mailbox plans: the client access new mailboxes of each licence get (adopted by display name; Exchange names them with a GUID suffix).
pub const CAS_MAILBOX_PLAN: KindSpec = adopted_only(
    exchange_kind(
        "casMailboxPlan",
        "/exchange/CASMailboxPlan",
        IdentityKey::Property("DisplayName"),
        &[
            "DisplayName",
            "ActiveSyncEnabled",
            "ECPEnabled",
            "EwsEnabled",
            "ImapEnabled",
            "MAPIEnabled",
            "OWAEnabled",
            "OwaMailboxPolicy",
            "PopEnabled",
        ],
    ),
    "Exchange Online makes one CAS mailbox plan per licence plan the organisation has, and has no New-CASMailboxPlan",
);

/// Mailbox plans: the mailbox settings (quotas, message size limits) a new mailbox gets from
/// its licence, one plan per licence plan (adopted by display name, like
/// [`CAS_MAILBOX_PLAN`]: a plan's name carries a GUID). Properties: the `Set-MailboxPlan`
/// parameters applicable to Exchange Online (office-docs-powershell `Set-MailboxPlan.md`),
/// less `IsDefault` (a switch that moves the default plan) and `RecipientLimits` ("reserved for
/// internal Microsoft use"). Sizes read back as Exchange prints them,
/// `"90 MB (94,371,840 bytes)"`, which `Set-MailboxPlan` also takes.
pub const MAILBOX_PLAN: KindSpec = adopted_only(
    exchange_kind(
        "mailboxPlan",
        "/exchange/MailboxPlan",
        IdentityKey::Property("DisplayName"),
        &[
            "DisplayName",
            "IssueWarningQuota",
            "MaxReceiveSize",
            "MaxSendSize",
            "ProhibitSendQuota",
            "ProhibitSendReceiveQuota",
            "RetainDeletedItemsFor",
            "RetentionPolicy",
            "RoleAssignmentPolicy",
        ],
    ),
    "Exchange Online makes one mailbox plan per licence plan the organisation has, and has no New-MailboxPlan",
);

/// Mail flow (transport) rules.
pub const TRANSPORT_RULE: KindSpec = exchange_kind(
    "transportRule",
    "/exchange/TransportRule",
    IdentityKey::Property("Name"),
    &[
        "ActivationDate",
        "ADComparisonAttribute",
        "ADComparisonOperator",
        "AddManagerAsRecipientType",
        "AddToRecipients",
        "AnyOfCcHeader",
        "AnyOfCcHeaderMemberOf",
        "AnyOfRecipientAddressContainsWords",
        "AnyOfRecipientAddressMatchesPatterns",
        "AnyOfToCcHeader",
        "AnyOfToCcHeaderMemberOf",
        "AnyOfToHeader",
        "AnyOfToHeaderMemberOf",
        "ApplyClassification",
        "ApplyHtmlDisclaimerFallbackAction",
        "ApplyHtmlDisclaimerLocation",
        "ApplyHtmlDisclaimerText",
        "ApplyOME",
        "ApplyRightsProtectionCustomizationTemplate",
        "ApplyRightsProtectionTemplate",
        "AttachmentContainsWords",
        "AttachmentExtensionMatchesWords",
        "AttachmentHasExecutableContent",
        "AttachmentIsPasswordProtected",
        "AttachmentIsUnsupported",
        "AttachmentMatchesPatterns",
        "AttachmentNameMatchesPatterns",
        "AttachmentProcessingLimitExceeded",
        "AttachmentPropertyContainsWords",
        "AttachmentSizeOver",
        "BetweenMemberOf1",
        "BetweenMemberOf2",
        "BlindCopyTo",
        "Comments",
        "ContentCharacterSetContainsWords",
        "CopyTo",
        "DeleteMessage",
        "Disconnect",
        "DlpPolicy",
        "ExceptIfADComparisonAttribute",
        "ExceptIfADComparisonOperator",
        "ExceptIfAnyOfCcHeader",
        "ExceptIfAnyOfCcHeaderMemberOf",
        "ExceptIfAnyOfRecipientAddressContainsWords",
        "ExceptIfAnyOfRecipientAddressMatchesPatterns",
        "ExceptIfAnyOfToCcHeader",
        "ExceptIfAnyOfToCcHeaderMemberOf",
        "ExceptIfAnyOfToHeader",
        "ExceptIfAnyOfToHeaderMemberOf",
        "ExceptIfAttachmentContainsWords",
        "ExceptIfAttachmentExtensionMatchesWords",
        "ExceptIfAttachmentHasExecutableContent",
        "ExceptIfAttachmentIsPasswordProtected",
        "ExceptIfAttachmentIsUnsupported",
        "ExceptIfAttachmentMatchesPatterns",
        "ExceptIfAttachmentNameMatchesPatterns",
        "ExceptIfAttachmentProcessingLimitExceeded",
        "ExceptIfAttachmentPropertyContainsWords",
        "ExceptIfAttachmentSizeOver",
        "ExceptIfBetweenMemberOf1",
        "ExceptIfBetweenMemberOf2",
        "ExceptIfContentCharacterSetContainsWords",
        "ExceptIfFrom",
        "ExceptIfFromAddressContainsWords",
        "ExceptIfFromAddressMatchesPatterns",
        "ExceptIfFromMemberOf",
        "ExceptIfFromScope",
        "ExceptIfHasClassification",
        "ExceptIfHasNoClassification",
        "ExceptIfHasSenderOverride",
        "ExceptIfHeaderContainsMessageHeader",
        "ExceptIfHeaderContainsWords",
        "ExceptIfHeaderMatchesMessageHeader",
        "ExceptIfHeaderMatchesPatterns",
        "ExceptIfManagerAddresses",
        "ExceptIfManagerForEvaluatedUser",
        "ExceptIfMessageContainsDataClassifications",
        "ExceptIfMessageSizeOver",
        "ExceptIfMessageTypeMatches",
        "ExceptIfRecipientADAttributeContainsWords",
        "ExceptIfRecipientADAttributeMatchesPatterns",
        "ExceptIfRecipientAddressContainsWords",
        "ExceptIfRecipientAddressMatchesPatterns",
        "ExceptIfRecipientDomainIs",
        "ExceptIfRecipientInSenderList",
        "ExceptIfSCLOver",
        "ExceptIfSenderADAttributeContainsWords",
        "ExceptIfSenderADAttributeMatchesPatterns",
        "ExceptIfSenderDomainIs",
        "ExceptIfSenderInRecipientList",
        "ExceptIfSenderIpRanges",
        "ExceptIfSenderManagementRelationship",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "ExceptIfSentToScope",
        "ExceptIfSubjectContainsWords",
        "ExceptIfSubjectMatchesPatterns",
        "ExceptIfSubjectOrBodyContainsWords",
        "ExceptIfSubjectOrBodyMatchesPatterns",
        "ExceptIfWithImportance",
        "ExpiryDate",
        "From",
        "FromAddressContainsWords",
        "FromAddressMatchesPatterns",
        "FromMemberOf",
        "FromScope",
        "GenerateIncidentReport",
        "GenerateNotification",
        "HasClassification",
        "HasNoClassification",
        "HasSenderOverride",
        "HeaderContainsMessageHeader",
        "HeaderContainsWords",
        "HeaderMatchesMessageHeader",
        "HeaderMatchesPatterns",
        "IncidentReportContent",
        "LogEventText",
        "ManagerAddresses",
        "ManagerForEvaluatedUser",
        "MessageContainsDataClassifications",
        "MessageSizeOver",
        "MessageTypeMatches",
        "Mode",
        "ModerateMessageByManager",
        "ModerateMessageByUser",
        "Name",
        "NotifySender",
        "PrependSubject",
        "Priority",
        "Quarantine",
        "RecipientADAttributeContainsWords",
        "RecipientADAttributeMatchesPatterns",
        "RecipientAddressContainsWords",
        "RecipientAddressMatchesPatterns",
        "RecipientAddressType",
        "RecipientDomainIs",
        "RecipientInSenderList",
        "RedirectMessageTo",
        "RejectMessageEnhancedStatusCode",
        "RejectMessageReasonText",
        "RemoveHeader",
        "RemoveOME",
        "RemoveOMEv2",
        "RemoveRMSAttachmentEncryption",
        "RouteMessageOutboundConnector",
        "RouteMessageOutboundRequireTls",
        "RuleErrorAction",
        "RuleSubType",
        "SCLOver",
        "SenderADAttributeContainsWords",
        "SenderADAttributeMatchesPatterns",
        "SenderAddressLocation",
        "SenderDomainIs",
        "SenderInRecipientList",
        "SenderIpRanges",
        "SenderManagementRelationship",
        "SentTo",
        "SentToMemberOf",
        "SentToScope",
        "SetAuditSeverity",
        "SetHeaderName",
        "SetHeaderValue",
        "SetSCL",
        "SmtpRejectMessageRejectStatusCode",
        "SmtpRejectMessageRejectText",
        "StopRuleProcessing",
        "SubjectContainsWords",
        "SubjectMatchesPatterns",
        "SubjectOrBodyContainsWords",
        "SubjectOrBodyMatchesPatterns",
        "WithImportance",
        "State",
        "UseLegacyRegex",
    ],
);

/// Retention tags (messaging records management): how long mail of a folder type, or of a
/// personal tag a user applies, is kept and what happens after. `Type` is set by `New-` only.
pub const RETENTION_POLICY_TAG: KindSpec = exchange_kind(
    "retentionPolicyTag",
    "/exchange/RetentionPolicyTag",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "AgeLimitForRetention",
        "Comment",
        "MessageClass",
        "MustDisplayCommentEnabled",
        "RetentionAction",
        "RetentionEnabled",
        "Type",
    ],
);

/// Retention policies: the retention tags a mailbox gets (the "Default MRM Policy" is every
/// new mailbox's).
pub const RETENTION_POLICY: KindSpec = exchange_kind(
    "retentionPolicy",
    "/exchange/RetentionPolicy",
    IdentityKey::Property("Name"),
    &["Name", "RetentionPolicyTagLinks"],
);

/// Inbound connectors: mail from the agency's own servers or a partner into Exchange Online
/// (a hybrid agency's on-premises organisation).
pub const INBOUND_CONNECTOR: KindSpec = exchange_kind(
    "inboundConnector",
    "/exchange/InboundConnector",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "AssociatedAcceptedDomains",
        "CloudServicesMailEnabled",
        "Comment",
        "ConnectorSource",
        "ConnectorType",
        "EFSkipIPs",
        "EFSkipLastIP",
        "EFUsers",
        "Enabled",
        "RequireTls",
        "RestrictDomainsToCertificate",
        "RestrictDomainsToIPAddresses",
        "ScanAndDropRecipients",
        "SenderDomains",
        "SenderIPAddresses",
        "TlsSenderCertificateName",
        "TreatMessagesAsInternal",
        "TrustedOrganizations",
    ],
);

/// Outbound connectors: mail from Exchange Online to the agency's own servers or a partner.
pub const OUTBOUND_CONNECTOR: KindSpec = exchange_kind(
    "outboundConnector",
    "/exchange/OutboundConnector",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "AllAcceptedDomains",
        "CloudServicesMailEnabled",
        "Comment",
        "ConnectorSource",
        "ConnectorType",
        "Enabled",
        "IsTransportRuleScoped",
        "RecipientDomains",
        "RouteAllMessagesViaOnPremises",
        "SenderRewritingEnabled",
        "SmartHosts",
        "TestMode",
        "TlsDomain",
        "TlsSettings",
        "UseMXRecord",
        "ValidationRecipients",
    ],
);

/// Address lists: the views of the address book (All Users, All Rooms, …), each a recipient
/// filter. Every `*-AddressList` cmdlet needs the Address Lists role as well as the directory
/// role ([`ADDRESS_LISTS_ROLE`]). Properties: the `Set-AddressList` parameters applicable to
/// Exchange Online (office-docs-powershell `Set-AddressList.md`).
pub const ADDRESS_LIST: KindSpec = KindSpec {
    permissions: Permissions {
        read: &[
            Grant::Exchange("Exchange.ManageAsApp"),
            Grant::DirectoryRole("Global Reader"),
            Grant::ExchangeRole(ADDRESS_LISTS_ROLE),
        ],
        write: &[
            Grant::Exchange("Exchange.ManageAsApp"),
            Grant::DirectoryRole("Exchange Administrator"),
            Grant::ExchangeRole(ADDRESS_LISTS_ROLE),
        ],
    },
    ..exchange_kind(
        "addressList",
        "/exchange/AddressList",
        IdentityKey::Property("Name"),
        &[
            "Name",
            "DisplayName",
            "RecipientFilter",
            "IncludedRecipients",
            "ConditionalCompany",
            "ConditionalDepartment",
            "ConditionalStateOrProvince",
            "ConditionalCustomAttribute1",
            "ConditionalCustomAttribute2",
            "ConditionalCustomAttribute3",
            "ConditionalCustomAttribute4",
            "ConditionalCustomAttribute5",
            "ConditionalCustomAttribute6",
            "ConditionalCustomAttribute7",
            "ConditionalCustomAttribute8",
            "ConditionalCustomAttribute9",
            "ConditionalCustomAttribute10",
            "ConditionalCustomAttribute11",
            "ConditionalCustomAttribute12",
            "ConditionalCustomAttribute13",
            "ConditionalCustomAttribute14",
            "ConditionalCustomAttribute15",
            "RecipientContainer",
        ],
    )
};

/// Global address lists (the Default and the Offline Global Address List), each a recipient
/// filter, in the same role as address lists. Properties: the `Set-GlobalAddressList`
/// parameters applicable to Exchange Online (no DisplayName there).
pub const GLOBAL_ADDRESS_LIST: KindSpec = KindSpec {
    name: "globalAddressList",
    path: "/exchange/GlobalAddressList",
    properties: GLOBAL_ADDRESS_LIST_PROPERTIES,
    ..ADDRESS_LIST
};

const GLOBAL_ADDRESS_LIST_PROPERTIES: &[&str] = &[
    "Name",
    "RecipientFilter",
    "IncludedRecipients",
    "ConditionalCompany",
    "ConditionalDepartment",
    "ConditionalStateOrProvince",
    "ConditionalCustomAttribute1",
    "ConditionalCustomAttribute2",
    "ConditionalCustomAttribute3",
    "ConditionalCustomAttribute4",
    "ConditionalCustomAttribute5",
    "ConditionalCustomAttribute6",
    "ConditionalCustomAttribute7",
    "ConditionalCustomAttribute8",
    "ConditionalCustomAttribute9",
    "ConditionalCustomAttribute10",
    "ConditionalCustomAttribute11",
    "ConditionalCustomAttribute12",
    "ConditionalCustomAttribute13",
    "ConditionalCustomAttribute14",
    "ConditionalCustomAttribute15",
    "RecipientContainer",
];

/// The organisation's Outlook add-ins (`Get-App -OrganizationApp`), seen as one object: the
/// display names of those an administrator installed, Microsoft's default apps left out
/// ([`MICROSOFT_DEFAULT_APPS`]). The ABAC configures none, so the blueprint wants the list
/// empty. Evaluated only: an add-in there is the agency's, and the tool never removes what it
/// did not create, so evaluate reports it and a person removes it
/// (`Remove-App -OrganizationApp`) or records why it stays.
pub const ORGANIZATION_ADD_INS: KindSpec = KindSpec {
    lifecycle: Lifecycle::EvaluatedOnly(
        "the organisation's add-ins are the agency's own: evaluate reports any beyond Microsoft's defaults, and a person removes it with Remove-App -OrganizationApp",
    ),
    ..exchange_kind(
        "organizationAddIns",
        "/exchange/App",
        IdentityKey::Singleton,
        &[NON_DEFAULT_APPS],
    )
};

/// The one property of [`ORGANIZATION_ADD_INS`]: the installed organisation add-ins that are
/// not Microsoft's defaults, by display name, sorted.
pub const NON_DEFAULT_APPS: &str = "NonDefaultApps";

/// The apps Exchange Online installs for every organisation, by display name, all provided by
/// Microsoft ("Several apps are installed and made available to users by default … created by
/// Microsoft": Action Items, Bing Maps, Suggested Meetings, Unsubscribe; My Templates since).
pub const MICROSOFT_DEFAULT_APPS: &[&str] = &[
    "Action Items",
    "Bing Maps",
    "My Templates",
    "Suggested Meetings",
    "Unsubscribe",
];

/// The organisation's journal rules (`Get-JournalRule`), seen as one object: their names,
/// sorted. The ABAC configures none ("journal rules: not configured"), so the blueprint wants
/// the list empty. Evaluated only: a journal rule there is the agency's (a records or legal
/// obligation, perhaps), and the tool never removes what it did not create, so evaluate
/// reports it and a person removes it (`Remove-JournalRule`) or records why it stays.
pub const JOURNAL_RULES: KindSpec = KindSpec {
    lifecycle: Lifecycle::EvaluatedOnly(
        "journal rules are the agency's own: evaluate reports any, and a person removes it with Remove-JournalRule or excludes the feature with the reason it stays",
    ),
    ..exchange_kind(
        "journalRules",
        "/exchange/JournalRule",
        IdentityKey::Singleton,
        &[JOURNAL_RULE_NAMES],
    )
};

/// The one property of [`JOURNAL_RULES`]: the names of the organisation's journal rules.
pub const JOURNAL_RULE_NAMES: &str = "Rules";

/// Why the per-mailbox kinds are evaluated only: a deploy reaches no mailbox.
const PER_MAILBOX: &str = "the mailboxes are the agency's, and most do not exist when the blueprint is deployed (a mailbox plan gives new ones theirs): evaluate reports each mailbox that differs, and a person sets it with exchange-mailbox-per-mailbox-scripts' scripts";

/// The organisation's user mailboxes (`Get-Mailbox -RecipientTypeDetails UserMailbox
/// -ResultSize Unlimited`), seen as one object: [`MAILBOXES_PROPERTY`] maps each mailbox's
/// identity to its [`per_mailbox`] settings, which the blueprint wants the same on every one
/// (a desired `"*"` entry, compared with every mailbox). Evaluated only ([`PER_MAILBOX`]).
pub const MAILBOXES: KindSpec = KindSpec {
    lifecycle: Lifecycle::EvaluatedOnly(PER_MAILBOX),
    ..exchange_kind(
        "mailboxes",
        "/exchange/Mailbox",
        IdentityKey::Singleton,
        &[MAILBOXES_PROPERTY],
    )
};

/// The users of those mailboxes (`Get-User -RecipientTypeDetails UserMailbox`), seen as
/// [`MAILBOXES`] are: Exchange Online PowerShell access is a user's setting.
pub const MAILBOX_USERS: KindSpec = KindSpec {
    lifecycle: Lifecycle::EvaluatedOnly(PER_MAILBOX),
    ..exchange_kind(
        "mailboxUsers",
        "/exchange/User",
        IdentityKey::Singleton,
        &[MAILBOXES_PROPERTY],
    )
};

/// Every mailbox's regional settings (`Get-MailboxRegionalConfiguration` without `-Identity`,
/// which "returns *all* objects"), seen as [`MAILBOXES`] are.
pub const MAILBOX_REGIONAL_CONFIGURATIONS: KindSpec = KindSpec {
    lifecycle: Lifecycle::EvaluatedOnly(PER_MAILBOX),
    ..exchange_kind(
        "mailboxRegionalConfigurations",
        "/exchange/MailboxRegionalConfiguration",
        IdentityKey::Singleton,
        &[MAILBOXES_PROPERTY],
    )
};

/// The one property of the per-mailbox kinds: each mailbox's settings by its identity.
pub const MAILBOXES_PROPERTY: &str = "Mailboxes";

/// The settings a per-mailbox kind reads of each mailbox (none for other kinds): what the
/// ABAC sets per mailbox, as `Get-Mailbox`, `Get-User` and `Get-MailboxRegionalConfiguration`
/// show them.
pub fn per_mailbox(kind: &str) -> &'static [&'static str] {
    match kind {
        "mailboxes" => &[
            "MaxSendSize",
            "MaxReceiveSize",
            "LitigationHoldEnabled",
            "ArchiveStatus",
        ],
        "mailboxUsers" => &["RemotePowerShellEnabled"],
        "mailboxRegionalConfigurations" => &["Language", "TimeZone"],
        _ => &[],
    }
}

/// The parameters `Get-{Noun}` reads a kind's objects with (none for most: the family's
/// objects): the organisation's add-ins are `Get-App -OrganizationApp`.
pub fn read_parameters(kind: &str) -> serde_json::Value {
    match kind {
        "organizationAddIns" => serde_json::json!({ "OrganizationApp": true }),
        // Markings read back as the properties they are set by, not only as LabelActions JSON.
        "label" => serde_json::json!({ "IncludeDetailedLabelActions": true }),
        // Every user mailbox, not the first 1000 (the cmdlets' default ResultSize).
        "mailboxes" | "mailboxUsers" => serde_json::json!({
            "RecipientTypeDetails": ["UserMailbox"],
            "ResultSize": "Unlimited",
        }),
        _ => serde_json::json!({}),
    }
}

/// For a kind whose one object sums up its family's rows, that object (`None` for the rest):
/// the organisation's add-ins become `{"Identity": "Organization", "NonDefaultApps": [...]}`,
/// its journal rules `{"Identity": "Organization", "Rules": [...]}`, a per-mailbox kind's rows
/// `{"Identity": "Organization", "Mailboxes": {identity: {setting: value, ...}, ...}}`.
pub fn summarise(kind: &str, rows: &[serde_json::Value]) -> Option<serde_json::Value> {
    let settings = per_mailbox(kind);
    if !settings.is_empty() {
        let mailboxes: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|row| {
                let identity = row["Identity"].as_str().or(row["Name"].as_str());
                let checked = settings
                    .iter()
                    .map(|s| (s.to_string(), row[*s].clone()))
                    .collect();
                (
                    identity.unwrap_or_default().to_string(),
                    serde_json::Value::Object(checked),
                )
            })
            .collect();
        return Some(
            serde_json::json!({ "Identity": "Organization", MAILBOXES_PROPERTY: mailboxes }),
        );
    }
    if kind == JOURNAL_RULES.name {
        let mut names: Vec<String> = rows
            .iter()
            .map(|rule| {
                rule["Name"]
                    .as_str()
                    .or(rule["Identity"].as_str())
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        names.sort();
        return Some(serde_json::json!({ "Identity": "Organization", JOURNAL_RULE_NAMES: names }));
    }
    if kind != ORGANIZATION_ADD_INS.name {
        return None;
    }
    let mut names: Vec<String> = rows
        .iter()
        .filter(|app| {
            let by_microsoft = app["ProviderName"]
                .as_str()
                .is_some_and(|p| p.trim_end_matches(" Corporation") == "Microsoft");
            let default = app["DisplayName"]
                .as_str()
                .is_some_and(|n| MICROSOFT_DEFAULT_APPS.contains(&n));
            !(by_microsoft && default)
        })
        .map(|app| {
            app["DisplayName"]
                .as_str()
                .or(app["AppId"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    names.sort();
    Some(serde_json::json!({ "Identity": "Organization", NON_DEFAULT_APPS: names }))
}

/// The organisation's audit log configuration: whether user and admin activities are recorded
/// in the Microsoft 365 (unified) audit log. `Set-AdminAuditLogConfig`'s one Exchange Online
/// parameter besides the common switches (the others are "available only in on-premises
/// Exchange").
pub const ADMIN_AUDIT_LOG_CONFIG: KindSpec = exchange_kind(
    "adminAuditLogConfig",
    "/exchange/AdminAuditLogConfig",
    IdentityKey::Singleton,
    &["UnifiedAuditLogIngestionEnabled"],
);

/// Security & Compliance's app-only access: the same `Exchange.ManageAsApp` permission (its
/// tokens are for `https://ps.compliance.protection.outlook.com`, a resource of Office 365
/// Exchange Online) and a directory role: Compliance Administrator to change Purview's
/// retention and audit log retention policies, Global Reader to read them (Microsoft's
/// app-only page lists both among the roles supported in Security & Compliance PowerShell,
/// `real-tenant-and-exchange.md` §2a; Exchange Administrator is Exchange's, not Purview's).
const COMPLIANCE_PERMISSIONS: Permissions = Permissions {
    read: &[
        Grant::Exchange("Exchange.ManageAsApp"),
        Grant::DirectoryRole("Global Reader"),
    ],
    write: &[
        Grant::Exchange("Exchange.ManageAsApp"),
        Grant::DirectoryRole("Compliance Administrator"),
    ],
};

/// A Security & Compliance kind: a cmdlet family at that endpoint (`/compliance/{Noun}`).
const fn compliance_kind(
    name: &'static str,
    path: &'static str,
    identity: IdentityKey,
    properties: &'static [&'static str],
) -> KindSpec {
    KindSpec {
        api: Api::ComplianceAdmin,
        permissions: COMPLIANCE_PERMISSIONS,
        ..exchange_kind(name, path, identity, properties)
    }
}

/// Audit log retention policies: how long unified audit log records are kept
/// (`*-UnifiedAuditLogRetentionPolicy`; `RecordTypes`, `Operations` and `UserIds` left out
/// cover every record).
pub const UNIFIED_AUDIT_LOG_RETENTION_POLICY: KindSpec = compliance_kind(
    "unifiedAuditLogRetentionPolicy",
    "/compliance/UnifiedAuditLogRetentionPolicy",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "Description",
        "Operations",
        "Priority",
        "RecordTypes",
        "RetentionDuration",
        "UserIds",
    ],
);

/// A retention policy's locations: `New-RetentionCompliancePolicy` takes each whole,
/// `Set-RetentionCompliancePolicy` only `Add{Location}`/`Remove{Location}`.
pub const RETENTION_LOCATIONS: &[&str] = &[
    "ExchangeLocation",
    "ExchangeLocationException",
    "ModernGroupLocation",
    "ModernGroupLocationException",
    "OneDriveLocation",
    "OneDriveLocationException",
    "PublicFolderLocation",
    "SharePointLocation",
    "SharePointLocationException",
    "SkypeLocation",
    "SkypeLocationException",
    "TeamsChannelLocation",
    "TeamsChannelLocationException",
    "TeamsChatLocation",
    "TeamsChatLocationException",
];

/// Retention policies (Purview data lifecycle management): where content is retained
/// (`*-RetentionCompliancePolicy`); how long is the policy's one rule.
pub const RETENTION_COMPLIANCE_POLICY: KindSpec = compliance_kind(
    "retentionCompliancePolicy",
    "/compliance/RetentionCompliancePolicy",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "Applications",
        "Comment",
        "Enabled",
        "RestrictiveRetention",
        "ExchangeLocation",
        "ExchangeLocationException",
        "ModernGroupLocation",
        "ModernGroupLocationException",
        "OneDriveLocation",
        "OneDriveLocationException",
        "PublicFolderLocation",
        "SharePointLocation",
        "SharePointLocationException",
        "SkypeLocation",
        "SkypeLocationException",
        "TeamsChannelLocation",
        "TeamsChannelLocationException",
        "TeamsChatLocation",
        "TeamsChatLocationException",
    ],
);

/// A retention policy's rule: how long, and what then (`*-RetentionComplianceRule`). Its
/// `Policy` is given to `New-` only (no `Set-` takes it, and only one rule can be added to
/// each retention policy).
pub const RETENTION_COMPLIANCE_RULE: KindSpec = KindSpec {
    create_only: &["Policy"],
    ..compliance_kind(
        "retentionComplianceRule",
        "/compliance/RetentionComplianceRule",
        IdentityKey::Property("Name"),
        &[
            "Name",
            "Comment",
            "ContentMatchQuery",
            "ExcludedItemClasses",
            "ExpirationDateOption",
            "RetentionComplianceAction",
            "RetentionDuration",
            "RetentionDurationDisplayHint",
        ],
    )
};

/// The label parameters the blueprint compares: the label's names and text, where it applies,
/// its parent and priority, and its markings (header, footer, watermark; `Get-Label
/// -IncludeDetailedLabelActions` expands them into these properties). `AdvancedSettings` and
/// `LocaleSettings` are left out: `Get-Label` reads the first back among `Settings` as
/// `[key, value]` strings, the second as JSON text, so neither compares with what was set.
/// Encryption (`Encryption*`) is left out too: the blueprint's labels mark, they do not
/// encrypt.
const LABEL_PROPERTIES: &[&str] = &[
    "Name",
    "DisplayName",
    "Tooltip",
    "Comment",
    "ContentType",
    "ParentId",
    "Priority",
    "ApplyContentMarkingHeaderEnabled",
    "ApplyContentMarkingHeaderText",
    "ApplyContentMarkingHeaderFontSize",
    "ApplyContentMarkingHeaderFontColor",
    "ApplyContentMarkingHeaderFontName",
    "ApplyContentMarkingHeaderAlignment",
    "ApplyContentMarkingHeaderMargin",
    "ApplyContentMarkingFooterEnabled",
    "ApplyContentMarkingFooterText",
    "ApplyContentMarkingFooterFontSize",
    "ApplyContentMarkingFooterFontColor",
    "ApplyContentMarkingFooterFontName",
    "ApplyContentMarkingFooterAlignment",
    "ApplyContentMarkingFooterMargin",
    "ApplyWaterMarkingEnabled",
    "ApplyWaterMarkingText",
    "ApplyWaterMarkingFontSize",
    "ApplyWaterMarkingFontColor",
    "ApplyWaterMarkingFontName",
    "ApplyWaterMarkingLayout",
];

/// Sensitivity labels (Purview information protection, `*-Label`): a sublabel names its parent
/// by `ParentId` (read back as the parent's GUID, compared as its name: see [`read_rows`]).
/// `Priority` is `Set-Label`'s only ("a higher integer value indicates a higher priority"; a new
/// label is given the next one).
pub const LABEL: KindSpec = compliance_kind(
    "label",
    "/compliance/Label",
    IdentityKey::Property("Name"),
    LABEL_PROPERTIES,
);

/// A label policy's lists that `Set-LabelPolicy` changes only by `Add{List}`/`Remove{List}`:
/// its labels and its locations.
pub const LABEL_POLICY_LISTS: &[&str] = &[
    "Labels",
    "ExchangeLocation",
    "ExchangeLocationException",
    "ModernGroupLocation",
    "ModernGroupLocationException",
    "OneDriveLocation",
    "OneDriveLocationException",
    "PublicFolderLocation",
    "SharePointLocation",
    "SharePointLocationException",
    "SkypeLocation",
    "SkypeLocationException",
];

/// Sensitivity label policies (`*-LabelPolicy`): which labels are published, to whom
/// (`ExchangeLocation` All is every user). `AdvancedSettings` is left out for the reason
/// [`LABEL`] leaves it out.
pub const LABEL_POLICY: KindSpec = compliance_kind(
    "labelPolicy",
    "/compliance/LabelPolicy",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "Comment",
        "Labels",
        "ExchangeLocation",
        "ExchangeLocationException",
        "ModernGroupLocation",
        "ModernGroupLocationException",
        "OneDriveLocation",
        "OneDriveLocationException",
        "PublicFolderLocation",
        "SharePointLocation",
        "SharePointLocationException",
        "SkypeLocation",
        "SkypeLocationException",
    ],
);

/// An auto-labelling policy's locations: `New-AutoSensitivityLabelPolicy` takes each whole,
/// `Set-AutoSensitivityLabelPolicy` only `Add{Location}`/`Remove{Location}`.
pub const AUTO_LABEL_LOCATIONS: &[&str] = &[
    "ExchangeLocation",
    "OneDriveLocation",
    "OneDriveLocationException",
    "SharePointLocation",
    "SharePointLocationException",
];

/// Auto-labelling policies (`*-AutoSensitivityLabelPolicy`): which label is applied, where,
/// and whether it runs (`Mode`: Enable, or a simulation); what it looks for is its rules.
pub const AUTO_SENSITIVITY_LABEL_POLICY: KindSpec = compliance_kind(
    "autoSensitivityLabelPolicy",
    "/compliance/AutoSensitivityLabelPolicy",
    IdentityKey::Property("Name"),
    &[
        "Name",
        "ApplySensitivityLabel",
        "Comment",
        "Mode",
        "OverwriteLabel",
        "ExchangeLocation",
        "OneDriveLocation",
        "OneDriveLocationException",
        "SharePointLocation",
        "SharePointLocationException",
    ],
);

/// An auto-labelling policy's rule: the conditions content must meet
/// (`*-AutoSensitivityLabelRule`). Its `Policy` is given to `New-` only.
pub const AUTO_SENSITIVITY_LABEL_RULE: KindSpec = KindSpec {
    create_only: &["Policy"],
    ..compliance_kind(
        "autoSensitivityLabelRule",
        "/compliance/AutoSensitivityLabelRule",
        IdentityKey::Property("Name"),
        &[
            "Name",
            "Comment",
            "Disabled",
            "Workload",
            "ContentContainsSensitiveInformation",
            "HeaderMatchesPatterns",
            "RecipientDomainIs",
            "SenderDomainIs",
            "SubjectMatchesPatterns",
        ],
    )
};

/// A family's rows as the blueprint compares them, for the kinds whose `Get-` reads a value
/// back in another form than it was set: a label's `ParentId` (set by name, read back as the
/// parent's GUID) becomes the parent's name, and a label is known by its name (its `id`), so a
/// reference to it is its name, which is how `Get-LabelPolicy` lists the labels it publishes.
pub fn read_rows(kind: &str, rows: &[serde_json::Value]) -> Vec<serde_json::Value> {
    if kind != LABEL.name {
        return rows.to_vec();
    }
    let name_of = |guid: &str| {
        rows.iter()
            .find(|r| {
                ["Guid", "ImmutableId", "Identity"]
                    .iter()
                    .any(|k| r[*k].as_str().is_some_and(|v| v.eq_ignore_ascii_case(guid)))
            })
            .and_then(|r| r["Name"].as_str())
            .map(str::to_string)
    };
    rows.iter()
        .map(|row| {
            let mut row = row.clone();
            if let Some(map) = row.as_object_mut() {
                if let Some(name) = map
                    .get("ParentId")
                    .and_then(serde_json::Value::as_str)
                    .and_then(name_of)
                {
                    map.insert("ParentId".into(), serde_json::json!(name));
                }
                if let Some(name) = map.get("Name").cloned() {
                    map.insert("id".into(), name);
                }
            }
            row
        })
        .collect()
}

/// The parameters a kind's `Set-` requires every time, which the engine takes from the
/// object when the changes leave them out: `Set-UnifiedAuditLogRetentionPolicy`'s
/// `-Priority` and `-RetentionDuration` ("This parameter is required when you modify an audit
/// log retention policy").
pub fn set_requires(kind: &str) -> &'static [&'static str] {
    match kind {
        "unifiedAuditLogRetentionPolicy" => &["Priority", "RetentionDuration"],
        _ => &[],
    }
}

/// The lists a kind's `Set-` changes only through `Add{List}` and `Remove{List}`: a retention
/// policy's locations.
pub fn set_by_add_remove(kind: &str) -> &'static [&'static str] {
    match kind {
        "retentionCompliancePolicy" => RETENTION_LOCATIONS,
        "labelPolicy" => LABEL_POLICY_LISTS,
        "autoSensitivityLabelPolicy" => AUTO_LABEL_LOCATIONS,
        _ => &[],
    }
}

/// Every Exchange kind, in the order `KINDS` lists them.
pub static EXCHANGE_KINDS: [KindSpec; 32] = [
    REMOTE_DOMAIN,
    ACCEPTED_DOMAIN,
    HOSTED_CONNECTION_FILTER_POLICY,
    HOSTED_CONTENT_FILTER_POLICY,
    HOSTED_OUTBOUND_SPAM_FILTER_POLICY,
    MALWARE_FILTER_POLICY,
    ATP_POLICY_FOR_O365,
    SAFE_LINKS_POLICY,
    SAFE_LINKS_RULE,
    SAFE_ATTACHMENT_POLICY,
    SAFE_ATTACHMENT_RULE,
    ANTI_PHISH_POLICY,
    ANTI_PHISH_RULE,
    DKIM_SIGNING_CONFIG,
    OWA_MAILBOX_POLICY,
    ORGANIZATION_CONFIG,
    TRANSPORT_CONFIG,
    AUTHENTICATION_POLICY,
    CAS_MAILBOX_PLAN,
    TRANSPORT_RULE,
    RETENTION_POLICY_TAG,
    RETENTION_POLICY,
    INBOUND_CONNECTOR,
    OUTBOUND_CONNECTOR,
    ADDRESS_LIST,
    GLOBAL_ADDRESS_LIST,
    ORGANIZATION_ADD_INS,
    JOURNAL_RULES,
    MAILBOX_PLAN,
    MAILBOXES,
    MAILBOX_USERS,
    MAILBOX_REGIONAL_CONFIGURATIONS,
];

/// The parameter `New-{Noun}` names a new object by, when it is not the kind's identity
/// property: a DKIM signing configuration is read back by `Name` (its domain) but created with
/// `-DomainName`.
pub fn new_identity_parameter(kind: &str) -> Option<&'static str> {
    match kind {
        "dkimSigningConfig" => Some("DomainName"),
        _ => None,
    }
}

/// What `New-{Noun}` takes of a kind, beside its identity (which a create always sends).
enum NewTakes {
    /// The kind's compared and create-only properties but these (`Set-`'s alone, or read
    /// only); a switched rule's state as `-Enabled` (see [`has_switched_state`]).
    AllBut(&'static [&'static str]),
    /// Only these: the kind compares far more than `New-` takes, and `Set-` sends the rest.
    Only(&'static [&'static str]),
}

/// What `New-{Noun}` takes for a kind; None for a kind nothing creates (organisation-wide
/// singletons, and the adopted-only kinds: see [`Lifecycle::AdoptedOnly`]).
fn new_takes(kind: &str) -> Option<NewTakes> {
    use NewTakes::{AllBut, Only};
    Some(match kind {
        "unifiedAuditLogRetentionPolicy"
        | "retentionCompliancePolicy"
        | "retentionComplianceRule"
        | "labelPolicy"
        | "autoSensitivityLabelPolicy"
        | "autoSensitivityLabelRule"
        | "hostedOutboundSpamFilterPolicy"
        | "safeAttachmentPolicy"
        | "antiPhishPolicy"
        | "transportRule"
        | "safeLinksRule"
        | "safeAttachmentRule"
        | "antiPhishRule" => AllBut(&[]),
        // New- takes every parameter of these kinds (Type only there), so none is created
        // half-configured.
        "retentionPolicyTag" | "retentionPolicy" | "inboundConnector" | "outboundConnector" => {
            AllBut(&[])
        }
        // New-AddressList takes Set-'s parameters (and a Container, which the blueprint
        // leaves at the root).
        "addressList" | "globalAddressList" => AllBut(&[]),
        // Priority is Set-Label's only.
        "label" => AllBut(&["Priority"]),
        "hostedContentFilterPolicy" => AllBut(&["MakeDefault"]),
        "malwareFilterPolicy" => AllBut(&["IsPolicyOverrideApplied", "MakeDefault"]),
        "safeLinksPolicy" => AllBut(&["LocalizedNotificationTextList"]),
        // Named by -DomainName on New- (new_identity_parameter).
        "dkimSigningConfig" => AllBut(&["PublishTxtRecords"]),
        "authenticationPolicy" => AllBut(&[
            "AllowLegacyExchangeTokens",
            "BlockLegacyExchangeTokens",
            "TenantId",
        ]),
        "remoteDomain" => Only(&["Name", "DomainName"]),
        "owaMailboxPolicy" => Only(&["Name", "IsDefault"]),
        _ => return None,
    })
}

/// The parameters `New-{Noun}` takes for a kind (its identity among them); empty for a kind
/// nothing creates.
pub fn new_parameters(kind: &str) -> Vec<&'static str> {
    let (Some(spec), Some(takes)) = (crate::kinds::kind(kind), new_takes(kind)) else {
        return Vec::new();
    };
    match takes {
        NewTakes::Only(listed) => listed.to_vec(),
        NewTakes::AllBut(but) => {
            let identity = match spec.identity {
                IdentityKey::Property(p) => Some(p),
                IdentityKey::Singleton => None,
            };
            let switched = has_switched_state(spec);
            identity
                .into_iter()
                .chain(
                    spec.properties
                        .iter()
                        .chain(spec.create_only)
                        .filter(|p| !but.contains(p) && Some(**p) != identity)
                        .map(|p| {
                            if switched && *p == RULE_STATE {
                                "Enabled"
                            } else {
                                p
                            }
                        }),
                )
                .collect()
        }
    }
}

/// A rule family's `State` (`Enabled`/`Disabled`), which `Get-` returns and no `Set-` takes:
/// `New-{Noun}` takes it as `-Enabled`, and `Enable-`/`Disable-{Noun}` switch it after.
pub const RULE_STATE: &str = "State";

/// Whether a kind is a rule family whose [`RULE_STATE`] is switched by `Enable-`/`Disable-`.
pub fn has_switched_state(kind: &KindSpec) -> bool {
    [
        TRANSPORT_RULE.name,
        SAFE_LINKS_RULE.name,
        SAFE_ATTACHMENT_RULE.name,
        ANTI_PHISH_RULE.name,
    ]
    .contains(&kind.name)
}

/// The cmdlet noun of an Exchange or Security & Compliance kind (`RemoteDomain` for
/// `/exchange/RemoteDomain`, `RetentionCompliancePolicy` for
/// `/compliance/RetentionCompliancePolicy`).
pub fn noun(kind: &KindSpec) -> Option<&'static str> {
    match kind.api {
        Api::ExchangeAdmin => kind.path.strip_prefix("/exchange/"),
        Api::ComplianceAdmin => kind.path.strip_prefix("/compliance/"),
        _ => None,
    }
}
