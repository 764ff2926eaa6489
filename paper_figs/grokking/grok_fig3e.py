"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 3e at reduced size: a grokking phase diagram over (alpha, eps).

The exact (w_bar, M) dynamics of centred quadratic committee machines over a grid
of output scales ``alpha`` and alignments ``eps`` (:class:`PhaseDiagram`, one study
per ``alpha`` row so rows cache and run in parallel on their own), every row a
batched map whose states leave the batch once their two times are known.  Left: the epoch at which the
test loss (the exact population loss) reaches 50% of its start (hatched: not within
the run).  Right: that epoch over the epoch at which the train loss reaches 10%
-- how long the network sits at low train loss and high test loss.  Rows: the
generalisation time grows with ``alpha`` at every ``eps`` and as ``eps`` falls at
every ``alpha``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.patches import Rectangle

from theorylab.compare import assess, relative_error
from theorylab.figures import Figure
from theorylab.plotting import new_figure
from theorylab.studies.grokking_phase import PhaseDiagram
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    D: int
    P: int
    N: int
    eta0: float
    steps: int
    alphas: tuple[float, ...]
    eps_list: tuple[float, ...]
    every: int = 50
    trained_steps: int = 2000       # the network of (alphas[-1], eps_list[0]) is trained this long beside its map

    def studies(self) -> dict[str, PhaseDiagram]:
        last = len(self.alphas) - 1
        return {f"alpha={a:g}": PhaseDiagram(D=self.D, P=self.P, N=self.N, eta0=self.eta0, steps=self.steps,
                                             record_every=self.every, alphas=(a,), eps_list=self.eps_list,
                                             trained=0 if i == last else -1,
                                             trained_steps=self.trained_steps if i == last else 0)
                for i, a in enumerate(self.alphas)}


SETTINGS = {
    "smoke": Settings(D=12, P=40, N=40, eta0=1.0, steps=1500, alphas=(0.5, 1.0, 2.0), eps_list=(0.1, 0.2, 0.4),
                      trained_steps=200),
    "quick": Settings(D=30, P=120, N=150, eta0=1.0, steps=12000, alphas=(0.5, 1.0, 2.0, 4.0),
                      eps_list=(0.05, 0.1, 0.2, 0.4)),
    "full": Settings(D=100, P=450, N=500, eta0=0.5, steps=100000, alphas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
                     eps_list=(0.02, 0.05, 0.1, 0.25, 0.5)),
}


def grid(res, s: Settings):
    """Crossing times on the (alpha, eps) grid: t_test, t_train (epochs; NaN = not reached) and the rises."""
    rows = [res.theory(f"alpha={a:g}").static for a in s.alphas]
    return (np.array([r["t_test"] for r in rows]), np.array([r["t_train"] for r in rows]),
            np.concatenate([r["rise"] for r in rows]))


def _monotone_fraction(t: np.ndarray) -> float:
    """Fraction of neighbouring pairs along the last axis with t strictly increasing (inf: not reached).

    A pair where neither time is reached within the run says nothing about the order and is left out.
    """
    a, b = t[..., :-1], t[..., 1:]
    both_late = np.isinf(a) & np.isinf(b)
    rising = np.greater(b, a, where=~both_late, out=np.zeros(a.shape, bool))
    return float(rising[~both_late].mean())


def _min_step(t: np.ndarray) -> float:
    """Smallest ratio of neighbouring times along the last axis where both are reached: the ordering's margin."""
    a, b = t[..., :-1], t[..., 1:]
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.min(b[ok] / a[ok])) if ok.any() else float("nan")


def checks(res, s: Settings):
    t_test, t_train, rise = grid(res, s)
    t_inf = np.where(np.isnan(t_test), np.inf, t_test)
    ratio = t_test / t_train
    trained = res[f"alpha={s.alphas[-1]:g}"]
    n = len(trained.experiment)
    return [
        relative_error(f"trained width-{s.N} network vs exact map (alpha={s.alphas[-1]:g}, eps={s.eps_list[0]:g}, "
                       f"{s.trained_steps} epochs)", trained.theory["train_loss"][:n, 0],
                       trained.experiment["train_loss"], tol.exact(why="the map is GD of the network, in float64"),
                       clock=trained.theory.clock),
        assess("generalisation time grows with alpha, at every eps", "fraction of neighbouring alpha pairs with "
               "t_test(50%) increasing (not reached = inf; pairs with neither reached left out)",
               _monotone_fraction(t_inf.T),
               tol.criterion(1.0, "Kumar et al. 2024, Fig. 3e: lazier (larger alpha) is always later", at_least=True),
               detail={"t_test": t_test.tolist(), "alphas": list(s.alphas), "eps": list(s.eps_list),
                       "min_step_ratio": _min_step(t_inf.T)}),
        assess("generalisation time grows as eps falls, at every alpha", "fraction of neighbouring eps pairs with "
               "t_test(50%) decreasing in eps", _monotone_fraction(-t_inf),
               tol.criterion(0.75, "Kumar et al. 2024, Fig. 3e; at large eps and small alpha the test loss falls at "
                                   "once and neighbouring times may tie or swap", at_least=True)),
        assess("the test loss rises first (info)", "fraction of grid points with max test / initial > 1.01",
               float(np.mean(rise > 1.01)),
               tol.criterion(0.5, "the bump is the signature of the lazy start (Kumar et al. 2024, Fig. 3a)",
                             at_least=True), gating=False),
        assess("largest delay ratio on the grid (info)", "max t_test(50%) / t_train(10%)", float(np.nanmax(ratio)),
               tol.criterion(3.0, "a clear grokking delay somewhere on the grid", at_least=True), gating=False,
               detail={"ratio": ratio.tolist()}),
    ]


def draw(res, s: Settings):
    t_test, t_train, _ = grid(res, s)
    unit = res.theory(f"alpha={s.alphas[0]:g}").clock.symbol
    fig, axes = new_figure(2, 1, width=4.0, height=3.0)
    for ax, val, lab in ((axes[0, 0], np.log10(t_test), f"log10 {unit} of 50% test loss"),
                         (axes[0, 1], np.log10(t_test / t_train), "log10 t_test(50%) / t_train(10%)")):
        im = ax.imshow(val, origin="lower", cmap="viridis", aspect="auto")
        for i, j in zip(*np.nonzero(np.isnan(val))):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", lw=0))
        ax.set_xticks(range(len(s.eps_list)), [f"{e:g}" for e in s.eps_list])
        ax.set_yticks(range(len(s.alphas)), [f"{a:g}" for a in s.alphas])
        ax.set_xlabel("eps (alignment of the initial NTK)")
        ax.set_ylabel("alpha (output scale)")
        fig.colorbar(im, ax=ax, label=lab)
    fig.suptitle(f"Grokking phase diagram (Kumar et al. 2024, Fig. 3e, reduced); D={s.D}, P={s.P}, N={s.N}, "
                 f"{s.steps} epochs at eta = eta0 N / alpha^2; hatched: not reached", fontsize=7)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "grok_fig3e", "Grokking phase diagram (Kumar et al. 2024, Fig. 3e, reduced)", "arXiv:2310.06110, Fig. 3e",
    SETTINGS, studies=lambda s: s.studies(), checks=checks, draw=draw, quick_seconds=13,
    setup="centred quadratic committee machines, D = 100, P = 450, N = 500, grokking time over a grid of alpha and "
          "eps, full-batch GD at eta = eta0 N / alpha^2; test loss = population loss",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, eta0 = {s.eta0:g}, {s.steps} epochs",
                          f"a {len(s.alphas)} x {len(s.eps_list)} grid: alpha in {s.alphas}, eps in {s.eps_list}",
                          "times from the exact (w_bar, M) dynamics; one width-N network (the laziest alpha, smallest "
                          f"eps) is trained for {s.trained_steps} epochs beside its map to show they are the same"],
)
