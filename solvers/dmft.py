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

Clock: DMFT time :data:`DMFT_TIME`, gradient flow of ``gamma^2 L`` (:data:`DMFT_LOSS`).
It is *not* gradient-flow time of ``L`` rescaled by a constant shared across
widths: ``gamma^2 = gamma0^2 N`` depends on the width, and at fixed ``gamma0`` the
dynamics of every width (and of the infinite-width theory) coincide on DMFT time
only.  A width-``N`` network trained by GD at ``lr = gamma^2 dt`` on ``L`` takes
Euler steps of ``dt`` on ``gamma^2 L`` (the parameters move by the same amount):
:func:`dmft_steps` states that on the clock instead of dividing times by ``gamma^2``.
"""
from __future__ import annotations

import numpy as np

from theorylab._validate import check_nonnegative, check_positive
from theorylab.clock import HALF_SUM, Clock
from theorylab.trajectory import Trajectory

from ._ode import solve_at

__all__ = ["two_layer_linear_error", "two_layer_linear_final_kernel", "dmft_two_layer", "dmft_deep_linear",
           "DMFT_LOSS", "DMFT_TIME", "euler_clock", "dmft_steps"]

#: The loss whose gradient flow is DMFT time: ``d theta/dt = -gamma^2 dL/dtheta``.
DMFT_LOSS = "gamma^2 L, L = 1/2 sum_mu (y_mu - f_mu)^2, gamma = gamma0 sqrt(N) (d theta/dt = -gamma^2 dL/dtheta)"
#: DMFT time (Bordelon & Pehlevan 2022): the common clock of every width at fixed gamma0.
DMFT_TIME = Clock.gradient_flow(DMFT_LOSS, unit="DMFT time")


def euler_clock(dt: float) -> Clock:
    """Euler steps of ``dt`` on DMFT time: ``t_DMFT = dt * step``."""
    check_positive("dt", dt)
    return Clock.steps(dt, DMFT_LOSS, unit="Euler step of DMFT time")


def dmft_steps(traj: Trajectory, *, gamma: float, dt: float) -> Trajectory:
    """A run of GD at ``lr = gamma^2 dt`` on ``L = 1/2 sum (y - f)^2``, recorded in steps, on :data:`DMFT_TIME`.

    ``traj`` comes from ``train(..., TrainConfig(lr=gamma**2 * dt, reduction="sum", time="steps"))``:
    its clock is ``Clock.steps(gamma^2 dt, HALF_SUM)``, checked here.  One such step is one
    Euler step of ``dt`` on ``gamma^2 L`` (same parameter update), so the step counts are
    restated on :func:`euler_clock` ``(dt)`` and converted to DMFT time by the clock.
    """
    check_positive("gamma", gamma)
    check_positive("dt", dt)
    c = traj.clock
    in_steps = c is not None and c.loss == HALF_SUM and c.symbol == "step"
    if not (in_steps and np.isclose(c.scale, gamma**2 * dt, rtol=1e-12, atol=0.0)):
        raise ValueError(f"traj must be recorded in GD steps of lr = gamma^2 dt = {gamma**2 * dt:.6g} on {HALF_SUM!r} "
                         f"(TrainConfig(time='steps', reduction='sum')), got clock {c.describe() if c else None!r}")
    meta = {**traj.meta, "trained_clock": c.describe()}
    return Trajectory(traj.t, traj.obs, meta, traj.n_seeds, euler_clock(dt)).on_clock(DMFT_TIME)


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

    Returns a Trajectory on :data:`DMFT_TIME` at the Euler steps nearest to ``t``
    (``dt * round(t / dt)``) with ``train_loss`` (``1/2 sum Delta^2``),
    ``test_loss`` (mean over test points of ``1/2 (y - f)^2``, when given) and
    the feature kernel ``Phi[mu, nu] = E[phi(h_mu) phi(h_nu)]`` on the training set.
    """
    import torch

    from theorylab.nets import TwoLayerMF
    from theorylab.train import TrainConfig, record_steps, train

    X = np.asarray(X, float)
    y = np.asarray(y, float).reshape(len(X), 1)
    check_positive("dt", dt)
    net = TwoLayerMF(X.shape[1], n_particles, seeds=[seed], gamma0=gamma0, activation=activation, antithetic=True,
                     dtype="float64", device=device)
    xx = net.as_input(X)
    obs = {"Phi": lambda m: torch.einsum("ebn,ecn->ebc", m._phi(m.hidden(xx)), m._phi(m.hidden(xx))) / m.N}
    test = None if X_test is None else (X_test, np.asarray(y_test, float).reshape(len(X_test), 1))
    t = np.atleast_1d(np.asarray(t, float))
    check_nonnegative("t", t)
    steps = record_steps(t, dt)                      # Euler steps of dt on DMFT time
    traj = train(net, X, y, TrainConfig(lr=net.gamma**2 * dt, t_record=steps, reduction="sum", time="steps"),
                 observables=obs, test=test)
    out = {"train_loss": traj["loss"][:, 0], "Phi": traj["Phi"][:, 0]}
    if test is not None:
        out["test_loss"] = traj["test_loss"][:, 0]
    meta = {"loss": "L = 1/2 sum_mu (y_mu - f_mu)^2 (train); test: mean of 1/2 (y - f)^2", "gamma0": gamma0,
            "n_particles": n_particles, "activation": activation, "dt": dt}
    return dmft_steps(Trajectory(traj.t, out, meta, clock=traj.clock), gamma=net.gamma, dt=dt)


def dmft_deep_linear(t_max: float, y_norm: float, gamma0: float, depth: int, *, n_steps: int = 200,
                     damping: float = 0.6, tol: float = 1e-10, max_iter: int = 500):
    r"""Self-consistent DMFT of a deep *linear* network (``depth`` hidden layers), whitened inputs.

    Network (:class:`~theorylab.nets.MeanFieldMLP`, ``phi(h) = h``): ``h^1 = W^0 x / sqrt(D)``,
    ``h^{l+1} = W^l h^l / sqrt(N)``, ``f = w^L . h^L / (gamma0 N)``, gradient flow
    ``d theta/dt = -gamma0^2 N grad L`` on ``L = 1/2 sum (y - f)^2``.  With whitened inputs
    the residual stays along ``y``, so one effective input of target ``|y|`` carries the dynamics.

    Single-site equations (derived by Gaussian integration by parts of ``W^l(0)``; Bordelon
    & Pehlevan 2022, Sec. 4, in our normalisation), with ``g^l = W^l^T g^{l+1} / sqrt(N)``,
    ``g^L = w^L``:

    .. math:: h^\ell(t) = \chi^\ell(t) + \int_0^t ds\,[A^{\ell-1}(t,s) + \gamma_0 \Phi^{\ell-1}(t,s)\Delta(s)]\,g^\ell(s),

    .. math:: g^\ell(t) = \xi^\ell(t) + \int_0^t ds\,[B^{\ell}(t,s) + \gamma_0 G^{\ell+1}(t,s)\Delta(s)]\,h^\ell(s),

    with independent Gaussian sources ``chi^l ~ GP(0, Phi^{l-1})``, ``xi^l ~ GP(0, G^{l+1})``
    (``Phi^0 = G^{L+1} = 1``, no ``A^0``, ``B^L``), kernels ``Phi^l = <h^l h^l>``,
    ``G^l = <g^l g^l>``, responses ``A^l = <dh^l / dxi^l>``, ``B^l = <dg^{l+1} / dchi^{l+1}>``,
    and ``dDelta/dt = -K(t) Delta`` with the NTK ``K(t) = sum_{l=0}^{L} G^{l+1}(t,t) Phi^l(t,t)``.

    Because the network is linear, the fields are *linear* in the sources: on a time grid
    ``h = R (chi + P xi)``, ``g = xi + Q h``, ``R = (I - P Q)^{-1}`` (``P``, ``Q`` strictly
    lower-triangular quadratures of the brackets above), so the kernels are Gaussian
    expectations in closed form -- the "sample fields" step of the general iteration is
    exact here.  One iteration: (i) ``Delta`` from the current ``K``; (ii)-(iv) each layer's
    ``Phi``, ``G``, ``A``, ``B`` from its neighbours'; (v) damped update, until ``Delta``
    changes by less than ``tol``.  ``depth = 1`` reproduces :func:`two_layer_linear_error`
    (``K(0) = depth + 1``).  Time: left-point rule on ``n_steps`` steps, error O(dt).

    Returns a Trajectory on :data:`DMFT_TIME` with ``Delta``, ``f``, ``ntk`` and the equal-time
    kernels ``Phi`` and ``G`` (T, depth); its meta holds the iteration count and last change.
    """
    from theorylab._validate import check_int

    check_positive("t_max", t_max)
    check_positive("y_norm", y_norm)
    check_positive("gamma0", gamma0)
    L = check_int("depth", depth)
    T = check_int("n_steps", n_steps, minimum=2) + 1
    if not 0 < damping <= 1:
        raise ValueError(f"damping must be in (0, 1], got {damping}")
    dt = t_max / (T - 1)
    t = np.arange(T) * dt
    strict = np.tril(np.ones((T, T)), -1) * dt           # int_0^{t_k} ds F(s) ~ sum_{j<k} F(s_j) dt
    eye = np.eye(T)
    ones = np.ones((T, T))
    Phi = [ones] + [ones.copy() for _ in range(L)]          # Phi^0 .. Phi^L   (index l)
    G = [None] + [ones.copy() for _ in range(L)] + [ones]   # G^1 .. G^{L+1}   (index l)
    A = [np.zeros((T, T)) for _ in range(L + 1)]            # A^0 .. A^L (A^0 = 0)
    B = [np.zeros((T, T)) for _ in range(L + 1)]            # B^0 .. B^L (B^L = 0)

    def residual(Phi, G):
        K = sum(np.diag(G[l + 1]) * np.diag(Phi[l]) for l in range(L + 1))
        d = np.empty(T)
        d[0] = y_norm
        for k in range(T - 1):                                 # dDelta/dt = -K Delta, exact per step
            d[k + 1] = d[k] * np.exp(-K[k] * dt)
        return d, K

    def mix(old, new):
        """Damped update; entries the layer loop never rewrote (Phi^0, G^{L+1}, A^0, B^L) stay as they are."""
        return [o if o is n else (1 - damping) * o + damping * n for o, n in zip(old, new)]

    delta, _ = residual(Phi, G)
    change = np.inf
    for it in range(1, max_iter + 1):
        newPhi, newG, newA, newB = list(Phi), list(G), list(A), list(B)
        for l in range(1, L + 1):
            Pm = A[l - 1] + gamma0 * Phi[l - 1] * delta[None, :] * strict
            Qm = B[l] + gamma0 * G[l + 1] * delta[None, :] * strict
            R = np.linalg.solve(eye - Pm @ Qm, eye)
            RP, QR = R @ Pm, Qm @ R
            # h = R chi + RP xi,  g = QR chi + (I + Q R P) xi
            newPhi[l] = R @ Phi[l - 1] @ R.T + RP @ G[l + 1] @ RP.T
            gx = eye + Qm @ RP
            newG[l] = QR @ Phi[l - 1] @ QR.T + gx @ G[l + 1] @ gx.T
            newA[l] = RP
            newB[l - 1] = QR
        Phi, G, A, B = mix(Phi, newPhi), mix(G, newG), mix(A, newA), mix(B, newB)
        new_delta, K = residual(Phi, G)
        change = float(np.max(np.abs(new_delta - delta)))
        delta = new_delta
        if change < tol * y_norm:
            break
    else:
        raise RuntimeError(f"dmft_deep_linear did not converge in {max_iter} iterations (last change {change:.3g}); "
                           "lower damping or gamma0 * t_max")
    obs = {"Delta": delta, "f": y_norm - delta, "ntk": K,
           "Phi": np.stack([np.diag(Phi[l]) for l in range(1, L + 1)], axis=1),
           "G": np.stack([np.diag(G[l]) for l in range(1, L + 1)], axis=1)}
    return Trajectory(t, obs, {"loss": "L = 1/2 (|y| - f)^2 along y (whitened inputs)", "gamma0": gamma0,
                               "depth": L, "iterations": it, "last_change": change, "dt": dt}, clock=DMFT_TIME)
