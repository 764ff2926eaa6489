r"""Initialisations for deep linear networks (numpy, float64, one Generator).

Each function returns a list of weight matrices ``[W_1, ..., W_D]`` with
``W_l`` of shape ``(widths[l], widths[l-1])``, so the network is
``W_D ... W_1 x``.

* ``zeros``      all weights 0 (a fixed point for depth >= 2; for depth 1, linear
  regression from the origin).
* ``gaussian``   entries ``N(0, scale^2 / fan_in)``: small random init for ``scale << 1``.
* ``orthogonal`` ``scale`` times a Haar-random partial isometry per layer: with
  ``scale = 1`` every singular value of the product is exactly 1 at any depth
  (Saxe et al. 2014, sec. 5: "dynamical isometry").
* ``decoupled``  SVD-aligned and balanced: ``W_1 = a R_1 V^T``,
  ``W_l = a R_l R_{l-1}^T``, ``W_D = a U R_{D-1}^T`` with ``a = u0^{1/D}``, so
  that the product is ``U diag(u0) V^T`` and every mode evolves independently
  (Saxe et al. 2014, eq. 7).
* ``balanced``   zero-balanced, ``W_{l+1}^T W_{l+1} = W_l W_l^T`` for every ``l``,
  built from a Gaussian first layer of size ``scale`` by ``W_{l+1} = R S A^T``
  (Braun et al. 2022's "prior knowledge" inits when ``scale`` is O(1)).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theorylab._validate import check_choice, check_int, check_positive, check_shape

__all__ = ["INITS", "init_weights", "haar_isometry"]

INITS = ("gaussian", "orthogonal", "decoupled", "balanced", "zeros")


def haar_isometry(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n x k`` Haar-random matrix with orthonormal columns (``n >= k``) or rows (``n < k``)."""
    if n < k:
        return haar_isometry(rng, k, n).T
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


def _check_widths(widths: Sequence[int]) -> list[int]:
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must list at least input and output sizes, got {widths!r}")
    return [check_int(f"widths[{i}]", w) for i, w in enumerate(widths)]


def init_weights(
    widths: Sequence[int],
    init: str,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    u0=None,
    U: np.ndarray | None = None,
    V: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Draw the weights of one deep linear network (see module docstring).

    ``decoupled`` needs ``U`` (d_out, r), ``V`` (d_in, r) and ``u0`` (scalar or
    r initial mode strengths, > 0); every hidden width must be >= r.
    """
    widths = _check_widths(widths)
    check_choice("init", init, INITS)
    D = len(widths) - 1
    if init == "zeros":
        return [np.zeros((widths[l + 1], widths[l])) for l in range(D)]
    if init == "gaussian":
        check_positive("scale", scale)
        return [scale * rng.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l]) for l in range(D)]
    if init == "orthogonal":
        check_positive("scale", scale)
        return [scale * haar_isometry(rng, widths[l + 1], widths[l]) for l in range(D)]
    if init == "decoupled":
        if U is None or V is None or u0 is None:
            raise ValueError("init='decoupled' needs U, V and u0")
        U, V = np.asarray(U, float), np.asarray(V, float)
        r = U.shape[1]
        check_shape("U", U, (widths[-1], r))
        check_shape("V", V, (widths[0], r))
        if any(w < r for w in widths[1:-1]):
            raise ValueError(f"hidden widths must be >= the number of modes r = {r}, got {widths[1:-1]}")
        u0 = np.broadcast_to(np.asarray(u0, float), (r,))
        check_positive("u0", u0)
        a = u0 ** (1.0 / D)
        R = [V] + [haar_isometry(rng, w, r) for w in widths[1:-1]] + [U]
        return [(R[l + 1] * a) @ R[l].T for l in range(D)]
    # balanced
    check_positive("scale", scale)
    W1 = scale * rng.standard_normal((widths[1], widths[0])) / np.sqrt(widths[0])
    A, S, _ = np.linalg.svd(W1, full_matrices=False)
    k = S.size
    if any(w < k for w in widths[2:]):
        raise ValueError(f"init='balanced' needs widths[2:] >= rank of W_1 = {k}, got {widths[2:]}")
    Ws, prev = [W1], A
    for w in widths[2:]:
        R = haar_isometry(rng, w, k)
        Ws.append((R * S) @ prev.T)
        prev = R
    return Ws
