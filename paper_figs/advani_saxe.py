"""Advani, Saxe & Sompolinsky 2020 (arXiv:1710.03667), Fig. 3: generalisation dynamics.

A linear student ``f(x) = w . x`` trained by full-batch GD on ``P = alpha N``
noisy samples of a linear teacher, for several ``alpha`` (including the
interpolation threshold ``alpha = 1``), against ``advani_saxe_errors``.  With
label noise the test error has an interior minimum (overtraining) for
``alpha`` near 1, and at ``alpha = 1`` it grows without bound.

Conventions: ``x_j ~ N(0, 1/N)``, summed loss ``1/2 sum_mu (y - w.x)^2``
(``reduction="sum"``), ``t = lr * step``, ``tau = 1``.  Errors without 1/2:
train ``(1/P) sum (y - f)^2 = 2 L / P``, test ``||w - w_bar||^2 / N + noise_var``
(exact for the drawn teacher, not a sampled test set).  Zero init; float32
(the run is memory-bound: every step reads the data twice).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, Trajectory, max_error, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear
from theorylab.plotting import COLORS, new_figure, style, theory_vs_experiment
from theorylab.rng import streams
from theorylab.solvers.random_matrix import advani_saxe_errors

ID = "advani_saxe"
QUICK_SECONDS = 45  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Advani-Saxe: train and test error of linear regression over time"
CONVENTIONS = "t = lr * step on the summed loss 1/2 sum (y - f)^2 (tau = 1); errors are mean squared, no 1/2"

SETTINGS = {
    "smoke": dict(N=100, alphas=(0.5, 1.0), samples_x_seeds=1600, lr=0.02, t_max=5.0, n_rec=25, noise_var=0.25,
                  teacher_var=1.0),
    "quick": dict(N=300, alphas=(0.5, 1.0, 2.0, 4.0), samples_x_seeds=10000, lr=0.01, t_max=15.0, n_rec=40,
                  noise_var=0.25, teacher_var=1.0),
    "full": dict(N=1000, alphas=(0.25, 0.5, 1.0, 2.0, 4.0), samples_x_seeds=40000, lr=0.005, t_max=200.0,
                 n_rec=60, noise_var=0.25, teacher_var=1.0),
}
MIN_SEEDS = 5


def n_seeds(p: dict, alpha: float) -> int:
    """Seeds for one alpha: enough that P x seeds >= samples_x_seeds.

    The train error's Monte-Carlo relative spread is about sqrt(2 / (P E))
    while the cost is E P N, so a fixed P E gives every alpha the same error
    bar at the same cost: 10000 makes 3 sigma ~ 4.2%.
    """
    P = int(round(alpha * p["N"]))
    return max(MIN_SEEDS, int(np.ceil(p["samples_x_seeds"] / P)))
CHECKED_ALPHAS = (0.5, 2.0, 4.0)   # acceptance: within THRESHOLD at every plotted time
THRESHOLD = 0.05
# Relative error is taken against max(theory, FLOOR): for alpha < 1 the train
# error decays to 0, where a pointwise relative error measures nothing but the
# finite-N position of the spectral edge.  FLOOR is 0.8% of the initial error.
FLOOR = 0.01


def record_times(p: dict) -> np.ndarray:
    """Log-spaced recording times from ``lr`` to ``t_max``, plus 0."""
    return np.concatenate([[0.0], np.geomspace(p["lr"] * 5, p["t_max"], p["n_rec"])])


def run_alpha(p: dict, alpha: float) -> Trajectory:
    """Train ``seeds`` students on independent draws of data and teacher."""
    N, P, E = p["N"], int(round(alpha * p["N"])), n_seeds(p, alpha)
    X = np.empty((E, P, N))
    Y = np.empty((E, P, 1))
    wbar = np.empty((E, N))
    for e in range(E):
        g = streams(1000 + e)["data"]
        X[e] = g.standard_normal((P, N)) / np.sqrt(N)
        wbar[e] = np.sqrt(p["teacher_var"]) * g.standard_normal(N)
        Y[e, :, 0] = X[e] @ wbar[e] + np.sqrt(p["noise_var"]) * g.standard_normal(P)
    net = DeepLinear([N, 1], seeds=[1000 + e for e in range(E)], init="zeros", dtype="float32", device="cpu")
    wb = net.as_input(wbar)

    def test_error(m):
        return ((m.weights[0][:, 0, :] - wb) ** 2).sum(dim=1) / N + p["noise_var"]

    cfg = TrainConfig(lr=p["lr"], t_record=record_times(p), reduction="sum")
    traj = train(net, X, Y, cfg, observables={"test": test_error}, meta={"alpha": alpha, "N": N, "P": P})
    return traj.with_obs(train=2.0 * traj["loss"] / P)


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    agreements = []
    with style():
        fig, axes = new_figure(2, 1, width=3.5, height=2.8)
        for i, alpha in enumerate(p["alphas"]):
            exp = cache.get_or_compute(run_key(ID, 1, p, alpha=alpha), lambda: run_alpha(p, alpha))
            tt = np.concatenate([[0.0], np.geomspace(p["lr"] * 5, p["t_max"], 300)])
            tr, te = advani_saxe_errors(tt, alpha, noise_var=p["noise_var"], teacher_var=p["teacher_var"])
            theory = Trajectory(tt, {"train": tr, "test": te})
            for j, name in enumerate(("train", "test")):
                theory_vs_experiment(axes[0, j], theory, exp, name, color=COLORS[i], label=f"alpha={alpha:g}")
                if alpha in CHECKED_ALPHAS:
                    agreements.append(max_error(theory, exp, name, threshold=THRESHOLD, floor=FLOOR,
                                                label=f"{name} error, alpha={alpha:g} (N={p['N']}, {exp.n_seeds} seeds)"))
            if alpha == 1.0:
                t_min = exp.t[np.argmin(exp.mean()["test"])]
                agreements.append(Agreement("alpha=1: overtraining (test error rises after its minimum)",
                                            "test(t_max) / min_t test", float(exp.mean()["test"][-1] /
                                                                              exp.mean()["test"].min()),
                                            1.1, higher_is_better=True, detail={"t_min": float(t_min)}))
        for j, name in enumerate(("train error", "test error")):
            ax = axes[0, j]
            ax.set_xscale("log", nonpositive="mask")
            ax.set_xlabel("t = lr x step (summed loss, tau = 1)")
            ax.set_ylabel(name)
        axes[0, 1].set_ylim(0, 1.6)
        axes[0, 0].legend(fontsize=5.5, ncol=1)
        fig.suptitle(TITLE, fontsize=8.5)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, CONVENTIONS, mode)
