r"""Random walks on graphs defined only in context (graph tracing).

Park et al., "ICLR: In-Context Learning of Representations", ICLR 2025
(arXiv:2501.00070).  A graph's nodes are labelled with tokens by a random
permutation; a context is a random walk (start uniform, each step uniform over
the current node's neighbours), or the i.i.d.-pair variant ``w1 w2 /`` used for
the ring.  A model that predicts the next token can only follow the graph's
rule by reading its structure from the context.

Graphs are :mod:`networkx` graphs whose nodes are relabelled ``0..n-1``
(``grid_graph`` row-major, ``hex_graph`` in sorted-coordinate order); any
networkx graph can be used after :func:`as_graph`.  Walks are batched and
seeded; library code never touches global RNG state.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from theorylab._validate import check_int
from theorylab.rng import as_generator

__all__ = ["grid_graph", "ring_graph", "hex_graph", "as_graph", "adjacency", "random_walks", "iid_pairs",
           "assign_tokens", "WalkCorpusConfig", "WalkBatch", "make_walk_batch"]


def as_graph(graph) -> nx.Graph:
    """A validated undirected graph with nodes ``0..n-1``: at least 2 nodes, no self-loops, no isolated node."""
    if not isinstance(graph, nx.Graph) or graph.is_directed():
        raise ValueError(f"graph must be an undirected networkx graph, got {type(graph).__name__}")
    g = nx.convert_node_labels_to_integers(graph, ordering="sorted") if set(graph) != set(range(len(graph))) \
        else graph
    if g.number_of_nodes() < 2:
        raise ValueError(f"graph must have at least 2 nodes, got {g.number_of_nodes()}")
    loops = list(nx.selfloop_edges(g))
    if loops:
        raise ValueError(f"graph must have no self-loops, found {loops[:3]}")
    isolated = sorted(nx.isolates(g))
    if isolated:
        raise ValueError(f"graph has isolated nodes {isolated[:5]}: a walk cannot leave them")
    return g


def grid_graph(rows: int, cols: int) -> nx.Graph:
    """The ``rows x cols`` square grid (4 x 4: 16 nodes, 24 edges); node ``r * cols + c``."""
    rows, cols = check_int("rows", rows), check_int("cols", cols)
    g = nx.grid_2d_graph(rows, cols)
    return as_graph(nx.relabel_nodes(g, {(r, c): r * cols + c for r, c in g}))


def ring_graph(n: int) -> nx.Graph:
    """The cycle on ``n >= 3`` nodes."""
    return as_graph(nx.cycle_graph(check_int("n", n, minimum=3)))


def hex_graph(m: int, n: int) -> nx.Graph:
    """networkx's ``hexagonal_lattice_graph(m, n)`` (3 x 3: 30 nodes, 38 edges), relabelled ``0..n-1``."""
    return as_graph(nx.hexagonal_lattice_graph(check_int("m", m), check_int("n", n)))


def adjacency(graph) -> np.ndarray:
    """Symmetric 0/1 adjacency matrix ``A`` (n, n) in node order ``0..n-1``.

    ``graph`` is a networkx graph (validated by :func:`as_graph`) or already an adjacency
    array (checked: square, symmetric, no isolated node, no self-loop).
    """
    if isinstance(graph, np.ndarray):
        A = np.asarray(graph, float)
        if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.allclose(A, A.T):
            raise ValueError(f"adjacency must be a symmetric square matrix, got shape {A.shape}")
        if np.any(np.diag(A) != 0):
            raise ValueError("graph must have no self-loops (non-zero diagonal in the adjacency)")
        if np.any(A.sum(axis=1) == 0):
            raise ValueError(f"graph has isolated nodes {np.flatnonzero(A.sum(axis=1) == 0)[:5].tolist()}: "
                             "a walk cannot leave them")
        return A
    g = as_graph(graph)
    return nx.to_numpy_array(g, nodelist=range(g.number_of_nodes()), dtype=float)


def _neighbour_table(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    deg = (A > 0).sum(axis=1)
    table = np.zeros((len(A), int(deg.max())), dtype=np.int64)
    for i in range(len(A)):
        nb = np.flatnonzero(A[i])
        table[i, : len(nb)] = nb
    return table, deg


def random_walks(graph, length: int, n_walks: int = 1, *, rng, start=None) -> np.ndarray:
    """``n_walks`` random walks of ``length`` nodes, shape (n_walks, length).

    The start is uniform over nodes (or the given node / array of nodes); each
    step is uniform over the current node's neighbours.
    """
    length = check_int("length", length)
    n_walks = check_int("n_walks", n_walks)
    A = adjacency(graph)
    table, deg = _neighbour_table(A)
    g = as_generator(rng)
    walks = np.empty((n_walks, length), dtype=np.int64)
    walks[:, 0] = g.integers(len(A), size=n_walks) if start is None else np.broadcast_to(start, (n_walks,))
    for t in range(1, length):
        cur = walks[:, t - 1]
        walks[:, t] = table[cur, (g.random(n_walks) * deg[cur]).astype(np.int64)]
    return walks


def iid_pairs(graph, n_pairs: int, n_seqs: int = 1, *, rng) -> np.ndarray:
    """``n_pairs`` i.i.d. neighbour pairs per sequence, uniform over directed edges: (n_seqs, n_pairs, 2)."""
    n_pairs, n_seqs = check_int("n_pairs", n_pairs), check_int("n_seqs", n_seqs)
    src, dst = np.nonzero(adjacency(graph))
    k = as_generator(rng).integers(len(src), size=(n_seqs, n_pairs))
    return np.stack([src[k], dst[k]], axis=-1)


def assign_tokens(n_nodes: int, vocab_size: int, n: int = 1, *, rng) -> np.ndarray:
    """``n`` random injective labellings node -> token from a vocabulary of ``vocab_size``: (n, n_nodes)."""
    n_nodes, vocab_size = check_int("n_nodes", n_nodes), check_int("vocab_size", vocab_size)
    if n_nodes > vocab_size:
        raise ValueError(f"the graph has {n_nodes} nodes but the vocabulary only {vocab_size} tokens: "
                         "vocab_size must be >= the number of nodes")
    g = as_generator(rng)
    return np.argsort(g.random((check_int("n", n), vocab_size)), axis=1)[:, :n_nodes]


@dataclass(frozen=True)
class WalkCorpusConfig:
    """A corpus of walks over randomly labelled copies of one graph.

    Parameters
    ----------
    graph : networkx graph (validated by :func:`as_graph`)
    vocab_size : tokens available (>= nodes); every sequence draws its own labelling
    length : tokens per sequence (>= 1)
    prior_fraction : fraction of sequences that are walks on a fixed "pretraining" ring over
        the first ``prior_size`` tokens in a fixed order (0: none), to pit a learnt geometry
        against the in-context graph
    prior_size : tokens on the prior ring (>= 3)
    """

    graph: nx.Graph = field(repr=False)
    vocab_size: int
    length: int
    prior_fraction: float = 0.0
    prior_size: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "graph", as_graph(self.graph))
        check_int("vocab_size", self.vocab_size)
        check_int("length", self.length)
        if not 0 <= self.prior_fraction <= 1:
            raise ValueError(f"prior_fraction must be in [0, 1], got {self.prior_fraction}")
        check_int("prior_size", self.prior_size, minimum=3)
        n = self.graph.number_of_nodes()
        if n > self.vocab_size:
            raise ValueError(f"the graph has {n} nodes but vocab_size is {self.vocab_size}: "
                             "vocab_size must be >= the number of nodes")
        if self.prior_size > self.vocab_size:
            raise ValueError(f"prior_size ({self.prior_size}) must be <= vocab_size ({self.vocab_size})")


@dataclass(frozen=True)
class WalkBatch:
    tokens: np.ndarray    # (B, length) token ids
    nodes: np.ndarray     # (B, length) node ids on the sequence's graph
    labels: np.ndarray    # (B, n_nodes) token of each node (the prior ring's for prior sequences)
    is_prior: np.ndarray  # (B,) bool


def make_walk_batch(config: WalkCorpusConfig, batch: int, *, rng) -> WalkBatch:
    """``batch`` sequences: random walks on freshly labelled copies of the graph (or on the prior ring)."""
    batch = check_int("batch", batch)
    g = as_generator(rng)
    n = config.graph.number_of_nodes()
    is_prior = g.random(batch) < config.prior_fraction
    nodes = random_walks(config.graph, config.length, batch, rng=g)
    labels = assign_tokens(n, config.vocab_size, batch, rng=g)
    tokens = np.take_along_axis(labels, nodes, axis=1)
    if is_prior.any():
        k = int(is_prior.sum())
        ring_nodes = random_walks(ring_graph(config.prior_size), config.length, k, rng=g)
        tokens[is_prior] = ring_nodes                  # the ring's node i is always token i
        nodes[is_prior] = ring_nodes
        ring_labels = np.full((k, n), -1)
        m = min(n, config.prior_size)
        ring_labels[:, :m] = np.arange(m)
        labels[is_prior] = ring_labels
    return WalkBatch(tokens, nodes, labels, is_prior)
