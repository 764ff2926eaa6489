"""Braun, Dominé, Fitzgerald & Saxe 2022 (NeurIPS; arXiv:2209.10530), Figs. 2-3.

Exact learning dynamics from a *prior-knowledge* initialisation
(:class:`RiccatiPrior`): a two-layer linear network with fewer hidden units than
the teacher's rank starts zero-balanced (``W1 W1^T = W2^T W2``) with O(1) entries.
Its network function follows the matrix-Riccati closed form member by member and
tends to the best rank-``N_h`` approximation of ``Sigma_yx``.
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure, theory_vs_experiment
from theorylab.studies.deep_linear import RiccatiPrior
from theorylab.testing import thresholds as tol

SETTINGS = {
    "smoke": RiccatiPrior(d_in=5, d_out=4, hidden=2, svals=(3.0, 2.0, 1.0), lr=2e-3, t_max=4.0, n_rec=41, seeds=2),
    "quick": RiccatiPrior(d_in=6, d_out=5, hidden=3, svals=(3.0, 2.0, 1.0, 0.5), lr=1e-3, t_max=6.0, n_rec=121,
                          seeds=8),
    "full": RiccatiPrior(d_in=12, d_out=10, hidden=4, svals=(4.0, 3.0, 2.0, 1.0, 0.5), lr=2e-4, t_max=8.0, n_rec=201,
                         seeds=32),
}


def _per_member_error(res, s: RiccatiPrior) -> float:
    """max over t and seeds of ||W_exp - W_riccati||_F / ||Sigma_yx||_F (the seed mean would hide a member)."""
    th, ex = res["riccati"].theory, res["riccati"].experiment
    d = (ex["W"] - th["W"]).reshape(len(ex), ex.n_seeds, -1)
    return float(np.linalg.norm(d, axis=2).max() / np.linalg.norm(s.sigma_yx()))


def checks(res, s: RiccatiPrior):
    th, ex = res["riccati"].theory, res["riccati"].experiment
    S = s.sigma_yx()
    U, sv, Vt = np.linalg.svd(S)
    k = s.hidden
    best = (U[:, :k] * sv[:k]) @ Vt[:k]
    far = th["W_limit"][0]
    return [
        assess("network function vs Riccati closed form (every seed)", "max_t,seed ||dW||_F / ||Sigma_yx||_F",
               _per_member_error(res, s), tol.discretisation(s.lr, constant=10.0, why="GD vs gradient flow"),
               clock=ex.clock),
        assess(f"Riccati limit = best rank-{k} approximation", "max_seed ||W(inf) - best||_F / ||Sigma_yx||_F",
               np.linalg.norm(far - best, axis=(1, 2)).max() / np.linalg.norm(S),
               tol.exact(factor=1e3, why=f"closed form at t = {th.meta['t_limit']:.3g} vs the SVD; the remaining "
                                         "transient is far below round-off amplified by the closed form's condition")),
        assess("zero-balance kept by GD", "max_t ||W1 W1^T - W2^T W2||_F (0 under gradient flow)",
               ex["imbalance"].max(), tol.discretisation(s.lr, constant=10.0,
                                                         why="gradient flow conserves W1 W1^T - W2^T W2 exactly; "
                                                             "each GD step breaks it by O(lr^2)"), clock=ex.clock),
    ]


def draw(res, s: RiccatiPrior):
    th, ex = res["riccati"].theory, res["riccati"].experiment
    S = s.sigma_yx()
    U, sv, Vt = np.linalg.svd(S)
    k = s.hidden
    r = len(s.svals)

    def proj(W):
        return np.einsum("ia,...ij,ja->...a", U[:, :r], W, Vt[:r].T)

    fig, axes = new_figure(2, 1, width=3.5, height=2.8, layout="constrained")
    ax = axes[0, 0]
    m0_e = ex.member(0).with_obs(u=proj(ex["W"][:, 0]))
    m0_t = th.member(0).with_obs(u=proj(th["W"][:, 0]))
    for a, v in enumerate(s.svals):
        theory_vs_experiment(ax, m0_t, m0_e, "u", index=a, color=COLORS[a], every=3, label=f"s={v:g}")
    ax.set_xlabel(th.clock.label)
    ax.set_ylabel("u_a^T W2 W1 v_a  (seed 0)")
    ax.set_title(f"modes, N_h = {k} hidden units", fontsize=8)
    ax.legend(fontsize=5.5)
    ax = axes[0, 1]
    theory_vs_experiment(ax, th.select(["loss"]).mean(), ex, "loss", color=COLORS[0], every=3, label="seed-mean loss")
    ax.axhline(0.5 * np.sum(sv[k:] ** 2), color="k", lw=0.8, ls=":", label="best rank-k loss")
    ax.set_yscale("log")
    ax.set_xlabel(th.clock.label)
    ax.set_ylabel("1/2 ||Sigma_yx - W2 W1||_F^2")
    ax.legend(fontsize=6)
    fig.suptitle("Braun 2022: Riccati closed form from a prior-knowledge init", fontsize=8.5)
    return fig


FIGURE = Figure(
    "braun2022_riccati", "Braun 2022: Riccati closed form from a prior-knowledge init",
    "arXiv:2209.10530, Figs. 2-3", SETTINGS, studies=lambda s: {"riccati": s}, checks=checks, draw=draw,
    setup="two-layer linear network, whitened inputs, zero-balanced init with O(1) entries, gradient flow",
    deviations=lambda s: [f"GD at lr = {s.lr:g} stands for gradient flow",
                          f"d_in = {s.d_in}, d_out = {s.d_out}, N_h = {s.hidden}; {s.seeds} seeds"],
)
