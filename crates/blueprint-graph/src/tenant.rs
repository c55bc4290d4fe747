//! Which tenant the client works in, by its organization id: a tenant configured by a domain
//! (`contoso.onmicrosoft.com`) and by its GUID are one tenant, and state kept about it (the
//! deploy lock, the journal) must be keyed by one name.

use serde_json::Value;

use crate::{GraphClient, GraphError};

impl GraphClient {
    /// The organization id (the tenant's GUID, lowercase) of the tenant the client's token was
    /// issued for: the access token's `tid` claim, so no extra request when a token is needed
    /// anyway; `GET /organization` when the token carries none.
    pub async fn organization_id(&self) -> Result<String, GraphError> {
        let token = self.0.access_token().await?;
        if let Some(tid) = tid_claim(token.expose()) {
            return Ok(tid);
        }
        let organizations = self.list("organization?$select=id").await?;
        organizations
            .first()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .and_then(guid)
            .ok_or_else(|| GraphError::Auth {
                status: 200,
                error: "no_organization".to_string(),
                aadsts: None,
                description: "neither the access token (tid) nor GET /organization names the tenant's organization id".to_string(),
            })
    }
}

/// The `tid` claim of a JWT, when it is a GUID. The signature is not checked: the token came
/// from the authority over TLS, and only says which tenant it is for.
fn tid_claim(jwt: &str) -> Option<String> {
    guid(crate::client::decode_claims(jwt)?.get("tid")?.as_str()?)
}

/// `text` as a lowercase GUID, if it is one.
fn guid(text: &str) -> Option<String> {
    let groups: Vec<&str> = text.split('-').collect();
    let shape = [8, 4, 4, 4, 12];
    (groups.len() == 5
        && groups
            .iter()
            .zip(shape)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit())))
    .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"RS256"}"#), enc(claims))
    }

    #[test]
    fn the_tid_claim_names_the_organization() {
        assert_eq!(
            tid_claim(&jwt(
                r#"{"tid":"8F2C6F1E-3B4D-4C55-9D7E-0A1B2C3D4E5F","aud":"x"}"#
            ))
            .as_deref(),
            Some("8f2c6f1e-3b4d-4c55-9d7e-0a1b2c3d4e5f")
        );
        for bad in [
            jwt(r#"{"tid":"contoso.onmicrosoft.com"}"#),
            jwt(r#"{"aud":"x"}"#),
            "not a jwt".to_string(),
            "a.%%%.c".to_string(),
        ] {
            assert_eq!(tid_claim(&bad), None, "{bad}");
        }
    }
}
