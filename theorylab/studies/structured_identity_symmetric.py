r"""SIM studies of the symmetric two-layer linear network ``f = U U^T x`` (arXiv:2410.08309, secs. 4-5; Figs. 5, 8-10, 17).

Task in concept coordinates: ``d`` axes, the first ``s`` carry concepts with
rates ``a_k = mu_k^2 / s + sigma_k^2`` (no origin cluster, noise given as a
standard deviation), the other ``d - s`` rate 0; the OOD probe is
``z = (mu, 0)``.  Losses: population ``L = 1/2 ||(W - I) A^{1/2}||_F^2`` (``loss``) and
``1/2 ||W z - z||^2`` (``ood_loss``).

Experiment: ``U U^T`` networks (``SymmetricLinear``, float64) trained by full-batch
GD at ``lr`` on population data ``X = sqrt(d) diag(sqrt(a))`` (``X^T X / P = A``
exactly, so the empirical loss is the population loss), clock
:data:`~.structured_identity.GF` (``t = lr step``).
Theory: the U-space flow ``dU/dt = -1/2 [(W - I) A + A (W - I)] U`` (PSD by
construction), i.e. ``dW/dt = V(W)`` on the paper's clock
:data:`~.structured_identity.PAPER` (``t_paper = 2 t_gf``); comparators convert
the experiment onto it.  ``rates="A2"`` variants reproduce the authors' theory
scripts, which use ``a_k^2`` where the equations have ``a_k``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.nets import SymmetricLinear
from theorylab.solvers import sim
from theorylab.study import Study
from theorylab.tasks import SIMConfig, concept_rates
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

from .structured_identity import GF, PAPER

__all__ = ["SymmetricSIM", "SwingByStages", "symmetric_task"]


def symmetric_task(signal, noise_std: float, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Rates ``a`` (d,) and OOD probe ``z`` (d,) in concept coordinates (padding axes: rate 0)."""
    s = len(signal)
    a = np.r_[concept_rates(SIMConfig(tuple(signal), noise_std=noise_std, dim=d)), np.zeros(d - s)]
    return a, np.r_[np.asarray(signal, float), np.zeros(d - s)]


def _population_data(a: np.ndarray) -> np.ndarray:
    """``X = sqrt(d) diag(sqrt(a))``: ``d`` points whose ``X^T X / d = A`` exactly."""
    return np.sqrt(a.size) * np.diag(np.sqrt(a))


def _check_task(signal, noise_std, d) -> None:
    if not signal:
        raise ValueError("signal must list at least one concept strength")
    check_positive("signal", signal)
    check_nonnegative("noise_std", noise_std)
    check_int("d", d)
    if d < len(signal):
        raise ValueError(f"d must be >= the number of concepts {len(signal)}, got {d}")


def _ood_observable(net, z):
    zt = net.as_input(z)
    return lambda m: 0.5 * ((m.weight() @ zt - zt) ** 2).sum(-1)


@dataclass(frozen=True)
class SymmetricSIM(Study):
    """Swing-by and multiple descent: trained ``U U^T`` networks over the U-space theory, one per init (Figs. 8-10, 17).

    Inits (one per member ``e < seeds``, shape (d, d)): ``init="uniform"``:
    ``U0 = init_scale * uniform(0, 1)`` drawn by ``numpy.random.default_rng(init_seed + e)``
    (the paper's Fig. 5 draw with ``init_scale = 0.2``); ``init="aligned"``:
    ``U0 = init_scale (1 1^T / sqrt(d) + 0.1 I)`` (off-diagonal entries of ``W0``
    as large as the diagonal ones; every member equal).
    Experiment: GD at ``lr`` from each ``U0`` (module docstring), recorded at
    ``n_rec`` points of ``[0, t_paper]`` (paper time; rounded to the step grid):
    ``loss`` and ``ood_loss`` (T, E).
    Theory: the U-space flow with rates A from the same ``U0``, at the same
    times on the :data:`PAPER` clock, same names (T, E) with ``n_seeds = E``;
    with ``rates_A2`` also ``ood_loss_A2`` (the authors' ``A^2`` rates).
    """

    family = "structured_identity"
    signal: tuple[float, ...] = (1.0, 1.5)
    noise_std: float = 0.05
    d: int = 3
    init: str = "uniform"
    init_scale: float = 0.2
    init_seed: int = 1000
    seeds: int = 1
    t_paper: float = 10.0
    lr: float = 0.005
    n_rec: int = 101
    rates_A2: bool = False

    def validate(self) -> None:
        _check_task(self.signal, self.noise_std, self.d)
        check_choice("init", self.init, ("uniform", "aligned"))
        check_positive("init_scale", self.init_scale)
        check_int("init_seed", self.init_seed, minimum=0)
        check_int("seeds", self.seeds)
        check_positive("t_paper", self.t_paper)
        check_positive("lr", self.lr)
        check_int("n_rec", self.n_rec, minimum=2)

    @classmethod
    def example(cls) -> "SymmetricSIM":
        return cls(seeds=2, t_paper=2.0, lr=0.02, n_rec=11, rates_A2=True)

    def task(self) -> tuple[np.ndarray, np.ndarray]:
        """Rates ``a`` and probe ``z`` (concept coordinates, length d)."""
        return symmetric_task(self.signal, self.noise_std, self.d)

    def inits(self) -> np.ndarray:
        """``U0`` of every member, (E, d, d)."""
        d = self.d
        if self.init == "aligned":
            return np.broadcast_to(self.init_scale * (np.ones((d, d)) / np.sqrt(d) + 0.1 * np.eye(d)),
                                   (self.seeds, d, d)).copy()
        return np.stack([np.random.default_rng(self.init_seed + e).uniform(0, 1, (d, d)) * self.init_scale
                         for e in range(self.seeds)])

    def record_times(self) -> np.ndarray:
        """The experiment's record times on the GF clock (``t = lr step``)."""
        t_gf = GF.convert(np.linspace(0.0, self.t_paper, self.n_rec), PAPER)
        return record_steps(t_gf, self.lr) * self.lr

    def theory(self) -> Trajectory:
        a, z = self.task()
        t = PAPER.convert(self.record_times(), GF)
        U0 = self.inits()
        W = [sim.two_layer_symmetric(t, a, U, convention="paper") for U in U0]
        obs = {"ood_loss": np.stack([sim.ood_loss(w, z) for w in W], axis=1),
               "loss": np.stack([sim.train_loss(w, a) for w in W], axis=1)}
        if self.rates_A2:
            obs["ood_loss_A2"] = np.stack([sim.ood_loss(sim.two_layer_symmetric(t, a, U, convention="paper",
                                                                                rates="A2"), z) for U in U0], axis=1)
        return Trajectory(t, obs, {"solver": "two_layer_symmetric (U-space)", "rates": a.tolist()},
                          n_seeds=self.seeds, clock=PAPER)

    def experiment(self) -> Trajectory:
        a, z = self.task()
        X = _population_data(a)
        net = SymmetricLinear(self.d, seeds=list(range(self.seeds)), U0=self.inits(), dtype="float64", device="cpu")
        return train(net, X, X, TrainConfig(lr=self.lr, t_record=self.record_times()),
                     observables={"ood_loss": _ood_observable(net, z)})


@dataclass(frozen=True)
class SwingByStages(Study):
    """The stages of swing-by from one init, in theory and in a trained ``U U^T`` network (Fig. 5).

    Init: ``U0 = init_scale * uniform(0, 1)`` (d, d) from ``default_rng(init_seed)``.
    Theory (clock :data:`PAPER`, grid ``eta * [0, 1, ..., steps]``): ``W`` (T, d, d),
    the U-space flow with rates A; ``W_wspace``, the same flow integrated
    directly in ``W`` (a cross-check); ``W_A2``, the authors' recurrence (Euler
    steps of size ``eta`` in U-space with rates ``A^2``); ``ood_loss``,
    ``ood_loss_A2`` and ``loss`` (T,); the growth / suppression / interaction
    split of ``dW/dt`` (eq. 7) of ``W``: ``growth``, ``suppression``, ``interaction`` (T, d, d).
    Experiment: one network trained by GD at ``lr`` (module docstring), recorded
    every ``record_every`` theory points: ``W`` (T, 1, d, d), ``ood_loss`` and ``loss``.
    """

    family = "structured_identity"
    signal: tuple[float, ...] = (1.0, 1.5)
    noise_std: float = 0.05
    d: int = 3
    init_scale: float = 0.2
    init_seed: int = 2
    eta: float = 0.01
    steps: int = 2000
    lr: float = 0.005
    record_every: int = 10

    def validate(self) -> None:
        _check_task(self.signal, self.noise_std, self.d)
        check_positive("init_scale", self.init_scale)
        check_int("init_seed", self.init_seed, minimum=0)
        check_positive("eta", self.eta)
        check_int("steps", self.steps)
        check_positive("lr", self.lr)
        check_int("record_every", self.record_every)

    @classmethod
    def example(cls) -> "SwingByStages":
        return cls(steps=100, eta=0.02, lr=0.02, record_every=10)

    def task(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rates ``a``, probe ``z`` and ``U0``."""
        a, z = symmetric_task(self.signal, self.noise_std, self.d)
        U0 = np.random.default_rng(self.init_seed).uniform(0, 1, (self.d, self.d)) * self.init_scale
        return a, z, U0

    def half_time(self, k: int) -> float:
        r"""Predicted time (:data:`PAPER` clock) at which ``w_kk`` crosses 1/2: ``ln((1 - w0)/w0) / (2 a_k)``.

        On the diagonal ``G_kk - S_kk = 2 a_k w_kk (1 - w_kk)`` (sec. 5): a logistic
        from ``w0 = (U0 U0^T)_kk`` when the interaction term ``N_kk`` is neglected.
        """
        a, _, U0 = self.task()
        w0 = (U0 @ U0.T)[k, k]
        return float(np.log((1 - w0) / w0) / (2 * a[k]))

    def times(self) -> np.ndarray:
        """The theory grid in paper time, ``eta * step``."""
        return self.eta * np.arange(self.steps + 1)

    def theory(self) -> Trajectory:
        a, z, U0 = self.task()
        t = self.times()
        W = sim.two_layer_symmetric(t, a, U0, convention="paper")
        W_w = sim.two_layer_w_space(t, a, U0 @ U0.T, convention="paper")
        _, W_A2 = sim.two_layer_recurrence(a, U0, eta=self.eta, steps=self.steps, rates="A2")
        G, S, N = (np.stack(x) for x in zip(*[sim.growth_suppression_interaction(w, a) for w in W]))
        obs = {"W": W, "W_wspace": W_w, "W_A2": W_A2, "ood_loss": sim.ood_loss(W, z),
               "ood_loss_A2": sim.ood_loss(W_A2, z), "loss": sim.train_loss(W, a), "growth": G, "suppression": S,
               "interaction": N}
        return Trajectory(t, obs, {"solver": "two_layer_symmetric / two_layer_w_space / two_layer_recurrence",
                                   "rates": a.tolist()}, clock=PAPER)

    def experiment(self) -> Trajectory:
        a, z, U0 = self.task()
        net = SymmetricLinear(self.d, seeds=[0], U0=U0, dtype="float64", device="cpu")
        t_gf = GF.convert(self.times()[::self.record_every], PAPER)
        X = _population_data(a)
        return train(net, X, X, TrainConfig(lr=self.lr, t_record=t_gf),
                     observables={"W": lambda m: m.weight(), "ood_loss": _ood_observable(net, z)})
