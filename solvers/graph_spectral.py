r"""Spectral graph theory for in-context graph tracing.

Park et al., ICLR 2025 (arXiv:2501.00070).  With adjacency ``A`` and Laplacian
``L = D - A`` (eigenvalues ``0 = lambda_1 <= lambda_2 <= ...``, eigenvectors ``z_k``):

* Dirichlet energy ``E_G(X) = sum_ij A_ij ||x_i - x_j||^2 = 2 tr(X^T L X)``; the paper's
  plotted "normalised" energy is ``E_G(X / ||X||_F) / (2d)`` for ``d``-dimensional coordinates
  (:func:`normalized_energy` with ``convention="authors"``); the centred Rayleigh quotient
  ``R(X) = tr(X_c^T L X_c) / ||X_c||_F^2`` lies in ``[lambda_2, lambda_max]``.
* Spectral embedding: minimising ``E_G`` over ``X^T X = I``, ``X`` orthogonal to ``1``, gives
  ``(z_2, z_3)`` with energy ``2 (lambda_2 + lambda_3)``.  Eigenvalues of grids and rings
  are degenerate: compare subspaces (:func:`subspace_overlap`), not vectors.
* Gradient flow on ``E_G`` is heat flow ``X(tau) = e^{-tau L} X_0``, whose top centred
  principal components converge to ``span(z_2, z_3)``; one step of neighbour mixing
  ``x_i + mean_{j ~ i} x_j`` already smooths toward it.
* The in-context bigram predictor (:func:`bigram_accuracy_exact`, :func:`bigram_accuracy_mc`):
  the "theory" curve of rule-following accuracy vs context length.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

from theorylab._validate import check_int, check_nonnegative
from theorylab.rng import as_generator
from theorylab.tasks.graph_walks import adjacency, random_walks

__all__ = ["laplacian", "spectrum", "spectral_embedding", "dirichlet_energy", "normalized_energy", "ENERGY_CONVENTIONS",
           "rayleigh_quotient", "subspace_overlap", "pca", "heat_flow", "neighbour_mixing",
           "bigram_accuracy_exact", "bigram_accuracy_mc", "edge_coverage_iid", "connection_length_mc"]


def laplacian(A) -> np.ndarray:
    """``L = D - A``."""
    A = adjacency(A)
    return np.diag(A.sum(axis=1)) - A


def spectrum(A) -> tuple[np.ndarray, np.ndarray]:
    """Laplacian eigenvalues (ascending) and orthonormal eigenvectors (columns)."""
    return np.linalg.eigh(laplacian(A))


def spectral_embedding(A, k: int = 2) -> np.ndarray:
    """``(z_2, ..., z_{k+1})``: orthonormal Laplacian eigenvectors of the k smallest non-zero eigenvalues."""
    k = check_int("k", k)
    lam, Z = spectrum(A)
    if k + 1 > len(lam):
        raise ValueError(f"k must be <= n - 1 = {len(lam) - 1}, got {k}")
    return Z[:, 1: k + 1]


def dirichlet_energy(X, A) -> float:
    """``sum_ij A_ij ||x_i - x_j||^2 = 2 tr(X^T L X)`` for node coordinates ``X`` (n, d)."""
    X = np.asarray(X, float).reshape(len(X), -1)
    return float(2 * np.trace(X.T @ laplacian(A) @ X))


#: Conventions of :func:`normalized_energy`.
ENERGY_CONVENTIONS = ("sum", "authors")


def normalized_energy(X, A, *, convention: str = "sum") -> float:
    r"""Dirichlet energy of the uncentred-Frobenius-normalised coordinates ``X / ||X||_F`` (n, d).

    ``convention="sum"``: ``E_G(X / ||X||_F) = sum_ij A_ij ||x_i - x_j||^2 / ||X||_F^2
    = 2 tr(X^T L X) / ||X||_F^2`` (both orders of every edge, summed over the ``d`` coordinates).

    ``convention="authors"``: the "normalized Dirichlet energy" that Park et al. plot (their
    notebook): half the sum over ordered pairs of neighbours of the squared difference *averaged*
    over the ``d`` coordinates, ``tr(X^T L X) / (d ||X||_F^2)`` -- ``1 / (2d)`` of the "sum"
    value.  (Their script's ``compute_energy`` is yet another scale: the mean over the ``2|E|``
    directed edges of ``||x_i - x_j||^2``, unnormalised.)
    """
    from theorylab._validate import check_choice

    check_choice("convention", convention, ENERGY_CONVENTIONS)
    X = np.asarray(X, float).reshape(len(X), -1)
    e = dirichlet_energy(X / np.linalg.norm(X), A)
    return e if convention == "sum" else e / (2 * X.shape[1])


def rayleigh_quotient(X, A) -> float:
    """Centred, scale-free ``tr(X_c^T L X_c) / ||X_c||_F^2``, in ``[lambda_2, lambda_max]``."""
    X = np.asarray(X, float).reshape(len(X), -1)
    Xc = X - X.mean(axis=0)
    return float(np.trace(Xc.T @ laplacian(A) @ Xc) / np.sum(Xc**2))


def subspace_overlap(X, Y) -> float:
    """Mean squared cosine of the principal angles between the column spaces of ``X`` and ``Y`` (in [0, 1])."""
    Qx, Qy = linalg.orth(np.asarray(X, float)), linalg.orth(np.asarray(Y, float))
    k = min(Qx.shape[1], Qy.shape[1])
    if k == 0:
        raise ValueError("X and Y must each span at least one dimension")
    s = np.linalg.svd(Qx.T @ Qy, compute_uv=False)[:k]
    return float(np.mean(np.clip(s, 0, 1) ** 2))


def pca(X, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Centred PCA: scores (n, k) and explained-variance fractions (k,)."""
    X = np.asarray(X, float)
    Xc = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    k = min(check_int("k", k), len(s))
    return U[:, :k] * s[:k], s[:k] ** 2 / np.sum(s**2)


def heat_flow(X0, A, taus) -> np.ndarray:
    """``X(tau) = e^{-tau L} X0`` (gradient flow of ``E_G / 4``) at every ``tau``: (len(taus), n, d)."""
    lam, Z = spectrum(A)
    X0 = np.asarray(X0, float).reshape(len(lam), -1)
    taus = np.atleast_1d(np.asarray(taus, float))
    check_nonnegative("taus", taus)
    coef = Z.T @ X0
    return np.einsum("ik,tk,kd->tid", Z, np.exp(-taus[:, None] * lam[None, :]), coef)


def neighbour_mixing(X, A) -> np.ndarray:
    """One step ``x_i + mean_{j ~ i} x_j`` (a previous-token / induction mechanism)."""
    A = adjacency(A)
    X = np.asarray(X, float)
    return X + (A / A.sum(axis=1, keepdims=True)) @ X


def bigram_accuracy_exact(A, t_max: int) -> np.ndarray:
    r"""Expected rule-following accuracy of the in-context maximum-likelihood bigram predictor, t = 1..t_max.

    The walk starts uniformly; at the t-th prediction the current node is the walk's t-th
    node and t - 1 transitions have been seen.  If the current node was visited before,
    every observed transition out of it went to a true neighbour, so the ML prediction puts
    all its mass there (accuracy 1); otherwise the predictor is uniform over the ``n`` tokens
    (accuracy ``deg / n``).  Hence

    .. math:: \mathrm{acc}(t) = 1 - \sum_v \Pr[\text{first visit to } v \text{ at step } t]\,(1 - d_v / n),

    and the first-visit probabilities follow exactly from the walk killed on entering ``v``
    (a taboo walk): ``O(n^3 t_max)`` in all.
    """
    A = adjacency(A)
    t_max = check_int("t_max", t_max)
    n = len(A)
    deg = A.sum(axis=1)
    T = A / deg[:, None]
    miss = 1 - deg / n
    acc = np.empty(t_max)
    acc[0] = 1 - np.mean(miss)                           # first node: never left
    # q[v] = distribution at step s of walks that have avoided v so far (row v, column = current node)
    q = np.full((n, n), 1.0 / n)
    np.fill_diagonal(q, 0.0)
    for t in range(1, t_max):
        step = q @ T                                     # (v, node) after one more step
        first = np.diag(step).copy()                     # first visit to v now
        acc[t] = 1 - first @ miss
        np.fill_diagonal(step, 0.0)
        q = step
    return acc


def bigram_accuracy_mc(A, t_max: int, n_walks: int = 2000, *, smoothing: float = 0.0, rng) -> tuple:
    r"""Monte-Carlo accuracy of the in-context bigram predictor with additive smoothing.

    Prediction from counts ``c_{u w}`` of observed transitions out of the current node ``u``:
    ``p(w) = (c_{uw} + s) / (c_u + s n)`` (``s = 0``: maximum likelihood, uniform when
    ``c_u = 0``).  Accuracy = mass on the true neighbours.  Returns the mean and its
    standard error over ``n_walks`` walks, each (t_max,).
    """
    A = adjacency(A)
    t_max, n_walks = check_int("t_max", t_max), check_int("n_walks", n_walks)
    check_nonnegative("smoothing", smoothing)
    n = len(A)
    deg = A.sum(axis=1)
    walks = random_walks(A, t_max, n_walks, rng=as_generator(rng))
    out_count = np.zeros((n_walks, n))                   # c_u: transitions seen out of u
    rows = np.arange(n_walks)
    acc = np.empty((n_walks, t_max))
    for t in range(t_max):
        u = walks[:, t]
        cu = out_count[rows, u]
        # every observed transition out of u went to a neighbour: mass on neighbours
        num = cu + smoothing * deg[u]
        den = cu + smoothing * n
        acc[:, t] = np.where(den > 0, num / np.where(den > 0, den, 1), deg[u] / n)
        if t + 1 < t_max:
            out_count[rows, u] += 1
    return acc.mean(axis=0), acc.std(axis=0, ddof=1) / np.sqrt(n_walks)


def edge_coverage_iid(n_edges: int, t) -> np.ndarray:
    """Expected fraction of undirected edges seen after ``t`` i.i.d. uniform edge samples: ``1 - (1 - 1/m)^t``."""
    m = check_int("n_edges", n_edges)
    t = np.asarray(t, float)
    check_nonnegative("t", t)
    return 1 - (1 - 1 / m) ** t


def connection_length_mc(A, n_trials: int = 500, *, rng, walk: bool = False) -> np.ndarray:
    """Samples of the context length at which the observed edges first connect every node.

    Edges are observed as i.i.d. uniform pairs (``walk=False``, the paper's ring variant) or
    as the steps of one random walk (``walk=True``: the cover time).  The median is the
    percolation prediction of the transition length.
    """
    A = adjacency(A)
    g = as_generator(rng)
    n = len(A)
    n_trials = check_int("n_trials", n_trials)
    src, dst = np.nonzero(np.triu(A))
    chunk = 4 * n * n                                    # observations drawn at once, extended if ever needed
    out = np.empty(n_trials)
    walks = random_walks(A, chunk + 1, n_trials, rng=g) if walk else None
    for k in range(n_trials):
        parent = list(range(n))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        comps, t = n, 0
        if walk:
            w = walks[k]
        else:
            e = g.integers(len(src), size=chunk)
        while comps > 1:
            if walk:
                if t + 1 >= len(w):                      # rare: extend the walk from where it is
                    w = np.r_[w, random_walks(A, chunk + 1, 1, rng=g, start=w[-1])[0][1:]]
                a, b = w[t], w[t + 1]
            else:
                if t >= len(e):
                    e = np.r_[e, g.integers(len(src), size=chunk)]
                a, b = src[e[t]], dst[e[t]]
            t += 1
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
                comps -= 1
        out[k] = t
    return out
