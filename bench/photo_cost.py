"""What a photo costs, what a stage costs at rest, and how long a photo takes: from
measurements, the repository's own files and published prices.

Reads, and copies no figure from:

- bench/results/lambda_model.json (bench/lambda_model.py): each function's chosen memory and,
  per input, its CPU time, its wait, its duration and GB-seconds at that memory;
- bench/results/lambda_harness.json (bench/lambda_harness.py): init and first-invocation
  times, for the cold path;
- bench/results/thumbnails.txt (bench/thumbnails.sh): the renditions' sizes, and sharp's wall
  time for the original app's function;
- bench/results/inputs.json (bench/make_inputs.py): the originals' sizes and pixel counts;
- statemachines/upload.asl.json: the states each path enters, and the history events one
  execution writes, built by walking it;
- crates/asl/tests/fixtures/fidelity/04_*.json: the envelope a lambda:invoke Task's result
  has (ExecutedVersion, Payload, SdkHttpMetadata, ...), as recorded for the local engine;
- crates/imaging/src/thumbnail/mod.rs: the renditions' bounds (their pixel sizes);
- the handlers' log statements (api/src/lambda.rs, ingest/src/, workers/*/src/lib.rs), written
  by hand into app_lines: the functions' own log lines, for their size;
- template.yaml: the workflow type, the event source's batch size and window, the originals'
  retention and whether a step of the state machine deletes them, the log level and retention, tracing, the
  secrets, alarms and schedules, which functions sit in the VPC and what they call.

What is not measured is an assumption, named in ASSUMPTIONS below and printed with the tables;
prices are the constants in PRICE, each with where it is published.

    python3 bench/photo_cost.py            # Markdown tables (docs/cost.md embeds one run)
    python3 bench/photo_cost.py --json     # the headline figures, for a check to read

Python 3.11, standard library only.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "bench/results/lambda_model.json"
HARNESS = ROOT / "bench/results/lambda_harness.json"
THUMBNAILS = ROOT / "bench/results/thumbnails.txt"
INPUT_SIZES = ROOT / "bench/results/inputs.json"
ASL = ROOT / "statemachines/upload.asl.json"
TEMPLATE = ROOT / "template.yaml"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
INVOKE_FIXTURE = ROOT / "crates/asl/tests/fixtures/fidelity/04_a_lambda_invoke_result_keeps_its_http_metadata.json"
RENDITION_BOUNDS = ROOT / "crates/imaging/src/thumbnail/mod.rs"

PHOTOS = {"12 MP": ("12mp-jpeg", "photo-12mp.jpg"), "48 MP": ("48mp-jpeg", "photo-48mp.jpg")}
JSON_KEYS = {"12 MP": "12mp", "48 MP": "48mp"}
WORKFLOWS = ("STANDARD", "EXPRESS")
MONTHLY_PHOTOS = (0, 10_000, 1_000_000)
FULL_VCPU_MB = 1769  # bench/lambda_model.py: one full vCPU at 1,769 MB
GIB = 1024 ** 3

# ------------------------------------------------------------------ prices
# us-east-1 list prices, on demand, first tier, free tiers left out. Constants here, not looked
# up: check them before budgeting. Each names the page it is published on.
PRICE = {
    # aws.amazon.com/lambda/pricing
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_gb_s_x86": 0.0000166667,
    "lambda_request": 0.20 / 1e6,
    # aws.amazon.com/step-functions/pricing: Standard per state transition; Express per
    # execution and per GB-second (billed per 100 ms, in 64 MB chunks)
    "sfn_transition": 0.025 / 1000,
    "sfn_express_request": 1.00 / 1e6,
    "sfn_express_gb_s": 0.00001667,
    # aws.amazon.com/sqs/pricing: standard queue, per request (64 KB chunk)
    "sqs_request": 0.40 / 1e6,
    # aws.amazon.com/s3/pricing: S3 Standard; DELETE and lifecycle expiration are free
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
    "s3_gb_month": 0.023,
    "transfer_out_gb": 0.09,
    # aws.amazon.com/api-gateway/pricing: HTTP API, first 300 million
    "http_api_request": 1.00 / 1e6,
    # aws.amazon.com/appsync/pricing: AppSync Events
    "events_operation": 1.00 / 1e6,
    "events_connection_minute": 0.08 / 1e6,
    # aws.amazon.com/cloudwatch/pricing: Logs (standard and vended, first tier), alarms
    "logs_ingest_gb": 0.50,
    "logs_store_gb_month": 0.03,
    "alarm_month": 0.10,
    # aws.amazon.com/xray/pricing: traces recorded
    "xray_trace": 5.00 / 1e6,
    # aws.amazon.com/secrets-manager/pricing
    "secret_month": 0.40,
    # aws.amazon.com/privatelink/pricing: interface endpoint per AZ-hour, per GB processed
    # (the S3 gateway endpoint is free)
    "endpoint_az_hour": 0.01,
    "endpoint_gb": 0.01,
    # aws.amazon.com/vpc/pricing: NAT gateway per hour and per GB processed; every public
    # IPv4 address, in use or not, per hour (since February 2024)
    "nat_hour": 0.045,
    "nat_gb": 0.045,
    "public_ipv4_hour": 0.005,
    # aws.amazon.com/rds/postgresql/pricing: db.t4g.micro single-AZ, gp3 storage
    "rds_t4g_micro_hour": 0.016,
    "rds_gp3_gb_month": 0.115,
    # aws.amazon.com/rds/aurora/pricing: Aurora PostgreSQL Serverless v2 (Aurora Standard)
    "aurora_acu_hour": 0.12,
    "aurora_gb_month": 0.10,
    "aurora_io": 0.20 / 1e6,
    # aws.amazon.com/ec2/pricing/on-demand: t3.micro (Linux); unlimited mode's surplus CPU
    # credits; aws.amazon.com/ebs/pricing: gp3
    "ec2_t3_micro_hour": 0.0104,
    "t3_surplus_vcpu_hour": 0.05,
    "ebs_gp3_gb_month": 0.08,
}

# Figures AWS publishes that are not prices.
PUBLISHED = {
    # Aurora User Guide, "Scaling to Zero ACUs with automatic pause and resume for Aurora
    # Serverless v2": resuming takes about 15 s (the launch post, AWS Database Blog,
    # "Introducing scaling to 0 capacity with Amazon Aurora Serverless v2": "up to 15 seconds").
    "aurora_resume_s": 15,
    # RDS API Reference, ServerlessV2ScalingConfiguration.SecondsUntilAutoPause: 300 to
    # 86,400 s, 300 by default.
    "aurora_auto_pause_s": 300,
    # Aurora User Guide, Serverless v2 capacity: the least capacity when awake.
    "aurora_min_awake_acu": 0.5,
    # RDS User Guide: gp3 storage for PostgreSQL starts at 20 GiB.
    "rds_min_gp3_gb": 20,
    # EC2 User Guide, burstable instances: a t3.micro has 2 vCPUs and a baseline of 10 % each.
    "t3_micro_vcpus": 2,
    "t3_micro_baseline": 0.10,
    # API Gateway Developer Guide, quotas: an integration's timeout is at most 30 s (HTTP API).
    "api_gateway_integration_s": 30,
    # Lambda Developer Guide, SQS event source: five pollers, long polls of up to 20 s.
    "sqs_pollers": 5,
    "sqs_long_poll_s": 20,
}

# The template's memory sizes before bench/lambda_model.py chose them.
PREVIOUS_MB = {"api": 256, "dispatch": 256, "validate": 512, "thumbnail": 128, "persist": 256, "notify": 256}

# The original app's Lambda setup: one Node function per upload, sharp doing the whole job.
ORIGINAL_MB = 3008

# ------------------------------------------------------------------ assumptions
# Everything below is assumed, not measured; the tables say which figures depend on what.
ASSUMPTIONS = {
    # The phone: one ticket, then the event on its channel. The status read is the backstop
    # for an event missed (docs/api.md): the reference phone client (examples/phone/upload.mjs)
    # reads it only when no event came in time or after a reconnection, and CI's phone check
    # (.ci/phone) holds that its photos are heard by their events. None in the normal case;
    # the choices' table prices one for every photo.
    "api_calls": {"ticket": 1, "status": 0},
    # SQS: one record per dispatch batch, the upper bound of requests and invocations (the
    # batching window's table shows what batches gather at a given rate).
    "records_per_batch": 1,
    "sqs_chunks_per_message": 1,        # the S3 notification, about 1 KB: one 64 KB chunk
    # AppSync Events: one publish delivered to the one subscribed phone; its connection held
    # 2 minutes per photo. Connect and subscribe requests are not counted.
    "events_operations": 2,
    "events_connection_minutes": 2,
    "hours_per_month": 730,             # AWS's convention; a GB is 2^30 bytes
    "thumb_over_display_if_unmeasured": 0.10,
    # Latency, not measured here:
    "s3_to_sqs_ms": 1000,               # S3 docs: notifications "typically" arrive in seconds
    "sfn_ms_per_transition": 25,        # a guess: no published figure
    "s3_mb_per_s": 87.5,                # S3 performance guidelines: 85-90 MB/s per connection
    "express_chunk_mb": 64,
    # Photos that end failed (kept for replay, their originals for the retention) and are
    # replayed once, as an execution of the same state machine.
    "failed_fraction": 0.001,
    "replay_fraction": 0.001,
    # X-Ray: Lambda samples the first request each second and 5 % of the rest; at the
    # average rates priced here (under one photo a second) about every trace is recorded.
    "xray_recorded_share": 1.0,
    # The variant with a sampling rule: 1 % of traces, no reservoir, taken to apply to every
    # trace the template starts (the state machine's and the functions').
    "xray_sampling_rule": 0.01,
    # The functions' own CloudWatch Logs, not captured from AWS: each invocation writes
    # Lambda's three platform events (platform.start, platform.runtimeDone, platform.report:
    # START, END and REPORT in the JSON log format) and the handler's INFO lines, which the
    # runtime's subscriber writes as tracing-subscriber JSON (level, fields, span, spans) and
    # Lambda passes through as written (an OS-only runtime's lines are not rewritten). Cold
    # starts' init events are not counted.
    "platform_events_per_invocation": ("platform.start", "platform.runtimeDone", "platform.report"),
    # The database: its size (Aurora bills what is used), storage I/Os per photo, photos
    # per burst (a person uploads a few at once), and 0.5 ACU being enough when awake.
    "database_gb": 1.0,
    "aurora_ios_per_photo": 20,
    "photos_per_burst": 5,
    # Bytes a photo's calls from the VPC's functions to AWS APIs (StartExecution,
    # DescribeExecution, the Events publish, secrets at cold starts) move, through an
    # interface endpoint or the NAT gateway.
    "vpc_bytes_per_photo": 20_000,
    "nat_gateways": 1,
    "availability_zones": 2,
    # The original app, as it ran before Lambda: one always-on Beanstalk instance, the
    # smallest general one that holds sharp (1 GiB; sharp peaks under 100 MiB,
    # bench/results/thumbnails.txt), its 8 GB root volume, its public IPv4 address, and the
    # same db.t4g.micro database as this pipeline's RDS option. The app's own instance type
    # is not recorded.
    "beanstalk_instance": "t3.micro",
    "beanstalk_root_gb": 8,
    # The batching window's table: uploads as a Poisson process; with no window each
    # invocation is taken to carry one record (the upper bound of invocations).
    "batching_rates_per_s": (0.1, 1, 10, 100),
    "batching_windows_s": (0, 0.5, 1),
}

# ------------------------------------------------------------------ inputs

def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


def thumbnails_table() -> tuple[dict, list[str]]:
    """The rows of thumbnails.txt by (input file, contender), columns by the header's names."""
    rows, header, notes = {}, None, []
    for line in THUMBNAILS.read_text().splitlines():
        fields = line.split()
        if fields[:2] == ["input", "contender"]:
            header = fields
        elif header and len(fields) >= 3 and fields[0].startswith("photo-"):
            rows[(fields[0], fields[1])] = dict(zip(header, fields))
    if header is None:
        raise SystemExit(f"{THUMBNAILS.relative_to(ROOT)}: no header line")
    if "thumb_KB" not in header:
        share = ASSUMPTIONS["thumb_over_display_if_unmeasured"]
        notes.append(f"{THUMBNAILS.relative_to(ROOT)} has no thumb_KB column: each thumb is "
                     f"counted at {share:.0%} of its display's size, an estimate.")
    return rows, notes


def rendition_kb(rows: dict, file: str, contender: str) -> tuple[float, float]:
    row = rows[(file, contender)]
    display = float(row["display_KB"])
    thumb = float(row["thumb_KB"]) if "thumb_KB" in row else display * ASSUMPTIONS["thumb_over_display_if_unmeasured"]
    return display, thumb


def rendition_bounds() -> dict[str, int]:
    """THUMB_HEIGHT and DISPLAY_MAX_SIDE, as the imaging crate declares them."""
    text = RENDITION_BOUNDS.read_text()
    return {name: int(re.search(rf"const {name}: u32 = (\d+);", text).group(1))
            for name in ("THUMB_HEIGHT", "DISPLAY_MAX_SIDE")}


# ------------------------------------------------------------------ the template
# The standard library has no YAML parser, and the template's short forms (!Ref, !If) would
# need one of their own: the template is read as indented blocks, which is all this needs.

def strip_comments(text: str) -> str:
    text = re.sub(r"(?m)^\s*#.*\n", "", text)
    return re.sub(r"(?m)\s+#\s.*$", "", text)


def blocks(text: str, indent: int) -> dict[str, str]:
    """The keys at exactly `indent` spaces, each with the lines under it."""
    out, name, lines = {}, None, []
    for line in text.splitlines():
        match = re.match(rf"^ {{{indent}}}([A-Za-z0-9_]+):(.*)$", line)
        if match:
            if name:
                out[name] = "\n".join(lines)
            name, lines = match.group(1), [match.group(2)]
        elif name and (line.startswith(" " * (indent + 1)) or not line.strip()):
            lines.append(line)
        elif name:
            out[name], name, lines = "\n".join(lines), None, []
    if name:
        out[name] = "\n".join(lines)
    return out


def first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.M)
    return match.group(1).strip().strip('"') if match else None


class Template:
    def __init__(self, text: str):
        text = strip_comments(text)
        sections = blocks(text, 0)
        self.parameters = blocks(sections.get("Parameters", ""), 2)
        self.resources = blocks(sections.get("Resources", ""), 2)
        self.globals = sections.get("Globals", "")
        self.conditions = blocks(sections.get("Conditions", ""), 2)

    def condition(self, name: str) -> bool:
        """A condition of the form `!Equals [!Ref Parameter, value]`, as deployed with the
        parameter's default (the template's other conditions test values that have none)."""
        match = re.match(r"\s*!Equals\s*\[\s*!Ref\s+(\w+)\s*,\s*\"?([^\"\]]*)\"?\s*\]", self.conditions[name])
        if not match:
            raise SystemExit(f"template.yaml: condition {name} is not read by this script")
        return self.default(match.group(1)) == match.group(2).strip()

    def default(self, parameter: str) -> str | None:
        block = self.parameters.get(parameter)
        return first(r"^\s+Default:\s*(.+)$", block) if block is not None else None

    def resolve(self, value: str | None) -> str | None:
        """A literal, a `!Ref` to a parameter or an `!If [Condition, a, b]` of literals, as
        deployed with the parameters' defaults."""
        if value and value.startswith("!Ref "):
            return self.default(value.split()[1])
        choice = re.match(r"!If\s*\[\s*(\w+)\s*,\s*([^,\]]+?)\s*,\s*([^,\]]+?)\s*\]$", value or "")
        if choice:
            return self.resolve(choice.group(2) if self.condition(choice.group(1)) else choice.group(3))
        return value

    def type_of(self, name: str) -> str:
        return first(r"^\s{4}Type:\s*(\S+)", self.resources[name]) or ""

    def of_type(self, kind: str) -> list[str]:
        return [n for n in self.resources if self.type_of(n) == kind]

    def functions(self) -> list[str]:
        return self.of_type("AWS::Serverless::Function") + self.of_type("AWS::Lambda::Function")

    def binary(self, function: str) -> str | None:
        return first(r"^\s+Binary:\s*(\S+)", self.resources[function])

    def actions(self, function: str) -> set[str]:
        """Every IAM action the function's policies allow (inline lists and item lists)."""
        policies = self.resources[function].split("Policies:", 1)
        if len(policies) < 2:
            return set()
        body = policies[1].split("Events:", 1)[0]  # the policies end where the events begin
        return set(re.findall(r"\b([a-z0-9-]+:[A-Za-z*]+)\b(?![/:])", body)) - {"arn:aws"}

    def schedules(self, function: str) -> list[tuple[float, bool]]:
        """Each enabled schedule of the function: the seconds between its runs, and whether
        its input asks for a sweep only while a dead letter waits (then, at rest, it asks
        the dead-letter queue and not the database: workers/notify)."""
        block = self.resources[function]
        periods = []
        for match in re.finditer(r"Type:\s*Schedule(?:V2)?\s*\n(\s+)Properties:((?:\n\1\s+.*)+)", block):
            props = match.group(2)
            if re.search(r"Enabled:\s*false|State:\s*DISABLED", props):
                continue
            rate = re.search(r"rate\((\d+)\s+(minute|hour|day)s?\)", props)
            gated = bool(re.search(r'"onlyWhileDeadLettersWait":\s*true', props))
            if rate:
                periods.append((int(rate.group(1)) * {"minute": 60, "hour": 3600, "day": 86400}[rate.group(2)], gated))
        return periods

    def state_machine(self) -> str:
        return self.of_type("AWS::Serverless::StateMachine")[0]


def deletes_uploads(block: str) -> bool:
    """Whether a function's policy allows s3:DeleteObject on the originals (uploads/)."""
    for statement in re.split(r"\n\s*- Effect:", block):
        if "s3:DeleteObject" in statement and "/uploads/" in statement:
            return True
    return False


def template_settings() -> dict:
    t = Template(TEMPLATE.read_text())
    machine = t.state_machine()
    machine_block = t.resources[machine]
    mapping = t.of_type("AWS::Lambda::EventSourceMapping")
    mapping_block = t.resources[mapping[0]] if mapping else ""
    # The workflow type: the parameter's default, else the state machine's own Type.
    workflow = t.default("WorkflowType") or t.resolve(first(r"^\s{6}Type:\s*(\S+)", machine_block)) or "STANDARD"
    log_group = first(r"LogGroupArn:\s*!GetAtt\s+(\w+)\.Arn", machine_block)
    steps = re.findall(r"\w+FunctionArn:\s*!GetAtt\s+(\w+)\.Arn", machine_block)
    deleter = next((f for f in steps if deletes_uploads(t.resources[f])), None)
    functions = t.functions()
    target = first(r"FunctionName:\s*!Ref\s+(\w+)", mapping_block)
    tracing_global = t.resolve(first(r"^\s+Tracing:\s*(.+)$", t.globals))
    # Lambda's log-level filtering (LoggingConfig in Globals, as every function has it).
    app_level = (t.resolve(first(r"^\s+ApplicationLogLevel:\s*(.+)$", t.globals))
                 or LAMBDA_DEFAULT_LOG_LEVELS["application"]).upper()
    system_level = (t.resolve(first(r"^\s+SystemLogLevel:\s*(.+)$", t.globals))
                    or LAMBDA_DEFAULT_LOG_LEVELS["system"]).upper()
    return {
        "template": t,
        "workflow_default": workflow.upper(),
        "workflow_parameter": t.default("WorkflowType"),
        "batch_size": int(t.resolve(first(r"BatchSize:\s*(.+)$", mapping_block)) or 10),
        "batching_window_s": float(t.resolve(first(r"MaximumBatchingWindowInSeconds:\s*(.+)$", mapping_block)) or 0),
        "retention_days": float(t.default("UploadRetentionDays")),
        "log_level": (t.resolve(first(r"Level:\s*(.+)$", machine_block)) or t.default("StateMachineLogLevel") or "OFF").upper(),
        "execution_data": first(r"IncludeExecutionData:\s*(\w+)", machine_block) == "true",
        "log_retention_days": float(t.resolve(first(r"RetentionInDays:\s*(.+)$", t.resources[log_group])) or 0)
                              if log_group else 0.0,
        "original_deleter": deleter,
        "deletes_original": deleter is not None,
        "secrets": len(t.of_type("AWS::SecretsManager::Secret")) + (1 if "DatabaseSecretArn" in t.parameters else 0),
        "secret_resources": t.of_type("AWS::SecretsManager::Secret"),
        "alarms": len(t.of_type("AWS::CloudWatch::Alarm")),
        "schedules": [(f, t.binary(f), p, "WISAW_DATABASE_SECRET_ARN" in t.resources[f] and not gated, gated)
                      for f in functions for p, gated in t.schedules(f)],
        "function_log_levels": {"application": app_level, "system": system_level},
        "vpc_functions": [f for f in functions if "VpcConfig:" in t.resources[f]],
        "mapping_target": target,
        "function_actions": {f: t.actions(f) for f in functions},
        "functions_traced": tracing_global == "Active" or any(
            first(r"^\s{6}Tracing:\s*(\w+)", t.resources[f]) == "Active" for f in functions),
        "machine_traced": t.resolve(first(r"Tracing:\s*\n\s+Enabled:\s*(.+)$", machine_block)) == "true",
        "api_timeout_s": float(first(r"^\s{6}Timeout:\s*(\d+)", t.resources.get("ApiFunction", "")) or 0),
        # How long the api waits for a database connection (5 s, the adapter's default, unless set).
        "api_db_wait_s": float(first(r"WISAW_DATABASE_WAIT_SECONDS:\s*\"?(\d+)", t.resources.get("ApiFunction", "")) or 5),
        # The HTTP API's access log: one line per request, in the template's own format.
        "api_access_log_format": first(r"^\s+Format:\s*'(.+)'\s*$", t.resources.get("HttpApi", "")),
    }


# VPC endpoints a function's calls need, by IAM service prefix: S3 through the free gateway
# endpoint, the rest through an interface endpoint each.
ENDPOINT_OF_SERVICE = {"secretsmanager": "secretsmanager", "states": "states", "sqs": "sqs",
                       "appsync": "appsync-api", "logs": "logs", "events": "events", "sns": "sns"}
# What the Lambda service calls on the function's role for an SQS event source mapping: the
# poller runs in Lambda's own network, not in the function's VPC.
MAPPING_ACTIONS = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}


def vpc_endpoints(settings: dict) -> dict[str, list[str]]:
    """Each interface endpoint the VPC's functions need, with the functions that need it."""
    needed: dict[str, list[str]] = {}
    for function in settings["vpc_functions"]:
        actions = settings["function_actions"][function]
        if function == settings["mapping_target"]:
            actions = actions - MAPPING_ACTIONS
        for service in sorted({a.split(":")[0] for a in actions}):
            endpoint = ENDPOINT_OF_SERVICE.get(service)
            if endpoint:
                needed.setdefault(endpoint, []).append(function)
    return needed


# ------------------------------------------------------------------ the state machine

def walk(asl: dict, outcome: str, fail_at: str | None = None) -> list[tuple[str, int]]:
    """The states one execution enters, in order, with how many times each (a Task's retries
    enter it again). outcome "ready" takes each Choice's Default (the image is accepted),
    "rejected" the Choice rule that sends it elsewhere; fail_at makes that Task fail every
    attempt, so that its Retry runs out and its Catch is taken."""
    states, name, path = asl["States"], asl["StartAt"], []
    while name:
        state = states[name]
        if name == fail_at:
            retriers = [r for r in state.get("Retry", []) if "Wisaw.Transient" in r["ErrorEquals"]
                        or "States.ALL" in r["ErrorEquals"]]
            path.append((name, 1 + max((r.get("MaxAttempts", 3) for r in retriers), default=0)))
            # The catcher a failure after its retries meets (not one for a named error).
            name = next(c["Next"] for c in state["Catch"] if "States.ALL" in c["ErrorEquals"])
            continue
        path.append((name, 1))
        if state["Type"] == "Choice":
            rule = next((c["Next"] for c in state["Choices"] if c["Next"] != state["Default"]), None)
            name = state["Default"] if outcome == "ready" else rule
        elif state["Type"] in ("Succeed", "Fail") or state.get("End"):
            name = None
        else:
            name = state["Next"]
    return path


def transitions(path: list[tuple[str, int]]) -> int:
    return sum(times for _, times in path)


EXPRESS_LIMIT_S = 300  # Step Functions Developer Guide: an Express execution runs at most five minutes


def worst_case_s(asl: dict, path: list[tuple[str, int]]) -> float:
    """The longest a path's Tasks may take under their own rules: every attempt timing out,
    with the backoff between attempts."""
    total = 0.0
    for name, _ in path:
        state = asl["States"][name]
        if state["Type"] != "Task" or "TimeoutSeconds" not in state:
            continue
        retry = next((r for r in state.get("Retry", []) if "States.Timeout" in r["ErrorEquals"]), None)
        attempts = 1 + (retry["MaxAttempts"] if retry else 0)
        total += attempts * state["TimeoutSeconds"]
        if retry:
            total += sum(min(retry["IntervalSeconds"] * retry["BackoffRate"] ** i,
                             retry.get("MaxDelaySeconds", math.inf)) for i in range(attempts - 1))
    return total


def express_memory_mb() -> tuple[int, str]:
    """Express bills the memory an execution uses: its definition, its data, Map/Parallel
    states. This one has no Map or Parallel, a definition of a few KB and payloads of keys and
    small metadata (under 256 KiB by design): far below one 64 MB chunk, so one chunk."""
    size_kb = ASL.stat().st_size / 1024
    chunk = ASSUMPTIONS["express_chunk_mb"]
    return chunk, (f"definition {size_kb:.1f} KiB, no Map or Parallel state, payloads of keys "
                   f"and metadata (at most 256 KiB): one {chunk} MB chunk")


# ------------------------------------------------------------------ one execution's log

SAMPLE_ID = "0b6f1f7e-3c1a-4d8e-9a57-2f0c5e8d4b21"   # a photo id: a UUID, as PhotoId prints
SAMPLE_REQUEST_ID = "5d2e6c1a-8f3b-4e0d-b7a9-1c4f2e6d8a03"
SAMPLE_TRACE = "Root=1-674c8b2e-5f1e2d3c4b5a69788796a5b4;Parent=3f2e1d0c9b8a7968;Sampled=1"
SAMPLE_DATE = "Mon, 01 Dec 2026 22:11:13 GMT"
SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STAGE = "123456789012", "us-east-1", "prod"


def path_value(doc, path: str):
    """A reference path ($.a.b) into a document."""
    for part in path.lstrip("$").strip(".").split(".") if path not in ("$", "") else []:
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def fill(template, doc: dict, context: dict):
    """A Parameters or ResultSelector template applied to a document, as ASL does."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = path_value(context if value.startswith("$$") else doc,
                                           value[1:] if value.startswith("$$") else value)
            else:
                out[key] = fill(value, doc, context)
        return out
    if isinstance(template, str) and template.startswith("${"):
        return f"arn:aws:lambda:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:function:wisaw-{SAMPLE_STAGE}-step"
    return template


def place(doc: dict, result_path, result):
    if result_path is None:
        return doc
    out = json.loads(json.dumps(doc))
    keys = result_path.lstrip("$").strip(".").split(".")
    if keys == [""]:
        return result
    target = out
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = result
    return out


def invoke_envelope(payload: dict) -> dict:
    """What lambda:invoke returns, with the shape the engine's fidelity fixture records."""
    recorded = load_json(INVOKE_FIXTURE)
    output = next(e for e in recorded["history"] if e["type"] == "TaskSucceeded")["details"]["output"]["$json"]
    text = json.dumps(output)
    body = json.dumps(payload, separators=(",", ":"))
    text = (text.replace('"Date": "<any>"', json.dumps({"Date": SAMPLE_DATE})[1:-1])
                .replace('"X-Amzn-Trace-Id": "<any>"', json.dumps({"X-Amzn-Trace-Id": SAMPLE_TRACE})[1:-1])
                .replace('"<any>"', json.dumps(SAMPLE_REQUEST_ID))
                .replace('"13"', json.dumps(str(len(body)))))
    envelope = json.loads(text)
    envelope["Payload"] = payload
    return envelope


def handler_outputs(photo: dict, sizes: dict) -> dict[str, dict]:
    """Each step's output, in the types of crates/domain/src/contracts.rs, for this photo."""
    width, height = sizes["width"], sizes["height"]
    upright = (height, width)  # the inputs carry EXIF orientation 6 (bench/make_inputs.py)
    bounds = rendition_bounds()

    def fit(max_w, max_h):
        scale = min(max_w / upright[0], max_h / upright[1], 1.0)
        return round(upright[0] * scale), round(upright[1] * scale)

    thumb, display = fit(bounds["DISPLAY_MAX_SIDE"], bounds["THUMB_HEIGHT"]), fit(bounds["DISPLAY_MAX_SIDE"], bounds["DISPLAY_MAX_SIDE"])
    return {
        "Validate": {"accepted": True, "image": {"format": "jpeg", "width": width, "height": height, "orientation": 6,
                                                 "uprightWidth": upright[0], "uprightHeight": upright[1]},
                     "rejection": None},
        "Thumbnail": {"thumb": {"key": f"photos/{SAMPLE_ID}/thumb.webp", "width": thumb[0], "height": thumb[1],
                                "bytes": round(photo["thumb_kb"] * 1000)},
                      "display": {"key": f"photos/{SAMPLE_ID}/display.webp", "width": display[0], "height": display[1],
                                  "bytes": round(photo["display_kb"] * 1000)}},
        "Persist": {"photoId": SAMPLE_ID, "attempt": 0, "status": "ready", "changed": True},
        "Notify": {"eventType": "photo.ready", "published": True},
    }


def execution_events(asl: dict, path: list[tuple[str, int]], photo: dict, sizes: dict, settings: dict,
                     envelope: bool | None = None) -> list[dict]:
    """The events one execution of `path` writes to CloudWatch Logs, in the format Step
    Functions writes there: id, type, details (input and output as JSON strings), previous
    event id, timestamp, execution ARN. Each Task as its Resource calls the function, or, with
    `envelope` given, every Task through lambda:invoke (True) or on the function's ARN (False)."""
    # The execution's input as dispatch writes it (ExecutionInput).
    doc = {"photoId": SAMPLE_ID, "attempt": 0}
    execution_arn = f"arn:aws:states:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:express:wisaw-{SAMPLE_STAGE}-upload:{SAMPLE_ID}:{SAMPLE_REQUEST_ID}"
    context = {"Execution": {"Name": SAMPLE_ID}}
    outputs = handler_outputs(photo, sizes)
    compact = lambda value: json.dumps(value, separators=(",", ":"))
    # Step Functions Developer Guide, "Log levels": at ALL every history event is written; on a
    # path that succeeds a Task state gives Entered, Scheduled, Started, Succeeded, Exited, any
    # other state Entered and Exited, and the execution its Started and Succeeded.
    details = [("ExecutionStarted", {"input": compact(doc), "inputDetails": {"truncated": False},
                                     "roleArn": f"arn:aws:iam::{SAMPLE_ACCOUNT}:role/wisaw-{SAMPLE_STAGE}-UploadStateMachineRole-ABCDEFGHIJKL"})]
    for name, _ in path:
        state = asl["States"][name]
        kind = state["Type"]
        details.append((f"{kind}StateEntered", {"name": name, "input": compact(doc), "inputDetails": {"truncated": False}}))
        if kind == "Task":
            through_invoke = state["Resource"] == LAMBDA_INVOKE
            parameters = fill(state.get("Parameters", {}), doc, context)
            function, payload_in = ((parameters.get("FunctionName"), parameters.get("Payload", {})) if through_invoke
                                    else (state["Resource"], parameters))
            payload = outputs.get(name, {})
            logged_through_invoke = through_invoke if envelope is None else envelope
            if logged_through_invoke:
                # lambda:invoke logs the Invoke call and its whole answer (the fidelity fixture's envelope).
                resource = {"resourceType": "lambda", "resource": "invoke"}
                details += [("TaskScheduled", {**resource, "region": SAMPLE_REGION,
                                               "parameters": compact({"FunctionName": function, "Payload": payload_in}),
                                               "timeoutInSeconds": state.get("TimeoutSeconds", 60)}),
                            ("TaskStarted", resource),
                            ("TaskSucceeded", {**resource, "output": compact(invoke_envelope(payload)),
                                               "outputDetails": {"truncated": False}})]
            else:
                # A Task on the function's ARN: LambdaFunction events (the engine's fidelity fixture
                # 32 records their shape), the payload alone.
                details += [("LambdaFunctionScheduled", {"resource": function, "input": compact(payload_in),
                                                         "inputDetails": {"truncated": False},
                                                         "timeoutInSeconds": state.get("TimeoutSeconds", 60)}),
                            ("LambdaFunctionStarted", {}),
                            ("LambdaFunctionSucceeded", {"output": compact(payload), "outputDetails": {"truncated": False}})]
            # The state's own selector reads the result its Resource gives.
            result = invoke_envelope(payload) if through_invoke else payload
            if "ResultSelector" in state:
                result = fill(state["ResultSelector"], result, context)
            doc = place(doc, state.get("ResultPath", "$"), result)
        details.append((f"{kind}StateExited", {"name": name, "output": compact(doc), "outputDetails": {"truncated": False}}))
    details.append(("ExecutionSucceeded", {"output": compact(doc), "outputDetails": {"truncated": False}}))
    events = []
    for number, (kind, detail) in enumerate(details, start=1):
        events.append({"id": str(number), "type": kind, "details": detail, "previous_event_id": str(number - 1),
                       "event_timestamp": "1796163073000", "execution_arn": execution_arn})
    return events


def log_cost(events: list[dict], settings: dict) -> dict:
    """CloudWatch Logs for one execution: nothing unless the level is ALL (the ready path has
    no error event), execution data only when IncludeExecutionData is on."""
    if settings["log_level"] != "ALL":
        return {"events": 0, "bytes": 0, "cost": 0.0}
    if not settings["execution_data"]:
        events = [{**e, "details": {k: v for k, v in e["details"].items() if k not in ("input", "output", "parameters")}}
                  for e in events]
    lines = [json.dumps(e, separators=(",", ":")) for e in events]
    size, archived = sum(len(line) for line in lines), archived_bytes(lines)
    return {"events": len(events), "bytes": size, "archived": archived, "per_event": size / len(events),
            "cost": logs_price(size, settings, archived)}


# ------------------------------------------------------------------ the functions' own logs

def app_lines(function: str, name: str, photo: dict) -> list[tuple[str, dict, str, dict]]:
    """The INFO lines one invocation's handler writes on the ready path, as (span name, span
    fields, message, fields): api/src/lambda.rs, ingest/src/lambda.rs and lib.rs,
    crates/step/src/lib.rs and each worker's lib.rs."""
    step = {"step": function, "photo_id": SAMPLE_ID}
    ticket = ("http", {"method": "POST", "path": "/v1/uploads", "photo_id": ""}, "answered", {"status": 201})
    status = ("http", {"method": "GET", "path": f"/v1/photos/{SAMPLE_ID}", "photo_id": SAMPLE_ID}, "answered", {"status": 200})
    record = {"message_id": SAMPLE_REQUEST_ID, "photo_id": SAMPLE_ID}
    lines = {
        ("api", "ticket"): [ticket],
        ("api", "status"): [status],
        ("dispatch", "sqs-1-record"): [
            ("record", record, "execution started", {"execution": f"{SAMPLE_ID}-0"}),
            ("record", record, "record dispatched", {"started": 1, "already_started": 0, "ignored": 0, "deleted_uploads": 0})],
        ("validate", photo["key"]): [("step", step, "upload accepted", {"photo_id": SAMPLE_ID, "bytes": photo["original_bytes"]})],
        ("thumbnail", photo["key"]): [("step", step, "renditions written", {
            "photo_id": SAMPLE_ID, "thumb_bytes": round(photo["thumb_kb"] * 1000), "display_bytes": round(photo["display_kb"] * 1000)})],
        ("persist", "ready"): [("step", step, "outcome recorded", {"photo_id": SAMPLE_ID, "status": "ready", "changed": True})],
        ("notify", "photo.ready"): [("step", step, "announced", {"photo_id": SAMPLE_ID, "event_id": SAMPLE_REQUEST_ID, "first": True})],
    }
    return lines.get((function, name), [])


# Lambda's log-level filtering (Lambda User Guide, "Log-level filtering"): a level lets
# through itself and what is more severe. The handlers' lines counted here are INFO; the
# platform events counted (start, runtimeDone, report) are INFO too ("By default, Lambda
# sets the system log level to INFO. With this setting, Lambda automatically sends start
# and report log messages").
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LAMBDA_DEFAULT_LOG_LEVELS = {"application": "INFO", "system": "INFO"}


def passes(level: str, setting: str) -> bool:
    return LOG_LEVELS.index(level) >= LOG_LEVELS.index(setting)


def invocation_log(app: list[tuple[str, dict, str, dict]], memory_mb: int, duration: float, traced: bool,
                   levels: dict) -> list[str]:
    """One invocation's lines in its log group: Lambda's platform events in the JSON log
    format (the Telemetry API's event records) around the handler's JSON lines, those the
    function's log levels (`levels`: application and system) let through."""
    platform = passes("INFO", levels["system"])
    if not passes("INFO", levels["application"]):
        app = []
    compact = lambda value: json.dumps(value, separators=(",", ":"))
    time = "2026-12-01T22:11:13.000Z"
    request = {"requestId": SAMPLE_REQUEST_ID, "name": "Lambda runtime invoke"}
    if traced:
        request["xrayTraceId"] = SAMPLE_TRACE.split(";")[0].removeprefix("Root=")
    lines = [compact({"time": time, "type": "platform.start", "record": {"requestId": SAMPLE_REQUEST_ID, "version": "$LATEST"}})]
    for span, span_fields, message, fields in app:
        current = {**span_fields, "name": span}
        lines.append(compact({"level": "INFO", "fields": {"message": message, **fields}, "span": current,
                              "spans": [request, current]}))
    ms_ = round(duration, 3)
    lines.append(compact({"time": time, "type": "platform.runtimeDone", "record": {
        "requestId": SAMPLE_REQUEST_ID, "status": "success",
        "spans": [{"name": "responseLatency", "start": time, "durationMs": ms_},
                  {"name": "responseDuration", "start": time, "durationMs": 0.05}],
        "metrics": {"durationMs": ms_, "producedBytes": 512}}}))
    report = {"requestId": SAMPLE_REQUEST_ID, "metrics": {"durationMs": ms_, "billedDurationMs": math.ceil(duration),
                                                          "memorySizeMB": memory_mb, "maxMemoryUsedMB": 64},
              "status": "success"}
    if traced:
        report["tracing"] = {"spanId": "3f2e1d0c9b8a7968", "type": "X-Amzn-Trace-Id", "value": SAMPLE_TRACE}
    lines.append(compact({"time": time, "type": "platform.report", "record": report}))
    return lines if platform else [line for line in lines if '"type":"platform.' not in line]


def text_platform_lines(memory_mb: int, duration: float) -> list[str]:
    """START, END and REPORT in the text log format (the original app's Node function)."""
    return [f"START RequestId: {SAMPLE_REQUEST_ID} Version: $LATEST",
            f"END RequestId: {SAMPLE_REQUEST_ID}",
            f"REPORT RequestId: {SAMPLE_REQUEST_ID}\tDuration: {duration:.2f} ms\tBilled Duration: {math.ceil(duration)} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: 98 MB\t"]


# CloudWatch pricing, Logs: "Data archived by CloudWatch Logs includes 26 bytes of metadata
# per log event and is compressed using gzip level 6 compression."
ARCHIVE_METADATA_BYTES = 26
ARCHIVE_GZIP_LEVEL = 6


def archived_bytes(lines: list[str]) -> int:
    """What CloudWatch Logs stores for these events: gzip level 6 of them together, and 26
    bytes of metadata each. Compressing one photo's lines alone, as here, compresses less
    than CloudWatch's own blocks of many photos would (an upper bound)."""
    text = "\n".join(lines).encode()
    return len(gzip.compress(text, ARCHIVE_GZIP_LEVEL, mtime=0)) + ARCHIVE_METADATA_BYTES * len(lines)


def logs_price(size: float, settings: dict, archived: float | None = None) -> float:
    """CloudWatch Logs for `size` bytes ingested, stored for the retention as `archived`
    bytes (as ingested when unknown: an upper bound)."""
    months_kept = settings["log_retention_days"] * 24 / ASSUMPTIONS["hours_per_month"]
    stored = size if archived is None else archived
    return size / GIB * PRICE["logs_ingest_gb"] + stored / GIB * months_kept * PRICE["logs_store_gb_month"]


def function_logs(photo: dict, settings: dict) -> dict:
    """The bytes and cost of one photo's invocations' own log lines."""
    rows, everything = [], []
    for r in photo["invocations"]:
        lines = invocation_log(app_lines(r["function"], r["input"], photo), r["memory"], r["ms"], settings["functions_traced"],
                               settings["function_log_levels"])
        rows.append({"function": r["function"], "input": r["input"], "count": r["count"], "lines": len(lines),
                     "bytes": sum(len(line) + 1 for line in lines)})
        everything += lines * math.ceil(r["count"])
    size = sum(r["bytes"] * r["count"] for r in rows)
    archived = archived_bytes(everything) if everything else 0
    return {"rows": rows, "bytes": size, "cost": logs_price(size, settings, archived)}


# The API's calls of one photo, as the HTTP API's access log records them.
API_REQUESTS = {
    "ticket": {"method": "POST", "path": "/v1/uploads", "routeKey": "POST /v1/uploads", "status": "201",
               "latencyMs": "14"},
    "status": {"method": "GET", "path": f"/v1/photos/{SAMPLE_ID}", "routeKey": "GET /v1/photos/{photoId}",
               "status": "200", "latencyMs": "17"},
}


def api_access_logs(settings: dict, calls: dict[str, float]) -> dict:
    """The HTTP API's access log lines of one photo's calls: the template's Format with each
    request's values (an API Gateway request id is 16 characters; no integration error)."""
    form = settings["api_access_log_format"]
    if not form:
        return {"lines": 0, "bytes": 0, "cost": 0.0}
    lines = []
    for call, count in calls.items():
        values = {"requestId": "Jx8dKhK8IAMEVfg=", "identity.sourceIp": "203.0.113.7", "httpMethod": API_REQUESTS[call]["method"],
                  "integrationErrorMessage": "-", "responseLatency": API_REQUESTS[call]["latencyMs"],
                  **API_REQUESTS[call]}
        line = re.sub(r"\$context\.([\w.]+)", lambda m: values.get(m.group(1), "-"), form)
        lines += [line] * math.ceil(count)
    size = sum(len(line) + 1 for line in lines)
    return {"lines": len(lines), "bytes": size, "cost": logs_price(size, settings, archived_bytes(lines))}


# ------------------------------------------------------------------ Lambda

def duration_ms(cpu_ms: float, wait_ms: float, memory_mb: int) -> float:
    """bench/lambda_model.py's formula: CPU stretched below a full vCPU, the wait unchanged."""
    return cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb) + wait_ms


def gb_seconds(memory_mb: int, ms: float) -> float:
    return memory_mb / 1024 * math.ceil(ms) / 1000


def lambda_invocations(model: dict, key: str, api_calls: dict[str, float]) -> list[dict]:
    """The invocations of one photo: (function, input, how many) with their figures."""
    calls = [("api", name, n) for name, n in api_calls.items() if n]
    calls += [("dispatch", "sqs-1-record", 1 / ASSUMPTIONS["records_per_batch"]),
              ("validate", key, 1), ("thumbnail", key, 1), ("persist", "ready", 1),
              ("notify", "photo.ready", 1)]
    rows = []
    for function, name, count in calls:
        entry = model["functions"][function]
        measured = entry["inputs"][name]
        previous = PREVIOUS_MB[function]
        previous_ms = duration_ms(measured["cpu_ms"], measured["wait_ms"], previous)
        rows.append({
            "function": function, "input": name, "count": count,
            "memory": entry["memory_mb"], "ms": measured["duration_ms"], "gb_s": measured["gb_seconds"],
            "prev_memory": previous, "prev_ms": previous_ms, "prev_gb_s": gb_seconds(previous, previous_ms),
        })
    return rows


def lambda_cost(gb_s: float, requests: float, price_gb_s: float = PRICE["lambda_gb_s_arm64"]) -> float:
    return gb_s * price_gb_s + requests * PRICE["lambda_request"]


# ------------------------------------------------------------------ formatting

def usd(x: float) -> str:
    """Dollars with three significant digits, never in exponent form."""
    if x == 0:
        return "$0"
    if abs(x) >= 100:
        return f"${x:,.0f}"
    decimals = max(2, 2 - math.floor(math.log10(abs(x))))
    return f"${x:.{decimals}f}"


def price(x: float) -> str:
    """A unit price as published: every digit, no exponent."""
    return "$" + f"{x:.10f}".rstrip("0").rstrip(".")


def ms(x: float) -> str:
    return f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms"


def table(header: list[str], rows: list[list], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ the photo

def photo_base(model: dict, rows_thumbs: dict, sizes: dict, label: str, api_calls: dict | None = None) -> dict:
    """What one photo is and does, whatever the workflow type: its bytes, its invocations,
    its requests (the phone's API calls as assumed, unless given)."""
    key, file = PHOTOS[label]
    api_calls = ASSUMPTIONS["api_calls"] if api_calls is None else api_calls
    display_kb, thumb_kb = rendition_kb(rows_thumbs, file, "wisaw")
    invocations = lambda_invocations(model, key, api_calls)
    per_batch = ASSUMPTIONS["records_per_batch"]
    return {
        "label": label, "key": key, "file": file, "original_bytes": sizes[file]["bytes"], "sizes": sizes[file],
        "api_calls": api_calls,
        "display_kb": display_kb, "thumb_kb": thumb_kb, "invocations": invocations,
        "gb_s": sum(r["gb_s"] * r["count"] for r in invocations),
        "prev_gb_s": sum(r["prev_gb_s"] * r["count"] for r in invocations),
        "requests": sum(r["count"] for r in invocations),
        "steps_lambda": lambda_cost(sum(r["gb_s"] * r["count"] for r in invocations if r["function"] not in ("api", "dispatch")),
                                    sum(r["count"] for r in invocations if r["function"] not in ("api", "dispatch"))),
        "sqs": {"SendMessage (S3 notification)": ASSUMPTIONS["sqs_chunks_per_message"],
                "ReceiveMessage (event source)": 1 / per_batch,
                "DeleteMessageBatch (event source)": 1 / per_batch},
        "s3_puts": {"PUT the original (phone)": 1, "PUT display.webp": 1, "PUT thumb.webp": 1},
        "s3_gets": {"GET the original (validate)": 1, "GET the original (thumbnail)": 1},
        "renditions_month": (display_kb + thumb_kb) * 1000 / GIB * PRICE["s3_gb_month"],
    }


def original_storage(photo: dict, settings: dict, seconds_to_outcome: float) -> dict:
    """The original's GB-months: until its outcome if a step deletes it, else the lifecycle
    rule's days; failed photos keep theirs for the retention either way (replayable)."""
    gb = photo["original_bytes"] / GIB
    retained_months = settings["retention_days"] * 24 / ASSUMPTIONS["hours_per_month"]
    if settings["deletes_original"]:
        failed = ASSUMPTIONS["failed_fraction"]
        outcome_months = seconds_to_outcome / 3600 / ASSUMPTIONS["hours_per_month"]
        months = (1 - failed) * outcome_months + failed * retained_months
        how = (f"deleted by {settings['original_deleter'] or 'a step'} at its outcome ({seconds_to_outcome:.1f} s "
               f"after the PUT), kept "
               f"{settings['retention_days']:g} days for the {failed:.1%} that fail")
    else:
        months = retained_months
        how = f"kept {settings['retention_days']:g} days (lifecycle rule; nothing deletes it sooner)"
    return {"gb_months": gb * months, "cost": gb * months * PRICE["s3_gb_month"], "how": how}


def xray_traces(settings: dict, api_calls: dict[str, float]) -> dict[str, float]:
    """Traces one photo starts, from the template's tracing: each api request, each dispatch
    invocation, and the execution (its Lambda tasks join the execution's trace)."""
    traces = {}
    if settings["functions_traced"]:
        traces["api requests"] = sum(api_calls.values())
        traces["dispatch invocation"] = 1 / ASSUMPTIONS["records_per_batch"]
    if settings["machine_traced"] or settings["functions_traced"]:
        traces["the execution (its tasks join it)"] = 1
    share = settings.get("xray_share", ASSUMPTIONS["xray_recorded_share"])
    return {k: v * share for k, v in traces.items()}


def express_cost(lat: dict) -> dict:
    memory_mb, _ = express_memory_mb()
    billed_ms = math.ceil(lat["in_execution_ms"] / 100) * 100
    gb_s = memory_mb / 1024 * billed_ms / 1000
    return {"wall_ms": lat["in_execution_ms"], "billed_ms": billed_ms, "gb_s": gb_s,
            "cost": PRICE["sfn_express_request"] + gb_s * PRICE["sfn_express_gb_s"]}


def photo_costs(photo: dict, workflow: str, n_ready: int, logs: dict, storage: dict, express: dict, settings: dict,
                fn_logs: dict) -> dict:
    """One photo's cost by service, for one workflow type."""
    standard_sfn = n_ready * PRICE["sfn_transition"]
    orchestration = standard_sfn if workflow == "STANDARD" else express["cost"]
    replay = ASSUMPTIONS["replay_fraction"] * (orchestration + photo["steps_lambda"] + logs["cost"])
    cost = {
        "Lambda": lambda_cost(photo["gb_s"], photo["requests"]),
        "Lambda logs": fn_logs["cost"],
        "Step Functions": orchestration,
        "Step Functions logs": logs["cost"],
        "SQS": sum(photo["sqs"].values()) * PRICE["sqs_request"],
        "S3 requests": sum(photo["s3_puts"].values()) * PRICE["s3_put"] + sum(photo["s3_gets"].values()) * PRICE["s3_get"],
        "S3 storage of the original": storage["cost"],
        "API Gateway": sum(photo["api_calls"].values()) * PRICE["http_api_request"],
        "API Gateway logs": api_access_logs(settings, photo["api_calls"])["cost"],
        "AppSync Events": ASSUMPTIONS["events_operations"] * PRICE["events_operation"]
                          + ASSUMPTIONS["events_connection_minutes"] * PRICE["events_connection_minute"],
        "X-Ray": sum(xray_traces(settings, photo["api_calls"]).values()) * PRICE["xray_trace"],
        "Replays": replay,
    }
    return {"cost": cost, "total": sum(cost.values())}


def latency(model: dict, harness: dict, photo: dict, path: list[tuple[str, int]], window_s: float) -> dict:
    """Upload acknowledged -> event published: the steps' modelled durations, the estimates
    and, for a cold path, the harness's init and first-invocation extra."""
    key = photo["key"]
    f = model["functions"]
    steps = [("dispatch", "sqs-1-record"), ("validate", key), ("thumbnail", key),
             ("persist", "ready"), ("notify", "photo.ready")]
    measured = [(f"{fn} ({name}, {f[fn]['memory_mb']} MB)", f[fn]["inputs"][name]["duration_ms"])
                for fn, name in steps]
    n = transitions(path)
    transfer_ms = 2 * photo["original_bytes"] / 1e6 / ASSUMPTIONS["s3_mb_per_s"] * 1000
    estimates = [
        ("S3 → ingest queue (notification delivery)", ASSUMPTIONS["s3_to_sqs_ms"],
         "estimate: the S3 documentation says notifications typically arrive in seconds, "
         "sometimes a minute or longer"),
        ("event source's batching window (a batch not full waits for it)", window_s * 1000,
         "template.yaml MaximumBatchingWindowInSeconds, waited out in full by a photo arriving alone"),
        (f"Step Functions: {n} transitions", n * ASSUMPTIONS["sfn_ms_per_transition"],
         f"a guess, {ASSUMPTIONS['sfn_ms_per_transition']} ms each: no published figure, not measured here"),
        ("the original's two GETs from real S3", transfer_ms,
         f"estimate: {photo['original_bytes'] / 1e6:.1f} MB twice at {ASSUMPTIONS['s3_mb_per_s']} MB/s "
         f"(S3's 85-90 MB/s per connection); the harness's GETs were from moto on loopback"),
    ]
    cold = []
    for fn, name in steps:
        m = harness["functions"][fn][name]
        memory = f[fn]["memory_mb"]
        init = duration_ms(m["init_cpu_ms"], max(0.0, m["init_ms"] - m["init_cpu_ms"]), memory)
        extra = max(0.0, m["first_ms"] - statistics.median(m["warm_ms"]))
        cold.append((fn, name, init, extra * max(1.0, FULL_VCPU_MB / memory)))
    measured_sum = sum(v for _, v in measured)
    estimates_sum = sum(v for _, v, _ in estimates)
    return {"measured": measured, "estimates": estimates, "cold": cold, "measured_sum": measured_sum,
            "estimates_sum": estimates_sum, "cold_sum": sum(i + e for _, _, i, e in cold),
            "warm_ms": measured_sum + estimates_sum,
            "in_execution_ms": sum(v for label, v in measured if not label.startswith("dispatch"))
                               + estimates[2][1] + estimates[3][1]}


def original_app(photo: dict, rows_thumbs: dict, wisaw_cost: dict, settings: dict, fn_logs: dict) -> dict:
    """The app's Lambda setup: one 3,008 MB Node function per upload, triggered by S3, sharp
    doing the whole job; the same API calls and api function as wisaw; the originals kept
    for the template's retention, as this document has always compared it."""
    row = rows_thumbs[(photo["file"], "sharp")]
    wall_ms = float(row["time"]) * 1000
    gb_s = gb_seconds(ORIGINAL_MB, wall_ms)
    api = [r for r in photo["invocations"] if r["function"] == "api"]
    api_cost = lambda_cost(sum(r["gb_s"] * r["count"] for r in api), sum(r["count"] for r in api))
    kept = photo["original_bytes"] / GIB * settings["retention_days"] * 24 / ASSUMPTIONS["hours_per_month"] * PRICE["s3_gb_month"]
    # Its function's START, END and REPORT lines (text: what it logged besides is not
    # recorded), and the api's lines as this pipeline's api writes them, at Lambda's
    # default levels (the app set none).
    own = sum(len(line) + 1 for line in text_platform_lines(ORIGINAL_MB, wall_ms))
    unfiltered = function_logs(photo, {**settings, "function_log_levels": LAMBDA_DEFAULT_LOG_LEVELS})
    api_bytes = sum(r["bytes"] * r["count"] for r in unfiltered["rows"] if r["function"] == "api")
    cost = {
        "Lambda": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_x86"]) + api_cost,
        "Lambda logs": logs_price(own + api_bytes, settings),
        "S3 requests": 3 * PRICE["s3_put"] + 1 * PRICE["s3_get"],
        "S3 storage of the original": kept,
        "API Gateway": wisaw_cost["API Gateway"],
    }
    total = sum(cost.values())
    return {"wall_ms": wall_ms, "gb_s": gb_s, "cost": cost, "total": total, "total_if_deleted": total - kept,
            "arm64": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_arm64"]) + api_cost,
            "x86_function": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_x86"])}


# ------------------------------------------------------------------ the batching window

def poisson_tail(mean: float, k: int) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    return 1.0 - sum(math.exp(-mean) * mean ** j / math.factorial(j) for j in range(k))


def batch_shape(rate: float, window_s: float, batch_size: int) -> dict:
    """A batch opens with its first record and closes when full or when the window ends.
    With arrivals Poisson at `rate`, a batch holds 1 + min(size-1, Poisson(rate·window))
    records, and the records together wait (1/rate)·Σ_{j<size-1} (1+j)·P(Poisson(rate·window) > j)
    (the integral over the open window of the records already in it)."""
    if window_s == 0:
        return {"records": 1.0, "wait_s": 0.0}
    mean = rate * window_s
    more = batch_size - 1
    records = 1 + sum(poisson_tail(mean, j + 1) for j in range(more))
    total_wait = sum((1 + j) * poisson_tail(mean, j + 1) for j in range(more)) / rate
    return {"records": records, "wait_s": total_wait / records}


def dispatch_batch_ms(model: dict, records: float) -> tuple[float, float]:
    """A batch's dispatch time: measured only for one record. Its records run concurrently
    (join_all in ingest/src/lambda.rs) over one database connection: at least every record's
    CPU plus one wait, at most every record's whole duration."""
    entry = model["functions"]["dispatch"]
    one = entry["inputs"]["sqs-1-record"]
    cpu = one["cpu_ms"] * max(1.0, FULL_VCPU_MB / entry["memory_mb"])
    return records * cpu + one["wait_ms"], records * one["duration_ms"]


def batching_rows(model: dict, settings: dict) -> list[dict]:
    entry = model["functions"]["dispatch"]
    windows = sorted(set(ASSUMPTIONS["batching_windows_s"]) | {settings["batching_window_s"]})
    rows = []
    for rate in ASSUMPTIONS["batching_rates_per_s"]:
        for window in windows:
            shape = batch_shape(rate, window, settings["batch_size"])
            low, high = dispatch_batch_ms(model, shape["records"])
            invocations = 1 / shape["records"]
            # Priced at the upper bound of a batch's duration: with one measured batch size, no better.
            gb_s = entry["memory_mb"] / 1024 * math.ceil(high) / 1000
            cost = invocations * lambda_cost(gb_s, 1) + 2 * invocations * PRICE["sqs_request"]
            rows.append({"rate": rate, "window": window, "records": shape["records"], "wait_ms": shape["wait_s"] * 1000,
                         "dispatch_ms": (low, high), "invocations_per_photo": invocations,
                         "cost_per_million": cost * 1e6, "concurrency": rate * invocations * high / 1000})
    return rows


def recommended_window(rows: list[dict]) -> tuple[float, str]:
    """The window whose added latency is least at low rates, unless what it saves at the
    highest rate is worth more than that latency (it never is at these prices: cents)."""
    low_rate = min(r["rate"] for r in rows)
    by_window = {r["window"]: r for r in rows if r["rate"] == low_rate}
    best = min(by_window, key=lambda w: by_window[w]["wait_ms"] + by_window[w]["dispatch_ms"][1])
    high_rate = max(r["rate"] for r in rows)
    at_high = {r["window"]: r for r in rows if r["rate"] == high_rate}
    saving = max(at_high[best]["cost_per_million"] - min(r["cost_per_million"] for r in at_high.values()), 0)
    return best, (f"at {low_rate:g} upload/s it adds {ms(by_window[best]['wait_ms'])} of waiting, against "
                  f"{ms(max(r['wait_ms'] for r in by_window.values()))} for the longest window; at {high_rate:g}/s "
                  f"the longest window would save {usd(saving)} per million photos")


# ------------------------------------------------------------------ at rest, and per month

def schedule_lines(model: dict, settings: dict) -> list[dict]:
    """Each schedule's invocations a month, priced from its function's measured duration
    (the sweep itself is not measured: taken as long as the function's own measured input)."""
    lines = []
    for function, binary, period, reads_db, gated in settings["schedules"]:
        entry = next((e for e in model["functions"].values() if e.get("logical_id") == function), None)
        runs = ASSUMPTIONS["hours_per_month"] * 3600 / period
        measured_name, measured = next(iter(entry["inputs"].items())) if entry else ("?", {"gb_seconds": 0})
        # A sweep with nothing to publish writes no INFO line: the platform events alone.
        memory = entry["memory_mb"] if entry else 128
        log_bytes = sum(len(line) + 1 for line in invocation_log([], memory, measured.get("duration_ms", 1.0),
                                                                 settings["functions_traced"],
                                                                 settings["function_log_levels"]))
        # A sweep gated on the dead letters asks SQS first (GetQueueAttributes), each run.
        cost = (runs * lambda_cost(measured["gb_seconds"], 1) + logs_price(runs * log_bytes, settings)
                + (runs * PRICE["sqs_request"] if gated else 0)
                + (runs * settings.get("xray_share", ASSUMPTIONS["xray_recorded_share"]) * PRICE["xray_trace"]
                   if settings["functions_traced"] else 0))
        lines.append({"function": function, "binary": binary, "period_s": period, "runs": runs, "reads_db": reads_db,
                      "gated": gated, "cost": cost, "measured": measured_name, "log_bytes": log_bytes})
    return lines


def fixed_lines(model: dict, settings: dict) -> list[tuple[str, float, str]]:
    """What a stage costs a month with no photo, whatever its network and database."""
    hours = ASSUMPTIONS["hours_per_month"]
    polls = PUBLISHED["sqs_pollers"] * hours * 3600 / PUBLISHED["sqs_long_poll_s"]
    lines = [
        ("Secrets Manager secrets", settings["secrets"] * PRICE["secret_month"],
         f"{settings['secrets']} at ${PRICE['secret_month']:.2f}: {', '.join(settings['secret_resources'])} "
         f"in the template, and the database's (DatabaseSecretArn)"),
        ("CloudWatch alarms", settings["alarms"] * PRICE["alarm_month"],
         f"{settings['alarms']} AWS::CloudWatch::Alarm at ${PRICE['alarm_month']:.2f}"),
        ("the event source's empty long polls", polls * PRICE["sqs_request"],
         f"{polls:,.0f} receives: {PUBLISHED['sqs_pollers']} pollers, a {PUBLISHED['sqs_long_poll_s']} s long poll each"),
    ]
    for line in schedule_lines(model, settings):
        lines.append((f"schedule of {line['function']} (every {line['period_s'] / 60:g} min)", line["cost"],
                      f"{line['runs']:,.0f} invocations, each as long as its measured `{line['measured']}`, "
                      f"with {line['log_bytes']:,} bytes of platform log events"
                      f"{' and a trace' if settings['functions_traced'] else ''} each"
                      f"{'; it reads the database' if line['reads_db'] else ''}"
                      f"{'; it asks the dead-letter queue whether anything waits, and reads the database only then' if line['gated'] else ''}"))
    return lines


def network_configs(settings: dict) -> dict[str, dict]:
    """No VPC; a VPC whose functions reach AWS through interface endpoints; a VPC with a NAT
    gateway. The S3 gateway endpoint (free) is taken in both VPCs."""
    hours, azs = ASSUMPTIONS["hours_per_month"], ASSUMPTIONS["availability_zones"]
    endpoints = vpc_endpoints(settings)
    nat = ASSUMPTIONS["nat_gateways"]
    return {
        "no-vpc": {"fixed": 0.0, "per_gb": 0.0, "vpc": False,
                   "how": "functions outside any VPC; the database reached over TLS on its public address"},
        "vpc-endpoints": {"fixed": len(endpoints) * azs * hours * PRICE["endpoint_az_hour"], "per_gb": PRICE["endpoint_gb"],
                          "vpc": True, "endpoints": endpoints,
                          "how": f"{len(endpoints)} interface endpoints ({', '.join(endpoints)}) in {azs} AZs"},
        "vpc-nat": {"fixed": nat * hours * (PRICE["nat_hour"] + PRICE["public_ipv4_hour"]), "per_gb": PRICE["nat_gb"],
                    "vpc": True, "how": f"{nat} NAT gateway and its public IPv4 address"},
    }


def awake_share(photos: int, schedules: list[dict]) -> float:
    """The share of the month an auto-pausing database is awake: after each burst of uploads
    for the auto-pause delay (plus its resume), bursts Poisson; and after each run of a
    schedule that reads it, which wakes it every period."""
    stay = PUBLISHED["aurora_auto_pause_s"] + PUBLISHED["aurora_resume_s"]
    seconds = ASSUMPTIONS["hours_per_month"] * 3600
    bursts_per_s = photos / ASSUMPTIONS["photos_per_burst"] / seconds
    asleep = math.exp(-bursts_per_s * stay)
    for line in schedules:
        if line["reads_db"]:
            asleep *= max(0.0, 1 - stay / line["period_s"])
    return 1 - asleep


def database_options(settings: dict, schedules: list[dict]) -> dict[str, dict]:
    """Each database option's monthly cost at a photo count, on a network."""
    hours = ASSUMPTIONS["hours_per_month"]
    size = ASSUMPTIONS["database_gb"]

    def public_ip(vpc: bool) -> float:
        # Outside a VPC the functions reach the database on its public address.
        return 0.0 if vpc else hours * PRICE["public_ipv4_hour"]

    def rds(photos: int, vpc: bool) -> dict:
        gp3 = max(PUBLISHED["rds_min_gp3_gb"], size)
        return {"total": hours * PRICE["rds_t4g_micro_hour"] + gp3 * PRICE["rds_gp3_gb_month"] + public_ip(vpc),
                "awake_h": hours, "storage": gp3 * PRICE["rds_gp3_gb_month"]}

    def aurora(photos: int, vpc: bool) -> dict:
        awake = awake_share(photos, schedules) * hours
        compute = awake * PUBLISHED["aurora_min_awake_acu"] * PRICE["aurora_acu_hour"]
        storage = size * PRICE["aurora_gb_month"]
        io = photos * ASSUMPTIONS["aurora_ios_per_photo"] * PRICE["aurora_io"]
        return {"total": compute + storage + io + public_ip(vpc), "awake_h": awake, "storage": storage}

    return {"rds-t4g-micro": {"cost": rds, "how": f"RDS PostgreSQL db.t4g.micro single-AZ, gp3 {PUBLISHED['rds_min_gp3_gb']} GB"},
            "aurora-serverless-v2": {"cost": aurora, "how": "Aurora PostgreSQL Serverless v2, minimum 0 ACU (auto-pause)"}}


def crossover_photos(databases: dict, vpc: bool) -> int | None:
    """The photos a month above which the always-on instance costs less than the pausing
    database (bisection: Aurora's cost only grows with photos)."""
    aurora, rds = databases["aurora-serverless-v2"]["cost"], databases["rds-t4g-micro"]["cost"]
    low, high = 0, 10_000_000
    if aurora(high, vpc)["total"] < rds(high, vpc)["total"] or aurora(low, vpc)["total"] > rds(low, vpc)["total"]:
        return None
    while high - low > 100:
        middle = (low + high) // 2
        low, high = (middle, high) if aurora(middle, vpc)["total"] < rds(middle, vpc)["total"] else (low, middle)
    return round(high, -2)


def monthly(photo_cost: float, fixed: float, network: dict, database, photos: int) -> dict:
    db = database(photos, network["vpc"])
    data = photos * ASSUMPTIONS["vpc_bytes_per_photo"] / GIB * network["per_gb"]
    total = fixed + network["fixed"] + data + db["total"] + photos * photo_cost
    return {"total": total, "database": db["total"], "awake_h": db["awake_h"]}


def beanstalk_month(photos: int, photo: dict, sharp_s: float, settings: dict) -> dict:
    """The app before Lambda: the instance, its volume and address, its database (the same
    db.t4g.micro in its VPC), and per photo what S3 bills; CPU above the t3's baseline is
    paid as surplus credits."""
    hours = ASSUMPTIONS["hours_per_month"]
    instance = hours * (PRICE["ec2_t3_micro_hour"] + PRICE["public_ipv4_hour"]) + ASSUMPTIONS["beanstalk_root_gb"] * PRICE["ebs_gp3_gb_month"]
    database = hours * PRICE["rds_t4g_micro_hour"] + PUBLISHED["rds_min_gp3_gb"] * PRICE["rds_gp3_gb_month"]
    vcpu_hours = photos * sharp_s / 3600
    baseline = PUBLISHED["t3_micro_vcpus"] * PUBLISHED["t3_micro_baseline"] * hours
    surplus = max(0.0, vcpu_hours - baseline) * PRICE["t3_surplus_vcpu_hour"]
    kept = photo["original_bytes"] / GIB * settings["retention_days"] * 24 / hours * PRICE["s3_gb_month"]
    per_photo = 3 * PRICE["s3_put"] + PRICE["s3_get"] + kept
    return {"total": instance + database + surplus + photos * per_photo, "database": database,
            "cpu_share": vcpu_hours / (PUBLISHED["t3_micro_vcpus"] * hours), "per_photo": per_photo}


# ------------------------------------------------------------------ the figures

def compute() -> dict:
    model, harness = load_json(MODEL), load_json(HARNESS)
    asl = load_json(ASL)
    rows_thumbs, notes = thumbnails_table()
    sizes = load_json(INPUT_SIZES)["inputs"]
    settings = template_settings()
    ready = walk(asl, "ready")
    n_ready = transitions(ready)
    if model["measured"] != harness["machine"]["date"]:
        notes.append(f"bench/results/lambda_model.json was computed from the harness run of {model['measured']}, "
                     f"lambda_harness.json is of {harness['machine']['date']}: rerun bench/lambda_model.py.")
    base = {label: photo_base(model, rows_thumbs, sizes, label) for label in PHOTOS}
    lats = {label: latency(model, harness, base[label], ready, settings["batching_window_s"]) for label in PHOTOS}
    events = {label: execution_events(asl, ready, base[label], base[label]["sizes"], settings) for label in PHOTOS}
    logs = {label: log_cost(events[label], settings) for label in PHOTOS}
    storage = {label: original_storage(base[label], settings, lats[label]["warm_ms"] / 1000) for label in PHOTOS}
    expr = {label: express_cost(lats[label]) for label in PHOTOS}
    fn_logs = {label: function_logs(base[label], settings) for label in PHOTOS}
    per_photo = {w: {label: photo_costs(base[label], w, n_ready, logs[label], storage[label], expr[label], settings,
                                        fn_logs[label])
                     for label in PHOTOS} for w in WORKFLOWS}
    orig = {label: original_app(base[label], rows_thumbs, per_photo["STANDARD"][label]["cost"], settings, fn_logs[label])
            for label in PHOTOS}
    schedules = schedule_lines(model, settings)
    fixed = fixed_lines(model, settings)
    networks = network_configs(settings)
    databases = database_options(settings, schedules)
    # The same options had no schedule read the database (the sweep run only when there is
    # something to sweep, or without a connection).
    databases_unswept = database_options(settings, [s for s in schedules if not s["reads_db"]])
    default = settings["workflow_default"]
    configs = {}
    for net_name, network in networks.items():
        for db_name, db in databases.items():
            configs[f"{net_name}+{db_name}"] = {
                str(n): monthly(per_photo[default]["12 MP"]["total"], sum(c for _, c, _ in fixed), network, db["cost"], n)
                for n in MONTHLY_PHOTOS}
    sharp_s = {label: float(rows_thumbs[(base[label]["file"], "sharp")]["time"]) for label in PHOTOS}
    return {"model": model, "harness": harness, "asl": asl, "notes": notes, "settings": settings, "ready": ready,
            "rows_thumbs": rows_thumbs, "sizes": sizes,
            "n_ready": n_ready, "base": base, "lats": lats, "events": events, "logs": logs, "storage": storage,
            "express": expr, "per_photo": per_photo, "orig": orig, "schedules": schedules, "fixed": fixed,
            "networks": networks, "databases": databases, "databases_unswept": databases_unswept, "configs": configs,
            "fn_logs": fn_logs,
            "default_config": "no-vpc+aurora-serverless-v2",
            "beanstalk": {str(n): beanstalk_month(n, base["12 MP"], sharp_s["12 MP"], settings) for n in MONTHLY_PHOTOS},
            "batching": batching_rows(model, settings), "rejected": walk(asl, "rejected"),
            "failed": walk(asl, "ready", fail_at="Thumbnail")}


# ------------------------------------------------------------------ variants, and the path to the target

# Each variant changes the template's settings; "envelope" False prices the log had each Task
# named its function's ARN (no lambda:invoke envelope); "status_read" True, phones that read
# their photo's status once each as well (a phone that missed its event).
TRACING = {
    "template": lambda s: {},
    "sampled": lambda s: {"xray_share": ASSUMPTIONS["xray_sampling_rule"]},
    "off": lambda s: {"functions_traced": False, "machine_traced": False},
}


def variant_cost(f: dict, label: str, workflow: str, **changes) -> float:
    """One photo's cost, per photo, with the template's settings changed as given."""
    return variant(f, label, workflow, **changes)["total"]


def variant(f: dict, label: str, workflow: str, **changes) -> dict:
    """One photo's cost by service, with the template's settings changed as given."""
    envelope = changes.pop("envelope", uses_lambda_invoke(f["asl"]))
    status_read = changes.pop("status_read", None)
    settings = {**f["settings"], **changes}
    base = f["base"][label]
    if status_read is not None:
        calls = {**ASSUMPTIONS["api_calls"], "status": 1 if status_read else 0}
        base = photo_base(f["model"], f["rows_thumbs"], f["sizes"], label, calls)
    events = (f["events"][label] if envelope == uses_lambda_invoke(f["asl"]) else
              execution_events(f["asl"], f["ready"], base, base["sizes"], settings, envelope))
    logs = log_cost(events, settings)
    storage = original_storage(base, settings, f["lats"][label]["warm_ms"] / 1000)
    cost = photo_costs(base, workflow, f["n_ready"], logs, storage, f["express"][label], settings,
                       function_logs(base, settings))
    return cost


def variant_rows(f: dict) -> list[tuple[str, dict, bool]]:
    """(what, changes, whether the template does it) for each choice the issue weighs."""
    s = f["settings"]
    deletes = s["deletes_original"]
    traced = s["functions_traced"] or s["machine_traced"]
    return [
        (f"originals kept {s['retention_days']:g} days (lifecycle rule)", {"deletes_original": False}, not deletes),
        ("originals deleted at the outcome", {"deletes_original": True}, deletes),
        ("X-Ray on every trace the template starts", {}, traced),
        (f"X-Ray sampled by a rule: {ASSUMPTIONS['xray_sampling_rule']:.0%}, no reservoir", TRACING["sampled"](s), False),
        ("tracing off", TRACING["off"](s), not traced),
        ("Task results in lambda:invoke's envelope (lambda:invoke Tasks)", {"envelope": True}, uses_lambda_invoke(f["asl"])),
        ("Task results without it (Tasks on the function's ARN)", {"envelope": False}, not uses_lambda_invoke(f["asl"])),
        ("a status read for every photo as well (a phone that missed its event)", {"status_read": True}, False),
    ]


def path_to_target(f: dict) -> list[dict]:
    """From the template as it is, one change at a time, the 12 MP photo per million after
    each; the target is half the original app's Lambda setup."""
    s = f["settings"]
    workflow = s["workflow_default"]
    steps = [("the template as it is", {}, workflow)]
    if workflow != "EXPRESS":
        steps.append(("WorkflowType EXPRESS", {}, "EXPRESS"))
    if not s["deletes_original"]:
        steps.append(("originals deleted at the outcome", {"deletes_original": True}, "EXPRESS"))
    steps.append((f"X-Ray sampled at {ASSUMPTIONS['xray_sampling_rule']:.0%} (a rule, no reservoir)", TRACING["sampled"](s), "EXPRESS"))
    if uses_lambda_invoke(f["asl"]):
        steps.append(("Tasks on the function's ARN: no lambda:invoke envelope in the log", {"envelope": False}, "EXPRESS"))
    steps.append(("instead of sampling, tracing off", {**TRACING["off"](s)}, "EXPRESS"))
    target = f["orig"]["12 MP"]["total"] / 2
    rows, changes = [], {}
    for what, change, wf in steps:
        if what.startswith("instead of sampling"):
            changes.pop("xray_share", None)
        changes = {**changes, **change}
        cost = variant(f, "12 MP", wf, **dict(changes))
        per_million = cost["total"] * 1e6
        rows.append({"change": what, "workflow": wf, "per_million": per_million, "over_target": per_million - target * 1e6,
                     "changes": dict(changes), "cost": cost["cost"], "per_photo": cost["total"]})
    return rows


def uses_lambda_invoke(asl: dict) -> bool:
    return any(state.get("Resource") == LAMBDA_INVOKE for state in asl["States"].values())


def as_json(f: dict) -> dict:
    def money(x: float) -> float:
        return round(x, 4)
    per_million = {f"wisaw_{w.lower()}": {JSON_KEYS[l]: money(f["per_photo"][w][l]["total"] * 1e6) for l in PHOTOS}
                   for w in WORKFLOWS}
    per_million["original_lambda"] = {JSON_KEYS[l]: money(f["orig"][l]["total"] * 1e6) for l in PHOTOS}
    return {"per_million": per_million, "default_workflow": f["settings"]["workflow_default"],
            "monthly": {"default_config": f["default_config"],
                        "configs": {name: {n: {"total": money(v["total"]), "database": money(v["database"])}
                                           for n, v in months.items()} for name, months in f["configs"].items()}},
            # Not the template's figures: from it, one change at a time (docs/cost.md).
            "target_per_million_12mp": money(f["orig"]["12 MP"]["total"] / 2 * 1e6),
            "path_to_target": [{"change": r["change"], "workflow": r["workflow"], "12mp": money(r["per_million"])}
                               for r in path_to_target(f)]}


# ------------------------------------------------------------------ the report

def report(f: dict) -> str:
    out: list[str] = []
    say = out.append
    model, harness, settings = f["model"], f["harness"], f["settings"]
    labels = list(PHOTOS)
    p12, p48 = f["base"]["12 MP"], f["base"]["48 MP"]
    default = settings["workflow_default"]
    say(f"Measured: the model `bench/results/lambda_model.json` (from the harness run of {model['measured']}), "
        f"the harness `bench/results/lambda_harness.json` ({harness['machine']['date']}, commit "
        f"{harness['machine'].get('commit', '?')}), `bench/results/thumbnails.txt`, `bench/results/inputs.json`. "
        f"Prices: us-east-1 list prices as published, on demand, first tier, no free tier.")
    for note in f["notes"]:
        say(f"\n> Note: {note}")
    say(f"\nFrom template.yaml: workflow type {default}"
        f"{' (the WorkflowType parameter' + chr(39) + 's default)' if settings['workflow_parameter'] else ' (the state machine' + chr(39) + 's Type; no WorkflowType parameter)'}; "
        f"state machine logs at {settings['log_level']}{' with execution data' if settings['execution_data'] else ''}, kept "
        f"{settings['log_retention_days']:g} days; originals "
        f"{'deleted by ' + settings['original_deleter'] + ' (its policy allows s3:DeleteObject on uploads/)' if settings['deletes_original'] else 'not deleted by the pipeline (no step function may s3:DeleteObject on uploads/)'}, "
        f"the lifecycle rule after {settings['retention_days']:g} days; event source batches of {settings['batch_size']}, "
        f"window {settings['batching_window_s']:g} s; tracing {'on' if settings['functions_traced'] or settings['machine_traced'] else 'off'}; "
        f"schedules: " + (", ".join(f"{fn} every {period / 60:g} min{' (reads the database)' if reads else ''}"
                                   for fn, _, period, reads, _ in settings["schedules"]) or "none") +
        f"; {settings['secrets']} secrets.")
    report_lambda(f, say)
    report_step_functions(f, say)
    report_function_logs(f, say)
    report_requests(f, say)
    report_totals(f, say)
    report_variants(f, say)
    report_path(f, say)
    report_latency(f, say)
    report_side_by_side(f, say)
    report_batching(f, say)
    report_at_rest(f, say)
    report_monthly(f, say)
    report_downloads(f, say)
    return "\n".join(out)


def report_lambda(f: dict, say) -> None:
    p12, p48 = f["base"]["12 MP"], f["base"]["48 MP"]
    say("\n### Lambda, per photo (arm64)\n")
    body = []
    for r12, r48 in zip(p12["invocations"], p48["invocations"]):
        name = r12["input"] if r12["input"] == r48["input"] else "12 / 48 MP JPEG"
        body.append([f"{r12['function']} ({name})", f"{r12['count']:g}", f"{r12['memory']:,} MB",
                     f"{ms(r12['ms'])} / {ms(r48['ms'])}",
                     f"{r12['gb_s'] * r12['count']:.4f} / {r48['gb_s'] * r48['count']:.4f}",
                     f"{r12['prev_memory']:,} MB", f"{ms(r12['prev_ms'])} / {ms(r48['prev_ms'])}"])
    lam = {l: f["per_photo"]["STANDARD"][l]["cost"]["Lambda"] for l in PHOTOS}
    body.append(["**all**", f"{p12['requests']:g}", "", "", f"**{p12['gb_s']:.4f} / {p48['gb_s']:.4f}**", "", ""])
    body.append(["**cost per million photos**", "", "", "", f"**{usd(lam['12 MP'] * 1e6)} / {usd(lam['48 MP'] * 1e6)}**", "", ""])
    say(table(["invocation", "per photo", "memory", "duration 12 / 48 MP", "GB-s 12 / 48 MP", "before the model", "its duration"], body))
    say(f"\nDuration = cpu × max(1, 1769 / memory) + wait (bench/lambda_model.py), billed in whole milliseconds; "
        f"{price(PRICE['lambda_request'] * 1e6)} per million requests, {price(PRICE['lambda_gb_s_arm64'])} per GB-second.")


def report_step_functions(f: dict, say) -> None:
    settings = f["settings"]

    def show(path):
        return " → ".join(f"{n}" + (f" ×{t}" if t > 1 else "") for n, t in path)

    say("\n### Step Functions, per photo\n")
    body = [[name, show(path), transitions(path), usd(transitions(path) * PRICE["sfn_transition"] * 1e6)]
            for name, path in (("ready", f["ready"]), ("rejected", f["rejected"]), ("failed in Thumbnail", f["failed"]))]
    say(table(["path", "states entered (statemachines/upload.asl.json)", "Standard transitions", "Standard, per million"], body, "llrr"))
    e12, e48 = f["express"]["12 MP"], f["express"]["48 MP"]
    memory_mb, memory_why = express_memory_mb()
    say(f"\nStandard: each state entered is a transition, a Task's retry one more, "
        f"${PRICE['sfn_transition'] * 1000:.3f} per 1,000. Express: {usd(PRICE['sfn_express_request'] * 1e6)} per million "
        f"executions plus {price(PRICE['sfn_express_gb_s'])} per GB-second, the execution's time rounded up to 100 ms "
        f"({ms(e12['wall_ms'])} → {e12['billed_ms']:,} ms for 12 MP, {ms(e48['wall_ms'])} → {e48['billed_ms']:,} ms for 48 MP) "
        f"at {memory_mb} MB ({memory_why}): {usd(e12['cost'] * 1e6)} / {usd(e48['cost'] * 1e6)} per million. "
        f"Express runs at most 5 minutes; the ready path's Tasks may take up to {worst_case_s(f['asl'], f['ready']):,.0f} s "
        f"under their own timeouts and retries"
        + (", so a photo that needs every retry is cut off and ends in no state, nor in the dead-letter queue."
           if worst_case_s(f['asl'], f['ready']) > EXPRESS_LIMIT_S else
           f", within the limit (tests/template.rs holds every path, dead letter included, to {EXPRESS_LIMIT_S} s "
           f"less half a minute)."))
    say("\n#### The execution's log (what Express needs for the operator, and Standard writes too)\n")
    body = []
    for label in PHOTOS:
        lg, ev = f["logs"][label], f["events"][label]
        kinds = {}
        for e in ev:
            kinds[e["type"]] = kinds.get(e["type"], 0) + 1
        body.append([label, lg["events"], f"{lg['bytes']:,} B", f"{lg.get('per_event', 0):,.0f} B",
                     usd(lg["cost"] * 1e6)])
    say(table(["photo", "events (ready path)", "bytes", "per event", "per million photos"], body))
    ev = f["events"]["12 MP"]
    sizes = [len(json.dumps(e, separators=(",", ":"))) for e in ev]
    biggest = sizes.index(max(sizes))
    state = next((e["details"]["name"] for e in reversed(ev[:biggest + 1]) if "name" in e["details"]), "the execution")
    say(f"\nAt level {settings['log_level']}{' with execution data' if settings['execution_data'] else ''} "
        f"(template.yaml) an execution writes every history event: ExecutionStarted and ExecutionSucceeded, five for each "
        f"Task state (Entered, Scheduled, Started, Succeeded, Exited) and two for the Choice. Their sizes are **computed, "
        f"not captured from AWS**: the script builds each event in the format Step Functions writes to CloudWatch Logs "
        f"(`id`, `type`, `details` with the input and output as JSON strings, `previous_event_id`, `event_timestamp`, "
        f"`execution_arn`), runs the definition's Parameters, ResultSelector and ResultPath over this pipeline's "
        f"payloads (the handlers' output types in crates/domain/src/contracts.rs, the inputs' pixel sizes, the "
        f"renditions' bytes), and logs each Task as its Resource calls the function: "
        + ("through lambda:invoke, its result in the envelope the engine's fidelity fixture 04 records (SdkHttpMetadata "
           "and its headers)" if uses_lambda_invoke(f["asl"]) else
           "on the function's ARN, as LambdaFunctionScheduled, Started and Succeeded events (the shape the engine's "
           "fidelity fixture 32 records) with the function's payload alone")
        + f". The largest is {ev[biggest]['type']} of {state} ({max(sizes):,} B), "
        f"the smallest {ev[sizes.index(min(sizes))]['type']} ({min(sizes):,} B). Priced at "
        f"{usd(PRICE['logs_ingest_gb'])} per GB ingested and {usd(PRICE['logs_store_gb_month'])} per GB-month stored, "
        f"for the {settings['log_retention_days']:g} days the log group keeps them, stored as CloudWatch archives them "
        f"(gzip level {ARCHIVE_GZIP_LEVEL} and {ARCHIVE_METADATA_BYTES} bytes of metadata an event, the pricing page's "
        f"rule: {f['logs']['12 MP']['archived']:,} B for the 12 MP photo's execution, compressed alone). Standard keeps "
        f"its history in the service as well; the template logs either type.")


def report_requests(f: dict, say) -> None:
    p12, p48 = f["base"]["12 MP"], f["base"]["48 MP"]
    settings = f["settings"]
    say("\n### SQS, S3, API Gateway, AppSync Events, X-Ray, per photo\n")
    body = [[k, f"{v:g}", usd(v * PRICE["sqs_request"] * 1e6), ""] for k, v in p12["sqs"].items()]
    body += [[k, f"{v:g}", usd(v * PRICE["s3_put"] * 1e6), ""] for k, v in p12["s3_puts"].items()]
    body += [[k, f"{v:g}", usd(v * PRICE["s3_get"] * 1e6), ""] for k, v in p12["s3_gets"].items()]
    if settings["deletes_original"]:
        body.append([f"DELETE the original ({settings['original_deleter']})", "1", "$0",
                     "DELETE requests are free; the step's time for it is not in its measured duration"])
    s12, s48 = f["storage"]["12 MP"], f["storage"]["48 MP"]
    body.append([f"the original stored ({p12['original_bytes'] / 1e6:.2f} / {p48['original_bytes'] / 1e6:.2f} MB)", "",
                 f"{usd(s12['cost'] * 1e6)} / {usd(s48['cost'] * 1e6)}", s12["how"]])
    body.append(["the renditions, every month they are kept", f"{p12['display_kb'] + p12['thumb_kb']:.0f} KB",
                 usd(p12["renditions_month"] * 1e6), "not in the one-time totals"])
    calls = {k: v for k, v in p12["api_calls"].items() if v}
    body.append([f"HTTP API requests ({', '.join(f'{v} {k}' for k, v in calls.items())})", sum(calls.values()),
                 usd(sum(calls.values()) * PRICE["http_api_request"] * 1e6), ""])
    access = api_access_logs(settings, calls)
    body.append([f"HTTP API access log lines (the template's Format, {access['bytes']} B)", access["lines"],
                 usd(access["cost"] * 1e6), "ingested, and archived for the log group's retention"])
    body.append(["AppSync Events operations (publish, delivery)", ASSUMPTIONS["events_operations"],
                 usd(ASSUMPTIONS["events_operations"] * PRICE["events_operation"] * 1e6), ""])
    body.append(["AppSync Events connection-minutes", ASSUMPTIONS["events_connection_minutes"],
                 usd(ASSUMPTIONS["events_connection_minutes"] * PRICE["events_connection_minute"] * 1e6), ""])
    for what, n in xray_traces(settings, p12["api_calls"]).items():
        body.append([f"X-Ray trace: {what}", f"{n:g}", usd(n * PRICE["xray_trace"] * 1e6), "template: Tracing"])
    say(table(["what", "per photo", "per million photos (12 / 48 MP)", "note"], body, "lrrl"))
    say(f"\nOne record a batch (upper bound; the template allows {settings['batch_size']}). Renditions: wisaw rows of "
        f"bench/results/thumbnails.txt; originals: bench/results/inputs.json. X-Ray: "
        f"{price(PRICE['xray_trace'] * 1e6)} per million traces recorded; Lambda records the first request each second "
        f"and 5 % of the rest, so at these rates nearly every one.")


def report_totals(f: dict, say) -> None:
    say("\n### Per photo, by service\n")
    services = list(f["per_photo"]["STANDARD"]["12 MP"]["cost"])
    body = []
    for service in services:
        body.append([service] + [usd(f["per_photo"][w][l]["cost"][service] * 1e6) for w in WORKFLOWS for l in PHOTOS])
    body.append(["**per million photos**"] + [f"**{usd(f['per_photo'][w][l]['total'] * 1e6)}**" for w in WORKFLOWS for l in PHOTOS])
    say(table(["service"] + [f"{w.title()}, {l}" for w in WORKFLOWS for l in PHOTOS], body))
    say(f"\nReplays: {ASSUMPTIONS['replay_fraction']:.1%} of photos replayed once, as an execution of the same "
        f"state machine (its orchestration, the four steps' invocations and the log).")


def report_function_logs(f: dict, say) -> None:
    settings = f["settings"]
    say("\n#### The functions' own logs\n")
    body = []
    for r12, r48 in zip(f["fn_logs"]["12 MP"]["rows"], f["fn_logs"]["48 MP"]["rows"]):
        body.append([f"{r12['function']} ({r12['input'] if r12['input'] == r48['input'] else '12 / 48 MP JPEG'})",
                     f"{r12['count']:g}", r12["lines"], f"{r12['bytes']:,} / {r48['bytes']:,} B"])
    t12, t48 = f["fn_logs"]["12 MP"], f["fn_logs"]["48 MP"]
    body.append(["**a photo**", "", "", f"**{t12['bytes']:,.0f} / {t48['bytes']:,.0f} B: {usd(t12['cost'] * 1e6)} / "
                                        f"{usd(t48['cost'] * 1e6)} per million**"])
    say(table(["invocation", "per photo", "lines", "bytes (12 / 48 MP)"], body, "lrrr"))
    say(f"\n**Built, not captured from AWS** (an assumption in its shape and sizes): each invocation's lines as its "
        f"log group receives them with the template's `LogFormat: JSON`: Lambda's "
        f"{', '.join(ASSUMPTIONS['platform_events_per_invocation'])} (START, END and REPORT in that format, the "
        f"Telemetry API's records, the report's `tracing` field when the function is traced), and the handler's INFO "
        f"lines as `lambda_runtime::tracing::init_default_subscriber` writes them under `AWS_LAMBDA_LOG_FORMAT=JSON` "
        f"(tracing-subscriber's JSON: `level`, `fields`, `span`, `spans` with the runtime's `Lambda runtime invoke` "
        f"span), with the fields the handlers log on the ready path (api/src/lambda.rs, ingest/src/lambda.rs and "
        f"lib.rs, workers/*/src/lib.rs). Priced like the execution's log, kept {settings['log_retention_days']:g} "
        f"days. Cold starts' init events are not counted. The original app is counted with its function's START, "
        f"END and REPORT text lines and the same api lines.")


def report_variants(f: dict, say) -> None:
    say("\n### The choices side by side, per million photos\n")
    say("Each row changes one thing from the template as it is; the others stay as the template has them.\n")
    body = []
    for what, changes, is_template in variant_rows(f):
        row = [what + (" **(template)**" if is_template else "")]
        for workflow in WORKFLOWS:
            for label in PHOTOS:
                row.append(usd(variant_cost(f, label, workflow, **dict(changes)) * 1e6))
        body.append(row)
    say(table(["choice"] + [f"{w.title()}, {l}" for w in WORKFLOWS for l in PHOTOS], body))
    s = f["settings"]
    say(f"\nOriginals: what the template does is read from the state machine's functions' policies "
        f"(s3:DeleteObject on uploads/ "
        f"{'granted to ' + s['original_deleter'] if s['deletes_original'] else 'granted to none of them'}). Deleted, an original is stored from its PUT "
        f"to its outcome (the expected latency below), and the {ASSUMPTIONS['failed_fraction']:.1%} of photos that fail "
        f"keep theirs {s['retention_days']:g} days for a replay (assumed). The sampling rule is an assumption of this "
        f"table ({ASSUMPTIONS['xray_sampling_rule']:.0%} of traces, no reservoir, applied to every trace the template "
        f"starts), not a setting of the template. Without the envelope, the log's Task events are "
        f"LambdaFunctionScheduled, Started and Succeeded with the function's payload alone.")


def report_path(f: dict, say) -> None:
    rows = path_to_target(f)
    target = f["orig"]["12 MP"]["total"] / 2 * 1e6
    say(f"\n### The path to the target: a 12 MP photo for half the original app's Lambda setup ({usd(target)} per million)\n")
    body = []
    for i, r in enumerate(rows):
        met = "**meets it**" if r["over_target"] <= 0 else f"{usd(r['over_target'])} over"
        saves = usd(rows[i - 1]["per_million"] - r["per_million"]) if i else ""
        body.append([i, r["change"], r["workflow"], saves, usd(r["per_million"]), met])
    say(table(["", "change (each adds to the ones above)", "workflow", "saves", "per million 12 MP", "against the target"],
              body, "rllrrr"))
    last = rows[-1]
    cost = last["cost"]
    biggest = sorted(cost.items(), key=lambda kv: -kv[1])[:4]
    if last["over_target"] > 0:
        say(f"\nEvery change above taken, a photo still costs {usd(last['per_million'])}, "
            f"{usd(last['over_target'])} over the target. The largest parts left: "
            + ", ".join(f"{k} {usd(v * 1e6)}" for k, v in biggest) + ".")
    else:
        first = next(r for r in rows if r["over_target"] <= 0)
        say(f"\nThe target is met from the change \"{first['change']}\" on.")


def report_latency(f: dict, say) -> None:
    lats = f["lats"]
    say("\n### Upload acknowledged → photo.ready published\n")
    body = []
    for (name, v12), (_, v48) in zip(lats["12 MP"]["measured"], lats["48 MP"]["measured"]):
        body.append([name, ms(v12), ms(v48), "measured: the model's duration at the chosen memory"])
    body.append(["**the steps, measured**", f"**{ms(lats['12 MP']['measured_sum'])}**", f"**{ms(lats['48 MP']['measured_sum'])}**", ""])
    for (name, v12, source), (_, v48, _) in zip(lats["12 MP"]["estimates"], lats["48 MP"]["estimates"]):
        body.append([name, ms(v12), ms(v48), source])
    body.append(["AppSync Events publish → the phone", "—", "—", "not measured here"])
    body.append(["**expected, warm**", f"**{ms(lats['12 MP']['warm_ms'])}**", f"**{ms(lats['48 MP']['warm_ms'])}**", "measured + estimates"])
    for (fn, name, i12, e12), (_, _, i48, e48) in zip(lats["12 MP"]["cold"], lats["48 MP"]["cold"]):
        body.append([f"cold: {fn} init + first-invocation extra", ms(i12 + e12), ms(i48 + e48),
                     "harness: init, and first minus warm median, stretched to the chosen memory"])
    body.append(["cold: Lambda's sandbox and code download", "—", "—", "not measured here"])
    say(table(["part", "12 MP", "48 MP", "source"], body, "lrrl"))


def report_side_by_side(f: dict, say) -> None:
    say("\n### Side by side, per million photos\n")
    body = []
    for label in PHOTOS:
        o = f["orig"][label]
        body.append([label, usd(f["per_photo"]["STANDARD"][label]["total"] * 1e6),
                     usd(f["per_photo"]["EXPRESS"][label]["total"] * 1e6), usd(o["total"] * 1e6),
                     usd(o["total_if_deleted"] * 1e6),
                     f"{usd(o['x86_function'] * 1e6)} ({ms(o['wall_ms'])}, {o['gb_s']:.2f} GB-s)"])
    say(table(["photo", "wisaw, Standard", "wisaw, Express", "original app, Lambda", "…had it deleted its originals",
               f"its {ORIGINAL_MB:,} MB function alone (x86)"], body))
    bs = f["beanstalk"]
    say(f"\nOriginal app, Lambda: sharp's wall time (bench/results/thumbnails.txt, one core, the whole Node process) "
        f"billed at {ORIGINAL_MB:,} MB x86; one GET, three PUTs; the same API calls and api function as wisaw; the "
        f"originals kept {f['settings']['retention_days']:g} days as this document has always compared it (what the "
        f"app did with them is not recorded; the next column is the other case). No queue, state machine, event "
        f"channel or traces counted for it; of logs, its function's START, END and REPORT lines and the api's. The app's Beanstalk setup pays per photo only S3 "
        f"({usd(bs['0']['per_photo'] * 1e6)} per million, the same requests and retention) while its instance has CPU "
        f"to spare: its monthly cost is below.")


def report_batching(f: dict, say) -> None:
    settings = f["settings"]
    rows = f["batching"]
    best, why = recommended_window(rows)
    say("\n### The batching window: latency and cost by upload rate\n")
    body = [[f"{r['rate']:g}", f"{r['window']:g} s" + (" (template)" if r["window"] == settings["batching_window_s"] else ""),
             f"{r['records']:.2f}", ms(r["wait_ms"]), f"{ms(r['dispatch_ms'][0])} – {ms(r['dispatch_ms'][1])}",
             f"{r['invocations_per_photo']:.2f}", usd(r["cost_per_million"]), f"{r['concurrency']:.2f}"] for r in rows]
    say(table(["uploads/s", "window", "records a batch", "mean wait in the window", "dispatch of the batch",
               "invocations a photo", "dispatch + SQS, per million", "dispatch concurrency"], body))
    say(f"\nUploads arrive as a Poisson process (an assumption); a batch opens with its first record and closes when "
        f"{settings['batch_size']} are in it or the window ends. With no window, each invocation is taken to carry one "
        f"record (the upper bound: a receive returns what is there, often one). A batch's dispatch is measured for one "
        f"record only (`sqs-1-record`); its records run concurrently over one database connection, so a batch of n "
        f"takes between n CPU times plus one wait and n whole durations; the cost takes the upper. Concurrency is "
        f"rate × invocations × duration, against the template's DispatchMaximumConcurrency. "
        f"**Recommended window: {best:g} s**: {why}.")


def report_at_rest(f: dict, say) -> None:
    say("\n### At rest: what a stage costs a month with no photo\n")
    body = [[what, usd(cost), how] for what, cost, how in f["fixed"]]
    body.append(["**every configuration**", f"**{usd(sum(c for _, c, _ in f['fixed']))}**", ""])
    for name, net in f["networks"].items():
        body.append([f"network: {name}", usd(net["fixed"]), net["how"]])
    say(table(["what", "per month", "from"], body, "lrl"))
    endpoints = f["networks"]["vpc-endpoints"].get("endpoints", {})
    say(f"\nInterface endpoints, derived from what the functions with a VpcConfig call (their policies' actions, less "
        f"the SQS actions the event source's poller uses from Lambda's own network, and S3, which the free gateway "
        f"endpoint serves): " + "; ".join(f"`{e}` for {', '.join(fns)}" for e, fns in endpoints.items()) +
        f". Each ${PRICE['endpoint_az_hour']:.2f} an AZ-hour in {ASSUMPTIONS['availability_zones']} AZs plus "
        f"${PRICE['endpoint_gb']:.2f}/GB; a NAT gateway ${PRICE['nat_hour']:.3f}/hour and ${PRICE['nat_gb']:.3f}/GB, "
        f"plus its public IPv4 address (${PRICE['public_ipv4_hour']:.3f}/hour). AppSync's `appsync-api` endpoint serves "
        f"private APIs, and with its private DNS on, the VPC's calls to a public API's generated URL are refused (AppSync "
        f"Developer Guide, \"Using AWS AppSync Private APIs\"); the phones' Events API is public, so notify in such a "
        f"VPC needs the NAT gateway or a custom domain: not verified here.")
    say("\n#### Databases\n")
    body = []
    schedules = f["schedules"]
    options = [(name, db) for name, db in f["databases"].items()]
    if any(sch["reads_db"] for sch in schedules):
        options += [(f"{name}, no schedule reading it", db) for name, db in f["databases_unswept"].items()
                    if name == "aurora-serverless-v2"]
    for db_name, db in options:
        for vpc in (False, True):
            row = [db_name, "VPC" if vpc else "no VPC"]
            for n in MONTHLY_PHOTOS:
                d = db["cost"](n, vpc)
                row.append(f"{usd(d['total'])} ({d['awake_h']:,.0f} h awake)")
            body.append(row)
    say(table(["database", "network"] + [f"{n:,} photos/month" for n in MONTHLY_PHOTOS], body, "llrrr"))
    wakers = [s for s in schedules if s["reads_db"]]
    say(f"\nRDS db.t4g.micro: {usd(PRICE['rds_t4g_micro_hour'])}/hour and {PUBLISHED['rds_min_gp3_gb']} GB gp3 at "
        f"{usd(PRICE['rds_gp3_gb_month'])}/GB-month, always on. Aurora Serverless v2 with a minimum of 0 ACU pauses "
        f"after {PUBLISHED['aurora_auto_pause_s']} s without a connection (SecondsUntilAutoPause's default; 300 to "
        f"86,400) and then bills only storage ({usd(PRICE['aurora_gb_month'])}/GB-month, "
        f"{ASSUMPTIONS['database_gb']:g} GB assumed) and I/O ({price(PRICE['aurora_io'] * 1e6)} per million, "
        f"{ASSUMPTIONS['aurora_ios_per_photo']} a photo assumed); awake, {usd(PRICE['aurora_acu_hour'])} per ACU-hour at "
        f"{PUBLISHED['aurora_min_awake_acu']} ACU (taken as enough for these rates). Awake hours: after each burst of "
        f"{ASSUMPTIONS['photos_per_burst']} uploads (bursts Poisson) for the pause delay plus the "
        f"{PUBLISHED['aurora_resume_s']} s resume; "
        + ("and after every run of " + ", ".join(f"{s['function']}'s schedule (every {s['period_s'] / 60:g} min, it "
                                                 f"reads the database)" for s in wakers) +
           ", which alone keeps it awake whenever the period is shorter than the delay" if wakers
           else "no schedule in the template reads the database")
        + f". Without a VPC the database is reached on its public IPv4 address (${PRICE['public_ipv4_hour']:.3f}/hour, "
          f"{usd(PRICE['public_ipv4_hour'] * ASSUMPTIONS['hours_per_month'])} a month), counted in its line. The first request after a pause waits for the resume: the api waits "
          f"{f['settings']['api_db_wait_s']:g} s for a connection (WISAW_DATABASE_WAIT_SECONDS) and its function "
          f"{f['settings']['api_timeout_s']:g} s (Timeout), against the cited {PUBLISHED['aurora_resume_s']} s resume and "
          f"API Gateway's {PUBLISHED['api_gateway_integration_s']} s integration limit: "
          + ("the ticket call waits the resume out."
             if PUBLISHED['aurora_resume_s'] < f['settings']['api_db_wait_s'] < f['settings']['api_timeout_s']
             < PUBLISHED['api_gateway_integration_s'] else "**the ticket call can fail after a pause**."))
    variants = [("", f["databases"])]
    if wakers:
        variants.append((" with no schedule reading the database", f["databases_unswept"]))
    for suffix, databases in variants:
        for vpc in (False, True):
            crossing = crossover_photos(databases, vpc)
            where = ("In a VPC" if vpc else "Without a VPC") + suffix
            say(f"\n{where}, the db.t4g.micro costs less than Aurora above **{crossing:,} photos a month**."
                if crossing is not None else f"\n{where}, Aurora costs more than the db.t4g.micro at every volume priced.")


def report_monthly(f: dict, say) -> None:
    say("\n### Per month, side by side\n")
    body = []
    for name, months in f["configs"].items():
        mark = " (default)" if name == f["default_config"] else ""
        body.append([f"wisaw {f['settings']['workflow_default'].title()}, {name}{mark}"] +
                    [f"{usd(months[str(n)]['total'])} ({usd(months[str(n)]['database'])} db)" for n in MONTHLY_PHOTOS])
    default = f["settings"]["workflow_default"]
    for workflow in (w for w in WORKFLOWS if w != default):
        # The default configuration with the other type: only the photos' cost differs.
        delta = f["per_photo"][workflow]["12 MP"]["total"] - f["per_photo"][default]["12 MP"]["total"]
        base = f["configs"][f["default_config"]]
        body.append([f"wisaw {workflow.title()}, {f['default_config']}"] +
                    [usd(base[str(n)]["total"] + n * delta) for n in MONTHLY_PHOTOS])
    path = path_to_target(f)
    # The template with its Tasks on the functions' ARNs: as it is, or the path's row that does it.
    chosen = next((r for r in path if r["changes"].get("envelope") is False), path[0])
    unswept = f["databases_unswept"]["aurora-serverless-v2"]["cost"]
    fixed = sum(c for _, c, _ in f["fixed"])
    swept = sum(line["cost"] for line in f["schedules"] if line["reads_db"])
    target_row = path.index(chosen) > 0 or swept > 0  # only when it differs from the default's row
    if target_row:
        body.append([f"wisaw as the path's row {path.index(chosen)}, no-vpc+aurora-serverless-v2, no schedule reading the database"] +
                    [usd(monthly(chosen["per_photo"], fixed - swept, f["networks"]["no-vpc"], unswept, n)["total"])
                     for n in MONTHLY_PHOTOS])
    orig_db = f["databases"]["rds-t4g-micro"]["cost"]
    body.append(["original app, Lambda (+ db.t4g.micro in its VPC)"] +
                [usd(n * f["orig"]["12 MP"]["total"] + orig_db(n, True)["total"]) for n in MONTHLY_PHOTOS])
    bs = f["beanstalk"]
    body.append([f"original app, Beanstalk ({ASSUMPTIONS['beanstalk_instance']} + db.t4g.micro)"] +
                [f"{usd(bs[str(n)]['total'])} (CPU {bs[str(n)]['cpu_share']:.1%})" for n in MONTHLY_PHOTOS])
    say(table(["setup"] + [f"{n:,} photos" for n in MONTHLY_PHOTOS], body))
    say(f"\nPhotos priced as 12 MP. Each configuration: the fixed costs above, its network, its database at that "
        f"volume, {ASSUMPTIONS['vpc_bytes_per_photo']:,} bytes a photo through the VPC's endpoints or NAT (assumed), and "
        f"the photos at the default workflow's per-photo cost; the row after them is the default configuration "
        f"under the other workflow type"
        + (", and the next the target's setup: the photo as the path's row says, the schedules that read the database "
           "taken out (their own cost with them)" if target_row else "")
        + f". Beanstalk: a {ASSUMPTIONS['beanstalk_instance']} "
        f"(${PRICE['ec2_t3_micro_hour']}/hour), its {ASSUMPTIONS['beanstalk_root_gb']} GB gp3 root volume and public "
        f"IPv4 address, the same db.t4g.micro, S3 per photo; sharp's one-core time per photo against the instance's "
        f"{PUBLISHED['t3_micro_vcpus']} vCPUs (CPU = the share of them busy; above the {PUBLISHED['t3_micro_baseline']:.0%} "
        f"baseline each, surplus credits at ${PRICE['t3_surplus_vcpu_hour']}/vCPU-hour).")


def report_downloads(f: dict, say) -> None:
    model = f["model"]
    p12 = f["base"]["12 MP"]
    feed = model["functions"]["api"]
    feed_in = feed["inputs"]["feed"]
    feed_page = (PRICE["http_api_request"] + lambda_cost(feed_in["gb_seconds"], 1)
                 + 100 * (PRICE["s3_get"] + p12["thumb_kb"] * 1000 / GIB * PRICE["transfer_out_gb"]))
    display_view = PRICE["s3_get"] + p12["display_kb"] * 1000 / GIB * PRICE["transfer_out_gb"]
    say("\n### Not per photo: downloads\n")
    say(table(["what", "cost", "how"], [
        ["1,000 views of a photo's display.webp", usd(display_view * 1000),
         f"1,000 GETs and {p12['display_kb']:.0f} KB each out at ${PRICE['transfer_out_gb']}/GB (presigned S3 URLs)"],
        ["1,000 feed pages of 100 thumbs", usd(feed_page * 1000),
         f"a request, an api invocation ({ms(feed_in['duration_ms'])} at {feed['memory_mb']:,} MB) and 100 thumb GETs "
         f"of {p12['thumb_kb']:.0f} KB out, per page"],
    ], "lrl"))


def main(argv: list[str]) -> int:
    figures = compute()
    if "--json" in argv:
        print(json.dumps(as_json(figures), indent=2))
    else:
        print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
