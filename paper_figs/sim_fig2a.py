"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2a: concept learning in signal order.

A one-layer linear network (biases off, small init) learns SIM with
``mu in {(1,2), (2,2), (3,2)}``, ``sigma^2 = 0.05``, ``d = 64``; its output at
the OOD probe ``x_hat`` is drawn in concept space over the zero-init closed
form ``f_k = (1 - e^{-a_k t}) mu_k``.  Learning times (90% of the target) are
compared with ``one_layer_learning_time``.

Conventions: SGD as in the paper (batch 128, lr 0.1, ``mse_loss`` mean over
batch and dimension) so one step is ``t = 2 lr / d`` of gradient-flow time of
``1/2 E||f - x||^2``; biases off because biases couple to the data mean and
slow learning about twofold.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Cache, FigureResult
from theorylab.compare_sim import trajectory_distance
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig

from ._sim import TIME_LABEL, learning_time_rows, plot_concept_trajectories, sim_tasks, split_members, train_sim

ID = "sim_fig2a"
QUICK_SECONDS = 10  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "SIM Fig. 2a: one-layer network, varying signal strength"
MUS = ((1.0, 2.0), (2.0, 2.0), (3.0, 2.0))
SETTINGS = {
    "smoke": dict(n=100, seeds=2, t_max=5.0, n_rec=41),
    "quick": dict(n=1000, seeds=4, t_max=5.5, n_rec=111),
    "full": dict(n=1000, seeds=16, t_max=8.0, n_rec=201),
}


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    configs = [SIMConfig(mu, noise_var=0.05, n_per_cluster=p["n"], dim=64) for mu in MUS]
    traj = cache.get_or_compute(run_key(ID, 1, p), lambda: train_sim(
        configs, seeds=list(range(p["seeds"])), widths_hidden=[], t_max=p["t_max"], n_rec=p["n_rec"], init_scale=0.1))
    agreements, items = [], []
    t = np.linspace(0, p["t_max"], 300)
    for task, exp, mu in zip(sim_tasks(configs), split_members(traj, len(configs)), MUS):
        a = task.rates
        th = sim.one_layer_output(t, a, np.asarray(mu))
        agreements += learning_time_rows(task, exp, sim.one_layer_learning_time(a, 0.9), label=f"mu={mu}")
        agreements.append(trajectory_distance(t, th, exp.t, exp["ood"], scale=float(np.linalg.norm(mu)),
                                              name=f"mu={mu}: OOD trajectory vs closed form", threshold=0.05))
        items.append((f"mu={mu}", th, exp, mu))
    with style():
        fig, axes = new_figure(1, 1, width=4.0, height=3.4)
        plot_concept_trajectories(axes[0, 0], items)
        axes[0, 0].set_title(f"{TITLE}\n{TIME_LABEL}", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = 2 lr step / d (SGD on mse_loss, mean over batch and d); "
                        "theory: gradient flow of 1/2 E||f - x||^2, zero init", mode)
