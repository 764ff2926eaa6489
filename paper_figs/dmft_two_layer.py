"""DMFT (Bordelon & Pehlevan 2022, arXiv:2205.09653): finite-width networks collapse onto the theory.

Left: two-layer *linear* networks on whitened inputs at fixed ``gamma0`` for
widths 256, 1024, 4096 over the closed error dynamics
``dDelta/dt = -2 sqrt(1 + gamma0^2 (|y| - Delta)^2) Delta``.  Right: two-layer
*tanh* networks over the DMFT particle solver (antithetic particles, far more
than the widths), with the finite-width error against width: it shrinks like
``N^(-1/2)``.

Conventions: DMFT parametrisation ``f = a . phi(W x / sqrt(D)) / (gamma sqrt(N))``,
``gamma = gamma0 sqrt(N)``, gradient flow ``d theta/dt = -gamma^2 grad L`` on
``L = 1/2 sum (y - f)^2``, discretised with ``lr = gamma^2 dt``; ``t`` is that flow time.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, Trajectory, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import TwoLayerMF
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers.dmft import dmft_two_layer, two_layer_linear_error

ID = "dmft_two_layer"
QUICK_SECONDS = 17  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "DMFT: width-N networks at fixed gamma0 approach the infinite-width theory"
SETTINGS = {
    "smoke": dict(widths=(64, 256), seeds=2, particles=4096, dt=4e-3, t_max=1.0, n_rec=6, gamma0=1.0),
    "quick": dict(widths=(256, 1024, 4096), seeds=6, particles=32768, dt=2e-3, t_max=2.0, n_rec=11, gamma0=1.0),
    "full": dict(widths=(256, 1024, 4096, 16384), seeds=16, particles=262144, dt=5e-4, t_max=3.0, n_rec=31,
                 gamma0=1.0),
}


def _data(kind: str):
    g = np.random.default_rng(0)
    if kind == "linear":
        D = 8
        X = np.sqrt(D) * np.linalg.qr(g.normal(size=(D, D)))[0]        # whitened
        return X, g.normal(size=(D, 1))
    X = g.normal(size=(10, 6))
    return X, np.tanh(X @ g.normal(size=6) / np.sqrt(6))[:, None]


def _networks(kind: str, N: int, p: dict) -> Trajectory:
    X, y = _data(kind)
    net = TwoLayerMF(X.shape[1], N, seeds=range(p["seeds"]), gamma0=p["gamma0"], activation=kind,
                     dtype="float64", device="cpu")
    ts = np.linspace(0, p["t_max"], p["n_rec"])
    traj = train(net, X, y, TrainConfig(lr=net.gamma**2 * p["dt"], t_record=net.gamma**2 * ts, reduction="sum"))
    return Trajectory(ts, {"loss": traj["loss"]}, traj.meta, n_seeds=p["seeds"])


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    ts = np.linspace(0, p["t_max"], p["n_rec"])
    agreements = []
    X, y = _data("linear")
    yn = float(np.linalg.norm(y))
    th_lin = two_layer_linear_error(ts, yn, p["gamma0"])
    Xt, yt = _data("tanh")
    ref = cache.get_or_compute(run_key(ID, 1, p, part="dmft"), lambda: dmft_two_layer(
        Xt, yt, gamma0=p["gamma0"], t=ts, activation="tanh", n_particles=p["particles"], dt=p["dt"]))
    rms = []
    with style():
        fig, axes = new_figure(3, 1, width=3.1, height=2.7)
        for i, N in enumerate(p["widths"]):
            lin = cache.get_or_compute(run_key(ID, 1, p, part="lin", N=N),
                                       lambda: _networks("linear", N, p))
            err = np.sqrt(2 * lin["loss"])                                  # |y - f|
            axes[0, 0].plot(ts, err.mean(1), "o", ms=3, mfc="none", color=COLORS[i], label=f"N={N}")
            if N == max(p["widths"]):
                agreements.append(Agreement(f"linear: Delta(t) of width-{N} nets vs two_layer_linear_error",
                                            "max |dDelta| / |y|", float(np.abs(err.mean(1) - th_lin).max() / yn),
                                            0.02))
            tnh = cache.get_or_compute(run_key(ID, 1, p, part="tanh", N=N),
                                       lambda: _networks("tanh", N, p))
            axes[0, 1].plot(ts, tnh["loss"].mean(1), "o", ms=3, mfc="none", color=COLORS[i], label=f"N={N}")
            rms.append(float(np.sqrt(np.mean((tnh["loss"] - ref["train_loss"][:, None]) ** 2))))
        axes[0, 0].plot(ts, th_lin, "k-", lw=1.2, label="closed DMFT")
        axes[0, 0].set_ylabel("|y - f|  (linear, whitened)")
        axes[0, 1].plot(ts, ref["train_loss"], "k-", lw=1.2, label=f"DMFT ({p['particles']} particles)")
        axes[0, 1].set_ylabel("train loss 1/2 sum (y - f)^2  (tanh)")
        for ax in axes[0, :2]:
            ax.set_xlabel("gradient-flow time t")
            ax.legend(fontsize=6)
        w = np.asarray(p["widths"], float)
        slope = float(np.polyfit(np.log(w), np.log(rms), 1)[0])
        agreements.append(Agreement(f"tanh: finite-width error ~ N^slope (N = {p['widths']})", "fitted slope",
                                    slope, -0.3, detail={"rms": rms, "expected": -0.5}))
        agreements.append(Agreement("tanh: error slope not steeper than -0.8", "minus the fitted slope", -slope, 0.8))
        ax = axes[0, 2]
        ax.loglog(w, rms, "o-", color=COLORS[1], label="RMS |L_N - L_DMFT|")
        ax.loglog(w, rms[0] * np.sqrt(w[0] / w), "k--", lw=0.8, label="N^-1/2")
        ax.set_xticks(w, [str(int(v)) for v in w])
        ax.minorticks_off()
        ax.set_xlabel("width N")
        ax.legend(fontsize=6)
        ax.set_title(f"slope {slope:.2f}", fontsize=7)
        fig.suptitle(f"{TITLE} (gamma0 = {p['gamma0']})", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t: gradient-flow time of d theta/dt = -gamma^2 grad L, "
                        "L = 1/2 sum (y - f)^2, lr = gamma^2 dt", mode)
