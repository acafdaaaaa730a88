"""Photo-like benchmark inputs, the same bytes on every run.

The inputs themselves are not committed (bench/.gitignore); their sizes are, in
bench/results/inputs.json, which bench/photo_cost.py reads to price an original's storage.

A photo is smooth light plus texture at every scale (1/f noise), a few hard edges and
sensor grain. That mix, saved at JPEG quality chosen to land at about 2.2 bits per
pixel with 4:2:0 chroma, compresses and decodes like a phone's camera output (flat
synthetic images decode several times faster and would flatter every contender).
"""

import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

BITS_PER_PIXEL = 2.2
ORIENTATION_RIGHT_TOP = 6  # a phone held upright: stored sideways, turned by EXIF


def photo(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    canvas = np.zeros((height, width, 3), dtype=np.float32)
    # Octaves of smooth noise, each twice as fine and half as strong (1/f).
    cells, strength = 3, 90.0
    while cells < max(width, height) // 2:
        # Light varies far more than hue: one luminance field, weaker colour fields.
        field = rng.standard_normal((cells * height // width + 2, cells + 2, 4)).astype(np.float32)
        field[:, :, 1:] *= 0.3
        planes = [
            np.asarray(Image.fromarray(field[:, :, c], mode="F").resize((width, height), Image.BICUBIC))
            for c in range(4)
        ]
        for c in range(3):
            canvas[:, :, c] += (planes[0] + planes[c + 1]) * strength
        del planes
        cells, strength = cells * 2, strength * 0.62
    # Hard edges: a few rectangles, as walls, windows and horizons give.
    for _ in range(12):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        x1, y1 = x0 + rng.integers(width // 20, width // 3), y0 + rng.integers(height // 20, height // 3)
        canvas[y0:y1, x0:x1] += rng.uniform(-50, 50, 3).astype(np.float32)
    canvas += 128.0
    canvas += rng.normal(0.0, 3.0, canvas.shape).astype(np.float32)  # sensor grain
    np.clip(canvas, 0, 255, out=canvas)
    return Image.fromarray(canvas.astype(np.uint8), "RGB")


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def jpeg_at_bits_per_pixel(image: Image.Image, exif: bytes) -> bytes:
    """Binary search on quality for the phone-like file size."""
    target = BITS_PER_PIXEL * image.width * image.height / 8
    low, high, best = 50, 98, None
    while low <= high:
        quality = (low + high) // 2
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, subsampling="4:2:0", exif=exif)
        data = buffer.getvalue()
        if best is None or abs(len(data) - target) < abs(len(best) - target):
            best = data
        if len(data) < target:
            low = quality + 1
        else:
            high = quality - 1
    return best


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    exif = exif_with_orientation(ORIENTATION_RIGHT_TOP)
    made = []
    twelve = photo(4032, 3024, seed=12)
    jpeg = out / "photo-12mp.jpg"
    if not jpeg.exists():
        jpeg.write_bytes(jpeg_at_bits_per_pixel(twelve, exif))
    png = out / "photo-12mp.png"
    if not png.exists():
        twelve.save(png, "PNG", compress_level=6)
    webp = out / "photo-12mp.webp"
    if not webp.exists():
        twelve.save(webp, "WEBP", quality=85, method=4)
    del twelve
    jpeg48 = out / "photo-48mp.jpg"
    if not jpeg48.exists():
        jpeg48.write_bytes(jpeg_at_bits_per_pixel(photo(8064, 6048, seed=48), exif))
    sizes = {}
    for path in (jpeg, png, webp, jpeg48):
        with Image.open(path) as image:
            bpp = path.stat().st_size * 8 / (image.width * image.height)
            made.append(f"{path.name}: {image.width}x{image.height}, {path.stat().st_size / 1e6:.1f} MB, {bpp:.2f} bits/pixel")
            sizes[path.name] = {"bytes": path.stat().st_size, "width": image.width, "height": image.height}
    record_sizes(sizes)
    print("\n".join(made))


def record_sizes(sizes: dict) -> None:
    """Writes the inputs' sizes where a fresh clone, without bench/inputs, can read them."""
    results = Path(__file__).resolve().parent / "results" / "inputs.json"
    results.write_text(json.dumps({"written_by": "bench/make_inputs.py", "inputs": sizes}, indent=2) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
