"""Saxe, McClelland & Ganguli 2014 (arXiv:1312.6120), Fig. 2 / eq. (9).

Sigmoidal mode strengths of a two-layer linear network from a decoupled small
init, trained by full-batch GD, over ``saxe_mode`` for several singular values.

Conventions: whitened inputs, loss ``L = 1/(2P) sum ||y - W2 W1 x||^2``
(the population loss, since the training set is chosen with
``X^T X / P = I`` exactly), ``t = lr * step``, ``tau = 1``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Cache, FigureResult, TrainConfig, Trajectory, max_error, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear
from theorylab.plotting import COLORS, new_figure, style, theory_vs_experiment
from theorylab.solvers.deep_linear import saxe_mode
from theorylab.tasks import TeacherStudentConfig, make_teacher_student

ID = "saxe2014_modes"
TITLE = "Saxe 2014: sigmoidal mode learning, two-layer linear network"
CONVENTIONS = "t = lr * step; L = 1/(2P) sum_mu ||y - f||^2 (whitened inputs, tau = 1)"

SETTINGS = {
    "smoke": dict(d=6, hidden=6, svals=(3.0, 2.0, 1.0), u0=1e-3, lr=5e-3, t_max=6.0, n_rec=31, seeds=2),
    "quick": dict(d=8, hidden=8, svals=(3.0, 2.0, 1.0, 0.5), u0=1e-3, lr=2.5e-3, t_max=10.0, n_rec=101, seeds=8),
    "full": dict(d=16, hidden=16, svals=(4.0, 3.0, 2.0, 1.0, 0.5), u0=1e-4, lr=1e-3, t_max=14.0, n_rec=201,
                 seeds=32),
}
THRESHOLD = 0.02  # max |u_exp - u_theory| / s over the whole trajectory


def run_experiment(p: dict) -> Trajectory:
    """Train the ensemble of ``p`` and record each mode's strength."""
    task = make_teacher_student(TeacherStudentConfig(p["d"], p["d"], p["svals"]), rng=1234)
    U, V = task.U, task.V[:, : len(p["svals"])]
    net = DeepLinear([p["d"], p["hidden"], p["d"]], seeds=range(p["seeds"]), init="decoupled",
                     u0=p["u0"], U=U, V=V, dtype="float64", device="cpu")
    # P = d points with X^T X / P = I: the empirical loss is the population loss.
    X = np.sqrt(p["d"]) * np.eye(p["d"])
    Y = X @ task.teacher.T
    cfg = TrainConfig(lr=p["lr"], t_record=np.linspace(0, p["t_max"], p["n_rec"]))
    return train(net, X, Y, cfg, observables={"u": lambda m: m.mode_strengths(U, V)},
                 meta={"figure": ID, "svals": p["svals"], "u0": p["u0"]})


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    exp = cache.get_or_compute(run_key(ID, 1, p), lambda: run_experiment(p))
    t = np.linspace(0, p["t_max"], 400)
    theory = Trajectory(t, {"u": np.stack([saxe_mode(t, s, p["u0"]) for s in p["svals"]], axis=1)},
                        {"solver": "saxe_mode"})
    svals = np.asarray(p["svals"])
    agreements = [max_error(theory, exp, "u", threshold=THRESHOLD, scale=svals,
                            label="mode strength vs saxe_mode (max over modes and t)")]
    with style():
        fig, axes = new_figure(1, 1, width=4.2, height=3.0)
        ax = axes[0, 0]
        for i, s in enumerate(svals):
            theory_vs_experiment(ax, theory, exp, "u", index=i, color=COLORS[i], every=2,
                                 label=f"s={s:g}")
        ax.set_xlabel("t = lr x step  (gradient-flow time, tau = 1)")
        ax.set_ylabel("mode strength u_a(t)")
        ax.set_title(TITLE, fontsize=8.5)
        ax.legend(ncol=2, loc="lower right", fontsize=6.5)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, CONVENTIONS, mode)
