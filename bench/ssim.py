"""SSIM of a rendition against a reference made from the original.

The reference is the source fully decoded (no reduced-scale decoding), turned upright
by its EXIF orientation, flattened to RGB and Lanczos-resized to the rendition's size.
SSIM is computed on luma (BT.601) with the usual 11x11 Gaussian window (sigma 1.5).
Usage: python ssim.py ORIGINAL RENDITION [RENDITION...]   (one score per line)
"""

import sys

import numpy as np
from PIL import Image, ImageOps

C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2


def luma(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def gaussian_blur(plane: np.ndarray) -> np.ndarray:
    x = np.arange(-5, 6)
    kernel = np.exp(-(x**2) / (2 * 1.5**2))
    kernel /= kernel.sum()
    # Valid-mode separable convolution, as the reference implementation does.
    rows = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="valid"), 1, plane)
    return np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="valid"), 0, rows)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = gaussian_blur(a), gaussian_blur(b)
    var_a = gaussian_blur(a * a) - mu_a**2
    var_b = gaussian_blur(b * b) - mu_b**2
    cov = gaussian_blur(a * b) - mu_a * mu_b
    score = ((2 * mu_a * mu_b + C1) * (2 * cov + C2)) / ((mu_a**2 + mu_b**2 + C1) * (var_a + var_b + C2))
    return float(score.mean())


def main(original: str, renditions: list[str]) -> None:
    with Image.open(original) as image:
        image.load()
        upright = ImageOps.exif_transpose(image).convert("RGB")
    references = {}
    for path in renditions:
        with Image.open(path) as rendition:
            size = rendition.size
            got = luma(rendition)
        if size not in references:
            references[size] = luma(upright.resize(size, Image.LANCZOS))
        print(f"{ssim(references[size], got):.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
