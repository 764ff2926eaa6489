"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 3e at reduced size: a grokking phase diagram over (alpha, eps).

The exact (w_bar, M) dynamics of centred quadratic committee machines
(``D = 30``, ``P = 120``, ``N = 150``) over a grid of output scales ``alpha``
and alignments ``eps``, all advanced together as one batched map.  Left: the
epoch at which the test loss reaches 50% of its start (hatched: not within
the run).  Right: that epoch over the epoch at which the train loss reaches
10% -- how long the network sits at low train loss and high test loss.
Rows of the report: the generalisation time grows with ``alpha`` at every
``eps`` and as ``eps`` falls at every ``alpha``.

Conventions: ``L = (1/P) sum (f - y)^2``, ``t = epoch = one GD step``,
``eta = eta0 N / alpha^2``; test loss = exact population loss.
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import new_figure, style
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig3e"
QUICK_SECONDS = 12  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Grokking phase diagram (Kumar et al. 2024, Fig. 3e, reduced)"
SETTINGS = {
    "smoke": dict(D=12, P=40, N=40, eta0=1.0, steps=1500, alphas=(0.5, 1.0, 2.0), eps_list=(0.1, 0.2, 0.4)),
    "quick": dict(D=30, P=120, N=150, eta0=1.0, steps=12000, alphas=(0.5, 1.0, 2.0, 4.0),
                  eps_list=(0.05, 0.1, 0.2, 0.4)),
    "full": dict(D=100, P=450, N=500, eta0=0.5, steps=100000, alphas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
                 eps_list=(0.02, 0.05, 0.1, 0.25, 0.5)),
}
EVERY = 50


def _monotone_fraction(t: np.ndarray) -> float:
    """Fraction of neighbouring pairs along the last axis with t strictly increasing (inf: not reached)."""
    return float(np.mean(np.diff(t, axis=-1) > 0))


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_poly_regression(PolyRegressionConfig(p["D"], p["P"], n_test=10), rng=0)
    grid = [(a, e) for a in p["alphas"] for e in p["eps_list"]]

    runs = cache.get_or_compute(run_key(ID, 1, p), lambda: _grok.run(
        task.x_train, task.y_train, [_grok.state(p["D"], p["N"], a, e) for a, e in grid], eta0=p["eta0"],
        steps=p["steps"], every=EVERY, beta=task.beta[0]))
    times = [_grok.grok_times(r, EVERY) for r in runs]
    shape = (len(p["alphas"]), len(p["eps_list"]))
    t_test = np.array([t["t_test"] for t in times]).reshape(shape)
    t_train = np.array([t["t_train"] for t in times]).reshape(shape)
    t_inf = np.where(np.isnan(t_test), np.inf, t_test)
    ratio = t_test / t_train
    agreements = [
        Agreement("generalisation time grows with alpha, at every eps", "fraction of neighbouring alpha pairs "
                  "with t_test(50%) increasing (not reached = inf)", _monotone_fraction(t_inf.T), 1.0,
                  higher_is_better=True, detail={"t_test": t_test.tolist(), "alphas": list(p["alphas"]),
                                                 "eps": list(p["eps_list"])}),
        Agreement("generalisation time grows as eps falls, at every alpha", "fraction of neighbouring eps pairs "
                  "with t_test(50%) decreasing in eps", _monotone_fraction(-t_inf), 0.75,
                  higher_is_better=True),
        Agreement("the test loss rises first (info)", "fraction of grid points with "
                  "max test / initial > 1.01", float(np.mean([t["rise"] > 1.01 for t in times])), 0.5,
                  higher_is_better=True, gating=False),
        Agreement("largest delay ratio on the grid (info)", "max t_test(50%) / t_train(10%)",
                  float(np.nanmax(ratio)), 3.0, higher_is_better=True, gating=False,
                  detail={"ratio": ratio.tolist()}),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=4.0, height=3.0)
        for ax, val, lab in ((axes[0, 0], np.log10(t_test), "log10 epoch of 50% test loss"),
                             (axes[0, 1], np.log10(ratio), "log10 t_test(50%) / t_train(10%)")):
            im = ax.imshow(val, origin="lower", cmap="viridis", aspect="auto")
            for i, j in zip(*np.nonzero(np.isnan(val))):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", lw=0))
            ax.set_xticks(range(shape[1]), [f"{e:g}" for e in p["eps_list"]])
            ax.set_yticks(range(shape[0]), [f"{a:g}" for a in p["alphas"]])
            ax.set_xlabel("eps (alignment of the initial NTK)")
            ax.set_ylabel("alpha (output scale)")
            fig.colorbar(im, ax=ax, label=lab)
        fig.suptitle(f"{TITLE}; D={p['D']}, P={p['P']}, N={p['N']}, {p['steps']} epochs; hatched: not reached",
                     fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, _grok.CONVENTION + "; test loss = exact population loss", mode)
