"""Park et al. ICLR 2025 (arXiv:2501.00070), Fig. 1 analogue: a small transformer traces a 4x4 grid in context.

A :class:`~theorylab.nets.CausalTransformer` is trained from scratch on random
walks over freshly labelled 4x4 grids (32-token vocabulary), so the grid can
only be read from the context.  The model is one attention-only layer with
token-shift keys (induction in one layer) and *copying* attention
(``ov="identity"``: each head adds the mean of the attended residual vectors in
the same coordinates), with orthogonal token embeddings.  Why that model, as
measured here (quick settings, last layer, context 400):

* a standard block (learned W_OV + MLP) reaches the accuracy but its last layer
  codes the *predicted neighbours*, ``A E``-like, whose PCA on a bipartite graph
  is led by the checkerboard mode: overlap with span(z2, z3) 0.06-0.15;
* copying attention followed by an MLP: 0.15-0.5 (the MLP's self-suppression
  code swamps the mixing);
* copying attention alone: the stream is ``e_i + c * mean of successors``, the
  paper's neighbour-mixing mechanism, and the overlap is 0.88-0.90.  It needs
  training contexts of 256 tokens to reach 0.9 accuracy: a linear read-out of an
  attention *average* scores neighbours by their frequency, and only long
  training contexts make it confident.

Panels: (a) rule-following accuracy on held-out labellings vs context length,
with the exact in-context Bayesian (maximum-likelihood bigram) predictor;
(b) the paper's normalised Dirichlet energy of the class means per layer vs
context, accuracy on the twin axis; (c) loss; (d) the spectral embedding
(z2, z3); (e) PCA of the last layer's class means at growing context, neighbours
joined, next to e_i + mean of neighbours on orthonormal embeddings; (f) the ring
and hexagonal analogues: the same grid-trained model read out on walks over a
10-ring and a 30-node hexagonal lattice, with their spectral embeddings.  The
model can beat the ML-bigram curve early on: the previous token is always a
neighbour on an undirected graph, which that predictor ignores.

Conventions: ``t`` = optimiser step for training; context length = tokens
seen; loss = mean next-token cross-entropy; class means over the backward window.
"""
from __future__ import annotations

import numpy as np
from theorylab import Agreement, Cache, FigureResult
from theorylab.figures import figure_maker, save_figure
from theorylab.incontext import representation_geometry, rule_following_accuracy
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import graph_spectral as gs
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, grid_graph, hex_graph, ring_graph

from ._graph import draw_graph, trained_model

ID = "graph_fig1"
QUICK_SECONDS = 100  # measured quick-mode cost on 2 CPU cores (training dominates): schedules it first
TITLE = ("In-context graph tracing (Park et al. 2025, Fig. 1 analogue): a copying-attention transformer on "
         "random walks over relabelled grids")
SETTINGS = {
    "smoke": dict(rows=3, cols=3, vocab=16, train_len=64, d_model=32, n_layers=1, n_heads=4, steps=60, batch=8,
                  lr=1e-2, eval_len=120, eval_seqs=16, window=60, positions=(60, 90, 120), other_len=120),
    "quick": dict(rows=4, cols=4, vocab=32, train_len=256, d_model=96, n_layers=1, n_heads=8, steps=1500, batch=12,
                  lr=5e-3, eval_len=400, eval_seqs=64, window=100, positions=(100, 200, 300, 400), other_len=600),
    "full": dict(rows=4, cols=4, vocab=64, train_len=512, d_model=128, n_layers=1, n_heads=8, steps=6000, batch=32,
                 lr=3e-3, eval_len=1400, eval_seqs=256, window=200, positions=(200, 400, 800, 1400), other_len=1400),
}


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    graph = grid_graph(p["rows"], p["cols"])
    A = adjacency(graph)
    cfg = WalkCorpusConfig(graph, p["vocab"], p["train_len"] + 1)
    model, loss = trained_model(ID, p, cfg, cache, mode)
    acc, acc_se = rule_following_accuracy(model, cfg, p["eval_seqs"], rng=1, length=p["eval_len"])
    ctx = np.arange(1, len(acc) + 1)
    bayes = gs.bigram_accuracy_exact(A, len(acc))
    geo = representation_geometry(model, cfg, p["positions"], window=p["window"], n_seqs=8, rng=2,
                                  length=p["eval_len"])
    lam = gs.spectrum(A)[0]
    Z = gs.spectral_embedding(A, 2)
    # ring and hexagonal analogues: the same grid-trained model, read out on walks over other graphs
    others = {}
    for name, other in (("10-ring", ring_graph(10)), ("hexagonal 3x3", hex_graph(3, 3))):
        if other.number_of_nodes() > p["vocab"]:                   # smoke settings: too few tokens for the hex
            continue
        A_o = adjacency(other)
        cfg_o = WalkCorpusConfig(other, p["vocab"], p["other_len"])
        acc_o, _ = rule_following_accuracy(model, cfg_o, p["eval_seqs"], rng=5)
        geo_o = representation_geometry(model, cfg_o, (p["other_len"],), window=min(2 * p["window"], p["other_len"]),
                                        n_seqs=8, rng=6)
        others[name] = dict(A=A_o, acc=acc_o, bayes=gs.bigram_accuracy_exact(A_o, len(acc_o)),
                            overlap=float(geo_o["overlap"][-1, 0]), pcs=geo_o["pcs"][-1, 0])
    # the mechanism on orthonormal token embeddings: neighbour mixing vs predicted-neighbour representations
    E = np.eye(len(A))
    mix_overlap = gs.subspace_overlap(gs.pca(gs.neighbour_mixing(E, A), 2)[0], Z)
    nbr_overlap = gs.subspace_overlap(gs.pca(A @ E, 2)[0], Z)
    # percolation view: the context at which the walk's observed edges first connect the graph
    t_connect = float(np.median(gs.connection_length_mc(A, 400, rng=4, walk=True)))
    i200 = min(len(acc), 200) - 1
    last = geo["overlap"][-1]
    agreements = [
        Agreement(f"rule-following accuracy at context {i200 + 1} (held-out labellings)", "accuracy", float(acc[i200]),
                  0.9, higher_is_better=True, detail={"bayes": float(bayes[i200]), "se": float(acc_se[i200])}),
        Agreement("context to reach 90% accuracy: model / in-context Bayes (info)", "ratio of context lengths",
                  float(_first(acc, 0.9) / _first(bayes, 0.9)), 1.0, gating=False),
        Agreement("model's 90% context vs the percolation (edges connect the graph) prediction (info)",
                  "context for 90% accuracy / median connection length of the walk", float(_first(acc, 0.9) /
                                                                                          t_connect), 1.0,
                  gating=False, detail={"median_connection_length": t_connect}),
        Agreement(f"last-layer class-mean PCA vs spectral embedding at context {p['positions'][-1]}",
                  "subspace overlap of top-2 PCs with span(z2, z3)", float(last[-1]), 0.8, higher_is_better=True,
                  detail={"per_layer": geo["overlap"][:, -1].tolist(), "per_context": last.tolist()}),
        *[Agreement(f"{name} analogue (grid-trained model): last-layer PCA vs spectral embedding (info)",
                    f"subspace overlap at context {p['other_len']}", o["overlap"], 0.8, higher_is_better=True,
                    gating=False, detail={"accuracy_at_end": float(o["acc"][-1]),
                                          "bayes_at_end": float(o["bayes"][-1])})
          for name, o in others.items()],
        Agreement("theory: x + mean of neighbours gives the grid's spectral embedding", "subspace overlap with "
                  "span(z2, z3), orthonormal embeddings", mix_overlap, 0.95, higher_is_better=True),
        Agreement("theory: predicted-neighbour codes A E do not (bipartite mode)", "subspace overlap with span(z2, z3)",
                  nbr_overlap, 0.5),
        Agreement("class-mean Rayleigh quotient within [lambda_2, lambda_max] (sanity)",
                  "fraction of (layer, context) values inside", float(np.nanmean(
                      (geo["rayleigh"] >= lam[1] - 1e-9) & (geo["rayleigh"] <= lam[-1] + 1e-9))), 1.0,
                  higher_is_better=True),
    ]
    with style():
        fig, axes = new_figure(4, 3, width=3.0, height=2.6)
        ax = axes[0, 0]
        ax.semilogx(ctx, acc, color=COLORS[0], label="transformer")
        ax.fill_between(ctx, acc - 2 * acc_se, acc + 2 * acc_se, color=COLORS[0], alpha=0.25, lw=0)
        ax.semilogx(ctx, bayes, "k--", label="in-context Bayes (exact)")
        ax.set_xlabel("context length")
        ax.set_ylabel("rule-following accuracy")
        ax.legend(fontsize=6)
        ax = axes[0, 1]
        for layer in range(geo["energy"].shape[0]):
            ax.semilogx(p["positions"], geo["energy"][layer], "o-", color=COLORS[layer % len(COLORS)],
                        label="embedding" if layer == 0 else f"block {layer}")
        ax.set_xlabel("context length")
        ax.set_ylabel("normalised Dirichlet energy")
        ax.legend(fontsize=6)
        ax2 = ax.twinx()
        ax2.semilogx(ctx, acc, color="gray", lw=0.8)
        ax2.tick_params(labelsize=6, colors="gray")
        ax.set_title("grey: accuracy (right axis)", fontsize=6)
        ax = axes[0, 2]
        ax.plot(loss.t, loss["loss"], color=COLORS[2])
        ax.set_xlabel("optimiser step")
        ax.set_ylabel("next-token cross-entropy")
        ax = axes[0, 3]
        draw_graph(ax, Z, A, "spectral embedding (z2, z3)")
        for j, pos in enumerate(p["positions"][-3:]):
            k = len(p["positions"]) - 3 + j
            draw_graph(axes[1, j], geo["pcs"][-1, k], A, f"last layer, context {pos}: overlap {last[k]:.2f}")
        draw_graph(axes[1, 3], gs.pca(gs.neighbour_mixing(E, A), 2)[0], A,
              f"theory: e_i + mean of neighbours (overlap {mix_overlap:.2f})")
        ax = axes[2, 0]
        for k, (name, o) in enumerate(others.items()):
            c = np.arange(1, len(o["acc"]) + 1)
            ax.semilogx(c, o["acc"], color=COLORS[(k + 3) % len(COLORS)], label=f"{name}: model")
            ax.semilogx(c, o["bayes"], "--", color=COLORS[(k + 3) % len(COLORS)], lw=0.8, label=f"{name}: Bayes")
        ax.set_xlabel("context length")
        ax.set_ylabel("rule-following accuracy")
        ax.set_title("grid-trained model on other graphs", fontsize=6)
        ax.legend(fontsize=5)
        # row 3: the ring's PCA (its spectral embedding is a regular polygon), the hex's spectral embedding and PCA
        slots = {"10-ring": (1, None), "hexagonal 3x3": (3, 2)}
        for name, (pca_col, z_col) in slots.items():
            if name not in others:
                axes[2, pca_col].set_axis_off()
                if z_col is not None:
                    axes[2, z_col].set_axis_off()
                continue
            o = others[name]
            draw_graph(axes[2, pca_col], o["pcs"], o["A"],
                       f"{name}, context {p['other_len']}: overlap {o['overlap']:.2f}")
            if z_col is not None:
                draw_graph(axes[2, z_col], gs.spectral_embedding(o["A"], 2), o["A"], f"{name}: spectral embedding")
        fig.suptitle(f"{TITLE}; trained {p['steps']} steps", fontsize=8)
        fig.subplots_adjust(wspace=0.45, hspace=0.4)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = optimiser step (training); context length = tokens seen; "
                        "loss = mean next-token cross-entropy", mode)


def _first(acc, level):
    """First context length (1-based) where ``acc >= level`` (one past the end if never: a lower bound)."""
    hit = np.flatnonzero(acc >= level)
    return float(hit[0] + 1) if hit.size else float(len(acc) + 1)
