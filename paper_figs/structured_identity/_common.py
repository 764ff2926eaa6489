"""Drawing and row helpers shared by the SIM figures (no computation beyond cheap summaries)."""
from __future__ import annotations

import numpy as np

from theorylab.compare import learning_time_agreement
from theorylab.plotting import COLORS
from theorylab.studies.structured_identity import learning_times, select_config, trajectory_distance
from theorylab.testing import thresholds as tol

#: Learning time of the seed-mean output at 90% of the target vs theory, for SGD-trained nets on sampled data.
LEARNING_TIME = tol.criterion(
    0.1, "10% of a learning time: a rate off by 10% fails (biases slow learning about twofold); finite data "
         "(rate error 1-2% per seed at n = 300-1000 per cluster), the init and Euler steps of 2 lr/d (time "
         "shift about depth x a dt/2 <= 1.5%) move the seed mean by 0.03-2.4% at quick settings")
#: Mean concept-space distance of the seed-mean OOD output from theory, relative to ||x_hat||.
DISTANCE = tol.criterion(
    0.05, "5% of ||x_hat||: far below the distance between the trajectories of different configs (> 20%), "
          "above the seed-mean noise of finite data and init (< 0.3% at quick settings)")


def concept_rows(theory, experiment, mu, label: str, *, times: bool = True, distance: bool = True,
                 what: str = "closed form"):
    """Per-concept learning-time rows and the trajectory-distance row of one config."""
    mu = np.asarray(mu, float)
    rows = []
    if times:
        t_th, t_ex, _ = learning_times(theory, experiment, mu, 0.9)
        rows += [learning_time_agreement(t_th[k], t_ex[k], name=f"{label}: concept {k + 1} time to 90%",
                                         threshold=LEARNING_TIME, clock=theory.clock) for k in range(mu.size)]
    if distance:
        rows.append(trajectory_distance(theory, experiment, scale=float(np.linalg.norm(mu)),
                                        label=f"{label}: OOD trajectory vs {what}", threshold=DISTANCE))
    return rows


def per_config(res, name: str, n: int):
    """(theory, experiment) of each of the ``n`` configs of study ``name`` (theory may be None)."""
    r = res[name]
    return [(None if r.theory is None else select_config(r.theory, i), select_config(r.experiment, i))
            for i in range(n)]


def plot_concept_trajectories(ax, items, *, every: int = 4, time_label: str | None = None):
    """``items``: (label, theory Trajectory with 'ood' (T, 2) or None, ensemble with 'ood', target mu) per config."""
    for i, (label, th, exp, mu) in enumerate(items):
        c = COLORS[i % len(COLORS)]
        if th is not None:
            ax.plot(th["ood"][:, 0], th["ood"][:, 1], color=c, lw=1.4, label=f"{label} theory")
        m = exp.mean()["ood"]
        ax.plot(m[::every, 0], m[::every, 1], "o", ms=2.6, mfc="none", color=c, label=f"{label} trained")
        ax.plot([mu[0]], [mu[1]], "*", ms=9, color=c)
    ax.set_xlabel("concept 1 output at x_hat")
    ax.set_ylabel("concept 2 output at x_hat")
    ax.legend(fontsize=5.5)
    if time_label:
        ax.text(0.98, 0.02, f"markers every {every} records; {time_label}", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=5)
