"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 5: the stages of swing-by, in theory.

Symmetric two-layer linear network ``f = U U^T x`` on SIM with
``mu = (1, 1.5)``, ``d = 3``, ``s = 2``, ``sigma = 0.05``, ``U0 ~ uniform(0, 1) / 5``:
entries of ``W = U U^T`` (major: diagonal; minor: off-diagonal), the OOD loss,
and the growth / suppression / interaction split of the minor entry ``w_12``.

Both rate conventions are drawn: the equations' ``A`` (integrated in U-space)
and the authors' theory-script recurrence with ``A^2`` (``eta = 0.01``, 2000
steps, paper clock).  Trained ``U U^T`` networks (GD on population data,
gradient-flow clock ``t = lr * step``) are drawn over the ``A`` theory.
Time axis: the paper's clock, ``dW/dt = V(W)``, which is 2 x gradient-flow time.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.compare_sim import detect_swing_by
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import SymmetricLinear
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig, concept_rates

from ._sim import PAPER_TIME_LABEL

ID = "sim_fig5"
TITLE = "SIM Fig. 5: stages of swing-by (symmetric two-layer theory)"
SETTINGS = {
    "smoke": dict(init_seed=2, eta=0.01, steps=800, lr=0.01, seeds=1),
    "quick": dict(init_seed=2, eta=0.01, steps=2000, lr=0.005, seeds=1),
    "full": dict(init_seed=2, eta=0.01, steps=2000, lr=0.001, seeds=1),
}
MU = np.array([1.0, 1.5])
D = 3


def setting(p):
    a = np.r_[concept_rates(SIMConfig(tuple(MU), noise_std=0.05)), 0.0]
    z = np.r_[MU, 0.0]
    U0 = np.random.default_rng(p["init_seed"]).uniform(0, 1, (D, D)) / 5
    return a, z, U0


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    a, z, U0 = setting(p)
    t_paper = p["eta"] * np.arange(p["steps"] + 1)
    W_A = sim.two_layer_symmetric(t_paper, a, U0, convention="paper")
    W_w = sim.two_layer_w_space(t_paper, a, U0 @ U0.T, convention="paper")
    t_rec, W_A2 = sim.two_layer_recurrence(a, U0, eta=p["eta"], steps=p["steps"], rates="A2")

    def run():
        net = SymmetricLinear(D, seeds=[0], U0=U0, dtype="float64", device="cpu")
        X = np.sqrt(D) * np.diag(np.sqrt(a))
        return train(net, X, X, TrainConfig(lr=p["lr"], t_record=t_paper[::10] / 2),
                     observables={"W": lambda m: m.weight()})

    exp = cache.get_or_compute(run_key(ID, 1, p), run)
    W_th_on_exp = sim.two_layer_symmetric(exp.t, a, U0, convention="gradient_flow")
    L_A, L_A2 = sim.ood_loss(W_A, z), sim.ood_loss(W_A2, z)
    w0 = (U0 @ U0.T)[1, 1]                       # concept 2 (mu = 1.5) is the stronger, learnt first
    t_half_pred = np.log((1 - w0) / w0) / (2 * a[1])
    t_half = t_paper[np.argmax(W_A[:, 1, 1] >= 0.5)]
    sb_A, sb_A2 = detect_swing_by(t_paper, L_A), detect_swing_by(t_rec, L_A2)
    agreements = [
        Agreement("U-space integration keeps W PSD", "-min eigenvalue of W over t",
                  float(max(0.0, -np.linalg.eigvalsh(W_A).min())), 1e-12),
        Agreement("U-space vs W-space ODE (paper clock)", "max |dW|", float(np.abs(W_A - W_w).max()), 1e-6),
        # The 5% claim holds for small off-diagonal inits (tests/solvers/test_sim.py); with this
        # uniform init the off-diagonal entries match the diagonal ones and the interaction
        # term N speeds the first concept up by ~5%, hence the looser threshold here.
        Agreement("first concept's w_ii crosses 1/2 at ln((1-w0)/w0)/(2a) (uniform init, off-diag ~ diag)",
                  "relative error", float(abs(t_half - t_half_pred) / t_half_pred), 0.10),
        Agreement("trained U U^T net (gradient-flow clock) vs theory", "max |dW|",
                  float(np.abs(exp["W"][:, 0] - W_th_on_exp).max()), 0.01),
        Agreement("swing-by with the equations' rates A", "bump height / L(0)",
                  sb_A.height / L_A[0] if sb_A else 0.0, 1e-3, higher_is_better=True, gating=False,
                  detail={"event": vars(sb_A) if sb_A else None}),
        Agreement("swing-by with the authors' A^2 rates", "bump height / L(0)",
                  sb_A2.height / L_A2[0] if sb_A2 else 0.0, 1e-3, higher_is_better=True, gating=False,
                  detail={"event": vars(sb_A2) if sb_A2 else None}),
    ]
    G, S, N = (np.stack(x) for x in zip(*[sim.growth_suppression_interaction(W, a) for W in W_A]))
    with style():
        fig, axes = new_figure(3, 1, width=3.0, height=2.7)
        ax = axes[0, 0]
        for (i, j), c in zip([(0, 0), (1, 1), (0, 1), (0, 2), (1, 2)], COLORS):
            ax.plot(t_paper, W_A[:, i, j], color=c, label=f"w{i + 1}{j + 1}")
            ax.plot(2 * exp.t[::4], exp["W"][::4, 0, i, j], "o", ms=2, mfc="none", color=c)
        ax.set_title("W = UU^T, rates A (lines), trained (markers)", fontsize=7)
        ax.legend(fontsize=6, ncol=2)
        ax = axes[0, 1]
        ax.plot(t_paper, L_A, color=COLORS[0], label="rates A (equations)")
        ax.plot(t_rec, L_A2, color=COLORS[1], label="rates A^2 (authors' scripts)")
        for sb, c in ((sb_A, COLORS[0]), (sb_A2, COLORS[1])):
            if sb:
                ax.plot([sb.t_min, sb.t_max], [sb.loss_min, sb.loss_max], "v", color=c, ms=5)
        ax.set_yscale("log")
        ax.set_title("OOD loss at x_hat (triangles: swing-by min/max)", fontsize=7)
        ax.legend(fontsize=6)
        ax = axes[0, 2]
        for arr, name, c in ((G, "growth", COLORS[2]), (S, "suppression", COLORS[1]), (N, "interaction", COLORS[4])):
            ax.plot(t_paper, arr[:, 0, 1], color=c, label=name)
        ax.set_title("terms of dw12/dt (rates A)", fontsize=7)
        ax.legend(fontsize=6)
        for ax in axes[0]:
            ax.set_xlabel(PAPER_TIME_LABEL, fontsize=6.5)
        fig.suptitle(f"{TITLE}: mu = {tuple(MU.tolist())}, d = 3, U0 ~ U(0,1)/5 (seed {p['init_seed']})", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "paper clock (dW/dt = V(W)) = 2 t, t = lr * step of GD on "
                        "1/(2P) sum ||y - UU^T x||^2 (population data)", mode)
