//! The one error type every server function returns: a status, a message meant for people, and the
//! input field it is about. Internal causes are logged on the server and never reach this type.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: u16,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status: status.as_u16(),
            message: message.into(),
            field: None,
        }
    }

    /// Bad input in one named field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// A unique name that is already taken.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT.as_u16(),
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "please log in")
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "you do not have permission to do this",
        )
    }

    /// `what` names the kind of object, e.g. "tenant"; the id is not echoed back.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn too_many_attempts() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed attempts, try again later",
        )
    }

    /// Something failed on our side; the cause is in the server log.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error, see the server log",
        )
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
                Self::new(StatusCode::BAD_REQUEST, format!("malformed request: {m}"))
            }
            ServerFnErrorErr::Request(m) => Self {
                // Status 0: the request never reached the server (offline, DNS, refused).
                status: 0,
                message: format!("cannot reach the server: {m}"),
                field: None,
            },
            ServerFnErrorErr::Registration(m) => {
                Self::new(StatusCode::NOT_FOUND, format!("no such endpoint: {m}"))
            }
            ServerFnErrorErr::ServerError(m) | ServerFnErrorErr::Response(m) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, m)
            }
            other => Self::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_the_field_in_message_and_body() {
        let e = ApiError::invalid("name", "must not be empty");
        assert_eq!(e.status, 422);
        assert_eq!(e.field.as_deref(), Some("name"));
        assert_eq!(e.message, "name: must not be empty");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "name");
    }

    #[test]
    fn malformed_args_are_a_client_error() {
        let e = ApiError::from_server_fn_error(ServerFnErrorErr::Args("missing field".into()));
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
    }
}
