r"""Generalisation dynamics of linear regression in high dimensions.

Advani, Saxe & Sompolinsky 2020, "High-dimensional dynamics of generalization
error in neural networks", Neural Networks 132 (arXiv:1710.03667), sec. 3.

Setting and conventions
-----------------------
Teacher ``y = w_bar . x + eps`` with ``x_j ~ N(0, 1/N)``, ``w_bar_j`` of variance
``teacher_var``, label noise of variance ``noise_var``; student ``w`` starts
with entries of variance ``init_var``.  ``P = alpha N`` training samples.
Gradient flow on the **summed** loss ``L = 1/2 sum_mu (y_mu - w . x_mu)^2``,
``dw/dt = X^T (y - X w)``, ``tau = 1`` (GD on this summed loss with step ``eta`` is
``t = eta * step``; on the mean loss it is ``t = eta * step / P``).

Errors (no factor 1/2):

* test  ``E_g = E_x (y - w . x)^2 = ||w - w_bar||^2 / N + noise_var``
* train ``E_train = (1/P) sum_mu (y_mu - w . x_mu)^2``

Derivation (checked numerically in ``tests/solvers/test_random_matrix.py``):
in the eigenbasis of ``X^T X`` (eigenvalue ``lam``), the error
``e = w - w_bar`` obeys ``de/dt = -lam e + (X^T eps)``, and
``E[(X^T eps)_lam^2] = noise_var lam``, so each mode contributes
``(init_var + teacher_var) e^{-2 lam t} + noise_var (1 - e^{-lam t})^2 / lam``.
The residual ``r = y - X w`` obeys ``dr/dt = -X X^T r`` with
``E[r_lam(0)^2] = noise_var + lam (init_var + teacher_var)``.  The spectrum of
``X^T X`` is Marchenko-Pastur:

.. math:: \rho(\lambda) = \frac{\sqrt{(\lambda_+ - \lambda)(\lambda - \lambda_-)}}{2\pi\lambda},
          \quad \lambda_\pm = (1 \pm \sqrt{\alpha})^2,

whose continuous part has mass ``min(1, alpha)``, plus an atom of mass
``(1 - alpha)_+`` at 0 (the frozen subspace).  Hence

.. math::
    E_g(t) = \int \rho(\lambda)\Big[(\sigma_{w0}^2 + \bar\sigma^2) e^{-2\lambda t}
             + \sigma_\epsilon^2 \frac{(1 - e^{-\lambda t})^2}{\lambda}\Big] d\lambda
             + (1-\alpha)_+ (\sigma_{w0}^2 + \bar\sigma^2) + \sigma_\epsilon^2

    E_{train}(t) = \frac{1}{\alpha}\int \rho(\lambda) e^{-2\lambda t}
                   \big(\sigma_\epsilon^2 + \lambda(\sigma_{w0}^2 + \bar\sigma^2)\big) d\lambda
                   + (1 - 1/\alpha)_+ \sigma_\epsilon^2

At ``t = inf``: ``E_g = noise_var alpha / (alpha - 1)`` for ``alpha > 1``,
``noise_var / (1 - alpha) + (1 - alpha)(init_var + teacher_var)`` for ``alpha < 1``,
and ``inf`` at ``alpha = 1`` with noise.
"""
from __future__ import annotations

import numpy as np

from theorylab._validate import check_nonnegative, check_positive

__all__ = ["mp_edges", "mp_density", "mp_quadrature", "advani_saxe_errors"]


def mp_edges(alpha: float) -> tuple[float, float]:
    """Edges ``(1 -+ sqrt(alpha))^2`` of the Marchenko-Pastur bulk of ``X^T X``."""
    check_positive("alpha", alpha)
    r = np.sqrt(alpha)
    return (1.0 - r) ** 2, (1.0 + r) ** 2


def mp_density(lam, alpha: float) -> np.ndarray:
    r"""Continuous Marchenko-Pastur density ``sqrt((l+ - l)(l - l-)) / (2 pi l)``; 0 off the bulk."""
    lo, hi = mp_edges(alpha)
    lam = np.asarray(lam, float)
    inside = (lam > lo) & (lam < hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.sqrt(np.clip((hi - lam) * (lam - lo), 0, None)) / (2 * np.pi * lam)
    return np.where(inside, rho, 0.0)


def mp_quadrature(alpha: float, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes ``lam_k`` and weights ``w_k`` with ``sum_k w_k g(lam_k) ~ int rho(lam) g(lam) dlam``.

    Substituting ``lam = c + r cos(theta)`` (``c, r`` the bulk's centre and
    half-width) removes the square-root edges: the integrand becomes
    ``r^2 sin^2(theta) g(lam) / (2 pi lam)``, smooth on ``[0, pi]``, integrated by
    ``n``-point Gauss-Legendre.  The weights sum to ``min(1, alpha)``.
    """
    lo, hi = mp_edges(alpha)
    c, r = (hi + lo) / 2, (hi - lo) / 2
    x, w = np.polynomial.legendre.leggauss(n)
    theta = np.pi * (x + 1) / 2
    lam = c + r * np.cos(theta)
    weights = w * (np.pi / 2) * r**2 * np.sin(theta) ** 2 / (2 * np.pi * lam)
    return lam, weights


def advani_saxe_errors(
    t,
    alpha: float,
    *,
    noise_var: float = 1.0,
    teacher_var: float = 1.0,
    init_var: float = 0.0,
    n_quad: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test error over time, Advani, Saxe & Sompolinsky 2020 eqs. (13)-(15).

    See the module docstring for the exact setting, the loss and time
    conventions, and the formulas.

    Parameters
    ----------
    t : array_like, >= 0, may contain ``numpy.inf``
    alpha : float > 0
        Samples per parameter, ``P / N``.
    noise_var, teacher_var, init_var : float >= 0
        Variances (not standard deviations) of label noise, teacher entries and
        initial student entries.

    Returns
    -------
    (train_error, test_error): arrays shaped like ``t``.
    """
    check_positive("alpha", alpha)
    check_nonnegative("noise_var", noise_var)
    check_nonnegative("teacher_var", teacher_var)
    check_nonnegative("init_var", init_var)
    t = np.asarray(t, float)
    check_nonnegative("t", t, allow_inf=True)
    lam, w = mp_quadrature(alpha, n_quad)
    T = t.reshape(-1, 1)
    sig2 = init_var + teacher_var
    decay = np.exp(-lam * T)  # exp(-inf) = 0 exactly
    test_bulk = sig2 * decay**2 + noise_var * (1.0 - decay) ** 2 / lam
    test = test_bulk @ w + max(1.0 - alpha, 0.0) * sig2 + noise_var
    train = (decay**2 * (noise_var + lam * sig2)) @ w / alpha + max(1.0 - 1.0 / alpha, 0.0) * noise_var
    if alpha == 1.0 and noise_var > 0:
        # the bulk touches 0: int rho/lam diverges, so E_g(inf) is infinite
        test = np.where(np.isinf(T[:, 0]), np.inf, test)
    return train.reshape(t.shape), test.reshape(t.shape)
