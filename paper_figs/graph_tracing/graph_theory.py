"""Park et al. ICLR 2025 (arXiv:2501.00070): the spectral theory behind in-context graph tracing.

(a) Spectral embeddings (z2, z3) of the 4x4 grid, the 10-ring and the 3x3
hexagonal lattice, neighbours joined.  (b) Energy minimisation as dynamics:
heat flow ``X(tau) = e^{-tau L} X0`` from random coordinates; the overlap of the
top-2 centred PCs with span(z2, z3) goes to 1 (:class:`HeatFlow`, drawn on the
clock ``tau (lambda4 - lambda3)``).  (c) Rule-following accuracy of the
in-context bigram predictor vs context length: exact dynamic programme and
Monte Carlo, with and without additive smoothing (:class:`BayesPredictor`).
(d) Percolation: the fraction of contexts whose observed edges connect the
graph, for walks (tokens of context) and i.i.d. pairs (pairs observed)
(:class:`Percolation`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess, common_grid, on_common_clock, relative_error
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.graph_tracing import (BayesPredictor, GraphSpec, HeatFlow, Percolation, first_context,
                                             heat_gap_clock)
from theorylab.testing import thresholds as tol

from ._draw import clock_label, draw_graph

GRAPHS = (GraphSpec("grid", 4, 4), GraphSpec("ring", 10), GraphSpec("hex", 3, 3))


@dataclass(frozen=True)
class Settings:
    bayes: BayesPredictor
    n_trials: int
    heat: HeatFlow = HeatFlow()
    graphs: tuple[GraphSpec, ...] = GRAPHS
    seed_pairs: int = 1
    seed_walk: int = 2
    level: float = 0.9           # the accuracy at which smoothed and exact predictors are compared


SETTINGS = {
    "smoke": Settings(BayesPredictor(GRAPHS[0], t_max=100, n_walks=500), n_trials=50),
    "quick": Settings(BayesPredictor(GRAPHS[0], t_max=400, n_walks=4000), n_trials=400),
    "full": Settings(BayesPredictor(GRAPHS[0], t_max=1400, n_walks=20000), n_trials=2000),
}


def studies(s: Settings):
    out = {f"heat {g.name}": s.heat.replace(graph=g) for g in s.graphs}
    out["bayes"] = s.bayes
    for g in s.graphs:
        out[f"walk {g.name}"] = Percolation(g, walk=True, n_trials=s.n_trials, seed=s.seed_walk)
        out[f"pairs {g.name}"] = Percolation(g, walk=False, n_trials=s.n_trials, seed=s.seed_pairs)
    return out


def _bayes_pair(res):
    """Exact and Monte-Carlo accuracy on the exact curve's clock and grid, and the Monte-Carlo standard error."""
    th, ex = on_common_clock(res.theory, res.experiment)
    t = common_grid(th, ex)
    return t, th.interp(t)["accuracy"], ex.interp(t)


def checks(res, s: Settings):
    heat = [res[f"heat {g.name}"].theory for g in s.graphs]
    rows = [relative_error("E_G(spectral embedding) = 2 (lambda2 + lambda3)", [h["eigen_energy"][0] for h in heat],
                           [h["spectral_energy"][0] for h in heat],
                           tol.exact(factor=0.01, why="eigh of an n <= 30 Laplacian and one trace: round-off about "
                                                      "n eps = 7e-15; 1e-11 relative is below 1e-10 absolute here"),
                           metric="max relative error over graphs"),
            assess("heat flow's top-2 PCs reach span(z2, z3)", "max over graphs of 1 - overlap at the end",
                   max(1 - h["overlap"][-1] for h in heat),
                   tol.criterion(1e-3, f"overlap >= 0.999: at tau (lambda4 - lambda3) = {s.heat.gap_max:g} the "
                                       "competing modes are down by e^-60; what is left is round-off of centring a "
                                       "mean that dominates the signal"),
                   clock=heat[0].clock)]
    b = res["bayes"]
    t, exact, mc = _bayes_pair(b)
    # late on almost every walk scores 1: floor the standard error by that of the rare misses
    se = np.maximum(mc["accuracy_se"], np.sqrt(np.clip(1 - exact, 0, None) / s.bayes.n_walks))
    rows.append(relative_error("exact bigram accuracy vs Monte Carlo", exact, mc["accuracy"],
                               tol.standard_errors(4.5, why=f"max over {len(t)} correlated context lengths"),
                               scale=se, metric=f"max |MC - exact| / standard error ({s.bayes.n_walks} walks)",
                               clock=b.theory.clock))
    t90 = first_context(b.theory, "accuracy", s.level)
    ratio = b.experiment.interp([t90])["accuracy_smoothed"][0] / b.theory.interp([t90])["accuracy"][0]
    rows.append(assess("smoothing slows the in-context predictor",
                       f"smoothed / exact accuracy where the exact reaches {s.level:g}", ratio,
                       tol.criterion(0.95, f"add-{s.bayes.smoothing:g} smoothing is at least 5% behind the ML "
                                           "predictor (Laplace smoothing slows it toward the time scale of large "
                                           "models)"),
                       detail={"t90_exact": t90}, clock=b.theory.clock))
    return rows


def draw(res, s: Settings):
    fig, axes = new_figure(4, 2, width=2.9, height=2.6)
    for ax, g in zip(axes[0, :3], s.graphs):
        h = res[f"heat {g.name}"].theory
        draw_graph(ax, h["spectral_embedding"][0], g.adjacency(), f"{g.name}: spectral embedding (z2, z3)")
        ax.title.set_fontsize(7)
    ax = axes[0, 3]
    for c, g in zip(COLORS, s.graphs):
        h = res[f"heat {g.name}"].theory
        hg = h.on_clock(heat_gap_clock(h["gap"][0]))
        ax.semilogx(hg.t, hg["overlap"], color=c, label=g.name)
    ax.set_xlabel(clock_label(hg))
    ax.set_ylabel("overlap of top-2 PCs\nwith span(z2, z3)")
    ax.legend(fontsize=6)
    b = res["bayes"]
    ax = axes[1, 0]
    ax.semilogx(b.theory.t, b.theory["accuracy"], "k", label="ML bigram, exact")
    ax.semilogx(b.experiment.t[::7], b.experiment["accuracy"][::7], "o", ms=2.5, mfc="none", color=COLORS[0],
                label="ML bigram, Monte Carlo")
    ax.semilogx(b.experiment.t, b.experiment["accuracy_smoothed"], color=COLORS[1],
                label=f"add-{s.bayes.smoothing:g} smoothing (MC)")
    ax.set_xlabel(clock_label(b.theory))
    ax.set_ylabel(f"rule-following accuracy ({s.bayes.graph.name})")
    ax.legend(fontsize=6, loc="upper left")
    for ax, kind, what in ((axes[1, 1], "walk", "random walk"), (axes[1, 2], "pairs", "i.i.d. neighbour pairs")):
        for c, g in zip(COLORS, s.graphs):
            p = res[f"{kind} {g.name}"].experiment
            ax.semilogx(p.t[1:], p["connected"][1:], color=c, drawstyle="steps-post", label=g.name)
        ax.set_xlabel(clock_label(p))
        ax.set_ylabel("fraction with observed\nedges connecting the graph")
        ax.set_title(f"percolation: {what}\n({s.n_trials} trials)", fontsize=7)
        ax.legend(fontsize=6, loc="upper left")
    axes[1, 3].set_axis_off()
    fig.suptitle("Graph tracing theory: spectral embedding, heat flow, in-context Bayes, percolation", fontsize=8)
    fig.subplots_adjust(wspace=0.45, hspace=0.45)
    return fig


FIGURE = Figure(
    "graph_theory", "Graph tracing theory: spectral embedding, heat flow, in-context Bayes, percolation",
    "arXiv:2501.00070 (spectral embedding, Dirichlet energy, in-context Bayes, percolation view)",
    SETTINGS, studies=studies, checks=checks, draw=draw, quick_seconds=4,
    setup="the paper's graphs (4x4 grid, 10-ring, 3x3 hexagonal lattice) and its spectral account: the PCA of "
          "in-context representations is compared with the Laplacian eigenvectors (z2, z3); contexts of 1200-1400 "
          "tokens",
    deviations=lambda s: [f"in-context Bayes curve to context {s.bayes.t_max} with {s.bayes.n_walks} Monte-Carlo "
                          f"walks; {s.n_trials} percolation trials per graph",
                          f"heat flow from {s.heat.n_features}-dim N(0, 1) coordinates (not the paper's model)"],
)
