"""Drives Microsoft's own, unmodified Python libraries (azure-identity and msgraph-sdk, with
msgraph-core and Kiota underneath) against a running `blueprint emulator`, configured the way a
user points them at a custom endpoint: the authority host, the Graph base URL, the hosts the
token may be sent to, and the emulator's CA trusted through SSL_CERT_FILE / REQUESTS_CA_BUNDLE.

Usage: SSL_CERT_FILE=<ca_file> REQUESTS_CA_BUNDLE=<ca_file> python compat.py <ready.json>
Prints one line per check; exits non-zero on the first failure.
"""

import asyncio
import base64
import json
import os
import sys
import tempfile
import uuid
from urllib.parse import urlparse

from azure.identity import CertificateCredential, ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_core import PageIterator
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

SCOPE = "https://graph.microsoft.com/.default"
checks = 0


class CheckFailed(Exception):
    pass


def check(cond, what, detail=None):
    global checks
    if not cond:
        raise CheckFailed(what if detail is None else f"{what}: {detail}")
    checks += 1
    print(f"ok   {what}", flush=True)


def claims_of(token):
    parts = token.split(".")
    check(len(parts) == 3, "token is a compact JWT (three parts)", len(parts))
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def graph_client(ready, credential):
    host = urlparse(ready["graph"]).hostname
    # Kiota sends the token only to the hosts it is told about, and only over https.
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = f"{ready['graph']}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def main(ready_path):
    with open(ready_path, encoding="utf-8") as f:
        ready = json.load(f)
    check(urlparse(ready["graph"]).scheme == "https", "Graph URL is https (Kiota sends tokens over https only)", ready["graph"])
    tenant = ready["tenants"][0]
    app = tenant["apps"][0]
    tenant_id, client_id = tenant["id"], app["client_id"]
    options = {"authority": ready["authority"], "disable_instance_discovery": True}

    # --- Tokens -------------------------------------------------------------------------------
    secret = ClientSecretCredential(tenant_id, client_id, app["client_secret"], **options)
    token = secret.get_token(SCOPE)
    claims = claims_of(token.token)
    check(claims.get("tid") == tenant_id, "ClientSecretCredential: token names the tenant", claims.get("tid"))
    check(claims.get("appid") == client_id or claims.get("azp") == client_id, "ClientSecretCredential: token names the app")

    with tempfile.TemporaryDirectory() as tmp:
        pem = os.path.join(tmp, "app.pem")
        with open(app["certificate_path"], encoding="utf-8") as c, open(app["private_key_path"], encoding="utf-8") as k:
            text = c.read().strip() + "\n" + k.read().strip() + "\n"
        with open(pem, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(pem, 0o600)
        # MSAL signs the assertion with the thumbprint in base64url *with* padding, as Entra accepts.
        certificate = CertificateCredential(tenant_id, client_id, certificate_path=pem, **options)
        cert_token = certificate.get_token(SCOPE)
        cert_claims = claims_of(cert_token.token)
        check(cert_claims.get("tid") == tenant_id, "CertificateCredential: token names the tenant")
        check(cert_claims.get("appidacr") in (None, "2"), "CertificateCredential: appidacr is 2 (certificate)", cert_claims.get("appidacr"))

        wrong = ClientSecretCredential(tenant_id, client_id, "not-the-secret", **options)
        try:
            wrong.get_token(SCOPE)
            raise CheckFailed("a wrong client secret was accepted")
        except CheckFailed:
            raise
        except Exception as err:  # azure.identity's ClientAuthenticationError
            check("AADSTS7000215" in str(err), "a wrong client secret is refused with AADSTS7000215", str(err)[:200])

        client = graph_client(ready, secret)
        cert_client = graph_client(ready, certificate)
        run = uuid.uuid4().hex[:8]

        # --- Create and read with the SDK's own model classes ------------------------------
        created = []
        for i in range(1, 6):
            group = Group(
                display_name=f"sdk-compat-py {run} group {i}",
                mail_enabled=False,
                mail_nickname=f"sdkcompatpy{run}{i}",
                security_enabled=True,
                description=f"made by msgraph-sdk {i}",
            )
            made = await client.groups.post(group)
            check(isinstance(made, Group) and made.id and made.display_name == group.display_name,
                  f"groups.post creates a Group ({group.display_name})", made)
            created.append(made)
        try:
            got = await cert_client.groups.by_group_id(created[0].id).get()
            check(isinstance(got, Group) and got.id == created[0].id and got.security_enabled is True,
                  "groups.by_group_id().get() with the certificate credential returns the Group", got)

            await client.groups.by_group_id(created[1].id).patch(Group(description=f"patched {run}"))
            patched = await client.groups.by_group_id(created[1].id).get()
            check(patched.description == f"patched {run}", "groups.by_group_id().patch() changes the description", patched.description)

            # --- Paging: the first page by the fluent API, the rest by msgraph-core's PageIterator
            query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(top=2)
            first = await client.groups.get(RequestConfiguration(query_parameters=query))
            check(first and len(first.value) == 2, "groups.get(top=2) returns a page of 2")
            check(bool(first.odata_next_link), "the page has @odata.nextLink")
            next_link = urlparse(first.odata_next_link)
            graph = urlparse(ready["graph"])
            check((next_link.scheme, next_link.netloc) == (graph.scheme, graph.netloc),
                  "@odata.nextLink keeps the emulator's scheme, host and port (the request came over HTTP/2)",
                  first.odata_next_link)
            seen = []

            def collect(item):
                seen.append(item.id)
                return True

            iterator = PageIterator(first, client.request_adapter)
            await iterator.iterate(collect)
            check(len(seen) == len(set(seen)), f"PageIterator saw {len(seen)} groups, none twice")
            check(all(g.id in seen for g in created), "PageIterator saw all 5 created groups")

            # --- $batch built by msgraph-core ------------------------------------------------
            # BatchRequestItem keeps the request's absolute URL, which Graph refuses (the step URL
            # must be relative to the version: msgraph-sdk-python#1015, msgraph-sdk-python-core
            # #1116); the documented workaround makes it relative.
            content = BatchRequestContent()
            items = []
            for g in created[2:5]:
                info = client.groups.by_group_id(g.id).to_get_request_information()
                item = BatchRequestItem(request_information=info)
                item.url = item.url.replace(f"{ready['graph']}/v1.0", "")
                content.add_request(item.id, item)
                items.append((item.id, g))
            patch_info = client.groups.by_group_id(created[2].id).to_patch_request_information(Group(description=f"batched {run}"))
            patch_item = BatchRequestItem(request_information=patch_info)
            patch_item.url = patch_item.url.replace(f"{ready['graph']}/v1.0", "")
            content.add_request(patch_item.id, patch_item)
            responses = await client.batch.post(batch_request_content=content)
            # BatchResponseItem reads an item's body only as base64 (get_bytes_value), and Graph
            # sends JSON bodies as JSON objects, so the SDK leaves `body` empty for them: the
            # items are checked by status and content type, their content by a read below.
            for item_id, g in items:
                response = responses.get_response_by_id(item_id)
                check(response is not None and response.status == 200, f"batch GET of {g.display_name}: 200",
                      None if response is None else response.status)
                check("application/json" in (response.content_type or ""), "batch GET item is JSON", response.content_type)
            patched_in_batch = responses.get_response_by_id(patch_item.id)
            check(patched_in_batch is not None and patched_in_batch.status in (200, 204), "batch PATCH: 204",
                  None if patched_in_batch is None else patched_in_batch.status)
            after = await client.groups.by_group_id(created[2].id).get()
            check(after.description == f"batched {run}", "the batched PATCH took effect", after.description)

            # --- Errors come back as the SDK's ODataError ------------------------------------
            await client.groups.by_group_id(created[0].id).delete()
            try:
                await client.groups.by_group_id(created[0].id).get()
                raise CheckFailed("a deleted group was still found")
            except ODataError as err:
                check(err.response_status_code == 404, "a deleted group: ODataError 404", err.response_status_code)
                check(err.error is not None and err.error.code == "Request_ResourceNotFound",
                      "ODataError carries Graph's code Request_ResourceNotFound", err.error and err.error.code)
            created = created[1:]
        finally:
            for g in created:
                try:
                    await client.groups.by_group_id(g.id).delete()
                except Exception:
                    pass


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python compat.py <ready.json> (the emulator's --ready-file)")
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1]))
    except CheckFailed as failure:
        print(f"FAIL {failure}")
        print(f"sdk-compat-python: FAILED after {checks} passing checks")
        sys.exit(1)
    except Exception as err:
        import traceback

        traceback.print_exc()
        print(f"FAIL {type(err).__name__}: {err}")
        print(f"sdk-compat-python: FAILED after {checks} passing checks")
        sys.exit(1)
    print(f"sdk-compat-python: all {checks} checks passed")
