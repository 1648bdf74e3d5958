//! Text coming in, checked once at the edge: comark stores no control characters (NUL among
//! them, which PostgreSQL cannot store at all), so a path, a query string, a JSON body or a
//! form that holds one is refused here, naming the field, before any handler or database
//! sees it. The rule itself is the domain's [`forbidden_character`].

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use comark_app::AppError;
use comark_domain::{
    forbidden_character, forbidden_character_message, FieldError, ValidationErrors,
};
use serde_json::Value;

use crate::error::{problem_for, Problem};

/// The fields of a JSON document whose names or string values hold a control character,
/// named by their path (`goals[2].name`).
pub fn json_fields_with_controls(value: &Value) -> Vec<FieldError> {
    let mut found = Vec::new();
    walk(value, &mut String::new(), &mut found);
    found
}

fn walk(value: &Value, path: &mut String, found: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => {
            if let Some(c) = forbidden_character(text) {
                found.push(field_error(path, c));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, path, found);
                path.truncate(len);
            }
        }
        Value::Object(members) => {
            for (key, member) in members {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                match forbidden_character(key) {
                    Some(c) => {
                        path.push_str(&key.escape_default().to_string());
                        found.push(field_error(path, c));
                    }
                    None => {
                        path.push_str(key);
                        walk(member, path, found);
                    }
                }
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn field_error(field: &str, c: char) -> FieldError {
    FieldError {
        field: if field.is_empty() { "body" } else { field }.to_owned(),
        message: forbidden_character_message(c),
    }
}

/// The fields of a URL-encoded form or query string whose names or values hold a control
/// character.
pub fn pairs_with_controls(encoded: &[u8]) -> Vec<FieldError> {
    form_urlencoded::parse(encoded)
        .filter_map(|(name, value)| {
            let c = forbidden_character(&name).or_else(|| forbidden_character(&value))?;
            Some(field_error(&name.escape_default().to_string(), c))
        })
        .collect()
}

/// Refuses a request whose path or query string holds a control character: a path that
/// holds one names nothing (404, the same answer as any unknown path); a query parameter
/// that holds one is invalid input, named. JSON bodies are checked by `ApiJson`, forms by
/// the web guard.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let api = uri.path().starts_with("/api/");
    let decoded = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if forbidden_character(&decoded).is_some() {
        return if api {
            Problem::not_found().into_response()
        } else {
            crate::web::layout::not_found_page()
        };
    }
    if let Some(query) = uri.query() {
        let errors = pairs_with_controls(query.as_bytes());
        if !errors.is_empty() {
            return refused(api, errors);
        }
    }
    next.run(request).await
}

/// The answer to input refused for `errors`: a problem document for the API, a page for
/// the web.
pub fn refused(api: bool, errors: Vec<FieldError>) -> Response {
    let error = AppError::Invalid(ValidationErrors(errors));
    if api {
        problem_for(error).0.into_response()
    } else {
        crate::web::layout::error_page(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_nested_value_is_named_by_its_path() {
        let body = serde_json::json!({
            "name": "fine",
            "goals": [{ "name": "ok" }, { "name": "bad\u{0}" }],
            "tags\u{1}": "x",
        });
        let fields: Vec<String> = json_fields_with_controls(&body)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["goals[1].name", "tags\\u{1}"]);
    }

    proptest! {
        #[test]
        fn a_form_field_with_a_control_character_is_named(
            name in "[a-z_]{1,12}",
            before in "\\PC{0,10}",
            control in prop_oneof![0u32..0x09, 0x0bu32..0x0d, 0x0eu32..0x20, 0x7fu32..0xa0],
        ) {
            let control = char::from_u32(control).expect("a control character");
            let encoded: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("_csrf", "token")
                .append_pair(&name, &format!("{before}{control}"))
                .finish();
            let errors = pairs_with_controls(encoded.as_bytes());
            prop_assert_eq!(errors.len(), 1);
            prop_assert_eq!(&errors[0].field, &name);
        }

        #[test]
        fn a_json_string_is_refused_exactly_when_it_holds_a_control_character(
            text in "(\\PC|[\\x00-\\x1f\\x7f-\\u{9f}]){0,40}"
        ) {
            let value = serde_json::json!({ "a": [{ "b": text.clone() }] });
            let fields: Vec<String> =
                json_fields_with_controls(&value).into_iter().map(|e| e.field).collect();
            let expected: Vec<String> = forbidden_character(&text)
                .map(|_| "a[0].b".to_owned())
                .into_iter()
                .collect();
            prop_assert_eq!(fields, expected);
        }
    }
}
