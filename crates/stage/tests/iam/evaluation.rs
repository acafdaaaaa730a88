//! Identity policies evaluated as IAM evaluates them, and what is refused when read.

use super::{settings, ACCOUNT};
use serde_json::{json, Value};
use wisaw_stage::iam::{Context, Iam, Policy, PolicyError, Principal};

fn iam_of(documents: &[Value]) -> Iam {
    let policies = documents
        .iter()
        .enumerate()
        .map(|(i, d)| Policy::parse(&format!("policy {i}"), d).unwrap())
        .collect();
    let principal = Principal::new("TestFunction", "wisaw-test-fn", ACCOUNT, policies);
    Iam::new(settings(), vec![principal]).unwrap()
}

fn allowed(iam: &Iam, action: &str, resource: &str, context: &Context) -> bool {
    let principal = iam.principal("TestFunction").unwrap();
    iam.authorize(principal, action, resource, context).is_ok()
}

/// Whether each `(action, resource)` is allowed, with `context`'s keys.
fn assert_decisions(iam: &Iam, context: &Context, decisions: &[(&str, &str, bool)]) {
    for &(action, resource, expected) in decisions {
        let decided = allowed(iam, action, resource, context);
        assert_eq!(decided, expected, "{action} {resource}");
    }
}

#[test]
fn an_explicit_deny_wins_over_any_allow() {
    let iam = iam_of(&[
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        ]}),
        json!({"Version": "2012-10-17", "Statement":
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/keep/*"}
        }),
    ]);
    let none = Context::new();
    #[rustfmt::skip]
    let decisions = [
        ("s3:DeleteObject", "arn:aws:s3:::b/other/x", true),
        ("s3:DeleteObject", "arn:aws:s3:::b/keep/x", false),
        ("s3:GetObject", "arn:aws:s3:::b/keep/x", true),
    ];
    assert_decisions(&iam, &none, &decisions);

    let principal = iam.principal("TestFunction").unwrap();
    let denied = iam
        .authorize(principal, "s3:DeleteObject", "arn:aws:s3:::b/keep/x", &none)
        .unwrap_err();
    assert!(denied.explicit);
    assert_eq!(
        denied.message(),
        "User: arn:aws:sts::123456789012:assumed-role/TestFunctionRole/wisaw-test-fn is not \
         authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::b/keep/x\" with an \
         explicit deny in an identity-based policy"
    );
}

#[test]
fn nothing_allowed_is_an_implicit_deny_in_aws_words() {
    let iam = iam_of(&[json!({"Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:a"}
    ]})]);
    let principal = iam.principal("TestFunction").unwrap();
    let denied = iam
        .authorize(
            principal,
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:123456789012:b",
            &Context::new(),
        )
        .unwrap_err();
    assert!(!denied.explicit);
    assert_eq!(
        denied.message(),
        "User: arn:aws:sts::123456789012:assumed-role/TestFunctionRole/wisaw-test-fn is not \
         authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:b \
         because no identity-based policy allows the sqs:SendMessage action"
    );
}

#[test]
fn actions_match_without_case_and_resources_with_it_and_wildcards_in_both() {
    let iam = iam_of(&[json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["S3:get*", "sqs:?eceiveMessage"],
         "Resource": ["arn:aws:s3:::photos/*", "arn:aws:sqs:*:123456789012:ingest-?"]}
    ]})]);
    #[rustfmt::skip]
    let decisions = [
        ("s3:GetObject", "arn:aws:s3:::photos/a/b.webp", true),
        ("s3:getobjecttagging", "arn:aws:s3:::photos/x", true),
        ("s3:PutObject", "arn:aws:s3:::photos/x", false),
        // Resources are case-sensitive.
        ("s3:GetObject", "arn:aws:s3:::Photos/x", false),
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:123456789012:ingest-1", true),
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:123456789012:ingest-12", false),
        // A wildcard stays within its part of the ARN: the region's `*` takes no account.
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:999:123456789012:ingest-1", false),
    ];
    assert_decisions(&iam, &Context::new(), &decisions);
}

#[test]
fn not_action_and_not_resource_allow_everything_else() {
    let iam = iam_of(&[json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["s3:Delete*", "iam:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::photos/*"}
    ]})]);
    #[rustfmt::skip]
    let decisions = [
        ("s3:PutObject", "arn:aws:s3:::any/x", true),
        ("s3:DeleteObject", "arn:aws:s3:::any/x", false),
        ("iam:PassRole", "*", false),
        ("s3:GetObject", "arn:aws:s3:::photos/x", true),
        ("s3:GetObject", "arn:aws:s3:::uploads/x", false),
    ];
    assert_decisions(&iam, &Context::new(), &decisions);
}

#[test]
fn a_condition_on_the_listed_prefix_allows_only_those_prefixes() {
    let iam = iam_of(&[json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
         "Condition": {"StringLike": {"s3:prefix": ["uploads/*", "photos/*"]}}}
    ]})]);
    let listing = |context: Context| allowed(&iam, "s3:ListBucket", "arn:aws:s3:::b", &context);
    let prefix = |prefix: &str| Context::new().with("s3:prefix", prefix);
    assert!(listing(prefix("uploads/abc")));
    assert!(listing(prefix("photos/abc/")));
    assert!(!listing(prefix("other/")));
    assert!(!listing(Context::new()), "no prefix");
    // Keys are case-insensitive, values not.
    assert!(listing(Context::new().with("S3:Prefix", "uploads/x")));
    assert!(!listing(prefix("Uploads/x")));
}

#[test]
fn missing_keys_fail_a_condition_unless_negated_if_exists_or_null() {
    let iam = iam_of(&[json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "a:One", "Resource": "*",
         "Condition": {"StringNotEquals": {"k": "x"}}},
        {"Effect": "Allow", "Action": "a:Two", "Resource": "*",
         "Condition": {"StringEqualsIfExists": {"k": "x"}}},
        {"Effect": "Allow", "Action": "a:Three", "Resource": "*",
         "Condition": {"Null": {"k": "true"}}},
        {"Effect": "Allow", "Action": "a:Four", "Resource": "*",
         "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::wisaw-*"},
                       "Bool": {"aws:SecureTransport": false}}}
    ]})]);
    let none = Context::new();
    let x = Context::new().with("k", "x");
    let y = Context::new().with("k", "y");
    assert!(allowed(&iam, "a:One", "r", &none));
    assert!(!allowed(&iam, "a:One", "r", &x));
    assert!(allowed(&iam, "a:One", "r", &y));
    assert!(allowed(&iam, "a:Two", "r", &none));
    assert!(allowed(&iam, "a:Two", "r", &x));
    assert!(!allowed(&iam, "a:Two", "r", &y));
    assert!(allowed(&iam, "a:Three", "r", &none));
    assert!(!allowed(&iam, "a:Three", "r", &x));
    let plain = Context::new()
        .with("aws:SourceArn", "arn:aws:s3:::wisaw-test")
        .with("aws:SecureTransport", "false");
    assert!(allowed(&iam, "a:Four", "r", &plain));
    let tls = Context::new()
        .with("aws:SourceArn", "arn:aws:s3:::wisaw-test")
        .with("aws:SecureTransport", "true");
    assert!(!allowed(&iam, "a:Four", "r", &tls));
    assert!(!allowed(&iam, "a:Four", "r", &none));
}

#[test]
fn the_callers_global_keys_are_in_every_request() {
    let iam = iam_of(&[json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "a:Go", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012",
                                        "aws:RequestedRegion": "us-east-1"},
                       "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/TestFunctionRole"}}}
    ]})]);
    assert!(allowed(&iam, "a:Go", "r", &Context::new()));
}

#[test]
fn what_the_stage_does_not_evaluate_is_refused_by_name() {
    let refused = |document: Value| Policy::parse("p", &document).unwrap_err();
    let statement = |extra: Value| {
        let mut statement = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        statement
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"Version": "2012-10-17", "Statement": [statement]})
    };
    for (operator, keys) in [
        ("NumericLessThan", json!({"s3:max-keys": 10})),
        ("ForAnyValue:StringLike", json!({"k": "v"})),
        ("StringLikeAlmost", json!({"k": "v"})),
    ] {
        match refused(statement(json!({"Condition": {operator: keys}}))) {
            PolicyError::Unsupported(what) => assert!(what.contains(operator), "{what}"),
            other => panic!("{other:?}"),
        }
    }
    // A policy variable, wherever IAM would substitute it, named: compared as written, a
    // negated condition would hold for every caller.
    for (extra, variable) in [
        (
            json!({"Resource": "arn:aws:s3:::b/${aws:username}/*"}),
            "${aws:username}",
        ),
        (
            json!({"NotResource": ["arn:aws:s3:::b/public/*", "arn:aws:s3:::b/${aws:userid}"]}),
            "${aws:userid}",
        ),
        (
            json!({"Condition": {"StringNotEquals": {"s3:prefix": "${aws:username}"}}}),
            "${aws:username}",
        ),
        (
            json!({"Condition": {"StringLikeIfExists": {
                "s3:prefix": ["home/", "home/${aws:PrincipalTag/team}/*"]}}}),
            "${aws:PrincipalTag/team}",
        ),
        (
            json!({"Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"}}}),
            "${aws:PrincipalAccount}",
        ),
    ] {
        let mut document = statement(json!({}));
        let fields = document["Statement"][0].as_object_mut().unwrap();
        if extra.get("NotResource").is_some() {
            fields.remove("Resource");
        }
        fields.extend(extra.as_object().unwrap().clone());
        match refused(document) {
            PolicyError::Unsupported(what) => {
                assert!(what.contains(variable), "{what} names {variable}")
            }
            other => panic!("{variable}: {other:?}"),
        }
    }
    // Before 2012-10-17 there are no policy variables: `${...}` is text, compared as such.
    let literal = json!({"Version": "2008-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${x}/*",
         "Condition": {"StringEquals": {"s3:prefix": "${aws:username}"}}}
    ]});
    let iam = iam_of(&[literal]);
    let context = Context::new().with("s3:prefix", "${aws:username}");
    assert!(allowed(
        &iam,
        "s3:GetObject",
        "arn:aws:s3:::b/${x}/k",
        &context
    ));
    assert!(matches!(
        refused(statement(json!({"Principal": "*"}))),
        PolicyError::Malformed(_)
    ));
    assert!(matches!(
        refused(statement(json!({"Effects": "Allow"}))),
        PolicyError::Malformed(_)
    ));
    assert!(matches!(
        refused(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})
        ),
        PolicyError::Malformed(_)
    ));
    assert!(matches!(
        refused(json!({"Version": "2020-01-01", "Statement": []})),
        PolicyError::Malformed(_)
    ));
}
