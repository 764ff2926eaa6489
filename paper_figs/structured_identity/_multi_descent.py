"""Checks and drawing shared by the multiple-descent figures (SIM Figs. 8-10).

Symmetric two-layer linear theory (U-space, rates A, the paper's clock) over
trained ``U U^T`` networks from the same inits (:class:`SymmetricSIM`, one init
per member), with a panel of the authors' ``A^2`` rates.
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import assess, max_error, relative_error
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.structured_identity import count_rises
from theorylab.studies.structured_identity_symmetric import SymmetricSIM
from theorylab.testing import thresholds as tol


def settings(mu, d: int) -> dict:
    """The three modes of a multiple-descent figure with signal ``mu`` in ``d`` dimensions."""
    kw = dict(signal=mu, noise_std=0.05, d=d, init="uniform", init_scale=0.2, init_seed=1000, rates_A2=True)
    return {
        "smoke": SymmetricSIM(seeds=2, t_paper=30.0, lr=0.02, n_rec=151, **kw),
        "quick": SymmetricSIM(seeds=16 if d == 4 else 6, t_paper=60.0, lr=0.005, n_rec=601, **kw),
        "full": SymmetricSIM(seeds=24, t_paper=100.0, lr=0.005, n_rec=1001, **kw),
    }


def rises(res):
    """Number of OOD-loss rises of every init: theory (A), trained, theory (A^2)."""
    th, ex = res["descent"].theory, res["descent"].experiment
    E = th.n_seeds
    return ([count_rises(th["ood_loss"][:, e]) for e in range(E)], [count_rises(ex["ood_loss"][:, e]) for e in range(E)],
            [count_rises(th["ood_loss_A2"][:, e]) for e in range(E)])


def _ood_left(L_ood, L_train) -> float:
    """OOD loss (relative to its start) when the training loss first falls below 1% of its start."""
    i = int(np.argmax(L_train < 0.01 * L_train[0]))
    return float(L_ood[i] / L_ood[0]) if L_train[i] < 0.01 * L_train[0] else float("nan")


def checks_for(expect: int | None, claim: str = ""):
    """Checks of a multiple-descent figure.

    ``expect``: rises that make the paper's (expect + 1)-fold descent (``claim``
    cites it); ``None`` for the failure case, which checks the OOD loss left
    when training is done.
    """

    def checks(res, s: SymmetricSIM):
        th, ex = res["descent"].theory, res["descent"].experiment
        n_th, n_ex, n_a2 = rises(res)
        rows = [
            max_error(th, ex, "ood_loss", scale=float(th["ood_loss"][0].max()),
                      label="trained U U^T nets vs U-space theory (every init)",
                      threshold=tol.discretisation(s.lr, constant=2.0,
                                                   why="GD vs gradient flow over the run, relative to the largest "
                                                       "L_ood(0); measured 0.6-1.4 lr")),
            assess("number of OOD-loss rises, theory vs trained (every init)", "fraction of inits agreeing",
                   float(np.mean(np.equal(n_th, n_ex))),
                   tol.criterion(1.0, "a rise is a qualitative event: every init must show as many in training as "
                                      "in theory", at_least=True),
                   detail={"theory": n_th, "trained": n_ex, "A2 theory": n_a2}),
        ]
        if expect is not None:
            rows.append(assess(f"{expect + 1}-fold descent appears with the authors' A^2 rates",
                               "most rises over inits (A^2)", float(max(n_a2)), tol.claim(float(expect), claim,
                                                                                         at_least=True),
                               gating=False,
                               detail={"fraction of inits, A^2": float(np.mean(np.asarray(n_a2) >= expect)),
                                       "fraction of inits, A": float(np.mean(np.asarray(n_th) >= expect))}))
        else:
            E = th.n_seeds
            left_th = np.array([_ood_left(th["ood_loss"][:, e], th["loss"][:, e]) for e in range(E)])
            left_ex = np.array([_ood_left(ex["ood_loss"][:, e], ex["loss"][:, e]) for e in range(E)])
            rows.append(relative_error("OOD loss left when train loss < 1% of start: trained vs theory", left_th,
                                       left_ex, tol.discretisation(s.lr, constant=4.0,
                                                                   why="GD moves the train-loss crossing by O(lr); "
                                                                       "measured 1.5 lr"),
                                       metric="max relative error over inits",
                                       detail={"theory (fraction of L_ood(0))": left_th.round(4).tolist()},
                                       clock=th.clock))
        return rows

    return checks


def draw_for(title: str):
    def draw(res, s: SymmetricSIM):
        th = res["descent"].theory
        ex = res["descent"].experiment.on_clock(th.clock)
        n_th, _, _ = rises(res)
        L, L2 = th["ood_loss"], th["ood_loss_A2"]
        fig, axes = new_figure(2, 1, width=3.9, height=2.8)
        best = int(np.argmax(n_th))
        for e in range(th.n_seeds):
            lw, al = (1.8, 1.0) if e == best else (0.8, 0.35)
            axes[0, 0].plot(th.t, L[:, e], color=COLORS[e % 8], lw=lw, alpha=al)
            axes[0, 0].plot(ex.t[::4], ex["ood_loss"][::4, e], "o", ms=2.2, mfc="none", color=COLORS[e % 8], alpha=al)
            axes[0, 1].plot(th.t, L2[:, e], color=COLORS[e % 8], lw=lw, alpha=al)
        axes[0, 0].set_title("rates A (equations): theory lines, trained UU^T markers", fontsize=7)
        axes[0, 1].set_title("rates A^2 (the authors' theory scripts)", fontsize=7)
        for ax in axes[0]:
            ax.set_yscale("log")
            ax.set_ylim(1e-4 * L[0].max(), 2 * max(L[0].max(), L2[0].max()))
            ax.set_xlabel(th.clock.label, fontsize=7)
            ax.set_ylabel("OOD loss 1/2 ||f(x_hat) - x_hat||^2")
        fig.subplots_adjust(wspace=0.3)
        fig.suptitle(f"{title}: mu = {s.signal}, {s.seeds} inits U0 ~ U(0,1) x {s.init_scale:g}", fontsize=8, y=1.02)
        return fig

    return draw


def deviations(s: SymmetricSIM) -> list[str]:
    return [f"{s.seeds} inits U0 ~ uniform(0, 1) x {s.init_scale:g} (numpy default_rng({s.init_seed} + e)); the "
            "authors' scripts use torch.rand(d, d) / 10 and one seed",
            "theory with the equations' rates A (U-space ODE); the authors' A^2 rates drawn alongside",
            f"added: trained U U^T networks, GD at lr = {s.lr:g} on population data, up to paper time {s.t_paper:g}"]
