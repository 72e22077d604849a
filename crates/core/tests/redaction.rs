//! Secrets never reach logs or Debug output; token headers are logged as `{SHA256}<hex>`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod common;

use std::sync::Arc;

use common::*;
use keystoneauth_core::redact::hash_secret;
use keystoneauth_core::registry::OptionValues;
use keystoneauth_core::{AccessInfoPlugin, ConnectionParams, Error, ServiceTokenAuth, Session};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER_TOKEN: &str = "user-secret-token-AAA";
const SERVICE_TOKEN: &str = "service-secret-token-BBB";
const BASIC: &str = "Basic c2VjcmV0LWJhc2ljLUNDQw==";
const REQ_RECEIPT: &str = "receipt-secret-DDD";
const PASSWORD: &str = "pw-secret-EEE";
const AC_SECRET: &str = "ac-secret-FFF";
const PASSCODE: &str = "passcode-GGG";
const TOKEN_ID: &str = "tokid-HHH";
const SUBJECT: &str = "subject-secret-JJJ";
const RESP_RECEIPT: &str = "resp-receipt-KKK";
const FORM_SECRET: &str = "form-secret-LLL";
const COOKIE: &str = "cookie-secret-MMM";
const RESP_PASSWORD: &str = "resp-pw-NNN";
const NUMERIC_PASSCODE: &str = "987654321";
const LISTED_SECRET: &str = "listed-secret-OOO";

const ALL_SECRETS: &[&str] = &[
    USER_TOKEN,
    SERVICE_TOKEN,
    BASIC,
    "c2VjcmV0LWJhc2ljLUNDQw",
    REQ_RECEIPT,
    PASSWORD,
    AC_SECRET,
    PASSCODE,
    TOKEN_ID,
    SUBJECT,
    RESP_RECEIPT,
    FORM_SECRET,
    COOKIE,
    RESP_PASSWORD,
    NUMERIC_PASSCODE,
    LISTED_SECRET,
];

fn plugin(token: &str) -> Arc<AccessInfoPlugin> {
    let body = v3_body(time::Duration::hours(1), "p1", json!([]));
    Arc::new(AccessInfoPlugin::new(access_info(&body, token), None))
}

#[tokio::test]
async fn secrets_never_reach_the_debug_log() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/v3/auth/tokens"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("X-Subject-Token", SUBJECT)
                .insert_header("Openstack-Auth-Receipt", RESP_RECEIPT)
                .insert_header("Set-Cookie", format!("session={COOKIE}").as_str())
                .insert_header("x-openstack-request-id", "req-visible")
                .set_body_json(json!({"token": {
                    "id": TOKEN_ID,
                    "methods": ["password", "token"],
                    "user": {"id": "u1", "name": "visible-user", "password": RESP_PASSWORD},
                    "catalog": [{"type": "compute", "endpoints": []}],
                }})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/form"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("password={FORM_SECRET}"),
            "application/x-www-form-urlencoded",
        ))
        .mount(&server)
        .await;

    let auth = Arc::new(ServiceTokenAuth::new(
        plugin(USER_TOKEN),
        plugin(SERVICE_TOKEN),
    ));
    let session = Session::new(auth).unwrap();
    let body = json!({"auth": {"identity": {
        "methods": ["password", "application_credential", "totp", "token"],
        "password": {"user": {"name": "visible-name", "password": PASSWORD}},
        "application_credential": {"id": "ac-id", "secret": AC_SECRET},
        "totp": {"user": {"id": "u1", "passcode": PASSCODE}},
        "token": {"id": TOKEN_ID},
        "otp": {"passcode": NUMERIC_PASSCODE.parse::<u64>().unwrap()},
        "secrets": [LISTED_SECRET],
    }}});
    bounded(
        session
            .post(format!("{}/v3/auth/tokens", server.uri()))
            .header("Authorization", BASIC)
            .header("Openstack-Auth-Receipt", REQ_RECEIPT)
            .json(&body)
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .post(format!("{}/form", server.uri()))
            .form(&[("username", "visible-form-user"), ("password", FORM_SECRET)])
            .send(),
    )
    .await
    .unwrap();

    let log = logs.text();
    // The log did record the exchange...
    assert!(log.contains("REQ: curl"), "{log}");
    assert!(log.contains("RESP: [201]"), "{log}");
    assert!(log.contains("visible-name"), "{log}");
    assert!(log.contains("visible-user"), "{log}");
    assert!(log.contains("visible-form-user"), "{log}");
    assert!(log.contains("req-visible"), "{log}");
    assert!(log.contains("<removed>"), "catalog removed: {log}");
    // ...with token headers hashed...
    for t in [USER_TOKEN, SERVICE_TOKEN, SUBJECT, REQ_RECEIPT, BASIC] {
        assert!(log.contains(&hash_secret(t)), "no hash of {t}: {log}");
    }
    assert!(
        log.contains(&format!(
            "X-Auth-Token: {{SHA256}}{}",
            &hash_secret(USER_TOKEN)["{SHA256}".len()..]
        )) || log.contains(&format!("x-auth-token: {}", hash_secret(USER_TOKEN)))
    );
    // ...and no secret anywhere.
    for s in ALL_SECRETS {
        assert!(!log.contains(s), "{s} leaked into the log:\n{log}");
    }
}

#[tokio::test]
async fn log_body_false_omits_the_body() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    bounded(
        Session::builder()
            .build()
            .unwrap()
            .post(format!("{}/x", server.uri()))
            .json(&json!({"note": "visible-only-if-logged"}))
            .log_body(false)
            .send(),
    )
    .await
    .unwrap();
    let log = logs.text();
    assert!(log.contains("-d '<omitted>'"), "{log}");
    assert!(!log.contains("visible-only-if-logged"), "{log}");
}

#[tokio::test]
async fn debug_output_never_contains_secrets() {
    // MissingAuthMethods (from the captured receipt response).
    let cap = capture("receipt_401_password_only.json");
    let receipt = cap["response"]["headers"]["Openstack-Auth-Receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut headers = http::HeaderMap::new();
    headers.insert("Openstack-Auth-Receipt", receipt.parse().unwrap());
    headers.insert("content-type", "application/json".parse().unwrap());
    let resp = keystoneauth_core::Response::from_parts(
        401,
        headers,
        "http://k/v3/auth/tokens".into(),
        serde_json::to_vec(&cap["response"]["body"]).unwrap().into(),
    );
    let err = resp.to_error(&http::Method::POST);
    assert!(matches!(err, Error::MissingAuthMethods(_)));
    for shown in [format!("{err:?}"), format!("{err:#?}"), err.to_string()] {
        assert!(!shown.contains(&receipt), "{shown}");
    }
    if let Error::MissingAuthMethods(m) = &err {
        assert!(!format!("{m:?}").contains(&receipt));
        assert!(format!("{m:?}").contains("totp"));
    }

    // AccessInfo (real capture) and the plugins holding it.
    let cap = capture("token_password_project_scoped.json");
    let token = cap["response"]["headers"]["X-Subject-Token"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = keystoneauth_core::AccessInfo::from_body(
        &serde_json::to_vec(&cap["response"]["body"]).unwrap(),
        Some(SecretString::from(token.clone())),
    )
    .unwrap();
    let p = Arc::new(AccessInfoPlugin::new(access.clone(), None));
    let session = Session::new(p.clone()).unwrap();
    for shown in [
        format!("{access:?}"),
        format!("{access:#?}"),
        format!("{p:?}"),
        format!("{session:?}"),
    ] {
        assert!(!shown.contains(&token), "{shown}");
    }
    assert!(format!("{access:?}").contains("ccb01b398e974bd1bb40199350a8fa39"));

    // ConnectionParams.
    let params = ConnectionParams {
        client_cert_pem: Some(b"-----BEGIN CERTIFICATE-----cert".to_vec()),
        client_key_pem: Some(SecretString::from(
            "-----BEGIN PRIVATE KEY-----key-secret-PPP".to_owned(),
        )),
    };
    assert!(!format!("{params:?}").contains("key-secret-PPP"));

    // OptionValues.
    let opts = OptionValues::new()
        .with("password", "opt-secret-QQQ")
        .with("auth-url", "http://k/v3");
    let shown = format!("{opts:?}");
    assert!(!shown.contains("opt-secret-QQQ"), "{shown}");
    assert!(
        shown.contains("password") && shown.contains("auth_url"),
        "{shown}"
    );
}

#[tokio::test]
async fn split_loggers_put_each_part_under_its_own_target() {
    use tracing_subscriber::layer::{Layer as _, SubscriberExt};
    let server = MockServer::start().await;
    Mock::given(path("/servers"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-openstack-request-id", "req-split")
                .set_body_json(json!({"servers": []})),
        )
        .mount(&server)
        .await;
    let session = Session::builder()
        .auth(plugin("tok-split-secret"))
        .split_loggers(true)
        .build()
        .unwrap();
    // One GET while `guard` holds the thread's subscriber.
    let get = |session: Session, guard: tracing::subscriber::DefaultGuard| {
        let url = format!("{}/servers", server.uri());
        async move {
            session.get(url).send().await.unwrap();
            drop(guard);
        }
    };

    // Everything on: four targets, no REQ:/RESP: prefixes, the token still hashed.
    let (logs, guard) = capture_logs();
    get(session.clone(), guard).await;
    let text = logs.text();
    assert!(
        text.contains("keystoneauth::session::request: curl -g -i"),
        "{text}"
    );
    assert!(
        text.contains("keystoneauth::session::response: [200]"),
        "{text}"
    );
    assert!(
        text.contains("keystoneauth::session::body: {\"servers\":[]}"),
        "{text}"
    );
    assert!(
        text.contains("keystoneauth::session::request-id:") && text.contains("req-split"),
        "{text}"
    );
    assert!(!text.contains("REQ:") && !text.contains("RESP"), "{text}");
    assert!(
        text.contains("{SHA256}") && !text.contains("tok-split-secret"),
        "{text}"
    );

    // Only the body logger on: only body lines.
    let buf = LogBuf::default();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(buf.clone())
            .with_ansi(false)
            .with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("keystoneauth::session::body", tracing::Level::DEBUG),
            ),
    );
    get(session, tracing::subscriber::set_default(subscriber)).await;
    let text = buf.text();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("keystoneauth::session::body:"), "{text}");

    // Not split: the usual single target with prefixes.
    let plain = Session::builder()
        .auth(plugin("tok-split-secret"))
        .build()
        .unwrap();
    let (logs, guard) = capture_logs();
    get(plain, guard).await;
    let text = logs.text();
    assert!(
        text.contains("keystoneauth::session: REQ: curl -g -i"),
        "{text}"
    );
    assert!(
        text.contains("keystoneauth::session: RESP: [200]"),
        "{text}"
    );
    assert!(
        text.contains("keystoneauth::session: RESP BODY: "),
        "{text}"
    );
}

/// Service bodies shaped as Nova, Cinder and Barbican send and return them: every key that
/// oslo.utils' `mask_password` masks is masked in the debug log (request and response bodies,
/// form bodies, query strings), whatever its case.
#[tokio::test]
async fn service_bodies_are_masked_as_openstack_masks_them() {
    let server = MockServer::start().await;
    let secrets = [
        "nova-adminpass-1",
        "nova-admin-pass-2",
        "cinder-new-pass-3",
        "chap-pw-4",
        "barbican-passphrase-5",
        "barbican-kek-6",
        "sys-pswd-7",
        "configdrive-8",
        "private-key-9",
        "fernet-key-10",
        "query-pw-11",
        "form-pp-12",
        "resp-adminpass-13",
        "secret-uuid-14",
    ];
    Mock::given(path("/servers"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "server": {"id": "s1", "adminPass": secrets[12], "OS-DCF:diskConfig": "AUTO"}
        })))
        .mount(&server)
        .await;
    Mock::given(path("/form"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let session = Session::builder().build().unwrap();
    let (logs, _guard) = capture_logs();
    let uri = server.uri();
    bounded(
        session
            .post(format!("{uri}/servers?Password={}&limit=5", secrets[10]))
            .json(&json!({"server": {
                "name": "vm", "adminPass": secrets[0], "admin_pass": secrets[1],
                "config_drive": true, "configdrive": secrets[7],
                "metadata": {"sys_pswd": secrets[6]},
                "volume": {"new_pass": secrets[2], "auth_password": secrets[3]},
                "order": {"meta": {"passphrase": secrets[4], "BarbicanSimpleCryptoKek": secrets[5]}},
                "private_key": secrets[8], "fernetKey": secrets[9], "secret_uuid": secrets[13],
            }}))
            .send(),
    )
    .await
    .unwrap();
    bounded(
        session
            .post(format!("{uri}/form"))
            .form(&[("user", "u"), ("passphrase", secrets[11])])
            .send(),
    )
    .await
    .unwrap();
    let text = logs.text();
    for s in secrets {
        assert!(!text.contains(s), "{s} in the log:\n{text}");
    }
    // What is not secret is still there, and the query's other parameters.
    assert!(
        text.contains("\"name\":\"vm\"") && text.contains("limit=5"),
        "{text}"
    );
    assert!(text.contains("Password=***"), "{text}");
}

/// A password in the URL's userinfo is never shown: not in errors (even without debug logs),
/// not in logs.
#[tokio::test]
async fn userinfo_passwords_are_not_shown() {
    let port = closed_port();
    let session = Session::builder().build().unwrap();
    let (logs, _guard) = capture_logs();
    let err = bounded(
        session
            .get(format!("http://alice:hunter2@127.0.0.1:{port}/v3"))
            .send(),
    )
    .await
    .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("alice:***@127.0.0.1"), "{shown}");
    assert!(!logs.text().contains("hunter2"), "{}", logs.text());
}

/// Control characters a server sends in a header value (a C1 CSI, as UTF-8) or a JSON body
/// (DEL, C1: `serde_json` escapes only U+0000–U+001F) are escaped in the log lines, so that
/// they cannot drive the terminal the log is read on (issue 21 item 8).
#[tokio::test]
async fn control_characters_from_the_server_are_escaped_in_logs() {
    let body = "{\"message\": \"a\u{9b}2Jb\u{7f}c\"}";
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-hostile: x\u{9b}31my\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (base, _) = raw_server(response.into_bytes()).await;
    let session = Session::builder().build().unwrap();
    let (logs, _guard) = capture_logs();
    let resp = bounded(session.get(format!("{base}/x")).send())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = logs.text();
    assert!(text.contains("x-hostile: x\\u{9b}31my"), "{text}");
    assert!(text.contains("a\\u{9b}2Jb\\u{7f}c"), "{text}");
    let raw: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert_eq!(raw, Vec::<char>::new(), "{text}");
}
