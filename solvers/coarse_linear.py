r"""Two-layer linear networks trained on coarse labels: how much fine structure survives.

Setting (``tasks.gaussian_mixture`` with ``offsets="simplex"``): coarse means
``m_c = (Delta/sqrt 2) e_c``, fine offsets ``delta v_{c,s}`` summing to zero inside each coarse
class in subspaces orthogonal to the coarse directions, noise ``sigma^2 I``, one-hot coarse
targets, loss ``1/2 E||y - W_2 W_1 x||^2``, gradient flow (``t = lr * step``).  Then

* ``Sigma_yx = (Delta / (sqrt 2 C)) sum_c e_c e_c^T`` (coarse block only): every coarse mode has
  ``s = Delta / (sqrt 2 C)`` and input variance ``lambda_c = Delta^2 / (2C) + sigma^2``;
* ``Sigma_xx`` is block diagonal; on the fine subspaces ``lambda_f = delta^2 / (C (S-1)) + sigma^2``.

Derivation (Saxe et al. 2014 for the coarse modes; the fine block follows the same flow).  With
a decoupled start on the coarse modes (``W_1 = sqrt(a_0) R V^T``, ``W_2 = sqrt(a_0) U R^T``) each
coarse mode follows ``a(t) = saxe_mode(t, s, a_0, lam=lambda_c)`` and the coarse class means
separate in hidden space as ``||W_1 (m_c - m_c')|| = Delta sqrt(a(t))``.  The fine block of
``W_1`` obeys ``dW_1^f/dt = -W_2^T W_2 W_1^f Lambda_f`` (``Sigma_yx`` has no fine part), and
``W_2^T W_2 = a(t) R R^T``, so its part inside the row space of ``W_2`` decays and the rest stays:

.. math:: W_1^f(t) = (I - RR^T) W_1^f(0) + e^{-\lambda_f \int_0^t a}\, R R^T W_1^f(0),\qquad
          \int_0^t a = \frac{s}{\lambda_c}\Big[t + \frac{1}{2s}\ln\frac{1 + k e^{-2st}}{1 + k}\Big],
          \ k = \frac{s}{\lambda_c a_0} - 1 .

Neglected: the O(|W_1^f|^2) back-reaction of the fine block on ``W_2`` (small inits).
The surviving fine separation is set by the initial fine weights outside ``span R`` -- by the
initial scale and the hidden width (``1 - C/h`` of a random block lies outside).
"""
from __future__ import annotations

import numpy as np

from theorylab._validate import check_nonnegative
from theorylab.tasks.gaussian_mixture import mixture_means

from .deep_linear import saxe_mode

__all__ = ["coarse_label_rates", "coarse_label_separations"]


def coarse_label_rates(config) -> dict[str, float]:
    """``s``, ``lambda_c``, ``lambda_f`` of a ``MixtureConfig`` with ``offsets="simplex"``."""
    if config.offsets != "simplex":
        raise ValueError(f"the closed form needs offsets='simplex' (co-diagonal statistics), got {config.offsets!r}")
    C, S = config.C, config.S
    return {"s": config.coarse_sep / (np.sqrt(2) * C), "lambda_c": config.coarse_sep**2 / (2 * C) + config.noise**2,
            "lambda_f": config.fine_offset**2 / (C * (S - 1)) + config.noise**2}


def coarse_label_separations(t, config, W1_0, R, a0: float) -> dict[str, np.ndarray]:
    """Predicted hidden-space separations over time.

    ``W1_0`` (h, d): the initial first layer; ``R`` (h, C): orthonormal hidden directions of the
    coarse modes (``W_2(0) = sqrt(a0) U R^T``); ``a0``: the initial coarse-mode strength.
    Returns ``coarse`` (mean distance between coarse-class means), ``fine`` (mean distance between
    fine-class means inside a coarse class), ``fine_min`` (the smallest of those distances), ``a``
    (the coarse mode) and ``decay`` (the factor on the fine weights inside ``span R``), each over ``t``.
    """
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    r = coarse_label_rates(config)
    s, lc, lf = r["s"], r["lambda_c"], r["lambda_f"]
    a = saxe_mode(t, s, a0, lam=lc)
    k = s / (lc * a0) - 1
    int_a = (s / lc) * (t + np.log((1 + k * np.exp(-2 * s * t)) / (1 + k)) / (2 * s))
    C, S, d = config.C, config.S, config.d
    W1_0 = np.asarray(W1_0, float)
    P = R @ R.T
    fine_dirs = np.zeros(d, bool)
    fine_dirs[C: C + C * (S - 1)] = True
    Wf = W1_0[:, fine_dirs]
    inside, outside = P @ Wf, Wf - P @ Wf
    mu = mixture_means(config)[1]                       # exact fine means (no samples drawn)
    diffs = np.array([mu[c, i] - mu[c, j] for c in range(C) for i in range(S) for j in range(i + 1, S)])[:, fine_dirs]
    decay = np.exp(-lf * int_a)
    pair = np.array([np.linalg.norm((outside + q * inside) @ diffs.T, axis=0) for q in decay])    # (T, pairs)
    return {"coarse": config.coarse_sep * np.sqrt(a), "fine": pair.mean(axis=1), "fine_min": pair.min(axis=1),
            "a": a, "decay": decay}
