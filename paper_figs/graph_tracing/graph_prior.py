"""Park et al. ICLR 2025 (arXiv:2501.00070), the prior-vs-context competition, recreated at small scale.

The paper puts tokens with a pretrained order (days of the week) on a graph
whose order conflicts with it: the in-context structure appears but competes
with the prior.  Here the prior is made: a quarter of the training sequences
are walks on a fixed 8-ring over tokens 0..7 (always in that order); the rest
are walks on freshly labelled 4x4 grids, as in ``graph_fig1`` (same model).
The test puts the 8 prior tokens on a grid at random places, so each prior
token's ring neighbours are mostly not its grid neighbours.

Panels: (a) for positions whose token is a prior token, the next-token mass
(renormalised over the grid's tokens) on its *ring* neighbours that are not
grid neighbours, and on its grid neighbours, vs context length, with the exact
in-context Bayesian curve; the same for the grid's other tokens
(:class:`PriorBehaviour`); (b) overlap of the prior tokens' class means with the
ring's spectral embedding and of all 16 class means with the grid's, vs context
(:class:`PriorGeometry`); (c) the class-mean PCA at short and long context with
ring (dashed) and grid (solid) edges drawn.

Found at quick settings: the competition shows in behaviour -- early in the
context the model follows the memorised ring, later the in-context grid wins --
but not in the geometry: the prior is stored in the read-out, and the prior
tokens' class means are not ring-shaped at any context (overlap near its chance
level 2/7).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.graph_tracing import CONTEXT
from theorylab.studies.graph_tracing_models import PriorBehaviour, PriorGeometry, WalkTraining
from theorylab.testing import thresholds as tol

from ._draw import clock_label, draw_with_ring


@dataclass(frozen=True)
class Settings:
    training: WalkTraining
    eval_len: int
    eval_seqs: int
    window: int
    positions: tuple[int, ...]   # contexts of the geometry panel
    early: int                   # the early window is contexts 1..early
    late: int                    # the late window is contexts late - late_width..late
    late_width: int = 50
    geometry_seqs: int = 8


def _training(**kw) -> WalkTraining:
    return WalkTraining(**{"prior_fraction": 0.25, "prior_size": 8, "n_layers": 1, "d_mlp": 0, "ov": "identity",
                           "embed_init": "orthogonal", "schedule": "cosine", **kw})


SETTINGS = {
    "smoke": Settings(_training(vocab=16, train_len=64, d_model=32, n_heads=4, steps=60, batch=8, lr=1e-2),
                      eval_len=120, eval_seqs=16, window=60, positions=(25, 50, 100), early=4, late=100),
    "quick": Settings(_training(vocab=32, train_len=256, d_model=96, n_heads=8, steps=1000, batch=12, lr=5e-3),
                      eval_len=400, eval_seqs=64, window=100, positions=(25, 50, 100, 200, 300, 400), early=4,
                      late=300),
    "full": Settings(_training(vocab=64, train_len=512, d_model=128, n_heads=8, steps=4000, batch=32, lr=3e-3),
                     eval_len=1400, eval_seqs=256, window=200, positions=(25, 50, 100, 200, 300, 400, 800, 1400),
                     early=4, late=1000),
}


def studies(s: Settings):
    return {"training": s.training,
            "behaviour": PriorBehaviour(s.training, s.eval_len, s.eval_seqs, seed=1),
            "geometry": PriorGeometry(s.training, s.eval_len, s.eval_seqs, seed=1, positions=s.positions,
                                      window=s.window, n_geo=s.geometry_seqs)}


def _window_mean(traj, name: str, lo: float, hi: float) -> float:
    """Mean of ``traj[name]`` over the contexts ``lo <= t <= hi`` (NaN entries left out)."""
    CONTEXT.factor_from(traj.clock)
    m = (traj.t >= lo) & (traj.t <= hi)
    return float(np.nanmean(traj[name][m]))


def checks(res, s: Settings):
    b, g = res["behaviour"].experiment, res["geometry"].experiment
    chance = float(b["chance"][0])
    ring_early = _window_mean(b, "ring_mass", 1, s.early)
    lo = s.late - s.late_width
    ring_late, grid_late = _window_mean(b, "ring_mass", lo, s.late), _window_mean(b, "grid_mass_prior", lo, s.late)
    k = s.training.prior_size
    per = lambda name: dict(zip((int(t) for t in g.t), g[name].tolist()))  # noqa: E731
    return [
        assess(f"early context (1..{s.early}): mass on the memorised ring neighbours vs chance", "ratio to chance",
               ring_early / chance,
               tol.criterion(1.5, "at least 50% above uniform guessing: the memorised ring is followed before the "
                                  "context says otherwise", at_least=True),
               detail={"mass": ring_early, "chance": chance}, clock=CONTEXT),
        assess(f"late context (~{s.late}): the in-context grid wins over the prior",
               "mass on grid neighbours - mass on ring-only neighbours", grid_late - ring_late,
               tol.criterion(0.5, "the in-context graph takes most of the next-token mass late in the context (the "
                                  "paper: the in-context structure appears despite the prior)", at_least=True),
               detail={"grid": grid_late, "ring": ring_late}, clock=CONTEXT),
        assess(f"prior tokens' class means vs the ring's spectral embedding (info: chance 2/{k - 1})",
               "subspace overlap, max over context", float(np.nanmax(g["ring_overlap"])),
               tol.criterion(0.8, "a ring-shaped PCA of the prior tokens", at_least=True), gating=False,
               detail={"per_context": per("ring_overlap")}, clock=CONTEXT),
        assess("all class means vs the grid's spectral embedding at the longest context (info)", "subspace overlap",
               float(g["grid_overlap"][-1]), tol.criterion(0.8, "as in graph_fig1", at_least=True), gating=False,
               detail={"per_context": per("grid_overlap")}, clock=CONTEXT),
    ]


def draw(res, s: Settings):
    b, bt, g = res["behaviour"].experiment, res["behaviour"].theory, res["geometry"].experiment
    k = s.training.prior_size
    A = s.training.graph.adjacency()
    fig, axes = new_figure(4, 1, width=3.2, height=2.8)
    ax = axes[0, 0]
    ax.semilogx(b.t, b["ring_mass"], color=COLORS[1], label="prior token: ring-only nbrs")
    ax.semilogx(b.t, b["grid_mass_prior"], color=COLORS[0], label="prior token: grid nbrs")
    ax.semilogx(b.t, b["grid_mass_other"], color=COLORS[2], lw=0.8, label="other tokens: grid nbrs")
    ax.semilogx(bt.t, bt["accuracy"], "k--", lw=0.8, label="in-context Bayes")
    ax.axhline(b["chance"][0], color=COLORS[1], ls=":", lw=0.8, label="chance")
    ax.set_xlabel(clock_label(b))
    ax.set_ylabel("next-token mass (over grid tokens)")
    ax.set_ylim(0, 1.25)
    ax.legend(fontsize=5, loc="upper left", ncol=2)
    ax = axes[0, 1]
    ax.semilogx(g.t, g["ring_overlap"], "o-", color=COLORS[1], label="prior tokens vs ring")
    ax.semilogx(g.t, g["grid_overlap"], "o-", color=COLORS[0], label="all tokens vs grid")
    ax.axhline(2 / (k - 1), color=COLORS[1], ls=":", lw=0.8, label=f"chance 2/{k - 1}")
    ax.set_xlabel(clock_label(g))
    ax.set_ylabel("class-mean PCA overlap")
    ax.set_xticks(g.t, [f"{t:g}" for t in g.t], fontsize=6)
    ax.minorticks_off()
    ax.set_ylim(0, 1)
    ax.legend(fontsize=6, loc="upper left")
    shown = [j for j in range(len(g.t)) if np.all(np.isfinite(g["pcs"][j]))]
    for ax, j in zip(axes[0, 2:], (shown[0], shown[-1]) if shown else ()):
        draw_with_ring(ax, g["pcs"][j], A, g["ring_nodes"][j].astype(int),
                       f"last layer, context {g.t[j]:g}:\ngrid (solid), prior ring (dashed)")
    for ax in axes[0, 2 + min(len(shown), 2):]:
        ax.set_axis_off()
    fig.suptitle(f"Prior vs context (Park et al. 2025): a memorised {k}-ring against an in-context "
                 f"{s.training.graph.name}; trained {s.training.steps} AdamW steps", fontsize=8)
    fig.subplots_adjust(wspace=0.45, top=0.78)
    return fig


FIGURE = Figure(
    "graph_prior", "Prior vs context (Park et al. 2025): a memorised ring against an in-context grid",
    "arXiv:2501.00070 (semantic prior: days of the week on a graph whose order conflicts with theirs)",
    SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=80,
    setup="Llama-3.1-8B reads walks over a ring whose nodes are the days of the week placed against their "
          "pretrained order; the in-context structure appears in lower principal components while the semantic "
          "order keeps the top ones",
    deviations=lambda s: [
        f"the prior is made, not pretrained: {s.training.prior_fraction:.0%} of the training walks run on a fixed "
        f"{s.training.prior_size}-ring over tokens 0..{s.training.prior_size - 1}, the rest on relabelled "
        f"copies of the {s.training.graph.name}; the same copying-attention model as graph_fig1 (d_model "
        f"{s.training.d_model}), {s.training.steps} AdamW steps",
        f"the test places the prior tokens at random nodes of the {s.training.graph.name} (not a ring); "
        f"{s.eval_seqs} walks of {s.eval_len} tokens, geometry from {s.geometry_seqs} of them (window {s.window})",
    ],
)
