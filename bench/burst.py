"""A burst of uploads at once through `wisaw serve`: tickets first, then every PUT concurrently;
waits until every photo is final and reports how they ended and how long it took.

Usage: python3 bench/burst.py BASE_URL DATA_DIR COUNT
  (against `wisaw serve --data-dir DATA_DIR`, on SQLite; it reads the metadata and the
  executions databases of DATA_DIR read-only)."""
import json, sqlite3, struct, sys, time, urllib.request, uuid, zlib
from concurrent.futures import ThreadPoolExecutor

BASE, DATA, N = sys.argv[1], sys.argv[2], int(sys.argv[3])

def png(seed, w=24, h=16):
    raw = b"".join(b"\x00" + bytes(v for x in range(w) for v in ((seed * 7 + x) % 256, x * 10 % 256, y * 15 % 256)) for y in range(h))
    def chunk(kind, body):
        c = kind + body
        return struct.pack(">I", len(body)) + c + struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

def ticket(i):
    body = png(i)
    req = urllib.request.Request(BASE + "/v1/uploads", method="POST", headers={"content-type": "application/json"},
        data=json.dumps({"deviceId": str(uuid.uuid4()), "contentType": "image/png", "contentLength": len(body), "lat": 1.0, "lon": 2.0}).encode())
    return json.load(urllib.request.urlopen(req, timeout=60)), body

def put(args):
    t, body = args
    req = urllib.request.Request(t["upload"]["url"], method="PUT", data=body, headers=t["upload"]["headers"])
    return urllib.request.urlopen(req, timeout=120).status

with ThreadPoolExecutor(32) as pool:
    tickets = list(pool.map(ticket, range(N)))
start = time.time()
with ThreadPoolExecutor(128) as pool:
    statuses = list(pool.map(put, tickets))
print(f"{N} PUTs accepted in {time.time() - start:.1f} s: {sorted(set(statuses))}", flush=True)
meta = sqlite3.connect(f"file:{DATA}/metadata.db?mode=ro", uri=True)
while True:
    counts = dict(meta.execute("SELECT status, COUNT(*) FROM photos GROUP BY status").fetchall())
    if sum(v for k, v in counts.items() if k in ("ready", "rejected", "failed")) >= N:
        break
    time.sleep(1)
elapsed = time.time() - start
runs = sqlite3.connect(f"file:{DATA}/executions.db?mode=ro", uri=True)
timed_out = runs.execute("SELECT COUNT(DISTINCT execution_id) FROM history_events WHERE event_type = 'TaskTimedOut'").fetchone()[0]
execs = dict(runs.execute("SELECT status, COUNT(*) FROM executions GROUP BY status").fetchall())
print(f"photos: {counts}; executions: {execs}; executions with a TaskTimedOut: {timed_out}; all final {elapsed:.1f} s after the first PUT")
