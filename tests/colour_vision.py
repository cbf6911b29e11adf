"""Colour-vision deficiency simulation (Machado, Oliveira and Fernandes 2009, severity 1.0) and a colour
difference, for checking that the fills people must tell apart stay apart for colour-blind readers.

``simulate(rgb, kind)`` maps an sRGB triple (0-255) as a person with ``kind`` ("deuteranopia", "protanopia",
"tritanopia") sees it; ``difference(a, b)`` is the CIE76 distance of two sRGB colours in CIELAB (about 2 is
the smallest a person notices; 10 and more reads as a different colour at a glance).
"""

from __future__ import annotations

import math

__all__ = ["MATRICES", "simulate", "difference", "hex_rgb", "simulate_pixels"]

MATRICES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """Return ``"RRGGBB"`` as an (r, g, b) triple of 0-255."""
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _linear(channel: float) -> float:
    channel /= 255
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _gamma(channel: float) -> float:
    channel = min(1.0, max(0.0, channel))
    value = channel * 12.92 if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055
    return round(value * 255)


def simulate(rgb: tuple[int, int, int], kind: str) -> tuple[int, int, int]:
    """Return ``rgb`` as seen with the colour-vision deficiency ``kind`` (a key of MATRICES)."""
    linear = [_linear(channel) for channel in rgb]
    matrix = MATRICES[kind]
    return tuple(_gamma(sum(row[index] * linear[index] for index in range(3))) for row in matrix)  # type: ignore[return-value]


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    red, green, blue = (_linear(channel) for channel in rgb)
    x = (0.4124 * red + 0.3576 * green + 0.1805 * blue) / 0.95047
    y = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    z = (0.0193 * red + 0.1192 * green + 0.9505 * blue) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def difference(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """Return the CIE76 colour difference of two sRGB colours."""
    return math.dist(_lab(first), _lab(second))


def simulate_pixels(pixels: list[tuple[int, int, int]], kind: str) -> list[tuple[int, int, int]]:
    """Return every pixel of an image as seen with ``kind`` (memoised per colour: screenshots repeat colours)."""
    seen: dict[tuple[int, int, int], tuple[int, int, int]] = {}
    return [seen.setdefault(pixel, simulate(pixel, kind)) if pixel not in seen else seen[pixel] for pixel in pixels]
