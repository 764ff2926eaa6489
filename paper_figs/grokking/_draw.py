"""Drawing helpers shared by the grokking figures (no computing: curves come from the studies' trajectories)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theorylab.trajectory import Trajectory


def time_label(traj: Trajectory) -> str:
    """The clock's axis label on two lines (symbol, then unit): the epoch unit is long for a narrow panel."""
    return traj.clock.label.replace(" (", "\n(", 1)


def epoch_axis(ax, traj: Trajectory, *, log_y: bool = True) -> None:
    """Epochs on a symmetric-log axis (linear up to the first record, so epoch 0 shows), labelled by the clock."""
    from matplotlib.ticker import FixedLocator, NullLocator

    first, last = (float(traj.t[1]) if len(traj) > 1 else 1.0), float(traj.t[-1])
    ax.set_xscale("symlog", linthresh=first, linscale=0.5)
    ax.set_xlim(0, last * 1.2)
    decades = 10.0 ** np.arange(np.ceil(np.log10(first)), np.floor(np.log10(max(last, first))) + 1)
    ax.xaxis.set_major_locator(FixedLocator([0.0, *decades]))
    ax.xaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(time_label(traj), fontsize=7)


def loss_curves(ax, runs: Sequence[Trajectory], labels: Sequence[str], colors: Sequence[str],
                test: str = "pop_test_loss") -> None:
    """Train (dashed) and test (solid) loss of each run relative to its start."""
    for traj, lab, c in zip(runs, labels, colors):
        tr, te = traj["train_loss"], traj[test]
        ax.plot(traj.t, tr / tr[0], "--", color=c, lw=1)
        ax.plot(traj.t, te / te[0], "-", color=c, label=lab)
    epoch_axis(ax, runs[0])
    ax.set_ylabel("loss / initial\n(dashed train, solid test)")
