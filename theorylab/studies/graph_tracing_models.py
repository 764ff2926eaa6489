r"""Graph tracing with a trained transformer: Park et al., ICLR 2025 (arXiv:2501.00070), at small scale.

A :class:`~theorylab.nets.CausalTransformer` is trained from scratch on random
walks over freshly labelled copies of a graph (:class:`WalkTraining`), so the
graph can only be read from the context; the probe studies read the trained
model out on held-out labellings:

* :class:`ContextAccuracy`: rule-following accuracy vs context length, against
  the exact in-context Bayes (bigram) predictor;
* :class:`ContextGeometry`: class-mean geometry per layer at chosen context
  lengths (its spectral theory is :class:`~theorylab.studies.graph_tracing.HeatFlow`);
* :class:`PriorBehaviour`, :class:`PriorGeometry`: a memorised ring over some
  tokens against the in-context graph.

Training is :func:`theorylab.train.train` (AdamW on the mean next-token
cross-entropy over positions, a fresh batch of walks per step); its loss curve
runs on AdamW steps.  Every probe runs on :data:`~theorylab.studies.graph_tracing.CONTEXT`
(tokens of context).  A probe study holds its :class:`WalkTraining` as a field,
so its cache key changes with any training input; the trained model itself is
kept in memory per training (:func:`trained_model`), so the loss curve and the
probes of one figure train once.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from theorylab._validate import check_choice, check_int, check_nonnegative, check_positive
from theorylab.nets import CausalTransformer
from theorylab.solvers import graph_spectral as gs
from theorylab.study import Study
from theorylab.tasks.graph_walks import WalkCorpusConfig, make_walk_batch
from theorylab.train import TrainConfig, train
from theorylab.trajectory import Trajectory

from .graph_tracing import CONTEXT, GraphSpec
from .graph_tracing_probes import (POOLS, prior_behaviour, prior_geometry, prior_test_batch,
                                   representation_geometry, rule_following_accuracy)

__all__ = ["WalkTraining", "trained_model", "ContextAccuracy", "ContextGeometry", "PriorBehaviour", "PriorGeometry"]


@dataclass(frozen=True)
class WalkTraining(Study):
    """A transformer trained on random walks over freshly labelled copies of ``graph``.

    Experiment: a :class:`~theorylab.nets.CausalTransformer` (``vocab`` tokens,
    ``d_model``, ``n_layers`` blocks of ``n_heads`` heads, MLP width ``d_mlp``
    (0: none), ``ov="identity"`` for copying heads, ``embed_init``, init seed
    ``model_seed``, on ``device``) trained by :func:`theorylab.train.train` for
    ``steps`` AdamW steps (``lr`` peak, ``betas``, decoupled ``weight_decay``,
    linear warm-up over ``warmup_steps`` then ``schedule``) on the mean next-token
    cross-entropy over positions of ``batch`` fresh walks of ``train_len + 1``
    tokens per step, drawn from the generator seeded by ``data_seed``.  A
    fraction ``prior_fraction`` of the walks run on a fixed ring over tokens
    ``0..prior_size-1`` instead (a "pretrained" geometry).  Observable ``loss``:
    the mean of the minibatch losses since the previous record, every
    ``record_every`` steps.  Theory: none.  Clock: AdamW steps.
    """

    family = "graph_tracing"
    graph: GraphSpec = GraphSpec()
    vocab: int = 32
    train_len: int = 256
    prior_fraction: float = 0.0
    prior_size: int = 8
    d_model: int = 96
    n_layers: int = 1
    n_heads: int = 8
    d_mlp: int = 0
    ov: str = "identity"
    embed_init: str = "orthogonal"
    model_seed: int = 0
    steps: int = 1500
    batch: int = 12
    lr: float = 5e-3
    betas: tuple[float, ...] = (0.9, 0.98)
    weight_decay: float = 0.0
    warmup_steps: int = 100
    schedule: str = "cosine"
    record_every: int = 50
    data_seed: int = 0
    device: str = "cpu"

    def validate(self) -> None:
        for name in ("vocab", "train_len", "d_model", "n_layers", "n_heads", "steps", "batch", "record_every"):
            check_int(name, getattr(self, name))
        for name in ("d_mlp", "model_seed", "warmup_steps", "data_seed"):
            check_int(name, getattr(self, name), minimum=0)
        check_choice("ov", self.ov, ("learned", "identity"))
        check_choice("embed_init", self.embed_init, ("normal", "orthogonal"))
        check_choice("device", self.device, ("cpu", "cuda"))
        check_positive("lr", self.lr)
        check_nonnegative("weight_decay", self.weight_decay)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.embed_init == "orthogonal" and self.vocab > self.d_model:
            raise ValueError(f"vocab must be <= d_model = {self.d_model} with embed_init='orthogonal', "
                             f"got {self.vocab}")
        if self.record_every > self.steps:
            raise ValueError(f"record_every must be <= steps = {self.steps}, got {self.record_every}")
        self.corpus()                                   # graph, vocab and prior checks
        self.train_config()                             # schedule and betas checks

    @classmethod
    def example(cls) -> "WalkTraining":
        return cls(graph=GraphSpec("ring", 5), vocab=8, prior_size=3, train_len=16, d_model=12, n_heads=2, steps=6,
                   batch=2, warmup_steps=2, record_every=3)

    def corpus(self, length: int | None = None) -> WalkCorpusConfig:
        """The training corpus (sequences of ``train_len + 1`` tokens unless ``length`` is given)."""
        return WalkCorpusConfig(self.graph.graph(), self.vocab, self.train_len + 1 if length is None else length,
                                prior_fraction=self.prior_fraction, prior_size=self.prior_size)

    def train_config(self) -> TrainConfig:
        t_record = sorted(set(range(self.record_every, self.steps + 1, self.record_every)) | {self.steps})
        return TrainConfig(lr=self.lr, t_record=tuple(float(t) for t in t_record), optimizer="adamw",
                           loss="next_token", betas=tuple(self.betas), weight_decay=self.weight_decay,
                           warmup_steps=self.warmup_steps, schedule=self.schedule, seed=self.data_seed)

    def network(self) -> CausalTransformer:
        """The untrained network (seeded by ``model_seed``)."""
        return CausalTransformer(self.vocab, self.d_model, self.n_layers, self.n_heads, d_mlp=self.d_mlp, ov=self.ov,
                                 embed_init=self.embed_init, seed=self.model_seed, device=self.device)

    def experiment(self) -> Trajectory:
        return trained_model(self)[1]


@functools.lru_cache(maxsize=4)
def trained_model(training: WalkTraining) -> tuple[CausalTransformer, Trajectory]:
    """``(model, loss curve)`` of ``training``, trained once per process (the probes only read the model).

    Training is deterministic (same fields, same weights), so a probe study whose
    training result came from the cache gets the same model by training again.
    """
    model = training.network()
    corpus = training.corpus()
    loss = train(model, config=training.train_config(),
                 batches=lambda g: make_walk_batch(corpus, training.batch, rng=g).tokens,
                 meta={"graph": training.graph.name, "batch": training.batch, "train_len": training.train_len,
                       "prior_fraction": training.prior_fraction, "warmup_steps": training.warmup_steps})
    return model, loss


def _check_graph_fits(training: WalkTraining, graph: GraphSpec) -> None:
    if graph.n_nodes > training.vocab:
        raise ValueError(f"graph {graph.name} has {graph.n_nodes} nodes, more than the training vocab "
                         f"{training.vocab}")


@dataclass(frozen=True)
class ContextAccuracy(Study):
    """Rule-following accuracy of a trained transformer vs context length, with the in-context Bayes predictor.

    Experiment: the model of ``training`` on ``n_seqs`` held-out walks of ``length``
    tokens over freshly labelled copies of ``graph`` (seed ``seed``; ``graph`` may
    differ from the training graph): ``accuracy`` at contexts ``t = 1..length-1``,
    the next-token mass on the current node's true neighbours renormalised over the
    graph's tokens, averaged over sequences, and its standard error ``accuracy_se``.
    Theory: ``accuracy`` of the exact maximum-likelihood bigram predictor
    (``bigram_accuracy_exact``) at the same contexts.  Clock: :data:`CONTEXT`.
    """

    family = "graph_tracing"
    training: WalkTraining = WalkTraining()
    graph: GraphSpec = GraphSpec()
    length: int = 400
    n_seqs: int = 64
    seed: int = 1

    def validate(self) -> None:
        check_int("length", self.length, minimum=2)
        check_int("n_seqs", self.n_seqs, minimum=2)
        check_int("seed", self.seed, minimum=0)
        _check_graph_fits(self.training, self.graph)

    @classmethod
    def example(cls) -> "ContextAccuracy":
        return cls(training=WalkTraining.example(), graph=GraphSpec("ring", 5), length=12, n_seqs=3)

    def theory(self) -> Trajectory:
        t = np.arange(1, self.length)
        acc = gs.bigram_accuracy_exact(self.graph.adjacency(), self.length - 1)
        return Trajectory(t, {"accuracy": acc}, {"solver": "bigram_accuracy_exact", "graph": self.graph.name},
                          clock=CONTEXT)

    def experiment(self) -> Trajectory:
        model, _ = trained_model(self.training)
        cfg = WalkCorpusConfig(self.graph.graph(), self.training.vocab, self.length)
        acc, se = rule_following_accuracy(model, cfg, self.n_seqs, rng=self.seed, length=self.length)
        return Trajectory(np.arange(1, self.length), {"accuracy": acc, "accuracy_se": se},
                          {"probe": "rule_following_accuracy", "graph": self.graph.name, "n_seqs": self.n_seqs},
                          clock=CONTEXT)


@dataclass(frozen=True)
class ContextGeometry(Study):
    """Class-mean geometry of a trained transformer per layer at growing context (experiment only).

    Experiment: the model of ``training`` on ``n_seqs`` held-out walks over
    ``graph`` (seed ``seed``) of ``max(positions)`` tokens; at each context
    ``t`` in ``positions`` and each layer (embedding, then every block) the class
    means over a backward window of the context (see
    :func:`~theorylab.studies.graph_tracing_probes.class_means`): by default the
    authors' -- ``inclusive``: the last ``window + 1`` tokens, their ``[t - W, t]``;
    ``pool="batch"``: the walks share one labelling and the means pool their
    occurrences -- or the last ``window`` tokens of each sequence on its own
    labelling (``inclusive=False``, ``pool="sequence"``).  Observables, each
    (P, n_layers + 1), NaN where a window misses a node: ``energy``, the normalised
    Dirichlet energy in convention ``energy_convention`` ("authors": the quantity
    Park et al. plot, ``tr(X^T L X) / (d ||X||_F^2)``; "sum": ``E_G(X / ||X||_F)``,
    2d times it; :func:`~theorylab.solvers.graph_spectral.normalized_energy`),
    ``rayleigh`` (centred Rayleigh quotient, in ``[lambda_2, lambda_max]``) and
    ``overlap`` (top-2 centred PCs vs ``span(z_2, z_3)``), per-sequence values
    averaged over the sequences whose window holds every node; ``pcs``
    (P, n_layers + 1, n, 2): the top-2 PC scores of the pooled means (or of the
    first complete sequence).
    Theory: none here; the spectral embedding, the Laplacian spectrum and the
    neighbour-mixing mechanism the geometry is compared with do not depend on
    context and are in :class:`~theorylab.studies.graph_tracing.HeatFlow`.
    Clock: :data:`CONTEXT`.
    """

    family = "graph_tracing"
    training: WalkTraining = WalkTraining()
    graph: GraphSpec = GraphSpec()
    positions: tuple[int, ...] = (100, 200, 300, 400)
    window: int = 100
    n_seqs: int = 8
    seed: int = 2
    inclusive: bool = True
    pool: str = "batch"
    energy_convention: str = "authors"

    def validate(self) -> None:
        if not self.positions:
            raise ValueError("positions must hold at least one context length")
        for p in self.positions:
            check_int("positions", p)
        if any(b <= a for a, b in zip(self.positions, self.positions[1:])):
            raise ValueError(f"positions must increase, got {self.positions}")
        check_int("window", self.window)
        if not self.inclusive and self.window > self.positions[0]:
            raise ValueError(f"window must be <= the shortest context {self.positions[0]} (or inclusive=True, "
                             f"which cuts the window at the start of the sequence), got {self.window}")
        check_int("n_seqs", self.n_seqs)
        check_int("seed", self.seed, minimum=0)
        check_choice("pool", self.pool, POOLS)
        check_choice("energy_convention", self.energy_convention, gs.ENERGY_CONVENTIONS)
        _check_graph_fits(self.training, self.graph)

    @classmethod
    def example(cls) -> "ContextGeometry":
        return cls(training=WalkTraining.example(), graph=GraphSpec("ring", 5), positions=(10, 14), window=10,
                   n_seqs=2)

    def experiment(self) -> Trajectory:
        model, _ = trained_model(self.training)
        length = max(self.positions)
        cfg = WalkCorpusConfig(self.graph.graph(), self.training.vocab, length)
        geo = representation_geometry(model, cfg, self.positions, window=self.window, n_seqs=self.n_seqs,
                                      rng=self.seed, length=length, inclusive=self.inclusive, pool=self.pool,
                                      energy=self.energy_convention)
        obs = {k: geo[k].T for k in ("energy", "rayleigh", "overlap")}
        obs["pcs"] = geo["pcs"].transpose(1, 0, 2, 3)
        span = f"last {self.window + 1} tokens (inclusive)" if self.inclusive else f"last {self.window} tokens"
        energy = ("tr(X^T L X) / (d ||X||_F^2), the authors' plotted energy" if self.energy_convention == "authors"
                  else "E_G(X / ||X||_F), E_G = sum_ij A_ij ||x_i - x_j||^2")
        return Trajectory(np.asarray(self.positions), obs,
                          {"probe": "representation_geometry", "graph": self.graph.name, "window": span,
                           "pool": self.pool, "energy": energy}, clock=CONTEXT)


def _check_prior(training: WalkTraining) -> None:
    if training.prior_fraction <= 0:
        raise ValueError("training.prior_fraction must be > 0: there is no memorised ring to compete with")
    if training.prior_size > training.graph.n_nodes:
        raise ValueError(f"training.prior_size ({training.prior_size}) must be <= the graph's nodes "
                         f"({training.graph.n_nodes})")


_PRIOR_TRAINING = WalkTraining(prior_fraction=0.25, steps=1000)


@dataclass(frozen=True)
class PriorBehaviour(Study):
    """A memorised ring against the in-context graph: next-token masses vs context length.

    Experiment: the model of ``training`` (whose corpus mixes walks on the ring
    over tokens ``0..prior_size-1``) on ``n_seqs`` walks of ``length`` tokens over
    the training graph whose labels hold every prior token at random nodes and
    other tokens elsewhere (seed ``seed``; :func:`prior_test_batch`); observables
    ``accuracy`` (the rule-following accuracy over all positions), ``ring_mass``,
    ``grid_mass_prior``, ``grid_mass_other`` and ``chance`` at contexts
    ``t = 1..length-1`` (see :func:`prior_behaviour`).
    Theory: ``accuracy`` of the exact in-context Bayes predictor on the graph.
    Clock: :data:`CONTEXT`.
    """

    family = "graph_tracing"
    training: WalkTraining = _PRIOR_TRAINING
    length: int = 400
    n_seqs: int = 64
    seed: int = 1

    def validate(self) -> None:
        _check_prior(self.training)
        check_int("length", self.length, minimum=2)
        check_int("n_seqs", self.n_seqs)
        check_int("seed", self.seed, minimum=0)

    @classmethod
    def example(cls) -> "PriorBehaviour":
        return cls(training=WalkTraining.example().replace(graph=GraphSpec("grid", 2, 3), prior_fraction=0.5),
                   length=12, n_seqs=3)

    def _batch(self):
        t = self.training
        return prior_test_batch(t.graph.graph(), t.vocab, t.prior_size, self.length, self.n_seqs, rng=self.seed)

    def theory(self) -> Trajectory:
        acc = gs.bigram_accuracy_exact(self.training.graph.adjacency(), self.length - 1)
        return Trajectory(np.arange(1, self.length), {"accuracy": acc},
                          {"solver": "bigram_accuracy_exact", "graph": self.training.graph.name}, clock=CONTEXT)

    def experiment(self) -> Trajectory:
        model, _ = trained_model(self.training)
        labels, nodes, tokens = self._batch()
        obs = prior_behaviour(model, self.training.graph.graph(), self.training.prior_size, labels, nodes, tokens)
        return Trajectory(np.arange(1, self.length), obs, {"probe": "prior_behaviour", "n_seqs": self.n_seqs},
                          clock=CONTEXT)


@dataclass(frozen=True)
class PriorGeometry(Study):
    """A memorised ring against the in-context graph: last-layer class-mean geometry vs context length.

    Experiment: the test batch of :class:`PriorBehaviour` (same ``training``,
    ``length``, ``n_seqs``, ``seed``); at each context in ``positions`` the class
    means over the first ``n_geo`` sequences (window ``min(t, window)``):
    ``ring_overlap``, ``grid_overlap`` (P,), and for drawing ``pcs`` (P, n, 2) and
    ``ring_nodes`` (P, prior_size) (see :func:`prior_geometry`).
    Theory: none (the chance level of ``ring_overlap`` is ``2 / (prior_size - 1)``).
    Clock: :data:`CONTEXT`.
    """

    family = "graph_tracing"
    training: WalkTraining = _PRIOR_TRAINING
    length: int = 400
    n_seqs: int = 64
    seed: int = 1
    positions: tuple[int, ...] = (25, 50, 100, 200, 300, 400)
    window: int = 100
    n_geo: int = 8

    def validate(self) -> None:
        PriorBehaviour(self.training, self.length, self.n_seqs, self.seed)
        if not self.positions or any(b <= a for a, b in zip(self.positions, self.positions[1:])):
            raise ValueError(f"positions must be a non-empty increasing tuple, got {self.positions}")
        for p in self.positions:
            check_int("positions", p)
        if self.positions[-1] > self.length:
            raise ValueError(f"positions must be <= length = {self.length}, got {self.positions}")
        check_int("window", self.window)
        check_int("n_geo", self.n_geo)
        if self.n_geo > self.n_seqs:
            raise ValueError(f"n_geo must be <= n_seqs = {self.n_seqs}, got {self.n_geo}")

    @classmethod
    def example(cls) -> "PriorGeometry":
        b = PriorBehaviour.example()
        return cls(training=b.training, length=b.length, n_seqs=b.n_seqs, positions=(8, 12), window=8, n_geo=2)

    def experiment(self) -> Trajectory:
        model, _ = trained_model(self.training)
        t = self.training
        labels, nodes, tokens = PriorBehaviour(t, self.length, self.n_seqs, self.seed)._batch()
        obs = prior_geometry(model, t.graph.graph(), t.prior_size, labels, nodes, tokens, window=self.window,
                             positions=self.positions, n_geo=self.n_geo)
        return Trajectory(np.asarray(self.positions), obs, {"probe": "prior_geometry", "n_geo": self.n_geo},
                          clock=CONTEXT)
