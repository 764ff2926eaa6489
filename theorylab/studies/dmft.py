r"""Studies of dynamical mean-field theory (DMFT) of wide two-layer networks (Bordelon & Pehlevan 2022).

Paper: "Self-consistent dynamical field theory of kernel evolution in wide neural
networks", NeurIPS 2022 (arXiv:2205.09653).  Parametrisation (:class:`~theorylab.nets.TwoLayerMF`)
``f = a . phi(W x / sqrt(D)) / (gamma sqrt(N))`` with ``gamma = gamma0 sqrt(N)``; gradient flow
``d theta/dt = -gamma^2 dL/dtheta`` on ``L = 1/2 sum_mu (y_mu - f_mu)^2``, discretised by GD at
``lr = gamma^2 dt``.  At fixed ``gamma0`` every width follows the same dynamics up to
``O(N^-1/2)`` fluctuations, and the infinite-width limit is the DMFT.

Clock of every trajectory: DMFT time (:data:`~theorylab.solvers.dmft.DMFT_TIME`, gradient flow of
``gamma^2 L``).  A network trained in GD steps is put on it by
:func:`~theorylab.solvers.dmft.dmft_steps` (one step of ``gamma^2 dt`` on ``L`` is an Euler step
of ``dt`` on ``gamma^2 L``): no time is divided by ``gamma^2`` by hand, and networks of
different widths (different ``gamma``) land on one clock.

Data (``data_seed``): ``activation="linear"``: ``P = D`` whitened inputs ``x_mu . x_nu / D = delta``
(scaled orthogonal matrix) and ``y ~ N(0, I_P)``; otherwise ``x ~ N(0, I_D)`` and
``y = tanh(x . v / sqrt(D))``, ``v ~ N(0, I_D)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_choice, check_int, check_positive
from theorylab.compare import common_grid, on_common_clock
from theorylab.nets import TwoLayerMF
from theorylab.nets.mlp import ACTIVATIONS
from theorylab.solvers.dmft import DMFT_TIME, dmft_steps, dmft_two_layer, euler_clock, two_layer_linear_error
from theorylab.study import Study
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

__all__ = ["TwoLayerTheory", "TwoLayerWidth", "two_layer_data", "finite_width_rms"]


def two_layer_data(activation: str, P: int, D: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (P, D) and targets (P, 1) of the two-layer studies (module docstring)."""
    g = np.random.default_rng(seed)
    if activation == "linear":
        X = np.sqrt(D) * np.linalg.qr(g.normal(size=(D, D)))[0]          # whitened
        return X, g.normal(size=(D, 1))
    X = g.normal(size=(P, D))
    return X, np.tanh(X @ g.normal(size=D) / np.sqrt(D))[:, None]


@dataclass(frozen=True)
class _TwoLayer(Study):
    """Fields shared by the two-layer studies: data, ``gamma0`` and the time grid."""

    family = "dmft"
    activation: str = "tanh"
    P: int = 10
    D: int = 6
    data_seed: int = 0
    gamma0: float = 1.0
    dt: float = 2e-3
    t_max: float = 2.0
    n_rec: int = 11

    def validate(self) -> None:
        check_choice("activation", self.activation, ACTIVATIONS)
        check_int("P", self.P)
        check_int("D", self.D)
        check_int("data_seed", self.data_seed, minimum=0)
        for name in ("gamma0", "dt", "t_max"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        if self.activation == "linear" and self.P != self.D:
            raise ValueError(f"P must equal D for whitened linear data, got P={self.P}, D={self.D}")
        if self.t_max < self.dt:
            raise ValueError(f"t_max must be at least one step dt = {self.dt:g}, got {self.t_max:g}")

    def data(self):
        return two_layer_data(self.activation, self.P, self.D, self.data_seed)

    def steps(self) -> np.ndarray:
        """Euler steps of ``dt`` nearest to ``n_rec`` equally spaced times in ``[0, t_max]``."""
        return record_steps(np.linspace(0.0, self.t_max, self.n_rec), self.dt)

    def times(self) -> np.ndarray:
        """The recorded DMFT times: ``steps()`` converted by the Euler clock, as the networks' are."""
        return DMFT_TIME.convert(self.steps(), euler_clock(self.dt))


@dataclass(frozen=True)
class TwoLayerTheory(_TwoLayer):
    """The infinite-width two-layer DMFT at fixed ``gamma0`` (theory only; experiment None).

    ``activation="linear"``: the closed error dynamics ``dDelta/dt = -2 sqrt(1 + gamma0^2 (|y| - Delta)^2) Delta``
    (:func:`~theorylab.solvers.dmft.two_layer_linear_error`); otherwise the mean-field particle
    solver (:func:`~theorylab.solvers.dmft.dmft_two_layer`, ``particles`` antithetic neurons,
    Euler steps ``dt``, seed ``particle_seed``; its own sampling error is ``O(particles^-1/2)``).
    Observables (T,): ``train_loss`` ``1/2 sum (y - f)^2`` and ``error`` ``|y - f|``.
    Clock: DMFT time, at the Euler steps nearest to ``linspace(0, t_max, n_rec)``.
    """

    particles: int = 32768
    particle_seed: int = 0

    def validate(self) -> None:
        super().validate()
        check_int("particles", self.particles, minimum=2)
        check_int("particle_seed", self.particle_seed, minimum=0)

    @classmethod
    def example(cls) -> "TwoLayerTheory":
        return cls(activation="tanh", P=4, D=3, particles=256, dt=0.05, t_max=0.5, n_rec=3)

    def theory(self) -> Trajectory:
        X, y = self.data()
        if self.activation == "linear":
            t = self.times()
            err = two_layer_linear_error(t, float(np.linalg.norm(y)), self.gamma0)
            return Trajectory(t, {"train_loss": 0.5 * err**2, "error": err}, {"solver": "two_layer_linear_error"},
                              clock=DMFT_TIME)
        ref = dmft_two_layer(X, y, gamma0=self.gamma0, t=self.times(), activation=self.activation,
                             n_particles=self.particles, dt=self.dt, seed=self.particle_seed)
        return Trajectory(ref.t, {"train_loss": ref["train_loss"], "error": np.sqrt(2 * ref["train_loss"])},
                          {**ref.meta, "solver": "dmft_two_layer"}, clock=ref.clock)


@dataclass(frozen=True)
class TwoLayerWidth(_TwoLayer):
    """Width-``N`` two-layer networks at fixed ``gamma0`` (experiment only; theory None: see :class:`TwoLayerTheory`).

    ``seeds`` float64 :class:`~theorylab.nets.TwoLayerMF` networks (seeds ``0..seeds-1``) trained
    by full-batch GD at ``lr = gamma^2 dt`` on ``L = 1/2 sum (y - f)^2``, recorded in steps and
    put on DMFT time by :func:`~theorylab.solvers.dmft.dmft_steps`.  Observables (T, E):
    ``train_loss`` and ``error`` ``|y - f|``.
    """

    width: int = 256
    seeds: int = 6

    def validate(self) -> None:
        super().validate()
        check_int("width", self.width)
        check_int("seeds", self.seeds)

    @classmethod
    def example(cls) -> "TwoLayerWidth":
        return cls(activation="tanh", P=4, D=3, width=16, seeds=2, dt=0.05, t_max=0.5, n_rec=3)

    def experiment(self) -> Trajectory:
        X, y = self.data()
        net = TwoLayerMF(self.D, self.width, seeds=range(self.seeds), gamma0=self.gamma0, activation=self.activation,
                         dtype="float64", device="cpu")
        cfg = TrainConfig(lr=net.gamma**2 * self.dt, t_record=self.steps(), reduction="sum", time="steps")
        tr = dmft_steps(train(net, X, y, cfg), gamma=net.gamma, dt=self.dt)
        return Trajectory(tr.t, {"train_loss": tr["loss"], "error": np.sqrt(2 * tr["loss"])},
                          {**tr.meta, "width": self.width}, n_seeds=self.seeds, clock=tr.clock)


def finite_width_rms(theory: Trajectory, networks: Trajectory, name: str = "train_loss") -> float:
    """RMS over recorded times and seeds of ``networks[name] - theory[name]`` on one clock.

    The spread of single networks around the DMFT, not of their seed mean: it shrinks like
    ``N^-1/2`` (fluctuations) as long as the ``O(1/N)`` bias of the mean is smaller.
    """
    theory, networks = on_common_clock(theory, networks)
    t = common_grid(theory, networks)
    a = theory.select([name]).interp(t)[name]
    b = networks.select([name]).interp(t)[name]
    return float(np.sqrt(np.mean((b - a[:, None]) ** 2)))
