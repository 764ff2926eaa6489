"""Saxe, McClelland & Ganguli 2014 (arXiv:1312.6120), Figs. 5-6: learning time vs depth.

Deep linear networks of depth D learn a whitened teacher ``W* = s Q`` (Q
random orthogonal) with GD at ``lr = lr0 / D``.  Learning time = first time
``||W_D...W_1 - W*||_F / ||W*||_F`` falls below a criterion, reported as
``D t`` (``= lr0 x steps``: epochs at the depth-scaled learning rate).

Inits: small decoupled (``u0 = a0^D``), small random Gaussian (per-layer
scale ``a0``), random orthogonal (scale 1), and "pretrained-like" decoupled
with the product held at ``u0 = 0.5`` for every depth.  Theory for the
decoupled inits: ``deep_learning_time(s, u0, 0.9 s, D)`` (every mode equal, so
relative error 0.1 means ``u = 0.9 s``).  Small init: time grows with D;
pretrained-like: ``D t`` tends to a constant (depth-independent learning).

Random inits have no exact theory and a long tail: a random product has
near-zero directions that take very long to learn, and an orthogonal start
whose determinant sign differs from the target's must pass a saddle.  They
are measured at a looser criterion (error halved, 0.5) and runs that do not
reach it within the horizon count as the horizon (a lower bound, drawn as
an open triangle).

Conventions: loss ``1/(2P) sum ||y - f||^2`` on the population (``X^T X/P = I``),
``t = lr * step``, ``tau = 1``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, Trajectory, crossing_time, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear, haar_isometry
from theorylab.plotting import COLORS, new_figure, style
from theorylab.rng import streams
from theorylab.solvers.deep_linear import deep_learning_time

ID = "saxe2014_depth"
QUICK_SECONDS = 15  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "Saxe 2014: learning time vs depth"
CONVENTIONS = "t = lr * step with lr = lr0 / D; L = 1/(2P) sum ||y - f||^2 (whitened); y-axis D t = lr0 x steps"

SETTINGS = {
    "smoke": dict(d=4, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.02, depths=(2, 4), seeds=2, record_every=5,
                  horizon_Dt=12.0),
    "quick": dict(d=6, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.02, depths=(2, 3, 4, 6, 8), seeds=6, record_every=5,
                  horizon_Dt=60.0),
    "full": dict(d=16, s=2.0, a0=0.5, u0_pre=0.5, lr0=0.005, depths=(2, 3, 4, 6, 8, 12, 16), seeds=16,
                 record_every=5, horizon_Dt=400.0),
}
INITS = ("decoupled small", "gaussian small", "orthogonal", "pretrained-like")
LEVEL = 0.1            # relative-error criterion (decoupled inits, with theory)
LEVEL_RANDOM = 0.5     # criterion for the random inits (no exact theory)
THRESHOLD_TIME = 0.05  # decoupled inits: learning time within 5% of theory


def _theory_Dt(p, init: str, D: int) -> float:
    u0 = p["a0"] ** D if init == "decoupled small" else p["u0_pre"]
    return D * deep_learning_time(p["s"], u0, (1 - LEVEL) * p["s"], D)


def run_depth(p: dict, D: int) -> Trajectory:
    """Train all four inits at depth D as one batched ensemble; record the product's relative error.

    Members are ordered init by init (``p["seeds"]`` each, in the order of
    ``INITS``).  Training stops once every member is below the criterion.
    """
    d, s = p["d"], p["s"]
    Q = haar_isometry(streams(99)["data"], d, d)
    target = s * Q
    widths = [d] * (D + 1)
    kw = dict(dtype="float64", device="cpu")
    seeds = range(p["seeds"])
    nets = [
        DeepLinear(widths, seeds, init="decoupled", u0=p["a0"] ** D, U=Q, V=np.eye(d), **kw),
        DeepLinear(widths, seeds, init="gaussian", scale=p["a0"], **kw),
        DeepLinear(widths, seeds, init="orthogonal", scale=1.0, **kw),
        DeepLinear(widths, seeds, init="decoupled", u0=p["u0_pre"], U=Q, V=np.eye(d), **kw),
    ]
    net = DeepLinear.concat(nets)
    X = np.sqrt(d) * np.eye(d)
    tgt = net.as_input(target)

    def rel_err(m):
        return (m.end_to_end() - tgt).flatten(1).norm(dim=1) / tgt.norm()

    lr = p["lr0"] / D
    t_end = p["horizon_Dt"] / D
    cfg = TrainConfig(lr=lr, t_record=lr * np.arange(0, int(t_end / lr) + 1, p["record_every"]))
    return train(net, X, X @ target.T, cfg, observables={"rel_err": rel_err}, meta={"inits": INITS, "depth": D},
                 stop=lambda last: bool(np.all(last["rel_err"] < 0.5 * LEVEL)))


def horizon_times(traj: Trajectory, level: float, horizon: float) -> np.ndarray:
    """Per-member first time below ``level``; members that never get there count as ``horizon``."""
    e = traj["rel_err"]
    t = np.array([crossing_time(traj.t, e[:, k], level, direction="down") for k in range(e.shape[1])])
    return np.where(np.isnan(t), horizon, t)


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    depths = np.array(p["depths"])
    Dt = {}
    H = p["horizon_Dt"]
    Dt = {}
    for D in depths:
        traj = cache.get_or_compute(run_key(ID, 3, p, D=int(D)), lambda: run_depth(p, int(D)))
        for i, init in enumerate(INITS):
            member = traj.select(["rel_err"])
            member = Trajectory(member.t, {"rel_err": member["rel_err"][:, i * p["seeds"]:(i + 1) * p["seeds"]]},
                                n_seeds=p["seeds"])
            level = LEVEL if init in ("decoupled small", "pretrained-like") else LEVEL_RANDOM
            Dt.setdefault(init, []).append(D * horizon_times(member, level, H / D))
    Dt = {k: np.array(v) for k, v in Dt.items()}  # (n_depths, seeds)
    theory = {k: np.array([_theory_Dt(p, k, int(D)) for D in depths]) for k in ("decoupled small", "pretrained-like")}
    agreements = []
    for k in theory:
        med = np.median(Dt[k], axis=1)
        err = np.max(np.abs(med - theory[k]) / theory[k])
        agreements.append(Agreement(f"{k}: D t to 10% error vs deep_learning_time", "max relative error over depths",
                                    float(err), THRESHOLD_TIME))
    agreements.append(Agreement("pretrained-like: depth-independent D t", "max / min of D t over depths",
                                float(np.max(np.median(Dt["pretrained-like"], 1)) /
                                      np.min(np.median(Dt["pretrained-like"], 1))), 1.5))
    g = np.median(Dt["gaussian small"], axis=1)
    agreements.append(Agreement(f"gaussian small: D t to 50% grows with depth ({depths[0]} -> {depths[-1]})",
                                "ratio (lower bound if capped)", float(g[-1] / g[0]), 2.0, higher_is_better=True))
    with style():
        fig, axes = new_figure(1, 1, width=4.2, height=3.0)
        ax = axes[0, 0]
        for i, k in enumerate(INITS):
            med = np.median(Dt[k], axis=1)
            lo, hi = np.quantile(Dt[k], [0.1, 0.9], axis=1)
            crit = "10%" if k in theory else "50%"
            capped = med >= H * (1 - 1e-9)
            ax.errorbar(depths[~capped], med[~capped], yerr=[(med - lo)[~capped], (hi - med)[~capped]], fmt="o",
                        ms=3.5, mfc="none", color=COLORS[i], capsize=2, label=f"{k}, trained ({crit})")
            if capped.any():
                ax.plot(depths[capped], med[capped], "^", ms=5, mfc="none", color=COLORS[i])
            if k in theory:
                dd = np.arange(depths[0], depths[-1] + 1)
                ax.plot(dd, [_theory_Dt(p, k, int(D)) for D in dd], color=COLORS[i], lw=1.3, label=f"{k} (theory)")
        ax.set_yscale("log")
        ax.set_xlabel("depth D (number of weight matrices)")
        ax.set_ylabel("D t to criterion  (= lr0 x steps, lr = lr0/D)")
        ax.set_title(TITLE, fontsize=8.5)
        ax.legend(fontsize=6.5)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, CONVENTIONS, mode)
