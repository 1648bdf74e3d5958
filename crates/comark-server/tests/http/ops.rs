use super::*;

both_backends! {
    async fn health_and_readiness_answer(app) {
        let api = app.api();
        assert_eq!(api.get("/healthz").await.status, 200);
        let ready = api.get("/readyz").await;
        assert_eq!(ready.status, 200, "{}", ready.text);
    }

    async fn unknown_api_paths_are_problem_documents(app) {
        let reply = app.api().get("/api/v1/no-such-thing").await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.content_type(), "application/problem+json");
        assert_eq!(reply.json["type"], "urn:comark:problem:not-found");
    }

    async fn every_response_carries_the_security_headers(app) {
        let reply = app.api().get("/").await;
        let csp = reply.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(reply.headers.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
        assert!(reply.headers.get("x-request-id").is_some());
    }

    async fn metrics_count_requests_by_route(app) {
        app.api().get("/healthz").await;
        let metrics = app.api().get("/metrics").await;
        assert_eq!(metrics.status, 200);
        assert!(metrics.text.contains(r#"comark_http_requests_total{method="GET",route="/healthz",status="200"} 1"#), "{}", metrics.text);
        assert!(metrics.text.contains("comark_jobs{status=\"queued\"}"));
    }

    async fn the_openapi_document_is_served_and_lists_the_routes(app) {
        let reply = app.api().get("/api/v1/openapi.json").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json["openapi"], "3.1.0");
        assert!(reply.json["paths"]["/api/v1/orgs/{org}/connections"]["post"].is_object());
        let page = app.api().get("/docs/api").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("/api/v1/orgs/{org}/members"));
    }
}
