"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 11: Fig. 2a with two-layer linear networks.

``mu in {(1,2), (2,2), (3,2)}``, ``sigma^2 = 0.05``, ``d = 64``, hidden width 64,
biases off.  Two kinds of networks:

* *decoupled* init aligned with the concept axes (product ``u0 I`` on concept
  space): each concept is a co-diagonal Saxe mode with ``s = lam = a_k``, so its
  OOD output is exactly ``mu_k deep_linear_concepts(t, a, u0, 2)`` -- learning
  times are compared;
* PyTorch's default init (as in the paper): drawn for comparison, with the
  same theory as reference (no exact theory for a random, non-small init).

Conventions: as Fig. 2a (``t = 2 lr step / d``, SGD on ``mse_loss``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Cache, FigureResult, TrainConfig, Trajectory, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear
from theorylab.plotting import new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig

from ._sim import (TIME_LABEL, learning_time_rows, plot_concept_trajectories, sim_configs_data, sim_tasks,
                   split_members, train_sim)

ID = "sim_fig11"
QUICK_SECONDS = 11  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "SIM Fig. 11: two-layer linear networks"
MUS = ((1.0, 2.0), (2.0, 2.0), (3.0, 2.0))
U0 = 1e-2
SETTINGS = {
    "smoke": dict(n=100, seeds=2, t_max=6.0, n_rec=31),
    "quick": dict(n=300, seeds=3, t_max=8.0, n_rec=81),
    "full": dict(n=1000, seeds=16, t_max=16.0, n_rec=321),
}


def run_decoupled(configs, p) -> Trajectory:
    seeds = list(range(p["seeds"]))
    tasks, X = sim_configs_data(configs, seeds)
    d = configs[0].d
    nets = [DeepLinear([d, 64, d], seeds=[s + 1000 * i for s in seeds], init="decoupled", u0=U0,
                       U=t.Q[:, :2], V=t.Q[:, :2], device="cpu") for i, t in enumerate(tasks)]
    net = DeepLinear.concat(nets)
    probes = net.as_input(np.stack([t.ood_probe for t in tasks for _ in seeds])[:, None, :])
    Q = net.as_input(np.stack([t.Q[:, :2] for t in tasks for _ in seeds]))
    cfg = TrainConfig(lr=0.1, t_record=np.linspace(0, p["t_max"], p["n_rec"]), optimizer="sgd", batch_size=128,
                      reduction="mse")
    return train(net, X, X, cfg, observables={"ood": lambda m: (m(probes) @ Q)[:, 0, :]})


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    configs = [SIMConfig(mu, noise_var=0.05, n_per_cluster=p["n"], dim=64) for mu in MUS]
    dec = cache.get_or_compute(run_key(ID, 1, p, part="decoupled"), lambda: run_decoupled(configs, p))
    default = cache.get_or_compute(run_key(ID, 1, p, part="default"), lambda: train_sim(
        configs, seeds=list(range(p["seeds"])), widths_hidden=[64], t_max=p["t_max"], n_rec=p["n_rec"]))
    t = np.linspace(0, p["t_max"], 400)
    agreements, items_dec, items_def = [], [], []
    for task, e_dec, e_def, mu in zip(sim_tasks(configs), split_members(dec, 3), split_members(default, 3), MUS):
        a = task.rates
        th = sim.deep_linear_concepts(t, a, U0, 2) * np.asarray(mu)
        t_th = np.array([np.interp(0.9, th[:, k] / mu[k], t) for k in range(2)])
        agreements += learning_time_rows(task, e_dec, t_th, label=f"decoupled init, mu={mu}")
        items_dec.append((f"mu={mu}", th, e_dec, mu))
        items_def.append((f"mu={mu}", th, e_def, mu))
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=3.3)
        plot_concept_trajectories(axes[0, 0], items_dec)
        axes[0, 0].set_title(f"decoupled init (u0 = {U0:g}): exact theory\n{TIME_LABEL}", fontsize=6.5)
        plot_concept_trajectories(axes[0, 1], items_def)
        axes[0, 1].set_title("PyTorch default init (paper), same theory as reference", fontsize=6.5)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = 2 lr step / d (SGD on mse_loss); theory: gradient flow of "
                        "1/2 E||f - x||^2, decoupled two-layer (Saxe) modes", mode)
