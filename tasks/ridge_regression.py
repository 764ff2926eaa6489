r"""A noisy linear teacher for ridge regression: a fixed training set and the exact test error.

``P`` inputs ``x_mu ~ N(0, I_d)``, a teacher ``w*`` of norm ``teacher_norm`` in a
uniformly random direction, labels ``y_mu = w* . x_mu + noise_std * xi_mu``.  The
population test error of any student ``w`` is exact:

.. math:: E_{test}(w) = E_x[(w . x - y)^2] = ||w - w^*||^2 + \sigma^2 .

This module is theorylab's worked "new family" example (see ``docs/new_family.md``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorylab._validate import check_fields, check_int, check_nonnegative, check_positive
from theorylab.rng import as_generator

__all__ = ["RidgeTaskConfig", "RidgeTask", "make_ridge_task"]


@dataclass(frozen=True)
class RidgeTaskConfig:
    """``d`` input dimensions, ``P`` training points, label noise ``noise_std`` (a standard deviation)."""

    d: int = 20
    P: int = 40
    noise_std: float = 0.5
    teacher_norm: float = 1.0

    def __post_init__(self) -> None:
        check_fields(self)
        check_int("d", self.d)
        check_int("P", self.P)
        check_nonnegative("noise_std", self.noise_std)
        check_positive("teacher_norm", self.teacher_norm)


@dataclass(frozen=True)
class RidgeTask:
    """A drawn training set ``(x, y)`` with its teacher ``w_star``."""

    config: RidgeTaskConfig
    x: np.ndarray = field(repr=False)        # (P, d)
    y: np.ndarray = field(repr=False)        # (P,)
    w_star: np.ndarray = field(repr=False)   # (d,)

    def test_error(self, w: np.ndarray) -> np.ndarray:
        """Exact population error ``||w - w*||^2 + noise_std^2`` of students ``w`` (..., d)."""
        return np.sum((np.asarray(w) - self.w_star) ** 2, axis=-1) + self.config.noise_std**2


def make_ridge_task(config: RidgeTaskConfig, *, rng) -> RidgeTask:
    """Draw the teacher and the training set of ``config``; every draw goes through ``rng``."""
    if not isinstance(config, RidgeTaskConfig):
        raise TypeError(f"config must be a RidgeTaskConfig, got {type(config).__name__}")
    g = as_generator(rng)
    w = g.standard_normal(config.d)
    w_star = config.teacher_norm * w / np.linalg.norm(w)
    x = g.standard_normal((config.P, config.d))
    y = x @ w_star + config.noise_std * g.standard_normal(config.P)
    return RidgeTask(config, x, y, w_star)
