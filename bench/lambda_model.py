"""Each Lambda function's MemorySize, chosen from measurements by a model, not a guess.

Input: bench/results/lambda_harness.json (bench/lambda_harness.py: each function's warm
CPU time, wall time and peak RSS per invocation on one full core of this machine).
Output: bench/results/lambda_model.json (the chosen sizes, which tests/template.rs holds
template.yaml to, and the figures docs/cost.md is computed from) and a table on stdout.

The model, from Lambda's published rules:
- CPU is in proportion to memory: one full vCPU at 1,769 MB, so a handler that computes on
  one thread gets 1,769 / M of a core below that and gains nothing above it.
- An invocation's time is its CPU time stretched by that share, plus the time it waits on
  the network (its wall time on a full core minus its CPU time), which memory does not
  change: duration(M) = cpu * max(1, 1769 / M) + wait.
- It is billed M / 1024 GB times its duration in whole milliseconds, at the arm64 price.

The rule: the least memory at which an invocation takes at most 10 % or 5 ms longer than it
would on a full vCPU, whichever is more (beyond that, more memory buys less than a tenth of
the time, or a few milliseconds that a phone's round trip of tens of milliseconds hides:
a function that mostly waits on the network would otherwise be given a whole vCPU to save
a millisecond), and never less than 1.5 times the largest peak RSS measured, nor Lambda's
128 MB. Each function is
sized for the largest photo it must handle (the 48 MP JPEG for validate and thumbnail).

    .venv/bin/python bench/lambda_model.py        # reads the harness's JSON, writes the model's
"""

import json
import math
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "bench/results/lambda_harness.json"
OUT = ROOT / "bench/results/lambda_model.json"

FULL_VCPU_MB = 1769  # Lambda: "at 1,769 MB, a function has the equivalent of one vCPU"
MIN_MB, MAX_MB = 128, 10240
SLOWER_AT_MOST = 0.10  # duration within 10 % of a full vCPU's,
SLOWER_BY_AT_MOST_MS = 5.0  # or within 5 ms of it, whichever is more
RSS_HEADROOM = 1.5
# us-east-1 list prices, arm64 (the template's architecture).
PRICE_GB_SECOND = 0.0000133334
PRICE_REQUEST = 0.20 / 1_000_000

# The template's logical id of each function.
LOGICAL_IDS = {
    "api": "ApiFunction",
    "dispatch": "DispatchFunction",
    "validate": "ValidateFunction",
    "thumbnail": "ThumbnailFunction",
    "persist": "PersistFunction",
    "notify": "NotifyFunction",
}


def duration_ms(cpu_ms: float, wait_ms: float, memory_mb: int) -> float:
    return cpu_ms * max(1.0, FULL_VCPU_MB / memory_mb) + wait_ms


def cost(memory_mb: int, ms: float) -> float:
    """One invocation's price: billed in whole milliseconds, plus the request."""
    return memory_mb / 1024 * math.ceil(ms) / 1000 * PRICE_GB_SECOND + PRICE_REQUEST


def profile(measurement: dict) -> dict:
    """A warm invocation on a full core: median CPU, median wall, and what it waits."""
    cpu = statistics.median(measurement["warm_cpu_ms"])
    wall = statistics.median(measurement["warm_ms"])
    return {"cpu_ms": cpu, "wall_ms": wall, "wait_ms": max(0.0, wall - cpu),
            "peak_rss_mib": measurement["peak_rss_kib"] / 1024}


def choose(inputs: dict[str, dict]) -> dict:
    """The memory size for a function, from the profiles of its inputs."""
    floor = max(MIN_MB, math.ceil(RSS_HEADROOM * max(p["peak_rss_mib"] for p in inputs.values()) * 1.048576))
    # The largest input decides: it is the one that must fit, and the slowest.
    sizing = max(inputs.values(), key=lambda p: p["cpu_ms"] + p["wait_ms"])
    full = duration_ms(sizing["cpu_ms"], sizing["wait_ms"], FULL_VCPU_MB)
    allowed = max((1 + SLOWER_AT_MOST) * full, full + SLOWER_BY_AT_MOST_MS)
    memory = next(m for m in range(MIN_MB, MAX_MB + 1)
                  if duration_ms(sizing["cpu_ms"], sizing["wait_ms"], m) <= allowed)
    return {"memory_mb": max(memory, floor), "rss_floor_mb": floor, "by_latency_mb": memory}


def main() -> int:
    harness = json.loads(HARNESS.read_text())
    model = {"source": str(HARNESS.relative_to(ROOT)), "measured": harness["machine"]["date"],
             "rule": f"least memory within {SLOWER_AT_MOST:.0%} or {SLOWER_BY_AT_MOST_MS:g} ms (the more) "
                     f"of a full vCPU's duration, "
                     f"at least {RSS_HEADROOM}x peak RSS and {MIN_MB} MB",
             "price_gb_second_arm64": PRICE_GB_SECOND, "price_request": PRICE_REQUEST,
             "functions": {}}
    print(f"{'function':10} {'input':14} {'cpu':>7} {'wait':>6} {'RSS':>6} | {'chosen':>6} "
          f"{'ms@chosen':>9} {'ms@128':>8} {'ms@1769':>8} | {'$/M@chosen':>10} {'$/M@128':>9} {'$/M@1769':>9}")
    for function, inputs in harness["functions"].items():
        profiles = {name: profile(m) for name, m in inputs.items()}
        chosen = choose(profiles)
        entry = {"logical_id": LOGICAL_IDS[function], **chosen, "inputs": {}}
        for name, p in profiles.items():
            at = {m: duration_ms(p["cpu_ms"], p["wait_ms"], m) for m in (chosen["memory_mb"], 128, FULL_VCPU_MB)}
            entry["inputs"][name] = {
                **{k: round(v, 2) for k, v in p.items()},
                "duration_ms": round(at[chosen["memory_mb"]], 1),
                "gb_seconds": chosen["memory_mb"] / 1024 * math.ceil(at[chosen["memory_mb"]]) / 1000,
                "cost_per_million": round(cost(chosen["memory_mb"], at[chosen["memory_mb"]]) * 1e6, 4),
            }
            print(f"{function:10} {name:14} {p['cpu_ms']:7.1f} {p['wait_ms']:6.1f} {p['peak_rss_mib']:6.1f} | "
                  f"{chosen['memory_mb']:6d} {at[chosen['memory_mb']]:9.1f} {at[128]:8.1f} {at[FULL_VCPU_MB]:8.1f} | "
                  f"{cost(chosen['memory_mb'], at[chosen['memory_mb']]) * 1e6:10.3f} {cost(128, at[128]) * 1e6:9.3f} "
                  f"{cost(FULL_VCPU_MB, at[FULL_VCPU_MB]) * 1e6:9.3f}")
        model["functions"][function] = entry
    OUT.write_text(json.dumps(model, indent=2) + "\n")
    print(f"written: {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
