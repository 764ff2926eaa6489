"""Coarse labels, trained MLPs (Yang, Steinhardt & Hu, ICML 2023; Alleman et al., ICLR 2024): collapse vs fine structure.

Two-hidden-layer MLPs (width 64, 2 seeds each) trained by full-batch GD on the
*coarse* labels of a ``C = 4`` x ``S = 3`` Gaussian mixture (orthogonal fine
offsets).  For each setting -- activation (ReLU, tanh), loss (cross-entropy,
MSE), weight decay (off, on) -- the last hidden layer's coarse NC1 and its fine
clustering accuracy (k-means inside each coarse class, Hungarian-matched) are
tracked over training.  The report names a setting where the coarse NC1 falls
by 10x while the fine classes stay recoverable (>= 0.9), and the setting that
destroys the fine structure (weight decay).

Conventions: full-batch GD, ``t = lr * step``; CE = mean cross-entropy on the
logits, MSE = ``1/2 mean ||one_hot - f||^2``; weight decay adds ``wd/2 ||theta||^2``.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.coarse import train_coarse
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import MLP
from theorylab.plotting import COLORS, new_figure, style
from theorylab.tasks.gaussian_mixture import MixtureConfig, make_mixture

ID = "coarse_mlp"
QUICK_SECONDS = 45  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Coarse-label MLPs: coarse collapse with fine structure kept, unless weight decay"
SETTINGS = {
    "smoke": dict(n=20, width=32, seeds=1, steps=300, lr=0.2, wd=5e-3, records=3),
    "quick": dict(n=40, width=64, seeds=2, steps=3000, lr=0.2, wd=5e-3, records=6),
    "full": dict(n=200, width=256, seeds=8, steps=20000, lr=0.1, wd=5e-3, records=20),
}
RUNS = (("relu", "ce", False), ("relu", "mse", False), ("tanh", "ce", False), ("tanh", "mse", False),
        ("relu", "ce", True), ("tanh", "ce", True))


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    cfg = MixtureConfig(C=4, S=3, d=24, coarse_sep=3.0, fine_offset=2.0, noise=0.1, n=p["n"], offsets="orthogonal")
    mix = make_mixture(cfg, rng=0)

    def run(act, loss, wd):
        net = MLP([cfg.d, p["width"], p["width"], cfg.C], seeds=range(p["seeds"]), activation=act, init="normal")
        return train_coarse(net, mix.x, mix.coarse, mix.fine, loss=loss, wd=p["wd"] if wd else 0.0, lr=p["lr"],
                            steps=p["steps"], n_records=p["records"])

    runs = {r: cache.get_or_compute(run_key(ID, 1, p, run_act=r[0], run_loss=r[1], run_wd=r[2]), lambda: run(*r))
            for r in RUNS}
    drop = {r: float(np.mean(tr["nc1"][0] / tr["nc1"][-1])) for r, tr in runs.items()}
    fine = {r: float(tr["fine_acc"][-1].mean()) for r, tr in runs.items()}
    good = [r for r in RUNS if drop[r] >= 10 and fine[r] >= 0.9]
    best = max(RUNS, key=lambda r: min(drop[r] / 10, fine[r] / 0.9))
    name = lambda r: f"{r[0]}, {r[1].upper()}, {'wd' if r[2] else 'no wd'}"          # noqa: E731
    agreements = [
        Agreement(f"a regime of coarse collapse with fine structure kept: {name(best)}",
                  "min(NC1 drop / 10, fine accuracy / 0.9) (>= 1: both hold)", min(drop[best] / 10, fine[best] / 0.9),
                  1.0, higher_is_better=True, detail={"nc1_drop": drop[best], "fine_acc": fine[best],
                                                      "all_passing": [name(r) for r in good]}),
        Agreement("weight decay destroys the fine structure", "max fine clustering accuracy with weight decay",
                  max(fine[r] for r in RUNS if r[2]), 0.6, detail={name(r): fine[r] for r in RUNS}),
        Agreement("per-setting NC1 drop (info)", "NC1 drop of ReLU + MSE, no wd", drop[("relu", "mse", False)], 10.0,
                  higher_is_better=True, gating=False, detail={name(r): drop[r] for r in RUNS}),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=3.4, height=2.8)
        for r, c in zip(RUNS, COLORS * 2):
            tr = runs[r]
            ls = "--" if r[2] else "-"
            axes[0, 0].semilogy(tr.t, tr["nc1"].mean(axis=1), ls, color=c, label=name(r))
            axes[0, 1].plot(tr.t, tr["fine_acc"].mean(axis=1), ls, color=c, label=name(r))
        axes[0, 0].set_ylabel("coarse NC1 (last hidden layer)")
        axes[0, 1].set_ylabel("fine clustering accuracy")
        axes[0, 1].axhline(1 / cfg.S, color="gray", lw=0.8, ls=":")
        for ax in axes[0]:
            ax.set_xlabel("t = lr * step")
        axes[0, 1].legend(fontsize=5)
        fig.suptitle(f"{TITLE}; C={cfg.C}, S={cfg.S}, d={cfg.d}", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = lr * step (full-batch GD); CE mean cross-entropy, MSE 1/2 mean "
                        "||one_hot - f||^2, weight decay wd/2 ||theta||^2", mode)
