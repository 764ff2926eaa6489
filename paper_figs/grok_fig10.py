r"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 10 at reduced size: starting closer to the solution.

The initial order parameters of a centred quadratic committee machine are
interpolated toward a solution of the task,

.. math:: \bar w_0 \to (1 - \lambda)\,\bar w_0,\qquad
          M_0 \to (1 - \lambda) M_0 + \lambda\,\beta\beta^T / (\alpha\epsilon),

(``M* = beta beta^T / (alpha eps)`` is the uncentred network that equals
``1/2 (beta . x)^2``; any PSD ``M_0`` is realisable by ``N >= D`` neurons).
With centring the function still starts at zero, but the initial NTK
``(x.x')[1 + eps^2 x^T M_0 x' + ...]`` now carries the target direction: its
alignment (CKA) with the labels rises with ``lambda`` and the grokking delay
disappears.  Curves are the exact (w_bar, M) dynamics.

Conventions: ``L = (1/P) sum (f - y)^2``, ``t = epoch = one GD step``,
``eta = eta0 N / alpha^2``; test loss = exact population loss.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.committee import initial_ntk, kernel_alignment
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig10"
QUICK_SECONDS = 5  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Grokking Fig. 10: initialising toward the solution removes the delay"
SETTINGS = {
    "smoke": dict(D=12, P=40, N=40, eta0=1.0, steps=1500, alpha=1.0, eps=0.2, lams=(0.0, 0.25, 0.5)),
    "quick": dict(D=30, P=120, N=150, eta0=1.0, steps=8000, alpha=1.0, eps=0.1, lams=(0.0, 0.1, 0.25, 0.5, 0.75)),
    "full": dict(D=100, P=450, N=500, eta0=0.5, steps=100000, alpha=1.0, eps=0.1,
                 lams=(0.0, 0.05, 0.1, 0.25, 0.5, 0.75)),
}
EVERY = 50


def interpolated(st, beta, lam: float):
    """The state with ``(w_bar_0, M_0)`` moved a fraction ``lam`` toward ``(0, beta beta^T / (alpha eps))``."""
    M_star = np.outer(beta, beta) / (st.alpha * st.eps)
    return dataclasses.replace(st, wbar0=(1 - lam) * st.wbar0, M0=(1 - lam) * st.M0 + lam * M_star)


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = make_poly_regression(PolyRegressionConfig(p["D"], p["P"], n_test=10), rng=0)
    beta = task.beta[0]
    base = _grok.state(p["D"], p["N"], p["alpha"], p["eps"])
    states = [interpolated(base, beta, lam) for lam in p["lams"]]
    runs = cache.get_or_compute(run_key(ID, 1, p), lambda: _grok.run(
        task.x_train, task.y_train, states, eta0=p["eta0"], steps=p["steps"], every=EVERY, beta=beta))
    cka = np.array([kernel_alignment(initial_ntk(task.x_train, task.x_train, s), task.y_train) for s in states])
    tm = [_grok.grok_times(r, EVERY) for r in runs]
    t_test = np.array([t["t_test"] for t in tm])
    ratio = t_test / np.array([t["t_train"] for t in tm])
    agreements = [
        Agreement("initial NTK alignment rises with lambda", "CKA strictly increasing in lambda (1 = yes)",
                  float(np.all(np.diff(cka) > 0)), 1.0, higher_is_better=True, detail={"cka": cka.tolist()}),
        Agreement("generalisation comes sooner with lambda", "t_test(50%) strictly decreasing in lambda (1 = yes)",
                  float(np.all(np.diff(t_test) < 0)), 1.0, higher_is_better=True, detail={"t_test": t_test.tolist()}),
        Agreement("the delay is gone at lambda >= 0.25", "max t_test(50%) / t_train(10%) over lambda >= 0.25",
                  float(np.max(ratio[np.asarray(p["lams"]) >= 0.25])), 1.5, detail={"ratio": ratio.tolist()}),
        Agreement("grokking at lambda = 0", "t_test(50%) / t_train(10%) at lambda = 0", float(ratio[0]),
                  2.0, higher_is_better=True),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=3.4, height=2.8)
        _grok.plot_losses(axes[0, 0], runs, [f"lambda={lam:g}" for lam in p["lams"]], EVERY, COLORS)
        axes[0, 0].legend(fontsize=6)
        ax = axes[0, 1]
        ax.semilogy(p["lams"], t_test, "o-", color=COLORS[0], label="epoch of 50% test loss")
        ax.set_xlabel("lambda (interpolation toward the solution)")
        ax.set_ylabel("epoch")
        ax2 = ax.twinx()
        ax2.plot(p["lams"], cka, "s--", color=COLORS[1])
        ax2.set_ylabel("CKA of the initial NTK with y", color=COLORS[1], fontsize=7)
        ax.legend(fontsize=6)
        fig.suptitle(f"{TITLE}\nD={p['D']}, P={p['P']}, N={p['N']}, eps={p['eps']}, alpha={p['alpha']}", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, _grok.CONVENTION + "; test loss = exact population loss", mode)
