r"""Hierarchical Gaussian mixtures: fine classes grouped under coarse labels.

Yang, Steinhardt & Hu, "Are Neurons Actually Collapsed? On the Fine-Grained
Structure in Neural Representations", ICML 2023 (arXiv:2306.17105), synthetic
setting as specified in our paper notes (the authors' exact setting is not
available).  ``C`` coarse classes with ``S`` fine classes each in ``R^d``:

.. math:: \mu_{c,s} = m_c + \delta\, v_{c,s},\qquad x = \mu_{c,s} + \sigma \xi,\ \xi \sim N(0, I_d),

coarse means ``m_c = (Delta / sqrt 2) e_c`` (pairwise distance ``Delta``), fine offsets
``v_{c,s}`` unit vectors -- orthogonal to every coarse direction and to each other
(``offsets="orthogonal"``, needs ``d >= C + C S``), the ``S`` vertices of a regular simplex
in an ``(S-1)``-dimensional subspace of their own per coarse class (``offsets="simplex"``,
``S >= 2``, ``d >= C + C (S-1)``: the offsets sum to zero inside each coarse class, which makes
``Sigma_xx`` and ``Sigma_yx`` co-diagonal), or random unit vectors (``offsets="random"``).
Coarse labels train; fine labels only evaluate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.rng import as_generator

__all__ = ["MixtureConfig", "Mixture", "make_mixture", "mixture_means", "simplex_vertices"]


@dataclass(frozen=True)
class MixtureConfig:
    """Validated configuration.

    Parameters
    ----------
    C : coarse classes (>= 2);  S : fine classes per coarse class (>= 1);  d : dimension (>= 1)
    coarse_sep : distance between coarse means (> 0);  fine_offset : ``delta`` (>= 0)
    noise : ``sigma`` (>= 0);  n : samples per fine class (>= 1)
    offsets : "orthogonal", "simplex" or "random"
    """

    C: int
    S: int
    d: int
    coarse_sep: float = 4.0
    fine_offset: float = 1.0
    noise: float = 0.3
    n: int = 50
    offsets: str = "orthogonal"

    def __post_init__(self) -> None:
        check_int("C", self.C, minimum=2)
        check_int("S", self.S, minimum=1)
        check_int("d", self.d)
        check_int("n", self.n)
        check_positive("coarse_sep", self.coarse_sep)
        check_nonnegative("fine_offset", self.fine_offset)
        check_nonnegative("noise", self.noise)
        check_choice("offsets", self.offsets, ("orthogonal", "simplex", "random"))
        if self.offsets == "simplex" and self.S < 2:
            raise ValueError(f"S must be >= 2 for offsets='simplex', got {self.S}")
        need = {"orthogonal": self.C + self.C * self.S, "simplex": self.C + self.C * (self.S - 1),
                "random": self.C}[self.offsets]
        if self.d < need:
            raise ValueError(f"d must be >= {need} for offsets={self.offsets!r} with C={self.C}, S={self.S}, "
                             f"got {self.d}")


@dataclass(frozen=True)
class Mixture:
    config: MixtureConfig
    x: np.ndarray = field(repr=False)             # (C S n, d)
    coarse: np.ndarray = field(repr=False)        # (C S n,) in 0..C-1
    fine: np.ndarray = field(repr=False)          # (C S n,) in 0..C S - 1 (= c S + s)
    fine_means: np.ndarray = field(repr=False)    # (C, S, d)
    coarse_means: np.ndarray = field(repr=False)  # (C, d): m_c

    @property
    def covariance(self) -> np.ndarray:
        """Exact population second moment ``E[x x^T]`` of the (balanced) mixture."""
        mu = self.fine_means.reshape(-1, self.config.d)
        return mu.T @ mu / len(mu) + self.config.noise**2 * np.eye(self.config.d)


def simplex_vertices(S: int) -> np.ndarray:
    r"""The ``S`` vertices of a regular simplex centred at 0, as unit rows in ``R^{S-1}`` (shape ``(S, S-1)``).

    Coordinates in the (reversed) Helmert basis of the sum-zero subspace of ``R^S``: column
    ``k = 1..S-1`` is ``(0, ..., 0, -k, 1, ..., 1) / sqrt(k (k + 1))`` with ``k`` trailing ones; row
    ``s`` is ``e_s`` projected on that subspace, scaled to unit norm (``sqrt(S / (S - 1))``).

    Written out rather than taken from an eigen- or singular-vector routine: the sum-zero subspace
    is an ``(S-1)``-fold degenerate eigenspace of ``I - 11^T/S``, and the basis LAPACK returns for it
    depends on the CPU kernel it picks (it differed between AVX-512 and AVX2 machines), so the same
    seed gave differently rotated fine means, and different data, on different machines.
    """
    S = check_int("S", S, minimum=2)
    Q = np.zeros((S, S - 1))
    for k in range(1, S):
        Q[S - k - 1, k - 1] = -k
        Q[S - k:, k - 1] = 1.0
        Q[:, k - 1] /= np.sqrt(k * (k + 1))
    return Q * np.sqrt(S / (S - 1))


def mixture_means(config: MixtureConfig, *, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Coarse means ``m_c`` (C, d) and fine means ``mu_{c,s}`` (C, S, d); ``rng`` only matters for random offsets."""
    C, S, d = config.C, config.S, config.d
    m = np.zeros((C, d))
    m[np.arange(C), np.arange(C)] = config.coarse_sep / np.sqrt(2)
    if config.offsets == "orthogonal":
        v = np.zeros((C, S, d))
        v.reshape(C * S, d)[np.arange(C * S), C + np.arange(C * S)] = 1.0
    elif config.offsets == "simplex":
        simplex = simplex_vertices(S)                                   # (S, S-1): unit rows summing to zero
        v = np.zeros((C, S, d))
        for c in range(C):
            v[c, :, C + c * (S - 1): C + (c + 1) * (S - 1)] = simplex
    else:
        v = as_generator(rng).normal(size=(C, S, d))
        v /= np.linalg.norm(v, axis=-1, keepdims=True)
    return m, m[:, None, :] + config.fine_offset * v


def make_mixture(config: MixtureConfig, *, rng) -> Mixture:
    """Draw ``n`` points per fine class (fine offsets from the same generator when random)."""
    g = as_generator(rng)
    C, S, d = config.C, config.S, config.d
    m, mu = mixture_means(config, rng=g)
    fine = np.repeat(np.arange(C * S), config.n)
    x = mu.reshape(C * S, d)[fine] + config.noise * g.normal(size=(len(fine), d))
    return Mixture(config, x, fine // S, fine, mu, m)
