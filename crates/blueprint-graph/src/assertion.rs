//! Client assertions: the JWT an app signs with its certificate's key instead of sending a
//! secret (Microsoft identity platform "certificate credentials").

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;

use crate::GraphError;

/// How long an assertion is valid: Microsoft asks for 5–10 minutes after `nbf`.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// Signs client assertions for one certificate.
pub(crate) struct AssertionSigner {
    key: EncodingKey,
    /// Base64url SHA-256 of the certificate's DER: Entra finds the registered certificate by it.
    x5t_s256: String,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl AssertionSigner {
    /// From one PEM text holding the certificate and its unencrypted RSA private key.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, GraphError> {
        let certificate = CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or_else(|| {
                GraphError::Config(
                    "the certificate credential holds no PEM CERTIFICATE block; it needs the certificate \
                     and its private key, both PEM, in one file"
                        .to_string(),
                )
            })?;
        let private_key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            GraphError::Config(
                "the certificate credential holds no unencrypted PRIVATE KEY block; it needs the \
                 certificate and its private key (PKCS#8 or PKCS#1 RSA, not encrypted), both PEM, in one file"
                    .to_string(),
            )
        })?;
        let not_rsa = || {
            GraphError::Config(
                "the certificate's private key is not an RSA key: Entra ID client assertions are signed \
                 PS256, which needs an RSA certificate"
                    .to_string(),
            )
        };
        let key = match &private_key {
            PrivateKeyDer::Pkcs1(der) => EncodingKey::from_rsa_der(der.secret_pkcs1_der()),
            PrivateKeyDer::Pkcs8(der) => {
                // jsonwebtoken wants PKCS#8 as PEM (it unwraps the RSA key inside itself).
                let body = base64::engine::general_purpose::STANDARD.encode(der.secret_pkcs8_der());
                let pem =
                    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
                EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| not_rsa())?
            }
            _ => return Err(not_rsa()),
        };
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate.as_ref());
        let signer = Self {
            key,
            x5t_s256: URL_SAFE_NO_PAD.encode(digest.as_ref()),
        };
        // Sign once now, so a key the signer cannot use fails at start-up, not mid-deploy.
        signer.sign("https://invalid.example/token", "check", 0)?;
        Ok(signer)
    }

    /// A fresh assertion for the token endpoint `audience`, valid from `now` (Unix seconds).
    pub(crate) fn sign(
        &self,
        audience: &str,
        client_id: &str,
        now: i64,
    ) -> Result<String, GraphError> {
        let mut header = Header::new(Algorithm::PS256);
        header.typ = Some("JWT".to_string());
        header.x5t_s256 = Some(self.x5t_s256.clone());
        let claims = AssertionClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            GraphError::Config(format!(
                "cannot sign the client assertion with the certificate's key: {e}"
            ))
        })
    }

    #[cfg(test)]
    pub(crate) fn thumbprint(&self) -> &str {
        &self.x5t_s256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_a_key_is_a_config_error() {
        let err = AssertionSigner::from_pem(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .err()
        .expect("refused");
        assert!(matches!(err, GraphError::Config(_)), "{err}");
    }

    fn rsa_certificate() -> (String, String, Vec<u8>) {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .unwrap();
        let cert = rcgen::CertificateParams::new(vec!["blueprint-test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }

    #[test]
    fn assertion_is_ps256_with_the_sha256_thumbprint_and_the_documented_claims() {
        let (cert_pem, key_pem, cert_der) = rsa_certificate();
        let signer = AssertionSigner::from_pem(&format!("{cert_pem}{key_pem}")).unwrap();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &cert_der);
        assert_eq!(signer.thumbprint(), URL_SAFE_NO_PAD.encode(digest.as_ref()));

        let aud = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token";
        let jwt = signer.sign(aud, "client-id", 1_700_000_000).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::PS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.x5t_s256.as_deref(), Some(signer.thumbprint()));
        assert_eq!(header.x5t, None);

        let public = rcgen::KeyPair::from_pem(&key_pem).unwrap().public_key_pem();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::PS256);
        validation.set_audience(&[aud]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(
            &jwt,
            &jsonwebtoken::DecodingKey::from_rsa_pem(public.as_bytes()).unwrap(),
            &validation,
        )
        .expect("signature verifies with the certificate's public key")
        .claims;
        assert_eq!(claims["aud"], aud);
        assert_eq!(claims["iss"], "client-id");
        assert_eq!(claims["sub"], "client-id");
        assert_eq!(claims["nbf"], 1_700_000_000);
        assert_eq!(claims["exp"], 1_700_000_600);
        let second = signer.sign(aud, "client-id", 1_700_000_000).unwrap();
        let jti = |t: &str| {
            jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(t)
                .unwrap()
                .claims["jti"]
                .clone()
        };
        assert_ne!(jti(&jwt), jti(&second), "every assertion has its own jti");
        // Key first, certificate second reads the same.
        assert!(AssertionSigner::from_pem(&format!("{key_pem}{cert_pem}")).is_ok());
    }

    #[test]
    fn an_ec_key_is_refused_because_ps256_needs_rsa() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["ec".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let err = AssertionSigner::from_pem(&format!("{}{}", cert.pem(), key.serialize_pem()))
            .err()
            .unwrap();
        assert!(err.to_string().contains("RSA"), "{err}");
    }

    #[test]
    fn garbage_is_a_config_error() {
        assert!(matches!(
            AssertionSigner::from_pem("not a pem"),
            Err(GraphError::Config(_))
        ));
    }
}
