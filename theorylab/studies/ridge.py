r"""Ridge regression under gradient flow: theorylab's worked example of a new family.

A noisy linear teacher (:mod:`theorylab.tasks.ridge_regression`), linear students
trained by full-batch GD with weight decay ``lam`` (the ridge penalty), and the
closed-form flow (:func:`theorylab.solvers.ridge.ridge_flow`) from each
student's own init.  See ``docs/new_family.md`` for how this family was added.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_int, check_nonnegative, check_positive
from theorylab.nets import DeepLinear
from theorylab.solvers.ridge import ridge_flow
from theorylab.study import Study
from theorylab.tasks.ridge_regression import RidgeTaskConfig, make_ridge_task
from theorylab.train import TrainConfig, train
from theorylab.trajectory import Trajectory

__all__ = ["RidgeFlow"]


@dataclass(frozen=True)
class RidgeFlow(Study):
    """Linear students on one noisy training set, with ridge strength ``lam``.

    Experiment: ``seeds`` students ``w . x`` (float64, Gaussian init of scale
    ``init_scale``), trained by GD at ``lr`` on ``1/(2P) sum (y - w.x)^2 + lam/2 ||w||^2``;
    observables ``w`` (T, E, d), ``loss`` (the data term) and ``test_error``
    ``= ||w - w*||^2 + noise_std^2`` (exact, from the task).
    Theory: ``ridge_flow`` from each student's own init, the same observables.
    Clock: gradient flow of that loss (``t = lr * step``).
    """

    family = "ridge"
    task: RidgeTaskConfig = RidgeTaskConfig()
    lam: float = 0.1
    lr: float = 0.05
    t_max: float = 20.0
    n_rec: int = 81
    seeds: int = 4
    init_scale: float = 1.0
    data_seed: int = 0

    def validate(self) -> None:
        check_nonnegative("lam", self.lam)
        for name in ("lr", "t_max", "init_scale"):
            check_positive(name, getattr(self, name))
        check_int("n_rec", self.n_rec, minimum=2)
        check_int("seeds", self.seeds)
        check_int("data_seed", self.data_seed, minimum=0)

    @classmethod
    def example(cls) -> "RidgeFlow":
        return cls(task=RidgeTaskConfig(d=5, P=8), t_max=2.0, n_rec=5, seeds=2)

    def _setup(self):
        task = make_ridge_task(self.task, rng=self.data_seed)
        net = DeepLinear([self.task.d, 1], seeds=range(self.seeds), init="gaussian", scale=self.init_scale,
                         dtype="float64", device="cpu")
        return task, net

    def theory(self) -> Trajectory:
        task, net = self._setup()
        w0 = net.weights[0].detach().numpy()[:, 0, :]                    # (E, d)
        t = np.linspace(0.0, self.t_max, self.n_rec)
        return ridge_flow(t, task.x, task.y, w0, lam=self.lam, w_star=task.w_star, noise_std=self.task.noise_std)

    def experiment(self) -> Trajectory:
        task, net = self._setup()
        w_star = net.as_input(task.w_star)
        noise_var = self.task.noise_std**2
        cfg = TrainConfig(lr=self.lr, t_record=np.linspace(0.0, self.t_max, self.n_rec), weight_decay=self.lam)
        return train(net, task.x, task.y[:, None], cfg, observables={
            "w": lambda m: m.weights[0][:, 0, :],
            "test_error": lambda m: ((m.weights[0][:, 0, :] - w_star) ** 2).sum(-1) + noise_var})
