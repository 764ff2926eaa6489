"""Comparators: put a number on theory-experiment agreement.

Each comparator takes trajectories and returns an :class:`Agreement` record
(name, metric, value, threshold, passed, the error model behind the threshold
and the clock of the comparison).  Comparisons happen on a common time grid:
the experiment's recorded times that lie inside the theory's time range, so
nothing is extrapolated.  Two trajectories are compared only on one clock: the
experiment is converted onto the theory's clock when their bases agree, and a
:class:`~theorylab.clock.ClockMismatch` is raised when they do not.

Thresholds are :class:`~theorylab.testing.thresholds.Tolerance` objects (a
value with its error model); a bare number is accepted for interactive use and
reported with the error model "unstated".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._validate import check_choice
from .clock import Clock, ClockMismatch
from .testing.thresholds import Tolerance
from .trajectory import Trajectory

__all__ = [
    "Agreement",
    "assess",
    "common_grid",
    "on_common_clock",
    "relative_error",
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
    pass/fail but does not make its figure fail.  ``model`` states the error
    model that sets the threshold (see :mod:`theorylab.testing.thresholds`);
    ``clock`` the time convention of the compared quantities ("" when the
    number does not depend on a clock).
    """

    name: str
    metric: str
    value: float
    threshold: float
    higher_is_better: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
    gating: bool = True
    model: str = "unstated"
    clock: str = ""

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


def _threshold(threshold: float | Tolerance) -> tuple[float, bool | None, str]:
    """(value, at_least or None when unstated, model text) of a threshold argument."""
    if isinstance(threshold, Tolerance):
        return threshold.value, threshold.at_least, f"{threshold.model}: {threshold.why}"
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating, np.integer)):
        raise TypeError(f"threshold must be a number or a theorylab.testing Tolerance, got {type(threshold).__name__}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold!r}")
    return float(threshold), None, "unstated"


def assess(name: str, metric: str, value: float, threshold: float | Tolerance, *, higher_is_better: bool | None = None,
           detail: dict[str, Any] | None = None, gating: bool = True, clock: Clock | str | None = None) -> Agreement:
    """An :class:`Agreement` row for a number computed by the caller (a ratio, an overlap, a count).

    The direction comes from the tolerance (``at_least``) unless given.
    ``clock`` names the time convention when the number is a time.
    """
    thr, at_least, model = _threshold(threshold)
    if higher_is_better is None:
        higher_is_better = bool(at_least)
    elif at_least is not None and bool(at_least) != bool(higher_is_better):
        raise ValueError(f"higher_is_better={higher_is_better} contradicts the tolerance ({threshold})")
    value = float(np.asarray(value, float))
    clock_text = clock.describe() if isinstance(clock, Clock) else (clock or "")
    return Agreement(name, metric, value, thr, bool(higher_is_better), dict(detail or {}), gating, model, clock_text)


def on_common_clock(theory: Trajectory, experiment: Trajectory) -> tuple[Trajectory, Trajectory]:
    """Both trajectories on the theory's clock (the experiment converted), or ``ClockMismatch``.

    A trajectory without a clock is refused: two time axes of unknown meaning
    cannot be compared.
    """
    for which, tr in (("theory", theory), ("experiment", experiment)):
        if not isinstance(tr, Trajectory):
            raise TypeError(f"{which} must be a Trajectory, got {type(tr).__name__}")
    missing = [w for w, tr in (("theory", theory), ("experiment", experiment)) if tr.clock is None]
    if missing:
        raise ClockMismatch(f"the {missing[0]} trajectory has no clock; set Trajectory(..., clock=Clock...) so its "
                            "time axis can be compared")
    if experiment.clock != theory.clock:
        experiment = experiment.on_clock(theory.clock)
    return theory, experiment


def common_grid(theory: Trajectory, experiment: Trajectory) -> np.ndarray:
    """The experiment's times that lie inside the theory's time range (both on the theory's clock)."""
    theory, experiment = on_common_clock(theory, experiment)
    lo, hi = theory.t[0], theory.t[-1]
    t = experiment.t[(experiment.t >= lo) & (experiment.t <= hi)]
    if t.size == 0:
        raise ValueError("theory and experiment have no time points in common")
    return t


def _pair(theory: Trajectory, experiment: Trajectory, name: str, exp_name: str | None):
    theory, experiment = on_common_clock(theory, experiment)
    t = common_grid(theory, experiment)
    a = theory.select([name]).interp(t)[name]
    e_traj = experiment.select([exp_name or name])
    if theory.n_seeds is not None:
        # a theory per member (from each member's own init) is compared member by member
        if e_traj.n_seeds != theory.n_seeds:
            raise ValueError(f"the theory has {theory.n_seeds} members but the experiment has {e_traj.n_seeds}")
    elif e_traj.n_seeds is not None:
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
    threshold: float | Tolerance,
    relative: bool = True,
    scale: float | np.ndarray | None = None,
    floor: float = 0.0,
    exp_name: str | None = None,
    label: str | None = None,
    gating: bool = True,
) -> Agreement:
    r"""Largest error between theory and (seed-mean) experiment on a common grid.

    A theory with a seed axis (one curve per member, e.g. from each member's
    own init) is compared member by member with an experiment of as many seeds.

    ``value = max_t |theory(t) - experiment(t)| / scale``, where the default
    ``scale`` for ``relative=True`` is ``max(|theory(t)|, floor)`` pointwise (a
    pointwise relative error that does not blow up where the theory decays to
    0); pass ``scale`` (e.g. a target singular value ``s``) for an error
    relative to a fixed size, or ``relative=False`` for absolute error.  The
    experiment is first put on the theory's clock (see :func:`on_common_clock`).
    """
    if scale is not None:
        sc = np.asarray(scale, float)
        if sc.size == 0 or not np.all(np.isfinite(sc)) or np.any(sc <= 0):
            raise ValueError(f"scale must be > 0 and finite, got {scale!r}")
    if not (np.isfinite(floor) and floor >= 0):
        raise ValueError(f"floor must be >= 0 and finite, got {floor!r}")
    thr, at_least, model = _threshold(threshold)
    clock = theory.clock.describe() if isinstance(theory, Trajectory) and theory.clock is not None else ""
    t, a, b = _pair(theory, experiment, name, exp_name)
    err = np.abs(a - b)
    if relative:
        denom = np.maximum(np.abs(a), floor) if scale is None else np.broadcast_to(np.asarray(scale, float), a.shape[1:])
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.where(err == 0, 0.0, err / denom)
        metric = "max error / scale" if scale is not None else (
            "max relative error" if floor == 0 else f"max error / max(|theory|, {floor:g})")
    else:
        metric = "max abs error"
    i = np.unravel_index(np.argmax(err), err.shape)
    return Agreement(label or name, metric, float(err[i]), thr, higher_is_better=bool(at_least),
                     detail={"t_worst": float(t[i[0]])}, gating=gating, model=model, clock=clock)


def relative_error(name: str, theory, experiment, threshold: float | Tolerance, *, scale=None,
                   metric: str | None = None, detail: dict[str, Any] | None = None, gating: bool = True,
                   clock: Clock | str | None = None) -> Agreement:
    r"""``max |experiment - theory| / scale`` over the entries of two numbers or arrays of one shape.

    ``scale`` defaults to ``|theory|`` entry by entry; give a fixed size where
    the theory crosses zero.
    """
    a = np.asarray(theory, float)
    b = np.asarray(experiment, float)
    if a.shape != b.shape:
        raise ValueError(f"theory and experiment must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("theory and experiment must not be empty")
    if scale is None:
        denom = np.abs(a)
        metric = metric or "max relative error"
    else:
        denom = np.broadcast_to(np.asarray(scale, float), a.shape)
        if not np.all(np.isfinite(denom)) or np.any(denom <= 0):
            raise ValueError(f"scale must be > 0 and finite, got {scale!r}")
        metric = metric or "max error / scale"
    diff = np.abs(b - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(diff == 0, 0.0, diff / denom)
    err = np.where(np.isnan(b) | np.isnan(a), np.inf, err)
    return assess(name, metric, float(np.max(err)), threshold, detail=detail, gating=gating, clock=clock)


def crossing_time(t: np.ndarray, y: np.ndarray, level: float, *, direction: str = "up") -> float:
    """First time ``y`` crosses ``level`` (linear interpolation); ``nan`` if never.

    ``direction="up"`` finds ``y`` rising through ``level``; ``"down"`` falling.
    """
    check_choice("direction", direction, ("up", "down"))
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    if t.ndim != 1 or y.shape != t.shape:
        raise ValueError(f"t and y must be 1-D of the same length, got shapes {t.shape} and {y.shape}")
    if t.size == 0:
        raise ValueError("t and y must not be empty")
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
    threshold: float | Tolerance,
    clock: Clock | str | None = None,
    gating: bool = True,
) -> Agreement:
    """Relative difference of two learning (threshold-crossing) times, both on ``clock``."""
    finite = np.isfinite(t_experiment) and np.isfinite(t_theory) and t_theory != 0
    value = abs(t_experiment - t_theory) / abs(t_theory) if finite else float("inf")     # a time never reached fails
    return assess(name, "learning-time relative error", value, threshold, higher_is_better=False,
                  detail={"t_theory": float(t_theory), "t_experiment": float(t_experiment)}, clock=clock,
                  gating=gating)


def band_coverage(
    theory: Trajectory,
    ensemble: Trajectory,
    name: str,
    *,
    threshold: float | Tolerance = 0.9,
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
    theory, ensemble = on_common_clock(theory, ensemble)
    t = common_grid(theory, ensemble)
    a = theory.select([name]).interp(t)[name]
    e = ensemble.select([exp_name or name]).interp(t)
    lo = e.quantile(q[0])[exp_name or name]
    hi = e.quantile(q[1])[exp_name or name]
    inside = (a >= lo) & (a <= hi)
    return assess(label or name, f"fraction inside {q} band", float(inside.mean()), threshold,
                  higher_is_better=True, clock=theory.clock)
