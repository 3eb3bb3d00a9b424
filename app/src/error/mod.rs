//! The one error type every server function returns: a status, a stable code with its arguments,
//! the English message, and the input field it is about. Internal causes are logged on the server
//! and never reach this type; the UI and the server translate by code (`i18n::errors`).

mod code;
#[cfg(feature = "ssr")]
mod store;

pub use code::{Code, fill, placeholders};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// `code` and `args` say what went wrong in a form any language can render; `message` is the
/// English rendering (with the `field: ` prefix), kept for API clients and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub code: Code,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: Code) -> Self {
        let mut e = Self {
            status: status.as_u16(),
            code,
            args: Vec::new(),
            message: String::new(),
            field: None,
        };
        e.render();
        e
    }

    /// Bad input in one named field.
    pub fn invalid(field: &str, code: Code) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code).on(field)
    }

    /// A unique name that is already taken, or an object still in use.
    pub fn conflict(field: &str, code: Code) -> Self {
        Self::new(StatusCode::CONFLICT, code).on(field)
    }

    /// The next parameter of the code, in the order `Code::params` lists them.
    pub fn arg(mut self, value: impl std::fmt::Display) -> Self {
        self.args.push(value.to_string());
        self.render();
        self
    }

    /// The same error about another field (a check reused under a nested name).
    pub fn on(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self.render();
        self
    }

    /// The text of the code with its arguments, without the field.
    pub fn text(&self) -> String {
        fill(self.code.english(), self.code.params(), &self.args)
    }

    /// The English message, from the code (with the `field: ` prefix). A code this build does
    /// not know keeps the message it came with.
    pub fn english(&self) -> String {
        if self.code == Code::Unknown {
            return self.message.clone();
        }
        let text = self.text();
        match &self.field {
            Some(f) => format!("{f}: {text}"),
            None => text,
        }
    }

    fn render(&mut self) {
        self.message = self.english();
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, Code::Unauthenticated)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, Code::Forbidden)
    }

    /// `code` names the kind of object, e.g. `Code::TenantNotFound`; the id is not echoed back.
    pub fn not_found(code: Code) -> Self {
        Self::new(StatusCode::NOT_FOUND, code)
    }

    pub fn too_many_attempts() -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, Code::TooManyAttempts)
    }

    /// Something failed on our side; the cause is in the server log.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal)
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::MissingArg(m) => {
                Self::new(StatusCode::BAD_REQUEST, Code::MalformedRequest).arg(m)
            }
            // Status 0: the request never reached the server (offline, DNS, refused).
            ServerFnErrorErr::Request(m) => Self {
                status: 0,
                ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Unreachable).arg(m)
            },
            ServerFnErrorErr::Registration(m) => {
                Self::new(StatusCode::NOT_FOUND, Code::NoEndpoint).arg(m)
            }
            ServerFnErrorErr::ServerError(m) | ServerFnErrorErr::Response(m) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::ServerFailure).arg(m)
            }
            other => Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::ServerFailure).arg(other),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_the_field_in_message_and_body() {
        let e = ApiError::invalid("name", Code::Empty);
        assert_eq!(e.status, 422);
        assert_eq!(e.field.as_deref(), Some("name"));
        assert_eq!(e.message, "name: must not be empty");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "name");
        assert_eq!(json["code"], "empty");
    }

    #[test]
    fn arguments_fill_the_text_and_travel_with_the_code() {
        let e = ApiError::invalid("description", Code::TooLong).arg(1024);
        assert_eq!(e.message, "description: must be at most 1024 characters");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["args"], serde_json::json!(["1024"]));
        let back: ApiError = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(
            e.clone().on("name").message,
            "name: must be at most 1024 characters"
        );
    }

    #[test]
    fn an_unknown_code_keeps_the_message_it_came_with() {
        let json = serde_json::json!({"status": 409, "code": "new_thing", "message": "x: newer"});
        let e: ApiError = serde_json::from_value(json).unwrap();
        assert_eq!(e.code, Code::Unknown);
        assert_eq!(e.message, "x: newer");
    }

    #[test]
    fn malformed_args_are_a_client_error() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
    }
}
