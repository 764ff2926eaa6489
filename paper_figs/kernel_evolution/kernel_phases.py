"""Two phases of kernel evolution in a nonlinear MLP (Fort et al. 2020, arXiv:2010.15110; Zhou et al. 2025).

A centred two-hidden-layer tanh MLP learns a single-index Hermite target by full-batch GD
(:class:`~theorylab.studies.kernel_evolution.KernelPhases`); its eNTK is recorded on a
probe set of test inputs.  Phase I: the kernel moves fast (it turns away from its initial
direction while the network escapes the plateau); Phase II: it slows down.  The end of
Phase I, ``t1``, is read off the kernel velocity (the first record after the velocity last
exceeds a fraction of its peak) and, independently, off the linearisation gap (the first
switch time from which the network linearised there ends within a fraction of full
training; :class:`~theorylab.studies.kernel_evolution.Switching`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullFormatter

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.nets import kernel_distance
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.kernel_evolution import KernelPhases, Switching, gap_boundary, velocity_boundary
from theorylab.testing import thresholds as tol

from ._shared import BASE, log_time_axis, switching, worst


@dataclass(frozen=True)
class Settings:
    base: KernelPhases
    switch: Switching
    velocity_fraction: float = 0.3      # Phase I ends when the velocity stays below this fraction of its peak
    gap_fraction: float = 0.1           # ... or when switching leaves at most this fraction of the initial gap


#: quick mode also trains the jvp-linearised network at t0 = 0 and at record 28 (tau = 16.55, after Phase I)
SETTINGS = {m: Settings(BASE[m], switching(BASE[m], (0, 28) if m == "quick" else ())) for m in BASE}


def phase_summary(res, s: Settings) -> dict[str, np.ndarray]:
    """Per seed: the two boundaries, and the kernel's travel and mean speed in each phase."""
    ex, th = res.experiment("phases"), res.theory("switch")
    out = {k: [] for k in ("t1_velocity", "t1_gap", "share", "speed_ratio")}
    for e in range(s.base.seeds):
        t1 = velocity_boundary(ex.t, ex["kernel_velocity"][:, e], s.velocity_fraction)
        gap = th["test_loss"][:, e] - th["test_loss_full"][:, e]
        i1 = int(np.argmin(np.abs(ex.t - t1)))
        K = ex["ntk"][:, e]
        d1, d2, total = kernel_distance(K[0], K[i1]), kernel_distance(K[i1], K[-1]), kernel_distance(K[0], K[-1])
        out["t1_velocity"].append(t1)
        out["t1_gap"].append(gap_boundary(th.t, gap, s.gap_fraction, s.base.t_max))
        out["share"].append(d1 / total)
        # no Phase II on the record (t1 = t_max): no slowdown seen, ratio 1
        out["speed_ratio"].append((d2 / (ex.t[-1] - t1)) / (d1 / t1) if t1 < ex.t[-1] else 1.0)
    return {k: np.array(v) for k, v in out.items()}


def checks(res, s: Settings):
    p = phase_summary(res, s)
    clock = res.experiment("phases").clock
    T = s.base.t_max
    agree = np.maximum(p["t1_velocity"] / p["t1_gap"], p["t1_gap"] / p["t1_velocity"])
    return [
        assess("Phase I is short: t1 (velocity) / t_max, worst seed", "t1 / t_max",
               worst(p["t1_velocity"] / T, low=True),
               tol.criterion(0.3, "an early phase: the kernel's fast motion ends within the first 30% of training "
                                  "(Fort et al. 2020 see it end within a few epochs)"), clock=clock,
               detail={"t1": p["t1_velocity"].tolist()}),
        assess("most of the kernel's change from init happens in Phase I, worst seed",
               "S(K_0, K_t1) / S(K_0, K_T)", worst(p["share"], low=False),
               tol.criterion(0.5, "'the eNTK evolves a lot in Phase I' (Zhou et al. 2025): more than half of the "
                                  "kernel distance from init is covered by t1", at_least=True)),
        assess("the kernel slows down: mean speed in Phase II / Phase I, worst seed",
               "[S(K_t1, K_T) / (T - t1)] / [S(K_0, K_t1) / t1]", worst(p["speed_ratio"], low=True),
               tol.criterion(0.2, "two phases: the mean kernel speed drops at least five-fold after t1"),
               clock=clock),
        assess("the two boundaries agree (velocity vs linearisation gap), worst seed",
               "max(t1_v / t1_gap, t1_gap / t1_v)", worst(agree, low=True),
               tol.criterion(2.0, "the same boundary within a factor of 2 in time (records are ~17% apart)"),
               gating=False, clock=clock, detail={"t1_velocity": p["t1_velocity"].tolist(),
                                                  "t1_gap": p["t1_gap"].tolist()}),
    ]


def draw(res, s: Settings):
    ex = res.experiment("phases")
    p = phase_summary(res, s)
    fig, axes = new_figure(3, 1, width=2.9, height=2.6)
    for e in range(s.base.seeds):
        c = COLORS[e]
        ax = axes[0, 0]
        ax.plot(ex.t, ex["loss"][:, e], "--", color=c, lw=1)
        ax.plot(ex.t, ex["test_loss"][:, e], "-", color=c, label=f"seed {e}")
        ax = axes[0, 1]
        ax.plot(ex.t, ex["kernel_distance"][:, e], "-", color=c, label=f"S(K_0, K_t), seed {e}")
        ax.plot(ex.t, ex["kernel_distance_final"][:, e], ":", color=c, label=f"S(K_t, K_T), seed {e}")
        ax = axes[0, 2]
        ax.plot(ex.t[:-1], ex["kernel_velocity"][:-1, e], "-", color=c, label=f"seed {e}")
        for ax in axes[0]:
            ax.axvline(p["t1_velocity"][e], color=c, lw=0.8, ls="--")
            ax.axvline(p["t1_gap"][e], color=c, lw=0.8, ls=":")
    axes[0, 0].set_ylabel("loss (dashed train, solid test)")
    axes[0, 0].set_title("1/2-mean squared error", fontsize=7.5)
    axes[0, 1].set_ylabel("kernel distance S")
    axes[0, 1].set_title("to the initial (solid) and final (dotted) eNTK", fontsize=7.5)
    axes[0, 2].set_yscale("log")
    axes[0, 2].yaxis.set_minor_formatter(NullFormatter())  # minor labels (3e-4, 4e-4, ...) collide
    axes[0, 2].set_ylabel("velocity S(K_t, K_t+dt) / dt")
    axes[0, 2].set_title(f"t1: velocity < {s.velocity_fraction:g} peak (--), gap (:)", fontsize=7.5)
    for ax in axes[0]:
        log_time_axis(ax, ex)
        ax.legend(fontsize=5.5)
    fig.suptitle(f"Two phases of the eNTK: tanh MLP {s.base.hidden}, He_{s.base.task.order} target, "
                 f"probe = {s.base.n_probe} test inputs", fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "kernel_phases", "Two phases of the eNTK in a nonlinear MLP", "arXiv:2010.15110 (Figs. 1, 4); arXiv:2503.16316",
    SETTINGS, studies=lambda s: {"phases": s.base, "switch": s.switch}, checks=checks, draw=draw, quick_seconds=11,
    setup="deep networks (ResNets) on image classification, SGD; eNTK on a probe set of inputs, kernel distance "
          "S = 1 - cos and kernel velocity over training; Phase I ends within the first epochs",
    deviations=lambda s: [f"a centred tanh MLP {s.base.hidden} (alpha = {s.base.output_scale:g}) on a single-index "
                          f"He_{s.base.task.order} target, D = {s.base.task.D}, P = {s.base.task.P}; "
                          f"full-batch GD at lr = {s.base.lr:g} to tau = {s.base.t_max:g}; {s.base.seeds} seeds",
                          f"probe set: the first {s.base.n_probe} test inputs (one output)",
                          f"velocity: forward difference over {s.base.n_rec} log-spaced records",
                          f"t1 from the velocity (below {s.velocity_fraction:g} of its peak for good) and from the "
                          f"linearisation gap (at most {s.gap_fraction:g} of its value at t0 = 0)"],
)
