"""The Pillow anchor: the same job as `wisaw render`, done the Pillow way.

draft() lets libjpeg decode at a reduced DCT scale, exif_transpose() turns the pixels
upright, thumbnail() resamples with Lanczos; WebP is saved without EXIF or ICC.
Usage: python pillow_render.py FILE OUT_DIR
"""

import sys

from PIL import Image, ImageOps

DISPLAY = 2048
THUMB_HEIGHT = 300


def main(file: str, out: str) -> None:
    with Image.open(file) as image:
        image.draft("RGB", (DISPLAY, DISPLAY))  # both sides stay >= the box, either way up
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((DISPLAY, DISPLAY), Image.LANCZOS)
    upright.save(f"{out}/display.webp", "WEBP", quality=80)
    upright.thumbnail((upright.width, THUMB_HEIGHT), Image.LANCZOS)
    upright.save(f"{out}/thumb.webp", "WEBP", quality=80)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
