r"""Structured identity mapping (SIM): a testbed for concept learning.

Yang, Park, Lubana, Okawa, Hu & Tanaka, "Swing-by Dynamics in Concept Learning
and Compositional Generalization", ICLR 2025 (arXiv:2410.08309), sec. 3.

``s`` concepts live on the first ``s`` axes of concept space.  Training cluster
``p`` is ``z ~ N(mu_p e_p, diag(sigma_1^2, ..., sigma_s^2))``, ``n_per_cluster``
samples each, target ``y = x`` (identity).  ``mu_p`` is concept ``p``'s *signal
strength*, ``sigma_p`` its *diversity*.  Optional variants used in the authors'
experiments:

* ``origin_cluster``: one more training cluster at the origin (the
  two-concept experiments train on (0,0), (mu1,0), (0,mu2));
* ``dim > s``: concept space is padded to ``dim`` coordinates; with
  ``rotate=True`` it is embedded by a random orthogonal ``Q`` (``x = Q z``);
  ``complement_noise_std`` adds isotropic noise on the ``dim - s`` padding axes.

Out-of-distribution probe: ``x_hat = sum_p mu_p e_p`` (every concept on); more
generally every binary composition ``x^(v) = sum_p v_p mu_p e_p``, ``v in {0,1}^s``.

Exact second moment (what gradient-flow dynamics depend on), in concept
coordinates: ``A = E[z z^T] = diag(a)`` with

.. math:: a_p = \mu_p^2 / C + \sigma_p^2,

``C`` the number of clusters (``s``, or ``s + 1`` with the origin cluster),
and ``complement_noise_std^2`` on the padding axes; in input coordinates it is
``Q A Q^T``.  The data mean is ``m = E[z] = mu / C`` on the concept axes
(:func:`concept_mean`): a network with biases sees it through
``A~ = E[(z, 1)(z, 1)^T]``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from theorylab._validate import check_int, check_nonnegative, check_positive
from theorylab.rng import as_generator

from ._samples import Samples

__all__ = ["SIMConfig", "SIMTask", "make_sim", "concept_rates", "concept_mean"]


def _as_tuple(name: str, value, n: int | None) -> tuple[float, ...]:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if n is not None and arr.size == 1:
        arr = np.full(n, float(arr[0]))
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must be a scalar or have one entry per concept ({n}), got {arr.size}")
    return tuple(arr.tolist())


@dataclass(frozen=True)
class SIMConfig:
    """Validated SIM configuration.

    Parameters
    ----------
    signal : sequence of float > 0
        ``mu_p``, one per concept (``s = len(signal)``).
    noise_std, noise_var : scalar or one per concept, >= 0
        Diversity ``sigma_p`` given as a standard deviation *or* a variance:
        exactly one of the two.
    n_per_cluster : int >= 1
    origin_cluster : bool
        Add a training cluster at the origin.
    dim : int >= s or None (= s)
    rotate : bool
        Embed concept space with a random orthogonal matrix.
    complement_noise_std : float >= 0
        Isotropic noise on the ``dim - s`` non-concept axes.
    """

    signal: tuple[float, ...]
    noise_std: tuple[float, ...] | float | None = None
    noise_var: tuple[float, ...] | float | None = None
    n_per_cluster: int = 1000
    origin_cluster: bool = False
    dim: int | None = None
    rotate: bool = False
    complement_noise_std: float = 0.0

    def __post_init__(self) -> None:
        signal = _as_tuple("signal", self.signal, None)
        check_positive("signal", signal)
        object.__setattr__(self, "signal", signal)
        s = len(signal)
        if (self.noise_std is None) == (self.noise_var is None):
            raise ValueError("give exactly one of noise_std and noise_var")
        if self.noise_std is not None:
            std = _as_tuple("noise_std", self.noise_std, s)
            check_nonnegative("noise_std", std)
            object.__setattr__(self, "noise_std", std)
        else:
            var = _as_tuple("noise_var", self.noise_var, s)
            check_nonnegative("noise_var", var)
            object.__setattr__(self, "noise_var", var)
        check_int("n_per_cluster", self.n_per_cluster)
        if self.dim is not None:
            check_int("dim", self.dim)
            if self.dim < s:
                raise ValueError(f"dim must be >= the number of concepts ({s}), got {self.dim}")
        check_nonnegative("complement_noise_std", self.complement_noise_std)
        if self.complement_noise_std > 0 and self.d == s:
            raise ValueError("complement_noise_std needs dim > the number of concepts")

    @property
    def n_concepts(self) -> int:
        return len(self.signal)

    @property
    def d(self) -> int:
        """Input dimension."""
        return self.n_concepts if self.dim is None else self.dim

    @property
    def n_clusters(self) -> int:
        return self.n_concepts + int(self.origin_cluster)

    @property
    def sigma(self) -> np.ndarray:
        """Diversity as standard deviations, one per concept."""
        return np.asarray(self.noise_std) if self.noise_std is not None else np.sqrt(self.noise_var)


def concept_rates(config: SIMConfig) -> np.ndarray:
    r"""``a_p = mu_p^2 / C + sigma_p^2``: the diagonal of ``A = E[z z^T]`` on the concept axes."""
    return np.asarray(config.signal) ** 2 / config.n_clusters + config.sigma**2


def concept_mean(config: SIMConfig) -> np.ndarray:
    r"""``m_p = E[z_p] = mu_p / C``: the data mean on the concept axes (``C`` counts the origin cluster when present)."""
    return np.asarray(config.signal) / config.n_clusters


@dataclass(frozen=True)
class SIMTask:
    """A drawn SIM task: embedding, exact statistics, probes and a sampler."""

    config: SIMConfig
    Q: np.ndarray = field(repr=False)    # (d, d) orthogonal: x = Q z

    @property
    def rates(self) -> np.ndarray:
        """Concept rates ``a`` (length s)."""
        return concept_rates(self.config)

    @property
    def full_rates(self) -> np.ndarray:
        """Diagonal of ``A`` in concept coordinates, length d (padding axes: complement variance)."""
        a = np.full(self.config.d, self.config.complement_noise_std**2)
        a[: self.config.n_concepts] = self.rates
        return a

    @property
    def full_mean(self) -> np.ndarray:
        """The data mean in concept coordinates, length d (padding axes: 0)."""
        m = np.zeros(self.config.d)
        m[: self.config.n_concepts] = concept_mean(self.config)
        return m

    @property
    def second_moment(self) -> np.ndarray:
        """Exact ``E[x x^T] = Q diag(full_rates) Q^T`` in input coordinates."""
        return (self.Q * self.full_rates) @ self.Q.T

    def embed(self, z: np.ndarray) -> np.ndarray:
        """Concept coordinates (..., s or d) -> inputs (..., d)."""
        z = np.asarray(z, float)
        if z.shape[-1] < self.config.d:
            pad = np.zeros(z.shape[:-1] + (self.config.d - z.shape[-1],))
            z = np.concatenate([z, pad], axis=-1)
        return z @ self.Q.T

    def to_concepts(self, x: np.ndarray) -> np.ndarray:
        """Inputs or outputs (..., d) -> concept coordinates (..., s)."""
        return (np.asarray(x, float) @ self.Q)[..., : self.config.n_concepts]

    @property
    def ood_probe(self) -> np.ndarray:
        """``x_hat = sum_p mu_p e_p`` in input coordinates, shape (d,)."""
        return self.embed(np.asarray(self.config.signal))

    def compositions(self) -> tuple[np.ndarray, np.ndarray]:
        """Every binary composition: codes ``v`` (2^s, s) and inputs ``x^(v)`` (2^s, d)."""
        s = self.config.n_concepts
        codes = np.array(list(itertools.product((0, 1), repeat=s)), dtype=float)
        return codes, self.embed(codes * np.asarray(self.config.signal))

    def cluster_means(self) -> np.ndarray:
        """Training cluster means in concept coordinates, (C, s); the origin cluster last."""
        means = np.diag(self.config.signal)
        if self.config.origin_cluster:
            means = np.vstack([means, np.zeros(self.config.n_concepts)])
        return means

    def sample(self, *, rng) -> Samples:
        """The training set: ``n_per_cluster`` points per cluster, ``y = x``, labels = cluster index."""
        g = as_generator(rng)
        cfg = self.config
        means = self.cluster_means()
        n = cfg.n_per_cluster
        z = np.repeat(means, n, axis=0) + g.standard_normal((len(means) * n, cfg.n_concepts)) * cfg.sigma
        if cfg.d > cfg.n_concepts:
            comp = cfg.complement_noise_std * g.standard_normal((len(z), cfg.d - cfg.n_concepts))
            z = np.concatenate([z, comp], axis=1)
        x = z @ self.Q.T
        return Samples(x, x.copy(), np.repeat(np.arange(len(means)), n))


def make_sim(config: SIMConfig, *, rng=None) -> SIMTask:
    """Build the task; ``rng`` is needed only for ``rotate=True`` (the random embedding)."""
    d = config.d
    if config.rotate:
        if rng is None:
            raise ValueError("rotate=True needs an rng for the random embedding")
        q, r = np.linalg.qr(as_generator(rng).standard_normal((d, d)))
        Q = q * np.sign(np.diag(r))
    else:
        Q = np.eye(d)
    return SIMTask(config, Q)
