"""Saxe, McClelland & Ganguli 2019 (PNAS 116:11537), Figs. 3-4: hierarchical differentiation.

A two-layer linear network learns tree-structured data (one-hot items, one
output feature per tree node).  The singular modes of ``Sigma_yx`` are the
tree's levels, strongest at the root: broad distinctions are learnt first,
fine ones last, each along ``saxe_mode`` with input variance ``lam = 1/P``.

The network starts from a small decoupled init; strengths are averaged over
each level's degenerate subspace, ``u_level = tr(U_l^T W2 W1 V_l) / m_l``, and
shown normalised by their limit ``s / lam``.

Conventions: all ``P`` items once per step, loss ``1/(2P) sum ||y - f||^2``
(equal to the population loss), ``t = lr * step``, ``tau = 1``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from theorylab import (Agreement, Cache, FigureResult, TrainConfig, Trajectory, crossing_time,
                       learning_time_agreement, train)
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear
from theorylab.plotting import COLORS, new_figure, style, theory_vs_experiment
from theorylab.solvers.deep_linear import saxe_mode
from theorylab.tasks import TreeConfig, make_tree_task

ID = "saxe2019_hierarchy"
TITLE = "Saxe 2019: hierarchical differentiation on tree data"
CONVENTIONS = "t = lr * step; L = 1/(2P) sum ||y - f||^2 over all P items (Sigma_xx = I/P), tau = 1"

SETTINGS = {
    "smoke": dict(depth=2, branching=2, hidden=8, u0=1e-3, lr=0.1, t_max=80.0, n_rec=41, seeds=2),
    "quick": dict(depth=3, branching=2, hidden=16, u0=1e-3, lr=0.1, t_max=80.0, n_rec=161, seeds=4),
    "full": dict(depth=4, branching=2, hidden=32, u0=1e-4, lr=0.05, t_max=300.0, n_rec=301, seeds=16),
}
THRESHOLD = 0.05  # half-way learning time of every level within 5% of theory


def _level_bases(task):
    U, s, Vt, lv = task.modes()
    levels = np.unique(lv)
    return U, s, Vt.T, lv, levels


def run_experiment(p: dict) -> Trajectory:
    task = make_tree_task(TreeConfig(p["depth"], p["branching"]))
    U, s, V, lv, levels = _level_bases(task)
    P = task.config.n_items
    net = DeepLinear([P, p["hidden"], task.config.n_nodes], seeds=range(p["seeds"]), init="decoupled",
                     u0=p["u0"], U=U, V=V, dtype="float64", device="cpu")
    items = task.all_items()

    masks = torch.as_tensor(np.stack([lv == k for k in levels], axis=1) / np.bincount(lv), dtype=torch.float64)

    def level_strength(m):
        """Mean strength over each level's degenerate modes, (E, n_levels)."""
        return m.mode_strengths(U, V) @ masks.to(m.weights[0])

    cfg = TrainConfig(lr=p["lr"], t_record=np.linspace(0, p["t_max"], p["n_rec"]))
    return train(net, items.x, items.y, cfg,
                 observables={"u": level_strength}, meta={"figure": ID})


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_tree_task(TreeConfig(p["depth"], p["branching"]))
    _, s, _, lv, levels = _level_bases(task)
    s_level = np.array([s[lv == k][0] for k in levels])
    lam = task.lam
    exp = cache.get_or_compute(run_key(ID, 1, p), lambda: run_experiment(p))
    t = np.linspace(0, p["t_max"], 500)
    theory = Trajectory(t, {"u": np.stack([saxe_mode(t, sk, p["u0"], lam=lam) for sk in s_level], 1)})
    norm = s_level / lam
    exp_n = exp.with_obs(u=exp["u"] / norm)
    th_n = theory.with_obs(u=theory["u"] / norm)
    agreements = []
    t_half_exp = []
    for k in range(len(levels)):
        t_th = crossing_time(th_n.t, th_n["u"][:, k], 0.5)
        t_ex = crossing_time(exp_n.t, exp_n.mean()["u"][:, k], 0.5)
        t_half_exp.append(t_ex)
        agreements.append(learning_time_agreement(t_th, t_ex, name=f"level {k} (s={s_level[k]:.3g}) half-way time",
                                                  threshold=THRESHOLD))
    ordered = bool(np.all(np.diff(t_half_exp) > 0))
    agreements.append(Agreement("broad-to-fine order of trained half-way times", "levels in order (1 = yes)",
                                float(ordered), 1.0, higher_is_better=True))
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=2.9)
        ax = axes[0, 0]
        names = ["root (shared)"] + [f"split at level {k - 1}" for k in levels[1:]]
        for k in range(len(levels)):
            theory_vs_experiment(ax, th_n, exp_n, "u", index=k, color=COLORS[k], every=3, label=names[k])
        ax.set_xlabel("t = lr x step (tau = 1)")
        ax.set_ylabel("mode strength / limit  (u lam / s)")
        ax.set_title(TITLE, fontsize=8)
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        ax.bar(np.arange(len(s)), s, color=[COLORS[k] for k in lv])
        ax.set_xlabel("mode (sorted)")
        ax.set_ylabel("singular value of Sigma_yx")
        ax.set_title("sqrt(2^m - 1) / P: broad modes are stronger", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, CONVENTIONS, mode)
