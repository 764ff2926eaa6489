"""Kernel diagnostics across the lazy-rich knob: the output scale alpha (Chizat, Oyallon & Bach 2019).

The two-phase network of ``kernel_phases`` with output scale ``alpha``, centred, trained at
parameter step ``lr / alpha^2`` so that its function moves at an ``alpha``-independent rate
at initialisation (:class:`~theorylab.studies.kernel_evolution.KernelPhases`; the clock is
``tau = lr x step`` for every ``alpha``).  Large ``alpha`` is lazy: the eNTK stays at its
initial value and the network stays its own linearisation at init; small ``alpha`` is rich.
The linearised-at-init model does not depend on ``alpha`` at all on this clock.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullFormatter

from theorylab.compare import assess, relative_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.kernel_evolution import (KernelPhases, Switching, cone_summary, gap_boundary,
                                                velocity_boundary)
from theorylab.testing import thresholds as tol

from ._shared import BASE, log_time_axis, switching, worst


@dataclass(frozen=True)
class Settings:
    base: KernelPhases
    alphas: tuple[float, ...]
    velocity_fraction: float = 0.3
    gap_fraction: float = 0.1


SETTINGS = {
    "smoke": Settings(BASE["smoke"], (0.5, 2.0, 8.0)),
    "quick": Settings(BASE["quick"], (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)),
    "full": Settings(BASE["full"], (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)),
}


def _base(s: Settings, a: float) -> KernelPhases:
    return s.base.replace(output_scale=a)


def studies(s: Settings):
    out = {}
    for a in s.alphas:
        out[f"alpha={a:g}"] = _base(s, a)
        out[f"switch alpha={a:g}"] = switching(_base(s, a))
    return out


def alpha_summary(res, s: Settings) -> dict[str, np.ndarray]:
    """Per alpha (rows) and seed (columns): end-of-training kernel change, switching losses, boundaries, cone."""
    keys = ("distance", "relative_change", "lin0", "full", "t1_velocity", "t1_gap", "cone", "phase1")
    out = {k: [] for k in keys}
    for a in s.alphas:
        ex, th = res.experiment(f"alpha={a:g}"), res.theory(f"switch alpha={a:g}")
        K = ex["ntk"]
        out["distance"].append(ex["kernel_distance"][-1])
        out["relative_change"].append(np.linalg.norm(K[-1] - K[0], axis=(-2, -1)) / np.linalg.norm(K[0], axis=(-2, -1)))
        out["lin0"].append(th["test_loss"][0])
        out["full"].append(th["test_loss_full"][0])
        row = {k: [] for k in ("t1_velocity", "t1_gap", "cone", "phase1")}
        for e in range(s.base.seeds):
            t1 = velocity_boundary(ex.t, ex["kernel_velocity"][:, e], s.velocity_fraction)
            c = cone_summary(ex.t, K[:, e], t1)
            row["t1_velocity"].append(t1)
            row["t1_gap"].append(gap_boundary(th.t, th["test_loss"][:, e] - th["test_loss_full"][:, e],
                                              s.gap_fraction, s.base.t_max))
            row["cone"].append(c["cone"])
            row["phase1"].append(c["phase1"])
        for k, v in row.items():
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def checks(res, s: Settings):
    q = alpha_summary(res, s)
    al = np.asarray(s.alphas)
    dist = q["distance"].mean(1)
    gap = (q["lin0"] - q["full"]) / q["lin0"]
    i1 = int(np.argmin(np.abs(np.log(al))))                          # the alpha closest to 1
    rows = [
        assess("the eNTK moves less as alpha grows (seed mean)", "max over neighbours of S_T(alpha') / S_T(alpha)",
               float(np.max(dist[1:] / dist[:-1])),
               tol.claim(1.0, "arXiv:1812.07956 Thm. 2.2: at large output scale training is lazy, the tangent kernel "
                              "stays at its initial value; S_T = S(K_0, K_T) must fall with alpha"),
               detail={"alphas": list(s.alphas), "S_T": dist.tolist()}),
        assess(f"rich end (alpha = {al[0]:g}): full training beats the linearised-at-init net, worst seed",
               "L_lin(0) / L_full (test)", worst(q["lin0"][0] / q["full"][0], low=False),
               tol.criterion(2.0, "feature learning halves the test loss of the lazy model at least", at_least=True)),
        assess(f"lazy end (alpha = {al[-1]:g}): the network is close to its linearisation at init, worst seed",
               "(L_lin(0) - L_full) / L_lin(0) (test)", worst(gap[-1], low=True),
               tol.claim(0.1, "arXiv:1812.07956 sec. 2: as alpha grows the trained network tends to its "
                              "linearisation")),
        relative_error("the linearised-at-init model does not depend on alpha (tau clock)",
                       np.broadcast_to(q["lin0"][i1], q["lin0"].shape), q["lin0"],
                       tol.exact(factor=1e3, why="K scales as alpha^2 and the step as 1/alpha^2: the same kernel "
                                                 "GD, up to round-off of eigendecompositions of scaled kernels"),
                       metric=f"max_alpha,seed |L_lin(0; alpha) - L_lin(0; {al[i1]:g})| / L_lin(0; {al[i1]:g})"),
    ]
    rel = q["relative_change"].mean(1)
    slope = float(np.log(rel[-1] / rel[-2]) / np.log(al[-1] / al[-2]))
    rows.append(assess(f"relative kernel change ~ alpha^slope between alpha = {al[-2]:g} and {al[-1]:g} (info)",
                       "-slope", -slope,
                       tol.criterion(1.3, "lazy training moves the kernel by O(1/alpha) (arXiv:1812.07956): a slope "
                                          "near -1 once alpha is large enough; steeper means not yet asymptotic"),
                       gating=False, detail={"relative change": rel.tolist()}))
    for j, a in enumerate(s.alphas):
        ratio = np.maximum(q["t1_velocity"][j] / q["t1_gap"][j], q["t1_gap"][j] / q["t1_velocity"][j])
        rows.append(assess(f"alpha = {a:g}: velocity and gap boundaries agree (info), worst seed",
                           "max(t1_v / t1_gap, t1_gap / t1_v)", worst(ratio, low=True),
                           tol.criterion(2.0, "the same boundary within a factor of 2"), gating=False,
                           detail={"t1_velocity": q["t1_velocity"][j].tolist(), "t1_gap": q["t1_gap"][j].tolist()}))
    return rows


def draw(res, s: Settings):
    q = alpha_summary(res, s)
    al = np.asarray(s.alphas)
    fig, axes = new_figure(2, 2, width=3.4, height=2.5)
    tau = "tau = lr0 x step\n(= alpha^2 x gradient-flow time)"
    for j, a in enumerate(s.alphas):
        ex = res.experiment(f"alpha={a:g}")
        c = COLORS[j % len(COLORS)]
        axes[0, 0].plot(ex.t[1:], ex["kernel_distance"][1:].mean(1), "-", color=c, label=f"alpha = {a:g}")
        axes[0, 1].plot(ex.t[:-1], ex["kernel_velocity"][:-1].mean(1), "-", color=c, label=f"alpha = {a:g}")
    for ax in axes[0]:
        ax.set_yscale("log")
        log_time_axis(ax, res.experiment(f"alpha={s.alphas[0]:g}"), label=tau)
    axes[0, 0].set_ylabel("S(K_0, K_t), seed mean")
    axes[0, 0].set_title("distance from the initial eNTK", fontsize=7.5)
    axes[0, 0].legend(fontsize=5.5, ncol=2, loc="lower right")
    axes[0, 1].set_ylabel("kernel velocity, seed mean")
    axes[0, 1].set_title("velocity S(K_t, K_t+dt) / dt", fontsize=7.5)
    ax = axes[1, 0]
    ax.loglog(al, q["full"].mean(1), "o-", color=COLORS[0], label="test loss, full training")
    ax.loglog(al, q["lin0"].mean(1), "s--", color=COLORS[1], label="test loss, linearised at init")
    ax.loglog(al, q["relative_change"].mean(1), "^-", color=COLORS[2], label="||K_T - K_0|| / ||K_0||")
    ax.loglog(al, q["relative_change"].mean(1)[-1] * al[-1] / al, "k:", lw=0.8, label="~ 1 / alpha")
    ax.set_xlabel("output scale alpha (lazy to the right)")
    ax.set_title("end of training", fontsize=7.5)
    ax.legend(fontsize=5.5, loc="upper right")
    ax = axes[1, 1]
    for e in range(s.base.seeds):
        ax.loglog(al, q["t1_velocity"][:, e], "o-", color=COLORS[e], label=f"t1 from the velocity, seed {e}")
        ax.loglog(al, q["t1_gap"][:, e], "s--", color=COLORS[e], mfc="none", label=f"t1 from the gap, seed {e}")
    ax.set_xlabel("output scale alpha (lazy to the right)")
    ax.set_ylabel("end of Phase I, tau")
    ax.set_title("the two boundaries", fontsize=7.5)
    for a in axes[1]:                                     # the labelled alphas only: minor labels collide
        a.set_xticks(al, [f"{v:g}" for v in al])
        a.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=5.5)
    fig.suptitle("Lazy to rich: the MLP of kernel_phases at output scale alpha, centred, parameter step lr / alpha^2",
                 fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "kernel_alpha", "Kernel diagnostics across the output scale alpha (lazy to rich)",
    "arXiv:1812.07956 (Thm. 2.2, sec. 2); arXiv:2010.15110; arXiv:2503.16316",
    SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=14,
    setup="a network f = alpha (g_theta - g_theta0) trained at step lr / alpha^2: lazy (kernel) regime as alpha grows, "
          "feature learning as alpha shrinks (Chizat et al. 2019)",
    deviations=lambda s: [f"the centred tanh MLP {s.base.hidden} of kernel_phases, alphas {s.alphas}; GD at "
                          f"lr = {s.base.lr:g} / alpha^2 to tau = {s.base.t_max:g}; {s.base.seeds} seeds",
                          f"probe set: the first {s.base.n_probe} test inputs; switching solved exactly (kernel GD) "
                          "at every other record"],
)
