r"""Dynamical mean-field theory (DMFT) of wide networks: closed cases.

Bordelon & Pehlevan 2022, "Self-consistent dynamical field theory of kernel
evolution in wide neural networks" (NeurIPS; arXiv:2205.09653).

Parametrisation ``f = a . phi(h) / (gamma sqrt(N))``, ``h = W x / sqrt(D)``,
gradient flow ``d theta / dt = -gamma^2 grad L`` with ``L = 1/2 sum_mu (y_mu - f_mu)^2``,
infinite width at fixed ``gamma0 = gamma / sqrt(N)`` (``gamma0 -> 0``: static NTK).

Two-layer *linear* network, whitened training inputs (``x_mu . x_nu / D = delta``):
the error ``Delta = y - f`` stays parallel to ``y`` and its norm obeys

.. math:: \partial_t \Delta = -2 \sqrt{1 + \gamma_0^2 (|y| - \Delta)^2}\, \Delta .

Derivation (checked against simulation in the tests): per neuron,
``dh_par/dt = gamma0 a Delta`` and ``da/dt = gamma0 h_par Delta``, so
``u = a + h_par`` grows as ``e^{gamma0 S}`` and ``v = a - h_par`` decays as
``e^{-gamma0 S}`` with ``S = int Delta dt``.  Averaging over neurons
(``E u^2 = E v^2 = 2`` at init) gives ``f = sinh(2 gamma0 S) / gamma0`` and the NTK
along ``y`` ``K = H_yy + A = 2 cosh(2 gamma0 S) = 2 sqrt(1 + gamma0^2 f^2)``.
The factor 2 (first and second layer each contribute 1 at init) is dropped in
the paper's text; ``gamma0 -> 0`` gives ``Delta = |y| e^{-2t}``.  The hidden
kernel along ``y`` ends at ``H_y = sqrt(1 + gamma0^2 |y|^2)``.
"""
from __future__ import annotations

import numpy as np
from theorylab._validate import check_nonnegative, check_positive

from ._ode import solve_at

__all__ = ["two_layer_linear_error", "two_layer_linear_final_kernel", "dmft_two_layer"]


def two_layer_linear_error(t, y_norm: float, gamma0: float, *, rtol: float = 1e-10) -> np.ndarray:
    r"""Error norm ``Delta(t) = |y - f(t)|`` of the whitened two-layer linear DMFT (see module doc)."""
    check_positive("y_norm", y_norm)
    check_nonnegative("gamma0", gamma0)
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    if gamma0 == 0:
        return y_norm * np.exp(-2 * t)
    # integrate log Delta: d log Delta / dt = -2 sqrt(1 + gamma0^2 (y - Delta)^2)
    z = solve_at(lambda _, z: -2 * np.sqrt(1 + gamma0**2 * (y_norm - np.exp(z)) ** 2), [np.log(y_norm)], t,
                 name="two_layer_linear_error", rtol=rtol, atol=1e-12, method="DOP853")
    return np.exp(z[:, 0])


def two_layer_linear_final_kernel(y_norm: float, gamma0: float) -> float:
    """``H_y = sqrt(1 + gamma0^2 |y|^2)``: the hidden kernel along ``y`` after training."""
    check_positive("y_norm", y_norm)
    check_nonnegative("gamma0", gamma0)
    return float(np.sqrt(1 + gamma0**2 * y_norm**2))


def dmft_two_layer(X, y, *, gamma0: float, t, activation: str = "tanh", n_particles: int = 32768,
                   dt: float = 1e-3, X_test=None, y_test=None, seed: int = 0, device=None):
    r"""Two-layer DMFT at fixed ``gamma0``, any activation: the mean-field particle system.

    In the infinite-width limit the neurons ``(w_i, a_i)`` are i.i.d. given the
    residual ``Delta(t) = y - f(t)`` on the training set and evolve as

    .. math:: \dot a = \gamma_0 \sum_\mu \Delta_\mu \phi(h_\mu),\qquad
              \dot w = \gamma_0\, a \sum_\mu \Delta_\mu \phi'(h_\mu)\, x_\mu / \sqrt D,\qquad
              f_\mu = \gamma_0^{-1}\, \mathbb{E}[a\, \phi(h_\mu)],

    ``h_mu = w . x_mu / sqrt(D)``.  The expectation is sampled with
    ``n_particles`` neurons drawn in antithetic pairs (so ``f(0) = 0`` exactly)
    and the system is integrated by Euler steps of ``dt`` -- which is GD of a
    width-``n_particles`` :class:`~theorylab.nets.TwoLayerMF` network with
    ``lr = gamma^2 dt`` on ``L = 1/2 sum (y - f)^2``.  Its own sampling error is
    ``O(n_particles^{-1/2})``: choose it well above the widths compared with.

    Returns a Trajectory on ``t`` with ``train_loss`` (``1/2 sum Delta^2``),
    ``test_loss`` (mean over test points of ``1/2 (y - f)^2``, when given) and
    the feature kernel ``Phi[mu, nu] = E[phi(h_mu) phi(h_nu)]`` on the training set.
    """
    import torch

    from theorylab.nets import TwoLayerMF
    from theorylab.train import TrainConfig, train

    X = np.asarray(X, float)
    y = np.asarray(y, float).reshape(len(X), 1)
    check_positive("dt", dt)
    net = TwoLayerMF(X.shape[1], n_particles, seeds=[seed], gamma0=gamma0, activation=activation, antithetic=True,
                     dtype="float64", device=device)
    xx = net.as_input(X)
    obs = {"Phi": lambda m: torch.einsum("ebn,ecn->ebc", m._phi(m.hidden(xx)), m._phi(m.hidden(xx))) / m.N}
    test = None if X_test is None else (X_test, np.asarray(y_test, float).reshape(len(X_test), 1))
    t = np.atleast_1d(np.asarray(t, float))
    traj = train(net, X, y, TrainConfig(lr=net.gamma**2 * dt, t_record=net.gamma**2 * t, reduction="sum"),
                 observables=obs, test=test)
    out = {"train_loss": traj["loss"][:, 0], "Phi": traj["Phi"][:, 0]}
    if test is not None:
        out["test_loss"] = traj["test_loss"][:, 0]
    from theorylab.trajectory import Trajectory

    return Trajectory(traj.t / net.gamma**2, out, {"time": "gradient-flow time, d theta/dt = -gamma^2 grad L",
                                                   "loss": "L = 1/2 sum_mu (y_mu - f_mu)^2 (train); test: mean of "
                                                           "1/2 (y - f)^2", "gamma0": gamma0,
                                                   "n_particles": n_particles, "activation": activation})
