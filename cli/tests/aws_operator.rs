//! The operator commands against AWS (`--aws`), on the emulator: from a photo id
//! to its execution and history with `wisaw executions show --aws`, the same in the
//! console of `wisaw console --aws` (executions, an execution's path and history, the
//! dead letters), and a failed photo from the dead-letter queue back to ingest with
//! `wisaw dlq replay --aws`, dry run first, recorded in the audit log. The photos'
//! database is Postgres, as on AWS. And the same commands and console on an EXPRESS
//! machine, whose executions are read from its CloudWatch Logs log group.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use wisaw_adapters::aws::{execution_arn, SqsQueue, StepFunctionsOrchestrator};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::read_dead_letters;
use wisaw_domain::ports::{ExecutionStatus, Orchestrator, Queue};
use wisaw_domain::PhotoId;
use wisaw_testkit::aws_emulator::{
    self, create_bucket, create_express_machine, create_log_group, create_queue,
    create_upload_machine, express_execution_arn, logged_history, put_log_events, settled,
    upload_definition, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY,
};

/// A deployed stage, as the emulator holds it.
struct Stage {
    endpoint: String,
    machine: String,
    dead_letter: String,
    ingest: String,
    bucket: String,
    database_url: String,
}

impl Stage {
    /// `wisaw ARGS --aws --stage test`, with the stage's environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wisaw"));
        command
            .args(args)
            .args(["--aws", "--stage", "test"])
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_REGION", REGION)
            .env("WISAW_STATE_MACHINE_ARN", &self.machine)
            .env("WISAW_DEAD_LETTER_QUEUE_URL", &self.dead_letter)
            .env("WISAW_INGEST_QUEUE_URL", &self.ingest)
            .env("WISAW_BUCKET", &self.bucket)
            .env("WISAW_DATABASE_URL", &self.database_url)
            .env_remove("WISAW_STAGE")
            .env("WISAW_LOG", "warn");
        command
    }

    fn wisaw(&self, args: &[&str]) -> String {
        wisaw(self.command(args), args)
    }
}

/// What each test stands up on the emulator before its state machine: the bucket, the
/// dead-letter and ingest queues, and the photos' database. `None` (the test skips)
/// without an emulator or a Postgres.
struct Emulated {
    endpoint: String,
    config: aws_config::SdkConfig,
    bucket: String,
    dead_letter_url: String,
    ingest_url: String,
    database: wisaw_testkit::TestSchema,
}

impl Emulated {
    /// The stage these resources and `machine` make.
    fn stage(&self, machine: &str) -> Stage {
        Stage {
            endpoint: self.endpoint.clone(),
            machine: machine.to_string(),
            dead_letter: self.dead_letter_url.clone(),
            ingest: self.ingest_url.clone(),
            bucket: self.bucket.clone(),
            database_url: self.database.url(),
        }
    }
}

async fn emulated(test: &str, schema: &str) -> Option<Emulated> {
    let endpoint = aws_emulator::endpoint(test)?;
    let database = wisaw_testkit::TestSchema::create(schema).await?;
    let config = aws_emulator::config(&endpoint).await;
    let (_, bucket) = create_bucket(&config).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let (dead_letter_url, _) = create_queue(&sqs, "dlq", &[]).await;
    let (ingest_url, _) = create_queue(&sqs, "ingest", &[]).await;
    Some(Emulated {
        endpoint,
        config,
        bucket,
        dead_letter_url,
        ingest_url,
        database,
    })
}

/// `wisaw console --aws` on a free port, until dropped.
struct ConsoleProcess {
    child: std::process::Child,
    url: String,
}

impl ConsoleProcess {
    fn start(stage: &Stage) -> Self {
        let mut child = stage
            .command(&[
                "console",
                "--addr",
                "127.0.0.1:0",
                "--operator",
                "moto-operator",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting wisaw console");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in `{line}`"))
            .trim_end_matches("/console")
            .to_string();
        Self { child, url }
    }

    async fn page(&self, path: &str) -> String {
        let response = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {body}");
        body
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wisaw(mut command: Command, args: &[&str]) -> String {
    let output = command.output().expect("running wisaw");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "wisaw {args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn an_operator_follows_a_failed_photo_and_replays_it_on_aws() {
    let test = "an_operator_follows_a_failed_photo_and_replays_it_on_aws";
    let Some(emulated) = emulated(test, "aws_operator").await else {
        return;
    };
    let config = &emulated.config;
    let machine =
        create_upload_machine(config, &upload_definition(&emulated.dead_letter_url)).await;

    let orchestrator = StepFunctionsOrchestrator::from_config(config, machine.clone()).unwrap();
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        attempt: 0,
    };
    orchestrator.start_execution(&input).await.unwrap();
    let execution = settled(&orchestrator, &input.execution_name()).await;
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let stage = emulated.stage(&machine);

    let shown = stage.wisaw(&["executions", "show", &photo.to_string()]);
    assert!(shown.contains(&format!("execution {photo}")), "{shown}");
    assert!(shown.contains("status:  FAILED"), "{shown}");
    assert!(
        shown.contains("ExecutionStarted") && shown.contains("TaskStateEntered"),
        "{shown}"
    );
    assert!(
        shown.contains("console: https://us-east-1.console.aws.amazon.com/states/"),
        "{shown}"
    );

    let listed = stage.wisaw(&["executions", "list", "--status", "FAILED"]);
    assert!(listed.contains(&photo.to_string()), "{listed}");

    let dead = stage.wisaw(&["dlq", "list"]);
    assert!(dead.contains(&photo.to_string()), "{dead}");

    // The console's pages, from the same ports.
    let console = ConsoleProcess::start(&stage);
    console_shows_the_failure(
        &console,
        photo,
        &["id=\"aws-console\" href=\"https://us-east-1.console.aws.amazon.com/states/"],
    )
    .await;
    let dead_letters = console.page("/console/dlq").await;
    assert!(
        dead_letters.contains(&format!("data-photo=\"{photo}\"")),
        "{dead_letters}"
    );
    let story = console.page(&format!("/console/photos/{photo}")).await;
    assert!(
        story.contains("missing") && story.contains(&format!("{photo}")),
        "{story}"
    );
    drop(console);

    let json: serde_json::Value =
        serde_json::from_str(&stage.wisaw(&["photo", "show", &photo.to_string(), "--json"]))
            .unwrap();
    assert_eq!(json["executions"][0]["status"], "FAILED", "{json}");
    assert_eq!(
        json["deadLetters"][0]["letters"][0]["photoId"],
        photo.to_string(),
        "{json}"
    );
    assert_eq!(json["blobs"][0]["size"], serde_json::Value::Null, "{json}");

    let dry = stage.wisaw(&["dlq", "replay", "--photo", &photo.to_string(), "--dry-run"]);
    assert!(
        dry.contains("would replay (1)") && dry.contains("nothing was sent"),
        "{dry}"
    );
    let replayed = stage.wisaw(&[
        "dlq",
        "replay",
        "--photo",
        &photo.to_string(),
        "--operator",
        "moto-operator",
    ]);
    assert!(replayed.contains("replayed 1 photo(s)"), "{replayed}");
    assert!(replayed.contains("by moto-operator"), "{replayed}");
    let settings =
        wisaw_adapters::postgres::PostgresSettings::from_url(&emulated.database.url()).unwrap();
    let audit = wisaw_adapters::postgres::PostgresMetadataStore::connect(&settings)
        .await
        .unwrap();
    let records = wisaw_domain::ports::ReplayAudit::replays(&audit, 10)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].operator, "moto-operator");
    assert_eq!(records[0].photos[0].photo_id, photo);
    assert!(records[0].finished_at.is_some());

    let ingest = SqsQueue::from_config(config, emulated.ingest_url.clone());
    let messages = ingest
        .receive(10, Duration::from_secs(30), Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    let letters = read_dead_letters(&messages[0].body).unwrap();
    assert_eq!((letters[0].photo_id, letters[0].attempt), (photo, 1));
    let dead_letter = SqsQueue::from_config(config, emulated.dead_letter_url.clone());
    assert!(dead_letter
        .receive(10, Duration::from_secs(30), Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
}

/// An EXPRESS stage: Step Functions keeps no history of its executions, only the log
/// events it writes to the machine's log group, and the commands and the console show
/// an execution from those alone, drawn as a Standard one is.
#[tokio::test]
async fn an_operator_follows_an_express_photo_from_its_logs_on_aws() {
    let test = "an_operator_follows_an_express_photo_from_its_logs_on_aws";
    let Some(emulated) = emulated(test, "aws_operator_express").await else {
        return;
    };
    let (endpoint, config) = (&emulated.endpoint, &emulated.config);
    let log_group = create_log_group(endpoint).await;
    let machine = create_express_machine(
        config,
        &upload_definition(&emulated.dead_letter_url),
        Some(&log_group),
    )
    .await;

    // The emulator runs the photo's execution; its history goes to the log group as AWS
    // writes an Express execution's, under the ARN AWS gives it (`…:express:…:ID`).
    let emulator = StepFunctionsOrchestrator::from_config(config, machine.clone()).unwrap();
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        attempt: 0,
    };
    let name = input.execution_name();
    emulator.start_execution(&input).await.unwrap();
    assert_eq!(
        settled(&emulator, &name).await.status,
        ExecutionStatus::Failed
    );
    let express_arn = express_execution_arn(&machine, &name);
    let logged = logged_history(
        endpoint,
        &execution_arn(&machine, &name).unwrap(),
        &express_arn,
    )
    .await;
    put_log_events(endpoint, &log_group, &logged).await;
    let stage = emulated.stage(&machine);
    let express_page = format!("#/express-executions/details/{express_arn}?startDate=");

    let shown = stage.wisaw(&["executions", "show", &photo.to_string()]);
    for part in [
        format!("execution {photo}"),
        format!("id:      {express_arn}"),
        "status:  FAILED".to_string(),
        "ExecutionStarted".to_string(),
        "TaskStateEntered".to_string(),
        "ExecutionFailed".to_string(),
        express_page.clone(),
    ] {
        assert!(shown.contains(&part), "{part}: {shown}");
    }
    let listed = stage.wisaw(&["executions", "list", "--status", "FAILED"]);
    assert!(listed.contains(&photo.to_string()), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&stage.wisaw(&["photo", "show", &photo.to_string(), "--json"]))
            .unwrap();
    let execution = &json["executions"][0];
    assert_eq!(execution["executionId"], express_arn, "{json}");
    assert_eq!(execution["status"], "FAILED", "{json}");
    assert_eq!(execution["recorded"], "failed", "{json}");

    let console = ConsoleProcess::start(&stage);
    console_shows_the_failure(
        &console,
        photo,
        &["data-type=\"LambdaFunctionFailed\"", &express_page],
    )
    .await;
}

/// The console's failed executions list the photo, and its execution's page draws the
/// upload's failure path (Validate caught, PhotoFailed failed, the execution's first and
/// last events) with `parts` besides.
async fn console_shows_the_failure(console: &ConsoleProcess, photo: PhotoId, parts: &[&str]) {
    let failed = console.page("/console/executions?status=FAILED").await;
    assert!(
        failed.contains(&format!("data-name=\"{photo}\"")),
        "{failed}"
    );
    let execution = console.page(&format!("/console/executions/{photo}")).await;
    let drawn = [
        "class=\"state caught\" data-state=\"Validate\"",
        "class=\"state failed\" data-state=\"PhotoFailed\"",
        "data-type=\"ExecutionStarted\"",
        "data-type=\"ExecutionFailed\"",
    ];
    for part in drawn.iter().chain(parts) {
        assert!(execution.contains(part), "{part}: {execution}");
    }
}
