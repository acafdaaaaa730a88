//! The HTTP API as API Gateway runs it with payload format 2.0: the project's own routes
//! chosen as API Gateway chooses them, what the stage refuses, the request as a function
//! receives it (with a custom runtime of the tests' own, `fixtures/http_echo_runtime.py`,
//! that answers with the event it got), and the answers API Gateway gives for a function's
//! failures.

use crate::support::{project_resources, python_bootstrap, ACCOUNT, REGION};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wisaw_stage::event_sources::http_api::{check_api, HttpApi, Invoke, ServedApi};
use wisaw_stage::lambda::{FunctionConfig, InvokeError, LocalFunction};
use wisaw_stage::template::{Resource, Resources, TemplateError};

const API_ID: &str = "a1b2c3d4e5";

// ---------------------------------------------------------------- building an API

fn api_resource(properties: Value) -> Resource {
    Resource {
        logical_id: "HttpApi".into(),
        kind: "AWS::Serverless::HttpApi".into(),
        properties,
        metadata: Value::Null,
    }
}

fn function_resource(events: Value) -> Resource {
    Resource {
        logical_id: "ApiFunction".into(),
        kind: "AWS::Serverless::Function".into(),
        properties: json!({ "Events": events }),
        metadata: Value::Null,
    }
}

/// An `HttpApi` event of this API, with more properties if given.
fn route(method: &str, path: &str, more: Value) -> Value {
    let mut properties = json!({"ApiId": API_ID, "Method": method, "Path": path});
    for (name, value) in more.as_object().unwrap() {
        properties[name] = value.clone();
    }
    json!({"Type": "HttpApi", "Properties": properties})
}

fn http_api(api: Value, events: Value, target: Arc<dyn Invoke>) -> Result<HttpApi, TemplateError> {
    HttpApi::from_template(&api_resource(api), API_ID, REGION, ACCOUNT)?
        .with_routes_of(&function_resource(events), target)?
        .finish()
}

/// A target that answers with the event it got as its body.
fn echo() -> Arc<dyn Invoke> {
    Arc::new(|payload: Vec<u8>| async move {
        let body = String::from_utf8(payload).unwrap();
        Ok::<_, InvokeError>(
            json!({"statusCode": 200, "body": body})
                .to_string()
                .into_bytes(),
        )
    })
}

async fn serve(api: &HttpApi) -> ServedApi {
    api.serve("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// The event the function got, from an echo's answer.
async fn echoed(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{:?}", response.headers());
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn gateway_message(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("apigw-requestid"));
    let body: Value = response.json().await.unwrap();
    (status, body["message"].as_str().unwrap().to_string())
}

/// API Gateway's own answer to a GET of `path`: its status and message.
async fn gateway_answer(served: &ServedApi, path: &str) -> (u16, String) {
    gateway_message(reqwest::get(format!("{}{path}", served.url)).await.unwrap()).await
}

/// A GET of each of `paths`, whose function fails or answers what is not a response:
/// API Gateway's 500.
async fn assert_internal_server_errors(served: &ServedApi, paths: &[&str]) {
    for path in paths {
        let answer = gateway_answer(served, path).await;
        assert_eq!(answer, (500, "Internal Server Error".into()), "{path}");
    }
}

/// A GET of `path` whose integration times out: API Gateway stops waiting, with a 503,
/// well before `bound`.
async fn assert_integration_times_out(served: &ServedApi, path: &str, bound: Duration) {
    let started = Instant::now();
    let answer = gateway_answer(served, path).await;
    assert_eq!(answer, (503, "Service Unavailable".into()));
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
}

/// A GET of `path`, answered with valid JSON without a `statusCode`: 200, the JSON as the
/// body; the body.
async fn bare_json(served: &ServedApi, path: &str) -> String {
    let bare = reqwest::get(format!("{}{path}", served.url)).await.unwrap();
    assert_eq!(bare.status(), 200);
    assert_eq!(bare.headers()["content-type"], "application/json");
    bare.text().await.unwrap()
}

// ---------------------------------------------------------------- the project's template

/// Resources that answer for any logical id; `Ref HttpApi` is the API's id.
struct StoodIn;

impl Resources for StoodIn {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        Some(match logical_id {
            "HttpApi" => json!(API_ID),
            other => json!(format!("ref:{other}")),
        })
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        Some(json!(format!("att:{logical_id}.{attribute}")))
    }
}

/// `template.yaml`'s HTTP API with the routes of every function's events.
fn project_api(target: Arc<dyn Invoke>) -> HttpApi {
    let database = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
    let apis = project_resources("AWS::Serverless::HttpApi", database, &StoodIn);
    assert_eq!(apis.len(), 1);
    let mut api = HttpApi::from_template(&apis[0], API_ID, REGION, ACCOUNT).unwrap();
    for function in project_resources("AWS::Serverless::Function", database, &StoodIn) {
        api = api.with_routes_of(&function, target.clone()).unwrap();
    }
    api.finish().unwrap()
}

/// Each request (`METHOD /path`) through `served` reaches the echo by the route it names,
/// with these path parameters (`null`: none), as the event says it.
async fn assert_routes(served: &ServedApi, cases: &[(&str, &str, Value)]) {
    let client = reqwest::Client::new();
    for (request, route_key, parameters) in cases {
        let (method, path) = request.split_once(' ').unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = format!("{}{path}", served.url);
        let event = echoed(client.request(method.clone(), url).send().await.unwrap()).await;
        assert_eq!(event["routeKey"], *route_key, "{request}");
        assert_eq!(event["requestContext"]["routeKey"], *route_key, "{request}");
        assert_eq!(event["pathParameters"], *parameters, "{request}");
        assert_eq!(event["requestContext"]["http"]["method"], method.as_str());
    }
}

#[tokio::test]
async fn the_templates_routes_are_taken_as_api_gateway_takes_them() {
    let api = project_api(echo());
    assert_eq!(
        api.route_keys(),
        [
            "POST /v1/uploads",
            "GET /v1/photos/{photoId}",
            "DELETE /v1/photos/{photoId}",
            "POST /v1/photos/{photoId}/abuse-reports",
            "GET /openapi.json",
            "GET /v1/feed",
            "$default",
        ]
    );
    let photo = |id: &str| json!({ "photoId": id });
    #[rustfmt::skip]
    let cases = [
        ("POST /v1/uploads", "POST /v1/uploads", Value::Null),
        ("GET /v1/photos/p-1", "GET /v1/photos/{photoId}", photo("p-1")),
        ("DELETE /v1/photos/p-1", "DELETE /v1/photos/{photoId}", photo("p-1")),
        ("POST /v1/photos/p-1/abuse-reports", "POST /v1/photos/{photoId}/abuse-reports", photo("p-1")),
        // Decoded, as API Gateway passes path parameters.
        ("GET /v1/photos/p%201", "GET /v1/photos/{photoId}", photo("p 1")),
        ("GET /v1/feed?limit=5", "GET /v1/feed", Value::Null),
        ("GET /openapi.json", "GET /openapi.json", Value::Null),
        // A method no route names, an empty variable, a trailing slash, an unknown path:
        // the router's own 404 and 405 answers come from `$default`.
        ("PUT /v1/photos/p-1", "$default", Value::Null),
        ("GET /v1/photos/", "$default", Value::Null),
        ("GET /v1/feed/", "$default", Value::Null),
        ("GET /v1/uploads", "$default", Value::Null),
        ("PATCH /nowhere/at/all", "$default", Value::Null),
    ];
    assert_routes(&serve(&api).await, &cases).await;
}

#[tokio::test]
async fn the_most_specific_route_wins_and_a_request_no_route_takes_is_not_found() {
    // The routes of API Gateway's own example ("Routing API requests"), a few more, and
    // no $default.
    let events = json!({
        "Static": route("GET", "/pets/dog/1", json!({})),
        "Variable": route("GET", "/pets/dog/{id}", json!({})),
        "Posted": route("POST", "/pets/dog/{id}", json!({})),
        "AnyDog": route("ANY", "/pets/dog/{id}", json!({})),
        "Greedy": route("GET", "/pets/{proxy+}", json!({})),
        "Full": route("GET", "/{animal}/cat/1", json!({})),
        "Any": route("ANY", "/{proxy+}", json!({})),
    });
    let api = http_api(json!({}), events, echo()).unwrap();
    let served = serve(&api).await;
    let dog = || json!({"id": "2"});
    let proxy = |rest: &str| json!({ "proxy": rest });
    #[rustfmt::skip]
    let cases = [
        ("GET /pets/dog/1", "GET /pets/dog/1", Value::Null),
        ("GET /pets/dog/2", "GET /pets/dog/{id}", dog()),
        // A method the route names over `ANY` for the same path.
        ("POST /pets/dog/2", "POST /pets/dog/{id}", dog()),
        ("PUT /pets/dog/2", "ANY /pets/dog/{id}", dog()),
        ("GET /pets/cat/2", "GET /pets/{proxy+}", proxy("cat/2")),
        // A full match over a greedy one, however literal the greedy one is.
        ("GET /pets/cat/1", "GET /{animal}/cat/1", json!({"animal": "pets"})),
        ("PUT /pets/cat/1", "ANY /{proxy+}", proxy("pets/cat/1")),
        ("GET /pets", "ANY /{proxy+}", proxy("pets")),
    ];
    assert_routes(&served, &cases).await;
    // A greedy variable takes one segment or more: nothing takes `/`.
    let response = reqwest::get(&served.url).await.unwrap();
    assert_eq!(gateway_message(response).await, (404, "Not Found".into()));
}

#[test]
fn what_the_stage_does_not_run_is_refused_by_name() {
    let refused = |api: Value, events: Value| match http_api(api, events, echo()) {
        Err(TemplateError::Unsupported(what)) => what,
        Err(other) => panic!("refused as {other:?}"),
        Ok(_) => panic!("accepted"),
    };
    let plain = || json!({"Route": route("GET", "/a", json!({}))});
    let cases = [
        (
            json!({"Auth": {"DefaultAuthorizer": "Jwt"}}),
            plain(),
            "HttpApi's property Auth",
        ),
        (
            json!({"CorsConfiguration": true}),
            plain(),
            "HttpApi's property CorsConfiguration",
        ),
        (
            json!({"StageName": "prod"}),
            plain(),
            "HttpApi's StageName \"prod\"",
        ),
        (
            json!({"DefaultRouteSettings": {"DataTraceEnabled": true}}),
            plain(),
            "DefaultRouteSettings's DataTraceEnabled",
        ),
        (
            json!({}),
            json!({"Route": route("GET", "/a", json!({"Auth": {"Authorizer": "Jwt"}}))}),
            "ApiFunction's HttpApi event Route's Auth (authorizers)",
        ),
        (
            json!({}),
            json!({"Route": route("GET", "/a", json!({"PayloadFormatVersion": "1.0"}))}),
            "PayloadFormatVersion 1.0",
        ),
        (
            json!({}),
            json!({"Route": route("GET", "/a", json!({"RouteSettings": {"LoggingLevel": "INFO"}}))}),
            "Route's RouteSettings's LoggingLevel",
        ),
        (
            json!({}),
            json!({"Implicit": {"Type": "HttpApi", "Properties": {"Method": "GET", "Path": "/a"}}}),
            "without ApiId (SAM's implicit HttpApi)",
        ),
    ];
    for (api, events, expected) in cases {
        let what = refused(api, events);
        assert!(
            what.contains(expected),
            "{what:?} does not name {expected:?}"
        );
    }

    let malformed = |events: Value| match http_api(json!({}), events, echo()) {
        Err(TemplateError::Malformed(what)) => what,
        other => panic!("not refused as malformed: {:?}", other.err()),
    };
    let conflict = malformed(json!({
        "One": route("GET", "/a/{x}", json!({})),
        "Two": route("GET", "/a/{y}", json!({})),
    }));
    assert!(
        conflict.contains("GET /a/{x} and GET /a/{y} conflict"),
        "{conflict}"
    );
    let partial = malformed(json!({"One": route("GET", "/a{b}", json!({}))}));
    assert!(
        partial.contains("a variable is a whole segment"),
        "{partial}"
    );
    let timeout = malformed(json!({"One": route("GET", "/a", json!({"TimeoutInMillis": 31000}))}));
    assert!(timeout.contains("TimeoutInMillis 31000"), "{timeout}");

    // An event of another API is that API's, and `Authorizer: NONE` opts out of nothing run.
    let events = json!({
        "Other": {"Type": "HttpApi", "Properties": {"ApiId": "other", "Method": "GET", "Path": "/b"}},
        "Open": route("GET", "/a", json!({"Auth": {"Authorizer": "NONE"}})),
    });
    let api = http_api(json!({"Name": "wisaw"}), events, echo()).unwrap();
    assert_eq!(api.route_keys(), ["GET /a"]);
}

#[test]
fn the_deploy_step_checks_an_api_with_the_modules_own_list() {
    let database = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
    for api in project_resources("AWS::Serverless::HttpApi", database, &StoodIn) {
        check_api(&api).unwrap();
    }
    let refused = |properties: Value| check_api(&api_resource(properties)).unwrap_err();
    match refused(json!({"CorsConfiguration": true})) {
        TemplateError::Unsupported(what) => {
            assert!(
                what.contains("HttpApi's property CorsConfiguration"),
                "{what}"
            )
        }
        other => panic!("{other:?}"),
    }
    match refused(json!({"DefaultRouteSettings": {"ThrottlingRateLimit": -1}})) {
        TemplateError::Malformed(what) => assert!(what.contains("ThrottlingRateLimit"), "{what}"),
        other => panic!("{other:?}"),
    }
    let mut function = api_resource(json!({}));
    function.kind = "AWS::Serverless::Function".into();
    assert!(matches!(
        check_api(&function),
        Err(TemplateError::Malformed(_))
    ));
}

#[test]
fn route_settings_for_a_route_no_event_defines_are_refused_by_name() {
    let events = || json!({"Route": route("GET", "/a", json!({}))});
    let settings = |key: &str| {
        json!({"RouteSettings": {
            "GET /a": {"ThrottlingBurstLimit": 1},
            key: {"ThrottlingBurstLimit": 1},
        }})
    };
    // Another method, a path not quite the route's, a route of another API's event.
    for key in ["POST /a", "GET /a/", "GET /b", "$default"] {
        match http_api(settings(key), events(), echo()) {
            Err(TemplateError::Malformed(what)) => {
                assert!(what.contains(&format!("RouteSettings for {key}")), "{what}")
            }
            Err(other) => panic!("{key}: {other:?}"),
            Ok(_) => panic!("{key}: accepted"),
        }
    }
    // Routes of every function count: settings may name any function's route.
    let api = HttpApi::from_template(&api_resource(settings("GET /b")), API_ID, REGION, ACCOUNT)
        .unwrap()
        .with_routes_of(&function_resource(events()), echo())
        .unwrap();
    let mut other = function_resource(json!({"Route": route("GET", "/b", json!({}))}));
    other.logical_id = "OtherFunction".into();
    let api = api
        .with_routes_of(&other, echo())
        .unwrap()
        .finish()
        .unwrap();
    assert_eq!(api.route_keys(), ["GET /a", "GET /b"]);
}

#[test]
fn a_throttle_api_gateway_would_not_take_is_refused_by_name() {
    let owners: [fn(Value) -> (Value, Value); 3] = [
        |settings: Value| (json!({"DefaultRouteSettings": settings}), json!({})),
        |settings: Value| (json!({"RouteSettings": {"GET /a": settings}}), json!({})),
        |settings: Value| (json!({}), json!({"RouteSettings": settings})),
    ];
    for (name, value) in [
        ("ThrottlingRateLimit", json!(-1)),
        ("ThrottlingRateLimit", json!(-0.5)),
        ("ThrottlingRateLimit", json!("NaN")),
        ("ThrottlingRateLimit", json!("inf")),
        ("ThrottlingRateLimit", json!("-infinity")),
        ("ThrottlingRateLimit", json!("1e400")),
        ("ThrottlingRateLimit", json!("fast")),
        ("ThrottlingBurstLimit", json!(-1)),
        ("ThrottlingBurstLimit", json!(1.5)),
        // An Integer in API Gateway's model: 32 bits.
        ("ThrottlingBurstLimit", json!(2_147_483_648u64)),
    ] {
        for owner in owners {
            let (api, more) = owner(json!({ name: value }));
            let events = json!({"Route": route("GET", "/a", more)});
            match http_api(api, events, echo()) {
                Err(TemplateError::Malformed(what)) => {
                    assert!(what.contains(&format!("{name} is {value}")), "{what}")
                }
                Err(other) => panic!("{name} {value}: {other:?}"),
                Ok(_) => panic!("{name} {value}: accepted"),
            }
        }
    }
}

#[tokio::test]
async fn any_rate_api_gateway_takes_is_run_without_a_panic() {
    // A rate whose token takes longer than any clock counts, a burst as large as API
    // Gateway takes with a slow rate, the largest rate there is.
    let cases = [
        (json!(1e-20), json!(1), 1),
        (json!("1e-11"), json!(2), 2),
        (json!(0.001), json!(2_147_483_647u64), 4),
        (json!(f64::MAX), json!(1), 4),
    ];
    for (rate, burst, admitted) in cases {
        let settings = json!({"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst});
        let events = json!({"Route": route("GET", "/a", json!({"RouteSettings": settings}))});
        let api = http_api(json!({}), events, echo()).unwrap();
        let served = serve(&api).await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let answer = client
                .get(format!("{}/a", served.url))
                .send()
                .await
                .unwrap();
            statuses.push(answer.status().as_u16());
        }
        let expected: Vec<u16> = (0..4)
            .map(|i| if i < admitted { 200 } else { 429 })
            .collect();
        assert_eq!(statuses, expected, "{settings}");
    }
}

// ---------------------------------------------------------------- answers without a process

/// A target that counts its invocations and answers as the event's path asks.
fn scripted(calls: Arc<AtomicUsize>) -> Arc<dyn Invoke> {
    Arc::new(move |payload: Vec<u8>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let event: Value = serde_json::from_slice(&payload).unwrap();
            let answer = match event["rawPath"].as_str().unwrap() {
                "/bare" => json!([1, 2, 3]).to_string(),
                "/no-body" => json!({"statusCode": 204}).to_string(),
                "/status-as-text" => json!({"statusCode": "200", "body": "x"}).to_string(),
                "/status-out-of-range" => json!({"statusCode": 700}).to_string(),
                "/not-json" => "plain words".to_string(),
                "/timed-out" => {
                    return Err(InvokeError {
                        error_type: "Sandbox.Timedout".into(),
                        message: "Task timed out after 15.00 seconds".into(),
                        payload: Value::Null,
                    })
                }
                "/slow" => {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "{}".to_string()
                }
                _ => {
                    let length = event["body"].as_str().map_or(0, str::len);
                    json!({"bodyLength": length}).to_string()
                }
            };
            Ok(answer.into_bytes())
        }
    })
}

#[tokio::test]
async fn a_functions_answers_and_failures_are_answered_as_api_gateway_answers_them() {
    let events = json!({
        "Slow": route("GET", "/slow", json!({"TimeoutInMillis": 300})),
        "Rest": {"Type": "HttpApi", "Properties": {"ApiId": API_ID}},
    });
    let api = http_api(json!({}), events, scripted(Arc::default())).unwrap();
    let served = serve(&api).await;

    // Valid JSON without a statusCode: the JSON as it was, byte for byte.
    assert_eq!(bare_json(&served, "/bare").await, "[1,2,3]");

    let no_body = reqwest::get(format!("{}/no-body", served.url))
        .await
        .unwrap();
    assert_eq!(no_body.status(), 204);
    assert!(!no_body.headers().contains_key("content-type"));

    let malformed = [
        "/status-as-text",
        "/status-out-of-range",
        "/not-json",
        "/timed-out",
    ];
    assert_internal_server_errors(&served, &malformed).await;

    // The route's integration timeout (300 ms).
    assert_integration_times_out(&served, "/slow", Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_body_over_ten_megabytes_is_refused_before_the_function() {
    let calls = Arc::new(AtomicUsize::new(0));
    let events = json!({"Rest": {"Type": "HttpApi", "Properties": {"ApiId": API_ID}}});
    let api = http_api(json!({}), events, scripted(calls.clone())).unwrap();
    let served = serve(&api).await;
    let client = reqwest::Client::new();
    let limit = 10 * 1024 * 1024;

    let at_limit = client
        .post(format!("{}/upload", served.url))
        .header("content-type", "application/json")
        .body(vec![b'a'; limit])
        .send()
        .await
        .unwrap();
    assert_eq!(at_limit.status(), 200);
    let answer: Value = at_limit.json().await.unwrap();
    assert_eq!(answer["bodyLength"], limit);

    let over = client
        .post(format!("{}/upload", served.url))
        .body(vec![0u8; limit + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        gateway_message(over).await,
        (413, "Request Entity Too Large".into())
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn routes_are_throttled_by_their_settings_over_the_default_ones() {
    let calls = Arc::new(AtomicUsize::new(0));
    // A burst of 2 and a token every 1,000 s: the third request at once is over.
    let api = json!({"DefaultRouteSettings": {
        "ThrottlingBurstLimit": 2,
        "ThrottlingRateLimit": 0.001,
        "DetailedMetricsEnabled": true,
    }});
    let events = json!({
        "Limited": route("GET", "/limited", json!({})),
        "Roomy": route("GET", "/roomy", json!({"RouteSettings": {"ThrottlingBurstLimit": 100}})),
        "Closed": route("GET", "/closed", json!({})),
    });
    let mut api = api;
    api["RouteSettings"] = json!({"GET /closed": {"ThrottlingBurstLimit": 0}});
    let api = http_api(api, events, scripted(calls.clone())).unwrap();
    let served = serve(&api).await;
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let request = client.get(format!("{}{path}", served.url));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/limited").await, 200);
    assert_eq!(status("/limited").await, 200);
    assert_eq!(
        gateway_answer(&served, "/limited").await,
        (429, "Too Many Requests".into())
    );
    for _ in 0..3 {
        assert_eq!(
            status("/roomy").await,
            200,
            "its own burst, the default's rate"
        );
    }
    assert_eq!(status("/closed").await, 429);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "a throttled request reaches no function"
    );
}

// ---------------------------------------------------------------- with a real bootstrap

/// The echo runtime as the API's function (a 2 s timeout), behind the API's routes.
async fn echo_function_api() -> (tempfile::TempDir, Arc<LocalFunction>, ServedApi) {
    let dir = tempfile::tempdir().unwrap();
    let function = Arc::new(LocalFunction::new(FunctionConfig {
        name: "wisaw-test-api".into(),
        bootstrap: python_bootstrap(&dir, "http_echo_runtime.py", ""),
        environment: BTreeMap::new(),
        memory_mb: 256,
        timeout: Duration::from_secs(2),
        concurrency: 2,
        region: REGION.into(),
        account_id: ACCOUNT.into(),
    }));
    let events = json!({
        "CreateTicket": route("POST", "/v1/uploads", json!({})),
        "PhotoStatus": route("GET", "/v1/photos/{photoId}", json!({})),
        "Files": route("ANY", "/files/{proxy+}", json!({"TimeoutInMillis": 1000})),
        "Unmatched": route("ANY", "$default", json!({})),
    });
    let api = HttpApi::from_template(
        &api_resource(json!({"StageName": "$default", "StageVariables": {"flavour": "local"}})),
        API_ID,
        REGION,
        ACCOUNT,
    )
    .unwrap()
    .with_routes_of(&function_resource(events), function.clone())
    .unwrap();
    let served = serve(&api).await;
    (dir, function, served)
}

#[tokio::test]
async fn the_function_gets_the_request_as_api_gateway_sends_it() {
    let (_dir, _function, served) = echo_function_api().await;
    let client = reqwest::Client::new();
    let photo = b"\xff\xd8\xff\xe0 not really a jpeg \x00\x01";
    let before = chrono::Utc::now().timestamp_millis();
    let response = client
        .post(format!(
            "{}/v1/uploads?tag=a&tag=b&q=a+b&enc=a%2Bb&empty=",
            served.url
        ))
        .header("content-type", "image/jpeg")
        .header("user-agent", "wisaw-test/1")
        .header("x-probe", "first")
        .header("x-probe", "second")
        .header("cookie", "session=abc; theme=dark")
        .body(photo.to_vec())
        .send()
        .await
        .unwrap();

    // The function's response object, as the client gets it.
    assert_eq!(response.status(), 201);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-echo"], "yes");
    let multi: Vec<_> = headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["session=new; Path=/; HttpOnly", "theme=light"]);
    let event: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();

    // The event, as the function got it.
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "POST /v1/uploads");
    assert_eq!(event["rawPath"], "/v1/uploads");
    assert_eq!(
        event["rawQueryString"],
        "tag=a&tag=b&q=a+b&enc=a%2Bb&empty="
    );
    assert_eq!(
        event["queryStringParameters"],
        json!({"tag": "a,b", "q": "a b", "enc": "a+b", "empty": ""})
    );
    assert_eq!(event["cookies"], json!(["session=abc", "theme=dark"]));
    let sent = &event["headers"];
    assert_eq!(sent["x-probe"], "first,second");
    assert_eq!(sent["content-type"], "image/jpeg");
    assert_eq!(sent["x-forwarded-for"], "127.0.0.1");
    assert_eq!(sent["x-forwarded-proto"], "http");
    assert_eq!(sent["x-forwarded-port"], served.addr.port().to_string());
    assert!(sent["x-amzn-trace-id"]
        .as_str()
        .unwrap()
        .starts_with("Root=1-"));
    assert!(
        sent.get("cookie").is_none(),
        "cookies are moved out: {sent}"
    );
    assert_eq!(event["isBase64Encoded"], true);
    let body = base64::engine::general_purpose::STANDARD
        .decode(event["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, photo);
    assert_eq!(event["stageVariables"], json!({"flavour": "local"}));
    assert!(event.get("pathParameters").is_none(), "{event}");
    // Fields of authorizer payloads that a proxy event does not have.
    for absent in ["httpMethod", "type", "methodArn", "resource"] {
        assert!(event.get(absent).is_none(), "{absent} in {event}");
    }

    let context = &event["requestContext"];
    assert_eq!(context["accountId"], ACCOUNT);
    assert_eq!(context["apiId"], API_ID);
    assert_eq!(context["domainName"], served.addr.to_string());
    assert_eq!(context["domainPrefix"], "127");
    assert_eq!(context["stage"], "$default");
    assert_eq!(context["routeKey"], "POST /v1/uploads");
    assert_eq!(
        context["http"],
        json!({
            "method": "POST",
            "path": "/v1/uploads",
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "wisaw-test/1",
        })
    );
    assert_eq!(
        headers["apigw-requestid"],
        context["requestId"].as_str().unwrap()
    );
    assert_eq!(context["requestId"].as_str().unwrap().len(), 16);
    let time = regex_lite::Regex::new(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$");
    let text = context["time"].as_str().unwrap();
    assert!(time.unwrap().is_match(text), "{text}");
    let epoch = context["timeEpoch"].as_i64().unwrap();
    assert!(epoch >= before && epoch <= chrono::Utc::now().timestamp_millis());

    // A text body goes as text; a path variable, decoded.
    let response = client
        .post(format!("{}/v1/photos/p%201", served.url))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"reason":"spam"}"#)
        .send()
        .await
        .unwrap();
    let event = echoed_as(response, 201).await;
    assert_eq!(
        event["routeKey"], "$default",
        "POST is not the route's method"
    );
    assert_eq!(event["body"], r#"{"reason":"spam"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    let event = echoed_as(
        client
            .get(format!("{}/v1/photos/p%201", served.url))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(event["pathParameters"], json!({"photoId": "p 1"}));
    assert_eq!(event["rawPath"], "/v1/photos/p 1");
    assert!(
        event.get("body").is_none() && event.get("cookies").is_none(),
        "{event}"
    );
    // A form is not text to API Gateway.
    let event = echoed_as(
        client
            .post(format!("{}/form", served.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("a=1")
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(
        (&event["body"], &event["isBase64Encoded"]),
        (&json!("YT0x"), &json!(true))
    );
}

async fn echoed_as(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn a_functions_failures_are_api_gateways_errors() {
    let (_dir, _function, served) = echo_function_api().await;

    // A bare JSON answer: 200, the JSON as the body.
    let answer: Value = serde_json::from_str(&bare_json(&served, "/files/bare").await).unwrap();
    assert_eq!(answer["bare"], true);

    // A base64 answer is decoded for the client.
    let binary = reqwest::get(format!("{}/files/binary", served.url))
        .await
        .unwrap();
    assert_eq!(binary.headers()["content-type"], "image/png");
    assert_eq!(
        binary.bytes().await.unwrap().as_ref(),
        b"\x89PNG\r\n\x1a\n\x00\xff"
    );

    // A function error, an answer that is not JSON, a crash, the function's own timeout
    // (2 s, under the route's 30 s): all are API Gateway's 500.
    let failures = [
        "/files/raise",
        "/files/not-json",
        "/files/exit",
        "/anything?sleep=5",
    ];
    assert_internal_server_errors(&served, &failures).await;

    // The route's integration timeout (1 s) before the function's (2 s): 503, and the
    // function runs on, as Lambda does, then answers the next request.
    let slow = "/files/slow?sleep=1.9";
    assert_integration_times_out(&served, slow, Duration::from_millis(1800)).await;
    bare_json(&served, "/files/bare").await;
}
