"""Park et al. ICLR 2025 (arXiv:2501.00070): the spectral theory behind in-context graph tracing.

(a) Spectral embeddings (z2, z3) of the 4x4 grid, the 10-ring and the 3x3
hexagonal lattice, neighbours joined.  (b) Energy minimisation as dynamics:
heat flow ``X(tau) = e^{-tau L} X0`` from random coordinates; the overlap of
the top-2 centred PCs with span(z2, z3) goes to 1.  (c) Rule-following
accuracy of the in-context bigram predictor vs context length: exact dynamic
programme and Monte Carlo, with and without additive smoothing (smoothing
slows it).  (d) Percolation: the context length at which the observed edges
first connect the graph, for i.i.d. pairs and for walks, per graph.

Conventions: ``tau`` is heat-flow time (gradient flow of ``E_G / 4``);
context length counts tokens seen; accuracy is the mass on true neighbours.
"""
from __future__ import annotations

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import graph_spectral as gs
from theorylab.tasks.graph_walks import adjacency, grid_graph, hex_graph, ring_graph

ID = "graph_theory"
QUICK_SECONDS = 4  # measured quick-mode cost on 2 CPU cores, one thread
TITLE = "Graph tracing theory: spectral embedding, heat flow, in-context Bayes, percolation"
SETTINGS = {
    "smoke": dict(t_max=100, n_walks=500, n_trials=50),
    "quick": dict(t_max=400, n_walks=4000, n_trials=400),
    "full": dict(t_max=1400, n_walks=20000, n_trials=2000),
}


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    graphs = {"grid 4x4": grid_graph(4, 4), "ring 10": ring_graph(10), "hex 3x3": hex_graph(3, 3)}
    adj = {k: adjacency(g) for k, g in graphs.items()}
    X0 = {k: np.random.default_rng(0).normal(size=(len(A), 32)) for k, A in adj.items()}
    overlap, energy_gap = {}, []
    for k, A in adj.items():
        lam = gs.spectrum(A)[0]
        Z = gs.spectral_embedding(A, 2)
        energy_gap.append(abs(gs.dirichlet_energy(Z, A) - 2 * (lam[1] + lam[2])))
        taus = np.geomspace(1e-2, 30, 40) / (lam[3] - lam[2])
        overlap[k] = (taus * (lam[3] - lam[2]), [gs.subspace_overlap(gs.pca(X, 2)[0], Z)
                                                 for X in gs.heat_flow(X0[k], A, taus)])
    A = adj["grid 4x4"]
    t = np.arange(1, p["t_max"] + 1)
    exact = gs.bigram_accuracy_exact(A, p["t_max"])
    mc, se = gs.bigram_accuracy_mc(A, p["t_max"], p["n_walks"], rng=0)
    smooth, _ = gs.bigram_accuracy_mc(A, p["t_max"], p["n_walks"], smoothing=1.0, rng=0)
    se = np.maximum(se, np.sqrt(np.clip(1 - exact, 0, None) / p["n_walks"]))   # rare misses late on
    z = float(np.max(np.abs(mc - exact) / se))
    conn = {k: (gs.connection_length_mc(A_, p["n_trials"], rng=1), gs.connection_length_mc(A_, p["n_trials"], rng=2,
                                                                                           walk=True))
            for k, A_ in adj.items()}
    t90 = float(t[np.argmax(exact >= 0.9)])
    agreements = [
        Agreement("E_G(spectral embedding) = 2 (lambda2 + lambda3)", "max absolute difference over graphs",
                  float(max(energy_gap)), 1e-10),
        Agreement("heat flow's top-2 PCs reach span(z2, z3)", "min over graphs of the overlap at the end",
                  float(min(v[1][-1] for v in overlap.values())), 0.999, higher_is_better=True),
        Agreement("exact bigram accuracy vs Monte Carlo", f"max |MC - exact| / standard error ({p['n_walks']} walks)",
                  z, 4.5),
        Agreement("smoothing slows the in-context predictor", "smoothed / exact accuracy where the exact reaches 0.9",
                  float(smooth[int(t90) - 1] / exact[int(t90) - 1]), 0.95, detail={"t90_exact": t90}),
    ]
    with style():
        fig, axes = new_figure(4, 2, width=2.9, height=2.6)
        for ax, (k, A_) in zip(axes[0, :3], adj.items()):
            Z = gs.spectral_embedding(A_, 2)
            i, j = np.nonzero(np.triu(A_))
            ax.plot(np.stack([Z[i, 0], Z[j, 0]]), np.stack([Z[i, 1], Z[j, 1]]), color="gray", lw=0.6)
            ax.scatter(Z[:, 0], Z[:, 1], s=12, zorder=3, color=COLORS[0])
            ax.set_title(f"{k}: spectral embedding (z2, z3)", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
        ax = axes[0, 3]
        for c, (k, (tt, ov)) in zip(COLORS, overlap.items()):
            ax.semilogx(tt, ov, color=c, label=k)
        ax.set_xlabel("tau (lambda4 - lambda3)")
        ax.set_ylabel("overlap of top-2 PCs with span(z2, z3)")
        ax.legend(fontsize=6)
        ax = axes[1, 0]
        ax.semilogx(t, exact, "k", label="ML bigram, exact")
        ax.semilogx(t[::7], mc[::7], "o", ms=2.5, mfc="none", color=COLORS[0], label="ML bigram, Monte Carlo")
        ax.semilogx(t, smooth, color=COLORS[1], label="add-1 smoothing (MC)")
        ax.set_xlabel("context length")
        ax.set_ylabel("rule-following accuracy (grid 4x4)")
        ax.legend(fontsize=6)
        ax = axes[1, 1]
        for c, (k, (iid, walk)) in zip(COLORS, conn.items()):
            ax.hist(iid, bins=30, histtype="step", color=c, label=f"{k}: i.i.d. pairs")
            ax.hist(walk, bins=30, histtype="step", color=c, ls="--", label=f"{k}: walk")
        ax.set_xlabel("context length at which observed edges connect the graph")
        ax.set_ylabel("count")
        ax.legend(fontsize=5)
        for ax in axes[1, 2:]:
            ax.axis("off")
        fig.suptitle(TITLE, fontsize=8)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "tau = heat-flow time (t = tau); context length = tokens seen; "
                        "accuracy = next-token mass on true neighbours", mode)
