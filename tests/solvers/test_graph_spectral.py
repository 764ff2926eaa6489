import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.solvers.graph_spectral import (bigram_accuracy_exact, bigram_accuracy_mc, connection_length_mc,
                                              dirichlet_energy, edge_coverage_iid, heat_flow, neighbour_mixing,
                                              normalized_energy, pca, rayleigh_quotient, spectral_embedding,
                                              spectrum, subspace_overlap)
from theorylab.tasks.graph_walks import adjacency, grid_graph, hex_graph, ring_graph
from theorylab.testing import assert_close


def _graphs():
    return st.one_of(
        st.builds(grid_graph, st.integers(2, 6), st.integers(2, 6)),
        st.builds(ring_graph, st.integers(3, 20)),
        st.builds(hex_graph, st.integers(1, 3), st.integers(1, 3)),
        st.builds(lambda n, s: nx.connected_watts_strogatz_graph(n, 4, 0.3, seed=s), st.integers(6, 20),
                  st.integers(0, 100)),
    )


@settings(max_examples=20)
@given(st.integers(2, 7), st.integers(2, 7))
def test_grid_spectrum_is_the_sum_of_two_path_spectra(rows, cols):
    path = lambda n: 2 - 2 * np.cos(np.pi * np.arange(n) / n)          # noqa: E731
    want = np.sort((path(rows)[:, None] + path(cols)[None, :]).ravel())
    assert_close(spectrum(grid_graph(rows, cols))[0], want, level="exact", scale=8.0)


@settings(max_examples=20)
@given(st.integers(3, 40))
def test_ring_spectrum_closed_form(n):
    want = np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(n) / n))
    assert_close(spectrum(ring_graph(n))[0], want, level="exact", scale=4.0)


@settings(max_examples=25)
@given(_graphs())
def test_spectral_embedding_energy_and_rayleigh_bounds(graph):
    A = adjacency(graph)
    lam = spectrum(A)[0]
    Z = spectral_embedding(A, 2)
    assert_close(Z.T @ Z, np.eye(2), level="exact")
    assert_close(dirichlet_energy(Z, A), 2 * (lam[1] + lam[2]), level="exact", scale=lam[-1])
    # energy by definition sum_ij A_ij ||x_i - x_j||^2 on random coordinates
    X = np.random.default_rng(len(A)).normal(size=(len(A), 3))
    direct = sum(A[i, j] * np.sum((X[i] - X[j]) ** 2) for i in range(len(A)) for j in range(len(A)))
    assert_close(dirichlet_energy(X, A), direct, level="exact", scale=direct)
    r = rayleigh_quotient(X, A)
    assert lam[1] - 1e-12 <= r <= lam[-1] + 1e-12
    assert_close(rayleigh_quotient(Z, A), 0.5 * (lam[1] + lam[2]), level="exact", scale=lam[-1])
    assert_close(normalized_energy(3.0 * X, A), dirichlet_energy(X, A) / np.sum(X**2), level="exact",
                 scale=lam[-1])
    # the authors' plotted energy: X / ||X||_F, squared differences averaged over the d coordinates, half the sum
    # over ordered neighbour pairs -- 1 / (2d) of the "sum" convention
    Xn = X / np.linalg.norm(X)
    plotted = 0.5 * sum(A[i, j] * np.mean((Xn[i] - Xn[j]) ** 2) for i in range(len(A)) for j in range(len(A)))
    assert_close(normalized_energy(3.0 * X, A, convention="authors"), plotted, level="exact", scale=plotted)
    assert_close(normalized_energy(X, A, convention="authors") * 2 * X.shape[1], normalized_energy(X, A),
                 level="exact", scale=lam[-1])


@pytest.mark.parametrize("graph", [grid_graph(4, 4), ring_graph(10), hex_graph(3, 3)], ids=["grid", "ring", "hex"])
def test_heat_flow_top_pcs_converge_to_the_spectral_embedding(graph):
    A = adjacency(graph)
    lam = spectrum(A)[0]
    assert lam[3] > lam[2] + 1e-6                        # z2, z3 span an isolated eigenspace here
    X0 = np.random.default_rng(0).normal(size=(len(A), 32))
    Z = spectral_embedding(A, 2)
    taus = np.array([0.0, 2.0, 20.0]) / (lam[3] - lam[2])
    overlaps = [subspace_overlap(pca(X, 2)[0], Z) for X in heat_flow(X0, A, taus)]
    assert overlaps[0] < 0.7 and overlaps[-1] > 0.999 and overlaps[1] > overlaps[0]
    # one neighbour-mixing step already lowers the (scale-free) energy
    assert rayleigh_quotient(neighbour_mixing(X0, A), A) < rayleigh_quotient(X0, A)


def test_heat_flow_solves_its_ode():
    A = adjacency(grid_graph(3, 3))
    X0 = np.random.default_rng(1).normal(size=(9, 2))
    L = np.diag(A.sum(1)) - A
    h = 1e-5
    X = heat_flow(X0, A, [0.5 - h, 0.5, 0.5 + h])
    assert_close((X[2] - X[0]) / (2 * h), -L @ X[1], level="quad", scale=np.abs(L @ X[1]).max())


@pytest.mark.parametrize("graph", [grid_graph(4, 4), ring_graph(10), hex_graph(2, 2)], ids=["grid", "ring", "hex"])
def test_exact_bigram_accuracy_agrees_with_monte_carlo(graph):
    A = adjacency(graph)
    exact = bigram_accuracy_exact(A, 120)
    mean, se = bigram_accuracy_mc(A, 120, 3000, rng=0)
    diff = np.abs(mean - exact)
    # 4.5 standard errors at each of 120 correlated points.  Late on, misses are rare and a
    # sample may hold none (se = 0): the floor is the model's own spread, var <= 1 - acc.
    se = np.maximum(se, np.sqrt(np.clip(1 - exact, 0, None) / 3000))
    assert np.all(diff <= 4.5 * se + 1e-12), np.max(diff / np.maximum(se, 1e-300))
    assert_close(exact[0], A.sum() / len(A) ** 2, level="exact")     # first node: uniform, mean degree / n
    assert exact[-1] > 0.95 and exact[0] < 0.3           # (not monotone: bipartite graphs revisit on even steps)
    # smoothing only slows it down
    smooth, _ = bigram_accuracy_mc(A, 120, 3000, smoothing=1.0, rng=0)
    assert np.all(smooth[5:] < mean[5:])


def test_edge_coverage_and_connection_length():
    A = adjacency(ring_graph(10))
    assert_close(edge_coverage_iid(10, [0, 10]), [0.0, 1 - 0.9**10], level="exact")
    iid = connection_length_mc(A, 400, rng=0)
    # a ring is connected once 9 of its 10 edges are seen: coupon collector E = 10 (H_10 - 1) ~ 19.3
    assert abs(iid.mean() - 10 * (sum(1 / k for k in range(1, 11)) - 1)) < 4 * iid.std() / np.sqrt(len(iid))
    walk = connection_length_mc(A, 100, rng=0, walk=True)
    assert walk.min() >= 9


def test_bad_input():
    with pytest.raises(ValueError, match="isolated"):
        spectrum(np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="t_max"):
        bigram_accuracy_exact(adjacency(ring_graph(5)), 0)
    with pytest.raises(ValueError, match="k must be"):
        spectral_embedding(ring_graph(4), 4)


def test_normalized_energy_refuses_an_unknown_convention():
    with pytest.raises(ValueError, match="convention"):
        normalized_energy(np.eye(3), adjacency(ring_graph(3)), convention="mean")

