"""Coarse labels, linear theory (cf. Yang, Steinhardt & Hu, ICML 2023): what fine structure survives.

Two-layer linear networks trained by full-batch GD on the coarse labels of a
``C = 3`` x ``S = 3`` Gaussian mixture (:class:`CoarseLinear`).  Lines: the closed
form (``solvers.coarse_linear``): the coarse classes separate along a Saxe sigmoid,
the fine weights inside the second layer's row space decay and the rest stay, so
the fine classes stay apart while the coarse NC1 collapses.  Markers: the trained
networks, member by member.  Right: coarse NC1 and fine clustering accuracy of
the trained hidden layers.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from theorylab.compare import assess, max_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.coarse_labels import CoarseLinear, fine_snr
from theorylab.tasks.gaussian_mixture import MixtureConfig
from theorylab.testing import thresholds as tol


def _mixture(n: int) -> MixtureConfig:
    return MixtureConfig(C=3, S=3, d=12, coarse_sep=3.0, fine_offset=1.5, noise=0.3, n=n, offsets="simplex")


SETTINGS = {
    "smoke": CoarseLinear(mixture=_mixture(100), hidden=16, seeds=2, a0=1e-3, eps=0.05, lr=0.05, t_max=40.0),
    "quick": CoarseLinear(mixture=_mixture(300), hidden=16, seeds=4, a0=1e-3, eps=0.05, lr=0.05, t_max=60.0),
    "full": CoarseLinear(mixture=_mixture(2000), hidden=32, seeds=16, a0=1e-4, eps=0.02, lr=0.02, t_max=80.0),
}

# Error budget of the trained separations against the closed form, measured at the quick settings by
# halving lr, quadrupling n and halving eps: GD vs gradient flow 0.45 lr (coarse only), the neglected
# O(eps^2) back-reaction of the fine block on W2 (0.014 coarse, 0.016 fine at eps = 0.05), sampled vs
# population covariance (<= 0.005).  Worst member: 0.039 coarse, 0.028 fine.
SEPARATION = tol.criterion(0.05, "budget: GD vs gradient flow 0.45 lr + neglected O(eps^2) back-reaction of the "
                                 "fine block + sampled covariance (each measured at quick settings); worst member")
COLLAPSE = tol.criterion(10.0, "an order of magnitude: the coarse classes collapse (Papyan et al. 2020)",
                         at_least=True)
RECOVERABLE = tol.criterion(0.9, "k-means recovers the fine classes (chance about 0.36 for S = 3 after matching); "
                                 "Yang et al. report 93% from 5 coarse CIFAR-10 labels.  A member below the k-means "
                                 "edge may merge its closest pair on another CPU: the row's detail gives the mean "
                                 "if every such member did (0.916 at quick settings)", at_least=True)
SNR_EDGE = tol.criterion(float(np.sqrt(8 / np.pi)), "k-means splits the closest fine pair rather than the hidden "
                                                    "noise when D_min^2/4 > (2/pi) sigma^2 a_inf (fine_snr)",
                         at_least=True)


def _worst_member(res, name: str, label: str):
    th, ex = res["linear"].theory, res["linear"].experiment
    rows = [max_error(th.member(e), ex.member(e), name, threshold=SEPARATION) for e in range(ex.n_seeds)]
    e = int(np.argmax([a.value for a in rows]))
    return dataclasses.replace(rows[e], name=label, metric=f"{rows[e].metric} (worst of {ex.n_seeds} members)",
                               detail={**rows[e].detail, "member": e, "per_member": [a.value for a in rows]})


def _worst_case_fine(acc, snr, s: CoarseLinear) -> float:
    """The seed mean if every member whose closest fine pair is below the k-means edge merged that pair instead.

    Such a member's k-means result is a knife edge between CPUs (issue #13); merging two of S fine classes
    caps its accuracy at (S - 1) / S.  The row is robust when this worst case still clears the threshold.
    """
    acc, snr = np.asarray(acc, float), np.asarray(snr, float)
    S = s.mixture.S
    return float(np.mean(np.where(snr < SNR_EDGE.value, np.minimum(acc, (S - 1) / S), acc)))


def checks(res, s: CoarseLinear):
    th, ex = res["linear"].theory, res["linear"].experiment
    nc1 = ex["nc1"].mean(axis=1)
    fine = ex["fine_acc"].mean(axis=1)
    snr = fine_snr(s, th)
    return [
        _worst_member(res, "coarse", "coarse separation: theory vs trained"),
        _worst_member(res, "fine", "fine separation: theory vs trained"),
        assess("coarse NC1 collapses", "seed-mean NC1 at the start / at the end", nc1[0] / nc1[-1], COLLAPSE,
               detail={"nc1": [float(nc1[0]), float(nc1[-1])]}),
        assess("fine classes stay recoverable", "seed-mean fine clustering accuracy of the hidden layer at the end",
               fine[-1], RECOVERABLE, detail={"start": float(fine[0]), "per_member": ex["fine_acc"][-1].tolist(),
                                              "worst_case": _worst_case_fine(ex["fine_acc"][-1], snr, s)}),
        assess("closest fine pair over hidden noise (theory, info)", "min over members of D_min(t_max) / (sigma "
               "sqrt(a_inf))", float(snr.min()), SNR_EDGE, gating=False, detail={"per_member": snr.tolist()}),
    ]


def draw(res, s: CoarseLinear):
    th, ex = res["linear"].theory, res["linear"].experiment
    fig, axes = new_figure(3, 1, width=3.1, height=2.7)
    for ax, key in ((axes[0, 0], "coarse"), (axes[0, 1], "fine")):
        for e, c in zip(range(s.seeds), COLORS * 4):
            ax.plot(th.t, th[key][:, e], color=c, lw=1)
            ax.plot(ex.t[::2], ex[key][::2, e], "o", ms=3, mfc="none", color=c)
        ax.set_xlabel(th.clock.label)
        ax.set_ylabel(f"{key}-mean distance (hidden layer)")
        ax.set_title(f"{key} classes: lines theory, markers trained", fontsize=7)
    ax = axes[0, 2]
    ax.semilogy(ex.t, ex["nc1"].mean(axis=1), color=COLORS[0], label="coarse NC1")
    ax.set_xlabel(ex.clock.label)
    ax.set_ylabel("coarse NC1 (seed mean)")
    ax2 = ax.twinx()
    ax2.plot(ex.t, ex["fine_acc"].mean(axis=1), color=COLORS[1], label="fine clustering accuracy")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("fine clustering accuracy (seed mean)", color=COLORS[1])
    ax2.spines["right"].set_visible(True)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=6, loc="center right")
    ax.set_title("trained hidden layers", fontsize=7)
    m = s.mixture
    fig.suptitle(f"Coarse labels, two-layer linear network ({s.seeds} seeds): coarse classes separate, fine structure "
                 f"survives; C={m.C}, S={m.S}, d={m.d}", fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 0.95), w_pad=1.5)
    return fig


def deviations(s: CoarseLinear):
    m = s.mixture
    return ["synthetic Gaussian mixture instead of CIFAR-10 (the paper's synthetic theorem is not available; the "
            "setting and closed form are ours, papers/coarse_labels.md)",
            f"C = {m.C} coarse x S = {m.S} fine classes, d = {m.d}, {m.n} samples per fine class, noise std "
            f"{m.noise:g}, simplex fine offsets {m.fine_offset:g}",
            f"two-layer linear network, hidden width {s.hidden}, {s.seeds} seeds, decoupled init a0 = {s.a0:g} plus "
            f"{s.eps:g} x N(0, 1) fine weights",
            f"GD at lr = {s.lr:g} stands for gradient flow, t_max = {s.t_max:g}"]


FIGURE = Figure(
    "coarse_linear", "Coarse labels, two-layer linear network: coarse classes separate, fine structure survives",
    "arXiv:2306.17105 (its synthetic setting; the closed form is ours, papers/coarse_labels.md)", SETTINGS,
    studies=lambda s: {"linear": s}, checks=checks, draw=draw, deviations=deviations, quick_seconds=9,
    setup="networks trained on coarse labels only; last-layer features look collapsed (coarse NC1 small) yet "
          "k-means recovers the fine labels (93% on CIFAR-10 with 5 coarse labels); a synthetic hierarchical "
          "mixture with an initial theoretical result",
)
