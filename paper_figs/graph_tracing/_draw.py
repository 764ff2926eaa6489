"""Drawing helpers shared by the graph-tracing figures (no computation)."""
from __future__ import annotations

import textwrap

import numpy as np

from theorylab.plotting import COLORS


def draw_graph(ax, X, A, title):
    """Points ``X[:, :2]`` in a plane with the graph's edges between neighbours."""
    if not np.all(np.isfinite(X)):
        ax.set_title(title + " (not every node in the window)", fontsize=6)
        ax.set_axis_off()
        return
    i, j = np.nonzero(np.triu(A))
    ax.plot(np.stack([X[i, 0], X[j, 0]]), np.stack([X[i, 1], X[j, 1]]), color="gray", lw=0.6)
    ax.scatter(X[:, 0], X[:, 1], c=np.arange(len(X)), cmap="viridis", s=16, zorder=3)
    ax.set_title(title, fontsize=6)
    ax.set_xticks([])
    ax.set_yticks([])


def draw_with_ring(ax, X, A, ring_nodes, title):
    """:func:`draw_graph` with a prior ring's edges dashed and its nodes in red."""
    draw_graph(ax, X, A, title)
    if not np.all(np.isfinite(X)):
        return
    r = np.asarray(ring_nodes)
    a, b = r, np.roll(r, -1)
    ax.plot(np.stack([X[a, 0], X[b, 0]]), np.stack([X[a, 1], X[b, 1]]), color=COLORS[1], lw=0.8, ls="--")
    ax.scatter(X[r, 0], X[r, 1], color=COLORS[1], s=16, zorder=4)


def clock_label(traj, width: int = 38) -> str:
    """The axis label of ``traj``'s clock, wrapped to ``width`` characters."""
    return textwrap.fill(traj.clock.label, width)
