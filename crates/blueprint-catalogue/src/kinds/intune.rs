//! Intune's device configuration profiles (`/deviceManagement/deviceConfigurations`), one kind
//! with a derived type per profile type. Property lists are each derived type's own properties
//! in Microsoft's Graph v1.0 metadata (`clean_v10_metadata/cleanMetadata.xml`), so a setting
//! only beta has is refused by `catalogue validate`, as Graph v1.0 would refuse it.
//!
//! A custom profile's OMA-URI settings are matched by `omaUri`: drift names the one setting that
//! changed, and an update keeps the settings an agency added by hand beside the blueprint's.

use super::{
    Access, ActionWrite, Api, Definitions, Expand, Find, Grant, IdentityKey, KindSpec, Lifecycle,
    ParameterSource, PathParameter, Permissions, SetByAction,
};

/// `windows10CustomConfiguration`: its own properties in Microsoft's v1.0 metadata (1).
const WINDOWS10_CUSTOM: &[&str] = &["omaSettings"];

/// `windowsUpdateForBusinessConfiguration`: its own properties in Microsoft's v1.0 metadata (36).
const WINDOWS_UPDATE_FOR_BUSINESS: &[&str] = &[
    "allowWindows11Upgrade",
    "automaticUpdateMode",
    "autoRestartNotificationDismissal",
    "businessReadyUpdatesOnly",
    "deadlineForFeatureUpdatesInDays",
    "deadlineForQualityUpdatesInDays",
    "deadlineGracePeriodInDays",
    "deliveryOptimizationMode",
    "driversExcluded",
    "engagedRestartDeadlineInDays",
    "engagedRestartSnoozeScheduleInDays",
    "engagedRestartTransitionScheduleInDays",
    "featureUpdatesDeferralPeriodInDays",
    "featureUpdatesPaused",
    "featureUpdatesPauseExpiryDateTime",
    "featureUpdatesPauseStartDate",
    "featureUpdatesRollbackStartDateTime",
    "featureUpdatesRollbackWindowInDays",
    "featureUpdatesWillBeRolledBack",
    "installationSchedule",
    "microsoftUpdateServiceAllowed",
    "postponeRebootUntilAfterDeadline",
    "prereleaseFeatures",
    "qualityUpdatesDeferralPeriodInDays",
    "qualityUpdatesPaused",
    "qualityUpdatesPauseExpiryDateTime",
    "qualityUpdatesPauseStartDate",
    "qualityUpdatesRollbackStartDateTime",
    "qualityUpdatesWillBeRolledBack",
    "scheduleImminentRestartWarningInMinutes",
    "scheduleRestartWarningInHours",
    "skipChecksBeforeRestart",
    "updateNotificationLevel",
    "updateWeeks",
    "userPauseAccess",
    "userWindowsUpdateScanAccess",
];

/// `iosUpdateConfiguration`: its own properties in Microsoft's v1.0 metadata (4).
const IOS_UPDATE: &[&str] = &[
    "activeHoursEnd",
    "activeHoursStart",
    "scheduledInstallDays",
    "utcTimeOffsetInMinutes",
];

/// `windows10GeneralConfiguration`: its own properties in Microsoft's v1.0 metadata (201).
const WINDOWS10_GENERAL: &[&str] = &[
    "accountsBlockAddingNonMicrosoftAccountEmail",
    "antiTheftModeBlocked",
    "appsAllowTrustedAppsSideloading",
    "appsBlockWindowsStoreOriginatedApps",
    "bluetoothAllowedServices",
    "bluetoothBlockAdvertising",
    "bluetoothBlockDiscoverableMode",
    "bluetoothBlocked",
    "bluetoothBlockPrePairing",
    "cameraBlocked",
    "cellularBlockDataWhenRoaming",
    "cellularBlockVpn",
    "cellularBlockVpnWhenRoaming",
    "certificatesBlockManualRootCertificateInstallation",
    "connectedDevicesServiceBlocked",
    "copyPasteBlocked",
    "cortanaBlocked",
    "defenderBlockEndUserAccess",
    "defenderCloudBlockLevel",
    "defenderDaysBeforeDeletingQuarantinedMalware",
    "defenderDetectedMalwareActions",
    "defenderFileExtensionsToExclude",
    "defenderFilesAndFoldersToExclude",
    "defenderMonitorFileActivity",
    "defenderProcessesToExclude",
    "defenderPromptForSampleSubmission",
    "defenderRequireBehaviorMonitoring",
    "defenderRequireCloudProtection",
    "defenderRequireNetworkInspectionSystem",
    "defenderRequireRealTimeMonitoring",
    "defenderScanArchiveFiles",
    "defenderScanDownloads",
    "defenderScanIncomingMail",
    "defenderScanMappedNetworkDrivesDuringFullScan",
    "defenderScanMaxCpu",
    "defenderScanNetworkFiles",
    "defenderScanRemovableDrivesDuringFullScan",
    "defenderScanScriptsLoadedInInternetExplorer",
    "defenderScanType",
    "defenderScheduledQuickScanTime",
    "defenderScheduledScanTime",
    "defenderSignatureUpdateIntervalInHours",
    "defenderSystemScanSchedule",
    "developerUnlockSetting",
    "deviceManagementBlockFactoryResetOnMobile",
    "deviceManagementBlockManualUnenroll",
    "diagnosticsDataSubmissionMode",
    "edgeAllowStartPagesModification",
    "edgeBlockAccessToAboutFlags",
    "edgeBlockAddressBarDropdown",
    "edgeBlockAutofill",
    "edgeBlockCompatibilityList",
    "edgeBlockDeveloperTools",
    "edgeBlocked",
    "edgeBlockExtensions",
    "edgeBlockInPrivateBrowsing",
    "edgeBlockJavaScript",
    "edgeBlockLiveTileDataCollection",
    "edgeBlockPasswordManager",
    "edgeBlockPopups",
    "edgeBlockSearchSuggestions",
    "edgeBlockSendingDoNotTrackHeader",
    "edgeBlockSendingIntranetTrafficToInternetExplorer",
    "edgeClearBrowsingDataOnExit",
    "edgeCookiePolicy",
    "edgeDisableFirstRunPage",
    "edgeEnterpriseModeSiteListLocation",
    "edgeFirstRunUrl",
    "edgeHomepageUrls",
    "edgeRequireSmartScreen",
    "edgeSearchEngine",
    "edgeSendIntranetTrafficToInternetExplorer",
    "edgeSyncFavoritesWithInternetExplorer",
    "enterpriseCloudPrintDiscoveryEndPoint",
    "enterpriseCloudPrintDiscoveryMaxLimit",
    "enterpriseCloudPrintMopriaDiscoveryResourceIdentifier",
    "enterpriseCloudPrintOAuthAuthority",
    "enterpriseCloudPrintOAuthClientIdentifier",
    "enterpriseCloudPrintResourceIdentifier",
    "experienceBlockDeviceDiscovery",
    "experienceBlockErrorDialogWhenNoSIM",
    "experienceBlockTaskSwitcher",
    "gameDvrBlocked",
    "internetSharingBlocked",
    "locationServicesBlocked",
    "lockScreenAllowTimeoutConfiguration",
    "lockScreenBlockActionCenterNotifications",
    "lockScreenBlockCortana",
    "lockScreenBlockToastNotifications",
    "lockScreenTimeoutInSeconds",
    "logonBlockFastUserSwitching",
    "microsoftAccountBlocked",
    "microsoftAccountBlockSettingsSync",
    "networkProxyApplySettingsDeviceWide",
    "networkProxyAutomaticConfigurationUrl",
    "networkProxyDisableAutoDetect",
    "networkProxyServer",
    "nfcBlocked",
    "oneDriveDisableFileSync",
    "passwordBlockSimple",
    "passwordExpirationDays",
    "passwordMinimumCharacterSetCount",
    "passwordMinimumLength",
    "passwordMinutesOfInactivityBeforeScreenTimeout",
    "passwordPreviousPasswordBlockCount",
    "passwordRequired",
    "passwordRequiredType",
    "passwordRequireWhenResumeFromIdleState",
    "passwordSignInFailureCountBeforeFactoryReset",
    "personalizationDesktopImageUrl",
    "personalizationLockScreenImageUrl",
    "privacyAdvertisingId",
    "privacyAutoAcceptPairingAndConsentPrompts",
    "privacyBlockInputPersonalization",
    "resetProtectionModeBlocked",
    "safeSearchFilter",
    "screenCaptureBlocked",
    "searchBlockDiacritics",
    "searchDisableAutoLanguageDetection",
    "searchDisableIndexerBackoff",
    "searchDisableIndexingEncryptedItems",
    "searchDisableIndexingRemovableDrive",
    "searchEnableAutomaticIndexSizeManangement",
    "searchEnableRemoteQueries",
    "settingsBlockAccountsPage",
    "settingsBlockAddProvisioningPackage",
    "settingsBlockAppsPage",
    "settingsBlockChangeLanguage",
    "settingsBlockChangePowerSleep",
    "settingsBlockChangeRegion",
    "settingsBlockChangeSystemTime",
    "settingsBlockDevicesPage",
    "settingsBlockEaseOfAccessPage",
    "settingsBlockEditDeviceName",
    "settingsBlockGamingPage",
    "settingsBlockNetworkInternetPage",
    "settingsBlockPersonalizationPage",
    "settingsBlockPrivacyPage",
    "settingsBlockRemoveProvisioningPackage",
    "settingsBlockSettingsApp",
    "settingsBlockSystemPage",
    "settingsBlockTimeLanguagePage",
    "settingsBlockUpdateSecurityPage",
    "sharedUserAppDataAllowed",
    "smartScreenBlockPromptOverride",
    "smartScreenBlockPromptOverrideForFiles",
    "smartScreenEnableAppInstallControl",
    "startBlockUnpinningAppsFromTaskbar",
    "startMenuAppListVisibility",
    "startMenuHideChangeAccountSettings",
    "startMenuHideFrequentlyUsedApps",
    "startMenuHideHibernate",
    "startMenuHideLock",
    "startMenuHidePowerButton",
    "startMenuHideRecentJumpLists",
    "startMenuHideRecentlyAddedApps",
    "startMenuHideRestartOptions",
    "startMenuHideShutDown",
    "startMenuHideSignOut",
    "startMenuHideSleep",
    "startMenuHideSwitchAccount",
    "startMenuHideUserTile",
    "startMenuLayoutEdgeAssetsXml",
    "startMenuLayoutXml",
    "startMenuMode",
    "startMenuPinnedFolderDocuments",
    "startMenuPinnedFolderDownloads",
    "startMenuPinnedFolderFileExplorer",
    "startMenuPinnedFolderHomeGroup",
    "startMenuPinnedFolderMusic",
    "startMenuPinnedFolderNetwork",
    "startMenuPinnedFolderPersonalFolder",
    "startMenuPinnedFolderPictures",
    "startMenuPinnedFolderSettings",
    "startMenuPinnedFolderVideos",
    "storageBlockRemovableStorage",
    "storageRequireMobileDeviceEncryption",
    "storageRestrictAppDataToSystemVolume",
    "storageRestrictAppInstallToSystemVolume",
    "tenantLockdownRequireNetworkDuringOutOfBoxExperience",
    "usbBlocked",
    "voiceRecordingBlocked",
    "webRtcBlockLocalhostIpAddress",
    "wiFiBlockAutomaticConnectHotspots",
    "wiFiBlocked",
    "wiFiBlockManualConfiguration",
    "wiFiScanInterval",
    "windowsSpotlightBlockConsumerSpecificFeatures",
    "windowsSpotlightBlocked",
    "windowsSpotlightBlockOnActionCenter",
    "windowsSpotlightBlockTailoredExperiences",
    "windowsSpotlightBlockThirdPartyNotifications",
    "windowsSpotlightBlockWelcomeExperience",
    "windowsSpotlightBlockWindowsTips",
    "windowsSpotlightConfigureOnLockScreen",
    "windowsStoreBlockAutoUpdate",
    "windowsStoreBlocked",
    "windowsStoreEnablePrivateStoreOnly",
    "wirelessDisplayBlockProjectionToThisDevice",
    "wirelessDisplayBlockUserInputFromReceiver",
    "wirelessDisplayRequirePinForPairing",
];

/// `windows10EndpointProtectionConfiguration`: its own properties in Microsoft's v1.0 metadata (36).
const WINDOWS10_ENDPOINT_PROTECTION: &[&str] = &[
    "applicationGuardAllowPersistence",
    "applicationGuardAllowPrintToLocalPrinters",
    "applicationGuardAllowPrintToNetworkPrinters",
    "applicationGuardAllowPrintToPDF",
    "applicationGuardAllowPrintToXPS",
    "applicationGuardBlockClipboardSharing",
    "applicationGuardBlockFileTransfer",
    "applicationGuardBlockNonEnterpriseContent",
    "applicationGuardEnabled",
    "applicationGuardForceAuditing",
    "appLockerApplicationControl",
    "bitLockerDisableWarningForOtherDiskEncryption",
    "bitLockerEnableStorageCardEncryptionOnMobile",
    "bitLockerEncryptDevice",
    "bitLockerRemovableDrivePolicy",
    "defenderAdditionalGuardedFolders",
    "defenderAttackSurfaceReductionExcludedPaths",
    "defenderExploitProtectionXml",
    "defenderExploitProtectionXmlFileName",
    "defenderGuardedFoldersAllowedAppPaths",
    "defenderSecurityCenterBlockExploitProtectionOverride",
    "firewallBlockStatefulFTP",
    "firewallCertificateRevocationListCheckMethod",
    "firewallIdleTimeoutForSecurityAssociationInSeconds",
    "firewallIPSecExemptionsAllowDHCP",
    "firewallIPSecExemptionsAllowICMP",
    "firewallIPSecExemptionsAllowNeighborDiscovery",
    "firewallIPSecExemptionsAllowRouterDiscovery",
    "firewallMergeKeyingModuleSettings",
    "firewallPacketQueueingMethod",
    "firewallPreSharedKeyEncodingMethod",
    "firewallProfileDomain",
    "firewallProfilePrivate",
    "firewallProfilePublic",
    "smartScreenBlockOverrideForFiles",
    "smartScreenEnableInShell",
];

/// `iosGeneralDeviceConfiguration`: its own properties in Microsoft's v1.0 metadata (131).
const IOS_GENERAL: &[&str] = &[
    "accountBlockModification",
    "activationLockAllowWhenSupervised",
    "airDropBlocked",
    "airDropForceUnmanagedDropTarget",
    "airPlayForcePairingPasswordForOutgoingRequests",
    "appleNewsBlocked",
    "appleWatchBlockPairing",
    "appleWatchForceWristDetection",
    "appsSingleAppModeList",
    "appStoreBlockAutomaticDownloads",
    "appStoreBlocked",
    "appStoreBlockInAppPurchases",
    "appStoreBlockUIAppInstallation",
    "appStoreRequirePassword",
    "appsVisibilityList",
    "appsVisibilityListType",
    "bluetoothBlockModification",
    "cameraBlocked",
    "cellularBlockDataRoaming",
    "cellularBlockGlobalBackgroundFetchWhileRoaming",
    "cellularBlockPerAppDataModification",
    "cellularBlockPersonalHotspot",
    "cellularBlockVoiceRoaming",
    "certificatesBlockUntrustedTlsCertificates",
    "classroomAppBlockRemoteScreenObservation",
    "classroomAppForceUnpromptedScreenObservation",
    "compliantAppListType",
    "compliantAppsList",
    "configurationProfileBlockChanges",
    "definitionLookupBlocked",
    "deviceBlockEnableRestrictions",
    "deviceBlockEraseContentAndSettings",
    "deviceBlockNameModification",
    "diagnosticDataBlockSubmission",
    "diagnosticDataBlockSubmissionModification",
    "documentsBlockManagedDocumentsInUnmanagedApps",
    "documentsBlockUnmanagedDocumentsInManagedApps",
    "emailInDomainSuffixes",
    "enterpriseAppBlockTrust",
    "enterpriseAppBlockTrustModification",
    "faceTimeBlocked",
    "findMyFriendsBlocked",
    "gameCenterBlocked",
    "gamingBlockGameCenterFriends",
    "gamingBlockMultiplayer",
    "hostPairingBlocked",
    "iBooksStoreBlocked",
    "iBooksStoreBlockErotica",
    "iCloudBlockActivityContinuation",
    "iCloudBlockBackup",
    "iCloudBlockDocumentSync",
    "iCloudBlockManagedAppsSync",
    "iCloudBlockPhotoLibrary",
    "iCloudBlockPhotoStreamSync",
    "iCloudBlockSharedPhotoStream",
    "iCloudRequireEncryptedBackup",
    "iTunesBlockExplicitContent",
    "iTunesBlockMusicService",
    "iTunesBlockRadio",
    "keyboardBlockAutoCorrect",
    "keyboardBlockDictation",
    "keyboardBlockPredictive",
    "keyboardBlockShortcuts",
    "keyboardBlockSpellCheck",
    "kioskModeAllowAssistiveSpeak",
    "kioskModeAllowAssistiveTouchSettings",
    "kioskModeAllowAutoLock",
    "kioskModeAllowColorInversionSettings",
    "kioskModeAllowRingerSwitch",
    "kioskModeAllowScreenRotation",
    "kioskModeAllowSleepButton",
    "kioskModeAllowTouchscreen",
    "kioskModeAllowVoiceOverSettings",
    "kioskModeAllowVolumeButtons",
    "kioskModeAllowZoomSettings",
    "kioskModeAppStoreUrl",
    "kioskModeBuiltInAppId",
    "kioskModeManagedAppId",
    "kioskModeRequireAssistiveTouch",
    "kioskModeRequireColorInversion",
    "kioskModeRequireMonoAudio",
    "kioskModeRequireVoiceOver",
    "kioskModeRequireZoom",
    "lockScreenBlockControlCenter",
    "lockScreenBlockNotificationView",
    "lockScreenBlockPassbook",
    "lockScreenBlockTodayView",
    "mediaContentRatingApps",
    "mediaContentRatingAustralia",
    "mediaContentRatingCanada",
    "mediaContentRatingFrance",
    "mediaContentRatingGermany",
    "mediaContentRatingIreland",
    "mediaContentRatingJapan",
    "mediaContentRatingNewZealand",
    "mediaContentRatingUnitedKingdom",
    "mediaContentRatingUnitedStates",
    "messagesBlocked",
    "networkUsageRules",
    "notificationsBlockSettingsModification",
    "passcodeBlockFingerprintModification",
    "passcodeBlockFingerprintUnlock",
    "passcodeBlockModification",
    "passcodeBlockSimple",
    "passcodeExpirationDays",
    "passcodeMinimumCharacterSetCount",
    "passcodeMinimumLength",
    "passcodeMinutesOfInactivityBeforeLock",
    "passcodeMinutesOfInactivityBeforeScreenTimeout",
    "passcodePreviousPasscodeBlockCount",
    "passcodeRequired",
    "passcodeRequiredType",
    "passcodeSignInFailureCountBeforeWipe",
    "podcastsBlocked",
    "safariBlockAutofill",
    "safariBlocked",
    "safariBlockJavaScript",
    "safariBlockPopups",
    "safariCookieSettings",
    "safariManagedDomains",
    "safariPasswordAutoFillDomains",
    "safariRequireFraudWarning",
    "screenCaptureBlocked",
    "siriBlocked",
    "siriBlockedWhenLocked",
    "siriBlockUserGeneratedContent",
    "siriRequireProfanityFilter",
    "spotlightBlockInternetResults",
    "voiceDialingBlocked",
    "wallpaperBlockModification",
    "wiFiConnectOnlyToConfiguredNetworks",
];

/// `iosDeviceFeaturesConfiguration`: its own properties in Microsoft's v1.0 metadata (5; its
/// base `appleDeviceFeaturesConfigurationBase` has none). The wallpaper (`wallpaperImage`,
/// `wallpaperDisplayLocation`) and the rest of the device features are beta-only.
const IOS_DEVICE_FEATURES: &[&str] = &[
    "assetTagTemplate",
    "homeScreenDockIcons",
    "homeScreenPages",
    "lockScreenFootnote",
    "notificationSettings",
];

/// Device configuration profiles. Assignments go through `POST {id}/assign` (the engine's
/// side door for `assignments`), as for compliance policies.
pub(super) const DEVICE_CONFIGURATION: KindSpec = KindSpec {
    name: "deviceConfiguration",
    path: "/deviceManagement/deviceConfigurations",
    identity: IdentityKey::Property("displayName"),
    properties: &["displayName", "description", "assignments"],
    derived: &[
        (
            "#microsoft.graph.windows10CustomConfiguration",
            WINDOWS10_CUSTOM,
        ),
        (
            "#microsoft.graph.windowsUpdateForBusinessConfiguration",
            WINDOWS_UPDATE_FOR_BUSINESS,
        ),
        ("#microsoft.graph.iosUpdateConfiguration", IOS_UPDATE),
        (
            "#microsoft.graph.windows10GeneralConfiguration",
            WINDOWS10_GENERAL,
        ),
        (
            "#microsoft.graph.windows10EndpointProtectionConfiguration",
            WINDOWS10_ENDPOINT_PROTECTION,
        ),
        (
            "#microsoft.graph.iosGeneralDeviceConfiguration",
            IOS_GENERAL,
        ),
        (
            "#microsoft.graph.iosDeviceFeaturesConfiguration",
            IOS_DEVICE_FEATURES,
        ),
    ],
    create_only: &[],
    keyed_arrays: &[("omaSettings", "omaUri")],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    // intune-deviceconfig-*-create/-update/-get: DeviceManagementConfiguration.ReadWrite.All
    // (and .Read.All to read), nothing narrower.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access::ASSIGNED,
};

/// `windowsDeliveryOptimizationConfiguration` (Delivery Optimisation): its own properties in
/// Graph beta (msgraph-metadata's schemas/type-mappings/beta-entity-types.json; types from the
/// beta reference page intune-deviceconfig-windowsdeliveryoptimizationconfiguration). Graph
/// v1.0's metadata has no such type.
const WINDOWS_DELIVERY_OPTIMIZATION: &[&str] = &[
    "backgroundDownloadFromHttpDelayInSeconds",
    "bandwidthMode",
    "cacheServerBackgroundDownloadFallbackToHttpDelayInSeconds",
    "cacheServerForegroundDownloadFallbackToHttpDelayInSeconds",
    "cacheServerHostNames",
    "deliveryOptimizationMode",
    "foregroundDownloadFromHttpDelayInSeconds",
    "groupIdSource",
    "maximumCacheAgeInDays",
    "maximumCacheSize",
    "minimumBatteryPercentageAllowedToUpload",
    "minimumDiskSizeAllowedToPeerInGigabytes",
    "minimumFileSizeToCacheInMegabytes",
    "minimumRamAllowedToPeerInGigabytes",
    "modifyCacheLocation",
    "restrictPeerSelectionBy",
    "vpnPeerCaching",
];

/// `windows10NetworkBoundaryConfiguration` (Network Boundary): its own property in Graph beta
/// (beta-entity-types.json; the beta reference page intune-deviceconfig-
/// windows10networkboundaryconfiguration): the network isolation policy, a complex value.
const WINDOWS10_NETWORK_BOUNDARY: &[&str] = &["windowsNetworkIsolationPolicy"];

/// The iOS VPN profile (`iosVpnConfiguration`, beta only: v1.0 has no Apple VPN type): the
/// properties a client writes of appleVpnConfiguration and iosVpnConfiguration in Microsoft's
/// beta metadata (type mappings; intune-deviceconfig-iosvpnconfiguration-create), less the
/// navigation properties (the identity certificate and derived credential settings, objects of
/// their own). The ABAC's "Custom - Per App VPN" (intune-ios-per-app-vpn) writes it once the
/// profile names the agency's VPN provider and server.
const IOS_VPN: &[&str] = &[
    "associatedDomains",
    "authenticationMethod",
    "connectionName",
    "connectionType",
    "customData",
    "customKeyValueData",
    "disableOnDemandUserOverride",
    "disconnectOnIdle",
    "disconnectOnIdleTimerInSeconds",
    "enablePerApp",
    "enableSplitTunneling",
    "excludedDomains",
    "excludeLocalNetworks",
    "identifier",
    "includeAllNetworks",
    "loginGroupOrDomain",
    "onDemandRules",
    "optInToDeviceIdSharing",
    "providerType",
    "proxyServer",
    "realm",
    "role",
    "safariDomains",
    "server",
    "cloudName",
    "excludeList",
    "microsoftTunnelSiteId",
    "strictEnforcement",
    "targetedMobileApps",
    "userDomain",
];

/// `windows10GeneralConfiguration` (device restrictions): the properties Microsoft's beta
/// metadata has and v1.0's lacks (beta-entity-types.json less clean_v10_metadata) that the
/// blueprint sets: Windows Installer's user control and elevated installs, Autopilot Reset,
/// direct memory access, voice activation above the lock screen, the preferred tenant domain,
/// web results in search, hybrid sleep on battery and plugged in.
const WINDOWS10_GENERAL_BETA: &[&str] = &[
    "appManagementMSIAllowUserControlOverInstall",
    "appManagementMSIAlwaysInstallWithElevatedPrivileges",
    "enableAutomaticRedeployment",
    "dataProtectionBlockDirectMemoryAccess",
    "lockScreenActivateAppsWithVoice",
    "authenticationPreferredAzureADTenantDomainName",
    "searchBlockWebResults",
    "powerHybridSleepOnBattery",
    "powerHybridSleepPluggedIn",
];

/// `windows10EndpointProtectionConfiguration` (endpoint protection): the beta-only properties
/// (as for [`WINDOWS10_GENERAL_BETA`]) the blueprint sets: the local device security options,
/// the LAN Manager settings and the Xbox services' start types.
const WINDOWS10_ENDPOINT_PROTECTION_BETA: &[&str] = &[
    "localSecurityOptionsBlockMicrosoftAccounts",
    "localSecurityOptionsBlockRemoteLogonWithBlankPassword",
    "localSecurityOptionsDisableAdministratorAccount",
    "localSecurityOptionsAdministratorAccountName",
    "localSecurityOptionsDisableGuestAccount",
    "localSecurityOptionsGuestAccountName",
    "localSecurityOptionsMachineInactivityLimitInMinutes",
    "localSecurityOptionsInformationShownOnLockScreen",
    "localSecurityOptionsRestrictAnonymousAccessToNamedPipesAndShares",
    "localSecurityOptionsDoNotAllowAnonymousEnumerationOfSAMAccounts",
    "localSecurityOptionsAllowAnonymousEnumerationOfSAMAccountsAndShares",
    "localSecurityOptionsDoNotStoreLANManagerHashValueOnNextPasswordChange",
    "localSecurityOptionsAllowPKU2UAuthenticationRequests",
    "localSecurityOptionsAllowRemoteCallsToSecurityAccountsManagerHelperBool",
    "localSecurityOptionsAllowRemoteCallsToSecurityAccountsManager",
    "localSecurityOptionsMinimumSessionSecurityForNtlmSspBasedClients",
    "localSecurityOptionsMinimumSessionSecurityForNtlmSspBasedServers",
    "lanManagerAuthenticationLevel",
    "lanManagerWorkstationDisableInsecureGuestLogons",
    "localSecurityOptionsAllowUIAccessApplicationsForSecureLocations",
    "localSecurityOptionsVirtualizeFileAndRegistryWriteFailuresToPerUserLocations",
    "localSecurityOptionsDetectApplicationInstallationsAndPromptForElevation",
    "localSecurityOptionsUseAdminApprovalMode",
    "localSecurityOptionsUseAdminApprovalModeForAdministrators",
    "localSecurityOptionsClientSendUnencryptedPasswordToThirdPartySMBServers",
    "localSecurityOptionsDisableServerDigitallySignCommunicationsAlways",
    "localSecurityOptionsClientDigitallySignCommunicationsAlways",
    "xboxServicesAccessoryManagementServiceStartupMode",
    "xboxServicesLiveAuthManagerServiceStartupMode",
    "xboxServicesLiveGameSaveServiceStartupMode",
    "xboxServicesLiveNetworkingServiceStartupMode",
];

/// Intune device configuration profiles through Graph beta: the same collection as
/// [`DEVICE_CONFIGURATION`], read and written under `/beta`, assigned through
/// `POST {id}/assign`. Found by display name among the profiles of the desired object's own
/// type (`Access::only_of_own_type`): a profile of another type an agency named the same is not
/// this profile, and Graph would refuse to change its type.
///
/// A profile type only beta has (Delivery Optimisation, Network Boundary) is this kind's own
/// object, created when missing. A type v1.0 has too (device restrictions, endpoint protection)
/// is the v1.0 resource's object ([`KindSpec::adds_to`]): this kind PATCHes only the beta-only
/// settings onto it, never creating it, so `[graph] beta = false` leaves a complete v1.0
/// profile and only those settings manual.
pub(super) const DEVICE_CONFIGURATION_BETA: KindSpec = KindSpec {
    name: "deviceConfigurationBeta",
    path: "/deviceManagement/deviceConfigurations",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "roleScopeTagIds",
        "assignments",
    ],
    derived: &[
        (
            "#microsoft.graph.windowsDeliveryOptimizationConfiguration",
            WINDOWS_DELIVERY_OPTIMIZATION,
        ),
        (
            "#microsoft.graph.windows10NetworkBoundaryConfiguration",
            WINDOWS10_NETWORK_BOUNDARY,
        ),
        ("#microsoft.graph.iosVpnConfiguration", IOS_VPN),
        (
            "#microsoft.graph.windows10GeneralConfiguration",
            WINDOWS10_GENERAL_BETA,
        ),
        (
            "#microsoft.graph.windows10EndpointProtectionConfiguration",
            WINDOWS10_ENDPOINT_PROTECTION_BETA,
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    // intune-deviceconfig-windowsdeliveryoptimizationconfiguration-create/-update/-get,
    // intune-deviceconfig-windows10generalconfiguration-update,
    // intune-deviceconfig-iosvpnconfiguration-create/-list and
    // intune-deviceconfig-deviceconfiguration-assign (beta):
    // DeviceManagementConfiguration.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: DEVICE_CONFIGURATION.permissions,
    access: Access {
        only_of_own_type: true,
        adds_to: Some(&DEVICE_CONFIGURATION),
        ..Access::ASSIGNED
    },
};

/// Settings catalog policies (`/deviceManagement/configurationPolicies`, Graph beta only): the
/// endpoint security policies (antivirus, Windows Security experience, BitLocker, firewall, EDR,
/// attack surface reduction, account protection) and any settings catalog profile. Properties
/// are `deviceManagementConfigurationPolicy`'s in Microsoft's beta metadata that a client
/// writes; `settings` is a navigation property Graph takes inline on POST and PUT and returns
/// with `$expand=settings`, `assignments` goes through `POST {id}/assign`.
///
/// Settings are matched by their setting definition id, so drift names the one setting that
/// changed and an update keeps settings an agency added by hand beside the blueprint's. A group
/// collection's items are matched by their name child where they have one (a firewall rule,
/// [`crate::firewall::RULE_KEY`]), and their children by definition id.
pub(super) const CONFIGURATION_POLICY: KindSpec = KindSpec {
    name: "configurationPolicy",
    path: "/deviceManagement/configurationPolicies",
    identity: IdentityKey::Property("name"),
    properties: &[
        "name",
        "description",
        "platforms",
        "technologies",
        "roleScopeTagIds",
        "templateReference",
        "settings",
        "assignments",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[
        ("settings", "settingInstance.settingDefinitionId"),
        // The Windows Firewall Rules policies' rules, each by its name, and a rule's settings
        // by definition id: drift names the one rule setting that differs.
        (
            "settings[].settingInstance.groupSettingCollectionValue",
            crate::firewall::RULE_KEY,
        ),
        (
            "settings[].settingInstance.groupSettingCollectionValue[].children",
            "settingDefinitionId",
        ),
    ],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    // intune-deviceconfigv2-devicemanagementconfigurationpolicy-create/-update/-get/-assign:
    // DeviceManagementConfiguration.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access {
        expand: Some(Expand {
            query: "settings",
            on_list: false,
        }),
        replaced_whole: true,
        ..Access::ASSIGNED
    },
};

/// The key of an administrative template value: its definition's class (`user`, `machine`),
/// category path and name, which is how the ABAC (and the Intune portal) names a setting.
pub const DEFINITION_VALUE_KEY: &str =
    "definition.classType+definition.categoryPath+definition.displayName";

/// An administrative template value's options (`presentationValues`), each keyed by its
/// presentation's label (how the blueprint and the portal name an option), so drift names the
/// one option that differs.
pub const PRESENTATION_VALUE_KEYS: (&str, &str) = (
    "definitionValues[].presentationValues",
    "presentation.label",
);

/// An administrative template's values, written through `POST {id}/updateDefinitionValues`
/// and each bound to one of Intune's `groupPolicyDefinitions` (see [`GROUP_POLICY_CONFIGURATION`]).
const DEFINITION_VALUES_WRITE: ActionWrite = ActionWrite {
    property: "definitionValues",
    action: "updateDefinitionValues",
    add: "added",
    remove: "deletedIds",
    key: DEFINITION_VALUE_KEY,
    available: None,
    definitions: Some(&Definitions {
        path: "/deviceManagement/groupPolicyDefinitions",
        property: "definition",
        filter_by: "categoryPath",
        updated: "updated",
        values: "presentationValues",
        remedy: "check the setting's name, class and category path against the Intune portal (Devices > Configuration > Create > Templates > Administrative templates); a setting from an ADMX Intune does not ship needs the ADMX imported first (Devices > Configuration > Import ADMX)",
    }),
};

/// Administrative templates (`/deviceManagement/groupPolicyConfigurations`, Graph beta only):
/// the ADMX-backed profiles (Edge, Office, Windows, OneDrive). Properties are
/// `groupPolicyConfiguration`'s in Microsoft's beta reference that a client writes
/// (displayName, description); `definitionValues` is a navigation property read with
/// `$expand=definitionValues($expand=definition,presentationValues($expand=presentation))` and
/// written through `POST {id}/updateDefinitionValues` (`added`, `updated` by id, `deletedIds`),
/// each value bound to a `groupPolicyDefinitions('{id}')` and its options to the definition's
/// `presentations('{id}')`. A definition's id is a GUID Intune assigns, so the blueprint names
/// it by class, category path and display name (as the ABAC does) and the engine looks it up;
/// a definition the tenant lacks blocks the plan, naming the setting. `assignments` goes
/// through `POST {id}/assign`.
pub(super) const GROUP_POLICY_CONFIGURATION: KindSpec = KindSpec {
    name: "groupPolicyConfiguration",
    path: "/deviceManagement/groupPolicyConfigurations",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "definitionValues",
        "assignments",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[
        ("definitionValues", DEFINITION_VALUE_KEY),
        PRESENTATION_VALUE_KEYS,
    ],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    // intune-grouppolicy-grouppolicyconfiguration-create/-get/-update/-assign,
    // -updatedefinitionvalues and intune-grouppolicy-grouppolicydefinition-get/-list:
    // DeviceManagementConfiguration.ReadWrite.All (.Read.All to read), nothing narrower.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access {
        expand: Some(Expand {
            query: "definitionValues($expand=definition,presentationValues($expand=presentation))",
            on_list: false,
        }),
        written_by_action: Some(DEFINITION_VALUES_WRITE),
        ..Access::ASSIGNED
    },
};

/// Values an agency decides, added to an administrative template another resource creates
/// ([`KindSpec::adds_to`]): the same objects as [`GROUP_POLICY_CONFIGURATION`] (the resource of
/// the same display name creates the profile, with its assignments), whose `definitionValues`
/// this kind writes through the same `updateDefinitionValues` (items it does not name are left
/// as they are, so each resource keeps its own values). A feature automated only once the
/// agency sets a parameter (`automated_when_set`) holds its values here, so that the profile
/// the ABAC names carries them without the rest of the profile waiting for the decision; a
/// rollback removes only the values this kind added.
pub(super) const GROUP_POLICY_CONFIGURATION_VALUES: KindSpec = KindSpec {
    name: "groupPolicyConfigurationValues",
    properties: &["displayName", "definitionValues"],
    lifecycle: Lifecycle::AdoptedOnly(
        "the administrative template of the same name (kind groupPolicyConfiguration) creates it",
    ),
    // The same objects, read and written as groupPolicyConfiguration is (its grants, its
    // expanded read, its `updateDefinitionValues`), less the assignments its resource sets.
    access: Access {
        assignments: false,
        adds_to: Some(&GROUP_POLICY_CONFIGURATION),
        ..GROUP_POLICY_CONFIGURATION.access
    },
    ..GROUP_POLICY_CONFIGURATION
};

/// The compliance policies' settings Graph v1.0 lacks (`windows10CompliancePolicy` and
/// `iosCompliancePolicy` in Microsoft's beta reference, less what v1.0 has): the same objects as
/// `deviceCompliancePolicy`, read and written under `/beta`. A resource of this kind never
/// creates its policy ([`KindSpec::adds_to`]): the v1.0 resource of the same name does, with
/// the assignments and the scheduled actions, and this one PATCHes the beta-only settings onto
/// it, so `[graph] beta = false` leaves a complete v1.0 policy and only these settings manual.
pub(super) const DEVICE_COMPLIANCE_POLICY_BETA: KindSpec = KindSpec {
    name: "deviceCompliancePolicyBeta",
    path: "/deviceManagement/deviceCompliancePolicies",
    identity: IdentityKey::Property("displayName"),
    properties: &["displayName"],
    derived: &[
        (
            "#microsoft.graph.windows10CompliancePolicy",
            &[
                "activeFirewallRequired",
                "tpmRequired",
                "antivirusRequired",
                "antiSpywareRequired",
                "defenderEnabled",
                "defenderVersion",
                "signatureOutOfDate",
                "rtpEnabled",
                "deviceThreatProtectionEnabled",
                "deviceThreatProtectionRequiredSecurityLevel",
                "configurationManagerComplianceRequired",
                "memoryIntegrityEnabled",
                "kernelDmaProtectionEnabled",
                "firmwareProtectionEnabled",
                "virtualizationBasedSecurityEnabled",
            ],
        ),
        (
            "#microsoft.graph.iosCompliancePolicy",
            &[
                "osMinimumBuildVersion",
                "osMaximumBuildVersion",
                "passcodeMinutesOfInactivityBeforeScreenTimeout",
                "advancedThreatProtectionRequiredSecurityLevel",
            ],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    // Never created or removed here: the v1.0 resource owns the policy's life.
    lifecycle: Lifecycle::AdoptedOnly(
        "the v1.0 compliance policy of the same name (deviceCompliancePolicy) creates it",
    ),
    api: Api::GraphBeta,
    // intune-deviceconfig-windows10compliancepolicy-update/-get (beta), likewise iOS.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access {
        adds_to: Some(&super::DEVICE_COMPLIANCE_POLICY),
        ..Access::PLAIN
    },
};

/// Intune's tenant object under `/beta`: the compliance policy settings only beta has
/// (`enhancedJailBreak`, "Enhanced jailbreak detection"). `settings` is a complex value that
/// Graph's PATCH merges, so the v1.0 feature's `secureByDefault` and check-in threshold keep
/// their owner.
pub(super) const DEVICE_MANAGEMENT_BETA: KindSpec = KindSpec {
    name: "deviceManagementBeta",
    path: "/deviceManagement",
    identity: IdentityKey::Singleton,
    properties: &["settings"],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
    access: Access::PLAIN,
};

/// `deviceEnrollmentWindowsHelloForBusinessConfiguration`: its own properties in Microsoft's
/// v1.0 metadata (12). `securityKeyForSignIn` ("Use security keys for sign-in") is beta-only.
const ENROLMENT_WINDOWS_HELLO: &[&str] = &[
    "enhancedBiometricsState",
    "pinExpirationInDays",
    "pinLowercaseCharactersUsage",
    "pinMaximumLength",
    "pinMinimumLength",
    "pinPreviousBlockCount",
    "pinSpecialCharactersUsage",
    "pinUppercaseCharactersUsage",
    "remotePassportEnabled",
    "securityDeviceRequired",
    "state",
    "unlockWithBiometricsEnabled",
];

/// `deviceEnrollmentPlatformRestrictionsConfiguration`: its own properties in Microsoft's v1.0
/// metadata (5; Android Enterprise work profiles' restriction is beta-only).
const ENROLMENT_PLATFORM_RESTRICTIONS: &[&str] = &[
    "androidRestriction",
    "iosRestriction",
    "macOSRestriction",
    "windowsMobileRestriction",
    "windowsRestriction",
];

/// The default enrolment configurations Intune makes in every tenant
/// (`/deviceManagement/deviceEnrollmentConfigurations`, priority 0, each named "All users and
/// all devices"): Windows Hello for Business, the device limit, the platform restrictions and
/// the enrolment status page. They share their name, so a default is identified by its derived
/// type (`@odata.type`) and found among the configurations of priority 0 (`Access::only_where`),
/// never by name. Intune neither creates nor deletes them on request: they
/// are adopted and set, and a rollback restores what the tool changed.
///
/// Property lists are each derived type's own properties in Microsoft's v1.0 metadata. The
/// enrolment status page's settings (progress, time limit, error message, reset, OOBE only)
/// are beta-only: v1.0's `windows10EnrollmentCompletionPageConfiguration` has only
/// `allowNonBlockingAppInstallation`.
pub(super) const DEVICE_ENROLLMENT_DEFAULT: KindSpec = KindSpec {
    name: "deviceEnrollmentDefault",
    path: "/deviceManagement/deviceEnrollmentConfigurations",
    identity: IdentityKey::Property("@odata.type"),
    properties: &["description"],
    derived: &[
        (
            "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
            ENROLMENT_WINDOWS_HELLO,
        ),
        (
            "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            &["limit"],
        ),
        (
            "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
            ENROLMENT_PLATFORM_RESTRICTIONS,
        ),
        (
            "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            &["allowNonBlockingAppInstallation"],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(
        "Intune makes the default enrolment configurations (priority 0, \"All users and all devices\") in every tenant and never deletes them",
    ),
    api: Api::GraphV1,
    // intune-onboarding-deviceenrollment*configuration-get/-update:
    // DeviceManagementServiceConfig.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
    access: Access {
        only_where: Some(("priority", 0)),
        ..Access::PLAIN
    },
};

/// Intune's apps (`/deviceAppManagement/mobileApps`, Graph v1.0): one kind with a derived type
/// per app type Graph v1.0 can create from its properties alone: web links (`webApp`) and
/// Microsoft Edge for Windows (`windowsMicrosoftEdgeApp`). Properties are `mobileApp`'s in
/// Microsoft's v1.0 metadata that a client writes (`largeIcon` left out: the catalogue holds no
/// logos), each derived type's own in its list. `assignments` (`mobileAppAssignment`: an
/// `intent` and a `target`) go through `POST {id}/assign`, whose parameter is
/// `mobileAppAssignments` ([`KindSpec::assign_parameter`]).
///
/// Not here: VPP apps, which Intune makes when Apple's VPP token syncs ([`IOS_VPP_APP`]: adopted,
/// never created), and Microsoft 365 Apps (`officeSuiteApp`), a Graph beta type
/// ([`MOBILE_APP_BETA`]).
pub(super) const MOBILE_APP: KindSpec = KindSpec {
    name: "mobileApp",
    path: "/deviceAppManagement/mobileApps",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "publisher",
        "isFeatured",
        "privacyInformationUrl",
        "informationUrl",
        "owner",
        "developer",
        "notes",
        "assignments",
    ],
    derived: &[
        ("#microsoft.graph.webApp", &["appUrl", "useManagedBrowser"]),
        (
            "#microsoft.graph.windowsMicrosoftEdgeApp",
            &["channel", "displayLanguageLocale"],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    access: Access {
        assign_parameter: "mobileAppAssignments",
        ..Access::ASSIGNED
    },
    // intune-apps-webapp-create/-update/-get, intune-apps-mobileapp-assign:
    // DeviceManagementApps.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementApps.Read.All")],
        write: &[Grant::Graph("DeviceManagementApps.ReadWrite.All")],
    },
};

/// `officeSuiteApp` (Microsoft 365 Apps for Windows): its own properties in Graph beta
/// (msgraph-metadata's schemas/type-mappings/beta-entity-types.json; types from
/// intune-apps-officesuiteapp-create (beta) and msgraph-beta-sdk 1.66's OfficeSuiteApp). Left
/// out: `officeConfigurationXml`, which "takes precedence over all other properties" (the
/// blueprint sets the properties, not an Office Deployment Tool file).
const OFFICE_SUITE_APP: &[&str] = &[
    "autoAcceptEula",
    "excludedApps",
    "installProgressDisplayLevel",
    "localesToInstall",
    "officePlatformArchitecture",
    "officeSuiteAppDefaultFileFormat",
    "productIds",
    "shouldUninstallOlderVersionsOfOffice",
    "targetVersion",
    "updateChannel",
    "updateVersion",
    "useSharedComputerActivation",
];

/// Intune's apps whose type only Graph beta has: Microsoft 365 Apps for Windows
/// (`officeSuiteApp`; Microsoft's v1.0 metadata has no such type, and v1.0's list of
/// `mobileApps` leaves such apps out). The same collection as [`MOBILE_APP`], read and written
/// under `/beta`, created when missing, assigned through `POST {id}/assign` with
/// `mobileAppAssignments`. Found by display name among the apps of that type only
/// (`Access::only_of_type`): a Win32 or line-of-business package an agency named the same is
/// not Microsoft 365 Apps and Graph would refuse to change its type.
pub(super) const MOBILE_APP_BETA: KindSpec = KindSpec {
    name: "mobileAppBeta",
    path: "/deviceAppManagement/mobileApps",
    identity: IdentityKey::Property("displayName"),
    properties: MOBILE_APP.properties,
    derived: &[("#microsoft.graph.officeSuiteApp", OFFICE_SUITE_APP)],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    access: Access {
        only_of_type: Some("#microsoft.graph.officeSuiteApp"),
        ..MOBILE_APP.access
    },
    // intune-apps-officesuiteapp-create/-update/-get (beta), intune-apps-mobileapp-assign:
    // DeviceManagementApps.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: MOBILE_APP.permissions,
};

/// Windows Autopilot deployment profiles (`/deviceManagement/windowsAutopilotDeploymentProfiles`,
/// Graph beta: v1.0's metadata has the abstract type but no collection and no concrete type to
/// create). A derived type per join type: Microsoft Entra joined
/// (`azureADWindowsAutopilotDeploymentProfile`) or hybrid joined
/// (`activeDirectoryWindowsAutopilotDeploymentProfile`). Properties are the profile's in beta
/// (msgraph-metadata's beta type mappings, intune-enrollment-azureadwindowsautopilotdeploymentprofile
/// -create), less the ones Microsoft replaced (`outOfBoxExperienceSettings`, "no longer supported
/// … Use outOfBoxExperienceSetting instead"; `enableWhiteGlove`, `extractHardwareHash` and
/// `language`, whose successors `preprovisioningAllowed`, `hardwareHashExtractionEnabled` and
/// `locale` are the names v1.0's metadata has). Assignments are objects of their own:
/// `POST {id}/assignments` and `DELETE {id}/assignments/{id}`
/// (intune-enrollment-windowsautopilotdeploymentprofileassignment-create/-delete), the profile's
/// `assign` action taking device ids instead.
pub(super) const WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILE: KindSpec = KindSpec {
    name: "windowsAutopilotDeploymentProfile",
    path: "/deviceManagement/windowsAutopilotDeploymentProfiles",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "deviceNameTemplate",
        "deviceType",
        "hardwareHashExtractionEnabled",
        "locale",
        "managementServiceAppId",
        "outOfBoxExperienceSetting",
        "preprovisioningAllowed",
        "roleScopeTagIds",
        "assignments",
    ],
    derived: &[
        (
            "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            &[],
        ),
        (
            "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            &["hybridAzureADJoinSkipConnectivityCheck"],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    access: Access {
        assigned_one_by_one: true,
        ..Access::ASSIGNED
    },
    // intune-enrollment-windowsautopilotdeploymentprofile-get/-list (beta):
    // DeviceManagementServiceConfig.Read.All; -create/-update and the assignments' create and
    // delete: DeviceManagementServiceConfig.ReadWrite.All (least privileged first).
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
};

/// Apple enrolment type profiles (`/deviceManagement/appleUserInitiatedEnrollmentProfiles`,
/// Graph beta only; the portal's Devices > Enroll devices > Apple enrollment > Enrollment types):
/// which enrolment an iPhone or iPad its user enrols gets (device or user enrolment). Properties
/// are `appleUserInitiatedEnrollmentProfile`'s in msgraph-metadata's beta type mappings and
/// intune-enrollment-appleuserinitiatedenrollmentprofile-create that a client writes, less the
/// `priority` Intune orders profiles by (written through the `setPriority` action, which the
/// ABAC does not set). Assignments (appleEnrollmentProfileAssignment: a target) are objects of
/// their own, created with `POST {id}/assignments` and removed with `DELETE {id}/assignments/{id}`
/// (intune-enrollment-appleenrollmentprofileassignment-create/-delete).
pub(super) const APPLE_USER_INITIATED_ENROLLMENT_PROFILE: KindSpec = KindSpec {
    name: "appleUserInitiatedEnrollmentProfile",
    path: "/deviceManagement/appleUserInitiatedEnrollmentProfiles",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "platform",
        "defaultEnrollmentType",
        "availableEnrollmentTypeOptions",
        "assignments",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    access: Access {
        assigned_one_by_one: true,
        ..Access::ASSIGNED
    },
    // intune-enrollment-appleuserinitiatedenrollmentprofile-get/-list (beta):
    // DeviceManagementServiceConfig.Read.All; -create/-update and the assignments' create and
    // delete: DeviceManagementServiceConfig.ReadWrite.All.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
};

/// The placeholder an Apple enrolment profile's path holds for its token's id
/// ([`DEP_ENROLLMENT_PROFILE`]), filled in by the engine from the token it found
/// ([`ParameterSource::Parent`]).
pub const DEP_ONBOARDING_SETTING_ID: &str = "{depOnboardingSettingId}";

/// An Apple Business Manager (Device Enrolment Program) token Intune holds
/// (`/deviceManagement/depOnboardingSettings`, Graph beta only; the portal's Devices > Enroll
/// devices > Apple enrollment > Enrollment program tokens). The token is Apple's: the agency
/// downloads Intune's public key, makes the MDM server token with it in Apple Business Manager
/// and uploads it, which no Graph call does for it (depOnboardingSetting's `uploadDepToken`
/// takes the token Apple issued), so the tool only finds it: the one token of the tenant, under
/// which its enrolment profiles live. Several tokens block the profile (the tool will not guess
/// which one the agency's devices are assigned to). Properties: depOnboardingSetting's in
/// msgraph-metadata's beta type mappings, less the sync state and counts the service keeps.
/// intune-enrollment-deponboardingsetting-list/-get: DeviceManagementServiceConfig.Read.All
/// (least privileged); -update: DeviceManagementServiceConfig.ReadWrite.All.
pub(super) const DEP_ONBOARDING_SETTING: KindSpec = KindSpec {
    name: "depOnboardingSetting",
    path: "/deviceManagement/depOnboardingSettings",
    identity: IdentityKey::Singleton,
    properties: &[
        "appleIdentifier",
        "tokenName",
        "tokenType",
        "tokenExpirationDateTime",
        "dataSharingConsentGranted",
        "shareTokenWithSchoolDataSyncService",
        "roleScopeTagIds",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(
        "the token is Apple Business Manager's: download Intune's public key, create the MDM server token with it in Apple Business Manager and upload it in Microsoft Endpoint Manager > Devices > Enroll devices > Apple enrollment > Enrollment program tokens (the feature's manual step)",
    ),
    api: Api::GraphBeta,
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
    access: Access {
        find: Find::OnlyOneInCollection,
        ..Access::PLAIN
    },
};

/// `enrollmentProfile` and `depEnrollmentBaseProfile`: the properties every Apple enrolment
/// profile has, in msgraph-metadata's beta type mappings (beta-entity-types.json) and the beta
/// reference intune-enrollment-depiosenrollmentprofile, less `isDefault`, which the token's
/// `setDefaultProfile` action sets.
const DEP_ENROLLMENT_BASE_PROFILE: &[&str] = &[
    "displayName",
    "description",
    "requiresUserAuthentication",
    "configurationEndpointUrl",
    "enableAuthenticationViaCompanyPortal",
    "requireCompanyPortalOnSetupAssistantEnrolledDevices",
    "appleIdDisabled",
    "applePayDisabled",
    "configurationWebUrl",
    "deviceNameTemplate",
    "diagnosticsDisabled",
    "displayToneSetupDisabled",
    "enabledSkipKeys",
    "enrollmentTimeAzureAdGroupIds",
    "isMandatory",
    "locationDisabled",
    "privacyPaneDisabled",
    "profileRemovalDisabled",
    "restoreBlocked",
    "screenTimeScreenDisabled",
    "siriDisabled",
    "supervisedModeEnabled",
    "supportDepartment",
    "supportPhoneNumber",
    "termsAndConditionsDisabled",
    "touchIdDisabled",
    "waitForDeviceConfiguredConfirmation",
];

/// `depIOSEnrollmentProfile`'s own properties (the same sources).
const DEP_IOS_ENROLLMENT_PROFILE_OWN: &[&str] = &[
    "appearanceScreenDisabled",
    "awaitDeviceConfiguredConfirmation",
    "carrierActivationUrl",
    "companyPortalVppTokenId",
    "deviceToDeviceMigrationDisabled",
    "enableSharedIPad",
    "enableSingleAppEnrollmentMode",
    "expressLanguageScreenDisabled",
    "forceTemporarySession",
    "homeButtonScreenDisabled",
    "iMessageAndFaceTimeScreenDisabled",
    "iTunesPairingMode",
    "managementCertificates",
    "onBoardingScreenDisabled",
    "passCodeDisabled",
    "passcodeLockGracePeriodInSeconds",
    "preferredLanguageScreenDisabled",
    "restoreCompletedScreenDisabled",
    "restoreFromAndroidDisabled",
    "sharedIPadMaximumUserCount",
    "simSetupScreenDisabled",
    "softwareUpdateScreenDisabled",
    "temporarySessionTimeoutInSeconds",
    "updateCompleteScreenDisabled",
    "userlessSharedAadModeEnabled",
    "userSessionTimeoutInSeconds",
    "watchMigrationScreenDisabled",
    "welcomeScreenDisabled",
    "zoomDisabled",
];

/// Apple enrolment (DEP) profiles, which Graph beta has only under the token they belong to:
/// `/deviceManagement/depOnboardingSettings/{depOnboardingSettingId}/enrollmentProfiles`
/// (intune-enrollment-depiosenrollmentprofile-list/-get/-create/-update/-delete). The path
/// names the token's id, which the engine fills in from the token the feature's
/// [`DEP_ONBOARDING_SETTING`] resource finds ([`ParameterSource::Parent`]); without one, the
/// plan blocks the profile with the token's reason. The collection holds every platform's
/// profiles (`enrollmentProfile`'s derived types), so a profile is found among those of its own
/// type. Permissions (the pages above, least privileged first): list and get
/// DeviceManagementServiceConfig.Read.All; create, update and delete
/// DeviceManagementServiceConfig.ReadWrite.All.
pub(super) const DEP_ENROLLMENT_PROFILE: KindSpec = KindSpec {
    name: "depEnrollmentProfile",
    path: "/deviceManagement/depOnboardingSettings/{depOnboardingSettingId}/enrollmentProfiles",
    identity: IdentityKey::Property("displayName"),
    properties: DEP_ENROLLMENT_BASE_PROFILE,
    derived: &[(
        "#microsoft.graph.depIOSEnrollmentProfile",
        DEP_IOS_ENROLLMENT_PROFILE_OWN,
    )],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All")],
    },
    access: Access {
        only_of_own_type: true,
        path_parameter: Some(PathParameter {
            placeholder: DEP_ONBOARDING_SETTING_ID,
            from: ParameterSource::Parent(&DEP_ONBOARDING_SETTING),
        }),
        ..Access::PLAIN
    },
};

/// Intune's device platform restrictions, one platform each
/// (`/deviceManagement/deviceEnrollmentConfigurations` of derived type
/// `deviceEnrollmentPlatformRestrictionConfiguration`, Graph beta only): whether a platform may
/// enrol, its OS versions and whether personally owned devices may. Since Intune split the
/// restrictions by platform, the admin center creates one restriction per platform tab
/// (create-platform-restrictions: "Select the tab along the top of the page that corresponds
/// with the platform you're configuring … Select Create restriction"), which beta's reference
/// describes as the configuration "that restricts the types of devices a user can enroll for a
/// single platform" (intune-onboarding-deviceenrollmentplatformrestrictionconfiguration:
/// `platformType`, an enrollmentRestrictionPlatformType, and `platformRestriction`, a
/// deviceEnrollmentPlatformRestriction; Intune reports its deviceEnrollmentConfigurationType
/// as `singlePlatformRestriction`). v1.0 has only the multi-platform
/// `deviceEnrollmentPlatformRestrictionsConfiguration` (Microsoft's v1.0 metadata: android,
/// ios, macOS, windowsMobile and windows restrictions, no Android Enterprise work profile),
/// which is now the type of the tenant's default restriction alone: Intune refuses to create
/// another ("Creating enrollment restrictions in a single policy is no longer supported",
/// Microsoft365DSC#7189).
///
/// The restrictions on each platform's tab may share a name, so an object is its `displayName`
/// on its `platformType` ([`super::Access::identity_qualifier`]). Properties are the type's in
/// msgraph-metadata's beta type mappings and the create page
/// (intune-onboarding-deviceenrollmentplatformrestrictionconfiguration-create) that a client
/// writes, less `priority`: Intune puts a new restriction just above the default
/// (enrollment-restrictions-set: "When you create a restriction, it's added to the list just
/// above the default") and moves it only through `POST {id}/setPriority`
/// (intune-onboarding-deviceenrollmentconfiguration-setpriority). Assignments go through
/// `POST {id}/assign` with `enrollmentConfigurationAssignments` (204), read from
/// `{id}/assignments` (intune-onboarding-deviceenrollmentconfiguration-assign).
///
/// Writing one takes more than the Graph permission the reference pages name
/// (DeviceManagementServiceConfig.ReadWrite.All): Microsoft's page on these restrictions says
/// "you must be signed in as Intune Administrator … All other built-in Intune roles have
/// read-only access to device platform restrictions", and Intune answers an app whose service
/// principal holds neither Intune Administrator nor Global Administrator 403 "Tenant is not
/// Global Admin or Intune Service Admin. Operation is restricted." (Microsoft365DSC#5127,
/// #5530: a Microsoft support case confirmed it will stay so). `connect` gives the deploying
/// app the Intune Administrator role; reading needs no role.
pub(super) const DEVICE_ENROLLMENT_PLATFORM_RESTRICTION: KindSpec = KindSpec {
    name: "deviceEnrollmentPlatformRestriction",
    path: "/deviceManagement/deviceEnrollmentConfigurations",
    identity: IdentityKey::Property("displayName"),
    properties: &["displayName", "description", "assignments"],
    derived: &[(
        PLATFORM_RESTRICTION_TYPE,
        &["platformType", "platformRestriction"],
    )],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    access: Access {
        only_of_type: Some(PLATFORM_RESTRICTION_TYPE),
        identity_qualifier: Some("platformType"),
        assign_parameter: "enrollmentConfigurationAssignments",
        ..Access::ASSIGNED
    },
    // intune-onboarding-deviceenrollmentplatformrestrictionconfiguration-get/-list (beta):
    // DeviceManagementServiceConfig.Read.All; -create/-update/-delete and
    // intune-onboarding-deviceenrollmentconfiguration-assign: DeviceManagementServiceConfig.
    // ReadWrite.All, with the Intune Administrator role (above).
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementServiceConfig.Read.All")],
        write: &[
            Grant::Graph("DeviceManagementServiceConfig.ReadWrite.All"),
            Grant::DirectoryRole("Intune Administrator"),
        ],
    },
};

/// The derived type of a single-platform device platform restriction.
const PLATFORM_RESTRICTION_TYPE: &str =
    "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";

/// Windows' limit on a computer name, which an Autopilot profile's device name template must
/// keep to.
pub const DEVICE_NAME_MAX: usize = 15;

/// Why Intune refuses an Autopilot profile's device name template, or None when it takes it.
/// Microsoft's rules (Windows Autopilot troubleshooting, "An error occurred while creating
/// Autopilot profile"; the profile's "Apply device name template" setting): names are
/// 15 characters or less, of letters, digits and hyphens, not all digits, without blanks;
/// `%SERIAL%` adds the device's serial number and `%RAND:x%` x random digits, the macros in
/// upper case (`%serial%` is refused). A serial number is at least one character, so a template
/// with `%SERIAL%` must leave room for one; how long the serial is, only the device knows.
pub fn device_name_template_problem(template: &str) -> Option<String> {
    let mut fixed = String::new();
    let mut random = 0usize;
    let mut serial = false;
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        fixed.push_str(&rest[..start]);
        let after = &rest[start..];
        if let Some(tail) = after.strip_prefix("%SERIAL%") {
            serial = true;
            rest = tail;
        } else if let Some((digits, tail)) = after
            .strip_prefix("%RAND:")
            .and_then(|t| t.split_once('%'))
            .filter(|(d, _)| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            random += digits.parse::<usize>().unwrap_or(usize::MAX / 2);
            rest = tail;
        } else {
            return Some(format!(
                "`{template}` uses a macro Intune does not know: only %SERIAL% and %RAND:x% (upper case)"
            ));
        }
    }
    fixed.push_str(rest);
    if let Some(c) = fixed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Some(format!(
            "`{template}` holds `{c}`: a device name has letters, digits and hyphens only"
        ));
    }
    let shortest = fixed.len() + random + usize::from(serial);
    if shortest > DEVICE_NAME_MAX {
        let serial_note = if serial {
            " (counting one character for %SERIAL%)"
        } else {
            ""
        };
        return Some(format!(
            "`{template}` makes device names of at least {shortest} characters{serial_note}: Windows limits a computer name to {DEVICE_NAME_MAX}, and Intune refuses the template"
        ));
    }
    if !serial && fixed.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "`{template}` makes names of digits only, which Intune refuses"
        ));
    }
    None
}

/// Where the iOS VPP apps come from, said when one is missing: Intune makes an `iosVppApp` only
/// when the agency's Apple VPP token syncs the licences bought in Apple Business Manager.
const VPP_APP_MISSING: &str = "Intune adds an iOS VPP app only when the agency's Apple VPP token syncs the licences bought for it in Apple Business Manager (Apps and Books); buy the app's licences for the token's location, upload the token under Tenant administration > Connectors and tokens > Apple VPP tokens (or sync it there) and check the token is active and the app is listed under Apps > iOS/iPadOS";

/// The iOS apps licensed through Apple's Volume Purchase Program (`iosVppApp` among
/// `/deviceAppManagement/mobileApps`, Graph v1.0). Intune makes them when the agency's VPP
/// token syncs, and removes them when the licences go: the tool adopts each one, never creates
/// or deletes it, and sets what the ABAC sets (featured in Company Portal, the assignment with
/// its install intent and licence type). An app is found by its bundle id (`bundleId`, Apple's
/// identifier of the app, the same in every tenant) among the apps of type iosVppApp only
/// (`Access::only_of_type`: an iOS store app may carry the same bundle id); its display name is
/// Apple's store name, which Apple may change. Properties are `mobileApp`'s a client writes in
/// Microsoft's v1.0 metadata, and `bundleId` of iosVppApp's own: the rest of iosVppApp's
/// (licence counts, store URL, token, device types) are Apple's, which the sync sets.
pub(super) const IOS_VPP_APP: KindSpec = KindSpec {
    name: "iosVppApp",
    path: "/deviceAppManagement/mobileApps",
    identity: IdentityKey::Property("bundleId"),
    properties: MOBILE_APP.properties,
    derived: &[("#microsoft.graph.iosVppApp", &["bundleId"])],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::AdoptedOnly(VPP_APP_MISSING),
    api: Api::GraphV1,
    access: Access {
        only_of_type: Some("#microsoft.graph.iosVppApp"),
        ..MOBILE_APP.access
    },
    // intune-apps-iosvppapp-get/-update, intune-apps-mobileapp-assign:
    // DeviceManagementApps.ReadWrite.All (and .Read.All to read), nothing narrower.
    permissions: MOBILE_APP.permissions,
};

/// The default enrolment configurations' settings only Graph beta has: the enrolment status
/// page's (`windows10EnrollmentCompletionPageConfiguration` in Microsoft's beta reference, less
/// what v1.0 has) and Windows Hello for Business's security keys (`securityKeyForSignIn`). The
/// same objects as `deviceEnrollmentDefault`, read and written under `/beta`, found the same way
/// (by derived type among the priority-0 configurations), adopted and never created.
pub(super) const DEVICE_ENROLLMENT_DEFAULT_BETA: KindSpec = KindSpec {
    name: "deviceEnrollmentDefaultBeta",
    path: "/deviceManagement/deviceEnrollmentConfigurations",
    identity: IdentityKey::Property("@odata.type"),
    properties: &[],
    derived: &[
        (
            "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            &[
                "showInstallationProgress",
                "blockDeviceSetupRetryByUser",
                "allowDeviceResetOnInstallFailure",
                "allowLogCollectionOnInstallFailure",
                "customErrorMessage",
                "installProgressTimeoutInMinutes",
                "allowDeviceUseOnInstallFailure",
                "selectedMobileAppIds",
                "installQualityUpdates",
                "trackInstallProgressForAutopilotOnly",
                "disableUserStatusTrackingAfterFirstUser",
            ],
        ),
        (
            "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
            &["securityKeyForSignIn", "enhancedSignInSecurity"],
        ),
    ],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: DEVICE_ENROLLMENT_DEFAULT.lifecycle,
    api: Api::GraphBeta,
    access: DEVICE_ENROLLMENT_DEFAULT.access,
    // intune-onboarding-windows10enrollmentcompletionpageconfiguration-get/-update (beta).
    permissions: DEVICE_ENROLLMENT_DEFAULT.permissions,
};

/// Intune's PowerShell scripts for Windows (`/deviceManagement/deviceManagementScripts`, Graph
/// beta only: v1.0 has no such route). Properties are `deviceManagementScript`'s in Microsoft's
/// beta reference (intune-shared-devicemanagementscript) that a client writes: `scriptContent`
/// is the script, base64 (Edm.Binary); `runAsAccount` is `system` or `user`; `runAs32Bit` runs
/// it in the 32-bit PowerShell host. Assignments (`deviceManagementScriptAssignment`: a target
/// only) go through `POST {id}/assign`, whose parameter is `deviceManagementScriptAssignments`.
///
/// Graph returns `scriptContent` only when one script is read by id, and null on the list (what
/// every tool that exports scripts finds: Micke-K/IntuneManagement#100, "script content is kind
/// of a lazy property … only available when a single object is retrieved"), so the engine reads
/// each script it found again by id ([`super::Access::read_by_id`]).
pub(super) const DEVICE_MANAGEMENT_SCRIPT: KindSpec = KindSpec {
    name: "deviceManagementScript",
    path: "/deviceManagement/deviceManagementScripts",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "scriptContent",
        "fileName",
        "runAsAccount",
        "enforceSignatureCheck",
        "runAs32Bit",
        "roleScopeTagIds",
        "assignments",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphBeta,
    // intune-shared-devicemanagementscript-create/-update/-get/-list and -assign (beta):
    // DeviceManagementConfiguration.ReadWrite.All (and .Read.All to read). Microsoft's newer
    // pages also list DeviceManagementScripts.ReadWrite.All/.Read.All, whose app role ids the
    // stored permission table does not hold yet; the configuration permissions are the ones
    // every page lists, and the ones a workspace with device configuration already has.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementConfiguration.Read.All")],
        write: &[Grant::Graph("DeviceManagementConfiguration.ReadWrite.All")],
    },
    access: Access {
        assign_parameter: "deviceManagementScriptAssignments",
        read_by_id: &["scriptContent"],
        ..Access::ASSIGNED
    },
};

/// iOS/iPadOS app protection policies (`/deviceAppManagement/iosManagedAppProtections`, Graph
/// v1.0). Properties are those a client writes of `iosManagedAppProtection` and the types it
/// derives from in Microsoft's v1.0 metadata (`clean_v10_metadata/cleanMetadata.xml`:
/// managedAppPolicy's `displayName` and `description`; managedAppProtection's 27;
/// iosManagedAppProtection's own `appDataEncryptionType`, `customBrowserProtocol`,
/// `faceIdBlocked` and `minimumRequiredSdkVersion`), less what Intune sets (`version`,
/// `isAssigned`, `deployedAppCount`). The settings only beta has (exempted URL protocols, the
/// cut-and-copy character limit, third-party keyboards, notifications, the targeted management
/// levels) are not v1.0's to write.
///
/// The apps the policy protects are the `apps` navigation property (managedMobileApp, each an
/// `iosMobileAppIdentifier` with the app's `bundleId`), written only through the `targetApps`
/// action bound to targetedManagedAppProtection (`apps`, and an optional `appGroupType`; 204,
/// intune-mam-targetedmanagedappprotection-targetapps) and read with `$expand=apps` (an export
/// of a policy carries `apps@odata.context` under `iosManagedAppProtections(apps())`).
/// Assignments (targetedManagedAppPolicyAssignment: a target only) go through `POST {id}/assign`
/// (204, intune-mam-targetedmanagedappprotection-assign) and are read from `{id}/assignments`.
pub(super) const IOS_MANAGED_APP_PROTECTION: KindSpec = KindSpec {
    name: "iosManagedAppProtection",
    path: "/deviceAppManagement/iosManagedAppProtections",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "description",
        "allowedDataStorageLocations",
        "allowedInboundDataTransferSources",
        "allowedOutboundClipboardSharingLevel",
        "allowedOutboundDataTransferDestinations",
        "contactSyncBlocked",
        "dataBackupBlocked",
        "deviceComplianceRequired",
        "disableAppPinIfDevicePinIsSet",
        "fingerprintBlocked",
        "managedBrowser",
        "managedBrowserToOpenLinksRequired",
        "maximumPinRetries",
        "minimumPinLength",
        "minimumRequiredAppVersion",
        "minimumRequiredOsVersion",
        "minimumWarningAppVersion",
        "minimumWarningOsVersion",
        "organizationalCredentialsRequired",
        "periodBeforePinReset",
        "periodOfflineBeforeAccessCheck",
        "periodOfflineBeforeWipeIsEnforced",
        "periodOnlineBeforeAccessCheck",
        "pinCharacterSet",
        "pinRequired",
        "printBlocked",
        "saveAsBlocked",
        "simplePinBlocked",
        "appDataEncryptionType",
        "customBrowserProtocol",
        "faceIdBlocked",
        "minimumRequiredSdkVersion",
        "apps",
        "assignments",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[("apps", "mobileAppIdentifier.bundleId")],
    lifecycle: Lifecycle::Managed,
    api: Api::GraphV1,
    // intune-mam-iosmanagedappprotection-list/-get (v1.0): DeviceManagementApps.Read.All;
    // -create/-update, targetApps and assign: DeviceManagementApps.ReadWrite.All.
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementApps.Read.All")],
        write: &[Grant::Graph("DeviceManagementApps.ReadWrite.All")],
    },
    access: Access {
        expand: Some(Expand {
            query: "apps",
            on_list: false,
        }),
        set_by_action: Some(&SetByAction {
            property: "apps",
            action: "targetApps",
            parameter: "apps",
            key: "mobileAppIdentifier.bundleId",
        }),
        ..Access::ASSIGNED
    },
};

/// The app protection policy's settings only Graph beta has (`iosManagedAppProtection` and the
/// types it derives from in Microsoft's beta metadata, less what v1.0 has and what Intune sets):
/// exempted URL protocols, the cut-and-copy character limit, third-party keyboards, org data
/// notifications, the remediation actions of conditional launch and the newer iOS controls.
/// The same objects as `iosManagedAppProtection`, read and written under `/beta`. A resource of
/// this kind never creates its policy ([`KindSpec::adds_to`]): the v1.0 resource of the same
/// name does, with its apps and assignments, and this one PATCHes the beta-only settings onto
/// it, so `[graph] beta = false` leaves a complete v1.0 policy and only these settings manual.
/// `appGroupType` is left out: `targetApps` sets it with the apps, which the v1.0 kind owns.
pub(super) const IOS_MANAGED_APP_PROTECTION_BETA: KindSpec = KindSpec {
    name: "iosManagedAppProtectionBeta",
    path: "/deviceAppManagement/iosManagedAppProtections",
    identity: IdentityKey::Property("displayName"),
    properties: &[
        "displayName",
        "roleScopeTagIds",
        // managedAppProtection (beta).
        "allowedDataIngestionLocations",
        "allowedOutboundClipboardSharingExceptionLength",
        "appActionIfDeviceComplianceRequired",
        "appActionIfMaximumPinRetriesExceeded",
        "appActionIfUnableToAuthenticateUser",
        "blockDataIngestionIntoOrganizationDocuments",
        "dialerRestrictionLevel",
        "gracePeriodToBlockAppsDuringOffClockHours",
        "maximumAllowedDeviceThreatLevel",
        "maximumRequiredOsVersion",
        "maximumWarningOsVersion",
        "maximumWipeOsVersion",
        "minimumWipeAppVersion",
        "minimumWipeOsVersion",
        "mobileThreatDefensePartnerPriority",
        "mobileThreatDefenseRemediationAction",
        "notificationRestriction",
        "pinRequiredInsteadOfBiometricTimeout",
        "previousPinBlockCount",
        "protectedMessagingRedirectAppType",
        "purviewContentEvaluationRequired",
        // targetedManagedAppProtection (beta).
        "targetedAppManagementLevels",
        // iosManagedAppProtection (beta).
        "allowedIosDeviceModels",
        "allowWidgetContentSync",
        "appActionIfAccountIsClockedOut",
        "appActionIfIosDeviceModelNotAllowed",
        "customDialerAppProtocol",
        "disableProtectionOfManagedOutboundOpenInData",
        "exemptedAppProtocols",
        "exemptedUniversalLinks",
        "filterOpenInToOnlyManagedApps",
        "genmojiConfigurationState",
        "managedUniversalLinks",
        "messagingRedirectAppUrlScheme",
        "minimumWarningSdkVersion",
        "minimumWipeSdkVersion",
        "protectInboundDataFromUnknownSources",
        "screenCaptureConfigurationState",
        "thirdPartyKeyboardsBlocked",
        "writingToolsConfigurationState",
    ],
    derived: &[],
    create_only: &[],
    keyed_arrays: &[],
    // Never created or removed here: the v1.0 resource owns the policy's life.
    lifecycle: Lifecycle::AdoptedOnly(
        "the v1.0 app protection policy of the same name (iosManagedAppProtection) creates it",
    ),
    api: Api::GraphBeta,
    // intune-mam-iosmanagedappprotection-get/-list/-update (beta): DeviceManagementApps.Read.All
    // to read, DeviceManagementApps.ReadWrite.All to update (the get page also lists the
    // configuration permissions; the apps permissions are the ones every page lists).
    permissions: Permissions {
        read: &[Grant::Graph("DeviceManagementApps.Read.All")],
        write: &[Grant::Graph("DeviceManagementApps.ReadWrite.All")],
    },
    access: Access {
        adds_to: Some(&IOS_MANAGED_APP_PROTECTION),
        ..Access::PLAIN
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_profile_type_allows_its_own_settings_only() {
        let k = &DEVICE_CONFIGURATION;
        let custom = Some("#microsoft.graph.windows10CustomConfiguration");
        let ios = Some("#microsoft.graph.iosUpdateConfiguration");
        assert!(k.allows("omaSettings", custom));
        assert!(!k.allows("omaSettings", ios));
        assert!(k.allows("scheduledInstallDays", ios));
        assert!(k.allows("assignments", ios));
        // `desiredOsVersion` exists only in beta.
        assert!(!k.allows("desiredOsVersion", ios));
        let features = Some("#microsoft.graph.iosDeviceFeaturesConfiguration");
        assert!(k.allows("lockScreenFootnote", features));
        // The wallpaper and the local security options exist only in beta.
        assert!(!k.allows("wallpaperImage", features));
        let protection = Some("#microsoft.graph.windows10EndpointProtectionConfiguration");
        assert!(k.allows("smartScreenBlockOverrideForFiles", protection));
        assert!(!k.allows("localSecurityOptionsBlockMicrosoftAccounts", protection));
    }

    #[test]
    fn the_dep_profile_lives_under_its_apple_token_which_is_only_found() {
        let k = &DEP_ENROLLMENT_PROFILE;
        assert_eq!(k.parent().map(|p| p.name), Some("depOnboardingSetting"));
        assert_eq!(
            k.request_path(),
            "/beta/deviceManagement/depOnboardingSettings/{depOnboardingSettingId}/enrollmentProfiles"
        );
        assert!(k.path.contains(DEP_ONBOARDING_SETTING_ID) && k.never_created().is_none());
        assert!(k.access.only_of_own_type);
        let ios = Some("#microsoft.graph.depIOSEnrollmentProfile");
        assert!(k.allows("iTunesPairingMode", ios) && k.allows("passCodeDisabled", ios));
        assert!(!k.allows("iTunesPairingMode", None) && !k.allows("isDefault", ios));
        let token = &DEP_ONBOARDING_SETTING;
        assert!(token.parent().is_none() && token.never_created().is_some());
        let mut placeholders: Vec<&str> = crate::kinds::path_parameters()
            .map(|p| p.placeholder)
            .collect();
        placeholders.sort();
        assert_eq!(
            placeholders,
            ["{depOnboardingSettingId}", "{organizationId}"]
        );
    }

    #[test]
    fn beta_only_profile_types_are_found_among_their_own_type() {
        let k = &DEVICE_CONFIGURATION_BETA;
        let delivery = Some("#microsoft.graph.windowsDeliveryOptimizationConfiguration");
        assert!(k.is_beta());
        assert_eq!(
            k.request_path(),
            "/beta/deviceManagement/deviceConfigurations"
        );
        assert!(k.allows("deliveryOptimizationMode", delivery));
        assert!(k.allows("assignments", delivery));
        assert!(!DEVICE_CONFIGURATION.allows("deliveryOptimizationMode", delivery));
        let boundary = Some("#microsoft.graph.windows10NetworkBoundaryConfiguration");
        assert!(k.allows("windowsNetworkIsolationPolicy", boundary));
        assert!(!k.allows("windowsNetworkIsolationPolicy", delivery));
        assert!(k.access.only_of_own_type && k.access.only_of_type.is_none());
        // The iOS VPN type, beta only; its server is a complex value.
        let vpn = Some("#microsoft.graph.iosVpnConfiguration");
        assert!(k.allows("server", vpn) && k.allows("enablePerApp", vpn));
        assert!(!k.allows("server", delivery));
        assert!(!DEVICE_CONFIGURATION.allows("server", vpn));
        assert!(k.never_created().is_none());
        // A type only beta has is its own object; a type v1.0 has is the v1.0 resource's,
        // which it adds the beta-only settings to (and only those).
        assert!(k.adds_to(delivery).is_none() && k.adds_to(boundary).is_none());
        let general = Some("#microsoft.graph.windows10GeneralConfiguration");
        assert_eq!(k.adds_to(general).unwrap().name, DEVICE_CONFIGURATION.name);
        assert!(k.allows("searchBlockWebResults", general));
        assert!(!k.allows("passwordMinimumLength", general));
        assert!(DEVICE_CONFIGURATION.allows("passwordMinimumLength", general));
        assert!(!DEVICE_CONFIGURATION.allows("searchBlockWebResults", general));
    }

    #[test]
    fn each_app_type_allows_its_own_properties_only() {
        let k = &MOBILE_APP;
        let web = Some("#microsoft.graph.webApp");
        let edge = Some("#microsoft.graph.windowsMicrosoftEdgeApp");
        assert!(k.allows("appUrl", web));
        assert!(!k.allows("appUrl", edge));
        assert!(k.allows("channel", edge));
        assert!(k.allows("assignments", web));
        // A VPP app's store URL is not a type this kind creates.
        assert!(!k.allows("appStoreUrl", Some("#microsoft.graph.iosVppApp")));
        assert_eq!(k.assign_parameter(), "mobileAppAssignments");
    }

    #[test]
    fn microsoft_365_apps_is_a_beta_app_type_found_among_its_own_type() {
        let k = &MOBILE_APP_BETA;
        let office = Some("#microsoft.graph.officeSuiteApp");
        assert!(k.is_beta());
        assert_eq!(k.request_path(), "/beta/deviceAppManagement/mobileApps");
        assert!(k.allows("updateChannel", office));
        assert!(k.allows("excludedApps", office));
        assert!(k.allows("isFeatured", office));
        assert!(k.allows("assignments", office));
        assert!(!k.allows("officeConfigurationXml", office));
        // The v1.0 app types are the v1.0 kind's.
        assert!(!k.allows("appUrl", Some("#microsoft.graph.webApp")));
        assert!(!MOBILE_APP.allows("updateChannel", office));
        assert_eq!(k.access.only_of_type, office);
        assert_eq!(k.assign_parameter(), "mobileAppAssignments");
        assert!(k.never_created().is_none());
    }

    #[test]
    fn an_autopilot_profile_is_beta_assigned_one_by_one_with_microsofts_current_names() {
        let k = &WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILE;
        let entra = Some("#microsoft.graph.azureADWindowsAutopilotDeploymentProfile");
        assert!(k.is_beta());
        assert!(k.allows("outOfBoxExperienceSetting", entra));
        assert!(k.allows("preprovisioningAllowed", entra));
        // The names Microsoft replaced.
        assert!(!k.allows("outOfBoxExperienceSettings", entra));
        assert!(!k.allows("enableWhiteGlove", entra));
        assert!(!k.allows("hybridAzureADJoinSkipConnectivityCheck", entra));
        assert!(k.allows(
            "hybridAzureADJoinSkipConnectivityCheck",
            Some("#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile")
        ));
        assert!(k.has_assignments());
        assert!(k.is_assigned_one_by_one());
        assert!(!MOBILE_APP.is_assigned_one_by_one());
    }

    #[test]
    fn a_vpp_app_is_adopted_by_bundle_id_among_vpp_apps_only() {
        let k = &IOS_VPP_APP;
        let vpp = Some("#microsoft.graph.iosVppApp");
        assert_eq!(k.identity, IdentityKey::Property("bundleId"));
        assert!(k.allows("bundleId", vpp));
        assert!(k.allows("isFeatured", vpp));
        assert!(k.allows("assignments", vpp));
        // Apple's licence counts are the sync's, never the blueprint's.
        assert!(!k.allows("totalLicenseCount", vpp));
        assert!(
            k.never_created()
                .is_some_and(|why| why.contains("VPP token"))
        );
        assert_eq!(k.access.only_of_type, Some("#microsoft.graph.iosVppApp"));
        assert_eq!(k.assign_parameter(), "mobileAppAssignments");
        assert!(k.has_assignments());
    }

    #[test]
    fn an_ios_app_protection_policy_writes_its_apps_through_target_apps() {
        let k = &IOS_MANAGED_APP_PROTECTION;
        assert!(!k.is_beta());
        assert!(k.allows("pinRequired", None));
        assert!(k.allows("appDataEncryptionType", None));
        assert!(k.allows("apps", None));
        // Beta only: the exempted URL protocols and third-party keyboards.
        assert!(!k.allows("exemptedAppProtocols", None));
        assert!(!k.allows("thirdPartyKeyboardsBlocked", None));
        // Intune's own.
        assert!(!k.allows("deployedAppCount", None));
        let set = k.set_by_action().unwrap();
        assert_eq!((set.property, set.action), ("apps", "targetApps"));
        assert!(k.keyed_arrays.contains(&(set.property, set.key)));
        assert_eq!(k.access.expand.map(|e| e.query), Some("apps"));
        assert!(k.has_assignments());
        assert_eq!(k.assign_parameter(), "assignments");
    }

    #[test]
    fn the_beta_app_protection_settings_go_onto_the_v1_policy() {
        let k = &IOS_MANAGED_APP_PROTECTION_BETA;
        assert!(k.is_beta());
        assert_eq!(
            k.adds_to(None).map(|b| b.name),
            Some("iosManagedAppProtection")
        );
        for beta_only in [
            "exemptedAppProtocols",
            "allowedOutboundClipboardSharingExceptionLength",
            "thirdPartyKeyboardsBlocked",
            "notificationRestriction",
        ] {
            assert!(k.allows(beta_only, None), "{beta_only}");
            assert!(!IOS_MANAGED_APP_PROTECTION.allows(beta_only, None));
        }
        // v1.0's own, and the apps and assignments the v1.0 resource writes.
        for v1 in ["pinRequired", "apps", "assignments"] {
            assert!(!k.allows(v1, None), "{v1}");
        }
    }

    #[test]
    fn a_device_name_template_keeps_to_fifteen_characters_of_intunes_alphabet() {
        assert_eq!(device_name_template_problem("EXA-%SERIAL%"), None);
        assert_eq!(device_name_template_problem("ABCDEFGHIJKLM-%SERIAL%"), None);
        assert_eq!(device_name_template_problem("MYPC-%RAND:6%"), None);
        let long = device_name_template_problem("ABCDEFGHIJKLMN-%SERIAL%").unwrap();
        assert!(long.contains("at least 16 characters"), "{long}");
        assert!(device_name_template_problem("EXA-%RAND:12%").is_some());
        assert!(device_name_template_problem("EXA-%serial%").is_some());
        assert!(device_name_template_problem("EXA_%SERIAL%").is_some());
        assert!(device_name_template_problem("EXA %SERIAL%").is_some());
        assert!(device_name_template_problem("%RAND:6%").is_some());
        assert!(device_name_template_problem("12%RAND:6%").is_some());
        assert_eq!(device_name_template_problem("12-%RAND:6%"), None);
    }
}
