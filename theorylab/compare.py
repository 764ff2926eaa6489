"""Comparators: put a number on theory-experiment agreement.

Each comparator takes trajectories and returns an :class:`Agreement` record
(name, metric, value, threshold, passed).  Comparisons happen on a common time
grid: by default the experiment's recorded times that lie inside the theory's
time range, so nothing is extrapolated.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .trajectory import Trajectory

__all__ = [
    "Agreement",
    "common_grid",
    "max_error",
    "crossing_time",
    "learning_time_agreement",
    "band_coverage",
]


@dataclass(frozen=True)
class Agreement:
    """One theory-experiment agreement number.

    ``passed`` is ``value <= threshold`` (or ``>=`` when ``higher_is_better``).
    A row with ``gating=False`` records an observation (e.g. whether a
    paper's claim reproduces under exact theory): it is reported with its
    pass/fail but does not make its figure fail.
    """

    name: str
    metric: str
    value: float
    threshold: float
    higher_is_better: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    gating: bool = True

    @property
    def passed(self) -> bool:
        if not np.isfinite(self.value):
            return False
        return self.value >= self.threshold if self.higher_is_better else self.value <= self.threshold

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passed"] = self.passed
        return d

    def __str__(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        mark = ("PASS" if self.passed else "FAIL") if self.gating else ("info: yes" if self.passed else "info: no")
        return f"[{mark}] {self.name}: {self.metric} = {self.value:.4g} ({op} {self.threshold:g})"


def common_grid(theory: Trajectory, experiment: Trajectory) -> np.ndarray:
    """The experiment's times that lie inside the theory's time range."""
    lo, hi = theory.t[0], theory.t[-1]
    t = experiment.t[(experiment.t >= lo) & (experiment.t <= hi)]
    if t.size == 0:
        raise ValueError("theory and experiment have no time points in common")
    return t


def _pair(theory: Trajectory, experiment: Trajectory, name: str, exp_name: str | None):
    t = common_grid(theory, experiment)
    a = theory.select([name]).interp(t)[name]
    e_traj = experiment.select([exp_name or name])
    if e_traj.n_seeds is not None:
        e_traj = e_traj.mean()
    b = e_traj.interp(t)[exp_name or name]
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch for {name!r}: theory {a.shape[1:]} vs experiment {b.shape[1:]}")
    return t, a, b


def max_error(
    theory: Trajectory,
    experiment: Trajectory,
    name: str,
    *,
    threshold: float,
    relative: bool = True,
    scale: float | np.ndarray | None = None,
    floor: float = 0.0,
    exp_name: str | None = None,
    label: str | None = None,
) -> Agreement:
    r"""Largest error between theory and (seed-mean) experiment on a common grid.

    ``value = max_t |theory(t) - experiment(t)| / scale``, where the default
    ``scale`` for ``relative=True`` is ``max(|theory(t)|, floor)`` pointwise (a
    pointwise relative error that does not blow up where the theory decays to
    0); pass ``scale`` (e.g. a target singular value ``s``) for an error
    relative to a fixed size, or ``relative=False`` for absolute error.
    """
    t, a, b = _pair(theory, experiment, name, exp_name)
    err = np.abs(a - b)
    if relative:
        denom = np.maximum(np.abs(a), floor) if scale is None else np.broadcast_to(np.asarray(scale, float), a.shape[1:])
        err = err / denom
        metric = "max error / scale" if scale is not None else (
            "max relative error" if floor == 0 else f"max error / max(|theory|, {floor:g})")
    else:
        metric = "max abs error"
    i = np.unravel_index(np.argmax(err), err.shape)
    return Agreement(label or name, metric, float(err[i]), threshold, detail={"t_worst": float(t[i[0]])})


def crossing_time(t: np.ndarray, y: np.ndarray, level: float, *, direction: str = "up") -> float:
    """First time ``y`` crosses ``level`` (linear interpolation); ``nan`` if never.

    ``direction="up"`` finds ``y`` rising through ``level``; ``"down"`` falling.
    """
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    s = y - level if direction == "up" else level - y
    if s[0] >= 0:
        return float(t[0])
    idx = np.flatnonzero(s >= 0)
    if idx.size == 0:
        return float("nan")
    j = idx[0]
    frac = -s[j - 1] / (s[j] - s[j - 1])
    return float(t[j - 1] + frac * (t[j] - t[j - 1]))


def learning_time_agreement(
    t_theory: float,
    t_experiment: float,
    *,
    name: str,
    threshold: float,
) -> Agreement:
    """Relative difference of two learning (threshold-crossing) times."""
    value = abs(t_experiment - t_theory) / abs(t_theory) if np.isfinite(t_experiment) else float("inf")
    return Agreement(name, "learning-time relative error", float(value), threshold,
                     detail={"t_theory": float(t_theory), "t_experiment": float(t_experiment)})


def band_coverage(
    theory: Trajectory,
    ensemble: Trajectory,
    name: str,
    *,
    threshold: float = 0.9,
    q: tuple[float, float] = (0.025, 0.975),
    exp_name: str | None = None,
    label: str | None = None,
) -> Agreement:
    """Fraction of grid points where theory lies in the ensemble's quantile band.

    The band is the ``q`` quantiles over seeds; a well-calibrated theory of the
    ensemble mean lies inside it almost everywhere.
    """
    if ensemble.n_seeds is None:
        raise ValueError("band_coverage needs an ensemble trajectory (n_seeds set)")
    t = common_grid(theory, ensemble)
    a = theory.select([name]).interp(t)[name]
    e = ensemble.select([exp_name or name]).interp(t)
    lo = e.quantile(q[0])[exp_name or name]
    hi = e.quantile(q[1])[exp_name or name]
    inside = (a >= lo) & (a <= hi)
    return Agreement(label or name, f"fraction inside {q} band", float(inside.mean()), threshold,
                     higher_is_better=True)
