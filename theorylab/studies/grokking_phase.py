r"""The grokking phase diagram over (alpha, eps) at any size, from the exact map with early stopping.

Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024 (arXiv:2310.06110), Fig. 3e: for every
output scale ``alpha`` and alignment ``eps`` of a centred quadratic committee machine,
when the train loss reaches 10% of its start and the (exact, population) test loss 50%.
The exact (w_bar, M) map (:func:`~theorylab.solvers.committee.exact_gd_batch`) advances
every state of the grid together at a cost independent of the width ``N``; a state
leaves the batch once both times are known (``stop_when``), and no order parameter is
stored, so the paper's own size (30 states, D = 100, P = 450, N = 500, 100k epochs)
fits in memory and in minutes on a CPU.  Conventions and clock: those of
:mod:`theorylab.studies.grokking` (``t`` = epoch on ``epoch_clock(eta0)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_int, check_positive
from theorylab.compare import crossing_time
from theorylab.solvers.committee import exact_gd_batch, network_epochs
from theorylab.train import TrainConfig, train
from theorylab.trajectory import Trajectory

from .grokking import TEST_LEVEL, TRAIN_LEVEL, Committee, _Task

__all__ = ["PhaseDiagram"]


@dataclass(frozen=True)
class PhaseDiagram(_Task):
    """Grokking times on the grid ``alphas x eps_list`` (alpha-major), by the exact map.

    Theory: ``train_loss`` and ``pop_test_loss`` (T, B) for the B = len(alphas) x
    len(eps_list) states, NaN after a state stopped (once its train loss is below 10% and
    its test loss below 50% of their starts); ``static``: ``alpha``, ``eps`` (B,), the
    crossing epochs ``t_train`` (10%) and ``t_test`` (50%) (NaN: not within ``steps``),
    ``rise`` (the largest test loss over its start, up to the stop) and ``stopped`` (the
    last epoch run).
    Experiment (None unless ``trained >= 0``): the float64 width-``N`` network of state
    ``trained`` trained by GD for ``trained_steps`` epochs, its ``train_loss`` on the same
    clock (to be compared with that state's column: equal to round-off).
    """

    alphas: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    eps_list: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4)
    trained: int = -1
    trained_steps: int = 0

    def validate(self) -> None:
        super().validate()
        if not self.alphas or not self.eps_list:
            raise ValueError("alphas and eps_list must each hold at least one value")
        for a in self.alphas:
            check_positive("alphas", a)
        for e in self.eps_list:
            check_positive("eps_list", e)
        check_int("trained", self.trained, minimum=-1)
        if self.trained >= len(self.alphas) * len(self.eps_list):
            raise ValueError(f"trained must be -1 or a state index (< {len(self.alphas) * len(self.eps_list)}), "
                             f"got {self.trained}")
        check_int("trained_steps", self.trained_steps, minimum=0)
        if self.trained >= 0 and not self.record_every <= self.trained_steps <= self.steps:
            raise ValueError(f"trained_steps must lie in [record_every, steps] = [{self.record_every}, {self.steps}], "
                             f"got {self.trained_steps}")

    @classmethod
    def example(cls) -> "PhaseDiagram":
        return cls(D=6, P=20, N=8, eta0=1.0, steps=600, record_every=20, alphas=(0.5, 4.0), eps_list=(0.3,),
                   trained=0, trained_steps=100)

    def runs(self) -> list[Committee]:
        return [Committee(a, e) for a in self.alphas for e in self.eps_list]

    def theory(self) -> Trajectory:
        task = self.task()
        beta = task.beta[0]
        states = [self.state(c, beta) for c in self.runs()]
        trs = exact_gd_batch(task.x_train, task.y_train, states, eta0=self.eta0, steps=self.steps,
                             record_every=self.record_every, beta=beta, stop_when=(TRAIN_LEVEL, TEST_LEVEL),
                             order_parameters=False)
        longest = max(trs, key=len)
        T, B = len(longest), len(trs)
        obs = {k: np.full((T, B), np.nan) for k in ("train_loss", "pop_test_loss")}
        t_train, t_test, rise, stopped = (np.empty(B) for _ in range(4))
        for b, tr in enumerate(trs):
            n = len(tr)
            for k in obs:
                obs[k][:n, b] = tr[k]
            t_train[b] = crossing_time(tr.t, tr["train_loss"] / tr["train_loss"][0], TRAIN_LEVEL, direction="down")
            t_test[b] = crossing_time(tr.t, tr["pop_test_loss"] / tr["pop_test_loss"][0], TEST_LEVEL, direction="down")
            rise[b] = tr["pop_test_loss"].max() / tr["pop_test_loss"][0]
            stopped[b] = tr.t[-1]
        runs = self.runs()
        static = {"alpha": np.array([c.alpha for c in runs]), "eps": np.array([c.eps for c in runs]),
                  "t_train": t_train, "t_test": t_test, "rise": rise, "stopped": stopped}
        return Trajectory(longest.t, obs, {"solver": "exact_gd_batch", "stop_when": [TRAIN_LEVEL, TEST_LEVEL]},
                          clock=longest.clock, static=static)

    def experiment(self) -> Trajectory | None:
        if self.trained < 0:
            return None
        task = self.task()
        c = self.runs()[self.trained]
        net = self.network(c)
        eta = self.eta0 * self.N / c.alpha**2
        cfg = TrainConfig(lr=eta, t_record=np.arange(0, self.trained_steps + 1, self.record_every), reduction="mse",
                          time="steps")
        tr = train(net, task.x_train, task.y_train[:, None], cfg)
        tr = network_epochs(tr, eta0=self.eta0, N=self.N, alpha=c.alpha)
        return Trajectory(tr.t, {"train_loss": tr["loss"][:, 0]}, tr.meta, clock=tr.clock)
