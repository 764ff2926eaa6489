"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 9 at reduced size: the "goldilocks" sample size.

Exact (w_bar, M) dynamics of a centred quadratic committee machine for three
training-set sizes (one :class:`GrokkingRuns` per ``P``, the same initial weights).
With too few points (``P ~ 2D``) the network fits the training set and never
generalises; at ``P ~ 4D`` it groks (test loss rises, then falls long after the train
loss); with many points (``P ~ 20D``) train and test fall together.  Grokking needs
``D << P << D^2 / eps``.  Test loss = exact population loss.
"""
from __future__ import annotations

from dataclasses import dataclass

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.grokking import Committee, GrokkingRuns, grok_times, one_run
from theorylab.testing import thresholds as tol

from ._draw import loss_curves


@dataclass(frozen=True)
class Settings:
    D: int
    N: int
    eta0: float
    steps: int
    alpha: float
    eps: float
    Ps: tuple[int, ...]          # too few, goldilocks, many
    every: int = 50


SETTINGS = {
    "smoke": Settings(D=12, N=40, eta0=1.0, steps=2000, alpha=2.0, eps=0.1, Ps=(20, 48, 240)),
    "quick": Settings(D=30, N=150, eta0=1.0, steps=8000, alpha=1.0, eps=0.1, Ps=(60, 120, 600)),
    "full": Settings(D=100, N=500, eta0=0.5, steps=100000, alpha=1.0, eps=0.02, Ps=(50, 120, 500)),
}


def studies(s: Settings):
    return {f"P={P}": GrokkingRuns(D=s.D, P=P, N=s.N, eta0=s.eta0, steps=s.steps, record_every=s.every,
                                   runs=(Committee(s.alpha, s.eps),)) for P in s.Ps}


def checks(res, s: Settings):
    small, mid, large = (grok_times(res.theory(f"P={P}"), 0) for P in s.Ps)
    return [
        assess(f"P = {s.Ps[0]}: fits but never generalises", "final test loss / initial", small["final"],
               tol.criterion(0.5, "too few points: the test loss stays above half its start (Kumar et al. 2024, "
                                  "Fig. 9)", at_least=True), detail={"t_train": small["t_train"]}),
        assess(f"P = {s.Ps[1]}: groks", "t_test(50%) / t_train(10%)", mid["t_test"] / mid["t_train"],
               tol.criterion(2.0, "generalisation at least twice as late as fitting: a grokking delay",
                             at_least=True), detail={"rise": mid["rise"]}),
        assess(f"P = {s.Ps[2]}: train and test fall together", "t_test(50%) / t_train(10%)",
               large["t_test"] / large["t_train"],
               tol.criterion(1.0, "many points: the test loss halves before the train loss reaches 10%"),
               detail={"rise": large["rise"]}),
    ]


def draw(res, s: Settings):
    fig, axes = new_figure(1, 1, width=4.2, height=3.0)
    loss_curves(axes[0, 0], [one_run(res.theory(f"P={P}"), 0) for P in s.Ps],
                [f"P={P} ({P / s.D:g} D)" for P in s.Ps], COLORS)
    axes[0, 0].legend(fontsize=6)
    axes[0, 0].set_title(f"Grokking Fig. 9: a goldilocks training-set size\nD={s.D}, N={s.N}, eps={s.eps}, "
                         f"alpha={s.alpha}", fontsize=7)
    return fig


FIGURE = Figure(
    "grok_fig9", "Grokking Fig. 9: a goldilocks training-set size", "arXiv:2310.06110, Fig. 9", SETTINGS,
    studies=studies, checks=checks, draw=draw, quick_seconds=4,
    setup="centred quadratic committee machine, D = 100, P in {50, 120, 500}: too few points never generalise, a "
          "middle range groks, many points generalise with the training loss",
    deviations=lambda s: [f"D = {s.D}, N = {s.N}, alpha = {s.alpha:g}, eps = {s.eps:g}, eta0 = {s.eta0:g}, "
                          f"{s.steps} epochs, P in {s.Ps}", "exact (w_bar, M) dynamics; test loss = population loss"],
)
