//! Extractors whose rejections are problem documents, never plain text.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Json, Path, Query, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::Problem;

/// A JSON body; a malformed one answers `bad-request`, a wrong shape `invalid-input`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read as a document first, so that text comark cannot store is refused by field
        // whatever the shape (see `boundary`), then as `T`.
        let document = match Json::<serde_json::Value>::from_request(request, state).await {
            Ok(Json(document)) => document,
            Err(rejection) => return Err(rejected(rejection)),
        };
        let errors = crate::boundary::json_fields_with_controls(&document);
        if !errors.is_empty() {
            return Err(crate::boundary::refused(true, errors));
        }
        serde_json::from_value(document)
            .map(ApiJson)
            .map_err(|error| Problem::new("invalid-input", Some(error.to_string())).into_response())
    }
}

/// The problem for a body that could not be read as JSON: too large, not declared as JSON,
/// or not JSON at all.
fn rejected(rejection: JsonRejection) -> Response {
    let code = match rejection.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        _ => "bad-request",
    };
    Problem::new(code, Some(rejection.body_text())).into_response()
}

/// A JSON body that may be left out: no body at all means `T::default()`. For endpoints that
/// took no body before they took options, so that clients sending none keep working.
pub struct ApiJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrEmpty<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(ApiJsonOrEmpty(T::default()));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<T>::from_request(request, state)
            .await
            .map(|ApiJson(value)| ApiJsonOrEmpty(value))
    }
}

/// Path parameters; one that does not parse names nothing that exists, so it is a 404.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| Problem::not_found().into_response())
    }
}

/// Query parameters; bad ones answer `bad-request`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection: QueryRejection| {
                Problem::new("bad-request", Some(rejection.body_text())).into_response()
            })
    }
}
