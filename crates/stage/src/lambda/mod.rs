//! Each function as Lambda runs it: its bootstrap as a process with Lambda's environment,
//! behind a Runtime API of its own ([`runtime_api`]); kept warm between invocations;
//! several at once up to the function's concurrency; its timeout enforced
//! (`Sandbox.Timedout`); a crash or an exit reported as Lambda reports it
//! (`Runtime.ExitError`), and a new process for the next invocation.

pub mod runtime_api;

use runtime_api::{Answer, Invocation, RuntimeApi};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, Semaphore};

/// What Lambda knows of a function.
#[derive(Clone, Debug)]
pub struct FunctionConfig {
    pub name: String,
    /// The `bootstrap` file of a `provided` runtime.
    pub bootstrap: PathBuf,
    /// The template's variables (and, later, the function's own credentials).
    pub environment: BTreeMap<String, String>,
    pub memory_mb: u32,
    pub timeout: Duration,
    /// At most this many invocations at once, each in an environment of its own.
    pub concurrency: usize,
    pub region: String,
    pub account_id: String,
}

impl FunctionConfig {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.name
        )
    }
}

/// A failed invocation, as Lambda's Invoke reports it (`FunctionError`): the type and
/// message, and the payload the runtime sent.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{error_type}: {message}")]
pub struct InvokeError {
    pub error_type: String,
    pub message: String,
    pub payload: Value,
}

impl InvokeError {
    fn new(error_type: &str, message: String) -> Self {
        let payload = json!({"errorType": error_type, "errorMessage": message});
        Self {
            error_type: error_type.to_string(),
            message,
            payload,
        }
    }

    fn from_runtime(error_type: String, body: Value) -> Self {
        let message = body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Self {
            error_type,
            message,
            payload: body,
        }
    }
}

/// A function's execution environments: started on demand, reused while they live.
pub struct LocalFunction {
    config: FunctionConfig,
    idle: Mutex<Vec<Sandbox>>,
    slots: Semaphore,
    /// What its processes wrote, newest last: the function's log, as CloudWatch keeps it.
    log: FunctionLog,
}

/// The last lines a function's processes wrote (stdout and stderr, as Lambda collects both).
#[derive(Clone, Default)]
pub struct FunctionLog(Arc<Mutex<VecDeque<String>>>);

/// Lines kept per function: enough for an init error and the invocations around it.
const LOG_LINES: usize = 500;

impl FunctionLog {
    /// Lambda's `REPORT` line after an invocation: its duration, the memory the process
    /// has used at most, and, after the first of an environment, how long its init took.
    fn report(&self, config: &FunctionConfig, sandbox: &mut Sandbox, duration: Duration) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB",
            sandbox.last_request_id,
            ms(duration),
            ms(duration).ceil() as u64,
            config.memory_mb
        );
        if let Some(peak) = sandbox.peak_memory_mb() {
            line.push_str(&format!("\tMax Memory Used: {peak} MB"));
        }
        if let (false, Some(ready)) = (sandbox.init_reported, sandbox.api.first_next()) {
            line.push_str(&format!(
                "\tInit Duration: {:.2} ms",
                ms(ready.duration_since(sandbox.spawned_at))
            ));
            sandbox.init_reported = true;
        }
        eprintln!("[{}] {line}", config.name);
        self.push(line);
    }

    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap();
        if lines.len() == LOG_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().cloned().collect()
    }

    /// Copies each line of `output` into the log, and to this process's stderr under the
    /// function's name.
    fn follow(
        &self,
        name: &str,
        output: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let (log, name) = (self.clone(), name.to_string());
        tokio::spawn(async move {
            let mut lines = BufReader::new(output).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[{name}] {line}");
                log.push(line);
            }
        })
    }
}

impl LocalFunction {
    pub fn new(config: FunctionConfig) -> Self {
        let slots = Semaphore::new(config.concurrency.max(1));
        Self {
            config,
            idle: Mutex::new(Vec::new()),
            slots,
            log: FunctionLog::default(),
        }
    }

    /// The function's log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lines()
    }

    pub fn config(&self) -> &FunctionConfig {
        &self.config
    }

    /// Runs one invocation in a warm environment, or a new one when none is free.
    pub async fn invoke(&self, payload: Vec<u8>) -> Result<Vec<u8>, InvokeError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .expect("the slots are never closed");
        let mut sandbox = match self.take_warm() {
            Some(sandbox) => sandbox,
            None => Sandbox::start(&self.config, &self.log).await?,
        };
        let started = Instant::now();
        let answer = sandbox.invoke(payload, self.config.timeout).await;
        self.log
            .report(&self.config, &mut sandbox, started.elapsed());
        if sandbox.alive {
            self.idle.lock().unwrap().push(sandbox);
        }
        answer
    }

    /// A warm environment whose runtime still runs. One whose process ended while it was
    /// idle (killed, or gone after its last answer) is dropped: Lambda starts a new
    /// environment then, and never hands an invocation to a runtime that is gone.
    fn take_warm(&self) -> Option<Sandbox> {
        let mut idle = self.idle.lock().unwrap();
        while let Some(mut sandbox) = idle.pop() {
            if matches!(sandbox.process.try_wait(), Ok(None)) {
                return Some(sandbox);
            }
        }
        None
    }

    /// How many environments are warm and free now.
    pub fn warm(&self) -> usize {
        self.idle.lock().unwrap().len()
    }
}

/// How an invocation's wait ended.
enum Ended {
    Answered(Option<Answer>),
    InitFailed(Option<Answer>),
    Exited,
    TimedOut,
}

/// One execution environment: the bootstrap process and its Runtime API.
struct Sandbox {
    api: RuntimeApi,
    process: Child,
    init_error: oneshot::Receiver<Answer>,
    alive: bool,
    spawned_at: Instant,
    init_reported: bool,
    last_request_id: String,
    /// The tasks copying its output into the log: drained when it ends, so what it wrote
    /// before it ended is in the log when the invocation's error is reported.
    followers: Vec<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    async fn start(config: &FunctionConfig, log: &FunctionLog) -> Result<Self, InvokeError> {
        let (init_error_sender, init_error) = oneshot::channel();
        let api = RuntimeApi::start(&config.arn(), init_error_sender)
            .await
            .map_err(|e| InvokeError::new("ServiceException", format!("the Runtime API: {e}")))?;
        let task_root = config
            .bootstrap
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        let mut process = Command::new(&config.bootstrap)
            .env_clear()
            .envs(lambda_environment(config, &api, &task_root))
            .envs(&config.environment)
            .current_dir(&task_root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                InvokeError::new(
                    "Runtime.InvalidEntrypoint",
                    format!("{}: {e}", config.bootstrap.display()),
                )
            })?;
        let mut followers = Vec::new();
        if let Some(stdout) = process.stdout.take() {
            followers.push(log.follow(&config.name, stdout));
        }
        if let Some(stderr) = process.stderr.take() {
            followers.push(log.follow(&config.name, stderr));
        }
        Ok(Self {
            api,
            process,
            init_error,
            alive: true,
            spawned_at: Instant::now(),
            init_reported: false,
            last_request_id: String::new(),
            followers,
        })
    }

    async fn invoke(
        &mut self,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> Result<Vec<u8>, InvokeError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        self.last_request_id = request_id.clone();
        let (answer, answered) = oneshot::channel();
        let invocation = Invocation {
            request_id: request_id.clone(),
            payload: payload.into(),
            deadline: SystemTime::now() + timeout,
            answer,
        };
        if self.api.hand_over(invocation).await.is_err() {
            self.alive = false;
            return Err(InvokeError::new(
                "ServiceException",
                "the environment's Runtime API is gone".into(),
            ));
        }
        // In this order: an answer or an init error the runtime sent before it exited wins.
        let ended = tokio::select! {
            biased;
            answer = answered => Ended::Answered(answer.ok()),
            reported = &mut self.init_error => Ended::InitFailed(reported.ok()),
            _ = self.process.wait() => Ended::Exited,
            _ = tokio::time::sleep(timeout) => Ended::TimedOut,
        };
        match ended {
            Ended::Answered(Some(Answer::Response(body))) => Ok(body.to_vec()),
            Ended::Answered(Some(Answer::Error { error_type, body })) => {
                Err(InvokeError::from_runtime(error_type, body))
            }
            Ended::Answered(None) | Ended::Exited => Err(self.ended(&request_id).await),
            Ended::InitFailed(reported) => {
                self.stop().await;
                Err(match reported {
                    Some(Answer::Error { error_type, body }) => {
                        InvokeError::from_runtime(error_type, body)
                    }
                    _ => InvokeError::new(
                        "Runtime.Unknown",
                        format!("RequestId: {request_id} Error: the runtime failed to start"),
                    ),
                })
            }
            Ended::TimedOut => {
                self.stop().await;
                Err(InvokeError::new(
                    "Sandbox.Timedout",
                    format!(
                        "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                        timeout.as_secs_f64()
                    ),
                ))
            }
        }
    }

    /// The process ended during an invocation: `Runtime.ExitError`, with its status.
    async fn ended(&mut self, request_id: &str) -> InvokeError {
        self.alive = false;
        let status = match self.process.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        };
        self.drain_log().await;
        InvokeError::new(
            "Runtime.ExitError",
            format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
        )
    }

    /// The process's peak resident memory (`VmHWM`), as Lambda's `Max Memory Used`.
    fn peak_memory_mb(&self) -> Option<u64> {
        let pid = self.process.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb.div_ceil(1024))
    }

    /// Waits (a second at most) for the ended process's output to reach the log.
    async fn drain_log(&mut self) {
        for follower in self.followers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(1), follower).await;
        }
    }

    async fn stop(&mut self) {
        self.alive = false;
        let _ = self.process.kill().await;
        self.drain_log().await;
    }
}

/// The variables Lambda sets for a `provided` runtime.
fn lambda_environment(
    config: &FunctionConfig,
    api: &RuntimeApi,
    task_root: &std::path::Path,
) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", api.addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", config.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            config.memory_mb.to_string(),
        ),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", config.name),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            uuid::Uuid::new_v4().to_string(),
        ),
        ("AWS_REGION", config.region.clone()),
        ("AWS_DEFAULT_REGION", config.region.clone()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("LAMBDA_RUNTIME_DIR", task_root.display().to_string()),
        ("PATH", "/usr/local/bin:/usr/bin:/bin".into()),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}
