"""Shared by the graph-tracing figures: the model they train and its weight cache."""
from __future__ import annotations

import numpy as np
import torch

from theorylab import Cache, Trajectory
from theorylab.cache import run_key
from theorylab.incontext import train_on_walks
from theorylab.nets import CausalTransformer
from theorylab.tasks.graph_walks import WalkCorpusConfig


def copying_transformer(p: dict) -> CausalTransformer:
    """One attention-only layer, token-shift keys, copying heads (W_OV = I), orthogonal token embeddings."""
    return CausalTransformer(p["vocab"], p["d_model"], p["n_layers"], p["n_heads"], d_mlp=0, ov="identity",
                             embed_init="orthogonal", seed=0)


def trained_model(fig_id: str, p: dict, cfg: WalkCorpusConfig, cache: Cache, mode: str):
    """``(model, loss curve)``, trained with a cosine schedule, or loaded when weights and loss are both cached."""
    model = copying_transformer(p)
    stored = None if cache.root is None else cache.path(run_key(fig_id, 1, p))
    weights = None if stored is None else stored.with_suffix(".pt")
    if weights is not None and weights.exists() and stored.exists():
        model.load_state_dict(torch.load(weights, map_location=model.device))
        return model, Trajectory.load(stored)
    loss = train_on_walks(model, cfg, steps=p["steps"], batch=p["batch"], lr=p["lr"], rng=0, schedule="cosine",
                          progress=mode == "full")
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), weights)
        loss.save(stored)                         # written last: marks the entry complete
    return model, loss


def draw_graph(ax, X, A, title):
    """Points ``X[:, :2]`` in a plane with the graph's edges between neighbours."""
    if not np.all(np.isfinite(X)):
        ax.set_title(title + " (not every node in the window)", fontsize=6)
        return
    i, j = np.nonzero(np.triu(A))
    ax.plot(np.stack([X[i, 0], X[j, 0]]), np.stack([X[i, 1], X[j, 1]]), color="gray", lw=0.6)
    ax.scatter(X[:, 0], X[:, 1], c=np.arange(len(X)), cmap="viridis", s=16, zorder=3)
    ax.set_title(title, fontsize=6)
    ax.set_xticks([])
    ax.set_yticks([])
