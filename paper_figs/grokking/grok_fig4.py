"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 4: the test loss split into its three terms.

A width-2, uncentred quadratic committee machine on ``y = 1/2 (beta . x)^2``
(:class:`GrokkingRuns` with one run).  The exact population test loss is
``variance + misalignment + power in linear modes`` (eq. 6), computed from the exact
(w_bar, M) dynamics; the same dynamics' loss on a held-out test set must agree with
it within its Monte-Carlo error, and a trained float64 network's test-set loss with
the map's to round-off.
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.grokking import Committee, GrokkingRuns, one_run
from theorylab.testing import thresholds as tol


def _study(D, P, eta0, steps, n_test) -> GrokkingRuns:
    return GrokkingRuns(D=D, P=P, N=2, n_test=n_test, task_seed=3, eta0=eta0, steps=steps, record_every=20,
                        runs=(Committee(alpha=1.0, eps=0.25, centered=False),), test_set=True, trained=0,
                        trained_steps=steps, trained_every=200)


SETTINGS = {
    "smoke": _study(D=20, P=60, eta0=0.05, steps=1000, n_test=2000),
    "quick": _study(D=40, P=120, eta0=0.05, steps=6000, n_test=5000),
    "full": _study(D=40, P=120, eta0=0.02, steps=40000, n_test=20000),
}


def checks(res, s: GrokkingRuns):
    th = one_run(res.theory("decomposition"), 0)
    z = np.abs(th["test_loss"] - th["pop_test_loss"]) / th["test_loss_sem"]
    return [
        assess(f"population test loss (3 terms) vs {s.n_test}-point test set", "max |difference| / standard error",
               float(z.max()), tol.standard_errors(4.0, why=f"the test-set mean over {s.n_test} points at every "
                                                            "record, its standard error from the points' spread"),
               detail={"t_worst": float(th.t[np.argmax(z)])}, clock=th.clock),
        max_error(th, res.experiment("decomposition"), "test_loss",
                  threshold=tol.exact(why="the (w_bar, M) map is the network's own GD in float64: round-off only"),
                  label="trained network's test-set loss vs exact map (same test set)"),
    ]


def draw(res, s: GrokkingRuns):
    th = one_run(res.theory("decomposition"), 0)
    ex = res.experiment("decomposition")
    fig, axes = new_figure(1, 1, width=4.4, height=3.1)
    ax = axes[0, 0]
    ax.plot(th.t, th["pop_test_loss"], color="k", lw=1.8, label="population test loss")
    for c, (k, lab) in zip(COLORS, (("pop_variance", "variance (Tr Q / D)^2"),
                                    ("pop_misalignment", "misalignment 2||Q||^2 / D^2"),
                                    ("pop_linear_power", "power in linear modes |a|^2 / D"))):
        ax.plot(th.t, th[k], color=c, label=lab)
    ax.plot(th.t, th["train_loss"], "--", color="gray", lw=1, label="train loss")
    ax.plot(ex.t, ex["test_loss"], "o", ms=3, mfc="none", color=COLORS[4],
            label=f"trained net, {s.n_test}-point test set")
    ax.set_yscale("log")
    ax.set_xlabel(th.clock.label)
    ax.set_ylabel("loss (1/P) sum (f - y)^2")
    ax.legend(fontsize=6)
    c = s.runs[0]
    ax.set_title(f"Grokking Fig. 4: test loss = variance + misalignment + power in linear modes\n"
                 f"D={s.D}, P={s.P}, N={s.N}, eps={c.eps:g}, alpha={c.alpha:g}, not centred", fontsize=7)
    return fig


FIGURE = Figure(
    "grok_fig4", "Grokking Fig. 4: test loss = variance + misalignment + power in linear modes",
    "arXiv:2310.06110, Fig. 4, eq. (6)", SETTINGS, studies=lambda s: {"decomposition": s}, checks=checks, draw=draw,
    quick_seconds=6,
    setup="uncentred quadratic committee machine, N = 2, D = 40, P = 120, eps = 0.25, alpha = 1, full-batch GD at "
          "eta = 0.5 N / alpha^2 for 50k steps (the authors' notebook); test loss split into its three terms",
    deviations=lambda s: [f"eta0 = {s.eta0:g}, {s.steps} epochs, D = {s.D}, P = {s.P}",
                          f"test-set losses on {s.n_test} points; network recorded every {s.trained_every} epochs",
                          "terms from the exact (w_bar, M) dynamics (equal to GD of the network to round-off over "
                          "this horizon; the full D x D map drifts from rank-N GD over much longer runs)"],
)
