r"""Synthetic shapes images ("GeoMNIST", Zhang, Wang & Su, NeurIPS 2021, arXiv:2110.05960).

Three classes of ``size x size`` grey images -- 0: triangle, 1: rectangle, 2: ellipse --
drawn as filled shapes with a random rotation in ``[0, max_rotation]`` degrees, a centre
jitter of up to ``jitter`` pixels, random size within a range, and a Gaussian blur of
width ``U[0.9, 1.1]`` pixels.  Label corruption: with probability ``corruption`` a
training label is replaced by one of the *other* classes, uniformly (``p = 2/3`` is pure
noise for three classes).  Clean labels are kept for validation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import gaussian_filter

from theorylab._validate import check_int, check_nonnegative
from theorylab.rng import as_generator

__all__ = ["ShapesConfig", "Shapes", "make_shapes", "render_shape", "CLASSES"]

CLASSES = ("triangle", "rectangle", "ellipse")


@dataclass(frozen=True)
class ShapesConfig:
    """Validated configuration.

    Parameters
    ----------
    n_per_class : images per class (>= 1);  size : image side in pixels (>= 8)
    corruption : label-corruption probability in [0, 1)
    jitter : centre jitter in pixels (>= 0);  max_rotation : degrees (>= 0)
    """

    n_per_class: int
    size: int = 32
    corruption: float = 0.0
    jitter: float = 1.0
    max_rotation: float = 176.0

    def __post_init__(self) -> None:
        check_int("n_per_class", self.n_per_class)
        check_int("size", self.size, minimum=8)
        if not 0 <= self.corruption < 1:
            raise ValueError(f"corruption must be in [0, 1), got {self.corruption}")
        check_nonnegative("jitter", self.jitter)
        check_nonnegative("max_rotation", self.max_rotation)


@dataclass(frozen=True)
class Shapes:
    config: ShapesConfig
    images: np.ndarray = field(repr=False)        # (N, 1, size, size) in [0, 1]
    labels: np.ndarray = field(repr=False)        # (N,) training labels (corrupted)
    clean: np.ndarray = field(repr=False)         # (N,) true classes
    corrupted: np.ndarray = field(repr=False)     # (N,) bool


def render_shape(cls: int, size: int, *, angle: float, center, scale: float, blur: float) -> np.ndarray:
    """One filled shape of class ``cls`` (see ``CLASSES``) as a (size, size) array in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float) + 0.5
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    dx, dy = xx - center[0], yy - center[1]
    u, v = c * dx + s * dy, -s * dx + c * dy                 # coordinates in the shape's frame
    r = scale * size / 2
    if cls == 0:                                            # equilateral triangle: three half-planes
        inside = np.ones_like(u, bool)
        for k in range(3):
            a = np.deg2rad(90 + 120 * k)
            inside &= (u * np.cos(a) + v * np.sin(a)) <= r / 2
    elif cls == 1:
        inside = (np.abs(u) <= 0.8 * r) & (np.abs(v) <= 0.5 * r)
    elif cls == 2:
        inside = (u / (0.9 * r)) ** 2 + (v / (0.55 * r)) ** 2 <= 1
    else:
        raise ValueError(f"cls must be 0, 1 or 2, got {cls}")
    img = gaussian_filter(inside.astype(float), blur)
    return img / max(img.max(), 1e-12)


def make_shapes(config: ShapesConfig, *, rng) -> Shapes:
    """Draw ``3 n_per_class`` images (class-major order) and corrupt the training labels."""
    g = as_generator(rng)
    n, size = config.n_per_class, config.size
    clean = np.repeat(np.arange(3), n)
    imgs = np.empty((3 * n, 1, size, size))
    for i, cls in enumerate(clean):
        center = size / 2 + g.uniform(-config.jitter, config.jitter, size=2)
        imgs[i, 0] = render_shape(int(cls), size, angle=g.uniform(0, config.max_rotation), center=center,
                                  scale=g.uniform(0.45, 0.6), blur=g.uniform(0.9, 1.1))
    corrupted = g.random(3 * n) < config.corruption
    shift = g.integers(1, 3, size=3 * n)                      # one of the two other classes, uniformly
    labels = np.where(corrupted, (clean + shift) % 3, clean)
    return Shapes(config, imgs, labels, clean, corrupted)
