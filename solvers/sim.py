r"""Exact dynamics of linear networks on structured identity mapping (SIM).

Yang, Park, Lubana, Okawa, Hu & Tanaka, ICLR 2025 (arXiv:2410.08309), secs. 4-5.

Everything is in concept coordinates, where ``A = E[z z^T] = diag(a)``
(:func:`theorylab.tasks.concept_rates`; padding axes carry their own rate).

Loss and time conventions
-------------------------
Population loss ``L = 1/2 ||(W - I) A^{1/2}||_F^2 = 1/2 E||W z - z||^2``.

* One layer ``f = W z``, gradient flow ``dW/dt = -(W - I) A``.  A trainer
  with loss ``1/(2P) sum ||y - f||^2`` and GD/SGD step ``lr`` has ``t = lr * step``;
  the paper's ``mse_loss`` (mean over batch *and* the ``d`` outputs, no 1/2)
  has ``t = 2 lr step / d``.
* Symmetric two layers ``f = U U^T z``, ``W = U U^T``.  The paper writes
  ``dW/dt = V(W) = WA + AW - 1/2 (A W^2 + W^2 A + 2 W A W)`` (``convention="paper"``).
  Gradient flow on ``U`` of ``L`` gives ``dW/dt = 2 V(W)`` (``convention=
  "gradient_flow"``): the paper's clock runs at half speed.  The trainer's
  ``t = lr * step`` on a symmetric network is the ``"gradient_flow"`` clock.
* ``rates="A2"`` reproduces the authors' theory scripts, which iterate the
  recurrence with ``A^2`` where the equations have ``A`` (each ``a_i`` -> ``a_i^2``).
  The default ``"A"`` follows the equations.

Integration is in ``U``-space, ``dU/dt = -c/2 [(W - I)A + A(W - I)] U`` with
``c = 1`` (paper) or 2 (gradient flow), which gives exactly ``dW/dt = c V(W)``
and keeps ``W`` positive semi-definite; integrating ``W`` directly can leave the
PSD cone.  The ``U``-flow preserves rank: a rank-deficient ``W(0)`` never learns
every concept.
"""
from __future__ import annotations

import numpy as np
from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive, check_shape

from ._ode import solve_at
from .deep_linear import deep_mode

__all__ = [
    "one_layer_weights",
    "one_layer_output",
    "one_layer_learning_time",
    "vector_field",
    "growth_suppression_interaction",
    "two_layer_symmetric",
    "two_layer_w_space",
    "two_layer_recurrence",
    "deep_linear_concepts",
    "ood_loss",
    "train_loss",
    "CONVENTIONS",
]

#: dW/dt = c V(W): the factor c of each named clock.
CONVENTIONS = {"paper": 1.0, "gradient_flow": 2.0}


def _rates(a, rates: str = "A") -> np.ndarray:
    a = np.asarray(a, float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"a must be a non-empty vector of rates, got shape {a.shape}")
    check_nonnegative("a", a)
    check_choice("rates", rates, ("A", "A2"))
    return a**2 if rates == "A2" else a


# ---------------------------------------------------------------- one layer
def one_layer_weights(t, a, W0=None) -> np.ndarray:
    r"""``W(t) = I + (W(0) - I) e^{-A t}``, shape (T, d, d) (one-layer gradient flow, eq. 4)."""
    a = _rates(a)
    d = a.size
    W0 = np.zeros((d, d)) if W0 is None else np.asarray(W0, float)
    check_shape("W0", W0, (d, d))
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    decay = np.exp(-np.outer(t, a))                      # (T, d)
    return np.eye(d) + (W0 - np.eye(d))[None] * decay[:, None, :]


def one_layer_output(t, a, z, W0=None) -> np.ndarray:
    r"""One-layer output at probe ``z`` (concept coordinates), shape (T, d).

    .. math:: f_k(t) = (1 - e^{-a_k t}) z_k + \sum_i e^{-a_i t} w_{ki}(0) z_i
    """
    return one_layer_weights(t, a, W0) @ np.asarray(z, float)


def one_layer_learning_time(a, frac: float = 0.9) -> np.ndarray:
    r"""Time for concept ``k`` to reach ``frac`` of its target from zero init: ``-ln(1 - frac) / a_k``.

    Concepts are learnt in order of ``a_k = mu_k^2/C + sigma_k^2``: stronger
    signal first, and more diversity speeds a concept up.
    """
    a = np.asarray(a, float)
    check_positive("a", a)
    if not 0.0 < frac < 1.0:
        raise ValueError(f"frac must lie in (0, 1), got {frac!r}")
    return -np.log1p(-frac) / a


# ---------------------------------------------------------- symmetric two layer
def vector_field(W: np.ndarray, a, *, rates: str = "A") -> np.ndarray:
    r"""``V(W) = WA + AW - 1/2 (A W^2 + W^2 A + 2 W A W)`` (paper eq. 6); batched over leading axes."""
    a = _rates(a, rates)
    AW = a[:, None] * W
    WA = W * a
    W2 = W @ W
    return WA + AW - 0.5 * (a[:, None] * W2 + W2 * a + 2 * (WA @ W))


def growth_suppression_interaction(W: np.ndarray, a, *, rates: str = "A"):
    r"""Entry-wise split ``V(W)_ij = G_ij - S_ij - N_ij`` of the paper's eq. (7).

    * growth ``G_ij = (a_i + a_j) w_ij``
    * suppression ``S_ij = 1/2 w_ij [w_ii (3 a_i + a_j) + 1[i != j] w_jj (3 a_j + a_i)]``
    * interaction ``N_ij = 1/2 sum_{k not in {i, j}} w_ki w_kj (a_i + a_j + 2 a_k)``

    ``W`` must be symmetric (it is ``U U^T``).  Returns ``(G, S, N)``.
    """
    a = _rates(a, rates)
    W = np.asarray(W, float)
    d = a.size
    check_shape("W", W, (d, d))
    ai, aj = a[:, None], a[None, :]
    diag = np.diag(W)
    G = (ai + aj) * W
    off = 1.0 - np.eye(d)
    S = 0.5 * W * (diag[:, None] * (3 * ai + aj) + off * diag[None, :] * (3 * aj + ai))
    # full sum over k, then remove k = i and k = j
    full = 0.5 * np.einsum("ki,kj,ijk->ij", W, W, ai[:, :, None] + aj[:, :, None] + 2 * a[None, None, :])
    N = full - S
    return G, S, N


def _check_U0(U0, d):
    U0 = np.asarray(U0, float)
    if U0.ndim != 2 or U0.shape[0] != d:
        raise ValueError(f"U0 must have shape ({d}, h), got {U0.shape}")
    return U0


def two_layer_symmetric(t, a, U0, *, convention: str = "gradient_flow", rates: str = "A",
                        rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    r"""``W(t) = U U^T`` of the symmetric two-layer network, integrated in ``U``-space.

    ``dU/dt = -(c/2) [(W - I) A + A (W - I)] U`` with ``c = CONVENTIONS[convention]``,
    so ``dW/dt = c V(W)``.  Returns (T, d, d), PSD by construction.
    """
    check_choice("convention", convention, tuple(CONVENTIONS))
    a = _rates(a, rates)
    d = a.size
    U0 = _check_U0(U0, d)
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    c = CONVENTIONS[convention]
    h = U0.shape[1]

    def rhs(_, u):
        U = u.reshape(d, h)
        M = U @ U.T - np.eye(d)
        return (-0.5 * c * ((M * a) + (a[:, None] * M)) @ U).ravel()

    Us = solve_at(rhs, U0.ravel(), t, name="two_layer_symmetric", method="DOP853", rtol=rtol,
                  atol=atol).reshape(-1, d, h)
    return Us @ np.swapaxes(Us, 1, 2)


def two_layer_w_space(t, a, W0, *, convention: str = "gradient_flow", rates: str = "A",
                      rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """Integrate ``dW/dt = c V(W)`` directly in ``W`` (a cross-check; it is not PSD-preserving)."""
    check_choice("convention", convention, tuple(CONVENTIONS))
    a_eff = _rates(a, rates)
    d = a_eff.size
    W0 = np.asarray(W0, float)
    check_shape("W0", W0, (d, d))
    t = np.atleast_1d(np.asarray(t, float))
    c = CONVENTIONS[convention]
    return solve_at(lambda _, w: c * vector_field(w.reshape(d, d), a_eff).ravel(), W0.ravel(), t,
                    name="two_layer_w_space", method="DOP853", rtol=rtol, atol=atol).reshape(-1, d, d)


def two_layer_recurrence(a, U0, *, eta: float, steps: int, rates: str = "A2", record_every: int = 1):
    r"""The authors' discrete recurrence, as Euler steps of size ``eta`` in ``U``-space on the paper clock.

    ``U <- U - (eta/2) [(W - I) A' + A' (W - I)] U`` with ``A' = A^2`` by default
    (``rates="A2"``: what the authors' theory scripts do) or ``A``.  Returns
    ``(t, W)`` with ``t = eta * step`` in paper time, ``W`` of shape (T, d, d).
    """
    a = _rates(a, rates)
    check_positive("eta", eta)
    steps = check_int("steps", steps)
    record_every = check_int("record_every", record_every)
    d = a.size
    U = _check_U0(U0, d).copy()
    ts, Ws = [], []
    for n in range(steps + 1):
        W = U @ U.T
        if n % record_every == 0 or n == steps:
            ts.append(n * eta)
            Ws.append(W)
        M = W - np.eye(d)
        U = U - 0.5 * eta * ((M * a) + (a[:, None] * M)) @ U
    return np.asarray(ts), np.asarray(Ws)


# ------------------------------------------------------------------ deeper
def deep_linear_concepts(t, a, u0, depth: int) -> np.ndarray:
    r"""Per-concept strength of a depth-``D`` linear network from a decoupled (diagonal) init.

    Identity target with ``Sigma_yx = Sigma_xx = A``: each concept is a
    co-diagonal mode with ``s = lam = a_k``, so
    ``tau du/dt = D a_k u^{2-2/D} (1 - u)``, i.e. ``u_k(t) = deep_mode(a_k t, 1, u0, D)``
    (Saxe et al. 2014).  Gradient-flow clock of ``1/2 E||f - z||^2``.
    Returns (T, s); the OOD output is ``u_k mu_k`` on concept ``k``.
    """
    a = np.asarray(a, float)
    check_positive("a", a)
    check_positive("u0", u0)
    if np.any(np.asarray(u0) >= 1):
        raise ValueError(f"u0 must be < 1 (the target strength), got {u0!r}")
    t = np.atleast_1d(np.asarray(t, float))
    return np.stack([deep_mode(ak * t, 1.0, u0, depth) for ak in a], axis=1)


# ------------------------------------------------------------------ losses
def ood_loss(W: np.ndarray, z) -> np.ndarray:
    r"""``1/2 ||(W - I) z||^2`` at probe ``z`` (concept coordinates); batched over leading axes of ``W``."""
    z = np.asarray(z, float)
    r = W @ z - z
    return 0.5 * np.sum(r**2, axis=-1)


def train_loss(W: np.ndarray, a) -> np.ndarray:
    r"""Population loss ``1/2 ||(W - I) A^{1/2}||_F^2``; batched over leading axes of ``W``."""
    a = np.asarray(a, float)
    M = W - np.eye(a.size)
    return 0.5 * np.sum(M**2 * a, axis=(-2, -1))
