"""Zhang, Wang & Su, NeurIPS 2021 (arXiv:2110.05960): the locally elastic SDE's phase transition at beta = alpha.

Seeded Euler-Maruyama simulations of the LE-SDE (``solvers.elastic.le_sde``:
``K = 3`` classes, ``n = 20`` samples each, cross-entropy on the logits) over a
sweep of ``beta / alpha``.  Left: training accuracy at the end against
``beta / alpha`` -- 1 below 1, 0 above, a sharp change at 1.  Middle: the mean
cosine between centred class means, against the simplex-ETF value
``-1/(K-1)``.  Right: training accuracy over time for each ratio.

Conventions: ``t`` is SDE time (Euler-Maruyama step ``dt``); loss = cross-entropy.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.elastic import le_sde

ID = "le_sde_phase"
QUICK_SECONDS = 6  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Locally elastic SDE: separation iff beta < alpha (Zhang, Wang & Su 2021)"
SETTINGS = {
    "smoke": dict(K=3, n=10, t_max=100.0, dt=0.05, sigma=0.05, seeds=2,
                  ratios=(0.5, 0.9, 1.1, 2.0)),
    "quick": dict(K=3, n=20, t_max=300.0, dt=0.05, sigma=0.05, seeds=4,
                  ratios=(0.25, 0.5, 0.75, 0.9, 0.95, 1.05, 1.1, 1.25, 1.5, 2.0)),
    "full": dict(K=10, n=50, t_max=2000.0, dt=0.05, sigma=0.05, seeds=16,
                 ratios=(0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.25, 1.5, 2.0)),
}


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    K = p["K"]
    runs = [cache.get_or_compute(run_key(ID, 1, p, run_ratio=r), lambda: le_sde(
        1.0, r, K, p["n"], t_max=p["t_max"], dt=p["dt"], sigma=p["sigma"], n_seeds=p["seeds"], rng=i))
            for i, r in enumerate(p["ratios"])]
    ratios = np.asarray(p["ratios"])
    acc = np.array([r["accuracy"][-1].mean() for r in runs])
    cos = np.array([r["cosines"][-1].mean() for r in runs])
    below, above = ratios < 1, ratios > 1
    agreements = [
        Agreement("training accuracy -> 1 for beta < alpha", "min accuracy at the end, beta/alpha < 1",
                  float(acc[below].min()), 0.95, higher_is_better=True),
        Agreement("training accuracy -> 0 for beta > alpha", "max accuracy at the end, beta/alpha > 1",
                  float(acc[above].max()), 0.05),
        Agreement("class means -> simplex ETF for alpha > beta", "max |mean cosine + 1/(K-1)|, beta/alpha < 1",
                  float(np.max(np.abs(cos[below] + 1 / (K - 1)))), 0.02),
    ]
    with style():
        fig, axes = new_figure(3, 1, width=3.0, height=2.7)
        ax = axes[0, 0]
        ax.plot(ratios, acc, "o-", color=COLORS[0])
        ax.axvline(1.0, color="gray", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("beta / alpha")
        ax.set_ylabel("training accuracy at the end")
        ax = axes[0, 1]
        ax.plot(ratios, cos, "o-", color=COLORS[1], label="simulation")
        ax.axhline(-1 / (K - 1), color="k", lw=0.8, label="simplex ETF -1/(K-1)")
        ax.set_xscale("log")
        ax.set_xlabel("beta / alpha")
        ax.set_ylabel("mean cosine of centred class means")
        ax.legend(fontsize=6)
        ax = axes[0, 2]
        for r, ratio, c in zip(runs, ratios, COLORS * 3):
            ax.plot(r.t, r["accuracy"].mean(axis=1), color=c, lw=1, ls="-" if ratio < 1 else "--",
                    label=f"beta/alpha={ratio:g}")
        ax.set_xlabel("t (SDE time)")
        ax.set_ylabel("training accuracy")
        ax.legend(fontsize=5, ncol=2)
        fig.suptitle(f"{TITLE}; K={K}, n={p['n']}, sigma={p['sigma']}", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = SDE time (Euler-Maruyama, dt = %g); loss = cross-entropy on "
                        "the logits" % p["dt"], mode)
