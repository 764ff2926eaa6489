"""The DMFT kernel of a mean-field two-layer network, over trained networks of growing width (Bordelon & Pehlevan 2022).

Two-layer *linear* networks in the mean-field parametrisation at fixed ``gamma0`` on whitened
inputs (:class:`~theorylab.studies.kernel_evolution_exact.MeanFieldKernel`).  The DMFT gives
their whole NTK on the training set at every time: ``K = (1 + c) I + (c - 1) y^ y^T`` with
``c = sqrt(1 + gamma0^2 f^2)`` -- the kernel grows along the target twice as fast as across
it.  A width-``N`` network fluctuates around it by ``O(N^{-1/2})``: the relative Frobenius
error of the trained networks' eNTK shrinks at that rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.kernel_evolution_exact import MeanFieldKernel, relative_kernel_error
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    base: MeanFieldKernel
    widths: tuple[int, ...]


SETTINGS = {
    "smoke": Settings(MeanFieldKernel(D=8, P=4, dt=0.01, t_max=1.0, n_rec=11, seeds=2), (32, 128)),
    "quick": Settings(MeanFieldKernel(D=16, P=8, dt=0.0025, t_max=2.5, n_rec=26, seeds=6), (64, 256, 1024, 4096)),
    "full": Settings(MeanFieldKernel(D=32, P=16, dt=0.001, t_max=3.0, n_rec=31, seeds=16),
                     (64, 256, 1024, 4096, 16384)),
}

#: A single width-N network's relative deviation from the DMFT is about C / sqrt(N); measured at N = 64-4096
#: (6 seeds): 0.9-2.1 along y, 1.2-1.5 across it.
C_ALONG, C_ACROSS = 2.5, 2.0


def studies(s: Settings):
    return {f"N={N}": s.base.replace(N=N) for N in s.widths}


def width_errors(res, s: Settings) -> tuple[np.ndarray, float]:
    """Seed-mean of max_t ||K_N - K_DMFT||_F / ||K_DMFT||_F per width, and its log-log slope against N."""
    err = np.array([relative_kernel_error(res.theory(f"N={N}")["ntk"][:, None], res.experiment(f"N={N}")["ntk"])
                    .max(0).mean() for N in s.widths])
    return err, float(np.polyfit(np.log(np.asarray(s.widths, float)), np.log(err), 1)[0])


def checks(res, s: Settings):
    err, slope = width_errors(res, s)
    N = max(s.widths)
    E = s.base.seeds
    th, ex = res.theory(f"N={N}"), res.experiment(f"N={N}")
    rows = [
        assess(f"finite-width error of the eNTK ~ N^slope (N = {s.widths}): |slope + 1/2|", "|fitted slope + 0.5|",
               abs(slope + 0.5),
               tol.criterion(0.15, "fluctuations around the DMFT are O(N^-1/2) (Bordelon & Pehlevan 2022, sec. 5); "
                                   f"{E} seeds at {len(s.widths)} widths fit the slope to about +-0.03"),
               detail={"slope": slope, "errors": err.tolist()}),
        max_error(th, ex, "kernel_y", threshold=tol.monte_carlo(C_ALONG / np.sqrt(N), E, why="a single network's "
                  f"kernel along y deviates by about {C_ALONG:g} / sqrt(N) (relative)"),
                  label=f"width {N}: kernel along the target y^T K y vs DMFT 2 sqrt(1 + gamma0^2 f^2)"),
        max_error(th, ex, "kernel_perp", threshold=tol.monte_carlo(C_ACROSS / np.sqrt(N), E, why="a single network's "
                  f"kernel across y deviates by about {C_ACROSS:g} / sqrt(N) (relative)"),
                  label=f"width {N}: kernel across the target vs DMFT 1 + sqrt(1 + gamma0^2 f^2)"),
    ]
    return rows


def draw(res, s: Settings):
    err, slope = width_errors(res, s)
    th = res.theory(f"N={s.widths[0]}")
    fig, axes = new_figure(2, 1, width=3.3, height=2.7)
    ax = axes[0, 0]
    ax.plot(th.t, th["kernel_y"], "-", color="k", lw=1.3, label="DMFT, along y")
    ax.plot(th.t, th["kernel_perp"], "--", color="k", lw=1.3, label="DMFT, across y")
    for i, N in enumerate(s.widths):
        ex = res.experiment(f"N={N}").mean()
        ax.plot(ex.t[::2], ex["kernel_y"][::2], "o", ms=3, mfc="none", color=COLORS[i], label=f"N={N}")
        ax.plot(ex.t[::2], ex["kernel_perp"][::2], "s", ms=2.5, mfc="none", color=COLORS[i])
    ax.set_xlabel(th.clock.label)
    ax.set_ylabel("kernel y^T K y (o), across y (s)")
    ax.set_title(f"NTK on the training set (gamma0 = {s.base.gamma0:g}, |y| = {s.base.y_norm:g})", fontsize=7.5)
    ax.legend(fontsize=5.5)
    ax = axes[0, 1]
    w = np.asarray(s.widths, float)
    ax.loglog(w, err, "o-", color=COLORS[1], label="max_t ||K_N - K_DMFT|| / ||K_DMFT||")
    ax.loglog(w, err[0] * np.sqrt(w[0] / w), "k--", lw=0.8, label="N^-1/2")
    ax.set_xticks(w, [str(int(v)) for v in w])
    ax.minorticks_off()
    ax.set_xlabel("width N")
    ax.set_ylabel("relative Frobenius error (seed mean)")
    ax.set_title(f"finite-width error, slope {slope:.2f}", fontsize=7.5)
    ax.legend(fontsize=6)
    fig.suptitle("Mean-field two-layer linear networks: eNTK over the DMFT kernel at growing width", fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "kernel_meanfield", "Mean-field two-layer networks: eNTK over the DMFT kernel at growing width",
    "arXiv:2205.09653 (sec. 4-5)", SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=5,
    setup="two-layer networks in the mean-field parametrisation at fixed gamma0, gradient flow d theta/dt = "
          "-gamma^2 grad L on L = 1/2 sum (y - f)^2; the DMFT gives the kernels at infinite width, finite widths "
          "fluctuate by O(N^-1/2)",
    deviations=lambda s: [f"linear activation on P = {s.base.P} whitened inputs in D = {s.base.D} (the closed case), "
                          f"gamma0 = {s.base.gamma0:g}, |y| = {s.base.y_norm:g}",
                          f"widths {s.widths}, {s.base.seeds} seeds each (antithetic init, f(0) = 0), GD at "
                          f"lr = gamma^2 dt with dt = {s.base.dt:g} for gradient flow"],
)
