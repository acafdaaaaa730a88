"""The stage as deployed beside `wisaw serve`, in one run: each function's cold start on the
stage (Lambda's `Init Duration`, from the stage's REPORT lines), and the time from an upload
acknowledged to its `photo.ready` heard on the device's channel, through both.

Usage: python3 bench/stage.py [--photos N] [--bin DIR]
  DIR holds the release binaries (`cargo build --release --bins`): wisaw and the six
  functions'. Needs moto_server on the PATH (or in .venv/bin) and Postgres at
  $WISAW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)."""
import argparse, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_for(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")

def jpeg(path, seed):
    # A 1600x1200 JPEG of two tones, made with Pillow (bench/requirements.txt).
    from PIL import Image
    image = Image.new("RGB", (1600, 1200), (seed * 37 % 256, 90, 160))
    image.paste((200, seed * 11 % 256, 40), (0, 0, 800, 1200))
    image.save(path, "JPEG", quality=90)

def upload(wisaw, file, url, key, ca=None):
    command = [wisaw, "upload", file, "--url", url, "--events-api-key", key, "--wait", "120"]
    if ca:
        command += ["--tls-ca", ca]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    heard = re.search(r"photo\.ready ([0-9.]+) ms after the upload was acknowledged", done.stderr)
    if done.returncode != 0 or not heard:
        sys.exit(f"upload to {url} failed: {done.stdout}{done.stderr}")
    return float(heard.group(1))

def summary(times):
    times = sorted(times)
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1), "max_ms": round(times[-1], 1)}

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "release"))
    args = parser.parse_args()
    wisaw = os.path.join(args.bin, "wisaw")
    work = tempfile.mkdtemp(prefix="wisaw-bench-stage-")
    processes = []
    database = None
    admin = os.environ.get("WISAW_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    try:
        moto_server = shutil.which("moto_server") or os.path.join(ROOT, ".venv", "bin", "moto_server")
        moto_port = free_port()
        processes.append(subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(moto_port)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        moto = f"http://127.0.0.1:{moto_port}"
        wait_for(f"{moto}/moto-api/")

        serve_port = free_port()
        processes.append(subprocess.Popen([wisaw, "serve", "--addr", f"127.0.0.1:{serve_port}",
                                           "--data-dir", os.path.join(work, "serve")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        serve = f"http://127.0.0.1:{serve_port}"
        wait_for(f"{serve}/openapi.json")

        database = "wisaw_bench_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], check=True)
        database_url = admin.rsplit("/", 1)[0] + "/" + database
        outputs_file = os.path.join(work, "outputs.json")
        stage_log = open(os.path.join(work, "stage.log"), "w")
        expires = int(time.time()) + 30 * 86400
        processes.append(subprocess.Popen(
            [wisaw, "stage", "--template", os.path.join(ROOT, "template.yaml"), "--functions", args.bin,
             "--aws-endpoint", moto, "--database-url", database_url, "--data-dir", os.path.join(work, "stage"),
             "--outputs-json", outputs_file, "--parameter-overrides", f"EventsApiKeyExpires={expires}"],
            stdout=subprocess.DEVNULL, stderr=stage_log))
        deadline = time.time() + 120
        while not os.path.exists(outputs_file):
            if time.time() > deadline or processes[-1].poll() is not None:
                sys.exit("the stage did not start: see " + stage_log.name)
            time.sleep(0.2)
        outputs = json.load(open(outputs_file))

        photos = []
        for i in range(args.photos):
            path = os.path.join(work, f"photo{i}.jpg")
            jpeg(path, i)
            photos.append(path)
        # Turn about, so neither side runs while the machine is busier.
        serve_times, stage_times = [], []
        for path in photos:
            serve_times.append(upload(wisaw, path, serve, "da2-wisaw-local"))
            stage_times.append(upload(wisaw, path, outputs["ApiUrl"], outputs["EventsApiKey"], outputs["CaFile"]))

        stage_log.flush()
        cold = {}
        for line in open(stage_log.name):
            found = re.match(r"\[([^\]]+)\] REPORT .*Init Duration: ([0-9.]+) ms", line)
            if found and found.group(1) not in cold:
                cold[found.group(1)] = float(found.group(2))
        first_ready, rest = stage_times[0], stage_times[1:]
        result = {
            "photos": args.photos,
            "upload_to_ready": {
                "wisaw_serve": summary(serve_times),
                "wisaw_stage": summary(stage_times),
                "wisaw_stage_warm": summary(rest) if rest else None,
                "wisaw_stage_first_photo_ms": round(first_ready, 1),
            },
            "ratio_stage_to_serve_p50": round(statistics.median(stage_times) / statistics.median(serve_times), 2),
            "cold_start_init_ms": {name: round(ms, 1) for name, ms in sorted(cold.items())},
        }
        print(json.dumps(result, indent=2))
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if database:
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
        shutil.rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
