// Drives Microsoft's own, unmodified client libraries (@azure/identity and
// @microsoft/microsoft-graph-client) against a running `blueprint emulator`, configured the way a
// user points them at a custom endpoint: an authority host, a Graph base URL and custom host, and
// the emulator's CA trusted through NODE_EXTRA_CA_CERTS.
//
// Usage: NODE_EXTRA_CA_CERTS=<ca_file> node compat.mjs <ready.json>
// Prints one line per check; exits non-zero on the first failure.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomUUID } from "node:crypto";

import { ClientCertificateCredential, ClientSecretCredential } from "@azure/identity";
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  PageIterator,
} from "@microsoft/microsoft-graph-client";
// The package has no "exports" map and Node's ES module loader does not resolve directory
// imports, so the sub-path needs its index file spelled out.
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

import { beta, modelChecks, v1, writeModel } from "./sdk-models.mjs";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

let checks = 0;
const cleanups = [];

function pass(what) {
  checks += 1;
  console.log(`ok   ${what}`);
}

class CheckFailed extends Error {}

function check(cond, what, detail) {
  if (!cond) {
    throw new CheckFailed(`${what}${detail === undefined ? "" : `: ${detail}`}`);
  }
  pass(what);
}

function describe(err) {
  if (err instanceof GraphError) {
    return `GraphError status=${err.statusCode} code=${err.code} message=${err.message} requestId=${err.requestId}`;
  }
  if (err && err.name === "AuthenticationError") {
    return `${err.name} status=${err.statusCode}: ${err.message}`;
  }
  return err && err.stack ? err.stack : String(err);
}

/** Runs `fn`, turning any exception into a failure that names the step. */
async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CheckFailed) throw err;
    throw new CheckFailed(`${what}: ${describe(err)}`);
  }
}

function decodeJwtPart(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/** Checks that `token` is a compact JWS whose claims name this tenant, app and Graph. */
function checkJwt(label, accessToken, tenantId, clientId) {
  const token = accessToken && accessToken.token;
  check(typeof token === "string" && token.length > 0, `${label}: getToken returned a token`);
  const parts = token.split(".");
  check(
    parts.length === 3 && parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p)),
    `${label}: token is a compact JWT (three base64url parts)`,
    `${parts.length} parts`,
  );
  const header = decodeJwtPart(parts[0]);
  const claims = decodeJwtPart(parts[1]);
  check(header.alg === "RS256" && typeof header.kid === "string", `${label}: JWT header is RS256 with a kid`, JSON.stringify(header));
  check(
    claims.aud === "https://graph.microsoft.com" || claims.aud === "00000003-0000-0000-c000-000000000000",
    `${label}: aud is Microsoft Graph`,
    claims.aud,
  );
  check(claims.tid === tenantId, `${label}: tid is the tenant`, claims.tid);
  check(claims.appid === clientId || claims.azp === clientId, `${label}: appid is the client`, claims.appid);
  const now = Date.now();
  check(
    typeof accessToken.expiresOnTimestamp === "number" && accessToken.expiresOnTimestamp > now + 60_000,
    `${label}: expiresOnTimestamp is in the future`,
    accessToken.expiresOnTimestamp,
  );
  return claims;
}

/** Expects `fn` to throw the Graph client's GraphError with this status and code. */
async function expectGraphError(what, fn, statusCode, code) {
  let caught;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  check(caught !== undefined, `${what}: request failed`, "it succeeded");
  check(caught instanceof GraphError, `${what}: library threw a GraphError`, describe(caught));
  check(caught.statusCode === statusCode, `${what}: statusCode ${statusCode}`, describe(caught));
  check(caught.code === code, `${what}: code ${code}`, describe(caught));
  check(
    typeof caught.requestId === "string" && caught.requestId.length > 0 && caught.date instanceof Date && !Number.isNaN(caught.date.getTime()),
    `${what}: GraphError carries innerError's request-id and date`,
    describe(caught),
  );
  return caught;
}

/** The emulator's own per-route request counts, read over its operator endpoint (not Graph). */
async function emulatorCounts(ready) {
  const res = await fetch(`${ready.plain_http}/_emulator/requests`);
  if (!res.ok) throw new Error(`GET /_emulator/requests: HTTP ${res.status}`);
  const body = await res.json();
  const counts = new Map();
  for (const r of body.requests) {
    const key = `${r.method} ${r.route} ${r.status}`;
    counts.set(key, (counts.get(key) || 0) + r.count);
  }
  return counts;
}

function countsDelta(before, after) {
  const delta = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) || 0);
    if (d > 0) delta.set(k, d);
  }
  return delta;
}

function graphClient(ready, credential) {
  const graphUrl = new URL(ready.graph);
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] }),
    // Requests go to `${baseUrl}${defaultVersion}/...` (urlJoin in GraphRequest.buildFullUrl).
    baseUrl: `${ready.graph}/`,
    defaultVersion: "v1.0",
    // The authentication and telemetry handlers only add their headers for Graph's own hosts or
    // these; GraphRequestUtil.isValidEndpoint compares the host name without the port.
    customHosts: new Set([graphUrl.hostname]),
  });
}

async function main() {
  const readyPath = process.argv[2];
  if (!readyPath) {
    throw new CheckFailed("usage: node compat.mjs <ready.json> (the emulator's --ready-file)");
  }
  const ready = JSON.parse(readFileSync(readyPath, "utf8"));
  pass(`read ready file ${readyPath}`);

  for (const field of ["authority", "graph", "plain_http", "tenants"]) {
    check(ready[field] !== undefined, `ready file has '${field}'`);
  }
  if (ready.tls) {
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    check(
      !!extra && resolve(extra) === resolve(ready.ca_file),
      "NODE_EXTRA_CA_CERTS is the emulator's CA file",
      `NODE_EXTRA_CA_CERTS=${extra ?? "(unset)"}, ready.ca_file=${ready.ca_file}; run node with NODE_EXTRA_CA_CERTS=<ca_file>`,
    );
  }
  check(new URL(ready.graph).protocol === "https:", "Graph URL is https (the Graph client only authenticates https URLs)", ready.graph);

  const tenant = ready.tenants[0];
  check(!!tenant, "ready file lists a tenant");
  const app = tenant.apps[0];
  check(
    !!app && !!app.client_secret && !!app.certificate_path && !!app.private_key_path,
    `tenant ${tenant.domain}: first app has a client secret and a certificate`,
    JSON.stringify(app && app.name),
  );
  const tenantId = tenant.id;
  const clientId = app.client_id;

  // A PEM with the certificate and its private key, as ClientCertificateCredential reads it.
  const tmp = mkdtempSync(join(tmpdir(), "blueprint-sdk-compat-"));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const pemPath = join(tmp, "app-cert-and-key.pem");
  writeFileSync(
    pemPath,
    `${readFileSync(app.certificate_path, "utf8").trim()}\n${readFileSync(app.private_key_path, "utf8").trim()}\n`,
    { mode: 0o600 },
  );

  const credentialOptions = { authorityHost: ready.authority, disableInstanceDiscovery: true };
  const secretCredential = new ClientSecretCredential(tenantId, clientId, app.client_secret, credentialOptions);
  const certCredential = new ClientCertificateCredential(tenantId, clientId, { certificatePath: pemPath }, credentialOptions);
  const certNoChainCredential = new ClientCertificateCredential(
    tenantId,
    clientId,
    { certificatePath: pemPath },
    { ...credentialOptions, sendCertificateChain: false },
  );

  // --- Tokens --------------------------------------------------------------------------------
  const secretToken = await step("ClientSecretCredential.getToken", () => secretCredential.getToken(GRAPH_SCOPE));
  const secretClaims = checkJwt("client secret", secretToken, tenantId, clientId);
  check(secretClaims.appidacr === undefined || secretClaims.appidacr === "1", "client secret: appidacr is 1 (secret)", secretClaims.appidacr);

  const certToken = await step("ClientCertificateCredential.getToken", () => certCredential.getToken(GRAPH_SCOPE));
  const certClaims = checkJwt("certificate", certToken, tenantId, clientId);
  check(certClaims.appidacr === undefined || certClaims.appidacr === "2", "certificate: appidacr is 2 (certificate)", certClaims.appidacr);

  const noChainToken = await step("ClientCertificateCredential(sendCertificateChain: false).getToken", () =>
    certNoChainCredential.getToken(GRAPH_SCOPE),
  );
  checkJwt("certificate, sendCertificateChain false", noChainToken, tenantId, clientId);

  const certChainCredential = new ClientCertificateCredential(
    tenantId,
    clientId,
    { certificatePath: pemPath },
    { ...credentialOptions, sendCertificateChain: true },
  );
  const chainToken = await step("ClientCertificateCredential(sendCertificateChain: true).getToken", () =>
    certChainCredential.getToken(GRAPH_SCOPE),
  );
  checkJwt("certificate, sendCertificateChain true", chainToken, tenantId, clientId);

  const wrongSecret = new ClientSecretCredential(tenantId, clientId, "not-the-secret", credentialOptions);
  let wrongErr;
  try {
    await wrongSecret.getToken(GRAPH_SCOPE);
  } catch (err) {
    wrongErr = err;
  }
  // MSAL reports the token endpoint's invalid_client as a ServerError, which @azure/identity's
  // handleMsalError (msal/utils.js) wraps in an AuthenticationRequiredError.
  check(
    wrongErr && /invalid_client/.test(wrongErr.message) && /AADSTS7000215/.test(wrongErr.message),
    "wrong client secret: error names invalid_client and AADSTS7000215",
    wrongErr ? `${wrongErr.name}: ${wrongErr.message}` : "no error",
  );

  // --- Graph client --------------------------------------------------------------------------
  const before = await emulatorCounts(ready);
  const client = graphClient(ready, secretCredential);
  const certClient = graphClient(ready, certCredential);
  const run = randomUUID().slice(0, 8);
  // Microsoft's Node models (msgraph-sdk, msgraph-beta-sdk) read the answers below and write the
  // bodies of the kinds in sdk-models.mjs.
  const models = modelChecks({ client, check, step });

  const created = [];
  for (let i = 1; i <= 5; i++) {
    const displayName = `sdk-compat ${run} group ${i}`;
    const group = await step(`POST /groups (${i})`, () =>
      client.api("/groups").post({
        displayName,
        mailEnabled: false,
        mailNickname: `sdkcompat-${run}-${i}`,
        securityEnabled: true,
      }),
    );
    check(
      group && typeof group.id === "string" && group.displayName === displayName && group.securityEnabled === true,
      `POST /groups creates '${displayName}'`,
      JSON.stringify(group),
    );
    created.push(group);
  }
  const createdIds = new Set(created.map((g) => g.id));
  cleanups.push(async () => {
    for (const g of created.slice(1)) {
      try {
        await client.api(`/groups/${g.id}`).delete();
      } catch {
        // best effort
      }
    }
  });

  // Paging: the first page by the fluent API, the rest by the library's PageIterator.
  const firstPage = await step("GET /groups?$top=2", () => client.api("/groups").top(2).get());
  check(Array.isArray(firstPage.value) && firstPage.value.length === 2, "GET /groups?$top=2 returns 2 groups", JSON.stringify(firstPage).slice(0, 300));
  check(typeof firstPage["@odata.nextLink"] === "string", "GET /groups?$top=2 has @odata.nextLink", JSON.stringify(Object.keys(firstPage)));
  const nextLink = new URL(firstPage["@odata.nextLink"]);
  check(
    nextLink.origin === new URL(ready.graph).origin && nextLink.pathname === "/v1.0/groups",
    "@odata.nextLink points back at the emulator's /v1.0/groups",
    firstPage["@odata.nextLink"],
  );
  const seen = [];
  const iterator = new PageIterator(client, firstPage, (g) => {
    seen.push(g.id);
    return true;
  });
  await step("PageIterator.iterate", () => iterator.iterate());
  check(iterator.isComplete(), "PageIterator completed");
  check(new Set(seen).size === seen.length, `PageIterator saw ${seen.length} groups, no duplicates`, JSON.stringify(seen));
  check([...createdIds].every((id) => seen.includes(id)), "PageIterator saw all 5 created groups", JSON.stringify(seen));
  const all = await step("GET /groups?$count=true", () =>
    client.api("/groups").header("ConsistencyLevel", "eventual").count(true).top(999).get(),
  );
  check(all.value.length === seen.length, `paged count ${seen.length} equals a single-page listing`, `${all.value.length} in one page`);
  check(
    all["@odata.count"] === seen.length,
    "@odata.count (ConsistencyLevel: eventual, $count=true) equals the paged count",
    all["@odata.count"],
  );

  // Read, update, delete.
  const target = created[1];
  const got = await step(`GET /groups/${target.id}`, () => client.api(`/groups/${target.id}`).get());
  check(got.id === target.id && got.displayName === target.displayName, "GET /groups/{id} returns the group", JSON.stringify(got));
  models.readsAs("GET /groups/{id}", v1.createGroupFromDiscriminatorValue, got);

  const gotByCert = await step(`GET /groups/${target.id} (certificate credential)`, () =>
    certClient.api(`/groups/${target.id}`).select(["id", "displayName"]).get(),
  );
  check(gotByCert.id === target.id, "GET /groups/{id}?$select=id,displayName with the certificate credential", JSON.stringify(gotByCert));

  const description = `patched by sdk-compat ${run}`;
  const patched = await step(`PATCH /groups/${target.id}`, () => client.api(`/groups/${target.id}`).patch({ description }));
  pass(`PATCH /groups/{id} succeeded${patched === undefined || patched === null ? " (204, no body)" : ""}`);
  const afterPatch = await step(`GET /groups/${target.id} after PATCH`, () => client.api(`/groups/${target.id}`).get());
  check(afterPatch.description === description, "PATCH /groups/{id} changed the description", afterPatch.description);

  const doomed = created[0];
  await step(`DELETE /groups/${doomed.id}`, () => client.api(`/groups/${doomed.id}`).delete());
  pass("DELETE /groups/{id} succeeded");
  await expectGraphError(
    "GET /groups/{id} after DELETE",
    () => client.api(`/groups/${doomed.id}`).get(),
    404,
    "Request_ResourceNotFound",
  );

  // JSON batching: BatchRequestContent builds the envelope, BatchResponseContent reads it.
  // Node's Request takes absolute URLs only, and BatchRequestContent.getRequestData (3.0.7)
  // strips just the scheme and host, not the version: a step URL must be the host plus the path
  // relative to the version (https://host/groups/{id}) for the envelope to carry "/groups/{id}",
  // the form Graph documents. That is the usage Microsoft's maintainers give for 3.0.7
  // (msgraph-sdk-javascript#1451); "/v1.0/groups/{id}" is refused by Graph
  // (msgraph-sdk-javascript#1178).
  const graphBase = ready.graph;
  const parallel = new BatchRequestContent(
    created.slice(1, 4).map((g, i) => ({
      id: String(i + 1),
      request: new Request(`${graphBase}/groups/${g.id}`, { method: "GET" }),
    })),
  );
  const parallelEnvelope = await step("BatchRequestContent.getContent (3 GETs)", () => parallel.getContent());
  check(
    parallelEnvelope.requests.length === 3 &&
      parallelEnvelope.requests.every((r) => r.method === "GET" && /^\/groups\/[^/]+$/.test(r.url)),
    "batch envelope: 3 GET steps with URLs relative to the version (/groups/{id})",
    JSON.stringify(parallelEnvelope),
  );
  const parallelResponse = await step("POST /$batch (3 GETs)", () => client.api("/$batch").post(parallelEnvelope));
  const parallelContent = new BatchResponseContent(parallelResponse);
  check(parallelContent.getResponses().size === 3, "batch of 3 GETs: 3 responses", JSON.stringify(parallelResponse));
  for (const [i, g] of created.slice(1, 4).entries()) {
    const id = String(i + 1);
    const res = parallelContent.getResponseById(id);
    check(res && res.status === 200, `batch GET ${id}: status 200`, res && res.status);
    const body = await res.json();
    check(body.id === g.id, `batch GET ${id}: body is the group`, JSON.stringify(body));
  }

  // A dependsOn chain: 1 GET, 2 PATCH after 1, 3 GET after 2 (sees the PATCH), 4 GET of the
  // deleted group after 3 (404), 5 GET after 4 (424, its dependency failed).
  const chainTarget = created[2];
  const chainDescription = `batched by sdk-compat ${run}`;
  const chain = new BatchRequestContent([
    { id: "1", request: new Request(`${graphBase}/groups/${created[3].id}`, { method: "GET" }) },
    {
      id: "2",
      request: new Request(`${graphBase}/groups/${chainTarget.id}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ description: chainDescription }),
      }),
      dependsOn: ["1"],
    },
    {
      id: "3",
      request: new Request(`${graphBase}/groups/${chainTarget.id}?$select=id,description`, { method: "GET" }),
      dependsOn: ["2"],
    },
    { id: "4", request: new Request(`${graphBase}/groups/${doomed.id}`, { method: "GET" }), dependsOn: ["3"] },
    { id: "5", request: new Request(`${graphBase}/groups/${created[4].id}`, { method: "GET" }), dependsOn: ["4"] },
  ]);
  const chainEnvelope = await step("BatchRequestContent.getContent (dependsOn chain)", () => chain.getContent());
  const patchStep = chainEnvelope.requests.find((r) => r.id === "2");
  check(
    patchStep && patchStep.method === "PATCH" && patchStep.body?.description === chainDescription && patchStep.dependsOn?.[0] === "1",
    "batch envelope: PATCH step carries its JSON body and dependsOn",
    JSON.stringify(patchStep),
  );
  const chainResponse = await step("POST /$batch (dependsOn chain)", () => client.api("/$batch").post(chainEnvelope));
  const chainContent = new BatchResponseContent(chainResponse);
  const statusOf = (id) => chainContent.getResponseById(id)?.status;
  check(chainContent.getResponses().size === 5, "batch chain: 5 responses", JSON.stringify(chainResponse));
  check(statusOf("1") === 200, "batch chain 1 (GET): 200", statusOf("1"));
  check(statusOf("2") === 204 || statusOf("2") === 200, "batch chain 2 (PATCH, dependsOn 1): 204", statusOf("2"));
  check(statusOf("3") === 200, "batch chain 3 (GET, dependsOn 2): 200", statusOf("3"));
  const chained = await chainContent.getResponseById("3").json();
  check(chained.description === chainDescription, "batch chain 3 sees the PATCH of 2", JSON.stringify(chained));
  check(statusOf("4") === 404, "batch chain 4 (GET deleted group, dependsOn 3): 404", statusOf("4"));
  const notFound = await chainContent.getResponseById("4").json();
  check(notFound?.error?.code === "Request_ResourceNotFound", "batch chain 4: error code Request_ResourceNotFound", JSON.stringify(notFound));
  check(statusOf("5") === 424, "batch chain 5 (dependsOn the failed 4): 424 Failed Dependency", statusOf("5"));

  // Conditional Access: an IP named location.
  const locationName = `sdk-compat ${run} office`;
  const location = await step("POST /identity/conditionalAccess/namedLocations", () =>
    client.api("/identity/conditionalAccess/namedLocations").post({
      "@odata.type": "#microsoft.graph.ipNamedLocation",
      displayName: locationName,
      isTrusted: true,
      ipRanges: [{ "@odata.type": "#microsoft.graph.iPv4CidrRange", cidrAddress: "203.0.113.0/24" }],
    }),
  );
  check(
    location && typeof location.id === "string" && location.displayName === locationName,
    "POST namedLocations creates the IP named location",
    JSON.stringify(location),
  );
  check(location["@odata.type"] === "#microsoft.graph.ipNamedLocation", "named location's @odata.type is ipNamedLocation", location["@odata.type"]);
  const gotLocation = await step(`GET /identity/conditionalAccess/namedLocations/${location.id}`, () =>
    client.api(`/identity/conditionalAccess/namedLocations/${location.id}`).get(),
  );
  models.readsAs("GET the named location", v1.createNamedLocationFromDiscriminatorValue, gotLocation, "#microsoft.graph.ipNamedLocation");
  check(
    Array.isArray(gotLocation.ipRanges) && gotLocation.ipRanges.some((r) => r.cidrAddress === "203.0.113.0/24"),
    "GET named location returns its IP range",
    JSON.stringify(gotLocation),
  );
  await step(`DELETE /identity/conditionalAccess/namedLocations/${location.id}`, () =>
    client.api(`/identity/conditionalAccess/namedLocations/${location.id}`).delete(),
  );
  pass("DELETE named location succeeded");

  // Intune: a custom (OMA-URI) device configuration profile, as Microsoft's v1.0 reference
  // writes it (intune-deviceconfig-windows10customconfiguration-create), assigned to all devices.
  const profileName = `sdk-compat ${run} custom profile`;
  const xml = "<Policy><Enabled/></Policy>";
  const profile = await step("POST /deviceManagement/deviceConfigurations", () =>
    client.api("/deviceManagement/deviceConfigurations").post({
      "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
      displayName: profileName,
      omaSettings: [
        {
          "@odata.type": "#microsoft.graph.omaSettingInteger",
          displayName: "Allow Telemetry",
          omaUri: "./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry",
          value: 0,
        },
        {
          "@odata.type": "#microsoft.graph.omaSettingStringXml",
          displayName: "Policy XML",
          omaUri: "./Vendor/MSFT/Policy/Config/Example/PolicyXml",
          fileName: "policy.xml",
          value: Buffer.from(xml).toString("base64"),
        },
      ],
    }),
  );
  cleanups.push(() => client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).delete());
  check(
    typeof profile.id === "string" && profile["@odata.type"] === "#microsoft.graph.windows10CustomConfiguration",
    "POST deviceConfigurations creates a windows10CustomConfiguration",
    JSON.stringify(profile),
  );
  check(profile.version === 1 && typeof profile.createdDateTime === "string", "the new profile has version 1 and a creation time", JSON.stringify(profile));
  const gotProfile = await step(`GET /deviceManagement/deviceConfigurations/${profile.id}`, () =>
    client.api(`/deviceManagement/deviceConfigurations/${profile.id}`).get(),
  );
  models.readsAs("GET the custom profile", v1.createDeviceConfigurationFromDiscriminatorValue, gotProfile, "#microsoft.graph.windows10CustomConfiguration");
  const telemetry = gotProfile.omaSettings?.find((o) => o.omaUri.endsWith("/AllowTelemetry"));
  const policyXml = gotProfile.omaSettings?.find((o) => o.omaUri.endsWith("/PolicyXml"));
  check(
    telemetry?.["@odata.type"] === "#microsoft.graph.omaSettingInteger" && telemetry.value === 0,
    "GET profile returns the integer OMA setting with its derived type",
    JSON.stringify(gotProfile.omaSettings),
  );
  check(
    Buffer.from(policyXml?.value ?? "", "base64").toString() === xml,
    "GET profile returns the XML OMA setting's value as base64 of the XML",
    JSON.stringify(policyXml),
  );
  await step(`POST /deviceManagement/deviceConfigurations/${profile.id}/assign`, () =>
    client
      .api(`/deviceManagement/deviceConfigurations/${profile.id}/assign`)
      .post({ assignments: [{ target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } }] }),
  );
  const assigned = await step(`GET /deviceManagement/deviceConfigurations/${profile.id}/assignments`, () =>
    client.api(`/deviceManagement/deviceConfigurations/${profile.id}/assignments`).get(),
  );
  check(
    assigned.value?.length === 1 && assigned.value[0].target?.["@odata.type"] === "#microsoft.graph.allDevicesAssignmentTarget",
    "GET assignments returns the all-devices assignment",
    JSON.stringify(assigned),
  );
  await expectGraphError(
    "POST a profile whose OMA-URI is not in the device's tree",
    () =>
      client.api("/deviceManagement/deviceConfigurations").post({
        "@odata.type": "#microsoft.graph.windows10CustomConfiguration",
        displayName: `${profileName} bad`,
        omaSettings: [{ "@odata.type": "#microsoft.graph.omaSettingInteger", displayName: "x", omaUri: "Vendor/MSFT/x", value: 1 }],
      }),
    400,
    "BadRequest",
  );

  // Intune apps: a web link as Microsoft's v1.0 reference writes it (intune-apps-webapp-create),
  // assigned with an install intent through assign, whose parameter is mobileAppAssignments and
  // whose answer is 204 (intune-apps-mobileapp-assign).
  const link = await step("POST /deviceAppManagement/mobileApps", () =>
    client.api("/deviceAppManagement/mobileApps").post({
      "@odata.type": "#microsoft.graph.webApp",
      displayName: `sdk-compat ${run} portal`,
      publisher: "Microsoft",
      appUrl: "https://portal.manage.microsoft.com/",
      isFeatured: true,
    }),
  );
  cleanups.push(() => client.api(`/deviceAppManagement/mobileApps/${link.id}`).delete());
  check(
    typeof link.id === "string" && link["@odata.type"] === "#microsoft.graph.webApp" && link.publishingState === "published",
    "POST mobileApps creates a published webApp",
    JSON.stringify(link),
  );
  await step(`POST /deviceAppManagement/mobileApps/${link.id}/assign`, () =>
    client.api(`/deviceAppManagement/mobileApps/${link.id}/assign`).post({
      mobileAppAssignments: [
        { "@odata.type": "#microsoft.graph.mobileAppAssignment", intent: "required", target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } },
      ],
    }),
  );
  const linkAssigned = await step(`GET /deviceAppManagement/mobileApps/${link.id}/assignments`, () =>
    client.api(`/deviceAppManagement/mobileApps/${link.id}/assignments`).get(),
  );
  check(
    linkAssigned.value?.length === 1 && linkAssigned.value[0].intent === "required",
    "GET mobileApp assignments returns the required assignment",
    JSON.stringify(linkAssigned),
  );
  await expectGraphError(
    "POST assign with a policy's parameter name",
    () =>
      client
        .api(`/deviceAppManagement/mobileApps/${link.id}/assign`)
        .post({ assignments: [{ intent: "required", target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } }] }),
    400,
    "BadRequest",
  );

  // iOS VPP apps: the tenant's synced VPP token (intune-onboarding-vpptoken-list) and the apps it
  // brought, listed among mobileApps as iosVppApp (never created by a client); one featured
  // through PATCH and assigned with a device licence (iosVppAppAssignmentSettings), then put back.
  const vppTokens = await step("GET /deviceAppManagement/vppTokens", () =>
    client.api("/deviceAppManagement/vppTokens").get(),
  );
  check(
    vppTokens.value?.length === 1 && vppTokens.value[0].state === "valid" && vppTokens.value[0].lastSyncStatus === "completed",
    "GET vppTokens returns the synced, valid token",
    JSON.stringify(vppTokens),
  );
  const allApps = await step("GET /deviceAppManagement/mobileApps", () =>
    client.api("/deviceAppManagement/mobileApps").get(),
  );
  const vppApps = (allApps.value ?? []).filter((a) => a["@odata.type"] === "#microsoft.graph.iosVppApp");
  models.readsAs("GET the VPP token", v1.createVppTokenFromDiscriminatorValue, vppTokens.value?.[0]);
  for (const app of allApps.value ?? []) {
    models.readsAs(`GET mobileApps: ${app.displayName}`, v1.createMobileAppFromDiscriminatorValue, app, app["@odata.type"]);
  }
  const word = vppApps.find((a) => a.bundleId === "com.microsoft.Office.Word");
  check(
    vppApps.length === 10 && word !== undefined && word.isFeatured === false && word.licensingType?.supportsDeviceLicensing === true,
    "GET mobileApps lists the ten synced iosVppApps, Word not featured",
    JSON.stringify(vppApps),
  );
  if (word !== undefined) {
    const wordPath = `/deviceAppManagement/mobileApps/${word.id}`;
    cleanups.push(async () => {
      await client.api(`${wordPath}/assign`).post({ mobileAppAssignments: [] });
      await client.api(wordPath).patch({ "@odata.type": "#microsoft.graph.iosVppApp", isFeatured: false });
    });
    const featuredWord = await step(`PATCH ${wordPath}`, () =>
      client.api(wordPath).patch({ "@odata.type": "#microsoft.graph.iosVppApp", isFeatured: true }),
    );
    check(
      featuredWord?.isFeatured === true && featuredWord.bundleId === "com.microsoft.Office.Word",
      "PATCH features the iosVppApp and answers with it",
      JSON.stringify(featuredWord),
    );
    await step(`POST ${wordPath}/assign`, () =>
      client.api(`${wordPath}/assign`).post({
        mobileAppAssignments: [
          {
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            intent: "required",
            target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" },
            settings: { "@odata.type": "#microsoft.graph.iosVppAppAssignmentSettings", useDeviceLicensing: true },
          },
        ],
      }),
    );
    const wordAssigned = await step(`GET ${wordPath}/assignments`, () => client.api(`${wordPath}/assignments`).get());
    check(
      wordAssigned.value?.[0]?.settings?.["@odata.type"] === "#microsoft.graph.iosVppAppAssignmentSettings" &&
        wordAssigned.value[0].settings.useDeviceLicensing === true,
      "GET the VPP app's assignments returns its device licence",
      JSON.stringify(wordAssigned),
    );
  }

  // Microsoft 365 Apps (beta only): an officeSuiteApp as Microsoft's beta reference writes one
  // (intune-apps-officesuiteapp-create), read back through beta, left out of v1.0's list,
  // assigned through /assign.
  const suite = await step("POST beta /deviceAppManagement/mobileApps (officeSuiteApp)", () =>
    client.api("/deviceAppManagement/mobileApps").version("beta").post({
      "@odata.type": "#microsoft.graph.officeSuiteApp",
      displayName: `sdk-compat ${run} Microsoft 365 Apps`,
      publisher: "Microsoft",
      autoAcceptEula: true,
      productIds: ["o365ProPlusRetail"],
      excludedApps: { "@odata.type": "microsoft.graph.excludedApps", oneNote: true, bing: true, excel: false },
      useSharedComputerActivation: true,
      updateChannel: "monthlyEnterprise",
      officePlatformArchitecture: "x64",
      localesToInstall: [],
      shouldUninstallOlderVersionsOfOffice: true,
    }),
  );
  if (suite?.id !== undefined) {
    const suitePath = `/deviceAppManagement/mobileApps/${suite.id}`;
    cleanups.push(() => client.api(suitePath).version("beta").delete());
    check(
      suite["@odata.type"] === "#microsoft.graph.officeSuiteApp" && suite.updateChannel === "monthlyEnterprise" && suite.excludedApps?.oneNote === true,
      "POST beta mobileApps creates the officeSuiteApp with its suite configuration",
      JSON.stringify(suite),
    );
    const gotSuite = await step(`GET beta ${suitePath}`, () => client.api(suitePath).version("beta").get());
    const suiteModel = models.readsAs("GET beta the officeSuiteApp", beta.createMobileAppFromDiscriminatorValue, gotSuite, "#microsoft.graph.officeSuiteApp");
    // The architecture is a flags enum, which Graph sends as one comma-separated string. The
    // Node SDK's JSON reader takes only an array for it and reads [] (microsoft/kiota#5309; the
    // Python reader splits the string since kiota-python#516), so the wire form is checked here.
    check(
      gotSuite.officePlatformArchitecture === "x64" && suiteModel.productIds?.[0] === "o365ProPlusRetail" && suiteModel.excludedApps?.oneNote === true,
      "the suite's architecture is Graph's flags string and the beta SDK's model reads its products and excluded apps",
      JSON.stringify(gotSuite),
    );
    const v1Apps = await step("GET /deviceAppManagement/mobileApps (v1.0)", () =>
      client.api("/deviceAppManagement/mobileApps").get(),
    );
    check(
      !(v1Apps.value ?? []).some((a) => a.id === suite.id),
      "v1.0's mobileApps list leaves the beta-only officeSuiteApp out",
      JSON.stringify(v1Apps.value?.map((a) => a["@odata.type"])),
    );
    await step(`POST beta ${suitePath}/assign`, () =>
      client.api(`${suitePath}/assign`).version("beta").post({
        mobileAppAssignments: [
          {
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            intent: "required",
            target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" },
          },
        ],
      }),
    );
    const suiteAssigned = await step(`GET beta ${suitePath}/assignments`, () =>
      client.api(`${suitePath}/assignments`).version("beta").get(),
    );
    check(
      suiteAssigned.value?.length === 1 && suiteAssigned.value[0].intent === "required",
      "GET beta officeSuiteApp assignments returns the required assignment",
      JSON.stringify(suiteAssigned),
    );
  }

  // Windows Autopilot deployment profile (beta only): a Microsoft Entra joined profile as
  // Microsoft's beta reference writes one (intune-enrollment-azureadwindowsautopilotdeploymentprofile
  // -create, with outOfBoxExperienceSetting), assigned with one POST to its assignments
  // (intune-enrollment-windowsautopilotdeploymentprofileassignment-create) and unassigned with DELETE.
  const autopilot = await step("POST beta /deviceManagement/windowsAutopilotDeploymentProfiles", () =>
    client.api("/deviceManagement/windowsAutopilotDeploymentProfiles").version("beta").post({
      "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
      displayName: `sdk-compat ${run} Autopilot`,
      description: "Devices enrolled via Autopilot",
      locale: "en-AU",
      deviceNameTemplate: "SDK-%SERIAL%",
      preprovisioningAllowed: true,
      hardwareHashExtractionEnabled: false,
      outOfBoxExperienceSetting: {
        "@odata.type": "microsoft.graph.outOfBoxExperienceSetting",
        deviceUsageType: "singleUser",
        userType: "standard",
        eulaHidden: true,
        privacySettingsHidden: true,
        escapeLinkHidden: true,
        keyboardSelectionPageSkipped: true,
      },
    }),
  );
  if (autopilot?.id !== undefined) {
    const autopilotPath = `/deviceManagement/windowsAutopilotDeploymentProfiles/${autopilot.id}`;
    cleanups.push(() => client.api(autopilotPath).version("beta").delete());
    check(
      autopilot["@odata.type"] === "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile" &&
        autopilot.deviceType === "windowsPc" &&
        autopilot.outOfBoxExperienceSetting?.userType === "standard",
      "POST beta windowsAutopilotDeploymentProfiles creates the Entra-joined profile",
      JSON.stringify(autopilot),
    );
    models.readsAs(
      "GET beta the Autopilot profile",
      beta.createWindowsAutopilotDeploymentProfileFromDiscriminatorValue,
      await step(`GET beta ${autopilotPath}`, () => client.api(autopilotPath).version("beta").get()),
      "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
    );
    const assignment = await step(`POST beta ${autopilotPath}/assignments`, () =>
      client.api(`${autopilotPath}/assignments`).version("beta").post({
        "@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
        target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" },
      }),
    );
    check(
      typeof assignment?.id === "string" && assignment.target?.["@odata.type"] === "#microsoft.graph.allDevicesAssignmentTarget",
      "POST the profile's assignments creates the all-devices assignment",
      JSON.stringify(assignment),
    );
    if (assignment?.id !== undefined) {
      await step(`DELETE beta ${autopilotPath}/assignments/${assignment.id}`, () =>
        client.api(`${autopilotPath}/assignments/${assignment.id}`).version("beta").delete(),
      );
      const left = await step(`GET beta ${autopilotPath}/assignments`, () =>
        client.api(`${autopilotPath}/assignments`).version("beta").get(),
      );
      check(left.value?.length === 0, "DELETE removes the profile's assignment", JSON.stringify(left));
    }
  }

  // Intune settings catalog (beta): an endpoint security antivirus policy as Microsoft's beta
  // reference writes one (intune-deviceconfigv2-devicemanagementconfigurationpolicy-create), its
  // settings read back through $expand, assigned through /assign.
  const cloud = "device_vendor_msft_policy_config_defender_allowcloudprotection";
  const catalogPolicy = await step("POST beta /deviceManagement/configurationPolicies", () =>
    client.api("/deviceManagement/configurationPolicies").version("beta").post({
      name: `sdk-compat ${run} antivirus`,
      platforms: "windows10",
      technologies: "mdm,microsoftSense",
      templateReference: { templateId: "804339ad-1553-4478-a742-138fb5807418_1" },
      settings: [
        {
          "@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
          settingInstance: {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            settingDefinitionId: cloud,
            choiceSettingValue: { value: `${cloud}_1`, children: [] },
          },
        },
      ],
    }),
  );
  cleanups.push(() => client.api(`/deviceManagement/configurationPolicies/${catalogPolicy.id}`).version("beta").delete());
  check(
    typeof catalogPolicy.id === "string" && catalogPolicy.settingCount === 1 && catalogPolicy.settings === undefined,
    "POST configurationPolicies creates the policy (its settings not returned unexpanded)",
    JSON.stringify(catalogPolicy),
  );
  const gotPolicy = await step(`GET beta configurationPolicies/${catalogPolicy.id}?$expand=settings`, () =>
    client.api(`/deviceManagement/configurationPolicies/${catalogPolicy.id}`).version("beta").expand("settings").get(),
  );
  models.readsAs("GET beta the settings catalog policy with its settings", beta.createDeviceManagementConfigurationPolicyFromDiscriminatorValue, gotPolicy);
  const instance = gotPolicy.settings?.[0]?.settingInstance;
  check(
    gotPolicy.templateReference?.templateFamily === "endpointSecurityAntivirus" &&
      instance?.["@odata.type"] === "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance" &&
      instance?.choiceSettingValue?.value === `${cloud}_1`,
    "GET $expand=settings returns the choice setting and the template's family",
    JSON.stringify(gotPolicy),
  );
  await expectGraphError(
    "POST a settings catalog policy with an unknown setting definition",
    () =>
      client.api("/deviceManagement/configurationPolicies").version("beta").post({
        name: `sdk-compat ${run} unknown`,
        platforms: "windows10",
        technologies: "mdm",
        settings: [
          {
            settingInstance: {
              "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
              settingDefinitionId: "device_vendor_msft_not_a_setting",
              choiceSettingValue: { value: "x", children: [] },
            },
          },
        ],
      }),
    400,
    "BadRequest",
  );

  // A Windows Firewall Rules policy (settings catalog, beta) as the firewall rules import sends
  // it: the rules a group collection, each rule's profiles a choice collection and its ports a
  // string collection, read back through the beta SDK's model.
  const fwRule = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";
  const rulesPolicy = await step("POST beta configurationPolicies (Windows Firewall Rules)", () =>
    client.api("/deviceManagement/configurationPolicies").version("beta").post({
      name: `sdk-compat ${run} firewall rules 0`,
      platforms: "windows10",
      technologies: "mdm,microsoftSense",
      templateReference: { templateId: "19c8aa67-f286-4861-9aa0-f23541d31680_1" },
      settings: [
        {
          settingInstance: {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
            settingDefinitionId: fwRule,
            groupSettingCollectionValue: [
              {
                children: [
                  {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                    settingDefinitionId: `${fwRule}_name`,
                    simpleSettingValue: { "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", value: "Allow DNS" },
                  },
                  {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance",
                    settingDefinitionId: `${fwRule}_profiles`,
                    choiceSettingCollectionValue: [{ value: `${fwRule}_profiles_1`, children: [] }, { value: `${fwRule}_profiles_2`, children: [] }],
                  },
                  {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
                    settingDefinitionId: `${fwRule}_remoteportranges`,
                    simpleSettingCollectionValue: [{ "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", value: "53" }],
                  },
                ],
              },
            ],
          },
        },
      ],
    }),
  );
  cleanups.push(() => client.api(`/deviceManagement/configurationPolicies/${rulesPolicy.id}`).version("beta").delete());
  const gotRules = await step(`GET beta configurationPolicies/${rulesPolicy.id}?$expand=settings (firewall rules)`, () =>
    client.api(`/deviceManagement/configurationPolicies/${rulesPolicy.id}`).version("beta").expand("settings").get(),
  );
  const rulesModel = models.readsAs("GET beta the Windows Firewall Rules policy", beta.createDeviceManagementConfigurationPolicyFromDiscriminatorValue, gotRules);
  const ruleGroup = rulesModel?.settings?.[0]?.settingInstance;
  const ruleChildren = ruleGroup?.groupSettingCollectionValue?.[0]?.children ?? [];
  const profilesRead = ruleChildren.find((c) => c.settingDefinitionId === `${fwRule}_profiles`);
  const portsRead = ruleChildren.find((c) => c.settingDefinitionId === `${fwRule}_remoteportranges`);
  check(
    gotRules.templateReference?.templateDisplayName === "Windows Firewall Rules" &&
      ruleGroup?.odataType === "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance" &&
      profilesRead?.choiceSettingCollectionValue?.map((v) => v.value).join() === `${fwRule}_profiles_1,${fwRule}_profiles_2` &&
      portsRead?.simpleSettingCollectionValue?.[0]?.value === "53",
    "the Windows Firewall Rules policy reads back through the beta SDK's model: the rule group, its profiles and ports",
    JSON.stringify(gotRules),
  );

  // Intune's PowerShell scripts (beta only), as Microsoft's beta reference writes one
  // (intune-shared-devicemanagementscript-create): the content base64, returned when the script
  // is read by id and null on the list; assigned through /assign with
  // deviceManagementScriptAssignments (204), read back from /assignments.
  const scriptText = `Write-Output 'sdk-compat ${run}'`;
  const scriptContent = Buffer.from(scriptText, "utf8").toString("base64");
  const script = await step("POST beta /deviceManagement/deviceManagementScripts", () =>
    client.api("/deviceManagement/deviceManagementScripts").version("beta").post({
      "@odata.type": "#microsoft.graph.deviceManagementScript",
      displayName: `sdk-compat ${run} RemoveBuiltInApps`,
      fileName: "RemoveBuiltInApps.ps1",
      scriptContent,
      runAsAccount: "system",
      enforceSignatureCheck: false,
      runAs32Bit: true,
    }),
  );
  cleanups.push(() => client.api(`/deviceManagement/deviceManagementScripts/${script.id}`).version("beta").delete());
  const scriptPath = `/deviceManagement/deviceManagementScripts/${script.id}`;
  const gotScript = await step(`GET beta ${scriptPath}`, () => client.api(scriptPath).version("beta").get());
  models.readsAs("GET beta the script", beta.createDeviceManagementScriptFromDiscriminatorValue, gotScript);
  check(
    Buffer.from(gotScript.scriptContent ?? "", "base64").toString("utf8") === scriptText &&
      gotScript.runAsAccount === "system" &&
      gotScript.runAs32Bit === true,
    "GET a script by id returns its base64 content and run settings",
    JSON.stringify(gotScript),
  );
  const scripts = await step("GET beta /deviceManagement/deviceManagementScripts", () =>
    client.api("/deviceManagement/deviceManagementScripts").version("beta").get(),
  );
  const listedScript = scripts.value?.find((s) => s.id === script.id);
  check(
    listedScript !== undefined && listedScript.scriptContent == null,
    "the scripts' list leaves the content out",
    JSON.stringify(listedScript),
  );
  await step(`POST beta ${scriptPath}/assign`, () =>
    client.api(`${scriptPath}/assign`).version("beta").post({
      deviceManagementScriptAssignments: [
        {
          "@odata.type": "#microsoft.graph.deviceManagementScriptAssignment",
          target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" },
        },
      ],
    }),
  );
  const scriptAssigned = await step(`GET beta ${scriptPath}/assignments`, () =>
    client.api(`${scriptPath}/assignments`).version("beta").get(),
  );
  check(
    scriptAssigned.value?.[0]?.target?.["@odata.type"] === "#microsoft.graph.allDevicesAssignmentTarget",
    "the script's assignment reads back",
    JSON.stringify(scriptAssigned),
  );

  // Intune's tenant-wide compliance settings on the deviceManagement singleton.
  const deviceManagement = await step("GET /deviceManagement", () => client.api("/deviceManagement").get());
  check(
    typeof deviceManagement.settings?.secureByDefault === "boolean" &&
      Number.isInteger(deviceManagement.settings?.deviceComplianceCheckinThresholdDays),
    "GET /deviceManagement returns the compliance settings",
    JSON.stringify(deviceManagement.settings),
  );

  // Compliance settings only beta has (issue 14): a policy created as the v1.0 reference writes
  // it (intune-deviceconfig-windows10compliancepolicy-create) takes them in a beta PATCH as the
  // beta update reference writes it; beta reads them back on the same object, v1.0 does not.
  const compliance = await step("POST /deviceManagement/deviceCompliancePolicies", () =>
    client.api("/deviceManagement/deviceCompliancePolicies").post({
      "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
      displayName: `sdk-compat ${run} compliance`,
      passwordRequired: true,
      passwordMinimumLength: 14,
      scheduledActionsForRule: [
        {
          "@odata.type": "#microsoft.graph.deviceComplianceScheduledActionForRule",
          ruleName: "PasswordRequired",
          scheduledActionConfigurations: [
            {
              "@odata.type": "#microsoft.graph.deviceComplianceActionItem",
              actionType: "block",
              gracePeriodHours: 24,
              notificationTemplateId: "",
              notificationMessageCCList: [],
            },
          ],
        },
      ],
    }),
  );
  const compliancePath = `/deviceManagement/deviceCompliancePolicies/${compliance.id}`;
  cleanups.push(() => client.api(compliancePath).delete());
  await step(`PATCH beta ${compliancePath}`, () =>
    client.api(compliancePath).version("beta").patch({
      "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
      activeFirewallRequired: true,
      tpmRequired: true,
      defenderVersion: "4.18.0.0",
      deviceThreatProtectionRequiredSecurityLevel: "medium",
    }),
  );
  const betaCompliance = await step(`GET beta ${compliancePath}`, () => client.api(compliancePath).version("beta").get());
  models.readsAs("GET beta the compliance policy", beta.createDeviceCompliancePolicyFromDiscriminatorValue, betaCompliance, "#microsoft.graph.windows10CompliancePolicy");
  check(
    betaCompliance.tpmRequired === true &&
      betaCompliance.activeFirewallRequired === true &&
      betaCompliance.defenderVersion === "4.18.0.0" &&
      betaCompliance.passwordMinimumLength === 14 &&
      betaCompliance["@odata.type"] === "#microsoft.graph.windows10CompliancePolicy",
    "beta PATCH of the beta-only compliance settings reads back on the v1.0 policy",
    JSON.stringify(betaCompliance),
  );
  const v1Compliance = await step(`GET ${compliancePath}`, () => client.api(compliancePath).get());
  check(
    !("tpmRequired" in v1Compliance) && v1Compliance.passwordMinimumLength === 14,
    "v1.0 reads the policy without beta's settings",
    JSON.stringify(v1Compliance),
  );
  await expectGraphError(
    "PATCH a beta-only compliance setting through v1.0",
    () => client.api(compliancePath).patch({ "@odata.type": "#microsoft.graph.windows10CompliancePolicy", tpmRequired: true }),
    400,
    "BadRequest",
  );

  // Intune's default enrolment configurations (issue 14): one of each derived type at priority
  // 0, all named "All users and all devices"; the default device limit takes a PATCH as
  // intune-onboarding-deviceenrollmentlimitconfiguration-update writes it; a default cannot be
  // deleted; a configuration of the agency's own is assigned with
  // enrollmentConfigurationAssignments (intune-onboarding-deviceenrollmentconfiguration-assign).
  const enrolmentPath = "/deviceManagement/deviceEnrollmentConfigurations";
  const enrolment = await step(`GET ${enrolmentPath}`, () => client.api(enrolmentPath).get());
  const enrolmentDefaults = enrolment.value.filter((c) => c.priority === 0);
  for (const c of enrolment.value) {
    models.readsAs(`GET ${enrolmentPath}: ${c["@odata.type"]}`, v1.createDeviceEnrollmentConfigurationFromDiscriminatorValue, c, c["@odata.type"]);
  }
  check(
    JSON.stringify(enrolmentDefaults.map((c) => c["@odata.type"]).sort()) ===
      JSON.stringify([
        "#microsoft.graph.deviceEnrollmentLimitConfiguration",
        "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
        "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
        "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
      ]) && enrolmentDefaults.every((c) => c.displayName === "All users and all devices"),
    "the four default enrolment configurations, each with its derived type",
    JSON.stringify(enrolment.value),
  );
  const defaultLimit = enrolmentDefaults.find((c) => c["@odata.type"] === "#microsoft.graph.deviceEnrollmentLimitConfiguration");
  const defaultLimitPath = `${enrolmentPath}/${defaultLimit.id}`;
  const limitType = "#microsoft.graph.deviceEnrollmentLimitConfiguration";
  await step(`PATCH ${defaultLimitPath}`, () => client.api(defaultLimitPath).patch({ "@odata.type": limitType, limit: defaultLimit.limit + 1 }));
  const changedLimit = await step(`GET ${defaultLimitPath}`, () => client.api(defaultLimitPath).get());
  check(
    changedLimit.limit === defaultLimit.limit + 1 && changedLimit.priority === 0,
    "PATCH of the default device limit reads back",
    JSON.stringify(changedLimit),
  );
  await step(`PATCH ${defaultLimitPath} back`, () => client.api(defaultLimitPath).patch({ "@odata.type": limitType, limit: defaultLimit.limit }));
  await expectGraphError("DELETE a default enrolment configuration", () => client.api(defaultLimitPath).delete(), 400, "BadRequest");
  const ownLimit = await step(`POST ${enrolmentPath}`, () =>
    client.api(enrolmentPath).post({ "@odata.type": limitType, displayName: `sdk-compat ${run} limit`, limit: 10 }),
  );
  cleanups.push(() => client.api(`${enrolmentPath}/${ownLimit.id}`).delete());
  check(ownLimit.priority >= 1, "an enrolment configuration of the agency's own goes after the defaults", JSON.stringify(ownLimit));
  await step(`POST ${enrolmentPath}/{id}/assign`, () =>
    client.api(`${enrolmentPath}/${ownLimit.id}/assign`).post({
      enrollmentConfigurationAssignments: [
        { "@odata.type": "#microsoft.graph.enrollmentConfigurationAssignment", target: { "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget" } },
      ],
    }),
  );
  const enrolmentAssignments = await step(`GET ${enrolmentPath}/{id}/assignments`, () =>
    client.api(`${enrolmentPath}/${ownLimit.id}/assignments`).get(),
  );
  check(
    enrolmentAssignments.value.length === 1 &&
      enrolmentAssignments.value[0].target["@odata.type"] === "#microsoft.graph.allDevicesAssignmentTarget",
    "assign with enrollmentConfigurationAssignments reads back",
    JSON.stringify(enrolmentAssignments),
  );

  // The default status page's settings are beta's: beta PATCHes them as
  // intune-onboarding-windows10enrollmentcompletionpageconfiguration-update (beta) writes them
  // and reads them back with the configuration type; v1.0 refuses them.
  const espType = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
  const esp = enrolmentDefaults.find((c) => c["@odata.type"] === espType);
  const espPath = `${enrolmentPath}/${esp.id}`;
  const espBefore = await step(`GET beta ${espPath}`, () => client.api(espPath).version("beta").get());
  await step(`PATCH beta ${espPath}`, () =>
    client.api(espPath).version("beta").patch({ "@odata.type": espType, showInstallationProgress: true, customErrorMessage: `sdk-compat ${run}` }),
  );
  const espAfter = await step(`GET beta ${espPath}`, () => client.api(espPath).version("beta").get());
  models.readsAs("GET beta the status page", beta.createDeviceEnrollmentConfigurationFromDiscriminatorValue, espAfter, espType);
  check(
    espAfter.showInstallationProgress === true &&
      espAfter.customErrorMessage === `sdk-compat ${run}` &&
      espAfter.deviceEnrollmentConfigurationType === "defaultWindows10EnrollmentCompletionPageConfiguration",
    "beta PATCH of the default status page's settings reads back with its type",
    JSON.stringify(espAfter),
  );
  await step(`PATCH beta ${espPath} back`, () =>
    client.api(espPath).version("beta").patch({
      "@odata.type": espType,
      showInstallationProgress: espBefore.showInstallationProgress,
      customErrorMessage: espBefore.customErrorMessage,
    }),
  );
  await expectGraphError(
    "PATCH a status page setting through v1.0",
    () => client.api(espPath).patch({ "@odata.type": espType, showInstallationProgress: true }),
    400,
    "BadRequest",
  );

  // The other Intune and admin kinds the catalogue writes, each created (or PATCHed) with the
  // SDK's own models and read back into them (sdk-models.mjs).
  await models.updateRing(run);
  await models.iosUpdatePolicy(run);
  await models.windowsDeviceRestrictions(run);
  await models.endpointProtection(run);
  await models.iosDeviceRestrictions(run);
  await models.iosDeviceFeatures(run);
  await models.edgeApp(run);
  await models.sharepointSettings();
  await models.agreement(run);
  await models.groupSetting();
  await models.groupLifecyclePolicy();
  // And the kinds the reference-shaped requests above create or PATCH, once more with the
  // SDKs' models writing the bodies.
  await models.compliancePolicy(run);
  await models.iosCompliancePolicy(run);
  await models.webApp(run);
  await models.vppApp();
  await models.officeSuiteApp(run);
  await models.autopilotProfile(run);
  await models.depProfile(run);
  await models.appleEnrolmentTypeProfile(run);
  await models.platformRestriction(run);
  await models.iosVpnProfile(run);
  await models.deliveryOptimisation(run);
  await models.networkBoundary(run);
  await models.iosAppProtection(run);
  await models.iosAppProtectionBeta(run);
  await models.administrativeTemplate(run);
  await models.profileBetaSettings(run);
  await models.script(run);
  await models.settingsCatalogPolicy(run);
  await models.enrolmentLimit(run);
  await models.enrolmentDefaults();
  await models.adminSingletons();
  await models.conditionalAccessPolicy(run);
  await models.namedLocation(run);
  await models.authorizationPolicy();
  await models.user(run, tenant.domain);

  // The settings singletons: read each, PATCH one property of it as Microsoft's update
  // reference writes it, and read the change back. Beta-only kinds and
  // properties go through the client's own `.version("beta")`.
  for (const { version, path, patch, changed, model } of [
    {
      version: "v1.0",
      path: "/policies/authenticationFlowsPolicy",
      patch: { selfServiceSignUp: { isEnabled: false } },
      changed: (o) => o.selfServiceSignUp?.isEnabled === false,
    },
    {
      version: "v1.0",
      path: "/policies/authenticationMethodsPolicy",
      patch: {
        registrationEnforcement: {
          authenticationMethodsRegistrationCampaign: {
            snoozeDurationInDays: 4,
            state: "enabled",
            excludeTargets: [],
            includeTargets: [{ id: "all_users", targetType: "group", targetedAuthenticationMethod: "microsoftAuthenticator" }],
          },
        },
      },
      changed: (o) => o.registrationEnforcement?.authenticationMethodsRegistrationCampaign?.snoozeDurationInDays === 4,
    },
    {
      version: "beta",
      path: "/policies/authenticationMethodsPolicy",
      patch: { reportSuspiciousActivitySettings: { state: "enabled", voiceReportingCode: 0, includeTarget: { targetType: "group", id: "all_users" } } },
      changed: (o) => o.reportSuspiciousActivitySettings?.state === "enabled" && o.reportSuspiciousActivitySettings?.includeTarget?.id === "all_users",
    },
    {
      version: "v1.0",
      path: "/admin/reportSettings",
      model: v1.createAdminReportSettingsFromDiscriminatorValue,
      patch: { displayConcealedNames: false },
      changed: (o) => o.displayConcealedNames === false,
    },
    {
      version: "v1.0",
      path: "/admin/microsoft365Apps/installationOptions",
      model: v1.createM365AppsInstallationOptionsFromDiscriminatorValue,
      patch: { updateChannel: "monthlyEnterprise" },
      changed: (o) => o.updateChannel === "monthlyEnterprise" && o.appsForMac?.isMicrosoft365AppsEnabled === true,
    },
    {
      version: "beta",
      path: "/admin/forms",
      model: beta.createAdminFormsFromDiscriminatorValue,
      // As adminforms-update's example writes it: annotated with @odata.type, the nested one
      // without the leading '#'.
      patch: {
        "@odata.type": "#microsoft.graph.adminForms",
        settings: { "@odata.type": "microsoft.graph.formsSettings", isExternalShareResultEnabled: false },
      },
      changed: (o) => o.settings?.isExternalShareResultEnabled === false && o.settings?.isExternalSendFormEnabled === true,
    },
    {
      version: "beta",
      path: "/admin/todo",
      model: beta.createAdminTodoFromDiscriminatorValue,
      patch: { settings: { isPushNotificationEnabled: false } },
      changed: (o) => o.settings?.isPushNotificationEnabled === false && o.settings?.isExternalJoinEnabled === true,
    },
    {
      version: "beta",
      path: "/admin/appsAndServices",
      model: beta.createAdminAppsAndServicesFromDiscriminatorValue,
      patch: { settings: { isAppAndServicesTrialEnabled: false } },
      changed: (o) => o.settings?.isAppAndServicesTrialEnabled === false && o.settings?.isOfficeStoreEnabled === true,
    },
    {
      version: "v1.0",
      path: "/deviceManagement",
      model: v1.createDeviceManagementFromDiscriminatorValue,
      patch: { intuneBrand: { displayName: "Contoso IT", contactITEmailAddress: "it@contoso.example" } },
      changed: (o) => o.intuneBrand?.displayName === "Contoso IT" && typeof o.settings?.secureByDefault === "boolean",
    },
    {
      version: "beta",
      path: "/deviceManagement",
      model: beta.createDeviceManagementFromDiscriminatorValue,
      patch: { settings: { enhancedJailBreak: true } },
      changed: (o) => o.settings?.enhancedJailBreak === true && typeof o.settings?.secureByDefault === "boolean",
    },
  ]) {
    // `model`: the SDK's model that reads the singleton (the Intune and admin settings kinds).
    const where = `${version} ${path}`;
    const before = await step(`GET ${where}`, () => client.api(path).version(version).get());
    check(before && typeof before.id === "string", `GET ${where} returns the singleton`, JSON.stringify(before));
    await step(`PATCH ${where}`, () => client.api(path).version(version).patch(patch));
    const after = await step(`GET ${where} after PATCH`, () => client.api(path).version(version).get());
    check(changed(after), `PATCH ${where} changes one property and keeps the others`, JSON.stringify(after));
    if (model !== undefined) models.readsAs(`GET ${where}`, model, after);
  }

  // The admin consent request policy is updated only with PUT of all its properties
  // (adminconsentrequestpolicy-update); Graph's metadata says PATCH, which Graph answers 404.
  const consentPath = "/policies/adminConsentRequestPolicy";
  const consent = await step(`GET ${consentPath}`, () => client.api(consentPath).get());
  check(
    typeof consent.isEnabled === "boolean" && Array.isArray(consent.reviewers) && Number.isInteger(consent.version),
    `GET ${consentPath} returns the policy`,
    JSON.stringify(consent),
  );
  await step(`PUT ${consentPath}`, () =>
    client.api(consentPath).put({
      isEnabled: true,
      notifyReviewers: true,
      remindersEnabled: true,
      requestDurationInDays: 5,
      reviewers: [{ query: "/users/b6879be8-fb87-4482-a72e-18445d2b5c54", queryType: "MicrosoftGraph" }],
    }),
  );
  const consentAfter = await step(`GET ${consentPath} after PUT`, () => client.api(consentPath).get());
  check(
    consentAfter.isEnabled === true &&
      consentAfter.requestDurationInDays === 5 &&
      consentAfter.reviewers?.[0]?.query === "/users/b6879be8-fb87-4482-a72e-18445d2b5c54",
    `PUT ${consentPath} reads back`,
    JSON.stringify(consentAfter),
  );
  await expectGraphError(`PATCH ${consentPath}`, () => client.api(consentPath).patch({ isEnabled: false }), 404, "UnknownError");

  // The device registration policy (v1.0) is updated only with PUT of all five updatable
  // properties (deviceregistrationpolicy-update), which Graph answers with the policy; the
  // metadata has no update, and the emulator answers a PATCH 405.
  const registrationPath = "/policies/deviceRegistrationPolicy";
  const registration = await step(`GET ${registrationPath}`, () => client.api(registrationPath).get());
  check(
    Number.isInteger(registration.userDeviceQuota) &&
      typeof registration.multiFactorAuthConfiguration === "string" &&
      typeof registration.azureADJoin?.allowedToJoin?.["@odata.type"] === "string",
    `GET ${registrationPath} returns the policy`,
    JSON.stringify(registration),
  );
  const registrationPut = await step(`PUT ${registrationPath}`, () =>
    client.api(registrationPath).put({
      userDeviceQuota: 2147483647,
      multiFactorAuthConfiguration: "notRequired",
      azureADRegistration: registration.azureADRegistration,
      azureADJoin: {
        isAdminConfigurable: true,
        allowedToJoin: { "@odata.type": "#microsoft.graph.allDeviceRegistrationMembership" },
        localAdmins: { enableGlobalAdmins: false },
      },
      localAdminPassword: { isEnabled: true },
    }),
  );
  check(
    registrationPut?.userDeviceQuota === 2147483647,
    `PUT ${registrationPath} answers with the policy`,
    JSON.stringify(registrationPut),
  );
  const registrationAfter = await step(`GET ${registrationPath} after PUT`, () => client.api(registrationPath).get());
  check(
    registrationAfter.userDeviceQuota === 2147483647 &&
      registrationAfter.azureADJoin?.localAdmins?.enableGlobalAdmins === false &&
      registrationAfter.localAdminPassword?.isEnabled === true,
    `PUT ${registrationPath} reads back`,
    JSON.stringify(registrationAfter),
  );
  await expectGraphError(
    `PUT ${registrationPath} without userDeviceQuota`,
    () => client.api(registrationPath).put({ multiFactorAuthConfiguration: "notRequired" }),
    400,
    "invalid_request",
  );

  // The organization: a collection of exactly one, found by listing and PATCHed by the tenant
  // id (organization-update); the contacts it does not name stay.
  const organizations = await step("GET /organization", () => client.api("/organization").get());
  const organization = organizations.value?.[0];
  check(
    organizations.value?.length === 1 && typeof organization?.id === "string" && Array.isArray(organization?.technicalNotificationMails),
    "GET /organization lists the tenant's one organization",
    JSON.stringify(organizations),
  );
  const organizationPath = `/organization/${organization.id}`;
  await step(`PATCH ${organizationPath}`, () =>
    client.api(organizationPath).patch({ technicalNotificationMails: ["ict@example.gov.au"] }),
  );
  const organizationAfter = await step(`GET ${organizationPath}`, () => client.api(organizationPath).get());
  check(
    organizationAfter.technicalNotificationMails?.[0] === "ict@example.gov.au" &&
      JSON.stringify(organizationAfter.verifiedDomains) === JSON.stringify(organization.verifiedDomains),
    `PATCH ${organizationPath} reads back`,
    JSON.stringify(organizationAfter),
  );

  // The default company branding, under the organization and asked for by locale
  // (Accept-Language: 0, organizationalbranding-get, -update): read into the SDK's model, its
  // sign-in text PATCHed with the SDK's serializer and read back, what the PATCH does not name
  // kept.
  const brandingPath = `${organizationPath}/branding`;
  const defaultLocale = { "Accept-Language": "0" };
  const brandingBefore = models.readsAs(
    `GET ${brandingPath}`,
    v1.createOrganizationalBrandingFromDiscriminatorValue,
    await step(`GET ${brandingPath}`, () => client.api(brandingPath).headers(defaultLocale).get()),
  );
  check(brandingBefore.id === "0", `GET ${brandingPath} answers the default branding`, JSON.stringify(brandingBefore));
  await step(`PATCH ${brandingPath}`, () =>
    client
      .api(brandingPath)
      .headers(defaultLocale)
      .patch(writeModel(v1.serializeOrganizationalBranding, { signInPageText: "Authorised use only.", usernameHintText: "user@examples.gov.au" })),
  );
  const brandingAfter = models.readsAs(
    `GET ${brandingPath} after PATCH`,
    v1.createOrganizationalBrandingFromDiscriminatorValue,
    await step(`GET ${brandingPath}`, () => client.api(brandingPath).headers(defaultLocale).get()),
  );
  check(
    brandingAfter.signInPageText === "Authorised use only." &&
      brandingAfter.usernameHintText === "user@examples.gov.au" &&
      brandingAfter.backgroundColor === brandingBefore.backgroundColor,
    `PATCH ${brandingPath} with the SDK's model reads back`,
    JSON.stringify(brandingAfter),
  );

  // A domain's password expiry, PATCHed by the domain's name (domain-update).
  const domains = await step("GET /domains", () => client.api("/domains").get());
  const defaultDomain = domains.value?.find((d) => d.isDefault === true);
  check(
    typeof defaultDomain?.id === "string" && defaultDomain.isVerified === true && Number.isInteger(defaultDomain.passwordValidityPeriodInDays),
    "GET /domains lists the tenant's verified default domain",
    JSON.stringify(domains),
  );
  const domainPath = `/domains/${defaultDomain.id}`;
  await step(`PATCH ${domainPath}`, () =>
    client.api(domainPath).patch({ passwordValidityPeriodInDays: 365, passwordNotificationWindowInDays: 14 }),
  );
  const domainAfter = await step(`GET ${domainPath}`, () => client.api(domainPath).get());
  check(
    domainAfter.passwordValidityPeriodInDays === 365 && domainAfter.passwordNotificationWindowInDays === 14,
    `PATCH ${domainPath} reads back`,
    JSON.stringify(domainAfter),
  );
  // What Microsoft 365 asks the domain to publish (domain-list-serviceconfigurationrecords),
  // which evaluate compares the public DNS with: each record read into the SDK's model of its
  // derived type (domainDnsMxRecord, domainDnsTxtRecord, domainDnsCnameRecord).
  const recordsPath = `${domainPath}/serviceConfigurationRecords`;
  const records = models.readsAs(
    `GET ${recordsPath}`,
    v1.createDomainDnsRecordCollectionResponseFromDiscriminatorValue,
    await step(`GET ${recordsPath}`, () => client.api(recordsPath).get()),
  );
  const byType = (odataType) => (records.value ?? []).find((r) => r.odataType === odataType);
  const mxRecord = byType("#microsoft.graph.domainDnsMxRecord");
  const txtRecord = byType("#microsoft.graph.domainDnsTxtRecord");
  const cnameRecord = byType("#microsoft.graph.domainDnsCnameRecord");
  check(
    mxRecord?.recordType === "Mx" &&
      mxRecord.label === defaultDomain.id &&
      typeof mxRecord.mailExchange === "string" &&
      Number.isInteger(mxRecord.preference) &&
      txtRecord?.text?.startsWith("v=spf1 ") &&
      typeof cnameRecord?.canonicalName === "string",
    `GET ${recordsPath} lists the domain's MX, SPF TXT and CNAME records in the SDK's models`,
    JSON.stringify(records),
  );

  // PIM role settings: a directory role's policy is found through its assignment (Graph
  // requires the scope filter) with the policy and its rules expanded; each rule is PATCHed on
  // its own, naming its derived type.
  const globalAdministrator = "62e90394-69f5-4237-9190-012177145e10";
  const assignments = await step("GET /policies/roleManagementPolicyAssignments", () =>
    client
      .api("/policies/roleManagementPolicyAssignments")
      .filter("scopeId eq '/' and scopeType eq 'DirectoryRole'")
      .expand("policy($expand=rules)")
      .get(),
  );
  const gaAssignment = assignments.value?.find((a) => a.roleDefinitionId === globalAdministrator);
  const gaRules = gaAssignment?.policy?.rules ?? [];
  check(
    gaAssignment?.scopeType === "DirectoryRole" && typeof gaAssignment?.policy?.id === "string" && gaRules.length > 0,
    "GET /policies/roleManagementPolicyAssignments finds the Global Administrator's policy and rules",
    JSON.stringify(gaAssignment),
  );
  const rulePath = `/policies/roleManagementPolicies/${gaAssignment.policy.id}/rules/Expiration_EndUser_Assignment`;
  await step(`PATCH ${rulePath}`, () =>
    client.api(rulePath).patch({
      "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
      id: "Expiration_EndUser_Assignment",
      isExpirationRequired: true,
      maximumDuration: "PT10H",
      target: { caller: "EndUser", level: "Assignment", operations: ["all"] },
    }),
  );
  const ruleAfter = await step(`GET ${rulePath}`, () => client.api(rulePath).get());
  check(
    ruleAfter.maximumDuration === "PT10H" && ruleAfter["@odata.type"] === "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
    `PATCH ${rulePath} reads back`,
    JSON.stringify(ruleAfter),
  );

  // Group-based licensing: the tenant's bought licences (subscribedsku-list), one given to a
  // security group with a service plan left off through assignLicense (group-assignlicense),
  // read back with $select (Graph returns a group's assignedLicenses only on $select), then
  // taken away with removeLicenses.
  const skus = await step("GET /subscribedSkus", () => client.api("/subscribedSkus").get());
  const sku = skus.value?.[0];
  check(
    typeof sku?.skuId === "string" && Array.isArray(sku?.servicePlans) && sku.servicePlans.length > 0,
    "GET /subscribedSkus lists the tenant's licences with their service plans",
    JSON.stringify(skus),
  );
  const leftOff = sku.servicePlans[0].servicePlanId;
  const licensed = await step("POST /groups (to license)", () =>
    client.api("/groups").post({
      displayName: `sdk-compat ${run} licensed`,
      mailEnabled: false,
      mailNickname: `sdkcompat${run}lic`,
      securityEnabled: true,
    }),
  );
  const licensedPath = `/groups/${licensed.id}`;
  const licenceAnswer = await step(`POST ${licensedPath}/assignLicense`, () =>
    client.api(`${licensedPath}/assignLicense`).post({
      addLicenses: [{ skuId: sku.skuId, disabledPlans: [leftOff] }],
      removeLicenses: [],
    }),
  );
  check(licenceAnswer?.id === licensed.id, `POST ${licensedPath}/assignLicense answers with the group`, JSON.stringify(licenceAnswer));
  const withLicences = await step(`GET ${licensedPath}?$select=id,displayName,assignedLicenses`, () =>
    client.api(licensedPath).select(["id", "displayName", "assignedLicenses"]).get(),
  );
  check(
    withLicences.assignedLicenses?.length === 1 &&
      withLicences.assignedLicenses[0].skuId === sku.skuId &&
      JSON.stringify(withLicences.assignedLicenses[0].disabledPlans) === JSON.stringify([leftOff]),
    "the group's assignedLicenses read back with the plan left off",
    JSON.stringify(withLicences),
  );
  await step(`POST ${licensedPath}/assignLicense (removeLicenses)`, () =>
    client.api(`${licensedPath}/assignLicense`).post({ addLicenses: [], removeLicenses: [sku.skuId] }),
  );
  const unlicensed = await step(`GET ${licensedPath}?$select=assignedLicenses`, () =>
    client.api(licensedPath).select(["assignedLicenses"]).get(),
  );
  check((unlicensed.assignedLicenses ?? []).length === 0, "removeLicenses takes the licence away", JSON.stringify(unlicensed));
  await step(`DELETE ${licensedPath}`, () => client.api(licensedPath).delete());

  // The B2B invitation allowlist (beta only): the tenant's one B2B management policy
  // (policyroot-post-b2bmanagementpolicies), its definition one JSON document as text, updated
  // with PATCH, which answers with the policy (b2bmanagementpolicy-update); a second one refused
  // (one per organisation); deleted.
  const b2bPath = "/policies/b2bManagementPolicies";
  const allowlist = (...domains) =>
    JSON.stringify({ B2BManagementPolicy: { InvitationsAllowedAndBlockedDomainsPolicy: { AllowedDomains: domains } } });
  const b2b = await step(`POST beta ${b2bPath}`, () =>
    client.api(b2bPath).version("beta").post({
      "@odata.type": "#microsoft.graph.b2bManagementPolicy",
      displayName: "B2BManagementPolicy",
      description: `sdk-compat ${run}`,
      definition: [allowlist("examples.gov.au")],
      isOrganizationDefault: true,
    }),
  );
  check(
    typeof b2b?.id === "string" && JSON.stringify(b2b.definition) === JSON.stringify([allowlist("examples.gov.au")]),
    `POST beta ${b2bPath} creates the policy with its definition as given`,
    JSON.stringify(b2b),
  );
  const b2bPatched = await step(`PATCH beta ${b2bPath}/${b2b.id}`, () =>
    client.api(`${b2bPath}/${b2b.id}`).version("beta").patch({ definition: [allowlist("examples.gov.au", "partner.example")] }),
  );
  check(
    JSON.stringify(b2bPatched?.definition) === JSON.stringify([allowlist("examples.gov.au", "partner.example")]) &&
      b2bPatched.displayName === "B2BManagementPolicy",
    `PATCH beta ${b2bPath}/${b2b.id} answers with the policy, the rest kept`,
    JSON.stringify(b2bPatched),
  );
  const b2bListed = await step(`GET beta ${b2bPath}`, () => client.api(b2bPath).version("beta").get());
  check(
    b2bListed.value?.length === 1 && b2bListed.value[0].isOrganizationDefault === true,
    `GET beta ${b2bPath} lists the tenant's one policy`,
    JSON.stringify(b2bListed),
  );
  await expectGraphError(
    `POST beta ${b2bPath} (a second policy)`,
    () =>
      client.api(b2bPath).version("beta").post({ displayName: "second", description: "second", definition: [allowlist("examples.gov.au")] }),
    400,
    "Request_BadRequest",
  );
  await step(`DELETE beta ${b2bPath}/${b2b.id}`, () => client.api(`${b2bPath}/${b2b.id}`).version("beta").delete());

  // The requests above reached the emulator (and not Microsoft's hosts).
  const delta = countsDelta(before, await emulatorCounts(ready));
  const seenRoutes = [...delta.keys()].join(", ");
  const sawRoute = (method, route) => [...delta.keys()].some((k) => k.startsWith(`${method} ${route} `));
  for (const [method, route] of [
    ["POST", "/v1.0/groups"],
    ["GET", "/v1.0/groups"],
    ["PATCH", "/v1.0/groups/{id}"],
    ["DELETE", "/v1.0/groups/{id}"],
    ["POST", "/v1.0/identity/conditionalAccess/namedLocations"],
    ["POST", "/v1.0/deviceManagement/deviceConfigurations"],
    ["PATCH", "/v1.0/admin/reportSettings"],
    ["PATCH", "/beta/admin/forms"],
    ["PATCH", "/beta/deviceManagement/deviceCompliancePolicies/{id}"],
    ["PATCH", "/v1.0/deviceManagement/deviceEnrollmentConfigurations/{id}"],
    ["PATCH", "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}"],
    ["PUT", "/v1.0/policies/adminConsentRequestPolicy"],
    ["PUT", "/v1.0/policies/deviceRegistrationPolicy"],
    ["PATCH", "/v1.0/organization/{id}"],
    ["PATCH", "/v1.0/organization/{id}/branding"],
    ["PATCH", "/v1.0/domains/{id}"],
    ["PATCH", "/v1.0/policies/roleManagementPolicies/{id}/rules/{id}"],
    ["POST", "/v1.0/groups/{id}/assignLicense"],
    ["GET", "/v1.0/subscribedSkus"],
    ["POST", "/beta/policies/b2bManagementPolicies"],
    ["PATCH", "/beta/policies/b2bManagementPolicies/{id}"],
  ]) {
    check(sawRoute(method, route), `emulator counted ${method} ${route}`, seenRoutes);
  }
  check([...delta.keys()].some((k) => k.includes("$batch")), "emulator counted POST /v1.0/$batch", seenRoutes);
  check(![...delta.keys()].some((k) => / 401$/.test(k)), "no Graph request was refused as unauthenticated (401)", seenRoutes);
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.log(`FAIL ${err instanceof CheckFailed ? err.message : describe(err)}`);
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
}
if (failed) {
  console.log(`sdk-compat: FAILED after ${checks} passing checks`);
  process.exit(1);
}
console.log(`sdk-compat: all ${checks} checks passed`);
