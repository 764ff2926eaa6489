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
in-context Bayesian curve; the same for the grid's other tokens; (b) overlap of
the prior tokens' class means with the ring's spectral embedding and of all 16
class means with the grid's, vs context; (c) the class-mean PCA at short and
long context with ring (dashed) and grid (solid) edges drawn.

Found at quick settings: the competition shows in behaviour -- early in the
context the model follows the memorised ring, later the in-context grid wins --
but not in the geometry: the prior is stored in the read-out, and the prior
tokens' class means are not ring-shaped at any context (overlap near its chance
level 2/7).  Conventions: context length = tokens seen; ``t`` = optimiser step.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab import Agreement, Cache, FigureResult
from theorylab.figures import figure_maker, save_figure
from theorylab.incontext import class_means, finite_mean
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import graph_spectral as gs
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, grid_graph, random_walks, ring_graph

from ._graph import draw_graph, trained_model

ID = "graph_prior"
QUICK_SECONDS = 70  # measured quick-mode cost on 2 CPU cores (training dominates): schedules it early
TITLE = "Prior vs context (Park et al. 2025): a memorised 8-ring against an in-context 4x4 grid"
SETTINGS = {
    "smoke": dict(vocab=16, train_len=64, d_model=32, n_layers=1, n_heads=4, steps=60, batch=8, lr=1e-2,
                  prior_fraction=0.25, prior_size=8, eval_len=120, eval_seqs=16, window=60, early=4, late=100),
    "quick": dict(vocab=32, train_len=256, d_model=96, n_layers=1, n_heads=8, steps=1000, batch=12, lr=5e-3,
                  prior_fraction=0.25, prior_size=8, eval_len=400, eval_seqs=64, window=100, early=4, late=300),
    "full": dict(vocab=64, train_len=512, d_model=128, n_layers=1, n_heads=8, steps=4000, batch=32, lr=3e-3,
                 prior_fraction=0.25, prior_size=8, eval_len=1400, eval_seqs=256, window=200, early=4, late=1000),
}


def _test_batch(p, n_seqs, rng):
    """Grid walks whose labels hold every prior token (random places) and ``16 - prior_size`` others."""
    g = np.random.default_rng(rng)
    n, k = 16, p["prior_size"]
    labels = np.stack([g.permutation(np.concatenate([np.arange(k), k + g.permutation(p["vocab"] - k)[:n - k]]))
                       for _ in range(n_seqs)])
    nodes = random_walks(grid_graph(4, 4), p["eval_len"], n_seqs, rng=g)
    return labels, nodes, np.take_along_axis(labels, nodes, axis=1)


@figure_maker(SETTINGS)
def make(out_dir, p: dict, cache: Cache, mode: str) -> FigureResult:
    graph = grid_graph(4, 4)
    A = adjacency(graph)
    k = p["prior_size"]
    cfg = WalkCorpusConfig(graph, p["vocab"], p["train_len"] + 1, prior_fraction=p["prior_fraction"], prior_size=k)
    model, loss = trained_model(ID, p, cfg, cache, mode)
    labels, nodes, tokens = _test_batch(p, p["eval_seqs"], rng=1)
    with torch.no_grad():
        logits, hidden = model(torch.as_tensor(tokens), return_hidden=True)
    probs = torch.softmax(logits.double(), -1).cpu().numpy()
    hidden = hidden[-1].double().cpu().numpy()
    on_graph = np.take_along_axis(probs, labels[:, None, :].repeat(p["eval_len"], 1), axis=2)    # (S, T, 16)
    on_graph /= on_graph.sum(axis=2, keepdims=True)
    # the ring neighbours (as grid nodes) of each prior token, minus those that are also grid neighbours
    node_of = np.full((len(labels), p["vocab"]), -1)
    np.put_along_axis(node_of, labels, np.arange(16)[None].repeat(len(labels), 0), axis=1)
    ring_nbr = np.zeros((len(labels), p["eval_len"], 16))
    is_prior = tokens < k
    for shift in (-1, 1):
        nb_node = node_of[np.arange(len(labels))[:, None], (tokens + shift) % k]                   # valid where prior
        np.put_along_axis(ring_nbr, np.where(is_prior, nb_node, 0)[..., None], 1.0, axis=2)
    ring_nbr *= is_prior[..., None]
    grid_nbr = A[nodes]
    ring_only = ring_nbr * (1 - grid_nbr)
    ring_mass = np.sum(on_graph * ring_only, axis=2)
    grid_mass = np.sum(on_graph * grid_nbr, axis=2)
    has_ring_only = ring_only.sum(axis=2) > 0
    prior_pos = is_prior & has_ring_only
    T = p["eval_len"] - 1
    ctx = np.arange(1, T + 1)

    def curve(x, mask):
        m = mask[:, :T]
        return np.where(m.any(0), np.where(m, x[:, :T], 0).sum(0) / np.maximum(m.sum(0), 1), np.nan)
    ring_curve, grid_curve_prior = curve(ring_mass, prior_pos), curve(grid_mass, prior_pos)
    grid_curve_other = curve(grid_mass, ~is_prior)
    # chance: uniform over the 16 grid tokens puts (number of ring-only neighbours) / 16 on them
    chance = float(np.mean(ring_only.sum(axis=2)[prior_pos]) / 16)
    bayes = gs.bigram_accuracy_exact(A, T)

    def window_mean(c, lo, hi):
        return float(np.nanmean(c[lo - 1:hi]))
    e = p["early"]
    late = p["late"]
    ring_early, ring_late = window_mean(ring_curve, 1, e), window_mean(ring_curve, late - 50, late)
    grid_late = window_mean(grid_curve_prior, late - 50, late)
    # geometry: prior tokens' class means vs the ring, all class means vs the grid
    Zr, Zg = gs.spectral_embedding(adjacency(ring_graph(k)), 2), gs.spectral_embedding(A, 2)
    positions = [q for q in (25, 50, 100, 200, 300, 400, 800, 1400) if q <= p["eval_len"]]
    ring_ov, grid_ov = np.full((len(positions), 8), np.nan), np.full((len(positions), 8), np.nan)
    pcs = {}
    for j, pos in enumerate(positions):
        for s in range(8):
            X = class_means(hidden[s], nodes[s], 16, pos, min(pos, p["window"]))
            Xp = X[node_of[s, :k]]
            if np.isfinite(Xp).all():
                ring_ov[j, s] = gs.subspace_overlap(gs.pca(Xp, 2)[0], Zr)
            if np.isfinite(X).all():
                scores = gs.pca(X, 2)[0]
                grid_ov[j, s] = gs.subspace_overlap(scores, Zg)
                pcs.setdefault(pos, (s, scores))
    ring_ov_m, grid_ov_m = finite_mean(ring_ov), finite_mean(grid_ov)
    agreements = [
        Agreement(f"early context (1..{e}): mass on the memorised ring neighbours vs chance", "ratio to chance",
                  ring_early / chance, 1.5, higher_is_better=True, detail={"mass": ring_early, "chance": chance}),
        Agreement(f"late context (~{late}): the in-context grid wins over the prior", "mass on grid neighbours - "
                  "mass on ring-only neighbours", grid_late - ring_late, 0.5, higher_is_better=True,
                  detail={"grid": grid_late, "ring": ring_late}),
        Agreement("prior tokens' class means vs the ring's spectral embedding (info: chance 2/7)",
                  "subspace overlap, max over context", float(np.nanmax(ring_ov_m)), 0.8, higher_is_better=True,
                  gating=False, detail={"per_context": dict(zip(positions, ring_ov_m.tolist()))}),
        Agreement("all class means vs the grid's spectral embedding at the longest context (info)",
                  "subspace overlap", float(grid_ov_m[-1]), 0.8, higher_is_better=True, gating=False,
                  detail={"per_context": dict(zip(positions, grid_ov_m.tolist()))}),
    ]
    with style():
        fig, axes = new_figure(4, 1, width=3.2, height=2.8)
        ax = axes[0, 0]
        ax.semilogx(ctx, ring_curve, color=COLORS[1], label="prior token: ring-only neighbours")
        ax.semilogx(ctx, grid_curve_prior, color=COLORS[0], label="prior token: grid neighbours")
        ax.semilogx(ctx, grid_curve_other, color=COLORS[2], lw=0.8, label="other tokens: grid neighbours")
        ax.semilogx(ctx, bayes, "k--", lw=0.8, label="in-context Bayes (exact)")
        ax.axhline(chance, color=COLORS[1], ls=":", lw=0.8)
        ax.set_xlabel("context length")
        ax.set_ylabel("next-token mass (over grid tokens)")
        ax.legend(fontsize=5)
        ax = axes[0, 1]
        ax.semilogx(positions, ring_ov_m, "o-", color=COLORS[1], label="prior tokens vs ring")
        ax.semilogx(positions, grid_ov_m, "o-", color=COLORS[0], label="all tokens vs grid")
        ax.axhline(2 / 7, color=COLORS[1], ls=":", lw=0.8)
        ax.set_xlabel("context length")
        ax.set_ylabel("class-mean PCA overlap")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=6)
        shown = sorted(pcs)
        for ax, pos in zip(axes[0, 2:], (shown[0], shown[-1]) if shown else ()):
            s, X = pcs[pos]
            _draw_with_ring(ax, X, A, node_of[s, :k], f"last layer, context {pos}: grid (solid), prior ring (dashed)")
        fig.suptitle(f"{TITLE}; trained {p['steps']} steps", fontsize=8)
        fig.subplots_adjust(wspace=0.35)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "context length = tokens seen; masses renormalised over the grid's "
                        "tokens; t = optimiser step (training, cross-entropy)", mode)


def _draw_with_ring(ax, X, A, ring_nodes, title):
    """The grid drawing of ``draw_graph`` with the prior ring's edges dashed and its nodes in red."""
    draw_graph(ax, X, A, title)
    r = np.asarray(ring_nodes)
    a, b = r, np.roll(r, -1)
    ax.plot(np.stack([X[a, 0], X[b, 0]]), np.stack([X[a, 1], X[b, 1]]), color=COLORS[1], lw=0.8, ls="--")
    ax.scatter(X[r, 0], X[r, 1], color=COLORS[1], s=16, zorder=4)
