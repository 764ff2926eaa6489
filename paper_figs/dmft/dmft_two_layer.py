"""DMFT (Bordelon & Pehlevan 2022, arXiv:2205.09653): finite-width networks collapse onto the theory.

Left: two-layer *linear* networks on whitened inputs at fixed ``gamma0`` for several
widths (:class:`TwoLayerWidth`) over the closed error dynamics
``dDelta/dt = -2 sqrt(1 + gamma0^2 (|y| - Delta)^2) Delta`` (:class:`TwoLayerTheory`).
Right: two-layer *tanh* networks over the DMFT particle solver (antithetic particles,
far more than the widths), with the finite-width error against width: it shrinks
like ``N^(-1/2)``.  Every curve is on DMFT time (gradient flow of ``gamma^2 L``), the
one clock on which all widths share their dynamics.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.dmft import TwoLayerTheory, TwoLayerWidth, finite_width_rms
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    widths: tuple[int, ...]
    seeds: int
    particles: int
    dt: float
    t_max: float
    n_rec: int
    gamma0: float = 1.0

    def _grid(self) -> dict:
        return dict(gamma0=self.gamma0, dt=self.dt, t_max=self.t_max, n_rec=self.n_rec)

    def data(self, kind: str) -> dict:
        return dict(activation="linear", P=8, D=8) if kind == "linear" else dict(activation="tanh", P=10, D=6)


SETTINGS = {
    "smoke": Settings(widths=(64, 256), seeds=2, particles=4096, dt=4e-3, t_max=1.0, n_rec=6),
    "quick": Settings(widths=(256, 1024, 4096), seeds=6, particles=32768, dt=2e-3, t_max=2.0, n_rec=11),
    "full": Settings(widths=(256, 1024, 4096, 16384), seeds=16, particles=262144, dt=5e-4, t_max=3.0, n_rec=31),
}


def studies(s: Settings):
    out = {}
    for kind in ("linear", "tanh"):
        out[f"{kind} theory"] = TwoLayerTheory(**s.data(kind), **s._grid(), particles=s.particles)
        for N in s.widths:
            out[f"{kind} N={N}"] = TwoLayerWidth(**s.data(kind), **s._grid(), width=N, seeds=s.seeds)
    return out


def tanh_errors(res, s: Settings) -> tuple[np.ndarray, float]:
    """RMS distance of single tanh networks to the DMFT per width, and its fitted slope in log-log."""
    rms = np.array([finite_width_rms(res.theory("tanh theory"), res.experiment(f"tanh N={N}")) for N in s.widths])
    return rms, float(np.polyfit(np.log(np.asarray(s.widths, float)), np.log(rms), 1)[0])


def checks(res, s: Settings):
    N = max(s.widths)
    th = res.theory("linear theory")
    y_norm = float(th["error"][0])
    rows = [max_error(th, res.experiment(f"linear N={N}"), "error", scale=y_norm,
                      threshold=tol.monte_carlo(0.6, N * s.seeds, z=4.0,
                                                why="one width-N network's |y - f| / |y| spreads by about 0.6 / "
                                                    "sqrt(N) around the DMFT (measured 0.42-0.55 at N = 256-4096); "
                                                    f"{s.seeds} seeds; the Euler error at dt = {s.dt:g} is smaller"),
                      label=f"linear: Delta(t) of width-{N} nets vs two_layer_linear_error")]
    rms, slope = tanh_errors(res, s)
    rows.append(assess(f"tanh: finite-width error ~ N^slope (N = {s.widths})", "fitted slope", slope,
                       tol.criterion(-0.3, "fluctuations around the DMFT are O(N^-1/2) (Bordelon & Pehlevan 2022, "
                                           "sec. 5): a slope near -0.5, at most -0.3 with three widths and few seeds"),
                       detail={"rms": rms.tolist(), "expected": -0.5}))
    rows.append(assess("tanh: error slope not steeper than -0.8", "minus the fitted slope", -slope,
                       tol.criterion(0.8, "steeper than N^-0.8 would mean the particle solver's own O(particles^-1/2) "
                                          "error or a bias dominates, not the widths' fluctuations")))
    return rows


def draw(res, s: Settings):
    rms, slope = tanh_errors(res, s)
    lin, tnh = res.theory("linear theory"), res.theory("tanh theory")
    fig, axes = new_figure(3, 1, width=3.1, height=2.7)
    for i, N in enumerate(s.widths):
        ex = res.experiment(f"linear N={N}").mean()
        axes[0, 0].plot(ex.t, ex["error"], "o", ms=3, mfc="none", color=COLORS[i], label=f"N={N}")
        ex = res.experiment(f"tanh N={N}").mean()
        axes[0, 1].plot(ex.t, ex["train_loss"], "o", ms=3, mfc="none", color=COLORS[i], label=f"N={N}")
    axes[0, 0].plot(lin.t, lin["error"], "k-", lw=1.2, label="closed DMFT")
    axes[0, 0].set_ylabel("|y - f|  (linear, whitened)")
    axes[0, 1].plot(tnh.t, tnh["train_loss"], "k-", lw=1.2, label=f"DMFT ({s.particles} particles)")
    axes[0, 1].set_ylabel("train loss 1/2 sum (y - f)^2  (tanh)")
    for ax in axes[0, :2]:
        ax.set_xlabel(lin.clock.label)
        ax.legend(fontsize=6)
    w = np.asarray(s.widths, float)
    ax = axes[0, 2]
    ax.loglog(w, rms, "o-", color=COLORS[1], label="RMS |L_N - L_DMFT|")
    ax.loglog(w, rms[0] * np.sqrt(w[0] / w), "k--", lw=0.8, label="N^-1/2")
    ax.set_xticks(w, [str(int(v)) for v in w])
    ax.minorticks_off()
    ax.set_xlabel("width N")
    ax.legend(fontsize=6)
    ax.set_title(f"slope {slope:.2f}", fontsize=7)
    fig.suptitle(f"DMFT: width-N networks at fixed gamma0 approach the infinite-width theory (gamma0 = {s.gamma0:g})",
                 fontsize=8)
    fig.tight_layout()
    return fig


FIGURE = Figure(
    "dmft_two_layer", "DMFT: width-N networks at fixed gamma0 approach the infinite-width theory",
    "arXiv:2205.09653, sec. 4-5", SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=30,
    setup="two-layer networks in the mean-field (muP) parametrisation at fixed gamma0 = gamma / sqrt(N), gradient flow "
          "d theta/dt = -gamma^2 grad L on L = 1/2 sum (y - f)^2; loss and kernel curves do not depend on N up to "
          "O(N^-1/2)",
    deviations=lambda s: [f"widths {s.widths}, {s.seeds} seeds each, GD at lr = gamma^2 dt with dt = {s.dt:g} for "
                          "gradient flow", f"tanh DMFT by {s.particles} antithetic particles (Euler at the same dt)",
                          "toy data: P = D = 8 whitened (linear), P = 10, D = 6 Gaussian with a tanh teacher"],
)
