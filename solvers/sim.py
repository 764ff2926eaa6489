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
* One layer with a bias ``f = W z + b`` (the authors' networks have biases):
  with ``z~ = (z, 1)``, ``d[W b]/dt = -([W b] - [I 0]) A~`` where
  ``A~ = E[z~ z~^T] = [[A, m], [m^T, 1]]`` and ``m = E[z]`` the data mean, so
  ``[W b](t) = [I 0] + ([W0 b0] - [I 0]) e^{-A~ t}`` (:func:`one_layer_affine`).
  The bias couples every concept to the mean: learning is slower than
  ``e^{-a_k t}`` (about twice for the weak concept of the paper's Fig. 2).
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
    "augmented_moment",
    "one_layer_affine",
    "one_layer_affine_output",
    "one_layer_affine_learning_time",
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


# ------------------------------------------------------- one layer with a bias
def augmented_moment(a, mean) -> np.ndarray:
    r"""``A~ = E[z~ z~^T] = [[diag(a), m], [m^T, 1]]`` with ``z~ = (z, 1)``, shape (d + 1, d + 1).

    ``a``: the diagonal of the (uncentred) second moment ``A = E[z z^T]`` in
    concept coordinates; ``mean``: ``m = E[z]`` (for SIM ``m_k = mu_k / C``).
    """
    a = _rates(a)
    m = np.asarray(mean, float)
    check_shape("mean", m, (a.size,))
    if not np.all(np.isfinite(m)):
        raise ValueError("mean must be finite")
    d = a.size
    At = np.zeros((d + 1, d + 1))
    At[:d, :d] = np.diag(a)
    At[:d, d] = At[d, :d] = m
    At[d, d] = 1.0
    return At


def _affine_init(d, W0, b0):
    W0 = np.zeros((d, d)) if W0 is None else np.asarray(W0, float)
    b0 = np.zeros(W0.shape[:-1]) if b0 is None else np.asarray(b0, float)
    if W0.ndim not in (2, 3) or W0.shape[-2:] != (d, d):
        raise ValueError(f"W0 must have shape ({d}, {d}) or (E, {d}, {d}), got {W0.shape}")
    check_shape("b0", b0, W0.shape[:-1])
    return np.concatenate([W0, b0[..., None]], axis=-1)           # [W0 b0], (..., d, d + 1)


def _affine_decay(t, a, mean):
    """``t`` (T,) and the eigen-decomposition of ``A~``: ``e^{-A~ t} = V diag(e^{-lam t}) V^T``."""
    At = augmented_moment(a, mean)
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    lam, V = np.linalg.eigh(At)
    return t, np.clip(lam, 0.0, None), V


def one_layer_affine(t, a, mean, W0=None, b0=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Gradient flow of a one-layer network with a bias, ``f = W z + b``, on ``L = 1/2 E||f(z) - z||^2``.

    .. math:: [W\; b](t) = [I\; 0] + ([W_0\; b_0] - [I\; 0])\, e^{-\tilde A t},
              \qquad \tilde A = \begin{pmatrix} A & m \\ m^\top & 1 \end{pmatrix}

    (:func:`augmented_moment`; the gradient is ``-([W b] - [I 0]) E[z~ z~^T]``).
    ``W0`` (d, d) and ``b0`` (d,) default to 0.  Returns ``W`` (T, d, d) and
    ``b`` (T, d).  Without the bias (``b = 0`` held fixed) the flow is
    :func:`one_layer_weights`; the two differ whenever ``m != 0``.
    """
    a = np.asarray(a, float)
    t, lam, V = _affine_decay(t, a, mean)
    Wt0 = _affine_init(a.size, W0, b0)
    if Wt0.ndim != 2:
        raise ValueError("one_layer_affine takes one init; use one_layer_affine_output for a batch of inits")
    d = a.size
    P = np.eye(d, d + 1)
    E = np.einsum("ij,tj,kj->tik", V, np.exp(-np.outer(t, lam)), V)       # e^{-A~ t}, (T, d+1, d+1)
    Wt = P + (Wt0 - P) @ E
    return Wt[..., :d], Wt[..., d]


def one_layer_affine_output(t, a, mean, z, W0=None, b0=None) -> np.ndarray:
    r"""Output ``f(z) = W(t) z + b(t)`` of the one-layer network with a bias (:func:`one_layer_affine`) at probes ``z``.

    ``z``: (d,) or (..., d) probes in concept coordinates.  ``W0`` (d, d) or a
    batch of inits (E, d, d) with ``b0`` (d,) or (E, d).  Returns an array of
    shape ``(T,) + W0.shape[:-2] + z.shape[:-1] + (d,)``: (T, d) for one init
    and one probe.  Computed as ``z + ([W0 b0] - [I 0]) e^{-A~ t} z~`` without
    forming ``W(t)`` (cheap for many inits and probes).
    """
    a = np.asarray(a, float)
    t, lam, V = _affine_decay(t, a, mean)
    d = a.size
    z = np.asarray(z, float)
    if z.shape[-1:] != (d,):
        raise ValueError(f"z must have shape (..., {d}), got {z.shape}")
    Wt0 = _affine_init(d, W0, b0)
    zt = np.concatenate([z, np.ones(z.shape[:-1] + (1,))], axis=-1)        # (..., d + 1)
    coef = zt @ V                                                          # (K..., d + 1)
    Ez = np.exp(-np.multiply.outer(t, lam))                                # (T, d + 1)
    Ez = (Ez.reshape((t.size,) + (1,) * (zt.ndim - 1) + (d + 1,)) * coef) @ V.T   # (T, K..., d + 1)
    R = Wt0 - np.eye(d, d + 1)                                             # (E..., d, d + 1)
    # residual (T, E..., K..., d): sum_j R[e, i, j] Ez[t, k, j]
    Ez2 = Ez.reshape(t.size, -1, d + 1)                                    # (T, K, d + 1)
    res = np.einsum("...ij,tkj->t...ki", R, Ez2)                           # (T, E..., K, d)
    res = res.reshape((t.size,) + R.shape[:-2] + z.shape[:-1] + (d,))
    return z + res


def one_layer_affine_learning_time(a, mean, z, frac: float = 0.9) -> np.ndarray:
    r"""First time each coordinate ``k`` of ``f(z)`` reaches ``frac z_k`` from zero init, with the bias (:func:`one_layer_affine_output`).

    There is no closed form (``e^{-A~ t}`` mixes the concepts through the
    mean); the crossing is bracketed on a grid and refined by ``brentq``.
    Returns (d,); ``nan`` for coordinates with ``z_k = 0``.
    """
    from scipy.optimize import brentq

    a = np.asarray(a, float)
    z = np.asarray(z, float)
    check_shape("z", z, (a.size,))
    if not 0.0 < frac < 1.0:
        raise ValueError(f"frac must lie in (0, 1), got {frac!r}")
    lam_min = max(float(np.linalg.eigvalsh(augmented_moment(a, mean)).min()), 1e-12)
    t_end = 50.0 / lam_min
    grid = np.concatenate([[0.0], np.geomspace(1e-6 * t_end, t_end, 4000)])
    ratio = lambda tt: one_layer_affine_output(tt, a, mean, z) / np.where(z == 0, 1.0, z)   # noqa: E731
    r = ratio(grid)
    out = np.full(a.size, np.nan)
    for k in np.flatnonzero(z != 0):
        i = np.flatnonzero(r[:, k] >= frac)
        if i.size == 0 or i[0] == 0:
            continue
        j = i[0]
        out[k] = brentq(lambda tt: ratio(np.array([tt]))[0, k] - frac, grid[j - 1], grid[j], xtol=1e-14 * t_end)
    return out


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


def two_layer_recurrence(a, U0, *, eta: float, steps: int, rates: str = "A2", space: str = "W",
                         dtype: str = "float32", record_every: int = 1):
    r"""Euler steps of size ``eta`` of the paper-clock flow ``dW/dt = V(W)`` (eq. 6) from ``W0 = U0 U0^T``.

    The default is **the authors' theory-script recurrence** (what made the
    paper's Figs. 5, 8-10): ``space="W"``, ``rates="A2"``, ``dtype="float32"``,

    .. math:: W \leftarrow W + \eta\, [W A'^{} + A' W - W A' W - (A' W^2 + W^2 A')/2], \qquad A' = A^2,

    i.e. ``V(W)`` with every rate ``a_i`` squared, stepped directly in ``W``
    (they use ``eta = 0.01``).  Stepping ``W`` is first-order Euler: halving
    ``eta`` halves the distance to the ``A^2`` ODE, and at large rates the
    iterates can leave the PSD cone.  Options:

    * ``rates="A"``: the equations' rates;
    * ``space="U"``: Euler steps in ``U``-space,
      ``U <- U - (eta/2) [(W - I) A' + A' (W - I)] U``, which keep ``W = U U^T``
      PSD (a different first-order scheme with the same ``eta -> 0`` limit);
    * ``dtype="float64"``: without the authors' single-precision round-off.

    Returns ``(t, W)`` with ``t = eta * step`` on the paper clock (``step`` = 0,
    ``record_every``, ..., ``steps``) and ``W`` (T, d, d) in float64.  Once an
    iterate leaves the PSD cone, a negative eigenvalue grows without bound (the
    flow is unstable there); iterates after the first non-finite one are NaN.
    """
    a = _rates(a, rates)
    check_positive("eta", eta)
    steps = check_int("steps", steps)
    record_every = check_int("record_every", record_every)
    check_choice("space", space, ("W", "U"))
    check_choice("dtype", dtype, ("float32", "float64"))
    d = a.size
    U0 = _check_U0(U0, d)
    ft = np.dtype(dtype).type
    a, step = a.astype(dtype), ft(eta)
    eye = np.eye(d, dtype=dtype)
    ts, Ws = [], []
    W = (U0 @ U0.T).astype(dtype)
    U = U0.astype(dtype)
    half = ft(0.5)
    finite = True
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(steps + 1):
            if space == "U":
                W = U @ U.T
            if n % record_every == 0 or n == steps:
                ts.append(n * eta)
                Ws.append(W.astype(float) if finite else np.full((d, d), np.nan))
            if not finite:
                continue
            if space == "W":
                WA = W * a
                W2 = W @ W
                W = W + step * (WA + a[:, None] * W - WA @ W - half * (a[:, None] * W2 + W2 * a))
            else:
                M = W - eye
                U = U - half * step * ((M * a) + (a[:, None] * M)) @ U
            finite = bool(np.all(np.isfinite(U if space == "U" else W)))
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
