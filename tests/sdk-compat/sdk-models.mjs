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
