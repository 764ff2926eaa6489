"""Ridge gradient flow: trained linear students over the closed form, and the best ridge strength.

For each ridge strength ``lam`` (:class:`RidgeFlow`), the test error of GD-trained
students against ``ridge_flow`` from the same inits.  With an isotropic teacher
prior the Bayes-optimal ridge is ``lam* = noise_std^2 d / (P ||w*||^2)``; the info
row says whether the strength closest to it ends with the lowest test error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure, theory_vs_experiment
from theorylab.studies.ridge import RidgeFlow
from theorylab.tasks.ridge_regression import RidgeTaskConfig
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    base: RidgeFlow
    lams: tuple[float, ...]


SETTINGS = {
    "smoke": Settings(RidgeFlow(task=RidgeTaskConfig(d=10, P=20), t_max=5.0, n_rec=11, seeds=2), (0.0, 0.5)),
    "quick": Settings(RidgeFlow(task=RidgeTaskConfig(d=40, P=60), lr=0.02, t_max=30.0, n_rec=61, seeds=8),
                      (0.0, 0.1, 0.3, 1.0)),
    "full": Settings(RidgeFlow(task=RidgeTaskConfig(d=200, P=300), lr=0.01, t_max=60.0, n_rec=121, seeds=32),
                     (0.0, 0.03, 0.1, 0.3, 1.0)),
}


def studies(s: Settings):
    return {f"lam={lam:g}": s.base.replace(lam=lam) for lam in s.lams}


def checks(res, s: Settings):
    rows = []
    for lam in s.lams:
        r = res[f"lam={lam:g}"]
        # GD vs gradient flow of a linear ODE: relative error about lr * t * (largest rate)^2 / 2, at most a few lr
        rows.append(max_error(r.theory, r.experiment, "test_error",
                              threshold=tol.discretisation(s.base.lr, constant=2.0, why="Euler on a linear flow"),
                              label=f"test error vs ridge_flow, lam={lam:g}"))
    t = s.base.task
    lam_star = t.noise_std**2 * t.d / (t.P * t.teacher_norm**2)
    final = np.array([res[f"lam={lam:g}"].theory["test_error"][-1].mean() for lam in s.lams])
    closest = int(np.argmin(np.abs(np.log((np.asarray(s.lams) + 1e-12) / lam_star))))
    rows.append(assess(f"the strength closest to lam* = {lam_star:.3g} ends lowest", "1 = yes",
                       float(np.argmin(final) == closest),
                       tol.claim(1.0, "Bayes-optimal ridge for an isotropic teacher prior (one draw: may miss)",
                                 at_least=True), gating=False, detail={"final test error": final.tolist()}))
    return rows


def draw(res, s: Settings):
    fig, axes = new_figure(1, 1, width=4.2, height=3.0)
    ax = axes[0, 0]
    for i, lam in enumerate(s.lams):
        r = res[f"lam={lam:g}"]
        theory_vs_experiment(ax, r.theory.mean(), r.experiment, "test_error", color=COLORS[i], every=2,
                             label=f"lam={lam:g}")
    ax.set_yscale("log")
    ax.set_xlabel(res[f"lam={s.lams[0]:g}"].theory.clock.label)
    ax.set_ylabel("test error ||w - w*||^2 + noise_std^2")
    ax.set_title(f"Ridge gradient flow: d={s.base.task.d}, P={s.base.task.P}", fontsize=8.5)
    ax.legend(fontsize=6, ncol=2)
    return fig


FIGURE = Figure(
    "ridge_flow", "Ridge regression under gradient flow (worked example family)",
    "closed-form ridge gradient flow (textbook; theorylab's newcomer example)", SETTINGS, studies=studies,
    checks=checks, draw=draw,
    setup="linear student on a fixed noisy training set, gradient flow of the mean squared loss plus a ridge penalty",
    deviations=lambda s: [f"GD at lr = {s.base.lr:g} stands for gradient flow; {s.base.seeds} inits per strength"],
)
