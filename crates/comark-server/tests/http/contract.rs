//! The API's contract as the OpenAPI document states it: schema names that each belong to
//! one type, and request and response shapes that match what the handlers take and give.

use super::*;

/// The properties of a component schema, by name.
fn properties(document: &serde_json::Value, schema: &str) -> Vec<String> {
    let mut names: Vec<String> = document["components"]["schemas"][schema]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{schema} has no properties"))
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// The component schema a `$ref` names.
fn referenced(reference: &serde_json::Value) -> String {
    reference["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("not a reference to a component: {reference}"))
        .to_owned()
}

#[test]
fn no_two_types_share_a_schema_name() {
    assert_eq!(comark_server::api::schema_clashes(), Vec::<String>::new());
}

both_backends! {
    async fn the_import_start_body_is_documented_with_its_own_fields(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let body = &document["paths"]["/api/v1/orgs/{org}/imports/{id}/start"]["post"]["requestBody"]
            ["content"]["application/json"]["schema"];
        let fields = properties(&document, &referenced(body));
        assert_eq!(fields, ["encoding", "mapping", "mode", "save_mapping_as", "saved_mapping", "strict"]);
        // The field the document promises is the one the endpoint reads.
        let owner = app.owner_of("acme").await;
        let api = app.api_as(&owner);
        let upload = api.upload("/api/v1/orgs/acme/imports", b"Company name,Website\nInitrode,initrode.de\n".to_vec(), &[]).await;
        let id = upload.json["import"]["id"].as_str().expect("id").to_owned();
        let started = api.post(&format!("/api/v1/orgs/acme/imports/{id}/start"), json!({ "mode": "replace", "strict": true })).await;
        assert_eq!(started.status, 202, "{}", started.text);
        assert_eq!((started.json["mode"].as_str(), started.json["strict"].as_bool()), (Some("replace"), Some(true)));
    }

    async fn a_changed_member_is_documented_as_a_member_of_the_organization(app) {
        let document = app.api().get("/api/v1/openapi.json").await.json;
        let answer = &document["paths"]["/api/v1/orgs/{org}/members/{user_id}"]["patch"]["responses"]["200"]
            ["content"]["application/json"]["schema"];
        let fields = properties(&document, &referenced(answer));
        assert_eq!(fields, ["email", "joined_at", "name", "role", "user_id"]);
    }
}
