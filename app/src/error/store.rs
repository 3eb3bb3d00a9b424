//! A database failure the user cannot fix: its cause is logged here, the user reads "internal
//! error" (500). Being a `From`, it lets the store code use `?` instead of mapping every call.

use super::ApiError;

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::internal()
    }
}
