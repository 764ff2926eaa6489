"""Coarse labels, trained MLPs (Yang, Steinhardt & Hu 2023; Alleman et al. 2024): collapse vs fine structure.

Two-hidden-layer MLPs trained by full-batch GD on the coarse labels of a
``C = 4`` x ``S = 3`` Gaussian mixture with orthogonal fine offsets
(:class:`CoarseMLP`), for each activation (ReLU, tanh), loss (cross-entropy,
squared) and weight decay (off, on).  The last hidden layer's coarse NC1 and
fine clustering accuracy are tracked over training; the report names a setting
where the coarse NC1 falls by 10x while the fine classes stay recoverable, and
checks that weight decay destroys the fine structure.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullFormatter

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.coarse_labels import CoarseMLP
from theorylab.tasks.gaussian_mixture import MixtureConfig
from theorylab.testing import thresholds as tol

#: (activation, loss, weight decay on) of every run, in drawing order.
RUNS = (("relu", "cross_entropy", False), ("relu", "squared", False), ("tanh", "cross_entropy", False),
        ("tanh", "squared", False), ("relu", "cross_entropy", True), ("tanh", "cross_entropy", True))

DROP = tol.criterion(10.0, "an order of magnitude: the coarse classes collapse", at_least=True)
KEPT = tol.criterion(0.9, "k-means recovers the fine classes (chance about 0.36 for S = 3 after matching)",
                     at_least=True)
BOTH = tol.criterion(1.0, f"both hold: NC1 drop >= {DROP.value:g} and fine clustering accuracy >= {KEPT.value:g}",
                     at_least=True)
DESTROYED = tol.criterion(0.6, "well below recoverable (0.9) and near chance (about 0.36-0.39 for S = 3 after "
                               "Hungarian matching): the fine structure is gone")


@dataclass(frozen=True)
class Settings:
    base: CoarseMLP
    wd: float = 5e-3                                 # weight decay of the runs that have it
    runs: tuple[tuple[str, str, bool], ...] = RUNS


def _mix(n: int) -> MixtureConfig:
    return MixtureConfig(C=4, S=3, d=24, coarse_sep=3.0, fine_offset=2.0, noise=0.1, n=n, offsets="orthogonal")


SETTINGS = {
    "smoke": Settings(CoarseMLP(mixture=_mix(20), width=32, seeds=1, lr=0.2, steps=300, n_rec=3)),
    "quick": Settings(CoarseMLP(mixture=_mix(40), width=64, seeds=2, lr=0.2, steps=3000, n_rec=6)),
    "full": Settings(CoarseMLP(mixture=_mix(200), width=256, seeds=8, lr=0.1, steps=20000, n_rec=20)),
}


def name(run) -> str:
    act, loss, wd = run
    return f"{act}, {'CE' if loss == 'cross_entropy' else 'MSE'}, {'wd' if wd else 'no wd'}"


def studies(s: Settings):
    return {name(r): s.base.replace(activation=r[0], loss=r[1], weight_decay=s.wd if r[2] else 0.0) for r in s.runs}


def summary(res, s: Settings) -> tuple[dict, dict]:
    """Per run: the seed-mean NC1 drop ``nc1(0) / nc1(end)`` and the seed-mean fine clustering accuracy at the end."""
    drop = {r: float(np.mean(res[name(r)].experiment["nc1"][0] / res[name(r)].experiment["nc1"][-1])) for r in s.runs}
    fine = {r: float(res[name(r)].experiment["fine_acc"][-1].mean()) for r in s.runs}
    return drop, fine


def checks(res, s: Settings):
    drop, fine = summary(res, s)
    score = {r: min(drop[r] / DROP.value, fine[r] / KEPT.value) for r in s.runs}
    best = max(s.runs, key=score.get)
    with_wd = [r for r in s.runs if r[2]]
    ref = next((r for r in s.runs if r[:2] == ("relu", "squared") and not r[2]), s.runs[0])
    return [
        assess(f"a regime of coarse collapse with fine structure kept: {name(best)}",
               f"min(NC1 drop / {DROP.value:g}, fine accuracy / {KEPT.value:g}) (>= 1: both hold)", score[best], BOTH,
               detail={"nc1_drop": drop[best], "fine_acc": fine[best],
                       "all_passing": [name(r) for r in s.runs if score[r] >= 1]}),
        assess("weight decay destroys the fine structure", "max fine clustering accuracy with weight decay",
               max(fine[r] for r in with_wd), DESTROYED, detail={name(r): fine[r] for r in s.runs}),
        assess("per-setting NC1 drop (info)", f"NC1 drop of {name(ref)}", drop[ref], DROP, gating=False,
               detail={name(r): drop[r] for r in s.runs}),
    ]


def draw(res, s: Settings):
    fig, axes = new_figure(2, 1, width=3.4, height=2.8)
    for r, c in zip(s.runs, COLORS * 2):
        ex = res[name(r)].experiment
        ls = "--" if r[2] else "-"
        axes[0, 0].semilogy(ex.t, ex["nc1"].mean(axis=1), ls, color=c, label=name(r))
        axes[0, 1].plot(ex.t, ex["fine_acc"].mean(axis=1), ls, color=c, label=name(r))
    axes[0, 0].set_ylabel("coarse NC1 (last hidden layer)")
    axes[0, 0].yaxis.set_minor_formatter(NullFormatter())     # minor log labels (3e-3, 4e-3) collide
    axes[0, 1].set_ylabel("fine clustering accuracy")
    axes[0, 1].axhline(1 / s.base.mixture.S, color="gray", lw=0.8, ls=":")
    for ax in axes[0]:
        ax.set_xlabel(f"{ex.clock.label} of each run's loss")
    axes[0, 1].legend(fontsize=5)
    m = s.base.mixture
    fig.suptitle(f"Coarse-label MLPs: coarse collapse with fine structure kept, unless weight decay; C={m.C}, S={m.S}, "
                 f"d={m.d}, {s.base.seeds} seeds", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def deviations(s: Settings):
    b, m = s.base, s.base.mixture
    return ["synthetic Gaussian mixture instead of CIFAR-10 (the paper's synthetic theorem is not available)",
            f"C = {m.C} x S = {m.S}, d = {m.d}, {m.n} samples per fine class, noise std {m.noise:g}, orthogonal fine "
            f"offsets {m.fine_offset:g}",
            f"MLPs [d, {b.width}, {b.width}, C], {b.seeds} seeds; full-batch GD at lr = {b.lr:g} for {b.steps} steps "
            f"(the paper trains ResNets with SGD)",
            f"weight decay {s.wd:g} (wd/2 ||theta||^2 in the loss) on the runs marked wd"]


FIGURE = Figure(
    "coarse_mlp", "Coarse-label MLPs: coarse collapse with fine structure kept, unless weight decay",
    "arXiv:2306.17105; Alleman et al. arXiv:2401.13558 (activation and task structure)", SETTINGS,
    studies=studies, checks=checks, draw=draw, deviations=deviations, quick_seconds=30,
    setup="networks trained to convergence on coarse labels: the last layer looks collapsed (small coarse NC1) yet "
          "k-means recovers the fine labels; weight decay drives collapse and erases fine information",
)
