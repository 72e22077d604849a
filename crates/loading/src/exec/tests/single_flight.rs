//! Concurrent callers share one run of the command.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_run_the_command_once() {
    let d = Dir::new();
    d.set_doc(&token_doc("tok-flight-1", Duration::from_secs(3600)));
    let script = d.script("slow", "sleep 0.3\ncat \"$D/doc.json\"");
    let plugin = Arc::new(ExecPlugin::new([script]).unwrap());
    let s = session();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (p, s) = (plugin.clone(), s.clone());
        tasks.spawn(async move { p.auth_headers(&s).await });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert_eq!(all.len(), 50);
    for h in all {
        assert_eq!(auth_token(&h.unwrap().unwrap()), "tok-flight-1");
    }
    assert_eq!(d.runs(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_share_one_failure() {
    let d = Dir::new();
    let script = d.script("slow-fail", "sleep 0.3\nexit 1");
    let plugin = Arc::new(ExecPlugin::new([script]).unwrap());
    let s = session();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (p, s) = (plugin.clone(), s.clone());
        tasks.spawn(async move { p.auth_headers(&s).await });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert!(all.iter().all(|r| r.is_err()));
    assert_eq!(d.runs(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_session_requests_through_an_options_document() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/thing"))
        .and(header("x-auth-token", "sec-many-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(50)
        .mount(&server)
        .await;
    let d = Dir::new();
    d.set_doc(&options_doc("sec-many-1"));
    let script = d.script("slow-opts", "sleep 0.3\ncat \"$D/doc.json\"");
    let s = Session::new(Arc::new(ExecPlugin::new([script]).unwrap())).unwrap();
    let url = format!("{}/v1/thing", server.uri());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (s, url) = (s.clone(), url.clone());
        tasks.spawn(async move { s.get(url).send().await.map(|r| r.status()) });
    }
    let all = tokio::time::timeout(Duration::from_secs(30), tasks.join_all())
        .await
        .unwrap();
    assert!(all.into_iter().all(|r| r.unwrap() == 200));
    assert_eq!(d.runs(), 1);
}
