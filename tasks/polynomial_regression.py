r"""Polynomial regression on Gaussian inputs: the grokking testbed.

Kumar, Bordelon, Gershman & Pehlevan, "Grokking as the transition from lazy
to rich training dynamics", ICLR 2024 (arXiv:2310.06110), sec. 3.

Inputs ``x ~ N(0, I_D / D)``; teacher directions ``beta_j ~ N(0, I_D)`` (so
``beta . x ~ N(0, |beta|^2 / D)``, about unit variance), or rescaled to
``|beta_j|^2 = D`` exactly with ``normalize_teacher=True``.  Targets:

* ``target="quadratic"`` (default): ``y = 1/2 (beta . x)^2`` (single index);
* ``target="hermite"``: ``y = He_k(beta . x)`` (probabilists' Hermite
  polynomial of order ``k``; orthonormal-ish only when ``|beta|^2 = D``);
* ``n_index > 1``: the sum over ``j`` of the single-index target of
  ``beta_j``, divided by ``sqrt(n_index)`` (multi-index).

Training labels get Gaussian noise of standard deviation ``noise_std``; test
labels are noiseless (test loss measures the function).  A fixed training
set of ``P`` points and a test set of ``n_test`` points are drawn once.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial import hermite_e

from theorylab._validate import check_choice, check_int, check_nonnegative
from theorylab.rng import as_generator, streams

__all__ = ["PolyRegressionConfig", "PolyRegressionTask", "make_poly_regression", "MAX_HERMITE_ORDER"]

MAX_HERMITE_ORDER = 8


@dataclass(frozen=True)
class PolyRegressionConfig:
    """Validated configuration.

    Parameters
    ----------
    D, P : int >= 1
        Input dimension and training-set size.
    n_test : int >= 1
    target : "quadratic" or "hermite";  order : Hermite order, 1..MAX_HERMITE_ORDER
    n_index : int >= 1, number of teacher directions
    noise_std : float >= 0, label noise on training targets
    normalize_teacher : rescale each ``beta_j`` to ``|beta_j|^2 = D``
    """

    D: int
    P: int
    n_test: int = 1000
    target: str = "quadratic"
    order: int = 2
    n_index: int = 1
    noise_std: float = 0.0
    normalize_teacher: bool = False

    def __post_init__(self) -> None:
        check_int("D", self.D)
        check_int("P", self.P)
        check_int("n_test", self.n_test)
        check_choice("target", self.target, ("quadratic", "hermite"))
        if self.target == "hermite" and not (isinstance(self.order, (int, np.integer))
                                             and 1 <= self.order <= MAX_HERMITE_ORDER):
            raise ValueError(f"order must be an integer in [1, {MAX_HERMITE_ORDER}] for target='hermite' "
                             f"(no implementation beyond), got {self.order!r}")
        check_int("n_index", self.n_index)
        check_nonnegative("noise_std", self.noise_std)


@dataclass(frozen=True)
class PolyRegressionTask:
    """A drawn task: teacher, training and test sets."""

    config: PolyRegressionConfig
    beta: np.ndarray = field(repr=False)       # (n_index, D)
    x_train: np.ndarray = field(repr=False)    # (P, D)
    y_train: np.ndarray = field(repr=False)    # (P,)
    x_test: np.ndarray = field(repr=False)     # (n_test, D)
    y_test: np.ndarray = field(repr=False)     # (n_test,), noiseless

    def target(self, x: np.ndarray) -> np.ndarray:
        """Noiseless target at inputs ``x`` (n, D)."""
        h = np.asarray(x, float) @ self.beta.T                         # (n, n_index)
        if self.config.target == "quadratic":
            vals = 0.5 * h**2
        else:
            coef = np.zeros(self.config.order + 1)
            coef[-1] = 1.0
            vals = hermite_e.hermeval(h, coef)
        return vals.sum(axis=1) / np.sqrt(self.config.n_index)

    @property
    def is_single_quadratic(self) -> bool:
        """True when the exact population test loss of the quadratic network applies."""
        return self.config.target == "quadratic" and self.config.n_index == 1


def make_poly_regression(config: PolyRegressionConfig, *, rng) -> PolyRegressionTask:
    """Draw teacher, training set (with label noise) and test set from independent streams of ``rng``."""
    if isinstance(rng, (int, np.integer)):
        s = streams(int(rng), names=("teacher", "train", "noise", "test"))
    else:
        g = as_generator(rng)
        s = {k: np.random.default_rng(g.integers(2**63)) for k in ("teacher", "train", "noise", "test")}
    D = config.D
    beta = s["teacher"].standard_normal((config.n_index, D))
    if config.normalize_teacher:
        beta *= np.sqrt(D) / np.linalg.norm(beta, axis=1, keepdims=True)
    x_train = s["train"].standard_normal((config.P, D)) / np.sqrt(D)
    x_test = s["test"].standard_normal((config.n_test, D)) / np.sqrt(D)
    task = PolyRegressionTask(config, beta, x_train, np.empty(0), x_test, np.empty(0))
    y_train = task.target(x_train) + config.noise_std * s["noise"].standard_normal(config.P)
    return PolyRegressionTask(config, beta, x_train, y_train, x_test, task.target(x_test))
