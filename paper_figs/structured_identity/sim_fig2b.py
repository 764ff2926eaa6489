"""SIM (Yang et al. ICLR 2025, arXiv:2410.08309) Fig. 2b: diversity speeds a concept up.

One-layer linear networks (biases off, small init) on SIM with ``mu = (1, 2)``,
``sigma_2^2 = 0.05`` and ``sigma_1^2`` varied (:class:`OneLayerSIM`).  Left: OOD
trajectories in concept space over the zero-init closed form.  Right: the
*diversity reversal*: the learning-time difference ``t_1 - t_2`` (90% of target)
against ``a_1 - a_2``; theory ``ln(10) (1/a_1 - 1/a_2)`` changes sign exactly at
``a_1 = a_2`` (here ``sigma_1^2 = 1.55``); trained networks (seed mean +- 2
s.e.m.; each seed draws its own data) must agree in sign wherever they resolve
it and cross zero within their ensemble error of ``a_1 = a_2``.

The reversal sweep runs in concept space (``d = 2``) with ``lr = 0.1 * 2/64`` so
that one step is the same gradient-flow time ``2 lr / d`` as the ``d = 64`` runs:
the one-layer dynamics in concept coordinates do not depend on the padding,
only the cost does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.compare import assess
from theorylab.figures import Figure
from theorylab.plotting import COLORS, new_figure
from theorylab.studies.structured_identity import learning_times, select_config
from theorylab.studies.structured_identity_sgd import OneLayerSIM
from theorylab.tasks import SIMConfig
from theorylab.testing import thresholds as tol

from ._common import concept_rows, per_config, plot_concept_trajectories

MU = (1.0, 2.0)
SHOWN = (0.05, 0.1, 0.5, 1.0, 2.0)                 # sigma_1^2 of the trajectory panel
SWEEP = (0.8, 1.2, 1.4, 1.5, 1.6, 1.7, 1.9, 2.3)   # around the reversal at 1.55


@dataclass(frozen=True)
class Settings:
    shown: OneLayerSIM           # d = 64, the trajectories
    sweep: OneLayerSIM           # d = 2, the reversal


def _settings(n: int, seeds: int, seeds_shown: int, t_max: float, n_rec: int, sweep) -> Settings:
    kw = dict(t_max=t_max, n_rec=n_rec, init_scale=0.1, batch_size=128)
    return Settings(
        shown=OneLayerSIM(configs=tuple(SIMConfig(MU, noise_var=(v, 0.05), n_per_cluster=n, dim=64) for v in SHOWN),
                          seeds=seeds_shown, lr=0.1, **kw),
        sweep=OneLayerSIM(configs=tuple(SIMConfig(MU, noise_var=(v, 0.05), n_per_cluster=n) for v in sweep),
                          seeds=seeds, lr=0.1 * 2 / 64, **kw))


SETTINGS = {
    "smoke": _settings(200, 6, 2, 4.0, 41, (0.8, 2.3)),
    "quick": _settings(500, 16, 4, 5.5, 221, SWEEP),
    "full": _settings(1000, 64, 16, 8.0, 401, SWEEP),
}


def _crossing(x, y) -> float:
    """Zero of the piecewise-linear y(x) nearest the sign change (nan if none)."""
    order = np.argsort(x)
    x, y = np.asarray(x)[order], np.asarray(y)[order]
    idx = np.flatnonzero(np.sign(y[:-1]) != np.sign(y[1:]))
    if idx.size == 0:
        return float("nan")
    i = idx[0]
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


def reversal(res, s: Settings) -> dict:
    """Per sweep point: a1 - a2, theory and trained t1 - t2 (seed mean, s.e.m.); the trained flip and its error."""
    r = res["sweep"]
    da, dt_th, dt_mean, dt_se = [], [], [], []
    for i, task in enumerate(s.sweep.tasks()):
        a = task.rates
        t_th, _, t_seeds = learning_times(select_config(r.theory, i), select_config(r.experiment, i), MU)
        d = t_seeds[:, 0] - t_seeds[:, 1]
        n = int(np.sum(np.isfinite(d)))
        da.append(a[0] - a[1])
        dt_th.append(t_th[0] - t_th[1])
        dt_mean.append(np.nanmean(d))
        dt_se.append(np.nanstd(d, ddof=1) / np.sqrt(n) if n > 1 else np.nan)
    da, dt_th, dt_mean, dt_se = map(np.asarray, (da, dt_th, dt_mean, dt_se))
    x_star = _crossing(da, dt_mean)
    # ensemble error of the crossing: slope of the mean curve near it and the s.e.m. there
    near = np.argsort(np.abs(da - (x_star if np.isfinite(x_star) else 0.0)))[:2]
    slope = abs((dt_mean[near[1]] - dt_mean[near[0]]) / (da[near[1]] - da[near[0]]))
    x_err = float(np.nanmax(dt_se[near]) / slope) if slope > 0 else float("nan")
    return dict(da=da, dt_th=dt_th, dt_mean=dt_mean, dt_se=dt_se, x_star=x_star, x_err=x_err,
                a2=s.sweep.tasks()[0].rates[1], clock=r.theory.clock)


def checks(res, s: Settings):
    rows = []
    for c, (th, ex) in zip(s.shown.configs, per_config(res, "shown", len(s.shown.configs))):
        rows += concept_rows(th, ex, MU, f"sigma1^2={c.noise_var[0]:g}", times=False)
    rv = reversal(res, s)
    resolved = np.abs(rv["dt_mean"]) > 2 * rv["dt_se"]
    agree = np.sign(rv["dt_mean"][resolved]) == np.sign(rv["dt_th"][resolved])
    rows.append(assess("diversity reversal: sign of t1 - t2, trained vs theory (where resolved)", "fraction agreeing",
                       float(agree.mean()) if agree.size else float("nan"),
                       tol.criterion(1.0, "every point whose seed mean is resolved (|t1 - t2| > 2 s.e.m.) must have "
                                          "the theory's sign", at_least=True),
                       detail={"resolved points": int(resolved.sum())}, clock=rv["clock"]))
    x = rv["x_star"]
    rows.append(assess("diversity reversal: trained order flips at a1 = a2", "|a1 - a2 at flip| / its error",
                       abs(x) / rv["x_err"] if np.isfinite(x) else float("inf"),
                       tol.standard_errors(2.0, why=f"the flip's error from the s.e.m. of {s.sweep.seeds} seeds and "
                                                    "the slope of t1 - t2 near it"),
                       detail={"a1-a2 at flip": x, "error": rv["x_err"]}))
    return rows


def draw(res, s: Settings):
    items = [(f"s1^2={c.noise_var[0]:g}", th, ex, MU)
             for c, (th, ex) in zip(s.shown.configs, per_config(res, "shown", len(s.shown.configs)))]
    rv = reversal(res, s)
    fig, axes = new_figure(2, 1, width=3.7, height=3.3)
    plot_concept_trajectories(axes[0, 0], items)
    axes[0, 0].set_title(f"SIM Fig. 2b: mu = {MU}, sigma2^2 = 0.05\n{rv['clock'].label}", fontsize=6.5)
    ax = axes[0, 1]
    da = rv["da"]
    xx = np.linspace(da.min(), da.max(), 200)
    a2 = rv["a2"]
    ax.plot(xx, np.log(10) * (1 / (a2 + xx) - 1 / a2), color=COLORS[0], label="theory ln10 (1/a1 - 1/a2)")
    ax.errorbar(da, rv["dt_mean"], yerr=2 * rv["dt_se"], fmt="o", ms=3, mfc="none", color=COLORS[1], capsize=2,
                label="trained (mean +- 2 s.e.m.)")
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(0, color="k", lw=0.6, ls=":")
    ax.set_xlabel("a1 - a2  (a = mu^2/C + sigma^2)")
    ax.set_ylabel(f"t1 - t2 to 90%, {rv['clock'].label}", fontsize=6)
    ax.set_title("diversity reversal at a1 = a2", fontsize=7)
    ax.legend(fontsize=6)
    return fig


FIGURE = Figure(
    "sim_fig2b", "SIM Fig. 2b: one-layer network, varying diversity", "arXiv:2410.08309, Fig. 2b",
    SETTINGS, studies=lambda s: {"shown": s.shown, "sweep": s.sweep}, checks=checks, draw=draw, quick_seconds=16,
    setup="one-layer network, mu = (1, 2), sigma1^2 in {0.05, 0.1, 0.5, 1, 2}, sigma2^2 = 0.05, d = 64; SGD batch "
          "128, lr 0.1, mse_loss; PyTorch default init, biases on",
    deviations=lambda s: ["biases off (they couple to the data mean and slow learning about twofold)",
                          f"init scaled by {s.shown.init_scale:g} (the theory starts at 0)",
                          f"n = {s.shown.configs[0].n_per_cluster} per cluster, {s.shown.seeds} seeds per shown "
                          f"config, t_max = {s.shown.t_max:g}",
                          f"added: a reversal sweep over sigma1^2 = {tuple(c.noise_var[0] for c in s.sweep.configs)} "
                          f"in concept space (d = 2, lr = {s.sweep.lr:g}: the same time per step), {s.sweep.seeds} "
                          "seeds each",
                          "no origin cluster (kept as today; a later change revisits the task setup)"],
)
