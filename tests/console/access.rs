//! The console's guards: a token where one is set (in the browser too), a CSRF token on
//! every action, a loopback host name on a loopback console, and a clear 400 for input
//! it cannot read.

use super::browser::Browser;
use crate::support::{Store, TestStack};
use tokio_util::sync::CancellationToken;
use wisaw_console::{router, Console, ConsoleOptions};
use wisaw_local::http_server::transport::Transport;
use wisaw_local::http_server::{serve, HttpLimits};

const TOKEN: &str = "an-operator-token-for-tests";

/// The stack's console again, on a port of its own, requiring [`TOKEN`].
async fn guarded_console(stack: &TestStack) -> (String, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ConsoleOptions {
        token: Some(TOKEN.into()),
        operator: Some("tester".into()),
        exposed: false,
    };
    let app = router(Console::new(stack.stack().operator_ports(), addr, options));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(
        listener,
        Transport::Plain,
        app,
        HttpLimits::default(),
        shutdown.clone(),
    ));
    (format!("http://{addr}/console"), shutdown)
}

/// The status the console answers a request with.
async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_with_a_token_refuses_a_browser_without_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let stack = TestStack::start(Store::Sqlite).await;
    let (console, shutdown) = guarded_console(&stack).await;
    browser.goto(&console).await;
    assert!(browser.text("h1").await.contains("Unauthorized"));
    browser.screenshot("token-refused").await;
    browser.goto(&format!("{console}/login?token=wrong")).await;
    assert!(browser.text("h1").await.contains("Unauthorized"));
    browser
        .goto(&format!("{console}/login?token={TOKEN}"))
        .await;
    assert_eq!(browser.text("h1").await, "Health");
    browser.goto(&format!("{console}/dlq")).await;
    assert_eq!(browser.text("h1").await, "Dead letters");
    browser.close().await;
    shutdown.cancel();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_with_a_token_answers_401_without_it_and_200_with_it() {
    let stack = TestStack::start(Store::Sqlite).await;
    let (console, shutdown) = guarded_console(&stack).await;
    let client = reqwest::Client::new();
    for path in [
        "",
        "/executions",
        "/dlq",
        "/replays",
        "/photos/0190c0de-0000-7000-8000-000000000000",
    ] {
        let refused = client.get(format!("{console}{path}")).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{path}");
        assert!(refused.headers().contains_key("www-authenticate"));
    }
    let replay = client.post(format!("{console}/dlq/replay")).body("photo=x");
    assert_eq!(status_of(replay).await, 401);
    assert_eq!(
        status_of(client.get(&console).bearer_auth("not-it")).await,
        401
    );
    assert_eq!(
        status_of(client.get(&console).bearer_auth(TOKEN)).await,
        200
    );
    shutdown.cancel();
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_needs_the_pages_csrf_token_and_bad_input_is_a_400() {
    let stack = TestStack::start(Store::Sqlite).await;
    let console = format!("{}/console", stack.base_url);
    let client = reqwest::Client::new();
    let form = |body: &str| {
        client
            .post(format!("{console}/dlq/replay"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
    };
    assert_eq!(status_of(form("photo=")).await, 403);
    assert_eq!(status_of(form("csrf=0000&photo=")).await, 403);

    // The real token is in the page's forms.
    let page = stack.page(&format!("{console}/dlq")).await;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries a CSRF token")
        .to_string();
    let foreign = form(&format!("csrf={csrf}"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403, "a form posted from another site");
    assert_eq!(status_of(form(&format!("csrf={csrf}&rate=0"))).await, 400);
    assert_eq!(
        status_of(form(&format!("csrf={csrf}&photo=not-an-id"))).await,
        400
    );
    let empty = form(&format!(
        "csrf={csrf}&photo=0190c0de-0000-7000-8000-000000000000"
    ))
    .send()
    .await
    .unwrap();
    assert!(
        empty.status().is_success(),
        "a replay of nothing is recorded: {}",
        empty.status()
    );

    for (path, status) in [
        ("/photos/not-a-photo", 400),
        ("/photos?id=%3Cscript%3E", 400),
        ("/photos/0190c0de-0000-7000-8000-000000000000", 404),
        ("/executions?status=BOGUS", 400),
        ("/executions?from=yesterday-ish", 400),
        ("/executions?page=NaN", 400),
        ("/executions?page=99999999999999999999", 400),
        ("/executions/a:b", 404),
        ("/executions/no-such-execution", 404),
        ("/replays/123", 400),
        ("/dlq?since=2y", 400),
        ("/no-such-page", 404),
    ] {
        let answer = client.get(format!("{console}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), status, "{path}");
        let body = answer.text().await.unwrap();
        assert!(!body.contains("<script>"), "{path} echoes markup: {body}");
    }

    // A page asked for by a name that is not loopback (a rebound DNS name) is refused;
    // nor one through a proxy, nor one a page of another site makes.
    for (header, value, status) in [
        ("host", "evil.example", 403),
        ("x-forwarded-for", "203.0.113.9", 401),
        ("sec-fetch-site", "cross-site", 403),
    ] {
        let request = client.get(&console).header(header, value);
        assert_eq!(status_of(request).await, status, "{header}: {value}");
    }
    // An empty selection replays nothing, rather than everything.
    let nothing = form(&format!("csrf={csrf}")).send().await.unwrap();
    assert_eq!(nothing.status(), 400);
    stack.finish().await;
}
