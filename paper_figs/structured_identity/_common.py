"""Drawing and row helpers shared by the SIM figures (no computation beyond cheap summaries)."""
from __future__ import annotations

import numpy as np

from theorylab.compare import learning_time_agreement
from theorylab.plotting import COLORS
from theorylab.studies.structured_identity import learning_times, select_config, trajectory_distance
from theorylab.testing import thresholds as tol

#: Learning time of the seed-mean output at 90% of the target vs theory, for SGD-trained nets on sampled data.
LEARNING_TIME = tol.criterion(
    0.1, "10% of a learning time: a rate off by 10% fails, and so does the wrong task (the bias-free or no-origin "
         "closed forms are 25-100% faster); the theory starts from the members' own init, so what is left is finite "
         "data (rate error 1-2% per seed at n = 300-1000 per cluster), SGD noise and Euler steps of 2 lr/d (time "
         "shift about depth x a dt/2 <= 1.5%): 0.02-2.4% of the seed mean at quick settings")
#: Mean concept-space distance of the seed-mean OOD output from theory, relative to ||x_hat||.
DISTANCE = tol.criterion(
    0.05, "5% of ||x_hat||: far below the distance between the trajectories of different configs (> 20%), "
          "above the seed-mean noise of finite data and SGD (< 0.5% at quick settings; the theory starts from "
          "the members' own init)")


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


#: Reference curves a theory may carry next to ``ood``: (observable, line style, legend text).
REFERENCES = (("ood_zero_init", "--", "zero-init closed form (paper)"),
              ("ood_bias_free", ":", "bias-free closed form"))


def plot_concept_trajectories(ax, items, *, every: int = 4, time_label: str | None = None, refs: bool = False,
                              legend_outside: bool = False, compact: bool = False):
    """``items``: (label, theory Trajectory with 'ood' (T, 2) or None, ensemble with 'ood', target mu) per config.

    With ``refs``, the theory's reference curves (:data:`REFERENCES`) are drawn thin in the config's colour;
    ``legend_outside`` puts the legend to the right of the axes; ``compact`` gives one legend entry per config
    (lines: theory, circles: trained).
    """
    for i, (label, th, exp, mu) in enumerate(items):
        c = COLORS[i % len(COLORS)]
        if th is not None:
            ax.plot(th["ood"][:, 0], th["ood"][:, 1], color=c, lw=1.4, label=label if compact else f"{label} theory")
            for name, ls, text in REFERENCES if refs else ():
                if name in th.obs:
                    ax.plot(th[name][:, 0], th[name][:, 1], ls, color=c, lw=0.7, alpha=0.8,
                            label=text if i == 0 else None)
        m = exp.mean()["ood"]
        ax.plot(m[::every, 0], m[::every, 1], "o", ms=2.6, mfc="none", color=c,
                label=None if compact and th is not None else f"{label} trained")
        ax.plot([mu[0]], [mu[1]], "*", ms=9, color=c)
    ax.set_xlabel("concept 1 output at x_hat")
    ax.set_ylabel("concept 2 output at x_hat")
    kw = dict(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0) if legend_outside else {}
    ax.legend(fontsize=5.5, title="lines: theory, circles: trained" if compact else None, title_fontsize=5.5, **kw)
    if time_label:
        ax.text(0.98, 0.02, f"markers every {every} records; {time_label}", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=5)


def task_deviations(configs, seeds: int, t_max: float, *, paper_n: int = 5000) -> list[str]:
    """Deviations of the sampled task and the ensemble from the authors' experiments (same for Figs. 2a, 2b, 11)."""
    c = configs[0]
    return [f"n = {c.n_per_cluster} points per cluster (the authors: {paper_n}), {seeds} seeds (own data, init and "
            f"SGD order each; the authors: one), up to t = {t_max:g} (their 40 epochs of 3 x {paper_n} points: "
            f"t = 14.6)",
            "minibatches reshuffled every epoch (the authors shuffle once)"]
