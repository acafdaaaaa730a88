//! S3's REST API, path-style (`/bucket/key`): the operation from the method, whether a key
//! is named, and the sub-resource in the query (`?delete`, `?tagging`, ...); the resource
//! is the object (`arn:aws:s3:::bucket/key`) or the bucket (`arn:aws:s3:::bucket`).

use super::{Ask, Incoming, NotClassified, Operation};
use crate::iam::Settings;
use aws_smithy_xml::decode::{try_data, Document};

/// Query parameters that are an operation's arguments, not a sub-resource naming another
/// operation (`response-*` too, and a presigned URL's `X-Amz-*`).
const ARGUMENTS: [&str; 20] = [
    "x-id",
    "versionId",
    "partNumber",
    "uploadId",
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "encoding-type",
    "fetch-owner",
    "marker",
    "key-marker",
    "version-id-marker",
    "upload-id-marker",
    "max-uploads",
    "max-parts",
    "part-number-marker",
    "optional-object-attributes",
];

/// A bucket's configurations: the sub-resource, and the operations and IAM actions of
/// its GET, PUT and DELETE (a configuration's DELETE is authorized as its PUT).
const BUCKET_CONFIGURATIONS: [(&str, [(&str, &str); 3]); 9] = [
    (
        "policy",
        [
            ("GetBucketPolicy", "s3:GetBucketPolicy"),
            ("PutBucketPolicy", "s3:PutBucketPolicy"),
            ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
        ],
    ),
    (
        "versioning",
        [
            ("GetBucketVersioning", "s3:GetBucketVersioning"),
            ("PutBucketVersioning", "s3:PutBucketVersioning"),
            ("", ""),
        ],
    ),
    (
        "notification",
        [
            (
                "GetBucketNotificationConfiguration",
                "s3:GetBucketNotification",
            ),
            (
                "PutBucketNotificationConfiguration",
                "s3:PutBucketNotification",
            ),
            ("", ""),
        ],
    ),
    (
        "lifecycle",
        [
            (
                "GetBucketLifecycleConfiguration",
                "s3:GetLifecycleConfiguration",
            ),
            (
                "PutBucketLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
        ],
    ),
    (
        "tagging",
        [
            ("GetBucketTagging", "s3:GetBucketTagging"),
            ("PutBucketTagging", "s3:PutBucketTagging"),
            ("DeleteBucketTagging", "s3:PutBucketTagging"),
        ],
    ),
    (
        "cors",
        [
            ("GetBucketCors", "s3:GetBucketCORS"),
            ("PutBucketCors", "s3:PutBucketCORS"),
            ("DeleteBucketCors", "s3:PutBucketCORS"),
        ],
    ),
    (
        "encryption",
        [
            ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
            ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
            ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
        ],
    ),
    (
        "ownershipControls",
        [
            (
                "GetBucketOwnershipControls",
                "s3:GetBucketOwnershipControls",
            ),
            (
                "PutBucketOwnershipControls",
                "s3:PutBucketOwnershipControls",
            ),
            (
                "DeleteBucketOwnershipControls",
                "s3:PutBucketOwnershipControls",
            ),
        ],
    ),
    (
        "publicAccessBlock",
        [
            ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
            ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
            ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
        ],
    ),
];

/// A DeleteObjects (`POST /bucket?delete`) lists its keys in its body.
pub(super) fn reads_body(method: &str, query: &str) -> bool {
    method == "POST" && sub_resources(&pairs(query)).contains(&"delete".to_string())
}

fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn is_argument(name: &str) -> bool {
    ARGUMENTS.contains(&name) || name.starts_with("response-") || name.starts_with("X-Amz-")
}

fn sub_resources(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| !is_argument(name))
        .collect()
}

pub(super) fn classify(
    request: &Incoming<'_>,
    settings: &Settings,
) -> Result<Operation, NotClassified> {
    let partition = &settings.partition;
    let pairs = request.query_pairs();
    let arg = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let subs = sub_resources(&pairs);
    let method = request.method;
    let unknown = || {
        let sub = if subs.is_empty() {
            String::new()
        } else {
            format!("?{}", subs.join("&"))
        };
        NotClassified::Unknown(format!("the S3 request {method} {}{sub}", request.path))
    };
    let sub = match subs.as_slice() {
        [] => None,
        [one] => Some(one.as_str()),
        _ => return Err(unknown()),
    };
    let path = request.path.strip_prefix('/').unwrap_or(request.path);
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let decode = |text: &str| {
        urlencoding::decode(text)
            .map(|t| t.into_owned())
            .map_err(|_| NotClassified::Malformed(format!("the path {path:?} is not UTF-8")))
    };
    let (bucket, key) = (decode(bucket)?, decode(key)?);
    let one = |name: &str, action: &str, resource: String| Operation {
        name: name.into(),
        asks: vec![Ask::new(action, resource)],
    };

    if bucket.is_empty() {
        return match (method, sub) {
            ("GET", None) => Ok(one("ListBuckets", "s3:ListAllMyBuckets", "*".into())),
            _ => Err(unknown()),
        };
    }
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    if key.is_empty() {
        return match (method, sub) {
            ("GET", None) => {
                let name = if arg("list-type") == Some("2") {
                    "ListObjectsV2"
                } else {
                    "ListObjects"
                };
                let mut ask = Ask::new("s3:ListBucket", bucket_arn);
                for (param, key) in [
                    ("prefix", "s3:prefix"),
                    ("delimiter", "s3:delimiter"),
                    ("max-keys", "s3:max-keys"),
                ] {
                    if let Some(value) = arg(param) {
                        ask.context.insert(key, value);
                    }
                }
                Ok(Operation {
                    name: name.into(),
                    asks: vec![ask],
                })
            }
            ("HEAD", None) => Ok(one("HeadBucket", "s3:ListBucket", bucket_arn)),
            ("PUT", None) => Ok(one("CreateBucket", "s3:CreateBucket", bucket_arn)),
            ("DELETE", None) => Ok(one("DeleteBucket", "s3:DeleteBucket", bucket_arn)),
            ("POST", Some("delete")) => delete_objects(request, partition, &bucket),
            ("GET", Some("versions")) => Ok(one(
                "ListObjectVersions",
                "s3:ListBucketVersions",
                bucket_arn,
            )),
            ("GET", Some("uploads")) => Ok(one(
                "ListMultipartUploads",
                "s3:ListBucketMultipartUploads",
                bucket_arn,
            )),
            ("GET", Some("location")) => {
                Ok(one("GetBucketLocation", "s3:GetBucketLocation", bucket_arn))
            }
            (method, Some(sub)) => {
                let index = match method {
                    "GET" => 0,
                    "PUT" => 1,
                    "DELETE" => 2,
                    _ => return Err(unknown()),
                };
                let (name, action) = BUCKET_CONFIGURATIONS
                    .iter()
                    .find(|(s, _)| *s == sub)
                    .map(|(_, ops)| ops[index])
                    .filter(|(name, _)| !name.is_empty())
                    .ok_or_else(unknown)?;
                Ok(one(name, action, bucket_arn))
            }
            _ => Err(unknown()),
        };
    }

    let object_arn = format!("{bucket_arn}/{key}");
    let versioned = |plain: &str, version: &str| {
        if arg("versionId").is_some() {
            version.to_string()
        } else {
            plain.to_string()
        }
    };
    let upload = arg("uploadId").is_some();
    let copy_source = request.header("x-amz-copy-source");
    match (method, sub) {
        ("GET", None) if upload => Ok(one("ListParts", "s3:ListMultipartUploadParts", object_arn)),
        ("GET", None) => Ok(one(
            "GetObject",
            &versioned("s3:GetObject", "s3:GetObjectVersion"),
            object_arn,
        )),
        ("HEAD", None) => Ok(one(
            "HeadObject",
            &versioned("s3:GetObject", "s3:GetObjectVersion"),
            object_arn,
        )),
        ("PUT", None) => {
            let name = match (upload && arg("partNumber").is_some(), copy_source.is_some()) {
                (true, true) => "UploadPartCopy",
                (true, false) => "UploadPart",
                (false, true) => "CopyObject",
                (false, false) => "PutObject",
            };
            let mut asks = vec![Ask::new("s3:PutObject", object_arn)];
            if let Some(source) = copy_source {
                asks.push(copy_source_ask(source, partition)?);
            }
            Ok(Operation {
                name: name.into(),
                asks,
            })
        }
        ("POST", Some("uploads")) => Ok(one("CreateMultipartUpload", "s3:PutObject", object_arn)),
        ("POST", None) if upload => Ok(one("CompleteMultipartUpload", "s3:PutObject", object_arn)),
        ("DELETE", None) if upload => Ok(one(
            "AbortMultipartUpload",
            "s3:AbortMultipartUpload",
            object_arn,
        )),
        ("DELETE", None) => Ok(one(
            "DeleteObject",
            &versioned("s3:DeleteObject", "s3:DeleteObjectVersion"),
            object_arn,
        )),
        ("GET", Some("tagging")) => Ok(one("GetObjectTagging", "s3:GetObjectTagging", object_arn)),
        ("PUT", Some("tagging")) => Ok(one("PutObjectTagging", "s3:PutObjectTagging", object_arn)),
        ("DELETE", Some("tagging")) => Ok(one(
            "DeleteObjectTagging",
            "s3:DeleteObjectTagging",
            object_arn,
        )),
        ("GET", Some("acl")) => Ok(one("GetObjectAcl", "s3:GetObjectAcl", object_arn)),
        ("PUT", Some("acl")) => Ok(one("PutObjectAcl", "s3:PutObjectAcl", object_arn)),
        _ => Err(unknown()),
    }
}

/// `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded: read it.
fn copy_source_ask(source: &str, partition: &str) -> Result<Ask, NotClassified> {
    let (path, query) = source.split_once('?').unwrap_or((source, ""));
    let path = urlencoding::decode(path.trim_start_matches('/'))
        .map_err(|_| NotClassified::Malformed("x-amz-copy-source is not UTF-8".into()))?;
    if !path.contains('/') {
        return Err(NotClassified::Malformed(format!(
            "x-amz-copy-source {source:?} is not bucket/key"
        )));
    }
    let action = if query.contains("versionId=") {
        "s3:GetObjectVersion"
    } else {
        "s3:GetObject"
    };
    Ok(Ask::new(action, format!("arn:{partition}:s3:::{path}")))
}

/// DeleteObjects: `s3:DeleteObject` (or `...Version`) on each key its body lists.
fn delete_objects(
    request: &Incoming<'_>,
    partition: &str,
    bucket: &str,
) -> Result<Operation, NotClassified> {
    let malformed = |what: String| NotClassified::Malformed(format!("DeleteObjects: {what}"));
    let body = request
        .body
        .ok_or_else(|| malformed("its body was not read".into()))?;
    let text = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8".into()))?;
    let mut document = Document::new(text);
    let mut root = document
        .root_element()
        .map_err(|e| malformed(format!("the body is not XML: {e}")))?;
    if !root.start_el().matches("Delete") {
        return Err(malformed("the body is not <Delete>".into()));
    }
    let mut asks = Vec::new();
    while let Some(mut object) = root.next_tag() {
        if !object.start_el().matches("Object") {
            continue;
        }
        let (mut key, mut version) = (None, false);
        while let Some(mut field) = object.next_tag() {
            if field.start_el().matches("Key") {
                let data = try_data(&mut field).map_err(|e| malformed(e.to_string()))?;
                key = Some(data.into_owned());
            } else if field.start_el().matches("VersionId") {
                version = true;
            }
        }
        let key = key.ok_or_else(|| malformed("an <Object> without <Key>".into()))?;
        let action = if version {
            "s3:DeleteObjectVersion"
        } else {
            "s3:DeleteObject"
        };
        asks.push(Ask::new(
            action,
            format!("arn:{partition}:s3:::{bucket}/{key}"),
        ));
    }
    if asks.is_empty() {
        return Err(malformed("no <Object> to delete".into()));
    }
    Ok(Operation {
        name: "DeleteObjects".into(),
        asks,
    })
}
