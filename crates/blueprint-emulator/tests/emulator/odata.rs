//! OData query options and paging ("Use query parameters", "Paging Microsoft Graph data",
//! "Advanced query capabilities on Microsoft Entra ID objects").

use std::collections::HashSet;

use reqwest::Method;
use serde_json::json;

use crate::support::*;

async fn with_groups(n: usize) -> (Emu, String) {
    let emu = start("empty-agency").await;
    let t = emu.token().await;
    for i in 0..n {
        let r = emu
            .post(
                &t,
                "groups",
                security_group(&format!("grp-{i:03}"), &format!("g{i}")),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    (emu, t)
}

#[tokio::test]
async fn paging_follows_next_links_to_every_item_once() {
    let (emu, t) = with_groups(250).await;
    let first = emu.get(&t, "groups").await;
    assert_eq!(
        first.body["value"].as_array().unwrap().len(),
        100,
        "default page size"
    );
    assert!(
        first.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#groups")
    );
    let all = emu.list_all(&t, "groups?$top=999").await;
    assert_eq!(all.len(), 250);
    let pages = emu
        .list_all(&t, "groups?$top=7&$select=id,displayName")
        .await;
    let ids: HashSet<_> = pages
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 250, "no item repeated or lost across pages");
    assert!(
        pages.iter().all(|g| g.as_object().unwrap().len() == 2),
        "$select kept on every page"
    );
    let next = emu.get(&t, "groups?$top=7").await.body["@odata.nextLink"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.contains("$skiptoken="));
    let too_big = emu.get(&t, "groups?$top=1000").await;
    assert_eq!(too_big.status, 400);
}

#[tokio::test]
async fn filter_select_and_count() {
    let (emu, t) = with_groups(12).await;
    let eq = emu.get(&t, "groups?$filter=displayName eq 'grp-003'").await;
    assert_eq!(eq.status, 200, "{}", eq.text);
    assert_eq!(eq.body["value"].as_array().unwrap().len(), 1);
    let id = eq.body["value"][0]["id"].as_str().unwrap().to_string();
    let by_id = emu.get(&t, &format!("groups?$filter=id eq '{id}'")).await;
    assert_eq!(by_id.body["value"][0]["displayName"], "grp-003");
    let starts = emu
        .get(&t, "groups?$filter=startswith(displayName,'grp-01')")
        .await;
    assert_eq!(starts.body["value"].as_array().unwrap().len(), 2);
    let encoded = emu
        .get(&t, "groups?%24filter=displayName%20eq%20%27grp-004%27")
        .await;
    assert_eq!(encoded.body["value"].as_array().unwrap().len(), 1);

    let select = emu
        .get(&t, &format!("groups/{id}?$select=displayName"))
        .await;
    assert_eq!(select.body["displayName"], "grp-003");
    assert!(select.body.get("mailNickname").is_none());
    assert!(
        select.body["@odata.context"]
            .as_str()
            .unwrap()
            .contains("groups(displayName)")
    );
    let bad_select = emu.get(&t, "groups?$select=colour").await;
    assert_eq!(bad_select.status, 400);

    let count_plain = emu.get(&t, "groups?$count=true").await;
    assert_eq!(
        (count_plain.status.as_u16(), count_plain.code()),
        (400, "Request_BadRequest")
    );
    let eventual = [("ConsistencyLevel", "eventual")];
    let counted = emu
        .call_with(
            &t,
            Method::GET,
            "groups?$count=true&$top=5",
            None,
            &eventual,
        )
        .await;
    assert_eq!(counted.body["@odata.count"], 12);
    let text = emu
        .call_with(&t, Method::GET, "groups/$count", None, &eventual)
        .await;
    assert_eq!(text.text, "12");
    assert!(
        text.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );

    let ne = emu.get(&t, "groups?$filter=displayName ne 'grp-001'").await;
    assert_eq!(
        (ne.status.as_u16(), ne.code()),
        (400, "Request_UnsupportedQuery")
    );
    let ne_ok = emu
        .call_with(
            &t,
            Method::GET,
            "groups?$filter=displayName ne 'grp-001'&$count=true",
            None,
            &eventual,
        )
        .await;
    assert_eq!(ne_ok.body["value"].as_array().unwrap().len(), 11);
    let unsupported_prop = emu.get(&t, "groups?$filter=description eq 'x'").await;
    assert_eq!(unsupported_prop.status, 400);
    let garbage = emu.get(&t, "groups?$filter=displayName eq").await;
    assert_eq!(garbage.status, 400);

    // Named locations filter by their own properties.
    let loc = emu
        .post(&t, "identity/conditionalAccess/namedLocations", json!({"@odata.type": "#microsoft.graph.countryNamedLocation", "displayName": "Allowed Countries", "countriesAndRegions": ["AU"]}))
        .await;
    assert_eq!(loc.status, 201);
    let found = emu
        .get(
            &t,
            "identity/conditionalAccess/namedLocations?$filter=displayName eq 'Allowed Countries'",
        )
        .await;
    assert_eq!(found.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unsupported_query_options_get_400() {
    let (emu, t) = with_groups(1).await;
    for q in [
        "groups?$skip=1",
        "groups?$orderby=displayName",
        "groups?$foo=1",
        "groups?$top=abc",
        "groups?$count=maybe",
        "groups?$skiptoken=forged",
    ] {
        let r = emu.get(&t, q).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        assert!(r.body["error"]["code"].is_string());
    }
    // Options that are not system query options are ignored, as Graph does.
    assert_eq!(emu.get(&t, "groups?foo=1").await.status, 200);
}
