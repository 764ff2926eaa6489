"""Comparators specific to structured identity mapping (SIM).

All work on outputs at probes expressed in *concept coordinates* (see
``SIMTask.to_concepts``) and on OOD-loss curves; each returns
:class:`~theorylab.compare.Agreement` records or plain numbers for them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .compare import Agreement, crossing_time

__all__ = [
    "concept_learning_times",
    "trajectory_distance",
    "SwingBy",
    "detect_swing_by",
    "swing_by_agreement",
    "composition_order_agreement",
]


def concept_learning_times(t, outputs, targets, frac: float = 0.9) -> np.ndarray:
    """First time each concept's output reaches ``frac`` of its target.

    ``outputs``: (T, s) or (T, E, s) in concept coordinates; ``targets``: (s,).
    Returns (s,) or (E, s); ``nan`` where never reached.
    """
    outputs = np.asarray(outputs, float)
    targets = np.asarray(targets, float)
    ratio = outputs / targets
    if ratio.ndim == 2:
        return np.array([crossing_time(t, ratio[:, k], frac) for k in range(ratio.shape[1])])
    return np.array([[crossing_time(t, ratio[:, e, k], frac) for k in range(ratio.shape[2])]
                     for e in range(ratio.shape[1])])


def trajectory_distance(t_th, out_th, t_ex, out_ex, *, scale: float, name: str, threshold: float) -> Agreement:
    """Mean over the experiment's times of ``||f_exp(t) - f_th(t)|| / scale`` in concept space.

    ``out_th`` (T, s) is interpolated onto ``t_ex``; ``out_ex`` is (T', s) or
    (T', E, s) (seed mean used).
    """
    out_ex = np.asarray(out_ex, float)
    if out_ex.ndim == 3:
        out_ex = out_ex.mean(axis=1)
    t_ex = np.asarray(t_ex, float)
    keep = (t_ex >= t_th[0]) & (t_ex <= t_th[-1])
    th = np.stack([np.interp(t_ex[keep], t_th, out_th[:, k]) for k in range(out_th.shape[1])], axis=1)
    d = np.linalg.norm(out_ex[keep] - th, axis=1) / scale
    return Agreement(name, "mean concept-space distance / ||x_hat||", float(d.mean()), threshold,
                     detail={"max": float(d.max())})


@dataclass(frozen=True)
class SwingBy:
    """A local minimum of the OOD loss followed by a rise (the swing-by bump)."""

    t_min: float
    loss_min: float
    t_max: float
    loss_max: float

    @property
    def height(self) -> float:
        return self.loss_max - self.loss_min


def detect_swing_by(t, loss, *, rel_height: float = 1e-3) -> SwingBy | None:
    """The largest rise of ``loss`` above its running minimum, if above ``rel_height * loss[0]``.

    Returns the local minimum before the rise and the local maximum it
    reaches, or ``None`` for an (essentially) monotone curve.
    """
    t = np.asarray(t, float)
    L = np.asarray(loss, float)
    rise = L - np.minimum.accumulate(L)
    j = int(np.argmax(rise))
    if rise[j] <= rel_height * abs(L[0]):
        return None
    i = int(np.argmin(L[: j + 1]))
    return SwingBy(float(t[i]), float(L[i]), float(t[j]), float(L[j]))


def swing_by_agreement(theory: SwingBy | None, experiment: SwingBy | None, *, name: str,
                       threshold: float = 0.25) -> Agreement:
    """Agreement of swing-by events: relative error of the minimum and maximum times.

    Both absent: value 0 (agree).  One absent: value inf (disagree).
    """
    if theory is None and experiment is None:
        return Agreement(name, "swing-by: both none", 0.0, threshold)
    if theory is None or experiment is None:
        return Agreement(name, "swing-by present in only one", float("inf"), threshold,
                         detail={"theory": theory, "experiment": experiment})
    err = max(abs(experiment.t_min - theory.t_min) / theory.t_min, abs(experiment.t_max - theory.t_max) / theory.t_max)
    return Agreement(name, "max relative error of (t_min, t_max)", float(err), threshold,
                     detail={"theory": vars(theory), "experiment": vars(experiment)})


def composition_order_agreement(loss_theory, loss_experiment, *, name: str, threshold: float = 0.8) -> Agreement:
    """Kendall's tau between the orderings of losses over the hypercube of compositions."""
    tau = stats.kendalltau(np.asarray(loss_theory), np.asarray(loss_experiment)).statistic
    return Agreement(name, "Kendall tau of composition-loss order", float(tau), threshold, higher_is_better=True)
