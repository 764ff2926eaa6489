r"""Exact learning dynamics of deep linear networks.

Conventions (all functions here)
--------------------------------
Loss ``L = 1/2 E||y - W_D ... W_1 x||^2`` (expectation over the data
distribution, summed over output dimensions).  Gradient flow
``tau dW_l/dt = -dL/dW_l``.  Full-batch GD with step ``eta`` on this mean
loss is ``t = eta * step`` with ``tau = 1``.

A *mode* ``alpha`` of the input-output correlation ``Sigma_yx = U S V^T`` has
strength ``u_alpha = u_alpha^T W_D...W_1 v_alpha``.  With a decoupled (SVD-aligned,
balanced) initialisation the modes evolve independently.

References
----------
Saxe, McClelland & Ganguli 2014, arXiv:1312.6120 (eqs. 6-9, deep chain sec. 4).
Braun, Dominé, Fitzgerald & Saxe 2022, NeurIPS, arXiv:2209.10530 (Riccati form).
"""
from __future__ import annotations

import numpy as np
from scipy import integrate

from theorylab._validate import check_int, check_nonnegative, check_positive

from ._ode import solve_at

__all__ = [
    "saxe_mode",
    "saxe_learning_time",
    "deep_mode",
    "deep_learning_time",
    "mode_ode_rhs",
]


def _check_mode(s, u0, tau, lam=1.0):
    check_positive("s", s)
    check_positive("u0", u0)
    check_positive("tau", tau)
    check_positive("lam", lam)


def saxe_mode(t, s, u0, *, tau: float = 1.0, lam: float = 1.0) -> np.ndarray:
    r"""Mode strength of a two-layer linear network, Saxe et al. 2014 eq. (9).

    Solves ``tau du/dt = 2 u (s - lam u)`` with ``u(0) = u0``:

    .. math:: u(t) = \frac{(s/\lambda)\, e^{2st/\tau}}{e^{2st/\tau} - 1 + s/(\lambda u_0)}

    ``lam = 1`` is the whitened case (``Sigma_xx = I``); ``lam`` is the input
    variance along the mode for co-diagonal (non-whitened) inputs.  Evaluated
    as ``(s/lam) / (1 + (s/(lam u0) - 1) e^{-2st/tau})`` so that it never
    overflows for large ``s t``.

    Parameters
    ----------
    t : array_like, >= 0
    s, u0 : float > 0
        Singular value of ``Sigma_yx`` and initial strength.
    tau, lam : float > 0
    """
    _check_mode(s, u0, tau, lam)
    t = np.asarray(t, dtype=float)
    check_nonnegative("t", t, allow_inf=True)
    decay = np.exp(-2.0 * s * t / tau)
    return (s / lam) / (1.0 + (s / (lam * u0) - 1.0) * decay)


def saxe_learning_time(s, u0, uf, *, tau: float = 1.0, lam: float = 1.0) -> float:
    r"""Time for a two-layer mode to grow from ``u0`` to ``uf`` (Saxe 2014 eq. 10).

    .. math:: t = \frac{\tau}{2s}\ln\frac{u_f(s - \lambda u_0)}{u_0(s - \lambda u_f)}

    ``uf`` must lie in ``(u0, s/lam)``.
    """
    _check_mode(s, u0, tau, lam)
    if not (u0 < uf < s / lam):
        raise ValueError(f"uf must lie in (u0, s/lam) = ({u0:g}, {s / lam:g}), got {uf!r}")
    return float(tau / (2.0 * s) * np.log(uf * (s - lam * u0) / (u0 * (s - lam * uf))))


def mode_ode_rhs(u, s, depth: int, *, tau: float = 1.0):
    r"""Right-hand side of the balanced deep chain, ``du/dt = D u^{2-2/D}(s-u)/tau``."""
    return depth * np.power(u, 2.0 - 2.0 / depth) * (s - u) / tau


def _check_deep(s, u0, depth, tau):
    check_positive("s", s)
    check_positive("u0", u0)
    check_positive("tau", tau)
    return check_int("depth", depth, minimum=1)


def deep_mode(t, s, u0, depth: int, *, tau: float = 1.0) -> np.ndarray:
    r"""Mode strength of a depth-``D`` linear chain with balanced layers.

    Each of the ``D`` weight matrices carries the mode with scalar ``a``;
    ``u = a^D`` obeys (Saxe 2014 sec. 4)

    .. math:: \tau \frac{du}{dt} = D\, u^{2 - 2/D} (s - u).

    ``D = 2`` is :func:`saxe_mode`; ``D = 1`` is linear regression
    ``u = s - (s - u0) e^{-t/tau}``.  For ``D >= 3`` there is no elementary
    closed form: the ODE is integrated in ``z = ln u`` with LSODA (rtol 1e-11).
    """
    depth = _check_deep(s, u0, depth, tau)
    t = np.asarray(t, dtype=float)
    check_nonnegative("t", t)
    if depth == 1:
        return s - (s - u0) * np.exp(-t / tau)

    def rhs(_, z):
        u = np.exp(z)
        return depth * np.exp((1.0 - 2.0 / depth) * z) * (s - u) / tau

    z = solve_at(rhs, [np.log(u0)], t, name="deep_mode", method="LSODA", rtol=1e-11, atol=1e-13)
    return np.exp(z[..., 0])


def deep_learning_time(s, u0, uf, depth: int, *, tau: float = 1.0) -> float:
    r"""Time for a depth-``D`` chain mode to go from ``u0`` to ``uf``.

    .. math:: t = \frac{\tau}{D}\int_{u_0}^{u_f} \frac{du}{u^{2-2/D}(s-u)}

    Computed by quadrature (exact for ``D = 2``, see
    :func:`saxe_learning_time`).  With the product ``u0 = O(1)`` and depth
    growing, ``D t`` tends to a finite limit (depth-independent learning when
    the learning rate scales as ``1/D``); with per-layer scale ``a0`` fixed,
    ``u0 = a0^D`` and ``t`` grows with depth.
    """
    depth = _check_deep(s, u0, depth, tau)
    if not (u0 < uf < s):
        raise ValueError(f"uf must lie in (u0, s) = ({u0:g}, {s:g}), got {uf!r}")
    # substitute u = exp(z): integrand exp(z) / (exp(z)^{2-2/D} (s - exp(z)))
    p = 1.0 - 2.0 / depth

    def f(z):
        return np.exp(-p * z) / (s - np.exp(z))

    val, _ = integrate.quad(f, np.log(u0), np.log(uf), epsabs=0.0, epsrel=1e-12, limit=200)
    return float(tau / depth * val)


# The zero-balanced two-layer closed form lives in its own module; it is part of
# the deep-linear toolbox, so it is re-exported here.
from .riccati import riccati_network_function, riccati_qqt  # noqa: E402

__all__ += ["riccati_qqt", "riccati_network_function"]
