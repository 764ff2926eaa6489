"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Figs. 2c / 3: four-layer linear networks.

Four-layer linear MLPs with the paper's defaults (biases on, PyTorch init,
SGD batch 128 on ``mse_loss``) in high dimension (``d = 64``, width 64,
lr 0.1) and low dimension (``d = 2``, width 4, lr 0.01), ``mu = (1, 3)``,
``sigma^2 = 0.05``.  Left: the OOD output in concept space; right: the OOD
loss, non-monotone (swing-by) in most seeds.  No exact theory exists for
these networks (random init that is not small, biases coupled to the data
mean); the one-layer closed form is drawn as a reference only.

Conventions: ``t = 2 lr step / d`` (gradient-flow time of ``1/2 E||f - x||^2``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.compare_sim import detect_swing_by
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig

from ._sim import TIME_LABEL, sim_tasks, train_sim

ID = "sim_fig2c"
TITLE = "SIM Figs. 2c/3: four-layer linear networks, high vs low dimension"
MU = (1.0, 3.0)
CASES = (("high-dim: d=64, width 64, lr 0.1", 64, 64, 0.1), ("low-dim: d=2, width 4, lr 0.01", 2, 4, 0.01))
SETTINGS = {
    "smoke": dict(n=100, seeds=2, t_max=3.0, n_rec=31),
    "quick": dict(n=300, seeds=6, t_max=6.0, n_rec=121),
    "full": dict(n=1000, seeds=16, t_max=10.0, n_rec=201),
}


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    agreements = []
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=3.0)
        for c, (label, d, h, lr) in enumerate(CASES):
            cfg = SIMConfig(MU, noise_var=0.05, n_per_cluster=p["n"], dim=d)
            exp = cache.get_or_compute(run_key(ID, 1, p, case=c), lambda: train_sim(
                [cfg], seeds=list(range(p["seeds"])), widths_hidden=[h, h, h], lr=lr, bias=True, t_max=p["t_max"],
                n_rec=p["n_rec"]))
            L = exp["ood_loss"]
            events = [detect_swing_by(exp.t, L[:, e], rel_height=1e-3) for e in range(exp.n_seeds)]
            frac = float(np.mean([ev is not None for ev in events]))
            agreements.append(Agreement(f"{label}: OOD loss non-monotone (swing-by)", "fraction of seeds", frac, 0.5,
                                        higher_is_better=True,
                                        detail={"t_min": [ev.t_min if ev else None for ev in events]}))
            col = COLORS[2 * c]
            m = exp.mean()["ood"]
            axes[0, 0].plot(m[:, 0], m[:, 1], "o-", ms=2, lw=0.8, color=col, label=label)
            for e in range(exp.n_seeds):
                axes[0, 1].plot(exp.t, L[:, e], color=col, lw=0.8, alpha=0.6, label=label if e == 0 else None)
        (task,) = sim_tasks([SIMConfig(MU, noise_var=0.05, n_per_cluster=p["n"], dim=2)])
        t = np.linspace(0, p["t_max"], 300)
        ref = sim.one_layer_output(t, task.rates, np.asarray(MU))
        axes[0, 0].plot(ref[:, 0], ref[:, 1], "k--", lw=0.8, label="one-layer closed form (reference)")
        axes[0, 0].plot([MU[0]], [MU[1]], "k*", ms=9)
        axes[0, 0].set_xlabel("concept 1 output at x_hat")
        axes[0, 0].set_ylabel("concept 2 output at x_hat")
        axes[0, 0].legend(fontsize=5.5)
        axes[0, 1].set_yscale("log")
        axes[0, 1].set_xlabel(TIME_LABEL, fontsize=6.5)
        axes[0, 1].set_ylabel("OOD loss (each seed)")
        axes[0, 1].legend(fontsize=5.5)
        fig.suptitle(f"{TITLE} (biases on, mu = {MU})", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = 2 lr step / d (SGD on mse_loss, mean over batch and d)", mode)
