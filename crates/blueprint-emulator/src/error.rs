//! Graph's error envelope and the codes the emulator answers with.
//!
//! Clients are told to branch on `error.code`, never on the message, so the codes here follow
//! what Microsoft Graph really sends for each situation; messages are close to Microsoft's but
//! informative rather than verbatim.

use serde_json::{Value, json};

/// An error as Microsoft Graph reports it: an HTTP status, a machine-readable code and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra response headers (e.g. `Retry-After` on 429).
    pub headers: Vec<(String, String)>,
}

impl GraphError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code: code.into(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// 400 with the code the resource's service uses (`Request_BadRequest` for directory
    /// objects, `BadRequest` elsewhere).
    pub fn bad_request(style: ErrorStyle, message: impl Into<String>) -> Self {
        GraphError::new(400, style.bad_request_code(), message)
    }

    pub fn not_found(style: ErrorStyle, message: impl Into<String>) -> Self {
        let code = match style {
            ErrorStyle::Directory => "Request_ResourceNotFound",
            ErrorStyle::Service => "ResourceNotFound",
        };
        GraphError::new(404, code, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        GraphError::new(401, "InvalidAuthenticationToken", message)
    }

    pub fn forbidden() -> Self {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn method_not_allowed() -> Self {
        GraphError::new(
            405,
            "Request_BadRequest",
            "The requested HTTP method is not allowed on this resource.",
        )
    }

    pub fn unknown_segment(segment: &str) -> Self {
        GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{segment}'."),
        )
    }

    pub fn invalid_request_body(message: impl Into<String>) -> Self {
        GraphError::new(400, "BadRequest", message)
    }

    /// The JSON body Graph sends, with the per-request diagnostics in `innerError`.
    pub fn body(&self, request_id: &str, client_request_id: &str, date: &str) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": date,
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        })
    }
}

/// Which family of Graph services answers for a resource: the directory (Entra ID objects)
/// words its errors differently from the other workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    Directory,
    Service,
}

impl ErrorStyle {
    pub fn bad_request_code(self) -> &'static str {
        match self {
            ErrorStyle::Directory => "Request_BadRequest",
            ErrorStyle::Service => "BadRequest",
        }
    }
}
