r"""Probes of a transformer trained on in-context graph tracing (the studies in ``graph_tracing_models``).

Park et al., ICLR 2025 (arXiv:2501.00070), recreated at small scale: a
:class:`~theorylab.nets.CausalTransformer` is trained from scratch on random
walks over freshly labelled copies of a graph (``tasks.graph_walks``; training
is :class:`~theorylab.studies.graph_tracing_models.WalkTraining`), so the graph
can only be read from the context.  The probes are the paper's:

* rule-following accuracy at position ``t``: the next-token probability mass on
  the current node's true neighbours, renormalised over the graph's tokens;
* class-mean representations: for each node, the mean residual-stream vector
  over its occurrences in a backward window (the last ``W`` tokens of the
  context, or the authors' ``W + 1``), per sequence or pooled over a batch of
  walks on one labelling (the authors'); their centred PCA, Dirichlet energy /
  Rayleigh quotient, and the overlap of the top-2 PCs with the spectral
  embedding ``span(z_2, z_3)``.

Conventions: "context length" ``t`` counts tokens seen (the clock
:data:`~theorylab.studies.graph_tracing.CONTEXT`); accuracies are masses on the
true neighbours renormalised over the graph's tokens; the normalised Dirichlet
energy is :func:`~theorylab.solvers.graph_spectral.normalized_energy` in a stated
convention: "sum", ``E_G(X / ||X||_F)`` with ``E_G = sum_ij A_ij ||x_i - x_j||^2``, or
"authors", ``1 / (2d)`` of it, the quantity Park et al. plot.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_int
from theorylab.rng import as_generator
from theorylab.solvers import graph_spectral as gs
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, make_walk_batch

__all__ = ["rule_following_accuracy", "class_means", "POOLS", "representation_geometry", "finite_mean", "prior_test_batch",
           "prior_behaviour", "prior_geometry"]


@torch.no_grad()
def rule_following_accuracy(model, config: WalkCorpusConfig, n_seqs: int = 64, *, rng=1,
                            length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over held-out sequences of the rule-following accuracy at t = 1..length-1.

    At position ``t`` (``t`` tokens seen) the model's next-token distribution is
    renormalised over the sequence's graph tokens and its mass on the true
    neighbours of the current node is taken.  (Repeating the previous token would
    score 1 on an undirected graph: a baseline the model is not allowed, since
    walks never stay put and the mass is on neighbours of the *current* node.)
    """
    length = config.length if length is None else check_int("length", length)
    cfg = WalkCorpusConfig(config.graph, config.vocab_size, length)
    b = make_walk_batch(cfg, check_int("n_seqs", n_seqs), rng=as_generator(rng))
    A = adjacency(config.graph)
    probs = torch.softmax(model(torch.as_tensor(b.tokens, device=model.device)).double(), -1).cpu().numpy()
    graph_mass = np.take_along_axis(probs, b.labels[:, None, :].repeat(length, 1), axis=2)   # (S, T, n)
    graph_mass /= graph_mass.sum(axis=2, keepdims=True)
    nbr = A[b.nodes]                                                                         # (S, T, n)
    acc = np.sum(graph_mass * nbr, axis=2)[:, :-1]
    return acc.mean(axis=0), acc.std(axis=0, ddof=1) / np.sqrt(acc.shape[0])


def class_means(hidden: np.ndarray, nodes: np.ndarray, n_nodes: int, position: int, window: int, *,
                inclusive: bool = False) -> np.ndarray:
    """Mean of the hidden states over a backward window ending at context ``position``, at each node.

    ``hidden`` (T, d) and ``nodes`` (T,) for one sequence, or (S, T, d) and (S, T) for a batch of
    walks *on one labelling*, whose occurrences are then pooled over the batch (the authors'
    class means).  The window holds the last ``window`` tokens of the context, ``[position - window,
    position)`` (0-based; ``window <= position``), or with ``inclusive`` the authors' ``[t - W, t]``
    at their token index ``t = position - 1``: the last ``window + 1`` tokens, cut at the start of
    the sequence.  Nodes not visited in the window get NaN rows.
    """
    hidden, nodes = np.asarray(hidden), np.asarray(nodes)
    if hidden.ndim == 2:
        hidden, nodes = hidden[None], nodes[None]
    if hidden.ndim != 3 or nodes.shape != hidden.shape[:2]:
        raise ValueError(f"hidden (T, d) or (S, T, d) must match nodes (T,) or (S, T), got {hidden.shape} and "
                         f"{nodes.shape}")
    T = nodes.shape[1]
    position, window = check_int("position", position), check_int("window", window)
    if position > T:
        raise ValueError(f"position must be <= the sequence length {T}, got {position}")
    if inclusive:
        start = max(0, position - window - 1)
    elif window > position:
        raise ValueError(f"window ({window}) must be <= the context length at that position ({position})")
    else:
        start = position - window
    h = hidden[:, start: position].reshape(-1, hidden.shape[2])
    v = nodes[:, start: position].ravel()
    out = np.full((n_nodes, hidden.shape[2]), np.nan)
    for k in range(n_nodes):
        m = v == k
        if m.any():
            out[k] = h[m].mean(axis=0)
    return out


#: How class means are formed: per sequence (each with its own labelling), or pooled over a batch on one labelling.
POOLS = ("sequence", "batch")


@torch.no_grad()
def representation_geometry(model, config: WalkCorpusConfig, positions, *, window: int, n_seqs: int = 8, rng=2,
                            length: int | None = None, inclusive: bool = False, pool: str = "sequence",
                            energy: str = "sum") -> dict[str, np.ndarray]:
    """Class-mean geometry per layer and context length on held-out walks.

    Class means over the backward window of :func:`class_means` (``window``, ``inclusive``).
    ``pool="sequence"``: every sequence has its own labelling and its own class means; the
    metrics are averaged over the sequences whose window holds every node.  ``pool="batch"``
    (the authors'): the ``n_seqs`` walks share one labelling (the first sequence's) and the
    class means pool their occurrences, one value per layer and context.

    Returns ``energy`` (:func:`~theorylab.solvers.graph_spectral.normalized_energy` in convention
    ``energy``), ``rayleigh`` (centred Rayleigh quotient, in ``[lambda_2, lambda_max]``),
    ``overlap`` (top-2 PCs vs ``span(z_2, z_3)``), each (n_layers + 1, len(positions)), NaN where
    no window holds every node, and ``pcs``: the top-2 PC scores of the first complete sequence
    (or of the pooled means), (n_layers + 1, len(positions), n, 2).
    """
    from theorylab._validate import check_choice

    check_choice("pool", pool, POOLS)
    check_choice("energy", energy, gs.ENERGY_CONVENTIONS)
    positions = [check_int("position", p) for p in positions]
    length = max(positions) if length is None else length
    cfg = WalkCorpusConfig(config.graph, config.vocab_size, length)
    b = make_walk_batch(cfg, check_int("n_seqs", n_seqs), rng=as_generator(rng))
    tokens = b.tokens if pool == "sequence" else np.take_along_axis(np.broadcast_to(b.labels[:1], b.labels.shape),
                                                                    b.nodes, axis=1)
    _, hidden = model(torch.as_tensor(tokens, device=model.device), return_hidden=True)
    hidden = hidden.double().cpu().numpy()                                      # (L+1, S, T, d)
    A = adjacency(config.graph)
    n = len(A)
    Z = gs.spectral_embedding(A, 2)
    groups = [[s] for s in range(n_seqs)] if pool == "sequence" else [list(range(n_seqs))]
    shape = (hidden.shape[0], len(positions))
    out = {k: np.full(shape + (len(groups),), np.nan) for k in ("energy", "rayleigh", "overlap")}
    pcs = np.full(shape + (n, 2), np.nan)
    for layer in range(hidden.shape[0]):
        for j, pos in enumerate(positions):
            for g, seqs in enumerate(groups):
                X = class_means(hidden[layer, seqs], b.nodes[seqs], n, pos, window, inclusive=inclusive)
                if np.isnan(X[:, 0]).any():                                      # need every node in the window
                    continue
                out["energy"][layer, j, g] = gs.normalized_energy(X, A, convention=energy)
                out["rayleigh"][layer, j, g] = gs.rayleigh_quotient(X, A)
                scores, _ = gs.pca(X, 2)
                out["overlap"][layer, j, g] = gs.subspace_overlap(scores, Z)
                if np.isnan(pcs[layer, j, 0, 0]):             # the first sequence with every node seen
                    pcs[layer, j] = scores
    res = {k: finite_mean(v) for k, v in out.items()}
    res["pcs"] = pcs
    return res


def finite_mean(v: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the finite entries; NaN (without a warning) where there are none."""
    ok = np.isfinite(v)
    n = ok.sum(axis=-1)
    return np.where(n > 0, np.where(ok, v, 0.0).sum(axis=-1) / np.maximum(n, 1), np.nan)


def prior_test_batch(graph, vocab_size: int, prior_size: int, length: int, n_seqs: int, *, rng):
    """Walks on ``graph`` whose labels hold every prior token ``0..prior_size-1`` (at random nodes) and others.

    Returns ``(labels (S, n), nodes (S, length), tokens (S, length))``: each sequence's
    labelling is a random permutation of the ``prior_size`` prior tokens and
    ``n - prior_size`` tokens drawn from the rest of the vocabulary, so each prior
    token's ring neighbours are mostly not its graph neighbours.
    """
    from theorylab.tasks.graph_walks import random_walks

    g = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    A = adjacency(graph)
    n, k = len(A), check_int("prior_size", prior_size)
    if not k <= n <= vocab_size:
        raise ValueError(f"need prior_size <= nodes <= vocab_size, got {k}, {n}, {vocab_size}")
    labels = np.stack([g.permutation(np.concatenate([np.arange(k), k + g.permutation(vocab_size - k)[:n - k]]))
                       for _ in range(check_int("n_seqs", n_seqs))])
    nodes = random_walks(graph, check_int("length", length), n_seqs, rng=g)
    return labels, nodes, np.take_along_axis(labels, nodes, axis=1)


def _masked_mean(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over sequences (axis 0) of ``x`` where ``mask``; NaN where no sequence qualifies."""
    return np.where(mask.any(0), np.where(mask, x, 0).sum(0) / np.maximum(mask.sum(0), 1), np.nan)


def _prior_forward(model, graph, prior_size: int, labels: np.ndarray, tokens: np.ndarray):
    """(next-token mass renormalised over each sequence's graph tokens (S, T, n), last-layer stream (S, T, d),
    node of each token (S, max token + 1; -1 if absent))."""
    A = adjacency(graph)
    n = len(A)
    S, T_len = tokens.shape
    with torch.no_grad():
        logits, hidden = model(torch.as_tensor(tokens, device=model.device), return_hidden=True)
    probs = torch.softmax(logits.double(), -1).cpu().numpy()
    on_graph = np.take_along_axis(probs, labels[:, None, :].repeat(T_len, 1), axis=2)          # (S, T, n)
    on_graph /= on_graph.sum(axis=2, keepdims=True)
    node_of = np.full((S, int(labels.max()) + 1), -1)
    np.put_along_axis(node_of, labels, np.arange(n)[None].repeat(S, 0), axis=1)
    return on_graph, hidden[-1].double().cpu().numpy(), node_of


def prior_behaviour(model, graph, prior_size: int, labels: np.ndarray, nodes: np.ndarray,
                    tokens: np.ndarray) -> dict[str, np.ndarray]:
    """Next-token masses of a model with a memorised ring over the prior tokens, on walks over ``graph``.

    At contexts ``t = 1..length-1``, from the model's next-token distribution renormalised over
    the sequence's graph tokens (means over the sequences where the quantity is defined, NaN
    where none is): ``accuracy``, the mass on the current node's graph neighbours at every
    position (the rule-following accuracy), ``ring_mass`` on a prior token's ring neighbours that are not graph
    neighbours, ``grid_mass_prior`` on its graph neighbours, ``grid_mass_other`` on the graph
    neighbours of the other tokens, and ``chance`` (constant): the mean number of ring-only
    neighbours / n, what uniform guessing puts on them.
    """
    A = adjacency(graph)
    n, k = len(A), check_int("prior_size", prior_size)
    on_graph, _, node_of = _prior_forward(model, graph, k, labels, tokens)
    S, T_len = tokens.shape
    # the ring neighbours (as graph nodes) of each prior token, minus those that are also graph neighbours
    ring_nbr = np.zeros((S, T_len, n))
    is_prior = tokens < k
    for shift in (-1, 1):
        nb_node = node_of[np.arange(S)[:, None], (tokens + shift) % k]                           # valid where prior
        np.put_along_axis(ring_nbr, np.where(is_prior, nb_node, 0)[..., None], 1.0, axis=2)
    ring_nbr *= is_prior[..., None]
    grid_nbr = A[nodes]
    ring_only = ring_nbr * (1 - grid_nbr)
    ring_mass = np.sum(on_graph * ring_only, axis=2)
    grid_mass = np.sum(on_graph * grid_nbr, axis=2)
    prior_pos = is_prior & (ring_only.sum(axis=2) > 0)
    T = T_len - 1
    chance = float(np.mean(ring_only.sum(axis=2)[prior_pos]) / n)
    return {"accuracy": grid_mass[:, :T].mean(axis=0),
            "ring_mass": _masked_mean(ring_mass[:, :T], prior_pos[:, :T]),
            "grid_mass_prior": _masked_mean(grid_mass[:, :T], prior_pos[:, :T]),
            "grid_mass_other": _masked_mean(grid_mass[:, :T], ~is_prior[:, :T]),
            "chance": np.full(T, chance)}


def prior_geometry(model, graph, prior_size: int, labels: np.ndarray, nodes: np.ndarray, tokens: np.ndarray, *,
                   window: int, positions, n_geo: int) -> dict[str, np.ndarray]:
    """Last-layer class-mean geometry of a model with a memorised ring, at ``positions``, over ``n_geo`` sequences.

    Class means over ``[t - min(t, window), t)``; ``ring_overlap``: the prior tokens' top-2 PCs
    vs the ring's spectral embedding (chance 2/(k - 1)), ``grid_overlap``: all class means vs the
    graph's, both averaged over the sequences whose window holds every node needed; for
    drawing, ``pcs`` (the first complete sequence's top-2 PC scores, (P, n, 2)) and
    ``ring_nodes`` (the nodes holding prior tokens 0..k-1 in that sequence, (P, k)).
    """
    from theorylab.tasks.graph_walks import ring_graph

    A = adjacency(graph)
    n, k = len(A), check_int("prior_size", prior_size)
    _, hidden, node_of = _prior_forward(model, graph, k, labels, tokens)
    Zr, Zg = gs.spectral_embedding(adjacency(ring_graph(k)), 2), gs.spectral_embedding(A, 2)
    positions = [check_int("position", q) for q in positions]
    n_geo = check_int("n_geo", n_geo)
    ring_ov, grid_ov = np.full((len(positions), n_geo), np.nan), np.full((len(positions), n_geo), np.nan)
    pcs, ring_nodes = np.full((len(positions), n, 2), np.nan), np.full((len(positions), k), -1)
    for j, pos in enumerate(positions):
        for s in range(n_geo):
            X = class_means(hidden[s], nodes[s], n, pos, min(pos, window))
            Xp = X[node_of[s, :k]]
            if np.isfinite(Xp).all():
                ring_ov[j, s] = gs.subspace_overlap(gs.pca(Xp, 2)[0], Zr)
            if np.isfinite(X).all():
                scores = gs.pca(X, 2)[0]
                grid_ov[j, s] = gs.subspace_overlap(scores, Zg)
                if ring_nodes[j, 0] < 0:                          # the first sequence with every node seen
                    pcs[j], ring_nodes[j] = scores, node_of[s, :k]
    return {"ring_overlap": finite_mean(ring_ov), "grid_overlap": finite_mean(grid_ov), "pcs": pcs,
            "ring_nodes": ring_nodes}
