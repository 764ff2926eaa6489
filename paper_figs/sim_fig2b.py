"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2b: diversity speeds a concept up.

One-layer linear networks (biases off, small init) on SIM with ``mu = (1, 2)``,
``sigma_2^2 = 0.05`` and ``sigma_1^2`` varied.  Left: OOD trajectories in
concept space over the closed form.  Right: the *diversity reversal*: the
learning-time difference ``t_1 - t_2`` (90% of target) against
``a_1 - a_2``; theory ``ln(10) (1/a_1 - 1/a_2)`` changes sign exactly at
``a_1 = a_2`` (here ``sigma_1^2 = 1.55``), trained networks (seed mean +- 2 s.e.m.;
each seed draws its own data) must agree in sign wherever they resolve it and
cross zero within their ensemble error of ``a_1 = a_2``.

Conventions: as Fig. 2a (``t = 2 lr step / d``, SGD on ``mse_loss``, biases off).
The reversal sweep runs in concept space (``d = 2``) with ``lr = 0.1 * 2/64`` so
that one step is the same theory time as the ``d = 64`` runs: the one-layer
dynamics in concept coordinates do not depend on the padding, only the cost does.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from theorylab import Agreement, Cache, FigureResult
from theorylab.compare_sim import concept_learning_times, trajectory_distance
from theorylab.cache import run_key
from theorylab.figures import figure_maker, save_figure
from theorylab.plotting import COLORS, new_figure, style
from theorylab.solvers import sim
from theorylab.tasks import SIMConfig

from ._sim import TIME_LABEL, plot_concept_trajectories, sim_tasks, split_members, train_sim

ID = "sim_fig2b"
QUICK_SECONDS = 22  # measured quick-mode cost on 2 CPU cores, one thread: schedules it early
TITLE = "SIM Fig. 2b: one-layer network, varying diversity"
MU = (1.0, 2.0)
SHOWN = (0.05, 0.1, 0.5, 1.0, 2.0)                 # sigma_1^2 of the trajectory panel
SWEEP = (0.8, 1.2, 1.4, 1.5, 1.6, 1.7, 1.9, 2.3)   # around the reversal at 1.55
SETTINGS = {
    "smoke": dict(n=200, seeds=6, seeds_shown=2, t_max=4.0, n_rec=41, sweep=(0.8, 2.3)),
    "quick": dict(n=500, seeds=16, seeds_shown=4, t_max=5.5, n_rec=221, sweep=SWEEP),
    "full": dict(n=1000, seeds=64, seeds_shown=16, t_max=8.0, n_rec=401, sweep=SWEEP),
}


def _crossing(x, y):
    """Zero of the piecewise-linear y(x) nearest the sign change (nan if none)."""
    order = np.argsort(x)
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    idx = np.flatnonzero(np.sign(y[:-1]) != np.sign(y[1:]))
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


@figure_maker(SETTINGS)
def make(out_dir: Path, p: dict, cache: Cache, mode: str) -> FigureResult:
    shown = [SIMConfig(MU, noise_var=(v, 0.05), n_per_cluster=p["n"], dim=64) for v in SHOWN]
    sweep = [SIMConfig(MU, noise_var=(v, 0.05), n_per_cluster=p["n"]) for v in p["sweep"]]
    kw = dict(widths_hidden=[], t_max=p["t_max"], n_rec=p["n_rec"], init_scale=0.1)
    traj = cache.get_or_compute(run_key(ID, 2, p, part="shown"),
                                lambda: train_sim(shown, seeds=list(range(p["seeds_shown"])), **kw))
    traj_sw = cache.get_or_compute(run_key(ID, 2, p, part="sweep"),
                                   lambda: train_sim(sweep, seeds=list(range(p["seeds"])), lr=0.1 * 2 / 64, **kw))
    t = np.linspace(0, p["t_max"], 300)
    agreements, items = [], []
    for v, task, exp in zip(SHOWN, sim_tasks(shown), split_members(traj, len(shown))):
        th = sim.one_layer_output(t, task.rates, np.asarray(MU))
        agreements.append(trajectory_distance(t, th, exp.t, exp["ood"], scale=float(np.linalg.norm(MU)),
                                              name=f"sigma1^2={v:g}: OOD trajectory vs closed form", threshold=0.05))
        items.append((f"s1^2={v:g}", th, exp, MU))
    # reversal
    da, dt_th, dt_mean, dt_se = [], [], [], []
    for task, exp in zip(sim_tasks(sweep), split_members(traj_sw, len(sweep))):
        a = task.rates
        tl = sim.one_layer_learning_time(a, 0.9)
        te = concept_learning_times(exp.t, exp["ood"], np.asarray(MU), 0.9)      # (E, 2)
        d = te[:, 0] - te[:, 1]
        da.append(a[0] - a[1])
        dt_th.append(tl[0] - tl[1])
        dt_mean.append(np.nanmean(d))
        dt_se.append(np.nanstd(d, ddof=1) / np.sqrt(np.sum(np.isfinite(d))) if np.sum(np.isfinite(d)) > 1 else np.nan)
    da, dt_th, dt_mean, dt_se = map(np.asarray, (da, dt_th, dt_mean, dt_se))
    resolved = np.abs(dt_mean) > 2 * dt_se
    agree = np.sign(dt_mean[resolved]) == np.sign(dt_th[resolved])
    agreements.append(Agreement("diversity reversal: sign of t1 - t2, trained vs theory (where resolved)",
                                "fraction agreeing", float(agree.mean()) if agree.size else float("nan"), 1.0,
                                higher_is_better=True, detail={"resolved points": int(resolved.sum())}))
    x_star = _crossing(da, dt_mean)
    # ensemble error of the crossing: slope of the mean curve near it and the s.e.m. there
    near = np.argsort(np.abs(da - (x_star if np.isfinite(x_star) else 0.0)))[:2]
    slope = abs((dt_mean[near[1]] - dt_mean[near[0]]) / (da[near[1]] - da[near[0]]))
    x_err = float(np.nanmax(dt_se[near]) / slope) if slope > 0 else float("nan")
    agreements.append(Agreement("diversity reversal: trained order flips at a1 = a2", "|a1 - a2 at flip| / its error",
                                abs(x_star) / x_err if np.isfinite(x_star) else float("inf"), 2.0,
                                detail={"a1-a2 at flip": x_star, "error": x_err}))
    with style():
        fig, axes = new_figure(2, 1, width=3.7, height=3.3)
        plot_concept_trajectories(axes[0, 0], items)
        axes[0, 0].set_title(f"mu = {MU}, sigma2^2 = 0.05\n{TIME_LABEL}", fontsize=6.5)
        ax = axes[0, 1]
        xx = np.linspace(da.min(), da.max(), 200)
        a2 = sim_tasks(sweep)[0].rates[1]
        ax.plot(xx, np.log(10) * (1 / (a2 + xx) - 1 / a2), color=COLORS[0], label="theory ln10 (1/a1 - 1/a2)")
        ax.errorbar(da, dt_mean, yerr=2 * dt_se, fmt="o", ms=3, mfc="none", color=COLORS[1], capsize=2,
                    label="trained (mean +- 2 s.e.m.)")
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(0, color="k", lw=0.6, ls=":")
        ax.set_xlabel("a1 - a2  (a = mu^2/C + sigma^2)")
        ax.set_ylabel("t1 - t2 (time to 90%)")
        ax.set_title("diversity reversal at a1 = a2", fontsize=7)
        ax.legend(fontsize=6)
        path = save_figure(fig, out_dir, ID)
    return FigureResult(ID, path, agreements, "t = 2 lr step / d (SGD on mse_loss, mean over batch and d); theory: "
                        "gradient flow of 1/2 E||f - x||^2, zero init", mode)
