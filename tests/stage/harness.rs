//! A stage of the project's own template for one test: its bootstraps built, a database
//! of its own, the AWS emulator the tests are given.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wisaw::commands::upload::{upload, UploadOptions};
use wisaw_domain::PhotoStatus;
use wisaw_local::tls::ClientTrust;
use wisaw_stage::compose::{Stage, StageOptions};
use wisaw_testkit::images::{jpeg, two_tone};

/// The Lambda packages whose binaries the template names, and the `wisaw` command the
/// operator runs against the stage.
const PACKAGES: [&str; 7] = [
    "wisaw",
    "wisaw-api",
    "wisaw-ingest",
    "wisaw-validate",
    "wisaw-thumbnail",
    "wisaw-persist",
    "wisaw-notify",
];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests live in the workspace")
        .to_path_buf()
}

/// The folder of this build's binaries (`target/debug`), with the functions' built in it:
/// `cargo test` builds a package's binaries only for its own integration tests.
pub fn functions_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mut command = std::process::Command::new(env!("CARGO"));
            command.arg("build").arg("--bins").current_dir(workspace());
            for package in PACKAGES {
                command.args(["-p", package]);
            }
            let status = command.status().expect("running cargo build");
            assert!(status.success(), "building the functions' binaries failed");
            // This test binary is target/debug/deps/end_to_end-...: two folders up.
            std::env::current_exe()
                .unwrap()
                .parent()
                .and_then(Path::parent)
                .unwrap()
                .to_path_buf()
        })
        .clone()
}

/// One stage at a time: every stage of the project's template names the same bucket and
/// queues in the emulator, and two would take each other's messages.
async fn one_stage_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static STAGE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    STAGE.lock().await
}

/// A database of the test's own, dropped at the end.
pub struct Database {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl Database {
    pub async fn create() -> Option<Self> {
        let admin_url = wisaw_testkit::TestSchema::create("stage")
            .await?
            .base_url()
            .to_string();
        Some(Self::create_on(admin_url).await)
    }

    /// A database of the test's own on the server of `admin_url`.
    pub async fn create_on(admin_url: String) -> Self {
        use sqlx::Connection;
        let name = format!(
            "wisaw_stage_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        url.set_query(None);
        Self {
            admin_url,
            name,
            url: url.to_string(),
        }
    }

    pub async fn drop_now(self) {
        use sqlx::Connection;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
        }
    }
}

/// The options of a stage of `template` (the project's own unless given), its
/// parameters overridden by `overrides`.
fn options(
    template: Option<&Path>,
    overrides: &[(&str, &str)],
    aws_endpoint: &str,
    database: &Database,
    data_dir: &Path,
) -> StageOptions {
    let expires =
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(30 * 86_400);
    let mut parameters = BTreeMap::from([(
        "EventsApiKeyExpires".to_string(),
        expires.as_secs().to_string(),
    )]);
    parameters.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    StageOptions {
        template: template.map_or_else(|| workspace().join("template.yaml"), Path::to_path_buf),
        config_env: "default".into(),
        overrides: parameters,
        functions_dir: functions_dir(),
        aws_endpoint: aws_endpoint.to_string(),
        database_url: Some(database.url.clone()),
        data_dir: data_dir.to_path_buf(),
        listen: "127.0.0.1".parse().unwrap(),
    }
}

/// The stage's output `name`, as text.
pub fn output(stage: &Stage, name: &str) -> String {
    stage.outputs.to_json()[name]
        .as_str()
        .unwrap_or_else(|| panic!("no output {name}"))
        .to_string()
}

/// A copy of the project's template, beside what it refers to (the state machine's
/// definition), with `edit` applied to its text.
pub fn edited_template(dir: &Path, edit: impl FnOnce(String) -> String) -> PathBuf {
    let original = std::fs::read_to_string(workspace().join("template.yaml")).unwrap();
    let edited = edit(original.clone());
    assert_ne!(edited, original, "the edit changed nothing");
    let path = dir.join("template.yaml");
    std::fs::write(&path, edited).unwrap();
    std::os::unix::fs::symlink(workspace().join("statemachines"), dir.join("statemachines"))
        .unwrap();
    path
}

/// A copy of the project's template in `dir` whose thumbnail function may not write its
/// renditions: the statement granting its one `s3:PutObject` on `photos/*` removed.
pub fn without_thumbnail_write(dir: &Path) -> PathBuf {
    const THUMBNAIL_WRITE: &str = "              Action: s3:PutObject";
    edited_template(dir, |text| {
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .windows(2)
            .position(|pair| pair[0].trim_end() == THUMBNAIL_WRITE && pair[1].contains("/photos/*"))
            .expect("the thumbnail's write in the template");
        // The statement is `- Effect: Allow`, its action, its resource.
        without_lines(&text, at - 1, 3)
    })
}

/// The text without `count` lines from the line `at` (counted from 0).
pub fn without_lines(text: &str, at: usize, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = lines[..at].to_vec();
    kept.extend_from_slice(&lines[at + count..]);
    kept.join("\n") + "\n"
}

/// The index of the one line that is `line` (trailing spaces aside).
pub fn line_index(text: &str, line: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end() == line)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(found.len(), 1, "{line:?} is not one line of the template");
    found[0]
}

/// The operator's environment for a stage: the emulator for S3 and SQS, the stage's own
/// Step Functions endpoint, and the stage's outputs as the `WISAW_*` variables.
pub fn operator_environment(stage: &Stage, database: &Database) -> Vec<(String, String)> {
    let outputs = stage.outputs.to_json();
    let endpoint = |service: &str| outputs["Endpoints"][service].as_str().unwrap().to_string();
    [
        ("AWS_ENDPOINT_URL", endpoint("s3")),
        ("AWS_ENDPOINT_URL_SFN", endpoint("stepfunctions")),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("WISAW_STAGE", "test".to_string()),
        ("WISAW_STATE_MACHINE_ARN", output(stage, "StateMachineArn")),
        ("WISAW_INGEST_QUEUE_URL", output(stage, "IngestQueueUrl")),
        (
            "WISAW_DEAD_LETTER_QUEUE_URL",
            output(stage, "DeadLetterQueueUrl"),
        ),
        ("WISAW_BUCKET", output(stage, "BucketName")),
        ("WISAW_DATABASE_URL", database.url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs `wisaw ARGS` as the operator; its output, failing the test if it fails.
pub fn wisaw(environment: &[(String, String)], args: &[&str]) -> String {
    let output = std::process::Command::new(functions_dir().join("wisaw"))
        .args(args)
        .env_remove("AWS_PROFILE")
        .envs(environment.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("running wisaw");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "wisaw {args:?} failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

/// What a stage test stands on: the emulator, a database of its own, a data folder kept
/// across the stage's restarts, and the one-stage-at-a-time turn.
pub struct Fixture {
    pub endpoint: String,
    pub database: Database,
    pub data: tempfile::TempDir,
    _alone: tokio::sync::MutexGuard<'static, ()>,
}

impl Fixture {
    /// `None` (the test skipped, saying so) without the emulator or Postgres.
    pub async fn new(test: &str) -> Option<Self> {
        Self::with_database_on(test, None).await
    }

    /// A fixture whose database is made on the server of `admin_url` (the tests' shared
    /// Postgres when `None`).
    pub async fn with_database_on(test: &str, admin_url: Option<String>) -> Option<Self> {
        let endpoint = wisaw_testkit::aws_emulator::endpoint(test)?;
        let alone = one_stage_at_a_time().await;
        let database = match admin_url {
            Some(admin_url) => Database::create_on(admin_url).await,
            None => Database::create().await?,
        };
        Some(Self {
            endpoint,
            database,
            data: tempfile::tempdir().unwrap(),
            _alone: alone,
        })
    }

    /// A stage of `template` (the project's own unless given) on this fixture.
    pub async fn stage(&self, template: Option<&Path>) -> Stage {
        self.stage_with(template, &[]).await
    }

    /// As [`Fixture::stage`], deployed with `--parameter-overrides` `overrides`.
    pub async fn stage_with(&self, template: Option<&Path>, overrides: &[(&str, &str)]) -> Stage {
        Stage::start(options(
            template,
            overrides,
            &self.endpoint,
            &self.database,
            self.data.path(),
        ))
        .await
        .unwrap()
    }

    pub async fn finish(self, stage: Stage) {
        stage.stop().await;
        self.database.drop_now().await;
    }
}

/// A photo uploaded through `stage` by a phone listening on its channel: ready, its
/// `photo.ready` event heard. Its id.
pub async fn photo_heard_ready(stage: &Stage, within: Duration) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(640, 480))).unwrap();
    let heard = upload(file.path(), &phone(stage, true, within))
        .await
        .unwrap();
    assert_eq!(
        heard.status.status,
        PhotoStatus::Ready,
        "{:?}",
        heard.status
    );
    let (event, _) = heard
        .event
        .expect("photo.ready arrived on the device's channel");
    assert_eq!(event["eventType"], "photo.ready", "{event}");
    heard.status.photo_id.to_string()
}

/// A phone of the stage: its API, its authority trusted, its event channel when `events`.
pub fn phone(stage: &Stage, events: bool, wait: Duration) -> UploadOptions {
    UploadOptions {
        api_url: output(stage, "ApiUrl"),
        lat: 37.77,
        lon: -122.42,
        device_id: uuid::Uuid::new_v4(),
        wait,
        progress: false,
        events_api_key: events.then(|| output(stage, "EventsApiKey")),
        trust: ClientTrust::with_ca_file(stage.outputs.ca_file.as_ref()).unwrap(),
    }
}

/// The photo's status once it is `wanted`, or the last one seen when `within` is up (a
/// replayed photo reads `failed` until its new execution ends).
pub async fn becomes(
    stage: &Stage,
    photo: &str,
    wanted: PhotoStatus,
    within: Duration,
) -> PhotoStatus {
    let client = reqwest::Client::new();
    let api = output(stage, "ApiUrl");
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = wisaw_testkit::photo_status(&client, &api, photo)
            .await
            .status;
        if status == wanted || tokio::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Whether photo `photo`'s original is in the stage's bucket, as the emulator has it.
pub async fn original_kept(fixture: &Fixture, stage: &Stage, photo: &str) -> bool {
    let config = wisaw_testkit::aws_emulator::config(&fixture.endpoint).await;
    let s3 = wisaw_testkit::aws_emulator::s3_client(&config);
    let listed = s3
        .list_objects_v2()
        .bucket(output(stage, "BucketName"))
        .prefix(format!("uploads/{photo}"))
        .send()
        .await
        .unwrap();
    listed.key_count().unwrap_or(0) > 0
}

/// Whether the original of `photo` is gone within a few seconds (it is deleted just
/// after the photo's event is published).
pub async fn original_deleted(fixture: &Fixture, stage: &Stage, photo: &str) -> bool {
    for _ in 0..40 {
        if !original_kept(fixture, stage, photo).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// `wisaw console --aws` on a free port, stopped when dropped.
pub struct ConsoleProcess {
    child: std::process::Child,
    url: String,
}

impl ConsoleProcess {
    pub async fn start(environment: &[(String, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(functions_dir().join("wisaw"))
            .args(["console", "--aws", "--addr", &addr])
            .envs(environment.iter().map(|(k, v)| (k, v)))
            .spawn()
            .unwrap();
        let url = format!("http://{addr}");
        for _ in 0..100 {
            if reqwest::get(format!("{url}/console")).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url }
    }

    pub async fn page(&self, path: &str) -> String {
        let answer = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        text
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
