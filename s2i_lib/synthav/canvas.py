"""The drawing canvas and colour helpers every picture of SynthAV is painted with.

:class:`Canvas` paints filled shapes (rectangles, ellipses, polygons, thick lines,
textures) in normalised coordinates on a float RGB image, and keeps a mask of the pixels
of the sounding object, which is how :func:`~s2i_lib.synthav.render.object_masks` knows
the object's true size on screen (the truth behind "louder sound, bigger object", the
attribute notebook 04 measures).
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

Color = Tuple[float, float, float]


# ---------------------------------------------------------------------------- colours
def color(rgb) -> Color:
    """``rgb`` as a tuple of floats clipped to [0, 1]."""
    return tuple(float(v) for v in np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0))


def jit(rng, rgb, amount=0.06) -> Color:
    """``rgb`` with Gaussian jitter of standard deviation ``amount`` per channel."""
    return color(np.asarray(rgb) + rng.normal(0.0, amount, 3))


def shade(rgb, f) -> Color:
    """``rgb`` darkened (``f`` < 1) or brightened (``f`` > 1)."""
    return color(np.asarray(rgb) * f)


def mix(a, b, w) -> Color:
    """The blend ``(1 - w) * a + w * b``."""
    return color(np.asarray(a) * (1 - w) + np.asarray(b) * w)


# ---------------------------------------------------------------------------- the canvas
class Canvas:
    """A float RGB image plus an object mask, drawn in normalised coordinates.

    ``(x, y)`` = ``(0, 0)`` is the top-left of the visible frame and ``(1, 1)`` its
    bottom-right; ``scale`` pixels per unit, ``ox, oy`` the pixel position of the origin.
    Everything painted while ``obj`` is true is marked in ``mask`` (the sounding
    object); anything else painted on top clears the mask (occlusion).
    """

    def __init__(self, h: int, w: int, scale: float, ox: float = 0.0, oy: float = 0.0, img=None):
        self.img = np.zeros((h, w, 3), np.float32) if img is None else img
        self.mask = np.zeros((h, w), bool)
        self.scale, self.ox, self.oy = float(scale), float(ox), float(oy)
        self.obj = False
        self.min_px = 1.4  # thinnest line, in canvas pixels

    # -- helpers
    def _box(self, x0, y0, x1, y1):
        h, w = self.img.shape[:2]
        i0, i1 = max(int(math.floor(y0)), 0), min(int(math.ceil(y1)) + 1, h)
        j0, j1 = max(int(math.floor(x0)), 0), min(int(math.ceil(x1)) + 1, w)
        if i0 >= i1 or j0 >= j1:
            return None
        yy = np.arange(i0, i1, dtype=np.float32)[:, None] + 0.5
        xx = np.arange(j0, j1, dtype=np.float32)[None, :] + 0.5
        return (slice(i0, i1), slice(j0, j1)), xx, yy

    def px(self, x, y):
        return x * self.scale + self.ox, y * self.scale + self.oy

    def _paint(self, sl, m, color, alpha=1.0):
        if not np.any(m):
            return
        region = self.img[sl]
        col = np.asarray(color, np.float32)
        if alpha >= 1.0:
            region[m] = col
        else:
            region[m] = region[m] * (1.0 - alpha) + col * alpha
        if alpha >= 0.5:
            self.mask[sl][m] = self.obj

    # -- primitives
    def fill(self, color):
        self.img[:] = np.asarray(color, np.float32)

    def rect(self, x0, y0, x1, y1, color, alpha=1.0):
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        sl = (slice(i0, i1), slice(j0, j1))
        m = np.ones((i1 - i0, j1 - j0), bool)
        self._paint(sl, m, color, alpha)

    def vgrad(self, y0, y1, c0, c1, x0=-1.0, x1=2.0):
        """Rows y0..y1 with a vertical gradient from c0 to c1."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        b, d = self.px(x0, y0)[1], self.px(x1, y1)[1]
        rows = (np.arange(i0, i1, dtype=np.float32) - b) / max(d - b, 1e-6)
        g = np.asarray(c0, np.float32)[None, :] * (1 - rows[:, None]) + np.asarray(c1, np.float32)[None, :] * rows[:, None]
        self.img[i0:i1, j0:j1] = g[:, None, :]
        self.mask[i0:i1, j0:j1] = self.obj

    def ellipse(self, cx, cy, rx, ry, color, angle=0.0, alpha=1.0, inner=0.0):
        """Filled ellipse (``inner`` > 0: a ring whose hole is ``inner`` times the size)."""
        X, Y = self.px(cx, cy)
        RX, RY = max(rx * self.scale, 0.7), max(ry * self.scale, 0.7)
        R = max(RX, RY)
        got = self._box(X - R, Y - R, X + R, Y + R)
        if got is None:
            return
        sl, xx, yy = got
        dx, dy = xx - X, yy - Y
        if angle:
            ca, sa = math.cos(angle), math.sin(angle)
            dx, dy = dx * ca + dy * sa, -dx * sa + dy * ca
        q = (dx / RX) ** 2 + (dy / RY) ** 2
        m = q <= 1.0
        if inner > 0:
            m &= q >= inner * inner
        self._paint(sl, m, color, alpha)

    def circle(self, cx, cy, r, color, alpha=1.0):
        self.ellipse(cx, cy, r, r, color, alpha=alpha)

    def poly(self, pts, color, alpha=1.0):
        P = np.asarray([self.px(x, y) for x, y in pts], np.float32)
        got = self._box(P[:, 0].min(), P[:, 1].min(), P[:, 0].max(), P[:, 1].max())
        if got is None:
            return
        sl, xx, yy = got
        inside = np.zeros((yy.shape[0], xx.shape[1]), bool)
        Q = np.roll(P, -1, axis=0)
        for (xa, ya), (xb, yb) in zip(P, Q):
            if ya == yb:
                continue
            cond = (ya > yy) != (yb > yy)
            xint = xa + (yy - ya) * (xb - xa) / (yb - ya)
            inside ^= cond & (xx < xint)
        self._paint(sl, inside, color, alpha)

    def line(self, x0, y0, x1, y1, width, color, alpha=1.0):
        (X0, Y0), (X1, Y1) = self.px(x0, y0), self.px(x1, y1)
        W = max(width * self.scale, self.min_px)
        r = W / 2
        got = self._box(min(X0, X1) - r, min(Y0, Y1) - r, max(X0, X1) + r, max(Y0, Y1) + r)
        if got is None:
            return
        sl, xx, yy = got
        dx, dy = X1 - X0, Y1 - Y0
        L2 = dx * dx + dy * dy + 1e-9
        t = np.clip(((xx - X0) * dx + (yy - Y0) * dy) / L2, 0.0, 1.0)
        d2 = (xx - X0 - t * dx) ** 2 + (yy - Y0 - t * dy) ** 2
        self._paint(sl, d2 <= r * r, color, alpha)

    def polyline(self, pts, width, color, alpha=1.0):
        for (a, b), (c, d) in zip(pts[:-1], pts[1:]):
            self.line(a, b, c, d, width, color, alpha)

    def _region(self, x0, y0, x1, y1):
        """Pixel rows i0:i1 and columns j0:j1 of a region, clipped to the image (None if empty)."""
        (a, b), (c, d) = self.px(x0, y0), self.px(x1, y1)
        h, w = self.img.shape[:2]
        i0, i1 = max(int(round(b)), 0), min(int(round(d)), h)
        j0, j1 = max(int(round(a)), 0), min(int(round(c)), w)
        if i1 <= i0 or j1 <= j0:
            return None
        return i0, i1, j0, j1

    def texture(self, x0, y0, x1, y1, rng, amount=0.05, cell=0.0):
        """Multiply a region by random brightness (grass, carpet, rock); ``cell`` > 0
        makes blotches of that size instead of per-pixel grain."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        hh, ww = i1 - i0, j1 - j0
        k = max(1, int(round(cell * self.scale)))
        g = rng.normal(0.0, amount, ((hh + k - 1) // k, (ww + k - 1) // k)).astype(np.float32)
        g = np.repeat(np.repeat(g, k, 0), k, 1)[:hh, :ww]
        self.img[i0:i1, j0:j1] *= (1.0 + g)[:, :, None]

    def dots(self, x0, y0, x1, y1, rng, colors, density=0.35, cell=0.012):
        """A crowd-like texture: cells of random colours from ``colors`` over a region."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        hh, ww = i1 - i0, j1 - j0
        k = max(1, int(round(cell * self.scale)))
        gh, gw = (hh + k - 1) // k, (ww + k - 1) // k
        pal = np.asarray(colors, np.float32)
        idx = rng.integers(0, len(pal), (gh, gw))
        on = rng.random((gh, gw)) < density
        col = np.repeat(np.repeat(pal[idx], k, 0), k, 1)[:hh, :ww]
        on = np.repeat(np.repeat(on, k, 0), k, 1)[:hh, :ww]
        region = self.img[i0:i1, j0:j1]
        region[on] = col[on]


def rot(px, py, ang):
    """A function that maps local (u, v) to canvas coordinates: origin (px, py), u axis at
    angle ``ang`` (radians, 0 = pointing up), v to the right of u."""
    ux, uy = math.sin(ang), -math.cos(ang)       # unit vector "up" rotated
    vx, vy = -uy, ux                               # perpendicular, to the right
    def f(u, v):
        return (px + u * ux + v * vx, py + u * uy + v * vy)
    return f


