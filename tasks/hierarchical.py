r"""Hierarchically structured data: items at the leaves of a tree.

Saxe, McClelland & Ganguli 2019, "A mathematical theory of semantic
development in deep neural networks", PNAS 116:11537 (Fig. 3 and SI sec. 5).

A balanced tree of branching ``b`` and depth ``K`` has ``P = b^K`` leaves
(items).  Inputs are one-hot item codes; targets have one feature per tree
node (root included), equal to 1 if the item lies under that node.  With items
drawn uniformly,

    Sigma_xx = I / P,        Sigma_yx = Y^T / P

(``Y`` the ``P x n_nodes`` feature matrix).  ``Y Y^T`` counts shared ancestors,
so its eigenvalues are ``(b^{m} - 1)/(b - 1)`` for ``m = 1..K+1`` with the
multiplicities of a Haar-wavelet basis; for ``b = 2`` the singular values of
``Sigma_yx`` are ``sqrt(2^m - 1) / P``.  The root mode (``m = K+1``) is the
broadest distinction and the strongest, leaf modes the weakest: broad
distinctions are learnt first.  Inputs are co-diagonal with ``lam = 1/P``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorylab._validate import check_int, check_nonnegative
from theorylab.rng import as_generator

from ._samples import Samples

__all__ = ["TreeConfig", "TreeTask", "make_tree_task", "tree_singular_values"]


@dataclass(frozen=True)
class TreeConfig:
    """Balanced tree with ``branching ** depth`` items and one feature per node.

    ``noise_std`` is the standard deviation of Gaussian noise added to sampled
    targets (the exact statistics are those of the noiseless features; noise
    is independent of x and does not change ``Sigma_yx``).
    """

    depth: int = 3
    branching: int = 2
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        check_int("depth", self.depth, minimum=1)
        check_int("branching", self.branching, minimum=2)
        check_nonnegative("noise_std", self.noise_std)

    @property
    def n_items(self) -> int:
        return self.branching**self.depth

    @property
    def n_nodes(self) -> int:
        return sum(self.branching**lv for lv in range(self.depth + 1))


def _feature_matrix(config: TreeConfig) -> tuple[np.ndarray, np.ndarray]:
    """``Y`` (P, n_nodes) and the tree level of every node (root = 0)."""
    P, b = config.n_items, config.branching
    cols, levels = [], []
    for lv in range(config.depth + 1):
        block = b ** (config.depth - lv)           # leaves under one node at this level
        for node in range(b**lv):
            col = np.zeros(P)
            col[node * block:(node + 1) * block] = 1.0
            cols.append(col)
            levels.append(lv)
    return np.stack(cols, axis=1), np.asarray(levels)


def tree_singular_values(config: TreeConfig) -> np.ndarray:
    r"""Exact singular values of ``Sigma_yx``, descending, with multiplicity.

    Eigenvalue of ``Y Y^T`` for a mode separating the children of a level-``l``
    node: ``sum_{j=0}^{K-l-1} b^j = (b^{K-l} - 1)/(b - 1)``, multiplicity
    ``b^l (b - 1)``; the root/constant mode has ``(b^{K+1} - 1)/(b - 1)``.
    Singular values are their square roots over ``P``.
    """
    K, b, P = config.depth, config.branching, config.n_items
    vals = [(b ** (K + 1) - 1) / (b - 1)]
    for lv in range(K):
        vals += [(b ** (K - lv) - 1) / (b - 1)] * (b**lv * (b - 1))
    return np.sqrt(np.asarray(vals)) / P


@dataclass(frozen=True)
class TreeTask:
    """Tree data with exact statistics (deterministic: nothing is drawn to build it)."""

    config: TreeConfig
    Y: np.ndarray = field(repr=False)        # (P, n_nodes)
    levels: np.ndarray = field(repr=False)   # (n_nodes,)

    @property
    def sigma_xx(self) -> np.ndarray:
        return np.eye(self.config.n_items) / self.config.n_items

    @property
    def sigma_yx(self) -> np.ndarray:
        return self.Y.T / self.config.n_items

    @property
    def lam(self) -> float:
        """Input variance along every mode, ``1 / P`` (co-diagonal inputs)."""
        return 1.0 / self.config.n_items

    def modes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """SVD of ``Sigma_yx`` (U, s, Vt) and each mode's tree level (0 = root/broadest).

        Degenerate modes of one level span a subspace; the basis returned
        inside it is numpy's, so project onto the subspace, not single vectors.
        """
        U, s, Vt = np.linalg.svd(self.sigma_yx, full_matrices=False)
        r = self.config.n_items
        U, s, Vt = U[:, :r], s[:r], Vt[:r]
        exact = tree_singular_values(self.config)
        level_of_value = {}
        K, b, P = self.config.depth, self.config.branching, self.config.n_items
        for lv in range(K):
            level_of_value[lv + 1] = np.sqrt((b ** (K - lv) - 1) / (b - 1)) / P
        lv = np.zeros(r, dtype=int)
        for i, v in enumerate(s):
            if not np.isclose(v, exact[0]):
                lv[i] = min(level_of_value, key=lambda k: abs(level_of_value[k] - v))
        return U, s, Vt, lv

    def all_items(self) -> Samples:
        """Every item once: one-hot inputs and noiseless features."""
        return Samples(np.eye(self.config.n_items), self.Y.copy(), np.arange(self.config.n_items))

    def sample(self, n: int, *, rng) -> Samples:
        """``n`` items drawn uniformly with replacement; targets get ``noise_std`` noise."""
        n = check_int("n", n)
        g = as_generator(rng)
        items = g.integers(0, self.config.n_items, size=n)
        y = self.Y[items] + self.config.noise_std * g.standard_normal((n, self.config.n_nodes))
        return Samples(np.eye(self.config.n_items)[items], y, items)


def make_tree_task(config: TreeConfig) -> TreeTask:
    """Build the feature matrix of ``config``'s tree."""
    Y, levels = _feature_matrix(config)
    return TreeTask(config, Y, levels)
