//! What can go wrong talking to Microsoft Graph and Entra ID, in terms a caller can act on.

use serde_json::Value;

/// An error from the Graph client. Secrets never appear in any variant: token endpoint
/// descriptions are scrubbed of the configured secret before they are stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status. Branch on `code` (Graph's `error.code`, e.g.
    /// `Request_ResourceNotFound`), never on `message`. `code` is empty when the body carried
    /// no Graph error object.
    #[error(
        "{} refused {method} {path}: HTTP {status} {code}: {message} (request-id {}, client-request-id {client_request_id})",
        service_of(path),
        request_id.as_deref().unwrap_or("none")
    )]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        client_request_id: String,
        method: String,
        path: String,
    },

    /// A create (POST) was sent but its answer was lost (timeout, dropped connection, 5xx): the
    /// object may or may not exist now. Look it up before creating it again.
    #[error(
        "the outcome of {method} {path} is unknown ({cause}); look the object up before trying again"
    )]
    OutcomeUnknown {
        method: String,
        path: String,
        cause: String,
    },

    /// The token endpoint refused the client's credentials or request (`AADSTS…`).
    #[error("Entra ID refused the token request: HTTP {status} {error}: {description}")]
    Auth {
        status: u16,
        error: String,
        aadsts: Option<u32>,
        description: String,
    },

    /// The request could not be completed at the transport level (connection, TLS, timeout,
    /// unreadable body) and was not retried or not retryable.
    #[error("{method} {path} failed: {cause}")]
    Transport {
        method: String,
        path: String,
        cause: String,
    },

    /// Every permitted attempt, or the whole wait budget, was used up.
    #[error("{method} {path} still failing after {attempts} attempts: {last}")]
    RetriesExhausted {
        method: String,
        path: String,
        attempts: u32,
        last: String,
    },

    /// The client is configured wrongly; the text says what to set.
    #[error("Graph client configuration: {0}")]
    Config(String),
}

/// Which service a refused request went to, named as a person knows it: the Exchange admin
/// API's requests (`…/adminapi/…/InvokeCommand`) travel through this client too.
fn service_of(path: &str) -> &'static str {
    if path.contains("InvokeCommand") || path.contains("/adminapi/") {
        "Exchange Online"
    } else {
        "Microsoft Graph"
    }
}

impl GraphError {
    /// True when Graph said the object does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The HTTP status Graph or the token endpoint answered with, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } | GraphError::Auth { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Graph's `error.code`, when the error came from Graph.
    pub fn code(&self) -> Option<&str> {
        match self {
            GraphError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// What the service said when it refused the request (an [`GraphError::Api`] answer).
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            GraphError::Api {
                status,
                code,
                message,
                request_id,
                client_request_id,
                method,
                path,
            } => Some(Refusal {
                service: service_of(path).to_string(),
                status: *status,
                code: code.clone(),
                message: message.clone(),
                request_id: request_id.clone(),
                client_request_id: client_request_id.clone(),
                method: method.clone(),
                path: path.clone(),
            }),
            _ => None,
        }
    }
}

/// A service's answer refusing a request, kept whole for reports: its error code and message,
/// and the request ids Microsoft support asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    /// `Microsoft Graph` or `Exchange Online`.
    pub service: String,
    pub status: u16,
    /// The service's error code (Graph's `error.code`); empty when the answer had none.
    pub code: String,
    pub message: String,
    /// The service's `request-id`, when it sent one.
    pub request_id: Option<String>,
    /// The `client-request-id` this client sent.
    pub client_request_id: String,
    pub method: String,
    pub path: String,
}

/// The error an API answered with, read as the client reads any error answer (Graph's shape,
/// or the Exchange admin API's, whose cmdlet message is kept): for answers that arrive inside
/// another (an item of a `$batch`) or for another API behind the same credentials.
pub fn api_error(status: u16, body: &str, method: &str, path: &str) -> GraphError {
    let error = parse_graph_error(body);
    GraphError::Api {
        status,
        code: error.code,
        message: error.message,
        request_id: error.request_id,
        client_request_id: String::new(),
        method: method.to_string(),
        path: path.to_string(),
    }
}

/// Graph's error object (`{"error":{"code","message","innerError":{…}}}`), as far as present.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct GraphErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl GraphErrorBody {
    /// `HTTP 503 serviceNotAvailable: message`, leaving out what is empty.
    pub(crate) fn summary(&self, status: u16) -> String {
        match (self.code.as_str(), self.message.as_str()) {
            ("", "") => format!("HTTP {status}"),
            ("", message) => format!("HTTP {status}: {message}"),
            (code, "") => format!("HTTP {status} {code}"),
            (code, message) => format!("HTTP {status} {code}: {message}"),
        }
    }
}

/// Reads Graph's error body. Anything else (HTML from a proxy, an empty body) yields an empty
/// code and the start of the text as the message, so the person still sees what came back.
pub(crate) fn parse_graph_error(body: &str) -> GraphErrorBody {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    match error {
        Some(error) if error.is_object() => {
            let inner = error.get("innerError").or_else(|| error.get("innererror"));
            GraphErrorBody {
                code: string_field(error, "code"),
                message: exchange_message(error).unwrap_or_else(|| string_field(error, "message")),
                request_id: inner
                    .and_then(|i| i.get("request-id"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        }
        _ => GraphErrorBody {
            code: String::new(),
            message: truncate(body.trim(), 300),
            request_id: None,
        },
    }
}

/// The token endpoint's error (`{"error","error_description","error_codes":[…]}`).
pub(crate) fn parse_token_error(status: u16, body: &str, secrets: &[&str]) -> GraphError {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let error = match parsed.get("error").and_then(Value::as_str) {
        Some(e) => e.to_string(),
        None => format!("http_{status}"),
    };
    let mut description = match parsed.get("error_description").and_then(Value::as_str) {
        Some(d) => d.to_string(),
        None => truncate(body.trim(), 300),
    };
    let aadsts = parsed
        .get("error_codes")
        .and_then(Value::as_array)
        .and_then(|codes| codes.first())
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .or_else(|| aadsts_in(&description));
    // Entra does not echo credentials, but a proxy or stand-in might: never keep them.
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        description = description.replace(secret, "***");
    }
    GraphError::Auth {
        status,
        error,
        aadsts,
        description,
    }
}

/// The number of an `AADSTS12345:` prefix.
fn aadsts_in(description: &str) -> Option<u32> {
    let start = description.find("AADSTS")? + "AADSTS".len();
    let digits: String = description[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The Exchange admin API's own words: its `error.message` is always "Invalid Operation", and
/// the cmdlet's error is in `innererror.internalexception.message`, else in
/// `details[0].message` as `|Exception.Type|text` (`real-tenant-and-exchange.md` §2a). `None`
/// for a Graph error, which carries neither.
fn exchange_message(error: &Value) -> Option<String> {
    let inner = error
        .get("innererror")
        .or_else(|| error.get("innerError"))
        .and_then(|i| {
            i.get("internalexception")
                .or_else(|| i.get("internalException"))
        })
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty());
    let detail = || {
        error
            .get("details")
            .and_then(Value::as_array)
            .and_then(|d| d.first())
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .map(|m| m.rsplit('|').next().unwrap_or(m))
            .filter(|m| !m.trim().is_empty())
    };
    inner.or_else(detail).map(|m| truncate(m.trim(), 1000))
}

fn string_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max_chars).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_errors_keep_the_cmdlets_message() {
        let inner = r#"{"error":{"code":"InternalServerError","message":"Invalid Operation","details":[{"message":"|Microsoft.Exchange.Management.Tasks.ValidationException|from details","target":""}],"innererror":{"message":"x","type":"T","internalexception":{"message":"A parameter cannot be found that matches parameter name 'Bogus'."}}}}"#;
        let e = parse_graph_error(inner);
        assert_eq!(
            e.message,
            "A parameter cannot be found that matches parameter name 'Bogus'."
        );
        let details = r#"{"error":{"code":"BadRequest","message":"Invalid Operation","details":[{"message":"|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x' couldn't be found.","target":""}]}}"#;
        assert_eq!(
            parse_graph_error(details).message,
            "The operation couldn't be performed because object 'x' couldn't be found."
        );
        let plain = r#"{"error":{"code":"BadRequest","message":"Invalid Operation"}}"#;
        assert_eq!(parse_graph_error(plain).message, "Invalid Operation");
    }

    #[test]
    fn graph_error_body_gives_code_message_and_request_id() {
        let body = r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist","innerError":{"date":"2024-01-01T00:00:00","request-id":"abc","client-request-id":"def"}}}"#;
        let e = parse_graph_error(body);
        assert_eq!(e.code, "Request_ResourceNotFound");
        assert_eq!(e.message, "Resource 'x' does not exist");
        assert_eq!(e.request_id.as_deref(), Some("abc"));
    }

    #[test]
    fn non_json_error_body_keeps_the_text() {
        let e = parse_graph_error("<html>Bad gateway</html>");
        assert_eq!(e.code, "");
        assert_eq!(e.message, "<html>Bad gateway</html>");
    }

    #[test]
    fn token_error_reads_aadsts_and_scrubs_the_secret() {
        let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: s3cr3t-value","error_codes":[7000215]}"#;
        let GraphError::Auth {
            status,
            error,
            aadsts,
            description,
        } = parse_token_error(401, body, &["s3cr3t-value"])
        else {
            panic!("not Auth");
        };
        assert_eq!(status, 401);
        assert_eq!(error, "invalid_client");
        assert_eq!(aadsts, Some(7000215));
        assert!(!description.contains("s3cr3t-value"), "{description}");
        assert!(description.starts_with("AADSTS7000215"));
    }

    #[test]
    fn aadsts_code_is_read_from_the_description_when_codes_are_absent() {
        let body = r#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application not found"}"#;
        assert_eq!(parse_token_error(400, body, &[]).status(), Some(400));
        let GraphError::Auth { aadsts, .. } = parse_token_error(400, body, &[]) else {
            panic!()
        };
        assert_eq!(aadsts, Some(700016));
    }
}
