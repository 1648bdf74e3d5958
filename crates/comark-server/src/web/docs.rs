//! The browsable API reference, rendered from the same OpenAPI document the API serves.

use maud::{html, Markup};
use serde_json::Value;

use super::layout::{page, Shell};
use super::Csrf;

/// One page listing every operation with its parameters, body and answers.
pub(super) async fn reference(Csrf(csrf): Csrf) -> Markup {
    let document = serde_json::to_value(crate::api::openapi()).unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    page(
        Shell {
            title: "API reference",
            csrf: &csrf,
            ..Default::default()
        },
        html! {
            h1 { "API reference" }
            p { (document["info"]["description"].as_str().unwrap_or_default()) }
            p { "The machine-readable document: " a href="/api/v1/openapi.json" hx-boost="false" { code { "/api/v1/openapi.json" } } " (OpenAPI 3.1)." }
            @for (path, operations) in paths {
                @for (method, operation) in operations.as_object().unwrap_or(&empty) {
                    section.operation {
                        h2 { code { (method.to_uppercase()) " " (path) } }
                        p { (operation["summary"].as_str().or(operation["description"].as_str()).unwrap_or_default()) }
                        @if let Some(parameters) = operation["parameters"].as_array() {
                            h3 { "Parameters" }
                            ul { @for p in parameters { li { code { (p["name"].as_str().unwrap_or_default()) } " (" (p["in"].as_str().unwrap_or_default()) ") " (p["description"].as_str().unwrap_or_default()) } } }
                        }
                        @if let Some(body) = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() {
                            p { "Body: " code { (body.rsplit('/').next().unwrap_or_default()) } }
                        }
                        h3 { "Answers" }
                        ul {
                            @for (status, answer) in operation["responses"].as_object().unwrap_or(&empty) {
                                li { code { (status) } " " (answer["description"].as_str().unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        },
    )
}
