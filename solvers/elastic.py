r"""Locally elastic ODEs and SDEs (Zhang, Wang & Su, NeurIPS 2021, arXiv:2110.05960).

Features ``X_k^i`` (the logits, in R^K) of ``n`` samples in each of ``K`` classes move
under SGD as

.. math:: dX_k^i = -\frac{1}{nK}\sum_{k'} E_{kk'}(t) \sum_{i'} \nabla_X \ell(X_{k'}^{i'}, k')\,dt + \sigma\,dW_k^i,

``E_kk = alpha`` (intra-class impact), ``E_kk' = beta`` (inter-class), ``ell`` the
cross-entropy (``grad = softmax(X) - e_k``).  Locally elastic (``alpha > beta``): the
classes separate and their centred means approach a simplex ETF; ``alpha < beta``:
they do not, however long the run; ``alpha = beta``: no net drift between classes.

Linearised class-mean ODEs, ``A(t) = int alpha``, ``B(t) = int beta``:

* "I" model: ``dXbar_k/dt = (1/K)[alpha Xbar_k + beta sum_{k' != k} Xbar_k']``: the common mode
  grows at ``(alpha + (K-1) beta)/K``, the ``K - 1`` difference modes at ``(alpha - beta)/K``;
  closed form ``Xbar(t) = [e^{(A + (K-1) B)/K} P_1 + e^{(A - B)/K} (I - P_1)] Xbar(0)``.
* "L" model: ``dXbar_k/dt = (1/K)[alpha P_k Xbar_k + beta sum_{k' != k} P_k' Xbar_k']`` with
  ``P_k`` the projector on ``u_k = e_k - 1/K``: the simplex mode ``Xbar_k ~ u_k`` grows at
  ``(alpha - beta)/K``, the ``K - 1`` other modes of ``span{u_k e_j^T}`` at ``(alpha + beta/(K-1))/K``,
  everything else is still.  Here the two parts ``L_1`` (intra) and ``L_2`` (inter) of the
  operator do *not* commute (checked), so ``Xbar(t) = exp[(A L_1 + B L_2)/K] Xbar(0)`` is exact
  when ``beta / alpha`` is constant in time; the simplex mode is an eigenvector of both, so its
  law ``e^{(A - B)/K}`` holds for any schedule.

The estimators invert these growth laws to recover ``A(t)``, ``B(t)`` from logged
class means; the tail index ``r = 1 - mean(log A / log t)`` over late times
(``alpha ~ t^{-r}``: ``A`` diverges iff ``r <= 1``) separates the phases.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.clock import Clock
from theorylab.rng import as_generator
from theorylab.trajectory import Trajectory

__all__ = ["le_ode_rates", "le_ode_operator", "le_ode_solution", "estimate_AB", "tail_index", "TAIL_SIGNS", "le_sde",
           "LE_SDE_TIME"]

#: The time ``t`` of the LE-SDE above (and of its linearised ODEs).  It is *not* gradient-flow time of
#: a loss: the drift is ``-Theta grad_X L`` with ``L = (1/(nK)) sum ell`` and the kernel
#: ``Theta[(k, i), (k', i')] = E_kk'``, which is indefinite when ``beta > alpha`` (ascent along the
#: class-difference modes), so no ``Clock.gradient_flow`` describes it.  Zhang, Wang & Su reach it as a
#: continuous limit of SGD iterations, with a step size that is not a parameter here.  So it is a clock
#: of its own (``Clock.discrete``): comparable with other LE-SDE/ODE trajectories, never with a trained net.
LE_SDE_TIME = Clock.discrete("LE-SDE time", symbol="t")

MODELS = ("I", "L")


def le_ode_rates(alpha: float, beta: float, K: int, model: str = "I") -> dict[float, int]:
    """Distinct growth rates of the linear LE-ODE and their multiplicities (on the K x K class-mean state)."""
    K = check_int("K", K, minimum=2)
    check_choice("model", model, MODELS)
    if model == "I":                                # each of the K logit coordinates carries a copy
        rates = [((alpha + (K - 1) * beta) / K, K), ((alpha - beta) / K, (K - 1) * K)]
    else:
        rates = [((alpha - beta) / K, 1), ((alpha + beta / (K - 1)) / K, K - 1), (0.0, K * K - K)]
    out: dict[float, int] = {}
    for r, m in rates:                              # merge coinciding rates (e.g. beta = 0)
        key = next((k for k in out if abs(k - r) <= 1e-12 * max(1.0, abs(r))), r)
        out[key] = out.get(key, 0) + m
    return out


def _projectors(K):
    U = np.eye(K) - 1.0 / K                                         # rows u_k
    return np.einsum("ki,kj->kij", U, U) / np.sum(U**2, axis=1)[:, None, None]


def le_ode_operator(K: int, model: str = "I") -> tuple[np.ndarray, np.ndarray]:
    """The two parts ``(L_1, L_2)`` of ``K dXbar/dt = alpha L_1 Xbar + beta L_2 Xbar`` on vec(Xbar) (K^2, K^2).

    ``Xbar`` is (K classes, K logits), flattened row-major.
    """
    K = check_int("K", K, minimum=2)
    check_choice("model", model, MODELS)
    I = np.eye(K)
    if model == "I":
        L1 = np.kron(I, I)
        L2 = np.kron(np.ones((K, K)) - I, I)
    else:
        Pk = _projectors(K)
        L1 = np.zeros((K * K, K * K))
        L2 = np.zeros((K * K, K * K))
        for k in range(K):
            for kp in range(K):
                blk = (L1 if k == kp else L2)
                blk[k * K:(k + 1) * K, kp * K:(kp + 1) * K] = Pk[kp]
    return L1, L2


def le_ode_solution(X0, A, B, model: str = "I") -> np.ndarray:
    """Closed form ``Xbar(t)`` for cumulative impacts ``A = int alpha``, ``B = int beta`` (arrays of times).

    Exact for any schedule in the "I" model; in the "L" model when ``B / A`` is constant (module doc).
    """
    X0 = np.asarray(X0, float)
    K = X0.shape[0]
    if X0.shape != (K, K):
        raise ValueError(f"X0 must be (K classes, K logits), got {X0.shape}")
    L1, L2 = le_ode_operator(K, model)
    A, B = np.broadcast_arrays(np.atleast_1d(np.asarray(A, float)), np.atleast_1d(np.asarray(B, float)))
    return np.stack([(expm((a * L1 + b * L2) / K) @ X0.ravel()).reshape(K, K) for a, b in zip(A, B)])


def estimate_AB(means, model: str = "I") -> tuple[np.ndarray, np.ndarray]:
    """Recover ``A(t)``, ``B(t)`` from class means ``(T, K, K)`` (first entry = time 0) by inverting the growth laws.

    "I": common mode ``c`` and difference modes ``d`` grow as ``e^{(A + (K-1) B)/K}``, ``e^{(A - B)/K}``;
    "L": the simplex coefficient and the rest of ``span{u_k e_j^T}`` as ``e^{(A - B)/K}``, ``e^{(A + B/(K-1))/K}``.
    """
    check_choice("model", model, MODELS)
    X = np.asarray(means, float)
    T, K, _ = X.shape
    if model == "I":
        c = X.mean(axis=1, keepdims=True)
        g1 = np.log(np.linalg.norm(c.reshape(T, -1), axis=1) / np.linalg.norm(c[0]))       # (A + (K-1) B)/K
        d = X - c
        g2 = np.log(np.linalg.norm(d.reshape(T, -1), axis=1) / np.linalg.norm(d[0]))       # (A - B)/K
        B = (g1 - g2)
        A = K * g2 + B
        return A, B
    Pk = _projectors(K)
    U = np.eye(K) - 1.0 / K
    proj = np.einsum("kij,tkj->tki", Pk, X)                                                # P_k Xbar_k
    s = np.einsum("tki,ki->t", proj, U) / np.sum(U**2)                                     # simplex coefficient
    rest = proj - s[:, None, None] * U[None]
    g_s = np.log(np.abs(s) / abs(s[0]))                                                    # (A - B)/K
    g_r = np.log(np.linalg.norm(rest.reshape(T, -1), axis=1) / np.linalg.norm(rest[0]))   # (A + B/(K-1))/K
    B = (K - 1) * (g_r - g_s)
    A = K * g_s + B
    return A, B


#: How :func:`tail_index` treats a negative estimated ``A(t)``.
TAIL_SIGNS = ("drop", "flip")


def tail_index(t, A, *, late: float = 0.5, sign: str = "drop") -> float:
    """``r = 1 - mean(log A(t) / log t)`` over the last ``late`` fraction of times (t > 1 there).

    ``sign="drop"``: only the times with ``A(t) > 0`` enter the mean; ``sign="flip"`` (the
    authors' code): a negative ``A`` is replaced by ``-A``, i.e. ``log |A|`` (``A = 0`` is left out).
    For ``alpha = c t^{-r}`` it returns ``r - log(c / (1 - r)) / log t``: exact when ``c = 1 - r``,
    otherwise biased by ``O(1 / log t)``.
    """
    check_choice("sign", sign, TAIL_SIGNS)
    t, A = np.asarray(t, float), np.asarray(A, float)
    if sign == "flip":
        A = np.abs(A)
    m = (t >= np.quantile(t, 1 - late)) & (t > 1) & (A > 0)
    if not m.any():
        raise ValueError("tail_index needs late times t > 1 with A(t) > 0 (|A(t)| > 0 with sign='flip')")
    return float(1 - np.mean(np.log(A[m]) / np.log(t[m])))


def le_sde(alpha: float, beta: float, K: int, n: int, *, t_max: float, dt: float = 0.01, sigma: float = 0.1,
           init_std: float = 0.1, n_seeds: int = 1, rng=0, record: int = 50) -> Trajectory:
    r"""Euler-Maruyama simulation of the LE-SDE (module doc) for ``n_seeds`` independent systems at once.

    Records ``accuracy`` (fraction of samples whose largest logit is their class), the class
    means ``means`` (K, K) and ``cosines`` (mean off-diagonal cosine of the centred class means;
    ``-1/(K-1)`` for a simplex ETF), each with a seed axis, at ``record + 1`` Euler steps spread
    over the run.  The clock is :data:`LE_SDE_TIME` (``t = step * dt``, the SDE's own time).
    """
    K, n = check_int("K", K, minimum=2), check_int("n", n)
    check_nonnegative("alpha", alpha)
    check_nonnegative("beta", beta)
    check_positive("t_max", t_max)
    check_positive("dt", dt)
    check_nonnegative("sigma", sigma)
    S = check_int("n_seeds", n_seeds)
    g = as_generator(rng)
    X = init_std * g.normal(size=(S, K, n, K))
    E = np.full((K, K), beta) + (alpha - beta) * np.eye(K)
    eye = np.eye(K)
    steps = int(round(t_max / dt))
    rec_at = set(np.linspace(0, steps, record + 1).round().astype(int))
    ts, acc, means, cos = [], [], [], []
    for s in range(steps + 1):
        if s in rec_at:
            ts.append(s * dt)
            acc.append(np.mean(np.argmax(X, axis=-1) == np.arange(K)[None, :, None], axis=(1, 2)))
            mu = X.mean(axis=2)                                             # (S, K, K)
            means.append(mu)
            c = mu - mu.mean(axis=1, keepdims=True)
            nrm = np.linalg.norm(c, axis=-1)
            cc = np.einsum("ski,sji->skj", c, c) / (nrm[:, :, None] * nrm[:, None, :])
            cos.append((cc.sum(axis=(1, 2)) - K) / (K * (K - 1)))
        if s == steps:
            break
        p = np.exp(X - X.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        G = (p - eye[None, :, None, :]).sum(axis=2)                         # (S, K, K): sum_i grad for class k
        drift = -np.einsum("kj,sjd->skd", E, G) / (n * K)
        X += drift[:, :, None, :] * dt + sigma * np.sqrt(dt) * g.normal(size=X.shape)
    return Trajectory(np.asarray(ts), {"accuracy": np.asarray(acc), "means": np.asarray(means),
                                       "cosines": np.asarray(cos)},
                      {"alpha": alpha, "beta": beta, "K": K, "n": n, "sigma": sigma, "dt": dt,
                       "scheme": "Euler-Maruyama", "loss": "cross-entropy on the logits X"},
                      n_seeds=S, clock=LE_SDE_TIME)
