"""Braun, Dominé, Fitzgerald & Saxe 2022 (NeurIPS; arXiv:2209.10530), Figs. 2-3.

Exact learning dynamics from a *prior-knowledge* initialisation: a two-layer
linear network with fewer hidden units than the teacher's rank starts from a
zero-balanced but not small init (``W1 W1^T = W2^T W2``, entries O(1)) and is
trained by GD.  Its network function ``W2 W1(t)`` follows the matrix-Riccati
closed form member by member (each seed has its own init), and tends to the
best rank-``N_h`` approximation of ``Sigma_yx``.

Conventions: whitened inputs (``X^T X / P = I``), loss
``L = 1/(2P) sum ||y - W2 W1 x||^2 = 1/2 ||Sigma_yx - W2 W1||_F^2`` for the
noiseless teacher, ``t = lr * step``, ``tau = 1``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, Trajectory, train
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import DeepLinear
from theorylab.plotting import COLORS, new_figure, style, theory_vs_experiment
from theorylab.solvers.deep_linear import riccati_network_function
from theorylab.tasks import TeacherStudentConfig, make_teacher_student

ID = "braun2022_riccati"
TITLE = "Braun 2022: Riccati closed form from a prior-knowledge init"
CONVENTIONS = "t = lr * step; L = 1/(2P) sum ||y - f||^2 = 1/2 ||Sigma_yx - W2 W1||_F^2 (whitened), tau = 1"

SETTINGS = {
    "smoke": dict(d_in=5, d_out=4, hidden=2, svals=(3.0, 2.0, 1.0), scale=1.0, lr=2e-3, t_max=4.0, n_rec=41,
                  seeds=2),
    "quick": dict(d_in=6, d_out=5, hidden=3, svals=(3.0, 2.0, 1.0, 0.5), scale=1.0, lr=1e-3, t_max=6.0, n_rec=121,
                  seeds=8),
    "full": dict(d_in=12, d_out=10, hidden=4, svals=(4.0, 3.0, 2.0, 1.0, 0.5), scale=1.0, lr=2e-4, t_max=8.0,
                 n_rec=201, seeds=32),
}
THRESHOLD = 0.01  # max_t ||W_exp - W_riccati||_F / ||Sigma_yx||_F


def _task(p):
    return make_teacher_student(TeacherStudentConfig(p["d_in"], p["d_out"], p["svals"]), rng=7)


def run_experiment(p: dict) -> Trajectory:
    task = _task(p)
    net = DeepLinear([p["d_in"], p["hidden"], p["d_out"]], seeds=range(p["seeds"]), init="balanced",
                     scale=p["scale"], dtype="float64", device="cpu")
    W0 = [w.detach().cpu().numpy().copy() for w in net.weights]
    X = np.sqrt(p["d_in"]) * np.eye(p["d_in"])
    cfg = TrainConfig(lr=p["lr"], t_record=np.linspace(0, p["t_max"], p["n_rec"]))

    def imbalance(m):
        W1, W2 = m.weights
        return (W1 @ W1.transpose(1, 2) - W2.transpose(1, 2) @ W2).flatten(1).norm(dim=1)

    traj = train(net, X, X @ task.sigma_yx.T, cfg,
                 observables={"W": lambda m: m.end_to_end(), "imbalance": imbalance}, meta={"figure": ID})
    return traj.with_obs(W1_0=np.broadcast_to(W0[0], (len(traj),) + W0[0].shape).copy(),
                         W2_0=np.broadcast_to(W0[1], (len(traj),) + W0[1].shape).copy())


def theory_for(p: dict, exp: Trajectory, t: np.ndarray) -> Trajectory:
    """Riccati prediction of every member from its own initial weights."""
    S = _task(p).sigma_yx
    W = np.stack([riccati_network_function(t, S, exp["W1_0"][0, e], exp["W2_0"][0, e])
                  for e in range(exp.n_seeds)], axis=1)                     # (T, E, d_out, d_in)
    loss = 0.5 * ((S - W) ** 2).sum(axis=(2, 3))
    return Trajectory(t, {"W": W, "loss": loss}, n_seeds=exp.n_seeds)


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    task = _task(p)
    S = task.sigma_yx
    exp = cache.get_or_compute(run_key(ID, 1, p), lambda: run_experiment(p))
    theory = theory_for(p, exp, exp.t)
    err = np.linalg.norm((exp["W"] - theory["W"]).reshape(len(exp), exp.n_seeds, -1), axis=2) / np.linalg.norm(S)
    U, s, Vt = np.linalg.svd(S)
    k = p["hidden"]
    best = (U[:, :k] * s[:k]) @ Vt[:k]
    t_long = np.array([50.0 / s[k - 1]])
    far = theory_for(p, exp, t_long)["W"][0]
    agreements = [
        Agreement("network function vs Riccati closed form (every seed)", "max_t,seed ||dW||_F / ||Sigma_yx||_F",
                  float(err.max()), THRESHOLD),
        Agreement(f"Riccati limit = best rank-{k} approximation", "max_seed ||W(inf) - best||_F / ||Sigma_yx||_F",
                  float(np.linalg.norm(far - best, axis=(1, 2)).max() / np.linalg.norm(S)), 1e-6),
        Agreement("zero-balance kept by GD", "max_t ||W1 W1^T - W2^T W2||_F (0 under gradient flow)",
                  float(exp["imbalance"].max()), 10 * p["lr"]),
    ]
    with style():
        fig, axes = new_figure(2, 1, width=3.5, height=2.8)
        ax = axes[0, 0]
        def proj(W):
            r = len(p["svals"])
            return np.einsum("ia,...ij,ja->...a", U[:, :r], W, Vt[:r].T)

        m0_e = exp.member(0).with_obs(u=proj(exp["W"][:, 0]))
        m0_t = theory.member(0).with_obs(u=proj(theory["W"][:, 0]))
        for a, sv in enumerate(p["svals"]):
            theory_vs_experiment(ax, m0_t, m0_e, "u", index=a, color=COLORS[a], every=3, label=f"s={sv:g}")
        ax.set_xlabel("t = lr x step (tau = 1)")
        ax.set_ylabel("u_a^T W2 W1 v_a  (seed 0)")
        ax.set_title(f"modes, N_h = {k} hidden units", fontsize=8)
        ax.legend(fontsize=5.5)
        ax = axes[0, 1]
        theory_vs_experiment(ax, theory.select(["loss"]).mean(), exp, "loss", color=COLORS[0], every=3,
                             label="seed-mean loss")
        ax.axhline(0.5 * np.sum(s[k:] ** 2), color="k", lw=0.8, ls=":", label="best rank-k loss")
        ax.set_yscale("log")
        ax.set_xlabel("t = lr x step (tau = 1)")
        ax.set_ylabel("1/2 ||Sigma_yx - W2 W1||_F^2")
        ax.legend(fontsize=6)
        fig.suptitle(TITLE, fontsize=8.5)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, CONVENTIONS, mode)
