"""Saxe, McClelland & Ganguli 2014 (arXiv:1312.6120), Figs. 5-6: learning time vs depth.

Deep linear chains of depth D learn a whitened teacher ``s Q`` with GD at
``lr0 / D`` from four inits (:class:`DepthLearning`).  Learning time is the first
time the relative error falls below a criterion, reported as ``D t`` (``= lr0 x
steps``).  Decoupled inits have exact theory (``deep_mode``): small init
(``u0 = a0^D``) slows with depth; the pretrained-like init (product held at
``u0_pre``) gives a depth-independent ``D t``.  Random inits have no exact theory
and a long tail (near-zero directions, a saddle for an orthogonal start whose
determinant sign differs from the target's); they are measured at a looser
criterion and runs that do not reach it count as the horizon (a lower bound,
drawn as an open triangle).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, crossing_time, relative_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.deep_linear import DEPTH_INITS, DepthLearning
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    base: DepthLearning
    depths: tuple[int, ...]
    level: float = 0.1           # relative-error criterion of the decoupled inits (exact theory)
    level_random: float = 0.5    # criterion of the random inits (no exact theory; long tails)


SETTINGS = {
    "smoke": Settings(DepthLearning(d=4, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.02, seeds=2, horizon_Dt=12.0), (2, 4)),
    "quick": Settings(DepthLearning(d=6, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.02, seeds=6, horizon_Dt=60.0),
                      (2, 3, 4, 6, 8)),
    "full": Settings(DepthLearning(d=16, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.005, seeds=16, horizon_Dt=400.0),
                     (2, 3, 4, 6, 8, 12, 16)),
}


def studies(s: Settings):
    return {f"D={D}": s.base.replace(depth=D) for D in s.depths}


def learning_times(res, s: Settings):
    """``D t`` to criterion: trained (init -> (n_depths, seeds)) and theory (decoupled inits -> (n_depths,))."""
    E = s.base.seeds
    trained, theory = {k: [] for k in DEPTH_INITS}, {"decoupled small": [], "pretrained-like": []}
    for D in s.depths:
        r = res[f"D={D}"]
        ex, th = r.experiment, r.theory
        H = s.base.horizon_Dt / D
        for i, init in enumerate(DEPTH_INITS):
            level = s.level if init in theory else s.level_random
            err = ex["rel_err"][:, i * E:(i + 1) * E]
            t = np.array([crossing_time(ex.t, err[:, k], level, direction="down") for k in range(E)])
            trained[init].append(D * np.where(np.isnan(t), H, t))
        for j, init in enumerate(theory):
            theory[init].append(D * crossing_time(th.t, th["rel_err"][:, j], s.level, direction="down"))
    return {k: np.array(v) for k, v in trained.items()}, {k: np.array(v) for k, v in theory.items()}


def checks(res, s: Settings):
    trained, theory = learning_times(res, s)
    lr_min = s.base.lr0 / max(s.depths)
    rows = [relative_error(f"{k}: D t to {s.level:.0%} error vs deep_mode", theory[k], np.median(trained[k], 1),
                           tol.discretisation(s.base.lr0, constant=2.5,
                                              why=f"GD at lr0/D vs gradient flow, records every "
                                                  f"{s.base.record_every} steps (>= {lr_min:.3g} in time)"),
                           metric="max relative error over depths", clock="D t = lr0 x steps")
            for k in theory]
    pre = np.median(trained["pretrained-like"], 1)
    rows.append(assess("pretrained-like: depth-independent D t", "max / min of D t over depths",
                       pre.max() / pre.min(),
                       tol.criterion(1.5, "D t tends to a constant as D grows (Saxe 2014 sec. 4); small D still "
                                          "differ by the finite-depth correction")))
    g = np.median(trained["gaussian small"], 1)
    rows.append(assess(f"gaussian small: D t to {s.level_random:.0%} grows with depth ({s.depths[0]} -> "
                       f"{s.depths[-1]})", "ratio (lower bound if capped)", g[-1] / g[0],
                       tol.claim(2.0, "Saxe 2014 Fig. 6: small random inits slow down with depth", at_least=True)))
    return rows


def draw(res, s: Settings):
    trained, theory = learning_times(res, s)
    depths = np.array(s.depths)
    H = s.base.horizon_Dt
    fig, axes = new_figure(1, 1, width=4.2, height=3.0)
    ax = axes[0, 0]
    for i, k in enumerate(DEPTH_INITS):
        med = np.median(trained[k], axis=1)
        lo, hi = np.quantile(trained[k], [0.1, 0.9], axis=1)
        crit = f"{s.level:.0%}" if k in theory else f"{s.level_random:.0%}"
        capped = med >= H * (1 - 1e-9)
        ax.errorbar(depths[~capped], med[~capped], yerr=[(med - lo)[~capped], (hi - med)[~capped]], fmt="o", ms=3.5,
                    mfc="none", color=COLORS[i], capsize=2, label=f"{k}, trained ({crit})")
        if capped.any():
            ax.plot(depths[capped], med[capped], "^", ms=5, mfc="none", color=COLORS[i])
        if k in theory:
            ax.plot(depths, theory[k], color=COLORS[i], lw=1.3, label=f"{k} (deep_mode theory)")
    ax.set_yscale("log")
    ax.set_xlabel("depth D (number of weight matrices)")
    ax.set_ylabel("D t to criterion (= lr0 x steps, lr = lr0/D)")
    ax.set_title("Saxe 2014: learning time vs depth", fontsize=8.5)
    ax.legend(fontsize=6)
    return fig


FIGURE = Figure(
    "saxe2014_depth", "Saxe 2014: learning time vs depth", "arXiv:1312.6120, Figs. 5-6, sec. 4",
    SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=15,
    setup="deep linear chains on a whitened orthogonal teacher, learning rate scaled as 1/D, small vs "
          "pretrained-like (product O(1)) vs random inits",
    deviations=lambda s: [f"d = {s.base.d}, depths {s.depths}, {s.base.seeds} seeds per init",
                          f"random inits measured at {s.level_random:.0%} error (no exact theory), decoupled at "
                          f"{s.level:.0%}", f"horizon D t = {s.base.horizon_Dt:g}"],
)
