import networkx as nx
import numpy as np
import pytest

from theorylab.tasks.graph_walks import (WalkCorpusConfig, adjacency, assign_tokens, grid_graph, hex_graph, iid_pairs,
                                         make_walk_batch, random_walks, ring_graph)


def test_graph_sizes_match_the_paper():
    assert (len(grid_graph(4, 4)), grid_graph(4, 4).number_of_edges()) == (16, 24)
    assert (len(hex_graph(3, 3)), hex_graph(3, 3).number_of_edges()) == (30, 38)
    assert ring_graph(10).number_of_edges() == 10


def test_walks_follow_edges_are_seeded_and_uniform():
    A = adjacency(grid_graph(4, 4))
    w = random_walks(grid_graph(4, 4), 200, 500, rng=0)
    assert np.all(A[w[:, :-1], w[:, 1:]] == 1)
    assert np.array_equal(w, random_walks(grid_graph(4, 4), 200, 500, rng=0))
    # from a corner (degree 2) each neighbour is taken half the time
    start = random_walks(grid_graph(4, 4), 2, 4000, rng=1, start=0)[:, 1]
    frac = np.mean(start == 1)
    assert abs(frac - 0.5) < 4 * 0.5 / np.sqrt(4000)
    pairs = iid_pairs(ring_graph(6), 50, 3, rng=0)
    assert pairs.shape == (3, 50, 2) and np.all(adjacency(ring_graph(6))[pairs[..., 0], pairs[..., 1]] == 1)


def test_corpus_labels_are_injective_and_tokens_follow_the_labelled_graph():
    cfg = WalkCorpusConfig(grid_graph(4, 4), vocab_size=24, length=64, prior_fraction=0.25, prior_size=7)
    b = make_walk_batch(cfg, 200, rng=0)
    fresh = ~b.is_prior
    assert 0 < b.is_prior.sum() < 200
    assert all(len(set(lab)) == 16 for lab in b.labels[fresh])
    assert np.array_equal(np.take_along_axis(b.labels[fresh], b.nodes[fresh], 1), b.tokens[fresh])
    assert b.tokens[b.is_prior].max() < 7                      # the prior ring uses tokens 0..6 in fixed order
    ring = b.tokens[b.is_prior]
    assert np.all(np.isin((ring[:, 1:] - ring[:, :-1]) % 7, [1, 6]))


def test_bad_input():
    with pytest.raises(ValueError, match="length"):
        random_walks(ring_graph(5), 0, rng=0)
    g = nx.path_graph(4)
    g.add_node(9)
    with pytest.raises(ValueError, match="isolated"):
        random_walks(g, 10, rng=0)
    with pytest.raises(ValueError, match="vocab"):
        assign_tokens(16, 10, rng=0)
    with pytest.raises(ValueError, match="vocab_size"):
        WalkCorpusConfig(grid_graph(4, 4), vocab_size=12, length=10)
    with pytest.raises(ValueError, match="self-loops"):
        random_walks(nx.Graph([(0, 0), (0, 1)]), 5, rng=0)
