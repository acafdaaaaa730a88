"""The cost and the latency of one photo, end to end, from measurements and list prices.

Reads what the benchmarks wrote and prints Markdown tables (docs/cost.md embeds one run):

- bench/results/lambda_model.json (bench/lambda_model.py): each function's chosen memory and,
  per input, its CPU time, its wait, its duration and GB-seconds at that memory;
- bench/results/lambda_harness.json (bench/lambda_harness.py): init and first-invocation times,
  for the cold path;
- bench/results/thumbnails.txt (bench/thumbnails.sh): the renditions' sizes, and sharp's wall
  time for the original app's setup;
- bench/inputs/photo-12mp.jpg, photo-48mp.jpg: the originals' sizes;
- statemachines/upload.asl.json: the state transitions of each path, counted by walking it;
- template.yaml: the event source's batch size and window, the originals' retention.

Nothing measured is copied here: rerun this after a new harness, model or thumbnail run and
the figures follow. What is not measured is an assumption, named in ASSUMPTIONS below and
printed with the tables.

    python3 bench/photo_cost.py            # Python 3.11, standard library only
"""

from __future__ import annotations

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
INPUTS = ROOT / "bench/inputs"
ASL = ROOT / "statemachines/upload.asl.json"
TEMPLATE = ROOT / "template.yaml"

PHOTOS = {"12 MP": ("12mp-jpeg", "photo-12mp.jpg"), "48 MP": ("48mp-jpeg", "photo-48mp.jpg")}
FULL_VCPU_MB = 1769  # bench/lambda_model.py: one full vCPU at 1,769 MB

# ------------------------------------------------------------------ prices
# us-east-1 list prices as published on the AWS pricing pages (on-demand, first tier, no free
# tier). Check them before budgeting: they are constants here, not looked up.
PRICE = {
    "lambda_gb_s_arm64": 0.0000133334,      # Lambda, per GB-second, arm64
    "lambda_gb_s_x86": 0.0000166667,        # Lambda, per GB-second, x86_64
    "lambda_request": 0.20 / 1e6,           # Lambda, per request
    "sfn_transition": 0.025 / 1000,         # Step Functions Standard, per state transition
    "sfn_express_request": 1.00 / 1e6,      # Step Functions Express, per execution
    "sfn_express_gb_s": 0.00001667,         # Express, per GB-second (first tier), 100 ms, 64 MB chunks
    "sqs_request": 0.40 / 1e6,              # SQS standard queue, per request (64 KB chunk)
    "s3_put": 0.005 / 1000,                 # S3 Standard PUT, COPY, POST, LIST
    "s3_get": 0.0004 / 1000,                # S3 Standard GET, SELECT and the rest
    "s3_gb_month": 0.023,                   # S3 Standard storage, first 50 TB, per GB-month
    "transfer_out_gb": 0.09,                # data transfer out to the internet, first 10 TB/month
    "http_api_request": 1.00 / 1e6,         # API Gateway HTTP API, first 300 million
    "events_operation": 1.00 / 1e6,         # AppSync Events, per operation
    "events_connection_minute": 0.08 / 1e6, # AppSync Events, per connection-minute
}

# The template's memory sizes before bench/lambda_model.py chose them.
PREVIOUS_MB = {"api": 256, "dispatch": 256, "validate": 512, "thumbnail": 128, "persist": 256, "notify": 256}

# The original app: one Node function per upload, sharp doing the whole job, S3 triggering it.
ORIGINAL_MB = 3008

# ------------------------------------------------------------------ assumptions
# Everything below is assumed, not measured; the tables say which figures depend on what.
ASSUMPTIONS = {
    # The phone: one ticket, then the event on its channel. One status read per photo as
    # the backstop (docs/api.md: after a (re)subscribe, read the status of photos still
    # awaited), counted for every photo as an upper bound of the normal case.
    "api_calls": {"ticket": 1, "status": 1},
    # SQS: one record per dispatch batch (at a million photos a month, 0.4 a second, a
    # 1-second batching window gathers little more), so one receive and one delete per photo.
    "records_per_batch": 1,
    # The S3 notification's JSON is about 1 KB: one 64 KB chunk.
    "sqs_chunks_per_message": 1,
    # AppSync Events: one publish, delivered to one subscriber (the uploading phone), and
    # the phone's connection held 2 minutes per photo (upload over a mobile link, the
    # pipeline, the event). Connect and subscribe requests are not counted.
    "events_operations": 2,
    "events_connection_minutes": 2,
    # Storage: a GB is 2^30 bytes, a month 730 hours (AWS's conventions).
    "hours_per_month": 730,
    # A rendition's thumb size when bench/results/thumbnails.txt has no thumb_KB column
    # (it was written before the column was added): this share of the display's size.
    "thumb_over_display_if_unmeasured": 0.10,
    # Latency, not measured here:
    "s3_to_sqs_ms": 1000,            # S3 docs: notifications "typically" arrive in seconds
    "sfn_ms_per_transition": 25,     # a guess: no published figure
    "s3_mb_per_s": 87.5,             # S3 performance guidelines: 85-90 MB/s per connection
    # Express: the execution's memory, from its definition and data (see express_memory_mb).
    "express_chunk_mb": 64,
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
        notes.append(f"{THUMBNAILS.relative_to(ROOT)} has no thumb_KB column (written before "
                     f"it was added; rerun bench/thumbnails.sh): each thumb is counted at "
                     f"{share:.0%} of its display's size, an estimate.")
    return rows, notes


def rendition_kb(rows: dict, file: str, contender: str) -> tuple[float, float]:
    row = rows[(file, contender)]
    display = float(row["display_KB"])
    thumb = float(row["thumb_KB"]) if "thumb_KB" in row else display * ASSUMPTIONS["thumb_over_display_if_unmeasured"]
    return display, thumb


def template_settings() -> dict:
    text = TEMPLATE.read_text()

    def number(pattern: str) -> float:
        match = re.search(pattern, text, re.S)
        if not match:
            raise SystemExit(f"template.yaml: {pattern!r} not found")
        return float(match.group(1))

    return {
        "batch_size": int(number(r"DispatchEventSource:.*?BatchSize:\s*(\d+)")),
        "batching_window_s": number(r"DispatchEventSource:.*?MaximumBatchingWindowInSeconds:\s*(\d+)"),
        "retention_days": number(r"UploadRetentionDays:.*?Default:\s*(\d+)"),
    }


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
            name = state["Catch"][0]["Next"]
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


# ------------------------------------------------------------------ Lambda

def duration_ms(cpu_ms: float, wait_ms: float, memory_mb: int) -> float:
    """bench/lambda_model.py's formula: CPU stretched below a full vCPU, the wait unchanged."""
    return cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb) + wait_ms


def gb_seconds(memory_mb: int, ms: float) -> float:
    return memory_mb / 1024 * math.ceil(ms) / 1000


def lambda_invocations(model: dict, key: str) -> list[dict]:
    """The invocations of one photo: (function, input, how many) with their figures."""
    calls = [("api", name, n) for name, n in ASSUMPTIONS["api_calls"].items()]
    calls += [("dispatch", "sqs-1-record", 1 / ASSUMPTIONS["records_per_batch"]),
              ("validate", key, 1), ("thumbnail", key, 1), ("persist", "ready", 1),
              ("notify", "photo.ready", 1)]
    rows = []
    for function, name, count in calls:
        entry = model["functions"][function]
        measured = entry["inputs"][name]
        chosen = entry["memory_mb"]
        previous = PREVIOUS_MB[function]
        previous_ms = duration_ms(measured["cpu_ms"], measured["wait_ms"], previous)
        rows.append({
            "function": function, "input": name, "count": count,
            "memory": chosen, "ms": measured["duration_ms"], "gb_s": measured["gb_seconds"],
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
    if x >= 100:
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

def photo_costs(model: dict, rows_thumbs: dict, settings: dict, n_transitions: int, label: str) -> dict:
    key, file = PHOTOS[label]
    original_bytes = (INPUTS / file).stat().st_size
    display_kb, thumb_kb = rendition_kb(rows_thumbs, file, "wisaw")
    invocations = lambda_invocations(model, key)
    gb_s = sum(r["gb_s"] * r["count"] for r in invocations)
    prev_gb_s = sum(r["prev_gb_s"] * r["count"] for r in invocations)
    requests = sum(r["count"] for r in invocations)

    per_batch = ASSUMPTIONS["records_per_batch"]
    sqs = {"SendMessage (S3 notification)": ASSUMPTIONS["sqs_chunks_per_message"],
           "ReceiveMessage (event source)": 1 / per_batch,
           "DeleteMessageBatch (event source)": 1 / per_batch}
    s3_puts = {"PUT the original (phone)": 1, "PUT display.webp": 1, "PUT thumb.webp": 1}
    s3_gets = {"GET the original (validate)": 1, "GET the original (thumbnail)": 1}
    gib = 1024 ** 3
    month_h = ASSUMPTIONS["hours_per_month"]
    original_gb_months = original_bytes / gib * settings["retention_days"] * 24 / month_h
    renditions_gb = (display_kb + thumb_kb) * 1000 / gib

    cost = {
        "Lambda": lambda_cost(gb_s, requests),
        "Step Functions": n_transitions * PRICE["sfn_transition"],
        "SQS": sum(sqs.values()) * PRICE["sqs_request"],
        "S3 requests": sum(s3_puts.values()) * PRICE["s3_put"] + sum(s3_gets.values()) * PRICE["s3_get"],
        "S3 storage of the original": original_gb_months * PRICE["s3_gb_month"],
        "API Gateway": sum(ASSUMPTIONS["api_calls"].values()) * PRICE["http_api_request"],
        "AppSync Events": ASSUMPTIONS["events_operations"] * PRICE["events_operation"]
                          + ASSUMPTIONS["events_connection_minutes"] * PRICE["events_connection_minute"],
    }
    return {
        "label": label, "key": key, "file": file, "original_bytes": original_bytes,
        "display_kb": display_kb, "thumb_kb": thumb_kb, "invocations": invocations,
        "gb_s": gb_s, "prev_gb_s": prev_gb_s, "requests": requests,
        "prev_lambda": lambda_cost(prev_gb_s, requests),
        "sqs": sqs, "s3_puts": s3_puts, "s3_gets": s3_gets,
        "original_gb_months": original_gb_months, "renditions_gb": renditions_gb,
        "renditions_month": renditions_gb * PRICE["s3_gb_month"],
        "cost": cost, "total": sum(cost.values()),
    }


def latency(model: dict, harness: dict, photo: dict, path: list[tuple[str, int]], settings: dict) -> dict:
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
        ("event source's batching window (a batch not full waits for it)", settings["batching_window_s"] * 1000,
         "template.yaml MaximumBatchingWindowInSeconds; the long poll itself is not measured here"),
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
        # The init's CPU stretched as the model stretches an invocation's, at the chosen memory.
        init = duration_ms(m["init_cpu_ms"], max(0.0, m["init_ms"] - m["init_cpu_ms"]), memory)
        extra = max(0.0, m["first_ms"] - statistics.median(m["warm_ms"]))
        cold.append((fn, name, init, extra * max(1.0, FULL_VCPU_MB / memory)))
    measured_sum = sum(v for _, v in measured)
    estimates_sum = sum(v for _, v, _ in estimates)
    cold_sum = sum(i + e for _, _, i, e in cold)
    return {"measured": measured, "estimates": estimates, "cold": cold, "measured_sum": measured_sum,
            "estimates_sum": estimates_sum, "cold_sum": cold_sum,
            "in_execution_ms": sum(v for label, v in measured if not label.startswith("dispatch"))
                               + estimates[2][1] + estimates[3][1]}


def express(photo: dict, lat: dict) -> dict:
    memory_mb, _ = express_memory_mb()
    billed_ms = math.ceil(lat["in_execution_ms"] / 100) * 100
    gb_s = memory_mb / 1024 * billed_ms / 1000
    cost = PRICE["sfn_express_request"] + gb_s * PRICE["sfn_express_gb_s"]
    return {"wall_ms": lat["in_execution_ms"], "billed_ms": billed_ms, "gb_s": gb_s, "cost": cost}


def original_app(photo: dict, rows_thumbs: dict, settings: dict, wisaw: dict) -> dict:
    """One 3,008 MB Node function per upload, triggered by S3 directly, sharp doing the job."""
    row = rows_thumbs[(photo["file"], "sharp")]
    wall_ms = float(row["time"]) * 1000
    display_kb, thumb_kb = rendition_kb(rows_thumbs, photo["file"], "sharp")
    gb_s = gb_seconds(ORIGINAL_MB, wall_ms)
    api = [r for r in wisaw["invocations"] if r["function"] == "api"]
    api_cost = lambda_cost(sum(r["gb_s"] * r["count"] for r in api), sum(r["count"] for r in api))
    cost = {
        "Lambda": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_x86"]) + api_cost,
        "Step Functions": 0.0,
        "SQS": 0.0,
        # One GET (the function reads the original once), three PUTs.
        "S3 requests": 3 * PRICE["s3_put"] + 1 * PRICE["s3_get"],
        "S3 storage of the original": wisaw["cost"]["S3 storage of the original"],
        "API Gateway": wisaw["cost"]["API Gateway"],
        "AppSync Events": 0.0,
    }
    return {"wall_ms": wall_ms, "gb_s": gb_s, "cost": cost, "total": sum(cost.values()),
            "arm64": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_arm64"]) + api_cost,
            "x86_function": lambda_cost(gb_s, 1, PRICE["lambda_gb_s_x86"]),
            "renditions_month": (display_kb + thumb_kb) * 1000 / 1024 ** 3 * PRICE["s3_gb_month"]}


# ------------------------------------------------------------------ the report

def main() -> int:
    model, harness = load_json(MODEL), load_json(HARNESS)
    asl = load_json(ASL)
    rows_thumbs, notes = thumbnails_table()
    settings = template_settings()
    ready, rejected = walk(asl, "ready"), walk(asl, "rejected")
    failed = walk(asl, "ready", fail_at="Thumbnail")
    n_ready = transitions(ready)
    if model["measured"] != harness["machine"]["date"]:
        notes.append(f"bench/results/lambda_model.json was computed from the harness run of "
                     f"{model['measured']}, and lambda_harness.json is of {harness['machine']['date']}: "
                     f"the durations and sizes are the model's, the cold-path init times the newer "
                     f"harness's. Rerun bench/lambda_model.py to align them.")

    photos = {label: photo_costs(model, rows_thumbs, settings, n_ready, label) for label in PHOTOS}
    lats = {label: latency(model, harness, photos[label], ready, settings) for label in PHOTOS}
    expr = {label: express(photos[label], lats[label]) for label in PHOTOS}
    orig = {label: original_app(photos[label], rows_thumbs, settings, photos[label]) for label in PHOTOS}
    labels = list(PHOTOS)
    out = []
    say = out.append

    say(f"Measured: the model `bench/results/lambda_model.json` (from the harness run of "
        f"{model['measured']}), the harness `bench/results/lambda_harness.json` ({harness['machine']['date']}, "
        f"commit {harness['machine'].get('commit', '?')}), `bench/results/thumbnails.txt`, `bench/inputs/`. "
        f"Prices: us-east-1 list prices as published, on demand, first tier, no free tier.")
    for note in notes:
        say(f"\n> Note: {note}")

    # 1. Lambda
    say("\n### Lambda, per photo (arm64)\n")
    body = []
    for r12, r48 in zip(photos["12 MP"]["invocations"], photos["48 MP"]["invocations"]):
        name = r12["input"] if r12["input"] == r48["input"] else "12 / 48 MP JPEG"
        body.append([f"{r12['function']} ({name})", f"{r12['count']:g}",
                     f"{r12['memory']:,} MB", f"{ms(r12['ms'])} / {ms(r48['ms'])}",
                     f"{r12['gb_s'] * r12['count']:.4f} / {r48['gb_s'] * r48['count']:.4f}",
                     f"{r12['prev_memory']:,} MB", f"{ms(r12['prev_ms'])} / {ms(r48['prev_ms'])}",
                     f"{r12['prev_gb_s'] * r12['count']:.4f} / {r48['prev_gb_s'] * r48['count']:.4f}"])
    p12, p48 = photos["12 MP"], photos["48 MP"]
    body.append(["**all**", f"{p12['requests']:g}", "", "",
                 f"**{p12['gb_s']:.4f} / {p48['gb_s']:.4f}**", "", "",
                 f"**{p12['prev_gb_s']:.4f} / {p48['prev_gb_s']:.4f}**"])
    body.append(["**cost per million photos**", "", "", "",
                 f"**{usd(p12['cost']['Lambda'] * 1e6)} / {usd(p48['cost']['Lambda'] * 1e6)}**", "", "",
                 f"**{usd(p12['prev_lambda'] * 1e6)} / {usd(p48['prev_lambda'] * 1e6)}**"])
    say(table(["invocation", "per photo", "chosen", "duration 12 / 48 MP", "GB-s 12 / 48 MP",
               "previous", "duration 12 / 48 MP", "GB-s 12 / 48 MP"], body))
    say(f"\nDuration = cpu × max(1, 1769 / memory) + wait (bench/lambda_model.py), billed in whole "
        f"milliseconds; each request ${PRICE['lambda_request'] * 1e6:.2f} per million, each GB-second "
        f"{price(PRICE['lambda_gb_s_arm64'])}. Previous = the template's sizes before the model.")

    # 2. Step Functions
    say("\n### Step Functions Standard: state transitions per photo\n")

    def show(path):
        return " → ".join(f"{n}" + (f" ×{t}" if t > 1 else "") for n, t in path)

    say(table(["path", "states entered (from statemachines/upload.asl.json)", "transitions", "per million photos"], [
        ["ready", show(ready), n_ready, usd(n_ready * PRICE["sfn_transition"] * 1e6)],
        ["rejected", show(rejected), transitions(rejected), usd(transitions(rejected) * PRICE["sfn_transition"] * 1e6)],
        ["failed in Thumbnail", show(failed), transitions(failed), usd(transitions(failed) * PRICE["sfn_transition"] * 1e6)],
    ], "llrr"))
    say(f"\nEach state entered counts one transition, a Task's retry one more; "
        f"${PRICE['sfn_transition'] * 1000:.3f} per 1,000. The totals below take the ready path.")

    # 3. SQS
    say("\n### SQS requests per photo\n")
    say(table(["request", "per photo", "per million photos"],
              [[k, f"{v:g}", usd(v * PRICE["sqs_request"] * 1e6)] for k, v in p12["sqs"].items()]
              + [["**all**", f"**{sum(p12['sqs'].values()):g}**", f"**{usd(p12['cost']['SQS'] * 1e6)}**"]]))
    say(f"\nOne record a batch (the template allows {settings['batch_size']}, with a "
        f"{settings['batching_window_s']:g} s window); with full batches the receives and deletes are "
        f"{1 / settings['batch_size']:g} a photo each, {1 + 2 / settings['batch_size']:g} requests in all. Empty "
        f"long polls are a fixed cost, below.")

    # 4. S3
    say("\n### S3 per photo\n")
    body = [[k, f"{v:g}", usd(v * PRICE["s3_put"] * 1e6), usd(v * PRICE["s3_put"] * 1e6)] for k, v in p12["s3_puts"].items()]
    body += [[k, f"{v:g}", usd(v * PRICE["s3_get"] * 1e6), usd(v * PRICE["s3_get"] * 1e6)] for k, v in p12["s3_gets"].items()]
    body.append([f"the original stored {settings['retention_days']:g} days (lifecycle rule)",
                 f"{p12['original_bytes'] / 1e6:.2f} / {p48['original_bytes'] / 1e6:.2f} MB",
                 usd(p12["cost"]["S3 storage of the original"] * 1e6), usd(p48["cost"]["S3 storage of the original"] * 1e6)])
    body.append(["**one photo, once**", "", f"**{usd((p12['cost']['S3 requests'] + p12['cost']['S3 storage of the original']) * 1e6)}**",
                 f"**{usd((p48['cost']['S3 requests'] + p48['cost']['S3 storage of the original']) * 1e6)}**"])
    body.append(["the renditions, every month they are kept",
                 f"{p12['display_kb'] + p12['thumb_kb']:.0f} / {p48['display_kb'] + p48['thumb_kb']:.0f} KB",
                 usd(p12["renditions_month"] * 1e6), usd(p48["renditions_month"] * 1e6)])
    say(table(["what", "per photo (12 / 48 MP)", "per million, 12 MP", "per million, 48 MP"], body))
    say(f"\nRenditions: display {p12['display_kb']:.0f} / {p48['display_kb']:.0f} KB and thumb "
        f"{p12['thumb_kb']:.0f} / {p48['thumb_kb']:.0f} KB (wisaw rows of bench/results/thumbnails.txt); "
        f"originals: the sizes of bench/inputs/photo-12mp.jpg and photo-48mp.jpg. Nothing deletes an "
        f"original after processing: the lifecycle rule expires it (expiration is free, as DELETE is).")

    # 5. API Gateway, AppSync Events
    say("\n### API Gateway and AppSync Events per photo\n")
    calls = ASSUMPTIONS["api_calls"]
    say(table(["what", "per photo", "per million photos"], [
        [f"HTTP API requests ({', '.join(f'{v} {k}' for k, v in calls.items())})", sum(calls.values()),
         usd(p12["cost"]["API Gateway"] * 1e6)],
        ["AppSync Events operations (1 publish, 1 delivery)", ASSUMPTIONS["events_operations"],
         usd(ASSUMPTIONS["events_operations"] * PRICE["events_operation"] * 1e6)],
        ["AppSync Events connection-minutes", ASSUMPTIONS["events_connection_minutes"],
         usd(ASSUMPTIONS["events_connection_minutes"] * PRICE["events_connection_minute"] * 1e6)],
    ]))

    # 6. Totals
    say("\n### Totals\n")
    body = []
    for service in p12["cost"]:
        row = [service]
        for label in labels:
            c, t = photos[label]["cost"][service], photos[label]["total"]
            row += [usd(c * 1e6), f"{c / t:.1%}"]
        body.append(row)
    body.append(["**per million photos**"] + sum([[f"**{usd(photos[l]['total'] * 1e6)}**", "100%"] for l in labels], []))
    body.append(["**per photo**"] + sum([[f"**{usd(photos[l]['total'])}**", ""] for l in labels], []))
    body.append(["then, renditions kept, per month"] + sum([[usd(photos[l]["renditions_month"] * 1e6), ""] for l in labels], []))
    say(table(["service", "12 MP, per million", "share", "48 MP, per million", "share"], body))

    # 7. Latency
    say("\n### Upload acknowledged → photo.ready published\n")
    body = []
    for (name, v12), (_, v48) in zip(lats["12 MP"]["measured"], lats["48 MP"]["measured"]):
        body.append([name, ms(v12), ms(v48), "measured: the model's duration at the chosen memory"])
    body.append(["**the steps, measured**", f"**{ms(lats['12 MP']['measured_sum'])}**",
                 f"**{ms(lats['48 MP']['measured_sum'])}**", ""])
    for (name, v12, source), (_, v48, _) in zip(lats["12 MP"]["estimates"], lats["48 MP"]["estimates"]):
        body.append([name, ms(v12), ms(v48), source])
    body.append(["AppSync Events publish → the phone", "—", "—", "not measured here (locally the channel adds nothing measurable, docs/benchmarks.md)"])
    body.append(["**expected, warm**", f"**{ms(lats['12 MP']['measured_sum'] + lats['12 MP']['estimates_sum'])}**",
                 f"**{ms(lats['48 MP']['measured_sum'] + lats['48 MP']['estimates_sum'])}**", "measured + estimates"])
    for (fn, name, i12, e12), (_, _, i48, e48) in zip(lats["12 MP"]["cold"], lats["48 MP"]["cold"]):
        body.append([f"cold: {fn} init + first-invocation extra", ms(i12 + e12), ms(i48 + e48),
                     "harness: init, and first minus warm median, stretched to the chosen memory"])
    body.append(["cold: Lambda's sandbox and code download", "—", "—", "not measured here"])
    body.append(["**expected, every function cold**",
                 f"**{ms(lats['12 MP']['measured_sum'] + lats['12 MP']['estimates_sum'] + lats['12 MP']['cold_sum'])}**",
                 f"**{ms(lats['48 MP']['measured_sum'] + lats['48 MP']['estimates_sum'] + lats['48 MP']['cold_sum'])}**",
                 "plus the sandboxes, not measured"])
    say(table(["part", "12 MP", "48 MP", "source"], body, "lrrl"))

    # 8. Side by side
    memory_mb, memory_why = express_memory_mb()
    say("\n### Side by side, per million photos\n")
    body = []
    for label in labels:
        w, e, o = photos[label], expr[label], orig[label]
        express_total = w["total"] - w["cost"]["Step Functions"] + e["cost"]
        body.append([label, usd(w["total"] * 1e6), usd(express_total * 1e6), usd(o["total"] * 1e6),
                     f"{usd(w['cost']['Step Functions'] * 1e6)} → {usd(e['cost'] * 1e6)}",
                     f"{usd(o['x86_function'] * 1e6)} ({ms(o['wall_ms'])}, {o['gb_s']:.2f} GB-s)"])
    say(table(["photo", "wisaw, Standard", "wisaw, Express", "original app", "Step Functions: Standard → Express",
               f"original's {ORIGINAL_MB:,} MB function alone (x86)"], body))
    e12, e48 = expr["12 MP"], expr["48 MP"]
    say(f"\nExpress: ${PRICE['sfn_express_request'] * 1e6:.2f} per million executions plus "
        f"{price(PRICE['sfn_express_gb_s'])} per GB-second, the execution's wall time rounded up to 100 ms "
        f"({ms(e12['wall_ms'])} → {e12['billed_ms']:,} ms for 12 MP, {ms(e48['wall_ms'])} → {e48['billed_ms']:,} ms "
        f"for 48 MP: the four steps, their transitions' estimate and the GETs' estimate) at {memory_mb} MB "
        f"({memory_why}).")
    say(f"Express runs at most 5 minutes; the ready path's Tasks may take up to "
        f"{worst_case_s(asl, ready):,.0f} s under their own timeouts and retries.")
    say(f"Original app: sharp's wall time from bench/results/thumbnails.txt (one core, concurrency 1, "
        f"the whole Node process, files on local disk) billed at {ORIGINAL_MB:,} MB, x86 "
        f"({price(PRICE['lambda_gb_s_x86'])} per GB-s; at arm64 prices its Lambda line would be "
        f"{usd(orig['12 MP']['arm64'] * 1e6)} / {usd(orig['48 MP']['arm64'] * 1e6)} per million); "
        f"one GET and three PUTs; the same API calls and api function as wisaw; the same originals' "
        f"retention; no queue, no state machine, no event channel.")

    say("\n### Side by side, upload acknowledged → outcome\n")
    body = []
    for label in labels:
        lat, o = lats[label], orig[label]
        warm = lat["measured_sum"] + lat["estimates_sum"]
        one_get = photos[label]["original_bytes"] / 1e6 / ASSUMPTIONS["s3_mb_per_s"] * 1000
        body.append([label, ms(warm), ms(warm),
                     f"{ms(ASSUMPTIONS['s3_to_sqs_ms'] + o['wall_ms'] + one_get)} + a Node cold start"])
    say(table(["photo", "wisaw, Standard (warm)", "wisaw, Express (warm)", "original app"], body))
    say("\nwisaw: the expected warm total above (Express is taken as fast as Standard: its transitions "
        "are not measured here either). Original app: S3's notification (the same estimate as above: "
        "S3 invokes the function through the same event notifications), sharp's wall time (a whole "
        "Node process, so Node's own start is in it) and one GET of the original (the same estimate); "
        "Lambda's cold start of a Node function is not measured here. At 3,008 MB Lambda gives about 1.7 vCPUs, but sharp ran on one "
        "thread (concurrency 1) on one core in the benchmark, so its time is a one-core time.")

    # Downloads and fixed costs
    say("\n### Not per photo: downloads, and fixed costs\n")
    feed = model["functions"]["api"]
    feed_in = feed["inputs"]["feed"]
    feed_page = (PRICE["http_api_request"] + lambda_cost(feed_in["gb_seconds"], 1)
                 + 100 * (PRICE["s3_get"] + p12["thumb_kb"] * 1000 / 1024 ** 3 * PRICE["transfer_out_gb"]))
    display_view = PRICE["s3_get"] + p12["display_kb"] * 1000 / 1024 ** 3 * PRICE["transfer_out_gb"]
    empty_polls = 5 * 3 * 60 * ASSUMPTIONS["hours_per_month"]
    sweep = 60 / 5 * ASSUMPTIONS["hours_per_month"]
    say(table(["what", "cost", "how"], [
        ["1,000 views of a photo's display.webp", usd(display_view * 1000),
         f"1,000 GETs and {p12['display_kb']:.0f} KB each out to the internet at ${PRICE['transfer_out_gb']}/GB "
         f"(presigned S3 URLs; a CDN changes this)"],
        ["1,000 feed pages of 100 thumbs", usd(feed_page * 1000),
         f"a request, an api invocation ({ms(feed_in['duration_ms'])} at {feed['memory_mb']:,} MB) and 100 "
         f"thumb GETs of {p12['thumb_kb']:.0f} KB out, per page"],
        ["the event source's empty long polls, per month", usd(empty_polls * PRICE["sqs_request"]),
         f"{empty_polls:,.0f} receives: 5 pollers, a 20 s long poll each (assumed)"],
        ["the outbox sweep, per month", usd(sweep * lambda_cost(model['functions']['notify']['inputs']['photo.ready']['gb_seconds'], 1)),
         f"{sweep:,.0f} notify invocations (rate(5 minutes)), each taken as long as a photo's"],
    ], "lrl"))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
