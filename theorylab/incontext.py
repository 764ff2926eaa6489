r"""Training and probing a transformer on in-context graph tracing.

Park et al., ICLR 2025 (arXiv:2501.00070), recreated at small scale: a
:class:`~theorylab.nets.CausalTransformer` is trained from scratch on random
walks over freshly labelled copies of a graph (``tasks.graph_walks``), so the
graph can only be read from the context.  The probes are the paper's:

* rule-following accuracy at position ``t``: the next-token probability mass on
  the current node's true neighbours, renormalised over the graph's tokens;
* class-mean representations: for each node, the mean residual-stream vector
  over its occurrences in the backward window ``[t - window, t)``; their centred
  PCA, Dirichlet energy / Rayleigh quotient, and the overlap of the top-2 PCs
  with the spectral embedding ``span(z_2, z_3)``.

Conventions: the loss is the mean next-token cross-entropy over all positions;
"context length" ``t`` counts tokens seen.
"""
from __future__ import annotations

import numpy as np
import torch

from theorylab._validate import check_choice, check_int, check_positive
from theorylab.rng import as_generator
from theorylab.solvers import graph_spectral as gs
from theorylab.tasks.graph_walks import WalkCorpusConfig, adjacency, make_walk_batch
from theorylab.trajectory import Trajectory

__all__ = ["train_on_walks", "lr_factor", "rule_following_accuracy", "class_means", "representation_geometry",
           "finite_mean"]


def train_on_walks(model, config: WalkCorpusConfig, *, steps: int, batch: int = 32, lr: float = 3e-3,
                   weight_decay: float = 0.0, rng=0, record_every: int = 50, progress: bool = False,
                   schedule: str = "constant") -> Trajectory:
    """AdamW on next-token cross-entropy over fresh batches of walks; returns the loss curve (t = step).

    The learning rate warms up linearly over 100 steps, then stays (``schedule="constant"``) or
    follows a cosine to zero at ``steps`` (``"cosine"``).
    """
    from tqdm.auto import tqdm

    steps, batch, record_every = check_int("steps", steps), check_int("batch", batch), check_int("record_every",
                                                                                                   record_every)
    check_positive("lr", lr)
    check_choice("schedule", schedule, ("constant", "cosine"))
    g = as_generator(rng)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, steps, schedule))
    ts, losses = [], []
    running = []
    model.train()
    for step in tqdm(range(1, steps + 1), disable=not progress, desc="train on walks", leave=False):
        tokens = torch.as_tensor(make_walk_batch(config, batch, rng=g).tokens, device=model.device)
        logits = model(tokens[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running.append(float(loss.detach()))
        if step % record_every == 0 or step == steps:
            ts.append(step)
            losses.append(np.mean(running))
            running = []
    model.eval()
    return Trajectory(np.asarray(ts, float), {"loss": np.asarray(losses)},
                      {"time": "t = optimiser step", "loss": "mean next-token cross-entropy", "lr": lr,
                       "batch": batch})


def lr_factor(step: int, steps: int, schedule: str) -> float:
    """Learning-rate multiplier before optimiser step ``step + 1``: linear warm-up over 100 steps, times
    1 (``"constant"``) or ``(1 + cos(pi step / steps)) / 2`` (``"cosine"``, zero at ``steps``)."""
    decay = 0.5 * (1 + np.cos(np.pi * min(step, steps) / steps)) if schedule == "cosine" else 1.0
    return min(1.0, (step + 1) / 100) * decay


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


def class_means(hidden: np.ndarray, nodes: np.ndarray, n_nodes: int, position: int, window: int) -> np.ndarray:
    """Mean of ``hidden[s]`` over the positions ``s`` in ``[position - window, position)`` at each node.

    ``hidden`` (T, d) and ``nodes`` (T,) for one sequence.  Nodes not visited in the
    window get NaN rows.  ``window`` may not exceed ``position`` (the context so far).
    """
    T = len(nodes)
    position, window = check_int("position", position), check_int("window", window)
    if position > T:
        raise ValueError(f"position must be <= the sequence length {T}, got {position}")
    if window > position:
        raise ValueError(f"window ({window}) must be <= the context length at that position ({position})")
    h, v = hidden[position - window: position], nodes[position - window: position]
    out = np.full((n_nodes, hidden.shape[1]), np.nan)
    for k in range(n_nodes):
        m = v == k
        if m.any():
            out[k] = h[m].mean(axis=0)
    return out


@torch.no_grad()
def representation_geometry(model, config: WalkCorpusConfig, positions, *, window: int, n_seqs: int = 8, rng=2,
                            length: int | None = None) -> dict[str, np.ndarray]:
    """Class-mean geometry per layer and context length, averaged over held-out sequences.

    Returns ``energy`` (the paper's normalised Dirichlet energy), ``rayleigh`` (centred
    Rayleigh quotient, in ``[lambda_2, lambda_max]``), ``overlap`` (top-2 PCs vs
    ``span(z_2, z_3)``), each (n_layers + 1, len(positions)), and ``pcs``: the
    first complete sequence's top-2 PC scores, (n_layers + 1, len(positions), n, 2).
    A (sequence, position) whose window misses a node is left out of the averages.
    """
    positions = [check_int("position", p) for p in positions]
    length = max(positions) if length is None else length
    cfg = WalkCorpusConfig(config.graph, config.vocab_size, length)
    b = make_walk_batch(cfg, check_int("n_seqs", n_seqs), rng=as_generator(rng))
    _, hidden = model(torch.as_tensor(b.tokens, device=model.device), return_hidden=True)
    hidden = hidden.double().cpu().numpy()                                      # (L+1, S, T, d)
    A = adjacency(config.graph)
    n = len(A)
    Z = gs.spectral_embedding(A, 2)
    shape = (hidden.shape[0], len(positions))
    out = {k: np.full(shape + (n_seqs,), np.nan) for k in ("energy", "rayleigh", "overlap")}
    pcs = np.full(shape + (n, 2), np.nan)
    for layer in range(hidden.shape[0]):
        for j, pos in enumerate(positions):
            for s in range(n_seqs):
                X = class_means(hidden[layer, s], b.nodes[s], n, pos, window)
                seen = ~np.isnan(X[:, 0])
                if seen.sum() < n:                                              # need every node in the window
                    continue
                out["energy"][layer, j, s] = gs.normalized_energy(X, A)
                out["rayleigh"][layer, j, s] = gs.rayleigh_quotient(X, A)
                scores, _ = gs.pca(X, 2)
                out["overlap"][layer, j, s] = gs.subspace_overlap(scores, Z)
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
