"""Shared pieces of the grokking figures (Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024, arXiv:2310.06110).

Curves come from the exact (w_bar, M) dynamics of the quadratic committee
machine (``solvers.committee``), which a trained width-N network equals to
round-off (checked by ``grok_fig3ab`` and ``grok_fig1`` in the report and by a
hypothesis test).  The initial weights are those of a
:class:`~theorylab.nets.CommitteeMachine` with the same seed, so a network
trained next to a curve starts from the same state.

Conventions: ``L = (1/P) sum (f - y)^2`` (no 1/2), full-batch GD with
``eta = eta0 N / alpha^2``, ``t = epoch = one GD step``; "test loss" is the
exact population loss unless a figure says it uses a test set.
"""
from __future__ import annotations

import numpy as np

from theorylab.compare import crossing_time
from theorylab.nets import CommitteeMachine
from theorylab.solvers.committee import CommitteeState, exact_gd_batch

CONVENTION = "t = epoch = one GD step on L = (1/P) sum (f - y)^2, eta = eta0 N / alpha^2"
TRAIN_LEVEL, TEST_LEVEL = 0.1, 0.5   # "fitted": train loss at 10% of its start; "generalised": test at 50%


def state(D: int, N: int, alpha: float, eps: float, *, seed: int = 0, init_scale: float = 1.0,
          centered: bool = True) -> CommitteeState:
    """The initial order parameters of ``CommitteeMachine(D, N, seeds=[seed], ...)``."""
    net = CommitteeMachine(D, N, seeds=[seed], alpha=alpha, eps=eps, init_scale=init_scale, centered=centered,
                           dtype="float64", device="cpu")
    return CommitteeState.from_network(net)


def run(X, y, states, *, eta0: float, steps: int, every: int, **kwargs):
    """Exact GD for every state at once, each with the paper's step ``eta0 N / alpha^2``."""
    return exact_gd_batch(X, y, states, etas=[eta0 * s.N / s.alpha**2 for s in states], steps=steps,
                          record_every=every, **kwargs)


def epochs(traj, every: int) -> np.ndarray:
    return np.arange(len(traj)) * every


def grok_times(traj, every: int, test_key: str = "pop_test_loss") -> dict[str, float]:
    """When the train loss reaches 10% and the test loss 50% of their starts (NaN: not within the run).

    Also the largest test loss relative to its start (> 1: the test loss rose first) and the last one.
    """
    ep = epochs(traj, every)
    tr, te = traj["train_loss"], traj[test_key]
    return {"t_train": crossing_time(ep, tr / tr[0], TRAIN_LEVEL, direction="down"),
            "t_test": crossing_time(ep, te / te[0], TEST_LEVEL, direction="down"),
            "rise": float(te.max() / te[0]), "final": float(te[-1] / te[0])}


def plot_losses(ax, trajs, labels, every: int, colors, test_key: str = "pop_test_loss") -> None:
    """Train (dashed) and test (solid) loss relative to their starts, log-log."""
    for traj, lab, c in zip(trajs, labels, colors):
        ep = epochs(traj, every) + every          # shifted one record so epoch 0 shows on a log axis
        ax.loglog(ep, traj["train_loss"] / traj["train_loss"][0], "--", color=c, lw=1)
        ax.loglog(ep, traj[test_key] / traj[test_key][0], "-", color=c, label=lab)
    ax.set_xlabel("epoch (GD step)")
    ax.set_ylabel("loss / initial (dashed train, solid test)")
