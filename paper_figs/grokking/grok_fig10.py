r"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 10 at reduced size: starting closer to the solution.

The initial order parameters of a centred quadratic committee machine are
interpolated toward a solution of the task (:class:`Committee` ``toward_solution``),

.. math:: \bar w_0 \to (1 - \lambda)\,\bar w_0,\qquad
          M_0 \to (1 - \lambda) M_0 + \lambda\,\beta\beta^T / (\alpha\epsilon),

(``M* = beta beta^T / (alpha eps)`` is the uncentred network that equals
``1/2 (beta . x)^2``; any PSD ``M_0`` is realisable by ``N >= D`` neurons).
With centring the function still starts at zero, but the initial NTK
``(x.x')[1 + eps^2 x^T M_0 x' + ...]`` now carries the target direction: its
alignment (CKA) with the labels rises with ``lambda`` and the grokking delay
disappears.  Curves are the exact (w_bar, M) dynamics; test loss = population loss.
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
    N: int
    eta0: float
    steps: int
    eps: float
    lams: tuple[float, ...]
    alpha: float = 1.0
    every: int = 50

    def study(self) -> GrokkingRuns:
        return GrokkingRuns(D=self.D, P=self.P, N=self.N, eta0=self.eta0, steps=self.steps, record_every=self.every,
                            runs=tuple(Committee(self.alpha, self.eps, toward_solution=lam) for lam in self.lams),
                            cka=True)


SETTINGS = {
    "smoke": Settings(D=12, P=40, N=40, eta0=1.0, steps=1500, eps=0.2, lams=(0.0, 0.25, 0.5)),
    "quick": Settings(D=30, P=120, N=150, eta0=1.0, steps=8000, eps=0.1, lams=(0.0, 0.1, 0.25, 0.5, 0.75)),
    "full": Settings(D=100, P=450, N=500, eta0=0.5, steps=100000, eps=0.1, lams=(0.0, 0.05, 0.1, 0.25, 0.5, 0.75)),
}


def summary(res, s: Settings):
    """Initial CKA, t_test(50%) and t_test / t_train per lambda."""
    th = res.theory("interpolation")
    tm = [grok_times(th, k) for k in range(len(s.lams))]
    t_test = np.array([t["t_test"] for t in tm])
    return th["cka"][0], t_test, t_test / np.array([t["t_train"] for t in tm])


def checks(res, s: Settings):
    cka, t_test, ratio = summary(res, s)
    return [
        assess("initial NTK alignment rises with lambda", "CKA strictly increasing in lambda (1 = yes)",
               float(np.all(np.diff(cka) > 0)),
               tol.criterion(1.0, "M_0 moves toward beta beta^T, the target's direction", at_least=True),
               detail={"cka": cka.tolist(), "min_step_ratio": float(np.min(cka[1:] / cka[:-1]))}),
        assess("generalisation comes sooner with lambda", "t_test(50%) strictly decreasing in lambda (1 = yes)",
               float(np.all(np.diff(t_test) < 0)),
               tol.criterion(1.0, "Kumar et al. 2024, Fig. 10: a better-aligned start generalises sooner",
                             at_least=True),
               detail={"t_test": t_test.tolist(), "min_step_ratio": float(np.min(t_test[:-1] / t_test[1:]))}),
        assess("the delay is gone at lambda >= 0.25", "max t_test(50%) / t_train(10%) over lambda >= 0.25",
               float(np.max(ratio[np.asarray(s.lams) >= 0.25])),
               tol.criterion(1.5, "no grokking delay: generalisation within 1.5x the fitting time"),
               detail={"ratio": ratio.tolist()}),
        assess("grokking at lambda = 0", "t_test(50%) / t_train(10%) at lambda = 0", float(ratio[0]),
               tol.criterion(2.0, "generalisation at least twice as late as fitting: a grokking delay", at_least=True)),
    ]


def draw(res, s: Settings):
    cka, t_test, _ = summary(res, s)
    th = res.theory("interpolation")
    fig, axes = new_figure(2, 1, width=3.4, height=2.8)
    loss_curves(axes[0, 0], [one_run(th, k) for k in range(len(s.lams))], [f"lambda={lam:g}" for lam in s.lams],
                COLORS)
    axes[0, 0].legend(fontsize=6)
    ax = axes[0, 1]
    ax.semilogy(s.lams, t_test, "o-", color=COLORS[0], label="50% test loss")
    ax.set_xlabel("lambda (interpolation toward the solution)")
    ax.set_ylabel(f"{th.clock.symbol} of 50% test loss")
    ax2 = ax.twinx()
    ax2.plot(s.lams, cka, "s--", color=COLORS[1])
    ax2.set_ylabel("CKA of the initial NTK with y", color=COLORS[1], fontsize=7)
    ax.plot([], [], "s--", color=COLORS[1], label="initial CKA (right axis)")
    ax.legend(fontsize=6, loc="upper center")
    fig.suptitle(f"Grokking Fig. 10: initialising toward the solution removes the delay\n"
                 f"D={s.D}, P={s.P}, N={s.N}, eps={s.eps}, alpha={s.alpha}", fontsize=7)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "grok_fig10", "Grokking Fig. 10: initialising toward the solution removes the delay", "arXiv:2310.06110, Fig. 10",
    SETTINGS, studies=lambda s: {"interpolation": s.study()}, checks=checks, draw=draw, quick_seconds=4,
    setup="centred quadratic committee machine whose initialisation is interpolated toward a solution of the task; "
          "the grokking delay shrinks as the initial NTK aligns with the target",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, eps = {s.eps:g}, alpha = {s.alpha:g}, eta0 = {s.eta0:g}, "
                          f"{s.steps} epochs, lambda in {s.lams}",
                          "the order parameters (w_bar_0, M_0) are interpolated (the exact dynamics need only them), "
                          "not the weights"],
)
