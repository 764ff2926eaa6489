r"""Structured identity mapping (SIM): clocks, comparators and helpers shared by the SIM studies.

Paper: Yang, Park, Lubana, Okawa, Hu & Tanaka, "Swing-by Dynamics in Concept
Learning and Compositional Generalization", ICLR 2025 (arXiv:2410.08309).

The studies themselves live in :mod:`.structured_identity_sgd` (one-layer and
deeper MLPs trained by SGD on sampled SIM data, Figs. 2, 7, 11) and
:mod:`.structured_identity_symmetric` (symmetric two-layer ``U U^T`` networks
trained by GD on population data against the U-space theory, Figs. 5, 8-10, 17).

Clocks
------
* :data:`GF`: gradient-flow time of ``L = 1/2 E||f(x) - x||^2`` (``HALF_MEAN``).
  Every trained network here runs on it: SGD on PyTorch's ``mse_loss``
  (``train(reduction="mse")``, mean over batch *and* the ``d`` outputs) has
  ``t = 2 lr step / d``; GD on ``1/(2P) sum ||y - U U^T x||^2`` has ``t = lr step``.
  The one-layer theory ``dW/dt = -(W - I) A`` is on this clock too.
* :data:`PAPER`: the paper's two-layer clock ``dW/dt = V(W)`` (eq. 6), which
  runs at **twice** gradient-flow time (gradient flow on ``U`` gives
  ``dW/dt = 2 V(W)``): ``t_paper = 2 t_gf``.  Symmetric two-layer theory is
  solved on it (``convention="paper"``) and trained networks are put onto it by
  the comparators (:meth:`~theorylab.clock.Clock.convert`), never by hand.

Comparators (moved here from the core: they are SIM-only)
---------------------------------------------------------
Outputs at probes are in *concept coordinates* (``SIMTask.to_concepts``).
:func:`concept_learning_times`, :func:`trajectory_distance`,
:func:`detect_swing_by` / :func:`swing_by_agreement`,
:func:`composition_order_agreement`, :func:`count_rises`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from theorylab.clock import HALF_MEAN, Clock
from theorylab.compare import Agreement, assess, crossing_time, on_common_clock
from theorylab.testing.thresholds import Tolerance
from theorylab.trajectory import Trajectory

__all__ = [
    "GF",
    "PAPER",
    "concept_learning_times",
    "learning_times",
    "trajectory_distance",
    "SwingBy",
    "detect_swing_by",
    "swing_by_agreement",
    "composition_order_agreement",
    "count_rises",
    "select_config",
]

#: Gradient-flow time of ``1/2 E||f(x) - x||^2``: the clock of every trained SIM network and of one-layer theory.
GF = Clock.gradient_flow(HALF_MEAN)
#: The SIM paper's two-layer clock ``dW/dt = V(W)``: twice gradient-flow time (arXiv:2410.08309, eq. 6).
PAPER = Clock.rescaled(2.0, HALF_MEAN, unit="SIM paper time, dW/dt = V(W)")


# ----------------------------------------------------------------------------- trajectories
def select_config(traj: Trajectory, i: int) -> Trajectory:
    """Config ``i`` of a study that batches several SIM configs.

    Theory observables carry the config on axis 1, ``(T, C, ...)``; experiment
    ensembles on axis 2, ``(T, seeds, C, ...)``.  Returns the same trajectory
    with that axis indexed away (and the clock kept).
    """
    axis = 2 if traj.n_seeds else 1
    obs = {k: np.take(v, i, axis=axis) for k, v in traj.obs.items()}
    return Trajectory(traj.t, obs, {**traj.meta, "config": i}, traj.n_seeds, traj.clock)


# ----------------------------------------------------------------------------- learning times
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


def learning_times(theory: Trajectory, experiment: Trajectory, targets, frac: float = 0.9, name: str = "ood"):
    """Concept learning times of a theory and an ensemble, both on the theory's clock.

    Returns ``(t_theory (s,), t_seed_mean (s,), t_per_seed (E, s))``: the first
    times the theory's output, the seed-mean output and each member's output
    reach ``frac`` of ``targets``.
    """
    theory, experiment = on_common_clock(theory, experiment)
    t_th = concept_learning_times(theory.t, theory[name], targets, frac)
    t_mean = concept_learning_times(experiment.t, experiment.mean()[name], targets, frac)
    t_seeds = concept_learning_times(experiment.t, experiment[name], targets, frac)
    return t_th, t_mean, t_seeds


def trajectory_distance(theory: Trajectory, experiment: Trajectory, name: str = "ood", *, scale: float,
                        label: str, threshold: float | Tolerance) -> Agreement:
    """Mean over the experiment's times of ``||f_exp(t) - f_th(t)|| / scale`` in concept space.

    Both are put on the theory's clock first (:func:`~theorylab.compare.on_common_clock`);
    the theory (T, s) is interpolated onto the experiment's times inside its
    range; an ensemble experiment is compared through its seed mean.
    """
    theory, experiment = on_common_clock(theory, experiment)
    ex = experiment.mean() if experiment.n_seeds else experiment
    keep = (ex.t >= theory.t[0]) & (ex.t <= theory.t[-1])
    t = ex.t[keep]
    th = theory.select([name]).interp(t)[name]
    d = np.linalg.norm(ex[name][keep] - th, axis=1) / scale
    return assess(label, "mean concept-space distance / ||x_hat||", float(d.mean()), threshold,
                  detail={"max": float(d.max())}, clock=theory.clock)


# ----------------------------------------------------------------------------- swing-by
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
                       threshold: float | Tolerance, clock: Clock | str | None = None) -> Agreement:
    """Agreement of two swing-by events (times on one clock): relative error of the minimum and maximum times.

    Both absent: value 0 (agree).  One absent: value inf (disagree).
    """
    if theory is None and experiment is None:
        return assess(name, "swing-by: both none", 0.0, threshold, clock=clock)
    if theory is None or experiment is None:
        return assess(name, "swing-by present in only one", float("inf"), threshold, clock=clock,
                      detail={"theory": theory, "experiment": experiment})
    err = max(abs(experiment.t_min - theory.t_min) / theory.t_min, abs(experiment.t_max - theory.t_max) / theory.t_max)
    return assess(name, "max relative error of (t_min, t_max)", float(err), threshold, clock=clock,
                  detail={"theory": vars(theory), "experiment": vars(experiment)})


def count_rises(L, rel: float = 0.05, floor: float = 1e-4) -> int:
    """Number of bumps: local maxima more than ``rel`` (relative) above the minimum since the last bump.

    Relative to the current level, i.e. what a log-scale plot of the loss
    shows; maxima below ``floor * L[0]`` are ignored (round-off once learnt).
    """
    L = np.asarray(L, float)
    n, low = 0, L[0]
    for i in range(1, len(L) - 1):
        low = min(low, L[i])
        if L[i] > L[i - 1] and L[i] >= L[i + 1] and L[i] > (1 + rel) * low and L[i] > floor * L[0]:
            n += 1
            low = L[i]
    return n


# ----------------------------------------------------------------------------- compositions
def composition_order_agreement(loss_theory, loss_experiment, *, name: str,
                                threshold: float | Tolerance) -> Agreement:
    """Kendall's tau between the orderings of losses over the hypercube of compositions."""
    tau = stats.kendalltau(np.asarray(loss_theory), np.asarray(loss_experiment)).statistic
    return assess(name, "Kendall tau of composition-loss order", float(tau), threshold, higher_is_better=True)
