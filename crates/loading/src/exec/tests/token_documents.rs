//! Documents that hold a token: with a catalog, read from Keystone, expired, refreshed.

use super::*;

#[tokio::test]
async fn token_with_catalog_authenticates_a_session_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/servers"))
        .and(header("x-auth-token", "tok-catalog-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"servers": []})))
        .expect(1)
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-catalog-1", Duration::from_secs(3600));
    doc["catalog"] = catalog(&server.uri());
    doc["project_id"] = json!("p-1");
    doc["user_id"] = json!("u-1");
    let plugin = Arc::new(ExecPlugin::new([d.printing(&doc)]).unwrap());
    let s = Session::new(plugin.clone()).unwrap();
    let resp = s
        .get("/servers")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.project_id().await.unwrap().as_deref(), Some("p-1"));
    assert_eq!(s.user_id().await.unwrap().as_deref(), Some("u-1"));
    assert_eq!(d.runs(), 1);
    let dbg = format!("{plugin:?}");
    assert!(
        !dbg.contains("tok-catalog-1") && dbg.contains("{SHA256}"),
        "{dbg}"
    );
}

#[tokio::test]
async fn token_without_catalog_reads_its_body_from_the_auth_url() {
    let server = MockServer::start().await;
    let body = json!({"token": {
        "methods": ["password"], "expires_at": rfc3339_in(Duration::from_secs(7200)),
        "user": {"id": "u-body", "name": "demo", "domain": {"id": "default"}},
        "project": {"id": "p-body", "name": "demo", "domain": {"id": "default"}},
        "catalog": catalog(&server.uri()),
    }});
    Mock::given(method("GET"))
        .and(path("/v3/auth/tokens"))
        .and(header("x-auth-token", "tok-body-1"))
        .and(header("x-subject-token", "tok-body-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Subject-Token", "tok-body-1")
                .set_body_json(body),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/flavors"))
        .and(header("x-auth-token", "tok-body-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(2)
        .mount(&server)
        .await;
    let d = Dir::new();
    // No expires_at: the body's expiry is used. The auth URL comes from the options.
    let doc = json!({"version": 1, "token": "tok-body-1"});
    let plugin = ExecPlugin::new([d.printing(&doc)])
        .unwrap()
        .default_auth_url(format!("{}/v3", server.uri()));
    let s = Session::new(Arc::new(plugin)).unwrap();
    for _ in 0..2 {
        s.get("/flavors")
            .endpoint_filter(EndpointFilter::service("compute"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(s.project_id().await.unwrap().as_deref(), Some("p-body"));
    assert_eq!(d.runs(), 1);
}

#[tokio::test]
async fn token_refused_by_keystone_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/auth/tokens"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"error": {"code": 404, "message": "Could not find token", "title": "Not Found"}}),
        ))
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-bad-1", Duration::from_secs(3600));
    doc["auth_url"] = json!(format!("{}/v3", server.uri()));
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    assert!(!err_text(&e).contains("tok-bad-1"));
}

#[tokio::test]
async fn expired_and_soon_stale_tokens() {
    let d = Dir::new();
    let doc = json!({"version": 1, "token": "tok-old", "expires_at": rfc3339_ago(Duration::from_secs(5))});
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let e = headers_of(&plugin).await.unwrap_err();
    assert!(matches!(e, Error::AuthorizationFailure(_)), "{e}");
    assert!(err_text(&e).contains("expired"), "{e}");
    assert!(!err_text(&e).contains("tok-old"), "{e}");
}

#[tokio::test]
async fn expiry_runs_the_command_again() {
    let d = Dir::new();
    // 2 s of life: with a 120 s window it is stale after half of it (1 s).
    let plugin =
        ExecPlugin::new([d.printing(&token_doc("tok-exp-1", Duration::from_secs(2)))]).unwrap();
    let s = session();
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-1");
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-1");
    assert_eq!(d.runs(), 1, "a fresh token does not run the command");
    let mut ready = HeaderMap::new();
    assert!(plugin.add_ready_auth_headers(&mut ready));
    d.set_doc(&token_doc("tok-exp-2", Duration::from_secs(3600)));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(!plugin.add_ready_auth_headers(&mut HeaderMap::new()));
    let h = plugin.auth_headers(&s).await.unwrap().unwrap();
    assert_eq!(auth_token(&h), "tok-exp-2");
    assert_eq!(d.runs(), 2);
    assert_eq!(plugin.successful_runs(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_valid_token() {
    let d = Dir::new();
    // 3 s of life: stale after 1.5 s.
    let plugin =
        ExecPlugin::new([d.printing(&token_doc("tok-keep-1", Duration::from_secs(3)))]).unwrap();
    let s = session();
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    std::fs::write(d.path("doc.json"), "not json at all").unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    // Stale, the command fails, the token is still valid: it is used (and not retried at once).
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    assert_eq!(
        auth_token(&plugin.auth_headers(&s).await.unwrap().unwrap()),
        "tok-keep-1"
    );
    assert_eq!(d.runs(), 2);
}

#[tokio::test]
async fn a_401_drops_the_token_and_the_next_request_runs_the_command() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/x"))
        .and(header("x-auth-token", "tok-401-old"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/compute/v2.1/x"))
        .and(header("x-auth-token", "tok-401-new"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let d = Dir::new();
    let mut doc = token_doc("tok-401-old", Duration::from_secs(3600));
    doc["catalog"] = catalog(&server.uri());
    let plugin = ExecPlugin::new([d.printing(&doc)]).unwrap();
    let s = Session::new(Arc::new(plugin)).unwrap();
    s.auth_headers().await.unwrap();
    doc["token"] = json!("tok-401-new");
    d.set_doc(&doc);
    let resp = s
        .get("/x")
        .endpoint_filter(EndpointFilter::service("compute"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(d.runs(), 2);
}
