r"""Graph tracing: the spectral and in-context-Bayes theory of Park et al., ICLR 2025 (arXiv:2501.00070).

Tokens label the nodes of a graph at random and the context is a random walk
(:mod:`theorylab.tasks.graph_walks`).  This module holds the graphs as study
fields (:class:`GraphSpec`), the clocks of the family and the theory-only
studies; the trained transformers and their probes are in
:mod:`theorylab.studies.graph_tracing_models`.

Clocks
------
* :data:`CONTEXT`: tokens of context seen, ``t = 1, 2, ...`` (a count, no
  gradient-flow counterpart).  At context ``t`` the current node is the walk's
  ``t``-th token and ``t - 1`` transitions have been seen.  The in-context Bayes
  curve (theory) and every probe of a trained model (experiment) run on it.
* :data:`PAIRS`: i.i.d. neighbour pairs observed (the paper's ring variant).
* :data:`HEAT`: heat-flow time ``tau`` of ``X(tau) = e^{-tau L} X0``, the gradient
  flow of ``E_G(X) / 4 = tr(X^T L X) / 2``; :func:`heat_gap_clock` is the same time in
  units of ``1 / (lambda_4 - lambda_3)`` (the mixing time of the top-2 PCs).
* Training runs on AdamW steps (``Clock.discrete``, set by :func:`theorylab.train.train`).

Energy convention: ``E_G(X) = sum_ij A_ij ||x_i - x_j||^2 = 2 tr(X^T L X)`` (both
orders of every edge), which is ``2|E|`` times the authors' ``compute_energy``.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from theorylab._validate import check_choice, check_fields, check_int, check_nonnegative, check_positive
from theorylab.clock import Clock
from theorylab.solvers import graph_spectral as gs
from theorylab.study import Study
from theorylab.tasks.graph_walks import adjacency, grid_graph, hex_graph, ring_graph
from theorylab.trajectory import Trajectory

__all__ = ["GraphSpec", "CONTEXT", "PAIRS", "HEAT", "HEAT_LOSS", "heat_gap_clock", "first_context", "HeatFlow",
           "BayesPredictor", "Percolation"]

#: Tokens of context seen: the clock of accuracy and geometry curves, theory and experiment alike.
CONTEXT = Clock.discrete("tokens of context", symbol="context length")
#: i.i.d. neighbour pairs observed (the ring variant's context, one pair "w1 w2 /" at a time).
PAIRS = Clock.discrete("i.i.d. neighbour pairs observed", symbol="pairs")
#: The energy whose gradient flow is heat flow: dX/dtau = -L X = -grad (E_G / 4).
HEAT_LOSS = "E_G(X) / 4 = tr(X^T L X) / 2"
#: Heat-flow time tau.
HEAT = Clock.rescaled(1.0, HEAT_LOSS, unit="heat-flow time", symbol="tau")


def heat_gap_clock(gap: float) -> Clock:
    """Heat-flow time in units of ``1 / gap`` (``gap = lambda_4 - lambda_3``): ``t = gap * tau``."""
    return Clock.rescaled(float(gap), HEAT_LOSS, unit="heat-flow time x spectral gap",
                          symbol="tau (lambda4 - lambda3)")


@dataclass(frozen=True)
class GraphSpec:
    """A graph of the family, as data (a study field must be data, not a networkx object).

    ``kind`` "grid" (``m x n`` nodes, :func:`~theorylab.tasks.graph_walks.grid_graph`), "ring"
    (``m`` nodes; ``n`` is unused and stored as 0) or "hex" (networkx's ``hexagonal_lattice_graph(m, n)``).
    """

    kind: str = "grid"
    m: int = 4
    n: int = 4

    def __post_init__(self) -> None:
        check_fields(self)
        check_choice("kind", self.kind, ("grid", "ring", "hex"))
        check_int("m", self.m, minimum=3 if self.kind == "ring" else 1)
        if self.kind == "ring":
            object.__setattr__(self, "n", 0)          # one spelling per graph: equal graphs, equal cache keys
        check_int("n", self.n, minimum=0 if self.kind == "ring" else 1)

    @property
    def name(self) -> str:
        return f"ring {self.m}" if self.kind == "ring" else f"{self.kind} {self.m}x{self.n}"

    def graph(self) -> nx.Graph:
        if self.kind == "grid":
            return grid_graph(self.m, self.n)
        return ring_graph(self.m) if self.kind == "ring" else hex_graph(self.m, self.n)

    def adjacency(self) -> np.ndarray:
        return adjacency(self.graph())

    @property
    def n_nodes(self) -> int:
        return self.graph().number_of_nodes()


def first_context(traj: Trajectory, name: str, level: float) -> float:
    """The first context (a count on ``traj``'s clock) at which ``traj[name] >= level``.

    Contexts are integers, so there is nothing to interpolate; one past the last
    recorded context if the level is never reached (a lower bound).
    """
    y = np.asarray(traj[name], float)
    hit = np.flatnonzero(y >= level)
    return float(traj.t[hit[0]]) if hit.size else float(traj.t[-1] + 1)


@dataclass(frozen=True)
class HeatFlow(Study):
    """Energy minimisation as dynamics: heat flow and neighbour mixing find the spectral embedding (theory only).

    Theory: ``X(tau) = e^{-tau L} X0`` from ``X0`` of shape (n, ``n_features``) with
    N(0, 1) entries (seed ``x0_seed``), at ``n_tau`` log-spaced times with
    ``tau (lambda_4 - lambda_3)`` from ``gap_min`` to ``gap_max``; observable
    ``overlap``: mean cos^2 of the principal angles between the top-2 centred PCs
    of ``X(tau)`` and ``span(z_2, z_3)``.  Constant in ``tau``, for the checks and
    the drawings: ``spectral_energy`` ``E_G(z_2, z_3)``, ``eigen_energy``
    ``2 (lambda_2 + lambda_3)`` (equal by the spectral theorem), ``gap``
    ``lambda_4 - lambda_3``, ``eigenvalues`` (n,) of ``L``, ``spectral_embedding``
    (n, 2), and the one-step mechanism on orthonormal token embeddings ``E = I``
    (the long-context limit of a copying attention layer): ``pcs_mixing`` (n, 2)
    and ``overlap_mixing`` of neighbour mixing ``e_i + mean_{j ~ i} e_j``, and
    ``overlap_neighbour_code``: the squared cosine between the *leading* centred PC of the
    predicted-neighbour code ``A E`` and ``span(z_2, z_3)`` (on the 4x4 grid its second singular
    value is four-fold degenerate, so a top-2 plane is LAPACK's choice: its overlap ranges 0-0.46).
    Experiment: none.  Clock: :data:`HEAT`.
    """

    family = "graph_tracing"
    graph: GraphSpec = GraphSpec()
    n_features: int = 32
    x0_seed: int = 0
    gap_min: float = 1e-2
    gap_max: float = 30.0
    n_tau: int = 40

    def validate(self) -> None:
        check_int("n_features", self.n_features, minimum=2)
        check_int("x0_seed", self.x0_seed, minimum=0)
        check_positive("gap_min", self.gap_min)
        if not self.gap_max > self.gap_min:
            raise ValueError(f"gap_max must be > gap_min = {self.gap_min}, got {self.gap_max}")
        check_int("n_tau", self.n_tau, minimum=2)
        if self.graph.n_nodes < 4:
            raise ValueError(f"graph must have at least 4 nodes (lambda_4 is used), got {self.graph.n_nodes}")

    @classmethod
    def example(cls) -> "HeatFlow":
        return cls(graph=GraphSpec("ring", 6), n_features=4, n_tau=5)

    def theory(self) -> Trajectory:
        A = self.graph.adjacency()
        lam = gs.spectrum(A)[0]
        Z = gs.spectral_embedding(A, 2)
        gap = lam[3] - lam[2]
        if not gap > 1e-9 * lam[-1]:
            raise ValueError(f"{self.graph.name}: lambda_4 = lambda_3, the top-2 PCs have no unique limit")
        X0 = np.random.default_rng(self.x0_seed).normal(size=(len(A), self.n_features))
        taus = np.geomspace(self.gap_min, self.gap_max, self.n_tau) / gap
        overlap = np.array([gs.subspace_overlap(gs.pca(X, 2)[0], Z) for X in gs.heat_flow(X0, A, taus)])
        E = np.eye(len(A))
        mix = gs.pca(gs.neighbour_mixing(E, A), 2)[0]
        const = lambda v: np.broadcast_to(np.asarray(v, float), (len(taus),) + np.shape(v)).copy()  # noqa: E731
        return Trajectory(taus, {"overlap": overlap, "spectral_energy": const(gs.dirichlet_energy(Z, A)),
                                 "eigen_energy": const(2 * (lam[1] + lam[2])), "gap": const(gap),
                                 "eigenvalues": const(lam), "spectral_embedding": const(Z), "pcs_mixing": const(mix),
                                 "overlap_mixing": const(gs.subspace_overlap(mix, Z)),
                                 "overlap_neighbour_code": const(gs.subspace_overlap(gs.pca(A @ E, 1)[0], Z))},
                          {"solver": "graph_spectral.heat_flow", "graph": self.graph.name}, clock=HEAT)


@dataclass(frozen=True)
class BayesPredictor(Study):
    """The in-context Bayesian (bigram) predictor's rule-following accuracy vs context length.

    Theory: ``bigram_accuracy_exact`` (first-visit probabilities of the walk, exact)
    at contexts ``t = 1..t_max``; observable ``accuracy``.
    Experiment: Monte Carlo over ``n_walks`` walks (seed ``seed``) of the same
    maximum-likelihood predictor, ``accuracy`` and its standard error
    ``accuracy_se``, and ``accuracy_smoothed``: the predictor with additive
    smoothing ``smoothing`` on the same walks (no exact theory).
    Clock: :data:`CONTEXT`.
    """

    family = "graph_tracing"
    graph: GraphSpec = GraphSpec()
    t_max: int = 400
    n_walks: int = 4000
    smoothing: float = 1.0
    seed: int = 0

    def validate(self) -> None:
        check_int("t_max", self.t_max)
        check_int("n_walks", self.n_walks, minimum=2)
        check_nonnegative("smoothing", self.smoothing)
        check_int("seed", self.seed, minimum=0)

    @classmethod
    def example(cls) -> "BayesPredictor":
        return cls(graph=GraphSpec("ring", 5), t_max=20, n_walks=50)

    def theory(self) -> Trajectory:
        t = np.arange(1, self.t_max + 1)
        acc = gs.bigram_accuracy_exact(self.graph.adjacency(), self.t_max)
        return Trajectory(t, {"accuracy": acc}, {"solver": "bigram_accuracy_exact", "graph": self.graph.name},
                          clock=CONTEXT)

    def experiment(self) -> Trajectory:
        A = self.graph.adjacency()
        t = np.arange(1, self.t_max + 1)
        mc, se = gs.bigram_accuracy_mc(A, self.t_max, self.n_walks, rng=self.seed)
        smooth, _ = gs.bigram_accuracy_mc(A, self.t_max, self.n_walks, smoothing=self.smoothing, rng=self.seed)
        return Trajectory(t, {"accuracy": mc, "accuracy_se": se, "accuracy_smoothed": smooth},
                          {"solver": "bigram_accuracy_mc", "graph": self.graph.name, "n_walks": self.n_walks,
                           "smoothing": self.smoothing}, clock=CONTEXT)


@dataclass(frozen=True)
class Percolation(Study):
    """The context at which the observed edges first connect the graph (the percolation view), by Monte Carlo.

    Experiment: ``n_trials`` samples (seed ``seed``) of the connection length
    (``connection_length_mc``); observable ``connected``: the fraction of trials
    whose observed edges connect every node by ``t``.  With ``walk=True`` the
    edges are a random walk's steps and ``t`` counts tokens of context
    (:data:`CONTEXT`: ``t`` tokens hold ``t - 1`` steps); with ``walk=False`` they
    are i.i.d. uniform neighbour pairs and ``t`` counts pairs (:data:`PAIRS`).
    Theory: none (no closed form for the connection time).
    """

    family = "graph_tracing"
    graph: GraphSpec = GraphSpec()
    walk: bool = True
    n_trials: int = 400
    seed: int = 0

    def validate(self) -> None:
        check_int("n_trials", self.n_trials)
        check_int("seed", self.seed, minimum=0)

    @classmethod
    def example(cls) -> "Percolation":
        return cls(graph=GraphSpec("ring", 5), n_trials=20)

    @property
    def clock(self) -> Clock:
        return CONTEXT if self.walk else PAIRS

    def experiment(self) -> Trajectory:
        samples = gs.connection_length_mc(self.graph.adjacency(), self.n_trials, rng=self.seed, walk=self.walk)
        if self.walk:
            samples = samples + 1                       # t steps of the walk are t + 1 tokens of context
        t = np.arange(0, int(samples.max()) + 1)
        connected = (samples[None, :] <= t[:, None]).mean(axis=1)
        return Trajectory(t, {"connected": connected},
                          {"solver": "connection_length_mc", "graph": self.graph.name, "walk": self.walk,
                           "n_trials": self.n_trials}, clock=self.clock)
