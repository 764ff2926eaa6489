"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 17: train loss monotone, OOD loss not.

Gradient flow decreases the training loss monotonically, yet the OOD loss at
``x_hat`` can rise (swing-by).  Trained symmetric ``U U^T`` networks (GD on
population data) from two inits -- the paper's ``uniform(0, 1)/5`` draw of Fig. 5
and an *aligned* init whose off-diagonal entries match the diagonal ones -- over
the U-space theory (rates A), ``mu = (1, 1.5)`` and ``mu = (1, 2.5)``.

Time axis: the paper's clock (``dW/dt = V(W)``) = 2 x gradient-flow time ``t = lr * step``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult, TrainConfig, train
from theorylab.compare_sim import detect_swing_by, swing_by_agreement
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.nets import SymmetricLinear
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig, concept_rates

from ._sim import PAPER_TIME_LABEL

ID = "sim_fig17"
TITLE = "SIM Fig. 17: training loss is monotone, OOD loss is not"
SETTINGS = {
    "smoke": dict(t_paper=8.0, lr=0.01, n_rec=201),
    "quick": dict(t_paper=16.0, lr=0.004, n_rec=801),
    "full": dict(t_paper=20.0, lr=0.001, n_rec=2001),
}
CASES = (((1.0, 1.5), "uniform"), ((1.0, 2.5), "aligned"))


def _init(kind: str) -> np.ndarray:
    if kind == "uniform":
        return np.random.default_rng(2).uniform(0, 1, (3, 3)) / 5
    return 0.15 * (np.ones((3, 3)) / np.sqrt(3) + 0.1 * np.eye(3))


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    agreements = []
    with style():
        fig, axes = new_figure(2, 1, width=3.6, height=2.8)
        for c, (mu, kind) in enumerate(CASES):
            mu = np.asarray(mu)
            a = np.r_[concept_rates(SIMConfig(tuple(mu), noise_std=0.05)), 0.0]
            z = np.r_[mu, 0.0]
            U0 = _init(kind)
            t_gf = np.linspace(0, p["t_paper"] / 2, p["n_rec"])

            def run():
                net = SymmetricLinear(3, seeds=[0], U0=U0, dtype="float64", device="cpu")
                X = np.sqrt(3) * np.diag(np.sqrt(a))
                zt = net.as_input(z)
                return train(net, X, X, TrainConfig(lr=p["lr"], t_record=t_gf),
                             observables={"ood_loss": lambda m: 0.5 * ((m.weight() @ zt - zt) ** 2).sum(-1)})

            exp = cache.get_or_compute(run_key(ID, 1, p, case=c), run)
            W = sim.two_layer_symmetric(exp.t, a, U0, convention="gradient_flow")
            L_tr_th, L_ood_th = sim.train_loss(W, a), sim.ood_loss(W, z)
            L_tr_ex, L_ood_ex = exp["loss"][:, 0], exp["ood_loss"][:, 0]
            tp = 2 * exp.t
            label = f"mu={tuple(mu.tolist())}, {kind} init"
            agreements.append(Agreement(f"{label}: trained train loss is monotone", "largest increase / L(0)",
                                        float(max(0.0, np.diff(L_tr_ex).max()) / L_tr_ex[0]), 1e-12))
            agreements.append(swing_by_agreement(detect_swing_by(tp, L_ood_th), detect_swing_by(tp, L_ood_ex),
                                                 name=f"{label}: OOD swing-by, trained vs theory", threshold=0.1))
            col = COLORS[2 * c]
            axes[0, 0].plot(tp, L_tr_th, color=col, label=label)
            axes[0, 0].plot(tp[::25], L_tr_ex[::25], "o", ms=2.5, mfc="none", color=col)
            axes[0, 1].plot(tp, L_ood_th, color=col, label=label)
            axes[0, 1].plot(tp[::25], L_ood_ex[::25], "o", ms=2.5, mfc="none", color=col)
        axes[0, 0].set_ylabel("train loss 1/2 ||(W - I) A^1/2||_F^2")
        axes[0, 1].set_ylabel("OOD loss 1/2 ||f(x_hat) - x_hat||^2")
        for ax in axes[0]:
            ax.set_yscale("log")
            ax.set_xlabel(PAPER_TIME_LABEL, fontsize=6.5)
            ax.legend(fontsize=6)
        fig.suptitle(f"{TITLE} (lines: theory, markers: trained UU^T)", fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "paper clock (dW/dt = V(W)) = 2 t, t = lr * step of GD on "
                        "1/(2P) sum ||y - UU^T x||^2 (population data)", mode)
