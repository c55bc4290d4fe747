// Microsoft's own model serializers for Node: the Kiota-generated models of @microsoft/msgraph-sdk
// (v1.0) and @microsoft/msgraph-beta-sdk (beta), with @microsoft/kiota-serialization-json, write
// the request bodies and read the answers. The SDK's serializer decides each body's shape (names,
// enums, Edm.TimeOfDay, Edm.Duration, Edm.Binary as base64), and reading an answer into the SDK's
// model puts every property its model does not know into `additionalData`, where a check finds
// it: a property or type the emulator and the client both got wrong shows up here.
//
// The requests go through @microsoft/microsoft-graph-client (compat.mjs's client): the typed
// Node SDK publishes request builders for only some of Graph's paths, and none for Intune's, so
// the bodies are the SDK's and the transport the Graph client's.

import { Duration, TimeOnly } from "@microsoft/kiota-abstractions";
import { JsonParseNode, JsonSerializationWriter } from "@microsoft/kiota-serialization-json";
import * as v1 from "@microsoft/msgraph-sdk/models/index.js";
import * as beta from "@microsoft/msgraph-beta-sdk/models/index.js";

export { beta, v1 };

/** The JSON body the SDK's `serialize` writes for `value`. */
export function writeModel(serialize, value) {
  const writer = new JsonSerializationWriter();
  writer.writeObjectValue(undefined, value, serialize);
  return JSON.parse(new TextDecoder().decode(writer.getSerializedContent()));
}

/**
 * A polymorphic value nested in a model, written by its derived type's own serializer. The Node
 * SDK's base serializers (msgraph-sdk 1.0.0-preview.90, Kiota's TypeScript generator) dispatch on
 * @odata.type to the derived serializer with `isSerializingDerivedType = true`, which then returns
 * at once: a nested value keeps its @odata.type and loses every derived property (microsoft/kiota
 * #6777, fix proposed in #8241). A top-level body is written by the derived serializer directly
 * and is complete; a nested one goes in the parent's `additionalData`, written the same way.
 */
export function nestedDerived(serialize, value) {
  return writeModel(serialize, value);
}

/** A Graph answer read into the SDK's model (`create` picks the derived type from @odata.type). */
export function readModel(create, json) {
  return new JsonParseNode(json).getObjectValue(create);
}

/** The properties the SDK's models did not know (Kiota keeps them in `additionalData`), at any
 * depth, less OData's own annotations. */
export function unknownProperties(value, where = "") {
  const found = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => found.push(...unknownProperties(item, `${where}[${i}]`)));
  } else if (value && typeof value === "object" && !(value instanceof ArrayBuffer) && !(value instanceof Date)) {
    for (const key of Object.keys(value.additionalData ?? {})) {
      if (!key.startsWith("@odata.")) found.push(`${where}.${key}`);
    }
    for (const [key, field] of Object.entries(value)) {
      if (key !== "additionalData" && key !== "backingStore") found.push(...unknownProperties(field, `${where}.${key}`));
    }
  }
  return found;
}

const bytes = (text) => new TextEncoder().encode(text).buffer;
const text = (buffer) => (buffer ? new TextDecoder().decode(buffer) : undefined);

/**
 * The checks of one kind: `ctx` has the Graph client, this run's tag and compat.mjs's `check`,
 * `step` and `cleanups`.
 */
export function modelChecks(ctx) {
  const { client, check, step } = ctx;

  /** Reads `json` into the SDK's model and checks that the model knows every property. */
  function readsAs(what, create, json, odataType) {
    const model = readModel(create, json);
    check(
      model !== undefined && (odataType === undefined || model.odataType === odataType),
      `${what}: reads into the SDK's model${odataType ? ` ${odataType}` : ""}`,
      JSON.stringify(json),
    );
    const unknown = unknownProperties(model);
    check(unknown.length === 0, `${what}: every property is one the SDK's model knows`, JSON.stringify(unknown));
    return model;
  }

  /** Creates one object written with the SDK's model, reads it back into the model
   * (`readBack(model)` must hold) and deletes it. */
  async function createReadDelete({ version = "v1.0", path, what, serialize, create, value, readBack }) {
    const body = writeModel(serialize, value);
    const created = await step(`POST ${version} ${path} (${what})`, () => client.api(path).version(version).post(body));
    check(typeof created?.id === "string", `POST ${version} ${path} creates the ${what}`, JSON.stringify(created));
    const itemPath = `${path}/${created.id}`;
    try {
      const got = await step(`GET ${version} ${itemPath}`, () => client.api(itemPath).version(version).get());
      const model = readsAs(`GET the ${what}`, create, got, value.odataType);
      check(readBack(model), `the ${what} reads back through the SDK's model`, JSON.stringify(got));
      return model;
    } finally {
      await step(`DELETE ${version} ${itemPath}`, () => client.api(itemPath).version(version).delete());
    }
  }

  /** PATCHes a singleton with the SDK's model and reads it back; puts `restore` back after. */
  async function singletonRoundTrip({ version = "v1.0", path, what, serialize, create, change, readBack, restore }) {
    const before = readsAs(`GET ${version} ${path}`, create, await step(`GET ${version} ${path}`, () => client.api(path).version(version).get()));
    await step(`PATCH ${version} ${path}`, () => client.api(path).version(version).patch(writeModel(serialize, change)));
    const after = readsAs(`GET ${version} ${path} after PATCH`, create, await step(`GET ${version} ${path}`, () => client.api(path).version(version).get()));
    check(readBack(after, before), `PATCH of the ${what} with the SDK's model reads back`, JSON.stringify(after));
    if (restore) {
      await step(`PATCH ${version} ${path} back`, () => client.api(path).version(version).patch(writeModel(serialize, restore(before))));
    }
    return after;
  }

  const configurations = "/deviceManagement/deviceConfigurations";
  const profile = (what, serialize, value, readBack) =>
    createReadDelete({ path: configurations, what, serialize, create: v1.createDeviceConfigurationFromDiscriminatorValue, value, readBack });
  const time = (t) => (t ? `${t.hours}:${t.minutes}` : undefined);

  return {
    readsAs,

    /** The Windows update ring (windowsUpdateForBusinessConfiguration), its active hours Edm.TimeOfDay. */
    updateRing: (run) =>
      profile(
        "update ring",
        v1.serializeWindowsUpdateForBusinessConfiguration,
        {
          odataType: "#microsoft.graph.windowsUpdateForBusinessConfiguration",
          displayName: `sdk-compat ${run} update ring`,
          microsoftUpdateServiceAllowed: true,
          qualityUpdatesDeferralPeriodInDays: 0,
          featureUpdatesRollbackWindowInDays: 10,
          prereleaseFeatures: "userDefined",
          automaticUpdateMode: "autoInstallAtMaintenanceTime",
          additionalData: {
            installationSchedule: nestedDerived(v1.serializeWindowsUpdateActiveHoursInstall, {
              odataType: "#microsoft.graph.windowsUpdateActiveHoursInstall",
              activeHoursStart: new TimeOnly({ hours: 8 }),
              activeHoursEnd: new TimeOnly({ hours: 17 }),
            }),
          },
          userPauseAccess: "disabled",
          updateNotificationLevel: "defaultNotifications",
          deadlineForQualityUpdatesInDays: 2,
        },
        (p) =>
          p.installationSchedule?.odataType === "#microsoft.graph.windowsUpdateActiveHoursInstall" &&
          time(p.installationSchedule.activeHoursStart) === "8:0" &&
          time(p.installationSchedule.activeHoursEnd) === "17:0" &&
          p.automaticUpdateMode === "autoInstallAtMaintenanceTime" &&
          p.userPauseAccess === "disabled" &&
          p.deadlineForQualityUpdatesInDays === 2,
      ),

    /** The iOS update policy (iosUpdateConfiguration). */
    iosUpdatePolicy: (run) =>
      profile(
        "iOS update policy",
        v1.serializeIosUpdateConfiguration,
        {
          odataType: "#microsoft.graph.iosUpdateConfiguration",
          displayName: `sdk-compat ${run} iOS updates`,
          scheduledInstallDays: ["saturday", "sunday"],
          activeHoursStart: new TimeOnly({ hours: 1 }),
          activeHoursEnd: new TimeOnly({ hours: 5, minutes: 30 }),
          utcTimeOffsetInMinutes: 600,
        },
        (p) =>
          JSON.stringify(p.scheduledInstallDays) === '["saturday","sunday"]' &&
          time(p.activeHoursEnd) === "5:30" &&
          p.utcTimeOffsetInMinutes === 600,
      ),

    /** Windows device restrictions (windows10GeneralConfiguration). */
    windowsDeviceRestrictions: (run) =>
      profile(
        "Windows device restrictions",
        v1.serializeWindows10GeneralConfiguration,
        {
          odataType: "#microsoft.graph.windows10GeneralConfiguration",
          displayName: `sdk-compat ${run} device restrictions`,
          passwordRequired: true,
          passwordRequiredType: "alphanumeric",
          passwordMinimumLength: 14,
          diagnosticsDataSubmissionMode: "none",
          smartScreenBlockPromptOverride: true,
          defenderScheduledScanTime: new TimeOnly({ hours: 2 }),
          defenderDetectedMalwareActions: { lowSeverity: "quarantine", highSeverity: "remove", severeSeverity: "block" },
          additionalData: {
            edgeSearchEngine: nestedDerived(v1.serializeEdgeSearchEngine, {
              odataType: "#microsoft.graph.edgeSearchEngine",
              edgeSearchEngineType: "bing",
            }),
          },
        },
        (p) =>
          p.passwordMinimumLength === 14 &&
          p.diagnosticsDataSubmissionMode === "none" &&
          time(p.defenderScheduledScanTime) === "2:0" &&
          p.defenderDetectedMalwareActions?.severeSeverity === "block" &&
          p.edgeSearchEngine?.odataType === "#microsoft.graph.edgeSearchEngine" &&
          p.edgeSearchEngine.edgeSearchEngineType === "bing",
      ),

    /** Windows endpoint protection (windows10EndpointProtectionConfiguration). */
    endpointProtection: (run) =>
      profile(
        "endpoint protection profile",
        v1.serializeWindows10EndpointProtectionConfiguration,
        {
          odataType: "#microsoft.graph.windows10EndpointProtectionConfiguration",
          displayName: `sdk-compat ${run} endpoint protection`,
          firewallProfileDomain: { firewallEnabled: "allowed", inboundConnectionsBlocked: true },
          bitLockerRemovableDrivePolicy: { encryptionMethod: "xtsAes256", requireEncryptionForWriteAccess: true },
          appLockerApplicationControl: "auditComponentsAndStoreApps",
          defenderExploitProtectionXml: bytes("<MitigationPolicy/>"),
          defenderExploitProtectionXmlFileName: "exploit.xml",
        },
        (p) =>
          p.firewallProfileDomain?.firewallEnabled === "allowed" &&
          p.firewallProfileDomain.inboundConnectionsBlocked === true &&
          p.bitLockerRemovableDrivePolicy?.encryptionMethod === "xtsAes256" &&
          p.appLockerApplicationControl === "auditComponentsAndStoreApps" &&
          text(p.defenderExploitProtectionXml) === "<MitigationPolicy/>",
      ),

    /** iOS device restrictions (iosGeneralDeviceConfiguration), the approved apps appListItems. */
    iosDeviceRestrictions: (run) =>
      profile(
        "iOS device restrictions",
        v1.serializeIosGeneralDeviceConfiguration,
        {
          odataType: "#microsoft.graph.iosGeneralDeviceConfiguration",
          displayName: `sdk-compat ${run} iOS restrictions`,
          passcodeRequired: true,
          passcodeMinimumLength: 14,
          safariCookieSettings: "blockAlways",
          compliantAppListType: "appsInListCompliant",
          compliantAppsList: [
            {
              name: "Microsoft Word",
              publisher: "Microsoft Corporation",
              appStoreUrl: "https://apps.apple.com/us/app/microsoft-word/id586447913",
              appId: "com.microsoft.Office.Word",
            },
          ],
          mediaContentRatingAustralia: { movieRating: "mature", tvRating: "mature" },
        },
        (p) =>
          p.passcodeMinimumLength === 14 &&
          p.safariCookieSettings === "blockAlways" &&
          p.compliantAppsList?.[0]?.appId === "com.microsoft.Office.Word" &&
          p.mediaContentRatingAustralia?.movieRating === "mature",
      ),

    /** iOS device features (iosDeviceFeaturesConfiguration): the lock screen footnote and a
     * notification setting (a complex collection with its alert type enum). */
    iosDeviceFeatures: (run) =>
      profile(
        "iOS device features",
        v1.serializeIosDeviceFeaturesConfiguration,
        {
          odataType: "#microsoft.graph.iosDeviceFeaturesConfiguration",
          displayName: `sdk-compat ${run} iOS device features`,
          lockScreenFootnote: "If lost return to the agency",
          notificationSettings: [
            { bundleID: "com.microsoft.Office.Outlook", appName: "Outlook", alertType: "banner", enabled: true, showOnLockScreen: false },
          ],
        },
        (p) =>
          p.lockScreenFootnote === "If lost return to the agency" &&
          p.notificationSettings?.[0]?.alertType === "banner" &&
          p.notificationSettings[0].showOnLockScreen === false,
      ),

    /** Microsoft Edge for Windows (windowsMicrosoftEdgeApp) among the mobile apps. */
    edgeApp: (run) =>
      createReadDelete({
        path: "/deviceAppManagement/mobileApps",
        what: "Edge for Windows",
        serialize: v1.serializeWindowsMicrosoftEdgeApp,
        create: v1.createMobileAppFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.windowsMicrosoftEdgeApp",
          displayName: `sdk-compat ${run} Edge`,
          publisher: "Microsoft",
          channel: "stable",
          displayLanguageLocale: "en-AU",
        },
        readBack: (a) => a.channel === "stable" && a.displayLanguageLocale === "en-AU",
      }),

    /** SharePoint's tenant settings (sharepointSettings), the idle sign-out a complex value. */
    sharepointSettings: () =>
      singletonRoundTrip({
        path: "/admin/sharepoint/settings",
        what: "SharePoint settings",
        serialize: v1.serializeSharepointSettings,
        create: v1.createSharepointSettingsFromDiscriminatorValue,
        change: {
          sharingCapability: "existingExternalUserSharingOnly",
          idleSessionSignOut: { isEnabled: true, warnAfterInSeconds: 3300, signOutAfterInSeconds: 3600 },
        },
        readBack: (s, before) =>
          s.sharingCapability === "existingExternalUserSharingOnly" &&
          s.idleSessionSignOut?.signOutAfterInSeconds === 3600 &&
          s.isSiteCreationEnabled === before.isSiteCreationEnabled,
        restore: (before) => ({ sharingCapability: before.sharingCapability, idleSessionSignOut: before.idleSessionSignOut }),
      }),

    /** A terms of use agreement: its PDF Edm.Binary, its frequencies Edm.Duration. */
    agreement: (run) =>
      createReadDelete({
        path: "/identityGovernance/termsOfUse/agreements",
        what: "terms of use agreement",
        serialize: v1.serializeAgreement,
        create: v1.createAgreementFromDiscriminatorValue,
        value: {
          displayName: `sdk-compat ${run} terms of use`,
          isViewingBeforeAcceptanceRequired: true,
          isPerDeviceAcceptanceRequired: false,
          userReacceptRequiredFrequency: new Duration({ days: 365 }),
          termsExpiration: { startDateTime: new Date("2027-01-01T00:00:00Z"), frequency: new Duration({ days: 180 }) },
          files: [
            {
              fileName: "terms.pdf",
              displayName: "Terms of use",
              language: "en-AU",
              isDefault: true,
              fileData: { data: bytes("%PDF-1.4\n%sdk-compat\n") },
            },
          ],
        },
        readBack: (a) =>
          a.isViewingBeforeAcceptanceRequired === true &&
          a.userReacceptRequiredFrequency?.days === 365 &&
          a.termsExpiration?.frequency?.days === 180,
      }),

    /** A directory setting from the Group.Unified template (groupSetting). */
    groupSetting: async () => {
      const setting = await createReadDelete({
        path: "/groupSettings",
        what: "Group.Unified group setting",
        serialize: v1.serializeGroupSetting,
        create: v1.createGroupSettingFromDiscriminatorValue,
        value: {
          templateId: "62375ab9-6b52-47ed-826b-58e47e0e304b",
          values: [{ name: "EnableMIPLabels", value: "true" }],
        },
        readBack: (s) =>
          s.displayName === "Group.Unified" &&
          s.values?.find((v) => v.name === "EnableMIPLabels")?.value === "true" &&
          s.values.length > 1,
      });
      return setting;
    },

    /** A Windows compliance policy (v1.0) with its block action, then beta's settings PATCHed
     * onto it with the beta SDK's model (deviceCompliancePolicy, deviceCompliancePolicyBeta). */
    compliancePolicy: async (run) => {
      const path = "/deviceManagement/deviceCompliancePolicies";
      const body = writeModel(v1.serializeWindows10CompliancePolicy, {
        odataType: "#microsoft.graph.windows10CompliancePolicy",
        displayName: `sdk-compat ${run} models compliance`,
        passwordRequired: true,
        passwordMinimumLength: 14,
        bitLockerEnabled: true,
        scheduledActionsForRule: [
          {
            ruleName: "PasswordRequired",
            scheduledActionConfigurations: [{ actionType: "block", gracePeriodHours: 24, notificationTemplateId: "", notificationMessageCCList: [] }],
          },
        ],
      });
      const created = await step(`POST ${path} (models)`, () => client.api(path).post(body));
      const itemPath = `${path}/${created.id}`;
      try {
        const got = readsAs("GET the compliance policy", v1.createDeviceCompliancePolicyFromDiscriminatorValue,
          await step(`GET ${itemPath}`, () => client.api(itemPath).get()), "#microsoft.graph.windows10CompliancePolicy");
        check(got.passwordMinimumLength === 14 && got.bitLockerEnabled === true, "the compliance policy reads back through the SDK's model", JSON.stringify(got));
        await step(`PATCH beta ${itemPath} (models)`, () =>
          client.api(itemPath).version("beta").patch(writeModel(beta.serializeWindows10CompliancePolicy, {
            odataType: "#microsoft.graph.windows10CompliancePolicy",
            tpmRequired: true,
            deviceThreatProtectionRequiredSecurityLevel: "medium",
            memoryIntegrityEnabled: true,
          })),
        );
        const betaGot = readsAs("GET beta the compliance policy", beta.createDeviceCompliancePolicyFromDiscriminatorValue,
          await step(`GET beta ${itemPath}`, () => client.api(itemPath).version("beta").get()), "#microsoft.graph.windows10CompliancePolicy");
        check(
          betaGot.tpmRequired === true && betaGot.memoryIntegrityEnabled === true && betaGot.deviceThreatProtectionRequiredSecurityLevel === "medium" && betaGot.passwordMinimumLength === 14,
          "beta's settings PATCHed with the beta SDK's model read back on the v1.0 policy",
          JSON.stringify(betaGot),
        );
      } finally {
        await step(`DELETE ${itemPath}`, () => client.api(itemPath).delete());
      }
    },

    /** The device restrictions and endpoint protection profiles (v1.0), then the settings only
     * beta has PATCHed onto each with the beta SDK's model (deviceConfiguration,
     * deviceConfigurationBeta): beta reads the one profile whole, v1.0 without beta's settings. */
    profileBetaSettings: async (run) => {
      const profiles = [
        {
          what: "endpoint protection profile",
          odataType: "#microsoft.graph.windows10EndpointProtectionConfiguration",
          v1Serialize: v1.serializeWindows10EndpointProtectionConfiguration,
          v1Value: { smartScreenEnableInShell: true },
          betaSerialize: beta.serializeWindows10EndpointProtectionConfiguration,
          betaValue: {
            localSecurityOptionsGuestAccountName: "Blueprint_guest",
            localSecurityOptionsMinimumSessionSecurityForNtlmSspBasedClients: "ntlmV2And128BitEncryption",
            lanManagerAuthenticationLevel: "lmAndNtlmV2",
            xboxServicesLiveNetworkingServiceStartupMode: "disabled",
          },
          readBack: (p) =>
            p.smartScreenEnableInShell === true &&
            p.localSecurityOptionsGuestAccountName === "Blueprint_guest" &&
            p.lanManagerAuthenticationLevel === "lmAndNtlmV2" &&
            p.xboxServicesLiveNetworkingServiceStartupMode === "disabled",
        },
        {
          what: "device restrictions profile",
          odataType: "#microsoft.graph.windows10GeneralConfiguration",
          v1Serialize: v1.serializeWindows10GeneralConfiguration,
          v1Value: { passwordMinimumLength: 14 },
          betaSerialize: beta.serializeWindows10GeneralConfiguration,
          betaValue: { searchBlockWebResults: true, lockScreenActivateAppsWithVoice: "disabled", powerHybridSleepOnBattery: "disabled" },
          readBack: (p) =>
            p.passwordMinimumLength === 14 && p.searchBlockWebResults === true && p.lockScreenActivateAppsWithVoice === "disabled",
        },
      ];
      for (const p of profiles) {
        const body = writeModel(p.v1Serialize, { odataType: p.odataType, displayName: `sdk-compat ${run} models ${p.what}`, ...p.v1Value });
        const created = await step(`POST ${configurations} (${p.what})`, () => client.api(configurations).post(body));
        const itemPath = `${configurations}/${created.id}`;
        try {
          await step(`PATCH beta ${itemPath} (${p.what})`, () =>
            client.api(itemPath).version("beta").patch(writeModel(p.betaSerialize, { odataType: p.odataType, ...p.betaValue })),
          );
          const betaGot = readsAs(`GET beta the ${p.what}`, beta.createDeviceConfigurationFromDiscriminatorValue,
            await step(`GET beta ${itemPath}`, () => client.api(itemPath).version("beta").get()), p.odataType);
          check(p.readBack(betaGot), `beta's settings of the ${p.what}, PATCHed with the beta SDK's model, read back on the v1.0 profile`, JSON.stringify(betaGot));
          readsAs(`GET the ${p.what} (v1.0, without beta's settings)`, v1.createDeviceConfigurationFromDiscriminatorValue,
            await step(`GET ${itemPath}`, () => client.api(itemPath).get()), p.odataType);
        } finally {
          await step(`DELETE ${itemPath}`, () => client.api(itemPath).delete());
        }
      }
    },

    /** An iOS compliance policy (v1.0), as the catalogue's iOS policy is. */
    iosCompliancePolicy: (run) =>
      createReadDelete({
        path: "/deviceManagement/deviceCompliancePolicies",
        what: "iOS compliance policy",
        serialize: v1.serializeIosCompliancePolicy,
        create: v1.createDeviceCompliancePolicyFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.iosCompliancePolicy",
          displayName: `sdk-compat ${run} iOS compliance`,
          passcodeRequired: true,
          passcodeMinimumLength: 6,
          passcodeRequiredType: "numeric",
          securityBlockJailbrokenDevices: true,
          osMinimumVersion: "17.0",
          scheduledActionsForRule: [{ ruleName: "PasswordRequired", scheduledActionConfigurations: [{ actionType: "block", gracePeriodHours: 0 }] }],
        },
        readBack: (p) => p.passcodeRequiredType === "numeric" && p.securityBlockJailbrokenDevices === true && p.osMinimumVersion === "17.0",
      }),

    /** A web link (webApp), created with the SDK's model. */
    webApp: (run) =>
      createReadDelete({
        path: "/deviceAppManagement/mobileApps",
        what: "web link",
        serialize: v1.serializeWebApp,
        create: v1.createMobileAppFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.webApp",
          displayName: `sdk-compat ${run} models portal`,
          publisher: "Microsoft",
          appUrl: "https://portal.manage.microsoft.com/",
          useManagedBrowser: false,
          isFeatured: true,
        },
        readBack: (a) => a.appUrl === "https://portal.manage.microsoft.com/" && a.isFeatured === true && a.publishingState === "published",
      }),

    /** Microsoft 365 Apps (officeSuiteApp, beta), created with the beta SDK's model. */
    officeSuiteApp: (run) =>
      createReadDelete({
        version: "beta",
        path: "/deviceAppManagement/mobileApps",
        what: "Microsoft 365 Apps suite",
        serialize: beta.serializeOfficeSuiteApp,
        create: beta.createMobileAppFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.officeSuiteApp",
          displayName: `sdk-compat ${run} models Microsoft 365 Apps`,
          publisher: "Microsoft",
          autoAcceptEula: true,
          productIds: ["o365ProPlusRetail"],
          excludedApps: { groove: true, lync: true, bing: true },
          useSharedComputerActivation: false,
          updateChannel: "current",
          // A flags enum: the SDK writes the array as Graph's comma-separated string.
          officePlatformArchitecture: ["x64"],
          localesToInstall: ["en-us"],
        },
        readBack: (a) =>
          a.updateChannel === "current" &&
          a.productIds?.[0] === "o365ProPlusRetail" &&
          a.excludedApps?.lync === true &&
          a.localesToInstall?.[0] === "en-us" &&
          // beta's mobileApp: the Default scope tag, not assigned, its content ready.
          a.roleScopeTagIds?.[0] === "0" &&
          a.isAssigned === false &&
          a.uploadState === 1,
      }),

    /** Delivery Optimisation (windowsDeliveryOptimizationConfiguration, beta), its bandwidth and
     * cache size abstract complex values given by their derived types. */
    deliveryOptimisation: (run) =>
      createReadDelete({
        version: "beta",
        path: "/deviceManagement/deviceConfigurations",
        what: "Delivery Optimisation profile",
        serialize: beta.serializeWindowsDeliveryOptimizationConfiguration,
        create: beta.createDeviceConfigurationFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.windowsDeliveryOptimizationConfiguration",
          displayName: `sdk-compat ${run} models Delivery Optimisation`,
          deliveryOptimizationMode: "httpWithPeeringNat",
          backgroundDownloadFromHttpDelayInSeconds: 60,
          minimumRamAllowedToPeerInGigabytes: 4,
          maximumCacheAgeInDays: 7,
          additionalData: {
            bandwidthMode: nestedDerived(beta.serializeDeliveryOptimizationBandwidthPercentage, {
              odataType: "#microsoft.graph.deliveryOptimizationBandwidthPercentage",
              maximumForegroundBandwidthPercentage: 70,
              maximumBackgroundBandwidthPercentage: 25,
            }),
            maximumCacheSize: nestedDerived(beta.serializeDeliveryOptimizationMaxCacheSizePercentage, {
              odataType: "#microsoft.graph.deliveryOptimizationMaxCacheSizePercentage",
              maximumCacheSizePercentage: 20,
            }),
          },
        },
        readBack: (p) =>
          p.deliveryOptimizationMode === "httpWithPeeringNat" &&
          p.backgroundDownloadFromHttpDelayInSeconds === 60 &&
          p.bandwidthMode?.odataType === "#microsoft.graph.deliveryOptimizationBandwidthPercentage" &&
          p.bandwidthMode.maximumForegroundBandwidthPercentage === 70 &&
          p.maximumCacheSize?.maximumCacheSizePercentage === 20,
      }),

    /** Network Boundary (windows10NetworkBoundaryConfiguration, beta only): its isolation
     * policy's cloud resources (proxiedDomain) and IP ranges, derived types of the abstract
     * ipRange nested in the policy (microsoft/kiota#6777). */
    networkBoundary: (run) =>
      createReadDelete({
        version: "beta",
        path: configurations,
        what: "Network Boundary profile",
        serialize: beta.serializeWindows10NetworkBoundaryConfiguration,
        create: beta.createDeviceConfigurationFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.windows10NetworkBoundaryConfiguration",
          displayName: `sdk-compat ${run} models Network Boundary`,
          windowsNetworkIsolationPolicy: {
            enterpriseCloudResources: [{ ipAddressOrFQDN: "sharepoint.com" }, { ipAddressOrFQDN: "teams.microsoft.com", proxy: "proxy.example.gov.au:8080" }],
            enterpriseNetworkDomainNames: ["corp.example.gov.au"],
            enterpriseIPRangesAreAuthoritative: true,
            additionalData: {
              enterpriseIPRanges: [
                nestedDerived(beta.serializeIPv4Range, { odataType: "#microsoft.graph.iPv4Range", lowerAddress: "10.0.0.1", upperAddress: "10.0.255.254" }),
                nestedDerived(beta.serializeIPv6CidrRange, { odataType: "#microsoft.graph.iPv6CidrRange", cidrAddress: "2001:db8::/32" }),
              ],
            },
          },
        },
        readBack: (p) => {
          const policy = p.windowsNetworkIsolationPolicy;
          const [v4, v6] = policy?.enterpriseIPRanges ?? [];
          return (
            policy?.enterpriseCloudResources?.length === 2 &&
            policy.enterpriseCloudResources[1].proxy === "proxy.example.gov.au:8080" &&
            policy.enterpriseNetworkDomainNames?.[0] === "corp.example.gov.au" &&
            policy.enterpriseIPRangesAreAuthoritative === true &&
            v4?.odataType === "#microsoft.graph.iPv4Range" &&
            v4.upperAddress === "10.0.255.254" &&
            v6?.odataType === "#microsoft.graph.iPv6CidrRange" &&
            v6.cidrAddress === "2001:db8::/32"
          );
        },
      }),

    /** An iOS app protection policy (iosManagedAppProtection, v1.0) written with the SDK's
     * model (durations Edm.Duration, managedBrowser a flags enum), its apps set through
     * `targetApps` and read with `$expand=apps`, assigned through `assign`. The typed Node SDK
     * has no request builders for Intune's paths, so the actions' bodies are the parameters
     * around values the SDK's models write. */
    iosAppProtection: async (run) => {
      const path = "/deviceAppManagement/iosManagedAppProtections";
      const type = "#microsoft.graph.iosManagedAppProtection";
      const body = writeModel(v1.serializeIosManagedAppProtection, {
        odataType: type,
        displayName: `sdk-compat ${run} models iOS app protection`,
        description: "App management for Apple",
        dataBackupBlocked: true,
        allowedOutboundDataTransferDestinations: "managedApps",
        allowedInboundDataTransferSources: "managedApps",
        allowedOutboundClipboardSharingLevel: "managedAppsWithPasteIn",
        allowedDataStorageLocations: ["oneDriveForBusiness", "sharePoint"],
        saveAsBlocked: true,
        appDataEncryptionType: "whenDeviceLocked",
        managedBrowserToOpenLinksRequired: true,
        managedBrowser: ["microsoftEdge"],
        pinRequired: true,
        pinCharacterSet: "numeric",
        minimumPinLength: 4,
        periodBeforePinReset: new Duration({ days: 365 }),
        periodOnlineBeforeAccessCheck: new Duration({ minutes: 30 }),
        periodOfflineBeforeAccessCheck: new Duration({ hours: 12 }),
        periodOfflineBeforeWipeIsEnforced: new Duration({ days: 90 }),
        maximumPinRetries: 5,
        minimumRequiredOsVersion: "12.0",
      });
      const created = await step(`POST ${path} (models)`, () => client.api(path).post(body));
      check(typeof created?.id === "string", `POST ${path} creates the iOS app protection policy`, JSON.stringify(created));
      const itemPath = `${path}/${created.id}`;
      const group = await step("POST /groups (app protection's group)", () =>
        client.api("/groups").post({ displayName: `sdk-compat ${run} app protection users`, mailEnabled: false, mailNickname: `sdkcompatapp${run}`, securityEnabled: true }),
      );
      try {
        const got = readsAs("GET the iOS app protection policy", v1.createManagedAppPolicyFromDiscriminatorValue,
          await step(`GET ${itemPath}`, () => client.api(itemPath).get()), type);
        check(
          got.periodOnlineBeforeAccessCheck?.minutes === 30 &&
            got.periodOfflineBeforeAccessCheck?.hours === 12 &&
            got.periodBeforePinReset?.days === 365 &&
            got.appDataEncryptionType === "whenDeviceLocked" &&
            got.allowedOutboundClipboardSharingLevel === "managedAppsWithPasteIn" &&
            JSON.stringify(got.allowedDataStorageLocations) === '["oneDriveForBusiness","sharePoint"]' &&
            got.isAssigned === false &&
            got.apps === undefined,
          "the iOS app protection policy reads back through the SDK's model, unassigned, its apps only when expanded",
          JSON.stringify(got),
        );
        const patched = readsAs("PATCH the iOS app protection policy", v1.createManagedAppPolicyFromDiscriminatorValue,
          await step(`PATCH ${itemPath} (models)`, () =>
            client.api(itemPath).patch(writeModel(v1.serializeIosManagedAppProtection, { odataType: type, printBlocked: true, contactSyncBlocked: true })),
          ), type);
        check(
          patched.printBlocked === true && patched.contactSyncBlocked === true && patched.periodOnlineBeforeAccessCheck?.minutes === 30,
          "a PATCH with the SDK's model answers with the policy, its other settings kept",
          JSON.stringify(patched),
        );
        // Each app's identifier is a derived type of the abstract mobileAppIdentifier (kiota#6777).
        const app = (bundleId) =>
          writeModel(v1.serializeManagedMobileApp, {
            additionalData: { mobileAppIdentifier: nestedDerived(v1.serializeIosMobileAppIdentifier, { odataType: "#microsoft.graph.iosMobileAppIdentifier", bundleId }) },
          });
        await step(`POST ${itemPath}/targetApps (models)`, () =>
          client.api(`${itemPath}/targetApps`).post({ apps: [app("com.microsoft.office.outlook"), app("com.microsoft.skype.teams")], appGroupType: "selectedPublicApps" }),
        );
        const expanded = readsAs("GET the policy with $expand=apps", v1.createManagedAppPolicyFromDiscriminatorValue,
          await step(`GET ${itemPath}?$expand=apps`, () => client.api(itemPath).expand("apps").get()), type);
        const bundles = (expanded.apps ?? []).map((a) => a.mobileAppIdentifier?.odataType === "#microsoft.graph.iosMobileAppIdentifier" && a.mobileAppIdentifier.bundleId);
        check(
          JSON.stringify(bundles) === '["com.microsoft.office.outlook","com.microsoft.skype.teams"]' && typeof expanded.apps[0].id === "string",
          "targetApps with the SDK's managedMobileApp sets the apps, read back as iosMobileAppIdentifiers",
          JSON.stringify(expanded.apps),
        );
        const apps = readsAs("GET the policy's apps", v1.createManagedMobileAppCollectionResponseFromDiscriminatorValue,
          await step(`GET ${itemPath}/apps`, () => client.api(`${itemPath}/apps`).get()));
        check(apps.value?.length === 2, "GET {id}/apps lists the two apps as managedMobileApp", JSON.stringify(apps));
        // Each target is a derived type of the abstract deviceAndAppManagementAssignmentTarget.
        const assignment = (serialize, odataType) =>
          writeModel(v1.serializeTargetedManagedAppPolicyAssignment, {
            additionalData: { target: nestedDerived(serialize, { odataType, groupId: group.id }) },
          });
        await step(`POST ${itemPath}/assign (models)`, () =>
          client.api(`${itemPath}/assign`).post({
            assignments: [assignment(v1.serializeGroupAssignmentTarget, "#microsoft.graph.groupAssignmentTarget")],
          }),
        );
        const assigned = readsAs("GET the policy's assignments", v1.createTargetedManagedAppPolicyAssignmentCollectionResponseFromDiscriminatorValue,
          await step(`GET ${itemPath}/assignments`, () => client.api(`${itemPath}/assignments`).get()));
        const after = readModel(v1.createManagedAppPolicyFromDiscriminatorValue, await step(`GET ${itemPath}`, () => client.api(itemPath).get()));
        check(
          assigned.value?.length === 1 &&
            assigned.value[0].target?.odataType === "#microsoft.graph.groupAssignmentTarget" &&
            assigned.value[0].target.groupId === group.id &&
            after.isAssigned === true,
          "assign with the SDK's targetedManagedAppPolicyAssignment reads back, and the policy says it is assigned",
          JSON.stringify({ assigned, isAssigned: after.isAssigned }),
        );
      } finally {
        await step(`DELETE ${itemPath}`, () => client.api(itemPath).delete());
        await step(`DELETE /groups/${group.id}`, () => client.api(`/groups/${group.id}`).delete());
      }
    },

    /** The iOS app protection policy's settings only beta has (iosManagedAppProtection, beta
     * SDK): PATCHed onto a v1.0 policy with the beta SDK's model and read back through beta,
     * v1.0 still reading it with v1.0's properties only. */
    iosAppProtectionBeta: async (run) => {
      const path = "/deviceAppManagement/iosManagedAppProtections";
      const type = "#microsoft.graph.iosManagedAppProtection";
      const created = await step(`POST ${path} (beta settings)`, () =>
        client.api(path).post(writeModel(v1.serializeIosManagedAppProtection, { odataType: type, displayName: `sdk-compat ${run} models iOS beta settings` })),
      );
      const itemPath = `${path}/${created.id}`;
      try {
        await step(`PATCH beta ${itemPath} (models)`, () =>
          client.api(itemPath).version("beta").patch(writeModel(beta.serializeIosManagedAppProtection, {
            odataType: type,
            exemptedAppProtocols: [{ name: "Apple Maps", value: "maps" }, { name: "Google Maps", value: "comgooglemaps" }],
            allowedOutboundClipboardSharingExceptionLength: 0,
            thirdPartyKeyboardsBlocked: true,
            notificationRestriction: "blockOrganizationalData",
            appActionIfMaximumPinRetriesExceeded: "block",
          })),
        );
        const got = readsAs("GET beta the iOS app protection policy", beta.createManagedAppPolicyFromDiscriminatorValue,
          await step(`GET beta ${itemPath}`, () => client.api(itemPath).version("beta").get()), type);
        check(
          got.exemptedAppProtocols?.map((p) => `${p.name}=${p.value}`).join(" ") === "Apple Maps=maps Google Maps=comgooglemaps" &&
            got.allowedOutboundClipboardSharingExceptionLength === 0 &&
            got.thirdPartyKeyboardsBlocked === true &&
            got.notificationRestriction === "blockOrganizationalData" &&
            got.appActionIfMaximumPinRetriesExceeded === "block",
          "beta's settings PATCHed with the beta SDK's model read back through beta",
          JSON.stringify(got),
        );
        readsAs("GET v1.0 the policy after beta's PATCH", v1.createManagedAppPolicyFromDiscriminatorValue,
          await step(`GET ${itemPath}`, () => client.api(itemPath).get()), type);
      } finally {
        await step(`DELETE ${itemPath}`, () => client.api(itemPath).delete());
      }
    },

    /** An administrative template (groupPolicyConfiguration, beta only): Edge's definitions
     * listed by category path, a drop-down value and a list box value added through
     * `updateDefinitionValues`, read back expanded into the beta SDK's models, one updated and
     * one deleted, then the configuration assigned. */
    administrativeTemplate: async (run) => {
      const definitionsPath = "/deviceManagement/groupPolicyDefinitions";
      const listed = readsAs("GET beta the Edge definitions", beta.createGroupPolicyDefinitionCollectionResponseFromDiscriminatorValue,
        await step(`GET beta ${definitionsPath}?$filter=categoryPath`, () =>
          client.api(definitionsPath).version("beta").filter("classType eq 'machine' and categoryPath eq '\\Microsoft Edge'").get(),
        ));
      const devTools = listed.value?.find((d) => d.displayName === "Control where developer tools can be used");
      const blockList = listed.value?.find((d) => d.displayName === "Block access to a list of URLs");
      check(
        devTools !== undefined && blockList !== undefined &&
          listed.value.every((d) => d.classType === "machine" && d.categoryPath === "\\Microsoft Edge" && d.policyType === "admxBacked"),
        "the definitions filtered by class and category path read as the beta SDK's groupPolicyDefinition",
        JSON.stringify(listed.value?.map((d) => d.displayName)),
      );
      const presentationsOf = async (d) =>
        readsAs(`GET beta the presentations of '${d.displayName}'`, beta.createGroupPolicyPresentationCollectionResponseFromDiscriminatorValue,
          await step(`GET beta ${definitionsPath}/${d.id}/presentations`, () => client.api(`${definitionsPath}/${d.id}/presentations`).version("beta").get())).value;
      const [dropdown] = await presentationsOf(devTools);
      const [listBox] = await presentationsOf(blockList);
      check(
        dropdown?.odataType === "#microsoft.graph.groupPolicyPresentationDropdownList" &&
          dropdown.items?.some((i) => i.value === "2") &&
          listBox?.odataType === "#microsoft.graph.groupPolicyPresentationListBox",
        "the presentations read as their derived types (a drop-down with its items, a list box)",
        JSON.stringify({ dropdown, listBox }),
      );
      const path = "/deviceManagement/groupPolicyConfigurations";
      const created = await step(`POST beta ${path} (models)`, () =>
        client.api(path).version("beta").post(writeModel(beta.serializeGroupPolicyConfiguration, {
          displayName: `sdk-compat ${run} models Edge`,
          description: "Administrative template",
        })),
      );
      const itemPath = `${path}/${created.id}`;
      const renamed = readsAs("PATCH beta the administrative template", beta.createGroupPolicyConfigurationFromDiscriminatorValue,
        await step(`PATCH beta ${itemPath} (models)`, () =>
          client.api(itemPath).version("beta").patch(writeModel(beta.serializeGroupPolicyConfiguration, { description: "Edge hardening" })),
        ));
      check(
        renamed.description === "Edge hardening" && renamed.displayName === `sdk-compat ${run} models Edge` && renamed.roleScopeTagIds?.[0] === "0",
        "a PATCH of the administrative template with the beta SDK's model answers with it",
        JSON.stringify(renamed),
      );
      const bind = (tail) => `https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('${tail}`;
      try {
        // Each value binds its definition, each presentation value its presentation (OData
        // binds in additionalData); presentation values are derived types (kiota#6777).
        const value = (definition, enabled, presentationValues) =>
          writeModel(beta.serializeGroupPolicyDefinitionValue, {
            enabled,
            additionalData: { "definition@odata.bind": bind(`${definition.id}')`), presentationValues },
          });
        const presentationValue = (serialize, odataType, presentation, definition, fields) =>
          nestedDerived(serialize, { odataType, ...fields, additionalData: { "presentation@odata.bind": bind(`${definition.id}')/presentations('${presentation.id}')`) } });
        await step(`POST beta ${itemPath}/updateDefinitionValues (models)`, () =>
          client.api(`${itemPath}/updateDefinitionValues`).version("beta").post({
            added: [
              value(devTools, true, [presentationValue(beta.serializeGroupPolicyPresentationValueText, "#microsoft.graph.groupPolicyPresentationValueText", dropdown, devTools, { value: "2" })]),
              value(blockList, true, [
                presentationValue(beta.serializeGroupPolicyPresentationValueList, "#microsoft.graph.groupPolicyPresentationValueList", listBox, blockList, {
                  values: [{ name: "javascript://*", value: "" }, { name: "file://*", value: "" }],
                }),
              ]),
            ],
            updated: [],
            deletedIds: [],
          }),
        );
        const read = async () =>
          readsAs("GET beta the administrative template with its values expanded", beta.createGroupPolicyConfigurationFromDiscriminatorValue,
            await step(`GET beta ${itemPath}?$expand=definitionValues(…)`, () =>
              client.api(itemPath).version("beta").expand("definitionValues($expand=definition,presentationValues($expand=presentation))").get(),
            ));
        const got = await read();
        const valueOf = (g, d) => g.definitionValues?.find((v) => v.definition?.id === d.id);
        const devValue = valueOf(got, devTools);
        const listValue = valueOf(got, blockList);
        check(
          got.definitionValues?.length === 2 &&
            devValue?.enabled === true &&
            devValue.presentationValues?.[0]?.odataType === "#microsoft.graph.groupPolicyPresentationValueText" &&
            devValue.presentationValues[0].value === "2" &&
            devValue.presentationValues[0].presentation?.odataType === "#microsoft.graph.groupPolicyPresentationDropdownList" &&
            listValue?.presentationValues?.[0]?.odataType === "#microsoft.graph.groupPolicyPresentationValueList" &&
            listValue.presentationValues[0].values?.map((p) => p.name).join(" ") === "javascript://* file://*",
          "the values read back expanded through the beta SDK's models, their definitions and presentations bound",
          JSON.stringify(got.definitionValues),
        );
        await step(`POST beta ${itemPath}/updateDefinitionValues (update and delete)`, () =>
          client.api(`${itemPath}/updateDefinitionValues`).version("beta").post({
            added: [],
            updated: [writeModel(beta.serializeGroupPolicyDefinitionValue, { id: devValue.id, enabled: false })],
            deletedIds: [listValue.id],
          }),
        );
        const values = readsAs("GET beta the template's definitionValues", beta.createGroupPolicyDefinitionValueCollectionResponseFromDiscriminatorValue,
          await step(`GET beta ${itemPath}/definitionValues`, () => client.api(`${itemPath}/definitionValues`).version("beta").get()));
        check(
          values.value?.length === 1 && values.value[0].id === devValue.id && values.value[0].enabled === false,
          "updateDefinitionValues updates a value by its id and deletes another",
          JSON.stringify(values),
        );
        const assignedBack = await step(`POST beta ${itemPath}/assign (models)`, () =>
          client.api(`${itemPath}/assign`).version("beta").post({
            assignments: [
              writeModel(beta.serializeGroupPolicyConfigurationAssignment, {
                additionalData: { target: nestedDerived(beta.serializeAllDevicesAssignmentTarget, { odataType: "#microsoft.graph.allDevicesAssignmentTarget" }) },
              }),
            ],
          }),
        );
        const answer = readsAs("the assign answer", beta.createGroupPolicyConfigurationAssignmentCollectionResponseFromDiscriminatorValue, assignedBack);
        check(
          answer.value?.length === 1 &&
            answer.value[0].target?.odataType === "#microsoft.graph.allDevicesAssignmentTarget" &&
            answer.value[0].lastModifiedDateTime instanceof Date,
          "assign answers with the groupPolicyConfigurationAssignments, each with its write time",
          JSON.stringify(assignedBack),
        );
      } finally {
        await step(`DELETE beta ${itemPath}`, () => client.api(itemPath).version("beta").delete());
      }
    },

    /** A Windows Autopilot deployment profile (beta), created with the beta SDK's model. */
    autopilotProfile: (run) =>
      createReadDelete({
        version: "beta",
        path: "/deviceManagement/windowsAutopilotDeploymentProfiles",
        what: "Autopilot profile",
        serialize: beta.serializeAzureADWindowsAutopilotDeploymentProfile,
        create: beta.createWindowsAutopilotDeploymentProfileFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
          displayName: `sdk-compat ${run} models Autopilot`,
          locale: "en-AU",
          deviceNameTemplate: "AG-%RAND:5%",
          preprovisioningAllowed: true,
          outOfBoxExperienceSetting: { deviceUsageType: "singleUser", userType: "standard", privacySettingsHidden: true, eulaHidden: true },
          enrollmentStatusScreenSettings: { hideInstallationProgress: false, installProgressTimeoutInMinutes: 60, customErrorMessage: "Call the service desk" },
        },
        readBack: (p) =>
          p.outOfBoxExperienceSetting?.userType === "standard" &&
          p.deviceType === "windowsPc" &&
          p.preprovisioningAllowed === true &&
          p.enrollmentStatusScreenSettings?.installProgressTimeoutInMinutes === 60,
      }),

    /** An Apple enrolment (DEP) profile (beta), created with the beta SDK's model under the
     * tenant's Apple enrolment program token, which is read first with the token's model
     * (`/deviceManagement/depOnboardingSettings/{id}/enrollmentProfiles`). */
    depProfile: async (run) => {
      const listed = await step("GET beta /deviceManagement/depOnboardingSettings", () =>
        client.api("/deviceManagement/depOnboardingSettings").version("beta").get(),
      );
      const tokens = readsAs(
        "GET beta depOnboardingSettings",
        beta.createDepOnboardingSettingCollectionResponseFromDiscriminatorValue,
        listed,
      );
      const token = tokens?.value?.[0];
      check(
        tokens?.value?.length === 1 && token.tokenType === "dep" && token.tokenExpirationDateTime instanceof Date,
        "the tenant's one Apple enrolment program token reads into the SDK's model",
        JSON.stringify(listed),
      );
      if (token?.id === undefined) return undefined;
      return createReadDelete({
        version: "beta",
        path: `/deviceManagement/depOnboardingSettings/${token.id}/enrollmentProfiles`,
        what: "Apple enrolment profile",
        serialize: beta.serializeDepIOSEnrollmentProfile,
        create: beta.createEnrollmentProfileFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.depIOSEnrollmentProfile",
          displayName: `sdk-compat ${run} models DEP profile`,
          requiresUserAuthentication: true,
          enableAuthenticationViaCompanyPortal: true,
          supervisedModeEnabled: true,
          profileRemovalDisabled: true,
          enableSharedIPad: false,
          iTunesPairingMode: "disallow",
          deviceNameTemplate: "{SERIAL}-{DEVICETYPE}",
          supportDepartment: "Example Agency",
          passCodeDisabled: true,
          restoreFromAndroidDisabled: true,
          updateCompleteScreenDisabled: true,
        },
        readBack: (p) =>
          p.iTunesPairingMode === "disallow" &&
          p.supervisedModeEnabled === true &&
          p.deviceNameTemplate === "{SERIAL}-{DEVICETYPE}" &&
          p.updateCompleteScreenDisabled === true &&
          p.enableSharedIPad === false,
      });
    },

    /** An Apple enrolment type profile (appleUserInitiatedEnrollmentProfile, beta only), created
     * with the beta SDK's model, assigned one assignment at a time (POST {id}/assignments with
     * appleEnrollmentProfileAssignment) and read back into the beta SDK's models. */
    appleEnrolmentTypeProfile: async (run) => {
      const path = "/deviceManagement/appleUserInitiatedEnrollmentProfiles";
      const created = await step(`POST beta ${path} (models)`, () =>
        client.api(path).version("beta").post(writeModel(beta.serializeAppleUserInitiatedEnrollmentProfile, {
          displayName: `sdk-compat ${run} models enrolment type`,
          platform: "iOS",
          defaultEnrollmentType: "device",
          availableEnrollmentTypeOptions: [{ ownerType: "company", enrollmentType: "device" }],
        })),
      );
      const itemPath = `${path}/${created.id}`;
      try {
        const got = readsAs("GET beta the enrolment type profile", beta.createAppleUserInitiatedEnrollmentProfileFromDiscriminatorValue,
          await step(`GET beta ${itemPath}`, () => client.api(itemPath).version("beta").get()));
        check(
          got.platform === "iOS" &&
            got.defaultEnrollmentType === "device" &&
            got.availableEnrollmentTypeOptions?.[0]?.ownerType === "company" &&
            Number.isInteger(got.priority) &&
            got.createdDateTime instanceof Date,
          "the enrolment type profile reads back through the beta SDK's model",
          JSON.stringify(got),
        );
        const added = readsAs("the assignment answer", beta.createAppleEnrollmentProfileAssignmentFromDiscriminatorValue,
          await step(`POST beta ${itemPath}/assignments (models)`, () =>
            client.api(`${itemPath}/assignments`).version("beta").post(writeModel(beta.serializeAppleEnrollmentProfileAssignment, {
              additionalData: { target: nestedDerived(beta.serializeAllLicensedUsersAssignmentTarget, { odataType: "#microsoft.graph.allLicensedUsersAssignmentTarget" }) },
            })),
          ));
        const listed = readsAs("GET beta the enrolment type profile's assignments", beta.createAppleEnrollmentProfileAssignmentCollectionResponseFromDiscriminatorValue,
          await step(`GET beta ${itemPath}/assignments`, () => client.api(`${itemPath}/assignments`).version("beta").get()));
        check(
          listed.value?.length === 1 && listed.value[0].id === added.id && listed.value[0].target?.odataType === "#microsoft.graph.allLicensedUsersAssignmentTarget",
          "the assignment posted with the beta SDK's model is listed",
          JSON.stringify(listed),
        );
        await step(`DELETE beta ${itemPath}/assignments/${added.id}`, () => client.api(`${itemPath}/assignments/${added.id}`).version("beta").delete());
      } finally {
        await step(`DELETE beta ${itemPath}`, () => client.api(itemPath).version("beta").delete());
      }
    },

    /** One platform's device restriction (deviceEnrollmentPlatformRestrictionConfiguration, beta
     * only) as intune-device-platform-restrictions creates it, written with the beta SDK's model,
     * assigned to all users through POST {id}/assign (enrollmentConfigurationAssignments) and
     * read back, restriction and assignments, into the beta SDK's models. */
    platformRestriction: async (run) => {
      const path = "/deviceManagement/deviceEnrollmentConfigurations";
      const type = "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";
      const created = await step(`POST beta ${path} (models, platform restriction)`, () =>
        client.api(path).version("beta").post(writeModel(beta.serializeDeviceEnrollmentPlatformRestrictionConfiguration, {
          odataType: type,
          displayName: `sdk-compat ${run} models restriction`,
          platformType: "windows",
          platformRestriction: { platformBlocked: false, personalDeviceEnrollmentBlocked: true, osMinimumVersion: "10.0.19043.0" },
        })),
      );
      const itemPath = `${path}/${created.id}`;
      try {
        const got = readsAs("GET beta the platform restriction", beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
          await step(`GET beta ${itemPath}`, () => client.api(itemPath).version("beta").get()), type);
        check(
          got.platformType === "windows" &&
            got.platformRestriction?.platformBlocked === false &&
            got.platformRestriction?.personalDeviceEnrollmentBlocked === true &&
            got.platformRestriction?.osMinimumVersion === "10.0.19043.0" &&
            got.deviceEnrollmentConfigurationType === "singlePlatformRestriction" &&
            Number.isInteger(got.priority) && got.priority >= 1,
          "the platform restriction reads back through the beta SDK's model",
          JSON.stringify(got),
        );
        await step(`POST beta ${itemPath}/assign (models)`, () =>
          client.api(`${itemPath}/assign`).version("beta").post({
            enrollmentConfigurationAssignments: [writeModel(beta.serializeEnrollmentConfigurationAssignment, {
              additionalData: { target: nestedDerived(beta.serializeAllLicensedUsersAssignmentTarget, { odataType: "#microsoft.graph.allLicensedUsersAssignmentTarget" }) },
            })],
          }),
        );
        const listed = readsAs("GET beta the platform restriction's assignments", beta.createEnrollmentConfigurationAssignmentCollectionResponseFromDiscriminatorValue,
          await step(`GET beta ${itemPath}/assignments`, () => client.api(`${itemPath}/assignments`).version("beta").get()));
        check(
          listed.value?.length === 1 && listed.value[0].target?.odataType === "#microsoft.graph.allLicensedUsersAssignmentTarget",
          "the assignment posted with the beta SDK's model is listed",
          JSON.stringify(listed),
        );
      } finally {
        await step(`DELETE beta ${itemPath}`, () => client.api(itemPath).version("beta").delete());
      }
    },

    /** The iOS Per App VPN profile (iosVpnConfiguration, beta only) with the catalogue's
     * settings, its server a vpnServer, created with the beta SDK's model. */
    iosVpnProfile: (run) =>
      createReadDelete({
        version: "beta",
        path: configurations,
        what: "iOS Per App VPN profile",
        serialize: beta.serializeIosVpnConfiguration,
        create: beta.createDeviceConfigurationFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.iosVpnConfiguration",
          displayName: `sdk-compat ${run} models Per App VPN`,
          connectionName: "PerApp VPN",
          connectionType: "ciscoAnyConnectV2",
          server: { address: "vpn.example.gov.au", description: "PerApp VPN", isDefaultServer: true },
          authenticationMethod: "usernameAndPassword",
          enableSplitTunneling: false,
          enablePerApp: true,
          disableOnDemandUserOverride: true,
        },
        readBack: (p) =>
          p.connectionType === "ciscoAnyConnectV2" &&
          p.server?.address === "vpn.example.gov.au" &&
          p.server.isDefaultServer === true &&
          p.authenticationMethod === "usernameAndPassword" &&
          p.enableSplitTunneling === false &&
          p.enablePerApp === true &&
          p.disableOnDemandUserOverride === true,
      }),

    /** A PowerShell script (deviceManagementScript, beta), its content bytes written as base64. */
    script: (run) =>
      createReadDelete({
        version: "beta",
        path: "/deviceManagement/deviceManagementScripts",
        what: "PowerShell script",
        serialize: beta.serializeDeviceManagementScript,
        create: beta.createDeviceManagementScriptFromDiscriminatorValue,
        value: {
          displayName: `sdk-compat ${run} models script`,
          fileName: "models.ps1",
          scriptContent: bytes("Write-Output 'models'"),
          runAsAccount: "user",
          enforceSignatureCheck: false,
          runAs32Bit: false,
        },
        readBack: (s) => text(s.scriptContent) === "Write-Output 'models'" && s.runAsAccount === "user",
      }),

    /** A settings catalog policy (configurationPolicy, beta) with a choice and an integer setting. */
    settingsCatalogPolicy: async (run) => {
      const path = "/deviceManagement/configurationPolicies";
      const cloud = "device_vendor_msft_policy_config_defender_allowcloudprotection";
      const timeout = "device_vendor_msft_policy_config_defender_cloudextendedtimeout";
      // Each setting instance is a derived type nested in its setting: written by its own
      // serializer (nestedDerived), as is the integer value nested in the simple instance.
      const setting = (serialize, instance) => ({ additionalData: { settingInstance: nestedDerived(serialize, instance) } });
      const body = writeModel(beta.serializeDeviceManagementConfigurationPolicy, {
        name: `sdk-compat ${run} models antivirus`,
        platforms: "windows10",
        technologies: ["mdm", "microsoftSense"],
        templateReference: { templateId: "804339ad-1553-4478-a742-138fb5807418_1" },
        settings: [
          setting(beta.serializeDeviceManagementConfigurationChoiceSettingInstance, {
            odataType: "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            settingDefinitionId: cloud,
            choiceSettingValue: { value: `${cloud}_1`, children: [] },
          }),
          setting(beta.serializeDeviceManagementConfigurationSimpleSettingInstance, {
            odataType: "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            settingDefinitionId: timeout,
            additionalData: {
              simpleSettingValue: nestedDerived(beta.serializeDeviceManagementConfigurationIntegerSettingValue, {
                odataType: "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
                value: 50,
              }),
            },
          }),
        ],
      });
      const created = await step(`POST beta ${path} (models)`, () => client.api(path).version("beta").post(body));
      const itemPath = `${path}/${created.id}`;
      try {
        const raw = await step(`GET beta ${itemPath}?$expand=settings`, () => client.api(itemPath).version("beta").expand("settings").get());
        const got = readsAs("GET beta the settings catalog policy", beta.createDeviceManagementConfigurationPolicyFromDiscriminatorValue, raw);
        const instances = (got.settings ?? []).map((x) => x.settingInstance);
        const choice = instances.find((i) => i?.settingDefinitionId === cloud);
        const simple = instances.find((i) => i?.settingDefinitionId === timeout);
        check(
          // Flags enums, which the Node reader reads as [] (microsoft/kiota#5309): their wire form.
          raw.platforms === "windows10" &&
            raw.technologies === "mdm,microsoftSense" &&
            got.templateReference?.templateFamily === "endpointSecurityAntivirus" &&
            choice?.odataType === "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance" &&
            choice.choiceSettingValue?.value === `${cloud}_1` &&
            simple?.simpleSettingValue?.odataType === "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue" &&
            simple.simpleSettingValue.value === 50,
          "the settings catalog policy reads back through the beta SDK's model, its settings their derived types",
          JSON.stringify(raw),
        );
      } finally {
        await step(`DELETE beta ${itemPath}`, () => client.api(itemPath).version("beta").delete());
      }
    },

    /** An enrolment device limit of the agency's own (deviceEnrollmentLimitConfiguration). */
    enrolmentLimit: (run) =>
      createReadDelete({
        path: "/deviceManagement/deviceEnrollmentConfigurations",
        what: "enrolment device limit",
        serialize: v1.serializeDeviceEnrollmentLimitConfiguration,
        create: v1.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        value: { odataType: "#microsoft.graph.deviceEnrollmentLimitConfiguration", displayName: `sdk-compat ${run} models limit`, limit: 5 },
        readBack: (c) => c.limit === 5 && c.priority >= 1,
      }),

    /** The default Windows Hello for Business and status page configurations PATCHed with the
     * SDKs' models (v1.0 and beta), then put back. */
    enrolmentDefaults: async () => {
      const path = "/deviceManagement/deviceEnrollmentConfigurations";
      const listed = await step(`GET ${path}`, () => client.api(path).get());
      const hello = listed.value.find((c) => c.priority === 0 && c["@odata.type"] === "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration");
      const esp = listed.value.find((c) => c.priority === 0 && c["@odata.type"] === "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration");
      const helloType = "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";
      await step(`PATCH ${path}/{hello} (models)`, () =>
        client.api(`${path}/${hello.id}`).patch(writeModel(v1.serializeDeviceEnrollmentWindowsHelloForBusinessConfiguration, {
          odataType: helloType, pinMinimumLength: 8, pinUppercaseCharactersUsage: "required", enhancedBiometricsState: "enabled",
        })),
      );
      const helloGot = readsAs("GET the default Windows Hello for Business", v1.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        await step(`GET ${path}/{hello}`, () => client.api(`${path}/${hello.id}`).get()), helloType);
      check(
        helloGot.pinMinimumLength === 8 && helloGot.pinUppercaseCharactersUsage === "required" && helloGot.enhancedBiometricsState === "enabled",
        "a PATCH of the default Windows Hello for Business with the SDK's model reads back",
        JSON.stringify(helloGot),
      );
      await step(`PATCH ${path}/{hello} back`, () =>
        client.api(`${path}/${hello.id}`).patch(writeModel(v1.serializeDeviceEnrollmentWindowsHelloForBusinessConfiguration, {
          odataType: helloType, pinMinimumLength: hello.pinMinimumLength, pinUppercaseCharactersUsage: hello.pinUppercaseCharactersUsage, enhancedBiometricsState: hello.enhancedBiometricsState,
        })),
      );
      const espType = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
      const espBefore = readModel(beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        await step(`GET beta ${path}/{esp}`, () => client.api(`${path}/${esp.id}`).version("beta").get()));
      await step(`PATCH beta ${path}/{esp} (models)`, () =>
        client.api(`${path}/${esp.id}`).version("beta").patch(writeModel(beta.serializeWindows10EnrollmentCompletionPageConfiguration, {
          odataType: espType, showInstallationProgress: true, installProgressTimeoutInMinutes: 90, allowDeviceResetOnInstallFailure: true,
          selectedMobileAppIds: [], installQualityUpdates: true,
        })),
      );
      const espGot = readsAs("GET beta the default status page", beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        await step(`GET beta ${path}/{esp}`, () => client.api(`${path}/${esp.id}`).version("beta").get()), espType);
      check(
        espGot.showInstallationProgress === true && espGot.installProgressTimeoutInMinutes === 90 && espGot.allowDeviceResetOnInstallFailure === true &&
          espGot.installQualityUpdates === true,
        "a beta PATCH of the status page with the beta SDK's model reads back",
        JSON.stringify(espGot),
      );
      // Windows Hello for Business's beta-only settings (deviceEnrollmentDefaultBeta).
      const helloBefore = readModel(beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        await step(`GET beta ${path}/{hello}`, () => client.api(`${path}/${hello.id}`).version("beta").get()));
      await step(`PATCH beta ${path}/{hello} (models)`, () =>
        client.api(`${path}/${hello.id}`).version("beta").patch(writeModel(beta.serializeDeviceEnrollmentWindowsHelloForBusinessConfiguration, {
          odataType: helloType, securityKeyForSignIn: "enabled", enhancedSignInSecurity: 1,
        })),
      );
      const helloBeta = readsAs("GET beta the default Windows Hello for Business", beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue,
        await step(`GET beta ${path}/{hello}`, () => client.api(`${path}/${hello.id}`).version("beta").get()), helloType);
      check(
        helloBeta.securityKeyForSignIn === "enabled" && helloBeta.enhancedSignInSecurity === 1,
        "a beta PATCH of Windows Hello for Business's security keys with the beta SDK's model reads back",
        JSON.stringify(helloBeta),
      );
      await step(`PATCH beta ${path}/{hello} back`, () =>
        client.api(`${path}/${hello.id}`).version("beta").patch(writeModel(beta.serializeDeviceEnrollmentWindowsHelloForBusinessConfiguration, {
          odataType: helloType, securityKeyForSignIn: helloBefore.securityKeyForSignIn, enhancedSignInSecurity: helloBefore.enhancedSignInSecurity,
        })),
      );
      await step(`PATCH beta ${path}/{esp} back`, () =>
        client.api(`${path}/${esp.id}`).version("beta").patch(writeModel(beta.serializeWindows10EnrollmentCompletionPageConfiguration, {
          odataType: espType,
          showInstallationProgress: espBefore.showInstallationProgress,
          installProgressTimeoutInMinutes: espBefore.installProgressTimeoutInMinutes,
          allowDeviceResetOnInstallFailure: espBefore.allowDeviceResetOnInstallFailure,
          installQualityUpdates: espBefore.installQualityUpdates,
        })),
      );
    },

    /** The admin and Intune settings singletons, each PATCHed with its SDK's model. */
    adminSingletons: async () => {
      for (const { version = "v1.0", path, what, serialize, create, change, readBack, restore } of [
        {
          path: "/admin/reportSettings",
          what: "report settings",
          serialize: v1.serializeAdminReportSettings,
          create: v1.createAdminReportSettingsFromDiscriminatorValue,
          change: { displayConcealedNames: true },
          readBack: (r) => r.displayConcealedNames === true,
          restore: (b) => ({ displayConcealedNames: b.displayConcealedNames }),
        },
        {
          path: "/admin/microsoft365Apps/installationOptions",
          what: "Microsoft 365 Apps installation options",
          serialize: v1.serializeM365AppsInstallationOptions,
          create: v1.createM365AppsInstallationOptionsFromDiscriminatorValue,
          change: { updateChannel: "semiAnnual", appsForWindows: { isMicrosoft365AppsEnabled: true, isSkypeForBusinessEnabled: false } },
          readBack: (o) => o.updateChannel === "semiAnnual" && o.appsForWindows?.isSkypeForBusinessEnabled === false,
          restore: (b) => ({ updateChannel: b.updateChannel, appsForWindows: b.appsForWindows }),
        },
        {
          version: "beta",
          path: "/admin/forms",
          what: "Forms settings",
          serialize: beta.serializeAdminForms,
          create: beta.createAdminFormsFromDiscriminatorValue,
          change: { settings: { isRecordIdentityByDefaultEnabled: false } },
          readBack: (f) => f.settings?.isRecordIdentityByDefaultEnabled === false,
          restore: (b) => ({ settings: { isRecordIdentityByDefaultEnabled: b.settings?.isRecordIdentityByDefaultEnabled } }),
        },
        {
          version: "beta",
          path: "/admin/todo",
          what: "To Do settings",
          serialize: beta.serializeAdminTodo,
          create: beta.createAdminTodoFromDiscriminatorValue,
          change: { settings: { isExternalJoinEnabled: false } },
          readBack: (t) => t.settings?.isExternalJoinEnabled === false,
          restore: (b) => ({ settings: { isExternalJoinEnabled: b.settings?.isExternalJoinEnabled } }),
        },
        {
          version: "beta",
          path: "/admin/appsAndServices",
          what: "apps and services settings",
          serialize: beta.serializeAdminAppsAndServices,
          create: beta.createAdminAppsAndServicesFromDiscriminatorValue,
          change: { settings: { isOfficeStoreEnabled: false } },
          readBack: (a) => a.settings?.isOfficeStoreEnabled === false,
          restore: (b) => ({ settings: { isOfficeStoreEnabled: b.settings?.isOfficeStoreEnabled } }),
        },
        {
          path: "/deviceManagement",
          what: "Intune's Company Portal branding",
          serialize: v1.serializeDeviceManagement,
          create: v1.createDeviceManagementFromDiscriminatorValue,
          change: { intuneBrand: { displayName: "Agency IT", showLogo: false, themeColor: { r: 0, g: 120, b: 212 } } },
          readBack: (d) => d.intuneBrand?.displayName === "Agency IT" && d.intuneBrand.themeColor?.b === 212 && d.subscriptionState === "active",
        },
        {
          version: "beta",
          path: "/deviceManagement",
          what: "Intune's beta compliance settings",
          serialize: beta.serializeDeviceManagement,
          create: beta.createDeviceManagementFromDiscriminatorValue,
          change: { settings: { enhancedJailBreak: false, secureByDefault: true } },
          readBack: (d) => d.settings?.enhancedJailBreak === false && d.settings?.secureByDefault === true,
          restore: (b) => ({ settings: { enhancedJailBreak: b.settings?.enhancedJailBreak, secureByDefault: b.settings?.secureByDefault } }),
        },
      ]) {
        await singletonRoundTrip({ version, path, what, serialize, create, change, readBack, restore });
      }
    },

    /** An iOS VPP app synced by the token: featured with the SDK's model, then put back. */
    vppApp: async () => {
      const apps = await step("GET /deviceAppManagement/mobileApps", () => client.api("/deviceAppManagement/mobileApps").get());
      const excel = apps.value.find((a) => a["@odata.type"] === "#microsoft.graph.iosVppApp" && a.bundleId === "com.microsoft.Office.Excel");
      check(excel !== undefined, "the synced VPP apps include Excel", JSON.stringify(apps.value.map((a) => a.bundleId)));
      const path = `/deviceAppManagement/mobileApps/${excel.id}`;
      const type = "#microsoft.graph.iosVppApp";
      await step(`PATCH ${path} (models)`, () => client.api(path).patch(writeModel(v1.serializeIosVppApp, { odataType: type, isFeatured: true, notes: "sdk-compat" })));
      const got = readsAs("GET the VPP app", v1.createMobileAppFromDiscriminatorValue, await step(`GET ${path}`, () => client.api(path).get()), type);
      check(got.isFeatured === true && got.notes === "sdk-compat" && got.bundleId === "com.microsoft.Office.Excel", "a PATCH of the VPP app with the SDK's model reads back", JSON.stringify(got));
      await step(`PATCH ${path} back`, () => client.api(path).patch(writeModel(v1.serializeIosVppApp, { odataType: type, isFeatured: excel.isFeatured, notes: excel.notes ?? "" })));
    },

    /** A report-only Conditional Access policy with a grant and a session control. */
    conditionalAccessPolicy: (run) =>
      createReadDelete({
        path: "/identity/conditionalAccess/policies",
        what: "Conditional Access policy",
        serialize: v1.serializeConditionalAccessPolicy,
        create: v1.createConditionalAccessPolicyFromDiscriminatorValue,
        value: {
          displayName: `sdk-compat ${run} models require MFA`,
          state: "enabledForReportingButNotEnforced",
          conditions: {
            users: { includeUsers: ["All"], excludeUsers: [] },
            applications: { includeApplications: ["All"] },
            clientAppTypes: ["all"],
          },
          grantControls: { operator: "OR", builtInControls: ["mfa"] },
          sessionControls: { signInFrequency: { isEnabled: true, type: "hours", value: 12 } },
        },
        readBack: (p) =>
          p.state === "enabledForReportingButNotEnforced" &&
          p.grantControls?.builtInControls?.[0] === "mfa" &&
          p.sessionControls?.signInFrequency?.value === 12,
      }),

    /** A trusted IP named location (ipNamedLocation). */
    namedLocation: (run) =>
      createReadDelete({
        path: "/identity/conditionalAccess/namedLocations",
        what: "IP named location",
        serialize: v1.serializeIpNamedLocation,
        create: v1.createNamedLocationFromDiscriminatorValue,
        value: {
          odataType: "#microsoft.graph.ipNamedLocation",
          displayName: `sdk-compat ${run} models office`,
          isTrusted: true,
          // ipRanges are derived types of ipRange nested in the location (microsoft/kiota#6777).
          additionalData: { ipRanges: [nestedDerived(v1.serializeIPv4CidrRange, { odataType: "#microsoft.graph.iPv4CidrRange", cidrAddress: "198.51.100.0/24" })] },
        },
        readBack: (l) => l.isTrusted === true && l.ipRanges?.[0]?.odataType === "#microsoft.graph.iPv4CidrRange" && l.ipRanges[0].cidrAddress === "198.51.100.0/24",
      }),

    /** The tenant's authorization policy, PATCHed with the SDK's model and put back. */
    authorizationPolicy: () =>
      singletonRoundTrip({
        path: "/policies/authorizationPolicy",
        what: "authorization policy",
        serialize: v1.serializeAuthorizationPolicy,
        create: v1.createAuthorizationPolicyFromDiscriminatorValue,
        change: { allowInvitesFrom: "adminsAndGuestInviters", defaultUserRolePermissions: { allowedToCreateApps: false } },
        readBack: (p, before) =>
          p.allowInvitesFrom === "adminsAndGuestInviters" &&
          p.defaultUserRolePermissions?.allowedToCreateApps === false &&
          p.defaultUserRolePermissions.allowedToReadOtherUsers === before.defaultUserRolePermissions?.allowedToReadOtherUsers,
        restore: (b) => ({ allowInvitesFrom: b.allowInvitesFrom, defaultUserRolePermissions: { allowedToCreateApps: b.defaultUserRolePermissions?.allowedToCreateApps } }),
      }),

    /** A disabled user, as the catalogue's break-glass accounts are made (a password made for
     * this run, never read back). */
    user: (run, domain) =>
      createReadDelete({
        path: "/users",
        what: "user",
        serialize: v1.serializeUser,
        create: v1.createUserFromDiscriminatorValue,
        value: {
          accountEnabled: false,
          displayName: `sdk-compat ${run} models break glass`,
          mailNickname: `sdkcompat${run}`,
          userPrincipalName: `sdkcompat${run}@${domain}`,
          usageLocation: "AU",
          passwordProfile: { forceChangePasswordNextSignIn: false, password: `${crypto.randomUUID()}Aa1!` },
        },
        // GET returns the user's default properties (accountEnabled is not among them).
        readBack: (u) => u.userPrincipalName === `sdkcompat${run}@${domain}` && u.passwordProfile === undefined,
      }),

    /** The tenant's group expiration policy (groupLifecyclePolicy). */
    groupLifecyclePolicy: () =>
      createReadDelete({
        path: "/groupLifecyclePolicies",
        what: "group lifecycle policy",
        serialize: v1.serializeGroupLifecyclePolicy,
        create: v1.createGroupLifecyclePolicyFromDiscriminatorValue,
        value: { groupLifetimeInDays: 180, managedGroupTypes: "All", alternateNotificationEmails: "ict@example.gov.au" },
        readBack: (p) => p.groupLifetimeInDays === 180 && p.managedGroupTypes === "All",
      }),
  };
}
