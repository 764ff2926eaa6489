r"""Gradient flow of ridge regression, in closed form.

Loss (the trainer's ``loss="squared", reduction="mean"`` with ``weight_decay = lam``):

.. math:: L(w) = \frac{1}{2P} \sum_\mu (y_\mu - w . x_\mu)^2 + \frac{\lambda}{2} ||w||^2 .

Gradient flow ``dw/dt = -dL/dw = -(\Sigma + \lambda I) w + b`` with ``\Sigma = X^T X / P`` and
``b = X^T y / P`` is linear; in the eigenbasis ``\Sigma = V diag(s) V^T``, ``a = s + \lambda``:

.. math:: w(t) = V [ e^{-a t} V^T w_0 + \frac{1 - e^{-a t}}{a} V^T b ],

evaluated with ``-expm1(-a t) / a`` (which is ``t`` at ``a = 0``: with ``lam = 0`` and
``P < d`` the null space of ``X`` keeps its initial component).  Time is gradient-flow
time of ``L`` (the clock says so); full-batch GD at step ``lr`` is ``t = lr * step``.
"""
from __future__ import annotations

import numpy as np

from theorylab._validate import check_nonnegative, check_shape
from theorylab.clock import HALF_MEAN, Clock, with_weight_decay
from theorylab.trajectory import Trajectory

__all__ = ["ridge_flow"]


def ridge_flow(t, x, y, w0, *, lam: float, w_star=None, noise_std: float = 0.0) -> Trajectory:
    """Closed-form ridge gradient flow from one or several inits.

    Parameters
    ----------
    t : array (T,), >= 0
    x : (P, d) inputs;  y : (P,) labels
    w0 : (d,) or (E, d) initial weights (E members, each its own flow)
    lam : ridge strength >= 0
    w_star, noise_std : the teacher and the noise standard deviation; when
        ``w_star`` is given the exact test error ``||w - w*||^2 + noise_std^2`` is returned.

    Returns
    -------
    Trajectory with ``w`` (T, [E,] d), ``loss`` (the data term ``1/(2P) sum (y - w.x)^2``,
    as the trainer records it) and ``test_error`` when ``w_star`` is given.
    """
    t = np.asarray(t, float)
    check_nonnegative("t", t)
    if t.ndim != 1:
        raise ValueError(f"t must be one-dimensional, got shape {t.shape}")
    check_nonnegative("lam", lam)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    check_shape("x", x, (None, None))
    P, d = x.shape
    check_shape("y", y, (P,))
    w0 = np.asarray(w0, float)
    ensemble = w0.ndim == 2
    W0 = np.atleast_2d(w0)
    check_shape("w0", W0, (None, d))
    for name, a in (("x", x), ("y", y), ("w0", W0)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite")
    s, V = np.linalg.eigh(x.T @ x / P)
    s = np.clip(s, 0.0, None)                                # round-off can make a zero eigenvalue -1e-17
    a = s + lam
    b = V.T @ (x.T @ y / P)                                  # (d,)
    decay = np.exp(-np.outer(t, a))                          # (T, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        grow = np.where(a > 0, -np.expm1(-np.outer(t, a)) / np.where(a > 0, a, 1.0), t[:, None])
    c0 = W0 @ V                                              # (E, d)
    W = (decay[:, None, :] * c0[None] + (grow * b)[:, None, :]) @ V.T   # (T, E, d)
    resid = y[None, None, :] - W @ x.T                       # (T, E, P)
    obs = {"w": W, "loss": 0.5 * np.mean(resid**2, axis=-1)}
    if w_star is not None:
        ws = np.asarray(w_star, float)
        check_shape("w_star", ws, (d,))
        obs["test_error"] = np.sum((W - ws) ** 2, axis=-1) + float(noise_std) ** 2
    if not ensemble:
        obs = {k: v[:, 0] for k, v in obs.items()}
    return Trajectory(t, obs, {"solver": "ridge_flow", "lam": float(lam)}, n_seeds=W0.shape[0] if ensemble else None,
                      clock=Clock.gradient_flow(with_weight_decay(HALF_MEAN, lam)))
