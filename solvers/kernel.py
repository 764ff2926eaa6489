r"""Kernel (NTK) gradient flow: the lazy-regime reference.

Jacot, Gabriel & Hongler 2018 (arXiv:1806.07572).  For a model linearised
around its initialisation, ``f(x; theta) = f0(x) + grad f0(x) . (theta - theta0)``
with kernel ``K(x, x') = grad f0(x) . grad f0(x')``, gradient flow on

    L = 1/(2 n) sum_i ||f(x_i) - y_i||^2        (reduction="mean", n = train size)
    L = 1/2     sum_i ||f(x_i) - y_i||^2        (reduction="sum", n = 1)

gives, with ``tau = 1`` (GD with step ``eta`` is ``t = eta * step``),

.. math::
    f_{train}(t) = y + e^{-K t / n} (f_0 - y),\qquad
    f_{test}(t) = f_{0,test} + K_{*} K^{-1} (I - e^{-Kt/n}) (y - f_0).

``K^{-1}(I - e^{-Kt/n})`` is evaluated through the eigenvalues as
``-expm1(-k t / n) / k`` (value ``t/n`` at ``k = 0``), so a singular kernel is
fine at finite ``t``; at ``t = inf`` the null space of ``K`` is left unlearnt.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_choice, check_shape

__all__ = ["KernelFlow", "KernelGD", "kernel_flow", "kernel_gd", "quadratic_ntk_eigenvalues"]


@dataclass(frozen=True)
class KernelFlow:
    """Factorised kernel gradient flow: build once, evaluate at any ``t``."""

    eigval: np.ndarray       # (n,)
    eigvec: np.ndarray       # (n, n)
    r0: np.ndarray           # (n, k) initial residual f0 - y in K's eigenbasis
    y: np.ndarray            # (n, k)
    K_test: np.ndarray | None  # (m, n)
    f0_test: np.ndarray | None  # (m, k)
    n_norm: float

    def _decay(self, t: np.ndarray) -> np.ndarray:
        """Residual factor per eigenmode, (T, n): ``e^{-k t / n}``."""
        return np.exp(-self.eigval[None, :] * t[:, None] / self.n_norm)

    def train_outputs(self, t) -> np.ndarray:
        """``f_train(t)``, shape ``(T, n, k)``."""
        t = np.atleast_1d(np.asarray(t, float))
        return self.y[None] + np.einsum("ij,tj,jk->tik", self.eigvec, self._decay(t), self.r0)

    def _gain(self, t):
        k = self.eigval[None, :]
        T = t[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(k > 1e-12 * max(self.eigval.max(), 1e-300),
                         -np.expm1(-k * T / self.n_norm) / k,
                         np.where(np.isinf(T), 0.0, T / self.n_norm))
        return g

    def test_outputs(self, t) -> np.ndarray:
        """``f_test(t)``, shape ``(T, m, k)``."""
        if self.K_test is None:
            raise ValueError("no test kernel was given (pass K_test and f0_test)")
        t = np.atleast_1d(np.asarray(t, float))
        proj = self.K_test @ self.eigvec                   # (m, n)
        return self.f0_test[None] - np.einsum("mj,tj,jk->tmk", proj, self._gain(t), self.r0)

    def train_loss(self, t) -> np.ndarray:
        """Mean over samples of ``1/2 ||f - y||^2``, shape ``(T,)``."""
        t = np.atleast_1d(np.asarray(t, float))
        return 0.5 * np.einsum("tj,jk->t", self._decay(t) ** 2, self.r0**2) / self.y.shape[0]

    def test_loss(self, t, y_test) -> np.ndarray:
        """Mean over test samples of ``1/2 ||f - y_test||^2``, shape ``(T,)``."""
        f = self.test_outputs(t)
        y_test = np.asarray(y_test, float).reshape(f.shape[1], -1)
        return 0.5 * np.sum((f - y_test[None]) ** 2, axis=(1, 2)) / f.shape[1]


@dataclass(frozen=True)
class KernelGD(KernelFlow):
    """Discrete GD of the linearised model with step ``lr``: residual factor ``(1 - lr k / n)^{t / lr}``."""

    lr: float = 1.0

    def _decay(self, t: np.ndarray) -> np.ndarray:
        steps = np.rint(t / self.lr)[:, None]
        return np.power(1.0 - self.lr * self.eigval[None, :] / self.n_norm, steps)

    def _gain(self, t):
        k = self.eigval[None, :]
        steps = np.rint(t / self.lr)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(k > 1e-12 * max(self.eigval.max(), 1e-300), (1.0 - self._decay(t)) / k,
                            steps * self.lr / self.n_norm)


def kernel_gd(K, y, f0=None, *, lr: float, K_test=None, f0_test=None, reduction: str = "mean") -> KernelGD:
    """Like :func:`kernel_flow` for full-batch GD with step ``lr`` (time ``t = lr * step``).

    The linearised model's residual after ``m`` steps is ``(I - lr K / n)^m r_0``
    exactly; it tends to the flow as ``lr -> 0``.
    """
    from theorylab._validate import check_positive

    check_positive("lr", lr)
    flow = kernel_flow(K, y, f0, K_test=K_test, f0_test=f0_test, reduction=reduction)
    return KernelGD(flow.eigval, flow.eigvec, flow.r0, flow.y, flow.K_test, flow.f0_test, flow.n_norm, lr)


def kernel_flow(K, y, f0=None, *, K_test=None, f0_test=None, reduction: str = "mean") -> KernelFlow:
    """Factorise kernel gradient flow on a training set (see module docstring).

    Parameters
    ----------
    K : (n, n) symmetric PSD kernel on the training inputs.
    y : (n,) or (n, k) targets;  f0 : same shape, initial outputs (default 0).
    K_test : (m, n) kernel between test and train inputs;  f0_test : (m,) or (m, k).
    reduction : "mean" or "sum", the loss normalisation (sets ``n`` in ``e^{-Kt/n}``).
    """
    check_choice("reduction", reduction, ("mean", "sum"))
    K = np.asarray(K, float)
    n = K.shape[0]
    check_shape("K", K, (n, n))
    if not np.allclose(K, K.T, rtol=1e-10, atol=1e-12 * max(np.abs(K).max(), 1.0)):
        raise ValueError("K must be symmetric")
    y = np.asarray(y, float).reshape(n, -1)
    f0 = np.zeros_like(y) if f0 is None else np.asarray(f0, float).reshape(y.shape)
    lam, V = np.linalg.eigh(K)
    if lam.min() < -1e-8 * max(lam.max(), 1.0):          # beyond round-off: not a kernel
        raise ValueError(f"K must be positive semi-definite, smallest eigenvalue {lam.min():.3g}")
    lam = np.clip(lam, 0, None)
    if K_test is not None:
        K_test = np.asarray(K_test, float)
        check_shape("K_test", K_test, (None, n))
        f0_test = (np.zeros((K_test.shape[0], y.shape[1])) if f0_test is None
                   else np.asarray(f0_test, float).reshape(K_test.shape[0], -1))
    return KernelFlow(lam, V, V.T @ (f0 - y), y, K_test, f0_test, float(n) if reduction == "mean" else 1.0)


def quadratic_ntk_eigenvalues(D: int, eps: float) -> tuple[float, float, float]:
    r"""Eigenvalues of the infinite-width initial NTK ``K0(x, x') = x.x' + eps^2 (x.x')^2`` on ``N(0, I/D)``.

    Kumar et al. 2024 (arXiv:2310.06110), sec. 4 (overall factor dropped):

    * linear modes ``v . x`` (multiplicity D): ``1 / D``;
    * traceless quadratics ``x^T B x``, ``Tr B = 0`` (multiplicity ``D(D+1)/2 - 1``): ``2 eps^2 / D^2``
      (the paper's main text has the typo ``2 eps / D^2``);
    * the norm mode ``|x|^2``: ``eps^2 (D + 2) / D^2``.

    From ``E[x'_i x'_j x'_k x'_l] = (d_ij d_kl + d_ik d_jl + d_il d_jk) / D^2``.
    Returns ``(linear, traceless_quadratic, norm_mode)``.
    """
    from theorylab._validate import check_int

    D = check_int("D", D)
    return 1.0 / D, 2.0 * eps**2 / D**2, eps**2 * (D + 2) / D**2
