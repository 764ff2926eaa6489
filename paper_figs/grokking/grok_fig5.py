"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 5 at reduced size: targets along NTK eigenvectors.

The targets are the ``j``-th eigenvector of the initial NTK Gram matrix ``K_0`` over
the training *and* test inputs, scaled to unit mean square (:class:`Committee` with
``eigvec = j``); the network trains on the training part and is tested on the rest.
At ``eps = 0.1`` the initial NTK of the quadratic committee machine has ``D`` large
"linear" eigenvalues, then the ``|x|^2`` (norm) mode, then the small quadratic ones.
Targets along the top eigenvectors are fitted fast and generalise at once -- no
grokking; further down the spectrum fitting takes longer and generalisation comes
late or not at all: what delays generalisation is the target's misalignment with
the top of the initial kernel.  Curves are the exact (w_bar, M) dynamics.

Eigenvector targets are our reading of the paper's description ("targets set to the
j-th eigenvector of the NTK Gram matrix"); the Gram matrix over train and test
points is what gives them a test set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.grokking import Committee, GrokkingRuns, grok_times, one_run
from theorylab.testing import thresholds as tol

from ._draw import loss_curves


@dataclass(frozen=True)
class Settings:
    D: int
    P: int
    n_test: int
    N: int
    eta0: float
    steps: int
    alpha: float = 1.0
    eps: float = 0.1
    every: int = 50

    @property
    def js(self) -> tuple[int, ...]:
        return (1, self.D // 2, self.D, self.D + 1, self.D + 2, 2 * self.D)

    def study(self) -> GrokkingRuns:
        return GrokkingRuns(D=self.D, P=self.P, N=self.N, n_test=self.n_test, eta0=self.eta0, steps=self.steps,
                            record_every=self.every,
                            runs=tuple(Committee(self.alpha, self.eps, eigvec=j) for j in self.js),
                            test_set=True)


SETTINGS = {
    "smoke": Settings(D=12, P=40, n_test=120, N=40, eta0=1.0, steps=1500),
    "quick": Settings(D=30, P=120, n_test=400, N=150, eta0=1.0, steps=8000),
    "full": Settings(D=100, P=550, n_test=1000, N=500, eta0=0.5, steps=100000),
}


def times(res, s: Settings):
    th = res.theory("targets")
    return [grok_times(th, k, test="test_loss") for k in range(len(s.js))]


def checks(res, s: Settings):
    tm = times(res, s)
    t_train = np.array([t["t_train"] for t in tm])
    t_test = np.array([t["t_test"] for t in tm])
    js = np.asarray(s.js)
    top = js <= s.D
    fit_inf = np.where(np.isnan(t_train), np.inf, t_train)            # not fitted within the run: inf
    return [
        assess("top-D eigenvector targets generalise at once", "max over j <= D of t_test(50%) / t_train(10%)",
               float(np.max(t_test[top] / t_train[top])),
               tol.criterion(1.5, "no grokking delay: generalisation within 1.5x the fitting time (Kumar et al. "
                                  "2024, Fig. 5, top eigenvectors)")),
        assess("fitting takes longer below the top-D eigenvectors",
               "min over j > D of t_train(10%) / max over j <= D (not fitted = inf)",
               float(fit_inf[~top].min() / fit_inf[top].max()),
               tol.criterion(2.0, "the linear eigenvalues are O(1/D), the rest O(eps^2/D^2): a factor 2 is a clear "
                                  "separation", at_least=True), detail={"t_train": t_train.tolist(), "j": list(s.js)}),
        assess("below the norm mode no generalisation within the run (info)",
               "min over j > D + 1 of final test / initial test",
               float(min(tm[k]["final"] for k in range(len(s.js)) if s.js[k] > s.D + 1)),
               tol.criterion(0.5, "the test loss stays above half its start", at_least=True), gating=False,
               detail={"t_test": t_test.tolist()}),
    ]


def draw(res, s: Settings):
    th = res.theory("targets")
    fig, axes = new_figure(2, 1, width=3.4, height=2.8)
    loss_curves(axes[0, 0], [one_run(th, k) for k in range(len(s.js))], [f"j={j}" for j in s.js], COLORS,
                test="test_loss")
    axes[0, 0].legend(fontsize=6)
    lam = np.asarray(th.meta["ntk_eigenvalues"][0])
    ax = axes[0, 1]
    ax.semilogy(np.arange(1, 3 * s.D + 1), lam[: 3 * s.D], ".", color="k", ms=3)
    for j, c in zip(s.js, COLORS):
        ax.semilogy([j], [lam[j - 1]], "o", color=c, mfc="none", ms=7)
    ax.set_xlabel("eigenvalue index j")
    ax.set_ylabel("initial NTK eigenvalue")
    fig.suptitle(f"Grokking Fig. 5: targets along the j-th eigenvector of the initial NTK\n"
                 f"D={s.D}, P={s.P}, N={s.N}, eps={s.eps}, alpha={s.alpha}", fontsize=7)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "grok_fig5", "Grokking Fig. 5: targets along the j-th eigenvector of the initial NTK", "arXiv:2310.06110, Fig. 5",
    SETTINGS, studies=lambda s: {"targets": s.study()}, checks=checks, draw=draw, quick_seconds=5,
    setup="quadratic committee machine with targets set to the j-th eigenvector of the initial NTK Gram matrix "
          "(the authors' notebook: P = D = 100, N = 2)",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, eps = {s.eps:g}, alpha = {s.alpha:g}, eta0 = {s.eta0:g}, "
                          f"{s.steps} epochs",
                          f"Gram matrix over {s.P} training and {s.n_test} test inputs (the test set of each target)",
                          f"j in {s.js}; curves are the exact (w_bar, M) dynamics"],
)
