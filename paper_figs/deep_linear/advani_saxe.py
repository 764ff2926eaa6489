"""Advani, Saxe & Sompolinsky 2020 (arXiv:1710.03667), Fig. 3: generalisation dynamics.

A linear student trained by full-batch GD on ``P = alpha N`` noisy samples of a
linear teacher, for several ``alpha`` (including the interpolation threshold
``alpha = 1``), against ``advani_saxe_errors`` (:class:`AdvaniSaxe`).  With label
noise the test error has an interior minimum (overtraining) near ``alpha = 1``,
and at ``alpha = 1`` it grows without bound.

Relative errors are taken against ``max(theory, floor)``: for ``alpha < 1`` the
train error decays to 0, where a pointwise relative error measures nothing but
the finite-N position of the spectral edge (``floor`` is 0.8% of the initial error).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure, theory_vs_experiment
from theorylab.studies.deep_linear import AdvaniSaxe
from theorylab.testing import thresholds as tol


@dataclass(frozen=True)
class Settings:
    base: AdvaniSaxe
    alphas: tuple[float, ...]
    checked: tuple[float, ...] = (0.5, 2.0, 4.0)     # within tolerance at every recorded time
    floor: float = 0.01


SETTINGS = {
    "smoke": Settings(AdvaniSaxe(N=100, samples_x_seeds=1600, lr=0.02, t_max=5.0, n_rec=25), (0.5, 1.0),
                      checked=(0.5,)),
    "quick": Settings(AdvaniSaxe(N=300, samples_x_seeds=10000, lr=0.01, t_max=15.0, n_rec=40), (0.5, 1.0, 2.0, 4.0)),
    "full": Settings(AdvaniSaxe(N=1000, samples_x_seeds=40000, lr=0.005, t_max=200.0, n_rec=60),
                     (0.25, 0.5, 1.0, 2.0, 4.0)),
}


def studies(s: Settings):
    return {f"alpha={a:g}": s.base.replace(alpha=a) for a in s.alphas}


def checks(res, s: Settings):
    # the train error's relative Monte-Carlo spread over P x seeds samples is about sqrt(2 / (P E))
    band = tol.monte_carlo(np.sqrt(2.0), s.base.samples_x_seeds, z=3.5,
                           why="relative spread sqrt(2/(P E)) of the seed-mean error, P E >= samples_x_seeds")
    rows = []
    for a in s.alphas:
        r = res[f"alpha={a:g}"]
        if a in s.checked:
            for name in ("train", "test"):
                rows.append(max_error(r.theory, r.experiment, name, threshold=band, floor=s.floor,
                                      label=f"{name} error, alpha={a:g} (N={s.base.N}, {r.experiment.n_seeds} seeds)"))
        if a == 1.0:
            m = r.experiment.mean()["test"]
            rows.append(assess("alpha=1: overtraining (test error rises after its minimum)", "test(t_max) / min_t test",
                               m[-1] / m.min(), tol.criterion(1.1, "a rise of 10% is far above the seed-mean "
                                                                   "noise (about 1%) and shows the divergence at "
                                                                   "alpha = 1", at_least=True),
                               detail={"t_min": float(r.experiment.t[np.argmin(m)])}))
    return rows


def draw(res, s: Settings):
    fig, axes = new_figure(2, 1, width=3.5, height=2.8)
    for i, a in enumerate(s.alphas):
        r = res[f"alpha={a:g}"]
        for j, name in enumerate(("train", "test")):
            theory_vs_experiment(axes[0, j], r.theory, r.experiment, name, color=COLORS[i], label=f"alpha={a:g}")
    clock = res[f"alpha={s.alphas[0]:g}"].theory.clock
    for j, name in enumerate(("train error", "test error")):
        ax = axes[0, j]
        ax.set_xscale("log", nonpositive="mask")
        ax.set_xlabel(f"{clock.label}, summed loss")
        ax.set_ylabel(name)
    axes[0, 1].set_ylim(0, 1.6)
    axes[0, 0].legend(fontsize=5.5, ncol=1)
    fig.suptitle("Advani-Saxe: train and test error of linear regression over time", fontsize=8.5)
    return fig


FIGURE = Figure(
    "advani_saxe", "Advani-Saxe: train and test error of linear regression over time", "arXiv:1710.03667, Fig. 3",
    SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=45,
    setup="linear student-teacher, x_j ~ N(0, 1/N), gradient flow on the summed squared error, large N",
    deviations=lambda s: [f"N = {s.base.N}, GD at lr = {s.base.lr:g}, float32 student",
                          f"P x seeds >= {s.base.samples_x_seeds} per alpha; noise variance {s.base.noise_var:g}, "
                          f"teacher variance {s.base.teacher_var:g}, zero init"],
)
