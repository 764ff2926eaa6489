r"""Matrix-Riccati closed form for zero-balanced two-layer linear networks.

Braun, Dominé, Fitzgerald & Saxe 2022 (NeurIPS; arXiv:2209.10530), eqs. (5)-(7).

Network ``y = W2 W1 x`` with whitened inputs (``Sigma_xx = I``), loss
``L = 1/2 E||y - W2 W1 x||^2``, gradient flow ``tau dW/dt = -dL/dW``.  Stack
``Q = [W1^T; W2]`` (shape ``(N_i + N_o, N_h)``) and
``F = [[0, Sigma_yx^T], [Sigma_yx, 0]]``.  For a zero-balanced start
(``W1 W1^T = W2^T W2``), ``tau dQ/dt = F Q - 1/2 Q Q^T Q`` and

.. math::
    Q Q^T(t) = e^{Ft/\tau} Q_0 \left[I + Q_0^T A(t) Q_0\right]^{-1} Q_0^T e^{Ft/\tau},
    \qquad A(t) = (2F)^{-1}\left(e^{2Ft/\tau} - I\right).

The network function ``W2 W1(t)`` is the lower-left ``(N_o, N_i)`` block.

Numerics: everything is done in the eigenbasis of the symmetric ``F``; ``A`` is
evaluated as the entire function ``(e^{2fs}-1)/(2f)`` (value ``s`` at
``f = 0``, no inverse of ``F``), and the formula is restarted at bounded
intervals so that it stays well conditioned at any ``t`` (see
:func:`riccati_qqt`).
"""
from __future__ import annotations

import numpy as np

from theorylab._validate import check_nonnegative, check_positive, check_shape

__all__ = ["riccati_qqt", "riccati_network_function", "stack_F"]


def stack_F(sigma_yx: np.ndarray) -> np.ndarray:
    """``F = [[0, Sigma_yx^T], [Sigma_yx, 0]]``, shape ``(N_i + N_o, N_i + N_o)``."""
    n_o, n_i = sigma_yx.shape
    F = np.zeros((n_i + n_o, n_i + n_o))
    F[n_i:, :n_i] = sigma_yx
    F[:n_i, n_i:] = sigma_yx.T
    return F


def _check(sigma_yx, W1, W2, tau, balance_rtol):
    sigma_yx = np.asarray(sigma_yx, float)
    W1 = np.asarray(W1, float)
    W2 = np.asarray(W2, float)
    if sigma_yx.ndim != 2:
        raise ValueError(f"sigma_yx must be a matrix (N_o, N_i), got shape {sigma_yx.shape}")
    n_o, n_i = sigma_yx.shape
    check_shape("W1_0", W1, (None, n_i))
    check_shape("W2_0", W2, (n_o, W1.shape[0]))
    check_positive("tau", tau)
    gap = np.linalg.norm(W1 @ W1.T - W2.T @ W2)
    size = max(np.linalg.norm(W1 @ W1.T), np.finfo(float).tiny)
    if gap > balance_rtol * size:
        raise ValueError(
            f"W1_0, W2_0 must be zero-balanced (W1 W1^T = W2^T W2); relative gap {gap / size:.2e} "
            f"exceeds {balance_rtol:g}"
        )
    return sigma_yx, W1, W2


def _closed_form(Qt: np.ndarray, f: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Closed form in F's eigenbasis from factor ``Qt`` for elapsed times ``s`` (small ``f s``)."""
    S = s[:, None]
    F_ = f[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(F_ == 0, S, np.expm1(2 * F_ * S) / (2 * F_))       # eigenvalues of A(s)
    h = Qt.shape[1]
    M = np.eye(h) + np.einsum("ia,ti,ib->tab", Qt, a, Qt)
    G = np.exp(F_ * S)[:, :, None] * Qt[None]                          # e^{Fs} Q0, (T, n, h)
    return G @ np.linalg.solve(M, np.swapaxes(G, 1, 2))


def _factor(P: np.ndarray, h: int) -> np.ndarray:
    """A factor ``Q`` (n, h) with ``Q Q^T = P`` for PSD ``P`` of rank <= h."""
    mu, V = np.linalg.eigh(P)
    return V[:, -h:] * np.sqrt(np.clip(mu[-h:], 0.0, None))


def riccati_qqt(t, sigma_yx, W1_0, W2_0, *, tau: float = 1.0, balance_rtol: float = 1e-8) -> np.ndarray:
    r"""``Q Q^T(t)`` for a zero-balanced two-layer linear network (see module doc).

    Parameters
    ----------
    t : array_like, shape (T,), >= 0
    sigma_yx : (N_o, N_i)
    W1_0 : (N_h, N_i), W2_0 : (N_o, N_h)
        Zero-balanced initial weights (any size: "prior knowledge" inits are
        not small).

    Returns
    -------
    (T, N_i + N_o, N_i + N_o) array.  Blocks: ``W1^T W1`` (top left),
    ``W1^T W2^T`` (top right), ``W2 W1`` (bottom left), ``W2 W2^T``.

    Notes
    -----
    The bracket ``I + Q0^T A Q0`` has condition number ~ ``e^{2(f_1-f_2)t}``
    across modes of different strength, so one application of the formula
    loses the weaker modes at large ``t``.  ``QQ^T`` obeys the autonomous
    Riccati ODE ``tau dP/dt = FP + PF - P^2`` and the formula depends on
    ``Q0`` only through ``Q0 Q0^T``, so it is restarted exactly every
    ``Delta = 1/max|f|`` (in ``t/tau``) from a factor of the current ``QQ^T``:
    exponents stay below ``e^2`` and nothing overflows at any ``t``.
    """
    sigma_yx, W1, W2 = _check(sigma_yx, W1_0, W2_0, tau, balance_rtol)
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    s_all = t / tau
    f, O = np.linalg.eigh(stack_F(sigma_yx))
    Qt = O.T @ np.vstack([W1.T, W2])                      # factor in F's eigenbasis, (n, h)
    h = Qt.shape[1]
    delta = 1.0 / max(np.abs(f).max(), 1e-300)  # exponents e^{2 f s} <= e^2 per restart
    out = np.empty((t.size, f.size, f.size))
    order = np.argsort(s_all)
    chunk = np.floor(s_all[order] / delta).astype(np.int64)
    k = 0
    for c in np.unique(chunk):
        while k < c:                                       # advance the restart point to c * delta
            Qt = _factor(_closed_form(Qt, f, np.array([delta]))[0], h)
            k += 1
        idx = order[chunk == c]
        out[idx] = _closed_form(Qt, f, s_all[idx] - k * delta)
    return np.einsum("ij,tjk,lk->til", O, out, O)


def riccati_network_function(t, sigma_yx, W1_0, W2_0, *, tau: float = 1.0) -> np.ndarray:
    """Network function ``W2 W1(t)``, shape ``(T, N_o, N_i)``: the lower-left block of ``Q Q^T``."""
    n_i = np.shape(sigma_yx)[1]
    return riccati_qqt(t, sigma_yx, W1_0, W2_0, tau=tau)[:, n_i:, :n_i]
