"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Figs. 3a/3b at reduced size: the grokking delay.

Quadratic committee machines (``phi(h) = h + eps h^2 / 2``, centred, unit
readouts) on ``y = 1/2 (beta . x)^2`` with ``D = 30``, ``P = 120``, ``N = 150``,
``eta = eta0 N / alpha^2``.  Curves are the exact (w_bar, M) dynamics -- equal
to a trained network to round-off for any width, which the first report row
checks against a trained float64 network.  The train loss falls early; the
test loss first *rises* (power goes into linear modes) and falls much later;
the delay grows with the output scale ``alpha`` (fitted exponent reported)
and as ``eps`` (the initial NTK's alignment with the target) falls.

Conventions: ``L = (1/P) sum (f - y)^2`` (no 1/2), one GD step = one epoch;
test loss is the exact population loss.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import CommitteeMachine
from theorylab.plotting import COLORS, new_figure, style
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig3ab"
QUICK_SECONDS = 6  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Grokking (Kumar et al. 2024): delay grows with alpha and as eps falls"
SETTINGS = {
    "smoke": dict(D=12, P=40, N=40, eta0=1.0, steps=1500, alphas=(1.0, 2.0), eps_list=(0.1, 0.3), alpha_eps=1.0,
                  eps=0.2, check_steps=200),
    "quick": dict(D=30, P=120, N=150, eta0=1.0, steps=8000, alphas=(1.0, 2.0, 4.0), eps_list=(0.05, 0.1, 0.2),
                  alpha_eps=1.0, eps=0.1, check_steps=1000),
    "full": dict(D=100, P=450, N=500, eta0=0.5, steps=100000, alphas=(0.5, 1.0, 2.0, 4.0, 8.0),
                 eps_list=(0.05, 0.1, 0.25, 0.5), alpha_eps=1.0, eps=0.25, check_steps=2000),
}
EVERY = 50


def _times(ex):
    t = _grok.grok_times(ex, EVERY)
    return t["t_train"], t["t_test"], t["rise"]


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_poly_regression(PolyRegressionConfig(p["D"], p["P"], n_test=10), rng=0)
    grid = [(a, p["eps"]) for a in p["alphas"]] + [(p["alpha_eps"], e) for e in p["eps_list"]]
    runs = cache.get_or_compute(run_key(ID, 3, p), lambda: _grok.run(       # all runs as one batched map
        task.x_train, task.y_train, [_grok.state(p["D"], p["N"], a, e) for a, e in grid], eta0=p["eta0"],
        steps=p["steps"], every=EVERY, beta=task.beta[0]))
    runs_a = dict(zip(p["alphas"], runs[: len(p["alphas"])]))
    runs_e = dict(zip(p["eps_list"], runs[len(p["alphas"]):]))
    # exactness: a trained float64 network against the exact map (reduction="mse" is L, t = 2 lr step)
    net = CommitteeMachine(p["D"], p["N"], seeds=[0], alpha=p["alphas"][0], eps=p["eps"], dtype="float64",
                           device="cpu")
    eta = p["eta0"] * p["N"] / p["alphas"][0] ** 2
    trained = train(net, task.x_train, task.y_train[:, None],
                    TrainConfig(lr=eta, t_record=2 * eta * np.arange(0, p["check_steps"] + 1, EVERY), reduction="mse"))
    ref = runs_a[p["alphas"][0]]["train_loss"][: len(trained)]
    agreements = [Agreement("trained width-N network vs exact (w_bar, M) map", "max relative difference (train loss)",
                            float(np.max(np.abs(trained["loss"][:, 0] / ref - 1))), 1e-9)]
    t_a = np.array([_times(runs_a[a]) for a in p["alphas"]])                 # (n, 3): t_train, t_test, rise
    t_e = np.array([_times(runs_e[e]) for e in p["eps_list"]])
    slope = float(np.polyfit(np.log(p["alphas"]), np.log(t_a[:, 1]), 1)[0])
    agreements += [
        Agreement("test loss rises first (power into linear modes)", "min over runs of max test / initial test",
                  float(min(t_a[:, 2].min(), t_e[:, 2].min())), 1.05, higher_is_better=True),
        Agreement("test falls much later than train", "min over runs of t_test(50%) / t_train(10%)",
                  float(np.min(np.r_[t_a[:, 1] / t_a[:, 0], t_e[:, 1] / t_e[:, 0]])), 1.5, higher_is_better=True),
        Agreement("delay grows with alpha", "fitted exponent of t_test(50%) vs alpha", slope, 0.5,
                  higher_is_better=True, detail={"t_test": t_a[:, 1].tolist()}),
        Agreement("delay grows as eps falls", "t_test(50%) strictly decreasing in eps (1 = yes)",
                  float(np.all(np.diff(t_e[:, 1]) < 0)), 1.0, higher_is_better=True,
                  detail={"t_test": t_e[:, 1].tolist()}),
    ]
    with style():
        fig, axes = new_figure(3, 1, width=3.1, height=2.7)
        for k, (runs, key, lab, ax) in enumerate(((runs_a, p["alphas"], "alpha", axes[0, 0]),
                                                  (runs_e, p["eps_list"], "eps", axes[0, 1]))):
            for i, v in enumerate(key):
                ex = runs[v]
                ep = np.arange(1, len(ex) + 1) * EVERY
                ax.loglog(ep, ex["train_loss"] / ex["train_loss"][0], "--", color=COLORS[i], lw=1)
                ax.loglog(ep, ex["pop_test_loss"] / ex["pop_test_loss"][0], "-", color=COLORS[i], label=f"{lab}={v:g}")
            ax.set_xlabel("epoch (GD step)")
            ax.set_ylabel("loss / initial (dashed train, solid test)")
            ax.legend(fontsize=6)
        ep = np.arange(len(trained)) * EVERY + EVERY
        axes[0, 0].loglog(ep, trained["loss"][:, 0] / trained["loss"][0, 0], "o", ms=3, mfc="none", color="k",
                          label="trained net")
        ax = axes[0, 2]
        ax.loglog(p["alphas"], t_a[:, 1], "o-", color=COLORS[0], label=f"test 50% (slope {slope:.2f})")
        ax.loglog(p["alphas"], t_a[:, 0], "s--", color=COLORS[1], label="train 10%")
        ax.set_xticks(p["alphas"], [f"{a:g}" for a in p["alphas"]])
        ax.minorticks_off()
        ax.set_xlabel("alpha (output scale)")
        ax.set_ylabel("epochs")
        ax.legend(fontsize=6)
        fig.suptitle(f"{TITLE}; D={p['D']}, P={p['P']}, N={p['N']}", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = epoch = one GD step on L = (1/P) sum (f - y)^2, "
                        "eta = eta0 N / alpha^2; test loss: exact population loss", mode)
