//! Shorthands for the [`wiremock`] set-ups that tests of Keystone clients repeat (feature
//! `wiremock`): one line for "this method and path answer that", and the responses Keystone
//! gives to token requests.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use keystoneauth_testing::fixtures::V3Token;
//! use keystoneauth_testing::mock::{json, serve, serve_times, token_created};
//! use wiremock::MockServer;
//!
//! let server = MockServer::start().await;
//! // Answered any number of times.
//! serve(&server, "GET /v3", json(200, serde_json::json!({"version": {"id": "v3.14"}}))).await;
//! // Answered exactly once: wiremock checks the count when `server` is dropped.
//! serve_times(&server, "POST /v3/auth/tokens", token_created("TOKEN", V3Token::new().to_json()), 1).await;
//!
//! let answer = reqwest::Client::new()
//!     .post(format!("{}/v3/auth/tokens", server.uri()))
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(answer.status(), 201);
//! assert_eq!(answer.headers()["x-subject-token"], "TOKEN");
//! # });
//! ```

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

/// `"METHOD /path"` as a matcher. A request line without a space matches any method.
fn request_line(line: &str) -> MockBuilder {
    match line.split_once(' ') {
        Some((http_method, url_path)) => Mock::given(method(http_method)).and(path(url_path)),
        None => Mock::given(path(line)),
    }
}

/// The request line `"METHOD /path"` on `server` answers `response`, any number of times.
pub async fn serve(server: &MockServer, request: &str, response: ResponseTemplate) {
    request_line(request)
        .respond_with(response)
        .mount(server)
        .await;
}

/// The request line `"METHOD /path"` on `server` answers `response`, and is expected exactly
/// `times` times: wiremock fails the test when the server is dropped with another count.
pub async fn serve_times(
    server: &MockServer,
    request: &str,
    response: ResponseTemplate,
    times: u64,
) {
    request_line(request)
        .respond_with(response)
        .expect(times)
        .mount(server)
        .await;
}

/// Keystone's answer to a successful `POST /v3/auth/tokens` (and to the federated auth
/// endpoints): `201 Created` with the token in `X-Subject-Token` and `body` as JSON.
pub fn token_created(subject_token: &str, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(201)
        .insert_header("X-Subject-Token", subject_token)
        .set_body_json(body)
}

/// A JSON response with this status.
pub fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}
