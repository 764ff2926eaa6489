"""Saxe, McClelland & Ganguli 2019 (PNAS 116:11537), Figs. 3-4: hierarchical differentiation.

A two-layer linear network learns tree-structured data (:class:`TreeHierarchy`).
The singular modes of ``Sigma_yx`` are the tree's levels, strongest at the root:
broad distinctions are learnt first, fine ones last, each along ``saxe_mode``
with input variance ``lam = 1/P``.  Strengths are shown normalised by their
limit ``s / lam``.
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import assess, crossing_time, learning_time_agreement
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure, theory_vs_experiment
from theorylab.studies.deep_linear import TreeHierarchy
from theorylab.tasks import TreeConfig
from theorylab.testing import thresholds as tol

SETTINGS = {
    "smoke": TreeHierarchy(tree=TreeConfig(2, 2), hidden=8, u0=1e-3, lr=0.1, t_max=80.0, n_rec=41, seeds=2),
    "quick": TreeHierarchy(tree=TreeConfig(3, 2), hidden=16, u0=1e-3, lr=0.1, t_max=80.0, n_rec=161, seeds=4),
    "full": TreeHierarchy(tree=TreeConfig(4, 2), hidden=32, u0=1e-4, lr=0.05, t_max=300.0, n_rec=301, seeds=16),
}


def normalised(res, s: TreeHierarchy):
    """Theory and experiment with ``u`` divided by each level's limit ``s / lam``."""
    *_, s_level, lam = s.levels()
    norm = s_level / lam
    r = res["tree"]
    return r.theory.with_obs(u=r.theory["u"] / norm), r.experiment.with_obs(u=r.experiment["u"] / norm), s_level


def checks(res, s: TreeHierarchy):
    th, ex, s_level = normalised(res, s)
    rows, t_half = [], []
    for k, sk in enumerate(s_level):
        t_th = crossing_time(th.t, th["u"][:, k], 0.5)
        t_ex = crossing_time(ex.t, ex.mean()["u"][:, k], 0.5)
        t_half.append(t_ex)
        rows.append(learning_time_agreement(
            t_th, t_ex, name=f"level {k} (s={sk:.3g}) half-way time", clock=ex.clock,
            threshold=tol.discretisation(s.lr, constant=0.5, why="GD vs gradient flow on the mode sigmoid")))
    ordered = bool(np.all(np.diff(t_half) > 0))
    rows.append(assess("broad-to-fine order of trained half-way times", "levels in order (1 = yes)", float(ordered),
                       tol.claim(1.0, "Saxe 2019 Figs. 3-4: broad distinctions are learnt before fine ones",
                                 at_least=True),
                       detail={"t_half": [float(t) for t in t_half],
                               "min_step_ratio": float(np.min(np.asarray(t_half[1:]) / np.asarray(t_half[:-1])))}))
    return rows


def draw(res, s: TreeHierarchy):
    th, ex, _ = normalised(res, s)
    U, sv, V, lv, levels, _, _ = s.levels()
    fig, axes = new_figure(2, 1, width=3.6, height=2.9)
    ax = axes[0, 0]
    names = ["root (shared)"] + [f"split at level {k - 1}" for k in levels[1:]]
    for k in range(len(levels)):
        theory_vs_experiment(ax, th, ex, "u", index=k, color=COLORS[k], every=3, label=names[k])
    ax.set_xlabel(th.clock.label)
    ax.set_ylabel("mode strength / limit  (u lam / s)")
    ax.set_title("Saxe 2019: hierarchical differentiation on tree data", fontsize=8)
    ax.legend(fontsize=6)
    ax = axes[0, 1]
    ax.bar(np.arange(len(sv)), sv, color=[COLORS[k] for k in lv])
    ax.set_xlabel("mode (sorted)")
    ax.set_ylabel("singular value of Sigma_yx")
    ax.set_title("sqrt(2^m - 1) / P: broad modes are stronger", fontsize=8)
    return fig


FIGURE = Figure(
    "saxe2019_hierarchy", "Saxe 2019: hierarchical differentiation on tree data", "PNAS 116:11537, Figs. 3-4",
    SETTINGS, studies=lambda s: {"tree": s}, checks=checks, draw=draw,
    setup="two-layer linear network on a balanced binary tree (one-hot items, one feature per node), small "
          "decoupled init, gradient flow",
    deviations=lambda s: [f"GD at lr = {s.lr:g} stands for gradient flow",
                          f"tree depth {s.tree.depth}, branching {s.tree.branching}; {s.seeds} seeds"],
)
