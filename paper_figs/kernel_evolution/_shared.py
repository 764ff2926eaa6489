"""Settings and drawing helpers shared by the kernel-evolution figures (no computing: curves come from studies)."""
from __future__ import annotations

import numpy as np

from theorylab.studies.kernel_evolution import DEFAULT_TASK, KernelPhases, Switching
from theorylab.tasks import PolyRegressionConfig
from theorylab.trajectory import Trajectory

#: The two-phase network of each mode (figures a, b and the alpha = 1 point of d share it, and its cache entry).
BASE = {
    "smoke": KernelPhases(task=PolyRegressionConfig(6, 48, n_test=64, target="hermite", order=2,
                                                    normalize_teacher=True),
                          hidden=(16, 16), lr=0.1, t_max=20.0, t_first=0.2, n_rec=16, seeds=2, n_probe=8),
    "quick": KernelPhases(task=DEFAULT_TASK, hidden=(32, 32), lr=0.05, t_max=100.0, t_first=0.2, n_rec=40, seeds=2,
                          n_probe=32),
    "full": KernelPhases(task=PolyRegressionConfig(16, 1024, n_test=2048, target="hermite", order=2,
                                                   normalize_teacher=True),
                         hidden=(256, 256), lr=0.02, t_max=400.0, t_first=0.1, n_rec=80, seeds=8, n_probe=64),
}


def switching(base: KernelPhases, trained: tuple[int, ...] = ()) -> Switching:
    """Switch at every other recorded time and at the end (the closed form is cheap); train the jvp-linearised
    network at the record indices ``trained``."""
    rec = base.record_times()
    t0s = np.unique(np.append(rec[::2], rec[-1]))
    return Switching(base=base, t0s=tuple(t0s.tolist()), t0s_trained=tuple(rec[list(trained)].tolist()))


def log_time_axis(ax, traj: Trajectory, *, label: str | None = None) -> None:
    """Time on a symmetric-log axis (linear below the first positive record, so t = 0 shows), labelled by the clock."""
    from matplotlib.ticker import FixedLocator, NullLocator

    t = np.asarray(traj.t, float)
    first = float(t[t > 0][0]) if np.any(t > 0) else 1.0
    last = float(t[-1])
    ax.set_xscale("symlog", linthresh=first, linscale=0.4)
    ax.set_xlim(0, last * 1.15)
    decades = 10.0 ** np.arange(np.ceil(np.log10(first * 1.5)), np.floor(np.log10(max(last, first))) + 1)
    ax.xaxis.set_major_locator(FixedLocator([0.0, *decades]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(label or traj.clock.label.replace(" (", "\n(", 1), fontsize=7)


def worst(values, *, low: bool) -> float:
    """The seed that argues most against a claim: the max of an upper-bounded number, the min of a lower-bounded one."""
    v = np.asarray(values, float)
    return float(np.max(v) if low else np.min(v))
