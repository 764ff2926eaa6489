"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 1 at reduced size: the network leaves its linearisation.

A centred quadratic committee machine (:class:`GrokkingRuns`, exact (w_bar, M)
dynamics) at ``alpha = 1`` and at ``alpha_lazy`` with the same weights, a trained
float64 network over the first epochs, the linearised (lazy) model on the initial
NTK and the test loss of ridgeless kernel regression with it -- the lazy model's
``t -> inf`` limit, which needs ``P ~ D^2`` samples (:class:`LazyReference`).
Right: centred kernel alignment (CKA) of the network's NTK with the training
labels over training; the NTK is a function of (w_bar, M), so it is exact at every
record.  Losses ``(1/P) sum (f - y)^2`` on a test set; every curve on the epoch clock
of ``eta = eta0 N / alpha^2``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, crossing_time, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.grokking import Committee, GrokkingRuns, LazyReference, grok_times, one_run
from theorylab.testing import thresholds as tol

from ._draw import epoch_axis


@dataclass(frozen=True)
class Settings:
    D: int
    P: int
    N: int
    eps: float
    eta0: float
    steps: int
    n_test: int
    net_steps: int
    net_every: int
    alpha: float = 1.0
    alpha_lazy: float = 1024.0
    every: int = 50

    def _common(self) -> dict:
        return dict(D=self.D, P=self.P, N=self.N, n_test=self.n_test, eta0=self.eta0, steps=self.steps,
                    record_every=self.every)

    def runs(self) -> GrokkingRuns:
        runs = (Committee(self.alpha, self.eps), Committee(self.alpha_lazy, self.eps))
        return GrokkingRuns(**self._common(), runs=runs,
                            test_set=True, cka=True, trained=0, trained_steps=self.net_steps,
                            trained_every=self.net_every)

    def lazy(self) -> LazyReference:
        return LazyReference(**self._common(), committee=Committee(self.alpha, self.eps))


SETTINGS = {
    "smoke": Settings(D=12, P=40, N=40, eps=0.2, eta0=1.0, steps=1500, n_test=500, net_steps=600, net_every=100),
    "quick": Settings(D=30, P=120, N=150, eps=0.1, eta0=1.0, steps=8000, n_test=2000, net_steps=2000, net_every=200),
    "full": Settings(D=100, P=550, N=500, eps=0.02, eta0=0.5, steps=100000, n_test=2000, net_steps=20000,
                     net_every=1000),
}


def studies(s: Settings):
    return {"runs": s.runs(), "lazy": s.lazy()}


def summary(res, s: Settings) -> dict:
    """Curves and numbers shared by checks and draw."""
    th = res.theory("runs")
    rich, lazy_net, lin = one_run(th, 0), one_run(th, 1), res.theory("lazy")
    cka = rich["cka"]
    half = 0.5 * (cka[0] + cka[-1])
    t_cka = crossing_time(th.t, cka, half, direction="up") if cka[-1] > cka[0] else float("nan")
    return {"rich": rich, "lazy_net": lazy_net, "lin": lin, "L0": float(rich["train_loss"][0]), "cka": cka,
            "t_cka": t_cka, "times": grok_times(rich, test="test_loss"),
            "kr": float(lin["kernel_regression_test_loss"][0])}


def checks(res, s: Settings):
    d = summary(res, s)
    rich, lin, ex = d["rich"], d["lin"], res.experiment("runs")
    exact = tol.exact(why="the (w_bar, M) map is the network's own GD in float64: round-off only")
    net = [max_error(rich, ex, k, threshold=exact) for k in ("train_loss", "test_loss")]
    worst = max(net, key=lambda a: a.value)
    rows = [assess("trained network vs exact (w_bar, M) dynamics", "max relative difference (train and test loss)",
                   worst.value, exact, detail={"t_worst": worst.detail["t_worst"]}, clock=rich.clock)]
    lazy_err = tol.criterion(0.01, f"the linearisation's error is O(1/alpha) at alpha = {s.alpha_lazy:g}; 1% of "
                                   "the initial loss is far below the rich network's departure (next row)")
    dev = [max_error(lin, d["lazy_net"], k, scale=d["L0"], threshold=lazy_err) for k in ("train_loss", "test_loss")]
    rows.append(assess(f"at alpha = {s.alpha_lazy:g} the network is its linearisation",
                       "max |L_net - L_lin| / L_0 over the run (train and test)", max(a.value for a in dev), lazy_err,
                       clock=lin.clock))
    leave = max_error(lin, rich, "test_loss", scale=d["L0"], threshold=lazy_err)
    rows += [
        assess(f"at alpha = {s.alpha:g} it leaves it", "max |L_net - L_lin| / L_0 over the run (test)", leave.value,
               tol.criterion(0.2, "20% of the initial loss, twenty times the lazy network's distance (row above)",
                             at_least=True), clock=lin.clock),
        assess("rich network beats kernel regression (P << D^2)",
               "final network test loss / kernel-regression test loss", rich["test_loss"][-1] / d["kr"],
               tol.criterion(0.5, "kernel regression needs P ~ D^2 samples, the rich network P ~ D (Kumar et al. "
                                  "2024, Fig. 1): at P ~ 4D it must win by a clear factor")),
        assess("linearised model stays near kernel regression, far above the network",
               "lazy test loss / network test loss, at the end", lin["test_loss"][-1] / rich["test_loss"][-1],
               tol.criterion(3.0, "the lazy model cannot learn the quadratic target at P << D^2: a factor 3 above "
                                  "the rich network", at_least=True),
               detail={"lazy_final_over_kernel_regression": float(lin["test_loss"][-1] / d["kr"])}),
        assess("NTK aligns with the target during training", "final CKA / initial CKA", d["cka"][-1] / d["cka"][0],
               tol.criterion(1.3, "a 30% rise; the lazy model's kernel does not move at all", at_least=True),
               detail={"cka_initial": float(d["cka"][0]), "cka_final": float(d["cka"][-1])}),
        assess("the kernel aligns before the test loss falls (info)",
               "epoch of half the CKA rise / epoch of 50% test loss", d["t_cka"] / d["times"]["t_test"],
               tol.criterion(1.0, "the kernel turns toward the target before generalisation (Kumar et al. 2024, "
                                  "Fig. 1 right)"), gating=False, clock=rich.clock,
               detail={"t_cka_half": d["t_cka"], "t_test": d["times"]["t_test"], "t_train": d["times"]["t_train"]}),
    ]
    return rows


def draw(res, s: Settings):
    d = summary(res, s)
    rich, lin, lazy_net, ex = d["rich"], d["lin"], d["lazy_net"], res.experiment("runs")
    fig, axes = new_figure(2, 1, width=3.6, height=2.9)
    ax = axes[0, 0]
    ax.plot(rich.t, rich["train_loss"], "--", color=COLORS[0], label="network train (exact dynamics)")
    ax.plot(rich.t, rich["test_loss"], "-", color=COLORS[0], label="network test")
    ax.plot(lin.t, lin["train_loss"], "--", color=COLORS[1], label="linearised train")
    ax.plot(lin.t, lin["test_loss"], "-", color=COLORS[1], label="linearised test")
    ax.plot(lazy_net.t[::8], lazy_net["test_loss"][::8], "x", ms=3, color=COLORS[1],
            label=f"network test, alpha={s.alpha_lazy:g}")
    ax.axhline(d["kr"], color="k", lw=0.8, label="kernel regression, initial NTK")
    ax.plot(ex.t, ex["train_loss"], "o", ms=3, mfc="none", color="k", label="trained net (train)")
    ax.plot(ex.t, ex["test_loss"], "s", ms=3, mfc="none", color="k", label="trained net (test)")
    epoch_axis(ax, rich)
    ax.set_ylabel("loss (1/P) sum (f - y)^2")
    ax.legend(fontsize=5.5, ncol=2, loc="upper center", bbox_to_anchor=(0.55, -0.3))
    ax = axes[0, 1]
    ax.plot(rich.t, d["cka"], color=COLORS[2], label="CKA(NTK(t), y)")
    epoch_axis(ax, rich, log_y=False)
    ax.set_ylabel("centred kernel alignment")
    ax2 = ax.twinx()
    ax2.plot(rich.t, rich["test_loss"] / rich["test_loss"][0], color=COLORS[0], lw=0.8, alpha=0.6)
    ax2.set_yscale("log")
    ax2.set_ylabel("test loss / initial", fontsize=7, color=COLORS[0])
    ax.legend(fontsize=6, loc="upper left")
    fig.suptitle(f"Grokking Fig. 1: the network leaves its linearisation; its NTK aligns with the target\n"
                 f"D={s.D}, P={s.P}, N={s.N}, eps={s.eps}, alpha={s.alpha:g}", fontsize=7)
    fig.subplots_adjust(wspace=0.45)
    return fig


FIGURE = Figure(
    "grok_fig1", "Grokking Fig. 1: the network leaves its linearisation; its NTK aligns with the target",
    "arXiv:2310.06110, Fig. 1", SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=7,
    setup="centred quadratic committee machine on y = (beta . x)^2 / 2, D = 100, P = 550, N = 500, eps = 0.02, "
          "alpha = 1, full-batch GD at eta = eta0 N / alpha^2 for 1e5 epochs, 1000 test points; the linearised "
          "model and kernel regression with the initial NTK",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, eps = {s.eps:g}, eta0 = {s.eta0:g}, {s.steps} epochs, "
                          f"{s.n_test} test points",
                          "curves are the exact (w_bar, M) dynamics (equal to GD of the width-N network); a trained "
                          f"float64 network is drawn over the first {s.net_steps} epochs",
                          f"lazy limit shown by the same weights at alpha = {s.alpha_lazy:g}"],
)
