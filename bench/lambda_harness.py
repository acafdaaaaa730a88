"""Cold and warm starts of the Lambda functions' release binaries, on this machine.

A small implementation of the Lambda Runtime API (2018-06-01: invocation/next, the
invocation's response and error, init/error) starts each function's bootstrap as Lambda
does, with the variables Lambda sets, pinned to core 0 (Lambda's 1,769 MB is one vCPU),
and hands it real events: one photo per invocation, in pipeline order, so that every
payload is what the previous step really answered:

    api POST /v1/uploads -> PUT the photo -> S3 notification -> dispatch (SQS event)
    -> validate -> thumbnail -> persist -> notify -> api GET /v1/photos/{id}, GET /v1/feed

validate and thumbnail also run on a 48 MP photo. The backends are moto (S3, SQS, Step
Functions, Secrets Manager; started here on core 1), a fresh database on the local
Postgres, and a stand-in for the AppSync Events publish endpoint (see EventsEndpoint).

For every function and input it starts several processes (--cold-starts) and measures
in each: init (spawn to the first `GET .../next`) and the first invocation (event handed
over to the answer's POST); the first process also serves N warm invocations (--warm).
With each: the CPU time of all the process's threads (/proc/PID/task/*/schedstat), minor
page faults, peak RSS (VmHWM) and the connections the process holds. Every answer is
checked: a function that fails or answers wrongly stops the run, so a broken function
never yields a figure. `wisaw render` of the 12 MP photo is timed on the same core for
comparison with the thumbnail step. Processes outside the run that were busy meanwhile
(another build, another benchmark) are named in the report.

    .venv/bin/python bench/lambda_harness.py              # measures; writes bench/results/
    .venv/bin/python bench/lambda_harness.py --build      # builds the release binaries first
    .venv/bin/python bench/lambda_harness.py --wait-quiet 3600  # first waits for builds to end
    .venv/bin/python bench/lambda_harness.py --trace      # SDK/HTTP/sqlx debug logs, kept in
                                                          # bench/work; figures not saved

Needs: the release binaries (bench/lambda_sizes.sh builds them, each from its own package),
target/release/wisaw, Postgres on 127.0.0.1:5432 (trust, user postgres), boto3 and moto in
.venv, and bench/inputs (bench/make_inputs.py; made here with bench/.venv when missing).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RUNTIME_PREFIX = "/2018-06-01/runtime"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FUNCTION_CORE, BACKEND_CORE = 0, 1

# Each function's binary and package, built from its own package (as bench/lambda_sizes.sh
# and cargo lambda do), so that its features are that package's alone.
FUNCTIONS = {
    "api": ("wisaw-api", "api"),
    "dispatch": ("wisaw-ingest", "ingest"),
    "validate": ("wisaw-validate", "workers/validate"),
    "thumbnail": ("wisaw-thumbnail", "workers/thumbnail"),
    "persist": ("wisaw-persist", "workers/persist"),
    "notify": ("wisaw-notify", "workers/notify"),
}
PHOTOS = {"12mp-jpeg": ("photo-12mp.jpg", 4032 * 3024), "48mp-jpeg": ("photo-48mp.jpg", 8064 * 6048)}
STEPS = ["Validate", "Thumbnail", "Persist", "Notify"]
# Where the SDK, its HTTP stack and sqlx say what they do, for --trace.
TRACE_FILTER = (
    "info,aws_config=debug,aws_smithy_runtime=debug,aws_smithy_http_client=debug,"
    "aws_smithy_runtime_api=debug,hyper_util=debug,sqlx=debug,reqwest=debug"
)
BUILD_TOOLS = {"cargo", "rustc", "cc1", "cc1plus", "ld", "ld.lld", "lld", "clang"}
INIT_TARGET_MS = 25.0
RENDER_TARGET_RATIO = 1.10


class HarnessFailure(Exception):
    """A function failed, answered wrongly, or a backend is missing: no figure is valid."""


# ----------------------------------------------------------------- the process, from /proc


class ProcessProbe:
    """CPU time, peak RSS and connections of one process, read from /proc.

    /proc/PID/stat counts CPU in clock ticks (10 ms), too coarse for a 2 ms invocation;
    each thread's schedstat is in nanoseconds. A thread that has exited keeps its last
    reading here (the time it ran after that is lost; the exit total from wait4, kept in
    the results, shows how much)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.thread_ns: dict[str, int] = {}

    def cpu_ns(self) -> int:
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/schedstat") as f:
                    self.thread_ns[tid] = int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
        return sum(self.thread_ns.values())

    def status(self, field_name: str) -> str:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return line.split(":", 1)[1].strip()
        raise HarnessFailure(f"/proc/{self.pid}/status has no {field_name}")

    def minor_faults(self) -> int:
        """Pages the process touched for the first time (all its threads, the dead too)."""
        with open(f"/proc/{self.pid}/stat") as f:
            stat = f.read()
        return int(stat[stat.rindex(")") + 2:].split()[7])

    def peak_rss_kib(self) -> int:
        return int(self.status("VmHWM").split()[0])

    def remote_ports(self) -> Counter:
        """The remote ports of this process's established TCP connections."""
        inodes = set()
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                target = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except FileNotFoundError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = Counter()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for row in f.readlines()[1:]:
                    cols = row.split()
                    if cols[3] == "01" and cols[9] in inodes:  # 01: ESTABLISHED
                        ports[int(cols[2].rsplit(":", 1)[1], 16)] += 1
        return ports


@dataclass
class Sample:
    """The process as it asks for an event: idle, so its counters are settled."""

    ns: int
    cpu_ns: int
    minor_faults: int
    peak_rss_kib: int
    ports: Counter


# ----------------------------------------------------------------- the Runtime API


@dataclass
class Invocation:
    payload: bytes
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    handed_ns: int | None = None
    answered_ns: int | None = None
    outcome: str | None = None  # "response" or "error"
    body: bytes = b""
    error_type: str | None = None


class RuntimeApi(ThreadingHTTPServer):
    """The Runtime API for one process: events are handed over one at a time, when the
    runtime asks (as Lambda does); each `GET .../next` is also when the process is sampled."""

    daemon_threads = True

    def __init__(self, function_arn: str, timeout_s: int, log):
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.function_arn, self.timeout_s, self.log = function_arn, timeout_s, log
        self.pending: queue.Queue[Invocation | None] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.samples: list[Sample] = []
        self.changed = threading.Condition()
        self.init_error: bytes | None = None
        self.probe: ProcessProbe | None = None
        self.spawned = threading.Event()
        self.ports_at: set[int] = {0}  # which samples read the process's connections

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def sample(self):
        self.spawned.wait()
        now = time.perf_counter_ns()
        probe = self.probe
        sample = Sample(now, probe.cpu_ns(), probe.minor_faults(), probe.peak_rss_kib(), Counter())
        # Reading the TCP tables takes the kernel ~10 ms here: only where the report uses them.
        if len(self.samples) in self.ports_at:
            sample.ports = probe.remote_ports()
        self.log(f"harness: asks for an event (CPU {sample.cpu_ns / 1e6:.2f} ms, VmHWM {sample.peak_rss_kib} KiB;"
                 f" sampled in {(time.perf_counter_ns() - now) / 1e6:.2f} ms)")
        with self.changed:
            self.samples.append(sample)
            self.changed.notify_all()

    def handle_error(self, request, client_address):
        # The process going away mid-request is how every run ends.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def next_event(self) -> Invocation | None:
        invocation = self.pending.get()
        if invocation is not None:
            self.invocations[invocation.request_id] = invocation
        return invocation

    def answer(self, request_id: str, outcome: str, body: bytes, error_type: str | None, ns: int):
        invocation = self.invocations.get(request_id)
        if invocation is None:
            raise HarnessFailure(f"an answer for an unknown request id {request_id}")
        invocation.answered_ns, invocation.outcome = ns, outcome
        invocation.body, invocation.error_type = body, error_type
        self.log(f"harness: {outcome} for {request_id} ({error_type or 'no error type'})")
        with self.changed:
            self.changed.notify_all()

    def fail_init(self, body: bytes):
        with self.changed:
            self.init_error = body
            self.changed.notify_all()


class RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # the runtime client keeps its connection alive
    # Headers and body go out in separate writes: without this, Nagle and the peer's
    # delayed ACK add 40 ms to some answers.
    disable_nagle_algorithm = True
    server: RuntimeApi

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != f"{RUNTIME_PREFIX}/invocation/next":
            return reply(self, 404, b'{"errorType":"NotFound"}')
        self.server.sample()
        invocation = self.server.next_event()
        if invocation is None:  # the harness is stopping the process
            self.close_connection = True
            return reply(self, 500, b'{"errorType":"ShuttingDown"}')
        deadline = int(time.time() * 1000) + self.server.timeout_s * 1000
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
        headers = [
            ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn", self.server.function_arn),
            ("Lambda-Runtime-Trace-Id", trace),
        ]
        self.server.log(f"harness: event {invocation.request_id} handed over")
        invocation.handed_ns = time.perf_counter_ns()
        reply(self, 200, invocation.payload, headers)

    def do_POST(self):
        body = read_body(self)
        now = time.perf_counter_ns()
        answer = re.fullmatch(rf"{RUNTIME_PREFIX}/invocation/([^/]+)/(response|error)", self.path)
        if answer:
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            self.server.answer(answer[1], answer[2], body, error_type, now)
        elif self.path == f"{RUNTIME_PREFIX}/init/error":
            self.server.fail_init(body)
        else:
            return reply(self, 404, b'{"errorType":"NotFound"}')
        reply(self, 202, b'{"status":"OK"}')


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while size := int(handler.rfile.readline().split(b";")[0], 16):
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers=()):
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def serve_in_background(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ----------------------------------------------------------------- one function process


@dataclass
class FunctionSpec:
    name: str
    binary: Path
    memory_mb: int
    timeout_s: int


def spawn_pinned(command: list[str], core: int, **options) -> subprocess.Popen:
    """A child inherits the affinity of the thread that spawns it: set this thread's for
    the spawn alone (the same as `taskset -c CORE`, without taskset's own exec in the
    measured init)."""
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        return subprocess.Popen(command, **options)
    finally:
        os.sched_setaffinity(0, saved)


class FunctionProcess:
    """One execution environment: the bootstrap, its Runtime API, its log."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], log_path: Path, wait_s: float):
        self.spec, self.wait_s = spec, wait_s
        self.log_file = open(log_path, "w", buffering=1)
        self.log_lock = threading.Lock()
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:wisaw-harness-{spec.name}"
        self.api = serve_in_background(RuntimeApi(arn, spec.timeout_s, self.log))
        self.env = {**env, "AWS_LAMBDA_RUNTIME_API": self.api.address}
        self.process: subprocess.Popen | None = None
        self.copier: threading.Thread | None = None
        self.spawn_ns = 0
        self.exit_cpu_ms: float | None = None

    def log(self, line: str):
        # Stamped on arrival (the runtime's own log lines carry no time).
        stamp = (time.perf_counter_ns() - self.spawn_ns) / 1e6
        with self.log_lock:
            self.log_file.write(f"+{stamp:10.3f} ms  {line}\n")

    def copy_output(self):
        for raw in self.process.stdout:
            self.log(raw.decode(errors="replace").rstrip("\n"))

    def start(self) -> Sample:
        self.spawn_ns = time.perf_counter_ns()
        self.process = spawn_pinned(
            [str(self.spec.binary)], FUNCTION_CORE, env=self.env, cwd=self.env["LAMBDA_TASK_ROOT"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        self.api.probe = ProcessProbe(self.process.pid)
        self.api.spawned.set()
        self.copier = threading.Thread(target=self.copy_output, daemon=True)
        self.copier.start()
        sample = self.wait_for_samples(1)
        cpus = self.api.probe.status("Cpus_allowed_list")
        if cpus != str(FUNCTION_CORE):
            raise HarnessFailure(f"{self.spec.name} runs on cores {cpus}, not {FUNCTION_CORE}")
        return sample

    def wait_for_samples(self, count: int) -> Sample:
        """Until the runtime has asked for its `count`-th event; fails loudly if the
        process reports an init error, exits, or takes too long."""
        deadline = time.monotonic() + self.wait_s
        with self.api.changed:
            while len(self.api.samples) < count:
                if self.api.init_error is not None:
                    self.fail(f"init error: {self.api.init_error.decode(errors='replace')}")
                if self.process.poll() is not None:
                    self.fail(f"exited with status {self.process.returncode}")
                if time.monotonic() > deadline:
                    self.fail(f"did not ask for an event within {self.wait_s:.0f} s")
                self.api.changed.wait(0.05)
            return self.api.samples[count - 1]

    def invoke(self, payload: dict) -> tuple[Invocation, Sample, Sample]:
        """Hands over one event; returns it answered, with the samples around it."""
        asked = len(self.api.samples)
        before = self.api.samples[asked - 1]
        invocation = Invocation(json.dumps(payload).encode())
        self.api.pending.put(invocation)
        after = self.wait_for_samples(asked + 1)
        if invocation.answered_ns is None:
            self.fail("asked for another event without answering")
        return invocation, before, after

    def stop(self):
        """As Lambda does when it reclaims the environment; keeps the process's CPU total."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 2
            while True:
                pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
                if pid:
                    self.process.returncode = os.waitstatus_to_exitcode(status)
                    self.exit_cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
                    break
                if time.monotonic() > deadline:
                    self.process.kill()
                    deadline = math.inf
                time.sleep(0.01)
        self.api.pending.put(None)  # releases the handler still waiting for an event
        self.api.shutdown()
        self.api.server_close()
        if self.copier:
            self.copier.join(5)  # the process's last lines, up to its pipe's end
        self.log_file.close()

    def tail(self, lines: int = 40) -> str:
        if not self.log_file.closed:
            self.log_file.flush()
        return "\n".join(Path(self.log_file.name).read_text().splitlines()[-lines:])

    def fail(self, why: str):
        raise HarnessFailure(f"{self.spec.name}: {why}\n--- its log, last lines:\n{self.tail()}")


# ----------------------------------------------------------------- the AppSync Events stand-in


class EventsEndpoint(ThreadingHTTPServer):
    """Stands in for AppSync Events' HTTP publish (`POST /event`). The project's own
    implementation of the protocol lives inside `wisaw serve` (local/src/events) and
    accepts only channels named with that server's secret and its own publisher key, so it
    cannot take notify's publishes here. This accepts a SigV4-signed publish (the signature
    is checked for its presence and scope, not recomputed) and answers as AppSync does:
    `{"successful": [{"identifier", "index"}], "failed": []}`."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EventsHandler)
        self.published: list[tuple[str, dict]] = []  # (channel, event)
        self.lock = threading.Lock()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/event"

    @property
    def realtime_url(self) -> str:
        return f"ws://127.0.0.1:{self.server_address[1]}/event/realtime"

    def events_for(self, photo_id: str) -> list[tuple[str, dict]]:
        with self.lock:
            return [(c, e) for c, e in self.published if e.get("photoId") == photo_id]


class EventsHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: EventsEndpoint

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = read_body(self)
        authorization = self.headers.get("Authorization", "")
        if self.path != "/event" or not re.match(
            rf"AWS4-HMAC-SHA256 Credential=\w+/\d{{8}}/{REGION}/appsync/aws4_request", authorization
        ):
            return reply(self, 401, b'{"errors":[{"errorType":"UnauthorizedException"}]}')
        request = json.loads(body)
        events = [json.loads(event) for event in request["events"]]
        with self.server.lock:
            self.server.published += [(request["channel"], event) for event in events]
        answer = {
            "successful": [{"identifier": str(uuid.uuid4()), "index": i} for i in range(len(events))],
            "failed": [],
        }
        reply(self, 200, json.dumps(answer).encode())


# ----------------------------------------------------------------- moto, Postgres, the stage


class Moto:
    """moto's server on core 1, with its state-machine interpreter on (as CI runs it)."""

    def __init__(self, port: int, log_path: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self):
        if http_ok(self.url + "/moto-api/"):
            raise HarnessFailure(f"something already listens on {self.url}; stop it or pass --moto-port")
        server = ROOT / ".venv/bin/moto_server"
        port = self.url.rsplit(":", 1)[1]
        self.process = spawn_pinned(
            [str(server), "-H", "127.0.0.1", "-p", port], BACKEND_CORE,
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not http_ok(self.url + "/moto-api/"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise HarnessFailure(f"moto did not start: see {self.log_path}")
            time.sleep(0.2)
        config = json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode()
        urllib.request.urlopen(urllib.request.Request(
            self.url + "/moto-api/config", config, {"Content-Type": "application/json"}
        )).read()

    def client(self, service: str):
        return boto3.client(
            service, endpoint_url=self.url, region_name=REGION,
            aws_access_key_id="test", aws_secret_access_key="test",
        )

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def psql(database_url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", database_url, "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise HarnessFailure(f"psql {sql!r}: {result.stderr.strip()}")
    return result.stdout.strip()


@dataclass
class Stage:
    bucket: str
    ingest_url: str
    ingest_arn: str
    dead_letter_url: str
    machine_arn: str
    database_secret_arn: str
    database_url: str
    feed_cursor_secret_arn: str
    device_channel_secret_arn: str


def queue_arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def upload_definition(dead_letter_url: str) -> str:
    """The real state machine, with its substitutions filled as the tests fill them."""
    definition = (ROOT / "statemachines/upload.asl.json").read_text()
    for step in STEPS:
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:wisaw-harness-{step.lower()}"
        definition = definition.replace(f"${{{step}FunctionArn}}", arn)
    definition = definition.replace("${DeadLetterQueueUrl}", dead_letter_url)
    if "${" in definition:
        raise HarnessFailure("the state machine has a substitution the harness does not fill")
    return definition


def create_stage(moto: Moto, name: str, database: dict) -> Stage:
    s3, sqs = moto.client("s3"), moto.client("sqs")
    sfn, secrets_manager = moto.client("stepfunctions"), moto.client("secretsmanager")
    ingest_url = sqs.create_queue(QueueName=f"{name}-ingest")["QueueUrl"]
    dead_letter_url = sqs.create_queue(QueueName=f"{name}-dead-letters")["QueueUrl"]
    ingest_arn = queue_arn(sqs, ingest_url)
    s3.create_bucket(Bucket=name)
    # Uploads notify the ingest queue, as the template's bucket does.
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
        "QueueConfigurations": [{
            "QueueArn": ingest_arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
        }],
    })
    machine_arn = sfn.create_state_machine(
        name=f"{name}-upload", definition=upload_definition(dead_letter_url),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}-upload",
    )["stateMachineArn"]

    def secret(suffix: str, value: str) -> str:
        return secrets_manager.create_secret(Name=f"{name}-{suffix}", SecretString=value)["ARN"]

    return Stage(
        bucket=name, ingest_url=ingest_url, ingest_arn=ingest_arn, dead_letter_url=dead_letter_url,
        machine_arn=machine_arn,
        # The functions read the database from its RDS-style secret, as deployed.
        database_secret_arn=secret("database", json.dumps(database)),
        database_url=f"postgres://{database['username']}@{database['host']}:{database['port']}/{database['dbname']}",
        feed_cursor_secret_arn=secret("feed-cursor", secrets.token_hex(32)),
        device_channel_secret_arn=secret("device-channel", secrets.token_hex(32)),
    )


def lambda_environment(spec: FunctionSpec, stage: Stage, events: EventsEndpoint, moto: Moto,
                       home: Path, args) -> dict[str, str]:
    """What Lambda gives a provided.al2023 function (no more of this machine's environment:
    no profile files, no CA bundle variables), and the template's WISAW_* variables."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),
        "LAMBDA_TASK_ROOT": str(home),
        "_HANDLER": "bootstrap",
        "AWS_LAMBDA_FUNCTION_NAME": f"wisaw-harness-{spec.name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/wisaw-harness-{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + secrets.token_hex(16),
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_SESSION_TOKEN": "harness-session",
        "AWS_ENDPOINT_URL": moto.url,
        "WISAW_STAGE": "harness",
        "WISAW_BUCKET": stage.bucket,
        "WISAW_INGEST_QUEUE_URL": stage.ingest_url,
        "WISAW_DEAD_LETTER_QUEUE_URL": stage.dead_letter_url,
        "WISAW_STATE_MACHINE_ARN": stage.machine_arn,
        "WISAW_FEED_CURSOR_SECRET_ARN": stage.feed_cursor_secret_arn,
        "WISAW_DEVICE_CHANNEL_SECRET_ARN": stage.device_channel_secret_arn,
        "WISAW_EVENTS_HTTP_URL": events.http_url,
        "WISAW_EVENTS_REALTIME_URL": events.realtime_url,
    }
    env.update(lambda_certificates(home))
    if args.database_url:
        env["WISAW_DATABASE_URL"] = stage.database_url
    else:  # as deployed: the RDS secret, read during init
        env["WISAW_DATABASE_SECRET_ARN"] = stage.database_secret_arn
    if args.trace:
        env["RUST_LOG"] = TRACE_FILTER
    return env


def lambda_certificates(home: Path) -> dict[str, str]:
    """The trust store closer to Lambda's image (AL2023: CA bundles under /etc/pki/tls/certs,
    no per-CA hashed links). The SDK's TLS stack (rustls-native-certs) reads, during init,
    every file of the certificate directory it finds; a Debian /etc/ssl/certs holds each CA
    twice (the bundle and ~140 hashed links), ~3 ms of init CPU here that Lambda does not
    spend. Only the bundle is read: its parsing is left in the figures."""
    bundle = next((b for b in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
                   if Path(b).exists()), None)
    if bundle is None:
        return {}
    empty = home / "no-hashed-certs"
    empty.mkdir(exist_ok=True)
    return {"SSL_CERT_FILE": bundle, "SSL_CERT_DIR": str(empty)}


# ----------------------------------------------------------------- measuring one function × input


@dataclass
class ProcessRun:
    """One execution environment's life: its init, then its invocations in order."""

    init_ms: float
    init_cpu_ms: float
    init_minor_faults: int
    init_peak_rss_kib: int
    wall_ms: list[float]
    cpu_ms: list[float]
    minor_faults: list[int]
    peak_rss_kib: int
    exit_cpu_ms: float | None
    # Remote side -> established connections, when the runtime asks for an event.
    connections: list[dict[str, int]]


@dataclass
class Measurement:
    """One function on one input: `cold_starts` processes, the first of which also served
    the warm invocations. The single figures are medians over the cold starts."""

    function: str
    input: str
    memory_mb: int
    binary_bytes: int
    binary_built: str
    init_ms: float
    init_cpu_ms: float
    first_ms: float
    first_cpu_ms: float
    warm_ms: list[float]
    warm_cpu_ms: list[float]
    peak_rss_kib: int
    init_peak_rss_kib: int
    # Minor page faults: memory touched for the first time.
    init_minor_faults: int
    first_minor_faults: int
    warm_minor_faults: list[int]
    connections_after_init: dict[str, int]
    connections_after_first: dict[str, int]
    connections_at_end: dict[str, int]
    cold_starts: list[ProcessRun]


def summarize(spec: FunctionSpec, label: str, runs: list[ProcessRun]) -> Measurement:
    def median(values):
        return statistics.median(values)

    served = runs[0]  # the one with the warm invocations
    return Measurement(
        function=spec.name, input=label, memory_mb=spec.memory_mb, binary_bytes=spec.binary.stat().st_size,
        binary_built=built_at(spec.binary),
        init_ms=median([r.init_ms for r in runs]), init_cpu_ms=median([r.init_cpu_ms for r in runs]),
        first_ms=median([r.wall_ms[0] for r in runs]), first_cpu_ms=median([r.cpu_ms[0] for r in runs]),
        warm_ms=served.wall_ms[1:], warm_cpu_ms=served.cpu_ms[1:],
        peak_rss_kib=max(r.peak_rss_kib for r in runs), init_peak_rss_kib=max(r.init_peak_rss_kib for r in runs),
        init_minor_faults=round(median([r.init_minor_faults for r in runs])),
        first_minor_faults=round(median([r.minor_faults[0] for r in runs])),
        warm_minor_faults=served.minor_faults[1:],
        connections_after_init=served.connections[0], connections_after_first=served.connections[1],
        connections_at_end=served.connections[-1], cold_starts=runs,
    )


class Bench:
    """The run's shared pieces: the stage, the events endpoint, where logs go."""

    def __init__(self, args, stage: Stage, events: EventsEndpoint, moto: Moto, work: Path):
        self.args, self.stage, self.events, self.moto, self.work = args, stage, events, moto, work
        self.ports = {moto.url.rsplit(":", 1)[1]: "moto", "5432": "postgres",
                      str(events.server_address[1]): "events"}
        self.runs = 0

    @property
    def photos_per_stage(self) -> int:
        return self.args.warm + self.args.cold_starts

    def process(self, spec: FunctionSpec, label: str) -> FunctionProcess:
        self.runs += 1
        env = lambda_environment(spec, self.stage, self.events, self.moto, self.work, self.args)
        log = self.work / f"{self.runs:02d}-{spec.name}-{label}.log"
        return FunctionProcess(spec, env, log, wait_s=max(60, spec.timeout_s * 2))

    def named_ports(self, ports: Counter, runtime_port: int) -> dict[str, int]:
        names = {**self.ports, str(runtime_port): "runtime-api"}
        return {names.get(str(port), str(port)): n for port, n in sorted(ports.items())}

    def measure(self, spec: FunctionSpec, label: str, payloads: list[dict], check,
                between=None) -> tuple[Measurement, list]:
        """Hands `payloads` over in order: the first process gets a cold one and the warm
        ones, every further process one cold payload. `check(index, invocation)` judges
        each answer (and returns what the next steps need); `between()`, if given, runs
        after each invocation of the first process, while it waits for its next event."""
        served = self.args.warm + 1
        batches = [range(served)] + [range(i, i + 1) for i in range(served, len(payloads))]
        runs, answers = [], []
        for number, batch in enumerate(batches):
            run, batch_answers = self.run_process(spec, label, [(i, payloads[i]) for i in batch], check,
                                                  between if number == 0 else None)
            runs.append(run)
            answers += batch_answers
        return summarize(spec, label, runs), answers

    def run_process(self, spec: FunctionSpec, label: str, payloads: list[tuple[int, dict]], check, between):
        process = self.process(spec, label)
        process.api.ports_at = {0, 1, len(payloads)}  # after init, after the first, at the end
        answers, walls, cpus, faults, samples = [], [], [], [], []
        try:
            samples.append(process.start())
            for index, payload in payloads:
                invocation, before, after = process.invoke(payload)
                try:
                    answers.append(check(index, invocation))
                except Exception as error:  # a wrong answer, or a backend that disagrees
                    process.fail(f"invocation {index} of {label}: {error!r}; answered "
                                 f"{invocation.outcome} {invocation.body[:2000]!r}")
                walls.append((invocation.answered_ns - invocation.handed_ns) / 1e6)
                cpus.append((after.cpu_ns - before.cpu_ns) / 1e6)
                faults.append(after.minor_faults - before.minor_faults)
                samples.append(after)
                if between:
                    between()
                time.sleep(self.args.gap_ms / 1000)
        finally:
            process.stop()
        runtime_port = process.api.server_address[1]
        init = samples[0]
        return ProcessRun(
            init_ms=(init.ns - process.spawn_ns) / 1e6, init_cpu_ms=init.cpu_ns / 1e6,
            init_minor_faults=init.minor_faults, init_peak_rss_kib=init.peak_rss_kib,
            wall_ms=walls, cpu_ms=cpus, minor_faults=faults, peak_rss_kib=samples[-1].peak_rss_kib,
            exit_cpu_ms=process.exit_cpu_ms,
            connections=[self.named_ports(samples[i].ports, runtime_port) for i in sorted(process.api.ports_at)],
        ), answers

    def prime(self, spec: FunctionSpec):
        """One start and stop, unmeasured: the binary in the page cache and, on the
        first, the database's schema created (a production cold start finds it there)."""
        process = self.process(spec, "prime")
        try:
            process.start()
        finally:
            process.stop()


# ----------------------------------------------------------------- events and their checks


def answer_json(invocation: Invocation) -> dict:
    if invocation.outcome != "response":
        raise HarnessFailure(f"{invocation.outcome} {invocation.error_type}: {invocation.body!r}")
    return json.loads(invocation.body)


def api_event(method: str, path: str, fixture: str, body: dict | None = None, path_photo: str | None = None) -> dict:
    """An API Gateway HTTP API (payload v2) event, from the api's own test fixtures."""
    event = json.loads((ROOT / "api/tests/fixtures/events" / fixture).read_text())
    context = event["requestContext"]
    context["requestId"] = secrets.token_urlsafe(12)
    context["timeEpoch"] = int(time.time() * 1000)
    context["time"] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
    context["http"]["method"], context["http"]["path"] = method, path
    event["rawPath"] = path
    if path_photo is not None:
        event["pathParameters"] = {"photoId": path_photo}
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-length"] = str(len(event["body"]))
    return event


def http_answer(invocation: Invocation, status: int) -> dict:
    answer = answer_json(invocation)
    if answer.get("statusCode") != status:
        raise HarnessFailure(f"HTTP {answer.get('statusCode')}, expected {status}: {answer.get('body')}")
    return json.loads(answer["body"])


@dataclass
class Photo:
    photo_id: str
    input: str
    ticket: dict
    validation: dict | None = None
    renditions: dict | None = None


def ticket_payloads(photo_file: Path, count: int) -> list[dict]:
    size = photo_file.stat().st_size
    return [api_event("POST", "/v1/uploads", "apigw_v2_create_ticket.json", {
        "deviceId": str(uuid.uuid4()), "contentType": "image/jpeg", "contentLength": size,
        "lat": 37.7749 + i * 1e-4, "lon": -122.4194 - i * 1e-4,
    }) for i in range(count)]


def check_ticket(index: int, invocation: Invocation) -> dict:
    ticket = http_answer(invocation, 201)
    if ticket["status"] != "awaiting_upload" or not ticket["events"]["channel"].startswith("/devices/"):
        raise HarnessFailure(f"an unexpected ticket {ticket}")
    return ticket


def upload(photo: Photo, photo_file: Path):
    """Sends the bytes exactly as the ticket says, as the phone does."""
    ticket = photo.ticket["upload"]
    request = urllib.request.Request(
        ticket["url"], photo_file.read_bytes(), ticket["headers"], method=ticket["method"]
    )
    with urllib.request.urlopen(request) as answer:
        if answer.status != 200:
            raise HarnessFailure(f"the upload of {photo.photo_id} answered {answer.status}")


def ingest_messages(bench: Bench, photos: list[Photo]) -> dict[str, dict]:
    """The S3 notifications moto sent for these uploads, as the event source mapping reads them."""
    sqs, wanted, found = bench.moto.client("sqs"), {p.photo_id for p in photos}, {}
    deadline = time.monotonic() + 60
    while wanted - found.keys():
        if time.monotonic() > deadline:
            raise HarnessFailure(f"no S3 notification for {sorted(wanted - found.keys())}")
        answer = sqs.receive_message(QueueUrl=bench.stage.ingest_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=1, AttributeNames=["All"])
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=bench.stage.ingest_url, ReceiptHandle=message["ReceiptHandle"])
            records = json.loads(message["Body"]).get("Records", [])  # none in s3:TestEvent
            for record in records:  # keys come URL-encoded, as S3 sends them
                key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
                found[key.removeprefix("uploads/")] = message
    return found


def sqs_event(bench: Bench, message: dict) -> dict:
    """One record per invocation: the cost of one photo (the template batches up to 10)."""
    return {"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"], "attributes": message.get("Attributes", {}),
        "messageAttributes": {}, "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": bench.stage.ingest_arn, "awsRegion": REGION,
    }]}


# ----------------------------------------------------------------- the pipeline, in order


def issue_tickets(bench: Bench, spec: FunctionSpec, label: str, input_name: str, count: int,
                  measured: bool) -> tuple[Measurement | None, list[Photo]]:
    photo_file = BENCH / "inputs" / PHOTOS[input_name][0]
    measurement, tickets = bench.measure(spec, label, ticket_payloads(photo_file, count), check_ticket)
    photos = [Photo(t["photoId"], input_name, t) for t in tickets]
    for photo in photos:
        upload(photo, photo_file)
    return (measurement if measured else None), photos


def run_dispatch(bench: Bench, spec: FunctionSpec, photos: list[Photo]) -> Measurement:
    messages = ingest_messages(bench, photos)
    sfn = bench.moto.client("stepfunctions")
    execution_base = bench.stage.machine_arn.replace(":stateMachine:", ":execution:")

    def check(index: int, invocation: Invocation):
        answer = answer_json(invocation)
        if answer != {"batchItemFailures": []}:
            raise HarnessFailure(f"records left for a retry: {answer}")
        # An ignored record is a success too: the execution must exist. moto then
        # interprets it (its Lambda tasks fail there: no such functions) on its core;
        # the next event waits for that to end, so it does not slow the next StartExecution.
        arn = f"{execution_base}:{photos[index].photo_id}"
        deadline = time.monotonic() + 60
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise HarnessFailure(f"moto still runs {arn}")
            time.sleep(0.02)

    payloads = [sqs_event(bench, messages[p.photo_id]) for p in photos]
    return bench.measure(spec, "sqs-1-record", payloads, check)[0]


def run_validate(bench: Bench, spec: FunctionSpec, input_name: str, photos: list[Photo]) -> Measurement:
    pixels = PHOTOS[input_name][1]

    def check(index: int, invocation: Invocation) -> dict:
        answer = answer_json(invocation)
        image = answer.get("image") or {}
        if not answer.get("accepted") or image.get("uprightWidth", 0) * image.get("uprightHeight", 0) != pixels:
            raise HarnessFailure(f"not accepted as a {input_name} photo: {answer}")
        photos[index].validation = answer
        return answer

    payloads = [{"photoId": p.photo_id} for p in photos]
    return bench.measure(spec, input_name, payloads, check)[0]


def run_thumbnail(bench: Bench, spec: FunctionSpec, input_name: str, photos: list[Photo],
                  between=None) -> Measurement:
    s3 = bench.moto.client("s3")

    def check(index: int, invocation: Invocation) -> dict:
        answer, photo_id = answer_json(invocation), photos[index].photo_id
        for kind in ("thumb", "display"):
            rendition = answer[kind]
            if rendition["key"] != f"photos/{photo_id}/{kind}.webp":
                raise HarnessFailure(f"{kind} at {rendition['key']}")
            stored = s3.head_object(Bucket=bench.stage.bucket, Key=rendition["key"])
            if stored["ContentLength"] != rendition["bytes"] or rendition["bytes"] == 0:
                raise HarnessFailure(f"{kind}: {stored['ContentLength']} bytes stored, {rendition['bytes']} said")
        photos[index].renditions = answer
        return answer

    payloads = [{"photoId": p.photo_id, "image": p.validation["image"]}
                for p in photos]
    return bench.measure(spec, input_name, payloads, check, between)[0]


def run_persist(bench: Bench, spec: FunctionSpec, photos: list[Photo]) -> Measurement:
    def check(index: int, invocation: Invocation):
        answer = answer_json(invocation)
        if answer != {"photoId": photos[index].photo_id, "attempt": 0, "status": "ready", "changed": True}:
            raise HarnessFailure(f"not recorded as ready: {answer}")

    payloads = [{
        "photoId": p.photo_id, "attempt": 0,
        "outcome": {
            "status": "ready",
            "width": p.validation["image"]["uprightWidth"], "height": p.validation["image"]["uprightHeight"],
            "thumbKey": p.renditions["thumb"]["key"], "displayKey": p.renditions["display"]["key"],
        },
    } for p in photos]
    return bench.measure(spec, "ready", payloads, check)[0]


def run_notify(bench: Bench, spec: FunctionSpec, photos: list[Photo]) -> Measurement:
    def check(index: int, invocation: Invocation):
        answer, photo = answer_json(invocation), photos[index]
        if answer != {"eventType": "photo.ready", "published": True}:
            raise HarnessFailure(f"not published: {answer}")
        heard = bench.events.events_for(photo.photo_id)
        if [channel for channel, _ in heard] != [photo.ticket["events"]["channel"]]:
            raise HarnessFailure(f"published on {heard}, not once on the ticket's channel")

    payloads = [{"photoId": p.photo_id, "attempt": 0} for p in photos]
    return bench.measure(spec, "photo.ready", payloads, check)[0]


def run_status(bench: Bench, spec: FunctionSpec, photos: list[Photo]) -> Measurement:
    def check(index: int, invocation: Invocation):
        status = http_answer(invocation, 200)
        if status["status"] != "ready" or not status.get("thumbUrl"):
            raise HarnessFailure(f"not ready: {status}")

    payloads = [api_event("GET", f"/v1/photos/{p.photo_id}", "apigw_v2_photo_status.json", path_photo=p.photo_id)
                for p in photos]
    return bench.measure(spec, "status", payloads, check)[0]


def run_feed(bench: Bench, spec: FunctionSpec, photos: list[Photo]) -> Measurement:
    wanted = {p.photo_id for p in photos}

    def check(index: int, invocation: Invocation):
        feed = http_answer(invocation, 200)
        missing = wanted - {entry["photoId"] for entry in feed["photos"]}
        if missing:
            raise HarnessFailure(f"the feed lacks {sorted(missing)}")

    payloads = [api_event("GET", "/v1/feed", "apigw_v2_feed.json") for _ in photos]
    return bench.measure(spec, "feed", payloads, check)[0]


def run_pipeline(bench: Bench, specs: dict[str, FunctionSpec], wisaw: Path) -> tuple[list[Measurement], dict]:
    """Every function in pipeline order; `wisaw render` between the 12 MP thumbnails."""
    count = bench.photos_per_stage
    for spec in specs.values():
        bench.prime(spec)
    # The 48 MP photos get their tickets too (unmeasured); their notifications are not dispatched.
    _, large = issue_tickets(bench, specs["api"], "setup-tickets", "48mp-jpeg", count, measured=False)
    bench.moto.client("sqs").purge_queue(QueueUrl=bench.stage.ingest_url)
    ticket, small = issue_tickets(bench, specs["api"], "ticket", "12mp-jpeg", count, measured=True)
    results = [ticket, run_dispatch(bench, specs["dispatch"], small)]
    render = RenderTimer(wisaw, BENCH / "inputs" / PHOTOS["12mp-jpeg"][0], bench.work)
    for input_name, photos in (("12mp-jpeg", small), ("48mp-jpeg", large)):
        results.append(run_validate(bench, specs["validate"], input_name, photos))
        between = render.run if input_name == "12mp-jpeg" else None
        results.append(run_thumbnail(bench, specs["thumbnail"], input_name, photos, between))
    results.append(run_persist(bench, specs["persist"], small))
    results.append(run_notify(bench, specs["notify"], small))
    results.append(run_status(bench, specs["api"], small))
    results.append(run_feed(bench, specs["api"], small))
    return results, render.summary()


# ----------------------------------------------------------------- wisaw render, for comparison


class RenderTimer:
    """`wisaw render` as a whole process on the function's core: wall, CPU, peak RSS. Its
    runs go between the 12 MP thumbnail's warm invocations (the function idles then), so
    that both are timed under the same conditions of this shared machine."""

    def __init__(self, wisaw: Path, photo: Path, work: Path):
        self.wisaw, self.photo, self.work = wisaw, photo, work
        self.walls: list[float] = []
        self.cpus: list[float] = []
        self.peaks: list[int] = []

    def run(self):
        out = self.work / f"render-{len(self.walls)}"
        peak_file = self.work / "render-peak"
        # A child's ru_maxrss counts the harness's own pages it held before its exec;
        # /usr/bin/time reports its child's, which it forked small.
        command = ["/usr/bin/time", "-f", "%M", "-o", str(peak_file),
                   str(self.wisaw), "render", str(self.photo), "--out", str(out)]
        start = time.perf_counter_ns()
        process = spawn_pinned(command, FUNCTION_CORE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = (time.perf_counter_ns() - start) / 1e6
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        if process.returncode != 0 or not (out / "display.webp").exists():
            raise HarnessFailure(f"wisaw render failed: {error}")
        self.walls.append(wall)
        self.cpus.append((usage.ru_utime + usage.ru_stime) * 1000)
        self.peaks.append(int(peak_file.read_text().split()[-1]))

    def summary(self, skip: int = 1) -> dict:
        """The first run warms the page cache and is not counted."""
        return {"input": "12mp-jpeg", "built": built_at(self.wisaw), "runs_ms": self.walls[skip:],
                "cpu_ms": self.cpus[skip:], "peak_rss_kib": max(self.peaks[skip:]),
                "median_ms": statistics.median(self.walls[skip:])}


def built_at(binary: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(binary.stat().st_mtime))


# ----------------------------------------------------------------- output


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def table(results: list[Measurement]) -> list[str]:
    header = (f"{'function':<10} {'input':<13} {'init':>6} {'initMax':>7} {'initCPU':>7} {'first':>7} {'1stCPU':>7} "
              f"{'warm50':>7} {'warm90':>7} {'warmCPU':>7} {'1st-warm':>8} {'RSSinit':>7} {'RSSpeak':>7} "
              f"{'memMB':>5} {'binMiB':>6}")
    lines = [header]
    for r in results:
        warm = statistics.median(r.warm_ms)
        lines.append(
            f"{r.function:<10} {r.input:<13} {r.init_ms:6.1f} {max(c.init_ms for c in r.cold_starts):7.1f} "
            f"{r.init_cpu_ms:7.1f} {r.first_ms:7.1f} "
            f"{r.first_cpu_ms:7.1f} {warm:7.1f} {p90(r.warm_ms):7.1f} {statistics.median(r.warm_cpu_ms):7.1f} "
            f"{r.first_ms - warm:8.1f} {r.init_peak_rss_kib / 1024:7.1f} {r.peak_rss_kib / 1024:7.1f} "
            f"{r.memory_mb:5d} {r.binary_bytes / 2**20:6.1f}"
        )
    return lines


def connections_table(results: list[Measurement]) -> list[str]:
    def show(ports: dict[str, int]) -> str:
        return ",".join(f"{name}:{n}" for name, n in ports.items() if name != "runtime-api") or "-"

    lines = [f"{'function':<10} {'input':<13} {'1stCPU-warm':>11} {'faults init/1st/warm':>21}  "
             f"{'connections after init':<23} {'after first':<23} {'at end':<23}"]
    for r in results:
        extra_cpu = r.first_cpu_ms - statistics.median(r.warm_cpu_ms)
        faults = f"{r.init_minor_faults}/{r.first_minor_faults}/{statistics.median(r.warm_minor_faults):.0f}"
        lines.append(f"{r.function:<10} {r.input:<13} {extra_cpu:11.1f} {faults:>21}  "
                     f"{show(r.connections_after_init):<23} {show(r.connections_after_first):<23} "
                     f"{show(r.connections_at_end):<23}")
    return lines


def targets(results: list[Measurement], render: dict) -> dict:
    thumbnail = next(r for r in results if r.function == "thumbnail" and r.input == "12mp-jpeg")
    validate = next(r for r in results if r.function == "validate" and r.input == "12mp-jpeg")
    ratio = statistics.median(thumbnail.warm_ms) / render["median_ms"]
    cpu_ratio = statistics.median(thumbnail.warm_cpu_ms) / statistics.median(render["cpu_ms"])
    both = (statistics.median(thumbnail.warm_ms) + statistics.median(validate.warm_ms)) / render["median_ms"]
    slowest = max(results, key=lambda r: r.init_ms)
    return {
        "init_under_ms": INIT_TARGET_MS,
        "init_met": all(r.init_ms < INIT_TARGET_MS for r in results),
        "slowest_init": {"function": slowest.function, "input": slowest.input, "init_ms": slowest.init_ms},
        "thumbnail_12mp_warm_over_render": ratio,
        "thumbnail_ratio_target": RENDER_TARGET_RATIO,
        "thumbnail_met": ratio <= RENDER_TARGET_RATIO,
        "thumbnail_12mp_warm_cpu_over_render_cpu": cpu_ratio,
        # `wisaw render` is validate's checks and thumbnail's renditions over one decode.
        "validate_plus_thumbnail_12mp_warm_over_render": both,
    }


def command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def machine_info(args) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    dirty = bool(command_output(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "memory_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20,
        "function_core": FUNCTION_CORE, "backend_core": BACKEND_CORE,
        "loadavg_at_start": os.getloadavg(),
        "python": platform.python_version(), "boto3": boto3.__version__,
        "moto": command_output([str(ROOT / ".venv/bin/python"), "-c", "import moto; print(moto.__version__)"]),
        "postgres": psql(args.postgres, "SHOW server_version"),
        "rustc": command_output(["rustc", "--version"]),
        "commit": command_output(["git", "rev-parse", "--short", "HEAD"]) + (" (modified)" if dirty else ""),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "database_from": "WISAW_DATABASE_URL" if args.database_url else "WISAW_DATABASE_SECRET_ARN",
        "warm_invocations": args.warm, "cold_starts": args.cold_starts, "gap_between_invocations_ms": args.gap_ms,
    }


def rounded(value):
    """Microseconds are as fine as these figures go."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


def neighbour_warning(machine: dict) -> list[str]:
    busy = machine["other_processes_busy_s"]
    if not busy:
        return []
    names = ", ".join(f"{name}: {seconds}" for name, seconds in busy.items())
    return [f"WARNING: other processes were busy during the run (name: seconds above 10% of a core): {names}"]


def built_list(results: list[Measurement]) -> list[str]:
    built = {r.function: r.binary_built for r in results}
    return [f"{name} {built[name]}" for name in FUNCTIONS if name in built]


def report(results: list[Measurement], render: dict, machine: dict) -> tuple[str, dict]:
    met = targets(results, render)
    thumbnail = next(r for r in results if r.function == "thumbnail" and r.input == "12mp-jpeg")
    lines = [
        "Lambda functions under a local Runtime API (bench/lambda_harness.py): release binaries",
        f"machine: {machine['cores']} cores, {machine['cpu']}, kernel {machine['kernel']}; function on core "
        f"{FUNCTION_CORE}, moto and the harness on core {BACKEND_CORE}; commit {machine['commit']}, {machine['date']}",
        f"backends: moto {machine['moto']} (S3, SQS, Step Functions, Secrets Manager), Postgres "
        f"{machine['postgres']} on loopback, an AppSync Events stand-in; {machine['rustc']}",
        f"per function and input: {machine['cold_starts']} cold starts (init and first invocation: their "
        f"medians; initMax: the slowest), the first also serving {machine['warm_invocations']} warm "
        f"invocations; one photo per invocation, {machine['gap_between_invocations_ms']} ms apart",
        *neighbour_warning(machine),
        "binaries (target/release) built: " + ", ".join(built_list(results)),
        "times in ms (init: spawn to the first GET /next; an invocation: event handed over to its answer);",
        "CPU in ms of all the process's threads; RSS = VmHWM in MiB; memMB = the template's MemorySize",
        "",
        *table(results),
        "",
        "the first invocation's CPU beyond a warm one's (ms), minor page faults (init, first, warm",
        "median), and established connections when the runtime asks for its next event (remote side:",
        "count; moto closes its connection after every answer, so none to it stays open):",
        *connections_table(results),
        "",
        f"wisaw render photo-12mp.jpg on core {FUNCTION_CORE} (built {render['built']}), between the "
        f"thumbnail's warm invocations: median {render['median_ms']:.1f} ms of {len(render['runs_ms'])} runs "
        f"(CPU {statistics.median(render['cpu_ms']):.1f} ms, peak RSS "
        f"{render['peak_rss_kib'] / 1024:.1f} MiB); thumbnail 12mp warm median "
        f"{statistics.median(thumbnail.warm_ms):.1f} ms = {met['thumbnail_12mp_warm_over_render']:.2f}x "
        f"(target <= {RENDER_TARGET_RATIO:.2f}x: {'met' if met['thumbnail_met'] else 'NOT met'}); in CPU "
        f"{met['thumbnail_12mp_warm_cpu_over_render_cpu']:.2f}x; render also does validate's checks: "
        f"validate + thumbnail warm medians = {met['validate_plus_thumbnail_12mp_warm_over_render']:.2f}x",
        f"init under {INIT_TARGET_MS:.0f} ms for every function: {'met' if met['init_met'] else 'NOT met'} "
        f"(slowest: {met['slowest_init']['function']} {met['slowest_init']['input']} "
        f"{met['slowest_init']['init_ms']:.1f} ms)",
    ]
    data = {"machine": machine, "targets": met, "render": render, "functions": {}}
    for r in results:
        data["functions"].setdefault(r.function, {})[r.input] = asdict(r)
    return "\n".join(lines) + "\n", data


# ----------------------------------------------------------------- setting up


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def template_settings(package_dir: str) -> tuple[int, int]:
    """The function's MemorySize and Timeout in template.yaml (its block names its CodeUri)."""
    text = (ROOT / "template.yaml").read_text()
    start = text.index(f"CodeUri: {package_dir}\n")
    block = text[start:text.find("CodeUri:", start + 1)]
    memory = re.search(r"MemorySize: (\d+)", block)
    timeout = re.search(r"Timeout: (\d+)", block)
    return int(memory[1]), int(timeout[1])


def build(packages: list[tuple[str, str]]):
    """One cargo at a time (the target directory is shared; cargo's lock serialises)."""
    for package, binary in packages:
        print(f"building {binary} ({package})", flush=True)
        subprocess.run(["cargo", "build", "--release", "-p", package, "--bin", binary], cwd=ROOT, check=True)


def function_specs() -> dict[str, FunctionSpec]:
    specs = {}
    for name, (_, package_dir) in FUNCTIONS.items():
        binary = target_dir() / "release" / name
        if not binary.exists():
            raise HarnessFailure(f"no {binary.name} binary in the target directory: run with --build "
                                 "(or bench/lambda_sizes.sh)")
        memory, timeout = template_settings(package_dir)
        specs[name] = FunctionSpec(name, binary, memory, timeout)
    return specs


def ensure_inputs():
    if all((BENCH / "inputs" / file).exists() for file, _ in PHOTOS.values()):
        return
    python = ROOT / ".venv/bin/python"
    if subprocess.run([str(python), "-c", "import numpy, PIL"], capture_output=True).returncode != 0:
        python = BENCH / ".venv/bin/python"  # as bench/thumbnails.sh makes it
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(BENCH / ".venv")], check=True)
            subprocess.run([str(BENCH / ".venv/bin/pip"), "install", "-q", "-r",
                            str(BENCH / "requirements.txt")], check=True)
    subprocess.run([str(python), str(BENCH / "make_inputs.py"), str(BENCH / "inputs")], check=True)


def busy_builds() -> list[str]:
    """Compilers running now: they would share the function's core."""
    busy = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name in BUILD_TOOLS:
            busy.append(f"{name}[{pid}]")
    return busy


class NeighbourWatch:
    """Notes the processes outside this run that used more than a tenth of a core in a
    second while it measured (compilers, another benchmark), so that the report says when
    its figures shared the machine. Postgres is left out: its backends serve this run."""

    def __init__(self):
        self.busy_seconds: Counter = Counter()
        self.ticks: dict[str, int] = {}
        self.stopped = threading.Event()
        threading.Thread(target=self.watch, daemon=True).start()

    def watch(self):
        tick = os.sysconf("SC_CLK_TCK")
        while not self.stopped.wait(1):
            processes = read_processes()
            for pid, (name, ppid, ticks) in processes.items():
                used = ticks - self.ticks.get(pid, ticks)
                self.ticks[pid] = ticks
                if used > tick // 10 and name != "postgres" and not descends_from(pid, os.getpid(), processes):
                    self.busy_seconds[name] += 1

    def stop(self) -> dict[str, int]:
        self.stopped.set()
        return dict(self.busy_seconds.most_common())


def read_processes() -> dict[str, tuple[str, str, int]]:
    """pid -> (name, parent pid, CPU ticks) of every process."""
    processes = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        processes[pid] = (name, fields[1], int(fields[11]) + int(fields[12]))
    return processes


def descends_from(pid: str, ancestor: int, processes: dict) -> bool:
    while pid in processes and pid not in ("0", "1"):
        if pid == str(ancestor):
            return True
        pid = processes[pid][1]
    return False


def wait_for_quiet(timeout_s: float, quiet_s: float = 60):
    """Until no compiler has run for `quiet_s` (a script of builds pauses between them)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_s:
        if busy := busy_builds():
            quiet_since = time.monotonic()
            if quiet_since > deadline:
                raise HarnessFailure(f"a build still runs ({', '.join(busy[:5])})")
        time.sleep(2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", type=int, default=10, help="warm invocations after the first (10)")
    parser.add_argument("--cold-starts", type=int, default=5,
                        help="processes per function and input, each timed from spawn through its first "
                             "invocation; init and first figures are their medians (5)")
    parser.add_argument("--gap-ms", type=float, default=100,
                        help="pause between invocations, so that moto's own work after a request "
                             "(the execution it interprets) is not inside the next one (100)")
    parser.add_argument("--build", action="store_true", help="cargo build the release binaries first")
    parser.add_argument("--trace", action="store_true",
                        help="debug logs of the SDK, hyper and sqlx in the kept logs; figures not saved")
    parser.add_argument("--keep-logs", type=Path, help="keep the functions' logs (stamped lines) here")
    parser.add_argument("--allow-busy", action="store_true", help="measure even while a build runs")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to SECONDS for running builds to end before measuring")
    parser.add_argument("--moto-port", type=int, default=5090)
    parser.add_argument("--database-url", action="store_true",
                        help="give the functions WISAW_DATABASE_URL instead of the database's secret")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test",
                        help="a database to create this run's database from")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "lambda_harness",
                        help="results as OUT.txt and OUT.json")
    return parser.parse_args()


def measure_everything(args, specs: dict[str, FunctionSpec], wisaw: Path) -> tuple[list[Measurement], dict]:
    """The backends up, the pipeline measured, the backends down (and this run's database
    dropped) whatever happens."""
    work = Path(tempfile.mkdtemp(prefix="wisaw-lambda-harness-"))
    name = f"wisaw-harness-{os.getpid()}"
    database = name.replace("-", "_")
    moto = Moto(args.moto_port, work / "moto.log")
    events = serve_in_background(EventsEndpoint())
    database_made = False
    try:
        moto.start()
        psql(args.postgres, f'CREATE DATABASE "{database}"')
        database_made = True
        stage = create_stage(moto, name, {
            "engine": "postgres", "host": "127.0.0.1", "port": 5432, "username": "postgres",
            "password": "", "dbname": database,
        })
        return run_pipeline(Bench(args, stage, events, moto, work), specs, wisaw)
    finally:
        moto.stop()
        events.shutdown()
        if database_made:
            psql(args.postgres, f'DROP DATABASE "{database}" WITH (FORCE)')
        if args.keep_logs or args.trace:
            keep = args.keep_logs or BENCH / "work" / "lambda_harness_logs"
            shutil.copytree(work, keep, dirs_exist_ok=True, ignore=shutil.ignore_patterns("render-*"))
            print(f"logs kept in {keep}")
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    args = parse_args()
    if args.build:
        build([(package, name) for name, (package, _) in FUNCTIONS.items()] + [("wisaw", "wisaw")])
    if args.wait_quiet:
        wait_for_quiet(args.wait_quiet)
    busy = busy_builds()
    if busy and not args.allow_busy:
        raise HarnessFailure(f"a build is running ({', '.join(busy[:5])}): its compilers would share "
                             "the cores; wait for it, or pass --allow-busy (or --wait-quiet)")
    specs = function_specs()
    wisaw = target_dir() / "release" / "wisaw"
    if not wisaw.exists():
        raise HarnessFailure("no wisaw binary in the target directory: run with --build")
    ensure_inputs()
    # The harness's threads (the Runtime API, the events endpoint) share moto's core.
    os.sched_setaffinity(0, {BACKEND_CORE})
    machine = machine_info(args)
    watch = NeighbourWatch()
    results, render = measure_everything(args, specs, wisaw)
    machine["other_processes_busy_s"] = watch.stop()

    text, data = report(results, render, machine)
    print(text, end="")
    if args.trace:
        print("(--trace: figures not saved)")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(rounded(data), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
