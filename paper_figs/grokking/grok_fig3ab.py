"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Figs. 3a/3b at reduced size: the grokking delay.

Centred quadratic committee machines on ``y = 1/2 (beta . x)^2`` over an ``alpha``
sweep and an ``eps`` sweep, by their exact (w_bar, M) dynamics (:class:`GrokkingRuns`,
one batched map) -- equal to a trained network to round-off for any width, which
the first row checks against a trained float64 network.  The train loss falls
early; the test loss (the exact population loss) first *rises* (power goes into
linear modes) and falls much later; the delay grows with the output scale
``alpha`` (fitted exponent reported) and as ``eps`` (the initial NTK's alignment
with the target) falls.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.grokking import Committee, GrokkingRuns, grok_times, one_run
from theorylab.testing import thresholds as tol

from ._draw import loss_curves


@dataclass(frozen=True)
class Settings:
    D: int
    P: int
    N: int
    eta0: float
    steps: int
    alphas: tuple[float, ...]
    eps_list: tuple[float, ...]
    eps: float                   # eps of the alpha sweep
    check_steps: int             # epochs of the trained network (of the first alpha)
    alpha_eps: float = 1.0       # alpha of the eps sweep
    every: int = 50

    def study(self) -> GrokkingRuns:
        runs = tuple(Committee(a, self.eps) for a in self.alphas) + tuple(Committee(self.alpha_eps, e)
                                                                          for e in self.eps_list)
        return GrokkingRuns(D=self.D, P=self.P, N=self.N, eta0=self.eta0, steps=self.steps, record_every=self.every,
                            runs=runs, trained=0, trained_steps=self.check_steps, trained_every=self.every)


SETTINGS = {
    "smoke": Settings(D=12, P=40, N=40, eta0=1.0, steps=1500, alphas=(1.0, 2.0), eps_list=(0.1, 0.3), eps=0.2,
                      check_steps=200),
    "quick": Settings(D=30, P=120, N=150, eta0=1.0, steps=8000, alphas=(1.0, 2.0, 4.0), eps_list=(0.05, 0.1, 0.2),
                      eps=0.1, check_steps=1000),
    "full": Settings(D=100, P=450, N=500, eta0=0.5, steps=100000, alphas=(0.5, 1.0, 2.0, 4.0, 8.0),
                     eps_list=(0.05, 0.1, 0.25, 0.5), eps=0.25, check_steps=2000),
}


def sweeps(res, s: Settings):
    """(runs of the alpha sweep, runs of the eps sweep, crossing times (n, 3): t_train, t_test, rise of each)."""
    th = res.theory("sweep")
    n = len(s.alphas)
    runs = [one_run(th, k) for k in range(len(th.meta["runs"]))]
    times = np.array([[t["t_train"], t["t_test"], t["rise"]] for t in map(grok_times, runs)])
    return runs[:n], runs[n:], times[:n], times[n:]


def checks(res, s: Settings):
    r_a, _, t_a, t_e = sweeps(res, s)
    slope = float(np.polyfit(np.log(s.alphas), np.log(t_a[:, 1]), 1)[0])
    return [
        max_error(r_a[0], res.experiment("sweep"), "train_loss",
                  threshold=tol.exact(why="the (w_bar, M) map is the network's own GD in float64: round-off only"),
                  label="trained width-N network vs exact (w_bar, M) map"),
        assess("test loss rises first (power into linear modes)", "min over runs of max test / initial test",
               min(t_a[:, 2].min(), t_e[:, 2].min()),
               tol.criterion(1.05, "a 5% rise is far above round-off of the exact map and shows the bump of "
                                   "Kumar et al. 2024, Fig. 3a", at_least=True)),
        assess("test falls much later than train", "min over runs of t_test(50%) / t_train(10%)",
               np.min(np.r_[t_a[:, 1] / t_a[:, 0], t_e[:, 1] / t_e[:, 0]]),
               tol.criterion(1.5, "grokking: generalisation clearly after fitting (Kumar et al. 2024, Fig. 3)",
                             at_least=True)),
        assess("delay grows with alpha", "fitted exponent of t_test(50%) vs alpha", slope,
               tol.criterion(0.5, "the delay grows roughly linearly with alpha (Kumar et al. 2024, Fig. 3a); an "
                                  "exponent of 0.5 leaves room for the small sweep", at_least=True),
               detail={"t_test": t_a[:, 1].tolist()}),
        assess("delay grows as eps falls", "t_test(50%) strictly decreasing in eps (1 = yes)",
               float(np.all(np.diff(t_e[:, 1]) < 0)),
               tol.criterion(1.0, "Kumar et al. 2024, Fig. 3b: smaller eps, later generalisation", at_least=True),
               detail={"t_test": t_e[:, 1].tolist(), "min_step_ratio": float(np.min(t_e[:-1, 1] / t_e[1:, 1]))}),
    ]


def draw(res, s: Settings):
    r_a, r_e, t_a, _ = sweeps(res, s)
    slope = float(np.polyfit(np.log(s.alphas), np.log(t_a[:, 1]), 1)[0])
    fig, axes = new_figure(3, 1, width=3.1, height=2.7)
    loss_curves(axes[0, 0], r_a, [f"alpha={a:g}" for a in s.alphas], COLORS)
    loss_curves(axes[0, 1], r_e, [f"eps={e:g}" for e in s.eps_list], COLORS)
    ex = res.experiment("sweep")
    axes[0, 0].plot(ex.t, ex["train_loss"] / ex["train_loss"][0], "o", ms=3, mfc="none", color="k",
                    label="trained net")
    for ax in axes[0, :2]:
        ax.legend(fontsize=6)
    ax = axes[0, 2]
    ax.loglog(s.alphas, t_a[:, 1], "o-", color=COLORS[0], label=f"test 50% (slope {slope:.2f})")
    ax.loglog(s.alphas, t_a[:, 0], "s--", color=COLORS[1], label="train 10%")
    ax.set_xticks(s.alphas, [f"{a:g}" for a in s.alphas])
    ax.minorticks_off()
    ax.set_xlabel("alpha (output scale)")
    ax.set_ylabel(f"crossing time, {r_a[0].clock.symbol}")
    ax.legend(fontsize=6)
    fig.suptitle(f"Grokking (Kumar et al. 2024): delay grows with alpha and as eps falls; D={s.D}, P={s.P}, N={s.N}",
                 fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.93))                 # room for the suptitle
    return fig


FIGURE = Figure(
    "grok_fig3ab", "Grokking (Kumar et al. 2024): delay grows with alpha and as eps falls",
    "arXiv:2310.06110, Figs. 3a-b", SETTINGS, studies=lambda s: {"sweep": s.study()}, checks=checks, draw=draw,
    quick_seconds=6,
    setup="centred quadratic committee machines, D = 100, P = 450, N = 500, eps = 0.25, alpha in {2^-5 ... 32} "
          "(Fig. 3a) and an eps sweep (Fig. 3b), full-batch GD at eta = eta0 N / alpha^2; test loss = population loss",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, eta0 = {s.eta0:g}, {s.steps} epochs",
                          f"alpha in {s.alphas} at eps = {s.eps:g}; eps in {s.eps_list} at alpha = {s.alpha_eps:g}",
                          "curves are the exact (w_bar, M) dynamics; one trained float64 network (alpha = "
                          f"{s.alphas[0]:g}) checks them over {s.check_steps} epochs"],
)
