r"""Kumar et al. ICLR 2024 (arXiv:2310.06110), Fig. 7 (initial weight scale vs output scale), derived exactly.

For the quadratic committee machine the initial weight scale is not a new knob:
with ``w_i = sigma v_i``,

.. math:: \frac{\alpha}{N}\sum_i \phi_\epsilon(\sigma v_i\cdot x)
          = \frac{\alpha\sigma}{N}\sum_i \phi_{\epsilon\sigma}(v_i\cdot x),

and GD on ``w`` with ``eta = eta0 N / alpha^2`` is GD on ``v`` with
``eta / sigma^2 = eta0 N / (alpha sigma)^2``.  So under the paper's learning-rate
scaling, ``(alpha, eps, sigma)`` and ``(alpha sigma, eps sigma, 1)`` have *identical*
dynamics at equal epochs: a larger initial scale is a larger output scale (lazier)
*and* a better-aligned initial NTK.  (Derived here; the paper's note that sigma acts
like an output scale is this statement with eps held fixed.)  The report checks
the identity on the exact dynamics and on a trained network, and gives the
generalisation time vs sigma next to the time vs alpha at fixed eps.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullLocator

from theorylab.compare import assess, max_error, relative_error
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
    sigmas: tuple[float, ...]
    check_steps: int             # epochs of the trained network with sigma = sigmas[-1]
    alpha: float = 1.0
    eps: float = 0.1
    every: int = 50

    def study(self) -> GrokkingRuns:
        a, e, sig = self.alpha, self.eps, self.sigmas
        runs = (tuple(Committee(a, e, init_scale=s) for s in sig)         # (alpha, eps, sigma)
                + tuple(Committee(a * s, e * s) for s in sig)             # partner (alpha sigma, eps sigma, 1)
                + tuple(Committee(a * s, e) for s in sig))                # (alpha sigma, eps, 1)
        return GrokkingRuns(D=self.D, P=self.P, N=self.N, eta0=self.eta0, steps=self.steps, record_every=self.every,
                            runs=runs, trained=len(sig) - 1, trained_steps=self.check_steps, trained_every=self.every)


SETTINGS = {
    "smoke": Settings(D=12, P=40, N=40, eta0=1.0, steps=1500, eps=0.2, sigmas=(0.7, 1.0, 1.5), check_steps=100),
    "quick": Settings(D=30, P=120, N=150, eta0=1.0, steps=8000, sigmas=(0.7, 1.0, 1.5, 3.0), check_steps=500),
    "full": Settings(D=100, P=450, N=500, eta0=0.5, steps=100000, sigmas=(0.3, 0.7, 1.0, 1.5, 3.0), check_steps=2000),
}


def groups(res, s: Settings):
    """Runs (sigma, partner, by-alpha) and the test-loss crossing epochs of the sigma and by-alpha groups."""
    th = res.theory("scales")
    k = len(s.sigmas)
    runs = [one_run(th, i) for i in range(3 * k)]
    r_sig, r_par, r_alpha = runs[:k], runs[k:2 * k], runs[2 * k:]
    t_sig = np.array([grok_times(r)["t_test"] for r in r_sig])
    t_alpha = np.array([grok_times(r)["t_test"] for r in r_alpha])
    return r_sig, r_par, r_alpha, t_sig, t_alpha


def checks(res, s: Settings):
    r_sig, r_par, _, t_sig, t_alpha = groups(res, s)
    keys = ("train_loss", "pop_test_loss")
    exact = tol.exact(why="the same dynamics computed twice in float64: round-off only")
    ok = np.isfinite(t_sig)
    slope = float(np.polyfit(np.log(np.asarray(s.sigmas)[ok]), np.log(t_sig[ok]), 1)[0]) if ok.sum() >= 2 else np.nan
    return [
        relative_error("(alpha, eps, sigma) and (alpha sigma, eps sigma, 1) have the same dynamics",
                       np.stack([r[k] for r in r_par for k in keys]), np.stack([r[k] for r in r_sig for k in keys]),
                       exact, metric="max relative difference of train and test loss, all sigma",
                       clock=r_par[0].clock),
        max_error(r_par[-1], res.experiment("scales"), "train_loss",
                  threshold=tol.exact(why="GD of the network is the partner's (w_bar, M) map in float64: round-off"),
                  label=f"trained net with sigma = {s.sigmas[-1]:g} vs its partner's exact dynamics"),
        assess("sigma is not alpha alone: raising sigma generalises sooner than raising alpha (info)",
               "fraction of sigma > 1 with t_test(sigma) < t_test(alpha = sigma, same eps)",
               float(np.mean([ts < ta or (np.isfinite(ts) and not np.isfinite(ta))
                              for sg, ts, ta in zip(s.sigmas, t_sig, t_alpha) if sg > 1])),
               tol.criterion(1.0, "sigma also raises the alignment eps sigma (the identity above)", at_least=True),
               gating=False, detail={"t_test_sigma": t_sig.tolist(), "t_test_alpha": t_alpha.tolist()}),
        assess("generalisation time vs sigma (info)", "fitted exponent of t_test(50%) vs sigma (reached runs)", slope,
               tol.criterion(0.0, "the paper's reading (sigma acts like alpha, so larger sigma is later) would give "
                                  "a positive exponent; <= 0 would mean the alignment gain wins"), gating=False),
    ]


def draw(res, s: Settings):
    r_sig, r_par, _, t_sig, t_alpha = groups(res, s)
    fig, axes = new_figure(2, 1, width=3.4, height=2.8)
    loss_curves(axes[0, 0], r_sig, [f"sigma={sg:g}" for sg in s.sigmas], COLORS)
    for r, c in zip(r_par, COLORS):
        axes[0, 0].plot(r.t[::10], r["pop_test_loss"][::10] / r["pop_test_loss"][0], "o", ms=3, mfc="none", color=c)
    axes[0, 0].plot([], [], "o", mfc="none", color="k", label="partner (alpha sigma, eps sigma, 1)")
    axes[0, 0].legend(fontsize=6)
    ax = axes[0, 1]
    ax.loglog(s.sigmas, t_sig, "o-", color=COLORS[0], label=f"vary sigma (alpha={s.alpha:g}, eps={s.eps:g})")
    ax.loglog(s.sigmas, t_alpha, "s--", color=COLORS[1], label=f"vary alpha = {s.alpha:g} x sigma (eps={s.eps:g}, "
                                                                 "sigma=1)")
    ax.set_xticks(s.sigmas, [f"{sg:g}" for sg in s.sigmas])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("sigma (or alpha / alpha_0)")
    ax.set_ylabel(f"{r_sig[0].clock.symbol} of 50% test loss")
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.32))
    fig.suptitle(f"Grokking Fig. 7: initial scale sigma = output scale alpha sigma with alignment eps sigma\n"
                 f"D={s.D}, P={s.P}, N={s.N}", fontsize=7)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "grok_fig7", "Grokking Fig. 7: initial scale sigma = output scale alpha sigma with alignment eps sigma",
    "arXiv:2310.06110, Fig. 7", SETTINGS, studies=lambda s: {"scales": s.study()}, checks=checks, draw=draw,
    quick_seconds=8,
    setup="quadratic committee machines with initial weights w_i ~ N(0, sigma^2 I): grokking time against the "
          "initial scale sigma, compared with the output scale alpha",
    deviations=lambda s: [f"D = {s.D}, P = {s.P}, N = {s.N}, alpha = {s.alpha:g}, eps = {s.eps:g}, eta0 = {s.eta0:g}, "
                          f"{s.steps} epochs; sigma in {s.sigmas}",
                          "exact (w_bar, M) dynamics; the identity (alpha, eps, sigma) = (alpha sigma, eps sigma, 1) "
                          f"checked on them and on a trained network over {s.check_steps} epochs"],
)
