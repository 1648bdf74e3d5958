use super::*;

both_backends! {
    async fn a_new_account_can_sign_in_and_see_itself(app) {
        let token = app.sign_up("Ada Lovelace", "Ada@Example.com").await;
        let me = app.api_as(&token).get("/api/v1/me").await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.json["user"]["email"], "ada@example.com");
        let again = app.api().post("/api/v1/auth/sign-in", json!({ "email": "ada@example.com", "password": PASSWORD })).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json["second_factor_required"], false);
    }

    async fn sign_up_names_every_invalid_field(app) {
        let reply = app.api().post("/api/v1/auth/sign-up", json!({ "name": "", "email": "nope", "password": "short" })).await;
        assert_eq!(reply.status, 422);
        assert_eq!(reply.content_type(), "application/problem+json");
        let fields: Vec<&str> = reply.json["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, vec!["name", "email", "password"]);
    }
}
