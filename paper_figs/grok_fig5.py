"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 5 at reduced size: targets along NTK eigenvectors.

The targets are set to the ``j``-th eigenvector of the initial NTK Gram matrix
``K_0`` (``solvers.committee.initial_ntk``) over the training *and* test
inputs, scaled to unit mean square; the network trains on the training part
and is tested on the rest.  At ``eps = 0.1`` the initial NTK of the quadratic
committee machine has ``D`` large "linear" eigenvalues, then the ``|x|^2``
(norm) mode, then the small quadratic ones.  Targets along the top
eigenvectors are fitted fast and generalise at once -- no grokking; further
down the spectrum fitting takes longer and generalisation comes late or not
at all: what delays generalisation is the target's misalignment with the top
of the initial kernel.  Curves are the exact (w_bar, M) dynamics.

Eigenvector targets are our reading of the paper's description ("targets set
to the j-th eigenvector of the NTK Gram matrix"); the Gram matrix over train
and test points is what gives them a test set.

Conventions: ``L = (1/P) sum (f - y)^2``, ``t = epoch = one GD step``,
``eta = eta0 N / alpha^2``; losses on the held-out part of the eigenvector.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.committee import initial_ntk
from theorylab.tasks import PolyRegressionConfig, make_poly_regression

from . import _grok

ID = "grok_fig5"
QUICK_SECONDS = 5  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Grokking Fig. 5: targets along the j-th eigenvector of the initial NTK"
SETTINGS = {
    "smoke": dict(D=12, P=40, n_test=120, N=40, eta0=1.0, steps=1500, alpha=1.0, eps=0.1),
    "quick": dict(D=30, P=120, n_test=400, N=150, eta0=1.0, steps=8000, alpha=1.0, eps=0.1),
    "full": dict(D=100, P=550, n_test=1000, N=500, eta0=0.5, steps=100000, alpha=1.0, eps=0.1),
}
EVERY = 50


def eigen_targets(X, st, js):
    """Unit-mean-square eigenvectors ``j`` (1-based, descending eigenvalue) of ``K_0`` on ``X``, and the spectrum."""
    lam, V = np.linalg.eigh(initial_ntk(X, X, st))
    lam, V = lam[::-1], V[:, ::-1]
    Y = V[:, np.asarray(js) - 1] * np.sqrt(X.shape[0])
    return Y * np.where(Y.sum(axis=0) < 0, -1.0, 1.0), lam


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    D, P = p["D"], p["P"]
    task = make_poly_regression(PolyRegressionConfig(D, P, n_test=p["n_test"]), rng=0)
    st = _grok.state(D, p["N"], p["alpha"], p["eps"])
    js = (1, D // 2, D, D + 1, D + 2, 2 * D)
    X = np.r_[task.x_train, task.x_test]
    Y, lam = eigen_targets(X, st, js)

    runs = cache.get_or_compute(run_key(ID, 1, p), lambda: _grok.run(   # one data set, one label vector per run
        task.x_train, Y[:P].T, [st] * len(js), eta0=p["eta0"], steps=p["steps"], every=EVERY, X_test=task.x_test,
        y_test=Y[P:].T))
    tm = [_grok.grok_times(r, EVERY, "test_loss") for r in runs]
    t_train = np.array([t["t_train"] for t in tm])
    t_test = np.array([t["t_test"] for t in tm])
    top = np.asarray(js) <= D
    fit_inf = np.where(np.isnan(t_train), np.inf, t_train)            # not fitted within the run: inf
    agreements = [
        Agreement("top-D eigenvector targets generalise at once", "max over j <= D of t_test(50%) / t_train(10%)",
                  float(np.max(t_test[top] / t_train[top])), 1.5),
        Agreement("fitting takes longer below the top-D eigenvectors",
                  "min over j > D of t_train(10%) / max over j <= D (not fitted = inf)",
                  float(fit_inf[~top].min() / fit_inf[top].max()), 2.0, higher_is_better=True,
                  detail={"t_train": t_train.tolist(), "j": list(js)}),
        Agreement("below the norm mode no generalisation within the run (info)",
                  "min over j > D + 1 of final test / initial test", float(min(tm[k]["final"] for k in range(len(js))
                                                                             if js[k] > D + 1)),
                  0.5, higher_is_better=True, gating=False, detail={"t_test": t_test.tolist()}),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=3.4, height=2.8)
        _grok.plot_losses(axes[0, 0], runs, [f"j={j}" for j in js], EVERY, COLORS, test_key="test_loss")
        axes[0, 0].legend(fontsize=6)
        ax = axes[0, 1]
        ax.semilogy(np.arange(1, 3 * D + 1), lam[: 3 * D], ".", color="k", ms=3)
        for j, c in zip(js, COLORS):
            ax.semilogy([j], [lam[j - 1]], "o", color=c, mfc="none", ms=7)
        ax.set_xlabel("eigenvalue index j")
        ax.set_ylabel("eigenvalue of the initial NTK Gram matrix")
        fig.suptitle(f"{TITLE}\nD={D}, P={P}, N={p['N']}, eps={p['eps']}, alpha={p['alpha']}", fontsize=7)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, _grok.CONVENTION + "; losses on the held-out part of the target", mode)
