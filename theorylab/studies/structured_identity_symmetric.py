r"""SIM studies of the symmetric two-layer linear network ``f = U U^T x`` (arXiv:2410.08309, secs. 4-5; Figs. 5, 8-10, 17).

Task in concept coordinates: ``d`` axes, the first ``s`` carry concepts with
rates ``a_k = mu_k^2 / s + sigma_k^2`` (no origin cluster, noise given as a
standard deviation, one per concept or shared), the other ``d - s`` rate
``padding_noise_std^2`` (0 by default; the authors' Fig. 5 script puts
``sigma^2`` on its padding axis too); the OOD probe is ``z = (mu, 0)``.  This is
the ``A`` of the authors' theory scripts.  Losses: population ``L = 1/2 ||(W - I) A^{1/2}||_F^2`` (``loss``) and
``1/2 ||W z - z||^2`` (``ood_loss``).

Experiment: ``U U^T`` networks (``SymmetricLinear``, float64) trained by full-batch
GD at ``lr`` on population data ``X = sqrt(d) diag(sqrt(a))`` (``X^T X / P = A``
exactly, so the empirical loss is the population loss), clock
:data:`~.structured_identity.GF` (``t = lr step``).
Theory: the U-space flow ``dU/dt = -1/2 [(W - I) A + A (W - I)] U`` (PSD by
construction), i.e. ``dW/dt = V(W)`` on the paper's clock
:data:`~.structured_identity.PAPER` (``t_paper = 2 t_gf``); comparators convert
the experiment onto it.  Two named variants reproduce the authors' theory
scripts: the same ODE with every rate squared (``A^2``, their ``eta -> 0`` limit),
and their recurrence itself -- Euler steps of size ``eta`` directly in ``W``, rates
``A^2``, float32 (:func:`~theorylab.solvers.sim.two_layer_recurrence`).

Inits: ``"uniform"`` draws ``U0 = init_scale * uniform(0, 1)`` with numpy;
``"torch_rand"`` draws ``init_scale * torch.rand(d, d)`` from a torch generator
seeded with the member's seed -- the authors' draw (``torch.rand(d, d) / 5`` after
seeding 2333 in their Fig. 5 script, ``/ 10`` after 233333 in Figs. 8-10; with those
seeds the recurrence gives exactly the paper's one, two and three rises).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.nets import SymmetricLinear
from theorylab.solvers import sim
from theorylab.study import Study
from theorylab.tasks import SIMConfig, concept_rates
from theorylab.train import TrainConfig, record_steps, train
from theorylab.trajectory import Trajectory

from .structured_identity import GF, PAPER

__all__ = ["SymmetricSIM", "SwingByStages", "symmetric_task", "draw_inits", "authors_recurrence"]


def symmetric_task(signal, noise_std, d: int, padding_noise_std: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Rates ``a`` (d,) and OOD probe ``z`` (d,) in concept coordinates (padding axes: rate ``padding_noise_std^2``).

    ``noise_std``: one standard deviation per concept, or one for all.
    """
    s = len(signal)
    a = np.r_[concept_rates(SIMConfig(tuple(signal), noise_std=noise_std, dim=d)),
              np.full(d - s, float(padding_noise_std) ** 2)]
    return a, np.r_[np.asarray(signal, float), np.zeros(d - s)]


def draw_inits(init: str, d: int, scale: float, seeds) -> np.ndarray:
    """``U0`` (E, d, d) for member seeds ``seeds``: ``"uniform"`` (numpy), ``"torch_rand"`` (the authors' draw) or
    ``"aligned"`` (``scale (1 1^T / sqrt(d) + 0.1 I)``, off-diagonal entries of ``W0`` as large as the diagonal ones)."""
    if init == "aligned":
        return np.broadcast_to(scale * (np.ones((d, d)) / np.sqrt(d) + 0.1 * np.eye(d)), (len(seeds), d, d)).copy()
    if init == "torch_rand":
        return np.stack([scale * torch.rand(d, d, generator=torch.Generator().manual_seed(int(e)),
                                            dtype=torch.float32).double().numpy() for e in seeds])
    return np.stack([np.random.default_rng(e).uniform(0, 1, (d, d)) * scale for e in seeds])


def authors_recurrence(t_paper: np.ndarray, a: np.ndarray, U0: np.ndarray, eta: float) -> np.ndarray:
    """``W`` (T, d, d) of the authors' recurrence (W-space Euler, rates ``A^2``, float32, step ``eta``) at ``t_paper``.

    Iterates to the last time and reads the iterate at the nearest step (the
    record times of the studies lie on the ``eta`` grid up to round-off).
    """
    steps = int(np.ceil(t_paper[-1] / eta - 1e-9))
    t_rec, W = sim.two_layer_recurrence(a, U0, eta=eta, steps=steps)
    return W[np.clip(np.rint(t_paper / eta).astype(int), 0, steps)]


def _population_data(a: np.ndarray) -> np.ndarray:
    """``X = sqrt(d) diag(sqrt(a))``: ``d`` points whose ``X^T X / d = A`` exactly."""
    return np.sqrt(a.size) * np.diag(np.sqrt(a))


def _check_task(signal, noise_std, d, padding_noise_std=0.0) -> None:
    if not signal:
        raise ValueError("signal must list at least one concept strength")
    check_positive("signal", signal)
    check_nonnegative("noise_std", noise_std)
    if isinstance(noise_std, tuple) and len(noise_std) not in (1, len(signal)):
        raise ValueError(f"noise_std must be one number or one per concept ({len(signal)}), got {len(noise_std)}")
    check_int("d", d)
    if d < len(signal):
        raise ValueError(f"d must be >= the number of concepts {len(signal)}, got {d}")
    check_nonnegative("padding_noise_std", padding_noise_std)


def _min_eig(W: np.ndarray) -> np.ndarray:
    """Smallest eigenvalue of each ``W`` (T, d, d); NaN where ``W`` is not finite."""
    ok = np.isfinite(W).all(axis=(1, 2))
    out = np.full(len(W), np.nan)
    out[ok] = np.linalg.eigvalsh(W[ok]).min(axis=-1)
    return out


def _ood_observable(net, z):
    zt = net.as_input(z)
    return lambda m: 0.5 * ((m.weight() @ zt - zt) ** 2).sum(-1)


@dataclass(frozen=True)
class SymmetricSIM(Study):
    """Swing-by and multiple descent: trained ``U U^T`` networks over the U-space theory, one per init (Figs. 8-10, 17).

    Inits (one per member ``e < seeds``, shape (d, d), :func:`draw_inits` with
    member seed ``init_seed + e``): ``init="torch_rand"``: ``U0 = init_scale *
    torch.rand(d, d)`` (the authors' draw: ``init_scale = 0.1``, seed 233333 for
    Figs. 8-10); ``"uniform"``: the same law drawn by numpy; ``"aligned"``:
    ``U0 = init_scale (1 1^T / sqrt(d) + 0.1 I)`` (every member equal).
    Experiment: GD at ``lr`` from each ``U0`` (module docstring), recorded at
    ``n_rec`` points of ``[0, t_paper]`` (paper time; rounded to the step grid):
    ``loss`` and ``ood_loss`` (T, E).
    Theory: the U-space flow with rates A from the same ``U0``, at the same
    times on the :data:`PAPER` clock, same names (T, E) with ``n_seeds = E``;
    with ``rates_A2`` also ``ood_loss_A2`` (the same flow with the authors' ``A^2``
    rates); with ``recurrence_eta > 0`` also ``ood_loss_recurrence``, ``loss_recurrence``
    and ``min_eig_recurrence`` (T, E): the authors' recurrence itself (W-space
    Euler steps of that size, rates ``A^2``, float32; NaN after it diverges).
    """

    family = "structured_identity"
    signal: tuple[float, ...] = (1.0, 1.5)
    noise_std: float | tuple[float, ...] = 0.05
    d: int = 3
    init: str = "uniform"
    init_scale: float = 0.2
    init_seed: int = 1000
    seeds: int = 1
    t_paper: float = 10.0
    lr: float = 0.005
    n_rec: int = 101
    rates_A2: bool = False
    recurrence_eta: float = 0.0

    def validate(self) -> None:
        _check_task(self.signal, self.noise_std, self.d)
        check_choice("init", self.init, ("uniform", "torch_rand", "aligned"))
        check_positive("init_scale", self.init_scale)
        check_int("init_seed", self.init_seed, minimum=0)
        check_int("seeds", self.seeds)
        check_positive("t_paper", self.t_paper)
        check_positive("lr", self.lr)
        check_int("n_rec", self.n_rec, minimum=2)
        check_nonnegative("recurrence_eta", self.recurrence_eta)

    @classmethod
    def example(cls) -> "SymmetricSIM":
        return cls(seeds=2, t_paper=2.0, lr=0.02, n_rec=11, rates_A2=True, recurrence_eta=0.02)

    def task(self) -> tuple[np.ndarray, np.ndarray]:
        """Rates ``a`` and probe ``z`` (concept coordinates, length d)."""
        return symmetric_task(self.signal, self.noise_std, self.d)

    def inits(self) -> np.ndarray:
        """``U0`` of every member, (E, d, d)."""
        return draw_inits(self.init, self.d, self.init_scale, [self.init_seed + e for e in range(self.seeds)])

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
        if self.recurrence_eta > 0:
            Wr = [authors_recurrence(t, a, U, self.recurrence_eta) for U in U0]
            obs["ood_loss_recurrence"] = np.stack([sim.ood_loss(w, z) for w in Wr], axis=1)
            obs["loss_recurrence"] = np.stack([sim.train_loss(w, a) for w in Wr], axis=1)
            obs["min_eig_recurrence"] = np.stack([_min_eig(w) for w in Wr], axis=1)
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

    Init: ``U0`` (d, d) by :func:`draw_inits` (``init="torch_rand"``, ``init_scale = 0.2``,
    ``init_seed = 2333``: the authors' ``torch.rand(d, d) / 5``; ``"uniform"``: numpy's draw).
    Task: :func:`symmetric_task` (``padding_noise_std``: the rate ``sigma^2`` the authors'
    script gives its third axis).
    Theory (clock :data:`PAPER`, grid ``eta * [0, 1, ..., steps]``): ``W`` (T, d, d),
    the U-space flow with rates A; ``W_wspace``, the same flow integrated
    directly in ``W`` (a cross-check); ``W_A2``, the authors' recurrence (Euler
    steps of size ``eta`` directly in ``W``, rates ``A^2``, float32); ``W_A2_ode``, its
    ``eta -> 0`` limit (the U-space flow with rates ``A^2``); ``ood_loss``,
    ``ood_loss_A2``, ``ood_loss_A2_ode`` and ``loss`` (T,); the growth / suppression /
    interaction split of ``dW/dt`` (eq. 7) of ``W``: ``growth``, ``suppression``,
    ``interaction`` (T, d, d).
    Experiment: one network trained by GD at ``lr`` (module docstring), recorded
    every ``record_every`` theory points: ``W`` (T, 1, d, d), ``ood_loss`` and ``loss``.
    """

    family = "structured_identity"
    signal: tuple[float, ...] = (1.0, 1.5)
    noise_std: float | tuple[float, ...] = 0.05
    d: int = 3
    padding_noise_std: float = 0.0
    init: str = "torch_rand"
    init_scale: float = 0.2
    init_seed: int = 2333
    eta: float = 0.01
    steps: int = 2000
    lr: float = 0.005
    record_every: int = 10

    def validate(self) -> None:
        _check_task(self.signal, self.noise_std, self.d, self.padding_noise_std)
        check_choice("init", self.init, ("uniform", "torch_rand"))
        check_positive("init_scale", self.init_scale)
        check_int("init_seed", self.init_seed, minimum=0)
        check_positive("eta", self.eta)
        check_int("steps", self.steps)
        check_positive("lr", self.lr)
        check_int("record_every", self.record_every)

    @classmethod
    def example(cls) -> "SwingByStages":
        return cls(steps=100, eta=0.02, lr=0.02, record_every=10, padding_noise_std=0.05)

    def task(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rates ``a``, probe ``z`` and ``U0``."""
        a, z = symmetric_task(self.signal, self.noise_std, self.d, self.padding_noise_std)
        return a, z, draw_inits(self.init, self.d, self.init_scale, [self.init_seed])[0]

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
        _, W_A2 = sim.two_layer_recurrence(a, U0, eta=self.eta, steps=self.steps)     # the authors' recurrence
        W_A2_ode = sim.two_layer_symmetric(t, a, U0, convention="paper", rates="A2")
        G, S, N = (np.stack(x) for x in zip(*[sim.growth_suppression_interaction(w, a) for w in W]))
        obs = {"W": W, "W_wspace": W_w, "W_A2": W_A2, "W_A2_ode": W_A2_ode, "ood_loss": sim.ood_loss(W, z),
               "ood_loss_A2": sim.ood_loss(W_A2, z), "ood_loss_A2_ode": sim.ood_loss(W_A2_ode, z),
               "loss": sim.train_loss(W, a), "growth": G, "suppression": S, "interaction": N}
        return Trajectory(t, obs, {"solver": "two_layer_symmetric / two_layer_w_space / two_layer_recurrence",
                                   "rates": a.tolist()}, clock=PAPER)

    def experiment(self) -> Trajectory:
        a, z, U0 = self.task()
        net = SymmetricLinear(self.d, seeds=[0], U0=U0, dtype="float64", device="cpu")
        t_gf = GF.convert(self.times()[::self.record_every], PAPER)
        X = _population_data(a)
        return train(net, X, X, TrainConfig(lr=self.lr, t_record=t_gf),
                     observables={"W": lambda m: m.weight(), "ood_loss": _ood_observable(net, z)})
