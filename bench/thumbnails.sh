#!/usr/bin/env bash
# Thumbnail benchmark: `wisaw render` against libvips, sharp and Pillow doing the same
# job (EXIF applied, a 300-high thumb and a 2048-box display, lossy WebP, no metadata),
# each as a whole process on one core. Prints median wall time and peak memory of
# RUNS runs per contender and input, ratios to the fastest anchor, and SSIM.
#
#   bench/thumbnails.sh            # installs what is missing, then measures
#   RUNS=9 bench/thumbnails.sh
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
RUNS="${RUNS:-5}"
CORE="${CORE:-0}"
WORK="$BENCH/work"
INPUTS="$BENCH/inputs"

install_anchors() {
    if ! command -v vipsthumbnail >/dev/null || ! command -v taskset >/dev/null || [ ! -x /usr/bin/time ]; then
        apt-get update -qq && apt-get install -y -qq libvips-tools time util-linux >/dev/null
    fi
    if [ ! -d "$BENCH/node_modules/sharp" ]; then
        npm --prefix "$BENCH" install --no-audit --no-fund >/dev/null
    fi
    if [ ! -x "$BENCH/.venv/bin/python" ]; then
        python3 -m venv "$BENCH/.venv"
        "$BENCH/.venv/bin/pip" install -q -r "$BENCH/requirements.txt"
    fi
}

install_anchors
PY="$BENCH/.venv/bin/python"
(cd "$ROOT" && cargo build --release -q -p wisaw)
WISAW="$ROOT/target/release/wisaw"
"$PY" "$BENCH/make_inputs.py" "$INPUTS" >/dev/null

# One command per contender; $1 is the input, $2 the output folder.
run_contender() {
    local name="$1" file="$2" out="$3"
    case "$name" in
        wisaw) "$WISAW" render "$file" --out "$out" >/dev/null ;;
        vipsthumbnail)
            vipsthumbnail "$file" --size 2048x2048 -o "$out/display.webp[Q=80,strip]" &&
                vipsthumbnail "$file" --size x300 -o "$out/thumb.webp[Q=80,strip]" ;;
        sharp) UV_THREADPOOL_SIZE=1 node "$BENCH/sharp_render.js" "$file" "$out" ;;
        pillow) "$PY" "$BENCH/pillow_render.py" "$file" "$out" ;;
    esac
}
export -f run_contender
export WISAW BENCH PY

# Prints "seconds peak_kib" for one whole-process run pinned to one core.
measure() {
    local name="$1" file="$2" out="$WORK/$1"
    rm -rf "$out" && mkdir -p "$out"
    /usr/bin/time -f '%e %M' -o "$WORK/time" \
        taskset -c "$CORE" bash -c 'run_contender "$@"' _ "$name" "$file" "$out"
    cat "$WORK/time"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mkdir -p "$WORK"
CONTENDERS=(wisaw vipsthumbnail sharp pillow)
ANCHORS=(vipsthumbnail sharp pillow)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), pinned to core $CORE"
echo "versions: $(vipsthumbnail --vips-version 2>/dev/null | head -1); sharp $(node -p "require('$BENCH/node_modules/sharp/package.json').version") (libvips $(node -p "require('$BENCH/node_modules/sharp').versions.vips")); Pillow $("$PY" -c 'import PIL; print(PIL.__version__)')"
echo "median of $RUNS runs after one warm-up; time in seconds, peak RSS in MiB; ratio = time / fastest anchor's"
echo
printf '%-16s %-14s %8s %9s %8s %14s %14s %11s %9s\n' input contender time peak_MiB ratio ssim_display ssim_thumb display_KB thumb_KB
for file in "$INPUTS"/photo-12mp.jpg "$INPUTS"/photo-48mp.jpg "$INPUTS"/photo-12mp.png "$INPUTS"/photo-12mp.webp; do
    declare -A TIME=() PEAK=()
    for name in "${CONTENDERS[@]}"; do
        measure "$name" "$file" >/dev/null # warm-up: page cache, node and Python imports
        results="$(for _ in $(seq "$RUNS"); do measure "$name" "$file"; done)"
        TIME[$name]="$(cut -d' ' -f1 <<<"$results" | median)"
        PEAK[$name]="$(cut -d' ' -f2 <<<"$results" | median)"
        mkdir -p "$WORK/keep/$name" && cp "$WORK/$name"/*.webp "$WORK/keep/$name/"
    done
    fastest="$(for name in "${ANCHORS[@]}"; do echo "${TIME[$name]}"; done | sort -g | head -1)"
    for name in "${CONTENDERS[@]}"; do
        read -r s_display s_thumb < <("$PY" "$BENCH/ssim.py" "$file" \
            "$WORK/keep/$name/display.webp" "$WORK/keep/$name/thumb.webp" | xargs)
        awk -v i="$(basename "$file")" -v n="$name" -v t="${TIME[$name]}" -v m="${PEAK[$name]}" \
            -v f="$fastest" -v sd="$s_display" -v st="$s_thumb" \
            -v kb="$(stat -c %s "$WORK/keep/$name/display.webp")" \
            -v tkb="$(stat -c %s "$WORK/keep/$name/thumb.webp")" \
            'BEGIN { printf "%-16s %-14s %8.3f %9.1f %7.2fx %14s %14s %11.1f %9.1f\n", i, n, t, m / 1024, t / f, sd, st, kb / 1000, tkb / 1000 }'
    done
    rm -rf "$WORK/keep"
    unset TIME PEAK
done
